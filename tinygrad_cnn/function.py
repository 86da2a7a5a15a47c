"""``Function``: the one way an operation enters the graph, for built-in ops and users' ops alike.

An op is a subclass with two static methods working on numpy arrays: ``forward(ctx, *args)`` computes
the result and saves what backward needs, ``backward(ctx, grad)`` turns the gradient of the result
into one gradient per positional argument of ``forward`` (None where there is none).

The arrays ``forward`` receives from tensors are read-only (the engine owns them; write into a copy),
and the array it returns is made read-only. What ``save_for_backward`` keeps is guarded against
in-place change (``memory.py``): read-only arrays by the engine's write log, for free; a writeable
one (an intermediate the op made) by a CRC fingerprint, so an op may freeze such an array
(``a.setflags(write=False)``) when nothing else holds it, to save that cost.

>>> import numpy as np
>>> from tinygrad_cnn import Tensor, Function
>>> class Cube(Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, grad):
...         (x,) = ctx.saved_tensors
...         return grad * 3 * x ** 2          # d(x³)/dx = 3x²
>>> x = Tensor([1.0, 2.0], requires_grad=True)
>>> Cube.apply(x).sum().backward()
>>> x.grad
array([ 3., 12.])
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from .grad_mode import _state
from .memory import _epoch, is_frozen, written_since
from .memory import fingerprint as _crc


class SavedArrayModifiedError(RuntimeError):
    """An array saved for backward was changed in place between the forward and the backward pass."""


def _modified(function: type, index: int, value: np.ndarray, how: str) -> SavedArrayModifiedError:
    return SavedArrayModifiedError(
        f"{function.__name__}.backward: saved array #{index} (shape {value.shape}, dtype {value.dtype}) was "
        f"modified in place after the forward pass ({how}), so its gradient would be wrong. Modify a copy "
        "instead, or run the forward pass again after the change."
    )


_new = object.__new__


class Context:
    """What one application of a ``Function`` keeps for its backward.

    ``needs_input_grad`` tells which positional arguments want a gradient; any other attribute may be
    set freely (``ctx.stride = 2``). Arrays that alias the inputs or the output should be stored with
    ``save_for_backward``: they are checked for in-place modification before backward uses them.
    """

    __slots__ = ("__dict__", "__weakref__", "_epoch", "_fingerprints", "_record", "_saved", "freed", "function",
                 "needs_input_grad", "parents")
    _lift: Tensor | None = None  # the output Tensor while a create_graph walk runs this node's backward
    _constants: tuple[int, ...] = ()  # ids of saved arrays marked piecewise-constant (``save_constant``)

    def __init__(
        self, function: type[Function], parents: tuple[Tensor | None, ...], needs_input_grad: tuple[bool, ...],
        record: bool,
    ) -> None:
        # (``Function.apply`` sets these same attributes inline: keep the two in step)
        self.function = function
        self.parents = parents
        self.needs_input_grad = needs_input_grad
        self.freed = False
        self._record = record
        self._saved: tuple[Any, ...] = ()
        # ``_fingerprints`` and ``_epoch`` are set by ``_seal`` when the graph is recorded

    def save_for_backward(self, *values: Any) -> None:
        """Keep ``values`` (arrays or anything else) for backward; arrays are guarded against in-place change."""
        if self._record:  # else no graph is recorded: nothing will ever read them
            self._saved = values

    def save_constant(self, *values: np.ndarray) -> None:
        """Mark saved arrays that are piecewise constant in the inputs (masks, indices, signs): under
        ``create_graph=True`` they enter the gradient's graph as constants. Save them with
        ``save_for_backward`` as well."""
        if self._record:
            self._constants = self._constants + tuple(id(v) for v in values)

    def _seal(self, out: np.ndarray) -> None:
        """After forward (``out`` is read-only by now): choose each saved array's guard."""
        self._epoch = _epoch[0]
        self._fingerprints = None
        fingerprints = None
        for index, value in enumerate(self._saved):
            if value is out:
                continue
            if type(value) is np.ndarray:
                if value.base is None and not value.flags.writeable:
                    continue  # read-only memory of its own (the commonest case): guarded by the write log
            elif not isinstance(value, np.ndarray):
                continue
            if not value.flags.writeable and (value.base is None or is_frozen(value)):
                continue  # read-only engine memory: guarded by the write log
            if fingerprints is None:
                fingerprints = [None] * len(self._saved)
            fingerprints[index] = _crc(value)
        if fingerprints is not None:
            self._fingerprints = tuple(fingerprints)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The values given to ``save_for_backward``, after checking no array was modified in place."""
        if self.freed:
            raise RuntimeError(_freed_message(self.function))
        if not self._record:
            return self._saved
        if self._lift is not None:
            return self._lifted()
        saved, fingerprints = self._saved, self._fingerprints
        if fingerprints is not None:
            for index, (value, fingerprint) in enumerate(zip(saved, fingerprints)):
                if fingerprint is not None and _crc(value) != fingerprint:
                    raise _modified(self.function, index, value, "its contents changed")
        if _epoch[0] != self._epoch:  # the engine wrote in place somewhere since the forward
            for index, value in enumerate(saved):
                guarded_by_log = isinstance(value, np.ndarray) and (fingerprints is None or fingerprints[index] is None)
                if guarded_by_log and written_since(value, self._epoch):
                    raise _modified(self.function, index, value, "by an in-place tensor operation")
        return saved

    def _lifted(self) -> tuple[Any, ...]:
        """The saved values as Tensors of the graph (a ``create_graph`` walk): an input's array is that input,
        the output's array the output, a marked constant a constant; any other float array is refused, since
        treating a differentiable intermediate as a constant would give a wrong second derivative."""
        out = self._lift
        lifted = []
        for index, value in enumerate(self._saved):
            if not isinstance(value, (np.ndarray, np.generic)) or (
                    isinstance(value, np.generic) and value.dtype.kind != "f"):
                lifted.append(value)  # numbers, shapes, options: hyper-parameters of the rule
                continue
            if value is out._data:
                lifted.append(out)
                continue
            parent = next((p for p in self.parents if p is not None and p._data is value), None)
            if parent is not None:
                lifted.append(parent)
            elif id(value) in self._constants or value.dtype.kind != "f":
                lifted.append(Tensor._make(np.asarray(value), None))
            else:
                raise RuntimeError(
                    f"{self.function.__name__}.backward cannot be differentiated here: saved array #{index} "
                    f"(shape {value.shape}, dtype {value.dtype}) is neither an input, the output nor marked "
                    "constant (e.g. an input cast to another dtype); compute the gradient in one float dtype, "
                    "or save what the rule needs from the inputs and output only"
                )
        return tuple(lifted)

    def free(self) -> None:
        """Drop everything kept for backward (saved values and any attribute an op set on ``ctx``).

        Only the graph's structure stays, so a second backward through this node can name it in its error.
        """
        self.__dict__.clear()
        self._saved = ()
        self._fingerprints = None
        self.freed = True


def _freed_message(function: type) -> str:
    return (
        f"Trying to backward through the graph a second time (through {function.__name__}): its saved "
        "values were freed after the first backward. Call backward(retain_graph=True) the first time "
        "if you need to backward through the same graph again."
    )


_PACKAGE = str(Path(__file__).resolve().parent)


def _user_site() -> str:
    """'file:line' of the innermost caller outside this package (where the user called the op)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    return "an unknown place" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


class Function:
    """Base class of every differentiable operation. Subclasses define static ``forward``/``backward``.

    ``differentiable_backward = True`` declares that ``backward`` is written so that it also runs on Tensors
    (``grad`` and the saved values), which makes its gradient differentiable again (``create_graph=True``,
    see ``ops/namespace.py``). A backward of plain numpy (the default) gives exact first-order gradients;
    differentiating through it a second time raises an error naming the Function.
    """

    differentiable_backward = False

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        """Run ``forward`` on the arrays of the ``Tensor`` arguments and record the node in the graph.

        Non-tensor arguments (numbers, shapes, None) are passed through unchanged and get no gradient.
        The result's array is made read-only (the engine owns it).
        """
        n = len(args)
        if n == 2 and type(args[0]) is Tensor and type(args[1]) is Tensor:  # the commonest cases, unrolled
            x, y = args
            arrays: list[Any] | tuple[Any, ...] = (x._data, y._data)
            needs: list[bool] | tuple[bool, ...] = (x._requires_grad, y._requires_grad)
            record = (needs[0] or needs[1]) and _state.enabled
            parents: tuple[Any, ...] = args
        elif n == 1 and type(args[0]) is Tensor:
            x = args[0]
            arrays, needs = (x._data,), (x._requires_grad,)
            record = needs[0] and _state.enabled
            parents = args
        else:
            arrays, needs = [], []
            all_tensors = True
            for a in args:  # one pass: this is the hot path of every op
                if isinstance(a, Tensor):
                    arrays.append(a._data)
                    needs.append(a._requires_grad)
                else:
                    arrays.append(a)
                    needs.append(False)
                    all_tensors = False
            record = True in needs and _state.enabled
            parents = args if all_tensors else tuple(a if isinstance(a, Tensor) else None for a in args)
            needs = tuple(needs)
        ctx = _new(Context)  # Context.__init__ inlined: this is the hot path of every op
        ctx.function = cls
        ctx.parents = parents
        ctx.needs_input_grad = needs
        ctx.freed = False
        ctx._record = record
        ctx._saved = ()
        out = cls.forward(ctx, *arrays, **kwargs)
        if type(out) is not np.ndarray:  # a numpy scalar (0-d results): the saved output must stay the output
            scalar, out = out, np.asarray(out)
            if record and ctx._saved:
                ctx._saved = tuple(out if v is scalar else v for v in ctx._saved)
        for a in arrays:
            if out is a:  # the forward handed back an argument's own array: freeze a view, not the argument
                out = out.view()
                break
        if not record:
            return Tensor._make(out, None)
        result = Tensor._make(out, ctx)  # freezes out first: a saved output then needs no fingerprint
        ctx._seal(out)
        if _state.anomaly:
            ctx._anomaly = ([np.shape(a) for a in arrays], _user_site())
        return result


class OnceDifferentiable(Function):
    """A gradient computed by a plain-numpy backward, as a node of a ``create_graph`` graph that refuses to be
    differentiated: its parents are the incoming gradient and every input of the Function, so no path through
    it can give a silent zero."""

    @staticmethod
    def forward(ctx: Context, *arrays: Any, value: np.ndarray, name: str) -> np.ndarray:
        ctx.name = name
        return value

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Any:
        raise RuntimeError(
            f"{ctx.name}.backward is plain numpy, so its gradient cannot be differentiated again "
            "(create_graph=True, autograd.grad, gradgradcheck). Make it differentiable: write the backward with "
            "operators and the helpers of tinygrad_cnn.ops.namespace (xp = namespace(grad)) so it also runs on "
            f"Tensors, and set differentiable_backward = True on {ctx.name}"
        )


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: the adjoint of numpy broadcasting ``shape`` up to ``grad.shape``.

    A broadcast input was read once per copy, so its gradient is the sum over the copies.

    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    >>> unbroadcast(np.ones((2, 3)), (2, 1))
    array([[3.],
           [3.]])
    """
    if grad.shape == tuple(shape):
        return grad
    if isinstance(grad, Tensor):  # a create_graph walk: the same sum, as Tensor ops
        extra = grad.ndim - len(shape)
        axes = tuple(range(extra)) + tuple(
            i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1)
        return (grad.sum(axis=axes, keepdims=True) if axes else grad).reshape(shape)
    extra = grad.ndim - len(shape)
    # (…extra, *shape-with-ones) -> sum the leading axes and every axis that was 1 in `shape`
    axes = tuple(range(extra)) + tuple(i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1)
    if not axes:
        return grad.reshape(shape)
    # float16 is summed in float32 (numpy's strided float16 sum would accumulate in float16: 4096 × 0.1 = 256)
    wide = np.float32 if grad.dtype == np.float16 else None
    summed = grad.sum(axis=axes, keepdims=True, dtype=wide).astype(grad.dtype, copy=False)
    return summed.reshape(shape)


from .tensor import Tensor  # noqa: E402  (tensor.py needs Context and Function first)

"""``Function``: the one way an operation enters the graph, for built-in ops and users' ops alike.

An op is a subclass with two static methods working on numpy arrays: ``forward(ctx, *args)`` computes
the result and saves what backward needs, ``backward(ctx, grad)`` turns the gradient of the result
into one gradient per positional argument of ``forward`` (None where there is none).

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

import zlib
from typing import Any

import numpy as np

from .grad_mode import is_grad_enabled


class SavedArrayModifiedError(RuntimeError):
    """An array saved for backward was changed in place between the forward and the backward pass."""


def _fingerprint(array: np.ndarray) -> int:
    """A CRC-32 of the array's bytes: cheap (GB/s) and changes when any element changes."""
    return zlib.crc32(array if array.flags.c_contiguous else np.ascontiguousarray(array))


class Context:
    """What one application of a ``Function`` keeps for its backward.

    ``needs_input_grad`` tells which positional arguments want a gradient; any other attribute may be
    set freely (``ctx.stride = 2``). Arrays that alias the inputs or the output should be stored with
    ``save_for_backward``: they are checked for in-place modification before backward uses them.
    """

    def __init__(
        self, function: type[Function], parents: tuple[Tensor | None, ...], needs_input_grad: tuple[bool, ...],
        record: bool,
    ) -> None:
        self.function = function
        self.parents = parents
        self.needs_input_grad = needs_input_grad
        self.freed = False
        self._record = record
        self._saved: tuple[Any, ...] = ()
        self._fingerprints: tuple[int | None, ...] = ()

    def save_for_backward(self, *values: Any) -> None:
        """Keep ``values`` (arrays or anything else) for backward, fingerprinting each array."""
        if not self._record:  # no graph is recorded: nothing will ever read them
            return
        self._saved = values
        self._fingerprints = tuple(_fingerprint(v) if isinstance(v, np.ndarray) else None for v in values)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The values given to ``save_for_backward``, after checking no array was modified in place."""
        if self.freed:
            raise RuntimeError(_freed_message(self.function))
        for index, (value, fingerprint) in enumerate(zip(self._saved, self._fingerprints)):
            if fingerprint is not None and _fingerprint(value) != fingerprint:
                raise SavedArrayModifiedError(
                    f"{self.function.__name__}.backward: saved array #{index} (shape {value.shape}, "
                    f"dtype {value.dtype}) was modified in place after the forward pass, so its gradient "
                    "would be wrong. Modify a copy instead, or run the forward pass again after the change."
                )
        return self._saved

    _KEPT_AFTER_FREE = frozenset({"function", "parents", "needs_input_grad", "freed", "_record"})

    def free(self) -> None:
        """Drop everything kept for backward (saved values and any attribute an op set on ``ctx``).

        Only the graph's structure stays, so a second backward through this node can name it in its error.
        """
        for name in [n for n in vars(self) if n not in self._KEPT_AFTER_FREE]:
            delattr(self, name)
        self._saved = ()
        self._fingerprints = ()
        self.freed = True


def _freed_message(function: type) -> str:
    return (
        f"Trying to backward through the graph a second time (through {function.__name__}): its saved "
        "values were freed after the first backward. Call backward(retain_graph=True) the first time "
        "if you need to backward through the same graph again."
    )


class Function:
    """Base class of every differentiable operation. Subclasses define static ``forward``/``backward``."""

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
        """
        parents: list[Tensor | None] = []
        arrays: list[Any] = []
        needs: list[bool] = []
        for a in args:  # one pass: this is the hot path of every op
            if isinstance(a, Tensor):
                parents.append(a)
                arrays.append(a._data)
                needs.append(a._requires_grad)
            else:
                parents.append(None)
                arrays.append(a)
                needs.append(False)
        record = True in needs and is_grad_enabled()
        ctx = Context(cls, tuple(parents), tuple(needs), record)
        out = cls.forward(ctx, *arrays, **kwargs)
        if not isinstance(out, np.ndarray):
            out = np.asarray(out)
        return Tensor._make(out, ctx if record else None)


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
    extra = grad.ndim - len(shape)
    # (…extra, *shape-with-ones) -> sum the leading axes and every axis that was 1 in `shape`
    axes = tuple(range(extra)) + tuple(i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1)
    summed = grad.sum(axis=axes, keepdims=True) if axes else grad
    return summed.reshape(shape)


from .tensor import Tensor  # noqa: E402  (tensor.py needs Context and Function first)

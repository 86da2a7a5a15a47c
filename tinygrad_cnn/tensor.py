"""``Tensor``: a numpy array that remembers how it was computed, and reverse-mode ``backward``.

>>> from tinygrad_cnn import Tensor
>>> w = Tensor([[1.0, 2.0], [4.0, 3.0]], requires_grad=True)
>>> x = Tensor([1.0, -1.0])
>>> z = w @ x                       # [-1, 1]
>>> loss = (z.relu() ** 2).sum()    # only the second row is active: loss = (4 - 3)²
>>> loss.backward()
>>> w.grad                          # ∂loss/∂w[1] = 2·z[1]·x
array([[ 0.,  0.],
       [ 2., -2.]])
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .function import Context, _freed_message

Axis = int | Sequence[int] | None
Hook = Callable[[np.ndarray], "np.ndarray | None"]


def _to_array(data: Any, dtype: Any, name: str = "data") -> np.ndarray:
    """Turn ``data`` into an ndarray: Python numbers and lists become float64, numpy arrays keep their dtype."""
    if isinstance(data, Tensor):
        array = data.data
    elif isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, np.generic):
        array = np.asarray(data)
    elif isinstance(data, (bool, int, float, list, tuple)):
        try:
            array = np.array(data, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"Tensor(): {name} must be a number, a (nested) list of numbers or a numpy array; "
                f"could not read {_short(data)} as float64 ({error})"
            ) from None
    else:
        raise TypeError(
            f"Tensor(): {name} must be a number, a (nested) list of numbers or a numpy array, "
            f"got {type(data).__name__} {_short(data)}"
        )
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"Tensor(): {name} must hold real numbers (float, int or bool), got an array of dtype {array.dtype}"
        )
    if dtype is not None:
        try:
            target = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"Tensor(): dtype must be a numpy dtype such as np.float32, got {dtype!r}") from None
        if target.kind not in "fiub":
            raise TypeError(f"Tensor(): dtype must be a real numeric dtype, got {target}")
        array = array.astype(target, copy=False)
    return array


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation (PyTorch-shaped).

    Parameters
    ----------
    data : number, nested list, numpy array or Tensor
        Python numbers and lists become float64; numpy arrays keep their dtype and are not copied
        (float32 stays float32). Integer and bool arrays are data (indices, masks, targets) that
        cannot require grad.
    requires_grad : bool
        Whether ``backward`` should compute a gradient for this tensor (float dtypes only).
    dtype : numpy dtype, optional
        Cast the data to this dtype.

    >>> Tensor([1, 2, 3])
    Tensor([1., 2., 3.])
    >>> Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    Tensor([0., 0.], dtype=float32, requires_grad=True)
    """

    __slots__ = ("_data", "grad", "_requires_grad", "_ctx", "_retains_grad", "_hooks", "__weakref__")
    __array_priority__ = 1000  # numpy scalars/arrays on the left defer to Tensor's reflected operators

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self._data = _to_array(data, dtype)
        self.grad: np.ndarray | None = None
        self._ctx: Context | None = None
        self._retains_grad = False
        self._hooks: list[Hook] = []
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _make(cls, data: np.ndarray, ctx: Context | None) -> Tensor:
        """The result of an op: wraps ``data`` without checks; ``ctx`` is set when the graph is recorded."""
        out = cls.__new__(cls)
        out._data = data
        out.grad = None
        out._ctx = ctx
        out._retains_grad = False
        out._hooks = []
        out._requires_grad = ctx is not None
        return out

    # ----------------------------------------------------------------------------------------- data
    @property
    def data(self) -> np.ndarray:
        """The underlying numpy array (reassignable, as in PyTorch; the graph keeps the old values)."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        array = _to_array(value, None, "data")
        if self._requires_grad and array.dtype.kind != "f":
            raise TypeError(f"Tensor.data: a tensor that requires grad needs float data, got dtype {array.dtype}")
        self._data = array

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"requires_grad must be True or False, got {value!r}")
        if value and self._data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad=True needs a floating-point tensor, got dtype {self._data.dtype}; "
                "integer and bool tensors are data (indices, masks, targets). Cast with .astype(np.float64)."
            )
        if not value and self._ctx is not None:
            raise ValueError("requires_grad: cannot be switched off on a non-leaf tensor; use .detach()")
        self._requires_grad = bool(value)

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by a recorded op)."""
        return self._ctx is None

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shared, not copied)."""
        return self._data

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item(): only a one-element tensor can be converted, this one has shape {self.shape}")
        return self._data.item()

    def detach(self) -> Tensor:
        """A new leaf sharing the data, cut off from the graph."""
        return Tensor._make(self._data, None)

    def astype(self, dtype: Any) -> Tensor:
        """This tensor cast to ``dtype``; differentiable between float dtypes."""
        from .ops.elementwise import Cast

        target = np.dtype(dtype)
        return Cast.apply(self, dtype=target) if target.kind == "f" else Tensor._make(self._data.astype(target), None)

    float32 = lambda self: self.astype(np.float32)  # noqa: E731
    float64 = lambda self: self.astype(np.float64)  # noqa: E731

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        extras = []
        if self._data.dtype != np.float64:
            extras.append(f"dtype={self._data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx.function.__name__}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(f"the truth value of a tensor with shape {self.shape} is ambiguous")
        return bool(self._data)

    __hash__ = object.__hash__

    # ------------------------------------------------------------------------------- the backward pass
    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (how to read δ = ∂C/∂z of a layer)."""
        if not self._requires_grad:
            raise ValueError("retain_grad(): this tensor does not require grad, so it never gets a gradient")
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook: Hook) -> _HookHandle:
        """Call ``hook(grad)`` whenever the gradient of this tensor is computed.

        The hook may return a replacement gradient (same shape) or None. Returns a handle whose
        ``remove()`` unregisters it.
        """
        if not callable(hook):
            raise TypeError(f"register_hook(): hook must be callable, got {type(hook).__name__}")
        if not self._requires_grad:
            raise ValueError("register_hook(): this tensor does not require grad, so the hook would never run")
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Reverse-mode differentiation: accumulate ∂self/∂leaf into every leaf's ``.grad``.

        ``grad`` is the gradient of some scalar with respect to this tensor (same shape); it may be
        omitted for a one-element tensor, where it is 1. The graph's saved values are freed
        afterwards unless ``retain_graph=True``.
        """
        if not self._requires_grad:
            raise ValueError(
                "backward(): this tensor does not require grad and has no graph; create the inputs with "
                "requires_grad=True (and not under no_grad())"
            )
        if grad is None:
            if self._data.size != 1:
                raise ValueError(
                    f"backward(): grad can be omitted only for a one-element output, this one has shape "
                    f"{self.shape}; pass grad= an array of shape {self.shape}"
                )
            seed = np.ones_like(self._data)
        else:
            seed = _to_array(grad, self.dtype, "grad")
            if seed.shape != self.shape:
                raise ValueError(f"backward(): grad has shape {seed.shape}, expected the output's shape {self.shape}")
        _run_backward(self, seed, retain_graph)

    def _accumulate(self, grad: np.ndarray, owned: bool = False) -> None:
        """Add ``grad`` into ``.grad``. An ``owned`` array (referenced nowhere else) is kept without a copy."""
        if self.grad is None:
            take = owned and grad.dtype == self._data.dtype
            self.grad = grad if take else np.array(grad, dtype=self._data.dtype, copy=True)
        else:
            self.grad = self.grad + grad.astype(self._data.dtype, copy=False)

    # ------------------------------------------------------------------------------------ operators
    def __add__(self, other: Any) -> Tensor:
        return _ew.Add.apply(self, _lift(other, self))

    def __radd__(self, other: Any) -> Tensor:
        return _ew.Add.apply(_lift(other, self), self)

    def __sub__(self, other: Any) -> Tensor:
        return _ew.Sub.apply(self, _lift(other, self))

    def __rsub__(self, other: Any) -> Tensor:
        return _ew.Sub.apply(_lift(other, self), self)

    def __mul__(self, other: Any) -> Tensor:
        return _ew.Mul.apply(self, _lift(other, self))

    def __rmul__(self, other: Any) -> Tensor:
        return _ew.Mul.apply(_lift(other, self), self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ew.Div.apply(self, _lift(other, self))

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ew.Div.apply(_lift(other, self), self)

    def __pow__(self, other: Any) -> Tensor:
        return _ew.Pow.apply(self, _lift(other, self))

    def __rpow__(self, other: Any) -> Tensor:
        return _ew.Pow.apply(_lift(other, self), self)

    def __neg__(self) -> Tensor:
        return _ew.Neg.apply(self)

    def __matmul__(self, other: Any) -> Tensor:
        from .ops.matmul import matmul

        return matmul(self, _lift(other, self))

    def __rmatmul__(self, other: Any) -> Tensor:
        from .ops.matmul import matmul

        return matmul(_lift(other, self), self)

    # comparisons give bool data tensors (no gradient), handy for masks and accuracy: ``(pred == y).mean()``.
    # ``==`` and ``!=`` are element-wise like the others (as in PyTorch); tensors stay hashable by identity.
    def __lt__(self, other: Any) -> Tensor:
        return Tensor._make(self._data < _raw(other), None)

    def __le__(self, other: Any) -> Tensor:
        return Tensor._make(self._data <= _raw(other), None)

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._make(self._data > _raw(other), None)

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._make(self._data >= _raw(other), None)

    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        if not _comparable(other):
            return NotImplemented  # None, strings, …: Python compares identity (False), as PyTorch
        return Tensor._make(np.asarray(self._data == _raw(other)), None)

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        if not _comparable(other):
            return NotImplemented
        return Tensor._make(np.asarray(self._data != _raw(other)), None)

    # (``__hash__ = object.__hash__`` above keeps tensors hashable by identity although they define __eq__)

    # conversions of a one-element tensor, as in PyTorch
    def __float__(self) -> float:
        return float(self._one_element("float()"))

    def __int__(self) -> int:
        return int(self._one_element("int()"))

    def _one_element(self, what: str) -> Any:
        if self._data.size != 1:
            raise ValueError(
                f"{what}: only a one-element tensor can be converted to a Python number, this one has shape "
                f"{self.shape}"
            )
        return self._data.item()

    def __iter__(self) -> Any:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def tolist(self) -> Any:
        """The data as a (nested) list of Python numbers; a 0-d tensor gives one number (as PyTorch)."""
        return self._data.tolist()

    # --------------------------------------------------------------------------- elementwise functions
    def exp(self) -> Tensor:
        return _ew.Exp.apply(self)

    def log(self) -> Tensor:
        return _ew.Log.apply(self)

    def sqrt(self) -> Tensor:
        return _ew.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return _ew.Abs.apply(self)

    def sigmoid(self) -> Tensor:
        return _ew.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return _ew.Relu.apply(self)

    def tanh(self) -> Tensor:
        return _ew.Tanh.apply(self)

    def maximum(self, other: Any) -> Tensor:
        return _ew.Maximum.apply(self, _lift(other, self))

    def minimum(self, other: Any) -> Tensor:
        return _ew.Minimum.apply(self, _lift(other, self))

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        return _ew.Clip.apply(self, min=min, max=max)

    # ------------------------------------------------------------------------------------ reductions
    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        from .ops import reduce

        return reduce.sum(self, axis, keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        from .ops import reduce

        return reduce.mean(self, axis, keepdims)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        from .ops import reduce

        return reduce.max(self, axis, keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        from .ops import reduce

        return reduce.min(self, axis, keepdims)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Indices of the maxima (int64 data, no gradient)."""
        return Tensor._make(np.argmax(self._data, axis=axis, keepdims=keepdims), None)

    def softmax(self, axis: int = -1) -> Tensor:
        from .ops import reduce

        return reduce.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        from .ops import reduce

        return reduce.log_softmax(self, axis)

    # -------------------------------------------------------------------------------------- movement
    def reshape(self, *shape: Any) -> Tensor:
        from .ops import movement

        return movement.reshape(self, *shape)

    def transpose(self, *axes: Any) -> Tensor:
        from .ops import movement

        return movement.transpose(self, *axes)

    def permute(self, *axes: Any) -> Tensor:
        from .ops import movement

        return movement.permute(self, *axes)

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def flatten(self, start_axis: int = 0, end_axis: int = -1) -> Tensor:
        from .ops import movement

        return movement.flatten(self, start_axis, end_axis)

    def __getitem__(self, index: Any) -> Tensor:
        from .ops import movement

        return movement.getitem(self, index)

    def pad(self, pad_width: Any, value: float = 0.0) -> Tensor:
        from .ops import movement

        return movement.pad(self, pad_width, value)


class _HookHandle:
    def __init__(self, hooks: list[Hook], hook: Hook) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _lift(value: Any, like: Tensor) -> Any:
    """The other operand of a binary op: a Tensor, or a number kept as a Python number.

    Numbers (Python's and numpy's scalars) stay numbers, PyTorch's "weak" scalars: they take part in type
    promotion only by their kind (``float32_tensor * 2.5`` is float32, ``int_tensor * 2.5`` is a float), and
    they are not rounded to the tensor's dtype before a float16 op (see ``ops/promotion.py``). Arrays and
    lists become tensors (strong operands).
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    if isinstance(value, (np.ndarray, list, tuple)):
        return Tensor(value)
    raise TypeError(
        f"unsupported operand: expected a Tensor, a number or an array, got {type(value).__name__} {_short(value)}"
    )


def _raw(value: Any) -> Any:
    """The data of a comparison's other operand: a Tensor's array, a number or array as given."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.generic):
        return value.item()
    return value


def _comparable(value: Any) -> bool:
    """Whether ``==``/``!=`` compare element-wise with ``value`` (else Python falls back to identity)."""
    return isinstance(value, (Tensor, bool, int, float, np.generic, np.ndarray, list, tuple))


# ------------------------------------------------------------------------------------- the graph walk
def _topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor that ``root`` depends on through the recorded graph, each after all its consumers.

    Iterative depth-first search (no recursion limit: a chain of 100,000 ops is fine).
    """
    post_order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            post_order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if node._ctx is not None:
            for parent in node._ctx.parents:
                if parent is not None and parent._requires_grad and id(parent) not in seen:
                    stack.append((parent, False))
    post_order.reverse()
    return post_order


def _run_backward(root: Tensor, seed: np.ndarray, retain_graph: bool) -> None:
    """Chain rule over the graph: each node's gradient is complete before it is passed to its inputs."""
    order = _topological_order(root)
    pending: dict[int, np.ndarray] = {id(root): seed}
    del seed
    for node in order:
        grad = pending.pop(id(node), None)
        if grad is None:  # no path from root reaches this node's gradient (e.g. an unused output)
            continue
        for hook in node._hooks:
            grad = _run_hook(hook, grad)
        ctx = node._ctx
        if ctx is None:  # a leaf: nothing reads its gradient after this, so a private array need not be copied
            private = grad.base is None and _references(grad) <= _PRIVATE_REFERENCES
            node._accumulate(grad, owned=private)
        else:
            if node._retains_grad:  # copied: the same array goes on into this node's backward
                node._accumulate(grad)
            _send_to_inputs(ctx, grad, pending)
            if not retain_graph:
                ctx.free()


def _references(array: np.ndarray) -> int:
    return sys.getrefcount(array) if hasattr(sys, "getrefcount") else 1 << 30


def _private_references() -> int:
    """How many references ``_references`` sees to an array held by one local name only (CPython: 3)."""
    grad = np.empty(0)
    return _references(grad)


# A leaf may keep a gradient array as ``.grad`` without a copy only if nothing but the graph walk can see
# it: it owns its memory (not a view) and no one else references it (not the caller's seed, a hook's
# result, a saved array, or another input's pending gradient: Add hands one array to both inputs).
# The count is measured once with the same calling pattern as in ``_run_backward``, so it holds on any
# interpreter version; where reference counts do not exist, every gradient is copied.
_PRIVATE_REFERENCES = _private_references()


def _run_hook(hook: Hook, grad: np.ndarray) -> np.ndarray:
    replaced = hook(grad)
    if replaced is None:
        return grad
    replaced = np.asarray(replaced)
    if replaced.shape != grad.shape:
        raise ValueError(f"hook {hook!r} returned a gradient of shape {replaced.shape}, expected {grad.shape}")
    return replaced


def _send_to_inputs(ctx: Context, grad: np.ndarray, pending: dict[int, np.ndarray]) -> None:
    """One node's backward: its gradient times its local derivatives, added to each input's pending gradient."""
    if ctx.freed:
        raise RuntimeError(_freed_message(ctx.function))
    for parent, parent_grad in zip(ctx.parents, _as_tuple(ctx.function.backward(ctx, grad), ctx)):
        if parent is None or parent_grad is None or not parent._requires_grad:
            continue
        if not isinstance(parent_grad, np.ndarray):
            parent_grad = np.asarray(parent_grad, dtype=parent.dtype)
        elif parent_grad.dtype != parent.dtype:  # e.g. float64 gradient of a float32 input
            parent_grad = parent_grad.astype(parent.dtype)
        if parent_grad.shape != parent.shape:
            raise RuntimeError(
                f"{ctx.function.__name__}.backward returned a gradient of shape {parent_grad.shape} "
                f"for an input of shape {parent.shape}"
            )
        key = id(parent)
        pending[key] = pending[key] + parent_grad if key in pending else parent_grad


def _as_tuple(grads: Any, ctx: Context) -> Iterable[Any]:
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != len(ctx.parents):
        raise RuntimeError(
            f"{ctx.function.__name__}.backward returned {len(grads)} gradients, expected one per "
            f"positional forward argument ({len(ctx.parents)})"
        )
    return grads


# The ops build on Function and are imported last: their modules need only ``function`` at import time.
from .ops import elementwise as _ew  # noqa: E402


# ---- Tensor methods for the ops added in issue 8/10 (the ops helper's block; the class above is untouched) ----
# The reductions and softmaxes are the module functions themselves, which accept PyTorch's ``dim=``/``keepdim=``
# beside numpy's ``axis=``/``keepdims=`` (giving both names is a TypeError).
from .ops import activation as _activation  # noqa: E402
from .ops import movement as _movement  # noqa: E402
from .ops import reduce as _reduce  # noqa: E402
from .ops import shape as _shape  # noqa: E402


def _arg_extreme(name: str) -> Callable[..., Tensor]:
    def method(self: Tensor, axis: Any = _reduce._UNSET, keepdims: Any = _reduce._UNSET, *, dim: Any = _reduce._UNSET,
               keepdim: Any = _reduce._UNSET) -> Tensor:
        chosen = _reduce.pick_axis(axis, dim, name)
        keep = _reduce.pick_keepdims(keepdims, keepdim, name)
        if chosen is not None:
            chosen = _reduce.normalize_axis(chosen, self.ndim, name)
        function = np.argmax if name == "argmax" else np.argmin
        return Tensor._make(np.asarray(function(self._data, axis=chosen, keepdims=keep)), None)

    method.__name__ = name
    method.__doc__ = f"Indices of the {name[3:]}ima (int64 data, no gradient); ``axis`` or ``dim``."
    return method


def _clamp(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """``clip`` under PyTorch's name: ``min ≤ x ≤ max`` elementwise, gradient 1 on the closed interval."""
    return _ew.Clip.apply(self, min=min, max=max)


def _where_method(self: Tensor, condition: Any, other: Any) -> Tensor:
    """``self`` where ``condition``, else ``other`` (PyTorch's ``Tensor.where``)."""
    return _activation.where(condition, self, other)


Tensor.sum = _reduce.sum  # type: ignore[method-assign]
Tensor.mean = _reduce.mean  # type: ignore[method-assign]
Tensor.max = _reduce.max  # type: ignore[method-assign]
Tensor.min = _reduce.min  # type: ignore[method-assign]
Tensor.argmax = _arg_extreme("argmax")  # type: ignore[method-assign]
Tensor.argmin = _arg_extreme("argmin")  # type: ignore[attr-defined]
Tensor.softmax = _reduce.softmax  # type: ignore[method-assign]
Tensor.log_softmax = _reduce.log_softmax  # type: ignore[method-assign]
Tensor.flatten = _movement.flatten  # type: ignore[method-assign]
Tensor.unsqueeze = _shape.unsqueeze  # type: ignore[attr-defined]
Tensor.squeeze = _shape.squeeze  # type: ignore[attr-defined]
Tensor.view = _shape.view  # type: ignore[attr-defined]
Tensor.expand = _shape.expand  # type: ignore[attr-defined]
Tensor.clamp = _clamp  # type: ignore[attr-defined]
Tensor.where = _where_method  # type: ignore[attr-defined]
Tensor.leaky_relu = _activation.leaky_relu  # type: ignore[attr-defined]
Tensor.gelu = _activation.gelu  # type: ignore[attr-defined]


# numpy on a Tensor, one documented behaviour (as PyTorch): ``np.asarray(t)`` gives the data of a tensor that does
# not require grad and raises for one that does (its gradient would be lost silently); numpy's arithmetic and
# comparison ufuncs with a Tensor operand (``array * t``, ``np.add(t, 1)``) run the Tensor op and record it; every
# other ufunc (``np.exp(t)``) raises a TypeError naming the Tensor method to use.
_UFUNC_METHODS = {
    np.add: ("__add__", "__radd__"), np.subtract: ("__sub__", "__rsub__"), np.multiply: ("__mul__", "__rmul__"),
    np.true_divide: ("__truediv__", "__rtruediv__"), np.power: ("__pow__", "__rpow__"),
    np.matmul: ("__matmul__", "__rmatmul__"), np.less: ("__lt__", "__gt__"), np.less_equal: ("__le__", "__ge__"),
    np.greater: ("__gt__", "__lt__"), np.greater_equal: ("__ge__", "__le__"), np.equal: ("__eq__", "__eq__"),
    np.not_equal: ("__ne__", "__ne__"), np.maximum: ("maximum", "maximum"), np.minimum: ("minimum", "minimum"),
}
_UNARY_UFUNCS = {np.negative: "-t", np.exp: "t.exp()", np.log: "t.log()", np.sqrt: "t.sqrt()", np.abs: "t.abs()",
                 np.tanh: "t.tanh()", np.absolute: "t.abs()"}


def _array_ufunc(self: Tensor, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    if method == "__call__" and not kwargs and len(inputs) == 2 and ufunc in _UFUNC_METHODS:
        forward, reflected = _UFUNC_METHODS[ufunc]
        first, second = inputs
        if isinstance(first, Tensor):
            return getattr(first, forward)(second)
        return getattr(second, reflected)(first)
    if method == "__call__" and len(inputs) == 1 and ufunc in _UNARY_UFUNCS:
        hint = f"use {_UNARY_UFUNCS[ufunc]}"
    else:
        hint = "use the Tensor method of the same name, or apply numpy to t.detach().numpy() (no gradient)"
    raise TypeError(f"numpy's {ufunc.__name__} does not record gradients on a Tensor: {hint}")


def _array(self: Tensor, dtype: Any = None, copy: Any = None) -> np.ndarray:
    if self._requires_grad:
        raise TypeError(
            "np.asarray()/np.array() of a tensor that requires grad would lose its gradient silently: "
            "use t.detach().numpy() (or t.data)"
        )
    data = self._data if dtype is None else self._data.astype(dtype, copy=False)
    return data.copy() if copy else data


Tensor.__array_ufunc__ = _array_ufunc  # type: ignore[attr-defined]
Tensor.__array__ = _array  # type: ignore[attr-defined]

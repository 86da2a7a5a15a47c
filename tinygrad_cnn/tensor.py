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

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import memory, numpy_interop
from .autograd import HookHandle, backward
from .function import Context

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


def _in_place(name: str, ufunc: np.ufunc, doc: str | None = None) -> Callable[..., Any]:
    def method(self: Tensor, other: Any, alpha: float = 1) -> Tensor:
        operand = other if alpha == 1 else _raw(other) * alpha
        return memory.write_in_place(self, name, ufunc, operand, other)

    method.__name__, method.__doc__ = name, doc
    return method


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation (PyTorch-shaped).

    Parameters
    ----------
    data : number, nested list, numpy array or Tensor
        Python numbers and lists become float64; numpy arrays keep their dtype and are copied (as by
        ``torch.tensor``; ``Tensor._wrap``/``from_numpy`` share instead). Integer and bool arrays are
        data (indices, masks, targets) that cannot require grad.
    requires_grad : bool
        Whether ``backward`` should compute a gradient for this tensor (float dtypes only).
    dtype : numpy dtype, optional
        Cast the data to this dtype.

    Its array is read-only (``t.data[0] = 1`` raises), so values saved for backward never change behind
    the graph's back: update with the in-place methods (``p -= lr * p.grad``, ``p.copy_(a)``, under
    ``no_grad()`` for a parameter) or give new data (``t.data = array``). See ``memory.py``.

    >>> Tensor([1, 2, 3])
    Tensor([1., 2., 3.])
    >>> Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    Tensor([0., 0.], dtype=float32, requires_grad=True)
    """

    __slots__ = ("__weakref__", "_ctx", "_data", "_grad", "_hooks", "_requires_grad", "_retains_grad")
    __array_priority__ = 1000  # numpy scalars/arrays on the left defer to Tensor's reflected operators

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self._data = memory.own(_to_array(data, dtype), data)
        self._grad: np.ndarray | None = None
        self._ctx: Context | None = None
        self._retains_grad = False
        self._hooks: list[Hook] | tuple[()] = ()  # a list once a hook is registered
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _make(cls, data: np.ndarray, ctx: Context | None) -> Tensor:
        """The result of an op: wraps ``data`` without checks and makes it read-only (the engine owns it).

        ``ctx`` is set when the graph is recorded. For an array the user keeps writing to, use ``_wrap``.
        """
        data.setflags(write=False)
        out = cls.__new__(cls)
        out._data = data
        out._grad = None
        out._ctx = ctx
        out._retains_grad = False
        out._hooks = ()
        out._requires_grad = ctx is not None
        return out

    @classmethod
    def _wrap(cls, data: np.ndarray) -> Tensor:
        """A leaf sharing ``data`` as it is (not copied, not made read-only): what ``from_numpy`` returns.

        Saved for backward, such an array is fingerprinted instead (the user may write to it).
        """
        return cls._make(data.view(), None)  # the view is read-only; ``data`` and its memory stay writeable

    # ----------------------------------------------------------------------------------------- data
    @property
    def data(self) -> np.ndarray:
        """The numpy array (read-only). ``t.data = array`` shares ``array`` as PyTorch does (the graph keeps
        the old values); a writeable one stays the caller's to write, and is fingerprinted when saved."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        array = _to_array(value, None, "data")
        if self._requires_grad and array.dtype.kind != "f":
            raise TypeError(f"Tensor.data: a tensor that requires grad needs float data, got dtype {array.dtype}")
        if not memory.is_frozen(array) and memory.fresh(array, value):
            array.setflags(write=False)  # converted from a list or another dtype: nobody else holds it
        self._data = array  # shared, as in PyTorch: a writeable array stays the caller's (fingerprinted when saved)

    @property
    def grad(self) -> Any:
        """The gradient accumulated by ``backward`` (a numpy array of this tensor's shape and dtype), or None;
        after ``backward(create_graph=True)`` a Tensor that is part of the graph."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is None:
            self._grad = None
            return
        if isinstance(value, Tensor):
            value = np.array(value._data)  # a writeable copy, as gradients are
        if not isinstance(value, np.ndarray):
            raise TypeError(f"Tensor.grad: expected a numpy array or None, got {type(value).__name__}")
        if value.shape != self._data.shape:
            raise ValueError(f"Tensor.grad: assigned an array of shape {value.shape} to a tensor of shape {self.shape}")
        if value.dtype != self._data.dtype:
            raise TypeError(f"Tensor.grad: assigned an array of dtype {value.dtype} to a tensor of dtype {self.dtype}")
        self._grad = value

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

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return this tensor (PyTorch's spelling)."""
        self.requires_grad = requires_grad
        return self

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

    # ``size()``/``size(dim)``, ``numel()``, ``dim()`` and the casts are methods attached by ``ops/methods.py``.

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Iterator[Tensor]:
        """The sub-tensors along the first axis (each a differentiable ``self[i]``), as in PyTorch."""
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shared, not copied, read-only)."""
        return self._data

    # numpy interop, one documented behaviour (``numpy_interop.py``): np.asarray(t) gives the read-only
    # data unless t requires grad; numpy's operators run the Tensor's; other ufuncs raise a TypeError.
    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return numpy_interop.as_array(self, dtype, copy)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return numpy_interop.call_ufunc(ufunc, method, inputs, kwargs)

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item(): only a one-element tensor can be converted, this one has shape {self.shape}")
        return self._data.item()

    def detach(self) -> Tensor:
        """A new leaf sharing the data, cut off from the graph."""
        out = Tensor.__new__(Tensor)
        out._data, out._grad, out._ctx, out._retains_grad, out._hooks, out._requires_grad = (
            self._data, None, None, False, (), False)
        return out

    def astype(self, dtype: Any, copy: bool = True) -> Tensor:
        """This tensor cast to ``dtype``; differentiable between float dtypes. ``copy=False``: this tensor
        itself when it already has that dtype (numpy's meaning)."""
        if not copy and np.dtype(dtype) == self._data.dtype:
            return self
        try:
            target = np.dtype(dtype) if dtype is not None else None  # np.dtype(None) would be float64
        except TypeError:
            target = None
        if target is None or target.kind not in "fiub":
            raise TypeError(f"astype: dtype must be a real numpy dtype such as np.float32, got {dtype!r}")
        if target.kind == "f":
            return _ew.Cast.apply(self, dtype=target)
        return Tensor._make(self._data.astype(target), None)

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

    def register_hook(self, hook: Hook) -> HookHandle:
        """Call ``hook(grad)`` whenever the gradient of this tensor is computed.

        The hook gets its own copy of the gradient (a numpy array) and may return a replacement (an
        array or a Tensor of the same shape and dtype), edit it in place, or return None. Either way
        only this tensor's gradient changes. Returns a handle whose ``remove()`` unregisters it.
        """
        if not callable(hook):
            raise TypeError(f"register_hook(): hook must be callable, got {type(hook).__name__}")
        if not self._requires_grad:
            raise ValueError("register_hook(): this tensor does not require grad, so the hook would never run")
        if not self._hooks:
            self._hooks = []
        self._hooks.append(hook)
        return HookHandle(self._hooks, hook)

    def backward(self, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Reverse-mode differentiation: accumulate ∂self/∂leaf into every leaf's ``.grad``.

        ``grad`` is the gradient of some scalar with respect to this tensor (same shape); it may be
        omitted for a one-element tensor, where it is 1. The graph's saved values are freed
        afterwards unless ``retain_graph=True``. ``create_graph=True`` records the walk itself: each
        leaf's ``.grad`` is then a Tensor in the graph, differentiable again (PyTorch's idiom), and
        ``retain_graph`` defaults to True. The walk itself is in ``autograd/``.
        """
        if isinstance(grad, Tensor) and create_graph:
            seed: Any = grad
        else:
            seed = None if grad is None else _to_array(grad, self.dtype, "grad")
        backward(self, seed, retain_graph, create_graph)

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
        return _matmul.matmul(self, _lift(other, self))

    def __rmatmul__(self, other: Any) -> Tensor:
        return _matmul.matmul(_lift(other, self), self)

    # comparisons give bool data tensors (no gradient), handy for masks and accuracy: ``(pred == y).mean()``.
    # ``==`` and ``!=`` are element-wise like the others (as in PyTorch); tensors stay hashable by identity
    # (``__hash__ = object.__hash__`` above). Operands are compared in their promoted dtype (``_compare``).
    def __lt__(self, other: Any) -> Tensor:
        return _compare(np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return _compare(np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _compare(np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _compare(np.greater_equal, self, other)

    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        if not _comparable(other):
            return NotImplemented  # None, strings, …: Python compares identity (False), as PyTorch
        return _compare(np.equal, self, other)

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        if not _comparable(other):
            return NotImplemented
        return _compare(np.not_equal, self, other)

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

    def tolist(self) -> Any:
        """The data as a (nested) list of Python numbers; a 0-d tensor gives one number (as PyTorch)."""
        return self._data.tolist()

    # ------------------------------------------------------------------------------ in-place updates
    # PyTorch's rules. Under no_grad() (an optimizer's step) the tensor's own memory is written: the same
    # Tensor object, the same array, so a model's parameters change. Outside no_grad(), a tensor that
    # requires grad (or an operand that does) cannot be updated in place: a leaf raises as in PyTorch; a
    # non-leaf raises too (PyTorch would record the update in the graph; here, write y = y + x). Every
    # write is logged (``memory.note_write``), so a graph that saved the old values refuses to
    # backward through them (SavedArrayModifiedError) instead of computing a wrong gradient.
    __iadd__ = _in_place("+=", np.add)
    __isub__ = _in_place("-=", np.subtract)
    __imul__ = _in_place("*=", np.multiply)
    __itruediv__ = _in_place("/=", np.true_divide)
    add_ = _in_place("add_", np.add, "``self += alpha * other`` in place (PyTorch's ``add_``).")
    sub_ = _in_place("sub_", np.subtract, "``self -= alpha * other`` in place.")
    mul_ = _in_place("mul_", np.multiply, "``self *= other`` in place.")
    div_ = _in_place("div_", np.true_divide, "``self /= other`` in place.")

    def copy_(self, source: Any) -> Tensor:
        """Overwrite this tensor's values with ``source`` (broadcast to this shape, cast to this dtype)."""
        return memory.write_in_place(self, "copy_", memory.assign, source)

    def fill_(self, value: float) -> Tensor:
        """Set every element to ``value`` in place.

        >>> from tinygrad_cnn import no_grad
        >>> w = Tensor([1.0, 2.0], requires_grad=True)
        >>> with no_grad():
        ...     _ = w.fill_(0.5)
        >>> w
        Tensor([0.5, 0.5], requires_grad=True)
        """
        if isinstance(value, Tensor):
            if value._data.size != 1:
                raise ValueError(f"fill_(): value must be a number or a one-element tensor, got shape {value.shape}")
        elif not isinstance(value, (bool, int, float, np.generic)):
            raise TypeError(f"fill_(): value must be a number, got {type(value).__name__}")
        return memory.write_in_place(self, "fill_", memory.assign, value)

    def zero_(self) -> Tensor:
        """Set every element to 0 in place."""
        return memory.write_in_place(self, "zero_", memory.assign, 0)


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
    return value.data if isinstance(value, Tensor) else value.item() if isinstance(value, np.generic) else value


def _compare(ufunc: np.ufunc, t: Tensor, other: Any) -> Tensor:
    """A comparison as a bool data tensor, in the operands' promoted dtype (PyTorch's category rule)."""
    if not _comparable(other):
        return NotImplemented
    return Tensor._make(_promotion.compare(ufunc, t._data, _raw(other)), None)


def _comparable(value: Any) -> bool:
    """Whether ``==``/``!=`` compare element-wise with ``value`` (else Python falls back to identity)."""
    return isinstance(value, (Tensor, bool, int, float, np.generic, np.ndarray, list, tuple))


# ------------------------------------------------------------------------------------- the ops as methods
# THE ONE EXCEPTION to "imports only go down" (tests/test_imports.py allows exactly this edge): the engine's
# Tensor offers the ops as methods (x.exp(), x.sum(), x @ w), as PyTorch's does, while the ops are built on
# the engine. The ops modules need only ``function`` and ``Tensor`` at import time, so importing them here,
# once ``Tensor`` exists, is safe. ``ops/methods.py`` attaches them, one line per method; the operators
# above call ``_ew`` and ``_matmul`` directly.
from .ops import elementwise as _ew  # noqa: E402
from .ops import matmul as _matmul  # noqa: E402
from .ops import methods as _methods  # noqa: E402, F401  (attaches the op methods to Tensor)
from .ops import promotion as _promotion  # noqa: E402

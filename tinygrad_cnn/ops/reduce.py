"""Reductions over axes (sum, mean, max, min) and the normalisations along one axis (softmax, log_softmax).

A reduction reads every input element of a slice once, so its backward spreads the output gradient
back over the reduced axes: evenly for ``mean``, as is for ``sum``, and only onto the extreme
elements for ``amax``/``amin`` and ``max()``, where tied elements split it evenly (PyTorch's rule);
``max(dim)``/``min(dim)`` return ``(values, indices)`` and send it to the returned index, as PyTorch's.
Softmax and log-softmax subtract the maximum first, so inputs like 1000 do not overflow, and each has
its closed-form backward.

>>> from tinygrad_cnn import Tensor
>>> x = Tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], requires_grad=True)
>>> x.amax(axis=1).sum().backward()
>>> x.grad
array([[0. , 0.5, 0.5],
       [1. , 0. , 0. ]])
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .._checks import is_int as _is_int
from ..function import Context, Function
from ..tensor import Tensor
from .namespace import as_array, namespace
from .numerics import quiet
from .promotion import compute_dtype, float_dtype

AxisArg = int | Sequence[int] | None
_UNSET: Any = object()


# ------------------------------------------------------------------------------------- axis checking
def pick_axis(axis: Any, dim: Any, op: str, default: Any = None, name: str = "axis") -> Any:
    """numpy's ``axis=`` or PyTorch's ``dim=`` (the same argument under two names); both given is a TypeError.

    >>> pick_axis(_UNSET, 1, "sum"), pick_axis(0, _UNSET, "sum")
    (1, 0)
    """
    if axis is not _UNSET and dim is not _UNSET:
        raise TypeError(f"{op}: give {name}= or dim= (the same argument, numpy's and PyTorch's name), not both")
    if dim is not _UNSET:
        return dim
    return default if axis is _UNSET else axis


def pick_keepdims(keepdims: Any, keepdim: Any, op: str) -> bool:
    """numpy's ``keepdims=`` or PyTorch's ``keepdim=``; both given is a TypeError."""
    if keepdims is not _UNSET and keepdim is not _UNSET:
        raise TypeError(f"{op}: give keepdims= or keepdim= (the same argument), not both")
    value = keepdim if keepdim is not _UNSET else (False if keepdims is _UNSET else keepdims)
    return _check_keepdims(value, op)


def normalize_axis(axis: Any, ndim: int, op: str, name: str = "axis") -> int:
    """One axis in ``[-ndim, ndim)`` as a non-negative int; errors name ``op``, ``name``, the value and ``ndim``.

    >>> normalize_axis(-1, 3, "softmax")
    2
    >>> normalize_axis(3, 3, "softmax")
    Traceback (most recent call last):
    ...
    ValueError: softmax: axis 3 is out of range for a tensor with ndim=3 (valid: -3 to 2)
    """
    if not _is_int(axis):
        raise TypeError(f"{op}: {name} must be an int, got {type(axis).__name__} {axis!r} (tensor has ndim={ndim})")
    if not -ndim <= axis < ndim:
        valid = f"valid: {-ndim} to {ndim - 1}" if ndim else "a 0-d tensor has no axes"
        raise ValueError(f"{op}: {name} {axis} is out of range for a tensor with ndim={ndim} ({valid})")
    return int(axis) % ndim


def normalize_axes(axis: AxisArg, ndim: int, op: str) -> tuple[int, ...]:
    """The axes a reduction runs over, sorted and non-negative; ``None`` means all of them.

    >>> normalize_axes(None, 3, "sum"), normalize_axes((-1, 0), 3, "sum")
    ((0, 1, 2), (0, 2))
    >>> normalize_axes((1, -1), 2, "sum")
    Traceback (most recent call last):
    ...
    ValueError: sum: axis (1, -1) names axis 1 twice (tensor has ndim=2)
    """
    if axis is None:
        return tuple(range(ndim))
    if _is_int(axis):
        return (normalize_axis(axis, ndim, op),)
    if not isinstance(axis, (tuple, list)):
        raise TypeError(
            f"{op}: axis must be None, an int or a tuple of ints, got {type(axis).__name__} {axis!r} "
            f"(tensor has ndim={ndim})"
        )
    axes = []
    for entry in axis:
        if not _is_int(entry):
            raise TypeError(
                f"{op}: axis must be None, an int or a tuple of ints, got {tuple(axis)!r} containing "
                f"{type(entry).__name__} {entry!r} (tensor has ndim={ndim})"
            )
        if not -ndim <= entry < ndim:
            raise ValueError(
                f"{op}: axis {tuple(axis)!r} contains {entry}, out of range for a tensor with ndim={ndim} "
                f"(valid: {-ndim} to {ndim - 1})"
            )
        axes.append(int(entry) % ndim)
    if len(set(axes)) != len(axes):
        repeated = next(a for a in axes if axes.count(a) > 1)
        raise ValueError(f"{op}: axis {tuple(axis)!r} names axis {repeated} twice (tensor has ndim={ndim})")
    return tuple(sorted(axes))


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` set to 1: the keepdims shape, to which the gradient broadcasts."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(grad: np.ndarray, in_shape: tuple[int, ...], axes: tuple[int, ...]) -> np.ndarray:
    """The output gradient copied back along the reduced axes: (reduced shape) -> ``in_shape``."""
    kept = grad.reshape(_kept_shape(in_shape, axes))  # keepdims or not, the same elements in the same order
    if isinstance(kept, Tensor):  # a create_graph walk
        return kept.expand(*in_shape)
    return np.broadcast_to(kept, in_shape).copy()  # a writable array, not a stride-0 view


# ------------------------------------------------------------------------------------------- reductions
class Sum(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        ctx.in_shape, ctx.axes = a.shape, axes
        if a.dtype.kind in "iub":  # ints and bools sum to int64, as in PyTorch
            return np.sum(a, axis=axes, keepdims=keepdims, dtype=np.int64)
        # float16 accumulates in float32 (a sum of 1000 values of 100 is 1e5 > float16's max only at the end)
        return np.sum(a, axis=axes, keepdims=keepdims, dtype=compute_dtype(a.dtype)).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None, None]:
        # ∂(Σ_j a_j)/∂a_i = 1: every summed element receives the gradient of its sum
        return _spread(grad, ctx.in_shape, ctx.axes), None, None


class Mean(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        count = int(np.prod([a.shape[i] for i in axes], dtype=np.int64))
        ctx.in_shape, ctx.axes, ctx.count = a.shape, axes, count
        dtype = float_dtype(a.dtype)  # the mean of ints is a float (float64), never truncated
        total = np.sum(a, axis=axes, keepdims=keepdims, dtype=compute_dtype(dtype))
        # the mean of nothing is nan, as numpy/PyTorch
        return np.asarray(total / count if count else total * np.nan).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None, None]:
        # ∂((1/n) Σ_j a_j)/∂a_i = 1/n
        return _spread(grad, ctx.in_shape, ctx.axes) / builtins.max(ctx.count, 1), None, None


def _extreme_forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...], keepdims: bool, name: str) -> np.ndarray:
    """``np.max``/``np.min`` (by ``name``) over ``axes``, saving what the shared backward needs."""
    extreme = (np.max if name == "max" else np.min)(a, axis=axes, keepdims=True)  # (kept shape)
    ctx.save_for_backward(a, extreme)
    ctx.save_constant(extreme)  # backward compares with it only: a mask, constant at second order
    ctx.axes = axes
    return extreme if keepdims else extreme.reshape([n for i, n in enumerate(a.shape) if i not in axes])


def _check_nonempty(shape: tuple[int, ...], axes: tuple[int, ...], name: str) -> tuple[int, ...]:
    empty = [i for i in axes if shape[i] == 0]
    if empty:
        raise ValueError(
            f"{name}: cannot take the {name} over axis {empty[0]} of length 0 (tensor shape {shape}, "
            f"axes {axes}): an empty reduction has no {name}"
        )
    return axes


def _extreme_backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None, None]:
    a, extreme = ctx.saved_tensors
    # ∂max/∂a_i = 1/k for each of the k elements equal to the max (ties split evenly), 0 elsewhere;
    # a nan in the slice is the result, so it takes the gradient
    a, extreme = as_array(a), as_array(extreme)  # the rule needs only where the extremes are: a constant mask
    hit = (a == extreme) | (np.isnan(a) & np.isnan(extreme))  # (in shape)
    ties = np.sum(hit, axis=ctx.axes, keepdims=True, dtype=grad.dtype)  # (kept shape), at least 1, in the float
    # dtype of grad: an int count would be cast inside the division, and the cast copy could not be lifted
    share = grad.reshape(extreme.shape) / ties  # (kept shape)
    return namespace(share).where(hit, share, 0).astype(grad.dtype, copy=False), None, None


class Max(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        return _extreme_forward(ctx, a, axes, keepdims, "max")

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None, None]:
        return _extreme_backward(ctx, grad)  # the gradient goes to the maxima, split among ties


class Min(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        return _extreme_forward(ctx, a, axes, keepdims, "min")

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None, None]:
        return _extreme_backward(ctx, grad)  # the gradient goes to the minima, split among ties


def _check_keepdims(keepdims: Any, op: str) -> bool:
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"{op}: keepdims must be True or False, got {type(keepdims).__name__} {keepdims!r}")
    return bool(keepdims)


def sum(
    t: Tensor, axis: AxisArg = _UNSET, keepdims: bool = _UNSET, *, dim: AxisArg = _UNSET, keepdim: bool = _UNSET
) -> Tensor:
    """Sum over ``axis`` (an int, a tuple of ints, or None for all axes).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0)
    Tensor([4., 6.])
    """
    axes = normalize_axes(pick_axis(axis, dim, "sum"), t.ndim, "sum")
    return Sum.apply(t, axes, pick_keepdims(keepdims, keepdim, "sum"))


def mean(
    t: Tensor, axis: AxisArg = _UNSET, keepdims: bool = _UNSET, *, dim: AxisArg = _UNSET, keepdim: bool = _UNSET
) -> Tensor:
    """Arithmetic mean over ``axis`` (an int, a tuple of ints, or None for all axes).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).mean(axis=1, keepdims=True)
    Tensor([[1.5],
            [3.5]])
    """
    axes = normalize_axes(pick_axis(axis, dim, "mean"), t.ndim, "mean")
    return Mean.apply(t, axes, pick_keepdims(keepdims, keepdim, "mean"))


class ValuesIndices(NamedTuple):
    """What ``max(dim)``/``min(dim)`` return, as PyTorch's ``torch.return_types.max``: ``values, indices``."""

    values: Tensor  # differentiable: the gradient goes to the element at ``indices``
    indices: Tensor  # int64 data, no gradient


class ExtremeAt(Function):
    """The element at ``index`` along ``axis`` (the arg-max/arg-min): ``max(dim)``'s values."""

    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, index: np.ndarray, axis: int, keepdims: bool) -> np.ndarray:
        ctx.in_shape, ctx.axis, ctx.index = a.shape, axis, index  # index: (kept shape), int64
        out = np.take_along_axis(a, index, axis=axis)  # (kept shape)
        return out if keepdims else out.squeeze(axis)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None, None, None]:
        # ∂a_k/∂a_i = [i = k]: the whole gradient goes to the one element that was returned (PyTorch's max(dim))
        return put_along_axis(grad.reshape(ctx.index.shape), ctx.index, ctx.axis, ctx.in_shape), None, None, None


def put_along_axis(values: Any, index: np.ndarray, axis: int, shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with ``values`` put at ``index`` along ``axis``: the adjoint of taking them."""
    if isinstance(values, Tensor):
        return PutAlongAxis.apply(values, index, axis, shape)
    full = np.zeros(shape, dtype=values.dtype)  # (in shape)
    np.put_along_axis(full, index, values, axis=axis)
    return full


class PutAlongAxis(Function):
    """``put_along_axis`` as an op (a create_graph walk of ``ExtremeAt``); its adjoint takes the values back."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, values: np.ndarray, index: np.ndarray, axis: int, shape: tuple[int, ...]) -> np.ndarray:
        ctx.index, ctx.axis = index, axis
        return put_along_axis(values, index, axis, shape)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None, None, None]:
        if isinstance(grad, Tensor):
            return ExtremeAt.apply(grad, ctx.index, ctx.axis, True), None, None, None
        return np.take_along_axis(grad, ctx.index, axis=ctx.axis), None, None, None


def _values_indices(t: Tensor, dim: Any, keepdims: bool, name: str, arg: str = "dim") -> ValuesIndices:
    """``max(dim)``/``min(dim)``: the first extreme (a NaN counts as the extreme) and its index, per slice."""
    ndim = builtins.max(t.ndim, 1)  # a 0-d tensor takes dim 0 or -1, as in PyTorch
    axis = normalize_axis(dim, ndim, name, arg)
    a = t.data if t.ndim else t.data.reshape(1)
    if a.shape[axis] == 0:
        raise ValueError(f"{name}: cannot take the {name} over {arg} {dim} of length 0 (tensor shape {t.shape})")
    # np.argmax/argmin return the first occurrence, and the first NaN if there is one (the NaN is the result)
    index = (np.argmax if name == "max" else np.argmin)(a, axis=axis, keepdims=True).astype(np.int64)
    values = ExtremeAt.apply(t if t.ndim else t.reshape(1), index, axis, keepdims or not t.ndim)
    indices = index if keepdims else index.squeeze(axis)
    if not t.ndim:
        values, indices = values.reshape(()), indices.reshape(())
    return ValuesIndices(values, Tensor._make(indices, None))


def _extreme(t: Tensor, axis: Any, keepdims: Any, dim: Any, keepdim: Any, name: str) -> Any:
    chosen = pick_axis(axis, dim, name)
    keep = pick_keepdims(keepdims, keepdim, name)
    if chosen is None:
        if keep:
            raise TypeError(f"{name}: keepdim needs a dim; for the {name} of all elements call {name}() without it")
        return (Max if name == "max" else Min).apply(t, _check_nonempty(t.shape, tuple(range(t.ndim)), name), False)
    arg = "axis" if dim is _UNSET else "dim"
    if not _is_int(chosen):
        raise TypeError(
            f"{name}: {arg} must be an int (max(dim) returns (values, indices), as PyTorch), got "
            f"{type(chosen).__name__} {chosen!r} (tensor has ndim={t.ndim}); for several axes use a{name}(axis=...)"
        )
    return _values_indices(t, chosen, keep, name, arg)


def max(
    t: Tensor, axis: int | None = _UNSET, keepdims: bool = _UNSET, *, dim: int | None = _UNSET,
    keepdim: bool = _UNSET,
) -> Tensor | ValuesIndices:
    """The largest element; with ``dim`` (or ``axis``) a named tuple ``(values, indices)`` per slice, as PyTorch.

    Gradients follow PyTorch: ``max()`` of all elements splits it evenly among tied maxima; ``max(dim)``
    sends it to the one element at ``indices`` (the first maximum; the first NaN if the slice has one).
    ``amax`` reduces over one or several axes without indices and splits ties evenly.

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], requires_grad=True)
    >>> values, indices = x.max(dim=1)
    >>> values, indices
    (Tensor([3., 2.], grad_fn=ExtremeAt), Tensor([1, 0], dtype=int64))
    >>> values.sum().backward()
    >>> x.grad
    array([[0., 1., 0.],
           [1., 0., 0.]])
    >>> Tensor([1.0, 3.0]).max()
    Tensor(3.)
    """
    return _extreme(t, axis, keepdims, dim, keepdim, "max")


def min(
    t: Tensor, axis: int | None = _UNSET, keepdims: bool = _UNSET, *, dim: int | None = _UNSET,
    keepdim: bool = _UNSET,
) -> Tensor | ValuesIndices:
    """The smallest element; with ``dim`` a named tuple ``(values, indices)`` (see ``max``).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([[4.0, 1.0], [0.0, 2.0]]).min(dim=-1).indices
    Tensor([1, 0], dtype=int64)
    """
    return _extreme(t, axis, keepdims, dim, keepdim, "min")


def amax(
    t: Tensor, axis: AxisArg = _UNSET, keepdims: bool = _UNSET, *, dim: AxisArg = _UNSET, keepdim: bool = _UNSET
) -> Tensor:
    """Largest element over ``axis`` (an int, a tuple, or None for all); tied maxima share the gradient evenly.

    PyTorch's ``amax`` (whose gradient at a NaN is NaN; here the NaN, being the result, takes the gradient).

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
    >>> x.amax().backward()
    >>> x.grad
    array([0. , 0.5, 0.5])
    """
    axes = _check_nonempty(t.shape, normalize_axes(pick_axis(axis, dim, "amax"), t.ndim, "amax"), "amax")
    return Max.apply(t, axes, pick_keepdims(keepdims, keepdim, "amax"))


def amin(
    t: Tensor, axis: AxisArg = _UNSET, keepdims: bool = _UNSET, *, dim: AxisArg = _UNSET, keepdim: bool = _UNSET
) -> Tensor:
    """Smallest element over ``axis``; tied minima share the gradient evenly (see ``amax``).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([[4.0, 1.0], [0.0, 2.0]]).amin(axis=-1)
    Tensor([1., 0.])
    """
    axes = _check_nonempty(t.shape, normalize_axes(pick_axis(axis, dim, "amin"), t.ndim, "amin"), "amin")
    return Min.apply(t, axes, pick_keepdims(keepdims, keepdim, "amin"))


# --------------------------------------------------------------------------------- softmax, log_softmax
def _shifted(a: np.ndarray, axis: int) -> np.ndarray:
    """``a − max(a)`` along ``axis``: softmax is unchanged, and every exponent is ≤ 0, so e^· cannot overflow."""
    if a.shape[axis] == 0:
        return a
    return a - np.max(a, axis=axis, keepdims=True)


class Softmax(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray, axis: int) -> np.ndarray:
        dtype = float_dtype(a.dtype)
        a = a.astype(compute_dtype(dtype), copy=False)  # ints -> float64, float16 computed in float32
        e = np.exp(_shifted(a, axis))  # (shape of a), each in (0, 1]
        s = e / np.sum(e, axis=axis, keepdims=True)  # s_i = e^{a_i} / Σ_j e^{a_j}
        ctx.save_for_backward(s)
        ctx.axis = axis
        return s.astype(dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        (s,) = ctx.saved_tensors
        g = grad.astype(s.dtype, copy=False)
        # ∂s_j/∂a_i = s_j (δ_ij − s_i), so (∂L/∂a)_i = s_i (g_i − Σ_j g_j s_j)
        return s * (g - (g * s).sum(axis=ctx.axis, keepdims=True)), None


class LogSoftmax(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray, axis: int) -> np.ndarray:
        dtype = float_dtype(a.dtype)
        a = a.astype(compute_dtype(dtype), copy=False)  # ints -> float64, float16 computed in float32
        shifted = _shifted(a, axis)  # (shape of a), max 0 along axis
        out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))  # a_i − log Σ_j e^{a_j}
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out.astype(dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        (out,) = ctx.saved_tensors
        g = grad.astype(out.dtype, copy=False)
        # ∂(log s_j)/∂a_i = δ_ij − s_i, so (∂L/∂a)_i = g_i − s_i Σ_j g_j, with s = e^out ≤ 1 (no overflow)
        return g - namespace(out).exp(out) * g.sum(axis=ctx.axis, keepdims=True), None


def softmax(t: Tensor, axis: int = _UNSET, *, dim: int = _UNSET) -> Tensor:
    """``e^{x_i} / Σ_j e^{x_j}`` along ``axis``, computed without overflow.

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([1000.0, 1000.0]).softmax()
    Tensor([0.5, 0.5])
    """
    return Softmax.apply(t, normalize_axis(pick_axis(axis, dim, "softmax", default=-1), t.ndim, "softmax"))


def log_softmax(t: Tensor, axis: int = _UNSET, *, dim: int = _UNSET) -> Tensor:
    """``x_i − log Σ_j e^{x_j}`` along ``axis``: finite even where softmax underflows to 0.

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([0.0, -1000.0]).log_softmax()
    Tensor([    0., -1000.])
    """
    return LogSoftmax.apply(t, normalize_axis(pick_axis(axis, dim, "log_softmax", default=-1), t.ndim, "log_softmax"))

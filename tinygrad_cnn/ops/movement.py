"""Movement ops: they move, select or copy elements without arithmetic, so their backward moves the
gradient back to where each element came from.

- ``reshape``/``flatten``: the gradient is reshaped back;
- ``transpose``/``permute``: the gradient is permuted by the inverse permutation;
- ``getitem``: the gradient is scattered back into zeros; an element picked several times
  (``x[[0, 0, 1]]``) collects the sum of its gradients (``np.add.at``);
- ``pad``: the gradient of the border is dropped, the interior is sliced out;
- ``concatenate``/``stack``: the gradient is split into one piece per input.

>>> from tinygrad_cnn import Tensor
>>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> x[[0, 0, 2]].sum().backward()
>>> x.grad
array([2., 0., 1.])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._checks import is_int as _is_int
from ..function import Context, Function
from ..memory import write_in_place
from ..tensor import Tensor
from .namespace import namespace
from .promotion import result_type
from .reduce import _UNSET, normalize_axis, pick_axis

Shape = tuple[int, ...]


def _varargs(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` (or a list) both mean the entries ``(2, 3)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return args


# -------------------------------------------------------------------------------- reshape and flatten
def _resolve_shape(shape: tuple[Any, ...], in_shape: Shape, op: str) -> Shape:
    """``shape`` with its one ``-1`` filled in, checked to hold exactly as many elements as ``in_shape``."""
    size = math.prod(in_shape)
    for n in shape:
        if not _is_int(n):
            raise TypeError(f"{op}: shape entries must be ints, got {shape!r} containing {type(n).__name__} {n!r}")
        if n < -1:
            raise ValueError(f"{op}: shape {shape!r} has a negative size {n} (only one -1, to be inferred, is allowed)")
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1:
        raise ValueError(f"{op}: shape {shape!r} has {len(unknown)} entries -1, at most one can be inferred")
    known = math.prod(int(n) for n in shape if n != -1)
    if unknown:
        if known == 0 or size % known:
            raise ValueError(
                f"{op}: cannot reshape a tensor of shape {in_shape} (size {size}) into {shape!r}: "
                f"the known sizes multiply to {known}, which does not divide {size}"
            )
        return tuple(size // known if n == -1 else int(n) for n in shape)
    if known != size:
        raise ValueError(
            f"{op}: cannot reshape a tensor of shape {in_shape} (size {size}) into shape {shape!r} (size {known})"
        )
    return tuple(int(n) for n in shape)


class Reshape(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, shape: Shape) -> np.ndarray:
        ctx.in_shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        return grad.reshape(ctx.in_shape), None  # the same elements in the same order: reshape back


def reshape(t: Tensor, *shape: Any) -> Tensor:
    """The same elements in row-major order, in a new ``shape`` (a tuple or varargs; one -1 is inferred).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, -1)
    Tensor([[1., 2.],
            [3., 4.]])
    """
    return Reshape.apply(t, _resolve_shape(_varargs(shape), t.shape, "reshape"))


def flatten(
    t: Tensor, start_axis: int = _UNSET, end_axis: int = _UNSET, *, start_dim: int = _UNSET, end_dim: int = _UNSET
) -> Tensor:
    """Merge the axes ``start_axis`` to ``end_axis`` (both included) into one, like ``torch.flatten``.

    A 0-d tensor becomes a 1-element vector. PyTorch's names ``start_dim``/``end_dim`` are accepted too.

    >>> from tinygrad_cnn import Tensor
    >>> Tensor(np.zeros((2, 3, 4))).flatten(1).shape
    (2, 12)
    """
    start_axis = pick_axis(start_axis, start_dim, "flatten", default=0, name="start_axis")
    end_axis = pick_axis(end_axis, end_dim, "flatten", default=-1, name="end_axis")
    ndim = max(t.ndim, 1)  # a 0-d tensor flattens as if it had one axis of length 1
    shape = t.shape if t.ndim else (1,)
    start = normalize_axis(start_axis, ndim, "flatten", "start_axis")
    end = normalize_axis(end_axis, ndim, "flatten", "end_axis")
    if start > end:
        raise ValueError(
            f"flatten: start_axis ({start_axis}) must not come after end_axis ({end_axis}) "
            f"for a tensor with ndim={ndim}"
        )
    merged = math.prod(shape[start : end + 1])
    return Reshape.apply(t, shape[:start] + (merged,) + shape[end + 1 :])


# -------------------------------------------------------------------------------- transpose and permute
class Permute(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axes: Shape) -> np.ndarray:
        ctx.axes = axes
        return np.transpose(a, axes)  # out axis k is input axis axes[k]

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        inverse = np.argsort(ctx.axes)  # the inverse permutation puts each axis back
        return namespace(grad).transpose(grad, inverse), None


def _check_permutation(axes: tuple[Any, ...], ndim: int, op: str) -> Shape:
    for a in axes:
        if not _is_int(a):
            raise TypeError(f"{op}: axes must be ints, got {axes!r} containing {type(a).__name__} {a!r}")
    normalized = tuple(int(a) % ndim if -ndim <= a < ndim else None for a in axes) if ndim else tuple(axes)
    if len(axes) != ndim or None in normalized or sorted(normalized) != list(range(ndim)):
        raise ValueError(
            f"{op}: axes must be a permutation of the tensor's {ndim} axes (each of 0..{ndim - 1} once, "
            f"negative allowed), got {axes!r}"
        )
    return normalized


def transpose(t: Tensor, *axes: Any) -> Tensor:
    """Reorder axes: no ``axes`` reverses them all (``.T``); two axes are swapped (PyTorch's
    ``transpose(dim0, dim1)``); otherwise ``axes`` is a full permutation (numpy's form).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor(np.zeros((2, 3, 4))).transpose().shape
    (4, 3, 2)
    >>> Tensor(np.zeros((2, 3, 4))).transpose(0, 2).shape
    (4, 3, 2)
    >>> Tensor(np.zeros((2, 3, 4))).transpose(1, 2, 0).shape
    (3, 4, 2)
    """
    axes = _varargs(axes)
    if not axes:
        return Permute.apply(t, tuple(reversed(range(t.ndim))))
    if len(axes) == 2:
        first, second = (normalize_axis(a, t.ndim, "transpose", "axes") for a in axes)
        order = list(range(t.ndim))
        order[first], order[second] = order[second], order[first]
        return Permute.apply(t, tuple(order))
    return Permute.apply(t, _check_permutation(axes, t.ndim, "transpose"))


def permute(t: Tensor, *axes: Any) -> Tensor:
    """Reorder the axes: output axis k is input axis ``axes[k]`` (a tuple or varargs, negative allowed).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor(np.zeros((2, 3, 4))).permute(0, 2, 1).shape
    (2, 4, 3)
    """
    return Permute.apply(t, _check_permutation(_varargs(axes), t.ndim, "permute"))


# ------------------------------------------------------------------------------------------ indexing
def _index_part(part: Any) -> Any:
    """One component of an index, with Tensors and lists turned into (copied) integer or bool arrays.

    A 0-d integer array or Tensor is an int (PyTorch selects with it, it is not an index array).
    """
    if part is None or part is Ellipsis or isinstance(part, (slice, bool, np.bool_)) or _is_int(part):
        return part
    if isinstance(part, Tensor):
        part = part.data
    if isinstance(part, (list, tuple, np.ndarray)):
        array = np.array(part)  # a copy: changing the caller's index later cannot change the backward
        if array.size == 0 and array.dtype.kind == "f":  # [] selects nothing, as in numpy
            array = array.astype(np.intp)
        if array.dtype.kind not in "iub":
            raise TypeError(
                f"getitem: index arrays must hold integers or bools, got an array of dtype {array.dtype}"
            )
        if array.ndim == 0 and array.dtype.kind in "iu":
            return int(array)
        return array
    raise TypeError(
        f"getitem: index must be made of ints, slices, None, Ellipsis, integer/bool arrays or Tensors, "
        f"got {type(part).__name__} {part!r}"
    )


def _is_array(part: Any) -> bool:
    return isinstance(part, np.ndarray)


def _consumed(part: Any) -> int:
    """How many axes of the indexed array ``part`` uses up (a bool mask: one per axis it covers)."""
    if part is None or part is Ellipsis or isinstance(part, (bool, np.bool_)):
        return 0
    if _is_array(part) and part.dtype.kind == "b":
        return part.ndim
    return 1


def _torch_order(parts: tuple[Any, ...], ndim: int) -> tuple[Any, ...]:
    """The index in PyTorch's order: ints select first, then index arrays follow numpy's rule among themselves.

    numpy counts an int as an index array, so ``x[:, [0, 1], :, 0]`` (an int and an array apart) moves the
    indexed axis to the front, where PyTorch keeps it in place. With both ints and arrays, the index runs as
    two steps: ``(first, second)``, where ``first`` (basic: ints, slices, None) gives a view and ``second``
    (slices and the arrays) picks from it. Otherwise it is the index itself (one step, numpy's = PyTorch's).
    """
    if not (any(_is_int(p) for p in parts) and any(_is_array(p) for p in parts)):
        return parts
    if sum(p is Ellipsis for p in parts) > 1:
        return parts  # numpy's error for several Ellipses
    used = sum(_consumed(p) for p in parts)
    expanded: list[Any] = []
    for p in parts:
        expanded.extend([slice(None)] * max(ndim - used, 0) if p is Ellipsis else [p])
    first = tuple(s for p in expanded if not isinstance(p, (bool, np.bool_))
                  for s in ([slice(None)] * _consumed(p) if _is_array(p) else [p]))
    second = tuple(p for p in expanded if not _is_int(p) for p in ([slice(None)] if p is None else [p]))
    second = tuple(slice(None) if isinstance(p, slice) else p for p in second)
    return (_TwoSteps(first, second),)


class _TwoSteps(tuple):
    """An index applied as ``a[first][second]`` (see ``_torch_order``)."""

    def __new__(cls, first: tuple[Any, ...], second: tuple[Any, ...]) -> _TwoSteps:
        return super().__new__(cls, (first, second))


def _normalize_index(index: Any, ndim: int) -> tuple[Any, ...]:
    parts = index if isinstance(index, tuple) else (index,)
    return _torch_order(tuple(_index_part(p) for p in parts), ndim)


def _is_basic(index: tuple[Any, ...]) -> bool:
    """Basic indexing (ints, slices, None, Ellipsis) picks every element at most once, as a view."""
    return all(p is None or p is Ellipsis or isinstance(p, slice) or _is_int(p) for p in index)


def select(a: np.ndarray, index: tuple[Any, ...]) -> np.ndarray:
    """``a[index]`` with an index from ``_normalize_index`` (PyTorch's axis order)."""
    if len(index) == 1 and isinstance(index[0], _TwoSteps):
        first, second = index[0]
        return a[first][second]
    return a[index]


def scatter_add(full: np.ndarray, index: tuple[Any, ...], values: np.ndarray) -> None:
    """``full[index] += values``, an element picked k times collecting all k (the adjoint of ``select``)."""
    if len(index) == 1 and isinstance(index[0], _TwoSteps):
        first, second = index[0]
        full, index = full[first], second  # ``first`` is basic: a view into ``full``
    if _is_basic(index):
        full[index] += values  # each element picked at most once
    else:
        np.add.at(full, index, values)


class GetItem(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, index: tuple[Any, ...]) -> np.ndarray:
        try:
            out = select(a, index)
        except IndexError as error:  # kept an IndexError: `for row in tensor` relies on it
            raise IndexError(f"getitem: index {index!r} does not fit a tensor of shape {a.shape}: {error}") from None
        ctx.in_shape, ctx.index = a.shape, index
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        # elements that were not picked get 0; one picked k times collects the sum of its k gradients
        return picked_into_zeros(grad, ctx.index, ctx.in_shape), None


def picked_into_zeros(grad: Any, index: tuple[Any, ...], shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with ``grad`` added at ``index``: the adjoint of ``select`` (on arrays or Tensors)."""
    if isinstance(grad, Tensor):
        return ScatterAdd.apply(grad, index, shape)
    full = np.zeros(shape, dtype=grad.dtype)
    scatter_add(full, index, grad)
    return full


class ScatterAdd(Function):
    """``picked_into_zeros`` as an op (GetItem's gradient under create_graph); its adjoint is ``select``."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, values: np.ndarray, index: tuple[Any, ...], shape: tuple[int, ...]) -> np.ndarray:
        ctx.index = index
        return picked_into_zeros(values, index, shape)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, None, None]:
        return (GetItem.apply(grad, ctx.index) if isinstance(grad, Tensor) else select(grad, ctx.index)), None, None


def getitem(t: Tensor, index: Any) -> Tensor:
    """Indexing as PyTorch's: ints, slices (negative steps too), None, Ellipsis, integer arrays, bool masks.

    Index arrays may be lists, numpy arrays or integer/bool Tensors. Ints select before index arrays apply
    (PyTorch's rule, where numpy would move the indexed axes to the front: ``x[:, [0, 1], :, 0]``).

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> x[:, ::-1][0]
    Tensor([3., 2., 1.])
    >>> x[x > 3.5]
    Tensor([4., 5., 6.])
    >>> Tensor(np.zeros((3, 4, 5, 6)))[:, [0, 1], :, 0].shape
    (3, 2, 5)
    """
    return GetItem.apply(t, _normalize_index(index, t.ndim))


def setitem(t: Tensor, index: Any, value: Any) -> None:
    """``t[index] = value`` in place (PyTorch's item assignment): under ``no_grad()``, or on a tensor
    that does not require grad; a leaf that requires grad raises outside ``no_grad()``, as in PyTorch.

    ``value`` (a number, an array or a Tensor) is broadcast to the selected shape and cast to ``t``'s dtype.
    The index follows ``getitem``'s rules (PyTorch's axis order). The write is logged like every in-place
    update (``memory.py``), so a graph that saved ``t`` refuses to backward through the old values. A
    failed assignment (bad index, shape) writes nothing.

    >>> from tinygrad_cnn import Tensor, no_grad
    >>> x = Tensor([1.0, 2.0, 3.0, 4.0])
    >>> x[0] = 5
    >>> x[x > 3.5] = Tensor([0.0, 0.0])
    >>> x[::2] += 10
    >>> x
    Tensor([10.,  2., 13.,  0.])
    """
    parts = _normalize_index(index, t.ndim)
    try:
        selected = np.shape(select(t.data, parts))
    except IndexError as error:
        raise IndexError(f"setitem: index {index!r} does not fit a tensor of shape {t.shape}: {error}") from None
    data = getattr(value, "data", value) if isinstance(value, Tensor) else value
    shape = np.shape(data)
    trimmed = shape[len(shape) - len(selected):] if len(shape) > len(selected) else shape
    if len(shape) > len(selected) and any(n != 1 for n in shape[:len(shape) - len(selected)]) or not _fits(
            trimmed, selected):
        raise ValueError(
            f"setitem: a value of shape {shape} cannot be broadcast to the {selected} elements selected by "
            f"{index!r} in a tensor of shape {t.shape}"
        )
    operand = np.reshape(np.asarray(data), trimmed) if len(shape) > len(selected) else data

    def put(target: np.ndarray, source: Any, out: np.ndarray, casting: str) -> None:
        if len(parts) == 1 and isinstance(parts[0], _TwoSteps):
            first, second = parts[0]
            out[first][second] = source  # ``first`` is basic: a view into ``out``
        else:
            out[parts] = source

    write_in_place(t, "setitem", put, operand, value)


def _fits(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Whether an array of ``shape`` broadcasts to exactly ``target``."""
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


# -------------------------------------------------------------------------------------------- padding
def _pad_widths(pad_width: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    """numpy's ``pad_width`` forms (``n``, ``(n,)``, ``(before, after)``, one pair per axis) as one pair per axis."""
    try:
        widths = np.array(pad_width, dtype=object)
    except (TypeError, ValueError):
        widths = None
    if widths is None or widths.ndim > 2 or not all(_is_int(w) for w in widths.flat):
        raise TypeError(
            f"pad: pad_width must be an int, a (before, after) pair or one pair of ints per axis, got {pad_width!r}"
        )
    if widths.size == 0 and ndim == 0:  # one pair per axis, and a 0-d tensor has no axes
        return ()
    if widths.size == 0 or widths.ndim == 2 and widths.shape[1] != 2 or widths.ndim == 1 and len(widths) > 2:
        raise ValueError(
            f"pad: pad_width must be an int, a (before, after) pair or one pair per axis, got {pad_width!r}"
        )
    if widths.ndim == 2 and len(widths) not in (1, ndim):
        raise ValueError(
            f"pad: pad_width gives {len(widths)} (before, after) pairs for a tensor with ndim={ndim}, got {pad_width!r}"
        )
    if any(w < 0 for w in widths.flat):
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    pairs = np.broadcast_to(widths.reshape(-1, 2) if widths.ndim == 2 else widths, (ndim, 2))
    return tuple((int(before), int(after)) for before, after in pairs)


class Pad(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, widths: tuple[tuple[int, int], ...], value: float) -> np.ndarray:
        ctx.interior = tuple(slice(before, before + n) for (before, _), n in zip(widths, a.shape))
        a = a.astype(result_type(a, value), copy=False)  # a float value pads an int tensor as floats, not 0
        if not widths:  # a 0-d tensor: nothing to pad (np.pad rejects an empty pad_width)
            return a.copy()
        return np.pad(a, widths, mode="constant", constant_values=value)  # (n + before + after per axis)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None, None]:
        return grad[ctx.interior], None, None  # the border is a constant: only the interior came from a


def pad(t: Tensor, pad_width: Any, value: float = 0.0) -> Tensor:
    """Constant padding with numpy's ``pad_width`` forms: ``n``, ``(before, after)`` or a pair per axis.

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([[1.0, 2.0]]).pad(((0, 0), (1, 2)))
    Tensor([[0., 1., 2., 0., 0.]])
    """
    if not isinstance(value, (int, float, np.number)) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"pad: value must be a number, got {type(value).__name__} {value!r}")
    return Pad.apply(t, _pad_widths(pad_width, t.ndim), value.item() if isinstance(value, np.generic) else value)


# ------------------------------------------------------------------------------- concatenate and stack
def _as_tensors(tensors: Any, op: str) -> list[Tensor]:
    """The inputs as Tensors of one dtype: mixed dtypes are promoted as PyTorch's ``cat`` does."""
    if isinstance(tensors, (Tensor, np.ndarray)) or not isinstance(tensors, Sequence):
        raise TypeError(
            f"{op}: tensors must be a sequence (list or tuple) of Tensors or arrays, got {type(tensors).__name__}"
        )
    if len(tensors) == 0:
        raise ValueError(f"{op}: tensors must hold at least one tensor, got an empty sequence")
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    dtype = result_type(*[np.empty((1,) * max(t.ndim, 1), t.dtype) for t in ts])  # every input counts as a tensor
    return [t if t.dtype == dtype else t.astype(dtype) for t in ts]


class Concatenate(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, axis: int) -> np.ndarray:
        ctx.axis = axis
        ctx.ends = np.cumsum([a.shape[axis] for a in arrays])[:-1]  # where each input's block ends
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        starts, ends = [0, *ctx.ends], [*ctx.ends, grad.shape[ctx.axis]]
        lead = (slice(None),) * ctx.axis
        return tuple(grad[(*lead, slice(int(s), int(e)))] for s, e in zip(starts, ends))  # each its own block


class Stack(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, axis: int) -> np.ndarray:
        ctx.axis = axis
        return np.stack(arrays, axis=axis)  # n × (shape) -> (shape with n inserted at axis)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        lead = (slice(None),) * ctx.axis
        return tuple(grad[(*lead, k)] for k in range(grad.shape[ctx.axis]))  # slice k is input k's gradient


def concatenate(tensors: Sequence[Tensor | np.ndarray], axis: int = _UNSET, *, dim: int = _UNSET) -> Tensor:
    """Join tensors end to end along an existing ``axis`` (or ``dim``); all other axes must agree.

    ``cat`` is the same function under PyTorch's name. Mixed dtypes are promoted (int and float32 give float32).

    >>> from tinygrad_cnn import Tensor
    >>> concatenate([Tensor([[1.0]]), Tensor([[2.0], [3.0]])], axis=0).shape
    (3, 1)
    >>> cat([Tensor([[1.0]]), Tensor([[2.0, 3.0]])], dim=1)
    Tensor([[1., 2., 3.]])
    """
    axis = pick_axis(axis, dim, "concatenate", default=0)
    ts = _as_tensors(tensors, "concatenate")
    shapes = [t.shape for t in ts]
    if any(len(s) != len(shapes[0]) for s in shapes) or not shapes[0]:
        raise ValueError(f"concatenate: all tensors need the same number (at least 1) of axes, got shapes {shapes}")
    ax = normalize_axis(axis, len(shapes[0]), "concatenate")
    if any(s[:ax] + s[ax + 1 :] != shapes[0][:ax] + shapes[0][ax + 1 :] for s in shapes):
        raise ValueError(f"concatenate: shapes {shapes} must agree on every axis except axis {axis}")
    return Concatenate.apply(*ts, axis=ax)


def stack(tensors: Sequence[Tensor | np.ndarray], axis: int = _UNSET, *, dim: int = _UNSET) -> Tensor:
    """Join tensors of one shape along a new ``axis``.

    >>> from tinygrad_cnn import Tensor
    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], axis=1)
    Tensor([[1., 3.],
            [2., 4.]])
    """
    axis = pick_axis(axis, dim, "stack", default=0)
    ts = _as_tensors(tensors, "stack")
    shapes = [t.shape for t in ts]
    if any(s != shapes[0] for s in shapes):
        raise ValueError(f"stack: all tensors must have the same shape, got shapes {shapes}")
    return Stack.apply(*ts, axis=normalize_axis(axis, len(shapes[0]) + 1, "stack"))


cat = concatenate  # PyTorch's name

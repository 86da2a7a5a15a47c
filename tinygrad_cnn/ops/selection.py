"""Picking, ordering and splitting elements, PyTorch's ``topk``, ``sort``, ``argsort``, ``gather``, ``masked_fill``,
``flip``, ``repeat``, ``chunk`` and ``split``.

Every one is a composite of differentiable ops (indexing, ``where``, ``expand``/``reshape``, slicing), so it needs
no backward rule of its own: the gradient of a picked element goes back to where it was picked from (indexing's
rule, a scatter-add), and each becomes twice differentiable with the ops it is made of.

>>> from tinygrad_cnn import tensor
>>> x = tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
>>> x.topk(2).indices.tolist(), x.sort(dim=1, descending=True).values.tolist()
([[0, 2], [1, 2]], [[3.0, 2.0, 1.0], [5.0, 4.0, 0.0]])
>>> x.gather(1, tensor([[2], [0]])).tolist(), [c.shape for c in x.chunk(2, dim=1)]
([[2.0], [0.0]], [(2, 2), (2, 1)])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_bool, is_int
from ..tensor import Tensor
from .activation import where
from .reduce import ValuesIndices, normalize_axis

__all__ = ["argsort", "chunk", "flip", "gather", "masked_fill", "repeat", "sort", "split", "topk"]


def _tensor(t: Any, where_: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{where_}: input must be a Tensor, got {type(t).__name__}")
    return t


def _order(data: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable sort order along ``axis``: equal elements keep their order (PyTorch's ``stable=True``); NaN sorts
    as the largest value, as in PyTorch."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")
    # descending and stable: sort the reversed axis ascending, read it backwards, map back to original positions
    n = data.shape[axis]
    backwards = np.flip(np.argsort(np.flip(data, axis), axis=axis, kind="stable"), axis)
    return (n - 1 - backwards).astype(np.int64)


def _take(t: Tensor, index: np.ndarray, axis: int) -> Tensor:
    """``t`` at ``index`` along ``axis`` (``np.take_along_axis`` built from indexing, so it is differentiable)."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[axis] = index
    return t[tuple(grid)]


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> ValuesIndices:
    """``(values, indices)`` sorted along ``dim``, as ``torch.sort``; ties keep their order (always stable).

    >>> from tinygrad_cnn import tensor
    >>> values, indices = sort(tensor([2, 1, 2, 0]), descending=True)
    >>> values.tolist(), indices.tolist()
    ([2, 2, 1, 0], [0, 2, 1, 3])
    """
    t = _tensor(input, "sort")
    check_bool(descending, "descending", "sort")
    check_bool(stable, "stable", "sort")
    if t.ndim == 0:
        return ValuesIndices(t * 1 if t.requires_grad else t, Tensor._make(np.zeros((), np.int64), None))
    axis = normalize_axis(dim, t.ndim, "sort", "dim")
    index = _order(t.data, axis, descending).astype(np.int64)
    return ValuesIndices(_take(t, index, axis), Tensor._make(index, None))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (int64, no gradient), as ``torch.argsort``."""
    return sort(input, dim, descending, stable).indices


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
    """The ``k`` largest (or, ``largest=False``, smallest) elements along ``dim`` and their indices, as
    ``torch.topk``; always returned in sorted order, ties in index order.

    >>> from tinygrad_cnn import tensor
    >>> topk(tensor([1.0, 4.0, 3.0]), 2, largest=False).values
    Tensor([1., 3.], dtype=float32)
    """
    t = _tensor(input, "topk")
    check_bool(largest, "largest", "topk")
    check_bool(sorted, "sorted", "topk")
    axis = normalize_axis(dim, t.ndim, "topk", "dim") if t.ndim else 0
    n = t.shape[axis] if t.ndim else 1
    if not is_int(k) or isinstance(k, bool):
        raise TypeError(f"topk: k must be an int, got {type(k).__name__} {k!r}")
    if not 0 <= k <= n:
        raise ValueError(f"topk: k must be in [0, {n}] (the length of dim {dim}), got {k}")
    if t.ndim == 0:
        return sort(t)
    index = np.take(_order(t.data, axis, largest), np.arange(int(k)), axis=axis).astype(np.int64)
    return ValuesIndices(_take(t, index, axis), Tensor._make(index, None))


def gather(input: Tensor, dim: int, index: Any) -> Tensor:
    """``out[i][j] = input[index[i][j]][j]`` for ``dim=0`` (and likewise for every dim), as ``torch.gather``.

    ``index`` is an integer Tensor or array with ``input``'s number of axes and no longer than ``input`` on
    every other axis. The gradient of ``input`` adds up over repeated indices (indexing's scatter-add rule).

    >>> from tinygrad_cnn import tensor
    >>> gather(tensor([[1.0, 2.0], [3.0, 4.0]]), 1, tensor([[0, 0], [1, 0]])).tolist()
    [[1.0, 1.0], [4.0, 3.0]]
    """
    t = _tensor(input, "gather")
    idx = index.data if isinstance(index, Tensor) else np.asarray(index) if isinstance(index, (np.ndarray, list)) \
        else None
    if idx is None or idx.dtype.kind not in "iu":
        raise TypeError(f"gather: index must be an integer Tensor (int64), got "
                        f"{type(index).__name__ if idx is None else f'dtype {idx.dtype}'}")
    if idx.ndim != max(t.ndim, 1) and not (t.ndim == 0 and idx.ndim == 0):
        raise ValueError(f"gather: index must have as many dims as input ({t.ndim}), got shape {idx.shape}")
    if t.ndim == 0:
        t = t.reshape(1)
        out_shape: tuple[int, ...] | None = idx.shape
        idx = idx.reshape(-1) if idx.ndim == 0 else idx
    else:
        out_shape = None
    axis = normalize_axis(dim, t.ndim, "gather", "dim")
    for d, (m, n) in enumerate(zip(idx.shape, t.shape)):
        if d != axis and m > n:
            raise ValueError(f"gather: index shape {idx.shape} is larger than input shape {t.shape} in dim {d}")
    n = t.shape[axis]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise ValueError(f"gather: index holds values outside [-{n}, {n}) for dim {dim} of size {n}: "
                         f"min {idx.min()}, max {idx.max()}")
    out = _take(t, idx.astype(np.int64) % max(n, 1), axis)
    return out.reshape(*out_shape) if out_shape is not None else out


def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:
    """``input`` with ``value`` where ``mask`` (bool, broadcast to ``input``'s shape) is True, as
    ``torch.masked_fill``; the result keeps ``input``'s dtype and the gradient flows where ``mask`` is False.

    >>> from tinygrad_cnn import tensor
    >>> tensor([1.0, 2.0, 3.0]).masked_fill(tensor([True, False, True]), -1.0).tolist()
    [-1.0, 2.0, -1.0]
    """
    t = _tensor(input, "masked_fill")
    m = mask.data if isinstance(mask, Tensor) else mask if isinstance(mask, np.ndarray) else None
    if m is None or m.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool Tensor (e.g. x > 0), got "
                        f"{type(mask).__name__ if m is None else f'dtype {m.dtype}'}")
    try:
        if np.broadcast_shapes(m.shape, t.shape) != t.shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"masked_fill: mask of shape {m.shape} does not broadcast to input's shape "
                         f"{t.shape}") from None
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"masked_fill: value must be a number or a 0-dim Tensor, got shape {value.shape}")
        fill: Any = value.astype(t.dtype) if value.dtype != t.dtype else value
    elif isinstance(value, (bool, int, float, np.number, np.bool_)):
        fill = Tensor._make(np.asarray(value).astype(t.dtype), None)
    else:
        raise TypeError(f"masked_fill: value must be a number or a 0-dim Tensor, got {type(value).__name__}")
    return where(m, fill, t)


def flip(input: Tensor, *dims: Any) -> Tensor:
    """``input`` reversed along each of ``dims`` (an int, ints or a tuple), as ``torch.flip``.

    >>> from tinygrad_cnn import tensor
    >>> tensor([[1, 2], [3, 4]]).flip(0, 1).tolist()
    [[4, 3], [2, 1]]
    """
    t = _tensor(input, "flip")
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    axes = [normalize_axis(d, max(t.ndim, 1), "flip", "dims") for d in dims]
    if len(set(axes)) != len(axes):
        raise ValueError(f"flip: dims must not repeat an axis, got {dims!r}")
    if t.ndim == 0:
        return t[...]
    return t[tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(t.ndim))]


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """``input`` tiled ``sizes[i]`` times along axis ``i`` (leading sizes add axes), as ``torch.Tensor.repeat``
    (numpy's ``tile``). Each copy's gradient adds up in the original element (``expand``'s rule).

    >>> from tinygrad_cnn import tensor
    >>> tensor([1, 2]).repeat(2, 2).tolist()
    [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    t = _tensor(input, "repeat")
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    for r in sizes:
        if not is_int(r) or isinstance(r, bool) or r < 0:
            raise ValueError(f"repeat: sizes must be non-negative ints, got {sizes!r}")
    if len(sizes) < t.ndim:
        raise ValueError(f"repeat: the number of sizes ({len(sizes)}) can not be smaller than the number of "
                         f"dims of the tensor ({t.ndim}), shape {t.shape}")
    shape = (1,) * (len(sizes) - t.ndim) + t.shape
    out = t.reshape(*shape)
    for axis, r in enumerate(sizes):
        n = out.shape[axis]
        expanded = out.unsqueeze(axis).expand(*out.shape[:axis], int(r), *out.shape[axis:])  # (..., r, n, ...)
        out = expanded.reshape(*out.shape[:axis], int(r) * n, *out.shape[axis + 1:])
    return out


def split(input: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size_or_sections`` elements along ``dim`` (the last one shorter), or of the listed
    lengths, as ``torch.split``.

    >>> from tinygrad_cnn import arange
    >>> [p.tolist() for p in arange(5).split([1, 4])]
    [[0], [1, 2, 3, 4]]
    """
    t = _tensor(input, "split")
    if t.ndim == 0:
        raise ValueError("split: input must have at least one dimension, got a 0-dim tensor")
    axis = normalize_axis(dim, t.ndim, "split", "dim")
    n = t.shape[axis]
    s = split_size_or_sections
    if is_int(s) and not isinstance(s, bool):
        if s <= 0 and not (s == 0 and n == 0):
            raise ValueError(f"split: split_size must be a positive int, got {s}")
        sections = [min(int(s), n - i) for i in range(0, n, int(s))] if n else [0]
    elif isinstance(s, (list, tuple)) and all(is_int(v) and not isinstance(v, bool) and v >= 0 for v in s):
        if sum(s) != n:
            raise ValueError(f"split: split_size_or_sections {list(s)} must sum to the length of dim {dim} ({n}), "
                             f"got sum {sum(s)}")
        sections = [int(v) for v in s]
    else:
        raise TypeError(f"split: split_size_or_sections must be an int or a list of non-negative ints, got {s!r}")
    pieces, start = [], 0
    for length in sections:
        index = [slice(None)] * t.ndim
        index[axis] = slice(start, start + length)
        pieces.append(t[tuple(index)])
        start += length
    return tuple(pieces)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` pieces of ``ceil(n / chunks)`` elements along ``dim``, as ``torch.chunk`` (fewer pieces
    when that size covers ``n`` sooner: ``chunk(6 elements, 4)`` gives 3 pieces of 2).

    >>> from tinygrad_cnn import arange
    >>> [p.tolist() for p in arange(5).chunk(3)]
    [[0, 1], [2, 3], [4]]
    """
    t = _tensor(input, "chunk")
    if not is_int(chunks) or isinstance(chunks, bool):
        raise TypeError(f"chunk: chunks must be an int, got {type(chunks).__name__} {chunks!r}")
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be greater than 0, got {chunks}")
    if t.ndim == 0:
        raise ValueError("chunk: input must have at least one dimension, got a 0-dim tensor")
    n = t.shape[normalize_axis(dim, t.ndim, "chunk", "dim")]
    return split(t, -(-n // int(chunks)), dim) if n else split(t, [0] * int(chunks), dim)  # empty: chunks pieces

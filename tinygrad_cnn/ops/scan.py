"""Running sums and products, PyTorch's ``cumsum`` and ``prod``: the two ops here with backward rules of their own.

For ``y = cumsum(x)`` along an axis, ``y_j = Σ_{i≤j} x_i``, so ``∂y_j/∂x_i = [i ≤ j]`` and
``∂L/∂x_i = Σ_{j≥i} ∂L/∂y_j``: the cumulative sum of the gradient taken from the far end (reversed cumsum).

For ``p = Π_i x_i`` over the reduced axes, ``∂p/∂x_i = Π_{j≠i} x_j``: the product of every other element,
computed without dividing by ``x_i`` (the products of the elements before and after ``i``), so a zero factor
gets the right gradient.

>>> from tinygrad_cnn import tensor
>>> x = tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> x.cumsum(0).tolist(), x.prod().item()
([1.0, 3.0, 6.0], 6.0)
>>> x.prod().backward(); x.grad.tolist()
[6.0, 3.0, 2.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Context, Function
from ..tensor import Tensor
from .reduce import _UNSET, normalize_axis, pick_axis, pick_keepdims

__all__ = ["cumsum", "prod"]


def _accumulating(dtype: np.dtype) -> np.dtype:
    """PyTorch's result dtype: bool and integer inputs accumulate in int64, floats keep theirs."""
    return np.dtype(np.int64) if dtype.kind in "biu" else dtype


class CumSum(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int) -> np.ndarray:
        ctx.axis = axis
        return np.cumsum(x, axis=axis, dtype=_accumulating(x.dtype))  # y_j = Σ_{i≤j} x_i

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        # ∂L/∂x_i = Σ_{j≥i} ∂L/∂y_j: the reversed cumulative sum of the gradient
        if isinstance(grad, Tensor):  # a create_graph walk: the same sum, as Tensor ops
            return grad.flip(ctx.axis).cumsum(ctx.axis).flip(ctx.axis), None
        return np.flip(np.cumsum(np.flip(grad, ctx.axis), axis=ctx.axis), ctx.axis), None


class Prod(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int | None, keepdims: bool) -> np.ndarray:
        ctx.save_for_backward(x)
        ctx.axis, ctx.keepdims = axis, keepdims
        return np.asarray(np.prod(x, axis=axis, keepdims=keepdims, dtype=_accumulating(x.dtype)))  # p = Π x_i

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None, None]:
        (x,) = ctx.saved_tensors
        axis = ctx.axis
        if x.size == 0:  # the empty product is 1, a constant
            return np.zeros_like(x), None, None
        last = list(range(x.ndim)) if axis is None else [i for i in range(x.ndim) if i != axis] + [axis]
        flat = x.reshape(-1) if axis is None else _permute(x, last)  # (..., n): the reduced axis last
        others = _others_product(flat)  # ∂p/∂x_i = Π_{j≠i} x_j, (..., n)
        if axis is None:
            return (grad.reshape(()) * others).reshape(x.shape), None, None
        g = grad if ctx.keepdims else grad.reshape(grad.shape[:axis] + (1,) + grad.shape[axis:])
        back = [int(i) for i in np.argsort(last)]  # the inverse permutation puts the reduced axis back
        return _permute(_permute(g, last) * others, back), None, None


def _permute(a: Any, order: list[int]) -> Any:
    """Axis ``k`` of the result is axis ``order[k]`` of ``a``, for an array or a Tensor (a Tensor's
    ``transpose`` with two axes swaps them, PyTorch's meaning, so the permutation goes through ``permute``)."""
    return a.permute(*order) if isinstance(a, Tensor) else a.transpose(order)


def _others_product(flat: Any) -> Any:
    """``Π_{j≠i} x_j`` along the last axis, without dividing (a zero factor gets the right gradient)."""
    if isinstance(flat, Tensor):  # a create_graph walk: row i of an n×n copy with x_i set to 1, multiplied out
        n = flat.shape[-1]
        copies = flat.reshape(flat.shape[:-1] + (1, n)).expand(*flat.shape[:-1], n, n)  # (..., i, j) = x_j
        from .activation import where

        return where(Tensor._make(np.eye(n, dtype=bool), None), 1.0, copies).prod(-1)
    ones = np.ones(flat.shape[:-1] + (1,), flat.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)  # Π_{j<i} x_j
    after = np.flip(np.cumprod(np.flip(np.concatenate([flat[..., 1:], ones], axis=-1), -1), axis=-1), -1)
    return before * after


def cumsum(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """Cumulative sum along ``dim``, as ``torch.cumsum`` (ints and bools sum in int64).

    >>> from tinygrad_cnn import tensor
    >>> tensor([[1, 2], [3, 4]]).cumsum(dim=1).tolist()
    [[1, 3], [3, 7]]
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"cumsum: input must be a Tensor, got {type(input).__name__}")
    t = input if dtype is None else input.astype(dtype)
    if t.ndim == 0:
        return CumSum.apply(t.reshape(1), 0).reshape()
    return CumSum.apply(t, normalize_axis(dim, t.ndim, "cumsum", "dim"))


def prod(input: Tensor, dim: Any = _UNSET, keepdim: Any = _UNSET, *, dtype: Any = None) -> Tensor:
    """Product of all elements, or over one ``dim`` (``keepdim`` keeps it as length 1), as ``torch.prod``.

    >>> from tinygrad_cnn import tensor
    >>> tensor([[1.0, 2.0], [3.0, 0.0]]).prod(1).tolist()
    [2.0, 0.0]
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"prod: input must be a Tensor, got {type(input).__name__}")
    t = input if dtype is None else input.astype(dtype)
    axis = pick_axis(_UNSET, dim, "prod")
    keep = pick_keepdims(_UNSET, keepdim, "prod")
    if axis is not None:
        if isinstance(axis, (tuple, list)):
            raise TypeError(f"prod: dim must be one int (as in PyTorch), got {axis!r}")
        if t.ndim == 0:
            normalize_axis(axis, 1, "prod", "dim")
            return Prod.apply(t, None, False)
        axis = normalize_axis(axis, t.ndim, "prod", "dim")
    return Prod.apply(t, axis, keep)

"""Variance, standard deviation and vector norms, PyTorch's ``var``/``std``/``norm``; ``Var`` and ``Norm`` are
``Function``s with hand-written backward rules (``textbook/MATH.md``, "Variance, norms and layer normalization").

* (V1) var = Σᵢ (xᵢ − μ)² / (n − c) over the reduced axes (c = ``correction``, 1 by default: Bessel's);
  ∂var/∂xᵢ = 2 (xᵢ − μ) / (n − c)  (the path through μ vanishes: Σᵢ (xᵢ − μ) = 0)
* std = √var, the composition of ``Var`` and ``Sqrt``
* (V2) ‖x‖_p = (Σᵢ |xᵢ|^p)^(1/p); ∂‖x‖_p/∂xᵢ = sign(xᵢ) |xᵢ|^(p−1) / ‖x‖_p^(p−1)  (0 where ‖x‖_p = 0)
* (V3) ‖x‖_∞ = maxᵢ |xᵢ|; its gradient sign(xᵢ) goes to the largest |xᵢ|, split evenly between ties

>>> from tinygrad_cnn import Tensor
>>> x = Tensor([1.0, 2.0, 3.0, 4.0])
>>> round(x.var().item(), 6), x.var(correction=0).item(), round(x.norm().item() ** 2, 6), x.norm(p=1).item()
(1.666667, 1.25, 30.0, 10.0)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import check_bool, is_real
from ..function import Context, Function
from ..tensor import Tensor
from .namespace import as_array, namespace
from .numerics import quiet
from .reduce import _kept_shape, normalize_axes

__all__ = ["Norm", "Var", "norm", "std", "var"]


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return int(np.prod([shape[i] for i in axes], dtype=np.int64))


class Var(Function):
    """Σ (x − μ)²/(n − c) over ``axes``: eq. (V1) of MATH.md, "Variance, norms and layer normalization"."""

    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, x: np.ndarray, axes: tuple[int, ...], correction: float, keepdims: bool) -> np.ndarray:
        d = x - x.mean(axis=axes, keepdims=True)  # x − μ, (x's shape)
        dof = np.maximum(_count(x.shape, axes) - correction, 0)  # n − c; 0 gives inf/nan, as PyTorch
        ctx.save_for_backward(x)
        ctx.d, ctx.dof, ctx.kept, ctx.axes = d, dof, _kept_shape(x.shape, axes), axes
        return np.asarray((d * d).sum(axis=axes, keepdims=keepdims) / dof).astype(x.dtype, copy=False)

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None, None, None]:
        # (V1): ∂var/∂xᵢ = 2 (xᵢ − μ)/(n − c)
        d = ctx.d
        if isinstance(grad, Tensor):  # a create_graph walk: x − μ as a function of x, not the saved array
            (x,) = ctx.saved_tensors
            d = x - x.mean(axis=ctx.axes, keepdims=True)
        return grad.reshape(ctx.kept) * (2 * d / ctx.dof), None, None, None


class Norm(Function):
    """‖x‖_p over ``axes`` for p > 0 or p = inf: eqs. (V2), (V3) of MATH.md, "Variance, norms and layer
    normalization". The rule runs on arrays and on Tensors (ops/namespace.py): signs and the ∞-norm's winners
    are constants of the gradient's graph."""

    differentiable_backward = True

    @staticmethod
    @quiet
    def forward(ctx: Context, x: np.ndarray, axes: tuple[int, ...], p: float, keepdims: bool) -> np.ndarray:
        a = np.abs(x)
        if p == math.inf:
            out = a.max(axis=axes, keepdims=True)  # (V3)
        elif p == 2:
            out = np.sqrt((a * a).sum(axis=axes, keepdims=True))
        else:
            out = ((a ** p).sum(axis=axes, keepdims=True)) ** (1 / p)  # (V2)
        if not keepdims:
            out = out.reshape([n for i, n in enumerate(out.shape) if i not in axes])
        ctx.save_for_backward(x, out)  # the output itself (then the graph's output under create_graph)
        ctx.p, ctx.axes, ctx.kept = p, axes, _kept_shape(x.shape, axes)
        return out

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None, None, None]:
        x, out = ctx.saved_tensors
        p, xp = ctx.p, namespace(grad)
        norm, g = out.reshape(ctx.kept), grad.reshape(ctx.kept)  # the kept shape
        if p == math.inf:  # (V3): sign(xᵢ) at the largest |xᵢ|, split between ties
            top = as_array(xp.abs(x) == norm)
            local = xp.sign(x) * (top / top.sum(axis=ctx.axes, keepdims=True))
        elif p == 1:
            local = xp.sign(x)
        else:  # (V2): sign(xᵢ)|xᵢ|^(p−1)/‖x‖^(p−1), 0 where the norm is 0
            zero = as_array(norm == 0)
            safe = xp.where(zero, 1.0, norm)
            local = xp.where(zero, 0.0, xp.sign(x) * xp.abs(x) ** (p - 1) / safe ** (p - 1))
        return (g * local).astype(x.dtype, copy=False), None, None, None


def _float_input(x: Any, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be a floating-point tensor, got dtype {x.dtype} (cast with .float())")
    return x


def _correction(unbiased: Any, correction: Any, op: str) -> float:
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: give unbiased= or correction=, not both")
    if correction is None:
        return 1.0 if unbiased is None or check_bool(unbiased, "unbiased", op) else 0.0
    if not is_real(correction) or correction < 0:
        raise ValueError(f"{op}: correction must be a non-negative number, got {correction!r}")
    return float(correction)


def var(x: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None) -> Tensor:
    """The variance over ``dim`` (all axes if None), dividing by n − ``correction`` (default 1), as ``torch.var``.

    ``unbiased=False`` is ``correction=0`` (PyTorch's older spelling).
    """
    x = _float_input(x, "var")
    axes = normalize_axes(dim, x.ndim, "var")
    return Var.apply(x, axes, _correction(unbiased, correction, "var"), check_bool(keepdim, "keepdim", "var"))


def std(x: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None) -> Tensor:
    """The standard deviation √var (arguments as :func:`var`), as ``torch.std``."""
    return var(x, dim, unbiased, keepdim, correction=correction).sqrt()


def norm(x: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """The p-norm over ``dim`` (all axes if None), as ``torch.norm``: p > 0, ``inf``, or ``"fro"`` (p = 2).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([[3.0, -4.0]]).norm(dim=1), Tensor([1.0, -5.0]).norm(p=float("inf"))
    (Tensor([5.]), Tensor(5.))
    """
    x = _float_input(x, "norm")
    if p == "fro" or p is None:
        p = 2.0
    if isinstance(p, bool) or not is_real(p) or not (p > 0):
        raise ValueError(f"norm: p must be a number > 0, inf or 'fro', got {p!r}")
    axes = normalize_axes(dim, x.ndim, "norm")
    return Norm.apply(x, axes, float(p), check_bool(keepdim, "keepdim", "norm"))

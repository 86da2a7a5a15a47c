"""Everyday PyTorch conveniences built from the differentiable ops: ``square``, ``rsqrt``, ``reciprocal``, ``sign``,
``isnan``, ``logsumexp``, ``mm``/``bmm``, ``contiguous`` and ``new_zeros``/``new_ones``/``new_full``/``new_tensor``.

None has a backward rule of its own (each is a composite), so each is differentiable as far as its parts are.

>>> from tinygrad_cnn import tensor
>>> x = tensor([1.0, 4.0])
>>> x.square().tolist(), x.rsqrt().tolist(), x.reciprocal().tolist(), x.logsumexp(0).item() > 4.0
([1.0, 16.0], [1.0, 0.5], [1.0, 0.25], True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import full, ones, tensor, zeros
from ..dtypes import get_default_dtype
from ..tensor import Tensor
from .activation import where
from .reduce import amax, normalize_axes

__all__ = [
    "add", "bmm", "contiguous", "div", "expand_as", "isnan", "logsumexp", "mm", "mul", "new_full",
    "new_ones", "new_tensor", "new_zeros", "reciprocal", "rsqrt", "sign", "square", "sub",
]


def _floating(t: Tensor) -> Tensor:
    """Integers and bools become the default float first, as PyTorch's ``rsqrt``/``reciprocal``/``logsumexp``."""
    return t if t.dtype.kind == "f" else t.astype(get_default_dtype())


def square(self: Tensor) -> Tensor:
    """``x * x`` (ints stay ints, as in PyTorch)."""
    return self * self


def reciprocal(self: Tensor) -> Tensor:
    """``1 / x`` (a float result, ints included)."""
    return 1.0 / _floating(self)


def rsqrt(self: Tensor) -> Tensor:
    """``1 / √x``."""
    return 1.0 / _floating(self).sqrt()


def sign(self: Tensor) -> Tensor:
    """−1, 0 or 1 elementwise (NaN stays NaN); its gradient is 0 everywhere, as in PyTorch."""
    constant = Tensor._make(np.sign(self.data), None)
    if not self.requires_grad:
        return constant
    return where(np.zeros(self.shape, np.bool_), self, constant)  # in the graph, contributing gradient 0


def isnan(self: Tensor) -> Tensor:
    """Where the elements are NaN (bool data, no gradient)."""
    return Tensor._make(np.isnan(self.data) if self.dtype.kind == "f" else np.zeros(self.shape, np.bool_), None)


def logsumexp(self: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """``log Σ exp(x)`` over ``dim`` (an int or a tuple), computed as ``m + log Σ exp(x − m)`` with ``m`` the
    maximum (held constant: the result does not depend on it), so large inputs do not overflow.

    >>> from tinygrad_cnn import tensor
    >>> round(tensor([1000.0, 1000.0]).logsumexp(0).item(), 3)  # 1000 + log 2, no overflow
    1000.693
    """
    t = _floating(self)
    axes = normalize_axes(dim, t.ndim, "logsumexp")
    if not isinstance(keepdim, bool):
        raise TypeError(f"logsumexp: keepdim must be a bool, got {type(keepdim).__name__} {keepdim!r}")
    m = amax(t.detach(), axes, True).data if t.data.size else np.zeros([1] * t.ndim, t.dtype)
    m = np.where(np.isfinite(m), m, 0).astype(t.dtype)  # an all −inf (or inf) row needs no shift
    shift = Tensor._make(m, None)
    out = (t - shift).exp().sum(axes, True).log() + shift
    return out if keepdim else out.squeeze(axes) if axes is not None else out.reshape(())


def _check_ndim(t: Any, other: Any, ndim: int, name: str) -> None:
    for which, value in (("input", t), ("mat2", other)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}: {which} must be a Tensor, got {type(value).__name__}")
        if value.ndim != ndim:
            raise ValueError(f"{name}: {which} must be a {ndim}-D tensor, got shape {value.shape}")


def mm(self: Tensor, mat2: Tensor) -> Tensor:
    """The product of two matrices (2-D only, as ``torch.mm``; ``matmul``/``@`` broadcasts)."""
    _check_ndim(self, mat2, 2, "mm")
    return self @ mat2


def bmm(self: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of ``(b, n, m)`` and ``(b, m, p)`` (3-D, equal batch sizes, as ``torch.bmm``)."""
    _check_ndim(self, mat2, 3, "bmm")
    if self.shape[0] != mat2.shape[0]:
        raise ValueError(f"bmm: the batch sizes must be equal, got shapes {self.shape} and {mat2.shape}")
    return self @ mat2


def matmul(self: Tensor, other: Tensor) -> Tensor:
    """``self @ other``."""
    return self @ other


def contiguous(self: Tensor) -> Tensor:
    """The tensor itself: a numpy engine has no strided views to compact (PyTorch returns ``self`` too when it is
    already contiguous)."""
    return self


def _dtype_of(self: Tensor, dtype: Any) -> Any:
    return self.dtype if dtype is None else dtype


def new_zeros(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of shape ``size`` with this tensor's dtype (unless ``dtype``)."""
    return zeros(*size, dtype=_dtype_of(self, dtype), device=device, requires_grad=requires_grad)


def new_ones(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of shape ``size`` with this tensor's dtype (unless ``dtype``)."""
    return ones(*size, dtype=_dtype_of(self, dtype), device=device, requires_grad=requires_grad)


def new_full(self: Tensor, size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``fill_value`` in shape ``size`` with this tensor's dtype (unless ``dtype``)."""
    return full(size, fill_value, dtype=_dtype_of(self, dtype), device=device, requires_grad=requires_grad)


def new_tensor(self: Tensor, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """``tensor(data)`` with this tensor's dtype (unless ``dtype``), as PyTorch's ``new_tensor``."""
    return tensor(data, dtype=_dtype_of(self, dtype), device=device, requires_grad=requires_grad)


def expand_as(self: Tensor, other: Tensor) -> Tensor:
    """``expand(*other.shape)``."""
    if not isinstance(other, Tensor):
        raise TypeError(f"expand_as: other must be a Tensor, got {type(other).__name__}")
    return self.expand(*other.shape)


def add(self: Tensor, other: Any, alpha: Any = 1) -> Tensor:
    """``self + alpha * other``, PyTorch's ``add``."""
    return self + (other if alpha == 1 else other * alpha)


def sub(self: Tensor, other: Any, alpha: Any = 1) -> Tensor:
    """``self − alpha * other``, PyTorch's ``sub``."""
    return self - (other if alpha == 1 else other * alpha)


def mul(self: Tensor, other: Any) -> Tensor:
    """``self * other``."""
    return self * other


def div(self: Tensor, other: Any) -> Tensor:
    """``self / other`` (true division)."""
    return self / other

"""Activation layers: ``ReLU``, ``Sigmoid``, ``Tanh``, ``LeakyReLU``, ``GELU``, ``Softmax``, ``LogSoftmax``.

>>> from tinygrad_cnn import Tensor, nn
>>> nn.LeakyReLU(0.1)(Tensor([-2.0, 3.0]))
Tensor([-0.2,  3. ])
>>> nn.Softmax(dim=1)(Tensor([[0.0, 0.0]]))
Tensor([[0.5, 0.5]])
"""

from __future__ import annotations

import warnings

from .. import functional as F
from .._checks import check_bool, check_float, check_int
from ..tensor import Tensor
from .module import Module

__all__ = ["GELU", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid", "Softmax", "Tanh"]


class ReLU(Module):
    """max(x, 0); the gradient at 0 is 0, as in PyTorch."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = check_bool(inplace, "inplace", "ReLU")  # accepted for PyTorch code; never in place here

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class Sigmoid(Module):
    """σ(x) = 1/(1 + e^−x), the book's activation."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class LeakyReLU(Module):
    """x for x > 0, ``negative_slope``·x otherwise (the gradient at 0 is the slope, as in PyTorch)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = check_float(negative_slope, "negative_slope", "LeakyReLU")
        self.inplace = check_bool(inplace, "inplace", "LeakyReLU")

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    """x·Φ(x) (``approximate="none"``) or its tanh approximation (``approximate="tanh"``), as in PyTorch."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


def _implicit_dim(ndim: int, name: str) -> int:
    warnings.warn(f"{name}: implicit dimension choice is deprecated in PyTorch; pass dim=", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """e^{x_i}/Σ_j e^{x_j} along ``dim`` (give it: ``dim=None`` picks PyTorch's legacy choice with a warning)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = None if dim is None else check_int(dim, "dim", type(self).__name__)

    def forward(self, x: Tensor) -> Tensor:
        dim = _implicit_dim(x.ndim, type(self).__name__) if self.dim is None else self.dim
        return x.softmax(dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """x_i − log Σ_j e^{x_j} along ``dim``: finite where softmax underflows."""

    def forward(self, x: Tensor) -> Tensor:
        dim = _implicit_dim(x.ndim, type(self).__name__) if self.dim is None else self.dim
        return x.log_softmax(dim)



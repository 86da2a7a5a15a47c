"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``LPPool2d`` (the book's L2 pooling is ``LPPool2d(2, …)``) and
``AdaptiveAvgPool2d`` (the output size given, the windows chosen to fit).

>>> import numpy as np
>>> from tinygrad_cnn import Tensor, nn
>>> nn.MaxPool2d(2)(Tensor(np.arange(16.0).reshape(1, 1, 4, 4))).data.ravel()
array([ 5.,  7., 13., 15.])
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .._checks import check_bool, check_float, check_int, check_pair
from ..tensor import Tensor
from .module import Module

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "LPPool2d", "MaxPool2d"]


def _check_window(where: str, kernel_size: Any, stride: Any, padding: Any, ceil_mode: Any) -> None:
    """The arguments every pooling layer shares, checked when the layer is built (as the functions check them)."""
    kernel = check_pair(kernel_size, "kernel_size", where, minimum=1)
    if stride is not None:
        check_pair(stride, "stride", where, minimum=1)
    pad = check_pair(padding, "padding", where, minimum=0)
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
        raise ValueError(f"{where}: padding must be at most half the kernel size (kernel_size={kernel_size!r}), "
                         f"got padding={padding!r}")
    check_bool(ceil_mode, "ceil_mode", where)


class MaxPool2d(Module):
    """The maximum of each window; ties send the gradient to the first maximum (the book's eq. (23))."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        if check_bool(return_indices, "return_indices", "MaxPool2d"):
            raise ValueError("MaxPool2d: return_indices=True is not supported; use F.max_pool2d")
        _check_window("MaxPool2d", kernel_size, stride, padding, ceil_mode)
        check_pair(dilation, "dilation", "MaxPool2d", minimum=1)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """The mean of each window (``divisor_override`` replaces the window size as divisor, as in PyTorch)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        _check_window("AvgPool2d", kernel_size, stride, padding, ceil_mode)
        check_bool(count_include_pad, "count_include_pad", "AvgPool2d")
        if divisor_override is not None:
            check_int(divisor_override, "divisor_override", "AvgPool2d", minimum=1)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class LPPool2d(Module):
    """Power-average pooling ``(Σ_window x^p)^(1/p)``; ``norm_type=2`` is the book's L2 pooling."""

    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False) -> None:
        super().__init__()
        check_float(norm_type, "norm_type", "LPPool2d", minimum=0.0, open_minimum=True)
        _check_window("LPPool2d", kernel_size, stride, 0, ceil_mode)
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, x: Tensor) -> Tensor:
        return F.lp_pool2d(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}"


class AdaptiveAvgPool2d(Module):
    """Average-pool (N, C, H, W) to (N, C, *output_size), as ``torch.nn.AdaptiveAvgPool2d`` (``1``: global average
    pooling); an entry None keeps that axis."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        pair = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
        if len(pair) != 2 or not all(v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1)
                                     for v in pair):
            raise ValueError(f"AdaptiveAvgPool2d: output_size must be a positive int or a pair of positive ints or "
                             f"None, got {output_size!r}")
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"

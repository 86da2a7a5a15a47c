"""Layers with parameters or modes: ``Linear``, ``Conv2d``, ``Dropout``, ``Dropout2d``, ``Identity``, ``Flatten``.

Initialisation is PyTorch's (U(−1/√fan_in, 1/√fan_in) for weights and biases) and draws from
``tinygrad_cnn.random.generator``: after ``tinygrad_cnn.manual_seed(n)`` models are reproducible, and an explicit
``seed=`` or ``generator=`` still wins.

>>> import numpy as np
>>> import tinygrad_cnn
>>> from tinygrad_cnn import nn
>>> _ = tinygrad_cnn.manual_seed(0)
>>> a = nn.Linear(3, 2).weight.data
>>> _ = tinygrad_cnn.manual_seed(0)
>>> bool((a == nn.Linear(3, 2).weight.data).all())
True
>>> nn.Conv2d(1, 2, np.int64(3), seed=0).weight.shape
(2, 1, 3, 3)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import functional as F
from .._checks import check_bool, check_float, check_int, check_pair
from ..ops.normalization import dropout, dropout2d
from ..random import generator as _generator
from ..tensor import Tensor
from .module import Module, Parameter

__all__ = ["Conv2d", "Dropout", "Dropout2d", "Flatten", "Identity", "Linear"]


def _float_dtype(dtype: Any, where: str) -> np.dtype:
    try:
        target = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{where}: dtype must be a numpy floating dtype such as np.float32, got {dtype!r}") from None
    if target.kind != "f":
        raise TypeError(f"{where}: dtype must be a floating-point dtype, got {target}")
    return target


def _uniform(shape: tuple[int, ...], bound: float, rng: np.random.Generator, dtype: np.dtype) -> Parameter:
    return Parameter(rng.uniform(-bound, bound, size=shape).astype(dtype))


class Linear(Module):
    """``y = x Wᵀ + b`` with W ``(out_features, in_features)``, b ``(out_features,)``; PyTorch's initialisation."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = np.float32,
                 seed: Any = None, *, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.in_features = check_int(in_features, "in_features", "Linear", minimum=1)
        self.out_features = check_int(out_features, "out_features", "Linear", minimum=1)
        bias = check_bool(bias, "bias", "Linear")
        dtype = _float_dtype(dtype, "Linear")
        rng, bound = _generator(seed, generator, "Linear"), 1 / math.sqrt(self.in_features)
        self.weight = _uniform((self.out_features, self.in_features), bound, rng, dtype)
        if bias:
            self.bias = _uniform((self.out_features,), bound, rng, dtype)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"Linear: input must be a Tensor, got {type(x).__name__}")
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"Linear: input's last axis must be {self.in_features} (in_features), got shape {x.shape}")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Conv2d(Module):
    """2-D convolution over NCHW input; weight ``(C_out, C_in/groups, kH, kW)``, bias ``(C_out,)``.

    ``stride``, ``padding`` (ints, pairs, ``"same"``/``"valid"``), ``dilation`` and ``groups`` as in PyTorch
    (stored as pairs); ``padding_mode`` is ``"zeros"`` only. ``dtype`` and ``seed`` come after PyTorch's arguments.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 dtype: Any = np.float32, seed: Any = None, *, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f"Conv2d: padding_mode must be 'zeros' (the only one supported), got {padding_mode!r}")
        self.padding_mode = padding_mode
        self.in_channels = check_int(in_channels, "in_channels", "Conv2d", minimum=1)
        self.out_channels = check_int(out_channels, "out_channels", "Conv2d", minimum=1)
        self.groups = check_int(groups, "groups", "Conv2d", minimum=1)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"Conv2d: groups={self.groups} must divide in_channels={self.in_channels} and "
                             f"out_channels={self.out_channels}")
        self.kernel_size = check_pair(kernel_size, "kernel_size", "Conv2d", minimum=1)
        self.stride = check_pair(stride, "stride", "Conv2d", minimum=1)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Conv2d: padding must be an int, a pair of ints, 'valid' or 'same', got {padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"Conv2d: padding='same' needs stride 1, got stride={stride!r}")
            self.padding = padding
        else:
            self.padding = check_pair(padding, "padding", "Conv2d", minimum=0)
        self.dilation = check_pair(dilation, "dilation", "Conv2d", minimum=1)
        bias = check_bool(bias, "bias", "Conv2d")
        dtype = _float_dtype(dtype, "Conv2d")
        kh, kw = self.kernel_size
        rng = _generator(seed, generator, "Conv2d")
        bound = 1 / math.sqrt(self.in_channels // self.groups * kh * kw)
        self.weight = _uniform((self.out_channels, self.in_channels // self.groups, kh, kw), bound, rng, dtype)
        if bias:
            self.bias = _uniform((self.out_channels,), bound, rng, dtype)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class Dropout(Module):
    """Inverted dropout: in training zero each element with probability ``p``, scale the rest by 1/(1 − p);
    the identity in evaluation (``model.eval()``). Masks come from the global generator (``manual_seed``)
    unless a ``seed``/``generator`` is given.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *, seed: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.p = check_float(p, "p", "Dropout", minimum=0.0, maximum=1.0)
        self.inplace = check_bool(inplace, "inplace", "Dropout")  # accepted for PyTorch code; never in place here
        self._rng = _generator(seed, generator, "Dropout") if seed is not None or generator is not None else None

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training, generator=self._rng)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Channel dropout: in training zero each whole channel of (N, C, H, W) with probability ``p``, scale the rest by
    1/(1 − p), as ``torch.nn.Dropout2d``; the identity in evaluation."""

    def forward(self, x: Tensor) -> Tensor:
        return dropout2d(x, self.p, self.training, generator=self._rng)


class Identity(Module):
    """Returns its input (a placeholder, e.g. for a removed layer); accepts and ignores any arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` into one (default: all but the batch dim), as ``torch.nn.Flatten``.

    ``start_axis``/``end_axis`` are accepted as numpy-style aliases.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1, *, start_axis: int | None = None,
                 end_axis: int | None = None) -> None:
        super().__init__()
        self.start_dim = check_int(start_dim if start_axis is None else start_axis, "start_dim", "Flatten")
        self.end_dim = check_int(end_dim if end_axis is None else end_axis, "end_dim", "Flatten")

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

"""``BatchNorm1d``, ``BatchNorm2d`` and ``LayerNorm``, as in ``torch.nn``. BatchNorm: parameters ``weight``/``bias``,
buffers ``running_mean``, ``running_var``, ``num_batches_tracked``; the backward rule is derived in
``textbook/MATH.md``, section "Batch normalization". LayerNorm's is in MATH.md, "Variance, norms and layer
normalization".

>>> import numpy as np
>>> from tinygrad_cnn import Tensor, nn
>>> bn = nn.BatchNorm2d(3)
>>> list(bn.state_dict())
['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
>>> y = bn(Tensor(np.arange(24.0).reshape(2, 3, 2, 2)))
>>> bool(np.allclose(y.data.mean(axis=(0, 2, 3)), 0)), int(bn.num_batches_tracked.item())
(True, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_bool, check_float, check_int
from ..grad_mode import no_grad
from ..ops.normalization import batch_norm, layer_norm
from ..tensor import Tensor
from .layers import _float_dtype
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class _BatchNorm(Module):
    _input_ndims: tuple[int, ...] = ()
    _input_shapes = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype: Any = np.float32) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = check_int(num_features, "num_features", name, minimum=1)
        self.eps = check_float(eps, "eps", name, minimum=0.0)
        self.momentum = None if momentum is None else check_float(momentum, "momentum", name, minimum=0.0,
                                                                   maximum=1.0)
        self.affine = check_bool(affine, "affine", name)
        self.track_running_stats = check_bool(track_running_stats, "track_running_stats", name)
        dtype = _float_dtype(dtype, name)
        if self.affine:
            self.weight = Parameter(np.ones(self.num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(self.num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def forward(self, x: Tensor) -> Tensor:
        name = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")
        if x.ndim not in self._input_ndims or x.shape[1] != self.num_features:
            raise ValueError(f"{name}: expected input of shape {self._input_shapes} with C = num_features = "
                             f"{self.num_features}, got shape {x.shape}")
        if (self.training or not self.track_running_stats) and x.numel() // self.num_features <= 1:
            raise ValueError(f"{name}: expected more than 1 value per channel when training, got input of shape "
                             f"{x.shape}")  # checked before num_batches_tracked counts this batch
        momentum = self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
        return batch_norm(
            x, self.running_mean if not self.training or self.track_running_stats else None,
            self.running_var if not self.training or self.track_running_stats else None,
            self.weight, self.bias, training=self.training or not self.track_running_stats, momentum=momentum,
            eps=self.eps, num_batches_tracked=self.num_batches_tracked,
        )

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input over N (and L), per channel C."""

    _input_ndims = (2, 3)
    _input_shapes = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input over N, H and W, per channel C."""

    _input_ndims = (4,)
    _input_shapes = "(N, C, H, W)"


class LayerNorm(Module):
    """Normalize over the last axes ``normalized_shape`` of each example, then scale by ``weight`` and shift by
    ``bias`` (both of that shape, initialised to 1 and 0), as ``torch.nn.LayerNorm``; no running statistics.

    >>> ln = LayerNorm(2)
    >>> [name for name, _ in ln.named_parameters()], ln(Tensor(np.array([[1.0, 3.0]], dtype=np.float32))).shape
    (['weight', 'bias'], (1, 2))
    """

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 dtype: Any = np.float32) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        if not shape or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1
                                for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be a positive int or a tuple of them, got "
                             f"{normalized_shape!r}")
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps = check_float(eps, "eps", "LayerNorm", minimum=0.0)
        self.elementwise_affine = check_bool(elementwise_affine, "elementwise_affine", "LayerNorm")
        bias = check_bool(bias, "bias", "LayerNorm")
        dtype = _float_dtype(dtype, "LayerNorm")
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"

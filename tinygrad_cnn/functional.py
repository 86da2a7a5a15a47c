"""The public functional namespace, ``import tinygrad_cnn.functional as F`` (PyTorch's ``torch.nn.functional``).

Every function takes and returns ``Tensor``s and records its backward like any other op.

>>> import numpy as np
>>> import tinygrad_cnn.functional as F
>>> from tinygrad_cnn import Tensor
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
>>> F.max_pool2d(x, 2).data.reshape(2, 2)
array([[ 5.,  7.],
       [13., 15.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops.activation import gelu, leaky_relu, where
from .ops.conv import conv2d
from .ops.matmul import matmul
from .ops.movement import cat, concatenate, flatten, pad, reshape, stack
from .ops.pool import avg_pool2d, lp_pool2d, max_pool2d
from .ops.reduce import log_softmax, softmax
from .tensor import Tensor

__all__ = [
    "avg_pool2d",
    "concatenate",
    "conv2d",
    "cross_entropy",
    "flatten",
    "linear",
    "log_softmax",
    "lp_pool2d",
    "matmul",
    "max_pool2d",
    "maximum",
    "minimum",
    "mse_loss",
    "nll_loss",
    "pad",
    "relu",
    "reshape",
    "sigmoid",
    "softmax",
    "stack",
    "tanh",
]
__all__ += ["cat", "clamp", "gelu", "leaky_relu", "where"]  # the ops helper's additions (issue 8)


# activations: relu, sigmoid, tanh here; leaky_relu, gelu (ops/activation.py), softmax, log_softmax
# (ops/reduce.py, ``dim=`` or ``axis=``) are imported above
def relu(x: Tensor) -> Tensor:
    """max(x, 0) elementwise; relu'(0) = 0."""
    return x.relu()


def sigmoid(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^−x), the textbook's activation a(z)."""
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def maximum(a: Tensor, b: Any) -> Tensor:
    """Elementwise maximum with broadcasting; a tie splits the gradient evenly."""
    return a.maximum(b)


def minimum(a: Tensor, b: Any) -> Tensor:
    """Elementwise minimum with broadcasting; a tie splits the gradient evenly."""
    return a.minimum(b)


def clamp(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """``min ≤ x ≤ max`` elementwise (``Tensor.clip``); the gradient is 1 on the closed interval, 0 outside."""
    return x.clamp(min, max)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weightᵀ + bias``: x ``(..., in)``, weight ``(out, in)``, bias ``(out,)`` -> ``(..., out)``."""
    out = x @ weight.T
    return out + bias if bias is not None else out


_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: Tensor, reduction: str, name: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error ``(input − target)²``, averaged (default), summed or kept per element.

    The textbook's cost (4) over a data set is ``0.5 * mse_loss(a_O, t, reduction="sum")``.
    """
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=input.dtype))
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input has shape {input.shape} but target has shape {target.shape}")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def _class_indices(target: Any, logits: Tensor, name: str) -> np.ndarray:
    indices = np.asarray(target.data if isinstance(target, Tensor) else target)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer class indices, got dtype {indices.dtype}")
    if logits.ndim != 2 or indices.shape != (logits.shape[0],):
        raise ValueError(
            f"{name}: expected input (N, C) and target (N,), got input {logits.shape} and target {indices.shape}"
        )
    if indices.size and (indices.min() < 0 or indices.max() >= logits.shape[1]):
        raise ValueError(f"{name}: target classes must be in [0, {logits.shape[1]}), got {indices.min()}..{indices.max()}")
    return indices


def nll_loss(log_probs: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer class ``target`` (N,) under ``log_probs`` (N, C)."""
    indices = _class_indices(target, log_probs, "nll_loss")
    picked = log_probs[np.arange(len(indices)), indices]  # (N,)
    return _reduce(-picked, reduction, "nll_loss")


def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """``nll_loss(log_softmax(logits))`` for logits (N, C) and integer classes (N,)."""
    return nll_loss(log_softmax(logits, axis=1), target, reduction)

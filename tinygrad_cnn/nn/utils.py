"""Gradient clipping, as ``torch.nn.utils``: ``clip_grad_norm_`` and ``clip_grad_value_`` (in place on ``.grad``).

>>> import numpy as np
>>> from tinygrad_cnn import Tensor
>>> w = Tensor([0.0, 0.0], requires_grad=True)
>>> w.grad = np.array([3.0, 4.0])
>>> float(clip_grad_norm_([w], max_norm=1.0))     # the norm before clipping
5.0
>>> np.round(w.grad, 6)
array([0.6, 0.8])
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .._checks import check_bool, check_float
from ..tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Tensor | Iterable[Tensor], where: str) -> list[np.ndarray]:
    if not isinstance(parameters, (Tensor, Iterable)):
        raise TypeError(f"{where}: parameters must be a Tensor or an iterable of Tensors, "
                        f"got {type(parameters).__name__}")
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for index, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{where}: parameters[{index}] must be a Tensor, got {type(p).__name__}")
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> np.float64:
    """Scale all gradients together so that their joint ``norm_type``-norm is at most ``max_norm``.

    Returns the total norm before clipping; ``norm_type=inf`` uses the largest absolute value. As in PyTorch,
    every gradient is multiplied by ``min(max_norm/(norm + 1e-6), 1)`` and a non-finite norm is not skipped: a NaN
    anywhere makes the norm and every gradient NaN, an infinite norm multiplies them by 0 (the infinite element
    becomes NaN). ``error_if_nonfinite=True`` raises instead, leaving the gradients unchanged.

    >>> w = Tensor([0.0, 0.0], requires_grad=True)
    >>> w.grad = np.array([np.inf, 1.0])
    >>> float(clip_grad_norm_([w], max_norm=1.0)), w.grad
    (inf, array([nan,  0.]))
    """
    max_norm = check_float(max_norm, "max_norm", "clip_grad_norm_", minimum=0.0)
    norm_type = check_float(norm_type, "norm_type", "clip_grad_norm_", minimum=0.0, open_minimum=True, finite=False)
    error_if_nonfinite = check_bool(error_if_nonfinite, "error_if_nonfinite", "clip_grad_norm_")
    grads = _grads(parameters, "clip_grad_norm_")
    if not grads:
        return np.float64(0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isinf(norm_type):  # np.max propagates NaN (Python's max() would skip it)
            total = float(np.max([np.max(np.abs(g)) if g.size else 0.0 for g in grads]))
        else:
            total = float(sum(float(np.sum(np.abs(g) ** norm_type)) for g in grads) ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is non-finite "
                           f"({total}), so it cannot be clipped; pass error_if_nonfinite=False to scale the "
                           "gradients by it anyway")
    coefficient = max_norm / (total + 1e-6)
    if not coefficient >= 1.0:  # below 1, or NaN (which then reaches every gradient, as in PyTorch)
        with np.errstate(invalid="ignore"):
            for g in grads:
                np.multiply(g, coefficient, out=g, casting="unsafe")
    return np.float64(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clip every gradient element into [−``clip_value``, ``clip_value``], in place."""
    clip_value = check_float(clip_value, "clip_value", "clip_grad_value_", minimum=0.0)
    for g in _grads(parameters, "clip_grad_value_"):
        np.clip(g, -clip_value, clip_value, out=g)



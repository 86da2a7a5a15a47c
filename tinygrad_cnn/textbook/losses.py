"""The two costs of :mod:`layerwise`, in plain numpy: the book's squared error and cross-entropy on logits,
both summed over the batch like the book's C_T, and δ at the model's output (MATH.md (G1), (G2)).

>>> t = targets_for(np.zeros((1, 2)), np.array([1]), "squared_error")
>>> loss_delta(np.array([[0.25, 0.75]]), t, "squared_error")      # (G1): a − t
array([[ 0.25, -0.25]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["LOSSES", "cost", "log_softmax", "loss_delta", "targets_for"]

LOSSES = ("squared_error", "cross_entropy")


def targets_for(output: np.ndarray, target: Any, loss: str) -> np.ndarray:
    """The target as an array of the output's shape: integer class indices (N,) become one-hot rows; an
    array of the output's shape (one-hot, or class probabilities for cross-entropy) is used as it is.

    >>> targets_for(np.zeros((2, 3)), np.array([2, 0]), "cross_entropy")
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
    t = np.asarray(getattr(target, "data", target) if not isinstance(target, np.ndarray) else target)
    if t.dtype.kind not in "iufb":
        raise TypeError(f"target must be class indices or an array of numbers; got {type(target).__name__} "
                        f"{target!r:.40}")
    if loss == "cross_entropy" and output.ndim != 2:
        raise ValueError(f"cross_entropy needs the model's output to be logits (N, C); got shape {output.shape}")
    if t.dtype.kind in "iu" and output.ndim == 2 and t.shape == output.shape[:1]:
        if t.size and (t.min() < 0 or t.max() >= output.shape[1]):
            raise ValueError(f"target classes must be in [0, {output.shape[1]}); got {t.min()}..{t.max()}")
        return np.eye(output.shape[1])[t]  # (N, C) one-hot
    if t.dtype.kind not in "iufb" or t.shape != output.shape:
        raise ValueError(f"target must be class indices of shape {output.shape[:1]} or an array of the output's "
                         f"shape {output.shape}; got {t.dtype} array of shape {t.shape}")
    return t.astype(np.float64)


def log_softmax(u: np.ndarray) -> np.ndarray:
    """log softmax(u) over the classes (axis 1), shifted by the row maximum so no exp overflows."""
    shifted = u - u.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cost(output: np.ndarray, t: np.ndarray, loss: str) -> float:
    """C_T: the loss summed over the batch, as the book's cost."""
    if loss == "squared_error":
        return float(0.5 * np.sum((output - t) ** 2))  # eq. (4), summed over the batch (C_T)
    return float(-np.sum(t * log_softmax(output)))  # C = −Σ_n t_n log softmax(u)_n, summed over the batch


def loss_delta(output: np.ndarray, t: np.ndarray, loss: str) -> np.ndarray:
    """∂C/∂(model output): (G1) a − t for squared error; (G2) softmax(u)·Σ_n t_n − t for cross-entropy on the
    logits u (softmax − t for a one-hot or probability target)."""
    if loss == "squared_error":
        return output - t  # (G1): with the output layer's σ' (G3) this is eq. (17)
    return np.exp(log_softmax(output)) * t.sum(axis=1, keepdims=True) - t  # (G2)

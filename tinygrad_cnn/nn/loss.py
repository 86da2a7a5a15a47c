"""Loss modules, thin wrappers of the functions in ``tinygrad_cnn.functional`` (PyTorch's names and arguments).

>>> from tinygrad_cnn import Tensor, nn
>>> nn.CrossEntropyLoss(label_smoothing=0.1)(Tensor([[0.0, 0.0]]), [1]).item() == __import__("math").log(2)
True
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .._checks import check_float, check_int
from ..tensor import Tensor
from .module import Module

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss", "NLLLoss", "SquaredErrorLoss"]


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """``F.mse_loss``: (input − target)², averaged by default."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class SquaredErrorLoss(Module):
    """The book's cost C = ½ Σ (t − a)², summed over outputs and the batch (``F.squared_error``)."""

    def forward(self, output: Tensor, target: Any) -> Tensor:
        return F.squared_error(output, target)


class NLLLoss(_Loss):
    """``F.nll_loss``: input holds log-probabilities (e.g. from ``LogSoftmax(dim=1)``)."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        check_int(ignore_index, "ignore_index", "NLLLoss")
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(_Loss):
    """``F.cross_entropy``: logits and class indices (or class probabilities), optional label smoothing."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        check_int(ignore_index, "ignore_index", "CrossEntropyLoss")
        check_float(label_smoothing, "label_smoothing", "CrossEntropyLoss", minimum=0.0, maximum=1.0)
        self.weight, self.ignore_index, self.label_smoothing = weight, ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class BCEWithLogitsLoss(_Loss):
    """``F.binary_cross_entropy_with_logits``: a sigmoid and binary cross-entropy in one stable step."""

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)


class BCELoss(_Loss):
    """``F.binary_cross_entropy``: probabilities (e.g. after ``Sigmoid``) and targets in [0, 1]."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)

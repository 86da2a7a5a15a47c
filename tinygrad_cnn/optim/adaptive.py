"""``Adadelta`` (Zeiler) and ``Adagrad`` (Duchi et al.), as ``torch.optim``: step sizes from accumulated squares.

>>> from tinygrad_cnn import Tensor, optim
>>> w = Tensor([1.0], requires_grad=True)
>>> opt = optim.Adagrad([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()
>>> round(float(w.data[0]), 6)       # 1 − 0.1·2/√(2²): Adagrad's first step is lr·sign(g)
0.9
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._checks import check_float
from ..tensor import Tensor
from .optimizer import Optimizer, write_

__all__ = ["Adadelta", "Adagrad"]


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta`` (PyTorch's defaults lr=1.0, rho=0.9, eps=1e-6). With g the gradient
    (negated if ``maximize``)::

        g ← g + λθ                                  (weight_decay λ)
        v ← ρv + (1 − ρ)g²                          state "square_avg"
        Δ ← √(u + ε)/√(v + ε) · g
        u ← ρu + (1 − ρ)Δ²                          state "acc_delta"
        θ ← θ − η Δ
    """

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                                  "maximize": maximize})

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        group["rho"] = check_float(group["rho"], "rho", "Adadelta", minimum=0.0, maximum=1.0)
        group["eps"] = check_float(group["eps"], "eps", "Adadelta", minimum=0.0)

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        rho, eps = group["rho"], group["eps"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            state["acc_delta"] = np.zeros_like(p.data)
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.data
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        write_(p, p.data - group["lr"] * delta)


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad`` (defaults lr=0.01, lr_decay=0, eps=1e-10). With g the gradient
    (negated if ``maximize``) and t this parameter's step::

        g ← g + λθ                                  (weight_decay λ)
        η_t ← η / (1 + (t − 1)·lr_decay)
        s ← s + g²                                  state "sum", starts at initial_accumulator_value
        θ ← θ − η_t g / (√s + ε)
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value, "eps": eps,
                                  "maximize": maximize})

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        group["lr_decay"] = check_float(group["lr_decay"], "lr_decay", "Adagrad", minimum=0.0)
        group["initial_accumulator_value"] = check_float(group["initial_accumulator_value"],
                                                         "initial_accumulator_value", "Adagrad", minimum=0.0)
        group["eps"] = check_float(group["eps"], "eps", "Adagrad", minimum=0.0)

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.data
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        write_(p, p.data - clr * grad / (np.sqrt(state["sum"]) + group["eps"]))

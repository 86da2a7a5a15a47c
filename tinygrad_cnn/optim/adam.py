"""``Adam`` and ``AdamW`` (Kingma & Ba; Loshchilov & Hutter), per-parameter state as in ``torch.optim``.

>>> import numpy as np
>>> from tinygrad_cnn import Tensor, optim
>>> w = Tensor([1.0, -1.0], requires_grad=True)
>>> opt = optim.Adam([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()                      # the first Adam step moves each weight by about lr, against the gradient
>>> np.round(w.data, 6)
array([ 0.9, -0.9])
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .._checks import check_bool, check_float
from ..tensor import Tensor
from .optimizer import Optimizer, write_

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``. With g the gradient (negated if ``maximize``) and t this parameter's step::

        g ← g + λθ                      (weight_decay λ; AdamW instead decays θ ← θ(1 − ηλ) first)
        m ← β₁m + (1 − β₁)g             state "exp_avg"
        v ← β₂v + (1 − β₂)g²            state "exp_avg_sq"
        v̂max ← max(v̂max, v)             state "max_exp_avg_sq", amsgrad only (v is replaced by it below)
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    t counts the steps in which this parameter had a gradient (state "step"), so a parameter that joins
    late gets the full bias correction from its own first step.
    """

    _decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        name = type(self).__name__
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{name}: betas must be a pair of numbers, got {betas!r}")
        for index, beta in enumerate(betas):
            beta = check_float(beta, f"betas[{index}]", name, minimum=0.0)
            if beta >= 1.0:
                raise ValueError(f"{name}: betas[{index}] must be in [0, 1), got {beta!r}")
        group["betas"] = (float(betas[0]), float(betas[1]))
        group["eps"] = check_float(group["eps"], "eps", name, minimum=0.0)
        group["amsgrad"] = check_bool(group["amsgrad"], "amsgrad", name)

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        theta = p.data
        if weight_decay != 0:
            if self._decoupled:
                theta = theta * (1 - lr * weight_decay)
            else:
                grad = grad + weight_decay * theta
        m, v = state["exp_avg"], state["exp_avg_sq"]  # updated in place (out=), also when 0-d
        np.add(m, (1 - beta1) * (grad - m), out=m)  # = β₁m + (1 − β₁)g (PyTorch's lerp)
        np.multiply(v, beta2, out=v)
        np.add(v, (1 - beta2) * grad * grad, out=v)
        step = state["step"]
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = math.sqrt(1 - beta2**step)
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        denom = np.sqrt(v) / bias_correction2_sqrt + eps
        write_(p, theta - (lr / bias_correction1) * m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (``torch.optim.AdamW``): θ ← θ(1 − ηλ) before the Adam step; λ = 1e-2."""

    _decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)

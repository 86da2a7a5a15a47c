"""``RMSprop`` (Hinton), as ``torch.optim.RMSprop``: the gradient divided by a running root mean square.

>>> from tinygrad_cnn import Tensor, optim
>>> w = Tensor([1.0], requires_grad=True)
>>> opt = optim.RMSprop([w], lr=0.01)
>>> (w * w).sum().backward()
>>> opt.step()
>>> round(float(w.data[0]), 4)       # 1 − 0.01·2/√(0.01·4): the first step is lr/√(1 − α)
0.9
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._checks import check_bool, check_float
from ..tensor import Tensor
from .optimizer import Optimizer, write_

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """With g the gradient (negated if ``maximize``)::

        g ← g + λθ                                   (weight_decay λ)
        s ← αs + (1 − α)g²                           state "square_avg"
        ḡ ← αḡ + (1 − α)g                            state "grad_avg", centered only
        d ← √(s − ḡ²) + ε  (centered),  √s + ε (otherwise)
        b ← μb + g/d,  θ ← θ − ηb                    state "momentum_buffer", if momentum μ > 0
        θ ← θ − η g/d                                otherwise
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay, "momentum": momentum,
                        "centered": centered, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        group["alpha"] = check_float(group["alpha"], "alpha", "RMSprop", minimum=0.0)
        group["eps"] = check_float(group["eps"], "eps", "RMSprop", minimum=0.0)
        group["momentum"] = check_float(group["momentum"], "momentum", "RMSprop", minimum=0.0)
        group["centered"] = check_bool(group["centered"], "centered", "RMSprop")

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        alpha, eps, momentum = group["alpha"], group["eps"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.data
        square_avg = state["square_avg"]
        np.multiply(square_avg, alpha, out=square_avg)  # in place (out=), also when 0-d
        np.add(square_avg, (1 - alpha) * grad * grad, out=square_avg)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            np.add(grad_avg, (1 - alpha) * (grad - grad_avg), out=grad_avg)  # PyTorch's lerp
            denom = np.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            denom = np.sqrt(square_avg) + eps
        if momentum > 0:
            buf = state.setdefault("momentum_buffer", np.zeros_like(p.data))
            np.multiply(buf, momentum, out=buf)
            np.add(buf, grad / denom, out=buf)
            write_(p, p.data - group["lr"] * buf)
        else:
            write_(p, p.data - group["lr"] * grad / denom)

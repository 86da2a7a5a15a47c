"""``SGD``: the book's gradient descent Δθ = −η ∂C/∂θ, with PyTorch's momentum, dampening, Nesterov and decay.

>>> from tinygrad_cnn import Tensor, optim
>>> w = Tensor([1.0, -2.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()
>>> w.data
array([ 0.8, -1.6])
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._checks import check_bool, check_float
from ..tensor import Tensor
from .optimizer import Optimizer, write_

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD`` (same arguments, defaults and state).

    With g the gradient (negated if ``maximize``), λ ``weight_decay``, μ ``momentum``, τ ``dampening``::

        g ← g + λθ
        b ← g (first step),  b ← μb + (1 − τ)g (later steps)      # state "momentum_buffer", if μ ≠ 0
        g ← g + μb (nesterov)  or  g ← b                            # if μ ≠ 0
        θ ← θ − η g
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                        "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        group["momentum"] = check_float(group["momentum"], "momentum", "SGD", minimum=0.0)
        group["dampening"] = check_float(group["dampening"], "dampening", "SGD")
        group["nesterov"] = check_bool(group["nesterov"], "nesterov", "SGD")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov=True requires a momentum > 0 and zero dampening, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        momentum, weight_decay = group["momentum"], group["weight_decay"]
        if weight_decay != 0:
            grad = grad + weight_decay * p.data
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:  # an array even for a 0-d parameter (grad may be a numpy scalar by now)
                buf = state["momentum_buffer"] = np.array(grad, dtype=p.dtype)
            else:  # in place, with out=: a state that is not an array raises instead of being rebound
                np.multiply(buf, momentum, out=buf)
                np.add(buf, (1 - group["dampening"]) * grad, out=buf)
            grad = grad + momentum * buf if group["nesterov"] else buf
        write_(p, p.data - group["lr"] * grad)

"""Optimizers, PyTorch-shaped: ``SGD`` (the textbook's gradient descent, plus momentum) and ``Adam``.

>>> from tinygrad_cnn import Tensor, optim
>>> w = Tensor([1.0, -2.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()
>>> w.data
array([ 0.8, -1.6])
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .grad_mode import no_grad
from .tensor import Tensor

__all__ = ["Adam", "Optimizer", "SGD"]


class Optimizer:
    """Holds the parameters to update; ``zero_grad`` resets their gradients to None."""

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: params is empty; pass model.parameters() or a list of tensors")
        for index, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad or not p.is_leaf:
                raise TypeError(f"{type(self).__name__}: params[{index}] must be a leaf Tensor with requires_grad=True")
        if not isinstance(lr, (int, float)) or lr <= 0:
            raise ValueError(f"{type(self).__name__}: lr must be a positive number, got {lr!r}")
        self.lr = float(lr)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        raise NotImplementedError


def _non_negative(value: Any, name: str, owner: str) -> float:
    if not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative number, got {value!r}")
    return float(value)


class SGD(Optimizer):
    """θ ← θ − η·g, the book's Δθ = −η ∂C/∂θ; with ``momentum`` μ: v ← μv + g, θ ← θ − η·v (PyTorch's form).

    ``weight_decay`` adds λθ to the gradient. Parameters whose ``.grad`` is None are skipped.
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params, lr)
        self.momentum = _non_negative(momentum, "momentum", "SGD")
        self.weight_decay = _non_negative(weight_decay, "weight_decay", "SGD")
        if nesterov and self.momentum == 0:
            raise ValueError("SGD: nesterov=True needs a momentum > 0")
        self.nesterov = nesterov
        self._velocity: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        for index, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad
            if self.momentum:
                v = self._velocity[index]
                v = g.copy() if v is None else self.momentum * v + g
                self._velocity[index] = v
                g = g + self.momentum * v if self.nesterov else v
            with no_grad():  # in place: the same parameter object and array (engine arrays are read-only)
                p -= (self.lr * g).astype(p.dtype, copy=False)


class Adam(Optimizer):
    """Adam (Kingma & Ba): bias-corrected first and second moment estimates of the gradient."""

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        beta1, beta2 = betas
        for name, beta in (("betas[0]", beta1), ("betas[1]", beta2)):
            if not 0 <= beta < 1:
                raise ValueError(f"Adam: {name} must be in [0, 1), got {beta!r}")
        self.betas = (float(beta1), float(beta2))
        self.eps = _non_negative(eps, "eps", "Adam")
        self.weight_decay = _non_negative(weight_decay, "weight_decay", "Adam")
        self._m = [np.zeros_like(p.data) for p in self.params]
        self._v = [np.zeros_like(p.data) for p in self.params]
        self._t = 0

    def step(self) -> None:
        self._t += 1
        beta1, beta2 = self.betas
        for index, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad
            self._m[index] = beta1 * self._m[index] + (1 - beta1) * g
            self._v[index] = beta2 * self._v[index] + (1 - beta2) * g * g
            m_hat = self._m[index] / (1 - beta1**self._t)
            v_hat = self._v[index] / (1 - beta2**self._t)
            with no_grad():
                p -= (self.lr * m_hat / (np.sqrt(v_hat) + self.eps)).astype(p.dtype, copy=False)

"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: call ``scheduler.step()`` once per epoch, after
``optimizer.step()``.

Each scheduler sets ``group["lr"]`` of its optimizer's groups; ``get_last_lr()`` gives the values it last set;
``state_dict()``/``load_state_dict()`` save and restore the schedule's position (the optimizer's learning rates
are saved by the optimizer's own ``state_dict``). The recurrences are PyTorch's, so schedules agree step by step.

>>> from tinygrad_cnn import Tensor, optim
>>> opt = optim.SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
>>> sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for epoch in range(5):
...     lrs.append(sched.get_last_lr()[0])
...     opt.step()
...     sched.step()
>>> lrs
[1.0, 1.0, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

import math
import types
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from .._checks import check_float, check_int, is_int, is_real
from .optimizer import Optimizer

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "MultiStepLR", "StepLR"]


class LRScheduler:
    """Base class: ``last_epoch`` counts the calls of ``step()``; subclasses give ``get_lr()``.

    Creating a scheduler records each group's ``initial_lr`` and takes step 0 (``last_epoch`` becomes 0), as in
    PyTorch. ``last_epoch=k`` resumes a schedule whose groups already hold ``initial_lr``: construction then sets
    ``last_epoch`` to k + 1, and the schedules that multiply the current rate every epoch (``ExponentialLR``,
    ``CosineAnnealingLR``) leave it unchanged on that construction step (``_is_initial``), as PyTorch 2.13 does.
    """

    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: optimizer must be an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        last_epoch = check_int(last_epoch, "last_epoch", name, minimum=-1)
        added = []  # the groups this scheduler gives an initial_lr, undone if its first step fails
        if last_epoch == -1:
            for group in optimizer.param_groups:
                if "initial_lr" not in group:
                    group["initial_lr"] = group["lr"]
                    added.append(group)
        else:
            for number, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ValueError(f"{name}: param 'initial_lr' is not specified in param_groups[{number}] "
                                     f"when resuming an optimizer (last_epoch={last_epoch}, not -1)")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        except (TypeError, ValueError):  # a bad schedule leaves the optimizer as it was
            for group in added:
                del group["initial_lr"]
            raise
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rates this scheduler set last, one per parameter group."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance the schedule one epoch and write the new learning rates into the optimizer's groups."""
        self._step_count += 1
        self.last_epoch += 1
        lrs = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (functions in ``LambdaLR`` are not saved: recreate them)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer" and key != "lr_lambdas"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a schedule's position saved by ``state_dict``."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"{type(self).__name__}.load_state_dict: state_dict must be a dict (a scheduler's "
                            f"state_dict()), got {type(state_dict).__name__}")
        if "last_epoch" not in state_dict:
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected a scheduler state_dict, which has "
                             f"'last_epoch'; got keys {sorted(map(str, state_dict))}")
        self.__dict__.update({k: v for k, v in state_dict.items() if k not in ("optimizer", "lr_lambdas")})


def _group_lrs(scheduler: LRScheduler) -> list[float]:
    return [group["lr"] for group in scheduler.optimizer.param_groups]


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = check_int(step_size, "step_size", "StepLR", minimum=1)
        self.gamma = check_float(gamma, "gamma", "StepLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _group_lrs(self)
        return [lr * self.gamma for lr in _group_lrs(self)]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each epoch listed in ``milestones``."""

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            raise TypeError(f"MultiStepLR: milestones must be a list of ints, got {milestones!r}")
        milestones = list(milestones)
        if not all(is_int(m) for m in milestones):
            raise TypeError(f"MultiStepLR: milestones must be a list of ints, got {milestones!r}")
        self.milestones = Counter(int(m) for m in milestones)
        self.gamma = check_float(gamma, "gamma", "MultiStepLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return _group_lrs(self)
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in _group_lrs(self)]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = check_float(gamma, "gamma", "ExponentialLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:  # also when resuming: the rate the groups hold is this epoch's
            return _group_lrs(self)
        return [lr * self.gamma for lr in _group_lrs(self)]


class CosineAnnealingLR(LRScheduler):
    """η_t = η_min + (η_0 − η_min)(1 + cos(π t / T_max))/2, by PyTorch's recurrence (it restarts upward after T_max)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max = check_int(T_max, "T_max", "CosineAnnealingLR", minimum=1)
        self.eta_min = check_float(eta_min, "eta_min", "CosineAnnealingLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:  # also when resuming: the rate the groups hold is this epoch's
            return _group_lrs(self)
        if self._step_count == 1 and t > 0:  # PyTorch's closed form (reached only with a reset _step_count)
            return [eta_min + (base - eta_min) * (1 + math.cos(t * math.pi / T)) / 2 for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, _group_lrs(self))]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - eta_min) + eta_min
                for lr in _group_lrs(self)]


class LambdaLR(LRScheduler):
    """η_t = η_0 · ``lr_lambda(t)``; ``lr_lambda`` is a function or a list of one function per group."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        count = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * count
        if len(lambdas) != count:
            raise ValueError(f"LambdaLR: expected {count} lr_lambdas (one per parameter group), got {len(lambdas)}")
        for index, fn in enumerate(lambdas):
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda[{index}] must be callable, got {type(fn).__name__}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        lrs = []
        for index, (fn, base) in enumerate(zip(self.lr_lambdas, self.base_lrs)):
            factor = fn(self.last_epoch)
            if not is_real(factor):
                raise TypeError(f"LambdaLR: lr_lambda[{index}]({self.last_epoch}) must return a number, "
                                f"got {type(factor).__name__} {factor!r:.40}")
            if not (math.isfinite(factor) and factor >= 0):
                raise ValueError(f"LambdaLR: lr_lambda[{index}]({self.last_epoch}) returned {factor!r}; the factor of "
                                 "the learning rate must be a finite number >= 0")
            lrs.append(base * factor)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """As the base class, plus ``lr_lambdas``: None for plain functions, the ``__dict__`` of callable objects."""
        state = super().state_dict()
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for fn, saved in zip(self.lr_lambdas, state_dict.get("lr_lambdas") or []):
            if saved is not None:
                fn.__dict__.update(saved)

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

from .._checks import check_bool, check_float, check_int, is_int, is_real
from .optimizer import Optimizer

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "MultiStepLR", "OneCycleLR",
           "ReduceLROnPlateau", "StepLR"]


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


class ReduceLROnPlateau:
    """Multiply the learning rate by ``factor`` once a metric has stopped improving for ``patience`` epochs, as
    ``torch.optim.lr_scheduler.ReduceLROnPlateau``: call ``step(metric)`` once per epoch.

    "Improving" is ``metric < best·(1 − threshold)`` (mode "min", threshold_mode "rel"), ``< best − threshold``
    ("abs"), and the mirror images for mode "max". After a reduction, ``cooldown`` epochs pass before bad epochs
    count again; no learning rate goes below ``min_lr``, and a change smaller than ``eps`` is not made.

    >>> from tinygrad_cnn import Tensor, optim
    >>> opt = optim.SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0, 2.0]:
    ...     sched.step(loss)
    >>> sched.get_last_lr()       # after 2.0: bad epochs 1, 2 (> patience: halve), 1, 2 (halve again)
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | Sequence[float] = 0.0, eps: float = 1e-8) -> None:
        name = "ReduceLROnPlateau"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: optimizer must be an Optimizer, got {type(optimizer).__name__}")
        if mode not in ("min", "max"):
            raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{name}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.factor = check_float(factor, "factor", name, minimum=0.0)
        if self.factor >= 1.0:
            raise ValueError(f"{name}: factor should be < 1.0 (it multiplies the learning rate), got {factor!r}")
        groups = optimizer.param_groups
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(groups):
                raise ValueError(f"{name}: expected {len(groups)} min_lrs (one per parameter group), got {len(min_lr)}")
            self.min_lrs = [check_float(v, "min_lr", name, minimum=0.0) for v in min_lr]
        else:
            self.min_lrs = [check_float(min_lr, "min_lr", name, minimum=0.0)] * len(groups)
        self.optimizer, self.mode, self.threshold_mode = optimizer, mode, threshold_mode
        self.patience = check_int(patience, "patience", name, minimum=0)
        self.threshold = check_float(threshold, "threshold", name, minimum=0.0)
        self.cooldown = check_int(cooldown, "cooldown", name, minimum=0)
        self.eps = check_float(eps, "eps", name, minimum=0.0)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = _group_lrs(self)  # type: ignore[arg-type]

    def is_better(self, a: float, best: float) -> bool:
        if self.mode == "min":
            return a < best * (1 - self.threshold) if self.threshold_mode == "rel" else a < best - self.threshold
        return a > best * (1 + self.threshold) if self.threshold_mode == "rel" else a > best + self.threshold

    def step(self, metrics: Any) -> None:
        """One epoch's value of the monitored metric (a number or a one-element tensor)."""
        try:
            current = float(metrics)
        except (TypeError, ValueError):
            raise TypeError(f"ReduceLROnPlateau.step: metrics must be a number, got {type(metrics).__name__} "
                            f"{metrics!r:.40}") from None
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not isinstance(state_dict, dict) or "best" not in state_dict:
            raise ValueError("ReduceLROnPlateau.load_state_dict: expected a ReduceLROnPlateau state_dict (with 'best')")
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "optimizer"})


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith), as ``torch.optim.lr_scheduler.OneCycleLR``: call ``step()`` after every batch.

    The learning rate rises from max_lr/``div_factor`` to ``max_lr`` over the first ``pct_start`` of
    ``total_steps`` (or ``epochs·steps_per_epoch``), then anneals to initial_lr/``final_div_factor``
    (``anneal_strategy`` "cos" or "linear"; ``three_phase`` comes back to the initial rate first). With
    ``cycle_momentum`` the momentum (SGD's ``momentum``, Adam's β₁) moves the other way, between
    ``max_momentum`` and ``base_momentum``. Stepping past ``total_steps`` raises a ValueError, as in PyTorch.

    >>> from tinygrad_cnn import Tensor, optim
    >>> opt = optim.SGD([Tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9)
    >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=10)
    >>> lrs = []
    >>> for _ in range(10):
    ...     lrs.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> lrs[:3], max(lrs), lrs[-1]
    ([0.04, 0.52, 1.0], 1.0, 0.0)
    >>> sched.step()
    Traceback (most recent call last):
        ...
    ValueError: OneCycleLR: tried to step 11 times; the specified number of total steps is 10
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | Sequence[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True, base_momentum: float = 0.85,
                 max_momentum: float = 0.95, div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1) -> None:
        name = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: optimizer must be an Optimizer, got {type(optimizer).__name__}")
        if total_steps is not None:
            self.total_steps = check_int(total_steps, "total_steps", name, minimum=1)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (check_int(epochs, "epochs", name, minimum=1)
                                * check_int(steps_per_epoch, "steps_per_epoch", name, minimum=1))
        else:
            raise ValueError(f"{name}: you must define either total_steps OR (epochs AND steps_per_epoch)")
        pct_start = check_float(pct_start, "pct_start", name, minimum=0.0, maximum=1.0)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{name}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy, self.cycle_momentum = anneal_strategy, check_bool(cycle_momentum, "cycle_momentum",
                                                                                  name)
        div_factor = check_float(div_factor, "div_factor", name, minimum=0.0)
        final_div_factor = check_float(final_div_factor, "final_div_factor", name, minimum=0.0)
        groups = optimizer.param_groups
        max_lrs = list(max_lr) if isinstance(max_lr, (list, tuple)) else [max_lr] * len(groups)
        if len(max_lrs) != len(groups):
            raise ValueError(f"{name}: expected {len(groups)} max_lrs (one per parameter group), got {len(max_lrs)}")
        max_lrs = [check_float(v, "max_lr", name, minimum=0.0) for v in max_lrs]
        self.use_beta1 = "betas" in optimizer.defaults
        if self.cycle_momentum and "momentum" not in optimizer.defaults and not self.use_beta1:
            raise ValueError(f"{name}: optimizer must support momentum or beta1 with cycle_momentum enabled")
        base_momentum = check_float(base_momentum, "base_momentum", name)
        max_momentum = check_float(max_momentum, "max_momentum", name)
        end = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._phases = [(end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr", "base_momentum",
                             "max_momentum"),
                            (self.total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._phases = [(end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (self.total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        if last_epoch == -1:
            for group, top in zip(groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"], group["min_lr"] = top, group["initial_lr"] / final_div_factor
        if self.cycle_momentum:
            for group in groups:
                if last_epoch == -1:
                    self._set_momentum(group, max_momentum)
                group["max_momentum"], group["base_momentum"] = max_momentum, base_momentum
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step} times; the specified number of total steps is "
                             f"{self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, (end_step, start_lr, end_lr, start_m, end_m) in enumerate(self._phases):
                if step <= end_step or i == len(self._phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    lr = self._anneal(group[start_lr], group[end_lr], pct)
                    momentum = self._anneal(group[start_m], group[end_m], pct) if self.cycle_momentum else None
                    break
                start_step = end_step
            lrs.append(lr)
            if momentum is not None:
                self._set_momentum(group, momentum)
        return lrs

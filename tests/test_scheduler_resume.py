"""Schedulers constructed with ``last_epoch >= 0`` (resuming), as in PyTorch 2.13.

Construction takes one step with ``last_epoch`` ← ``last_epoch + 1``. The schedules whose rule multiplies the
current rate every epoch (``ExponentialLR``, the chainable ``CosineAnnealingLR``) leave the rate unchanged on that
construction step, so a resumed scheduler does not move the rate one epoch ahead; ``StepLR``, ``MultiStepLR`` and
``LambdaLR`` apply their rule at the new ``last_epoch`` (a milestone there does decay). Every group must hold
``initial_lr``. First the hand values (no PyTorch), then a grid against ``torch.optim.lr_scheduler``.
"""

import math

import numpy as np
import pytest

from tinygrad_cnn import Tensor, optim
from tinygrad_cnn.optim import lr_scheduler as sched


def _opt(lr=0.1, initial_lr=0.2, groups=1):
    params = [{"params": [Tensor([0.0], requires_grad=True)], "lr": lr * (k + 1)} for k in range(groups)]
    opt = optim.SGD(params, lr=lr)
    for k, group in enumerate(opt.param_groups):
        group["initial_lr"] = initial_lr * (k + 1)
    return opt


def _lrs(opt, scheduler, steps):
    out = [[g["lr"] for g in opt.param_groups]]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        out.append([g["lr"] for g in opt.param_groups])
    return out


def test_exponential_resumed_keeps_the_rate_at_construction():
    opt = _opt(lr=0.1)
    s = sched.ExponentialLR(opt, gamma=0.5, last_epoch=2)
    assert s.last_epoch == 3
    assert _lrs(opt, s, 2) == [[0.1], [0.05], [0.025]]  # used to be 0.05 at construction


def test_cosine_resumed_keeps_the_rate_at_construction_then_follows_the_recurrence():
    opt = _opt(lr=0.1, initial_lr=0.2)
    s = sched.CosineAnnealingLR(opt, T_max=4, last_epoch=0)
    lrs = [lr for (lr,) in _lrs(opt, s, 1)]
    assert lrs[0] == 0.1  # used to jump to the closed form at t = 1 (0.2·(1 + cos(π/4))/2)
    t = 2  # the next step: (1 + cos(πt/T))/(1 + cos(π(t−1)/T))·lr
    assert lrs[1] == pytest.approx((1 + math.cos(math.pi * t / 4)) / (1 + math.cos(math.pi * (t - 1) / 4)) * 0.1,
                                   rel=1e-15)


def test_step_multistep_lambda_apply_their_rule_at_the_new_epoch():
    opt = _opt(lr=0.1)
    assert sched.StepLR(opt, step_size=2, gamma=0.5, last_epoch=1).get_last_lr() == [0.05]  # epoch 2 decays
    opt = _opt(lr=0.1)
    assert sched.MultiStepLR(opt, milestones=[3], gamma=0.5, last_epoch=1).get_last_lr() == [0.1]
    opt = _opt(lr=0.1, initial_lr=0.2)
    assert sched.LambdaLR(opt, lambda e: 0.5**e, last_epoch=1).get_last_lr() == [0.2 * 0.25]


@pytest.mark.parametrize("make", [lambda o: sched.StepLR(o, 2, last_epoch=0),
                                  lambda o: sched.ExponentialLR(o, 0.5, last_epoch=3),
                                  lambda o: sched.CosineAnnealingLR(o, 4, last_epoch=1)])
def test_resuming_needs_initial_lr_in_every_group_and_changes_nothing_without(make):
    opt = optim.SGD([Tensor([0.0], requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="initial_lr"):
        make(opt)
    assert opt.param_groups[0] == {**opt.param_groups[0], "lr": 0.1} and "initial_lr" not in opt.param_groups[0]


def _torch_cases():
    makers = {
        "StepLR": lambda m, o, e: m.StepLR(o, step_size=3, gamma=0.5, last_epoch=e),
        "MultiStepLR": lambda m, o, e: m.MultiStepLR(o, milestones=[2, 4, 4, 7], gamma=0.5, last_epoch=e),
        "ExponentialLR": lambda m, o, e: m.ExponentialLR(o, gamma=0.8, last_epoch=e),
        "CosineAnnealingLR": lambda m, o, e: m.CosineAnnealingLR(o, T_max=5, eta_min=0.01, last_epoch=e),
        "CosineAnnealingLR-T1": lambda m, o, e: m.CosineAnnealingLR(o, T_max=1, last_epoch=e),
        "LambdaLR": lambda m, o, e: m.LambdaLR(o, lambda k: 1 / (k + 1), last_epoch=e),
    }
    return [(name, make, e, lr) for name, make in makers.items() for e in (-1, 0, 1, 2, 4, 5, 9)
            for lr in (0.1, 0.2)]


@pytest.mark.parametrize("name, make, last_epoch, lr", _torch_cases(),
                         ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in _torch_cases()])
def test_matches_torch(name, make, last_epoch, lr):
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    ours = _opt(lr=lr, initial_lr=0.2, groups=2)
    params = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr * (k + 1)} for k in range(2)]
    theirs = torch.optim.SGD(params, lr=lr)
    for k, group in enumerate(theirs.param_groups):
        group["initial_lr"] = 0.2 * (k + 1)
    mine, ref = make(sched, ours, last_epoch), make(torch.optim.lr_scheduler, theirs, last_epoch)
    assert mine.last_epoch == ref.last_epoch
    np.testing.assert_allclose(_lrs(ours, mine, 12), _lrs(theirs, ref, 12), rtol=1e-12, atol=1e-15)

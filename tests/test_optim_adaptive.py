"""Adadelta, Adagrad, ReduceLROnPlateau and OneCycleLR: PyTorch's update rules and defaults.

First line: each against its recurrence written out in plain Python floats (no numpy, no PyTorch), on one scalar
parameter with the loss L(θ) = θ³ (gradient 3θ²). Second line: against ``torch.optim`` where it is installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import optim
from tinygrad_cnn.optim import lr_scheduler

STEPS = 6


def _ours(make, theta0=0.7, steps=STEPS):
    p = tg.Tensor(np.array([theta0]), requires_grad=True)
    opt = make([p])
    trace = []
    for _ in range(steps):
        opt.zero_grad()
        (p ** 3).sum().backward()
        opt.step()
        trace.append(float(p.data[0]))
    return trace, opt


def _adadelta_oracle(theta, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, steps=STEPS):
    v = u = 0.0
    out = []
    for _ in range(steps):
        g = 3 * theta * theta + weight_decay * theta
        v = rho * v + (1 - rho) * g * g
        delta = math.sqrt(u + eps) / math.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        theta -= lr * delta
        out.append(theta)
    return out


def _adagrad_oracle(theta, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial=0.0, eps=1e-10, steps=STEPS):
    s = initial
    out = []
    for t in range(1, steps + 1):
        g = 3 * theta * theta + weight_decay * theta
        clr = lr / (1 + (t - 1) * lr_decay)
        s += g * g
        theta -= clr * g / (math.sqrt(s) + eps)
        out.append(theta)
    return out


@pytest.mark.parametrize("kwargs", [{}, {"lr": 0.5, "rho": 0.5, "eps": 1e-3}, {"weight_decay": 0.1}])
def test_adadelta_is_its_recurrence(kwargs):
    trace, opt = _ours(lambda ps: optim.Adadelta(ps, **kwargs))
    assert trace == pytest.approx(_adadelta_oracle(0.7, **kwargs), rel=1e-12)
    assert opt.defaults["lr"] == kwargs.get("lr", 1.0) and sorted(opt.state[opt.param_groups[0]["params"][0]]) == [
        "acc_delta", "square_avg", "step"]


@pytest.mark.parametrize("kwargs", [{}, {"lr": 0.1, "lr_decay": 0.05}, {"initial_accumulator_value": 0.5,
                                                                       "weight_decay": 0.2, "eps": 1e-3}])
def test_adagrad_is_its_recurrence(kwargs):
    oracle_kwargs = dict(kwargs)
    if "initial_accumulator_value" in oracle_kwargs:
        oracle_kwargs["initial"] = oracle_kwargs.pop("initial_accumulator_value")
    trace, _ = _ours(lambda ps: optim.Adagrad(ps, **kwargs))
    assert trace == pytest.approx(_adagrad_oracle(0.7, **oracle_kwargs), rel=1e-12)


def test_bad_hyper_parameters_are_refused():
    p = [tg.Tensor([1.0], requires_grad=True)]
    with pytest.raises(ValueError, match="Adadelta: rho must be"):
        optim.Adadelta(p, rho=1.5)
    with pytest.raises(ValueError, match="Adagrad: lr_decay must be"):
        optim.Adagrad(p, lr_decay=-1.0)
    opt = optim.SGD(p, lr=1.0)
    with pytest.raises(ValueError, match="factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=2.0)
    with pytest.raises(ValueError, match="total_steps OR"):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="momentum or beta1"):
        lr_scheduler.OneCycleLR(optim.Adagrad(p), max_lr=1.0, total_steps=5)
    assert "initial_lr" not in opt.param_groups[0]  # a refused scheduler left the optimizer as it was


# ------------------------------------------------------------------------------ schedulers
def _plateau_oracle(metrics, lr=1.0, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                    cooldown=0, min_lr=0.0, eps=1e-8):
    best, bad, cool, out = (math.inf if mode == "min" else -math.inf), 0, 0, []
    for m in metrics:
        if mode == "min":
            better = m < best * (1 - threshold) if threshold_mode == "rel" else m < best - threshold
        else:
            better = m > best * (1 + threshold) if threshold_mode == "rel" else m > best + threshold
        best, bad = (m, 0) if better else (best, bad + 1)
        if cool > 0:
            cool, bad = cool - 1, 0
        if bad > patience:
            new = max(lr * factor, min_lr)
            lr = new if lr - new > eps else lr
            cool, bad = cooldown, 0
        out.append(lr)
    return out


METRICS = [3, 2, 2, 2, 2, 2, 2, 1, 1, 0.99999, 1, 1, 1, 5, 5, 5, 0.5, 0.5]
PLATEAUS = [{"patience": 1, "factor": 0.5}, {"patience": 1, "factor": 0.5, "cooldown": 2, "min_lr": 0.2},
            {"mode": "max", "patience": 0, "factor": 0.5, "threshold": 0.5, "threshold_mode": "abs"},
            {"patience": 0, "threshold": 0.5}]


@pytest.mark.parametrize("kwargs", PLATEAUS)
def test_reduce_lr_on_plateau_is_its_recurrence(kwargs):
    opt = optim.SGD([tg.Tensor([1.0], requires_grad=True)], lr=1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    lrs = []
    for m in METRICS:
        sched.step(tg.tensor(m))  # a one-element tensor, as a loss
        lrs.append(sched.get_last_lr()[0])
    assert lrs == pytest.approx(_plateau_oracle(METRICS, **kwargs))
    assert opt.param_groups[0]["lr"] == lrs[-1]


def _one_cycle_oracle(total, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4, cos=True,
                      base_m=0.85, max_m=0.95):
    initial = max_lr / div_factor
    minimum = initial / final_div_factor
    phases = [(pct_start * total - 1, initial, max_lr, max_m, base_m), (total - 1, max_lr, minimum, base_m, max_m)]

    def anneal(a, b, pct):
        return b + (a - b) / 2 * (math.cos(math.pi * pct) + 1) if cos else (b - a) * pct + a

    out, start = [], 0.0
    for step in range(total):
        start = 0.0
        for i, (end, lr0, lr1, m0, m1) in enumerate(phases):
            if step <= end or i == len(phases) - 1:
                pct = (step - start) / (end - start)
                out.append((anneal(lr0, lr1, pct), anneal(m0, m1, pct)))
                break
            start = end
    return out


@pytest.mark.parametrize(("total", "kwargs"), [(10, {}), (17, {"pct_start": 0.5, "anneal_strategy": "linear"}),
                                                (8, {"div_factor": 10.0, "final_div_factor": 100.0})])
def test_one_cycle_is_its_schedule(total, kwargs):
    opt = optim.SGD([tg.Tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=2.0, total_steps=total, **kwargs)
    seen = []
    for _ in range(total):
        seen.append((sched.get_last_lr()[0], opt.param_groups[0]["momentum"]))
        opt.step()
        sched.step()
    oracle_kwargs = {k: v for k, v in kwargs.items() if k != "anneal_strategy"}
    expected = _one_cycle_oracle(total, 2.0, cos=kwargs.get("anneal_strategy", "cos") == "cos", **oracle_kwargs)
    np.testing.assert_allclose(seen, expected, rtol=1e-12)
    with pytest.raises(ValueError, match=f"tried to step {total + 1} times"):
        sched.step()


# ------------------------------------------------------------------------------ against PyTorch
def _traces(torch, make_ours, make_theirs, steps=12, metrics=None):
    out = []
    for lib, make in ((tg, make_ours), (torch, make_theirs)):
        p = (tg.Tensor(np.array([0.7, -1.3]), requires_grad=True) if lib is tg
             else torch.tensor([0.7, -1.3], dtype=torch.float64, requires_grad=True))
        opt, sched = make(p)
        trace = []
        for i in range(steps):
            opt.zero_grad()
            (p ** 3).sum().backward()
            opt.step()
            group = opt.param_groups[0]
            trace.append([*(p.data if lib is tg else p.detach().numpy()), group["lr"],
                          group.get("momentum", group.get("betas", (0.0,))[0])])
            if sched is not None:
                sched.step(metrics[i]) if metrics else sched.step()
        out.append(np.array(trace, dtype=np.float64))
    return out


@pytest.mark.parametrize("name,kwargs", [("Adadelta", {}), ("Adadelta", {"lr": 0.3, "rho": 0.5, "weight_decay": 0.1}),
                                         ("Adagrad", {}), ("Adagrad", {"lr": 0.2, "lr_decay": 0.1,
                                                                       "initial_accumulator_value": 0.3})])
def test_optimizers_agree_with_pytorch(name, kwargs):
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    ours, theirs = _traces(torch, lambda p: (getattr(optim, name)([p], **kwargs), None),
                           lambda p: (getattr(torch.optim, name)([p], **kwargs), None))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    assert getattr(optim, name)([tg.Tensor([1.0], requires_grad=True)]).defaults.items() <= {
        **getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults}.items()


@pytest.mark.parametrize("kwargs", PLATEAUS)
def test_reduce_lr_on_plateau_agrees_with_pytorch(kwargs):
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    ours, theirs = _traces(torch, lambda p: (o := optim.SGD([p], lr=0.1), lr_scheduler.ReduceLROnPlateau(o, **kwargs)),
                           lambda p: (o := torch.optim.SGD([p], lr=0.1),
                                      torch.optim.lr_scheduler.ReduceLROnPlateau(o, **kwargs)),
                           steps=len(METRICS), metrics=METRICS)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("kwargs", [{}, {"three_phase": True, "anneal_strategy": "linear", "pct_start": 0.25},
                                    {"cycle_momentum": False, "div_factor": 5.0}])
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_one_cycle_agrees_with_pytorch(kwargs, optimizer):
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    extra = {"momentum": 0.9} if optimizer == "SGD" else {}

    def make(lib_optim, lib_sched):
        return lambda p: (o := getattr(lib_optim, optimizer)([p], lr=0.01, **extra),
                          lib_sched.OneCycleLR(o, max_lr=0.3, epochs=3, steps_per_epoch=4, **kwargs))

    ours, theirs = _traces(torch, make(optim, lr_scheduler), make(torch.optim, torch.optim.lr_scheduler))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)

"""Our optimizers and schedulers against ``torch.optim`` on the same parameters and gradients (float64, ≤ 1e-12).

Skipped without PyTorch. Gradients are drawn once per step and given to both; the second parameter gets no
gradient in the first three steps, so per-parameter state (Adam's step count) is exercised.
"""

import copy
import math

import numpy as np
import pytest

from tinygrad_cnn import Tensor, optim

torch = pytest.importorskip("torch")

OPTIMIZERS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.8, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "maximize": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "eps": 1e-3}),
]


def _run_pair(name, options, steps=10, groups=False):
    rng = np.random.default_rng(0)
    start = [rng.standard_normal(3), rng.standard_normal((2, 2))]
    ours = [Tensor(a.copy(), requires_grad=True) for a in start]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in start]
    if groups:
        ours_params = [{"params": [ours[0]]}, {"params": [ours[1]], "lr": 0.003}]
        theirs_params = [{"params": [theirs[0]]}, {"params": [theirs[1]], "lr": 0.003}]
    else:
        ours_params, theirs_params = ours, theirs
    opt = getattr(optim, name)(ours_params, **options)
    ref = getattr(torch.optim, name)(theirs_params, foreach=False, **options)
    for step in range(steps):
        for index, (p, q) in enumerate(zip(ours, theirs)):
            if index == 1 and step < 3:
                p.grad, q.grad = None, None
                continue
            g = rng.standard_normal(p.shape)
            p.grad, q.grad = g.copy(), torch.tensor(g.copy())
        opt.step()
        ref.step()
    return ours, theirs, opt, ref


@pytest.mark.parametrize("name, options", OPTIMIZERS, ids=[f"{n}-{o}" for n, o in OPTIMIZERS])
def test_ten_steps_match_torch(name, options):
    ours, theirs, _, _ = _run_pair(name, options)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("name, options", OPTIMIZERS[1::3], ids=[f"{n}-{o}" for n, o in OPTIMIZERS[1::3]])
def test_parameter_groups_and_state_match_torch(name, options):
    ours, theirs, opt, ref = _run_pair(name, options, steps=6, groups=True)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=0, atol=1e-12)
    mine, torchs = opt.state_dict(), ref.state_dict()
    assert mine["state"].keys() == torchs["state"].keys()
    for index, entries in torchs["state"].items():
        assert mine["state"][index].keys() == entries.keys()
        for key, value in entries.items():
            np.testing.assert_allclose(mine["state"][index][key], value.numpy(), rtol=0, atol=1e-12)
    for g, h in zip(mine["param_groups"], torchs["param_groups"]):
        assert g["params"] == h["params"]
        for key, value in g.items():
            assert h[key] == (list(value) if isinstance(h[key], list) and isinstance(value, tuple) else value)


def _schedules():
    return [
        ("StepLR", {"step_size": 3, "gamma": 0.5}),
        ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
        ("ExponentialLR", {"gamma": 0.9}),
        ("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.01}),
        ("CosineAnnealingLR", {"T_max": 7}),
        ("LambdaLR", {"lr_lambda": lambda epoch: 1 / (1 + epoch)}),
    ]


@pytest.mark.parametrize("name, options", _schedules(), ids=[n for n, _ in _schedules()])
def test_schedulers_match_torch(name, options):
    w, v = Tensor([1.0], requires_grad=True), torch.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [w]}], lr=0.5)
    ref = torch.optim.SGD([{"params": [v]}], lr=0.5)
    ours = getattr(optim.lr_scheduler, name)(opt, **options)
    theirs = getattr(torch.optim.lr_scheduler, name)(ref, **options)
    for epoch in range(20):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=0, abs=1e-15), epoch
        assert opt.param_groups[0]["lr"] == pytest.approx(ref.param_groups[0]["lr"], rel=0, abs=1e-15)
        opt.step()
        ref.step()
        ours.step()
        theirs.step()
    mine, torchs = ours.state_dict(), theirs.state_dict()
    for key in ("last_epoch", "base_lrs", "_step_count", "_last_lr"):
        assert mine[key] == pytest.approx(torchs[key], abs=1e-15)


def test_state_dict_loads_into_torch_and_resumes_identically():
    ours, _theirs, opt, _ref = _run_pair("Adam", {"lr": 0.01, "amsgrad": True}, steps=5)
    state = copy.deepcopy(opt.state_dict())
    for entries in state["state"].values():
        for key, value in entries.items():
            entries[key] = torch.tensor(float(value)) if key == "step" else torch.tensor(value)
    fresh = [torch.tensor(p.data.copy(), requires_grad=True) for p in ours]
    other = torch.optim.Adam(fresh, lr=0.01, amsgrad=True, foreach=False)
    other.load_state_dict(state)
    rng = np.random.default_rng(5)
    for _ in range(3):
        for p, q in zip(ours, fresh):
            g = rng.standard_normal(p.shape)
            p.grad, q.grad = g.copy(), torch.tensor(g)
        opt.step()
        other.step()
    for p, q in zip(ours, fresh):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=0, atol=1e-12)
    assert math.isfinite(float(ours[0].data[0]))


@pytest.mark.parametrize(
    "name, options", [OPTIMIZERS[3], OPTIMIZERS[7], OPTIMIZERS[12]], ids=["SGD", "Adam", "RMSprop"]
)
def test_torch_state_dict_loads_into_ours_and_resumes_identically(name, options):
    _, theirs, opt, ref = _run_pair(name, options, steps=4)
    fresh = [Tensor(q.detach().numpy().copy(), requires_grad=True) for q in theirs]
    resumed = getattr(optim, name)(fresh, **options)
    resumed.load_state_dict(ref.state_dict())  # torch tensors, torch's extra group flags
    assert resumed.param_groups[0].keys() == opt.param_groups[0].keys()
    rng = np.random.default_rng(9)
    for _ in range(3):
        for p, q in zip(fresh, theirs):
            g = rng.standard_normal(p.shape)
            p.grad, q.grad = g.copy(), torch.tensor(g)
        resumed.step()
        ref.step()
    for p, q in zip(fresh, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=0, atol=1e-12)


def _state_cases():
    from test_optim_state import CASES, IDS

    return CASES, IDS


@pytest.mark.parametrize("shape", [(), (3,)], ids=["0d", "1d"])
@pytest.mark.parametrize("name, options", [c[:2] for c in _state_cases()[0]], ids=_state_cases()[1])
def test_every_option_on_0d_and_1d_parameters_matches_torch_through_a_resume(name, options, shape):
    """tests/test_optim_state.py's grid against torch.optim; at step 3 ours resumes from torch's state_dict."""
    rng = np.random.default_rng(1)
    start = rng.standard_normal(shape)
    p, q = Tensor(start.copy(), requires_grad=True), torch.tensor(start.copy(), requires_grad=True)
    opt, ref = getattr(optim, name)([p], **options), getattr(torch.optim, name)([q], foreach=False, **options)
    for step in range(6):
        if step == 3:
            p = Tensor(q.detach().numpy().copy(), requires_grad=True)
            opt = getattr(optim, name)([p], **options)
            opt.load_state_dict(ref.state_dict())
        g = rng.standard_normal(shape)
        p.grad, q.grad = g.copy(), torch.tensor(g)
        opt.step()
        ref.step()
    np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-14)

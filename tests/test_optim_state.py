"""Optimizer state as arrays, for 0-d and 1-d parameters, across every option and a save/load round trip.

The oracle is each update rule written with Python floats, element by element (no numpy in the recurrence,
no PyTorch): if any state entry stops being an array updated in place (a 0-d buffer rebound to a numpy
scalar, a restored entry turned into a Python number), the optimizer's trajectory leaves the oracle's.
The PyTorch comparison of the same grid is in tests/test_optim_torch.py.
"""

import itertools
import math

import numpy as np
import pytest

from tinygrad_cnn import Tensor, load, optim, save

STEPS, RESUME_AT = 6, 3
SHAPES = [(), (3,)]


def _grad(theta, step):
    """The gradient fed at ``step``: g_i = c_i θ_i + s (a quadratic's gradient, different per element)."""
    return [(0.5 + 0.7 * i) * t + (-1.0) ** step * (0.3 + 0.1 * step) for i, t in enumerate(theta)]


def sgd_oracle(theta, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    theta, buf, out = list(theta), None, []
    for step in range(STEPS):
        g = _grad(theta, step)
        g = [-x for x in g] if maximize else g
        g = [x + weight_decay * t for x, t in zip(g, theta)]
        if momentum != 0:
            buf = list(g) if buf is None else [momentum * b + (1 - dampening) * x for b, x in zip(buf, g)]
            g = [x + momentum * b for x, b in zip(g, buf)] if nesterov else buf
        theta = [t - lr * x for t, x in zip(theta, g)]
        out.append(theta)
    return out


def adam_oracle(theta, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
                decoupled=False):
    b1, b2 = betas
    n = len(theta)
    theta, m, v, vmax, out = list(theta), [0.0] * n, [0.0] * n, [0.0] * n, []
    for step in range(STEPS):
        t = step + 1
        g = _grad(theta, step)
        g = [-x for x in g] if maximize else g
        if decoupled:
            theta = [th * (1 - lr * weight_decay) for th in theta]
        else:
            g = [x + weight_decay * th for x, th in zip(g, theta)]
        m = [b1 * a + (1 - b1) * x for a, x in zip(m, g)]
        v = [b2 * a + (1 - b2) * x * x for a, x in zip(v, g)]
        vmax = [max(a, b) for a, b in zip(vmax, v)]
        used = vmax if amsgrad else v
        theta = [th - lr / (1 - b1**t) * a / (math.sqrt(s) / math.sqrt(1 - b2**t) + eps)
                 for th, a, s in zip(theta, m, used)]
        out.append(theta)
    return out


def rmsprop_oracle(theta, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False):
    n = len(theta)
    theta, s, a, b, out = list(theta), [0.0] * n, [0.0] * n, [0.0] * n, []
    for step in range(STEPS):
        g = _grad(theta, step)
        g = [-x for x in g] if maximize else g
        g = [x + weight_decay * th for x, th in zip(g, theta)]
        s = [alpha * q + (1 - alpha) * x * x for q, x in zip(s, g)]
        if centered:
            a = [alpha * q + (1 - alpha) * x for q, x in zip(a, g)]
            d = [math.sqrt(q - r * r) + eps for q, r in zip(s, a)]
        else:
            d = [math.sqrt(q) + eps for q in s]
        if momentum > 0:
            b = [momentum * q + x / e for q, x, e in zip(b, g, d)]
            theta = [th - lr * q for th, q in zip(theta, b)]
        else:
            theta = [th - lr * x / e for th, x, e in zip(theta, g, d)]
        out.append(theta)
    return out


def _grid(**choices):
    names = list(choices)
    return [dict(zip(names, values)) for values in itertools.product(*choices.values())]


def cases():
    """(optimizer name, options, oracle) for every combination of the options that change the update."""
    out = []
    for o in _grid(momentum=[0.0, 0.9], dampening=[0.0, 0.3], weight_decay=[0.0, 0.1], nesterov=[False, True],
                   maximize=[False, True]):
        if o["nesterov"] and (o["momentum"] == 0 or o["dampening"] != 0):
            continue
        out.append(("SGD", dict(lr=0.05, **o), sgd_oracle))
    for name in ("Adam", "AdamW"):
        for o in _grid(weight_decay=[0.0, 0.1], amsgrad=[False, True], maximize=[False, True]):
            oracle = (lambda th, decoupled=(name == "AdamW"), **kw: adam_oracle(th, decoupled=decoupled, **kw))
            out.append((name, dict(lr=0.05, betas=(0.8, 0.9), **o), oracle))
    for o in _grid(weight_decay=[0.0, 0.1], momentum=[0.0, 0.5], centered=[False, True], maximize=[False, True]):
        out.append(("RMSprop", dict(lr=0.01, alpha=0.9, **o), rmsprop_oracle))
    return out


CASES = cases()
IDS = [f"{name}-" + "-".join(f"{k}={v}" for k, v in o.items() if k not in ("lr", "betas", "alpha")) for name, o, _
       in CASES]


def _theta0(shape):
    return np.array(1.3) if shape == () else np.array([1.3, -0.4, 0.8])


def _feed(p, step):
    theta = [float(x) for x in np.atleast_1d(p.data)]
    p.grad = np.array(_grad(theta, step)).reshape(p.shape)


@pytest.mark.parametrize("shape", SHAPES, ids=["0d", "1d"])
@pytest.mark.parametrize("name, options, oracle", CASES, ids=IDS)
def test_trajectory_matches_the_python_oracle_through_a_checkpoint(tmp_path, name, options, oracle, shape):
    expected = oracle([float(x) for x in np.atleast_1d(_theta0(shape))], **options)
    p = Tensor(_theta0(shape), requires_grad=True)
    opt = getattr(optim, name)([p], **options)
    got = []
    for step in range(STEPS):
        if step == RESUME_AT:  # save model and optimizer to a file, rebuild both, load, continue
            save({"p": p, "optimizer": opt.state_dict()}, tmp_path / "ckpt.npz")
            state = load(tmp_path / "ckpt.npz")
            p = Tensor(state["p"].data, requires_grad=True)
            opt = getattr(optim, name)([p], **options)
            opt.load_state_dict(state["optimizer"])
        _feed(p, step)
        opt.step()
        got.append([float(x) for x in np.atleast_1d(p.data)])
        for key, value in opt.state[p].items():  # every state entry but the step count is an array of p's shape
            if key != "step":
                assert isinstance(value, np.ndarray) and value.shape == p.shape, (key, type(value))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", SHAPES, ids=["0d", "1d"])
def test_loaded_state_is_arrays_of_the_parameters_shape_and_step_an_int(shape):
    p = Tensor(_theta0(shape), requires_grad=True)
    opt = optim.Adam([p], amsgrad=True)
    _feed(p, 0)
    opt.step()
    saved = opt.state_dict()
    saved["state"][0]["step"] = np.array(1.0)  # PyTorch keeps the step as a 0-d float tensor
    other = optim.Adam([p], amsgrad=True)
    other.load_state_dict(saved)
    state = other.state[p]
    assert type(state["step"]) is int and state["step"] == 1
    for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        assert isinstance(state[key], np.ndarray) and state[key].shape == p.shape
        assert state[key] is not saved["state"][0][key]  # a copy
    _feed(p, 1)
    other.step()  # amsgrad after a resume used to crash for a 0-d parameter


def test_state_dict_numbers_parameters_in_group_order():
    """The position of a parameter in ``state_dict`` (an oracle for what PyTorch comparisons also check)."""
    a, b, c = (Tensor(np.array([float(i)]), requires_grad=True) for i in range(3))
    opt = optim.SGD([{"params": [b, a]}, {"params": [c], "lr": 0.5}], lr=0.1, momentum=0.9)
    for p, g in ((a, 1.0), (b, 2.0), (c, 3.0)):
        p.grad = np.array([g])
    opt.step()
    saved = opt.state_dict()
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1], [2]]
    # b is parameter 0, a is 1, c is 2: the buffers hold their first gradients
    assert {i: float(s["momentum_buffer"][0]) for i, s in saved["state"].items()} == {0: 2.0, 1: 1.0, 2: 3.0}
    fresh = [Tensor(np.array([0.0]), requires_grad=True) for _ in range(3)]
    other = optim.SGD([{"params": fresh[:2]}, {"params": fresh[2:], "lr": 0.5}], lr=0.1, momentum=0.9)
    other.load_state_dict(saved)
    assert [float(other.state[q]["momentum_buffer"][0]) for q in fresh] == [2.0, 1.0, 3.0]
    assert other.param_groups[1]["lr"] == 0.5

"""Each update rule against its recurrence computed by hand in the test, over several steps (no PyTorch needed).

The parameter is one float64 number and the gradients a fixed sequence G, so each expected value is the
textbook formula evaluated with Python floats, written out independently of the optimizer's code.
"""

import copy
import math
import warnings

import numpy as np
import pytest

from tinygrad_cnn import Tensor, optim

G = [0.5, -1.5, 2.0, 0.25]
THETA0 = 1.2


def _run(opt_class, steps=4, **options):  # 4 = len(G)
    w = Tensor([THETA0], requires_grad=True)
    opt = opt_class([w], **options)
    trajectory = []
    for g in G[:steps]:
        w.grad = np.array([g])
        opt.step()
        trajectory.append(float(w.data[0]))
    return trajectory, opt, w


def _close(actual, expected):
    assert actual == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_sgd_plain_is_the_books_gradient_descent():
    theta, expected = THETA0, []
    for g in G:
        theta = theta - 0.1 * g  # Δθ = −η ∂C/∂θ
        expected.append(theta)
    _close(_run(optim.SGD, lr=0.1)[0], expected)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_weight_decay_dampening(nesterov):
    lr, mu, tau, lam = 0.1, 0.9, 0.0 if nesterov else 0.25, 0.05
    theta, buf, expected = THETA0, None, []
    for g in G:
        d = g + lam * theta
        buf = d if buf is None else mu * buf + (1 - tau) * d
        step = d + mu * buf if nesterov else buf
        theta = theta - lr * step
        expected.append(theta)
    _close(_run(optim.SGD, lr=lr, momentum=mu, dampening=tau, weight_decay=lam, nesterov=nesterov)[0], expected)


def test_sgd_maximize_climbs():
    expected, theta = [], THETA0
    for g in G:
        theta = theta + 0.1 * g
        expected.append(theta)
    _close(_run(optim.SGD, lr=0.1, maximize=True)[0], expected)


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adam_recurrence(weight_decay, amsgrad):
    lr, b1, b2, eps = 0.01, 0.8, 0.9, 1e-3
    theta, m, v, vmax, expected = THETA0, 0.0, 0.0, 0.0, []
    for t, g in enumerate(G, start=1):
        g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = max(vmax, v)
        m_hat = m / (1 - b1**t)  # bias-corrected moments
        v_hat = (vmax if amsgrad else v) / (1 - b2**t)
        theta = theta - lr * m_hat / (math.sqrt(v_hat) + eps)  # Kingma & Ba, Algorithm 1
        expected.append(theta)
    trajectory, opt, w = _run(optim.Adam, lr=lr, betas=(b1, b2), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
    _close(trajectory, expected)
    assert opt.state[w]["step"] == len(G)


def test_adam_first_step_has_size_lr():
    # with bias correction, m̂₁ = g and v̂₁ = g², so the first step is lr·g/(|g| + ε) ≈ lr·sign(g),
    # whatever β₁, β₂ are; without it the step would be (1 − β₁)/√(1 − β₂) times that
    for betas in [(0.9, 0.999), (0.5, 0.6)]:
        trajectory, _, _ = _run(optim.Adam, steps=1, lr=0.01, betas=betas, eps=0.0)
        _close(trajectory, [THETA0 - 0.01])


def test_adamw_decouples_weight_decay():
    lr, b1, b2, eps, lam = 0.01, 0.9, 0.999, 1e-8, 0.3
    theta, m, v, expected = THETA0, 0.0, 0.0, []
    for t, g in enumerate(G, start=1):
        theta = theta * (1 - lr * lam)  # decay applied to θ, not added to the gradient
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr * (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps)
        expected.append(theta)
    trajectory = _run(optim.AdamW, lr=lr, weight_decay=lam)[0]
    _close(trajectory, expected)
    assert _run(optim.AdamW, lr=lr)[1].param_groups[0]["weight_decay"] == 0.01  # PyTorch's default


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.7])
def test_rmsprop_recurrence(centered, momentum):
    lr, alpha, eps, lam = 0.01, 0.9, 1e-6, 0.1
    theta, s, gbar, buf, expected = THETA0, 0.0, 0.0, 0.0, []
    for g in G:
        g = g + lam * theta
        s = alpha * s + (1 - alpha) * g * g
        gbar = alpha * gbar + (1 - alpha) * g
        denom = math.sqrt(s - gbar * gbar if centered else s) + eps
        if momentum:
            buf = momentum * buf + g / denom
            theta = theta - lr * buf
        else:
            theta = theta - lr * g / denom
        expected.append(theta)
    options = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": lam, "momentum": momentum, "centered": centered}
    _close(_run(optim.RMSprop, **options)[0], expected)


# ------------------------------------------------------------------------------------------ state
def test_a_parameter_without_gradient_is_skipped_and_its_state_does_not_advance():
    a, b = Tensor([1.0], requires_grad=True), Tensor([1.0], requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    for _ in range(3):
        a.grad, b.grad = np.array([1.0]), None
        opt.step()
    assert b not in opt.state and b.data[0] == 1.0
    a.grad, b.grad = np.array([1.0]), np.array([4.0])
    opt.step()
    assert opt.state[a]["step"] == 4 and opt.state[b]["step"] == 1
    _close([float(b.data[0])], [1.0 - 0.1 * 4.0 / (4.0 + 1e-8)])  # b's own first step: full bias correction


def test_same_parameter_twice_warns_and_is_updated_once():
    w = Tensor([1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="same parameter more than once"):
        opt = optim.SGD([w, w], lr=0.1)
    w.grad = np.array([1.0])
    opt.step()
    assert w.data[0] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)


def test_parameter_groups_take_defaults_and_their_own_values():
    a, b, c = (Tensor([1.0], requires_grad=True) for _ in range(3))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": c, "momentum": 0.0})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5, 0.1]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9, 0.0]
    for p in (a, b, c):
        p.grad = np.array([1.0])
    opt.step()
    assert [float(p.data[0]) for p in (a, b, c)] == pytest.approx([0.9, 0.5, 0.9])
    with pytest.raises(ValueError, match="unknown hyper-parameter"):
        opt.add_param_group({"params": [Tensor([1.0], requires_grad=True)], "betas": (0.9, 0.9)})


def test_zero_grad_to_none_or_to_zeros_in_place():
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    w.grad = np.array([3.0, 4.0])
    held = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is held and not w.grad.any()
    opt.zero_grad()
    assert w.grad is None


def test_update_is_in_place_so_views_see_it():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    array = w.data
    w.grad = np.array([1.0, 1.0])
    optim.Adam([w], lr=0.1).step()
    assert w.data is array


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True),
    lambda ps: optim.AdamW(ps, lr=0.05),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
])
def test_state_dict_resumes_exactly(make):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((2, 3)) for _ in range(6)]
    w = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    opt = make([w])
    for g in grads[:3]:
        w.grad = g.copy()
        opt.step()
    saved_state, saved_w = copy.deepcopy(opt.state_dict()), w.data.copy()
    for g in grads[3:]:
        w.grad = g.copy()
        opt.step()
    v = Tensor(saved_w, requires_grad=True)
    resumed = make([v])
    resumed.load_state_dict(saved_state)
    for g in grads[3:]:
        v.grad = g.copy()
        resumed.step()
    np.testing.assert_array_equal(v.data, w.data)  # bit for bit


def test_state_dict_is_a_copy_and_load_errors_change_nothing():
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = np.array([1.0, 1.0])
    opt.step()
    saved = opt.state_dict()
    assert saved["param_groups"][0]["params"] == [0]
    assert saved["param_groups"][0]["momentum"] == 0.9
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], [1.0, 1.0])  # not the live buffer
    before = copy.deepcopy(opt.state_dict())
    bad = copy.deepcopy(saved)
    bad["state"][0]["momentum_buffer"] = np.zeros(5)
    with pytest.raises(ValueError, match=r"has shape \(5,\)"):
        opt.load_state_dict(bad)
    two_groups = dict(saved, param_groups=saved["param_groups"] * 2)
    with pytest.raises(ValueError, match="2 parameter groups"):
        opt.load_state_dict(two_groups)
    np.testing.assert_array_equal(opt.state_dict()["state"][0]["momentum_buffer"],
                                  before["state"][0]["momentum_buffer"])


def test_numpy_scalar_hyper_parameters_are_accepted():
    w = Tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=np.float32(0.5), momentum=np.float64(0.9))
    assert type(opt.param_groups[0]["lr"]) is float
    optim.Adam([w], lr=np.float64(1e-3), betas=(np.float32(0.9), np.float64(0.99)))


@pytest.mark.parametrize("call, error, message", [
    (lambda w: optim.SGD([w], lr="0.1"), TypeError, "lr must be a real number"),
    (lambda w: optim.SGD([w], lr=float("nan")), ValueError, "lr must be a finite number"),
    (lambda w: optim.SGD([w], lr=0.1, momentum=-0.5), ValueError, "momentum must be at least 0.0"),
    (lambda w: optim.SGD([w], lr=0.1, nesterov=True), ValueError, "nesterov=True requires a momentum > 0"),
    (lambda w: optim.SGD([w], lr=0.1, nesterov=1), TypeError, "nesterov must be True or False"),
    (lambda w: optim.SGD([w], lr=0.1, weight_decay=-1), ValueError, "weight_decay must be at least 0.0"),
    (lambda w: optim.Adam([w], betas=(1.0, 0.9)), ValueError, r"betas\[0\] must be in \[0, 1\)"),
    (lambda w: optim.Adam([w], betas=0.9), TypeError, "betas must be a pair"),
    (lambda w: optim.Adam([w], eps=-1e-8), ValueError, "eps must be at least 0.0"),
    (lambda w: optim.RMSprop([w], alpha=-0.1), ValueError, "alpha must be at least 0.0"),
    (lambda w: optim.SGD(w, lr=0.1), TypeError, "got one Tensor"),
    (lambda w: optim.SGD([w, 3.0], lr=0.1), TypeError, r"params\[1\] must be a Tensor"),
    (lambda w: optim.SGD([Tensor(np.array([1, 2]))], lr=0.1), TypeError, "floating-point"),
])
def test_optimizer_argument_errors(call, error, message):
    w = Tensor([1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=message):
            call(w)


# ------------------------------------------------------------------------------------ schedulers
def _sgd(lr=1.0):
    return optim.SGD([Tensor([1.0], requires_grad=True)], lr=lr)


def _lrs(scheduler, epochs):
    out = []
    for _ in range(epochs):
        out.append(scheduler.get_last_lr()[0])
        scheduler.optimizer.step()
        scheduler.step()
    return out


def test_step_and_multistep_and_exponential_closed_forms():
    assert _lrs(optim.lr_scheduler.StepLR(_sgd(), 3, gamma=0.5), 7) == pytest.approx(
        [0.5 ** (t // 3) for t in range(7)])
    assert _lrs(optim.lr_scheduler.MultiStepLR(_sgd(), [2, 4, 4], gamma=0.1), 6) == pytest.approx(
        [1, 1, 0.1, 0.1, 0.001, 0.001])
    assert _lrs(optim.lr_scheduler.ExponentialLR(_sgd(), 0.9), 5) == pytest.approx([0.9**t for t in range(5)])


def test_cosine_annealing_closed_form_within_one_period():
    eta0, eta_min, T = 0.5, 0.05, 6
    expected = [eta_min + (eta0 - eta_min) * (1 + math.cos(math.pi * t / T)) / 2 for t in range(T + 1)]
    assert _lrs(optim.lr_scheduler.CosineAnnealingLR(_sgd(eta0), T, eta_min), T + 1) == pytest.approx(expected)


def test_lambda_lr_per_group_and_scheduler_state_dict_resumes():
    a, b = Tensor([1.0], requires_grad=True), Tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 2.0}], lr=1.0)
    sched = optim.lr_scheduler.LambdaLR(opt, [lambda t: 0.5**t, lambda t: 1 / (t + 1)])
    for _ in range(3):
        sched.step()
    assert sched.get_last_lr() == pytest.approx([0.125, 0.5])
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    other = optim.SGD([{"params": [a]}, {"params": [b], "lr": 2.0}], lr=1.0)
    resumed = optim.lr_scheduler.LambdaLR(other, [lambda t: 0.5**t, lambda t: 1 / (t + 1)])
    other.load_state_dict(saved_opt)
    resumed.load_state_dict(saved_sched)
    sched.step()
    resumed.step()
    assert resumed.get_last_lr() == sched.get_last_lr() == pytest.approx([0.0625, 0.4])
    with pytest.raises(ValueError, match="expected 2 lr_lambdas"):
        optim.lr_scheduler.LambdaLR(opt, [lambda t: 1.0])


def test_a_step_between_forward_and_backward_is_detected_not_a_wrong_gradient():
    import tinygrad_cnn.functional as F
    from tinygrad_cnn import SavedArrayModifiedError, nn

    model = nn.Linear(3, 2, dtype=np.float64, seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    x = Tensor(np.ones((4, 3)))
    F.cross_entropy(model(x), [0, 1, 0, 1]).backward()
    loss = F.cross_entropy(model(x), [0, 1, 0, 1])
    opt.step()  # changes the weight that the matmul saved for backward
    with pytest.raises(SavedArrayModifiedError):
        loss.backward()

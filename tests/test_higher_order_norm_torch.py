"""Second order through normalization, gelu, norms, adaptive pooling and the losses agrees with PyTorch.

Each case is one scalar function written twice (ours, PyTorch's) of the same float64 inputs; we compare the
gradient and a Hessian-vector product Hv = ∂(∇f · v)/∂θ for a fixed random v over every input, computed by
double backward on both sides (``autograd.grad(..., create_graph=True)`` twice). Agreement to rtol 1e-10.
"""

import numpy as np
import pytest

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, autograd

torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
TF = torch.nn.functional

RNG = np.random.default_rng(18)


@pytest.fixture(autouse=True)
def _fresh_rng():
    """Each test draws the same numbers however the tests are selected or ordered."""
    global RNG
    RNG = np.random.default_rng(18)
RTOL, ATOL = 1e-10, 1e-12


def _ours(f, arrays, vs):
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    grads = autograd.grad(f(*leaves), leaves, create_graph=True)
    dot = sum((g * Tensor(v)).sum() for g, v in zip(grads, vs))
    hvp = autograd.grad(dot, leaves, allow_unused=True)
    return ([g.data for g in grads],
            [np.zeros_like(a) if h is None else h.data for a, h in zip(arrays, hvp)])


def _theirs(f, arrays, vs):
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    grads = torch.autograd.grad(f(*leaves), leaves, create_graph=True)
    dot = sum((g * torch.tensor(v)).sum() for g, v in zip(grads, vs))
    hvp = torch.autograd.grad(dot, leaves, allow_unused=True)
    return ([g.detach().numpy() for g in grads],
            [np.zeros_like(a) if h is None else h.numpy() for a, h in zip(arrays, hvp)])


def _agree(ours, theirs, arrays, atol=ATOL):
    vs = [RNG.standard_normal(a.shape) for a in arrays]
    (g1, h1), (g2, h2) = _ours(ours, arrays, vs), _theirs(theirs, arrays, vs)
    for k, (a, b) in enumerate(zip(g1, g2)):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=atol, err_msg=f"gradient of input {k}")
    for k, (a, b) in enumerate(zip(h1, h2)):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=atol, err_msg=f"Hessian-vector product, input {k}")
    return h1


def _normal(*shape, scale=1.0):
    return RNG.standard_normal(shape) * scale


# ------------------------------------------------------------------------------------------- batch norm
@pytest.mark.parametrize("shape", [(5, 3), (4, 2, 3), (3, 2, 2, 3)])
def test_batch_norm_training_with_affine_hvp(shape):
    c = shape[1]
    w = _normal(*shape)  # a fixed linear functional of y, then a square: a non-trivial Hessian in x, γ and β

    def ours(x, gamma, beta):
        y = F.batch_norm(x, None, None, gamma, beta, training=True)
        return ((y * Tensor(w)).sum() + (y * y * y).sum()) * 0.5

    def theirs(x, gamma, beta):
        y = TF.batch_norm(x, None, None, gamma, beta, training=True)
        return ((y * torch.tensor(w)).sum() + (y * y * y).sum()) * 0.5

    hvp = _agree(ours, theirs, [_normal(*shape), 1 + 0.3 * _normal(c), _normal(c)])
    assert np.abs(hvp[0]).max() > 1e-3  # the path through μ and σ² is really exercised


def test_batch_norm_training_running_statistics_and_eval_mode_hvp():
    x0, w = _normal(4, 3, 2, 2), _normal(4, 3, 2, 2)
    mean, var = _normal(3), 0.5 + RNG.random(3)

    def ours(x, gamma):
        train = F.batch_norm(x, mean.copy(), var.copy(), gamma, None, training=True, momentum=0.3)
        evaluation = F.batch_norm(x, mean, var, gamma, None, training=False)
        return ((train * Tensor(w)).tanh() + evaluation * evaluation * train).sum()

    def theirs(x, gamma):
        m, v = torch.tensor(mean), torch.tensor(var)
        train = TF.batch_norm(x, m.clone(), v.clone(), gamma, None, training=True, momentum=0.3)
        evaluation = TF.batch_norm(x, m, v, gamma, None, training=False)
        return ((train * torch.tensor(w)).tanh() + evaluation * evaluation * train).sum()

    _agree(ours, theirs, [x0, 1 + 0.3 * _normal(3)])


def test_gradient_penalty_through_batch_norm_reaches_the_parameters():
    """‖∂f/∂x‖² (a WGAN-GP style penalty) backpropagated to γ, β and the weight of a linear layer after it."""
    x0, gamma0, beta0, weight0 = _normal(6, 3), 1 + 0.2 * _normal(3), _normal(3), _normal(2, 3)

    def penalty(lib, x, gamma, beta, weight):
        if lib is F:
            y = F.batch_norm(x, None, None, gamma, beta, training=True)
            f = F.linear(y, weight).tanh().sum()
            (g,) = autograd.grad(f, x, create_graph=True)
        else:
            y = TF.batch_norm(x, None, None, gamma, beta, training=True)
            f = TF.linear(y, weight).tanh().sum()
            (g,) = torch.autograd.grad(f, x, create_graph=True)
        return (g * g).sum()

    ours = [Tensor(a, requires_grad=True) for a in (x0, gamma0, beta0, weight0)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x0, gamma0, beta0, weight0)]
    penalty(F, *ours).backward()
    penalty(TF, *theirs).backward()
    for name, a, b in zip(("x", "gamma", "beta", "weight"), ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=name)


# ------------------------------------------------------------------------- layer norm, gelu, norm, pooling
@pytest.mark.parametrize("normalized", [(4,), (3, 4)])
def test_layer_norm_with_affine_hvp(normalized):
    shape = (2, 3, 4)
    w = _normal(*shape)

    def ours(x, gamma, beta):
        y = F.layer_norm(x, normalized, gamma, beta)
        return (y * Tensor(w)).sum() + (y * y * y).sum()

    def theirs(x, gamma, beta):
        y = TF.layer_norm(x, normalized, gamma, beta)
        return (y * torch.tensor(w)).sum() + (y * y * y).sum()

    _agree(ours, theirs, [_normal(*shape), 1 + 0.3 * _normal(*normalized), _normal(*normalized)])


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_hvp(approximate):
    w = _normal(3, 5)
    _agree(lambda x: (F.gelu(x, approximate) * Tensor(w)).sum(),
           lambda x: (TF.gelu(x, approximate=approximate) * torch.tensor(w)).sum(), [_normal(3, 5, scale=2.0)])


@pytest.mark.parametrize("p", [1, 2, 3, 0.5, float("inf")])
def test_norm_hvp(p):
    x0 = _normal(3, 4)
    _agree(lambda x: x.norm(p, 1).exp().sum(), lambda x: torch.linalg.vector_norm(x, p, 1).exp().sum(), [x0])


def test_adaptive_avg_pool2d_hvp():
    _agree(lambda x: (F.adaptive_avg_pool2d(x, (2, 3)) ** 3).sum(),
           lambda x: (TF.adaptive_avg_pool2d(x, (2, 3)) ** 3).sum(), [_normal(2, 2, 5, 4)])


# ------------------------------------------------------------------------------------------------ losses
LABELS = np.array([[0, 2], [1, -100], [2, 1]])  # (N=3, d=2), one target ignored
CLASS_WEIGHT = np.array([0.5, 1.0, 2.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_with_weight_ignore_index_and_label_smoothing_hvp(reduction, smoothing):
    scale = _normal(3, 2)

    def ours(x):
        loss = F.cross_entropy(x, LABELS, weight=CLASS_WEIGHT, reduction=reduction, label_smoothing=smoothing)
        return (loss * Tensor(scale)).sum() if reduction == "none" else loss

    def theirs(x):
        loss = TF.cross_entropy(x, torch.tensor(LABELS), weight=torch.tensor(CLASS_WEIGHT), reduction=reduction,
                                label_smoothing=smoothing)
        return (loss * torch.tensor(scale)).sum() if reduction == "none" else loss

    _agree(ours, theirs, [_normal(3, 3, 2)])


def test_cross_entropy_with_probability_targets_hvp():
    def ours(x, t):
        return F.cross_entropy(x, t, weight=CLASS_WEIGHT, label_smoothing=0.1)

    def theirs(x, t):
        return TF.cross_entropy(x, t, weight=torch.tensor(CLASS_WEIGHT), label_smoothing=0.1)

    _agree(ours, theirs, [_normal(4, 3), RNG.random((4, 3))])


def test_nll_loss_of_log_softmax_hvp():
    labels = np.array([2, 0, -100, 1])
    _agree(lambda x: F.nll_loss((x * x).log_softmax(dim=1), labels, weight=CLASS_WEIGHT),
           lambda x: TF.nll_loss((x * x).log_softmax(dim=1), torch.tensor(labels), weight=torch.tensor(CLASS_WEIGHT)),
           [_normal(4, 3)])


def test_mse_loss_hvp():
    _agree(lambda a, b: F.mse_loss(a.tanh(), b) ** 2, lambda a, b: TF.mse_loss(a.tanh(), b) ** 2,
           [_normal(3, 4), _normal(3, 4)])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_binary_cross_entropy_with_logits_hvp(reduction):
    weight, pos_weight = RNG.random(4) + 0.5, RNG.random(4) + 0.5

    def ours(x, t):
        return F.binary_cross_entropy_with_logits(x, t, weight=weight, pos_weight=pos_weight, reduction=reduction)

    def theirs(x, t):
        return TF.binary_cross_entropy_with_logits(x, t, weight=torch.tensor(weight),
                                                   pos_weight=torch.tensor(pos_weight), reduction=reduction)

    _agree(ours, theirs, [_normal(3, 4, scale=3.0), RNG.random((3, 4))])


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_binary_cross_entropy_hvp(reduction):
    weight, scale = RNG.random(4) + 0.5, RNG.standard_normal((3, 4))

    def ours(p, t):
        loss = F.binary_cross_entropy(p.sigmoid(), t, weight=weight, reduction=reduction)
        return (loss * Tensor(scale)).sum() if reduction == "none" else loss

    def theirs(p, t):
        loss = TF.binary_cross_entropy(p.sigmoid(), t, weight=torch.tensor(weight), reduction=reduction)
        return (loss * torch.tensor(scale)).sum() if reduction == "none" else loss

    _agree(ours, theirs, [_normal(3, 4), RNG.random((3, 4))], atol=1e-11)  # entries of order 1, some cancel


def test_binary_cross_entropy_at_the_floors_is_pytorchs_except_the_target_gradient():
    """p = 0 or 1: the loss (logs floored at −100) and ∂/∂p ((p − t)/max(p(1 − p), 1e-12)) are PyTorch's; ∂/∂t is
    the derivative of the floored loss (±100), where PyTorch gives ±inf (deliberate)."""
    p0, t0 = np.array([0.0, 0.0, 1.0, 1.0, 1e-13, 0.5]), np.array([0.3, 1.0, 0.0, 0.3, 1.0, 0.2])
    p, t = Tensor(p0, requires_grad=True), Tensor(t0, requires_grad=True)
    loss = F.binary_cross_entropy(p, t, reduction="none")
    loss.sum().backward()
    tp, tt = torch.tensor(p0, requires_grad=True), torch.tensor(t0, requires_grad=True)
    expected = TF.binary_cross_entropy(tp, tt, reduction="none")
    expected.sum().backward()
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-15)
    finite = np.isfinite(tt.grad.numpy())
    np.testing.assert_allclose(t.grad[finite], tt.grad.numpy()[finite], rtol=1e-15)
    np.testing.assert_array_equal(t.grad[~finite], np.sign(tt.grad.numpy()[~finite]) * 100)

"""Second and third derivatives of normalization, gelu, dropout, norms, adaptive pooling and the losses (issue 18).

Oracles that need no PyTorch: closed forms of the derivatives, and invariances that hold at every order (batch
norm's output is unchanged by shifting a channel, so its Hessian annihilates that direction; Σ y = β·m for any
x). The registry's finite-difference property tests at both orders are in tests/test_op_properties.py; the
agreement with PyTorch's double backward is in tests/test_higher_order_norm_torch.py.
"""

import math

import numpy as np
import pytest

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, autograd
from tinygrad_cnn.ops.adaptive_pool import averaging_matrix

RNG = np.random.default_rng(1818)


@pytest.fixture(autouse=True)
def _fresh_rng():
    """Each test draws the same numbers however the tests are selected or ordered."""
    global RNG
    RNG = np.random.default_rng(1818)


def _derivatives(f, x0, order):
    """[∂f/∂x, ∂(Σ ∂f/∂x)/∂x, ...] of the scalar Σ f(x), elementwise, by repeated autograd.grad."""
    x = Tensor(np.asarray(x0, dtype=np.float64), requires_grad=True)
    y, out = f(x).sum(), []
    for k in range(order):
        (y,) = autograd.grad(y, x, create_graph=k < order - 1)
        out.append(y.data.copy())
        y = y.sum()
    return out


def _hessian(f, *arrays):
    """The full Hessian of the scalar f(*inputs) over all inputs flattened together, row by row."""
    leaves = [Tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    grads = autograd.grad(f(*leaves), leaves, create_graph=True)
    flat = grads[0].reshape(-1) if len(grads) == 1 else F.concatenate([g.reshape(-1) for g in grads])
    if not flat.requires_grad:  # the gradient is a constant of the graph: the Hessian is 0
        return np.zeros((flat.shape[0], flat.shape[0]))
    rows = []
    for i in range(flat.shape[0]):
        parts = autograd.grad(flat[i], leaves, retain_graph=True, allow_unused=True)
        rows.append(np.concatenate([np.zeros(a.size) if p is None else p.data.ravel() for a, p in zip(arrays, parts)]))
    return np.array(rows)


def _phi(x):
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


X = np.array([-3.1, -1.2, -0.3, 0.0, 0.45, 1.7, 4.2])


# ------------------------------------------------------------------------------------------------- gelu
def test_exact_gelu_derivatives_to_third_order_are_the_closed_forms():
    d1, d2, d3 = _derivatives(F.gelu, X, 3)
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in X])
    np.testing.assert_allclose(d1, cdf + X * _phi(X), rtol=1e-14, atol=1e-16)  # Φ + xφ
    np.testing.assert_allclose(d2, _phi(X) * (2 - X**2), rtol=1e-13, atol=1e-16)  # 2φ + xφ′ = φ(2 − x²)
    np.testing.assert_allclose(d3, X * _phi(X) * (X**2 - 4), rtol=1e-12, atol=1e-16)  # xφ(x² − 4)


def test_tanh_gelu_second_derivative_is_the_closed_form():
    k, c = math.sqrt(2 / math.pi), 0.044715
    u = k * (X + c * X**3)
    t, du, d2u = np.tanh(u), k * (1 + 3 * c * X**2), 6 * k * c * X
    # f = ½x(1 + t): f″ = (1 − t²)(u′ + ½x(u″ − 2t u′²))
    _, d2 = _derivatives(lambda x: F.gelu(x, "tanh"), X, 2)
    np.testing.assert_allclose(d2, (1 - t**2) * (du + 0.5 * X * (d2u - 2 * t * du**2)), rtol=1e-13, atol=1e-16)


# ------------------------------------------------------------------------------------------- batch norm
def _bn(x, gamma=None, beta=None, eps=1e-5):
    return F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)


def test_batch_norm_sum_is_beta_times_m_so_every_derivative_in_x_is_zero():
    x0 = RNG.standard_normal((4, 2, 3))
    gamma, beta = Tensor([1.5, -0.7], requires_grad=True), Tensor([0.3, 2.0], requires_grad=True)
    x = Tensor(x0, requires_grad=True)
    out = _bn(x, gamma, beta)
    np.testing.assert_allclose(out.sum().item(), 12 * 2.3, rtol=1e-13)  # Σ y = m Σ_c β_c
    (g,) = autograd.grad(out.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, 0, atol=1e-14)
    (h,) = autograd.grad((g * Tensor(RNG.standard_normal(x0.shape))).sum(), x, create_graph=True)
    np.testing.assert_allclose(h.data, 0, atol=1e-13)


def test_batch_norm_hessian_annihilates_a_shift_of_a_channel():
    """y(x + s·1_c) = y(x): the gradient is shift invariant, so H·1_c = 0 for each channel c, at any ε."""
    x0, w = RNG.standard_normal((3, 2, 2)), RNG.standard_normal((3, 2, 2))
    hessian = _hessian(lambda x: (_bn(x) * Tensor(w)).tanh().sum(), x0)
    for c in range(2):
        shift = np.zeros(x0.shape)
        shift[:, c] = 1.0
        np.testing.assert_allclose(hessian @ shift.ravel(), 0, atol=1e-12)
    assert np.abs(hessian).max() > 1e-2


def test_batch_norm_sum_of_squares_hessian_is_the_closed_form():
    """Without affine, Σᵢ x̂ᵢ² = m s/(s + ε) with s = σ² (biased): its gradient is 2ε(xᵢ − μ)/(s + ε)², and
    its Hessian 2ε[(δᵢⱼ − 1/m)/(s + ε)² − 4(xᵢ − μ)(xⱼ − μ)/(m (s + ε)³)]."""
    eps, x0 = 0.3, RNG.standard_normal((5, 1))
    m, d = 5, x0[:, 0] - x0.mean()
    s = (d**2).mean()
    (g,) = _derivatives(lambda x: _bn(x, eps=eps) ** 2, x0, 1)
    np.testing.assert_allclose(g[:, 0], 2 * eps * d / (s + eps) ** 2, rtol=1e-12)
    expected = 2 * eps * ((np.eye(m) - 1 / m) / (s + eps) ** 2 - 4 * np.outer(d, d) / (m * (s + eps) ** 3))
    np.testing.assert_allclose(_hessian(lambda x: (_bn(x, eps=eps) ** 2).sum(), x0), expected, rtol=1e-11,
                               atol=1e-13)


def test_batch_norm_in_evaluation_has_the_diagonal_hessian_of_a_fixed_affine_map():
    """y = γ(x − μ_run)/√(σ²_run + ε) + β is affine in x: Σ y² has Hessian 2 diag(γ²/(σ²_run + ε))."""
    mean, var, gamma = np.array([0.5, -1.0]), np.array([2.0, 0.25]), np.array([1.5, -0.5])
    x0 = RNG.standard_normal((2, 2))
    hessian = _hessian(lambda x: (F.batch_norm(x, mean, var, Tensor(gamma), None, training=False) ** 2).sum(), x0)
    np.testing.assert_allclose(hessian, np.diag(np.tile(2 * gamma**2 / (var + 1e-5), 2)), rtol=1e-13, atol=1e-15)


def test_a_running_buffer_updated_after_an_evaluation_forward_leaves_the_create_graph_gradients_alone():
    """Evaluation's x̂ is recomputed under create_graph from the running mean the forward used, not the
    buffer as a later training step (updating it in place) left it."""
    x0, other = RNG.standard_normal((3, 2, 2)), RNG.standard_normal((3, 2, 2)) - 7

    def derivatives(update_between):
        mean, var = np.array([0.5, -1.0]), np.array([2.0, 0.5])
        x, gamma = Tensor(x0, requires_grad=True), Tensor([1.5, 0.5], requires_grad=True)
        y = F.batch_norm(x, mean, var, gamma, training=False)
        if update_between:
            F.batch_norm(Tensor(other), mean, var, training=True, momentum=0.5)
            assert mean[0] != 0.5  # the buffers changed in place
        g_x, g_gamma = autograd.grad((y**3).sum(), [x, gamma], create_graph=True)  # (B3) reads x̂
        return g_gamma.data, autograd.grad((g_x * g_x).sum() + g_gamma.sum(), [x, gamma])

    (g1, h1), (g2, h2) = derivatives(False), derivatives(True)
    np.testing.assert_array_equal(g2, g1)
    for a, b in zip(h2, h1):
        np.testing.assert_array_equal(a.data, b.data)


# ----------------------------------------------------------------------------- layer norm, dropout, norms
def test_layer_norm_hessian_annihilates_a_shift_of_each_row():
    x0, w = RNG.standard_normal((2, 4)), RNG.standard_normal((2, 4))
    gamma = Tensor(RNG.standard_normal(4))
    hessian = _hessian(lambda x: (F.layer_norm(x, (4,), gamma) * Tensor(w)).tanh().sum(), x0)
    for row in range(2):
        shift = np.zeros(x0.shape)
        shift[row] = 1.0
        np.testing.assert_allclose(hessian @ shift.ravel(), 0, atol=1e-12)
    assert np.abs(hessian).max() > 1e-2


@pytest.mark.parametrize("dropout", [F.dropout, F.dropout2d])
def test_dropout_with_a_fixed_mask_has_the_derivatives_of_a_fixed_scale(dropout):
    x0 = RNG.standard_normal((2, 3, 2))
    scale = dropout(Tensor(np.ones(x0.shape)), p=0.4, seed=7).data  # the mask seed 7 draws, times 1/(1 − p)
    d1, d2, d3 = _derivatives(lambda x: dropout(x, p=0.4, seed=7) ** 3, x0, 3)  # (s x)³
    np.testing.assert_allclose(d1, 3 * scale**3 * x0**2, rtol=1e-14)
    np.testing.assert_allclose(d2, 6 * scale**3 * x0, rtol=1e-14)
    np.testing.assert_allclose(d3, 6 * scale**3, rtol=1e-14)


def test_euclidean_norm_hessian_is_the_projection_over_the_norm():
    x0 = RNG.standard_normal(4)
    r, u = np.linalg.norm(x0), x0 / np.linalg.norm(x0)
    np.testing.assert_allclose(_hessian(lambda x: x.norm(), x0), (np.eye(4) - np.outer(u, u)) / r, rtol=1e-13,
                               atol=1e-15)


@pytest.mark.parametrize("p", [1.0, float("inf")])
def test_one_and_infinity_norms_are_piecewise_linear_so_their_hessian_is_zero(p):
    hessian = _hessian(lambda x: x.norm(p), np.array([0.5, -2.0, 1.25]))
    np.testing.assert_array_equal(hessian, 0)


def test_adaptive_avg_pool2d_sum_of_squares_hessian_is_twice_the_gram_matrix_of_the_pooling():
    """y = A_H x A_Wᵀ = (A_H ⊗ A_W) vec(x), so Σ y² has Hessian 2 (A_H ⊗ A_W)ᵀ (A_H ⊗ A_W) (eq. (A1))."""
    x0 = RNG.standard_normal((1, 1, 5, 3))
    pool = np.kron(averaging_matrix(5, 3), averaging_matrix(3, 2))
    hessian = _hessian(lambda x: (F.adaptive_avg_pool2d(x, (3, 2)) ** 2).sum(), x0)
    np.testing.assert_allclose(hessian, 2 * pool.T @ pool, rtol=1e-13, atol=1e-16)


# ------------------------------------------------------------------------------------------------ losses
def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_hessian_is_the_weighted_softmax_covariance(smoothing):
    """−log s_c has Hessian diag(s) − s sᵀ in the logits for every c, so row n of the weighted mean has
    [(1 − ε) w_{y_n} + (ε/C) Σ_c w_c]/Σ_counted w_{y} times it; an ignored row has none."""
    logits, labels, w = RNG.standard_normal((3, 3)), np.array([2, -100, 0]), np.array([0.5, 1.0, 2.0])
    hessian = _hessian(lambda x: F.cross_entropy(x, labels, weight=w, label_smoothing=smoothing), logits)
    denominator = w[2] + w[0]
    expected = np.zeros((9, 9))
    for n, label in enumerate(labels):
        if label == -100:
            continue
        s = _softmax(logits[n])
        factor = ((1 - smoothing) * w[label] + smoothing / 3 * w.sum()) / denominator
        expected[3 * n:3 * n + 3, 3 * n:3 * n + 3] = factor * (np.diag(s) - np.outer(s, s))
    np.testing.assert_allclose(hessian, expected, rtol=1e-12, atol=1e-15)


def test_cross_entropy_with_every_target_ignored_is_nan_with_zero_derivatives_at_every_order():
    x = Tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    loss = F.cross_entropy(x, [-100, -100], label_smoothing=0.1)
    assert math.isnan(loss.item())  # 0/0, as PyTorch
    (g,) = autograd.grad(loss, x, create_graph=True)
    np.testing.assert_array_equal(g.data, 0)  # not nan: one step would poison every weight
    (h,) = autograd.grad(g.sum(), x, allow_unused=True)
    assert h is None or not np.any(h.data)


def test_binary_cross_entropy_with_logits_second_derivatives_are_the_closed_forms():
    """ℓ = p t softplus(−x) + (1 − t) softplus(x): ∂²ℓ/∂x² = σ(1 − σ)(p t + 1 − t), ∂²ℓ/∂x∂t = σ(p − 1) − p,
    ∂²ℓ/∂t² = 0 (ℓ is linear in t)."""
    x0, t0, p = np.array([-30.0, -1.5, 0.0, 2.0, 40.0]), np.array([0.2, 1.0, 0.5, 0.0, 0.7]), 2.5
    s, s_minus = 1 / (1 + np.exp(-x0)), 1 / (1 + np.exp(x0))  # σ(x), σ(−x) = 1 − σ(x) without cancellation
    hessian = _hessian(lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=p, reduction="sum"), x0, t0)
    np.testing.assert_allclose(hessian[:5, :5], np.diag(s * s_minus * (p * t0 + 1 - t0)), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(hessian[:5, 5:], np.diag(s * (p - 1) - p), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(hessian[5:, 5:], 0, atol=0)


def test_mse_loss_hessian_is_two_over_n_times_the_difference_operator():
    a0, b0 = RNG.standard_normal(3), RNG.standard_normal(3)
    hessian = _hessian(lambda a, b: F.mse_loss(a, b), a0, b0)
    np.testing.assert_allclose(hessian, 2 / 3 * np.block([[np.eye(3), -np.eye(3)], [-np.eye(3), np.eye(3)]]),
                               rtol=1e-15)

"""textbook.layerwise against oracles that need neither PyTorch nor the engine: values worked out by hand, plain
loops over the definitions, and central finite differences of layerwise's own cost (so that the backward rules
are checked against the forward, and the forward against the loops and hand values)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_cnn import nn
from tinygrad_cnn.deltas import engine_backprop, layerwise_arguments
from tinygrad_cnn.textbook import layerwise, layerwise_layers

sys.path.insert(0, str(Path(__file__).parent))
from deltas_architectures import Chain

EPS = 1e-6


def _cost(model, x, target, loss="squared_error", **kwargs):
    return layerwise.backprop(model, x, target, loss, **kwargs).cost


def _fd_input(model, x, target, loss="squared_error", **kwargs):
    """∂C/∂x by central differences of layerwise's cost, one input unit at a time."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += EPS
        down[index] -= EPS
        costs = _cost(model, up, target, loss, **kwargs), _cost(model, down, target, loss, **kwargs)
        grad[index] = (costs[0] - costs[1]) / (2 * EPS)
    return grad


def _fd_parameters(model, x, target, loss="squared_error", **kwargs):
    """∂C/∂θ by central differences for every parameter (its array replaced, never written in place)."""
    grads = {}
    for name, param in model.named_parameters():
        original = np.array(param.data, dtype=np.float64)
        grad = np.zeros_like(original)
        for index in np.ndindex(original.shape):
            costs = []
            for step in (EPS, -EPS):
                moved = original.copy()
                moved[index] += step
                param.data = moved
                costs.append(_cost(model, x, target, loss, **kwargs))
            grad[index] = (costs[0] - costs[1]) / (2 * EPS)
        param.data = original
        grads[name] = grad
    return grads


def _check_against_finite_differences(model, x, target, loss="squared_error", atol=1e-7, **kwargs):
    result = layerwise.backprop(model, x, target, loss, **kwargs)
    np.testing.assert_allclose(result.input_delta, _fd_input(model, x, target, loss, **kwargs), rtol=1e-6,
                               atol=atol, err_msg="input δ")
    expected = _fd_parameters(model, x, target, loss, **kwargs)
    assert set(result.gradients) == set(expected)
    for name, grad in expected.items():
        np.testing.assert_allclose(result.gradients[name], grad, rtol=1e-6, atol=atol, err_msg=name)
    return result


def _rng(seed=0):
    return np.random.default_rng(seed)


# ---- Batch normalization: (B1)-(B5) by hand, and against finite differences


def _bn1d(weight, bias, eps=0.0):
    bn = nn.BatchNorm1d(len(weight), eps=eps, dtype=np.float64)
    bn.weight.data, bn.bias.data = np.array(weight, dtype=np.float64), np.array(bias, dtype=np.float64)
    return bn


def test_batch_norm_in_training_by_hand():
    """x = 1, 1, 3, 3: μ = 2, σ² = 1, x̂ = −1, −1, 1, 1 (ε = 0); γ = 2, β = ½: y = −1.5, −1.5, 2.5, 2.5. Against
    t = 0, 1, 0, 2, g = y − t = −1.5, −2.5, 2.5, 0.5: mean(g) = −¼, mean(g x̂) = 7/4, so by (B4)
    ∂C/∂x = 2 (g + ¼ − 7/4 x̂) = 1, −1, 2, −2; (B3) ∂C/∂γ = Σ g x̂ = 7; (B2) ∂C/∂β = Σ g = −1."""
    model = nn.Sequential(_bn1d([2.0], [0.5]))
    result = layerwise.backprop(model, np.array([[1.0], [1.0], [3.0], [3.0]]), np.array([[0.0], [1.0], [0.0], [2.0]]))
    np.testing.assert_allclose(result.outputs["0"][:, 0], [-1.5, -1.5, 2.5, 2.5], rtol=0, atol=1e-15)
    np.testing.assert_allclose(result.input_delta[:, 0], [1.0, -1.0, 2.0, -2.0], rtol=0, atol=1e-14)
    assert result.gradients["0.weight"][0] == pytest.approx(7.0, abs=1e-14)
    assert result.gradients["0.bias"][0] == pytest.approx(-1.0, abs=1e-14)


def test_batch_norm_in_evaluation_by_hand():
    """(B5): μ_run = 2, σ²_run = 4 (ε = 0), γ = 3, β = 1: x = 0, 4 gives x̂ = −1, 1 and y = −2, 4; with t = 0,
    g = y, ∂C/∂x = γ g / 2 = −3, 6, ∂C/∂γ = Σ g x̂ = 6, ∂C/∂β = 2."""
    bn = _bn1d([3.0], [1.0])
    bn.running_mean.data, bn.running_var.data = np.array([2.0]), np.array([4.0])
    bn.eval()
    result = layerwise.backprop(nn.Sequential(bn), np.array([[0.0], [4.0]]), np.zeros((2, 1)))
    np.testing.assert_allclose(result.outputs["0"][:, 0], [-2.0, 4.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(result.input_delta[:, 0], [-3.0, 6.0], rtol=0, atol=1e-15)
    assert (result.gradients["0.weight"][0], result.gradients["0.bias"][0]) == (6.0, 2.0)


def test_batch_norm_in_training_sums_to_zero_along_shift_and_scale():
    """(B4)'s check: Σ_i ∂C/∂x_i = 0 and Σ_i x̂_i ∂C/∂x_i = 0 per channel (with ε = 0, y ignores a shift or a
    scale of x)."""
    bn = nn.BatchNorm2d(3, eps=0.0, dtype=np.float64)
    x = _rng(1).normal(size=(2, 3, 4, 4))
    result = layerwise.backprop(nn.Sequential(bn), x, _rng(2).normal(size=x.shape))
    x_hat = (x - x.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + bn.eps)
    np.testing.assert_allclose(result.input_delta.sum(axis=(0, 2, 3)), 0.0, atol=1e-12)
    np.testing.assert_allclose((x_hat * result.input_delta).sum(axis=(0, 2, 3)), 0.0, atol=1e-12)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_2d_against_finite_differences(training, affine):
    bn = nn.BatchNorm2d(2, affine=affine, dtype=np.float64)
    if affine:
        bn.weight.data, bn.bias.data = np.array([1.5, -0.5]), np.array([0.25, 1.0])
    bn.running_mean.data, bn.running_var.data = np.array([0.3, -0.2]), np.array([0.5, 2.0])
    bn.train(training)
    model = nn.Sequential(nn.Conv2d(1, 2, 2, dtype=np.float64, seed=0), bn, nn.Tanh(), nn.Flatten())
    x = _rng(3).normal(size=(2, 1, 3, 3))
    _check_against_finite_differences(model, x, _rng(4).normal(size=(2, 8)))


@pytest.mark.parametrize("track", [True, False])
def test_batch_norm_1d_over_a_length_axis_against_finite_differences(track):
    """(N, C, L) input: the statistics run over N and L; without running statistics even eval uses the batch's."""
    bn = _bn1d([0.5, 2.0], [0.0, -1.0], eps=1e-5) if track else nn.BatchNorm1d(2, track_running_stats=False,
                                                                               dtype=np.float64)
    bn.eval()
    if track:
        bn.train()
    x = _rng(5).normal(size=(3, 2, 4))
    result = _check_against_finite_differences(nn.Sequential(bn, nn.Sigmoid()), x, _rng(6).normal(size=x.shape))
    mean = result.outputs["0"].mean(axis=(0, 2)) - (bn.bias.data if track else 0)
    np.testing.assert_allclose(mean, 0.0, atol=1e-12)  # normalized over N and L: each channel's x̂ has mean 0


# ---- Dropout (G15)


def test_dropout_in_training_with_a_given_mask_by_hand():
    """p = ½, r = 1, 0, 1, 0: y = 2x r = 2, 0, 6, 0; against t = 0, δ = y and ∂C/∂x = 2 r δ = 4, 0, 12, 0."""
    model = nn.Sequential(nn.Dropout(0.5))
    x, mask = np.array([[1.0, 2.0, 3.0, 4.0]]), np.array([[1, 0, 1, 0]])
    result = layerwise.backprop(model, x, np.zeros((1, 4)), masks={"0": mask})
    np.testing.assert_array_equal(result.outputs["0"], [[2.0, 0.0, 6.0, 0.0]])
    np.testing.assert_array_equal(result.input_delta, [[4.0, 0.0, 12.0, 0.0]])


def test_dropout_in_evaluation_and_at_p_0_and_1():
    x = np.array([[1.0, -2.0]])
    model = nn.Sequential(nn.Dropout(0.5))
    model.eval()
    np.testing.assert_array_equal(layerwise.backprop(model, x, np.zeros((1, 2))).input_delta, x)  # identity
    kept = layerwise.backprop(nn.Sequential(nn.Dropout(0.0)), x, np.zeros((1, 2)))  # p = 0: no mask needed
    np.testing.assert_array_equal(kept.input_delta, x)
    dropped = layerwise.backprop(nn.Sequential(nn.Dropout(1.0)), x, np.ones((1, 2)))
    np.testing.assert_array_equal(dropped.outputs["0"], [[0.0, 0.0]])
    np.testing.assert_array_equal(dropped.input_delta, [[0.0, 0.0]])


def test_dropout_mask_is_the_one_the_seeded_generator_draws():
    """The recording's keep mask is rng.random(shape) ≥ p of the layer's seeded generator (the engine's rule),
    and layerwise with it reproduces the engine's output exactly."""
    model = nn.Sequential(nn.Linear(3, 5, dtype=np.float64, seed=0), nn.Dropout(0.4, seed=7))
    x = _rng(8).normal(size=(4, 3))
    _, rec = engine_backprop(model, x, np.zeros((4, 5)), "squared_error")
    masks = layerwise_arguments(rec, x)["masks"]
    np.testing.assert_array_equal(masks["1"], np.random.default_rng(7).random((4, 5)) >= 0.4)
    lw = layerwise.backprop(model, x, np.zeros((4, 5)), masks=masks)
    np.testing.assert_allclose(lw.outputs["1"], rec.outputs["1"], rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(lw.outputs["1"] == 0, ~masks["1"])


def test_dropout_in_training_without_its_mask_or_with_a_wrong_one_is_refused():
    model = nn.Sequential(nn.Linear(2, 2, dtype=np.float64), nn.Dropout(0.5))
    x, t = np.ones((1, 2)), np.zeros((1, 2))
    with pytest.raises(layerwise.UnsupportedModel, match=r"layer '1' is a Dropout in training mode.*masks="):
        layerwise.backprop(model, x, t)
    with pytest.raises(ValueError, match=r"masks\['1'\] must have the layer input's shape \(1, 2\); got shape"):
        layerwise.backprop(model, x, t, masks={"1": np.ones((2, 2))})
    with pytest.raises(ValueError, match=r"masks: \['0'\] are not Dropout layers"):
        layerwise.backprop(model, x, t, masks={"0": np.ones((1, 2)), "1": np.ones((1, 2))})


# ---- GELU (G14)


def test_gelu_by_hand():
    """Φ(1) = 0.841344746..., φ(1) = e^(−½)/√(2π) = 0.241970724...: GELU(±1) = ±Φ(±1)·1, GELU'(0) = ½,
    GELU'(1) = Φ(1) + φ(1), GELU'(−1) = Φ(−1) − φ(1)."""
    phi_1, density_1 = 0.8413447460685429, 0.24197072451914337
    model = nn.Sequential(nn.GELU())
    x = np.array([[-1.0, 0.0, 1.0]])
    result = layerwise.backprop(model, x, np.zeros((1, 3)))
    a = result.outputs["0"][0]
    np.testing.assert_allclose(a, [-(1 - phi_1), 0.0, phi_1], rtol=1e-15, atol=0)
    derivative = layerwise.activation_derivative("GELU", x[0])
    np.testing.assert_allclose(derivative, [1 - phi_1 - density_1, 0.5, phi_1 + density_1], rtol=1e-14)
    np.testing.assert_allclose(result.input_delta[0], a * derivative, rtol=1e-14)  # (G3) with t = 0: δ = a
    assert layerwise.backprop(model, np.array([[-10.0]]), np.zeros((1, 1))).outputs["0"][0, 0] < 0  # not −0.0


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_derivative_against_finite_differences(approximate):
    z = np.linspace(-4, 4, 33)
    f = layerwise_layers.Layer("0", "GELU", nn.GELU(approximate=approximate))
    forward = layerwise_layers.forward
    numeric = (forward(f, z + EPS) - forward(f, z - EPS)) / (2 * EPS)
    exact = layerwise.activation_derivative("GELU", z, approximate=approximate)
    np.testing.assert_allclose(exact, numeric, rtol=1e-8, atol=1e-9)
    if approximate == "tanh":  # close to the exact GELU (within 1e-3), but not equal to it
        exact_form = forward(layerwise_layers.Layer("0", "GELU", nn.GELU()), z)
        assert 0 < np.abs(forward(f, z) - exact_form).max() < 1e-3


# ---- Softmax and LogSoftmax (G13)


def test_softmax_and_log_softmax_by_hand():
    """u = (0, 0): s = (½, ½). Softmax with t = (1.5, 0.5): δ_s = s − t = (−1, 0), ∂C/∂u = s(δ − Σ δ s) =
    (−¼, ¼). LogSoftmax: ℓ = (−log 2, −log 2); with t = (−log 2 − 1, −log 2), δ = ℓ − t = (1, 0) and
    ∂C/∂u = δ − s Σ δ = (1, 0) − ½ (1, 1) = (½, −½)."""
    soft = layerwise.backprop(nn.Sequential(nn.Softmax(dim=1)), np.zeros((1, 2)), np.array([[1.5, 0.5]]))
    np.testing.assert_allclose(soft.outputs["0"], [[0.5, 0.5]], rtol=0, atol=1e-16)
    np.testing.assert_allclose(soft.input_delta, [[-0.25, 0.25]], rtol=0, atol=1e-16)
    t = np.array([[-math.log(2) - 1, -math.log(2)]])
    log = layerwise.backprop(nn.Sequential(nn.LogSoftmax(dim=1)), np.zeros((1, 2)), t)
    np.testing.assert_allclose(log.outputs["0"], [[-math.log(2)] * 2], rtol=1e-15)
    np.testing.assert_allclose(log.input_delta, [[0.5, -0.5]], rtol=0, atol=1e-15)


def _softmax_loops(u, delta, axis, log):
    """∂C/∂u by the Jacobian, entry by entry: ∂s_k/∂u_j = s_k([k = j] − s_j), ∂ℓ_k/∂u_j = [k = j] − s_j."""
    u, delta = np.moveaxis(u, axis, -1), np.moveaxis(delta, axis, -1)
    out = np.zeros_like(u)
    for row in np.ndindex(u.shape[:-1]):
        e = [math.exp(v) for v in u[row]]
        s = [v / sum(e) for v in e]
        for j in range(len(s)):
            total = 0.0
            for k in range(len(s)):
                jac = ((k == j) - s[j]) if log else s[k] * ((k == j) - s[j])
                total += delta[row][k] * jac
            out[row][j] = total
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("kind", [nn.Softmax, nn.LogSoftmax])
@pytest.mark.parametrize("dim, shape", [(1, (2, 4)), (-1, (2, 3, 4)), (0, (3, 2)), (1, (2, 3, 2))])
def test_softmax_layers_against_plain_loops(kind, dim, shape):
    u = _rng(9).normal(size=shape)
    t = _rng(10).normal(size=shape)
    result = layerwise.backprop(nn.Sequential(kind(dim=dim)), u, t)
    np.testing.assert_allclose(result.input_delta, _softmax_loops(u, result.deltas["0"], dim % len(shape),
                                                                   kind is nn.LogSoftmax), rtol=1e-12, atol=1e-14)
    s = np.exp(result.outputs["0"]) if kind is nn.LogSoftmax else result.outputs["0"]
    np.testing.assert_allclose(s.sum(axis=dim), 1.0, rtol=1e-14)


def test_softmax_without_dim_takes_pytorchs_legacy_axis():
    """dim=None: axis 0 for 1-d and 3-d input, else 1 (PyTorch's implicit choice)."""
    for shape, axis in (((2, 3, 4), 0), ((2, 3), 1), ((2, 3, 4, 5), 1)):
        u = _rng(11).normal(size=shape)
        s = layerwise.backprop(nn.Sequential(nn.Softmax()), u, np.zeros(shape)).outputs["0"]
        np.testing.assert_allclose(s.sum(axis=axis), 1.0, rtol=1e-14)


# ---- A Module subclass that calls its layers in turn, and a layer used twice


class NotAChain(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc, self.act = nn.Linear(2, 2, dtype=np.float64, seed=0), nn.Tanh()

    def forward(self, x):
        return self.act(self.fc(x) * 2.0)  # an op between the layers: not a chain of them


def test_a_module_subclass_is_a_chain_given_its_order():
    layers = [nn.Linear(3, 4, dtype=np.float64, seed=0), nn.GELU(), nn.Sequential(nn.Linear(4, 2, dtype=np.float64,
                                                                                            seed=1))]
    model = Chain(layers)
    x, t = _rng(12).normal(size=(3, 3)), _rng(13).normal(size=(3, 2))
    _, rec = engine_backprop(model, x, t, "squared_error")
    arguments = layerwise_arguments(rec, x)
    assert arguments["order"] == ["layer0", "layer1", "layer2.0"]
    result = _check_against_finite_differences(model, x, t, order=arguments["order"])
    same = layerwise.backprop(nn.Sequential(*layers), x, t)  # the same layers as a Sequential: the same numbers
    np.testing.assert_array_equal(result.input_delta, same.input_delta)
    with pytest.raises(layerwise.UnsupportedModel, match=r"model must be a Sequential .*got Chain.*pass their order="):
        layerwise.backprop(model, x, t)


def test_a_forward_that_is_not_a_chain_gets_no_order():
    model, x = NotAChain(), np.ones((1, 2))
    _, rec = engine_backprop(model, x, np.zeros((1, 2)), "squared_error")
    assert layerwise_arguments(rec, x) == {"masks": {}}
    with pytest.raises(layerwise.UnsupportedModel, match="model must be a Sequential"):
        layerwise.backprop(model, x, np.zeros((1, 2)), **layerwise_arguments(rec, x))


@pytest.mark.parametrize("order, error, message", [
    (["fc", "nope"], ValueError, r"order: 'nope' is not the name of a layer"),
    ("fc", TypeError, "order must be a list of layer names"),
    ([""], ValueError, "order: '' is not the name"),
])
def test_bad_orders_are_refused(order, error, message):
    with pytest.raises(error, match=message):
        layerwise.backprop(NotAChain(), np.ones((1, 2)), np.zeros((1, 2)), order=order)


def test_an_order_naming_a_container_is_refused():
    model = nn.Sequential(nn.Sequential(nn.Tanh()))
    with pytest.raises(layerwise.UnsupportedModel, match=r"order: layer '0' is a Sequential holding other modules"):
        layerwise.backprop(model, np.ones((1, 2)), np.zeros((1, 2)), order=["0"])


def test_a_layer_used_twice_gets_the_sum_of_both_gradients():
    """C(W) through W twice: ∂C/∂W = (first use's gradient) + (second use's); finite differences move W in both."""
    square = nn.Linear(3, 3, dtype=np.float64, seed=2)
    x, t = _rng(14).normal(size=(2, 3)), _rng(15).normal(size=(2, 3))
    seq = _check_against_finite_differences(nn.Sequential(square, nn.Tanh(), square), x, t)
    assert set(seq.gradients) == {"0.weight", "0.bias"}
    chain = Chain([square, nn.Tanh(), square])
    ordered = layerwise.backprop(chain, x, t, order=["layer0", "layer1", "layer0#2"])
    assert list(ordered.deltas) == ["layer0", "layer1", "layer0#2"]
    np.testing.assert_allclose(ordered.gradients["layer0.weight"], seq.gradients["0.weight"], rtol=1e-15)
    # the sum: each use's share, δ of that use's output times its input (G5)
    first, second = seq.deltas["0"], seq.deltas["2"]
    np.testing.assert_allclose(seq.gradients["0.weight"], first.T @ x + second.T @ seq.outputs["1"], rtol=1e-13)


# ---- The geometry the engine comparisons left unguarded: kinks, padding splits, strides, ceil mode


def test_relu_and_leaky_relu_take_the_left_derivative_at_0():
    np.testing.assert_array_equal(layerwise.activation_derivative("ReLU", np.array([-1.0, 0.0, 1.0])), [0, 0, 1])
    np.testing.assert_array_equal(layerwise.activation_derivative("LeakyReLU", np.array([-1.0, 0.0, 1.0]), 0.25),
                                  [0.25, 0.25, 1.0])
    result = layerwise.backprop(nn.Sequential(nn.LeakyReLU(0.25)), np.array([[-2.0, 0.0, 3.0]]), np.ones((1, 3)))
    np.testing.assert_array_equal(result.outputs["0"], [[-0.5, 0.0, 3.0]])
    np.testing.assert_array_equal(result.input_delta, [[-1.5 * 0.25, -1.0 * 0.25, 2.0]])  # δ = a − t = a − 1


def _output_shape(module, x):
    return layerwise_layers.forward(layerwise.layers(nn.Sequential(module))[0], x).shape


def _conv_loops(x, w, b, stride, pads, dilation):
    """z[n,f,i,j] = Σ_c Σ_p Σ_q w[f,c,p,q] x̃[n,c,i·s+p·d, j·s+q·d] + b[f], x̃ padded top/bottom/left/right."""
    top, bottom, left, right = pads
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    (sh, sw), (dh, dw) = stride, dilation
    kh, kw = w.shape[2:]
    ho = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    z = np.zeros((x.shape[0], w.shape[0], ho, wo))
    for n, f, i, j in np.ndindex(z.shape):
        z[n, f, i, j] = b[f] + sum(w[f, c, p, q] * xp[n, c, i * sh + p * dh, j * sw + q * dw]
                                   for c in range(w.shape[1]) for p in range(kh) for q in range(kw))
    return z


@pytest.mark.parametrize("kwargs, pads", [
    ({"kernel_size": (2, 4), "padding": "same"}, (0, 1, 1, 2)),  # totals 1 and 3: the odd one at the bottom/right
    ({"kernel_size": 2, "padding": "same", "dilation": (3, 1)}, (1, 2, 0, 1)),
    ({"kernel_size": (3, 5), "padding": "same"}, (1, 1, 2, 2)),  # even totals 2 and 4: split evenly
    ({"kernel_size": 2, "padding": "valid"}, (0, 0, 0, 0)),
    ({"kernel_size": 2, "padding": (1, 2), "stride": (1, 2)}, (1, 1, 2, 2)),  # asymmetric padding, unequal strides
    ({"kernel_size": (3, 2), "stride": (2, 1), "dilation": (1, 2)}, (0, 0, 0, 0)),
])
def test_conv_geometry_against_plain_loops_and_finite_differences(kwargs, pads):
    conv = nn.Conv2d(2, 2, dtype=np.float64, seed=3, **kwargs)
    x = _rng(16).normal(size=(1, 2, 5, 6))
    result = layerwise.backprop(nn.Sequential(conv), x, np.zeros(_output_shape(conv, x)))
    stride = kwargs.get("stride", 1)
    stride = stride if isinstance(stride, tuple) else (stride, stride)
    dilation = kwargs.get("dilation", 1)
    dilation = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    expected = _conv_loops(x, conv.weight.data, conv.bias.data, stride, pads, dilation)
    np.testing.assert_allclose(result.outputs["0"], expected, rtol=1e-13, atol=1e-14)
    _check_against_finite_differences(nn.Sequential(conv), x, np.zeros(expected.shape))


def test_pool_output_size_and_average_divisor_by_hand():
    """Values PyTorch gives (checked once): ceil mode adds a last window only if it starts inside the input or
    its left padding, and the average divides by the window's extent up to the end of the padding."""
    x3, x4 = np.arange(9.0).reshape(1, 1, 3, 3), np.arange(16.0).reshape(1, 1, 4, 4)
    cases = [
        (nn.AvgPool2d(2, 2, ceil_mode=True), x3, [[2.0, 3.5], [6.5, 8.0]]),
        (nn.AvgPool2d(2, 2, padding=1, ceil_mode=True), x3, [[0.0, 0.75], [2.25, 6.0]]),
        (nn.AvgPool2d(2, 2, padding=1, ceil_mode=True, count_include_pad=False), x3, [[0.0, 1.5], [4.5, 6.0]]),
        (nn.AvgPool2d(3, 2, padding=1, ceil_mode=True), x4,
         [[10 / 9, 24 / 9, 10 / 6], [51 / 9, 10.0, 33 / 6], [25 / 6, 42 / 6, 3.75]]),
        (nn.AvgPool2d((2, 3), (1, 2), padding=(0, 1)), x4, [[5 / 3, 4.0], [13 / 3, 8.0], [7.0, 12.0]]),
        # unequal kernel, stride and padding per axis in ceil mode: the columns' windows clip to widths 2, 3, 1
        # (with the padding: 3, 3, 2), the rows' never; PyTorch's rule worked by hand
        (nn.AvgPool2d((2, 3), (1, 2), padding=(0, 1), ceil_mode=True, count_include_pad=False), x4,
         [[2.5, 4.0, 5.0], [6.5, 8.0, 9.0], [10.5, 12.0, 13.0]]),
        (nn.AvgPool2d((2, 3), (1, 2), padding=(0, 1), ceil_mode=True), x4,
         [[10 / 6, 4.0, 2.5], [26 / 6, 8.0, 4.5], [42 / 6, 12.0, 6.5]]),
        (nn.MaxPool2d(2, 2, padding=1, ceil_mode=True), x3, [[0.0, 2.0], [6.0, 8.0]]),
        (nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), x4, [[5.0, 7.0, 7.0], [13.0, 15.0, 15.0],
                                                             [13.0, 15.0, 15.0]]),
    ]
    for pool, x, expected in cases:
        result = layerwise.backprop(nn.Sequential(pool), x, np.zeros((1, 1, *np.shape(expected))))
        np.testing.assert_allclose(result.outputs["0"][0, 0], expected, rtol=1e-15, err_msg=repr(pool))
        if isinstance(pool, nn.AvgPool2d):  # and δ spreads back by the same divisors (G7)
            _check_against_finite_differences(nn.Sequential(pool), x, np.zeros(result.outputs["0"].shape))


def test_a_conv_with_another_padding_mode_is_refused():
    conv = nn.Conv2d(1, 1, 3, padding=1, dtype=np.float64, seed=0)
    conv.padding_mode = "reflect"  # the engine's Conv2d refuses it; a look-alike module may carry it
    with pytest.raises(layerwise.UnsupportedModel, match="only zero padding is covered; got 'reflect'"):
        layerwise.backprop(nn.Sequential(conv), np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 4, 4)))


@pytest.mark.parametrize("pool", [nn.AvgPool2d((2, 3), stride=(1, 2), padding=(1, 1)), nn.LPPool2d(2, (3, 2),
                                  stride=(2, 1)), nn.MaxPool2d((2, 3), stride=(1, 2), dilation=(2, 1))])
def test_pooling_with_unequal_strides_against_finite_differences(pool):
    x = _rng(17).normal(size=(1, 2, 6, 7))
    _check_against_finite_differences(nn.Sequential(pool), x, _rng(18).normal(size=_output_shape(pool, x)))


def test_an_input_that_is_not_numbers_is_a_type_error():
    with pytest.raises(TypeError, match=r"x must be an array of numbers \(or a Tensor\); got str"):
        layerwise.backprop(nn.Sequential(nn.Tanh()), "ab", np.zeros(1))
    with pytest.raises(TypeError, match=r"masks\['0'\] must be an array of numbers"):
        layerwise.backprop(nn.Sequential(nn.Dropout(0.5)), np.ones((1, 2)), np.zeros((1, 2)), masks={"0": "ab"})


def test_an_empty_model_is_refused():
    with pytest.raises(layerwise.UnsupportedModel, match="model must hold at least one layer"):
        layerwise.backprop(nn.Sequential(), np.ones((1, 2)), np.zeros((1, 2)))


def test_the_loss_is_checked_before_the_model_is_read():
    with pytest.raises(ValueError, match="loss must be one of"):
        layerwise.backprop(NotAChain(), np.ones((1, 2)), np.zeros((1, 2)), loss="hinge")


@pytest.mark.parametrize("layer, shape, message", [
    (nn.Conv2d(1, 2, 2), (2, 1, 3), r"layer '0' \(Conv2d\) needs a batch \(N, C, H, W\); got shape \(2, 1, 3\)"),
    (nn.Conv2d(2, 2, 2), (1, 1, 3, 3), r"layer '0' \(Conv2d\) has 2 channels; got an input with 1 channels"),
    (nn.MaxPool2d(2), (1, 4, 4), r"layer '0' \(MaxPool2d\) needs a batch \(N, C, H, W\)"),
    (nn.BatchNorm2d(2), (2, 2, 3), r"layer '0' \(BatchNorm2d\) needs a batch \(N, C, H, W\)"),
    (nn.BatchNorm1d(2), (2, 2, 3, 3), r"layer '0' \(BatchNorm1d\) needs a batch \(N, C\) or \(N, C, L\)"),
    (nn.BatchNorm1d(3), (2, 2), r"layer '0' \(BatchNorm1d\) has 3 channels; got an input with 2 channels"),
    (nn.Linear(3, 2), (2, 2), r"layer '0' \(Linear\) needs 3 input features; got shape \(2, 2\)"),
])
def test_an_input_of_the_wrong_shape_names_the_layer(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layerwise.backprop(nn.Sequential(layer), np.ones(shape), np.zeros(shape))


def test_softmax_of_a_single_row_without_dim_uses_axis_0():
    s = layerwise.backprop(nn.Sequential(nn.Softmax()), np.array([1.0, 2.0, 3.0]), np.zeros(3)).outputs["0"]
    np.testing.assert_allclose(s, np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum(), rtol=1e-15)


def test_a_divisor_override_replaces_the_window_count():
    """Window sums 0+1+4+5 = 10, 18, 42, 50 divided by 3, not 4; δ spreads back as δ/3 (G7)."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    result = layerwise.backprop(nn.Sequential(nn.AvgPool2d(2, divisor_override=3)), x, np.zeros((1, 1, 2, 2)))
    np.testing.assert_allclose(result.outputs["0"][0, 0], [[10 / 3, 6.0], [14.0, 50 / 3]], rtol=1e-15)
    np.testing.assert_allclose(result.input_delta[0, 0, 0, 0], 10 / 9, rtol=1e-15)


@pytest.mark.parametrize("start, end, shape", [(1, 2, (2, 6, 4)), (2, -1, (2, 3, 8)), (0, 1, (6, 2, 4))])
def test_flatten_merges_the_axes_from_start_to_end(start, end, shape):
    x = _rng(19).normal(size=(2, 3, 2, 4))
    result = layerwise.backprop(nn.Sequential(nn.Flatten(start, end)), x, np.zeros(shape))
    np.testing.assert_array_equal(result.outputs["0"], x.reshape(shape))
    np.testing.assert_array_equal(result.input_delta, x)  # δ = a − 0, back in the input's shape


def test_a_wrong_name_in_order_lists_the_first_eight_layer_names():
    model = nn.Sequential(*[nn.ReLU() for _ in range(10)])
    names = sorted(dict(model.named_modules()))[:8]  # '' (the model), then '0'…'9' sorted as text
    assert names == ["", "0", "1", "2", "3", "4", "5", "6"]
    with pytest.raises(ValueError, match=r"order: 'x' is not the name of a layer of the model; names: "
                                         r"\['', '0', '1', '2', '3', '4', '5', '6'\]$"):
        layerwise.backprop(model, np.ones((1, 2)), np.ones((1, 2)), order=["x"])

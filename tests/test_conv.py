"""conv2d: forward against the loop reference of eq. (1), backward against finite differences and the loops
of eqs. (12), (14) and the transposed correlation, the book's own layer by hand, the chunked large-batch
path, inf/NaN inputs, memory, bad input, and PyTorch when installed."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from reference_cnn import conv2d_backward_reference, conv2d_reference

from tinygrad_cnn import Tensor, no_grad
from tinygrad_cnn.ops import _conv_kernels as conv_kernels
from tinygrad_cnn.ops import conv as conv_module
from tinygrad_cnn.ops.conv import conv2d, conv2d_output_size
from tinygrad_cnn.ops.pool import max_pool2d
from tinygrad_cnn.testing import gradcheck
from tinygrad_cnn.testing.conv_strategies import conv2d_configs, conv2d_inputs

try:
    import torch
except ImportError:  # the comparisons with PyTorch are skipped
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _conv(config):
    """conv2d with the configuration's hyper-parameters, as a function of (x, weight, bias)."""
    return lambda x, weight, bias=None: conv2d(x, weight, bias, **config.kwargs())


# ----------------------------------------------------------------------------------------- forward
@given(conv2d_inputs(requires_grad=False))
def test_forward_matches_the_loop_reference_of_eq_1(case):
    config, x, weight, bias = case
    z = _conv(config)(x, weight, bias)
    expected = conv2d_reference(x.data, weight.data, None if bias is None else bias.data, **config.kwargs())
    assert z.shape == expected.shape == config.output_shape
    np.testing.assert_allclose(z.data, expected, rtol=1e-12, atol=1e-12)


def test_output_size_formula():
    # ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1, worked by hand
    assert conv2d_output_size(28, 3) == 26  # (28 − 2 − 1)/1 + 1
    assert conv2d_output_size(7, 3, stride=2, padding=1) == 4  # ⌊(7 + 2 − 2 − 1)/2⌋ + 1 = 3 + 1
    assert conv2d_output_size(8, 2, stride=3) == 3  # ⌊5/3⌋ + 1: the last row is never read
    assert conv2d_output_size(6, 3, dilation=2) == 2  # span 5: ⌊1/1⌋ + 1


def test_same_padding_puts_the_odd_extra_on_the_bottom_right():
    x = Tensor(np.arange(20.0).reshape(1, 1, 4, 5))
    w = Tensor(np.arange(1.0, 5.0).reshape(1, 1, 2, 2))  # total padding 1 per axis: 0 on top/left, 1 bottom/right
    z = conv2d(x, w, padding="same")
    assert z.shape == (1, 1, 4, 5)
    x_padded = np.zeros((1, 1, 5, 6))
    x_padded[:, :, :4, :5] = x.data
    np.testing.assert_allclose(z.data, conv2d_reference(x_padded, w.data))


def test_numpy_integers_are_accepted_as_hyper_parameters():
    x, w = Tensor(np.ones((1, 2, 5, 5))), Tensor(np.ones((2, 1, 3, 3)))
    z = conv2d(x, w, stride=np.int64(2), padding=(np.int32(1), 1), dilation=np.int8(1), groups=np.int64(2))
    np.testing.assert_array_equal(z.data, conv2d(x, w, stride=2, padding=1, groups=2).data)


def test_valid_padding_is_no_padding():
    x, w = Tensor(np.random.default_rng(0).normal(size=(1, 2, 5, 5))), Tensor(np.ones((3, 2, 3, 3)))
    np.testing.assert_array_equal(conv2d(x, w, padding="valid").data, conv2d(x, w).data)


def test_a_3d_input_is_a_batch_of_one_and_gives_a_3d_output():
    rng = np.random.default_rng(1)
    x3 = Tensor(rng.normal(size=(2, 5, 4)), requires_grad=True)
    x4 = Tensor(x3.data[np.newaxis], requires_grad=True)
    w = Tensor(rng.normal(size=(3, 2, 2, 2)), requires_grad=True)
    z3, z4 = conv2d(x3, w, padding=1), conv2d(x4, w, padding=1)
    assert z3.shape == (3, 6, 5) and z4.shape == (1, 3, 6, 5)
    np.testing.assert_array_equal(z3.data, z4.data[0])
    z3.sum().backward()
    assert x3.grad.shape == (2, 5, 4)
    z4.sum().backward()
    np.testing.assert_allclose(x3.grad, x4.grad[0])


# ---------------------------------------------------------------------------------------- backward
@given(conv2d_inputs())
def test_gradients_of_x_weight_and_bias_match_finite_differences(case):
    config, x, weight, bias = case
    inputs = [x, weight] if bias is None else [x, weight, bias]
    assert gradcheck(_conv(config), inputs)


@given(conv2d_inputs(conv2d_configs(max_extra_size=5, max_channels_per_group=3)))
def test_backward_is_the_books_delta_rules(case):
    # the same sums as eqs. (12), (14) and the transposed correlation, written as loops over every term of eq. (1)
    config, x, weight, bias = case
    z = _conv(config)(x, weight, bias)
    delta = np.random.default_rng(z.numel()).normal(size=z.shape)
    z.backward(delta)
    dx, dw, db = conv2d_backward_reference(x.data, weight.data, delta, **config.kwargs())
    np.testing.assert_allclose(x.grad, dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weight.grad, dw, rtol=1e-10, atol=1e-12)
    if bias is not None:
        np.testing.assert_allclose(bias.grad, db, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "kernel, stride, padding, dilation, groups, size",
    [
        (3, 1, 1, 1, 1, 5),  # windows overlap (stride < kernel), padding cropped
        (2, 3, 0, 1, 1, 7),  # stride > kernel: a row and a column between windows are never read
        (3, 2, 0, 2, 2, 8),  # dilation with groups
        ((1, 3), (2, 1), (0, 1), (1, 1), 1, 5),  # rectangular everything
    ],
)
def test_gradcheck_on_chosen_geometries(kernel, stride, padding, dilation, groups, size):
    rng = np.random.default_rng(2)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = Tensor(rng.normal(size=(2, 2 * groups, size, size)), requires_grad=True)
    w = Tensor(rng.normal(size=(2 * groups, 2, kh, kw)), requires_grad=True)
    b = Tensor(rng.normal(size=(2 * groups,)), requires_grad=True)
    assert gradcheck(lambda *t: conv2d(*t, stride=stride, padding=padding, dilation=dilation, groups=groups), [x, w, b])


def test_pixels_no_window_reads_get_zero_gradient():
    # kernel 2, stride 3 on 7×7: windows read rows/cols {0,1}, {3,4}; rows/cols 2, 5 and 6 are never read
    x = Tensor(np.ones((1, 1, 7, 7)), requires_grad=True)
    w = Tensor(np.full((1, 1, 2, 2), 2.0), requires_grad=True)
    conv2d(x, w, stride=3).sum().backward()
    read = np.zeros(7, dtype=bool)
    read[[0, 1, 3, 4]] = True
    expected = np.where(read[:, None] & read[None, :], 2.0, 0.0)  # δ = 1 times the weight 2, read once each
    np.testing.assert_array_equal(x.grad[0, 0], expected)


def test_overlapping_windows_sum_at_the_input():
    # 3×3 input, 2×2 kernel of ones, stride 1: pixel (r, c) lies in (number of windows holding it) windows
    x = Tensor(np.zeros((1, 1, 3, 3)), requires_grad=True)
    conv2d(x, Tensor(np.ones((1, 1, 2, 2)))).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_the_input_gradient_is_not_computed_when_x_needs_none(monkeypatch):
    # a spy on the transposed correlation: conv2d's backward must skip it when x does not require grad
    # (the engine would drop the array anyway, so only a spy sees the wasted work)
    calls = []
    original = conv_module.input_gradient
    monkeypatch.setattr(conv_module, "input_gradient", lambda *a, **k: calls.append(1) or original(*a, **k))
    rng = np.random.default_rng(5)
    w = Tensor(rng.normal(size=(2, 1, 2, 2)), requires_grad=True)
    conv2d(Tensor(rng.normal(size=(1, 1, 4, 4))), w).sum().backward()
    assert calls == [] and w.grad is not None
    conv2d(Tensor(rng.normal(size=(1, 1, 4, 4)), requires_grad=True), w).sum().backward()
    assert calls == [1]


def test_only_requested_gradients_are_computed_and_no_bias_is_fine():
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(size=(1, 2, 4, 4)))
    w = Tensor(rng.normal(size=(3, 2, 3, 3)), requires_grad=True)
    conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (3, 2, 3, 3)
    # eq. (12) with δ = 1 everywhere: ∂C/∂w[f, c, p, q] = Σ over the 2×2 output positions of x[c, i+p, j+q]
    window_sums = [[[x.data[0, c, p : p + 2, q : q + 2].sum() for q in range(3)] for p in range(3)] for c in range(2)]
    expected = np.array(window_sums)
    np.testing.assert_allclose(w.grad, np.broadcast_to(expected, (3, 2, 3, 3)))


def test_no_grad_records_nothing():
    x = Tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    with no_grad():
        z = conv2d(x, Tensor(np.ones((1, 1, 2, 2)), requires_grad=True))
    assert not z.requires_grad


def test_float32_stays_float32():
    rng = np.random.default_rng(4)
    x64, w64, b64 = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    x, w, b = (Tensor(a.astype(np.float32), requires_grad=True) for a in (x64, w64, b64))
    z = conv2d(x, w, b, padding=1)
    assert z.dtype == np.float32
    z.backward(np.ones(z.shape, dtype=np.float32))
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
    np.testing.assert_allclose(z.data, conv2d_reference(x64, w64, b64, padding=1), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "stride, padding, dilation, groups, c_out",
    [
        (1, 1, 1, 1, 3),  # stride 1, F ≤ C: the input gradient as a correlation of δ with the flipped kernel
        (1, 0, 2, 1, 6),  # stride 1, F > C: columns w^T·δ scattered back
        (2, 1, 1, 2, 4),  # strided, groups
        (1, 3, 1, 1, 2),  # padding beyond d·(k−1): the scatter, not the correlation
    ],
)
def test_the_chunked_large_batch_path_gives_the_same_numbers(monkeypatch, stride, padding, dilation, groups, c_out):
    # a large batch is done a few images at a time (columns rebuilt in backward); forced here with tiny limits,
    # against the loop reference of eqs. (1), (12), (14) and the transposed correlation
    rng = np.random.default_rng(6)
    x = Tensor(rng.normal(size=(5, 4, 7, 6)), requires_grad=True)
    w = Tensor(rng.normal(size=(c_out, 4 // groups, 3, 3)), requires_grad=True)
    b = Tensor(rng.normal(size=(c_out,)), requires_grad=True)
    kwargs = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    for name in ("CACHE_BYTES", "CHUNK_BYTES", "SCATTER_BYTES"):
        monkeypatch.setattr(conv_kernels, name, 1)  # one image per chunk
    z = conv2d(x, w, b, **kwargs)
    delta = rng.normal(size=z.shape)
    z.backward(delta)
    np.testing.assert_allclose(z.data, conv2d_reference(x.data, w.data, b.data, **kwargs), rtol=1e-12, atol=1e-12)
    dx, dw, db = conv2d_backward_reference(x.data, w.data, delta, **kwargs)
    np.testing.assert_allclose(x.grad, dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad, dw, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad, db, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape", [
    ((2, 3, 5, 5), (2, 3, 3, 3)),
    ((2, 8, 4, 4), (10, 8, 3, 3)),  # windows kept by pixel (tests/test_conv_layouts.py)
])
def test_a_second_backward_through_a_retained_graph_gives_the_same_gradients(x_shape, w_shape):
    # the kept im2col columns must not be overwritten by the first backward
    rng = np.random.default_rng(7)
    x = Tensor(rng.normal(size=x_shape), requires_grad=True)
    w = Tensor(rng.normal(size=w_shape), requires_grad=True)
    z = conv2d(x, w, padding=1)
    delta = rng.normal(size=z.shape)
    z.backward(delta, retain_graph=True)
    first = (x.grad.copy(), w.grad.copy())
    x.grad = w.grad = None
    z.backward(delta)
    np.testing.assert_array_equal(x.grad, first[0])
    np.testing.assert_array_equal(w.grad, first[1])


@pytest.mark.parametrize("where", ["x", "weight"])
@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_an_inf_or_nan_reaches_only_the_gradients_that_read_it(where, value):
    # the stride-1 columns carry a few ignored entries per row; an inf/NaN of x or w must not turn them into
    # 0·inf = NaN elsewhere. Oracle: the loops, which add only the terms of the sums (inf where inf is met)
    rng = np.random.default_rng(8)
    x, w = rng.normal(size=(1, 2, 4, 5)), rng.normal(size=(3, 2, 2, 2))
    (x if where == "x" else w)[0, 1, 1, 0] = value
    tx, tw = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    z = conv2d(tx, tw)
    delta = rng.normal(size=z.shape)
    z.backward(delta)
    dx, dw, _ = conv2d_backward_reference(x, w, delta)
    np.testing.assert_allclose(tw.grad, dw, rtol=1e-12)
    np.testing.assert_allclose(tx.grad, dx, rtol=1e-12)
    assert np.isfinite(tx.grad).any() and np.isfinite(tw.grad).any()  # not NaN everywhere


def test_peak_memory_stays_within_three_times_input_output_and_weights(monkeypatch):
    # issue 11: a large batch is chunked; tiny limits make a small case behave like a large one
    monkeypatch.setattr(conv_kernels, "CACHE_BYTES", 64 * 1024)
    monkeypatch.setattr(conv_kernels, "CHUNK_BYTES", 64 * 1024)
    rng = np.random.default_rng(9)
    x = Tensor(rng.normal(size=(32, 8, 16, 16)), requires_grad=True)
    w = Tensor(rng.normal(size=(8, 8, 3, 3)), requires_grad=True)
    delta = np.ones((32, 8, 16, 16))
    tracemalloc.start()
    try:
        z = conv2d(x, w, padding=1)
        z.backward(delta)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 3 * (x.data.nbytes + z.data.nbytes + w.data.nbytes)


@pytest.mark.slow
def test_peak_memory_of_a_large_batch_at_the_real_limits():
    # 32 × 64 × 32 × 32 float32: the whole batch's columns (80 MiB) would exceed CACHE_BYTES, so it is chunked
    # (measured at 128 × 64 × 32 × 32 too: 2.1×, float32 and float64)
    rng = np.random.default_rng(10)
    x = Tensor(rng.normal(size=(32, 64, 32, 32)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.normal(size=(64, 64, 3, 3)).astype(np.float32), requires_grad=True)
    delta = np.ones((32, 64, 32, 32), dtype=np.float32)
    tracemalloc.start()
    try:
        z = conv2d(x, w, padding=1)
        z.backward(delta)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 3 * (x.data.nbytes + z.data.nbytes + w.data.nbytes)


# ---------------------------------------------------------------------------- the book's layer
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_the_books_network_reproduces_the_hand_computed_chain():
    from tinygrad_cnn import textbook

    images, targets = textbook.load_data()
    params = textbook.initial_parameters()
    x, t = images[0], targets[0]  # (6, 6), (3,)
    w_F, b_F, w_O, b_O = (params[k] for k in ("filter_weights", "filter_biases", "output_weights", "output_biases"))

    # --- by hand (0-based), eqs. (1)-(4), (17), (25), (8), (12), (14); conv's input gradient is not used
    z_F = np.array([[[sum(w_F[k, p, q] * x[i + p, j + q] for p in range(3) for q in range(3)) + b_F[k]
                      for j in range(4)] for i in range(4)] for k in range(3)])  # eq. (1): (3, 4, 4)
    a_F = _sigmoid(z_F)
    winner = np.zeros((3, 4, 4))  # eq. (23) indicator, the first maximum of each 2×2 block (row-major)
    a_P = np.zeros((3, 2, 2))
    for k in range(3):
        for i in range(2):
            for j in range(2):
                block = [(2 * i + u, 2 * j + v) for u in range(2) for v in range(2)]
                first = max(block, key=lambda rc: (a_F[k][rc], -block.index(rc)))
                winner[k][first] = 1.0
                a_P[k, i, j] = a_F[k][first]  # eq. (2)
    z_O = np.array([np.sum(w_O[n] * a_P) + b_O[n] for n in range(3)])  # eq. (3)
    a_O = _sigmoid(z_O)
    cost = 0.5 * np.sum((t - a_O) ** 2)  # eq. (4)
    delta_O = (a_O - t) * a_O * (1 - a_O)  # eq. (17)
    delta_F = np.zeros((3, 4, 4))
    for k in range(3):
        for i in range(4):
            for j in range(4):
                back = sum(delta_O[n] * w_O[n, k, i // 2, j // 2] for n in range(3))
                delta_F[k, i, j] = back * winner[k, i, j] * a_F[k, i, j] * (1 - a_F[k, i, j])  # eq. (25)
    grad_w_F = np.array([[[np.sum(delta_F[k] * x[p : p + 4, q : q + 4]) for q in range(3)] for p in range(3)]
                         for k in range(3)])  # eq. (12)
    grad_b_F = delta_F.sum(axis=(1, 2))  # eq. (14)
    grad_w_O = delta_O[:, None, None, None] * a_P[None]  # eq. (8)

    # --- the same layer with conv2d + sigmoid + max_pool2d + the output layer
    W_F, B_F = Tensor(w_F[:, None], requires_grad=True), Tensor(b_F, requires_grad=True)  # (3, 1, 3, 3)
    W_O, B_O = Tensor(w_O.reshape(3, 12), requires_grad=True), Tensor(b_O, requires_grad=True)
    Z_F = conv2d(Tensor(x[None]), W_F, B_F)  # (3, 4, 4): the image is a 3-D input (C=1)
    Z_F.retain_grad()
    A_P = max_pool2d(Z_F.sigmoid(), 2)  # (3, 2, 2)
    Z_O = W_O @ A_P.reshape(12) + B_O  # (3,)
    Z_O.retain_grad()
    C = ((Tensor(t) - Z_O.sigmoid()) ** 2).sum() * 0.5
    C.backward()

    np.testing.assert_allclose(C.item(), cost, rtol=1e-12)
    np.testing.assert_allclose(Z_O.grad, delta_O, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(Z_F.grad, delta_F, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(W_F.grad[:, 0], grad_w_F, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(B_F.grad, grad_b_F, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(W_O.grad.reshape(3, 3, 2, 2), grad_w_O, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(B_O.grad, delta_O, rtol=1e-10, atol=1e-15)  # eq. (8)


# ------------------------------------------------------------------------------------- bad input
def _t(*shape, dtype=np.float64):
    return Tensor(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: conv2d(_t(3, 3), _t(1, 1, 2, 2)), ValueError, ["x", "3-D or 4-D", "(3, 3)"]),
        (lambda: conv2d(_t(1, 1, 3, 3), _t(1, 2, 2)), ValueError, ["weight", "4-D", "(1, 2, 2)"]),
        (lambda: conv2d(_t(1, 2, 3, 3), _t(1, 3, 2, 2)), ValueError, ["input channels", "3", "2"]),
        (lambda: conv2d(_t(1, 4, 3, 3), _t(3, 2, 2, 2), groups=2), ValueError, ["groups=2", "output channels (3"]),
        (lambda: conv2d(_t(1, 3, 3, 3), _t(2, 1, 2, 2), groups=2), ValueError, ["groups=2", "input channels (3)"]),
        (lambda: conv2d(_t(1, 2, 3, 3), _t(2, 2, 2, 2), groups=0), ValueError, ["groups", "0"]),
        (lambda: conv2d(_t(1, 1, 3, 3), _t(1, 1, 4, 4)), ValueError, ["kernel 4×4", "padded input 3×3"]),
        (lambda: conv2d(_t(1, 1, 3, 3), _t(1, 1, 2, 2), dilation=(1, 3)), ValueError, ["dilation", "padded input"]),
        (lambda: conv2d(_t(1, 1, 3, 3), _t(1, 1, 2, 2), stride=0), ValueError, ["stride", "at least 1", "0"]),
        (lambda: conv2d(_t(1, 1, 3, 3), _t(1, 1, 2, 2), dilation=(1, 0)), ValueError, ["dilation", "(1, 0)"]),
        (lambda: conv2d(_t(1, 1, 3, 3), _t(1, 1, 2, 2), padding=-1), ValueError, ["padding", "at least 0", "-1"]),
        (lambda: conv2d(_t(1, 1, 5, 5), _t(1, 1, 3, 3), stride=2, padding="same"), ValueError, ["'same'", "(2, 2)"]),
        (lambda: conv2d(_t(1, 1, 5, 5), _t(1, 1, 3, 3), padding="full"), ValueError, ["padding", "'full'", "'same'"]),
        (lambda: conv2d(_t(1, 1, 3, 3), _t(1, 1, 2, 2), stride=1.5), TypeError, ["stride", "1.5", "int"]),
        (lambda: conv2d(_t(1, 1, 3, 3), _t(1, 1, 2, 2), stride=(2,)), TypeError, ["stride", "(2,)", "pair of ints"]),
        (lambda: conv2d(_t(1, 1, 3, 3), _t(1, 1, 2, 2), dilation=True), TypeError, ["dilation", "True"]),
        (lambda: conv2d(_t(1, 2, 3, 3), _t(2, 1, 2, 2), groups=2.0), TypeError, ["groups", "2.0", "int"]),
        (lambda: conv2d(_t(1, 1, 3, 3, dtype=np.int64), _t(1, 1, 2, 2)), TypeError, ["x", "floating-point", "int64"]),
        (lambda: conv2d(_t(1, 1, 3, 3), _t(1, 1, 2, 2, dtype=np.float32)), TypeError, ["weight", "float32", "float64"]),
        (lambda: conv2d(_t(1, 1, 3, 3), _t(2, 1, 2, 2), _t(3)), ValueError, ["bias", "(2,)", "(3,)"]),
        (lambda: conv2d(np.zeros((1, 1, 3, 3)), _t(1, 1, 2, 2)), TypeError, ["x", "Tensor", "ndarray"]),
    ],
)
def test_bad_input_names_the_argument_the_value_and_the_expectation(call, error, words):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert message.startswith("conv2d:")
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"


# -------------------------------------------------------------------------------------- PyTorch
@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")  # PyTorch's note on its own padding copy
@given(conv2d_inputs(), st.integers(0, 2**32 - 1))
def test_matches_pytorch_forward_and_gradients(case, seed):
    config, x, weight, bias = case
    z = _conv(config)(x, weight, bias)
    delta = np.random.default_rng(seed).normal(size=z.shape)
    z.backward(delta)
    tx, tw = torch.tensor(x.data, requires_grad=True), torch.tensor(weight.data, requires_grad=True)
    tb = None if bias is None else torch.tensor(bias.data, requires_grad=True)
    padding = config.padding if isinstance(config.padding, str) else tuple(config.padding)
    tz = torch.nn.functional.conv2d(tx, tw, tb, config.stride, padding, config.dilation, config.groups)
    tz.backward(torch.tensor(delta))
    np.testing.assert_allclose(z.data, tz.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weight.grad, tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    if bias is not None:
        np.testing.assert_allclose(bias.grad, tb.grad.numpy(), rtol=1e-10, atol=1e-12)

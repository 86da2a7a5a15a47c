"""conv2d's array layouts give the numbers of eqs. (1), (12), (14) and the transposed correlation.

`ops/_conv_kernels.py` chooses between three layouts of the windows (wide rows for stride 1, plain im2col
rows, and rows by pixel with channels last for small outputs) and sums eq. (12)'s product over blocks of
columns when its output is small. Each choice is forced or checked here and compared with the loops of
`tests/reference_cnn.py`, so a layout that is never taken, or takes a wrong turn, fails.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_cnn import conv2d_backward_reference, conv2d_reference

from tinygrad_cnn import Tensor
from tinygrad_cnn.ops import _conv_kernels as kernels
from tinygrad_cnn.ops.conv import conv2d
from tinygrad_cnn.ops.window import Geometry
from tinygrad_cnn.testing import gradcheck, gradgradcheck


def _geometry(size, kernel=3, stride=1, padding=0, dilation=1):
    return Geometry.for_conv((size, size), (kernel, kernel), (stride, stride), (padding,) * 4, (dilation, dilation))


def test_wide_rows_only_where_the_ignored_columns_are_few():
    assert kernels._wide(_geometry(28))  # Wp 28, Wo 26
    assert kernels._wide(_geometry(32, padding=1))  # 34 vs 32
    assert kernels._wide(_geometry(13))  # 13 vs 11: the LeNet step's second layer
    assert kernels._wide(_geometry(12))  # 12 vs 10: exactly a fifth more, the boundary
    assert not kernels._wide(_geometry(9))  # 9 vs 7
    assert not kernels._wide(_geometry(8, padding=1))  # 10 vs 8: a quarter more columns
    assert not kernels._wide(_geometry(32, stride=2, padding=1))


def test_rows_by_pixel_only_for_small_outputs_of_eight_or_more_channels():
    assert kernels._by_pixel(_geometry(4, padding=1), 32, 1)
    assert kernels._by_pixel(_geometry(10), 8, 1)  # 8×8 outputs
    assert kernels._by_pixel(_geometry(4, padding=1), 8, 1)  # (test_conv.py's retained-graph case)
    assert not kernels._by_pixel(_geometry(4, padding=1), 4, 1)  # few channels
    assert not kernels._by_pixel(_geometry(4, padding=1), 32, 2)  # groups
    assert not kernels._by_pixel(_geometry(12), 32, 1)  # 10×10 outputs
    assert not kernels._by_pixel(_geometry(28), 32, 1)  # wide
    assert not kernels._by_pixel(_geometry(8, kernel=1), 32, 1)  # 8×8 outputs, but wide rows (1×1: none ignored)


@pytest.mark.parametrize("channels, by_correlation", [(8, True), (4, False)])
def test_the_input_gradient_of_a_small_output_is_a_correlation_by_pixel_from_eight_input_channels(
        monkeypatch, channels, by_correlation):
    calls = _spy(monkeypatch)
    rng = np.random.default_rng(15)
    delta, w = rng.normal(size=(2, 16, 4, 4)), rng.normal(size=(16, channels, 3, 3))  # F = 16 > C
    geometry = _geometry(4, padding=1)
    dx = kernels.input_gradient(delta, w, geometry, 1)
    assert (len(calls) == 1) == by_correlation  # the correlation of δ with the flipped kernel, by pixel; else col2im
    x = Tensor(rng.normal(size=(2, channels, 4, 4)), requires_grad=True)
    conv2d(x, Tensor(w), padding=1).backward(delta)
    np.testing.assert_allclose(dx, x.grad, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, conv2d_backward_reference(x.data, w, delta, padding=1)[0], rtol=1e-12, atol=1e-12)


def _spy(monkeypatch):
    """Count the calls of the by-pixel forward."""
    calls = []
    original = kernels._correlate_by_pixel

    def spy(*args, **kwargs):
        calls.append(args[0].shape)
        return original(*args, **kwargs)

    monkeypatch.setattr(kernels, "_correlate_by_pixel", spy)
    return calls


@pytest.mark.parametrize(
    ("c_in", "c_out", "size", "stride", "padding", "dilation", "bias"),
    [
        (8, 16, 4, 1, 1, 1, True),  # F > C: the input gradient as a correlation by pixel too
        (16, 8, 6, 1, 0, 1, False),  # F < C, no padding, no bias
        (8, 12, 7, 2, 1, 1, True),  # strided
        (9, 10, 6, 1, 2, 2, True),  # dilated, padded beyond d·(k − 1)/2
        (8, 3, 5, 1, 1, 1, True),  # few filters: the input gradient scattered back
    ],
)
def test_rows_by_pixel_give_the_loop_references_numbers(monkeypatch, c_in, c_out, size, stride, padding, dilation,
                                                        bias):
    calls = _spy(monkeypatch)
    rng = np.random.default_rng(11)
    kwargs = {"stride": stride, "padding": padding, "dilation": dilation}
    x = Tensor(rng.normal(size=(3, c_in, size, size)), requires_grad=True)
    w = Tensor(rng.normal(size=(c_out, c_in, 3, 3)), requires_grad=True)
    b = Tensor(rng.normal(size=(c_out,)), requires_grad=True) if bias else None
    z = conv2d(x, w, b, **kwargs)
    assert calls, "the by-pixel layout was not taken"
    delta = rng.normal(size=z.shape)
    z.backward(delta)
    np.testing.assert_allclose(z.data, conv2d_reference(x.data, w.data, None if b is None else b.data, **kwargs),
                               rtol=1e-12, atol=1e-12)
    dx, dw, db = conv2d_backward_reference(x.data, w.data, delta, **kwargs)
    np.testing.assert_allclose(x.grad, dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad, dw, rtol=1e-10, atol=1e-12)
    if b is not None:
        np.testing.assert_allclose(b.grad, db, rtol=1e-10, atol=1e-12)


def test_rows_by_pixel_for_the_filter_alone_an_unbatched_input_and_float32(monkeypatch):
    calls = _spy(monkeypatch)
    rng = np.random.default_rng(12)
    x, w = rng.normal(size=(8, 5, 5)), rng.normal(size=(6, 8, 3, 3))
    tw = Tensor(w.astype(np.float32), requires_grad=True)
    z = conv2d(Tensor(x.astype(np.float32)), tw, padding=1)  # x needs no gradient: eq. (12) alone
    assert calls and z.shape == (6, 5, 5) and z.dtype == np.float32
    delta = rng.normal(size=z.shape)
    z.backward(delta.astype(np.float32))
    _, dw, _ = conv2d_backward_reference(x[None], w, delta[None], padding=1)
    np.testing.assert_allclose(z.data, conv2d_reference(x, w, padding=1), rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(tw.grad, dw, rtol=2e-5, atol=2e-4)
    assert tw.grad.dtype == np.float32


@pytest.mark.parametrize("where", ["x", "weight"])
@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_an_inf_or_nan_by_pixel_reaches_only_the_sums_that_read_it(monkeypatch, where, value):
    calls = _spy(monkeypatch)
    rng = np.random.default_rng(14)
    x, w = rng.normal(size=(2, 8, 5, 5)), rng.normal(size=(9, 8, 3, 3))
    (x if where == "x" else w)[0, 1, 2, 0] = value
    tx, tw = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    z = conv2d(tx, tw)
    assert calls
    delta = rng.normal(size=z.shape)
    z.backward(delta)
    dx, dw, _ = conv2d_backward_reference(x, w, delta)
    np.testing.assert_allclose(z.data, conv2d_reference(x, w), rtol=1e-12)
    np.testing.assert_allclose(tx.grad, dx, rtol=1e-12)
    np.testing.assert_allclose(tw.grad, dw, rtol=1e-12)
    assert np.isfinite(tx.grad).any() and np.isfinite(tw.grad).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_filter_product_in_blocks_is_one_product_up_to_rounding(monkeypatch, dtype):
    monkeypatch.setattr(kernels, "PRODUCT_BLOCK", 12 * 1024)  # blocks of 1,024 columns for 3 × 4 outputs
    rng = np.random.default_rng(15)
    d = rng.normal(size=(1, 3, 5000)).astype(dtype)  # (G, Fg, M)
    windows = rng.normal(size=(1, 4, 5000)).astype(dtype)  # (G, Kg, M)
    assert kernels._block_columns(5000, 3 * 4) < 5000  # several blocks, the last one ragged
    got = kernels.delta_times_windows(d, windows)
    assert got.shape == (1, 3, 4) and got.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, d.astype(np.float64) @ windows.astype(np.float64).swapaxes(1, 2), rtol=tol)


def test_block_columns_are_multiples_of_256_and_large_outputs_take_one_block():
    assert kernels._block_columns(100_000, 16 * 72) == 768
    assert kernels._block_columns(500, 16 * 72) == 500
    assert kernels._block_columns(100_000, 64 * 576) == 100_000


def test_the_blocked_filter_product_through_conv2d_gives_the_loop_references_numbers(monkeypatch):
    monkeypatch.setattr(kernels, "PRODUCT_BLOCK", 256 * 18)  # blocks of 256 columns for 2 × 9 outputs
    rng = np.random.default_rng(16)
    x = Tensor(rng.normal(size=(4, 1, 20, 20)), requires_grad=True)  # 4·18·20 = 1,440 wide columns
    w = Tensor(rng.normal(size=(2, 1, 3, 3)), requires_grad=True)
    z = conv2d(x, w)
    delta = rng.normal(size=z.shape)
    z.backward(delta)
    dx, dw, _ = conv2d_backward_reference(x.data, w.data, delta)
    np.testing.assert_allclose(w.grad, dw, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(x.grad, dx, rtol=1e-11, atol=1e-12)


# ------------------------------------------------------------------------------ property tests, both layouts
@st.composite
def _by_pixel_or_wide(draw):
    """conv2d inputs whose geometry takes one of the layouts above: 8–10 channels on a small output (by pixel),
    or stride 1 with few ignored columns (wide rows); float64, any padding and dilation that fit."""
    channels = draw(st.integers(8, 10))
    size = draw(st.integers(3, 6))
    kernel, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding = draw(st.integers(0, 2))
    stride = draw(st.integers(1, 2))
    if (size + 2 * padding - dilation * (kernel - 1)) < 1:
        padding = (dilation * (kernel - 1) - size + 2) // 2 + 1
    filters, batch = draw(st.integers(1, 6)), draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = Tensor(rng.normal(size=(batch, channels, size, size)), requires_grad=True)
    w = Tensor(rng.normal(size=(filters, channels, kernel, kernel)), requires_grad=True)
    b = Tensor(rng.normal(size=filters), requires_grad=True)
    return x, w, b, {"stride": stride, "padding": padding, "dilation": dilation}


@settings(max_examples=12, deadline=None)  # second-order finite differences are slow: a few geometries
@given(_by_pixel_or_wide())
def test_gradients_through_the_layouts_match_finite_differences_at_first_and_second_order(case):
    x, w, b, kwargs = case
    assert gradcheck(lambda x, w, b: conv2d(x, w, b, **kwargs), [x, w, b])
    assert gradgradcheck(lambda x, w: (conv2d(x, w, **kwargs) ** 2), [x, w])

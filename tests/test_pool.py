"""Max, average and Lp pooling: forward against the loop references, backward on chosen geometries against
finite differences (random ones: the registry), the tie rule of eq. (23), NaN/±inf edges, PyTorch's ceil_mode /
divisor rules, bad input, and PyTorch when installed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from reference_cnn import (
    avg_pool2d_reference,
    lp_pool2d_reference,
    max_pool2d_backward_reference,
    max_pool2d_reference,
    pooled_length,
)

from tinygrad_cnn import Tensor
from tinygrad_cnn.ops.pool import avg_pool2d, lp_pool2d, max_pool2d, pool_output_size
from tinygrad_cnn.testing import gradcheck
from tinygrad_cnn.testing.conv_strategies import pool2d_configs, pool2d_inputs

try:
    import torch
except ImportError:  # the comparisons with PyTorch are skipped
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

POOLS = {"max": max_pool2d, "avg": avg_pool2d, "lp": lp_pool2d}


def _pool(config):
    """The pooling function of the configuration, as a function of x."""
    return lambda x: POOLS[config.kind](x, **config.kwargs())


# ----------------------------------------------------------------------------------------- forward
@given(pool2d_inputs("max", requires_grad=False))
def test_max_pool_forward_and_indices_match_the_loop_reference(case):
    config, x = case
    z, where = max_pool2d(x, **config.kwargs(), return_indices=True)
    expected, expected_where = max_pool2d_reference(x.data, **config.kwargs())
    assert z.shape == expected.shape == config.output_shape
    np.testing.assert_array_equal(z.data, expected)
    assert where.dtype == np.int64 and not where.requires_grad
    np.testing.assert_array_equal(where.data, expected_where)


@given(pool2d_inputs("avg", requires_grad=False))
def test_avg_pool_forward_matches_the_loop_reference(case):
    config, x = case
    z = avg_pool2d(x, **config.kwargs())
    assert z.shape == config.output_shape
    np.testing.assert_allclose(z.data, avg_pool2d_reference(x.data, **config.kwargs()), rtol=1e-12, atol=1e-15)


@given(pool2d_inputs("lp", requires_grad=False))
def test_lp_pool_forward_matches_the_loop_reference(case):
    config, x = case
    z = lp_pool2d(x, **config.kwargs())
    assert z.shape == config.output_shape
    np.testing.assert_allclose(z.data, lp_pool2d_reference(x.data, **config.kwargs()), rtol=1e-12)


@given(st.integers(1, 12), st.integers(1, 4), st.integers(1, 4), st.data(), st.integers(1, 3), st.booleans())
def test_output_length_counts_the_windows_pytorch_makes(size, kernel, stride, data, dilation, ceil_mode):
    # the closed formula against the rule counted window by window (reference_cnn.pooled_length)
    padding = data.draw(st.integers(0, kernel // 2))
    assume(size + 2 * padding >= dilation * (kernel - 1) + 1)  # at least one window
    assert pool_output_size(size, kernel, stride, padding, dilation, ceil_mode) == pooled_length(
        size, kernel, stride, padding, dilation, ceil_mode
    )


def test_ceil_mode_examples_by_hand():
    assert pool_output_size(5, 2, 2) == 2  # ⌊3/2⌋ + 1: the last column is dropped
    assert pool_output_size(5, 2, 2, ceil_mode=True) == 3  # ⌈3/2⌉ + 1: a half window at the end
    # padding 1: ⌈(5 + 2 − 2)/2⌉ + 1 = 4, but window 4 would start at 6 ≥ 5 + 1, in the right padding
    assert pool_output_size(5, 2, 2, padding=1, ceil_mode=True) == 3
    x = Tensor(np.arange(25.0).reshape(1, 1, 5, 5))
    z = max_pool2d(x, 2, ceil_mode=True)
    np.testing.assert_array_equal(z.data[0, 0], [[6, 8, 9], [16, 18, 19], [21, 23, 24]])


def test_avg_divisor_in_ceil_mode_and_with_padding():
    x = Tensor(np.ones((1, 1, 3, 3)))
    # kernel 2, stride 2, padding 1, ceil: windows start at −1 and 1 on each axis (ending at 1 and 3 = H + p)
    counted = avg_pool2d(x, 2, padding=1, ceil_mode=True).data[0, 0]
    # count_include_pad: every window is 2×2 within the padded 5×5 -> divisor 4; input units: 1, 2, 2, 4
    np.testing.assert_allclose(counted, [[1 / 4, 2 / 4], [2 / 4, 4 / 4]])
    uncounted = avg_pool2d(x, 2, padding=1, ceil_mode=True, count_include_pad=False).data[0, 0]
    np.testing.assert_allclose(uncounted, np.ones((2, 2)))  # the mean of ones over the input units only
    # ceil-mode overhang past the padding is never counted: 3×3 input, kernel 2, stride 2, no padding
    overhang = avg_pool2d(Tensor(np.ones((1, 1, 3, 3))), 2, ceil_mode=True).data[0, 0]
    np.testing.assert_allclose(overhang, np.ones((2, 2)))


# ---------------------------------------------------------------------------------------- backward
# the finite-difference properties over random configurations are the registry's (testing/checks.py,
# run by tests/test_op_properties.py); here, chosen geometries
@pytest.mark.parametrize(
    "kernel, stride, padding, dilation, ceil_mode",
    [
        (3, 1, 1, 1, False),  # overlapping windows: a unit can win several
        (2, 3, 0, 1, True),  # stride > kernel: gaps between windows, a half window at the end
        (3, 2, 1, 2, True),  # dilation with padding
    ],
)
def test_gradcheck_on_chosen_geometries(kernel, stride, padding, dilation, ceil_mode):
    x = Tensor(np.random.default_rng(0).permutation(2 * 3 * 8 * 8).reshape(2, 3, 8, 8) * 0.01, requires_grad=True)
    assert gradcheck(lambda t: max_pool2d(t, kernel, stride, padding, dilation, ceil_mode), [x])
    y = Tensor(x.data + 0.5, requires_grad=True)  # positive, for Lp
    assert gradcheck(lambda t: avg_pool2d(t, kernel, stride, min(padding, kernel // 2), ceil_mode, False), [y])
    assert gradcheck(lambda t: lp_pool2d(t, 2, kernel, stride, ceil_mode), [y])


# ------------------------------------------------------------------------------------ the tie rule
def _backward(pool, x, delta, **kwargs):
    x = Tensor(np.asarray(x, dtype=np.float64)[None, None], requires_grad=True)
    pool(x, **kwargs).backward(np.asarray(delta, dtype=np.float64)[None, None])
    return x.grad[0, 0]


@pytest.mark.parametrize(
    "x, delta, kwargs, expected",
    [
        ([[1, 1], [1, 1]], [[5]], {"kernel_size": 2}, [[5, 0], [0, 0]]),  # all tied: the first (top-left) wins
        ([[0, 7], [7, 0]], [[5]], {"kernel_size": 2}, [[0, 5], [0, 0]]),  # row-major: (0, 1) before (1, 0)
        # 3×3, kernel 2, stride 1: the middle maximum is in all four windows and gets the sum of their δ
        ([[0, 1, 0], [2, 9, 3], [0, 4, 0]], [[1, 2], [3, 4]], {"kernel_size": 2, "stride": 1},
         [[0, 0, 0], [0, 10, 0], [0, 0, 0]]),
        # all equal, overlapping: each window's first unit (its top-left) wins
        (np.ones((3, 3)), [[1, 2], [3, 4]], {"kernel_size": 2, "stride": 1}, [[1, 2, 0], [3, 4, 0], [0, 0, 0]]),
    ],
)
def test_the_tie_rule_of_eq_23_by_hand(x, delta, kwargs, expected):
    np.testing.assert_array_equal(_backward(max_pool2d, x, delta, **kwargs), expected)


@given(pool2d_configs("max"), st.data())
def test_backward_with_many_ties_follows_the_rule(config, data):
    # integer values in a small range: ties everywhere; the loop reference routes δ by the written rule
    x = np.array(data.draw(st.lists(st.integers(-2, 2), min_size=int(np.prod(config.input_shape)),
                                    max_size=int(np.prod(config.input_shape)))), dtype=np.float64)
    x = x.reshape(config.input_shape)
    delta = np.arange(1.0, 1.0 + np.prod(config.output_shape)).reshape(config.output_shape)
    tensor = Tensor(x, requires_grad=True)
    max_pool2d(tensor, **config.kwargs()).backward(delta)
    np.testing.assert_array_equal(tensor.grad, max_pool2d_backward_reference(x, delta, **config.kwargs()))
    # padding never wins and every window has exactly one winner: the δ total is kept
    assert tensor.grad.sum() == delta.sum()


def test_padding_never_wins_even_against_very_negative_inputs():
    # kernel 2, stride 2, padding 1 on 2×2: each window holds one input unit and three padding cells
    grad = _backward(max_pool2d, np.full((2, 2), -1e300), np.ones((2, 2)), kernel_size=2, stride=2, padding=1)
    np.testing.assert_array_equal(grad, [[1, 1], [1, 1]])


# ------------------------------------------------------------------------- NaN, ±inf (issue 10)
NAN, INF = np.nan, np.inf


def _max_pool_case(x, kwargs, delta=None):
    """(output, indices, gradient) of max_pool2d on a 2-D map, with δ = ``delta`` (ones by default)."""
    t = Tensor(np.asarray(x, dtype=np.float64)[None, None], requires_grad=True)
    z, where = max_pool2d(t, **kwargs, return_indices=True)
    z.backward(np.ones(z.shape) if delta is None else np.asarray(delta, dtype=np.float64)[None, None])
    return z.data[0, 0], where.data[0, 0], t.grad[0, 0]


MAX_POOL_EDGES = [
    # (x, kwargs, expected output, expected indices, expected gradient), by PyTorch's rule: a unit takes over
    # if greater than the maximum so far or NaN (so the last NaN of a window wins); a window starts at its
    # first unit inside the input, so padding never wins, even against −∞
    ([[1, NAN], [NAN, 2]], {"kernel_size": 2}, [[NAN]], [[2]], [[0, 0], [1, 0]]),
    ([[1, 3, NAN, 5]], {"kernel_size": (1, 4)}, [[NAN]], [[2]], [[0, 0, 1, 0]]),
    ([[NAN, 3, 2, 5]], {"kernel_size": (1, 4)}, [[NAN]], [[0]], [[1, 0, 0, 0]]),
    ([[-INF, -INF], [-INF, -INF]], {"kernel_size": 2, "padding": 1}, [[-INF, -INF], [-INF, -INF]],
     [[0, 1], [2, 3]], [[1, 1], [1, 1]]),
    (np.full((3, 3), -INF), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
     [[-INF, -INF], [-INF, -INF]], [[0, 1], [3, 4]], [[1, 1, 0], [1, 1, 0], [0, 0, 0]]),
    ([[-INF, 0], [-INF, -INF]], {"kernel_size": 2, "padding": 1}, [[-INF, 0], [-INF, -INF]],
     [[0, 1], [2, 3]], [[1, 1], [1, 1]]),
]


@pytest.mark.parametrize("x, kwargs, z, where, grad", MAX_POOL_EDGES)
def test_max_pool_nan_and_minus_inf_windows_by_hand(x, kwargs, z, where, grad):
    out, indices, dx = _max_pool_case(x, kwargs)
    np.testing.assert_array_equal(out, z)
    np.testing.assert_array_equal(indices, where)
    assert (indices >= 0).all()
    np.testing.assert_array_equal(dx, grad)


@needs_torch
@pytest.mark.parametrize("x, kwargs, z, where, grad", MAX_POOL_EDGES)
def test_max_pool_nan_and_minus_inf_windows_match_pytorch(x, kwargs, z, where, grad):
    out, indices, dx = _max_pool_case(x, kwargs)
    tx = torch.tensor(np.asarray(x, dtype=np.float64)[None, None], requires_grad=True)
    tz, twhere = torch.nn.functional.max_pool2d(tx, **kwargs, return_indices=True)
    tz.backward(torch.ones_like(tz))
    np.testing.assert_array_equal(out, tz.detach().numpy()[0, 0])
    np.testing.assert_array_equal(indices, twhere.numpy()[0, 0])
    np.testing.assert_array_equal(dx, tx.grad.numpy()[0, 0])


@pytest.mark.parametrize("kwargs", [{"kernel_size": 2}, {"kernel_size": 2, "stride": 1}])
def test_max_pool_non_winners_get_an_exact_zero_even_when_delta_is_infinite(kwargs):
    # the mask selects: inf·0 would make NaN in every non-winning unit
    x = [[1.0, 2.0, 0.0], [3.0, 0.5, 0.25], [0.0, 0.0, 4.0]]
    _, where, dx = _max_pool_case(x, kwargs, delta=np.full((1, 1) if kwargs.get("stride") is None else (2, 2), INF))
    won = np.zeros(9, dtype=bool)
    won[where.ravel()] = True
    assert not np.isnan(dx).any()
    np.testing.assert_array_equal(dx.ravel()[~won], 0.0)
    assert np.isinf(dx.ravel()[won]).all()


# ------------------------------------------------------------------------------ divisor_override
def test_avg_pool_divisor_override_by_hand():
    x = np.arange(1.0, 10.0).reshape(3, 3)  # padding 1, kernel 2, stride 2: windows hold 1, 2, 2 and 4 units
    z = avg_pool2d(Tensor(x[None, None]), 2, padding=1, divisor_override=3).data[0, 0]
    np.testing.assert_allclose(z, [[1 / 3, (2 + 3) / 3], [(4 + 7) / 3, (5 + 6 + 8 + 9) / 3]])
    grad = _backward(avg_pool2d, x, [[1.0, 2.0], [3.0, 4.0]], kernel_size=2, padding=1, divisor_override=3)
    np.testing.assert_allclose(grad, [[1, 2, 2], [3, 4, 4], [3, 4, 4]] / np.float64(3))  # δ / 3 to each unit


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-2, ValueError), (2.0, TypeError), (True, TypeError)])
def test_avg_pool_divisor_override_must_be_a_positive_int(bad, error):
    with pytest.raises(error, match="divisor_override"):
        avg_pool2d(_t(1, 1, 4, 4), 2, divisor_override=bad)


# ------------------------------------------------------------------------------------- Lp details
def test_l2_pooling_is_the_root_of_the_sum_of_squares_and_its_gradient_is_a_over_z():
    x = np.array([[3.0, 0.0], [0.0, 4.0]])
    z = lp_pool2d(Tensor(x[None, None]), 2, 2)
    np.testing.assert_allclose(z.data, [[[[5.0]]]])
    np.testing.assert_allclose(_backward(lp_pool2d, x, [[2.0]], norm_type=2, kernel_size=2), 2.0 * x / 5.0)


def test_lp_gradient_is_a_power_p_minus_1_over_z_power_p_minus_1():
    x = np.array([[1.0, 2.0], [0.5, 1.5]])
    z = np.sum(x**3) ** (1 / 3)
    grad = _backward(lp_pool2d, x, [[1.0]], norm_type=3, kernel_size=2)
    np.testing.assert_allclose(grad, x**2 / z**2)


@pytest.mark.parametrize("p", [2, 3, 1.5])
def test_lp_gradient_is_zero_where_the_window_norm_is_zero(p):
    # z = 0: no NaN, and 0 as in PyTorch (which also gives 0 here)
    grad = _backward(lp_pool2d, np.zeros((2, 4)), [[1.0, 1.0]], norm_type=p, kernel_size=2)
    np.testing.assert_array_equal(grad, np.zeros((2, 4)))
    grad = _backward(lp_pool2d, [[1.0, -1.0]], [[1.0]], norm_type=3, kernel_size=(1, 2))  # Σ a³ = 0, a ≠ 0
    np.testing.assert_array_equal(grad, [[0.0, 0.0]])


def test_l1_pooling_keeps_the_derivative_of_a_sum_where_the_sum_is_zero():
    # deliberate difference: for p = 1, z = Σ a is linear, ∂z/∂a = 1 everywhere; PyTorch gives 0 where the sum
    # is exactly 0 (its formula passes the sum through a ReLU)
    grad = _backward(lp_pool2d, [[1.0, -1.0]], [[2.0]], norm_type=1, kernel_size=(1, 2))
    np.testing.assert_array_equal(grad, [[2.0, 2.0]])


def test_lp_ceil_mode_window_is_a_plain_sum_and_odd_p_negative_sums_are_nan():
    # the half window at the end sums its units only (PyTorch would scale it by kH·kW / 2)
    z = lp_pool2d(Tensor(np.full((1, 1, 2, 3), 2.0)), 1, 2, ceil_mode=True)
    np.testing.assert_array_equal(z.data[0, 0], [[8.0, 4.0]])
    z = lp_pool2d(Tensor(-np.ones((1, 1, 2, 2))), 3, 2)  # (Σ a³)^(1/3) = (−4)^(1/3): no real root
    assert np.isnan(z.data).all()


@pytest.mark.parametrize("p", [2, 3, 4.5])
def test_float16_lp_pooling_computes_both_passes_in_float32(p):
    # issue 17: a^p and the backward's a^(p−1), z^(p−1) overflow float16 (300² > 65504) long before z does; both
    # passes compute in float32, as every float16 op here (README), so z and the gradient are float16 roundings
    # of the float64 ones (PyTorch's float16 forward overflows to inf here: a deliberate, documented difference,
    # checked in tests/test_higher_order_conv_torch.py)
    x64 = np.array([[[[300.0, 200.0, 0.5], [100.0, 250.0, 2.0]]]])
    x16 = Tensor(x64.astype(np.float16), requires_grad=True)
    z16 = lp_pool2d(x16, p, 2, ceil_mode=True)
    z16.backward(np.ones(z16.shape, np.float16))
    x = Tensor(x16.data.astype(np.float64), requires_grad=True)
    z = lp_pool2d(x, p, 2, ceil_mode=True)
    z.backward(np.ones(z.shape))
    assert z16.dtype == x16.grad.dtype == np.float16
    np.testing.assert_allclose(z16.data, z.data, rtol=1e-3)
    np.testing.assert_allclose(x16.grad, x.grad, rtol=2e-3, atol=1e-4)


def test_float16_lp_pooling_whose_norm_overflows_has_gradient_zero():
    # z = (4 · 40000²)^(1/2) = 80000 > 65504: inf in float16 on both sides; the window's gradient is 0 here
    # (δ / z^(p−1) with z = inf), where PyTorch gives 0 or NaN (README, the float16 paragraph)
    x = Tensor(np.full((1, 1, 2, 2), 40000.0, np.float16), requires_grad=True)
    z = lp_pool2d(x, 2, 2)
    z.backward(np.ones(z.shape, np.float16))
    assert np.isposinf(z.data).all()
    np.testing.assert_array_equal(x.grad, np.zeros((1, 1, 2, 2)))


# ------------------------------------------------------------------------------ shapes and dtypes
@pytest.mark.parametrize("kind", ["max", "avg", "lp"])
def test_3d_input_and_float32(kind):
    rng = np.random.default_rng(1)
    x = Tensor(rng.uniform(0.1, 1, size=(2, 4, 6)).astype(np.float32), requires_grad=True)
    args = (2, 2) if kind == "lp" else (2,)
    z = POOLS[kind](x, *args)
    assert z.shape == (2, 2, 3) and z.dtype == np.float32
    z.backward(np.ones(z.shape, dtype=np.float32))
    assert x.grad.shape == (2, 4, 6) and x.grad.dtype == np.float32
    z64 = POOLS[kind](Tensor(x.data[None].astype(np.float64)), *args)
    np.testing.assert_allclose(z.data, z64.data[0], rtol=1e-6)


def test_return_indices_of_a_3d_input():
    _z, where = max_pool2d(Tensor(np.arange(12.0).reshape(1, 3, 4)), 2, return_indices=True)
    np.testing.assert_array_equal(where.data, [[[5, 7]]])  # the maxima 5 and 7 of the two blocks


# ------------------------------------------------------------------------------------- bad input
def _t(*shape, dtype=np.float64):
    return Tensor(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: max_pool2d(_t(4, 4), 2), ValueError, ["max_pool2d", "x", "3-D or 4-D", "(4, 4)"]),
        (lambda: avg_pool2d(_t(1, 1, 1, 4, 4), 2), ValueError, ["avg_pool2d", "x", "5-D"]),
        (lambda: max_pool2d(_t(1, 1, 4, 4), 3, padding=2), ValueError, ["padding", "half the kernel", "2"]),
        (lambda: avg_pool2d(_t(1, 1, 4, 4), 2, padding=(0, 2)), ValueError, ["padding", "half", "(0, 2)"]),
        (lambda: max_pool2d(_t(1, 1, 4, 4), 0), ValueError, ["kernel_size", "at least 1", "0"]),
        (lambda: max_pool2d(_t(1, 1, 4, 4), 2, stride=0), ValueError, ["stride", "at least 1", "0"]),
        (lambda: max_pool2d(_t(1, 1, 4, 4), 2, dilation=0), ValueError, ["dilation", "at least 1", "0"]),
        (lambda: max_pool2d(_t(1, 1, 4, 4), 2, padding=-1), ValueError, ["padding", "at least 0", "-1"]),
        (lambda: max_pool2d(_t(1, 1, 2, 2), 3), ValueError, ["window (3, 3)", "padded input 2×2"]),
        (lambda: max_pool2d(_t(1, 1, 3, 1), 2, (2, 3), (0, 1), (2, 2)), ValueError, ["only padding", "along W"]),
        (lambda: max_pool2d(_t(1, 1, 4, 4, dtype=np.int32), 2), TypeError, ["x", "floating-point", "int32"]),
        (lambda: max_pool2d(_t(1, 1, 4, 4), 2.0), TypeError, ["kernel_size", "2.0", "int"]),
        (lambda: max_pool2d(_t(1, 1, 4, 4), 2, ceil_mode="yes"), TypeError, ["ceil_mode", "'yes'"]),
        (lambda: lp_pool2d(_t(1, 1, 4, 4), 0, 2), ValueError, ["norm_type", "> 0", "0"]),
        (lambda: lp_pool2d(_t(1, 1, 4, 4), "2", 2), TypeError, ["norm_type", "'2'", "number"]),
        (lambda: avg_pool2d([[1.0]], 1), TypeError, ["x", "Tensor", "list"]),
    ],
)
def test_bad_input_names_the_argument_the_value_and_the_expectation(call, error, words):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"


# -------------------------------------------------------------------------------------- PyTorch
def _torch_pool(config, tx):
    f = torch.nn.functional
    k = config.kwargs()
    if config.kind == "max":
        return f.max_pool2d(tx, k["kernel_size"], k["stride"], k["padding"], k["dilation"], k["ceil_mode"])
    if config.kind == "avg":
        return f.avg_pool2d(
            tx, k["kernel_size"], k["stride"], k["padding"], k["ceil_mode"],
            k["count_include_pad"], k["divisor_override"],
        )
    return f.lp_pool2d(tx, k["norm_type"], k["kernel_size"], k["stride"], k["ceil_mode"])


@needs_torch
@pytest.mark.parametrize("kind", ["max", "avg", "lp"])
@given(data=st.data())
def test_matches_pytorch_forward_and_gradient(kind, data):
    configs = pool2d_configs(kind)
    if kind == "lp":  # PyTorch rescales ceil-mode half windows of lp_pool2d (documented difference)
        configs = configs.filter(lambda c: not c.ceil_mode)
    config, x = data.draw(pool2d_inputs(kind, configs=configs))
    z = _pool(config)(x)
    delta = np.asarray(data.draw(st.lists(st.floats(-1, 1), min_size=z.numel(), max_size=z.numel()))).reshape(z.shape)
    z.backward(delta)
    tx = torch.tensor(x.data, requires_grad=True)
    tz = _torch_pool(config, tx)
    tz.backward(torch.tensor(delta))
    np.testing.assert_allclose(z.data, tz.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@needs_torch
@given(pool2d_configs("max"), st.data())
def test_ties_and_indices_match_pytorch(config, data):
    size = int(np.prod(config.input_shape))
    x = np.array(data.draw(st.lists(st.integers(-1, 1), min_size=size, max_size=size)), dtype=np.float64)
    x = x.reshape(config.input_shape)
    tensor = Tensor(x, requires_grad=True)
    z, where = max_pool2d(tensor, **config.kwargs(), return_indices=True)
    z.backward(np.ones(z.shape))
    tx = torch.tensor(x, requires_grad=True)
    k = config.kwargs()
    tz, twhere = torch.nn.functional.max_pool2d(
        tx, k["kernel_size"], k["stride"], k["padding"], k["dilation"], k["ceil_mode"], return_indices=True
    )
    tz.backward(torch.ones_like(tz))
    np.testing.assert_array_equal(where.data, twhere.numpy())
    np.testing.assert_array_equal(tensor.grad, tx.grad.numpy())

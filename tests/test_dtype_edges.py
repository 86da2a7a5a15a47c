"""Never a silent wrong number (issue 10), without PyTorch: exact oracles for every class of edge.

Expected values are hand-computed (named in each test), computed in the test in float64 or with ``fractions``,
or, for the edge conventions, the values PyTorch 2.13 printed (``tests/test_dtype_edges_torch.py`` checks the
same conventions against a live PyTorch when it is installed).
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor
from tinygrad_cnn.ops.promotion import result_type

INF, NAN = math.inf, math.nan
FLOATS = [np.float16, np.float32, np.float64]


def _grad(fn, values, dtype=np.float64, upstream=None):
    with np.errstate(over="ignore"):  # 1e308 is inf in float16/32: the input, not an op, overflows
        x = Tensor(np.array(values, dtype=dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning leaks out of an op
        y = fn(x)
        y.backward(np.ones(y.shape, y.dtype) if upstream is None else np.asarray(upstream, y.dtype))
    return y.data, x.grad


# ----------------------------------------------------------------------- NaN, ±inf and −0.0 conventions
# (op, inputs, values, gradients) as PyTorch 2.13 printed them for float64 inputs
X = [0.0, -0.0, INF, -INF, NAN, -1.0, 1e-310]
CONVENTIONS = [
    ("relu", lambda t: t.relu(), [0.0, -0.0, INF, 0.0, NAN, 0.0, 1e-310], [0, 0, 1, 0, 1, 0, 1]),
    ("abs", lambda t: t.abs(), [0.0, 0.0, INF, INF, NAN, 1.0, 1e-310], [0, 0, 1, -1, 0, -1, 1]),
    ("sqrt", lambda t: t.sqrt(), [0.0, -0.0, INF, NAN, NAN, NAN, 1e-155], [INF, -INF, 0, NAN, NAN, NAN, 5e154]),
    ("sigmoid", lambda t: t.sigmoid(), [0.5, 0.5, 1.0, 0.0, NAN, 1 / (1 + math.e), 0.5],
     [0.25, 0.25, 0, 0, NAN, math.e / (1 + math.e) ** 2, 0.25]),
    ("tanh", lambda t: t.tanh(), [0.0, -0.0, 1.0, -1.0, NAN, math.tanh(-1), 1e-310],
     [1, 1, 0, 0, NAN, 1 - math.tanh(-1) ** 2, 1]),
    ("exp", lambda t: t.exp(), [1, 1, INF, 0, NAN, math.exp(-1), 1], [1, 1, INF, 0, NAN, math.exp(-1), 1]),
    ("log", lambda t: t.log(), [-INF, -INF, INF, NAN, NAN, NAN, math.log(1e-310)],
     [INF, -INF, 0, -0.0, NAN, -1, 1e310]),
    ("clamp(0,1)", lambda t: t.clamp(0.0, 1.0), [0, -0.0, 1, 0, NAN, 0, 1e-310], [1, 1, 0, 0, 0, 0, 1]),
    ("leaky_relu(0.1)", lambda t: F.leaky_relu(t, 0.1), [0, -0.0, INF, -INF, NAN, -0.1, 1e-310],
     [0.1, 0.1, 1, 0.1, 0.1, 0.1, 1]),
    ("gelu", lambda t: F.gelu(t), [0, -0.0, INF, NAN, NAN, -0.15865525393145707, 5e-311],
     [0.5, 0.5, NAN, NAN, NAN, -0.08331547058768006, 0.5]),
]


@pytest.mark.parametrize("name, fn, values, grads", CONVENTIONS, ids=[c[0] for c in CONVENTIONS])
def test_edge_conventions_are_pytorchs(name, fn, values, grads):
    out, grad = _grad(fn, X)
    np.testing.assert_allclose(out, values, rtol=1e-12, atol=0, equal_nan=True)
    zeros = np.array(values) == 0
    np.testing.assert_array_equal(np.signbit(out[zeros]), np.signbit(np.array(values)[zeros]))
    np.testing.assert_allclose(grad, grads, rtol=1e-12, atol=0, equal_nan=True)


def test_maximum_minimum_nan_and_ties_follow_pytorch():
    # PyTorch 2.13: a NaN on either side gives NaN and the full gradient to both inputs; a tie (also 0 vs −0.0)
    # splits the gradient in halves
    a = [1.0, NAN, 2.0, NAN, -0.0, 0.0, 3.0]
    b = [NAN, 1.0, 2.0, NAN, 0.0, -0.0, 1.0]
    for method in ("maximum", "minimum"):
        x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        out = getattr(x, method)(y)
        out.sum().backward()
        assert np.isnan(out.data[:2]).all() and np.isnan(out.data[3])
        np.testing.assert_array_equal(x.grad, [1, 1, 0.5, 1, 0.5, 0.5, 1.0 if method == "maximum" else 0.0])
        np.testing.assert_array_equal(y.grad, [1, 1, 0.5, 1, 0.5, 0.5, 0.0 if method == "maximum" else 1.0])


# ------------------------------------------------------------------------- inf × 0 through masks
GATES = {
    "relu": lambda t: t.relu(),
    "clamp(min=0)": lambda t: t.clamp(min=0.0),
    "clip(0, 5)": lambda t: t.clip(0.0, 5.0),
    "maximum(0)": lambda t: t.maximum(0.0),
    "minimum(0) of −x": lambda t: -((-t).minimum(0.0)),
    "where": lambda t: tg.where(t.data > 0, t, 0.0),
}


@pytest.mark.parametrize("gate", GATES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_a_mask_selects_it_does_not_multiply(gate, dtype):
    # sqrt'(0) = inf behind a closed gate: the gradient at x < 0 is exactly 0 (PyTorch: 0), never inf·0 = NaN
    _, grad = _grad(lambda t: GATES[gate](t).sqrt(), [-1.0, -1e-3, 4.0], dtype)
    np.testing.assert_array_equal(grad[:2], [0.0, 0.0])
    assert grad[2] == np.asarray(0.25, dtype)  # 1/(2√4)


def test_an_infinite_upstream_gradient_stays_behind_a_closed_relu():
    _, grad = _grad(lambda t: t.relu(), [-1.0, 2.0], upstream=[INF, INF])
    np.testing.assert_array_equal(grad, [0.0, INF])


# ------------------------------------------------------------------------------- integer inputs
def test_ops_whose_result_is_not_an_integer_give_float64_for_ints():
    # the rule (ops/promotion.py): float64 for integer and bool input, the project's default float (PyTorch: float32)
    x = Tensor(np.array([1, 2, -3]))
    expected = {
        "sigmoid": (x.sigmoid(), [1 / (1 + math.exp(-v)) for v in (1, 2, -3)]),
        "tanh": (x.tanh(), [math.tanh(v) for v in (1, 2, -3)]),
        "exp": (x.exp(), [math.exp(v) for v in (1, 2, -3)]),
        "sqrt": (Tensor(np.array([4, 2])).sqrt(), [2.0, math.sqrt(2)]),
        "log": (Tensor(np.array([1, 8])).log(), [0.0, math.log(8)]),
        "div": (x / Tensor(np.array([2, 4, 2])), [0.5, 0.5, -1.5]),
        "div number": (x / 2, [0.5, 1.0, -1.5]),
        "mul 2.5": (x * 2.5, [2.5, 5.0, -7.5]),
        "clip(0.5, 2.5)": (x.clip(0.5, 2.5), [1.0, 2.0, 0.5]),
        "mean": (x.mean(), [0.0]),
        "softmax": (Tensor(np.array([0, 0])).softmax(dim=0), [0.5, 0.5]),
        "gelu": (F.gelu(Tensor(np.array([0]))), [0.0]),
        "leaky_relu": (F.leaky_relu(x, 0.5), [1.0, 2.0, -1.5]),
        "pow 0.5": (Tensor(np.array([4, 9])) ** 0.5, [2.0, 3.0]),
    }
    for name, (out, values) in expected.items():
        assert out.dtype == np.float64, name
        np.testing.assert_allclose(out.data.ravel(), values, rtol=1e-15, err_msg=name)


def test_integer_results_stay_integers_as_in_pytorch():
    x = Tensor(np.array([1, 2, -3], dtype=np.int32))
    assert (x + 1).dtype == np.int32 and (x * 2).dtype == np.int32  # a Python int does not raise int32
    assert (x**2).dtype == np.int32 and (x**2).tolist() == [1, 4, 9]
    assert x.sum().dtype == np.int64 and x.sum().item() == 0  # PyTorch sums ints to int64
    assert x.abs().tolist() == [1, 2, 3] and x.relu().tolist() == [1, 2, 0] and x.max().item() == 2
    assert (Tensor(np.array([True, False])) + 1).dtype == np.int64  # bool with an int number: int64


def test_an_int_tensor_to_a_negative_int_power_is_a_clear_error():
    for exponent in (-1, np.int64(-2), Tensor(np.array([1, -1]))):
        with pytest.raises(ValueError, match="integers to negative integer powers are not allowed"):
            Tensor(np.array([2, 3])) ** exponent
    assert (Tensor(np.array([2, 4])) ** -1.0).tolist() == [0.5, 0.25]  # a float exponent gives a float


# ------------------------------------------------------------------------------------ mixed dtypes
@pytest.mark.parametrize(
    "left, right, expected",
    [
        (np.zeros(2, np.float32), 2.5, np.float32),  # a Python number never raises a tensor's precision
        (np.zeros(2, np.float16), 1e5, np.float16),
        (np.zeros(2, np.int32), 2.5, np.float64),  # a float number with ints: the default float (ours: float64)
        (np.zeros(2, np.int32), 7, np.int32),
        (np.zeros(2, np.bool_), 7, np.int64),
        (np.zeros(2, np.bool_), True, np.bool_),
        (np.zeros(2, np.float32), np.zeros(2, np.float64), np.float64),
        (np.zeros(2, np.int64), np.zeros(2, np.float16), np.float16),  # the float category wins, with its dtype
        (np.zeros(2, np.int32), np.zeros(2, np.int64), np.int64),
        (np.zeros(2, np.float32), np.zeros((), np.float64), np.float32),  # a 0-d tensor does not raise precision
        (np.zeros(2, np.int32), np.zeros((), np.float32), np.float32),  # …but does bring its category
        (np.zeros((), np.float16), np.zeros((), np.float64), np.float64),
    ],
)
def test_type_promotion_table_follows_pytorch(left, right, expected):
    assert result_type(left, right) == np.dtype(expected)
    out = Tensor(left) * (Tensor(right) if isinstance(right, np.ndarray) else right)
    assert out.dtype == np.dtype(expected)


@pytest.mark.parametrize("number", [1e5, 3e4, 1e-3, 7.77e4, 65519.0])
@pytest.mark.parametrize("value", [1e-3, 0.5, 0.999, 1.0, 2.0])
def test_float16_times_a_large_number_is_rounded_once(value, number):
    # the exact product (fractions), rounded once to float16: 1e5 is not cast to float16 (inf) before the op
    x = np.float16(value)
    out = Tensor(np.array([x])) * number
    exact = Fraction(float(x)) * Fraction(number)
    with np.errstate(over="ignore"):
        expected = np.float16(float(exact))
    assert out.dtype == np.float16
    assert out.data[0] == expected, (value, number, out.data[0], expected)
    assert (Tensor(np.array([np.float16(1e-3)])) * 1e5).data[0] == np.float16(100.0625)  # PyTorch 2.13's value


def test_each_gradient_is_computed_in_the_precision_of_the_op_and_returned_in_its_tensors_dtype():
    # a float32 base with a float64 exponent: the result and the exponent's gradient are float64, and that
    # gradient is a^b·ln a with a's exact (float32-stored) value, not a float32 logarithm
    base = Tensor(np.array([1.1, 3.3], dtype=np.float32), requires_grad=True)
    exponent = Tensor(np.array([0.7, 2.2]), requires_grad=True)
    out = base**exponent
    out.sum().backward()
    assert out.dtype == np.float64 and exponent.grad.dtype == np.float64 and base.grad.dtype == np.float32
    a = [float(v) for v in base.data]
    np.testing.assert_allclose(exponent.grad, [a[i] ** exponent.data[i] * math.log(a[i]) for i in range(2)], rtol=1e-15)
    np.testing.assert_allclose(base.grad, [exponent.data[i] * a[i] ** (exponent.data[i] - 1) for i in range(2)],
                               rtol=1e-7)


# ------------------------------------------------------------------------ overflow inside backward
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("a, b", [(1e-23, 1e-23), (0.0, 1e-300), (1e-300, 1e-300), (1e300, 1e300), (1.0, 1e-200),
                                  (3.0, 1e-4), (-2.0, 7.0), (1e-30, 1e30)])
def test_divisor_gradient_has_no_spurious_overflow(dtype, a, b):
    # ∂(a/b)/∂b = −a/b², exactly (fractions) from the values as stored in dtype, then rounded to dtype
    with np.errstate(all="ignore"):
        x, y = np.array([a], dtype), np.array([b], dtype)
    if y[0] == 0:
        pytest.skip("b underflows to 0 in this dtype")
    t_a, t_b = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (t_a / t_b).backward(np.ones(1, dtype))
    if not (np.isfinite(x[0]) and np.isfinite(y[0])):
        pytest.skip("a or b overflows in this dtype")
    exact_b = -Fraction(float(x[0])) / Fraction(float(y[0])) ** 2
    exact_a = 1 / Fraction(float(y[0]))
    with np.errstate(over="ignore"):
        expected_b = np.array([_to_float(exact_b)]).astype(dtype)
        expected_a = np.array([_to_float(exact_a)]).astype(dtype)
    np.testing.assert_allclose(t_b.grad, expected_b, rtol=2e-3 if dtype == np.float16 else 1e-6)
    np.testing.assert_allclose(t_a.grad, expected_a, rtol=2e-3 if dtype == np.float16 else 1e-6)


def _to_float(exact: Fraction) -> float:
    try:
        return float(exact)
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


# --------------------------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_and_tanh_saturate_exactly_at_1e4(dtype):
    x = [-1e4, -100.0, 0.0, 100.0, 1e4]
    with np.errstate(all="raise"):
        s, gs = _grad(lambda t: t.sigmoid(), x, dtype)
        t, gt = _grad(lambda t: t.tanh(), x, dtype)
    assert s.dtype == dtype and t.dtype == dtype
    np.testing.assert_array_equal(s, [0.0, s[1], 0.5, 1.0, 1.0])
    assert 0 <= float(s[1]) < 1e-40  # σ(−100) = e^−100 / (1 + e^−100) ≈ 3.7e-44, 0 in float16/32
    np.testing.assert_array_equal(t, [-1.0, -1.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(gs[[0, 2, 3, 4]], [0.0, 0.25, 0.0, 0.0])
    np.testing.assert_array_equal(gt, [0.0, 0.0, 1.0, 0.0, 0.0])


@pytest.mark.parametrize("dtype", FLOATS)
def test_log_softmax_at_logits_of_1e4(dtype):
    # log_softmax([1e4, −1e4, 0]) = [0, −2e4, −1e4] − log(1 + e^−2e4 + e^−1e4) = [0, −2e4, −1e4] exactly
    out, grad = _grad(lambda t: t.log_softmax(dim=0), [1e4, -1e4, 0.0], dtype, upstream=[1.0, 0.0, 0.0])
    expected = np.array([0.0, -2e4, -1e4], dtype)
    np.testing.assert_array_equal(out, expected)
    # ∂out_0/∂x = e_0 − softmax = [1 − 1, −0, −0]
    np.testing.assert_array_equal(grad, [0.0, 0.0, 0.0])
    soft, _ = _grad(lambda t: t.softmax(dim=0), [1e4, -1e4, 0.0], dtype)
    np.testing.assert_array_equal(soft, [1.0, 0.0, 0.0])


@pytest.mark.parametrize("dtype", FLOATS)
def test_sqrt_and_log_at_zero(dtype):
    out, grad = _grad(lambda t: t.sqrt(), [0.0], dtype)
    assert out[0] == 0 and grad[0] == np.inf  # (√x)' = 1/(2√x) → +inf, as PyTorch
    out, grad = _grad(lambda t: t.log(), [0.0], dtype)
    assert out[0] == -np.inf and grad[0] == np.inf


@pytest.mark.parametrize("dtype", FLOATS)
def test_float16_sum_accumulates_in_float32(dtype):
    x = Tensor(np.full(1000, 100.0, dtype=dtype))
    assert x.sum().item() == 1e5 if dtype != np.float16 else x.sum().item() == np.inf  # 1e5 > float16's max
    assert x.mean().item() == 100.0  # the mean does not overflow on the way


# ---------------------------------------------------------------------------- == and conversions
def test_eq_and_ne_are_elementwise_and_tensors_stay_hashable():
    pred = Tensor(np.array([1, 2, 3, 4]))
    labels = np.array([1, 0, 3, 0])
    assert (pred == labels).tolist() == [True, False, True, False]
    assert (pred != Tensor(labels)).tolist() == [False, True, False, True]
    assert (pred == labels).mean().item() == 0.5  # accuracy
    assert (pred == 3).tolist() == [False, False, True, False] and (pred == np.int64(3)).sum().item() == 1
    # deliberately `==`, not `is`: Tensor.__eq__ must give way to None's, so the comparison is a plain False
    assert (pred == None) is False and (pred != "a") is True  # noqa: E711
    a, b = Tensor([1.0]), Tensor([1.0])
    assert len({a, b, a}) == 2 and {a: 1}[a] == 1  # hashable by identity


def test_float_int_tolist_and_iteration():
    assert float(Tensor([[2.5]])) == 2.5 and int(Tensor(np.array([7]))) == 7 and int(Tensor(-2.7)) == -2
    for conversion in (float, int):
        with pytest.raises(ValueError, match="only a one-element tensor"):
            conversion(Tensor([1.0, 2.0]))
    assert Tensor([[1.0, 2.0]]).tolist() == [[1.0, 2.0]] and Tensor(3.0).tolist() == 3.0
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(Tensor(3.0))
    assert [row.tolist() for row in Tensor([[1.0], [2.0]])] == [[1.0], [2.0]]


def test_numpy_scalars_are_accepted_wherever_python_numbers_are():
    x = Tensor(np.array([1.0, -2.0], dtype=np.float32), requires_grad=True)
    y = (x * np.float64(2.0) + np.int64(1)) ** np.int64(2) / np.float32(3.0)  # numpy scalars are weak too
    assert y.dtype == np.float32
    assert x.clip(np.float32(-1), np.int64(0)).tolist() == [0.0, -1.0]
    assert x.sum(axis=np.int64(0)).item() == -1.0 and x.reshape(np.int64(2), np.int64(1)).shape == (2, 1)
    assert x.unsqueeze(np.int64(0)).shape == (1, 2) and F.leaky_relu(x, np.float32(0.5)).tolist() == [1.0, -1.0]


LEAK_OPS = {
    "exp": lambda t: t.exp(), "log": lambda t: t.log(), "sqrt": lambda t: t.sqrt(), "mul 1e308": lambda t: t * 1e308,
    "div 0": lambda t: t / 0.0, "0 div": lambda t: 0.0 / t, "pow -1": lambda t: t**-1.0, "pow 0.5": lambda t: t**0.5,
    "rpow": lambda t: 2.0**t, "square sum": lambda t: (t**2).sum(), "sigmoid": lambda t: t.sigmoid(),
    "tanh": lambda t: t.tanh(), "gelu": lambda t: F.gelu(t), "gelu tanh": lambda t: F.gelu(t, approximate="tanh"),
    "softmax": lambda t: t.softmax(dim=0), "log_softmax": lambda t: t.log_softmax(dim=0),
    "mean": lambda t: t.mean(), "max": lambda t: t.max(), "sub inf": lambda t: t - np.inf,
}


@pytest.mark.parametrize("op", LEAK_OPS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_no_runtime_warning_leaks_out_of_an_op(op, dtype):
    # each op once per graph (the engine's accumulation of two branches is the engine's to keep quiet)
    _grad(LEAK_OPS[op], [0.0, -1.0, np.inf, -np.inf, np.nan, 1e308, -1e-320, 5.0], dtype)


# ------------------------------------------------------------------------------------- numpy on a Tensor
def test_numpy_operators_and_ufuncs_on_a_tensor():
    t = Tensor([1.0, 2.0], requires_grad=True)
    out = np.array([3.0, 4.0]) * t + np.float64(1.0) - np.add(t, 1.0)  # recorded as Tensor ops: 3t − t + 0
    assert isinstance(out, Tensor) and out.requires_grad
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, [2.0, 3.0])  # ∂/∂t of (3t + 1 − t − 1), (4t + 1 − t − 1)
    assert (np.array([1.0, 5.0]) < t).tolist() == [False, False] and (np.array([1.0, 2.0]) == t).tolist() == [True] * 2
    with pytest.raises(TypeError, match=r"numpy's exp does not work on a Tensor.*\(t\.exp\(\)\)"):
        np.exp(t)
    with pytest.raises(TypeError, match="use the Tensor method"):
        np.sin(t)


def test_np_asarray_gives_the_data_only_without_grad():
    plain = Tensor(np.array([1, 2]))
    assert np.asarray(plain) is plain.data and np.asarray(plain, dtype=np.float32).dtype == np.float32
    assert np.array(plain, copy=True) is not plain.data
    with pytest.raises(RuntimeError, match=r"requires grad .*use t\.detach\(\)\.numpy\(\)"):  # as PyTorch
        np.asarray(Tensor([1.0], requires_grad=True))
    assert np.asarray(Tensor([1.0], requires_grad=True).detach()).tolist() == [1.0]


BACKWARD_FORMULAS = {  # op, ∂/∂x times the upstream gradient g, computed here in float64
    "mul": (lambda x: x * 3.3, lambda x, g: g * 3.3),
    "rmul": (lambda x: 0.7 * x, lambda x, g: 0.7 * g),
    "div": (lambda x: x / 1.7, lambda x, g: g / 1.7),
    "rdiv": (lambda x: 1.7 / x, lambda x, g: -g * 1.7 / x**2),
    "pow": (lambda x: x**2.5, lambda x, g: g * 2.5 * x**1.5),
    "maximum": (lambda x: x.maximum(0.2), lambda x, g: np.where(x > 0.2, g, 0.0)),
    "sigmoid": (lambda x: x.sigmoid(), lambda x, g: g * np.exp(-x) / (1 + np.exp(-x)) ** 2),
    "relu": (lambda x: x.relu(), lambda x, g: np.where(x > 0, g, 0.0)),
    "clip": (lambda x: x.clip(0.3, 0.9), lambda x, g: np.where((x >= 0.3) & (x <= 0.9), g, 0.0)),
}


@pytest.mark.parametrize("op", BACKWARD_FORMULAS)
def test_backward_keeps_the_precision_of_the_upstream_gradient(op):
    # an upstream gradient with all 53 bits in use: a backward that rounds it (e.g. through float16/float32)
    # is off by far more than float64's 1e-16
    forward, formula = BACKWARD_FORMULAS[op]
    rng = np.random.default_rng(5)
    x = rng.uniform(0.1, 1.0, 20)
    g = rng.uniform(-1, 1, 20) / 3
    _, grad = _grad(forward, x, upstream=g)
    np.testing.assert_allclose(grad, formula(x, g), rtol=1e-14, atol=0)


def test_matmul_promotes_like_pytorch_not_numpy():
    ints = Tensor(np.array([[1, 2]]))
    weights = Tensor(np.array([[0.5], [0.25]], dtype=np.float32), requires_grad=True)
    out = ints @ weights  # numpy's rule would give float64; PyTorch's (the float category's dtype) float32
    assert out.dtype == np.float32 and out.item() == 1.0
    out.backward()
    assert weights.grad.dtype == np.float32 and weights.grad.ravel().tolist() == [1.0, 2.0]


def test_pad_with_a_float_value_does_not_truncate_an_int_tensor():
    assert Tensor(np.array([1, 2])).pad(1, value=0.5).tolist() == [0.5, 1.0, 2.0, 0.5]
    assert Tensor(np.array([1, 2])).pad(1, value=7).dtype == np.int64  # an int value keeps ints
    assert Tensor(np.ones(1, np.float32)).pad(1, value=np.float64(2)).dtype == np.float32  # a number is weak


def test_promotion_kept_per_signature_is_the_rule_computed_afresh() -> None:
    """result_type keeps its answer per operand signature (dtype and axes or not; a scalar's kind): asked
    twice, in any order, every combination gives what the rule computes, 0-d and scalars kept apart."""
    from tinygrad_cnn.ops import promotion

    kinds = [np.zeros(2, d) for d in (np.float16, np.float32, np.float64, np.int32, np.int64, np.uint8, bool)]
    kinds += [np.zeros((), d) for d in (np.float32, np.float64, np.int64, bool)]
    kinds += [2.5, 3, True, np.float32(1.5), None]
    for a in kinds:
        for b in kinds:
            if a is None and b is None:
                continue
            expected = promotion._promote((a, b))
            assert promotion.result_type(a, b) == expected, (a, b)
            assert promotion.result_type(a, b) == expected, (a, b)  # the kept answer

"""Edge values × dtypes × ops, compared with PyTorch 2.13 (skipped without torch).

Every op runs on a vector of special values (0, −0.0, ±inf, NaN, the smallest subnormal, the largest finite
number, ordinary numbers) in float16/32/64, int32/int64 and bool, alone and against a second operand of another
dtype or a Python number. For each case the result's dtype, values (NaN where PyTorch has NaN, the sign of
every zero) and every input's gradient must match PyTorch, with one deliberate difference: where PyTorch gives
float32 for integer input (its default float), we give float64 (ours), and the reference is then PyTorch on the
float64 copy of the input. Where an intermediate in PyTorch's float16/float32 backward overflows and ours
does not, ours must equal the gradient computed exactly (PyTorch in float64, rounded to the dtype).

The number of cases is printed by ``test_case_count`` (``pytest -s``).
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor

torch = pytest.importorskip("torch")

# the references' own casts to float16/float32 overflow to inf (the right rounding); our ops run under
# warnings-as-errors inside each test
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")

FLOATS = [np.float16, np.float32, np.float64]
INTS = [np.int32, np.int64]
DTYPES = FLOATS + INTS + [np.bool_]
TORCH = {np.float16: torch.float16, np.float32: torch.float32, np.float64: torch.float64, np.int32: torch.int32,
         np.int64: torch.int64, np.bool_: torch.bool}
NUMPY = {v: k for k, v in TORCH.items()}


def specials(dtype) -> np.ndarray:
    if dtype in FLOATS:
        info = np.finfo(dtype)
        values = [0.0, -0.0, np.inf, -np.inf, np.nan, float(info.smallest_subnormal), -float(info.smallest_subnormal),
                  float(info.max), -float(info.max), 1.0, -2.5, 0.5, 3.0, 1e4, -1e4]
        return np.array(values, dtype=dtype)
    if dtype in INTS:
        info = np.iinfo(dtype)
        return np.array([0, 1, -1, 3, -7, 100, int(info.max), int(info.min) + 1], dtype=dtype)
    return np.array([False, True])


RTOL = {np.float16: 2e-3, np.float32: 1e-5, np.float64: 1e-12}


def _ours(dtype_in) -> type:
    return dtype_in


def _same(ours: np.ndarray, ref: np.ndarray, dtype, what: str) -> None:
    """Equal within the dtype's tolerance, NaN where ref has NaN, infinities and zero signs exact."""
    ours = np.asarray(ours, dtype=np.float64) if ours.dtype.kind in "fc" else ours
    ref = np.asarray(ref, dtype=np.float64) if ref.dtype.kind in "fc" else ref
    if ours.dtype.kind != "f" and ref.dtype.kind != "f":
        np.testing.assert_array_equal(ours, ref, err_msg=what)
        return
    rtol = RTOL.get(dtype, 1e-12)
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=0, equal_nan=True, err_msg=what)
    zeros = (ref == 0) & (ours == 0)
    np.testing.assert_array_equal(np.signbit(ours[zeros]), np.signbit(ref[zeros]), err_msg=f"{what}: sign of zero")


def _expected_dtype(torch_dtype, input_dtypes) -> np.dtype:
    """PyTorch's result dtype, with float32-from-integers replaced by our float64."""
    dtype = NUMPY[torch_dtype]
    if dtype is np.float32 and all(np.dtype(d).kind in "iub" for d in input_dtypes):
        return np.dtype(np.float64)
    return np.dtype(dtype)


def _torch_input(array: np.ndarray, as_float64: bool, requires_grad: bool):
    data = array.astype(np.float64) if as_float64 else array
    t = torch.tensor(data, dtype=torch.float64 if as_float64 else TORCH[array.dtype.type])
    return t.requires_grad_(requires_grad and t.is_floating_point())


# ------------------------------------------------------------------------------------------ unary ops
UNARY = {
    "exp": (lambda t: t.exp(), torch.exp),
    "log": (lambda t: t.log(), torch.log),
    "sqrt": (lambda t: t.sqrt(), torch.sqrt),
    "abs": (lambda t: t.abs(), torch.abs),
    "neg": (lambda t: -t, torch.neg),
    "relu": (lambda t: t.relu(), torch.relu),
    "sigmoid": (lambda t: t.sigmoid(), torch.sigmoid),
    "tanh": (lambda t: t.tanh(), torch.tanh),
    "leaky_relu": (lambda t: F.leaky_relu(t, 0.1), lambda t: torch.nn.functional.leaky_relu(t, 0.1)),
    "gelu": (lambda t: F.gelu(t), torch.nn.functional.gelu),
    "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"),
                  lambda t: torch.nn.functional.gelu(t, approximate="tanh")),
    "clip(-1,1)": (lambda t: t.clip(-1.0, 1.0), lambda t: t.clamp(-1.0, 1.0)),
    "clip(0.5,2.5)": (lambda t: t.clip(0.5, 2.5), lambda t: t.clamp(0.5, 2.5)),
    "clamp(min=0)": (lambda t: t.clamp(min=0), lambda t: t.clamp(min=0)),
    "softmax": (lambda t: t.softmax(dim=0), lambda t: t.softmax(dim=0)),
    "log_softmax": (lambda t: t.log_softmax(dim=0), lambda t: t.log_softmax(dim=0)),
    "sum": (lambda t: t.sum(), torch.sum),
    "mean": (lambda t: t.mean(), torch.mean),
    "max": (lambda t: t.max(), torch.max),  # torch.max(): the gradient goes to a NaN (amax's backward gives NaN)
    "sqrt∘relu": (lambda t: t.relu().sqrt(), lambda t: t.relu().sqrt()),
    "sqrt∘clamp": (lambda t: t.clamp(-1.0, 1.0).sqrt(), lambda t: t.clamp(-1.0, 1.0).sqrt()),
}
# PyTorch raises where we return a float64 (documented in ops/promotion.py: an op whose result is not an integer
# in general gives a float for integer input); and the exact GELU differs from PyTorch's deliberately in its far
# left tail (erfc form: the tiny true value instead of −0.0), compared there with an absolute tolerance
RELU_OF_MINUS_ZERO = {"relu", "sqrt∘relu"}
TORCH_RAISES_WE_PROMOTE = {"softmax", "log_softmax", "mean", "gelu", "gelu_tanh", "leaky_relu"}

UNARY_CASES = [(name, dtype) for name in UNARY for dtype in DTYPES]


@pytest.mark.parametrize("name, dtype", UNARY_CASES, ids=[f"{n}-{np.dtype(d).name}" for n, d in UNARY_CASES])
def test_unary_op_matches_pytorch(name, dtype):
    ours_fn, torch_fn = UNARY[name]
    x = specials(dtype)
    floating = np.dtype(dtype).kind == "f"
    if name.startswith(("softmax", "log_softmax")) and floating:
        x = x[np.isfinite(x) & (np.abs(x) < 1e5)]  # one inf or NaN makes the whole softmax NaN: test the rest
    try:
        expected = torch_fn(_torch_input(x, False, False))
        torch_error = None
    except RuntimeError as error:
        torch_error = error
    t = Tensor(x, requires_grad=floating)
    if torch_error is not None and name not in TORCH_RAISES_WE_PROMOTE:
        with pytest.raises((TypeError, ValueError)):
            ours_fn(t)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning leaks out of an op
        out = ours_fn(t)
        if floating:
            out.backward(np.ones(out.shape, dtype=out.dtype))
    if not floating or torch_error is not None:  # integer input: the reference is PyTorch on its float64 copy
        ref_x = _torch_input(x, as_float64=True, requires_grad=False)
        reference = torch_fn(ref_x)
        if name == "mean":  # exact: PyTorch's float64 sum of int64 extremes loses digits, ours does not here
            reference = torch.tensor(float(Fraction(sum(int(v) for v in x), len(x))), dtype=torch.float64)
        expected_dtype = np.dtype(np.float64) if reference.is_floating_point() else _expected_dtype(
            torch_fn(_torch_input(x, False, False)).dtype, [dtype])
        if torch_error is None:
            expected_dtype = _expected_dtype(expected.dtype, [dtype])
            if expected_dtype.kind != "f":  # an integer result (abs, relu, sum, …) is PyTorch's, exactly
                reference = expected
        assert out.dtype == expected_dtype, (name, out.dtype, expected_dtype)
        _tail_tolerant(name, out.data, reference.detach().numpy(), np.float64, "value")
        return
    assert out.dtype == _expected_dtype(expected.dtype, [dtype])
    reference = expected.detach().numpy()
    ours = out.data
    if name in RELU_OF_MINUS_ZERO:  # deliberate: relu(−0.0) is np.maximum's zero (+0.0, or −0.0 in float16)
        minus_zero = (x == 0) & np.signbit(x)
        reference = np.where(minus_zero, np.zeros((), reference.dtype), reference)
        ours = np.where(minus_zero, np.zeros((), ours.dtype), ours)
    if name == "gelu":
        # deliberate: at +inf and ±max PyTorch's float16/float32 kernel gives nan (inf·0 inside) or inf (1 + erf
        # doubles max before the ½); ours is the limit / the correctly rounded value, PyTorch's own float64 result
        info = np.finfo(dtype)
        edge = np.isinf(x) | (np.abs(x) == info.max)
        exact = torch_fn(torch.tensor(x.astype(np.float64))).numpy().astype(dtype)
        reference = np.where(edge, exact, reference)
    _tail_tolerant(name, ours, reference, dtype, "value")
    xt = _torch_input(x, False, True)
    y = torch_fn(xt)
    y.backward(torch.ones_like(y))
    _gradient_matches(t.grad, xt.grad.numpy(), dtype, f"{name} gradient",
                      exact=lambda: _exact_unary_grad(torch_fn, x, dtype))


def _tail_tolerant(name: str, ours: np.ndarray, ref: np.ndarray, dtype, what: str) -> None:
    if name == "gelu":  # deliberate: x·½erfc(−x/√2) keeps its digits far left, where PyTorch's 1 + erf cancels
        tiny = np.abs(ref) < 1e-6  # up to one subnormal step apart: gelu(smallest float16 subnormal) is just above
        step = max(1e-15, float(np.finfo(dtype).smallest_subnormal))  # half a step, so it rounds up (PyTorch: 0)
        np.testing.assert_allclose(ours[tiny], ref[tiny], atol=step)
        ours, ref = ours[~tiny], ref[~tiny]
    _same(ours, ref, dtype, f"{name} {what}")


def _exact_unary_grad(torch_fn, x: np.ndarray, dtype) -> np.ndarray:
    x64 = torch.tensor(x.astype(np.float64), requires_grad=True)
    y = torch_fn(x64)
    y.backward(torch.ones_like(y))
    return x64.grad.numpy().astype(dtype)


def _value_matches(ours: np.ndarray, theirs: np.ndarray, dtype, what: str, exact) -> None:
    """Ours equals PyTorch's result; in float16/float32, where PyTorch rounded an operand to the result dtype
    before the op (an int32 or a Python number beyond float16's range becomes inf) and we did not, ours must
    equal the exact result (float64) rounded to the dtype instead."""
    try:
        _same(ours, theirs, dtype, what)
    except AssertionError:
        with np.errstate(all="ignore"):
            reference = exact()
        if np.dtype(dtype) == np.float64 and reference is None:
            raise
        with np.errstate(over="ignore"):
            _same(ours, reference.astype(dtype), dtype, f"{what} (against the exact result)")


def _gradient_matches(ours: np.ndarray, theirs: np.ndarray, dtype, what: str, exact) -> None:
    """Ours equals PyTorch's gradient; where PyTorch's low-precision intermediate overflowed (non-finite, or
    far off) and ours did not, ours must equal the exact gradient rounded to the dtype instead."""
    assert ours.dtype == np.dtype(dtype), (what, ours.dtype)
    try:
        _same(ours, theirs, dtype, what)
    except AssertionError:
        _same(ours, exact(), dtype, f"{what} (against the exact gradient)")


# ----------------------------------------------------------------------------------------- binary ops
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "pow": (lambda a, b: a**b, lambda a, b: a**b),
    "maximum": (lambda a, b: a.maximum(b), torch.maximum),
    "minimum": (lambda a, b: a.minimum(b), torch.minimum),
    "where": (lambda a, b: F.where(_MASK, a, b), lambda a, b: torch.where(torch.tensor(_MASK), a, b)),
}
_MASK = None  # set per case: a fixed pattern of the grid's length

PAIRS = [(d, d) for d in DTYPES] + [
    (np.float32, np.float64), (np.float16, np.float32), (np.float64, np.float16), (np.int64, np.float32),
    (np.int32, np.float16), (np.int32, np.int64), (np.bool_, np.int64), (np.bool_, np.float16),
    (np.float32, np.int64),
]
PYTHON_NUMBERS = [0.0, -0.0, float("inf"), float("nan"), 1e5, -1e-8, 2.5, 1e40, 3, -2, 0, True]
SCALAR_PAIRS = [(d, "number") for d in DTYPES] + [("number", d) for d in DTYPES]

BINARY_CASES = [(name, pair) for name in BINARY for pair in PAIRS + SCALAR_PAIRS]


def _grid(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every element of a against every element of b, flattened."""
    return np.repeat(a, len(b)), np.tile(b, len(a))


@pytest.mark.parametrize(
    "name, pair", BINARY_CASES,
    ids=[f"{n}-{getattr(np.dtype(p[0]) if p[0] != 'number' else None, 'name', 'number')}-"
         f"{getattr(np.dtype(p[1]) if p[1] != 'number' else None, 'name', 'number')}" for n, p in BINARY_CASES],
)
def test_binary_op_matches_pytorch(name, pair):
    global _MASK
    ours_fn, torch_fn = BINARY[name]
    left, right = pair
    if "number" in pair:
        _scalar_case(name, ours_fn, torch_fn, left, right)
        return
    a, b = _grid(specials(left), specials(right))
    _MASK = np.arange(len(a)) % 3 == 0
    ta, tb = _torch_input(a, False, True), _torch_input(b, False, True)
    try:
        expected = torch_fn(ta, tb)
    except (RuntimeError, NotImplementedError):
        with pytest.raises((TypeError, ValueError)):
            ours_fn(Tensor(a), Tensor(b))
        return
    if name == "pow" and expected.dtype in (torch.int32, torch.int64) and (b < 0).any():
        # deliberate: PyTorch gives C's integer results (0, ±1) for negative tensor exponents; we raise
        with pytest.raises(ValueError, match="integers to negative integer powers"):
            ours_fn(Tensor(a), Tensor(b))
        return
    ours_a = Tensor(a, requires_grad=a.dtype.kind == "f")
    ours_b = Tensor(b, requires_grad=b.dtype.kind == "f")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ours_fn(ours_a, ours_b)
        if out.requires_grad:
            out.backward(np.ones(out.shape, dtype=out.dtype))
    expected_dtype = _expected_dtype(expected.dtype, [left, right])
    assert out.dtype == expected_dtype, (name, pair, out.dtype, expected_dtype)
    if expected_dtype != NUMPY[expected.dtype]:  # ints promoted to float64: PyTorch on float64 copies
        expected = torch_fn(_torch_input(a, True, False), _torch_input(b, True, False))
    _value_matches(out.data, expected.detach().numpy(), expected_dtype.type, f"{name}{pair} value",
                   exact=lambda: _exact_value(name, torch_fn, a, b))
    if out.requires_grad:
        expected = torch_fn(ta, tb)
        expected.sum().backward()
        # pow's output is NaN for a negative base and a non-integer exponent: its gradient there is an artifact of
        # rounding b − 1 (PyTorch's float16 b − 1 = −1 exactly gives a number, float32 a NaN); compared elsewhere
        keep = np.ones(len(a), dtype=bool)
        if name == "pow":  # and b − 1 must be exact in every dtype, or the sign of 0^(b−1) is a rounding artifact
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            keep = ~np.isnan(expected.detach().numpy()) & ((a64 > 0) | ((b64 == np.round(b64)) & (np.abs(b64) < 1024)))
        for ours_t, theirs_t, raw, other_raw, first in ((ours_a, ta, a, b, True), (ours_b, tb, b, a, False)):
            if ours_t.requires_grad:
                _gradient_matches(ours_t.grad[keep], theirs_t.grad.numpy()[keep], raw.dtype.type,
                                  f"{name}{pair} gradient",
                                  exact=lambda r=raw, o=other_raw, f=first: _exact_binary_grad(torch_fn, r, o, f)[keep])


IEEE = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}


def _exact_value(name: str, torch_fn, a, b) -> np.ndarray | None:
    """The exact result rounded once: float64 IEEE arithmetic (correctly rounded, unlike PyTorch's ``c / x``,
    which multiplies by 1/x: 0 / 5e-324 is 0·inf = NaN there) for + − × /, PyTorch in float64 otherwise; None
    where there is no better reference than PyTorch itself (float64, not one of the four)."""
    up = [np.asarray(v, dtype=np.float64) if isinstance(v, np.ndarray) else v for v in (a, b)]
    if name in IEEE:
        return np.asarray(IEEE[name](*up), dtype=np.float64)
    if all(not isinstance(v, np.ndarray) or v.dtype == np.float64 for v in (a, b)):
        return None
    args = [torch.tensor(v) if isinstance(v, np.ndarray) else v for v in up]
    return torch_fn(*args).numpy()


def _exact_binary_grad(torch_fn, mine: np.ndarray, other: np.ndarray, first: bool) -> np.ndarray:
    x = torch.tensor(mine.astype(np.float64), requires_grad=True)
    y = torch.tensor(other.astype(np.float64))
    out = torch_fn(x, y) if first else torch_fn(y, x)
    out.sum().backward()
    return x.grad.numpy().astype(mine.dtype)


def _scalar_case(name, ours_fn, torch_fn, left, right) -> None:
    """A tensor of special values against each Python number, on either side (PyTorch's weak scalars)."""
    global _MASK
    dtype = left if right == "number" else right
    x = specials(dtype)
    _MASK = np.arange(len(x)) % 3 == 0
    for number in PYTHON_NUMBERS:
        if name in ("where", "pow") and isinstance(number, bool):
            continue  # where: no bool branch value; pow: PyTorch 2.13 fails an internal assert in its backward
        if abs(number) > np.finfo(np.float32).max and np.dtype(dtype) in (np.float16, np.float32):
            continue  # beyond float32 (the computation dtype): PyTorch raises (pow) or gives inf (mul), inconsistently
        if name in ("maximum", "minimum") and right != "number":
            continue  # PyTorch accepts no number as maximum's first operand (and a number has no .maximum)
        tx = _torch_input(x, False, True)
        args_t = (tx, number) if right == "number" else (number, tx)
        if name == "pow" and right != "number" and x.dtype.kind in "iu" and isinstance(number, int) and (x < 0).any():
            with pytest.raises(ValueError, match="integers to negative integer powers"):  # deliberate, as above
                ours_fn(number, Tensor(x))
            continue
        try:
            expected = torch_fn(*args_t) if name != "where" or right == "number" else torch_fn(number, tx)
        except (RuntimeError, TypeError, NotImplementedError) as error:
            if "must be Tensor" in str(error) or "without overflow" in str(error):
                continue  # deliberate: we accept numbers in maximum/minimum, and 1e40 overflows to inf in float32
            if name == "pow" and x.dtype.kind in "iu" and isinstance(number, int) and number < 0:
                pass  # the same error as PyTorch's, checked below
            ours = Tensor(x)
            with pytest.raises((TypeError, ValueError)):
                ours_fn(ours, number) if right == "number" else ours_fn(number, ours)
            continue
        t = Tensor(x, requires_grad=x.dtype.kind == "f")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = ours_fn(t, number) if right == "number" else ours_fn(number, t)
            if out.requires_grad:
                out.backward(np.ones(out.shape, dtype=out.dtype))
        operands = f"tensor, {number!r}" if right == "number" else f"{number!r}, tensor"
        what = f"{name} {operands} ({np.dtype(dtype)})"
        expected_dtype = _expected_dtype(expected.dtype, [dtype])
        assert out.dtype == expected_dtype, (what, out.dtype, expected_dtype)
        if expected_dtype != NUMPY[expected.dtype]:
            t64 = _torch_input(x, True, False)
            expected = torch_fn(t64, number) if right == "number" else torch_fn(number, t64)
        t64 = _torch_input(x, True, False)
        _value_matches(out.data, expected.detach().numpy(), expected_dtype.type, what + " value",
                       exact=lambda n=number: _exact_value(name, torch_fn, *((x, n) if right == "number" else (n, x))))
        if out.requires_grad:
            expected.sum().backward()
            _gradient_matches(t.grad, tx.grad.numpy(), dtype, what + " gradient",
                              exact=lambda n=number: _exact_scalar_grad(torch_fn, x, n, right == "number"))


def _exact_scalar_grad(torch_fn, x: np.ndarray, number, tensor_first: bool) -> np.ndarray:
    t = torch.tensor(x.astype(np.float64), requires_grad=True)
    out = torch_fn(t, number) if tensor_first else torch_fn(number, t)
    out.sum().backward()
    grad = t.grad.numpy().copy()
    if torch_fn is BINARY["div"][1] and not tensor_first and not np.isnan(number):
        # d(c/x)/dx = −c/x², exactly (fractions) where finite: PyTorch's float64 multiplies by 1/x² (0 · inf)
        for i, v in enumerate(x.astype(np.float64)):
            if np.isfinite(v) and v != 0 and np.isinf(number):
                grad[i] = -number  # −(±inf)/x², x² > 0
            elif np.isfinite(v) and v != 0:
                exact = -Fraction(number) / Fraction(float(v)) ** 2
                grad[i] = float(exact) if exact != 0 else math.copysign(0.0, -math.copysign(1.0, number))
    return grad.astype(x.dtype)


def test_case_count():
    """How many (op, dtype, value) cases the tables above sweep (printed with ``pytest -s``)."""
    unary = sum(len(specials(d)) for _, d in UNARY_CASES)
    binary = 0
    for _name, (left, right) in BINARY_CASES:
        if "number" in (left, right):
            binary += len(specials(left if right == "number" else right)) * len(PYTHON_NUMBERS)
        else:
            binary += len(specials(left)) * len(specials(right))
    print(f"\n{len(UNARY_CASES)} unary op×dtype tables ({unary} elements), "
          f"{len(BINARY_CASES)} binary op×dtype-pair tables ({binary} element pairs)")
    assert unary > 500 and binary > 10_000

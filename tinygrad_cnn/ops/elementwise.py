"""Elementwise ops: arithmetic with broadcasting and the unary functions, each with its derivative.

Binary ops broadcast like numpy; their backward sums the gradient back to each input's shape
(``unbroadcast``). Dtypes follow PyTorch's promotion (``ops/promotion.py``): a Python number does not raise
a tensor's precision, float16 is computed in float32, and an op whose result is not an integer in general
(``/``, ``exp``, ``sigmoid``, …) gives a float for integer input (float64, this project's default float).

Edge conventions are PyTorch's (checked against PyTorch 2.13 in ``tests/test_dtype_edges.py``):

* kinks: relu'(0) = 0, |x|'(0) = 0, ties of maximum/minimum split the gradient evenly, clip passes the
  gradient on its closed interval [min, max];
* a mask selects, it does not multiply: relu, clip and maximum/minimum route the incoming gradient with
  ``np.where``, so an infinite gradient behind a closed gate gives 0, not inf·0 = NaN
  (``relu(x).sqrt()`` at x < 0 has gradient 0);
* NaN: relu(NaN) = NaN with gradient 1 (PyTorch's threshold rule), |x|'(NaN) = 0, maximum/minimum with a NaN
  give NaN and the full gradient to both inputs, clip(NaN) = NaN with gradient 0;
* −0.0: √(−0.0) = −0.0 with gradient −inf, and relu(−0.0) = −0.0 (float32/64), as PyTorch.

Ops never leak numpy's RuntimeWarnings: inf and NaN results follow IEEE arithmetic, as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._workspace import RECYCLER
from ..function import Context, Function, unbroadcast
from ..tensor import Tensor
from .namespace import TENSOR_NAMESPACE, as_array, namespace
from .numerics import quiet
from .promotion import as_operand, compute_dtype, float_dtype, result_type


def select(keep: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """``grad`` where ``keep``, +0 elsewhere: ``np.where(keep, grad, 0)``, computed as a product (several times
    faster) and repaired where that differs: an inf or NaN gradient behind a closed gate gives 0, not inf·0 = NaN
    (a mask selects; it does not multiply), and a negative gradient times 0 gives +0, not −0."""
    if isinstance(grad, Tensor):  # a create_graph walk: the mask is a constant of the gradient's graph
        return TENSOR_NAMESPACE.where(keep, grad, TENSOR_NAMESPACE.zeros((), grad.dtype))
    if not np.isfinite(grad).all():
        return np.where(keep, grad, np.zeros((), grad.dtype))
    if keep.shape == grad.shape and grad.dtype.kind == "f":
        out = np.multiply(grad, keep, out=RECYCLER.empty(grad.shape, grad.dtype))
    else:
        out = grad * keep
        if out.dtype != grad.dtype:
            out = out.astype(grad.dtype)
    out += 0  # −0.0 + 0 = +0.0, every other value unchanged
    return out


def _broadcasting(name: str, op: Callable[[np.ndarray, np.ndarray], np.ndarray], a: Any, b: Any) -> np.ndarray:
    """``op(a, b)`` with numpy's broadcasting error turned into one that names the op and both shapes."""
    try:
        return np.asarray(op(a, b))  # an array also for 0-d operands (a saved output must be the output)
    except ValueError:
        raise ValueError(
            f"{name}: operands of shapes {np.shape(a)} and {np.shape(b)} cannot be broadcast together "
            "(numpy rules: trailing axes must be equal or 1)"
        ) from None


_FAST = (np.dtype(np.float32), np.dtype(np.float64))


def _operands(ctx: Context, a: Any, b: Any, floating: bool = False) -> tuple[Any, Any, np.dtype]:
    """Both operands in the dtype the op computes in, and the dtype of its result (PyTorch's promotion).

    ``floating``: the result is not an integer in general (division), so integer operands give a float.
    The common cases (one float32/float64 dtype, or such a tensor and a Python number, which numpy treats as
    a weak scalar exactly as PyTorch does) skip the general rule.
    """
    if type(a) is np.ndarray:
        dtype = a.dtype
        if dtype in _FAST:
            if type(b) is np.ndarray and b.dtype == dtype:
                ctx.shapes, ctx.work = (a.shape, b.shape), dtype
                return a, b, dtype
            if type(b) in (float, int):  # a number has no axes (np.shape(b) would build an array to say so)
                ctx.shapes, ctx.work = (a.shape, ()), dtype
                return a, b, dtype
    elif type(b) is np.ndarray and type(a) in (float, int) and b.dtype in _FAST:
        ctx.shapes, ctx.work = ((), b.shape), b.dtype
        return a, b, b.dtype
    out_dtype = result_type(a, b)
    if floating:
        out_dtype = float_dtype(out_dtype)
    work = compute_dtype(out_dtype)
    ctx.shapes, ctx.work = (np.shape(a), np.shape(b)), work
    return as_operand(a, work), as_operand(b, work), out_dtype


def _unary_operand(a: np.ndarray) -> np.ndarray:
    """The input of an op whose result is not an integer in general: ints and bools become float64."""
    return a if a.dtype.kind == "f" else a.astype(float_dtype(a.dtype))


def _up(array: np.ndarray) -> np.ndarray:
    """float16 as float32 (the dtype PyTorch computes float16 in), anything else as it is."""
    return array.astype(np.float32) if array.dtype == np.float16 else array


def to_input(ctx: Context, index: int, grad: np.ndarray | None) -> np.ndarray | None:
    """``grad`` in the dtype of input ``index`` (cast here, quietly: an overflow to inf is the right answer)."""
    parent = ctx.parents[index]
    if grad is None or parent is None or grad.dtype == parent.dtype:
        return grad
    with np.errstate(all="ignore"):
        return grad.astype(parent.dtype)


def _work(grad: np.ndarray, like: np.ndarray | Context) -> np.ndarray:
    """The incoming gradient in the dtype the forward computed in (float32 for a float16 result): that of the
    array ``like``, or the ``ctx.work`` dtype ``_operands`` recorded."""
    dtype = like.work if isinstance(like, Context) else like.dtype
    return grad if grad.dtype == dtype else grad.astype(dtype)


class Add(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        a, b, dtype = _operands(ctx, a, b)
        return _broadcasting("add", np.add, a, b).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a_shape, b_shape = ctx.shapes  # ∂(a+b)/∂a = ∂(a+b)/∂b = 1
        return to_input(ctx, 0, unbroadcast(grad, a_shape)), to_input(ctx, 1, unbroadcast(grad, b_shape))


class Sub(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        if any(isinstance(v, (np.ndarray, bool, np.bool_)) and np.asarray(v).dtype == np.bool_ for v in (a, b)):
            raise TypeError("subtract: a bool operand cannot be subtracted or subtracted from (as in PyTorch); "
                            "use ~mask to invert a mask, or cast it with .astype")
        a, b, dtype = _operands(ctx, a, b)
        return _broadcasting("subtract", np.subtract, a, b).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a_shape, b_shape = ctx.shapes  # ∂(a−b)/∂a = 1, ∂(a−b)/∂b = −1
        return to_input(ctx, 0, unbroadcast(grad, a_shape)), to_input(ctx, 1, unbroadcast(-grad, b_shape))


class Mul(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        a, b, dtype = _operands(ctx, a, b)
        ctx.save_for_backward(a, b)
        return _broadcasting("multiply", np.multiply, a, b).astype(dtype, copy=False)

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = ctx.saved_tensors  # ∂(ab)/∂a = b, ∂(ab)/∂b = a
        g = _work(grad, ctx)
        a_shape, b_shape = ctx.shapes
        da = unbroadcast(g * b, a_shape) if ctx.needs_input_grad[0] else None
        db = unbroadcast(g * a, b_shape) if ctx.needs_input_grad[1] else None
        return to_input(ctx, 0, da), to_input(ctx, 1, db)


class Div(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        a, b, dtype = _operands(ctx, a, b, floating=True)
        out = _broadcasting("divide", np.divide, a, b)  # (broadcast shape), in the computation dtype
        ctx.save_for_backward(b, out)
        return out.astype(dtype, copy=False)

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        b, out = ctx.saved_tensors
        g = _work(grad, out)
        a_shape, b_shape = ctx.shapes
        g_over_b = g / b  # ∂(a/b)/∂a = 1/b
        da = unbroadcast(g_over_b, a_shape) if ctx.needs_input_grad[0] else None
        db = None
        if ctx.needs_input_grad[1]:
            # ∂(a/b)/∂b = −a/b², formed as −(g/b)·(a/b) so that b² never over/underflows on its own
            # (1e-23/1e-23 in float32: b² = 0 but the gradient is −1e23); where that product is not finite,
            # −g·((a/b)/b) is tried; a zero quotient (a = 0, or b = ±inf) has gradient ±0 exactly
            xp = namespace(g)
            local = -g_over_b * out
            local = xp.where(xp.isfinite(local), local, -(g * (out / b)))
            exact_zero = as_array(out == 0) & as_array(xp.isfinite(g)) & as_array(b != 0)
            local = xp.where(exact_zero, -(g * out) / b, local).astype(out.dtype, copy=False)
            db = unbroadcast(local, b_shape)
        return to_input(ctx, 0, da), to_input(ctx, 1, db)


class Pow(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        ctx.exponent = b if isinstance(b, (int, float)) else None  # a Python number keeps its double precision
        a, b, dtype = _operands(ctx, a, b)
        if dtype.kind == "b":
            raise TypeError("pow: both operands are bool; cast one to an integer or float dtype (as in PyTorch)")
        if dtype.kind in "iu" and np.any(b < 0):
            raise ValueError(
                f"pow: integers to negative integer powers are not allowed (integer base, exponent "
                f"{b.min() if b.ndim else b.item()}); make the base or the exponent a float"
            )
        out = _broadcasting("power", np.power, a, b)
        ctx.save_for_backward(a, b, out)
        return out.astype(dtype, copy=False)

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b, out = ctx.saved_tensors
        g = _work(grad, out)
        a_shape, b_shape = ctx.shapes
        da = db = None
        if ctx.needs_input_grad[0]:
            # ∂(a^b)/∂a = b·a^(b−1), taken as 0 where b = 0 (a^0 is constant), as PyTorch does
            # (a number exponent's b − 1 is formed in double precision, as PyTorch: −1e-8 − 1 is −1 in float32)
            xp = namespace(g, a, b)
            exponent = ctx.exponent
            if exponent is not None and float(np.asarray(exponent - 1, a.dtype)) != exponent - 1:
                local = (exponent * xp.power(a.astype(np.float64), exponent - 1)).astype(out.dtype)
            else:
                # only where b·a^(b−1) is not already 0 (0·inf, 0·NaN): elsewhere the formula itself
                # gives the 0, so its derivative in b at b = 0 stays the true a^(−1) (PyTorch's masked fill: 0)
                power = xp.power(a, b - 1)
                fill = as_array(b == 0) & ~np.isfinite(as_array(power))
                local = xp.where(fill, 0.0, b * power)
                local = xp.where(as_array(b == 0), local + 0.0, local)  # at b = 0 a +0, never −0.0 (PyTorch)
                local = local.astype(out.dtype, copy=False)
            da = unbroadcast(g * local, a_shape)
        if ctx.needs_input_grad[1]:
            # ∂(a^b)/∂b = a^b·ln a, taken as 0 where a = 0 and b ≥ 0 (the one-sided limit), as PyTorch does
            xp = namespace(g, a, b)
            local = xp.where(as_array(a == 0) & as_array(b >= 0), 0.0, out * xp.log(a)).astype(out.dtype, copy=False)
            db = unbroadcast(g * local, b_shape)
        return to_input(ctx, 0, da), to_input(ctx, 1, db)


class Neg(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        if a.dtype.kind == "b":
            raise TypeError("neg: a bool tensor cannot be negated (as in PyTorch); use ~t or t.logical_not")
        return np.negative(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return -grad


class Exp(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.exp(_unary_operand(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors  # (e^a)' = e^a, read from the saved output
        return (_up(grad) * _up(out)).astype(out.dtype)


class Log(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        a = _unary_operand(a)
        ctx.save_for_backward(a)
        return np.log(a)  # log 0 = −inf, log of a negative number = NaN, as PyTorch

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved_tensors  # (ln a)' = 1/a
        return (_up(grad) / _up(a)).astype(a.dtype)


class Sqrt(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.sqrt(_unary_operand(a))  # √(−0.0) = −0.0, √(negative) = NaN
        ctx.save_for_backward(out)
        return out

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors  # (√a)' = 1/(2√a): +inf at 0, −inf at −0.0, as PyTorch
        return (_up(grad) / (2 * _up(out))).astype(out.dtype)


def _no_bool(a: np.ndarray, op: str) -> None:
    if a.dtype == np.bool_:
        raise TypeError(f"{op}: not defined for a bool tensor (as in PyTorch); cast it with .astype first")


class Abs(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        _no_bool(a, "abs")
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved_tensors
        # |a|' = sign(a): 0 at a = 0 and at NaN (PyTorch's sgn); a derivative, not a mask, so inf·0 = NaN at 0
        # stays what PyTorch gives
        xp = namespace(grad)
        return grad * xp.where(xp.isnan(a), 0, xp.sign(a)).astype(grad.dtype, copy=False)


class Sigmoid(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        # σ(a) = 1/(1 + e^−a)
        if a.dtype in _FAST:  # float32/float64 compute in their own dtype: no casts (the common case)
            # PyTorch's formula, in four ufunc calls: below a ≈ −709 (float64) e^−a overflows to inf and
            # σ = 1/inf = 0, as in PyTorch (the exact σ is subnormal there)
            out = np.reciprocal(1 + np.exp(-a))  # e^−a in (0, inf]
        else:
            dtype = float_dtype(a.dtype)
            a = _up(_unary_operand(a))  # float16 in float32, ints and bools in float64
            out = (1 / (1 + np.exp(-a))).astype(dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        # σ'(a) = σ(a)(1 − σ(a)), the book's a'(z): in the book's network this is the a'(z^O) factor of
        # eq. (17) (output layer) and the a'(z^F) factor of eq. (25) (convolution layer)
        (out,) = ctx.saved_tensors
        s = _up(out)
        return (_up(grad) * (s * (1 - s))).astype(out.dtype, copy=False)


class Relu(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        _no_bool(a, "relu")
        # NaN passes through, as PyTorch. On a tie np.maximum returns its second operand (float32/64), so
        # maximum(0, a) keeps relu(−0.0) = −0.0 as PyTorch does (float16's loop returns +0.0 there)
        out = np.maximum(0, a, out=RECYCLER.empty(a.shape, a.dtype))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors
        # relu'(a) = 1 where relu(a) > 0 (and at NaN, PyTorch's threshold rule), 0 elsewhere, 0 at a = 0;
        # the gate selects the gradient, it does not multiply it (an inf gradient behind it gives 0)
        return select(_open_gate(out), grad)


def _open_gate(out: Any) -> np.ndarray:
    """ReLU's gate, ``~(out <= 0)`` (open above 0 and at NaN); for an array in recycled memory, so that the
    temporary maps no fresh pages."""
    if not isinstance(out, np.ndarray):
        return ~as_array(out <= 0)
    closed = np.less_equal(out, 0, out=RECYCLER.empty(out.shape, bool))
    return np.logical_not(closed, out=closed)


class Tanh(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.tanh(_unary_operand(a))  # exactly ±1 beyond |a| ≈ 19 (float64), never an overflow
        ctx.save_for_backward(out)
        return out

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors  # tanh' = 1 − tanh²
        t = _up(out)
        return (_up(grad) * (1 - t * t)).astype(out.dtype, copy=False)


def _extremum_backward(ctx: Context, grad: np.ndarray, a_loses: np.ndarray, b_loses: np.ndarray) -> tuple:
    """Maximum/minimum: each input takes the gradient where it wins, half on a tie, all of it on a NaN."""
    a, b = ctx.saved_tensors
    g = _work(grad, ctx)
    xp = namespace(g)
    half = g / 2
    zero = xp.zeros((), g.dtype)
    a_shape, b_shape = ctx.shapes
    tie, a_loses, b_loses = as_array(a == b), as_array(a_loses), as_array(b_loses)  # masks: constants at second order
    da = db = None
    if ctx.needs_input_grad[0]:
        da = unbroadcast(xp.where(tie, half, xp.where(a_loses, zero, g)), a_shape)
    if ctx.needs_input_grad[1]:
        db = unbroadcast(xp.where(tie, half, xp.where(b_loses, zero, g)), b_shape)
    return to_input(ctx, 0, da), to_input(ctx, 1, db)


class Maximum(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        a, b, dtype = _operands(ctx, a, b)
        ctx.save_for_backward(a, b)
        return _broadcasting("maximum", np.maximum, a, b).astype(dtype, copy=False)

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = ctx.saved_tensors  # the larger input takes the gradient (a NaN is in both comparisons false)
        return _extremum_backward(ctx, grad, a < b, a > b)


class Minimum(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        a, b, dtype = _operands(ctx, a, b)
        ctx.save_for_backward(a, b)
        return _broadcasting("minimum", np.minimum, a, b).astype(dtype, copy=False)

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = ctx.saved_tensors  # the smaller input takes the gradient
        return _extremum_backward(ctx, grad, a > b, a < b)


def check_bounds(min: Any, max: Any, op: str) -> None:
    """clip/clamp bounds: numbers (Python or numpy) or None, not both None, min ≤ max."""
    if min is None and max is None:
        raise ValueError(f"{op}(): at least one of min and max must be given, got min=None, max=None")
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and (not isinstance(bound, (int, float, np.number)) or isinstance(bound, bool)):
            raise TypeError(f"{op}(): {name} must be a number or None, got {type(bound).__name__} {bound!r}")
        if bound is not None and bound != bound:  # NaN: every comparison with it is False, the result all NaN
            raise ValueError(f"{op}(): {name} must be a number or None, got nan (use None for no bound)")
    if min is not None and max is not None and min > max:
        raise ValueError(f"{op}(): min must be <= max, got min={min}, max={max}")


class Clip(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray, min: float | None = None, max: float | None = None) -> np.ndarray:
        check_bounds(min, max, "clip")
        dtype = result_type(a, min, max)  # an int tensor with float bounds gives a float (never a cast back)
        x = as_operand(a, dtype)
        ctx.save_for_backward(x)
        ctx.bounds = (min, max)
        out = x
        if min is not None:
            out = np.where(out < min, np.asarray(min, dtype), out)  # NaN stays NaN, as PyTorch
        if max is not None:
            out = np.where(out > max, np.asarray(max, dtype), out)
        return out

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors  # slope 1 on [min, max], 0 outside and at NaN (boundaries included, as PyTorch)
        low, high = ctx.bounds
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= as_array(x >= low)
        if high is not None:
            inside &= as_array(x <= high)
        return select(inside, grad)  # a mask selects; it does not multiply


class Cast(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet  # float64 -> float16 overflows to inf, silently as in PyTorch
    def forward(ctx: Context, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        ctx.source_dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad.astype(ctx.source_dtype)

"""More activations and the selection op: ``leaky_relu``, ``gelu`` (exact and tanh forms) and ``where``.

Each computes float16 in float32 and gives float64 for integer input (``ops/promotion.py``); gates select
the gradient with ``np.where`` rather than multiplying it by a 0/1 mask.

>>> from tinygrad_cnn import Tensor
>>> x = Tensor([-2.0, 0.0, 3.0], requires_grad=True)
>>> leaky_relu(x, 0.1).sum().backward()
>>> x.grad                        # slope 1 where x > 0, else negative_slope (also at 0, as PyTorch)
array([0.1, 0.1, 1. ])
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from .._checks import check_float
from ..function import Context, Function, unbroadcast
from ..tensor import Tensor, _lift
from .namespace import as_array, namespace
from .numerics import quiet
from .promotion import as_operand, compute_dtype, float_dtype, result_type

__all__ = ["erfc", "gelu", "leaky_relu", "normal_cdf", "softplus", "where"]

_math_erfc = np.frompyfunc(math.erfc, 1, 1)


@functools.cache
def _erfc_kernel():
    """scipy's erfc (vectorised C) if scipy is installed, else math.erfc per element (exact too, only slower).
    Looked up on first use: importing scipy.special costs every command 0.2-0.4 s, and most never call GELU."""
    try:
        from scipy.special import erfc as scipy_erfc
    except ImportError:  # pragma: no cover - exercised only without scipy
        return _math_erfc
    return scipy_erfc


def erfc(x: np.ndarray) -> np.ndarray:
    """The complementary error function 1 − erf(x), elementwise, in ``x``'s float dtype.

    >>> float(erfc(np.array(0.0)))
    1.0
    """
    return np.asarray(_erfc_kernel()(x), dtype=x.dtype)


def _float_work(a: np.ndarray) -> tuple[np.ndarray, np.dtype]:
    """``a`` in the dtype to compute in, and the result dtype (ints -> float64, float16 -> computed in float32)."""
    dtype = float_dtype(a.dtype)
    return a.astype(compute_dtype(dtype), copy=False), dtype


class LeakyRelu(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray, negative_slope: float) -> np.ndarray:
        x, dtype = _float_work(a)
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        return np.where(x > 0, x, x * negative_slope).astype(dtype, copy=False)  # NaN·slope = NaN

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        (x,) = ctx.saved_tensors
        g = grad.astype(x.dtype, copy=False)
        # leaky_relu'(x) = 1 for x > 0, negative_slope otherwise (at 0 and NaN too, as PyTorch)
        return namespace(g).where(as_array(x > 0), g, g * ctx.slope), None


_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_SCALE = math.sqrt(2.0 / math.pi)
_TANH_CUBIC = 0.044715


class Gelu(Function):
    """gelu(x) = x·Φ(x), or its tanh form ½x(1 + tanh(√(2/π)(x + 0.044715x³))); eq. (G14) of MATH.md.

    The backward rule runs on arrays and on Tensors (``ops/namespace.py``): Φ is :class:`NormalCdf` there,
    whose own rule is φ, so gelu is differentiable to any order."""

    differentiable_backward = True

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray, approximate: str) -> np.ndarray:
        x, dtype = _float_work(a)
        if a.dtype == np.float16 and approximate == "none":  # float32 would round x·½ to a float16 tie (the
            x = a.astype(np.float64)  # smallest subnormal's gelu is just above one): round once, from float64
        ctx.save_for_backward(a)  # the input itself (x is recast in backward: a saved cast would not be)
        ctx.approximate, ctx.work = approximate, x.dtype
        if approximate == "tanh":
            # 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))
            out = 0.5 * x * (1 + np.tanh(_TANH_SCALE * (x + _TANH_CUBIC * x * x * x)))
        else:
            # x·Φ(x) with Φ(x) = ½·erfc(−x/√2): no cancellation in the left tail, where 1 + erf(x/√2) would
            # round to 0 (PyTorch's form gives −0.0 below x ≈ −8.3; this gives the tiny true value)
            cdf = 0.5 * erfc(-x * _SQRT_HALF)
            ctx.cdf = cdf  # Φ(x), the costly part, kept for a first-order backward (an array of x's size)
            out = x * cdf
        return out.astype(dtype, copy=False)

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        (a,) = ctx.saved_tensors
        x = a.astype(ctx.work, copy=False)
        g, xp = grad.astype(ctx.work, copy=False), namespace(grad)
        if ctx.approximate == "tanh":
            t = xp.tanh(_TANH_SCALE * (x + _TANH_CUBIC * x * x * x))
            # d/dx [½x(1 + t)] = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)
            local = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _TANH_SCALE * (1 + 3 * _TANH_CUBIC * x * x)
        else:
            # d/dx [x·Φ(x)] = Φ(x) + x·φ(x), φ(x) = e^{−x²/2}/√(2π)
            cdf = ctx.cdf if isinstance(x, np.ndarray) else normal_cdf(x)  # Φ(x): a Tensor op under create_graph
            local = cdf + x * (_INV_SQRT_2PI * xp.exp(-0.5 * x * x))
        return g * local, None


class NormalCdf(Function):
    """Φ(x) = ½·erfc(−x/√2), the standard normal distribution function; Φ′(x) = φ(x) = e^{−x²/2}/√(2π)."""

    differentiable_backward = True

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return 0.5 * erfc(-a * _SQRT_HALF)

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        (x,) = ctx.saved_tensors
        return (grad * (_INV_SQRT_2PI * namespace(x).exp(-0.5 * x * x)),)


def normal_cdf(x: Any) -> Any:
    """Φ(x) of an array (an array) or of a float Tensor (a differentiable Tensor).

    >>> float(normal_cdf(np.array(0.0))), normal_cdf(Tensor([0.0]))
    (0.5, Tensor([0.5]))
    """
    return NormalCdf.apply(x) if isinstance(x, Tensor) else 0.5 * erfc(-x * _SQRT_HALF)


class Softplus(Function):
    """softplus(x) = log(1 + eˣ), as ``np.logaddexp(0, x)`` (no overflow); softplus′(x) = σ(x)."""

    differentiable_backward = True

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.logaddexp(0, a)

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray]:
        (x,) = ctx.saved_tensors
        return (grad * (x.sigmoid() if isinstance(x, Tensor) else np.exp(-np.logaddexp(0, -x))),)  # σ(x)


def softplus(x: Any) -> Any:
    """log(1 + eˣ) of an array (an array) or of a float Tensor (a differentiable Tensor).

    >>> round(float(softplus(np.array(0.0))), 6), softplus(Tensor([-800.0, 800.0]))
    (0.693147, Tensor([  0., 800.]))
    """
    return Softplus.apply(x) if isinstance(x, Tensor) else np.logaddexp(0, x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``x`` where x > 0, else ``negative_slope · x`` (PyTorch's default slope 0.01).

    >>> leaky_relu(Tensor([-10.0, 5.0])).data
    array([-0.1,  5. ])
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"leaky_relu: input must be a Tensor, got {type(x).__name__}")
    slope = check_float(negative_slope, "negative_slope", "leaky_relu")
    return LeakyRelu.apply(x, slope)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """The Gaussian error linear unit x·Φ(x) (``approximate="none"``, PyTorch's default), or its tanh form.

    >>> round(float(gelu(Tensor(1.0))), 6), round(float(gelu(Tensor(1.0), approximate="tanh")), 6)
    (0.841345, 0.841192)
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    if not isinstance(x, Tensor):
        raise TypeError(f"gelu: input must be a Tensor, got {type(x).__name__}")
    return Gelu.apply(x, approximate)


class Where(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    def forward(ctx: Context, condition: np.ndarray, a: Any, b: Any) -> np.ndarray:
        dtype = result_type(a, b)
        ctx.shapes = (np.shape(a), np.shape(b))
        ctx.save_for_backward(condition)
        try:
            return np.where(condition, as_operand(a, dtype), as_operand(b, dtype))
        except ValueError:
            raise ValueError(
                f"where: condition {condition.shape}, input {np.shape(a)} and other {np.shape(b)} cannot be "
                "broadcast together"
            ) from None

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[None, np.ndarray | None, np.ndarray | None]:
        (condition,) = ctx.saved_tensors
        xp = namespace(grad)
        condition = as_array(condition)
        zero = xp.zeros((), grad.dtype)
        a_shape, b_shape = ctx.shapes
        # the gradient goes to the input that was picked: selected, never multiplied by a 0/1 mask
        da = unbroadcast(xp.where(condition, grad, zero), a_shape) if ctx.needs_input_grad[1] else None
        db = unbroadcast(xp.where(condition, zero, grad), b_shape) if ctx.needs_input_grad[2] else None
        return None, da, db


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """``input`` where ``condition`` is True, else ``other`` (broadcast together), as ``torch.where``.

    ``condition`` is a bool Tensor or array; ``input``/``other`` are Tensors, arrays or numbers (numbers
    are weak operands of the type promotion, as in PyTorch).

    >>> x = Tensor([-1.0, 2.0])
    >>> where(x > 0, x, 0.0)
    Tensor([0., 2.])
    """
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor or array (e.g. x > 0), got dtype {cond.dtype}")
    return Where.apply(Tensor._make(cond, None), _lift(input, None), _lift(other, None))

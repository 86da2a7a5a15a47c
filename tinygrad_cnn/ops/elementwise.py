"""Elementwise ops: arithmetic with broadcasting and the unary functions, each with its derivative.

Binary ops broadcast like numpy; their backward sums the gradient back to each input's shape
(``unbroadcast``). Kinks follow PyTorch: relu'(0) = 0, |x|'(0) = 0, ties of maximum/minimum split
the gradient evenly, clip passes the gradient on its closed interval [min, max].
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..function import Context, Function, unbroadcast


def _broadcasting(name: str, op: Callable[[np.ndarray, np.ndarray], np.ndarray], a: Any, b: Any) -> np.ndarray:
    """``op(a, b)`` with numpy's broadcasting error turned into one that names the op and both shapes."""
    try:
        return op(a, b)
    except ValueError:
        raise ValueError(
            f"{name}: operands of shapes {np.shape(a)} and {np.shape(b)} cannot be broadcast together "
            "(numpy rules: trailing axes must be equal or 1)"
        ) from None


class Add(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.shapes = (a.shape, b.shape)
        return _broadcasting("add", np.add, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a_shape, b_shape = ctx.shapes  # ∂(a+b)/∂a = ∂(a+b)/∂b = 1
        return unbroadcast(grad, a_shape), unbroadcast(grad, b_shape)


class Sub(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.shapes = (a.shape, b.shape)
        return _broadcasting("subtract", np.subtract, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a_shape, b_shape = ctx.shapes  # ∂(a−b)/∂a = 1, ∂(a−b)/∂b = −1
        return unbroadcast(grad, a_shape), unbroadcast(-grad, b_shape)


class Mul(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return _broadcasting("multiply", np.multiply, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = ctx.saved_tensors  # ∂(ab)/∂a = b, ∂(ab)/∂b = a
        da = unbroadcast(grad * b, a.shape) if ctx.needs_input_grad[0] else None
        db = unbroadcast(grad * a, b.shape) if ctx.needs_input_grad[1] else None
        return da, db


class Div(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return _broadcasting("divide", np.divide, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = ctx.saved_tensors  # ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²
        da = unbroadcast(grad / b, a.shape) if ctx.needs_input_grad[0] else None
        db = unbroadcast(-grad * a / (b * b), b.shape) if ctx.needs_input_grad[1] else None
        return da, db


class Pow(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            out = _broadcasting("power", np.power, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b, out = ctx.saved_tensors
        da = db = None
        with np.errstate(invalid="ignore", divide="ignore"):
            if ctx.needs_input_grad[0]:
                # ∂(a^b)/∂a = b·a^(b−1), taken as 0 where b = 0 (a^0 is constant), as PyTorch does
                local = np.where(b == 0, 0.0, b * np.power(a, b - 1))
                da = unbroadcast(grad * local, a.shape)
            if ctx.needs_input_grad[1]:
                # ∂(a^b)/∂b = a^b·ln a, taken as 0 where a = 0 and b ≥ 0 (the one-sided limit), as PyTorch does
                local = np.where((a == 0) & (b >= 0), 0.0, out * np.log(a))
                db = unbroadcast(grad * local, b.shape)
        return da, db


class Neg(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        return np.negative(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return -grad


class Exp(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors  # (e^a)' = e^a
        return grad * out


class Log(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved_tensors  # (ln a)' = 1/a
        return grad / a


class Sqrt(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors  # (√a)' = 1/(2√a)
        with np.errstate(divide="ignore"):
            return grad / (2 * out)


class Abs(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved_tensors  # |a|' = sign(a), and 0 at a = 0 (PyTorch's choice)
        return grad * np.sign(a)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        # σ(a) = 1/(1 + e^−a), written so neither branch overflows: e^a/(1 + e^a) for a < 0
        e = np.exp(-np.abs(a))
        out = np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        # σ'(a) = σ(a)(1 − σ(a)), the book's a'(z): in the book's network this is the a'(z^O) factor of
        # eq. (17) (output layer) and the a'(z^F) factor of eq. (25) (convolution layer)
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


class Relu(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.maximum(a, 0)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved_tensors  # relu'(a) = 1 for a > 0, else 0 (relu'(0) = 0, as PyTorch)
        return grad * (a > 0)


class Tanh(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors  # tanh' = 1 − tanh²
        return grad * (1 - out * out)


class Maximum(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return _broadcasting("maximum", np.maximum, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = ctx.saved_tensors  # the larger input takes the gradient; a tie splits it evenly
        share_a = (a > b) + 0.5 * (a == b)
        return unbroadcast(grad * share_a, a.shape), unbroadcast(grad * (1 - share_a), b.shape)


class Minimum(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return _broadcasting("minimum", np.minimum, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = ctx.saved_tensors  # the smaller input takes the gradient; a tie splits it evenly
        share_a = (a < b) + 0.5 * (a == b)
        return unbroadcast(grad * share_a, a.shape), unbroadcast(grad * (1 - share_a), b.shape)


class Clip(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, min: float | None = None, max: float | None = None) -> np.ndarray:
        if min is None and max is None:
            raise ValueError("clip(): at least one of min and max must be given, got min=None, max=None")
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and not isinstance(bound, (int, float, np.number)):
                raise TypeError(f"clip(): {name} must be a number or None, got {type(bound).__name__} {bound!r}")
        if min is not None and max is not None and min > max:
            raise ValueError(f"clip(): min must be <= max, got min={min}, max={max}")
        ctx.save_for_backward(a)
        ctx.bounds = (min, max)
        return np.clip(a, min, max).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,) = ctx.saved_tensors  # slope 1 on [min, max], 0 outside (boundaries included, as PyTorch)
        low, high = ctx.bounds
        inside = np.ones(a.shape, dtype=bool)
        if low is not None:
            inside &= a >= low
        if high is not None:
            inside &= a <= high
        return grad * inside


class Cast(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        ctx.source_dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad.astype(ctx.source_dtype)

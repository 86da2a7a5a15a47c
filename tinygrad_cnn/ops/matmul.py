"""Matrix product with numpy's ``@`` semantics: vectors, matrices and broadcast batches of matrices.

For C = A @ B the chain rule gives ∂L/∂A = ∂L/∂C @ Bᵀ and ∂L/∂B = Aᵀ @ ∂L/∂C. A 1-D operand is
treated as a row (left) or column (right) matrix and that axis is dropped again, as numpy does.

In the book's network the output layer is this product (``tinygrad_cnn.textbook.tensor_net``:
``z^O = a^P.reshape(M, 12) @ W^Oᵀ + b^O``, eq. (3)), so with ∂L/∂C = δ^O its backward computes two of the
book's equations (``tinygrad_cnn/textbook/MATH.md``):

- ∂L/∂A = δ^O @ W^O: the factor Σ_n δ^O_n w^O_n[k,i,j] of eq. (25), the output errors sent back to the
  pooled units (the pooling and the sigmoid backward then supply the other two factors);
- ∂L/∂B = Aᵀ @ δ^O: eq. (8)'s weight gradient, ∂C_T/∂w^O_n[k,i,j] = Σ_m δ^O_n a^P_k[i,j].
"""

from __future__ import annotations

import numpy as np

from ..function import Context, Function, unbroadcast
from ..tensor import Tensor
from .namespace import namespace
from .numerics import quiet
from .promotion import result_type


class MatMul(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        _check_shapes(a.shape, b.shape)
        if a.dtype != b.dtype:  # PyTorch's promotion (an int matrix and a float32 one give float32), not numpy's
            dtype = result_type(a, b)
            a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = ctx.saved_tensors
        # promote vectors to matrices: a (k,) -> (1, k), b (k,) -> (k, 1); the gradient gets the dropped axes back
        xp = namespace(grad)
        a2 = a.reshape((1, *a.shape)) if a.ndim == 1 else a  # (..., n, k)
        b2 = b.reshape((*b.shape, 1)) if b.ndim == 1 else b  # (..., k, m)
        g = grad
        if b.ndim == 1:
            g = g.reshape((*g.shape, 1))  # the dropped m axis
        if a.ndim == 1:
            g = g.reshape((*g.shape[:-1], 1, g.shape[-1]))  # the dropped n axis -> (..., n, m)
        da = db = None
        if ctx.needs_input_grad[0]:
            # eq. (25)'s Σ_n δ^O_n w^O_n[k,i,j] factor when this is the book's output layer (g = δ^O, b = W^Oᵀ)
            da2 = xp.matmul(g, xp.swapaxes(b2, -1, -2))  # (..., n, m) @ (..., m, k) -> (..., n, k)
            da = unbroadcast(da2, a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            # eq. (8): ∂C_T/∂w^O_n[k,i,j] = Σ_m δ^O_n a^P_k[i,j] when this is the book's output layer (a = a^P)
            db2 = xp.matmul(xp.swapaxes(a2, -1, -2), g)  # (..., k, n) @ (..., n, m) -> (..., k, m)
            db = unbroadcast(db2, b2.shape).reshape(b.shape)
        return da, db


def _check_shapes(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    if len(a) == 0 or len(b) == 0:
        raise ValueError(f"matmul: both operands need at least one axis, got shapes {a} and {b}")
    k_a = a[-1]
    k_b = b[0] if len(b) == 1 else b[-2]
    if k_a != k_b:
        raise ValueError(
            f"matmul: shapes {a} and {b} are not aligned: the last axis of the left operand ({k_a}) must "
            f"equal the {'only' if len(b) == 1 else 'second-to-last'} axis of the right operand ({k_b})"
        )
    try:
        np.broadcast_shapes(a[:-2], b[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch axes of shapes {a} and {b} cannot be broadcast together") from None


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """``a @ b`` with numpy's semantics (1-D, 2-D and batched), differentiable in both operands.

    >>> from tinygrad_cnn import Tensor
    >>> (Tensor([[1.0, 2.0]]) @ Tensor([3.0, 4.0])).data
    array([11.])
    """
    return MatMul.apply(a, b)

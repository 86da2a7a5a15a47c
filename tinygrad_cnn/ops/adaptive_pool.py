"""Adaptive average pooling (PyTorch's ``adaptive_avg_pool2d``): the output size is given, the windows follow.

Output cell i of an axis of length H pooled to n cells averages the input rows ``⌊iH/n⌋ … ⌈(i+1)H/n⌉ − 1``
(windows may overlap by one row when n does not divide H). Along each axis this is a matrix A (n × H) with
A[i, h] = 1/|window i| inside window i, so the forward pass is y = A_H x A_Wᵀ per channel and the backward pass
its transpose, ∂L/∂x = A_Hᵀ g A_W: eq. (A1) of MATH.md, "Variance, norms and layer normalization".

>>> import numpy as np
>>> from tinygrad_cnn import Tensor
>>> adaptive_avg_pool2d(Tensor(np.arange(9.0).reshape(1, 1, 3, 3)), 2).data[0, 0]   # windows rows 0-1, 1-2
array([[2., 3.],
       [5., 6.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import is_int
from ..function import Context, Function
from ..tensor import Tensor
from .namespace import namespace

__all__ = ["AdaptiveAvgPool2d", "adaptive_avg_pool2d", "averaging_matrix"]


def averaging_matrix(size: int, out: int, dtype: Any = np.float64) -> np.ndarray:
    """A (out × size): row i averages PyTorch's adaptive window ⌊i·size/out⌋ … ⌈(i+1)·size/out⌉ − 1."""
    matrix = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, end = (i * size) // out, -(-((i + 1) * size) // out)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


class AdaptiveAvgPool2d(Function):
    """y[n, c] = A_H x[n, c] A_Wᵀ; backward ∂L/∂x[n, c] = A_Hᵀ g[n, c] A_W (eq. (A1)).

    The rule is linear in g with the constant matrices A_H, A_W, so it runs on arrays and on Tensors
    (``ops/namespace.py``) and is differentiable to any order."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
        a_h = averaging_matrix(x.shape[-2], out_h, x.dtype)  # (oh, H)
        a_w = averaging_matrix(x.shape[-1], out_w, x.dtype)  # (ow, W)
        for a in (a_h, a_w):  # made for this call: read-only, constants of the graph
            a.setflags(write=False)
        ctx.save_for_backward(a_h, a_w)
        ctx.save_constant(a_h, a_w)
        return a_h @ x @ a_w.T  # (oh, H) @ (…, H, W) @ (W, ow) -> (…, oh, ow), batched over the leading axes

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None, None]:
        a_h, a_w = ctx.saved_tensors
        xp = namespace(grad)
        # (A1): A_Hᵀ (H, oh) @ g (…, oh, ow) @ A_W (ow, W) -> (…, H, W)
        return xp.matmul(xp.matmul(xp.swapaxes(a_h, 0, 1), grad), a_w), None, None


def adaptive_avg_pool2d(x: Tensor, output_size: Any) -> Tensor:
    """Average-pool the last two axes of an (N, C, H, W) or (C, H, W) input to ``output_size`` (an int, or a pair
    whose entries may be None: that axis keeps its size), as ``torch.nn.functional.adaptive_avg_pool2d``."""
    if not isinstance(x, Tensor):
        raise TypeError(f"adaptive_avg_pool2d: input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4) or x.dtype.kind != "f":
        raise ValueError(f"adaptive_avg_pool2d: input must be a float (N, C, H, W) or (C, H, W) tensor, got shape "
                         f"{x.shape} and dtype {x.dtype}")
    pair = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(pair) != 2 or not all(v is None or (is_int(v) and v >= 1) for v in pair):
        raise ValueError(f"adaptive_avg_pool2d: output_size must be a positive int or a pair of positive ints or "
                         f"None, got {output_size!r}")
    if min(x.shape[-2:]) < 1:
        raise ValueError(f"adaptive_avg_pool2d: input must have non-empty spatial axes, got shape {x.shape}")
    out_h, out_w = (x.shape[-2 + a] if v is None else int(v) for a, v in enumerate(pair))
    return AdaptiveAvgPool2d.apply(x, out_h, out_w)

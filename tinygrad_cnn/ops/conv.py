"""2-D convolution (cross-correlation, NCHW) whose backward rules are the book's eqs. (12) and (14).

The forward pass is the book's eq. (1) generalised to batches, channels, stride s, zero padding, dilation d
and groups (filter f reads only the input channels of its group; kernel not flipped)::

    z[n, f, i, j] = Σ_c Σ_p Σ_q  w[f, c, p, q] · x[n, c, i·s + p·d, j·s + q·d]  +  b[f]

Given the output's δ = ∂C/∂z (shape of z), the backward pass is:

- eq. (12), the filter weights δ^F → ∂C/∂w^F: the correlation of the input windows with the δ map, summed
  over the batch and the output positions:
  ``∂C/∂w[f, c, p, q] = Σ_n Σ_{i,j} δ[n, f, i, j] · x[n, c, i·s + p·d, j·s + q·d]``;
- eq. (14), the filter bias: ``∂C/∂b[f] = Σ_n Σ_{i,j} δ[n, f, i, j]``;
- the input gradient, the *transposed* correlation: every output δ is sent back through the filter weight
  to the pixel that produced it, ``∂C/∂x[n, c, h, v] = Σ δ[n, f, i, j] · w[f, c, p, q]`` over all
  (f, i, j, p, q) with h = i·s + p·d and v = j·s + q·d (summed where windows overlap, cropped where it
  lands in the padding, 0 for pixels no window read). This is the step that would carry δ to a layer
  below the convolution; the book's network has none (its conv layer reads the image), so the book
  never writes it and its network never uses it. It is the book's general rule for δ ("the δ of a unit
  is the sum, over the units it feeds, of their δ times the connecting weight") applied to a
  convolution. It is computed only when the input needs a gradient.

Each sum is written once, in the equation's symbols, by the functions below (:func:`correlation`,
:func:`filter_gradient`, :func:`input_gradient`); the matrix layout that makes it fast on arrays (im2col,
chunks of the batch, byte limits) is private, in ``ops/_conv_kernels.py``. All three sums are bilinear, and the
derivative of each is one of the others: that is what makes conv2d differentiable twice and more. Under
``create_graph=True``, the input and filter gradients are the ops :class:`ConvInputGrad` and
:class:`ConvFilterGrad`, whose own backward rules are again a correlation, an input gradient and a filter
gradient (on arrays at first order, on Tensors at the next order).

>>> import numpy as np
>>> from tinygrad_cnn import Tensor
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
>>> w = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
>>> y = conv2d(x, w, stride=2)
>>> y.data
array([[[[10., 18.],
         [42., 50.]]]])
>>> y.sum().backward()
>>> w.grad[0, 0]            # eq. (12): w[0, 0] saw x[0, 0] + x[0, 2] + x[2, 0] + x[2, 2] = 0 + 2 + 8 + 10
array([[20., 24.],
       [36., 40.]])
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import numpy as np

from .._checks import check_int
from ..function import Context, Function
from ..tensor import Tensor
from . import _conv_kernels as kernels
from .promotion import accumulate
from .window import Geometry, Pair, as_pair, check_input, output_size

__all__ = ["conv2d", "conv2d_output_size"]


def conv2d_output_size(size: int, kernel: int, stride: int = 1, padding: int | Pair = 0, dilation: int = 1) -> int:
    """Output length along one axis: ``⌊(size + p_lo + p_hi − d·(k−1) − 1) / s⌋ + 1``.

    ``padding`` is the padding on each side, or a pair ``(before, after)``.

    >>> conv2d_output_size(28, 3), conv2d_output_size(7, 3, stride=2, padding=1), conv2d_output_size(5, 3, dilation=2)
    (26, 4, 1)
    """
    return output_size(size, kernel, stride, padding, dilation)


# ------------------------------------------------------------------------------------- the three sums
def correlation(x: Any, weight: Any, geometry: Geometry, groups: int) -> Any:
    """eq. (1) without the bias: ``z[n, f, i, j] = Σ_{c,p,q} w[f, c, p, q] · x[n, c, i·s + p·d, j·s + q·d]``.

    x (N, C, H, W), weight (F, C/G, kH, kW) -> (N, F, Ho, Wo); arrays, or Tensors (then conv2d itself).
    """
    if isinstance(x, Tensor) or isinstance(weight, Tensor):
        return Conv2d.apply(_tensor(x), _tensor(weight), None, geometry=geometry, groups=groups)
    with np.errstate(invalid="ignore", over="ignore"):  # inf/NaN in, inf/NaN out, silently as in PyTorch
        return kernels.correlate(x, weight, None, geometry, groups, keep=False).z


def filter_gradient(delta: Any, x: Any, geometry: Geometry, groups: int, shape: tuple[int, ...],
                    cols: np.ndarray | None = None, rows: np.ndarray | None = None) -> Any:
    """eq. (12) (MATH.md): filter f's gradient at (c, p, q) is its δ map correlated with the input it read,

        ∂C/∂w^F_f[c, p, q] = Σ_n Σ_{i,j} δ^F_f[n, i, j] · x[n, c, i·s + p·d, j·s + q·d],

    summed over the batch n and the output positions (i, j). δ (N, F, Ho, Wo), x (N, C, H, W) -> ``shape``
    (F, C/G, kH, kW). On arrays, δ (as rows, ``rows`` if already laid out) times the windows of x (as columns,
    ``cols`` kept from forward or rebuilt), one matrix product per group; on Tensors (create_graph) the op
    :class:`ConvFilterGrad`.
    """
    if isinstance(delta, Tensor) or isinstance(x, Tensor):
        return ConvFilterGrad.apply(_tensor(delta), _tensor(x), geometry=geometry, groups=groups, shape=shape)
    k_rows = groups * shape[1] * shape[2] * shape[3]  # K = C·kH·kW
    with np.errstate(invalid="ignore", over="ignore"):
        # Σ over n, i, j of δ[n, f, i, j] · window[(c, p, q), (n, i, j)]: (G, Fg, M) @ (G, M, Kg) -> (G, Fg, Kg)
        dw = kernels.filter_sum(delta, x, cols, geometry, groups, k_rows, rows)
    return dw.reshape(shape)


def input_gradient(delta: Any, weight: Any, geometry: Geometry, groups: int, rows: np.ndarray | None = None) -> Any:
    """The transposed correlation, δ sent back through the weight that met each pixel (module docstring):

        ∂C/∂x[n, c, h, v] = Σ δ[n, f, i, j] · w[f, c, p, q]  over (f, i, j, p, q) with h = i·s + p·d, v = j·s + q·d.

    δ (N, F, Ho, Wo), weight (F, C/G, kH, kW) -> (N, C, H, W). Through a convolution this is factor 1 of
    eq. (25) (the book's network has no layer below its conv, so it never needs it). ``rows``: δ already laid
    out for the matrix product (first order), or None. On Tensors the op :class:`ConvInputGrad`.
    """
    if isinstance(delta, Tensor) or isinstance(weight, Tensor):
        return ConvInputGrad.apply(_tensor(delta), _tensor(weight), geometry=geometry, groups=groups)
    with np.errstate(invalid="ignore", over="ignore"):
        return kernels.input_gradient(delta, weight, geometry, groups, rows)


def _tensor(value: Any) -> Tensor:
    """A constant Tensor for an array met beside a Tensor (e.g. a kept array of a retained graph)."""
    return value if isinstance(value, Tensor) else Tensor._make(np.asarray(value), None)


def _bias_gradient(delta: Any) -> Any:
    """eq. (14): ∂C/∂b^F_f = Σ_n Σ_{i,j} δ[n, f, i, j]: (N, F, Ho, Wo) -> (F,) (float16 summed in float32)."""
    return delta.sum(axis=(0, 2, 3)) if isinstance(delta, Tensor) else accumulate(delta, (0, 2, 3))


# ------------------------------------------------------------------------------------- the Functions
class Conv2d(Function):
    """conv2d as one graph node with inputs (x, weight, bias); bias may be None.

    Keyword arguments (already checked by :func:`conv2d`): the call's ``geometry`` and ``groups``.
    """

    differentiable_backward = True  # the three sums run on arrays and, as ops, on Tensors

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, *, geometry: Geometry, groups: int
    ) -> np.ndarray:
        ctx.geometry, ctx.groups, ctx.unbatched = geometry, groups, x.ndim == 3
        ctx.save_for_backward(x, weight)  # inputs: read-only engine memory, guarded for free
        ctx.cols = None
        x4 = x[np.newaxis] if x.ndim == 3 else x  # (C, H, W) -> (1, C, H, W)
        if x4.shape[0] == 0:  # an empty batch: (0, F, Ho, Wo), as PyTorch (the GEMM layout has no rows to reshape)
            z = np.zeros((0, weight.shape[0], *geometry.out_size), dtype=x.dtype)
            return z if bias is None else z + bias.reshape(1, -1, 1, 1)
        with np.errstate(invalid="ignore", over="ignore"):  # inf/NaN inputs give inf/NaN, silently as in PyTorch
            result = kernels.correlate(x4, weight, bias, geometry, groups, keep=ctx.needs_input_grad[1])
        ctx.cols = result.cols  # the windows of x for eq. (12) at first order, when small enough to keep
        return result.z[0] if ctx.unbatched else result.z

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any, Any]:
        x, weight = ctx.saved_tensors
        geometry, groups, unbatched = ctx.geometry, ctx.groups, ctx.unbatched
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        delta = grad.reshape((1, *grad.shape)) if unbatched else grad  # δ = ∂C/∂z: (N, F, Ho, Wo)
        if delta.shape[0] == 0:  # an empty batch: every gradient is a sum of nothing
            return np.zeros(x.shape, grad.dtype), np.zeros(weight.shape, grad.dtype), np.zeros(weight.shape[0],
                                                                                                grad.dtype)
        x = x.reshape((1, *x.shape)) if unbatched else x  # (N, C, H, W)
        # first order, columns kept: δ laid out like them once, for both products (a speed-up, not a rule)
        first_order = need_x and need_w and ctx.cols is not None and not isinstance(delta, Tensor)
        # (lent for the two products only: both return fresh arrays)
        with kernels.lent_delta_rows(delta, geometry) if first_order else nullcontext() as rows:
            dx = input_gradient(delta, weight, geometry, groups, rows) if need_x else None  # (N, C, H, W)
            dw = filter_gradient(delta, x, geometry, groups, weight.shape, ctx.cols, rows) if need_w else None  # (12)
        db = _bias_gradient(delta) if need_b else None  # eq. (14)
        return (dx[0] if unbatched and dx is not None else dx), dw, db


class ConvInputGrad(Function):
    """:func:`input_gradient` as an op (conv2d's backward under create_graph): inputs (δ, weight).

    Linear in each: its gradient with respect to δ is the correlation of the incoming g (shaped like x)
    with the weight, and with respect to the weight the filter gradient of δ over g (eq. (12) with g for x).
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, delta: np.ndarray, weight: np.ndarray, *, geometry: Geometry, groups: int) -> np.ndarray:
        ctx.save_for_backward(delta, weight)
        ctx.geometry, ctx.groups = geometry, groups
        return input_gradient(delta, weight, geometry, groups)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        delta, weight = ctx.saved_tensors
        geometry, groups = ctx.geometry, ctx.groups
        d_delta = correlation(grad, weight, geometry, groups) if ctx.needs_input_grad[0] else None
        d_weight = filter_gradient(delta, grad, geometry, groups, weight.shape) if ctx.needs_input_grad[1] else None
        return d_delta, d_weight


class ConvFilterGrad(Function):
    """:func:`filter_gradient` as an op (eq. (12) under create_graph): inputs (δ, x).

    Linear in each: its gradient with respect to δ is the correlation of x with the incoming G (shaped like
    the weight), and with respect to x the input gradient of δ through G.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, delta: np.ndarray, x: np.ndarray, *, geometry: Geometry, groups: int,
                shape: tuple[int, ...]) -> np.ndarray:
        ctx.save_for_backward(delta, x)
        ctx.geometry, ctx.groups = geometry, groups
        return filter_gradient(delta, x, geometry, groups, shape)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple[Any, Any]:
        delta, x = ctx.saved_tensors
        geometry, groups = ctx.geometry, ctx.groups
        d_delta = correlation(x, grad, geometry, groups) if ctx.needs_input_grad[0] else None
        d_x = input_gradient(delta, grad, geometry, groups) if ctx.needs_input_grad[1] else None
        return d_delta, d_x


# ------------------------------------------------------------------------------------ public function
def _resolve_padding(
    padding: Any, kernel: Pair, stride: Pair, dilation: Pair
) -> tuple[int, int, int, int]:
    """``padding`` as (top, bottom, left, right): an int, a pair, ``'valid'`` (none) or ``'same'``."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"conv2d: padding='same' needs stride 1, got stride={stride}")
            # total d·(k−1) per axis; the odd one extra goes to the bottom/right (as PyTorch does)
            total_h, total_w = dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)
            return (total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2)
        raise ValueError(f"conv2d: padding must be an int, a pair of ints, 'valid' or 'same', got {padding!r}")
    ph, pw = as_pair(padding, "padding", "conv2d", 0)
    return (ph, ph, pw, pw)


def conv2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Pair = 1,
    padding: int | Pair | str = 0,
    dilation: int | Pair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of ``x`` with ``weight`` (PyTorch's ``conv2d`` semantics, NCHW).

    Parameters
    ----------
    x : Tensor, (N, C_in, H, W) or (C_in, H, W) (a batch of one; the output is then 3-D too)
    weight : Tensor, (C_out, C_in / groups, kH, kW), same dtype as ``x``
    bias : Tensor (C_out,) or None
    stride, dilation : int or pair, at least 1
    padding : int or pair (zeros on both sides), ``'valid'`` (none) or ``'same'`` (stride 1 only;
        output as large as the input, the odd extra padding on the bottom/right)
    groups : int, dividing both C_in and C_out; filter f reads only the input channels of its group

    Returns
    -------
    Tensor (N, C_out, Ho, Wo) with ``Ho = ⌊(H + 2p − d(kH−1) − 1)/s⌋ + 1`` (and likewise Wo).
    Backward: eq. (12) for the weights, eq. (14) for the bias, the transposed correlation for x (module docstring).

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor(np.ones((2, 4, 5, 5)))
    >>> w = Tensor(np.ones((6, 2, 3, 3)))
    >>> conv2d(x, w, padding="same", groups=2).shape
    (2, 6, 5, 5)
    """
    check_input(x, "x", "conv2d", (3, 4))
    check_input(weight, "weight", "conv2d", (4,))
    if weight.dtype != x.dtype:
        raise TypeError(f"conv2d: weight has dtype {weight.dtype}, expected the dtype of x ({x.dtype})")
    groups = check_int(groups, "groups", "conv2d", minimum=1)
    c_in, (h, w) = x.shape[-3], x.shape[-2:]
    c_out, c_per_group, kh, kw = weight.shape
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"conv2d: groups={groups} must divide both the input channels ({c_in}) and the output channels "
            f"({c_out}, weight.shape[0])"
        )
    if c_per_group * groups != c_in:
        raise ValueError(
            f"conv2d: weight of shape {weight.shape} expects {c_per_group * groups} input channels "
            f"(weight.shape[1] × groups = {c_per_group} × {groups}), but x of shape {x.shape} has {c_in}"
        )
    if bias is not None:
        check_input(bias, "bias", "conv2d", (1,))
        if bias.shape != (c_out,):
            raise ValueError(f"conv2d: bias must have shape ({c_out},) (one per filter), got {bias.shape}")
        if bias.dtype != x.dtype:
            raise TypeError(f"conv2d: bias has dtype {bias.dtype}, expected the dtype of x ({x.dtype})")
    if min(kh, kw) < 1:
        raise ValueError(f"conv2d: weight must have a kernel of at least 1×1, got shape {weight.shape}")
    stride_hw = as_pair(stride, "stride", "conv2d", 1)
    dilation_hw = as_pair(dilation, "dilation", "conv2d", 1)
    pad = _resolve_padding(padding, (kh, kw), stride_hw, dilation_hw)
    geometry = Geometry.for_conv((h, w), (kh, kw), stride_hw, pad, dilation_hw)
    if min(geometry.out_size) < 1:
        raise ValueError(
            f"conv2d: the kernel {kh}×{kw} (dilation {dilation_hw}, so spanning "
            f"{dilation_hw[0] * (kh - 1) + 1}×{dilation_hw[1] * (kw - 1) + 1}) is larger than the padded "
            f"input {h + pad[0] + pad[1]}×{w + pad[2] + pad[3]} (input {h}×{w}, padding {padding!r}); "
            "expected a padded input at least as large as the kernel"
        )
    return Conv2d.apply(x, weight, bias, geometry=geometry, groups=groups)

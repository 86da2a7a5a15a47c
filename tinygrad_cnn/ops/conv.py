"""2-D convolution (cross-correlation, NCHW) whose backward rules are the document's δ equations.

The forward pass is eq. (1) generalised to batches, channels, stride s, zero padding, dilation d and
groups (filter f reads only the input channels of its group; kernel not flipped)::

    z[n, f, i, j] = Σ_c Σ_p Σ_q  w[f, c, p, q] · x[n, c, i·s + p·d, j·s + q·d]  +  b[f]

Given the output's δ = ∂C/∂z (shape of z), the backward pass is, in the document's terms:

- eq. (12), the filter weights: the correlation of the input windows with the δ map, summed over
  the batch and the output positions:
  ``∂C/∂w[f, c, p, q] = Σ_n Σ_{i,j} δ[n, f, i, j] · x[n, c, i·s + p·d, j·s + q·d]``;
- eq. (14), the filter bias: ``∂C/∂b[f] = Σ_n Σ_{i,j} δ[n, f, i, j]``;
- eq. (25), the "Σ δ·w" factor: every output δ is sent back through the filter weight to the pixel that
  produced it, ``∂C/∂x[n, c, h, v] = Σ δ[n, f, i, j] · w[f, c, p, q]`` over all (f, i, j, p, q) with
  h = i·s + p·d and v = j·s + q·d: summed where windows overlap, cropped where it lands in the padding,
  and 0 for pixels that no window read.

Both passes use the same "im2col" matrix of input windows (made once in forward and kept for
eq. (12)), so each is one batched matrix product plus, for the input gradient, a loop over the
kH·kW kernel offsets.

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

from typing import Any, Iterator

import numpy as np

from ..function import Context, Function
from ..tensor import Tensor

__all__ = ["conv2d", "conv2d_output_size"]

Pair = tuple[int, int]


# --------------------------------------------------------------------------------- argument checks
def as_pair(value: Any, name: str, func: str, minimum: int) -> Pair:
    """``value`` (an int or a pair of ints) as a pair ``(for H, for W)``, each at least ``minimum``.

    Raises TypeError for anything that is not an int or a pair of ints, ValueError below ``minimum``.

    >>> as_pair(3, "stride", "conv2d", 1), as_pair((1, 2), "stride", "conv2d", 1)
    ((3, 3), (1, 2))
    """
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
        raise TypeError(f"{func}: {name} must be an int or a pair of ints, got {value!r}")
    pair = (int(items[0]), int(items[1]))
    if min(pair) < minimum:
        raise ValueError(f"{func}: {name} must be at least {minimum}, got {value!r}")
    return pair


def check_input(x: Any, name: str, func: str, ndims: tuple[int, ...]) -> Tensor:
    """Check that ``x`` is a floating-point Tensor with one of the allowed numbers of axes."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{func}: {name} must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{func}: {name} must have a floating-point dtype (float32 or float64), got {x.dtype}")
    if x.ndim not in ndims:
        expected = " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"{func}: {name} must be {expected}, got shape {x.shape} ({x.ndim}-D)")
    return x


def conv2d_output_size(size: int, kernel: int, stride: int = 1, padding: int | Pair = 0, dilation: int = 1) -> int:
    """Output length along one axis: ``⌊(size + p_lo + p_hi − d·(k−1) − 1) / s⌋ + 1``.

    ``padding`` is the padding on each side, or a pair ``(before, after)``.

    >>> conv2d_output_size(28, 3), conv2d_output_size(7, 3, stride=2, padding=1), conv2d_output_size(5, 3, dilation=2)
    (26, 4, 1)
    """
    before, after = (padding, padding) if isinstance(padding, (int, np.integer)) else padding
    return (size + before + after - dilation * (kernel - 1) - 1) // stride + 1


# ------------------------------------------------------------------- window views, shared with pool.py
def window_view(x_pad: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out_size: Pair) -> np.ndarray:
    """Every (dilated) window of a padded NCHW array, as a read-only strided view (no copy).

    ``x_pad`` (N, C, Hp, Wp) -> (N, C, kH, kW, Ho, Wo) with
    ``view[n, c, p, q, i, j] = x_pad[n, c, i·sH + p·dH, j·sW + q·dW]``.
    """
    sn, sc, sh, sw = x_pad.strides
    shape = (*x_pad.shape[:2], *kernel, *out_size)
    strides = (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1])
    return np.lib.stride_tricks.as_strided(x_pad, shape, strides, writeable=False)


def kernel_offsets(kernel: Pair, stride: Pair, dilation: Pair, out_size: Pair) -> Iterator[tuple[int, Any]]:
    """For each kernel offset (p, q) in row-major order: its flat index p·kW + q and the index
    ``(..., rows, cols)`` that selects, in a padded (N, C, Hp, Wp) array, the unit at that offset of every window.

    ``x_pad[index]`` has shape (N, C, Ho, Wo): ``x_pad[index][n, c, i, j] = x_pad[n, c, i·sH + p·dH, j·sW + q·dW]``.
    """
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_size
    for p in range(kh):
        rows = slice(p * dh, p * dh + sh * (ho - 1) + 1, sh)
        for q in range(kw):
            cols = slice(q * dw, q * dw + sw * (wo - 1) + 1, sw)
            yield p * kw + q, (Ellipsis, rows, cols)


def pad2d(x: np.ndarray, top: int, bottom: int, left: int, right: int, value: float = 0.0) -> np.ndarray:
    """``x`` (N, C, H, W) padded with ``value`` -> (N, C, top + H + bottom, left + W + right); no copy if no padding."""
    if top == bottom == left == right == 0:
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, top + h + bottom, left + w + right), value, dtype=x.dtype)
    out[:, :, top : top + h, left : left + w] = x
    return out


# ------------------------------------------------------------------------------------- the Function
class Conv2d(Function):
    """conv2d as one graph node with inputs (x, weight, bias); bias may be None.

    Keyword arguments (already checked by :func:`conv2d`): ``stride`` and ``dilation`` pairs,
    ``padding`` as (top, bottom, left, right), ``groups``.
    """

    @staticmethod
    def forward(
        ctx: Context,
        x: np.ndarray,
        weight: np.ndarray,
        bias: np.ndarray | None,
        *,
        stride: Pair,
        padding: tuple[int, int, int, int],
        dilation: Pair,
        groups: int,
    ) -> np.ndarray:
        unbatched = x.ndim == 3
        if unbatched:
            x = x[np.newaxis]  # (C, H, W) -> (1, C, H, W)
        n, c, h, w = x.shape
        f, cg, kh, kw = weight.shape
        top, bottom, left, right = padding
        out_size = (
            conv2d_output_size(h, kh, stride[0], (top, bottom), dilation[0]),
            conv2d_output_size(w, kw, stride[1], (left, right), dilation[1]),
        )
        x_pad = pad2d(x, top, bottom, left, right)  # (N, C, Hp, Wp), zeros around
        windows = window_view(x_pad, (kh, kw), stride, dilation, out_size)  # (N, C, kH, kW, Ho, Wo)
        # im2col: one column of K = Cg·kH·kW window values per output position, per group
        cols = windows.reshape(n, groups, cg * kh * kw, out_size[0] * out_size[1])  # copy: (N, G, K, L)
        if np.may_share_memory(cols, x):  # 1×1 kernel, stride 1: the reshape was a view; keep a private copy
            cols = cols.copy()
        w_mat = weight.reshape(groups, f // groups, cg * kh * kw)  # (G, Fg, K)
        z = np.matmul(w_mat, cols)  # eq. (1): (G, Fg, K) @ (N, G, K, L) -> (N, G, Fg, L)
        z = z.reshape(n, f, *out_size)  # (N, F, Ho, Wo)
        if bias is not None:
            z += bias.reshape(1, f, 1, 1)  # + b^F_k
        ctx.save_for_backward(weight)
        # `cols` is a fresh array owned by this node (not an input or output): kept as an attribute,
        # it skips the in-place-change fingerprint that a view of the user's data would need.
        ctx.cols = cols if ctx.needs_input_grad[1] else None
        ctx.geometry = (x_pad.shape, (h, w), (top, left), stride, dilation, out_size, groups, unbatched)
        return z[0] if unbatched else z

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        (weight,) = ctx.saved_tensors
        padded_shape, (h, w), (top, left), stride, dilation, out_size, groups, unbatched = ctx.geometry
        delta = grad[np.newaxis] if unbatched else grad  # δ = ∂C/∂z: (N, F, Ho, Wo)
        n, f = delta.shape[:2]
        f_g, cg, kh, kw = f // groups, *weight.shape[1:]
        delta_mat = delta.reshape(n, groups, f_g, out_size[0] * out_size[1])  # (N, G, Fg, L)
        dx = dw = db = None
        if ctx.needs_input_grad[0]:
            dx = _input_gradient(
                delta_mat, weight, padded_shape, (h, w), (top, left), stride, dilation, out_size, groups
            )
            dx = dx[0] if unbatched else dx
        if ctx.needs_input_grad[1]:
            # eq. (12): ∂C/∂w^F_k[p,q] = Σ_n Σ_{i,j} δ[n,k,i,j] · x[n, ·, i·s+p·d, j·s+q·d] (the columns)
            per_image = np.matmul(delta_mat, np.swapaxes(ctx.cols, -1, -2))  # (N,G,Fg,L) @ (N,G,L,K) -> (N,G,Fg,K)
            dw = per_image.sum(axis=0).reshape(f, cg, kh, kw)  # Σ over the batch -> (F, Cg, kH, kW)
        if ctx.needs_input_grad[2]:
            db = delta.sum(axis=(0, 2, 3))  # eq. (14): ∂C/∂b^F_k = Σ_n Σ_{i,j} δ[n,k,i,j] -> (F,)
        return dx, dw, db


def _input_gradient(
    delta_mat: np.ndarray,
    weight: np.ndarray,
    padded_shape: tuple[int, ...],
    size: Pair,
    start: Pair,
    stride: Pair,
    dilation: Pair,
    out_size: Pair,
    groups: int,
) -> np.ndarray:
    """eq. (25)'s "Σ δ·w" factor: ∂C/∂x, each δ sent back through the weights to the pixels it read.

    ``delta_mat`` (N, G, Fg, L) -> (N, C, H, W). For each kernel offset (p, q), one batched matrix
    product gives δ·w[:, :, p, q] for every window, and it is added onto the pixels that offset of the
    windows read (summing where windows overlap). No (N, C, kH, kW, Ho, Wo) array is ever made.

    With stride 1, δ is first widened from Wo to Wp columns with zeros: then the pixels read at offset
    (p, q) are one contiguous run of Ho·Wp elements of the flattened padded plane, starting at
    p·dH·Wp + q·dW (the extra columns carry zeros onto the next row's start, or into a spare tail),
    and every addition is one long contiguous one.
    """
    n, c, hp, wp = padded_shape
    f, cg, kh, kw = weight.shape
    (ho, wo), (dh, dw) = out_size, dilation
    f_g = f // groups
    w_offsets = weight.reshape(groups, f_g, cg, kh, kw).transpose(0, 2, 3, 4, 1)  # (G, Cg, kH, kW, Fg)
    if stride == (1, 1):
        wide = np.zeros((n, groups, f_g, ho, wp), dtype=delta_mat.dtype)  # (N, G, Fg, Ho, Wp)
        wide[..., :wo] = delta_mat.reshape(n, groups, f_g, ho, wo)
        delta_mat = wide.reshape(n, groups, f_g, ho * wp)
        dx_flat = np.zeros((n, groups, cg, hp * wp + dw * (kw - 1)), dtype=delta_mat.dtype)  # planes + tail
        targets = (dx_flat[..., p * dh * wp + q * dw :][..., : ho * wp] for p in range(kh) for q in range(kw))
        dx_pad = dx_flat[..., : hp * wp].reshape(n, c, hp, wp)  # (N, C, Hp, Wp), a view
    else:
        dx_pad = np.zeros(padded_shape, dtype=delta_mat.dtype)  # (N, C, Hp, Wp); pixels no window read stay 0
        by_group = dx_pad.reshape(n, groups, cg, hp, wp)
        targets = (by_group[index] for _, index in kernel_offsets((kh, kw), stride, dilation, out_size))
    through_weights = np.empty((n, groups, cg, delta_mat.shape[-1]), dtype=delta_mat.dtype)
    for k, target in enumerate(targets):  # (N, G, Cg, ·): the pixels read at offset k = p·kW + q
        # δ·w for window element (p, q): (G, Cg, Fg) @ (N, G, Fg, L) -> (N, G, Cg, L)
        np.matmul(w_offsets[:, :, k // kw, k % kw], delta_mat, out=through_weights)
        target += through_weights.reshape(target.shape)  # overlapping windows sum
    top, left = start
    return dx_pad[:, :, top : top + size[0], left : left + size[1]]  # crop the padding -> (N, C, H, W)


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
    The backward pass follows eqs. (12), (14) and (25) of the document (see the module docstring).

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
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"conv2d: groups must be an int, got {groups!r}")
    if groups < 1:
        raise ValueError(f"conv2d: groups must be at least 1, got {groups}")
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
    out_h = conv2d_output_size(h, kh, stride_hw[0], pad[:2], dilation_hw[0])
    out_w = conv2d_output_size(w, kw, stride_hw[1], pad[2:], dilation_hw[1])
    if out_h < 1 or out_w < 1:
        raise ValueError(
            f"conv2d: the kernel {kh}×{kw} (dilation {dilation_hw}, so spanning "
            f"{dilation_hw[0] * (kh - 1) + 1}×{dilation_hw[1] * (kw - 1) + 1}) is larger than the padded "
            f"input {h + pad[0] + pad[1]}×{w + pad[2] + pad[3]} (input {h}×{w}, padding {padding!r}); "
            "expected a padded input at least as large as the kernel"
        )
    return Conv2d.apply(x, weight, bias, stride=stride_hw, padding=pad, dilation=dilation_hw, groups=groups)

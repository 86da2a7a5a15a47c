"""Plain-loop reference implementations of conv2d and pooling, written straight from the document.

Every output unit is computed by its own loop over its window, reading the input through a bounds
check (outside the input is padding): no strided views, no im2col, nothing shared with
``tinygrad_cnn.ops``. Slow on purpose and only for small arrays in tests. Indices are 0-based.

- ``conv2d_reference``: eq. (1) ``z_k[i,j] = Σ_{p,q} w_k[p,q] · x[i+p, j+q] + b_k``, generalised to a
  batch, channels, stride, padding, dilation and groups;
- ``conv2d_backward_reference``: eqs. (12), (14) and the "Σ δ·w" factor of eq. (25), as loops;
- ``max_pool2d_reference`` (eq. (2)), ``avg_pool2d_reference``, ``lp_pool2d_reference``, with PyTorch's
  output sizes (``ceil_mode``) and average divisor;
- ``max_pool2d_backward_reference``: eq. (23) with the tie rule (first maximum in row-major order).
"""

from __future__ import annotations

import math

import numpy as np


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _batch(x: np.ndarray) -> np.ndarray:
    return x[np.newaxis] if x.ndim == 3 else x


def _conv_padding(padding, kernel, dilation):
    """(top, bottom, left, right); 'same' splits d·(k−1) with the odd one on the bottom/right."""
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        th, tw = dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)
        return th // 2, th - th // 2, tw // 2, tw - tw // 2
    ph, pw = _pair(padding)
    return ph, ph, pw, pw


def _read(x: np.ndarray, n: int, c: int, h: int, w: int, fill: float) -> float:
    """x[n, c, h, w], or ``fill`` where (h, w) is outside the input (in the padding)."""
    if 0 <= h < x.shape[2] and 0 <= w < x.shape[3]:
        return x[n, c, h, w]
    return fill


# ------------------------------------------------------------------------------------------- conv2d
def conv2d_reference(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """eq. (1) with loops:

    z[n, f, i, j] = Σ_c Σ_p Σ_q w[f, c, p, q] · x[n, g(f)·Cg + c, i·s + p·d − top, j·s + q·d − left] + b[f],
    where x is read as 0 outside the input and g(f) is the group of filter f."""
    unbatched = x.ndim == 3
    x = _batch(x)
    stride, dilation = _pair(stride), _pair(dilation)
    n_batch, _c_in, h, w = x.shape
    c_out, c_group, kh, kw = weight.shape
    top, bottom, left, right = _conv_padding(padding, (kh, kw), dilation)
    ho = (h + top + bottom - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (w + left + right - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    f_group = c_out // groups
    z = np.zeros((n_batch, c_out, ho, wo), dtype=np.result_type(x, weight))
    for n in range(n_batch):
        for f in range(c_out):
            first_channel = (f // f_group) * c_group  # filter f reads the channels of its group only
            for i in range(ho):
                for j in range(wo):
                    total = 0.0 if bias is None else bias[f]
                    for c in range(c_group):
                        for p in range(kh):
                            for q in range(kw):
                                row = i * stride[0] + p * dilation[0] - top
                                col = j * stride[1] + q * dilation[1] - left
                                total += weight[f, c, p, q] * _read(x, n, first_channel + c, row, col, 0.0)
                    z[n, f, i, j] = total
    return z[0] if unbatched else z


def conv2d_backward_reference(x, weight, delta, stride=1, padding=0, dilation=1, groups=1):
    """(∂C/∂x, ∂C/∂w, ∂C/∂b) for δ = ∂C/∂z, by loops over every (n, f, i, j, c, p, q) term of eq. (1).

    Each term w[f,c,p,q]·x[n,·,row,col] of z[n,f,i,j] contributes δ[n,f,i,j]·x to ∂C/∂w (eq. (12)) and
    δ[n,f,i,j]·w to ∂C/∂x (eq. (25)'s "Σ δ·w"), unless (row, col) is padding; b[f] gets δ (eq. (14)).
    """
    unbatched = x.ndim == 3
    x, delta = _batch(x), _batch(delta)
    stride, dilation = _pair(stride), _pair(dilation)
    n_batch, _c_in, h, w = x.shape
    c_out, c_group, kh, kw = weight.shape
    top, _, left, _ = _conv_padding(padding, (kh, kw), dilation)
    f_group = c_out // groups
    dx, dw, db = np.zeros_like(x), np.zeros_like(weight), np.zeros(c_out, dtype=weight.dtype)
    for n in range(n_batch):
        for f in range(c_out):
            first_channel = (f // f_group) * c_group
            for i in range(delta.shape[2]):
                for j in range(delta.shape[3]):
                    d = delta[n, f, i, j]
                    db[f] += d  # eq. (14)
                    for c in range(c_group):
                        for p in range(kh):
                            for q in range(kw):
                                row = i * stride[0] + p * dilation[0] - top
                                col = j * stride[1] + q * dilation[1] - left
                                if 0 <= row < h and 0 <= col < w:
                                    dw[f, c, p, q] += d * x[n, first_channel + c, row, col]  # eq. (12)
                                    dx[n, first_channel + c, row, col] += d * weight[f, c, p, q]  # eq. (25)
    return (dx[0] if unbatched else dx), dw, db


# ------------------------------------------------------------------------------------------ pooling
def pooled_length(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's output length, counted window by window from its rule (not its closed formula).

    Window i covers padded indices i·s … i·s + d(k−1) of the padded input (0 … size + 2p − 1). Floor mode: every
    window that fits. Ceil mode: window 0, then one more as long as the previous one left the end of the padded
    input uncovered, but only windows that start inside the input or the left padding (i·s < size + p).
    """
    last = size + 2 * padding - 1  # the last padded index
    span = dilation * (kernel - 1)
    count = 0
    while True:
        start = count * stride
        if ceil_mode:
            fits = start + span <= last if count == 0 else (start - stride + span < last and start < size + padding)
        else:
            fits = start + span <= last
        if not fits:
            return count
        count += 1


def _window(i, j, kernel, stride, padding, dilation):
    """The (row, col) input coordinates of window (i, j), row-major; some may be outside the input."""
    return [
        (i * stride[0] - padding[0] + p * dilation[0], j * stride[1] - padding[1] + q * dilation[1])
        for p in range(kernel[0])
        for q in range(kernel[1])
    ]


def _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _pair(kernel_size)
    stride = kernel if stride is None else _pair(stride)
    padding, dilation = _pair(padding), _pair(dilation)
    ho = pooled_length(x.shape[2], kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    wo = pooled_length(x.shape[3], kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    return kernel, stride, padding, dilation, ho, wo


def max_pool2d_reference(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """eq. (2): the maximum of each window (padding is −∞), and the flat index h·W + w of its first maximum."""
    unbatched = x.ndim == 3
    x = _batch(x)
    kernel, stride, padding, dilation, ho, wo = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    n_batch, channels, _h, w = x.shape
    z = np.zeros((n_batch, channels, ho, wo), dtype=x.dtype)
    where = np.zeros((n_batch, channels, ho, wo), dtype=np.int64)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(ho):
                for j in range(wo):
                    best, best_at = -math.inf, None
                    for row, col in _window(i, j, kernel, stride, padding, dilation):
                        value = _read(x, n, c, row, col, -math.inf)
                        if best_at is None or value > best:  # strictly greater: the first maximum stays
                            best, best_at = value, (row, col)
                    z[n, c, i, j] = best
                    where[n, c, i, j] = best_at[0] * w + best_at[1]
    return (z[0], where[0]) if unbatched else (z, where)


def max_pool2d_backward_reference(x, delta, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """eq. (23) with the tie rule: each window's δ goes to its first maximum (row-major); sums over windows."""
    unbatched = x.ndim == 3
    x, delta = _batch(x), _batch(delta)
    _, where = max_pool2d_reference(x, kernel_size, stride, padding, dilation, ceil_mode)
    dx = np.zeros_like(x)
    w = x.shape[3]
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(delta.shape[2]):
                for j in range(delta.shape[3]):
                    dx[n, c, where[n, c, i, j] // w, where[n, c, i, j] % w] += delta[n, c, i, j]
    return dx[0] if unbatched else dx


def avg_pool2d_reference(
    x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """The mean of each window: the sum of its input units over |B|, where |B| counts (as PyTorch) either the
    window's extent clipped to the end of the padding (``count_include_pad``) or the input units it covers;
    ``divisor_override`` replaces |B| for every window."""
    unbatched = x.ndim == 3
    x = _batch(x)
    kernel, stride, padding, _, ho, wo = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode)
    n_batch, channels, h, w = x.shape
    z = np.zeros((n_batch, channels, ho, wo), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(ho):
                for j in range(wo):
                    cells = _window(i, j, kernel, stride, padding, (1, 1))
                    inside = [(r, q) for r, q in cells if 0 <= r < h and 0 <= q < w]
                    in_padded = [
                        (r, q)
                        for r, q in cells
                        if -padding[0] <= r < h + padding[0] and -padding[1] <= q < w + padding[1]
                    ]
                    size = len(in_padded) if count_include_pad else len(inside)
                    size = size if divisor_override is None else divisor_override
                    z[n, c, i, j] = sum(x[n, c, r, q] for r, q in inside) / size
    return z[0] if unbatched else z


def lp_pool2d_reference(x, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(Σ_B a^p)^(1/p) over the input units of each window (the issue's formula; no padding)."""
    unbatched = x.ndim == 3
    x = _batch(x)
    kernel, stride, _, _, ho, wo = _pool_geometry(x, kernel_size, stride, 0, 1, ceil_mode)
    n_batch, channels, h, w = x.shape
    z = np.zeros((n_batch, channels, ho, wo), dtype=x.dtype)
    for n in range(n_batch):
        for c in range(channels):
            for i in range(ho):
                for j in range(wo):
                    cells = [(r, q) for r, q in _window(i, j, kernel, stride, (0, 0), (1, 1)) if r < h and q < w]
                    z[n, c, i, j] = sum(x[n, c, r, q] ** norm_type for r, q in cells) ** (1.0 / norm_type)
    return z[0] if unbatched else z

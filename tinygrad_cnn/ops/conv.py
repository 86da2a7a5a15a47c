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

Implementation: one "im2col" matrix of windows, K = C·kH·kW rows by one column per output position of the
whole batch, so each of the three products (forward, eq. (12), the input gradient) is one large matrix
product (one per group). With stride 1 the columns are "wide" rows of Wp positions (the padded width, the
Wp − Wo extra ones ignored), which makes every copy into and out of the matrix one long contiguous run.
The matrix is kept from forward to backward when it is small; a large batch is done in chunks, the
columns rebuilt in backward, so that memory stays a small multiple of the input and output.

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

from typing import Any, NamedTuple

import numpy as np

from .._checks import check_int
from ..function import Context, Function
from ..tensor import Tensor
from .promotion import accumulate
from .window import Geometry, Pair, as_pair, check_input, output_size

__all__ = ["conv2d", "conv2d_output_size"]

CACHE_BYTES = 64 * 2**20  # the whole batch's im2col matrix is kept for backward up to this size...
CHUNK_BYTES = 8 * 2**20  # ...else it is built for chunks of the batch of at most this size, in forward and backward
SCATTER_BYTES = 2 * 2**20  # the input gradient's columns are made and scattered this much at a time


def conv2d_output_size(size: int, kernel: int, stride: int = 1, padding: int | Pair = 0, dilation: int = 1) -> int:
    """Output length along one axis: ``⌊(size + p_lo + p_hi − d·(k−1) − 1) / s⌋ + 1``.

    ``padding`` is the padding on each side, or a pair ``(before, after)``.

    >>> conv2d_output_size(28, 3), conv2d_output_size(7, 3, stride=2, padding=1), conv2d_output_size(5, 3, dilation=2)
    (26, 4, 1)
    """
    return output_size(size, kernel, stride, padding, dilation)


# ----------------------------------------------------------------------------------- im2col / col2im
def _row_width(geometry: Geometry, wide: bool) -> int:
    """Columns per output row in the im2col matrix: Wp ("wide", stride 1) or Wo."""
    return geometry.padded_size[1] if wide else geometry.out_size[1]


def _tail(geometry: Geometry, wide: bool) -> int:
    """Elements a wide row at the last kernel offset reads past the end of its padded plane."""
    return geometry.dilation[1] * (geometry.kernel[1] - 1) if wide else 0


def _padded_input(x: np.ndarray, geometry: Geometry, wide: bool) -> np.ndarray:
    """x (N, C, H, W) -> (N, C, Hp, Wp) zero-padded; for ``wide``, a view of a buffer with a zero tail after it."""
    if not wide:
        return geometry.pad(x, 0.0)
    n, c, h, w = x.shape
    (hp, wp), (top, left) = geometry.padded_size, geometry.before
    buffer = np.zeros(n * c * hp * wp + _tail(geometry, wide), dtype=x.dtype)  # (N·C·Hp·Wp + tail,)
    x_pad = buffer[: n * c * hp * wp].reshape(n, c, hp, wp)
    x_pad[:, :, top : top + h, left : left + w] = x
    return x_pad


def _im2col(x_pad: np.ndarray, geometry: Geometry, wide: bool, out: np.ndarray) -> np.ndarray:
    """The windows of x_pad (m, C, Hp, Wp) as the columns of ``out`` (K, m·Ho·Wr), K = C·kH·kW in (c, p, q) order.

    ``out[(c, p, q), (n, i, j)] = x_pad[n, c, i·sH + p·dH, j·sW + q·dW]``; with ``wide`` (stride 1), j runs
    over the padded width Wp and the last Wp − Wo columns of each row hold whatever follows (ignored).
    """
    m, c, _, wp = x_pad.shape
    (kh, kw), (dh, dw), (ho, _) = geometry.kernel, geometry.dilation, geometry.out_size
    if wide:  # each (c, p, q, n) is one contiguous run of Ho·Wp elements of the flattened padded plane
        # (no writeable=False: with numpy 2.4, setting that flag on an as_strided view made tracemalloc's count grow
        # over thousands of calls, failing the flat-memory test; the view is only the source of the copy below)
        e, (sn, sc) = x_pad.itemsize, x_pad.strides[:2]
        view = np.lib.stride_tricks.as_strided(
            x_pad, (c, kh, kw, m, ho * wp), (sc, dh * wp * e, dw * e, sn, e)
        )  # (C, kH, kW, m, Ho·Wp)
    else:
        view = geometry.window_view(x_pad)  # (C, kH, kW, m, Ho, Wo)
    np.copyto(out.reshape(view.shape), view)
    return out


def _col2im_targets(geometry: Geometry, wide: bool, dx_pad: np.ndarray) -> list[np.ndarray]:
    """Per kernel offset (p, q): a writeable view (C, N, ·) of the pixels of dx_pad (N, C, Hp, Wp) that the
    columns of that offset were read from, laid out like those columns (Ho·Wp per image if ``wide``, else (Ho, Wo))."""
    n, c, _, wp = dx_pad.shape
    kw, (dh, dw), ho = geometry.kernel[1], geometry.dilation, geometry.out_size[0]
    e, (sn, sc) = dx_pad.itemsize, dx_pad.strides[:2]
    targets = []
    for k, index in geometry.offsets():
        if wide:  # the run of Ho·Wp elements starting at p·dH·Wp + q·dW of each plane (may spill into the tail)
            start = dx_pad[0, 0, (k // kw) * dh, (k % kw) * dw :]  # a view whose data begins at that element
            targets.append(np.lib.stride_tricks.as_strided(start, (c, n, ho * wp), (sc, sn, e)))  # (C, N, Ho·Wp)
        else:
            targets.append(dx_pad.transpose(1, 0, 2, 3)[index])  # (C, N, Ho, Wo)
    return targets


# ------------------------------------------------------------------------------------- the Function
def _chunks(n: int, per_image: int, keep_all: bool, limit: int | None = None) -> list[tuple[int, int]]:
    """Batch ranges [n0, n1) whose im2col matrices (``per_image`` bytes each, at most ``limit`` in all,
    ``CHUNK_BYTES`` by default) are built at once."""
    if keep_all:
        return [(0, n)]
    step = max(1, (CHUNK_BYTES if limit is None else limit) // max(per_image, 1))
    return [(n0, min(n, n0 + step)) for n0 in range(0, n, step)]


def _delta_rows(delta: np.ndarray, geometry: Geometry) -> np.ndarray:
    """δ (N, F, Ho, Wo) laid out like the columns: (F, N, Ho, Wr), the ignored wide columns 0."""
    (n, f), (ho, wo), wide = delta.shape[:2], geometry.out_size, geometry.stride == (1, 1)
    wr = _row_width(geometry, wide)
    rows = (np.zeros if wr > wo else np.empty)((f, n, ho, wr), dtype=delta.dtype)
    rows[..., :wo] = delta.transpose(1, 0, 2, 3)
    return rows


def _zero_ignored_columns(matrix: np.ndarray, geometry: Geometry, wide: bool) -> None:
    """Set the Wp − Wo ignored columns of each wide row to 0 (only needed when inf/NaN values could reach them)."""
    if wide and geometry.padded_size[1] > geometry.out_size[1]:
        rows = matrix.shape[0]
        matrix.reshape(rows, -1, geometry.out_size[0], geometry.padded_size[1])[..., geometry.out_size[1] :] = 0


class _Correlation(NamedTuple):
    """What :func:`_correlate` made: the output and what eq. (12) may need again."""

    z: np.ndarray  # (N, F, Ho, Wo)
    cols: np.ndarray | None  # the whole batch's im2col matrix (K, N·Ho·Wr), when small enough to keep
    clean: bool  # whether ignored wide columns must be zeroed (x holds inf/NaN)


def _correlate(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, geometry: Geometry, groups: int, keep: bool
) -> _Correlation:
    """eq. (1) for a batch: x (N, C, H, W), weight (F, C/G, kH, kW) -> z (N, F, Ho, Wo), one GEMM per group.

    With ``keep``, the im2col matrix is returned too if it is small (``CACHE_BYTES``); else the batch is done
    in chunks (padded chunk by chunk), and eq. (12) rebuilds the columns from x.
    """
    n, f = x.shape[0], weight.shape[0]
    (ho, wo), wide = geometry.out_size, geometry.stride == (1, 1)
    wr = _row_width(geometry, wide)
    k_rows = weight[0].size * groups  # K = C·kH·kW
    per_image = k_rows * ho * wr * x.itemsize  # bytes of one image's columns
    keep_all = n * per_image <= CACHE_BYTES
    clean = wide and not _finite(x)  # an inf/NaN of x in an ignored wide column would meet δ = 0 in eq. (12)
    w_mat = weight.reshape(groups, f // groups, -1)  # (G, Fg, Kg)
    z = np.empty((n, f, ho, wo), dtype=x.dtype)  # (N, F, Ho, Wo), every element written below
    buffer = cols = z_cols = None
    for n0, n1 in _chunks(n, per_image, keep_all):
        m = n1 - n0
        if buffer is None or buffer.shape[1] != m * ho * wr:
            buffer = np.empty((k_rows, m * ho * wr), dtype=x.dtype)
            z_cols = np.empty((groups, f // groups, m * ho * wr), dtype=x.dtype)
        cols = _im2col(_padded_input(x[n0:n1], geometry, wide), geometry, wide, out=buffer)  # (K, m·Ho·Wr)
        if clean:
            _zero_ignored_columns(cols, geometry, wide)
        # eq. (1): z = w · windows, one large product per group: (G, Fg, Kg) @ (G, Kg, M) -> (G, Fg, M)
        np.matmul(w_mat, cols.reshape(groups, -1, m * ho * wr), out=z_cols)
        z_nchw = z_cols.reshape(f, m, ho, wr)[..., :wo].transpose(1, 0, 2, 3)  # (m, F, Ho, Wo), a view
        if bias is None:
            np.copyto(z[n0:n1], z_nchw)
        else:
            np.add(z_nchw, bias.reshape(1, f, 1, 1), out=z[n0:n1])  # + b^F_k, written in NCHW order
    return _Correlation(z, cols if keep and keep_all else None, clean)


def _transposed_correlation(delta: np.ndarray, weight: np.ndarray, geometry: Geometry, groups: int) -> np.ndarray:
    """∂C/∂x for stride 1 as a correlation: δ (N, F, Ho, Wo) padded by d·(k−1) less x's padding, with the
    kernel flipped and its two channel axes swapped, gives (N, C, H, W) (None if x's padding exceeds d·(k−1)).

    ``∂C/∂x[n, c, h, v] = Σ_{f, p, q} δ[n, f, h + top − p·dH, v + left − q·dW] · w[f, c, p, q]``; with
    p' = kH − 1 − p this is a correlation of the padded δ with ``w[f, c, kH − 1 − p', kW − 1 − q']``.
    """
    (kh, kw), (dh, dw) = geometry.kernel, geometry.dilation
    (top, left), (bottom, right) = geometry.before, geometry.after
    pads = ((kh - 1) * dh - top, (kh - 1) * dh - bottom, (kw - 1) * dw - left, (kw - 1) * dw - right)
    if min(pads) < 0:
        return None
    f, cg = weight.shape[:2]
    flipped = weight.reshape(groups, f // groups, cg, kh, kw)[..., ::-1, ::-1].transpose(0, 2, 1, 3, 4)
    flipped = np.ascontiguousarray(flipped).reshape(groups * cg, f // groups, kh, kw)  # (C, F/G, kH, kW)
    back = Geometry.for_conv(delta.shape[2:], (kh, kw), (1, 1), pads, (dh, dw))  # out_size == (H, W)
    return _correlate(delta, flipped, None, back, groups, keep=False).z


class Conv2d(Function):
    """conv2d as one graph node with inputs (x, weight, bias); bias may be None.

    Keyword arguments (already checked by :func:`conv2d`): the call's ``geometry`` and ``groups``.
    """

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, *, geometry: Geometry, groups: int
    ) -> np.ndarray:
        unbatched = x.ndim == 3
        if unbatched:
            x = x[np.newaxis]  # (C, H, W) -> (1, C, H, W)
        ctx.geometry, ctx.groups, ctx.unbatched = geometry, groups, unbatched
        if x.shape[0] == 0:  # an empty batch: (0, F, Ho, Wo), as PyTorch (the GEMM layout has no rows to reshape)
            ctx.empty = (x.shape, weight.shape)
            z = np.zeros((0, weight.shape[0], *geometry.out_size), dtype=x.dtype)
            return z if bias is None else z + bias.reshape(1, -1, 1, 1)
        with np.errstate(invalid="ignore", over="ignore"):  # inf/NaN inputs give inf/NaN, silently as in PyTorch
            result = _correlate(x, weight, bias, geometry, groups, keep=ctx.needs_input_grad[1])
        if ctx.needs_input_grad[1] and result.cols is None:  # eq. (12) will rebuild the columns from x
            ctx.save_for_backward(weight, x)
        else:  # the kept columns are a fresh array of this node's own: no fingerprint needed
            ctx.save_for_backward(weight)
        ctx.cols, ctx.clean = result.cols, result.clean
        return result.z[0] if unbatched else result.z

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        if getattr(ctx, "empty", None):  # an empty batch: every gradient is a sum of nothing
            x_shape, w_shape = ctx.empty
            return np.zeros(x_shape, grad.dtype), np.zeros(w_shape, grad.dtype), np.zeros(w_shape[0], grad.dtype)
        weight, *x = ctx.saved_tensors  # x only if the columns were not kept
        geometry, groups = ctx.geometry, ctx.groups
        delta = grad[np.newaxis] if ctx.unbatched else grad  # δ = ∂C/∂z: (N, F, Ho, Wo)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = dw = db = None
        with np.errstate(invalid="ignore", over="ignore"):  # inf/NaN in, inf/NaN out, silently as in PyTorch
            # δ laid out like the columns (F, N, Ho, Wr), shared by both products (per chunk for a large batch)
            rows = _delta_rows(delta, geometry) if need_w and ctx.cols is not None else None
            if need_x:  # only then: the book's network never needs it (its conv layer reads the image)
                dx = _input_gradient(delta, weight, geometry, groups, rows)  # (N, C, H, W)
                dx = dx[0] if ctx.unbatched else dx
            if need_w:
                dw = _filter_gradient(
                    delta, rows, ctx.cols, x[0] if x else None, ctx.clean, weight.shape, geometry, groups
                )
            if need_b:
                db = accumulate(delta, (0, 2, 3))  # eq. (14): ∂C/∂b^F_k = Σ_n Σ_{i,j} δ[n,k,i,j] -> (F,)
        return dx, dw, db


def _filter_gradient(
    delta: np.ndarray, rows: np.ndarray | None, cols: np.ndarray | None, x: np.ndarray | None, clean: bool,
    shape: tuple[int, ...], geometry: Geometry, groups: int,
) -> np.ndarray:
    """eq. (12): ∂C/∂w^F_k[p,q] = Σ_n Σ_{i,j} δ[n,k,i,j] · x[n, ·, i·s+p·d, j·s+q·d], i.e. δ times the columns.

    δ (N, F, Ho, Wo) -> (F, C/G, kH, kW). ``rows`` is δ laid out like the columns (:func:`_delta_rows`) or
    None (made per chunk); ``cols`` is the kept im2col matrix, or None to rebuild it from ``x`` in chunks.
    """
    n, f = delta.shape[:2]
    wide = geometry.stride == (1, 1)
    per_image = geometry.out_size[0] * _row_width(geometry, wide)  # columns per image
    k_rows = shape[1] * shape[2] * shape[3] * groups
    dw = buffer = None
    for n0, n1 in _chunks(n, k_rows * per_image * delta.itemsize, cols is not None):
        m = n1 - n0
        chunk = cols
        if chunk is None:  # the chunk's columns, rebuilt (kept columns are never overwritten: a retained
            if buffer is None or buffer.shape[1] != m * per_image:  # graph reads them again)
                buffer = np.empty((k_rows, m * per_image), dtype=delta.dtype)
            chunk = _im2col(_padded_input(x[n0:n1], geometry, wide), geometry, wide, out=buffer)
            if clean:
                _zero_ignored_columns(chunk, geometry, True)
        delta_rows = rows[:, n0:n1] if rows is not None else _delta_rows(delta[n0:n1], geometry)  # (F, m, Ho, Wr)
        delta_mat = delta_rows.reshape(groups, f // groups, m * per_image)  # (G, Fg, M)
        # (G, Fg, M) @ (G, M, Kg) -> (G, Fg, Kg): one product per group, summing over the batch and positions
        part = np.matmul(delta_mat, chunk.reshape(groups, -1, m * per_image).transpose(0, 2, 1))
        dw = part if dw is None else dw + part
    return dw.reshape(shape)


def _finite(array: np.ndarray) -> bool:
    """Whether every element is finite (one fast reduction; a sum that overflows only errs on the safe side)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.add.reduce(array, axis=None)))


def _input_gradient(
    delta: np.ndarray, weight: np.ndarray, geometry: Geometry, groups: int, rows: np.ndarray | None = None
) -> np.ndarray:
    """∂C/∂x, the transposed correlation: each δ sent back through the weight that met its pixel.

    δ (N, F, Ho, Wo) -> (N, C, H, W). With stride 1 and no more filters than input channels, a correlation
    of δ with the flipped kernel (:func:`_transposed_correlation`, measured faster there); otherwise the
    columns ``w^T · δ`` (one GEMM per group) are added onto the pixels they were read from
    (:func:`_col2im`, summing where windows overlap), then cropped.
    Not part of the book's network (its conv layer reads the image): the step that would carry δ further down.
    """
    # F ≤ C: δ's columns no larger. Only for a finite kernel: the correlation pads δ with zeros, and a zero
    # meeting an inf weight would give a NaN that is no term of the sum (PyTorch's dx stays finite there)
    if geometry.stride == (1, 1) and weight.shape[0] <= weight.shape[1] * groups and _finite(weight):
        dx = _transposed_correlation(delta, weight, geometry, groups)
        if dx is not None:
            return dx
    n, f = delta.shape[:2]
    wide = geometry.stride == (1, 1)
    k_rows = weight[0].size * groups
    c, (hp, wp) = k_rows // (geometry.kernel[0] * geometry.kernel[1]), geometry.padded_size
    dx_buffer = np.zeros(n * c * hp * wp + _tail(geometry, wide), dtype=delta.dtype)  # 0 where no window reads
    dx_pad = dx_buffer[: n * c * hp * wp].reshape(n, c, hp, wp)  # (N, C, Hp, Wp)
    targets = _col2im_targets(geometry, wide, dx_pad)
    w_mat = weight.reshape(groups, f // groups, -1).transpose(0, 2, 1)  # (G, Kg, Fg)
    w_finite = _finite(weight)
    per_image = geometry.out_size[0] * _row_width(geometry, wide)  # Ho·Wr
    buffer = None
    # a few images at a time: the columns stay in cache between their product and their scatter
    for n0, n1 in _chunks(n, k_rows * per_image * delta.itemsize, False, SCATTER_BYTES):
        m = n1 - n0
        if buffer is None or buffer.shape[1] != m * per_image:
            buffer = np.empty((k_rows, m * per_image), dtype=delta.dtype)
        # (G, Kg, Fg) @ (G, Fg, M) -> (G, Kg, M): column (n, i, j) holds Σ_f w[f, ·, p, q] · δ[n, f, i, j]
        delta_rows = rows[:, n0:n1] if rows is not None else _delta_rows(delta[n0:n1], geometry)  # (F, m, Ho, Wr)
        chunk = delta_rows.reshape(groups, f // groups, m * per_image)
        np.matmul(w_mat, chunk, out=buffer.reshape(groups, -1, m * per_image))
        if not w_finite:  # inf·0 in an ignored column must not reach a pixel
            _zero_ignored_columns(buffer, geometry, wide)
        by_offset = buffer.reshape(c, len(targets), m, *targets[0].shape[2:])  # (C, kH·kW, m, ·)
        for k, target in enumerate(targets):  # overlapping windows sum
            target[:, n0:n1] += by_offset[:, k]
    return geometry.crop(dx_pad)  # (N, C, H, W)


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

"""Private: how ``ops/conv.py``'s sums are laid out for numpy's matrix product (im2col), chunked, and scattered back.

Nothing here is a rule of its own: ``conv.py`` states each sum (eq. (1), eq. (12), the input gradient) and
calls these to do it fast on arrays. One "im2col" matrix of windows, K = C·kH·kW rows by one column per output
position of the whole batch, makes each sum one large matrix product per group. With stride 1 the columns are
"wide" rows of Wp positions (the padded width, the Wp − Wo extra ones ignored, when they are few), which makes
every copy into and out of the matrix one long contiguous run. A small output (``BY_PIXEL_PIXELS``) of many
channels is laid out by pixel instead, channels last, one row per output position. The forward's product runs
once per image (numpy loops over the images in C) so that it lands in NCHW order; products with a small output
and a long inner axis run in blocks (``PRODUCT_BLOCK``). The matrix is kept from forward to backward when it is small
(``CACHE_BYTES``); a large batch is done in chunks (``CHUNK_BYTES``), the columns rebuilt in backward, so that
memory stays a small multiple of the input and output. The columns of the input gradient are made and scattered
``SCATTER_BYTES`` at a time, so they stay in cache between the two.

The large temporaries (the chunk's columns and products, the padded input, δ laid out as rows, the padded input
gradient) are lent by ``WORKSPACE`` (``_workspace.py``) for the call, so a second call of the same shapes faults
no fresh pages. Nothing lent leaves the call: the output, the columns kept for backward and the input gradient
(copied out of its padded buffer) are the caller's, in memory from ``RECYCLER``, taken again only once no array
views it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, NamedTuple

import numpy as np

from .._workspace import RECYCLER, WORKSPACE
from .window import Geometry, finite

CACHE_BYTES = 64 * 2**20  # the whole batch's im2col matrix is kept for backward up to this size...
CHUNK_BYTES = 8 * 2**20  # ...else it is built for chunks of the batch of at most this size, in forward and backward
SCATTER_BYTES = 2 * 2**20  # the input gradient's columns are made and scattered this much at a time
BY_PIXEL_PIXELS = 64  # outputs of at most this many pixels are laid out by pixel (:func:`_by_pixel`)
WIDE_EXCESS = 5  # wide rows when the Wp − Wo ignored columns are at most 1/WIDE_EXCESS of Wo (:func:`_wide`)


# ----------------------------------------------------------------------------------- im2col / col2im
def _wide(geometry: Geometry) -> bool:
    """Stride 1 and few ignored columns: the columns run over the padded width Wp ("wide" rows), each copy one
    contiguous run. Many ignored columns cost the products more than the contiguous copies save: 8×8 with
    padding 1 (a quarter more columns) measured slower wide; 13×13 unpadded (11 wide, 2 ignored) faster."""
    (_, wp), (_, wo) = geometry.padded_size, geometry.out_size
    return geometry.stride == (1, 1) and WIDE_EXCESS * (wp - wo) <= wo


def _row_width(geometry: Geometry, wide: bool) -> int:
    """Columns per output row in the im2col matrix: Wp ("wide", stride 1) or Wo."""
    return geometry.padded_size[1] if wide else geometry.out_size[1]


def _tail(geometry: Geometry, wide: bool) -> int:
    """Elements a wide row at the last kernel offset reads past the end of its padded plane."""
    return geometry.dilation[1] * (geometry.kernel[1] - 1) if wide else 0


def _scratch(shape: tuple[int, ...], dtype: Any, fresh: bool) -> AbstractContextManager[np.ndarray]:
    """An uninitialised array for a ``with`` block: a fresh one if it outlives the call (``fresh``), else lent."""
    return nullcontext(RECYCLER.empty(shape, dtype)) if fresh else WORKSPACE.lend(shape, dtype)


@contextmanager
def _padded_input(x: np.ndarray, geometry: Geometry, wide: bool) -> Iterator[np.ndarray]:
    """x (N, C, H, W) -> (N, C, Hp, Wp) zero-padded, lent for the block; for ``wide``, a view of a buffer with a
    zero tail after it. ``x`` itself when there is nothing to pad and no tail."""
    n, c, h, w = x.shape
    hp, wp = geometry.padded_size
    tail = _tail(geometry, wide)
    if (hp, wp) == (h, w) and tail == 0:
        yield x
        return
    with WORKSPACE.lend((n * c * hp * wp + tail,), x.dtype) as buffer:  # (N·C·Hp·Wp + tail,)
        x_pad = buffer[: n * c * hp * wp].reshape(n, c, hp, wp)
        geometry.pad(x, 0.0, out=x_pad)  # every element written: the borders 0, the inside x
        buffer[n * c * hp * wp :] = 0  # the tail a wide row at the last kernel offset reads
        yield x_pad


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


def _chunks(n: int, per_image: int, keep_all: bool, limit: int | None = None) -> list[tuple[int, int]]:
    """Batch ranges [n0, n1) whose im2col matrices (``per_image`` bytes each, at most ``limit`` in all,
    ``CHUNK_BYTES`` by default) are built at once."""
    if keep_all:
        return [(0, n)]
    step = max(1, (CHUNK_BYTES if limit is None else limit) // max(per_image, 1))
    return [(n0, min(n, n0 + step)) for n0 in range(0, n, step)]


def delta_rows(delta: np.ndarray, geometry: Geometry, out: np.ndarray | None = None) -> np.ndarray:
    """δ (N, F, Ho, Wo) laid out like the columns: (F, N, Ho, Wr), the ignored wide columns 0 (into ``out`` if
    given, a (F, N, Ho, Wr) array whose contents are overwritten)."""
    (n, f), (ho, wo) = delta.shape[:2], geometry.out_size
    wr = _row_width(geometry, _wide(geometry))
    rows = np.empty((f, n, ho, wr), dtype=delta.dtype) if out is None else out
    if wr > wo:
        rows[..., wo:] = 0
    rows[..., :wo] = delta.transpose(1, 0, 2, 3)
    return rows


@contextmanager
def lent_delta_rows(delta: np.ndarray, geometry: Geometry) -> Iterator[np.ndarray]:
    """:func:`delta_rows` in a lent buffer, for the block only (the caller must not keep it)."""
    (n, f), ho = delta.shape[:2], geometry.out_size[0]
    shape = (f, n, ho, _row_width(geometry, _wide(geometry)))
    with WORKSPACE.lend(shape, delta.dtype) as out:
        yield delta_rows(delta, geometry, out)


def _zero_ignored_columns(matrix: np.ndarray, geometry: Geometry, wide: bool) -> None:
    """Set the Wp − Wo ignored columns of each wide row to 0 (only needed when inf/NaN values could reach them)."""
    if wide and geometry.padded_size[1] > geometry.out_size[1]:
        rows = matrix.shape[0]
        matrix.reshape(rows, -1, geometry.out_size[0], geometry.padded_size[1])[..., geometry.out_size[1] :] = 0


# ------------------------------------------------------------------------------------- eq. (1), forward
class PixelRows(NamedTuple):
    """The windows of a small image laid out one row per output pixel, channels last (see :func:`_by_pixel`)."""

    rows: np.ndarray  # (N·Ho·Wo, kH·kW·C): row (n, i, j), column (p, q, c) = x[n, c, i·sH + p·dH, j·sW + q·dW]


class Correlation(NamedTuple):
    """What :func:`correlate` made: the output and what eq. (12) may need again."""

    z: np.ndarray  # (N, F, Ho, Wo)
    cols: np.ndarray | PixelRows | None  # the whole batch's windows, (K, N·Ho·Wr) or by pixel, when small enough
    clean: bool  # whether ignored wide columns must be zeroed (x holds inf/NaN)


def correlate(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, geometry: Geometry, groups: int, keep: bool
) -> Correlation:
    """eq. (1) for a batch: x (N, C, H, W), weight (F, C/G, kH, kW) -> z (N, F, Ho, Wo), one GEMM per group.

    With ``keep``, the im2col matrix is returned too if it is small (``CACHE_BYTES``); else the batch is done
    in chunks (padded chunk by chunk), and eq. (12) rebuilds the columns from x.
    """
    n, f = x.shape[0], weight.shape[0]
    (ho, wo), wide = geometry.out_size, _wide(geometry)
    wr = _row_width(geometry, wide)
    k_rows = weight[0].size * groups  # K = C·kH·kW
    per_image = k_rows * ho * wr * x.itemsize  # bytes of one image's columns
    keep_all = n * per_image <= CACHE_BYTES
    if keep_all and _by_pixel(geometry, x.shape[1], groups):
        return _correlate_by_pixel(x, weight, bias, geometry, keep)
    clean = wide and not finite(x)  # an inf/NaN of x in an ignored wide column would meet δ = 0 in eq. (12)
    w_mat = weight.reshape(groups, f // groups, -1)  # (G, Fg, Kg)
    z = RECYCLER.empty((n, f, ho, wo), x.dtype)  # (N, F, Ho, Wo), every element written below
    fresh = keep and keep_all  # the columns are returned for eq. (12): a fresh array, never a lent one
    cols = None
    for n0, n1 in _chunks(n, per_image, keep_all):
        m = n1 - n0
        with (_scratch((k_rows, m * ho * wr), x.dtype, fresh) as buffer,
              WORKSPACE.lend((m, groups, f // groups, ho * wr), x.dtype) as z_rows,
              _padded_input(x[n0:n1], geometry, wide) as x_pad):
            cols = _im2col(x_pad, geometry, wide, out=buffer)  # (K, m·Ho·Wr)
            if clean:
                _zero_ignored_columns(cols, geometry, wide)
            # eq. (1): z = w · windows, one product per image and group (numpy loops over them in C), so that the
            # result is already in NCHW order: (G, Fg, Kg) @ (m, G, Kg, Ho·Wr) -> (m, G, Fg, Ho·Wr). Measured
            # against one product over the batch (then transposed): the forward 5–16 % faster on the benchmark's
            # small layers (32 × 8 × 28 × 28 -> 16, LeNet's two), the same on the large ones
            np.matmul(w_mat, cols.reshape(groups, -1, m, ho * wr).transpose(2, 0, 1, 3), out=z_rows)
            z_nchw = z_rows.reshape(m, f, ho, wr)[..., :wo]  # (m, F, Ho, Wo), a view
            if bias is None:
                np.copyto(z[n0:n1], z_nchw)
            else:
                np.add(z_nchw, bias.reshape(1, f, 1, 1), out=z[n0:n1])  # + b^F_k, written in NCHW order
    return Correlation(z, cols if fresh else None, clean)


def _by_pixel(geometry: Geometry, channels: int, groups: int) -> bool:
    """Whether to lay the windows out by pixel, channels last: for a small output (at most 64 pixels) of
    8 or more channels, where the (c, p, q) rows of :func:`_im2col` would be copied a few elements at a time
    (4×4 outputs of 32 channels, float32: the forward 0.99 -> 0.49 ms). Not for groups."""
    (ho, wo) = geometry.out_size
    return groups == 1 and not _wide(geometry) and channels >= 8 and ho * wo <= BY_PIXEL_PIXELS


def _correlate_by_pixel(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, geometry: Geometry,
                        keep: bool) -> Correlation:
    """eq. (1) as products of the filters (F, kH·kW·C) and the windows by pixel (N·Ho·Wo, kH·kW·C)."""
    n, c = x.shape[:2]
    f, (kh, kw), (ho, wo) = weight.shape[0], geometry.kernel, geometry.out_size
    (sh, sw), (dh, dw), (hp, wp) = geometry.stride, geometry.dilation, geometry.padded_size
    w_rows = np.ascontiguousarray(weight.transpose(0, 2, 3, 1)).reshape(f, kh * kw * c)  # (F, kH·kW·C)
    with (_scratch((n * ho * wo, kh * kw * c), x.dtype, keep) as rows,
          WORKSPACE.lend((n, hp, wp, c), x.dtype) as x_pad):  # (N, Hp, Wp, C): channels last
        geometry.pad(x, 0.0, out=x_pad.transpose(0, 3, 1, 2))  # every element written: the borders 0, the inside x
        e_n, e_h, e_w, e_c = x_pad.strides
        view = np.lib.stride_tricks.as_strided(
            x_pad, (n, ho, wo, kh, kw, c), (e_n, sh * e_h, sw * e_w, dh * e_h, dw * e_w, e_c)
        )  # (N, Ho, Wo, kH, kW, C)
        np.copyto(rows.reshape(view.shape), view)
        z = RECYCLER.empty((n, f, ho, wo), x.dtype)
        # eq. (1): one product per image, straight into NCHW: (F, K) @ (N, K, Ho·Wo) -> (N, F, Ho·Wo) (one product
        # over the batch then a transposing copy measured 12–14 % slower on 64 × 32 × 4 × 4 -> 64)
        np.matmul(w_rows, rows.reshape(n, ho * wo, -1).transpose(0, 2, 1), out=z.reshape(n, f, ho * wo))
        if bias is not None:
            z += bias.reshape(1, f, 1, 1)  # + b^F_k
        return Correlation(z, PixelRows(rows) if keep else None, False)


# ----------------------------------------------------------------------------------- eq. (12), the filter
def filter_sum(
    delta: np.ndarray, x: np.ndarray, cols: np.ndarray | PixelRows | None, geometry: Geometry, groups: int,
    k_rows: int, rows: np.ndarray | None = None,
) -> np.ndarray:
    """eq. (12)'s sum on arrays, (G, Fg, Kg): δ times the windows of x, over the batch and the output positions
    (arguments as :func:`deltas_and_windows`)."""
    if isinstance(cols, PixelRows):  # one product with the windows by pixel kept from forward
        f, (kh, kw) = delta.shape[1], geometry.kernel
        d = (rows if rows is not None else delta_rows(delta, geometry)).reshape(f, -1)  # (F, N·Ho·Wo): never wide
        dw = delta_times_windows(d[np.newaxis], cols.rows.T[np.newaxis])[0]  # (F, kH·kW·C) in (p, q, c) order
        return dw.reshape(f, kh, kw, -1).transpose(0, 3, 1, 2).reshape(1, f, -1)  # (1, F, C·kH·kW)
    return sum(delta_times_windows(d, windows)
               for d, windows in deltas_and_windows(delta, x, cols, geometry, groups, k_rows, rows))


def deltas_and_windows(
    delta: np.ndarray, x: np.ndarray | None, cols: np.ndarray | None, geometry: Geometry, groups: int, k_rows: int,
    rows: np.ndarray | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """For each chunk of the batch: δ (G, Fg, M) and the windows of x (G, Kg, M) over the same M output positions.

    δ (N, F, Ho, Wo), x (N, C, H, W), K = C·kH·kW = ``k_rows``. ``cols`` is the whole batch's im2col matrix kept
    from forward (never overwritten: a retained graph reads it again), or None to rebuild the columns from ``x``
    a chunk at a time. ``rows``: δ of the whole batch already laid out by :func:`delta_rows`, or None.
    """
    n, f = delta.shape[:2]
    wide = _wide(geometry)
    per_image = geometry.out_size[0] * _row_width(geometry, wide)  # columns per image
    clean = cols is None and wide and not finite(x)  # an inf/NaN of x in an ignored column would meet δ = 0
    for n0, n1 in _chunks(n, k_rows * per_image * delta.itemsize, cols is not None):
        m = n1 - n0
        with (nullcontext(cols) if cols is not None else _chunk_windows(x[n0:n1], geometry, k_rows, clean) as windows,
              nullcontext(rows[:, n0:n1]) if rows is not None else lent_delta_rows(delta[n0:n1], geometry)
              as chunk_rows):  # (K, m·Ho·Wr), (F, m, Ho, Wr); lent ones only until the consumer asks for the next
            yield (chunk_rows.reshape(groups, f // groups, m * per_image),  # (G, Fg, M)
                   windows.reshape(groups, -1, m * per_image))  # (G, Kg, M)


PRODUCT_BLOCK = 2**20  # multiply-adds per block of columns, for products with a small output (below)


def delta_times_windows(d: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """Σ over the M columns of δ (G, Fg, M) times the windows (G, Kg, M): (G, Fg, Kg), eq. (12)'s sum.

    Done as (windows · δᵀ)ᵀ, over blocks of columns when the output is small: OpenBLAS runs a product with a
    small output and a long inner axis several times slower in one call than in blocks of about
    ``PRODUCT_BLOCK`` multiply-adds each (16 × 72 outputs over 23,296 columns, float32: 1.47 ms as d @ windowsᵀ,
    0.90 ms as (windows · δᵀ)ᵀ, 0.63 ms in blocks of 512 columns; 9 × 8 over 46,592: 0.49 → 0.10 ms). The blocks'
    products are summed in order, so the result differs from one product only by rounding.
    """
    fg, m = d.shape[1:]
    kg = windows.shape[1]
    step = m if d.dtype.kind != "f" or d.itemsize < 4 else _block_columns(m, fg * kg)
    dw = windows[..., :step] @ d[..., :step].swapaxes(1, 2)  # (G, Kg, Fg)
    for start in range(step, m, step):
        dw += windows[..., start : start + step] @ d[..., start : start + step].swapaxes(1, 2)
    return dw.swapaxes(1, 2)  # (G, Fg, Kg)


def _block_columns(m: int, outputs: int) -> int:
    """Columns per block for a product of ``outputs`` entries summed over ``m`` columns: blocks of
    ``PRODUCT_BLOCK`` multiply-adds, in multiples of 256 columns; all ``m`` at once for a large output."""
    step = PRODUCT_BLOCK // max(outputs, 1) // 256 * 256
    return m if step < 256 else min(step, m)


@contextmanager
def _chunk_windows(x: np.ndarray, geometry: Geometry, k_rows: int, clean: bool) -> Iterator[np.ndarray]:
    """The im2col matrix (K, m·Ho·Wr) of a chunk x (m, C, H, W) rebuilt in a lent buffer, for the block."""
    wide = _wide(geometry)
    columns = x.shape[0] * geometry.out_size[0] * _row_width(geometry, wide)
    with WORKSPACE.lend((k_rows, columns), x.dtype) as buffer, _padded_input(x, geometry, wide) as x_pad:
        windows = _im2col(x_pad, geometry, wide, out=buffer)
        if clean:
            _zero_ignored_columns(windows, geometry, True)
        yield windows


# --------------------------------------------------------------------------------- the input gradient
def transposed_correlation(delta: np.ndarray, weight: np.ndarray, geometry: Geometry, groups: int) -> np.ndarray:
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
    return correlate(delta, flipped, None, back, groups, keep=False).z


def input_gradient(
    delta: np.ndarray, weight: np.ndarray, geometry: Geometry, groups: int, rows: np.ndarray | None = None
) -> np.ndarray:
    """∂C/∂x, the transposed correlation: δ (N, F, Ho, Wo) -> (N, C, H, W) (``rows``: see :func:`deltas_and_windows`).

    With stride 1 and no more filters than input channels, a correlation of δ with the flipped kernel
    (:func:`transposed_correlation`, measured faster there); otherwise the columns ``w^T · δ`` (one GEMM per
    group) are added onto the pixels they were read from (summing where windows overlap), then cropped.
    """
    # F ≤ C: δ's columns no larger. Only for a finite kernel: the correlation pads δ with zeros, and a zero
    # meeting an inf weight would give a NaN that is no term of the sum (PyTorch's dx stays finite there)
    # With a small output laid out by pixel (:func:`_by_pixel`), the correlation is faster whatever F and C are
    small = _by_pixel(geometry, weight.shape[0], groups) and weight.shape[1] * groups >= 8
    if geometry.stride == (1, 1) and (weight.shape[0] <= weight.shape[1] * groups or small) and finite(weight):
        dx = transposed_correlation(delta, weight, geometry, groups)
        if dx is not None:
            return dx
    n, f = delta.shape[:2]
    wide = _wide(geometry)
    k_rows = weight[0].size * groups
    c, (hp, wp) = k_rows // (geometry.kernel[0] * geometry.kernel[1]), geometry.padded_size
    size = n * c * hp * wp + _tail(geometry, wide)
    # 0 where no window reads; lent unless the crop is the whole of it (then it is returned)
    cropped = (hp, wp) != geometry.size
    with (WORKSPACE.lend((size,), delta.dtype, zero=True) if cropped
          else nullcontext(RECYCLER.zeros((size,), delta.dtype)) as dx_buffer):
        dx_pad = dx_buffer[: n * c * hp * wp].reshape(n, c, hp, wp)  # (N, C, Hp, Wp)
        _col2im(delta, weight, geometry, groups, rows, dx_pad)
        return RECYCLER.copy(geometry.crop(dx_pad)) if cropped else dx_pad  # (N, C, H, W), never a lent view


def _col2im(delta: np.ndarray, weight: np.ndarray, geometry: Geometry, groups: int, rows: np.ndarray | None,
            dx_pad: np.ndarray) -> None:
    """Add the columns ``w^T · δ`` onto the pixels of dx_pad (N, C, Hp, Wp) they were read from, a few images
    at a time: the columns stay in cache between their product and their scatter."""
    n, f = delta.shape[:2]
    wide = _wide(geometry)
    k_rows = weight[0].size * groups
    c = dx_pad.shape[1]
    targets = _col2im_targets(geometry, wide, dx_pad)
    w_mat = weight.reshape(groups, f // groups, -1).transpose(0, 2, 1)  # (G, Kg, Fg)
    w_finite = finite(weight)
    per_image = geometry.out_size[0] * _row_width(geometry, wide)  # Ho·Wr
    for n0, n1 in _chunks(n, k_rows * per_image * delta.itemsize, False, SCATTER_BYTES):
        m = n1 - n0
        with (WORKSPACE.lend((k_rows, m * per_image), delta.dtype) as buffer,
              nullcontext(rows[:, n0:n1]) if rows is not None else lent_delta_rows(delta[n0:n1], geometry)
              as chunk_rows):  # (F, m, Ho, Wr)
            # (G, Kg, Fg) @ (G, Fg, M) -> (G, Kg, M): column (n, i, j) holds Σ_f w[f, ·, p, q] · δ[n, f, i, j]
            chunk = chunk_rows.reshape(groups, f // groups, m * per_image)  # (G, Fg, M)
            np.matmul(w_mat, chunk, out=buffer.reshape(groups, -1, m * per_image))
            if not w_finite:  # inf·0 in an ignored column must not reach a pixel
                _zero_ignored_columns(buffer, geometry, wide)
            by_offset = buffer.reshape(c, len(targets), m, *targets[0].shape[2:])  # (C, kH·kW, m, ·)
            for k, target in enumerate(targets):  # overlapping windows sum
                target[:, n0:n1] += by_offset[:, k]

"""2-D max, average and Lp pooling (NCHW, PyTorch's semantics) with the document's backward rules.

Pooling acts on each channel's map separately. A window B of output unit (i, j) covers
``a[i·s + p·d − pad, j·s + q·d − pad]`` for kernel offsets (p, q); the backward pass gives every unit of
the input the output δ times the pooling factor g of eq. (25)'s middle term, ``∂z^P / ∂a``, summed over
the windows that hold the unit (windows overlap when stride < kernel):

===========  =============================  =================================================
pooling      forward over a window B        g (∂z^P / ∂a for a unit a of B)
===========  =============================  =================================================
max          ``max_B a``                    eq. (23): 1 for the first maximum of B (row-major), else 0
average      ``(1/|B|) Σ_B a``              ``1/|B|``
Lp           ``(Σ_B a^p)^(1/p)``            ``a^(p−1) / z^(p−1)`` (``a / z`` for L2), 0 where z = 0
===========  =============================  =================================================

Output sizes follow PyTorch, including ``ceil_mode`` (the last window may run past the input, but must
start inside the input or the left padding). Padding is −∞ for max pooling (it never wins against an
input unit) and 0 for average pooling (counted in |B| or not, by ``count_include_pad``). Unlike
PyTorch, a max-pooling call in which some (dilated) window would read padding only is refused with a
ValueError (PyTorch returns −∞ there, with an index outside the window).

>>> import numpy as np
>>> from tinygrad_cnn import Tensor
>>> a = Tensor([[[[1.0, 3.0], [3.0, 2.0]]]], requires_grad=True)   # one 2×2 block, tied maxima
>>> z = max_pool2d(a, 2)
>>> z.data
array([[[[3.]]]])
>>> z.backward(np.ones((1, 1, 1, 1)))
>>> a.grad                       # eq. (23) + the tie rule: only the first maximum gets δ
array([[[[0., 1.],
         [0., 0.]]]])
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator

import numpy as np

from ..function import Context, Function
from ..tensor import Tensor
from .conv import Pair, as_pair, check_input, kernel_offsets, pad2d

__all__ = ["avg_pool2d", "lp_pool2d", "max_pool2d", "pool_output_size"]


# --------------------------------------------------------------------------------------- geometry
def pool_output_size(
    size: int, kernel: int, stride: int, padding: int = 0, dilation: int = 1, ceil_mode: bool = False
) -> int:
    """Output length of pooling along one axis, as PyTorch computes it.

    ``⌊(size + 2·pad − d·(k−1) − 1) / s⌋ + 1`` (⌈·⌉ with ``ceil_mode``); with ``ceil_mode`` the last
    window is dropped if it would start in the right padding (or past it).

    >>> pool_output_size(26, 2, 2), pool_output_size(5, 2, 2), pool_output_size(5, 2, 2, ceil_mode=True)
    (13, 2, 3)
    >>> pool_output_size(5, 2, 2, padding=1, ceil_mode=True)    # a 4th window would start in the right padding
    3
    """
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


class _Geometry:
    """Where the windows of one pooling call sit: sizes, padding (incl. ceil-mode overhang), offsets."""

    def __init__(
        self, shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, ceil_mode: bool
    ) -> None:
        self.size = shape[-2:]  # (H, W)
        self.kernel, self.stride, self.padding, self.dilation = kernel, stride, padding, dilation
        self.out_size = tuple(
            pool_output_size(self.size[a], kernel[a], stride[a], padding[a], dilation[a], ceil_mode) for a in (0, 1)
        )
        # padding after the input: the symmetric padding plus whatever the last (ceil-mode) window overhangs
        reach = [(self.out_size[a] - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + 1 for a in (0, 1)]
        self.after = tuple(max(padding[a], reach[a] - self.size[a] - padding[a]) for a in (0, 1))

    @property
    def disjoint(self) -> bool:
        """Whether no two windows share a unit (stride at least the dilated kernel's span on both axes)."""
        return all(self.stride[a] >= self.dilation[a] * (self.kernel[a] - 1) + 1 for a in (0, 1))

    def empty_windows(self) -> list[int]:
        """The axes (0 for H, 1 for W) along which some (dilated) window holds padding only."""
        empty = []
        for a in (0, 1):
            if self.padding[a] == 0 or self.dilation[a] == 1:
                continue  # a window starts inside the input, or covers a contiguous span reaching into it
            starts = np.arange(self.out_size[a]) * self.stride[a] - self.padding[a]  # (Ho,) first input index
            reads = starts[:, None] + np.arange(self.kernel[a]) * self.dilation[a]  # (Ho, k) indices read
            if not ((reads >= 0) & (reads < self.size[a])).any(axis=1).all():
                empty.append(a)
        return empty

    def pad(self, x: np.ndarray, value: float) -> np.ndarray:
        """(N, C, H, W) -> (N, C, Hp, Wp), holding every window."""
        return pad2d(x, self.padding[0], self.after[0], self.padding[1], self.after[1], value)

    def offsets(self) -> Iterator[tuple[int, Any]]:
        """(k, index) per kernel offset: ``x_pad[index]`` is the (N, C, Ho, Wo) map of the units at offset k."""
        return kernel_offsets(self.kernel, self.stride, self.dilation, self.out_size)

    def crop(self, dx_pad: np.ndarray) -> np.ndarray:
        """(N, C, Hp, Wp) -> (N, C, H, W): drop the padding (whose gradient is not the input's)."""
        (top, left), (h, w) = self.padding, self.size
        if dx_pad.shape[-2:] == (h, w):  # no padding to drop: the array itself (a view would be copied later)
            return dx_pad
        return dx_pad[:, :, top : top + h, left : left + w]

    def padded_shape(self, batch_shape: tuple[int, ...]) -> tuple[int, ...]:
        (top, left), (h, w) = self.padding, self.size
        return (*batch_shape, top + h + self.after[0], left + w + self.after[1])

    def window_sum(self, x_pad: np.ndarray) -> np.ndarray:
        """Σ_B over every window: (N, C, Hp, Wp) -> (N, C, Ho, Wo)."""
        total = None
        for _, index in self.offsets():
            if total is None:
                total = x_pad[index].copy()
            else:
                total += x_pad[index]
        return total

    def scatter(
        self, per_offset: Callable[[int], np.ndarray], batch_shape: tuple[int, ...], dtype: np.dtype
    ) -> np.ndarray:
        """Σ over windows: ``per_offset(k)`` (N, C, Ho, Wo) is added to the units at offset k -> (N, C, H, W)."""
        dx_pad = np.zeros(self.padded_shape(batch_shape), dtype=dtype)  # units no window holds stay 0
        for k, index in self.offsets():
            if self.disjoint:
                dx_pad[index] = per_offset(k)
            else:
                dx_pad[index] += per_offset(k)  # a unit in several (overlapping) windows gets their sum
        return self.crop(dx_pad)


def _batched(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """(C, H, W) -> (1, C, H, W) (a batch of one), remembering to undo it."""
    return (x[np.newaxis], True) if x.ndim == 3 else (x, False)


# ----------------------------------------------------------------------------------------- max pooling
def _max_winners(x_pad: np.ndarray, geometry: _Geometry) -> tuple[np.ndarray, np.ndarray]:
    """The maximum of every window and the kernel offset k = p·kW + q of its **first** maximum (row-major).

    Returns ``(z, winner)``, both (N, C, Ho, Wo). A later unit takes over only if strictly greater, so
    among tied maxima the first keeps the win. A NaN in a window makes its maximum NaN, as in PyTorch.
    """
    z = winner = takes_over = a = None
    for k, index in geometry.offsets():
        if z is None:
            z = x_pad[index].copy()  # (N, C, Ho, Wo): the unit at offset 0 of every window
            winner = np.zeros(z.shape, dtype=np.min_scalar_type(geometry.kernel[0] * geometry.kernel[1] - 1))
            takes_over, a = np.empty(z.shape, dtype=bool), np.empty_like(z)
            continue
        np.copyto(a, x_pad[index])  # the units at offset k, gathered once: the strided read is the slow part
        np.greater(a, z, out=takes_over)  # strict '>': ties stay with the earlier unit
        np.maximum(z, a, out=z)  # (propagates NaN)
        # winner = k where a took over: k exceeds every earlier offset, so a maximum does it
        # (arithmetic, much faster than a masked assignment with a random mask)
        np.maximum(winner, takes_over * winner.dtype.type(k), out=winner)
    return z, winner


class MaxPool2d(Function):
    """Max pooling; forward finds each window's first maximum once, backward routes δ to it (eq. (23)).

    If ``winners`` is a list, forward appends the (N, C, Ho, Wo) array of winning kernel offsets to it
    (how ``max_pool2d(..., return_indices=True)`` gets them without a second pass).
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, geometry: _Geometry, winners: list | None = None) -> np.ndarray:
        x, unbatched = _batched(x)
        x_pad = geometry.pad(x, -np.inf)  # (N, C, Hp, Wp); padding is −∞, so it never wins
        z, winner = _max_winners(x_pad, geometry)  # (N, C, Ho, Wo) each
        if winners is not None:
            winners.append(winner)
        ctx.winner = winner  # a fresh array of this node's own (no fingerprint needed)
        ctx.batch_shape, ctx.unbatched = x.shape[:2], unbatched
        ctx.geometry = geometry
        return z[0] if unbatched else z

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        geometry, winner = ctx.geometry, ctx.winner
        delta = grad[np.newaxis] if ctx.unbatched else grad  # ∂C/∂z^P: (N, C, Ho, Wo)
        dx_pad = np.zeros(geometry.padded_shape(ctx.batch_shape), dtype=delta.dtype)  # (N, C, Hp, Wp)
        won = np.empty(winner.shape, dtype=bool)
        for k, index in geometry.offsets():
            # eq. (23): ∂z^P/∂a^F = 1 for the unit that won its window's max, 0 for the others, so each
            # window's δ goes to its winner only (the first maximum where maxima tie)
            np.equal(winner, k, out=won)
            if geometry.disjoint:  # every unit is in one window at most: write in place
                np.multiply(delta, won, out=dx_pad[index])
            else:  # a unit that wins several overlapping windows gets the sum of their δ
                dx_pad[index] += delta * won
        dx = geometry.crop(dx_pad)  # (N, C, H, W)
        return dx[0] if ctx.unbatched else dx


def _plane_indices(winner: np.ndarray, geometry: _Geometry) -> np.ndarray:
    """PyTorch's ``return_indices``: the flat index h·W + w, in its (H, W) plane, of each window's winner."""
    (sh, sw), (dh, dw), (ph, pw) = geometry.stride, geometry.dilation, geometry.padding
    ho, wo = geometry.out_size
    p, q = np.divmod(winner.astype(np.int64), geometry.kernel[1])  # (..., Ho, Wo) offsets within the window
    rows = np.arange(ho).reshape(ho, 1) * sh - ph + p * dh  # (..., Ho, Wo) input row of the winner
    cols = np.arange(wo).reshape(1, wo) * sw - pw + q * dw
    return rows * geometry.size[1] + cols


# ------------------------------------------------------------------------------------- average pooling
def _divisor(geometry: _Geometry, count_include_pad: bool) -> np.ndarray:
    """|B| for every window, (Ho, Wo), as PyTorch counts it.

    With ``count_include_pad`` the window is counted up to the end of the right padding (not the ceil-mode
    overhang past it); without, only the input units it covers.
    """
    counts = []
    for a in (0, 1):
        size, k, s, pad = geometry.size[a], geometry.kernel[a], geometry.stride[a], geometry.padding[a]
        start = np.arange(geometry.out_size[a]) * s - pad  # first input index of each window (may be < 0)
        end = np.minimum(start + k, size + pad)  # one past the last, clipped to the padded input
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    return np.outer(counts[0], counts[1])  # (Ho, Wo)


class AvgPool2d(Function):
    """Average pooling; backward gives every unit of a window δ/|B|."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, geometry: _Geometry, count_include_pad: bool) -> np.ndarray:
        x, unbatched = _batched(x)
        x_pad = geometry.pad(x, 0.0)  # (N, C, Hp, Wp)
        total = geometry.window_sum(x_pad)  # Σ_B a: (N, C, Ho, Wo)
        divisor = _divisor(geometry, count_include_pad).astype(x.dtype)  # |B|: (Ho, Wo)
        ctx.divisor, ctx.geometry = divisor, geometry
        ctx.batch_shape, ctx.unbatched = x.shape[:2], unbatched
        z = total / divisor
        return z[0] if unbatched else z

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        delta = grad[np.newaxis] if ctx.unbatched else grad  # (N, C, Ho, Wo)
        share = delta / ctx.divisor  # g = 1/|B|: each unit of the window gets δ/|B|
        dx = ctx.geometry.scatter(lambda k: share, ctx.batch_shape, delta.dtype)
        return dx[0] if ctx.unbatched else dx


# ------------------------------------------------------------------------------------------ Lp pooling
class LpPool2d(Function):
    """Lp pooling ``z = (Σ_B a^p)^(1/p)``; backward ``δ · a^(p−1) / z^(p−1)`` (0 where z = 0)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, geometry: _Geometry, norm_type: float) -> np.ndarray:
        x, unbatched = _batched(x)
        p = norm_type
        powered = x * x if p == 2 else np.power(x, p)  # a^p: (N, C, H, W)
        powered_pad = geometry.pad(powered, 0.0)  # ceil-mode overhang adds 0 to the sum
        total = geometry.window_sum(powered_pad)  # Σ_B a^p: (N, C, Ho, Wo)
        with np.errstate(invalid="ignore"):  # a negative sum has no real p-th root: NaN, as in PyTorch
            z = np.sqrt(total) if p == 2 else np.power(total, 1.0 / p)
        ctx.save_for_backward(x, z)  # z is the output: fingerprinted against in-place changes
        ctx.geometry, ctx.norm_type, ctx.unbatched = geometry, p, unbatched
        return z[0] if unbatched else z

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        x, z = ctx.saved_tensors  # (N, C, H, W), (N, C, Ho, Wo)
        p = ctx.norm_type
        delta = grad[np.newaxis] if ctx.unbatched else grad
        if p == 1:  # z = Σ_B a is linear: g = 1 for every unit of the window (a^0 / z^0)
            per_window = delta
        else:  # δ / z^(p−1) per window, defined as 0 where the window's norm z is 0
            z_power = z if p == 2 else np.power(z, p - 1)
            per_window = np.divide(delta, z_power, out=np.zeros_like(delta), where=z != 0)
        summed = ctx.geometry.scatter(lambda k: per_window, x.shape[:2], delta.dtype)  # Σ over windows: (N, C, H, W)
        # g = a^(p−1) / z^(p−1): the a^(p−1) factor is the unit's own, shared by all its windows
        dx = summed if p == 1 else summed * (x if p == 2 else np.power(x, p - 1))
        return dx[0] if ctx.unbatched else dx


# ---------------------------------------------------------------------------------- public functions
def _pool_geometry(
    func: str, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: Any
) -> _Geometry:
    """Check a pooling call's arguments (raising TypeError/ValueError that name them) -> its geometry."""
    check_input(x, "x", func, (3, 4))
    kernel = as_pair(kernel_size, "kernel_size", func, 1)
    stride_hw = kernel if stride is None else as_pair(stride, "stride", func, 1)
    padding_hw = as_pair(padding, "padding", func, 0)
    dilation_hw = as_pair(dilation, "dilation", func, 1)
    if padding_hw[0] > kernel[0] // 2 or padding_hw[1] > kernel[1] // 2:
        raise ValueError(
            f"{func}: padding must be at most half the kernel size (kernel_size={kernel}, so at most "
            f"({kernel[0] // 2}, {kernel[1] // 2})), got padding={padding!r}"
        )
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise TypeError(f"{func}: ceil_mode must be True or False, got {ceil_mode!r}")
    geometry = _Geometry(x.shape, kernel, stride_hw, padding_hw, dilation_hw, bool(ceil_mode))
    if min(geometry.out_size) < 1:
        h, w = geometry.size
        raise ValueError(
            f"{func}: the window {kernel} (dilation {dilation_hw}) is larger than the padded input "
            f"{h + 2 * padding_hw[0]}×{w + 2 * padding_hw[1]} (input {h}×{w}, padding {padding_hw}): the output "
            f"would be {geometry.out_size[0]}×{geometry.out_size[1]}; expected at least one window"
        )
    empty = geometry.empty_windows()
    if empty:
        axis = "HW"[empty[0]]
        raise ValueError(
            f"{func}: with padding={padding_hw} and dilation={dilation_hw}, some window reads only padding "
            f"along {axis} (input {geometry.size[0]}×{geometry.size[1]}, kernel_size={kernel}, stride={stride_hw}); "
            "expected every window to hold at least one input unit (use less padding or dilation)"
        )
    return geometry


def max_pool2d(
    x: Tensor,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
    dilation: int | Pair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling over (dilated) windows of each channel (PyTorch's ``max_pool2d``).

    ``x`` is (N, C, H, W) or (C, H, W); ``stride`` defaults to ``kernel_size``; ``padding`` (−∞, at most
    half the kernel) never wins; a window of padding only (dilation with padding) is a ValueError. With
    ``return_indices``, also returns the int64 Tensor (no gradient) of each maximum's flat index h·W + w
    in its (H, W) plane. Backward: eq. (23), δ goes to the first maximum of each window in row-major
    order; a unit winning several windows gets the sum.

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> z, where = max_pool2d(x, 2, return_indices=True)
    >>> z.data[0, 0], where.data[0, 0]
    (array([[ 5.,  7.],
           [13., 15.]]), array([[ 5,  7],
           [13, 15]]))
    """
    geometry = _pool_geometry("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    if not isinstance(return_indices, (bool, np.bool_)):
        raise TypeError(f"max_pool2d: return_indices must be True or False, got {return_indices!r}")
    if not return_indices:
        return MaxPool2d.apply(x, geometry=geometry)
    winners: list[np.ndarray] = []
    z = MaxPool2d.apply(x, geometry=geometry, winners=winners)
    indices = _plane_indices(winners[0], geometry)  # (N, C, Ho, Wo) int64
    return z, Tensor(indices[0] if x.ndim == 3 else indices)


def avg_pool2d(
    x: Tensor,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Average pooling (PyTorch's ``avg_pool2d``): each window's sum divided by its size |B|.

    |B| counts the zero padding if ``count_include_pad`` (up to the end of the padding, as PyTorch);
    otherwise only the input units. Backward: every unit of a window gets δ/|B|.

    >>> from tinygrad_cnn import Tensor
    >>> avg_pool2d(Tensor(np.arange(16.0).reshape(1, 4, 4)), 2).data
    array([[[ 2.5,  4.5],
            [10.5, 12.5]]])
    """
    geometry = _pool_geometry("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    if not isinstance(count_include_pad, (bool, np.bool_)):
        raise TypeError(f"avg_pool2d: count_include_pad must be True or False, got {count_include_pad!r}")
    return AvgPool2d.apply(x, geometry=geometry, count_include_pad=bool(count_include_pad))


def lp_pool2d(
    x: Tensor,
    norm_type: float,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    ceil_mode: bool = False,
) -> Tensor:
    """Lp pooling ``z = (Σ_B a^p)^(1/p)`` with ``p = norm_type`` (> 0); ``norm_type=2`` is the document's L2 pooling.

    A plain sum over each window, no absolute value (as PyTorch): a window whose sum of ``a^p`` is
    negative (odd p, negative inputs) gives NaN, as in PyTorch. Unlike PyTorch, a ceil-mode window
    that runs past the input is a plain sum over the units it covers (PyTorch scales it by
    kH·kW / (units covered)). Backward: ``δ · a^(p−1) / z^(p−1)`` (``δ · a / z`` for L2), 0 where
    the window's z is 0 (for p = 1, z is a plain sum and g = 1).

    >>> from tinygrad_cnn import Tensor
    >>> lp_pool2d(Tensor([[[[3.0, 0.0], [0.0, 4.0]]]]), 2, 2).data
    array([[[[5.]]]])
    """
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float, np.integer, np.floating)):
        raise TypeError(f"lp_pool2d: norm_type must be a number, got {norm_type!r}")
    if not (math.isfinite(norm_type) and norm_type > 0):
        raise ValueError(f"lp_pool2d: norm_type must be a finite number > 0, got {norm_type!r}")
    geometry = _pool_geometry("lp_pool2d", x, kernel_size, stride, 0, 1, ceil_mode)
    return LpPool2d.apply(x, geometry=geometry, norm_type=float(norm_type))

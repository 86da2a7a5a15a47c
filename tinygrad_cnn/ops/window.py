"""What conv2d and pooling share: where the windows of a call sit (``Geometry``), and the argument checks.

A window of output unit (i, j) reads the padded input at ``(i·sH + p·dH, j·sW + q·dW)`` for kernel offsets
(p, q), 0 ≤ p < kH, 0 ≤ q < kW (stride s, dilation d; the book's conv and 2×2 pooling are s = 1, d = 1 and
s = 2, d = 1, with 1-based indices). ``Geometry`` holds those numbers for one call, once checked, and the
few array helpers built on them: padding, the units at one kernel offset of every window, cropping a
gradient back to the input, a strided view of every window, and the adjoint pair that sums over windows
(``window_sum``/``gather``: input to windows; ``scatter``: windows back to the input, pooling's backward).

>>> g = Geometry.for_conv((5, 5), kernel=(3, 3), stride=(2, 2), padding=(1, 1, 1, 1), dilation=(1, 1))
>>> g.out_size, g.padded_size
((3, 3), (7, 7))
>>> Geometry.for_pool((5, 5), kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), ceil_mode=True).out_size
(3, 3)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import check_pair
from .._workspace import RECYCLER, WORKSPACE
from ..tensor import Tensor

__all__ = ["Geometry", "Pair", "as_pair", "check_input", "finite", "output_size"]

Pair = tuple[int, int]


# --------------------------------------------------------------------------------- argument checks
def as_pair(value: Any, name: str, func: str, minimum: int) -> Pair:
    """``value`` (an int or a pair of ints, numpy ints accepted) as ``(for H, for W)``, each ≥ ``minimum``.

    TypeError for anything else (a float, a bool, ``(3,)``), ValueError below ``minimum``.

    >>> as_pair(np.int64(3), "stride", "conv2d", 1)
    (3, 3)
    """
    return check_pair(value, name, func, minimum=minimum)


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


def output_size(
    size: int, kernel: int, stride: int = 1, padding: int | Pair = 0, dilation: int = 1, ceil_mode: bool = False
) -> int:
    """Output length along one axis, as PyTorch computes it: ``⌊(size + p_lo + p_hi − d·(k−1) − 1) / s⌋ + 1``.

    ``padding`` is the padding on each side, or a pair ``(before, after)``. With ``ceil_mode`` (pooling)
    the division rounds up, and a last window that would start in the right padding is dropped.

    >>> output_size(28, 3), output_size(7, 3, stride=2, padding=1), output_size(5, 3, dilation=2)
    (26, 4, 1)
    >>> output_size(5, 2, 2), output_size(5, 2, 2, ceil_mode=True), output_size(5, 2, 2, padding=1, ceil_mode=True)
    (2, 3, 3)
    """
    before, after = (padding, padding) if isinstance(padding, (int, np.integer)) else padding
    span = size + before + after - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + before:
        out -= 1
    return out


# --------------------------------------------------------------------------------------- geometry
@dataclass(frozen=True)
class Geometry:
    """Where the windows of one conv/pool call sit; every field is a pair (for H, for W).

    ``before`` is the padding on the top/left, ``after`` on the bottom/right (for ceil-mode pooling it
    also covers the last window's overhang), ``size`` the input's (H, W), ``out_size`` the output's.
    """

    size: Pair
    kernel: Pair
    stride: Pair
    dilation: Pair
    before: Pair
    after: Pair
    out_size: Pair

    @classmethod
    def for_conv(
        cls, size: Pair, kernel: Pair, stride: Pair, padding: tuple[int, int, int, int], dilation: Pair
    ) -> Geometry:
        """conv2d's geometry; ``padding`` is (top, bottom, left, right)."""
        top, bottom, left, right = padding
        out = (
            output_size(size[0], kernel[0], stride[0], (top, bottom), dilation[0]),
            output_size(size[1], kernel[1], stride[1], (left, right), dilation[1]),
        )
        return cls(tuple(size), kernel, stride, dilation, (top, left), (bottom, right), out)

    @classmethod
    def for_pool(
        cls, size: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, ceil_mode: bool
    ) -> Geometry:
        """Pooling's geometry: symmetric ``padding``, plus whatever the last ceil-mode window overhangs."""
        out = tuple(output_size(size[a], kernel[a], stride[a], padding[a], dilation[a], ceil_mode) for a in (0, 1))
        reach = [(out[a] - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + 1 for a in (0, 1)]  # padded span read
        after = tuple(max(padding[a], reach[a] - size[a] - padding[a]) for a in (0, 1))
        return cls(tuple(size), kernel, stride, dilation, tuple(padding), after, out)

    # ---- derived numbers
    @property
    def padded_size(self) -> Pair:
        """(Hp, Wp): the input with its padding on every side."""
        return tuple(self.before[a] + self.size[a] + self.after[a] for a in (0, 1))

    @property
    def disjoint(self) -> bool:
        """Whether no two windows share a unit (stride at least the dilated kernel's span on both axes)."""
        return all(self.stride[a] >= self.dilation[a] * (self.kernel[a] - 1) + 1 for a in (0, 1))

    def first_inside(self) -> np.ndarray:
        """(Ho, Wo): the kernel offset k = p·kW + q of each window's first unit (row-major) inside the input.

        Max pooling starts each window there, so a padding cell never wins, not even against −∞ (PyTorch's rule).
        """
        first = []
        for a in (0, 1):
            starts = np.arange(self.out_size[a]) * self.stride[a] - self.before[a]  # (Ho,) first index read
            first.append(np.maximum(0, -(starts // self.dilation[a])))  # skip ⌈−start / d⌉ units of padding
        return first[0][:, None] * self.kernel[1] + first[1][None, :]

    def empty_windows(self) -> list[int]:
        """The axes (0 for H, 1 for W) along which some (dilated) window holds padding only."""
        empty = []
        for a in (0, 1):
            if self.before[a] == 0 or self.dilation[a] == 1:
                continue  # a window starts inside the input, or covers a contiguous span reaching into it
            starts = np.arange(self.out_size[a]) * self.stride[a] - self.before[a]  # (Ho,) first input index
            reads = starts[:, None] + np.arange(self.kernel[a]) * self.dilation[a]  # (Ho, k) indices read
            if not ((reads >= 0) & (reads < self.size[a])).any(axis=1).all():
                empty.append(a)
        return empty

    # ---- arrays
    def pad(self, x: np.ndarray, value: float, out: np.ndarray | None = None) -> np.ndarray:
        """(N, C, H, W) -> (N, C, Hp, Wp) filled with ``value`` around; ``x`` itself if there is no padding and
        no ``out`` is given, else written into ``out`` (an (N, C, Hp, Wp) array, every element overwritten)."""
        (top, left), (bottom, right) = self.before, self.after
        if top == bottom == left == right == 0 and out is None:
            return x
        n, c, h, w = x.shape
        if out is None:
            out = np.empty((n, c, *self.padded_size), dtype=x.dtype)  # (N, C, Hp, Wp): borders filled below
        out[:, :, :top], out[:, :, top + h :] = value, value
        out[:, :, top : top + h, :left], out[:, :, top : top + h, left + w :] = value, value
        out[:, :, top : top + h, left : left + w] = x
        return out

    def offsets(self) -> Iterator[tuple[int, Any]]:
        """For each kernel offset (p, q) in row-major order: k = p·kW + q and the index that selects, in a
        padded (..., Hp, Wp) array, the unit at that offset of every window: ``x_pad[index]`` is (..., Ho, Wo)."""
        (kh, kw), (sh, sw), (dh, dw), (ho, wo) = self.kernel, self.stride, self.dilation, self.out_size
        for p in range(kh):
            rows = slice(p * dh, p * dh + sh * (ho - 1) + 1, sh)
            for q in range(kw):
                cols = slice(q * dw, q * dw + sw * (wo - 1) + 1, sw)
                yield p * kw + q, (Ellipsis, rows, cols)

    def crop(self, dx_pad: np.ndarray) -> np.ndarray:
        """(..., Hp, Wp) -> (..., H, W): drop the padding (whose gradient is not the input's)."""
        (top, left), (h, w) = self.before, self.size
        if dx_pad.shape[-2:] == (h, w):
            return dx_pad
        return dx_pad[..., top : top + h, left : left + w]

    def window_view(self, x_pad: np.ndarray) -> np.ndarray:
        """Every window of a padded (N, C, Hp, Wp) array as a read-only view (C, kH, kW, N, Ho, Wo) (no copy):
        ``view[c, p, q, n, i, j] = x_pad[n, c, i·sH + p·dH, j·sW + q·dW]``."""
        sn, sc, sh, sw = x_pad.strides
        shape = (x_pad.shape[1], *self.kernel, x_pad.shape[0], *self.out_size)
        strides = (sc, sh * self.dilation[0], sw * self.dilation[1], sn, sh * self.stride[0], sw * self.stride[1])
        return np.lib.stride_tricks.as_strided(x_pad, shape, strides, writeable=False)

    def window_sum(self, x_pad: np.ndarray) -> np.ndarray:
        """Σ_B over every window: (N, C, Hp, Wp) -> (N, C, Ho, Wo), float16 accumulated in float32."""
        total = None
        wide = np.float32 if x_pad.dtype == np.float16 else x_pad.dtype
        for _, index in self.offsets():
            if total is None:
                total = x_pad[index].astype(wide)  # a copy
            else:
                total += x_pad[index]
        return total

    def scatter(self, values: np.ndarray, batch_shape: tuple[int, ...], winner: np.ndarray | None = None) -> np.ndarray:
        """Σ over windows, the adjoint of reading them: (N, C, Ho, Wo) -> (N, C, H, W).

        Each window's value goes to every unit of the window, or, given ``winner`` (N, C, Ho, Wo), the kernel
        offset k of one unit per window (max pooling), to that unit only; a unit in several (overlapping)
        windows gets the sum, a unit no window holds 0. A winner's share is selected, never multiplied by a
        0/1 mask, unless every value is finite: an infinite value must leave the other units an exact 0.
        """
        shape = (*tuple(batch_shape), *self.padded_size)  # (N, C, Hp, Wp)
        if self.padded_size == self.size:  # nothing to crop: the sum is returned, so it is a fresh array
            return self._scatter(values, winner, RECYCLER.zeros(shape, values.dtype))
        with WORKSPACE.lend(shape, values.dtype, zero=True) as dx_pad:  # lent for the call: the crop is copied out
            return RECYCLER.copy(self.crop(self._scatter(values, winner, dx_pad)))

    def _scatter(self, values: np.ndarray, winner: np.ndarray | None, dx_pad: np.ndarray) -> np.ndarray:
        """:meth:`scatter` into a zeroed dx_pad (N, C, Hp, Wp), returned (uncropped)."""
        won = None if winner is None else np.empty(winner.shape, dtype=bool)
        multiply = winner is not None and self.disjoint and finite(values)  # then v·0 = 0 exactly, and faster
        for k, index in self.offsets():
            target = dx_pad[index]  # (N, C, Ho, Wo) view: the units at offset k of every window
            if won is not None:
                np.equal(winner, k, out=won)
            if won is None and self.disjoint:
                target[...] = values
            elif won is None:
                target += values
            elif multiply:
                np.multiply(values, won, out=target)
            elif self.disjoint:
                np.copyto(target, values, where=won)
            else:
                np.add(target, values, out=target, where=won)
        return dx_pad

    def gather(self, a: np.ndarray, winner: np.ndarray | None = None) -> np.ndarray:
        """The adjoint of :meth:`scatter`: (N, C, H, W) -> (N, C, Ho, Wo), each window's sum of ``a`` over its
        units (zero padding), or, given ``winner``, the value of ``a`` at its winning unit."""
        a_pad = self.pad(a, 0.0)  # (N, C, Hp, Wp)
        if winner is None:
            return self.window_sum(a_pad).astype(a.dtype, copy=False)
        out = np.zeros((*a.shape[:2], *self.out_size), dtype=a.dtype)  # (N, C, Ho, Wo)
        won = np.empty(winner.shape, dtype=bool)
        for k, index in self.offsets():
            np.copyto(out, a_pad[index], where=np.equal(winner, k, out=won))
        return out


def finite(array: np.ndarray) -> bool:
    """Whether every element is finite (one fast reduction; a sum that overflows only errs on the safe side)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.add.reduce(array, axis=None)))

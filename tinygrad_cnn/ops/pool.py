"""2-D max, average and Lp pooling (NCHW, PyTorch's semantics) with the book's backward rules.

Pooling acts on each channel's map separately. A window B of output unit (i, j) covers
``a[i·s + p·d − pad, j·s + q·d − pad]`` for kernel offsets (p, q); the backward pass gives every unit of
the input the output δ times the pooling factor g = ∂z^P/∂a^F, the middle factor of eq. (25), summed over
the windows that hold the unit (windows overlap when stride < kernel). The book gives g for max (eq. (23)),
average and L2 pooling (its pooling-factor table beside eq. (25)); Lp generalises the L2 row:

===========  =============================  =================================================
pooling      forward over a window B        g (∂z^P / ∂a for a unit a of B)
===========  =============================  =================================================
max          ``max_B a``                    eq. (23): 1 for the first maximum of B (row-major), else 0
average      ``(1/|B|) Σ_B a``              ``1/|B|`` (the book's average row; ¼ for its 2×2 blocks)
Lp           ``(Σ_B a^p)^(1/p)``            ``a^(p−1) / z^(p−1)`` (the book's L2 row ``a / z``), 0 where z = 0
===========  =============================  =================================================

Edge values follow PyTorch: a NaN in a max-pooling window takes over (the maximum is NaN, its index and
δ go to the window's last NaN); a window starts at its first unit inside the input, so padding never wins,
not even against −∞ (``return_indices`` is never negative); the δ of a window reaches its winner only
through a mask that selects (an infinite δ leaves the other units an exact 0).

Output sizes follow PyTorch, including ``ceil_mode`` (the last window may run past the input, but must
start inside the input or the left padding). Padding is −∞ for max pooling (it never wins against an
input unit) and 0 for average pooling (counted in |B| or not, by ``count_include_pad``). Unlike
PyTorch, a max-pooling call in which some (dilated) window would read padding only is refused with a
ValueError (PyTorch returns −∞ there, with an index outside the window).

All three backward rules end in one sum over the windows, :func:`spread` (``Geometry.scatter``: each window's
value to its units, or to its winner for max pooling), and are linear in δ. ``spread``'s adjoint is
:func:`gather` (each window's sum, or its winner's value); under ``create_graph=True`` the two are the ops
:class:`Spread` and :class:`Gather`, each the other's derivative, so every pooling is differentiable to any
order (the winners and |B| are constants of the graph).

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
from typing import Any

import numpy as np

from .._checks import check_bool, check_int, is_real
from .._workspace import RECYCLER
from ..function import Context, Function
from ..tensor import Tensor
from .namespace import namespace
from .numerics import quiet
from .promotion import compute_dtype
from .window import Geometry, Pair, as_pair, check_input, output_size

__all__ = ["avg_pool2d", "lp_pool2d", "max_pool2d", "pool_output_size"]


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
    return output_size(size, kernel, stride, padding, dilation, ceil_mode)


def _batched(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """(C, H, W) -> (1, C, H, W) (a batch of one), remembering to undo it."""
    return (x[np.newaxis], True) if x.ndim == 3 else (x, False)


# ----------------------------------------------------------------------------------------- max pooling
def _max_winners(x_pad: np.ndarray, geometry: Geometry, nan_aware: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The maximum of every window and the kernel offset k = p·kW + q of the unit that wins it.

    Returns ``(z, winner)``, both (N, C, Ho, Wo). PyTorch's rule, unit by unit in row-major order: a unit
    takes over if it is strictly greater than the maximum so far (so among tied maxima the **first**
    keeps the win: the project's tie rule of eq. (23)) or if it is NaN (so the window's maximum is NaN
    and its last NaN wins). Each window starts at its first unit inside the input: a padding cell
    (−∞) never wins, not even a window of −∞ units. The NaN test costs a pass per offset, so it is made
    only when the maximum of some window came out NaN (``nan_aware``).
    """
    z = winner = takes_over = a = None
    first = geometry.first_inside()  # (Ho, Wo)
    kind = np.min_scalar_type(geometry.kernel[0] * geometry.kernel[1] - 1)
    for k, index in geometry.offsets():
        if z is None:
            z = RECYCLER.copy(x_pad[index])  # (N, C, Ho, Wo): the unit at offset 0 of every window (−∞ if padding)
            if first.any():  # where offset 0 is padding, the first unit inside holds the win until beaten
                winner = RECYCLER.empty(z.shape, kind)
                winner[...] = first
            else:
                winner = RECYCLER.zeros(z.shape, kind)
            takes_over, a = RECYCLER.empty(z.shape, bool), RECYCLER.empty(z.shape, z.dtype)
            continue
        np.copyto(a, x_pad[index])  # the units at offset k, gathered once: the strided read is the slow part
        np.greater(a, z, out=takes_over)  # strict '>': ties stay with the earlier unit
        if nan_aware:
            takes_over |= np.isnan(a)  # a NaN takes over (PyTorch): the maximum is NaN, its index the last NaN
        np.maximum(z, a, out=z)  # (propagates NaN)
        # winner = k where a took over: k exceeds every earlier offset, so a maximum does it
        # (arithmetic, much faster than a masked assignment with a random mask)
        np.maximum(winner, takes_over * winner.dtype.type(k), out=winner)
    if not nan_aware and np.isnan(np.add.reduce(z, axis=None)):  # a NaN somewhere: again, NaN-aware
        return _max_winners(x_pad, geometry, nan_aware=True)
    return z, winner


class MaxPool2d(Function):
    """Max pooling; forward finds each window's winner once, backward routes δ to it (eq. (23)).

    If ``winners`` is a list, forward appends the (N, C, Ho, Wo) array of winning kernel offsets to it
    (how ``max_pool2d(..., return_indices=True)`` gets them without a second pass).
    """

    differentiable_backward = True  # the winners are constants: the backward is linear in δ (spread/gather)

    @staticmethod
    @quiet
    def forward(ctx: Context, x: np.ndarray, *, geometry: Geometry, winners: list | None = None) -> np.ndarray:
        x, unbatched = _batched(x)
        x_pad = geometry.pad(x, -np.inf)  # (N, C, Hp, Wp); padding is −∞ and never starts a window
        z, winner = _max_winners(x_pad, geometry)  # (N, C, Ho, Wo) each
        if winners is not None:
            winners.append(winner)
        ctx.winner = winner  # a fresh array of this node's own (no fingerprint needed)
        ctx.batch_shape, ctx.unbatched = x.shape[:2], unbatched
        ctx.geometry = geometry
        return z[0] if unbatched else z

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        delta = _batched_grad(grad, ctx.unbatched)  # ∂C/∂z^P: (N, C, Ho, Wo)
        # eq. (23): ∂z^P/∂a^F = 1 for the unit that won its window's max, 0 for the others, so in eq. (25) each
        # window's δ goes to its winner only (a unit winning several overlapping windows gets their sum)
        dx = spread(delta, ctx.geometry, ctx.batch_shape, winner=ctx.winner)  # (N, C, H, W)
        return _unbatched(dx, ctx.unbatched)


def _plane_indices(winner: np.ndarray, geometry: Geometry) -> np.ndarray:
    """PyTorch's ``return_indices``: the flat index h·W + w, in its (H, W) plane, of each window's winner."""
    (sh, sw), (dh, dw), (ph, pw) = geometry.stride, geometry.dilation, geometry.before
    ho, wo = geometry.out_size
    p, q = np.divmod(winner.astype(np.int64), geometry.kernel[1])  # (..., Ho, Wo) offsets within the window
    rows = np.arange(ho).reshape(ho, 1) * sh - ph + p * dh  # (..., Ho, Wo) input row of the winner
    cols = np.arange(wo).reshape(1, wo) * sw - pw + q * dw
    return rows * geometry.size[1] + cols


# ------------------------------------------------------------------------------------- average pooling
def _divisor(geometry: Geometry, count_include_pad: bool) -> np.ndarray:
    """|B| for every window, (Ho, Wo), as PyTorch counts it.

    With ``count_include_pad`` the window is counted up to the end of the right padding (not the ceil-mode
    overhang past it); without, only the input units it covers.
    """
    counts = []
    for a in (0, 1):
        size, k, s, pad = geometry.size[a], geometry.kernel[a], geometry.stride[a], geometry.before[a]
        start = np.arange(geometry.out_size[a]) * s - pad  # first input index of each window (may be < 0)
        end = np.minimum(start + k, size + pad)  # one past the last, clipped to the padded input
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    return np.outer(counts[0], counts[1])  # (Ho, Wo)


class AvgPool2d(Function):
    """Average pooling; backward gives every unit of a window δ/|B|."""

    differentiable_backward = True  # linear in δ: spread, whose adjoint is gather

    @staticmethod
    @quiet
    def forward(
        ctx: Context, x: np.ndarray, *, geometry: Geometry, count_include_pad: bool, divisor_override: int | None
    ) -> np.ndarray:
        x, unbatched = _batched(x)
        x_pad = geometry.pad(x, 0.0)  # (N, C, Hp, Wp)
        total = geometry.window_sum(x_pad)  # Σ_B a: (N, C, Ho, Wo)
        if divisor_override is None:
            divisor = _divisor(geometry, count_include_pad).astype(x.dtype)  # |B|: (Ho, Wo)
        else:  # PyTorch's divisor_override: every window's sum divided by the same number
            divisor = np.full(geometry.out_size, divisor_override, dtype=x.dtype)
        ctx.divisor, ctx.geometry = divisor, geometry
        ctx.batch_shape, ctx.unbatched = x.shape[:2], unbatched
        z = (total / divisor).astype(x.dtype, copy=False)  # total is float32 for float16 (window_sum)
        return z[0] if unbatched else z

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        delta = _batched_grad(grad, ctx.unbatched)  # (N, C, Ho, Wo)
        # the book's average pooling (its pooling-factor table beside eq. (25)): ∂z^P/∂a^F = 1/|B| for every
        # unit of the window, so each gets δ/|B|, summed over the windows that hold it
        dx = spread(delta / ctx.divisor, ctx.geometry, ctx.batch_shape)  # (N, C, H, W)
        return _unbatched(dx, ctx.unbatched)


# ------------------------------------------------------------------------------------------ Lp pooling
class LpPool2d(Function):
    """Lp pooling ``z = (Σ_B a^p)^(1/p)``; backward ``δ · a^(p−1) / z^(p−1)`` (0 where z = 0).

    Both passes compute in the compute dtype (float32 for float16 input, as the README says): ``a^p`` and
    ``a^(p−1)`` of a float16 a overflow float16 long before z does.
    """

    differentiable_backward = True  # the rule is written with operators and namespace(...) (ops/namespace.py)

    @staticmethod
    @quiet
    def forward(ctx: Context, x: np.ndarray, *, geometry: Geometry, norm_type: float) -> np.ndarray:
        x_in = x
        x, unbatched = _batched(x)
        p = norm_type
        xc = x.astype(compute_dtype(x.dtype), copy=False)  # float16 computed in float32 (300² overflows float16)
        powered = xc * xc if p == 2 else np.power(xc, p)  # a^p: (N, C, H, W)
        powered_pad = geometry.pad(powered, 0.0)  # ceil-mode overhang adds 0 to the sum
        total = geometry.window_sum(powered_pad)  # Σ_B a^p: (N, C, Ho, Wo)
        with np.errstate(invalid="ignore"):  # a negative sum has no real p-th root: NaN, as in PyTorch
            z = (np.sqrt(total) if p == 2 else np.power(total, 1.0 / p)).astype(x.dtype, copy=False)
        out = z[0] if unbatched else z
        ctx.save_for_backward(x_in, out)  # the input and the output: guarded by the write log
        ctx.geometry, ctx.norm_type, ctx.unbatched = geometry, p, unbatched
        return out

    @staticmethod
    @quiet
    def backward(ctx: Context, grad: Any) -> Any:
        x, z = ctx.saved_tensors  # (N, C, H, W), (N, C, Ho, Wo) (or unbatched)
        p, dtype, wide = ctx.norm_type, x.dtype, compute_dtype(x.dtype)
        # in the forward's compute dtype (float16 in float32)
        x, z, delta = (_batched_grad(v, ctx.unbatched).astype(wide, copy=False) for v in (x, z, grad))
        if p == 1:  # z = Σ_B a is linear: g = 1 for every unit of the window (a^0 / z^0)
            per_window = delta
        else:  # the book's L2 pooling factor (table beside eq. (25)) ∂z^P/∂a^F = a / z, generalised to
            # a^(p−1) / z^(p−1); δ / z^(p−1) per window, defined as 0 where the window's norm z is 0 (z is
            # replaced by 1 there first, so that no 1/0 enters the next order's derivative either)
            xp, nonzero = namespace(delta, z), z != 0
            z_safe = xp.where(nonzero, z, 1.0)
            per_window = xp.where(nonzero, delta / (z_safe if p == 2 else z_safe ** (p - 1)), 0.0)
        summed = spread(per_window, ctx.geometry, x.shape[:2])  # Σ over the windows holding a unit: (N, C, H, W)
        # g = a^(p−1) / z^(p−1): the a^(p−1) factor is the unit's own, shared by all its windows
        dx = summed if p == 1 else summed * (x if p == 2 else x ** (p - 1))
        return _unbatched(dx.astype(dtype, copy=False), ctx.unbatched)


# -------------------------------------------------------------------------- the adjoint pair, spread/gather
def spread(values: Any, geometry: Geometry, batch_shape: tuple[int, ...], winner: np.ndarray | None = None) -> Any:
    """Each window's value sent to its units, summed where windows overlap: (N, C, Ho, Wo) -> (N, C, H, W).

    To every unit of the window, or, given ``winner`` (the kernel offset of each window's maximum), to that
    unit only. The backward of every pooling: ``Geometry.scatter`` on arrays, the op :class:`Spread` on Tensors.
    """
    if isinstance(values, Tensor):
        return Spread.apply(values, geometry=geometry, batch_shape=tuple(batch_shape), winner=winner)
    return geometry.scatter(values, batch_shape, winner)


def gather(a: Any, geometry: Geometry, winner: np.ndarray | None = None) -> Any:
    """The adjoint of :func:`spread`: (N, C, H, W) -> (N, C, Ho, Wo), each window's sum of ``a`` (or ``a`` at
    its winner). ``Geometry.gather`` on arrays, the op :class:`Gather` on Tensors."""
    if isinstance(a, Tensor):
        return Gather.apply(a, geometry=geometry, winner=winner)
    return geometry.gather(a, winner)


class Spread(Function):
    """:func:`spread` as an op (a pooling's backward under create_graph); linear, its gradient is :func:`gather`."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, values: np.ndarray, *, geometry: Geometry, batch_shape: tuple[int, ...],
                winner: np.ndarray | None) -> np.ndarray:
        ctx.geometry, ctx.winner = geometry, winner
        return geometry.scatter(values, batch_shape, winner)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return gather(grad, ctx.geometry, ctx.winner)


class Gather(Function):
    """:func:`gather` as an op; linear, its gradient is :func:`spread`."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, *, geometry: Geometry, winner: np.ndarray | None) -> np.ndarray:
        ctx.geometry, ctx.winner, ctx.batch_shape = geometry, winner, a.shape[:2]
        return geometry.gather(a, winner)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return spread(grad, ctx.geometry, ctx.batch_shape, ctx.winner)


def _batched_grad(value: Any, unbatched: bool) -> Any:
    """An array or Tensor of an unbatched call (C, ·, ·) as a batch of one (1, C, ·, ·)."""
    return value.reshape((1, *value.shape)) if unbatched else value


def _unbatched(value: Any, unbatched: bool) -> Any:
    return value.reshape(value.shape[1:]) if unbatched else value


# ---------------------------------------------------------------------------------- public functions
def _pool_geometry(
    func: str, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: Any
) -> Geometry:
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
    ceil_mode = check_bool(ceil_mode, "ceil_mode", func)
    geometry = Geometry.for_pool(x.shape[-2:], kernel, stride_hw, padding_hw, dilation_hw, ceil_mode)
    if min(geometry.out_size) < 1:
        h, w = geometry.size
        raise ValueError(
            f"{func}: the window {kernel} (kernel_size={kernel_size!r}, dilation {dilation_hw}) is larger than the "
            f"padded input "
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
    check_bool(return_indices, "return_indices", "max_pool2d")
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
    divisor_override: int | None = None,
) -> Tensor:
    """Average pooling (PyTorch's ``avg_pool2d``): each window's sum divided by its size |B|.

    |B| counts the zero padding if ``count_include_pad`` (up to the end of the padding, as PyTorch);
    otherwise only the input units. ``divisor_override`` (an int ≥ 1), if given, replaces |B| for every
    window (as in PyTorch; ``count_include_pad`` is then unused). Backward: every unit of a window gets
    δ/|B| (δ/divisor_override).

    >>> avg_pool2d(Tensor(np.ones((1, 2, 2))), 2, divisor_override=2).data
    array([[[2.]]])

    >>> from tinygrad_cnn import Tensor
    >>> avg_pool2d(Tensor(np.arange(16.0).reshape(1, 4, 4)), 2).data
    array([[[ 2.5,  4.5],
            [10.5, 12.5]]])
    """
    geometry = _pool_geometry("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    count_include_pad = check_bool(count_include_pad, "count_include_pad", "avg_pool2d")
    if divisor_override is not None:
        divisor_override = check_int(divisor_override, "divisor_override", "avg_pool2d", minimum=1)
    return AvgPool2d.apply(
        x, geometry=geometry, count_include_pad=count_include_pad, divisor_override=divisor_override
    )


def lp_pool2d(
    x: Tensor,
    norm_type: float,
    kernel_size: int | Pair,
    stride: int | Pair | None = None,
    ceil_mode: bool = False,
) -> Tensor:
    """Lp pooling ``z = (Σ_B a^p)^(1/p)`` with ``p = norm_type`` (> 0); ``norm_type=2`` is the book's L2 pooling.

    A plain sum over each window, no absolute value (as PyTorch): a window whose sum of ``a^p`` is
    negative (odd p, negative inputs) gives NaN, as in PyTorch. Unlike PyTorch, a ceil-mode window
    that runs past the input is a plain sum over the units it covers (PyTorch scales it by
    kH·kW / (units covered)). Backward: ``δ · a^(p−1) / z^(p−1)`` (``δ · a / z`` for L2), 0 where
    the window's z is 0, as PyTorch gives (for p = 1, z is a plain sum and g = 1 everywhere; PyTorch gives 0
    where the sum is exactly 0: a deliberate, tested difference).

    >>> from tinygrad_cnn import Tensor
    >>> lp_pool2d(Tensor([[[[3.0, 0.0], [0.0, 4.0]]]]), 2, 2).data
    array([[[[5.]]]])
    """
    if not is_real(norm_type):
        raise TypeError(f"lp_pool2d: norm_type must be a number, got {norm_type!r}")
    if not (math.isfinite(norm_type) and norm_type > 0):
        raise ValueError(f"lp_pool2d: norm_type must be a finite number > 0, got {norm_type!r}")
    geometry = _pool_geometry("lp_pool2d", x, kernel_size, stride, 0, 1, ceil_mode)
    return LpPool2d.apply(x, geometry=geometry, norm_type=float(norm_type))

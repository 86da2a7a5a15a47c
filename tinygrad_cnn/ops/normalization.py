"""Batch normalization and dropout, each a ``Function`` with a hand-written backward.

Batch normalization (Ioffe & Szegedy), per channel c over the m = N·H·W elements of a batch, eq. (B1)–(B6) of
``textbook/MATH.md``, section "Batch normalization":

* (B1) μ = (1/m) Σᵢ xᵢ,  σ² = (1/m) Σᵢ (xᵢ − μ)²,  x̂ᵢ = (xᵢ − μ)/√(σ² + ε),  yᵢ = γ x̂ᵢ + β
* (B2) ∂L/∂β = Σᵢ gᵢ          (B3) ∂L/∂γ = Σᵢ gᵢ x̂ᵢ            with gᵢ = ∂L/∂yᵢ
* (B4) ∂L/∂xᵢ = γ/√(σ² + ε) · (gᵢ − (1/m) Σⱼ gⱼ − x̂ᵢ (1/m) Σⱼ gⱼ x̂ⱼ)     (μ, σ² from the batch: training)
* (B5) ∂L/∂xᵢ = γ gᵢ/√(σ²_run + ε)                                     (fixed running statistics: evaluation)
* (B6) running ← (1 − momentum)·running + momentum·batch statistic, the variance unbiased (× m/(m − 1))

>>> import numpy as np
>>> from tinygrad_cnn import Tensor
>>> x = Tensor(np.array([[1.0], [3.0]]), requires_grad=True)         # (N=2, C=1)
>>> y = batch_norm(x, None, None, training=True, eps=0.0)
>>> y.data.ravel()                                                   # (x − 2)/1
array([-1.,  1.])

Dropout zeroes each element with probability p and scales the survivors by 1/(1 − p) ("inverted" dropout, so
evaluation needs no rescaling); its backward multiplies by the same mask.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import check_bool, check_float
from ..function import Context, Function
from ..grad_mode import no_grad
from ..random import generator as _generator
from ..tensor import Tensor
from .numerics import quiet
from .promotion import compute_dtype

__all__ = ["BatchNorm", "Dropout", "LayerNorm", "batch_norm", "dropout", "dropout2d", "dropout_mask", "layer_norm"]


def _channel_shape(ndim: int, channels: int) -> tuple[int, ...]:
    """(1, C, 1, …): a per-channel array broadcast against (N, C, d1, …)."""
    return (1, channels) + (1,) * (ndim - 2)


class BatchNorm(Function):
    """``y = γ (x − μ)/√(σ² + ε) + β`` per channel (axis 1); ``weight``/``bias`` may be None (no affine part).

    ``mean``/``var`` are arrays of shape (C,); ``batch_stats`` says whether they were computed from ``x``
    (training: the gradient flows through them, (B4)) or are fixed running statistics (evaluation, (B5)).
    The backward rule runs on arrays and on Tensors (``ops/namespace.py``): under ``create_graph`` x̂ and
    1/√(σ² + ε) are recomputed from ``x`` as Tensor ops, so (B2)–(B5) can be differentiated again.
    """

    differentiable_backward = True

    @staticmethod
    @quiet
    def forward(ctx: Context, x: np.ndarray, weight: Any, bias: Any, mean: np.ndarray, var: np.ndarray,
                eps: float, batch_stats: bool) -> np.ndarray:
        shape = _channel_shape(x.ndim, x.shape[1])
        work = compute_dtype(x.dtype)  # float16 is computed in float32, rounded once at the end
        inv_std = (1.0 / np.sqrt(var + eps)).astype(work, copy=False)  # (C,), var in float32 or wider
        x_hat = (x.astype(work, copy=False) - mean.astype(work).reshape(shape)) * inv_std.reshape(shape)  # (B1)
        y = x_hat * weight.reshape(shape) if weight is not None else x_hat
        if bias is not None:
            y = y + bias.reshape(shape)
        ctx.save_for_backward(x, weight)
        ctx.x_hat, ctx.inv_std, ctx.batch_stats, ctx.eps = x_hat, inv_std, batch_stats, eps
        ctx.mean = None if batch_stats else mean.copy()  # (C,): a running buffer may change before backward
        ctx.m = x.size // max(x.shape[1], 1)  # the elements per channel
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[Any, ...]:
        x, weight = ctx.saved_tensors
        x_hat, inv_std = _batch_normalized(ctx, x)  # x̂ (N, C, ...) and 1/√(σ² + ε) (C,)  (B1)
        axes = (0,) + tuple(range(2, grad.ndim))  # every axis but the channel axis
        shape = _channel_shape(grad.ndim, grad.shape[1])
        dtype, grad = grad.dtype, grad.astype(x_hat.dtype, copy=False)  # float16 summed in float32
        grad_bias = grad.sum(axis=axes)  # (C,)  (B2)
        grad_weight = (grad * x_hat).sum(axis=axes)  # (C,)  (B3)
        grad_x = None
        if ctx.needs_input_grad[0]:
            scale = inv_std if weight is None else weight * inv_std  # γ/√(σ² + ε), (C,)
            if ctx.batch_stats:  # (B4)
                mean_g = (grad_bias / ctx.m).reshape(shape)  # (1/m) Σⱼ gⱼ
                mean_g_xhat = (grad_weight / ctx.m).reshape(shape)  # (1/m) Σⱼ gⱼ x̂ⱼ
                grad_x = scale.reshape(shape) * (grad - mean_g - x_hat * mean_g_xhat)  # (N, C, ...)
            else:  # (B5)
                grad_x = grad * scale.reshape(shape)
        grad_x, grad_weight, grad_bias = (None if g is None else g.astype(dtype, copy=False)
                                          for g in (grad_x, grad_weight, grad_bias))
        return (grad_x, grad_weight if weight is not None else None, grad_bias if ctx.parents[2] is not None else None,
                None, None, None, None)


def _batch_normalized(ctx: Context, x: Any) -> tuple[Any, Any]:
    """x̂ and 1/√(σ² + ε) of (B1): the forward's arrays at first order; under ``create_graph`` (``x`` a Tensor)
    recomputed from ``x`` as Tensor ops, so that in training their dependence on x through μ and σ² is in the
    graph (the running statistics of evaluation are constants)."""
    if not isinstance(x, Tensor):
        return ctx.x_hat, ctx.inv_std
    from .statistics import var

    x = x.astype(ctx.x_hat.dtype, copy=False)
    channels = x.shape[1]
    shape = _channel_shape(x.ndim, channels)
    if not ctx.batch_stats:
        inv_std = Tensor._make(ctx.inv_std, None)
        return (x - ctx.mean.astype(x.dtype).reshape(shape)) * inv_std.reshape(shape), inv_std
    axes = (0,) + tuple(range(2, x.ndim))
    inv_std = (var(x, axes, keepdim=True, correction=0) + ctx.eps) ** -0.5  # (1, C, 1, …)
    return (x - x.mean(axis=axes, keepdims=True)) * inv_std, inv_std.reshape(channels)


@quiet
def _batch_stats(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and biased variance, accumulated in float32 for float16 (PyTorch's opmath).

    Where the squares overflow the computation dtype (float32 values near 1e20), they are redone in float64.
    """
    work = compute_dtype(x.dtype)
    mean = np.mean(x, axis=axes, dtype=work)  # (C,)
    var = np.var(x, axis=axes, dtype=work)  # (C,)
    if not np.all(np.isfinite(var)) and np.all(np.isfinite(x)):
        mean, var = np.mean(x, axis=axes, dtype=np.float64), np.var(x, axis=axes, dtype=np.float64)
    return mean, var


def _update(buffer: Any, value: np.ndarray) -> None:
    """Write ``value`` into a running-statistics buffer in place: a Tensor through ``copy_``, an array directly."""
    if isinstance(buffer, Tensor):
        with no_grad():
            buffer.copy_(value)
    else:
        np.copyto(buffer, value, casting="same_kind")


def _as_data(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def batch_norm(x: Tensor, running_mean: Tensor | np.ndarray | None, running_var: Tensor | np.ndarray | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float | None = 0.1, eps: float = 1e-5, num_batches_tracked: Any = None) -> Tensor:
    """Batch normalization over axis 1 of ``x`` (N, C, d1, …), as ``torch.nn.functional.batch_norm``.

    In training (or without running statistics) the batch's statistics normalize ``x`` and, if given, the
    running statistics are updated in place by (B6): ``momentum=None`` gives the cumulative average
    (factor 1/``num_batches_tracked``, which the caller has already incremented). In evaluation the running
    statistics normalize ``x``.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"batch_norm: input must be a Tensor, got {type(x).__name__}")
    training = check_bool(training, "training", "batch_norm")
    eps = check_float(eps, "eps", "batch_norm", minimum=0.0)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must have shape (N, C, ...), got shape {x.shape}")
    channels = x.shape[1]
    mean_array, var_array = _as_data(running_mean), _as_data(running_var)
    for name, value in (("running_mean", mean_array), ("running_var", var_array), ("weight", _as_data(weight)),
                        ("bias", _as_data(bias))):
        if value is not None and np.shape(value) != (channels,):
            raise ValueError(f"batch_norm: {name} must have shape ({channels},) for {channels} channels, "
                             f"got {np.shape(value)}")
    use_batch = training or mean_array is None or var_array is None
    if use_batch:
        axes = (0,) + tuple(range(2, x.ndim))
        m = x.numel() // channels if channels else 0
        if training and m <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input of "
                             f"shape {x.shape}")
        mean, var = _batch_stats(x.data, axes)  # (C,) each, var biased: the normalization uses 1/m  (B1)
        if training and mean_array is not None and var_array is not None:
            if momentum is None:
                if num_batches_tracked is None or float(_as_data(num_batches_tracked)) < 1:
                    raise ValueError("batch_norm: momentum=None (the cumulative average) needs num_batches_tracked "
                                     f">= 1, the number of batches including this one; got {num_batches_tracked!r}")
                factor = 1.0 / float(_as_data(num_batches_tracked))
            else:
                factor = check_float(momentum, "momentum", "batch_norm", minimum=0.0, maximum=1.0)
            unbiased = var * (m / (m - 1))  # (B6)
            _update(running_mean, (1 - factor) * mean_array + factor * mean)
            _update(running_var, (1 - factor) * var_array + factor * unbiased)
    else:
        work = compute_dtype(x.dtype)
        mean, var = np.asarray(mean_array, dtype=work), np.asarray(var_array, dtype=work)
    return BatchNorm.apply(x, weight, bias, mean, var, eps, use_batch)  # the statistics in float32 or wider


class Dropout(Function):
    """``x · scale`` with ``scale`` = keep-mask/(1 − p) drawn by the caller; backward multiplies by the same
    (eq. (D1)). The scale is a constant of the graph, so the rule is differentiable to any order."""

    differentiable_backward = True

    @staticmethod
    @quiet
    def forward(ctx: Context, x: np.ndarray, scale: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(scale)
        ctx.save_constant(scale)
        ctx.scale = scale  # the mask this call drew, as deltas/recording.py reads it
        return x * scale

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        (scale,) = ctx.saved_tensors
        return grad * scale, None  # (D1): ∂L/∂x = g · mask/(1 − p)


def _frozen(scale: np.ndarray) -> np.ndarray:
    """The scale made for one call, read-only: the saved array then needs no fingerprint guard."""
    scale.setflags(write=False)
    return scale


def dropout_mask(shape: tuple[int, ...], p: float, rng: np.random.Generator) -> np.ndarray:
    """A bool mask of ``shape``: True (kept) with probability 1 − p, independently per element."""
    return rng.random(shape) >= p


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
            generator: np.random.Generator | None = None, seed: Any = None) -> Tensor:
    """Inverted dropout: in training, zero each element with probability ``p`` and scale the rest by 1/(1 − p).

    The mask comes from ``tinygrad_cnn.random.generator(seed, generator)``, so ``manual_seed`` makes it
    reproducible. Outside training, or with p = 0, ``x`` is returned unchanged; p = 1 gives zeros. ``inplace`` is
    accepted for PyTorch's signature; the result is always a new tensor.

    >>> import tinygrad_cnn
    >>> from tinygrad_cnn import Tensor
    >>> y = dropout(Tensor([1.0, 1.0, 1.0, 1.0]), p=0.5, seed=0)
    >>> sorted(set(y.data.tolist()))                  # dropped, or kept and doubled
    [0.0, 2.0]
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"dropout: input must be a Tensor, got {type(x).__name__}")
    p = check_float(p, "p", "dropout", minimum=0.0, maximum=1.0)
    training = check_bool(training, "training", "dropout")
    check_bool(inplace, "inplace", "dropout")
    if not training or p == 0.0:
        return x
    rng = _generator(seed=seed, generator=generator, where="dropout")
    keep = dropout_mask(x.shape, p, rng)
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    scale = keep.astype(dtype) * (1.0 / (1.0 - p)) if p < 1.0 else np.zeros(x.shape, dtype=dtype)
    return Dropout.apply(x, _frozen(scale.astype(dtype, copy=False)))


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              generator: np.random.Generator | None = None, seed: Any = None) -> Tensor:
    """Channel dropout (PyTorch's ``dropout2d``): in training, zero each whole channel ``x[n, c]`` of an
    (N, C, H, W) input with probability ``p`` and scale the kept ones by 1/(1 − p); a 3-D input is (N, C, L), as
    PyTorch reads it now. The backward rule is dropout's, with one mask entry per channel: eq. (D1) of
    MATH.md, "Variance, norms and layer normalization".

    >>> from tinygrad_cnn import Tensor
    >>> y = dropout2d(Tensor(np.ones((1, 4, 2, 2))), p=0.5, seed=0)
    >>> [sorted(set(y.data[0, c].ravel().tolist())) for c in range(4)]   # each channel all dropped or all kept
    [[2.0], [0.0], [0.0], [0.0]]
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"dropout2d: input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: input must have shape (N, C, H, W) or (N, C, L), got shape {x.shape}")
    p = check_float(p, "p", "dropout2d", minimum=0.0, maximum=1.0)
    training = check_bool(training, "training", "dropout2d")
    check_bool(inplace, "inplace", "dropout2d")
    if not training or p == 0.0:
        return x
    rng = _generator(seed=seed, generator=generator, where="dropout2d")
    channels = x.shape[:2] + (1,) * (x.ndim - 2)  # (N, C, 1, 1): one draw per channel
    keep = dropout_mask(channels, p, rng)
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    scale = keep.astype(dtype) * (1.0 / (1.0 - p)) if p < 1.0 else np.zeros(channels, dtype=dtype)
    return Dropout.apply(x, _frozen(scale.astype(dtype, copy=False)))  # grad · scale broadcasts back to x's shape


class LayerNorm(Function):
    """y = γ x̂ + β with x̂ = (x − μ)/√(σ² + ε) over the last axes ``axes``: eqs. (L1), (L2) of MATH.md,
    "Variance, norms and layer normalization". ``weight``/``bias`` (of the normalized shape) may be None.
    The backward rule runs on arrays and on Tensors (``ops/namespace.py``), as batch norm's."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: Any, bias: Any, axes: tuple[int, ...], eps: float) -> np.ndarray:
        centered, var = _centered_and_variance(x, axes)  # x − μ (x's shape) and σ² (…, 1, …, 1)
        inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        x_hat = np.multiply(centered, inv_std, out=centered)  # (L1), in the buffer of x − μ
        y = x_hat * weight if weight is not None else x_hat
        if bias is not None:
            y = y + bias
        ctx.save_for_backward(x, weight)
        ctx.x_hat, ctx.inv_std, ctx.axes, ctx.eps = x_hat, inv_std, axes, eps
        return y

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[Any, ...]:
        x, weight = ctx.saved_tensors
        x_hat, inv_std = _layer_normalized(ctx, x)  # (L1), both of x's rank
        axes = ctx.axes
        batch_axes = tuple(range(grad.ndim - len(axes)))  # every axis that is not normalized
        g_hat = grad * weight if weight is not None else grad  # ∂L/∂x̂ = γ g
        # (L2): ∂L/∂x = (1/s)(ĝ − mean(ĝ) − x̂·mean(ĝ x̂)), the means over the normalized axes
        grad_x = inv_std * (g_hat - g_hat.mean(axis=axes, keepdims=True)
                            - x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True))
        grad_weight = (grad * x_hat).sum(axis=batch_axes) if weight is not None else None  # Σ g x̂
        grad_bias = grad.sum(axis=batch_axes) if ctx.parents[2] is not None else None  # Σ g
        return grad_x, grad_weight, grad_bias, None, None


def _centered_and_variance(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """x − μ (a new array) and the biased σ² over ``axes`` (kept as axes of size 1): what ``x.mean`` and
    ``x.var`` give, bit for bit (the same sums in the same order), with the centring done once, not twice."""
    mean = x.mean(axis=axes, keepdims=True)  # (…, 1, …, 1)
    if x.dtype == np.float16:  # numpy sums float16 in float32 for the mean but not for the variance
        return x - mean, x.var(axis=axes, keepdims=True)
    centered = x - mean
    var = np.square(centered).sum(axis=axes, keepdims=True)
    return centered, np.divide(var, math.prod(x.shape[a] for a in axes), out=var)


def _layer_normalized(ctx: Context, x: Any) -> tuple[Any, Any]:
    """x̂ and 1/√(σ² + ε) of (L1): the forward's arrays, or under ``create_graph`` the same as Tensor ops of x."""
    if not isinstance(x, Tensor):
        return ctx.x_hat, ctx.inv_std
    from .statistics import var

    inv_std = (var(x, ctx.axes, keepdim=True, correction=0) + ctx.eps) ** -0.5
    return (x - x.mean(axis=ctx.axes, keepdims=True)) * inv_std, inv_std


def layer_norm(x: Tensor, normalized_shape: Any, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Layer normalization over the last ``len(normalized_shape)`` axes, as ``torch.nn.functional.layer_norm``
    (the biased variance, as PyTorch).

    >>> from tinygrad_cnn import Tensor
    >>> layer_norm(Tensor([[1.0, 3.0]]), (2,), eps=0.0)
    Tensor([[-1.,  1.]])
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"layer_norm: input must be a Tensor, got {type(x).__name__}")
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    if not shape or x.shape[x.ndim - len(shape):] != shape or len(shape) > x.ndim:
        raise ValueError(f"layer_norm: normalized_shape {shape} must be the last axes of the input, got input of "
                         f"shape {x.shape}")
    eps = check_float(eps, "eps", "layer_norm", minimum=0.0)
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and np.shape(_as_data(value)) != shape:
            raise ValueError(f"layer_norm: {name} must have shape {shape}, got {np.shape(_as_data(value))}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    return LayerNorm.apply(x, weight, bias, axes, eps)

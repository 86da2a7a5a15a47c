"""Drawn cases of the ops added for PyTorch users (issue 8), for the registry in ``checks.py``.

Each strategy draws ``(function, inputs, note)``: ``gradcheck(function, inputs)`` must pass.
"""

from __future__ import annotations

import numpy as np
from hypothesis.extra import numpy as hnp

from ..ops.activation import gelu, leaky_relu, where
from ..ops.movement import cat
from ..tensor import Tensor
from .array_strategies import arrays, broadcastable_shapes, shapes, st, tensors


def unsqueeze_squeeze_cases() -> st.SearchStrategy[tuple]:
    """``unsqueeze(dim)`` at every position (negative too), then ``squeeze`` of all, one or a tuple of axes."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        x = draw(tensors(shape=shapes(max_dims=3, max_side=3, min_side=1)))
        position = draw(st.integers(-x.ndim - 1, x.ndim))
        form = draw(st.sampled_from(["all", "one", "tuple", "not-one"]))
        squeeze_arg = {"all": None, "one": position, "tuple": (position, 0), "not-one": 0}[form]
        if form == "tuple" and x.ndim + 1 < 2:
            squeeze_arg = position
        return (lambda t: (t.unsqueeze(position) * 2).squeeze(squeeze_arg) if squeeze_arg is not None
                    else (t.unsqueeze(position) * 2).squeeze(), (x,), f"unsqueeze({position}).squeeze({squeeze_arg})")

    return cases()


def view_cases() -> st.SearchStrategy[tuple]:
    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        x = draw(tensors(shape=shapes(max_dims=3)))
        target = draw(st.sampled_from([(-1,), (x.numel(),), (1, -1), x.shape[::-1]]))
        return (lambda t: t.view(*target) * t.view(*target), (x,), f"view{target} squared")

    return cases()


def expand_cases() -> st.SearchStrategy[tuple]:
    """Axes of length 1 expanded, -1 kept, new leading axes: each element's gradient sums over its copies."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        base = draw(shapes(max_dims=3, max_side=3))
        shape = tuple(draw(st.sampled_from([1, n])) for n in base)  # some axes of length 1
        x = draw(tensors(shape=shape))
        lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
        sizes = lead + tuple(b if n == 1 else draw(st.sampled_from([n, -1])) for n, b in zip(shape, base))
        weights = Tensor(draw(arrays(shape=tuple(lead) + base)))  # makes every copy's gradient different
        return (lambda t: t.expand(*sizes) * weights, (x,), f"expand{sizes}")

    return cases()


def where_cases() -> st.SearchStrategy[tuple]:
    """``where(condition, x, y)`` with a drawn bool condition broadcast against both inputs."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        shape_c, shape_a, shape_b = draw(broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
        condition = draw(hnp.arrays(np.bool_, shape_c))
        a, b = draw(tensors(shape=shape_a)), draw(tensors(shape=shape_b))
        return (lambda x, y: where(condition, x, y) * where(condition, y, 2.0), (a, b), "where")

    return cases()


def cat_cases() -> st.SearchStrategy[tuple]:
    """``cat`` with PyTorch's ``dim=``: pieces that differ in length along ``dim`` only."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
        dim = draw(st.integers(-len(shape), len(shape) - 1))
        at = dim % len(shape)
        parts = tuple(draw(tensors(shape=shape[:at] + (n,) + shape[at + 1 :])) for n in draw(
            st.lists(st.integers(1, 3), min_size=1, max_size=3)))
        return (lambda *ts: cat(ts, dim=dim), parts, f"cat(dim={dim})")

    return cases()


def leaky_relu_cases() -> st.SearchStrategy[tuple]:
    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        x = draw(tensors(shape=shapes(max_dims=3), avoid=(0.0,), gap=1e-2))
        slope = draw(st.sampled_from([0.01, 0.2, -0.5, 1.5]))
        return (lambda t: leaky_relu(t, slope), (x,), f"leaky_relu(slope={slope})")

    return cases()


def gelu_cases() -> st.SearchStrategy[tuple]:
    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        x = draw(tensors(shape=shapes(max_dims=3), min_value=-6.0, max_value=6.0))
        approximate = draw(st.sampled_from(["none", "tanh"]))
        return (lambda t: gelu(t, approximate), (x,), f"gelu(approximate={approximate!r})")

    return cases()


def dim_cases() -> st.SearchStrategy[tuple]:
    """PyTorch's spelling of the reductions and softmaxes: ``dim=`` and ``keepdim=``."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        x = draw(tensors(shape=shapes(min_dims=1, max_dims=3, max_side=3), distinct=True, gap=1e-2))
        dim = draw(st.integers(-x.ndim, x.ndim - 1))
        keepdim = draw(st.booleans())
        method = draw(st.sampled_from(["sum", "mean", "max", "min"]))
        def reduced(t: Tensor) -> Tensor:  # max(dim)/min(dim) return (values, indices), as PyTorch
            out = getattr(t, method)(dim=dim, keepdim=keepdim)
            return out.values if method in ("max", "min") else out

        return (lambda t: reduced(t) + t.log_softmax(dim=dim).sum(dim=dim, keepdim=keepdim), (x,),
                f"{method}(dim={dim}, keepdim={keepdim}) + log_softmax(dim={dim})")

    return cases()


# ---- variance, standard deviation and norms (ops/statistics.py, issue 20)
def var_std_cases() -> st.SearchStrategy[tuple]:
    """``var``/``std`` over a drawn ``dim`` with ``correction`` 0 or 1 (at least 2 elements per reduction)."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        x = draw(tensors(shape=shapes(min_dims=1, max_dims=3, min_side=2, max_side=3), distinct=True, gap=0.05))
        dim = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
        correction, keepdim = draw(st.sampled_from([0, 1])), draw(st.booleans())
        method = draw(st.sampled_from(["var", "std"]))
        return (lambda t: getattr(t, method)(dim, keepdim=keepdim, correction=correction), (x,),
                f"{method}(dim={dim}, correction={correction}, keepdim={keepdim})")

    return cases()


def norm_cases() -> st.SearchStrategy[tuple]:
    """``norm(p, dim)`` for p in 1, 2, 3, 0.5, inf and 'fro'; magnitudes distinct and away from 0 (no kinks)."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
        magnitude = draw(arrays(shape=shape, min_value=0.2, max_value=3.0, distinct=True, gap=1e-2))
        signs = draw(hnp.arrays(np.bool_, shape))
        x = Tensor(np.where(signs, magnitude, -magnitude), requires_grad=True)
        p = draw(st.sampled_from([1, 2, 3, 0.5, float("inf"), "fro"]))
        dim = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
        keepdim = draw(st.booleans())
        return (lambda t: t.norm(p, dim, keepdim), (x,), f"norm(p={p}, dim={dim}, keepdim={keepdim})")

    return cases()


# ---- layer normalization, adaptive average pooling, channel dropout (issue 20)
def layer_norm_cases() -> st.SearchStrategy[tuple]:
    """``layer_norm`` over the last 1 or 2 axes, with or without γ and β (drawn, so their gradients are checked)."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        from ..ops.normalization import layer_norm

        x = draw(tensors(shape=shapes(min_dims=1, max_dims=3, min_side=2, max_side=3), distinct=True, gap=0.05))
        k = draw(st.integers(1, x.ndim))
        shape = x.shape[x.ndim - k:]
        affine = draw(st.booleans())
        params = (draw(tensors(shape=shape)), draw(tensors(shape=shape))) if affine else ()
        weights = Tensor(draw(arrays(shape=x.shape)))  # a drawn linear functional of y (Σ y alone has gradient 0)

        def fn(t: Tensor, *gamma_beta: Tensor) -> Tensor:
            return layer_norm(t, shape, *gamma_beta, eps=1e-5) * weights

        return (fn, (x, *params), f"layer_norm(normalized_shape={shape}, affine={affine})")

    return cases()


def adaptive_avg_pool_cases() -> st.SearchStrategy[tuple]:
    """``adaptive_avg_pool2d`` to output sizes smaller, equal to and larger than the input (overlapping windows)."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        from ..ops.adaptive_pool import adaptive_avg_pool2d

        shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 5)), draw(st.integers(1, 5)))
        x = draw(tensors(shape=shape))
        size = (draw(st.one_of(st.none(), st.integers(1, 6))), draw(st.integers(1, 6)))
        return (lambda t: adaptive_avg_pool2d(t, size) ** 2, (x,), f"adaptive_avg_pool2d({size})")

    return cases()


def dropout2d_cases() -> st.SearchStrategy[tuple]:
    """``dropout2d`` with a seeded mask (the same mask in every finite-difference evaluation)."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        from ..ops.normalization import dropout2d

        x = draw(tensors(shape=st.sampled_from([(2, 3, 2, 2), (1, 4, 3), (3, 2, 1, 2)])))
        p, seed = draw(st.sampled_from([0.25, 0.5])), draw(st.integers(0, 100))
        return (lambda t: dropout2d(t, p, seed=seed) ** 2, (x,), f"dropout2d(p={p}, seed={seed})")

    return cases()


def batch_norm_cases() -> st.SearchStrategy[tuple]:
    """``batch_norm`` in training (batch statistics: (B4)) and evaluation (running statistics: (B5)), with or
    without γ and β; at least 2 values per channel, spread apart (σ² well away from 0)."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        from ..ops.normalization import batch_norm

        channels = draw(st.integers(1, 3))
        shape = draw(st.sampled_from([(3, channels), (2, channels, 2), (2, channels, 1, 2), (1, channels, 2, 2)]))
        x = draw(tensors(shape=shape, distinct=True, gap=0.05))
        training, affine = draw(st.booleans()), draw(st.booleans())
        params = (draw(tensors(shape=(channels,), min_value=0.5, max_value=2.0)),
                  draw(tensors(shape=(channels,)))) if affine else ()
        running_mean = draw(arrays(shape=(channels,)))
        running_var = draw(arrays(shape=(channels,), min_value=0.5, max_value=2.0))
        weights = Tensor(draw(arrays(shape=shape)))  # a drawn linear functional of y (Σ y has gradient 0 in x)

        def fn(t: Tensor, *gamma_beta: Tensor) -> Tensor:  # fresh buffers: training updates them in place
            return batch_norm(t, running_mean.copy(), running_var.copy(), *gamma_beta, training=training) * weights

        return (fn, (x, *params), f"batch_norm(training={training}, affine={affine})")

    return cases()

"""Drawn cases of the everyday PyTorch idioms (``ops/selection.py``, ``ops/scan.py``, ``ops/composites.py``), for
the registry in ``checks.py``. Each strategy draws ``(function, inputs, note)``: ``gradcheck(function, inputs)``
must pass. A drawn weight tensor multiplies each result, so every output element's gradient is different.
"""

from __future__ import annotations

import numpy as np
from hypothesis.extra import numpy as hnp

from ..tensor import Tensor
from .array_strategies import arrays, shapes, st, tensors


def _weighted(draw: st.DrawFn, out_shape: tuple[int, ...]) -> Tensor:
    return Tensor(draw(arrays(shape=out_shape)))


def sort_topk_cases() -> st.SearchStrategy[tuple]:
    """``sort``/``topk`` along a drawn dim, both directions (distinct elements: no ties, the order is fixed)."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        x = draw(tensors(shape=shapes(min_dims=1, max_dims=3, max_side=3), distinct=True, gap=1e-2))
        dim = draw(st.integers(-x.ndim, x.ndim - 1))
        flag = draw(st.booleans())
        if draw(st.booleans()):
            k = draw(st.integers(0, x.shape[dim]))
            out = x.topk(k, dim, largest=flag).values.shape
            w = _weighted(draw, out)
            return (lambda t: t.topk(k, dim, largest=flag).values * w, (x,), f"topk(k={k}, dim={dim}, largest={flag})")
        w = _weighted(draw, x.shape)
        return (lambda t: t.sort(dim, descending=flag).values * w, (x,), f"sort(dim={dim}, descending={flag})")

    return cases()


def gather_cases() -> st.SearchStrategy[tuple]:
    """``gather`` with drawn (repeating, negative-dim) indices: repeated picks add up in the gradient."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        x = draw(tensors(shape=shapes(min_dims=1, max_dims=3, max_side=3)))
        dim = draw(st.integers(-x.ndim, x.ndim - 1))
        shape = tuple(draw(st.integers(1, 4)) if d == dim % x.ndim else draw(st.integers(1, n))
                      for d, n in enumerate(x.shape))
        index = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, x.shape[dim] - 1)))
        w = _weighted(draw, shape)
        return (lambda t: t.gather(dim, index) * w, (x,), f"gather(dim={dim}, index={index.tolist()})")

    return cases()


def masked_fill_flip_repeat_cases() -> st.SearchStrategy[tuple]:
    """``masked_fill`` with a drawn broadcast mask, then ``flip`` over drawn dims and ``repeat``."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        x = draw(tensors(shape=shapes(min_dims=1, max_dims=3, max_side=3)))
        mask = draw(hnp.arrays(np.bool_, x.shape[draw(st.integers(0, x.ndim)):]))
        dims = tuple(draw(st.lists(st.integers(0, x.ndim - 1), unique=True, max_size=x.ndim)))
        reps = tuple(draw(st.integers(1, 2)) for _ in range(x.ndim + draw(st.integers(0, 1))))

        def picked(t: Tensor) -> Tensor:
            return t.masked_fill(Tensor(mask), 0.5).flip(dims).repeat(*reps)

        w = _weighted(draw, picked(x.detach()).shape)
        return (lambda t: picked(t) * w, (x,), f"masked_fill(mask {mask.shape}).flip({dims}).repeat{reps}")

    return cases()


def split_chunk_cases() -> st.SearchStrategy[tuple]:
    """``split`` by a size and ``chunk`` into pieces, each piece weighted differently."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        x = draw(tensors(shape=shapes(min_dims=1, max_dims=3, max_side=4)))
        dim = draw(st.integers(-x.ndim, x.ndim - 1))
        how, n = draw(st.sampled_from(["split", "chunk"])), draw(st.integers(1, 4))
        pieces = getattr(x, how)(n, dim)
        ws = [_weighted(draw, p.shape) for p in pieces]
        return (lambda t: sum(((p * w).sum() for p, w in zip(getattr(t, how)(n, dim), ws)), Tensor(0.0)), (x,),
                f"{how}({n}, dim={dim})")

    return cases()


def cumsum_prod_cases() -> st.SearchStrategy[tuple]:
    """``cumsum`` along a drawn dim and ``prod`` over all or one dim (zeros drawn too: Π_{j≠i} x_j still holds)."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        x = draw(tensors(shape=shapes(min_dims=1, max_dims=3, max_side=3), min_value=-2.0, max_value=2.0))
        if draw(st.booleans()):
            x = Tensor(np.where(draw(hnp.arrays(np.bool_, x.shape)), 0.0, x.data), requires_grad=True)
        dim = draw(st.integers(-x.ndim, x.ndim - 1))
        if draw(st.booleans()):
            w = _weighted(draw, x.shape)
            return (lambda t: t.cumsum(dim) * w, (x,), f"cumsum(dim={dim})")
        if draw(st.booleans()):
            return (lambda t: t.prod(), (x,), "prod()")
        keepdim = draw(st.booleans())
        w = _weighted(draw, x.prod(dim, keepdim).shape)
        return (lambda t: t.prod(dim, keepdim) * w, (x,), f"prod(dim={dim}, keepdim={keepdim})")

    return cases()


def pointwise_cases() -> st.SearchStrategy[tuple]:
    """``square``, ``reciprocal``, ``rsqrt`` (positive inputs), ``logsumexp`` over drawn dims, ``sign`` (gradient 0)."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        x = draw(tensors(shape=shapes(min_dims=1, max_dims=3, max_side=3), min_value=0.3, max_value=3.0))
        name = draw(st.sampled_from(["square", "reciprocal", "rsqrt", "logsumexp", "sign"]))
        if name == "logsumexp":
            dim = draw(st.one_of(st.integers(-x.ndim, x.ndim - 1), st.just(tuple(range(x.ndim)))))
            keepdim = draw(st.booleans())
            return (lambda t: t.logsumexp(dim, keepdim) * 2.0, (x,), f"logsumexp(dim={dim}, keepdim={keepdim})")
        w = _weighted(draw, x.shape)
        return (lambda t: getattr(t, name)() * w + t, (x,), name)

    return cases()

"""Drawn cases of the losses (``tinygrad_cnn.functional``), for the registry in ``checks.py``.

Each strategy draws ``(function, inputs, note)``: ``gradcheck`` and ``gradgradcheck`` of ``function`` at
``inputs`` must pass. The losses' options are drawn with them: class weights, ``ignore_index`` (some or all
targets ignored), label smoothing, the three reductions, probability targets, ``pos_weight``.
"""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from .array_strategies import arrays, st, tensors

IGNORE = -100


@st.composite
def _class_problem(draw: st.DrawFn) -> tuple:
    """Logits (N, C) or (N, C, d), integer targets (some maybe ``IGNORE``), class weights or None."""
    n, classes = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    shape = draw(st.sampled_from([(n, classes), (n, classes, 2)]))
    element_shape = (shape[0],) + shape[2:]
    logits = draw(tensors(shape=shape))
    target = draw(arrays(shape=element_shape, min_value=0, max_value=classes - 1e-9)).astype(np.int64)
    ignored = draw(st.sampled_from(["none", "some", "all"] if target.size > 1 else ["none", "all"]))
    if ignored == "some":
        target.flat[0] = IGNORE
    elif ignored == "all":
        target[...] = IGNORE
    weight = draw(st.one_of(st.none(), arrays(shape=(classes,), min_value=0.2, max_value=2.0)))
    return logits, target, weight, ignored


def cross_entropy_cases() -> st.SearchStrategy[tuple]:
    """``cross_entropy`` with class indices: weights, ``ignore_index`` (the mean over no counted target is nan,
    so an all-ignored batch is drawn with ``sum``/``none``), label smoothing, each reduction."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        logits, target, weight, ignored = draw(_class_problem())
        reductions = ["sum", "none"] if ignored == "all" else ["mean", "sum", "none"]
        reduction = draw(st.sampled_from(reductions))
        smoothing = draw(st.sampled_from([0.0, 0.1, 0.4]))
        scale = Tensor(draw(arrays(shape=target.shape, min_value=0.5, max_value=2.0)))

        def fn(t: Tensor) -> Tensor:
            loss = F.cross_entropy(t, target, weight=weight, ignore_index=IGNORE, reduction=reduction,
                                   label_smoothing=smoothing)
            return loss * scale if reduction == "none" else loss

        return (fn, (logits,), f"cross_entropy(weight={weight is not None}, ignored={ignored}, "
                               f"reduction={reduction}, label_smoothing={smoothing})")

    return cases()


def soft_cross_entropy_cases() -> st.SearchStrategy[tuple]:
    """``cross_entropy`` with probability targets (which then get a gradient too), weights, label smoothing."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        logits, _, weight, _ = draw(_class_problem())
        target = Tensor(draw(arrays(shape=logits.shape, min_value=0.05, max_value=1.0)), requires_grad=True)
        reduction = draw(st.sampled_from(["mean", "sum", "none"]))
        smoothing = draw(st.sampled_from([0.0, 0.2]))

        def fn(t: Tensor, p: Tensor) -> Tensor:
            loss = F.cross_entropy(t, p, weight=weight, reduction=reduction, label_smoothing=smoothing)
            return loss * loss if reduction == "none" else loss

        return (fn, (logits, target), f"cross_entropy(probabilities, weight={weight is not None}, "
                                      f"reduction={reduction}, label_smoothing={smoothing})")

    return cases()


def nll_loss_cases() -> st.SearchStrategy[tuple]:
    """``nll_loss`` of drawn scores (squared: nll is linear in its input, so its Hessian alone is 0)."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        scores, target, weight, ignored = draw(_class_problem())
        reduction = draw(st.sampled_from(["sum", "none"] if ignored == "all" else ["mean", "sum", "none"]))

        def fn(t: Tensor) -> Tensor:
            loss = F.nll_loss(t, target, weight=weight, ignore_index=IGNORE, reduction=reduction)
            return loss * loss

        return (fn, (scores,), f"nll_loss(weight={weight is not None}, ignored={ignored}, reduction={reduction})²")

    return cases()


def mse_loss_cases() -> st.SearchStrategy[tuple]:
    """``mse_loss`` with the input and the target both differentiated, each reduction (the loss squared, so the
    second derivative is not a constant)."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        shape = draw(st.sampled_from([(3,), (2, 3), (2, 1, 2)]))
        a, b = draw(tensors(shape=shape)), draw(tensors(shape=shape))
        reduction = draw(st.sampled_from(["mean", "sum", "none"]))
        return (lambda x, y: F.mse_loss(x, y, reduction=reduction) ** 2, (a, b), f"mse_loss(reduction={reduction})²")

    return cases()


def bce_with_logits_cases() -> st.SearchStrategy[tuple]:
    """``binary_cross_entropy_with_logits`` with a differentiated target in [0, 1], ``weight``, ``pos_weight``."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        shape = draw(st.sampled_from([(3,), (2, 3), (2, 2, 2)]))
        logits = draw(tensors(shape=shape, min_value=-4.0, max_value=4.0))
        target = draw(tensors(shape=shape, min_value=0.0, max_value=1.0))
        weight = draw(st.one_of(st.none(), arrays(shape=shape[-1:], min_value=0.2, max_value=2.0)))
        pos_weight = draw(st.one_of(st.none(), arrays(shape=shape[-1:], min_value=0.2, max_value=3.0)))
        reduction = draw(st.sampled_from(["mean", "sum", "none"]))

        def fn(x: Tensor, t: Tensor) -> Tensor:
            loss = F.binary_cross_entropy_with_logits(x, t, weight=weight, reduction=reduction, pos_weight=pos_weight)
            return loss * loss if reduction == "none" else loss

        return (fn, (logits, target), f"binary_cross_entropy_with_logits(weight={weight is not None}, "
                                      f"pos_weight={pos_weight is not None}, reduction={reduction})")

    return cases()


def bce_cases() -> st.SearchStrategy[tuple]:
    """``binary_cross_entropy`` of probabilities inside (0, 1) (away from the floors), a differentiated target,
    ``weight``, each reduction."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple:
        shape = draw(st.sampled_from([(3,), (2, 3)]))
        p = draw(tensors(shape=shape, min_value=0.05, max_value=0.95))
        target = draw(tensors(shape=shape, min_value=0.0, max_value=1.0))
        weight = draw(st.one_of(st.none(), arrays(shape=shape[-1:], min_value=0.2, max_value=2.0)))
        reduction = draw(st.sampled_from(["mean", "sum", "none"]))

        def fn(x: Tensor, t: Tensor) -> Tensor:
            loss = F.binary_cross_entropy(x, t, weight=weight, reduction=reduction)
            return loss * loss if reduction == "none" else loss

        return (fn, (p, target), f"binary_cross_entropy(weight={weight is not None}, reduction={reduction})")

    return cases()

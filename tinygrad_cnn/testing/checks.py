"""The registry of gradient property checks: one entry per built-in op, one source of truth.

Each ``Check`` names an op and gives a Hypothesis strategy of ``Case``s — a function of Tensors and
float64 inputs drawn away from the op's kinks. The test suite (``tests/test_op_properties.py``) and
the command ``tinygrad-cnn gradcheck`` run the same checks: ``gradcheck`` on every drawn case.

>>> from tinygrad_cnn.testing.checks import CHECKS, run_check
>>> [c.name for c in CHECKS][:3]
['add', 'sub', 'mul']
>>> run_check(CHECKS[0], examples=5, seed=0).passed
True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.extra import numpy as hnp

from ..ops import pool
from ..ops.conv import conv2d
from ..ops.movement import concatenate, stack
from ..tensor import Tensor
from . import idiom_cases, loss_cases, op_cases
from .array_strategies import arrays, axes, broadcastable_shapes, shapes, st, tensors
from .conv_strategies import conv2d_inputs, pool2d_inputs
from .gradcheck import gradcheck
from .gradgradcheck import gradgradcheck


@dataclass
class Case:
    """One drawn instance of a check: ``gradcheck(fn, inputs)`` must pass."""

    fn: Callable[..., Tensor]
    inputs: tuple[Any, ...]
    note: str = ""

    def __repr__(self) -> str:  # what Hypothesis prints for a falsifying example
        shapes_ = ", ".join(str(getattr(t, "shape", t)) for t in self.inputs)
        return f"Case({self.note or 'inputs'}: {shapes_})"


@dataclass(frozen=True)
class Check:
    """A named gradient property: every case drawn from ``cases`` passes ``gradcheck`` (and ``gradgradcheck``
    when ``second_order``)."""

    name: str
    kind: str  # elementwise, linalg, reduction, movement, normalization, loss, conv, pooling
    cases: Callable[[], st.SearchStrategy[Case]]
    gradcheck_options: dict[str, Any] = field(default_factory=dict)
    second_order: bool = True  # the op's backward is differentiable: gradgradcheck holds too (else it refuses)


# ------------------------------------------------------------------------------ building blocks
def _binary(op: Callable[[Tensor, Tensor], Tensor], **array_options: Any) -> Callable[[], st.SearchStrategy[Case]]:
    """Two inputs of broadcast-compatible drawn shapes, both requiring grad."""

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        shape_a, shape_b = draw(broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
        a = draw(tensors(shape=shape_a, **array_options.get("a", {})))
        b = draw(tensors(shape=shape_b, **array_options.get("b", {})))
        return Case(op, (a, b), "broadcast pair")

    return cases


def _unary(op: Callable[[Tensor], Tensor], **array_options: Any) -> Callable[[], st.SearchStrategy[Case]]:
    def cases() -> st.SearchStrategy[Case]:
        return tensors(shape=shapes(max_dims=3, max_side=4), **array_options).map(lambda x: Case(op, (x,)))

    return cases


_POSITIVE = {"min_value": 0.1, "max_value": 3.0}
_AWAY_FROM_ZERO = {"avoid": (0.0,), "gap": 1e-2}


def _maximum_pair() -> st.SearchStrategy[Case]:
    """Inputs of maximum/minimum: all elements of both operands pairwise apart (no ties to split)."""

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        shape_a, shape_b = draw(broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
        size_a = int(np.prod(shape_a, dtype=int))
        values = draw(arrays(shape=(size_a + int(np.prod(shape_b, dtype=int)),), distinct=True, gap=1e-2))
        a = Tensor(values[:size_a].reshape(shape_a), requires_grad=True)
        b = Tensor(values[size_a:].reshape(shape_b), requires_grad=True)
        return Case(lambda x, y: x.maximum(y) + 2 * x.minimum(y), (a, b), "maximum + 2·minimum")

    return cases()


def _clip_cases(method: str = "clip") -> st.SearchStrategy[Case]:
    """``t.clip(min, max)`` (or ``t.clamp``, PyTorch's name) with one or both bounds, inputs away from them."""

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        low = draw(st.sampled_from([-1.0, -0.5, None]))
        high = draw(st.sampled_from([0.5, 1.0, None] if low is not None else [0.5, 1.0]))
        kinks = tuple(v for v in (low, high) if v is not None)
        x = draw(tensors(shape=shapes(max_dims=3), avoid=kinks, gap=1e-2))
        return Case(lambda t: getattr(t, method)(low, high), (x,), f"{method}({low}, {high})")

    return cases()


def _matmul_cases() -> st.SearchStrategy[Case]:
    """Vectors, matrices and broadcast batches: (n,k)@(k,m), (k,)@(k,m), (…,n,k)@(k,), batch broadcast."""

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
        batch_a, batch_b = draw(broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2))
        left = draw(st.sampled_from([(k,), (*batch_a, n, k)]))
        right = draw(st.sampled_from([(k,), (*batch_b, k, m)]))
        a, b = draw(tensors(shape=left)), draw(tensors(shape=right))
        return Case(lambda x, y: x @ y, (a, b), "matmul")

    return cases()


def _pow_cases() -> st.SearchStrategy[Case]:
    """Tensor base > 0 to a tensor exponent, and a number exponent."""

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        shape_a, shape_b = draw(broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
        base = draw(tensors(shape=shape_a, min_value=0.2, max_value=2.0))
        if draw(st.booleans()):
            exponent = draw(tensors(shape=shape_b, min_value=-2.0, max_value=2.0))
            return Case(lambda a, b: a**b, (base, exponent), "tensor ** tensor")
        power = draw(st.sampled_from([2, 3, -1, 0.5, -1.5]))
        return Case(lambda a: a**power, (base,), f"tensor ** {power}")

    return cases()


def _scalar_side_cases() -> st.SearchStrategy[Case]:
    """A number on the left or right of each arithmetic operator (the reflected operators)."""

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        x = draw(tensors(shape=shapes(max_dims=2), min_value=0.2, max_value=2.0))
        c = draw(st.floats(0.5, 2.0))
        return Case(lambda t: (c - t) * (c + t) / c + c / t - t / c + c**t, (x,), "number on either side")

    return cases()


# ---------------------------------------------------------------------- elementwise and matmul ops
CHECKS: list[Check] = [
    Check("add", "elementwise", _binary(lambda a, b: a + b)),
    Check("sub", "elementwise", _binary(lambda a, b: a - b)),
    Check("mul", "elementwise", _binary(lambda a, b: a * b)),
    Check("div", "elementwise", _binary(lambda a, b: a / b, b={"min_value": 0.5, "max_value": 3.0})),
    Check("pow", "elementwise", _pow_cases),
    Check("number_operands", "elementwise", _scalar_side_cases),
    Check("neg", "elementwise", _unary(lambda a: -a)),
    Check("exp", "elementwise", _unary(lambda a: a.exp())),
    Check("log", "elementwise", _unary(lambda a: a.log(), **_POSITIVE)),
    Check("sqrt", "elementwise", _unary(lambda a: a.sqrt(), **_POSITIVE)),
    Check("abs", "elementwise", _unary(lambda a: a.abs(), **_AWAY_FROM_ZERO)),
    Check("sigmoid", "elementwise", _unary(lambda a: a.sigmoid())),
    Check("relu", "elementwise", _unary(lambda a: a.relu(), **_AWAY_FROM_ZERO)),
    Check("tanh", "elementwise", _unary(lambda a: a.tanh())),
    Check("maximum_minimum", "elementwise", _maximum_pair),
    Check("clip", "elementwise", _clip_cases),
    Check("matmul", "linalg", _matmul_cases),
]

# ---- reduce, softmax and movement ops
def _reduction(method: str, **array_options: Any) -> Callable[[], st.SearchStrategy[Case]]:
    """``t.<method>(axis, keepdims)`` with every axis form (None, int, negative, tuple) and both keepdims."""

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        x = draw(tensors(shape=shapes(max_dims=3, max_side=3), **array_options))
        axis = draw(axes(x.ndim))
        keepdims = draw(st.booleans())
        return Case(lambda t: getattr(t, method)(axis, keepdims), (x,), f"{method}(axis={axis}, keepdims={keepdims})")

    return cases


def _extreme_cases(method: str) -> Callable[[], st.SearchStrategy[Case]]:
    """``max``/``min`` in PyTorch's three forms: ``amax(axis, keepdims)``, ``max()`` and ``max(dim).values``."""

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        x = draw(tensors(shape=shapes(max_dims=3, max_side=3), distinct=True, gap=1e-2))  # no ties within the step
        form = draw(st.sampled_from(["a", "all", "dim"] if x.ndim else ["a", "all"]))
        if form == "all":
            return Case(lambda t: getattr(t, method)(), (x,), f"{method}()")
        if form == "dim":
            dim, keepdim = draw(st.integers(-x.ndim, x.ndim - 1)), draw(st.booleans())
            return Case(lambda t: getattr(t, method)(dim, keepdim).values, (x,),
                        f"{method}(dim={dim}, keepdim={keepdim}).values")
        axis, keepdims = draw(axes(x.ndim)), draw(st.booleans())
        return Case(lambda t: getattr(t, "a" + method)(axis, keepdims), (x,),
                    f"a{method}(axis={axis}, keepdims={keepdims})")

    return cases


def _along_axis(method: str) -> Callable[[], st.SearchStrategy[Case]]:
    """``t.<method>(axis)`` for softmax-type ops: one int axis, negative too."""

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        x = draw(tensors(shape=shapes(min_dims=1, max_dims=3, max_side=4), min_value=-5.0, max_value=5.0))
        axis = draw(st.integers(-x.ndim, x.ndim - 1))
        return Case(lambda t: getattr(t, method)(axis), (x,), f"{method}(axis={axis})")

    return cases


def _reshape_cases() -> st.SearchStrategy[Case]:
    """A new shape for the same elements: reversed, all in one axis (-1), or with axes of length 1 added."""

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        x = draw(tensors(shape=shapes(max_dims=3)))
        target = draw(st.sampled_from([x.shape[::-1], (-1,), (1, -1), (*x.shape, 1), (-1, *x.shape[1:2])]))
        return Case(lambda t: t.reshape(target), (x,), f"reshape{target}")

    return cases()


def _flatten_cases() -> st.SearchStrategy[Case]:
    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        x = draw(tensors(shape=shapes(min_dims=1, max_dims=4, max_side=3)))
        start = draw(st.integers(0, x.ndim - 1))
        end = draw(st.integers(start, x.ndim - 1)) - draw(st.sampled_from([0, x.ndim]))  # as is or negative
        return Case(lambda t: t.flatten(start, end), (x,), f"flatten({start}, {end})")

    return cases()


def _permute_cases() -> st.SearchStrategy[Case]:
    """``permute`` by any permutation, and ``transpose()`` (``.T``) with no axes."""

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        x = draw(tensors(shape=shapes(max_dims=4, max_side=3)))
        form = draw(st.sampled_from(["T", "swap", "permute"]))
        if form == "T":
            return Case(lambda t: t.T, (x,), "transpose()")
        if form == "swap" and x.ndim >= 1:
            first, second = draw(st.integers(-x.ndim, x.ndim - 1)), draw(st.integers(-x.ndim, x.ndim - 1))
            return Case(lambda t: t.transpose(first, second), (x,), f"transpose({first}, {second})")
        order = tuple(draw(st.permutations(range(x.ndim))))
        return Case(lambda t: t.permute(order), (x,), f"permute{order}")

    return cases()


def _getitem_cases() -> st.SearchStrategy[Case]:
    """Basic indices (slices with any step, ints, None, Ellipsis), integer arrays with repeats, bool masks."""

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        x = draw(tensors(shape=shapes(min_dims=1, max_dims=3, max_side=4)))
        kind = draw(st.sampled_from(["basic", "integer arrays", "bool mask"]))
        if kind == "basic":
            index = draw(hnp.basic_indices(x.shape, allow_newaxis=True))
        elif kind == "integer arrays":  # repeated indices must accumulate
            index = draw(hnp.integer_array_indices(x.shape, result_shape=hnp.array_shapes(max_dims=2, max_side=5)))
        else:
            index = draw(hnp.arrays(np.bool_, x.shape[: draw(st.integers(1, x.ndim))]))
        return Case(lambda t: t[index], (x,), f"getitem[{kind}]")

    return cases()


def _pad_cases() -> st.SearchStrategy[Case]:
    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        x = draw(tensors(shape=shapes(max_dims=3, max_side=3)))
        widths = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(x.ndim))
        value = draw(st.sampled_from([0.0, -1.5]))
        return Case(lambda t: t.pad(widths, value), (x,), f"pad({widths}, value={value})")

    return cases()


def _concatenate_cases() -> st.SearchStrategy[Case]:
    """One to three tensors that agree on every axis but ``axis``, where their lengths differ."""

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        lengths = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
        parts = tuple(
            draw(tensors(shape=shape[: axis % len(shape)] + (n,) + shape[axis % len(shape) + 1 :])) for n in lengths
        )
        return Case(lambda *ts: concatenate(ts, axis), parts, f"concatenate(axis={axis})")

    return cases()


def _stack_cases() -> st.SearchStrategy[Case]:

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        shape = draw(shapes(max_dims=3, max_side=3))
        axis = draw(st.integers(-len(shape) - 1, len(shape)))
        parts = tuple(draw(tensors(shape=shape)) for _ in range(draw(st.integers(1, 3))))
        return Case(lambda *ts: stack(ts, axis), parts, f"stack(axis={axis})")

    return cases()


CHECKS += [
    Check("sum", "reduction", _reduction("sum")),
    Check("mean", "reduction", _reduction("mean")),
    Check("max", "reduction", _extreme_cases("max")),
    Check("min", "reduction", _extreme_cases("min")),
    Check("softmax", "reduction", _along_axis("softmax")),
    Check("log_softmax", "reduction", _along_axis("log_softmax")),
    Check("reshape", "movement", _reshape_cases),
    Check("flatten", "movement", _flatten_cases),
    Check("permute_transpose", "movement", _permute_cases),
    Check("getitem", "movement", _getitem_cases),
    Check("pad", "movement", _pad_cases),
    Check("concatenate", "movement", _concatenate_cases),
    Check("stack", "movement", _stack_cases),
]

# ---- the ops added for PyTorch users (issue 8): shape ops, where, cat with dim=, leaky_relu, gelu (op_cases.py)
def _from(factory: Callable[[], st.SearchStrategy[tuple]]) -> Callable[[], st.SearchStrategy[Case]]:
    return lambda: factory().map(lambda drawn: Case(*drawn))


CHECKS += [
    Check("unsqueeze_squeeze", "movement", _from(op_cases.unsqueeze_squeeze_cases)),
    Check("view", "movement", _from(op_cases.view_cases)),
    Check("expand", "movement", _from(op_cases.expand_cases)),
    Check("cat", "movement", _from(op_cases.cat_cases)),
    Check("where", "elementwise", _from(op_cases.where_cases)),
    Check("leaky_relu", "elementwise", _from(op_cases.leaky_relu_cases)),
    Check("gelu", "elementwise", _from(op_cases.gelu_cases)),
    Check("clamp", "elementwise", lambda: _clip_cases("clamp")),
    Check("dim_keyword", "reduction", _from(op_cases.dim_cases)),
    Check("var_std", "reduction", _from(op_cases.var_std_cases)),
    Check("norm", "reduction", _from(op_cases.norm_cases)),
    Check("layer_norm", "normalization", _from(op_cases.layer_norm_cases)),
    Check("adaptive_avg_pool2d", "pooling", _from(op_cases.adaptive_avg_pool_cases)),
    Check("dropout2d", "normalization", _from(op_cases.dropout2d_cases)),
    Check("batch_norm", "normalization", _from(op_cases.batch_norm_cases)),
    # the losses (loss_cases.py): their options drawn with them, first and second order
    Check("cross_entropy", "loss", _from(loss_cases.cross_entropy_cases)),
    Check("cross_entropy_probabilities", "loss", _from(loss_cases.soft_cross_entropy_cases)),
    Check("nll_loss", "loss", _from(loss_cases.nll_loss_cases)),
    Check("mse_loss", "loss", _from(loss_cases.mse_loss_cases)),
    Check("binary_cross_entropy", "loss", _from(loss_cases.bce_cases)),
    Check("binary_cross_entropy_with_logits", "loss", _from(loss_cases.bce_with_logits_cases)),
    # everyday PyTorch idioms (idiom_cases.py): composites of the ops above, except cumsum and prod
    Check("sort_topk", "movement", _from(idiom_cases.sort_topk_cases)),
    Check("gather", "movement", _from(idiom_cases.gather_cases)),
    Check("masked_fill_flip_repeat", "movement", _from(idiom_cases.masked_fill_flip_repeat_cases)),
    Check("split_chunk", "movement", _from(idiom_cases.split_chunk_cases)),
    Check("cumsum_prod", "reduction", _from(idiom_cases.cumsum_prod_cases)),
    Check("pointwise_idioms", "elementwise", _from(idiom_cases.pointwise_cases)),
]

# ---- conv2d and pooling
def _conv2d_cases() -> st.SearchStrategy[Case]:
    """Valid conv2d calls (groups, stride, padding, dilation, bias or not): gradients of x, weight, bias."""

    def case(drawn: tuple) -> Case:
        config, x, weight, bias = drawn
        options = config.kwargs()
        return Case(lambda *t: conv2d(*t, **options), (x, weight, bias), f"conv2d {options}")

    return conv2d_inputs().map(case)


def _pool_cases(kind: str) -> Callable[[], st.SearchStrategy[Case]]:
    """Valid pooling calls of ``kind`` (max: elements pairwise apart, so no ties within the step)."""

    def cases() -> st.SearchStrategy[Case]:

        function = {"max": pool.max_pool2d, "avg": pool.avg_pool2d, "lp": pool.lp_pool2d}[kind]

        def case(drawn: tuple) -> Case:
            config, x = drawn
            options = config.kwargs()
            return Case(lambda t: function(t, **options), (x,), f"{function.__name__} {options}")

        return pool2d_inputs(kind).map(case)

    return cases


CHECKS += [
    Check("conv2d", "conv", _conv2d_cases),
    Check("max_pool2d", "pooling", _pool_cases("max")),
    Check("avg_pool2d", "pooling", _pool_cases("avg")),
    Check("lp_pool2d", "pooling", _pool_cases("lp")),
]


def check_names() -> list[str]:
    return [c.name for c in CHECKS]


def get_check(name: str) -> Check:
    for check in CHECKS:
        if check.name == name:
            return check
    raise ValueError(f"unknown check {name!r}; known: {', '.join(check_names())}")


@dataclass
class CheckResult:
    """Outcome of running one check over many drawn cases."""

    name: str
    examples: int
    max_abs_error: float
    max_rel_error: float
    passed: bool
    seconds: float
    failure: str = ""


def run_check(check: Check, examples: int = 50, seed: int | None = None, order: int = 1) -> CheckResult:
    """Run ``check`` on ``examples`` Hypothesis-drawn cases outside pytest; failures are shrunk first.

    ``order=2`` runs ``gradgradcheck`` (second derivatives) instead of ``gradcheck``."""
    if order not in (1, 2):
        raise ValueError(f"run_check: order must be 1 or 2, got {order!r}")
    verify = gradcheck if order == 1 else gradgradcheck

    stats = {"examples": 0, "abs": 0.0, "rel": 0.0}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(check.cases())
    def property_(case: Case) -> None:
        report = verify(case.fn, list(case.inputs), **check.gradcheck_options)
        stats["examples"] += 1
        stats["abs"] = max(stats["abs"], report.max_abs_error)
        stats["rel"] = max(stats["rel"], report.max_rel_error)

    if seed is not None:
        property_ = hypothesis_seed(seed)(property_)
    start = time.perf_counter()
    try:
        property_()
    except Exception as error:  # noqa: BLE001  (a failing property: report it, do not crash the run)
        return CheckResult(check.name, stats["examples"], stats["abs"], stats["rel"], False,
                           time.perf_counter() - start, f"{type(error).__name__}: {error}")
    return CheckResult(check.name, stats["examples"], stats["abs"], stats["rel"], True, time.perf_counter() - start)

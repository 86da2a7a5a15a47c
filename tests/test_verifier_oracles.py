"""Oracles for the verifiers themselves (issue 16): the shared finite differences, the one tolerance policy and
the δ-checker's report, held to hand values, plain loops and exact fractions, never to PyTorch or to another
verifier. Each test here was written to kill mutants that survived the rest of the suite (tools/mutate.py;
tools/mutation_report.md)."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest

from tinygrad_cnn.testing import tolerances
from tinygrad_cnn.testing.finite_differences import FD_EPSILON, Differences, differences
from tinygrad_cnn.testing.tolerances import FD, tolerance


# ------------------------------------------------------------------------------- testing/finite_differences.py
def test_differences_of_a_square_in_exact_binary_fractions():
    """f(x) = x² at x = 3 with ε = 1/2: f(3 ∓ ½) = 6.25, 12.25; every quotient is exact in binary."""
    x = np.array([3.0])
    d = differences(lambda: float(x[0] ** 2), x, eps=0.5, base=9.0)
    assert d.minus.tolist() == [6.25] and d.plus.tolist() == [12.25] and d.eps == 0.5 and d.base == 9.0
    assert d.central.tolist() == [6.0]  # (12.25 − 6.25) / (2 · ½)
    assert d.left.tolist() == [5.5]  # (9 − 6.25) / ½
    assert d.right.tolist() == [6.5]  # (12.25 − 9) / ½
    assert x.tolist() == [3.0]


def test_differences_walk_the_given_flat_units_of_a_2d_array_in_order():
    a = np.array([[1.0, 2.0], [4.0, 8.0]])
    seen = []

    def f():
        seen.append(a.copy())
        return a.sum()

    d = differences(f, a, eps=0.25, index=np.array([[3], [0]]))  # any shape: flattened
    assert d.index.tolist() == [3, 0]
    assert [s.tolist() for s in seen] == [[[1, 2], [4, 7.75]], [[1, 2], [4, 8.25]],
                                          [[0.75, 2], [4, 8]], [[1.25, 2], [4, 8]]]
    assert d.central.tolist() == [1.0, 1.0]
    every = differences(f, a, eps=0.25)
    assert every.index.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("base, shape", [(None, (0,)), (np.zeros(3), (0, 3)), (2.0, (0,))])
def test_no_units_give_empty_stacks_of_fs_shape(base, shape):
    a = np.ones(4)
    d = differences(lambda: np.zeros(3), a, index=[], base=base)
    assert d.minus.shape == shape and d.plus.shape == shape and d.central.shape == shape
    assert d.index.shape == (0,)


def test_vector_valued_f_stacks_one_row_per_unit():
    a = np.array([1.0, 2.0])
    d = differences(lambda: np.array([a[0] * a[1], a[0] + a[1], 7.0]), a, eps=0.5)
    assert d.minus.shape == (2, 3)
    np.testing.assert_array_equal(d.central, [[2.0, 1.0, 0.0], [1.0, 1.0, 0.0]])  # ∂(a0 a1, a0 + a1, 7)


def test_an_error_in_f_restores_the_unit_it_moved():
    a = np.array([1.0, 5.0])
    calls = []

    def boom():
        calls.append(a[1])
        if len(calls) == 2:
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError):
        differences(boom, a, eps=0.5, index=[1])
    assert a.tolist() == [1.0, 5.0] and calls == [4.5, 5.5]


def test_the_default_step_and_the_dataclass_by_hand():
    assert FD_EPSILON == 1e-6
    x = np.array([0.0])
    assert differences(lambda: x[0], x).eps == 1e-6
    d = Differences(np.array([0]), np.array([1.0]), np.array([4.0]), 0.5, 2.0)
    assert (d.central.tolist(), d.left.tolist(), d.right.tolist()) == ([3.0], [2.0], [4.0])


# ------------------------------------------------------------------------------------ testing/tolerances.py
def _exact(rtol: str, scale: str, floor: str) -> float:
    return float(Fraction(rtol) * Fraction(scale) + Fraction(floor))


@pytest.mark.parametrize("pair, scale, cost, user, want", [
    (("engine", "layerwise"), "2", "0", None, ("1e-9", "2", "1e-12")),
    (("formulas", "scalar"), "0.5", "7", None, ("1e-9", "0.5", "1e-12")),  # the cost only matters with FD
    (("engine", FD), "1", "0", None, ("1e-5", "1", "1e-8")),
    (("engine", FD), "1", "0.5", None, ("1e-5", "1", "1e-8")),  # the floor is 1e-8 · max(1, |C|)
    (("engine", FD), "3", "100", None, ("1e-5", "3", "1e-6")),
    ((FD, "engine"), "3", "-100", None, ("1e-5", "3", "1e-6")),  # |C|, either order
    (("engine", "yours"), "4", "0", None, ("1e-6", "4", "1e-12")),
    (("engine", "yours"), "4", "0", "1e-3", ("1e-3", "4", "1e-12")),
    (("yours", FD), "2", "10", None, ("0.000011", "2", "1e-7")),  # 1e-5 + 1e-6, floor 1e-8 · 10
    (("engine", "engine"), "0", "0", None, ("0", "0", "1e-12")),
])
def test_the_tolerance_policy_in_exact_fractions(pair, scale, cost, user, want):
    kwargs = {} if user is None else {"user_tolerance": float(user)}
    got = tolerance(pair, float(scale), float(cost), **kwargs)
    assert got == pytest.approx(_exact(*want), rel=1e-12, abs=0)


def test_the_policy_constants():
    assert (tolerances.ENGINE_TOLERANCE, tolerances.FD_TOLERANCE, tolerances.USER_TOLERANCE) == (1e-9, 1e-5, 1e-6)
    assert FD == "finite differences"
    assert tolerance(("engine", FD), 1.0) == pytest.approx(1e-5 + 1e-8, rel=1e-12)  # cost defaults to 0


# ---------------------------------------------------------------------------------- testing/gradgradcheck.py
def test_first_order_gradient_makes_leaves_of_plain_tensors_given_to_it():
    """g(x) = vᵀ ∂(Σ x³)/∂x = 3 x² v, also when called with a Tensor that does not require grad (a copy)."""
    from tinygrad_cnn import Tensor
    from tinygrad_cnn.testing.gradgradcheck import first_order_gradient

    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    g = first_order_gradient(lambda t: (t ** 3).sum(), [x], np.array(0.5))
    plain = Tensor(np.array([2.0, 3.0]))
    assert g(plain).data.tolist() == [6.0, 13.5]  # 3 · (4, 9) · ½
    assert g(x).data.tolist() == [1.5, 6.0]
    assert not plain.requires_grad  # the caller's Tensor is not changed


# ---------------------------------------------------------------------------------------- deltas/report.py
def test_a_row_agrees_up_to_and_including_its_tolerance():
    from tinygrad_cnn.deltas.report import Row

    row = Row("0", "δ", ("engine", "yours"), (2,), 0.5, 0.25, 0.5, 2)
    assert row.ok and row.nonzero == -1 and row.kinks == 0 and row.unit is None and row.values is None
    assert row.checked  # -1: zeros not counted, so the row counts as a check
    assert not Row("0", "δ", ("engine", "yours"), (2,), 0.5 + 2 ** -40, 0.25, 0.5, 2).ok
    assert not Row("0", "δ", ("engine", FD), (2,), 0.0, 0.0, 0.5, 2, nonzero=0).checked
    assert not Row("0", "δ", ("engine", FD), (2,), 0.0, 0.0, 0.5, 0, nonzero=3).checked
    assert Row("0", "δ", ("engine", FD), (2,), 0.0, 0.0, 0.5, 1, nonzero=1).checked


def test_worst_is_the_row_farthest_outside_its_tolerance():
    from tinygrad_cnn.deltas.report import Comparison, Row

    def row(max_abs, tol, layer="0"):
        return Row(layer, "δ", ("engine", "yours"), (1,), max_abs, 0.0, tol, 1)

    def worst(*rows):
        return Comparison("squared_error", 0.0, 1, [("0", "Linear")], list(rows), ["engine", "yours"]).worst()

    a, b, c = row(1e-3, 1e-2), row(3e-9, 1e-9), row(0.0, 0.0)  # 0.1, 3 and 0 tolerances' worth
    assert worst(a, b, c) is b and worst(c, a) is a and worst(c) is c
    d = row(2 ** -60, 0.0)  # any difference misses a zero tolerance
    assert worst(a, b, c, d) is d
    assert worst(row(0.5, 2.0), row(0.75, 2.0)).max_abs == 0.75  # 0.25 and 0.375: the ratio, exactly
    assert worst(row(1.0, 4.0), row(0.5, 0.25)).max_abs == 0.5  # 0.25 < 2: not the larger difference


# ---------------------------------------------------------------------------------- testing/gradgradcheck.py
def test_first_order_gradient_concatenates_every_inputs_gradient_in_order():
    """g(x, y) = ∂(Σ x² y)/∂(x, y) = (2 x y, x²), flattened and concatenated in the inputs' order."""
    from tinygrad_cnn import Tensor
    from tinygrad_cnn.testing.gradgradcheck import first_order_gradient

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = Tensor(np.array([3.0, -1.0]), requires_grad=True)
    g = first_order_gradient(lambda a, b: (a * a * b).sum(), [x, y], np.array(1.0))
    assert g(x, y).data.tolist() == [6.0, -4.0, 1.0, 4.0]
    z = Tensor(np.array([0.5, 4.0]), requires_grad=True)
    three = first_order_gradient(lambda a, b, c: (a * b * c).sum(), [x, y, z], np.array(2.0))
    assert three(x, y, z).data.tolist() == [3.0, -8.0, 1.0, 16.0, 6.0, -4.0]  # 2 (bc, ac, ab)


def test_first_order_gradient_of_a_constant_gradient_or_none_stays_differentiable():
    from tinygrad_cnn import Tensor
    from tinygrad_cnn.testing.gradgradcheck import first_order_gradient

    x = Tensor(np.array([1.5, -2.5]), requires_grad=True)
    linear = first_order_gradient(lambda a: (3.0 * a).sum(), [x], np.array(1.0))(x)  # ∂ = 3, a constant
    assert linear.data.tolist() == [3.0, 3.0] and linear.requires_grad
    w = Tensor(np.array([5.0, 6.0]), requires_grad=True)  # the output depends on w only, not on x
    unused = first_order_gradient(lambda a: w * 1.0, [x], np.ones(2))(x)
    assert unused.data.tolist() == [0.0] and unused.requires_grad  # nothing to check: one zero


def test_gradgradcheck_defaults_are_gradchecks():
    """eps 1e-6, atol 1e-5, rtol 1e-3 (PyTorch's); gradcheck's are held to behaviour in test_gradcheck.py."""
    import inspect

    from tinygrad_cnn.testing import gradcheck, gradgradcheck

    for fn in (gradcheck, gradgradcheck):
        defaults = {k: p.default for k, p in inspect.signature(fn).parameters.items()}
        assert (defaults["eps"], defaults["atol"], defaults["rtol"]) == (1e-6, 1e-5, 1e-3), fn.__name__
    assert inspect.signature(gradgradcheck).parameters["seed"].default == 0  # v reproducible by default


def test_gradgradcheck_argument_rules():
    from tinygrad_cnn import Tensor
    from tinygrad_cnn.testing import gradgradcheck

    x = Tensor(np.array([0.5, -1.5]), requires_grad=True)
    assert gradgradcheck(lambda t: t * t * t, [x], seed=None)  # seed None: a fresh draw, no check
    assert gradgradcheck(lambda t: t * t * t, [x], grad_outputs=Tensor(np.array([2.0, 0.5])))  # a Tensor v
    with pytest.raises(TypeError, match="gradgradcheck: seed must be"):
        gradgradcheck(lambda t: t * t, [x], seed="1")
    with pytest.raises(TypeError, match="gradgradcheck: fn must return a Tensor, got float"):
        gradgradcheck(lambda t: 1.0, [x])
    with pytest.raises(TypeError, match="gradgradcheck: fn must be a callable"):
        gradgradcheck("t * t", [x])


def _comparison(rows, layers=(("1", "Sigmoid"), ("2", "AvgPool2d")), sources=("engine", "yours")):
    from tinygrad_cnn.deltas.report import Comparison

    return Comparison("squared_error", 0.5, 1, list(layers), list(rows), list(sources))


def test_the_verdict_is_empty_when_all_agree_and_names_no_unit_it_was_not_given():
    from tinygrad_cnn.deltas.report import Row, verdict

    good = Row("2", "δ", ("engine", "yours"), (1, 1), 0.0, 0.0, 1e-6, 1)
    assert verdict(_comparison([good])) == ""
    bad = Row("1", "δ", ("engine", "yours"), (1, 4), 0.75, 0.75, 1e-6, 4, unit=(0, 2), values=None)
    text = verdict(_comparison([bad, good]))
    assert "The first departure is at layer 1 (Sigmoid), δ of its output: yours and engine disagree; max " \
           "|difference| 0.75, allowed 1e-06." in text
    zero = Row("1", "δ", ("engine", "yours"), (1, 4), 0.75, 1.0, 1e-6, 4, unit=(0, 1), values=(0.0, 0.75))
    text = verdict(_comparison([zero, good]))
    assert "at unit (0, 1): yours 0.75, engine 0; max" in text and "×" not in text  # no ratio to a zero


def test_the_verdict_blames_a_pair_without_the_engine_and_a_parameter():
    from tinygrad_cnn.deltas.report import Row, verdict

    pair = Row("2", "weight", ("layerwise", "yours"), (2,), 0.5, 0.5, 1e-6, 2, unit=(1,), values=(1.0, 0.5))
    delta = Row("2", "δ", ("layerwise", "yours"), (1, 1), 0.0, 0.0, 1e-6, 1)
    text = verdict(_comparison([pair, delta], sources=("engine", "layerwise", "yours")))
    assert "layer 2 (AvgPool2d), ∂C/∂weight: layerwise and yours disagree at unit (1,): layerwise 1, yours 0.5 " \
           "(layerwise = 2 × yours)" in text
    assert "Its δ agrees, so the error is in the gradient of layer 2's weight from that δ" in text


def _table_rows():
    from tinygrad_cnn.deltas.report import Row

    return [
        Row("conv", "δ", ("engine", "layerwise"), (2, 3), 1.5e-17, 2.5e-16, 1e-9, 6),
        Row("conv", "δ", ("engine", FD), (2, 3), 2e-11, 1e-10, 1e-5, 4, kinks=1, nonzero=4),
        Row("conv", "weight", ("engine", "layerwise"), (3,), 0.0, 0.0, 1e-9, 3),
        Row("conv", "weight", ("engine", FD), (3,), 0.0, 0.0, 1e-5, 0, kinks=3, nonzero=0),
        Row("fc", "δ", ("engine", "layerwise"), (2, 1), 0.25, 0.5, 1e-9, 2, unit=(1, 0), values=(0.5, 0.25)),
        Row("fc", "δ", ("engine", FD), (2, 1), 0.0, 0.0, 1e-5, 2, nonzero=0),
    ]


def test_the_table_line_by_line():
    """Checked by eye once: the columns, the book's label, 'not checked', units k/n, the verdict and notes."""
    from tinygrad_cnn.deltas.report import Comparison, format_table

    c = Comparison("cross_entropy", 1.25, 2, [("conv", "Conv2d"), ("fc", "Linear")], _table_rows(),
                   ["engine", "layerwise", FD], ["a note."], labels={("fc", "δ"): "delta_O"})
    assert format_table(c).split("\n") == [
        "δ = ∂C/∂(layer output) and ∂C/∂θ, 2 image(s), cross_entropy loss (C = 1.25): largest |difference| (and "
        "relative) of each source against the engine",
        "layer kind       quantity    shape             layerwis"
        "e vs engine finite differences vs engine     units   ok",
        "conv  Conv2d     δ           (2, 3)              1.5e-1"
        "7 (2.5e-16)            2.0e-11 (1.0e-10)       4/6   yes",
        "conv  Conv2d     weight      (3,)                0.0e+0"
        "0 (0.0e+00)                  not checked       0/3   yes",
        "fc    Linear     δ (delta_O) (2, 1)            2.5e-01 "
        "(5.0e-01) ✗                  not checked       2/2   NO",
        "DISAGREEMENT at layer(s) fc.",
        "The first departure is at layer fc (Linear), δ of its output: layerwise and engine disagree at unit (1, 0): "
        "layerwise 0.25, engine 0.5 (layerwise = 0.5 × engine); max |difference| 0.25, allowed 1e-09.",
        "Nothing above it is compared for layerwise, so the error enters between the loss and here.",
        "Finite differences could not check layer conv weight (every sampled unit sits where the loss is not "
        "differentiable).",
        "Finite differences could not check layer fc δ (δ is 0 at the 2 compared unit(s)).",
        "4 sampled unit(s) where the loss is not differentiable (a max-pool tie or a zero ReLU input at or above "
        "them) were left out of the finite-difference check.",
        "a note.",
    ]


def test_the_table_when_all_agree_and_a_source_lacks_a_quantity():
    from tinygrad_cnn.deltas.report import Comparison, Row, format_table

    rows = [r for r in _table_rows() if r.layer == "conv" and FD not in r.pair]
    rows.append(Row("conv", "δ", ("engine", "yours"), (2, 3), 0.0, 0.0, 1e-6, 6))
    c = Comparison("squared_error", 0.5, 1, [("a_long_layer_name", "ReLU"), ("conv", "Conv2d")], rows,
                   ["engine", "layerwise", "yours"])
    lines = format_table(c).split("\n")
    assert lines[1] == ("layer             kind       quantity  shape             layerwise vs engine      yours vs "
                        "engine   ok")
    assert lines[2] == ("conv              Conv2d     δ         (2, 3)              1.5e-17 (2.5e-16)    0.0e+00 "
                        "(0.0e+00)   yes")
    assert lines[3].endswith("0.0e+00 (0.0e+00)                    —   yes")
    assert lines[4:] == ["All sources agree (engine, layerwise, yours)."]


def test_where_the_error_enters_through_the_layers_above():
    from tinygrad_cnn.deltas.report import Row, verdict

    layers = [("a", "Conv2d"), ("b", "ReLU"), ("c", "Flatten"), ("d", "Linear")]
    bad = Row("a", "δ", ("engine", "yours"), (1, 2), 1.0, 1.0, 1e-6, 2, unit=(0, 1), values=(0.0, 1.0))
    ok = [Row(name, "δ", ("engine", "layerwise"), (1, 2), 0.0, 0.0, 1e-9, 2) for name in "bd"]  # c: no rows
    text = verdict(_comparison([bad, *ok], layers, ("engine", "layerwise", "yours")))
    assert text.split("\n")[-1] == ("Nothing above it is compared for yours, so the error enters between the loss "
                                    "and here through layer(s) b (ReLU), c (Flatten), d (Linear).")
    assert text.split("\n")[0] == ("Walking back from the output, every source agrees at layers d (Linear), "
                                   "b (ReLU) (yours gives none of them).")
    first, last = Row("a", "δ", ("engine", "yours"), (1, 2), 0.0, 0.0, 1e-6, 2), dataclasses.replace(bad, layer="d")
    text = verdict(_comparison([first, *ok, last], layers, ("engine", "layerwise", "yours")))
    assert text.startswith("The first departure is at layer d (Linear)")  # the last layer is walked too
    mine = Row("d", "δ", ("engine", "yours"), (1, 2), 0.0, 0.0, 1e-6, 2)
    text = verdict(_comparison([bad, *ok, mine], layers, ("engine", "layerwise", "yours")))
    assert text.split("\n")[-1] == (
        "The nearest δ above it that yours gives (layer d) agrees, so the error enters in the backward steps "
        "through layers d (Linear), c (Flatten), b (ReLU): from the δ of layer d's output to that of layer a.")


# ---------------------------------------------------------------------------------------- deltas/comparison.py
def test_a_kink_needs_one_sided_slopes_more_than_the_tolerance_apart():
    """Scale 0 and cost 0: the tolerance is its floor 1e-8; slopes ±5e-9 are exactly 1e-8 apart (doubling is
    exact in binary), which is not more than it: no kink. A hair more is one."""
    from tinygrad_cnn.deltas import comparison

    pair = ("engine", FD)
    assert tolerance(pair, 0.0, 0.0) == 1e-8
    for p, kink in ((5e-9, False), (5e-9 + 2 ** -60, True)):
        d = Differences(np.array([0]), np.array([p]), np.array([p]), 1.0, 0.0)  # central 0, left −p, right p
        assert d.right[0] - d.left[0] == 2 * p
        assert comparison._at_kink(d, np.zeros(1), np.zeros(1, bool), pair, 0.0).tolist() == [kink]


def test_numerical_jacobian_refuses_a_function_that_returns_no_tensor():
    from tinygrad_cnn import Tensor
    from tinygrad_cnn.testing.gradcheck import numerical_jacobian

    x = Tensor(np.array([1.0]), requires_grad=True)
    with pytest.raises(TypeError, match="gradcheck: the function must return a Tensor, got float"):
        numerical_jacobian(lambda t: 1.0, [x])


def test_numerical_grad_checks_its_inputs_first_and_the_size_of_grad_output():
    from tinygrad_cnn import Tensor
    from tinygrad_cnn.testing.gradcheck import numerical_grad

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(ValueError, match=r"^numerical_grad: grad_output has 3 elements, the output has 2$"):
        numerical_grad(lambda t: t * 2, [x], grad_output=np.ones(3))
    with pytest.raises(ValueError, match="gradcheck: no input requires grad"):  # before grad_output's check
        numerical_grad(lambda t: t * 2, [Tensor(np.array([1.0, 2.0]))], grad_output="bad")
    assert numerical_grad(lambda t: t * t, [x], eps=0.5, grad_output=[[3.0], [0.5]])[0].tolist() == [6.0, 2.0]


def test_compare_defaults_seed_0_and_names_a_bad_loss():
    from tinygrad_cnn import deltas, nn

    model = nn.Sequential(nn.Linear(3, 2, seed=0), nn.Tanh())
    x, t = np.random.default_rng(1).normal(size=(2, 3)), np.array([0, 1])
    default, zero = deltas.compare(model, x, t, fd_units=2), deltas.compare(model, x, t, fd_units=2, seed=0)
    one = deltas.compare(model, x, t, fd_units=2, seed=1)
    for key in default.values[FD]:
        np.testing.assert_array_equal(default.values[FD][key], zero.values[FD][key])
    assert any(not np.array_equal(default.values[FD][k], one.values[FD][k]) for k in default.values[FD])
    with pytest.raises(ValueError, match=r"^loss must be one of \('squared_error', 'cross_entropy'\); got 'mse'$"):
        deltas.compare(model, x, t, loss="mse")


def test_analytical_jacobian_refuses_a_non_callable():
    from tinygrad_cnn import Tensor
    from tinygrad_cnn.testing.gradcheck import analytical_jacobian

    with pytest.raises(TypeError, match="^analytical_jacobian: fn must be a callable"):
        analytical_jacobian("t * t", [Tensor(np.array([1.0]), requires_grad=True)])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"eps": 0.0}, ValueError, "^gradcheck: eps must be greater than 0.0"),
    ({"atol": -1e-5}, ValueError, "^gradcheck: atol must be at least 0.0"),
    ({"rtol": -1e-3}, ValueError, "^gradcheck: rtol must be at least 0.0"),
    ({"raise_exception": "no"}, TypeError, "^gradcheck: raise_exception must be"),
    ({"fast_mode": 1}, TypeError, "^gradcheck: fast_mode must be"),
    ({"seed": -1}, ValueError, "^gradcheck: seed must be"),
])
def test_gradcheck_refuses_its_own_bad_arguments(kwargs, error, match):
    from tinygrad_cnn import Tensor
    from tinygrad_cnn.testing import gradcheck

    x = Tensor(np.array([1.0]), requires_grad=True)
    with pytest.raises(error, match=match):
        gradcheck(lambda t: t * t, [x], **kwargs)
    assert gradcheck(lambda t: t * t, [x], seed=3, fast_mode=True)  # a good seed is accepted


def test_compare_times_each_source_and_refuses_a_bad_progress_flag():
    from tinygrad_cnn import deltas, nn

    model = nn.Sequential(nn.Linear(3, 2, seed=0))
    x, t = np.ones((1, 3)), np.array([1])
    result = deltas.compare(model, x, t, fd_units=1)
    assert set(result.seconds) == {"engine", "layerwise", FD}
    assert all(0.0 <= s < 60.0 for s in result.seconds.values())  # wall times of this run, not clock readings
    with pytest.raises(TypeError, match="compare: progress must be"):
        deltas.compare(model, x, t, progress="yes")


def test_a_concave_kink_is_a_kink_too():
    """−|x| at 0 with ε = 1: left slope 1, right slope −1; |right − left| = 2 is beyond any tolerance."""
    from tinygrad_cnn.deltas import comparison

    d = Differences(np.array([0]), np.array([-1.0]), np.array([-1.0]), 1.0, 0.0)
    assert (d.left.tolist(), d.right.tolist()) == ([1.0], [-1.0])
    assert comparison._at_kink(d, np.zeros(1), np.zeros(1, bool), ("engine", FD), 0.0).tolist() == [True]


def test_rows_measure_negative_values_by_their_size_and_count_nonzero_units():
    """A linear layer below its target has δ = a − t < 0 everywhere; yours = 1.5 δ: max |a − b| = ½ max |δ| and
    relative to max |yours| = 1.5 max |δ| it is exactly 1/3; exact pairs count the units ≠ 0 in either source."""
    from tinygrad_cnn import deltas, nn

    model = nn.Sequential(nn.Linear(2, 2, seed=0))
    x, t = np.array([[0.5, 0.0], [0.0, 0.0]]), np.full((2, 2), 10.0)
    _, rec = deltas.engine_backprop(deltas.recording._float64_copy(model), x, t, "squared_error")
    delta = rec.deltas["0"]
    assert (delta < 0).all()
    result = deltas.compare(model, x, t, "squared_error", user_deltas={"0": 1.5 * delta}, fd_units=0)
    row = next(r for r in result.rows if r.layer == "0" and r.quantity == "δ" and r.pair == ("engine", "yours"))
    assert row.max_abs == pytest.approx(0.5 * np.abs(delta).max(), rel=1e-15)
    assert row.max_rel == pytest.approx(1 / 3, rel=1e-15)
    assert row.tolerance == pytest.approx(tolerance(("engine", "yours"), 1.5 * np.abs(delta).max()), rel=1e-15)
    assert row.nonzero == 4 and row.units == 4
    weight = next(r for r in result.rows if r.quantity == "weight" and r.pair == ("engine", "layerwise"))
    assert weight.nonzero == 2  # ∂C/∂w[n, j] = Σ_m δ_mn x_mj: x's second column is 0


def test_worst_unit_by_hand():
    from tinygrad_cnn.deltas.report import worst_unit

    a, b = np.array([1.0, 0.0, 3.0]), np.array([1.0, 2.0, 2.5])  # |a − b| = 0, 2, ½
    assert worst_unit(a, b, (3,)) == {"unit": (1,), "values": (0.0, 2.0)}
    assert worst_unit(a, b, (2, 4), index=np.array([0, 5, 7])) == {"unit": (1, 1), "values": (0.0, 2.0)}
    assert worst_unit(np.array([1.0, np.nan]), np.array([5.0, 0.0]), (2,))["unit"] == (1,)  # NaN is the worst
    assert worst_unit(np.array([2.0]), np.array([1.0]), ()) == {"unit": (), "values": (2.0, 1.0)}
    assert worst_unit(np.zeros(0), np.zeros(0), (0,)) == {"unit": None, "values": None}


def test_finite_difference_rows_count_small_negative_estimates_as_nonzero():
    """δ = a − t = −1e-6 at every unit of a linear layer; yours says 0. The finite differences' estimates
    (≈ −1e-6, beyond the floor 1e-8 of a size-0 quantity) make the (FD, yours) row a real check that fails."""
    from tinygrad_cnn import Tensor, deltas, nn

    model = deltas.recording._float64_copy(nn.Sequential(nn.Linear(2, 2, seed=0)))
    x = np.array([[0.5, 0.0], [0.0, 1.0]])
    t = model(Tensor(x)).data + 1e-6
    # step 1e-9: the one-sided slopes part by ε·C'' = 1e-9, under the floor (at 1e-6 they would look like kinks)
    result = deltas.compare(model, x, t, "squared_error", user_deltas={"0": np.zeros((2, 2))}, fd_units=4,
                            eps=1e-9)
    row = next(r for r in result.rows if r.layer == "0" and r.quantity == "δ" and r.pair == (FD, "yours"))
    assert row.units == 4 and row.nonzero == 4 and row.checked and not row.ok
    half = deltas.compare(model, x, t, "squared_error", user_deltas={"0": 0.5 * (model(Tensor(x)).data - t)},
                          fd_units=0)
    mine = next(r for r in half.rows if r.layer == "0" and r.quantity == "δ" and r.pair == ("engine", "yours"))
    assert mine.max_rel == pytest.approx(0.5, rel=1e-9)  # relative to max |engine| = 1e-6, not to yours


def test_the_rounding_tie_note_only_where_engine_and_layerwise_disagree(monkeypatch):
    from tinygrad_cnn import deltas, nn
    from tinygrad_cnn.deltas import comparison

    model = nn.Sequential(nn.Linear(2, 2, seed=0), nn.Tanh())
    x, t = np.array([[0.5, -1.0]]), np.array([1])
    monkeypatch.setattr(comparison, "rounding_ties", lambda rec, outputs, x: ["0"])  # as if layer 0 had a tie
    note = "layer 0: the engine's and layerwise's forward values differ in the last bits"
    _, rec = deltas.engine_backprop(deltas.recording._float64_copy(model), x, np.eye(2)[t], "squared_error")
    wrong = {"0": 2 * rec.deltas["0"]}  # yours departs; engine and layerwise agree: no note
    agree = deltas.compare(model, x, np.eye(2)[t], "squared_error", user_deltas=wrong, fd_units=0)
    assert not agree.agrees() and not any(n.startswith(note) for n in agree.notes)
    real = comparison.layerwise.backprop

    def doubled(*args, **kwargs):
        result = real(*args, **kwargs)
        result.deltas["0"] = 2 * result.deltas["0"]
        return result

    monkeypatch.setattr(comparison.layerwise, "backprop", doubled)
    apart = deltas.compare(model, x, np.eye(2)[t], "squared_error", fd_units=0)
    assert any(n.startswith(note) for n in apart.notes)


def test_rows_of_zeros_have_relative_difference_0():
    from tinygrad_cnn import deltas, nn

    result = deltas.compare(nn.Sequential(nn.Linear(2, 2, seed=0)), np.zeros((1, 2)), np.array([1]), fd_units=0)
    weight = next(r for r in result.rows if r.quantity == "weight")
    assert (weight.max_abs, weight.max_rel, weight.nonzero) == (0.0, 0.0, 0)

"""The book's network through both autograd engines, against the hand-derived formulas and finite
differences; the book's gradient descent with each engine.

Everything runs on all 96 images of the book. The three δ/gradient sources are independent: the formulas
are plain numpy (eqs. (17), (25), (8), (12), (14)), the tensor engine differentiates ``F.conv2d`` and the pooling
ops, the scalar engine differentiates a graph of one Value per neuron.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tinygrad_cnn import Tensor, Value
from tinygrad_cnn import functional as F
from tinygrad_cnn.textbook import (
    formulas,
    initial_parameters,
    labels,
    load_data,
    optimized_parameters,
    scalar_net,
    tensor_net,
)
from tinygrad_cnn.textbook.comparison import (
    AUTOGRAD_TOLERANCE,
    FD_TOLERANCE,
    Comparison,
    Row,
    compare,
    finite_difference_gradients,
    format_table,
)
from tinygrad_cnn.textbook.training import History, TrainStep, train

ENGINES = {"formulas": formulas.backprop, "tensor": tensor_net.backprop, "scalar": scalar_net.backprop}
GRADIENT_KEYS = tuple(formulas.PARAMETER_SHAPES)
FD = "finite differences"


@pytest.fixture(scope="module")
def data():
    return load_data()


@pytest.fixture(scope="module", params=formulas.POOLS)
def pool(request):
    return request.param


@pytest.fixture(scope="module")
def results(data, pool):
    """Each engine's Backprop at the book's initial parameters, on all 96 images."""
    images, targets = data
    return {name: run(initial_parameters(), images, targets, pool) for name, run in ENGINES.items()}


@pytest.fixture(scope="module")
def fd_gradients(data, pool):
    images, targets = data
    return finite_difference_gradients(initial_parameters(), images, targets, pool)


def max_abs(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


# ----------------------------------------------------------------------------------------------------
# The three engines and finite differences agree, for every pooling kind
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("first, second", [("formulas", "tensor"), ("formulas", "scalar"), ("tensor", "scalar")])
def test_engines_agree_on_cost_outputs_deltas_and_gradients(results, first, second):
    a, b = results[first], results[second]
    assert a.delta_O.shape == b.delta_O.shape == (96, 3)
    assert a.delta_F.shape == b.delta_F.shape == (96, 3, 4, 4)
    assert abs(a.cost - b.cost) <= AUTOGRAD_TOLERANCE
    assert max_abs(a.a_O, b.a_O) <= AUTOGRAD_TOLERANCE
    assert max_abs(a.delta_O, b.delta_O) <= AUTOGRAD_TOLERANCE
    assert max_abs(a.delta_F, b.delta_F) <= AUTOGRAD_TOLERANCE
    for key in GRADIENT_KEYS:
        assert a.gradients[key].shape == formulas.PARAMETER_SHAPES[key]
        assert max_abs(a.gradients[key], b.gradients[key]) <= AUTOGRAD_TOLERANCE, key


def test_the_gradients_are_not_trivially_zero(results):
    # guards the agreement test against a degenerate pass (all engines returning zeros would "agree")
    for result in results.values():
        assert np.abs(result.delta_F).max() > 1e-4
        for key in GRADIENT_KEYS:
            assert np.abs(result.gradients[key]).max() > 1e-4, key


@pytest.mark.parametrize("engine", list(ENGINES))
def test_finite_differences_agree_with_every_engine(results, fd_gradients, engine):
    for key in GRADIENT_KEYS:
        assert max_abs(fd_gradients[key], results[engine].gradients[key]) <= FD_TOLERANCE, key


def test_compare_reports_all_pairs_and_agreement(data, pool):
    images, targets = data
    result = compare(initial_parameters(), images, targets, pool)
    assert result.n_images == 96 and result.loss == "squared_error"
    assert result.agrees()
    assert result.sources == ["engine", "layerwise", "formulas", "scalar", "finite differences"]
    book = {label: key for key, label in result.labels.items()}
    assert book["delta_F"] == ("0", "δ") and book["output_weights"] == ("4", "weight")
    # the book's two δ and four gradients: all 10 pairs of the 5 sources; the other 4 layers' δ: 3 pairs
    assert len(result.rows) == 6 * 10 + 4 * 3
    formulas_result = formulas.backprop(initial_parameters(), images, targets, pool)
    scalar_result = scalar_net.backprop(initial_parameters(), images, targets, pool)
    row = next(r for r in result.rows if (r.layer, r.quantity) == ("0", "δ") and r.pair == ("formulas", "scalar"))
    assert row.max_abs == max_abs(formulas_result.delta_F, scalar_result.delta_F)
    assert row.units == formulas_result.delta_F.size
    fd = next(r for r in result.rows if (r.layer, r.quantity) == ("4", "weight") and r.pair[1] == "finite differences"
              and r.pair[0] == "formulas")
    assert fd.units == 36  # every parameter by finite differences
    fd_delta = next(r for r in result.rows if (r.layer, r.quantity) == ("0", "δ") and r.pair == ("engine", FD))
    assert fd_delta.units == 36  # and 36 units of each δ (deltas.book.BOOK_FD_UNITS)
    table = format_table(result)
    for label in ("delta_F", "delta_O", "filter_weights", "filter_biases", "output_weights", "output_biases",
                  "formulas vs engine", "scalar vs engine", "All sources agree"):
        assert label in table


def test_compare_flags_a_disagreement():
    close = Row("4", "δ", ("formulas", "engine"), (96, 3), 1e-12, 1e-11, 0.1 * AUTOGRAD_TOLERANCE + 1e-12, 288)
    far = Row("0", "bias", ("scalar", "finite differences"), (3,), 2e-4, 1e-4, 2 * FD_TOLERANCE + 1e-8, 3)
    assert close.ok and not far.ok
    comparison = Comparison("squared_error", 1.0, 96, [("0", "Conv2d"), ("4", "Linear")], [close, far],
                            ["engine", "formulas", "scalar", "finite differences"])
    assert not comparison.agrees()
    assert comparison.worst() is far
    assert comparison.first_failing_layer() == "0"
    assert "DISAGREEMENT" in format_table(comparison)


def test_compare_rejects_a_bad_pool(data):
    with pytest.raises(ValueError, match="pool"):
        compare(initial_parameters(), *data, pool="min")


# ----------------------------------------------------------------------------------------------------
# Ties in max pooling: the first maximum takes the whole δ, in all three
# ----------------------------------------------------------------------------------------------------


def tied_blocks(params, images):
    """(m, k, i', j', first, others) of every max-pooling block whose maximum occurs more than once."""
    a_F = formulas.forward(params, images, "max")["a_F"]  # (96, 3, 4, 4)
    found = []
    for m, k, i, j in zip(*np.nonzero(formulas.max_pool_ties(params, images))):
        block = a_F[m, k, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2].ravel()  # row-major
        maxima = np.flatnonzero(block == block.max())
        found.append((m, k, i, j, maxima[0], maxima[1:]))
    return found


def test_ties_send_delta_to_the_first_maximum_only_in_every_engine(data):
    images, targets = data
    params = initial_parameters()
    blocks = tied_blocks(params, images)
    assert len(blocks) > 100  # the book's data has many (identical input windows)
    for name, run in ENGINES.items():
        delta_F = run(params, images, targets, "max").delta_F  # (96, 3, 4, 4)
        for m, k, i, j, first, others in blocks:
            d = delta_F[m, k, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2].ravel()
            assert d[first] != 0.0, (name, m, k, i, j)
            assert np.all(np.delete(d, first) == 0.0), (name, m, k, i, j, d)
            assert len(others) >= 1


def test_finite_differences_confirm_the_first_maximum_rule_and_reject_sharing(data):
    """At the tied blocks, the first-maximum rule matches finite differences; sending δ to every tied unit
    (the naive reading of eq. (25)) does not, so the tie test above tests something."""
    images, targets = data
    params = initial_parameters()
    fd = finite_difference_gradients(params, images, targets, "max")["filter_biases"]
    first_rule = formulas.gradients(params, images, targets, "max")["filter_biases"]
    assert max_abs(fd, first_rule) <= FD_TOLERANCE
    # the naive alternative: indicator 1 for every unit equal to its block's maximum
    units = formulas.forward(params, images, "max")
    errors = formulas.deltas(params, images, targets, "max")
    dC_daP = np.einsum("mn,nkij->mkij", errors["delta_O"], params["output_weights"])  # (96, 3, 2, 2)
    spread = dC_daP.repeat(2, axis=2).repeat(2, axis=3)  # (96, 3, 4, 4)
    block_max = units["z_P"].repeat(2, axis=2).repeat(2, axis=3)  # (96, 3, 4, 4)
    every_tied = (units["a_F"] == block_max).astype(float)
    shared = (spread * every_tied * formulas.sigmoid_prime(units["z_F"])).sum(axis=(0, 2, 3))  # (3,)
    assert max_abs(fd, shared) > 1e-3


def test_scalar_max_pooling_passes_on_the_first_maximal_value_object():
    a, b, c, d = Value(0.2), Value(0.7), Value(0.1), Value(0.7)
    winner = scalar_net._pool_block([a, b, c, d], "max")
    assert winner is b
    (winner * 3.0).backward()
    assert (a.grad, b.grad, c.grad, d.grad) == (0.0, 3.0, 0.0, 0.0)


def test_l2_pooling_of_an_all_zero_block_has_derivative_zero_in_every_engine():
    # MATH.md: g = a^F / z^P is defined as 0 where z^P = 0 (sqrt has an infinite slope there)
    block = [Value(0.0) for _ in range(4)]
    z = scalar_net._pool_block(block, "l2")
    (z * 2.0).backward()
    assert z.data == 0.0
    assert [v.grad for v in block] == [0.0, 0.0, 0.0, 0.0]
    a = Tensor(np.zeros((1, 1, 2, 2)), requires_grad=True)
    (F.lp_pool2d(a, 2, 2) * 2.0).sum().backward()
    assert np.array_equal(a.grad, np.zeros((1, 1, 2, 2)))
    assert np.array_equal(formulas.pooling_factor(np.zeros((3, 4, 4)), "l2"), np.zeros((3, 4, 4)))


def test_scalar_forward_matches_the_formulas_unit_by_unit(data, pool):
    images, _ = data
    params = initial_parameters()
    for m in (0, 40, 95):
        units = scalar_net.forward(params, images[m], pool)
        expected = formulas.forward(params, images[m], pool)
        for name in ("z_F", "a_F", "z_P", "a_P", "z_O", "a_O"):
            got = np.array([value.data for value in units[name].flat]).reshape(units[name].shape)
            assert max_abs(got, expected[name]) <= 1e-12, name


def test_tensor_forward_matches_the_formulas(data, pool):
    images, _ = data
    units = tensor_net.forward(initial_parameters(), images, pool)
    expected = formulas.forward(initial_parameters(), images, pool)
    for name in expected:
        assert max_abs(units[name].data, expected[name]) <= 1e-12, name


# ----------------------------------------------------------------------------------------------------
# Using the network
# ----------------------------------------------------------------------------------------------------


def test_optimized_parameters_classify_all_training_images_in_every_engine(data):
    images, _ = data
    params = optimized_parameters()
    assert np.array_equal(tensor_net.predict(params, images), labels())
    assert np.array_equal(formulas.predict(params, images), labels())
    assert [scalar_net.predict(params, image) for image in images] == labels().tolist()


def test_engines_reject_bad_input(data):
    images, targets = data
    with pytest.raises(ValueError, match="params"):
        tensor_net.backprop({"filter_weights": np.zeros((3, 3, 3))}, images, targets)
    with pytest.raises(ValueError, match="images"):
        scalar_net.backprop(initial_parameters(), images[:, :5], targets)
    with pytest.raises(ValueError, match="targets"):
        tensor_net.backprop(initial_parameters(), images, targets[:5])
    with pytest.raises(ValueError, match="pool"):
        scalar_net.backprop(initial_parameters(), images, targets, pool="median")
    with pytest.raises(ValueError, match="one image"):
        scalar_net.forward(initial_parameters(), images)


# ----------------------------------------------------------------------------------------------------
# Training: Δθ = −η ∂C_T/∂θ
# ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def formulas_runs(data):
    """50 steps of the book's gradient descent with the formulas, per pooling kind."""
    images, targets = data
    return {pool: train(initial_parameters(), images, targets, lr=0.2, steps=50, pool=pool, engine="formulas")
            for pool in formulas.POOLS}


def test_training_lowers_the_cost_far_below_its_start(data, formulas_runs, pool):
    images, targets = data
    params, history = formulas_runs[pool]
    assert len(history.cost) == len(history.accuracy) == 51
    assert history.cost[0] == pytest.approx(formulas.cost(initial_parameters(), images, targets, pool), abs=1e-12)
    assert history.cost[-1] < 0.1 * history.cost[0]
    assert history.cost[-1] == pytest.approx(formulas.cost(params, images, targets, pool), abs=1e-12)
    assert history.accuracy[-1] == formulas.accuracy(params, images, targets, pool)
    assert history.accuracy[-1] >= history.accuracy[0]


def test_tensor_engine_follows_the_formulas_trajectory_for_50_steps(data, formulas_runs, pool):
    images, targets = data
    params, history = train(initial_parameters(), images, targets, lr=0.2, steps=50, pool=pool, engine="tensor")
    reference_params, reference = formulas_runs[pool]
    assert max_abs(history.cost, reference.cost) <= AUTOGRAD_TOLERANCE
    assert history.correct == reference.correct
    for key in GRADIENT_KEYS:
        assert max_abs(params[key], reference_params[key]) <= AUTOGRAD_TOLERANCE, key


def test_scalar_engine_follows_the_same_trajectory(data, formulas_runs, pool):
    images, targets = data
    steps = 3
    params, history = train(initial_parameters(), images, targets, lr=0.2, steps=steps, pool=pool, engine="scalar")
    reference_params, reference = train(
        initial_parameters(), images, targets, lr=0.2, steps=steps, pool=pool, engine="formulas"
    )
    assert max_abs(history.cost, reference.cost) <= AUTOGRAD_TOLERANCE
    assert history.cost[:steps + 1] == pytest.approx(formulas_runs[pool][1].cost[:steps + 1], abs=1e-12)
    for key in GRADIENT_KEYS:
        assert max_abs(params[key], reference_params[key]) <= AUTOGRAD_TOLERANCE, key


def test_one_training_step_is_the_books_update(data):
    images, targets = data
    start = initial_parameters()
    params, _ = train(start, images, targets, lr=0.3, steps=1, engine="tensor")
    grads = formulas.gradients(start, images, targets)
    for key in GRADIENT_KEYS:
        assert max_abs(params[key], start[key] - 0.3 * grads[key]) <= 1e-12, key


def test_training_does_not_mutate_the_callers_parameters(data):
    images, targets = data
    start = initial_parameters()
    for engine in ("tensor", "formulas"):
        params, _ = train(start, images, targets, steps=2, engine=engine)
        for key in GRADIENT_KEYS:
            assert np.array_equal(start[key], initial_parameters()[key])
            assert not np.shares_memory(params[key], start[key])


def test_training_callback_and_history(data):
    images, targets = data
    seen: list[TrainStep] = []
    _, history = train(initial_parameters(), images, targets, steps=4, engine="tensor", callback=seen.append)
    assert [state.step for state in seen] == [0, 1, 2, 3, 4]
    assert all(state.steps == 4 and state.n_images == 96 for state in seen)
    assert [state.cost for state in seen] == history.cost
    assert [state.correct for state in seen] == history.correct
    assert isinstance(history, History) and history.engine == "tensor" and history.lr == 0.2
    assert json.loads(json.dumps(history.to_dict()))["cost"] == history.cost


def test_zero_steps_only_measures(data):
    images, targets = data
    params, history = train(initial_parameters(), images, targets, steps=0, engine="scalar")
    assert len(history.cost) == 1
    for key in GRADIENT_KEYS:
        assert np.array_equal(params[key], initial_parameters()[key])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"lr": 0.0}, ValueError, "lr"),
        ({"lr": float("nan")}, ValueError, "lr"),
        ({"steps": -1}, ValueError, "steps"),
        ({"steps": 2.5}, TypeError, "steps"),  # a wrong type (tests/test_bad_input.py has the full catalogue)
        ({"engine": "gpu"}, ValueError, "engine"),
        ({"pool": "min"}, ValueError, "pool"),
    ],
)
def test_train_rejects_bad_arguments(data, kwargs, error, message):
    with pytest.raises(error, match=message):
        train(initial_parameters(), *data, **kwargs)


# ----------------------------------------------------------------------------------------------------
# One input check for every build: the same input is refused the same way (formulas.check_inputs)
# ----------------------------------------------------------------------------------------------------

# every public entry point of the ``textbook`` package that takes (params, images[, targets][, pool])
ENTRY_POINTS = {
    "formulas.forward": lambda p, x, t, pool: formulas.forward(p, x, pool),
    "formulas.cost": formulas.cost,
    "formulas.deltas": formulas.deltas,
    "formulas.gradients": formulas.gradients,
    "formulas.backprop": formulas.backprop,
    "formulas.predict": lambda p, x, t, pool: formulas.predict(p, x, pool),
    "formulas.accuracy": formulas.accuracy,
    "tensor_net.forward": lambda p, x, t, pool: tensor_net.forward(p, x, pool),
    "tensor_net.cost": tensor_net.cost,
    "tensor_net.backprop": tensor_net.backprop,
    "tensor_net.predict": lambda p, x, t, pool: tensor_net.predict(p, x, pool),
    "scalar_net.forward": lambda p, x, t, pool: scalar_net.forward(p, x, pool),
    "scalar_net.cost": scalar_net.cost,
    "scalar_net.backprop": scalar_net.backprop,
    "scalar_net.predict": lambda p, x, t, pool: scalar_net.predict(p, x, pool),
    "train(formulas)": lambda p, x, t, pool: train(p, x, t, steps=1, pool=pool, engine="formulas"),
    "train(tensor)": lambda p, x, t, pool: train(p, x, t, steps=1, pool=pool, engine="tensor"),
    "train(scalar)": lambda p, x, t, pool: train(p, x, t, steps=1, pool=pool, engine="scalar"),
    "compare": compare,
    "finite_difference_gradients": finite_difference_gradients,
}
_SINGLE_IMAGE_ONLY = {"scalar_net.forward", "scalar_net.predict"}


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_an_empty_batch_is_refused_by_every_entry_point(name):
    # one behaviour everywhere (before: the formulas returned zeros, one engine's cost returned 0.0)
    with pytest.raises(ValueError, match=r"^images must hold at least one image; got shape \(0, 6, 6\)$"):
        ENTRY_POINTS[name](initial_parameters(), np.zeros((0, 6, 6)), np.zeros((0, 3)), "max")


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_bad_input_is_refused_with_the_same_message_by_every_entry_point(name, data):
    images, targets = data
    run = ENTRY_POINTS[name]
    one_image = (images[0], targets[0]) if name in _SINGLE_IMAGE_ONLY else (images[:2], targets[:2])
    params = initial_parameters()
    del params["filter_biases"]
    with pytest.raises(ValueError, match=r"^params is missing key\(s\) \['filter_biases'\]"):
        run(params, *one_image, "max")
    with pytest.raises(ValueError, match=r"^pool must be one of \('max', 'avg', 'l2'\); got 'median'$"):
        run(initial_parameters(), *one_image, "median")
    with pytest.raises(ValueError, match=r"^images must have shape \(M, 6, 6\) or \(6, 6\); got shape \(2, 6, 5\)$"):
        run(initial_parameters(), images[:2, :, :5], targets[:2], "max")
    if not name.endswith(("forward", "predict")):
        with pytest.raises(ValueError, match=r"^targets must have shape \(2, 3\) to match the images"):
            run(initial_parameters(), images[:2], targets[:3], "max")

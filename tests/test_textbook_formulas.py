"""The book's data and the hand-derived formulas of ``tinygrad_cnn/textbook/MATH.md`` (plain numpy, no autograd).

The gradients of ``tinygrad_cnn.textbook.formulas`` are checked against central finite differences of its
own cost, and its forward pass against a loop-by-loop transcription of eq. (1)-(4) written here.
"""

from __future__ import annotations

import ast
import inspect
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tinygrad_cnn import textbook
from tinygrad_cnn.textbook import formulas as F
from tinygrad_cnn.textbook.comparison import finite_difference_gradients  # central differences of F.cost

EPS = 1e-6  # central-difference step
FD_TOLERANCE = 1e-6  # |hand gradient − finite difference| allowed on every parameter
N_PARAMETERS = 69


@pytest.fixture(scope="module")
def data():
    return textbook.load_data()


# ----------------------------------------------------------------------------------------------------
# Helpers: finite differences and a loop-by-loop forward pass
# ----------------------------------------------------------------------------------------------------


def max_abs_difference(grads_a, grads_b):
    return max(float(np.max(np.abs(grads_a[key] - grads_b[key]))) for key in F.PARAMETER_SHAPES)


def loop_forward(params, image, pool):
    """Eq. (1)-(3) for one image with explicit loops over k, i, j, p, q, n (0-based)."""
    w_F, b_F = params["filter_weights"], params["filter_biases"]
    w_O, b_O = params["output_weights"], params["output_biases"]
    sigma = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    a_F = np.zeros((3, 4, 4))
    for k in range(3):
        for i in range(4):
            for j in range(4):
                z = b_F[k] + sum(w_F[k, p, q] * image[i + p, j + q] for p in range(3) for q in range(3))
                a_F[k, i, j] = sigma(z)
    a_P = np.zeros((3, 2, 2))
    for k in range(3):
        for i in range(2):
            for j in range(2):
                block = [a_F[k, 2 * i + di, 2 * j + dj] for di in range(2) for dj in range(2)]
                if pool == "max":
                    a_P[k, i, j] = max(block)
                elif pool == "avg":
                    a_P[k, i, j] = sum(block) / 4
                else:
                    a_P[k, i, j] = np.sqrt(sum(a * a for a in block))
    a_O = np.array([sigma(b_O[n] + np.sum(w_O[n] * a_P)) for n in range(3)])
    return a_F, a_P, a_O


def max_pool_is_smooth(params, images, margin=1e-4):
    """True when finite differences of max pooling are valid at ``params``.

    In every 2x2 block, each unit other than the first maximum must either have an identical 3x3 input
    window and the same a^F (such a tie holds for every parameter value, so the max stays smooth), or a
    z^F more than ``margin`` away from the winner's. A step of ±EPS on one parameter moves z^F by at most
    10·EPS = 1e-5 (9 pixels and the bias), and σ is increasing, so such a step cannot change the winner.
    """
    units = F.forward(params, images, "max")
    a_F, z_F = units["a_F"], units["z_F"]  # (M, 3, 4, 4)
    for m in range(len(images)):
        window = lambda i, j, m=m: images[m, i : i + 3, j : j + 3]  # noqa: E731
        for k in range(3):
            for bi in range(2):
                for bj in range(2):
                    block = [(2 * bi + di, 2 * bj + dj) for di in range(2) for dj in range(2)]
                    values = [a_F[m, k, i, j] for i, j in block]
                    first = block[values.index(max(values))]
                    for unit in block:
                        if unit == first:
                            continue
                        if a_F[m, k][unit] == a_F[m, k][first] and np.array_equal(window(*unit), window(*first)):
                            continue
                        if abs(z_F[m, k][unit] - z_F[m, k][first]) <= margin:
                            return False
    return True


def perturbed(params, flat_offsets):
    """``params`` with the 69 offsets added, in key order."""
    out, start = {}, 0
    for key, value in params.items():
        out[key] = value + flat_offsets[start : start + value.size].reshape(value.shape)
        start += value.size
    return out


# ----------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------


def test_data_file_ships_inside_the_package():
    assert files("tinygrad_cnn.textbook").joinpath("textbook_cnn.json").is_file()


def test_load_data_shapes_dtypes_and_values(data):
    images, targets = data
    assert images.shape == (96, 6, 6) and images.dtype == np.float64
    assert targets.shape == (96, 3) and targets.dtype == np.float64
    assert set(np.unique(images)) == {0.0, 1.0}
    assert set(np.unique(targets)) == {0.0, 1.0}
    assert np.all(targets.sum(axis=1) == 1.0)  # one-hot rows


def test_32_images_of_each_digit_and_labels_match_targets(data):
    _, targets = data
    digits = textbook.labels()
    assert digits.shape == (96,)
    assert [int(np.sum(digits == d)) for d in textbook.DIGITS] == [32, 32, 32]
    np.testing.assert_array_equal(targets.argmax(axis=1) + 1, digits)  # digit d -> column d − 1
    np.testing.assert_array_equal(targets.sum(axis=0), [32, 32, 32])


def test_test_image():
    image = textbook.test_image()
    image_again, digit = textbook.test_image(return_label=True)
    assert image.shape == (6, 6) and image.dtype == np.float64
    np.testing.assert_array_equal(image, image_again)
    assert isinstance(digit, int) and digit in textbook.DIGITS
    assert set(np.unique(image)) <= {0.0, 1.0}
    training_images, _ = textbook.load_data()
    assert not any(np.array_equal(image, x) for x in training_images)  # an extra image, not a training one


@pytest.mark.parametrize("loader", [textbook.initial_parameters, textbook.optimized_parameters])
def test_parameters_keys_shapes_dtypes(loader):
    params = loader()
    assert list(params) == list(F.PARAMETER_SHAPES)  # no "note" key
    for key, shape in F.PARAMETER_SHAPES.items():
        assert params[key].shape == shape and params[key].dtype == np.float64, key
        assert np.all(np.isfinite(params[key])), key
    assert sum(value.size for value in params.values()) == N_PARAMETERS


@pytest.mark.parametrize(
    "load",
    [
        lambda: textbook.load_data()[0],
        lambda: textbook.load_data()[1],
        textbook.labels,
        textbook.test_image,
        lambda: textbook.initial_parameters()["filter_weights"],
        lambda: textbook.optimized_parameters()["output_weights"],
    ],
)
def test_every_call_returns_fresh_arrays(load):
    first = load()
    original = first.copy()
    first[...] = 7
    np.testing.assert_array_equal(load(), original)


# ----------------------------------------------------------------------------------------------------
# Forward pass and cost, eq. (1)-(4)
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pool", F.POOLS)
def test_forward_matches_loop_transcription(data, pool):
    images, _ = data
    params = textbook.initial_parameters()
    units = F.forward(params, images, pool)
    assert units["z_F"].shape == units["a_F"].shape == (96, 3, 4, 4)
    assert units["z_P"].shape == units["a_P"].shape == (96, 3, 2, 2)
    assert units["z_O"].shape == units["a_O"].shape == (96, 3)
    for m in (0, 17, 40, 63, 95):
        a_F, a_P, a_O = loop_forward(params, images[m], pool)
        np.testing.assert_allclose(units["a_F"][m], a_F, rtol=1e-12)
        np.testing.assert_allclose(units["a_P"][m], a_P, rtol=1e-12)
        np.testing.assert_allclose(units["a_O"][m], a_O, rtol=1e-12)
    np.testing.assert_array_equal(units["a_F"], F.sigmoid(units["z_F"]))
    np.testing.assert_array_equal(units["a_O"], F.sigmoid(units["z_O"]))


@pytest.mark.parametrize("pool", F.POOLS)
def test_single_image_drops_the_batch_axis(data, pool):
    images, targets = data
    params = textbook.initial_parameters()
    batch = F.forward(params, images, pool)
    single = F.forward(params, images[5], pool)
    for name, value in batch.items():
        np.testing.assert_array_equal(single[name], value[5])
    batch_deltas = F.deltas(params, images, targets, pool)
    single_deltas = F.deltas(params, images[5], targets[5], pool)
    for name, value in batch_deltas.items():
        np.testing.assert_array_equal(single_deltas[name], value[5])
    assert F.predict(params, images[5], pool) == F.predict(params, images, pool)[5]


@pytest.mark.parametrize("pool", F.POOLS)
def test_cost_is_the_sum_of_eq_4_over_images(data, pool):
    images, targets = data
    params = textbook.initial_parameters()
    total = F.cost(params, images, targets, pool)
    assert isinstance(total, float)
    per_image = []
    for m in range(len(images)):
        _, _, a_O = loop_forward(params, images[m], pool)
        per_image.append(0.5 * np.sum((targets[m] - a_O) ** 2))  # eq. (4)
    assert total == pytest.approx(sum(per_image), rel=1e-12)
    assert F.cost(params, images[3], targets[3], pool) == pytest.approx(per_image[3], rel=1e-12)


def test_sigmoid_and_its_derivative():
    z = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(F.sigmoid(z), [1 / (1 + np.exp(-value)) for value in z], rtol=1e-15)
    np.testing.assert_allclose(F.sigmoid(-z), 1 - F.sigmoid(z), atol=1e-16)
    slope = (F.sigmoid(z + EPS) - F.sigmoid(z - EPS)) / (2 * EPS)
    np.testing.assert_allclose(F.sigmoid_prime(z), slope, atol=1e-9)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # the limits, without a warning
        np.testing.assert_array_equal(F.sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])


# ----------------------------------------------------------------------------------------------------
# Gradients against finite differences
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pool", F.POOLS)
@pytest.mark.parametrize("loader", [textbook.initial_parameters, textbook.optimized_parameters])
def test_gradients_match_finite_differences(data, pool, loader):
    images, targets = data
    params = loader()
    if pool == "max":
        assert max_pool_is_smooth(params, images)
    hand = F.gradients(params, images, targets, pool)
    numeric = finite_difference_gradients(params, images, targets, pool)
    assert max_abs_difference(hand, numeric) <= FD_TOLERANCE


# Each example costs 138 evaluations of C_T on all 96 images (about 60 ms): the project's profiles
# decide how many (25 in CI, ≥ 1,000 in the thorough profile).
@given(
    pool=st.sampled_from(F.POOLS),
    offsets=arrays(np.float64, N_PARAMETERS, elements=st.floats(-0.5, 0.5, allow_nan=False)),
)
def test_gradients_match_finite_differences_near_the_initial_parameters(pool, offsets):
    images, targets = textbook.load_data()
    params = perturbed(textbook.initial_parameters(), offsets)
    # finite differences are meaningless across a kink of the max (a near-tie of two different windows)
    assume(pool != "max" or max_pool_is_smooth(params, images))
    hand = F.gradients(params, images, targets, pool)
    numeric = finite_difference_gradients(params, images, targets, pool)
    assert max_abs_difference(hand, numeric) <= FD_TOLERANCE


@pytest.mark.parametrize("pool", F.POOLS)
def test_gradients_are_sums_of_per_image_gradients(data, pool):
    images, targets = data
    params = textbook.initial_parameters()
    total = F.gradients(params, images, targets, pool)
    per_image = [F.gradients(params, images[m], targets[m], pool) for m in range(len(images))]
    for key in F.PARAMETER_SHAPES:
        np.testing.assert_allclose(total[key], sum(g[key] for g in per_image), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------------------------------
# The unit errors δ, eq. (7), (17), (25)
# ----------------------------------------------------------------------------------------------------


def bias_finite_differences(params, image, target, pool, key):
    """∂C/∂b for one image by central differences, b = params[key] (3,)."""
    grad = np.zeros(3)
    for index in range(3):
        shifted = {name: array.copy() for name, array in params.items()}
        shifted[key][index] += EPS
        cost_plus = F.cost(shifted, image, target, pool)
        shifted[key][index] -= 2 * EPS
        cost_minus = F.cost(shifted, image, target, pool)
        grad[index] = (cost_plus - cost_minus) / (2 * EPS)
    return grad


@pytest.mark.parametrize("pool", F.POOLS)
def test_deltas_match_bias_derivatives_per_image(data, pool):
    images, targets = data
    params = textbook.initial_parameters()
    errors = F.deltas(params, images, targets, pool)
    assert errors["delta_O"].shape == (96, 3) and errors["delta_F"].shape == (96, 3, 4, 4)
    for m in range(len(images)):
        # eq. (8): ∂C/∂b^O_n = δ^O_n
        d_bO = bias_finite_differences(params, images[m], targets[m], pool, "output_biases")
        np.testing.assert_allclose(errors["delta_O"][m], d_bO, atol=1e-8)
        # eq. (14): ∂C/∂b^F_k = Σ_{i,j} δ^F_k[i,j]
        d_bF = bias_finite_differences(params, images[m], targets[m], pool, "filter_biases")
        np.testing.assert_allclose(errors["delta_F"][m].sum(axis=(1, 2)), d_bF, atol=1e-8)


def test_max_pool_sends_delta_to_one_unit_per_block(data):
    images, targets = data
    delta_F = F.deltas(textbook.initial_parameters(), images, targets, "max")["delta_F"]  # (96, 3, 4, 4)
    blocks = delta_F.reshape(96, 3, 2, 2, 2, 2)  # (M, k, i', di, j', dj)
    assert np.all(np.count_nonzero(blocks, axis=(3, 5)) <= 1)


@pytest.mark.parametrize("pool", ["avg", "l2"])
def test_avg_and_l2_send_delta_to_every_unit(data, pool):
    images, targets = data
    delta_F = F.deltas(textbook.initial_parameters(), images, targets, pool)["delta_F"]
    assert np.all(delta_F != 0)


def test_pooling_factor_table():
    a_F = np.zeros((3, 4, 4))
    a_F[0, :2, :2] = [[0.1, 0.7], [0.7, 0.2]]  # a tie: the first maximum in row-major order is (0, 1)
    a_F[1, :2, :2] = [[0.3, 0.4], [0.0, 0.0]]
    g_max = F.pooling_factor(a_F, "max")
    np.testing.assert_array_equal(g_max[0, :2, :2], [[0, 1], [0, 0]])
    np.testing.assert_array_equal(g_max[1, :2, :2], [[0, 1], [0, 0]])
    np.testing.assert_array_equal(g_max.reshape(3, 2, 2, 2, 2).sum(axis=(2, 4)), np.ones((3, 2, 2)))
    np.testing.assert_array_equal(F.pooling_factor(a_F, "avg"), np.full((3, 4, 4), 0.25))
    g_l2 = F.pooling_factor(a_F, "l2")
    np.testing.assert_allclose(g_l2[1, :2, :2], [[0.3 / 0.5, 0.4 / 0.5], [0, 0]])
    with np.errstate(all="raise"):  # g = 0 where the block norm is 0, without a division warning
        np.testing.assert_array_equal(F.pooling_factor(np.zeros((2, 3, 4, 4)), "l2"), 0.0)


# ----------------------------------------------------------------------------------------------------
# Ties in max pooling (MATH.md, "Ties in max pooling")
# ----------------------------------------------------------------------------------------------------


def test_initial_ties_all_come_from_identical_input_windows(data):
    images, _ = data
    params = textbook.initial_parameters()
    ties = F.max_pool_ties(params, images)  # (96, 3, 2, 2)
    assert ties.shape == (96, 3, 2, 2)
    assert int(ties.sum()) == 163  # the count MATH.md states for the initial parameters
    a_F = F.forward(params, images)["a_F"]
    for m, k, bi, bj in zip(*np.nonzero(ties)):
        units = [(2 * bi + di, 2 * bj + dj) for di in range(2) for dj in range(2)]
        top = max(a_F[m, k, i, j] for i, j in units)
        tied = [(i, j) for i, j in units if a_F[m, k, i, j] == top]
        first_window = images[m, tied[0][0] : tied[0][0] + 3, tied[0][1] : tied[0][1] + 3]
        for i, j in tied[1:]:
            np.testing.assert_array_equal(images[m, i : i + 3, j : j + 3], first_window)


def test_first_max_rule_matters_routing_to_every_tied_unit_disagrees(data):
    images, targets = data
    params = textbook.initial_parameters()
    numeric = finite_difference_gradients(params, images, targets, "max")["filter_biases"]

    # the project's rule: the first maximum takes the whole δ
    first_max = F.gradients(params, images, targets, "max")["filter_biases"]
    assert np.max(np.abs(first_max - numeric)) <= FD_TOLERANCE

    # the alternative: eq. (25) with the indicator "1 if a^F is the maximum of its block" for every tied unit
    units = F.forward(params, images, "max")
    delta_O = F.deltas(params, images, targets, "max")["delta_O"]  # (M, 3)
    dC_daP = np.einsum("mn,nkij->mkij", delta_O, params["output_weights"])  # (M, 3, 2, 2)
    spread = lambda pooled: pooled.repeat(2, axis=2).repeat(2, axis=3)  # noqa: E731  (M,3,2,2)->(M,3,4,4)
    every_max = (units["a_F"] == spread(units["z_P"])).astype(float)  # (M, 3, 4, 4)
    delta_F_all_ties = spread(dC_daP) * every_max * F.sigmoid_prime(units["z_F"])  # (M, 3, 4, 4)
    all_ties = delta_F_all_ties.sum(axis=(0, 2, 3))  # eq. (14)
    assert np.max(np.abs(all_ties - numeric)) > 1e-2


# ----------------------------------------------------------------------------------------------------
# Using the network
# ----------------------------------------------------------------------------------------------------


def test_optimized_parameters_classify_every_training_image(data):
    images, targets = data
    params = textbook.optimized_parameters()
    np.testing.assert_array_equal(F.predict(params, images), textbook.labels())
    assert F.accuracy(params, images, targets) == 1.0
    assert F.cost(params, images, targets) < F.cost(textbook.initial_parameters(), images, targets)


def test_optimized_parameters_recognise_the_test_image():
    image, digit = textbook.test_image(return_label=True)
    predicted = F.predict(textbook.optimized_parameters(), image)
    assert isinstance(predicted, int)
    assert predicted == digit


# ----------------------------------------------------------------------------------------------------
# Bad input and the module's independence from autograd
# ----------------------------------------------------------------------------------------------------


def _good():
    images, targets = textbook.load_data()
    return textbook.initial_parameters(), images[:4], targets[:4]


@pytest.mark.parametrize("bad_pool", ["maximum", "MAX", None, 2])
def test_bad_pool(bad_pool):
    params, images, targets = _good()
    with pytest.raises(ValueError, match=r"pool must be one of \('max', 'avg', 'l2'\); got " + repr(bad_pool)):
        F.gradients(params, images, targets, pool=bad_pool)
    with pytest.raises(ValueError, match="pool"):
        F.forward(params, images, pool=bad_pool)


@pytest.mark.parametrize("shape", [(6, 5), (36,), (4, 6, 7), (2, 3, 6, 6), ()])
def test_bad_image_shape(shape):
    params, _, _ = _good()
    with pytest.raises(ValueError, match=r"images must have shape \(M, 6, 6\) or \(6, 6\); got shape"):
        F.forward(params, np.zeros(shape))


def test_non_numeric_images():
    params, _, _ = _good()
    with pytest.raises(TypeError, match="images must be an array of real numbers"):
        F.forward(params, [["a"] * 6] * 6)


@pytest.mark.parametrize("shape", [(4,), (4, 2), (3, 3), (5, 3)])
def test_bad_target_shape(shape):
    params, images, _ = _good()
    with pytest.raises(ValueError, match=r"targets must have shape \(4, 3\) to match the images"):
        F.cost(params, images, np.zeros(shape))


def test_single_image_needs_targets_of_shape_3():
    params, images, targets = _good()
    with pytest.raises(ValueError, match=r"targets must have shape \(3,\)"):
        F.deltas(params, images[0], targets[:1])


def test_missing_parameter_key():
    params, images, targets = _good()
    del params["output_biases"]
    with pytest.raises(ValueError, match=r"params is missing key\(s\) \['output_biases'\]"):
        F.gradients(params, images, targets)


def test_bad_parameter_shape():
    params, images, targets = _good()
    params["output_weights"] = params["output_weights"].reshape(3, 12)
    expected = r"params\['output_weights'\] must have shape \(3, 3, 2, 2\); got shape \(3, 12\)"
    with pytest.raises(ValueError, match=expected):
        F.cost(params, images, targets)


def test_params_must_be_a_mapping():
    _, images, _ = _good()
    with pytest.raises(TypeError, match="params must be a mapping"):
        F.forward([1, 2, 3], images)


def test_bad_pooling_factor_input():
    with pytest.raises(ValueError, match=r"a_F must have shape \(M, 3, 4, 4\) or \(3, 4, 4\); got shape \(4, 4\)"):
        F.pooling_factor(np.zeros((4, 4)))


def test_accuracy_of_no_images():
    params, _, _ = _good()
    with pytest.raises(ValueError, match="at least one image"):
        F.accuracy(params, np.zeros((0, 6, 6)), np.zeros((0, 3)))


def test_formulas_module_imports_numpy_only():
    """The hand derivation must not lean on the autograd it is meant to check."""
    tree = ast.parse(inspect.getsource(F))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    assert imported <= {"__future__", "collections.abc", "typing", "numpy"}, imported


def test_no_textbook_module_uses_another_modules_private_names():
    """Each module of the ``textbook`` package uses only the public names of the modules it imports."""
    offences = []
    for path in sorted(Path(textbook.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = set()  # local names bound to imported modules
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name.startswith("_") and alias.name != "__future__" and node.module != "__future__":
                        offences.append(f"{path.name}: from {'.' * node.level}{node.module or ''} import {alias.name}")
                    if node.module is None or node.level:  # `from . import formulas`, `from .. import functional`
                        modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                modules.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                offences.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not offences, offences

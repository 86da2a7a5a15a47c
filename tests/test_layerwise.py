"""textbook.layerwise: the book's unit-error method for any Sequential CNN, against the book's formulas and
the tensor engine (float64, ≤ 1e-9), over random small architectures."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given

from tinygrad_cnn import Tensor, nn, no_grad
from tinygrad_cnn.deltas import comparison, engine_backprop, layerwise_arguments, textbook_model
from tinygrad_cnn.textbook import formulas, initial_parameters, layerwise, load_data

sys.path.insert(0, str(Path(__file__).parent))
from deltas_architectures import Chain, LeakyReLU, cases, rounding_ties

POOL_LAYERS = {"max": 2, "avg": 2, "l2": 2}


@pytest.mark.parametrize("pool", ["max", "avg", "l2"])
def test_the_books_network_reproduces_formulas(pool):
    """The book's network as a Sequential: δ^F, δ^O, the four gradients and C_T equal textbook.formulas'
    (eq. (17), (25), (8), (12), (14)) to the last few bits (different summation order only)."""
    images, targets = load_data()
    params = initial_parameters()
    model = textbook_model(params, pool)
    result = layerwise.backprop(model, images.reshape(96, 1, 6, 6), targets, "squared_error")
    d = formulas.deltas(params, images, targets, pool)
    g = formulas.gradients(params, images, targets, pool)
    expected = {
        ("delta", "0"): d["delta_F"].reshape(96, 3, 4, 4),
        ("delta", "4"): d["delta_O"],
        ("grad", "0.weight"): g["filter_weights"].reshape(3, 1, 3, 3),
        ("grad", "0.bias"): g["filter_biases"],
        ("grad", "4.weight"): g["output_weights"].reshape(3, 12),
        ("grad", "4.bias"): g["output_biases"],
    }
    for (kind, name), value in expected.items():
        got = result.deltas[name] if kind == "delta" else result.gradients[name]
        assert got.shape == value.shape
        np.testing.assert_allclose(got, value, rtol=1e-13, atol=1e-15, err_msg=f"{kind} {name}")
    assert result.cost == pytest.approx(formulas.cost(params, images, targets, pool), rel=1e-14)
    # the activations too: z^F is layer 0's output, a^P the pooling layer's, a^O the last
    units = formulas.forward(params, images, pool)
    np.testing.assert_allclose(result.outputs["0"], units["z_F"].reshape(96, 3, 4, 4), rtol=0, atol=1e-14)
    np.testing.assert_allclose(result.outputs["2"], units["a_P"], rtol=0, atol=1e-15)
    np.testing.assert_allclose(result.outputs["5"], units["a_O"], rtol=0, atol=1e-15)


def _engine_vs_layerwise(case) -> float:
    """The largest |engine − layerwise| over every layer's δ and every parameter gradient."""
    lw = layerwise.backprop(case.model, case.x, case.target, case.loss)
    t = layerwise.targets_for(list(lw.outputs.values())[-1], case.target, case.loss)
    cost, rec = engine_backprop(case.model, case.x, t, case.loss)
    assert cost == pytest.approx(lw.cost, rel=1e-12, abs=1e-12)
    worst = 0.0
    for name, delta in lw.deltas.items():
        np.testing.assert_allclose(rec.outputs[name], lw.outputs[name], rtol=1e-12, atol=1e-12)
        worst = max(worst, float(np.abs(rec.deltas[name] - delta).max()))
    for name, _param in case.model.named_parameters():
        worst = max(worst, float(np.abs(rec.grads[name] - lw.gradients[name]).max()))
    return worst


@given(cases())
def test_layerwise_agrees_with_the_engine_on_random_architectures(case):
    """1-3 conv layers (stride, padding, dilation, groups), each pooling kind (ties included), 1-2 linear
    layers, each activation, both losses: every δ and gradient within 1e-9 of the engine's."""
    assume(not rounding_ties(case))
    assert _engine_vs_layerwise(case) <= 1e-9


def test_max_pool_ties_go_to_the_first_maximum_in_row_major_order():
    """A 2x2 block of equal units: δ goes to the top-left one only (MATH.md's tie rule, as the engine)."""
    model = nn.Sequential(nn.MaxPool2d(2), nn.Flatten())
    x = np.array([[[[1.0, 3.0], [3.0, 3.0]]]])  # maximum 3 three times; the first in row-major is (0, 1)
    result = layerwise.backprop(model, x, np.array([[5.0]]))
    np.testing.assert_array_equal(result.input_delta[0, 0], [[0.0, -2.0], [0.0, 0.0]])  # δ = a − t = 3 − 5


def test_overlapping_windows_add_their_deltas():
    """Stride 1 < kernel 2: a unit that wins two windows gets the sum of their δ (G7)."""
    model = nn.Sequential(nn.MaxPool2d(2, stride=1), nn.Flatten())
    x = np.array([[[[0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]])  # 9 wins both windows
    result = layerwise.backprop(model, x, np.array([[0.0, 0.0]]))
    assert result.input_delta[0, 0, 0, 1] == 18.0  # (9 − 0) + (9 − 0)


def test_leaky_relu_uses_its_negative_slope():
    model = nn.Sequential(nn.Linear(2, 2, dtype=np.float64, seed=0), LeakyReLU(0.25))
    x = np.array([[1.0, -2.0]])
    result = layerwise.backprop(model, x, np.zeros((1, 2)))
    z = result.outputs["0"]
    np.testing.assert_allclose(result.deltas["0"], result.outputs["1"] * np.where(z > 0, 1.0, 0.25))


def test_cross_entropy_delta_is_softmax_minus_target():
    """(G2): for a one-hot target, ∂C/∂u = softmax(u) − t; class indices and one-hot rows agree."""
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float64, seed=0))
    x = np.random.default_rng(0).normal(size=(5, 3))
    labels = np.array([0, 3, 1, 1, 2])
    by_index = layerwise.backprop(model, x, labels, "cross_entropy")
    by_one_hot = layerwise.backprop(model, x, np.eye(4)[labels], "cross_entropy")
    u = by_index.outputs["0"]
    softmax = np.exp(u) / np.exp(u).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(by_index.deltas["0"], softmax - np.eye(4)[labels], atol=1e-15)
    np.testing.assert_array_equal(by_index.deltas["0"], by_one_hot.deltas["0"])
    # a target that is not a distribution (rows summing to 2): ∂C/∂u = 2·softmax(u) − t, as the engine says
    t = np.random.default_rng(1).random((5, 4))
    t *= 2 / t.sum(axis=1, keepdims=True)
    _, rec = engine_backprop(model, x, t, "cross_entropy")
    np.testing.assert_allclose(layerwise.backprop(model, x, t, "cross_entropy").deltas["0"], rec.deltas["0"],
                               rtol=0, atol=1e-14)


def test_nested_sequentials_are_flattened_and_keyed_by_dotted_names():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(1, 2, 3, dtype=np.float64, seed=0), nn.ReLU()),
                          nn.Flatten(), nn.Linear(8, 3, dtype=np.float64, seed=1))
    result = layerwise.backprop(model, np.ones((1, 1, 4, 4)), np.array([1]), "cross_entropy")
    assert list(result.deltas) == ["0.0", "0.1", "1", "2"]
    assert set(result.gradients) == {name for name, _ in model.named_parameters()}


def test_accepts_a_tensor_input():
    model = nn.Sequential(nn.Linear(2, 3, dtype=np.float64, seed=0))
    x = np.array([[0.5, -1.0]])
    a = layerwise.backprop(model, Tensor(x), np.array([2]), "cross_entropy")
    b = layerwise.backprop(model, x, np.array([2]), "cross_entropy")
    np.testing.assert_array_equal(a.gradients["0.weight"], b.gradients["0.weight"])


class _Custom(nn.Module):
    def forward(self, x):
        return x


def test_unsupported_models_are_refused_with_the_layer_named():
    with pytest.raises(layerwise.UnsupportedModel, match=r"layer '1' is a _Custom"):
        layerwise.backprop(nn.Sequential(nn.Linear(2, 2), _Custom()), np.ones((1, 2)), np.array([0]))
    with pytest.raises(TypeError, match="must be a Sequential"):
        layerwise.backprop(nn.Linear(2, 2), np.ones((1, 2)), np.array([0]))


@pytest.mark.parametrize(
    "loss, target, message",
    [
        ("hinge", np.array([0]), "loss must be one of"),
        ("cross_entropy", np.array([5]), r"target classes must be in \[0, 2\)"),
        ("squared_error", np.ones((1, 3)), "target must be class indices of shape"),
    ],
)
def test_bad_arguments_are_value_errors(loss, target, message):
    model = nn.Sequential(nn.Linear(2, 2, dtype=np.float64))
    with pytest.raises(ValueError, match=message):
        layerwise.backprop(model, np.ones((1, 2)), target, loss)


def test_layerwise_imports_only_numpy_and_the_standard_library():
    """Like formulas: no autograd, so it is an independent check of the engine (its costs live in losses.py)."""
    here = Path(layerwise.__file__)
    for path in (here, here.with_name("layerwise_layers.py"), here.with_name("losses.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    allowed = node.level == 1 and node.module in ("losses", "layerwise_layers")
                    assert allowed, f"{path.name}: from .{node.module}"
                    continue
                top = node.module.split(".")[0]
            elif isinstance(node, ast.Import):
                top = node.names[0].name.split(".")[0]
            else:
                continue
            assert top == "numpy" or top in sys.stdlib_module_names, f"{path.name} imports {top}"


@pytest.mark.parametrize("pooling", [nn.LPPool2d(1, 2, stride=1), nn.LPPool2d(2, 2), nn.LPPool2d(3, 2, stride=1),
                                     nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
                                     nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)])
def test_each_pooling_kind_against_the_engine(pooling):
    """(G7) for each kind, with overlapping windows, padding and ceil mode; the engine's δ to 1e-12."""
    model = nn.Sequential(nn.Conv2d(2, 3, 2, dtype=np.float64, seed=0), nn.Sigmoid(), pooling, nn.Flatten())
    x = np.random.default_rng(0).normal(size=(2, 2, 7, 7))
    lw = layerwise.backprop(model, x, np.zeros((2, int(np.prod(model(Tensor(x)).shape[1:])))))
    t = np.zeros_like(lw.outputs["3"])
    _, rec = engine_backprop(model, x, t, "squared_error")
    for name in ("0", "1", "2"):
        np.testing.assert_allclose(lw.deltas[name], rec.deltas[name], rtol=0, atol=1e-12, err_msg=name)


# ---- What users put in CNNs: BatchNorm, Dropout, GELU, Softmax/LogSoftmax, nesting, Module subclasses, reuse


def _engine_and_layerwise(model, x, target, loss):
    """The engine's recording and layerwise given the call order and Dropout masks read off it."""
    with no_grad():
        shape = model(Tensor(x)).shape  # only the output's shape (a Dropout in training draws again below)
    t = layerwise.targets_for(np.zeros(shape), target, loss)
    cost, rec = engine_backprop(model, x, t, loss)
    return cost, rec, layerwise.backprop(model, x, t, loss, **layerwise_arguments(rec, x))


@given(cases(extended=True))
def test_layerwise_agrees_with_the_engine_on_random_architectures_with_every_layer_kind(case):
    """GELU, BatchNorm2d/1d (train and eval), Dropout (eval and train, the engine's mask), Softmax/LogSoftmax,
    a layer used twice, nested Sequentials and a Module subclass: every output, δ and gradient within 1e-12 of
    the engine's, relative to the largest δ or gradient of the example (float64; a bias below a batch norm
    has gradient 0 up to the rounding of much larger terms)."""
    cost, rec, lw = _engine_and_layerwise(case.model, case.x, case.target, case.loss)
    assume(not comparison.rounding_ties(rec, list(lw.outputs.items()), case.x))
    assert list(lw.deltas) == [key for key, layer in rec.layers.items() if not list(layer.module.children())]
    assert cost == pytest.approx(lw.cost, rel=1e-12, abs=1e-12)
    scale = max(1.0, *(float(np.abs(v).max()) for v in [*rec.deltas.values(), *rec.grads.values()]))
    for name, delta in lw.deltas.items():
        np.testing.assert_allclose(lw.outputs[name], rec.outputs[name], rtol=1e-12, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(delta, rec.deltas[name], rtol=0, atol=1e-12 * scale, err_msg=name)
    assert set(lw.gradients) == set(rec.grads)
    for name, grad in rec.grads.items():
        np.testing.assert_allclose(lw.gradients[name], grad, rtol=0, atol=1e-12 * scale, err_msg=name)
    if isinstance(case.model, nn.Sequential):  # walking the Sequential itself gives the same chain
        walked = layerwise.backprop(case.model, case.x, lw_target(lw, case), case.loss,
                                    masks=layerwise_arguments(rec, case.x)["masks"])
        np.testing.assert_array_equal(walked.input_delta, lw.input_delta)
        assert walked.gradients.keys() == lw.gradients.keys()


def lw_target(lw, case):
    return layerwise.targets_for(list(lw.outputs.values())[-1], case.target, case.loss)


def test_a_layer_used_twice_in_a_sequential_is_two_links_as_in_the_engine():
    """Sequential(W, tanh, W): layerwise keys the second use "2", the engine's recording "0#2"; δ of both uses
    and W's summed gradient agree."""
    square = nn.Linear(3, 3, dtype=np.float64, seed=4)
    model = nn.Sequential(square, nn.Tanh(), square)
    x, t = np.random.default_rng(3).normal(size=(2, 3)), np.random.default_rng(4).normal(size=(2, 3))
    lw = layerwise.backprop(model, x, t)
    assert list(lw.deltas) == ["0", "1", "2"]
    _, rec = engine_backprop(model, x, t, "squared_error")
    for ours, theirs in (("0", "0"), ("1", "1"), ("2", "0#2")):
        np.testing.assert_allclose(lw.deltas[ours], rec.deltas[theirs], rtol=1e-13, atol=1e-15)
    for name in ("0.weight", "0.bias"):
        np.testing.assert_allclose(lw.gradients[name], rec.grads[name], rtol=1e-13, atol=1e-15)


def test_compare_checks_a_module_subclass_with_layerwise():
    """deltas.compare reads the call order off its recording: a Module calling its layers in turn gets the
    layerwise source, and it agrees with the engine."""
    from tinygrad_cnn import deltas

    model = Chain([nn.Conv2d(1, 2, 3, dtype=np.float64, seed=0), nn.BatchNorm2d(2, dtype=np.float64), nn.GELU(),
                   nn.Flatten(), nn.Linear(8, 3, dtype=np.float64, seed=1), nn.LogSoftmax(dim=1)])
    result = deltas.compare(model, np.random.default_rng(5).normal(size=(2, 1, 4, 4)), np.array([0, 2]), fd_units=0)
    assert result.sources == ["engine", "layerwise"]
    assert result.agrees(), str(result)

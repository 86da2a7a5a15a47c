"""deltas.record and deltas.compare: every layer's δ from the engine, the layerwise derivation, finite
differences and a user's own derivation, and where they disagree."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given

from tinygrad_cnn import Tensor, deltas, nn
from tinygrad_cnn.deltas import comparison
from tinygrad_cnn.grad_mode import no_grad
from tinygrad_cnn.ops import pool as pool_ops
from tinygrad_cnn.textbook import formulas, initial_parameters, load_data, tensor_net

sys.path.insert(0, str(Path(__file__).parent))
from deltas_architectures import cases, rounding_ties


class Net(nn.Module):
    """A model that is not a Sequential: named sub-modules ``features`` and ``classifier``."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 2, 3, dtype=np.float64, seed=0), nn.Tanh(), nn.AvgPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(2, 3, dtype=np.float64, seed=1))

    def forward(self, x):
        return self.classifier(self.features(x))


class NotAChain(Net):
    """Scales between its two blocks, so its forward is not a chain of its layers: layerwise does not cover it."""

    def forward(self, x):
        return self.classifier(2.0 * self.features(x))


def _book(n_images: int = 96):
    images, targets = load_data()
    return images[:n_images].reshape(-1, 1, 6, 6), targets[:n_images]


def _squared_error(output, t):
    return 0.5 * ((output - Tensor(t)) ** 2).sum()


# ------------------------------------------------------------------------------------------------- record
def test_record_gives_the_books_deltas_as_retain_grad_does():
    """δ of layer "0" is δ^F = ∂C/∂z^F and of layer "4" δ^O = ∂C/∂z^O, as textbook.tensor_net reads them."""
    x, t = _book(8)
    model = deltas.textbook_model()
    with deltas.record(model) as rec:
        _squared_error(model(Tensor(x)), t).backward()
    expected = tensor_net.backprop(initial_parameters(), x.reshape(8, 6, 6), t)
    np.testing.assert_array_equal(rec.deltas["0"], expected.delta_F)
    np.testing.assert_array_equal(rec.deltas["4"], expected.delta_O)
    np.testing.assert_array_equal(rec.grads["0.weight"], expected.gradients["filter_weights"].reshape(3, 1, 3, 3))
    assert rec["4"].grads["bias"] is rec.grads["4.bias"]
    a_F = formulas.forward(initial_parameters(), x.reshape(8, 6, 6))["a_F"]
    np.testing.assert_allclose(rec.outputs["1"], a_F, rtol=1e-14)
    np.testing.assert_array_equal(rec.inputs["4"], rec.outputs["3"])


def test_record_keys_nested_modules_by_their_dotted_names():
    model = Net()
    with deltas.record(model) as rec:
        (model(Tensor(np.ones((1, 1, 4, 4)))) ** 2).sum().backward()
    assert list(rec.layers) == ["features.0", "features.1", "features.2", "features", "classifier.0",
                                "classifier.1", "classifier"]
    np.testing.assert_array_equal(rec.deltas["features"], rec.deltas["features.2"])  # the same output tensor
    assert set(rec.grads) == {name for name, _ in model.named_parameters()}


def test_record_leaves_the_gradients_as_a_plain_backward_and_no_hook_behind():
    x = np.random.default_rng(0).normal(size=(2, 1, 4, 4))
    plain, recorded = Net(), Net()
    for model in (plain, recorded):
        for p in model.parameters():
            p.grad = np.full(p.shape, 0.5)  # an earlier gradient: both must accumulate onto it alike
    (plain(Tensor(x)) ** 2).sum().backward()
    with deltas.record(recorded) as rec:
        (recorded(Tensor(x)) ** 2).sum().backward()
    for (name, p), q in zip(plain.named_parameters(), recorded.parameters()):
        np.testing.assert_array_equal(p.grad, q.grad, err_msg=name)
    assert all("forward" not in module.__dict__ for _, module in recorded.named_modules())
    assert not any(module.__dict__.get("_forward_hooks") for module in recorded.modules())  # handles removed
    before = {name: grad.copy() for name, grad in rec.grads.items()}
    (recorded(Tensor(x)) ** 2).sum().backward()  # outside the context: nothing is recorded any more
    assert rec.grads.keys() == before.keys()
    for name, grad in before.items():
        np.testing.assert_array_equal(rec.grads[name], grad)
    assert list(rec.layers) == list(dict.fromkeys(rec.layers))  # no new calls recorded


def test_record_cleans_up_when_the_block_raises():
    model = Net()
    with pytest.raises(RuntimeError, match="boom"), deltas.record(model):
        model(Tensor(np.ones((1, 1, 4, 4))))
        raise RuntimeError("boom")
    assert all("forward" not in module.__dict__ for _, module in model.named_modules())
    out = (model(Tensor(np.ones((1, 1, 4, 4)))) ** 2).sum()
    out.backward()  # works as before, no stale hook


def test_a_layer_called_twice_is_recorded_per_call_and_no_grad_gives_no_delta():
    layer = nn.Linear(2, 2, dtype=np.float64, seed=0)
    model = nn.Sequential(layer, nn.Tanh(), layer)
    with deltas.record(model) as rec:
        model(Tensor(np.ones((1, 2)))).sum().backward()
    assert list(rec.layers) == ["0", "1", "0#2"]  # the shared layer under its first name, once per call
    np.testing.assert_array_equal(rec.grads["0.weight"], layer.weight.grad)  # both calls' contributions
    with deltas.record(model) as rec, no_grad():
        model(Tensor(np.ones((1, 2))))
    assert rec.deltas == {} and list(rec.outputs) == ["0", "1", "0#2"]


# ------------------------------------------------------------------------------------------------ compare
def test_compare_the_books_network_with_its_hand_derivation_as_user_deltas():
    x, t = _book(12)
    d = formulas.deltas(initial_parameters(), x.reshape(12, 6, 6), t)
    mine = {"0": d["delta_F"].reshape(12, 3, 4, 4), "4": d["delta_O"]}
    result = deltas.compare(deltas.textbook_model(), x, t, loss="squared_error", user_deltas=mine)
    assert result.sources == ["engine", "layerwise", "finite differences", "yours"]
    assert result.agrees(), str(result)
    assert result.failing_layers() == [] and result.first_failing_layer() is None
    table = str(result)
    assert "All sources agree" in table and "MaxPool2d" in table
    for row in result.rows:
        if row.pair == ("engine", "layerwise"):
            assert row.max_abs <= 1e-9


def _wrong_deltas(mistake: str) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """A student's δ for every layer of the book's network (all 96 images), derived by hand with one mistake."""
    x, t = _book()
    params = initial_parameters()
    units = formulas.forward(params, x.reshape(96, 6, 6))
    w_O = params["output_weights"]
    sig_prime = lambda z: formulas.sigmoid(z) * (1 - formulas.sigmoid(z))
    mine = {"5": units["a_O"] - t}  # ∂C/∂a^O
    mine["4"] = mine["5"] * sig_prime(units["z_O"])  # eq. (17)
    mine["3"] = mine["4"] @ w_O.reshape(3, 12)  # Σ_n δ^O_n w^O_n
    mine["2"] = mine["3"].reshape(96, 3, 2, 2)
    blocks = units["a_F"].reshape(96, 3, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(96, 3, 2, 2, 4)
    if mistake == "pooling routed to the last maximum":  # the book's ties: 163 blocks at these parameters
        winner = 3 - blocks[..., ::-1].argmax(axis=-1)
    elif mistake == "pooling routed to the top-left unit":
        winner = np.zeros(blocks.shape[:-1], dtype=int)
    else:
        winner = blocks.argmax(axis=-1)  # the first maximum, as MATH.md's tie rule says
    routed = (np.arange(4) == winner[..., None]) * mine["2"][..., None]  # (96, 3, 2, 2, 4)
    mine["1"] = routed.reshape(96, 3, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(96, 3, 4, 4)
    mine["0"] = mine["1"] if mistake == "missing activation derivative" else mine["1"] * sig_prime(units["z_F"])
    return mine, x, t


@pytest.mark.parametrize(
    "mistake, failing",
    [
        ("none", []),
        ("missing activation derivative", ["0"]),
        ("pooling routed to the last maximum", ["0", "1"]),
        ("pooling routed to the top-left unit", ["0", "1"]),
    ],
)
def test_a_wrong_user_delta_is_reported_at_the_layer_where_it_is_wrong(mistake, failing):
    mine, x, t = _wrong_deltas(mistake)
    result = deltas.compare(deltas.textbook_model(), x, t, loss="squared_error", user_deltas=mine, fd_units=4)
    assert result.failing_layers() == failing, str(result)
    assert result.first_failing_layer() == (failing[-1] if failing else None)
    for row in result.rows:  # only "yours" disagrees: the other three sources agree with each other
        assert row.ok or "yours" in row.pair
    if failing:
        assert "DISAGREEMENT" in str(result)


@given(cases())
def test_the_sources_agree_on_random_architectures(case):
    """Engine, layerwise (≤ 1e-9) and central differences (within their truncation error; max-pool ties and
    ReLU kinks left out of the finite-difference check) agree, for both losses and every layer kind."""
    assume(not rounding_ties(case))
    result = deltas.compare(case.model, case.x, case.target, case.loss, fd_units=4)
    assert result.sources[:3] == ["engine", "layerwise", "finite differences"]
    assert result.agrees(), str(result)
    assert max(row.max_abs for row in result.rows if row.pair == ("engine", "layerwise")) <= 1e-9


def test_a_broken_engine_rule_is_caught_at_the_layer_below_it(monkeypatch):
    """Max pooling's backward doubled: the δ of the pooling's input (and everything below it) disagree."""
    backward = pool_ops.MaxPool2d.backward
    monkeypatch.setattr(pool_ops.MaxPool2d, "backward", staticmethod(lambda ctx, grad: 2 * backward(ctx, grad)))
    x, t = _book(4)
    result = deltas.compare(deltas.textbook_model(), x, t, loss="squared_error", fd_units=4)
    assert result.failing_layers() == ["0", "1"]
    assert result.first_failing_layer() == "1"


def test_finite_differences_alone_catch_a_broken_rule_in_a_model_layerwise_does_not_cover(monkeypatch):
    """NotAChain is not a chain: only the engine and finite differences are compared, and a doubled average-pooling
    backward is found at the pooling's input, "features.1"."""
    backward = pool_ops.AvgPool2d.backward
    monkeypatch.setattr(pool_ops.AvgPool2d, "backward", staticmethod(lambda ctx, grad: 2 * backward(ctx, grad)))
    x = np.random.default_rng(2).normal(size=(2, 1, 4, 4))
    result = deltas.compare(NotAChain(), x, np.array([0, 2]))
    assert result.sources == ["engine", "finite differences"]
    assert result.first_failing_layer() == "features.1"
    assert "features.2" not in result.failing_layers() and "classifier.1" not in result.failing_layers()


def test_compare_works_on_any_model_without_the_layerwise_source():
    x = np.random.default_rng(1).normal(size=(2, 1, 4, 4))
    result = deltas.compare(NotAChain(), x, np.array([0, 2]))
    assert result.sources == ["engine", "finite differences"]
    assert result.agrees(), str(result)
    assert "layerwise: not available" in str(result)


def test_compare_leaves_the_model_untouched():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3, seed=0))
    before = copy.deepcopy(model.state_dict())
    deltas.compare(model, np.ones((1, 1, 4, 4), dtype=np.float32), np.array([1]))
    for name, p in model.named_parameters():
        assert p.dtype == np.float32 and p.grad is None
        np.testing.assert_array_equal(p.data, before[name])
    assert all("forward" not in module.__dict__ for _, module in model.named_modules())


def test_user_parameter_gradients_are_compared_too():
    x, t = _book(3)
    g = formulas.gradients(initial_parameters(), x.reshape(3, 6, 6), t)
    wrong = {"0.bias": -g["filter_biases"], "4.bias": g["output_biases"]}
    result = deltas.compare(deltas.textbook_model(), x, t, "squared_error", user_deltas=wrong, fd_units=2)
    assert result.failing_layers() == ["0"]


@pytest.mark.parametrize(
    "user, error, message",
    [
        ({"9": np.zeros(3)}, ValueError, "user_deltas has key '9'"),
        ({"4": np.zeros((2, 2))}, ValueError, r"user_deltas\['4'\] has shape \(2, 2\); expected \(3, 3\)"),
        ([np.zeros(3)], TypeError, "user_deltas must be a dict"),
    ],
)
def test_bad_user_deltas_are_refused(user, error, message):
    x, t = _book(3)
    with pytest.raises(error, match=message):
        deltas.compare(deltas.textbook_model(), x, t, "squared_error", user_deltas=user)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"loss": "l1"}, "loss must be one of"), ({"fd_units": -1}, "fd_units must be"), ({"eps": 0}, "eps must be")],
)
def test_bad_compare_arguments(kwargs, message):
    x, t = _book(1)
    with pytest.raises(ValueError, match=message):
        deltas.compare(deltas.textbook_model(), x, t, **kwargs)


@pytest.mark.parametrize("error, agrees", [(1e-8, True), (1e-5, False)])
def test_your_deltas_must_agree_to_one_part_in_a_million(error, agrees):
    """USER_TOLERANCE = 1e-6, relative to the size of the quantity: a δ off by 1e-8 passes (float32-level
    arithmetic would), one off by 1e-5 is reported."""
    x, t = _book(3)
    d = formulas.deltas(initial_parameters(), x.reshape(3, 6, 6), t)
    result = deltas.compare(deltas.textbook_model(), x, t, "squared_error",
                            user_deltas={"4": d["delta_O"] * (1 + error)}, fd_units=0)
    assert result.agrees() is agrees
    assert result.failing_layers() == ([] if agrees else ["4"])


def test_rounding_ties_names_the_layer_where_two_forward_passes_branch_apart():
    """A max-pooling window tied in the engine's values but not, by one ulp, in another forward pass's: the
    winners differ there, and compare() would say so in a note rather than blame a derivation."""
    model = nn.Sequential(nn.Tanh(), nn.MaxPool2d(2), nn.Flatten(), nn.ReLU())
    x = np.array([[[[0.5, 0.5], [0.1, 0.2]]]])
    _, rec = deltas.engine_backprop(model, x, np.zeros((1, 1)), "squared_error")
    theirs = [(name, rec.outputs[name].copy()) for name in ("0", "1", "2", "3")]
    assert comparison.rounding_ties(rec, theirs, x) == []
    theirs[0][1][0, 0, 0, 1] = np.nextafter(theirs[0][1][0, 0, 0, 1], 1)  # the second unit now wins by an ulp
    assert comparison.rounding_ties(rec, theirs, x) == ["1"]
    theirs[2][1][0, 0] = -theirs[2][1][0, 0]  # and the ReLU's input changes sign
    assert comparison.rounding_ties(rec, theirs, x) == ["1", "3"]

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
    assert deltas.FD_EPSILON == 1e-6 and "finite differences: central, step 1e-06" in table
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


# ------------------------------------------------------------------------------------------------- the verdict
def _forgotten_quarter(n: int = 4):
    """A student's δ of every layer of the book's network with average pooling, who forgets the 1/4 of (12)."""
    images, t = load_data()
    params = initial_parameters()
    units = formulas.forward(params, images[:n], pool="avg")
    sig_prime = lambda z: formulas.sigmoid(z) * (1 - formulas.sigmoid(z))
    mine = {"5": units["a_O"] - t[:n]}
    mine["4"] = mine["5"] * sig_prime(units["z_O"])
    mine["3"] = mine["4"] @ params["output_weights"].reshape(3, 12)
    mine["2"] = mine["3"].reshape(n, 3, 2, 2)
    mine["1"] = np.repeat(np.repeat(mine["2"], 2, axis=2), 2, axis=3)  # should be divided by 4
    mine["0"] = mine["1"] * sig_prime(units["z_F"])
    return mine, images[:n].reshape(n, 1, 6, 6), t[:n]


def test_a_forgotten_quarter_of_average_pooling_is_placed_where_it_enters():
    mine, x, t = _forgotten_quarter()
    result = deltas.compare(deltas.textbook_model(pool="avg"), x, t, "squared_error", user_deltas=mine)
    text = result.verdict()
    assert text in str(result)
    lines = text.split("\n")
    assert lines[0] == ("Walking back from the output, every source agrees at layers 5 (Sigmoid), 4 (Linear), "
                        "3 (Flatten), 2 (AvgPool2d).")
    assert lines[1].startswith("The first departure is at layer 1 (Sigmoid), δ of its output: yours differs from "
                               "engine at unit (")
    assert "(yours = 4 × engine)" in lines[1]
    row = next(r for r in result.rows if r.layer == "1" and r.pair == ("engine", "yours"))
    mine_value, engine_value = row.values[1], row.values[0]
    assert mine_value == mine["1"][row.unit] and engine_value == pytest.approx(mine_value / 4, rel=1e-12)
    assert f"yours {mine_value:.6g}, engine {engine_value:.6g}" in lines[1]
    assert lines[2] == ("The δ above it (layer 2) agrees, so the error enters in the backward step through layer "
                        "2 (AvgPool2d): from the δ of its output to the δ of its input.")


def test_the_books_names_are_the_layers_they_mean():
    """delta_F is layer 0's δ (at z^F), delta_O layer 4's (at z^O); the parameter gradients under the book's
    names and shapes ((3, 3, 3) filters for the layer's (3, 1, 3, 3)) are compared with the layer's."""
    mine, x, t = _forgotten_quarter()
    g = formulas.gradients(initial_parameters(), x.reshape(4, 6, 6), t, pool="avg")
    book = {"delta_F": mine["0"], "delta_O": mine["4"], "filter_weights": g["filter_weights"],
            "output_weights": g["output_weights"], "output_biases": -g["output_biases"]}
    result = deltas.compare(deltas.textbook_model(pool="avg"), x, t, "squared_error", user_deltas=book, fd_units=0)
    yours = {(r.layer, r.quantity): r.ok for r in result.rows if "yours" in r.pair}
    assert yours == {("0", "δ"): False, ("0", "weight"): True, ("4", "δ"): True, ("4", "weight"): True,
                     ("4", "bias"): False}
    text = result.verdict()
    assert "The first departure is at layer 4 (Linear), ∂C/∂bias" in text
    assert "Its δ agrees, so the error is in the gradient of layer 4's bias" in text
    del book["output_biases"]
    text = deltas.compare(deltas.textbook_model(pool="avg"), x, t, "squared_error", user_deltas=book,
                          fd_units=0).verdict()
    assert "every source agrees at layers 5 (Sigmoid), 4 (Linear), 3 (Flatten), 2 (AvgPool2d), 1 (Sigmoid) " \
           "(yours: at 4)." in text
    assert "The first departure is at layer 0 (Conv2d)" in text and "(yours = 4 × engine)" in text
    assert ("backward steps through layers 4 (Linear), 3 (Flatten), 2 (AvgPool2d), 1 (Sigmoid): from the δ of "
            "layer 4's output to that of layer 0.") in text


@pytest.mark.parametrize(
    "user, message",
    [
        ({"delta_F": np.zeros((4, 3, 4, 4)), "0": np.zeros((4, 3, 4, 4))}, "gives layer 0 δ twice"),
        ({"delta_O": np.zeros((4, 2))}, r"user_deltas\['delta_O'\] has shape \(4, 2\); expected \(4, 3\)"),
    ],
)
def test_the_books_names_are_checked_like_any_other(user, message):
    x, t = _book(4)
    with pytest.raises(ValueError, match=message):
        deltas.compare(deltas.textbook_model(), x, t, "squared_error", user_deltas=user)


def test_the_books_names_are_refused_on_another_model():
    x = np.random.default_rng(1).normal(size=(2, 1, 4, 4))
    with pytest.raises(ValueError, match="'delta_F', the book's name .* not the book's network"):
        deltas.compare(Net(), x, np.array([0, 2]), user_deltas={"delta_F": np.zeros((2, 2, 2, 2))})


def test_an_engine_error_is_blamed_on_the_engine_when_two_sources_agree_against_it(monkeypatch):
    backward = pool_ops.MaxPool2d.backward
    monkeypatch.setattr(pool_ops.MaxPool2d, "backward", staticmethod(lambda ctx, grad: 2 * backward(ctx, grad)))
    x = np.random.default_rng(0).uniform(size=(4, 1, 6, 6))  # no ties: finite differences check every unit
    t = np.eye(3)[[0, 1, 2, 0]]
    text = deltas.compare(deltas.textbook_model(), x, t, loss="squared_error", fd_units=4).verdict()
    assert "The first departure is at layer 1 (Sigmoid), δ of its output: engine differs from layerwise" in text
    assert "(engine = 2 × layerwise)" in text and "through layer 2 (MaxPool2d)" in text


def test_with_only_two_sources_neither_is_blamed(monkeypatch):
    backward = pool_ops.AvgPool2d.backward
    monkeypatch.setattr(pool_ops.AvgPool2d, "backward", staticmethod(lambda ctx, grad: 2 * backward(ctx, grad)))
    x = np.random.default_rng(2).normal(size=(2, 1, 4, 4))
    text = deltas.compare(NotAChain(), x, np.array([0, 2])).verdict()  # layerwise does not cover it: two sources
    assert "layer features.1 (Tanh), δ of its output: finite differences and engine disagree" in text


# ------------------------------------------------------------------------------------------------- oracles
def test_a_user_delta_off_by_one_either_way_is_caught_by_exactly_one():
    """Hand values: |yours − engine| = 1 at every unit of δ^O, whichever side yours is on."""
    x, t = _book(2)
    d = formulas.deltas(initial_parameters(), x.reshape(2, 6, 6), t)
    for shift in (1.0, -1.0):
        result = deltas.compare(deltas.textbook_model(), x, t, "squared_error", user_deltas={"4": d["delta_O"] + shift},
                                fd_units=0)
        row = next(r for r in result.rows if r.layer == "4" and "yours" in r.pair and r.pair[0] == "engine")
        assert not row.ok and row.max_abs == pytest.approx(1.0, abs=1e-15) and row.units == 6


def test_the_tolerance_policy_in_hand_values():
    """rtol 1e-9 between exact sources, 1e-5 with finite differences, 1e-6 with yours (added up over the pair);
    floor 1e-12, or 1e-8 · max(1, |C|) with finite differences."""
    from tinygrad_cnn.testing.tolerances import tolerance

    fd = "finite differences"
    assert tolerance(("engine", "layerwise"), 0.0) == 1e-12
    assert tolerance(("engine", "layerwise"), 3.0) == pytest.approx(3e-9 + 1e-12, rel=1e-12)
    assert tolerance(("engine", fd), 0.0, cost=0.5) == pytest.approx(1e-8, rel=1e-12)
    assert tolerance(("engine", fd), 0.0, cost=-300.0) == pytest.approx(3e-6, rel=1e-12)
    assert tolerance(("engine", fd), 2.0, cost=0.5) == pytest.approx(2e-5 + 1e-8, rel=1e-12)
    assert tolerance(("engine", "yours"), 2.0) == pytest.approx(2e-6 + 1e-12, rel=1e-12)
    assert tolerance(("yours", fd), 1.0, cost=0.0) == pytest.approx(1e-5 + 1e-6 + 1e-8, rel=1e-12)
    assert tolerance(("engine", "yours"), 1.0, user_tolerance=1e-3) == pytest.approx(1e-3 + 1e-12, rel=1e-12)


def test_a_layer_finite_differences_cannot_check_is_named():
    """A dead ReLU: δ is 0 at and below it, so finite differences compare only zeros there, and say so."""
    model = nn.Sequential(nn.Linear(2, 2, dtype=np.float64, seed=0), nn.ReLU(), nn.Linear(2, 2, dtype=np.float64,
                                                                                            seed=1))
    model[0].bias.data = np.full(2, -100.0)
    result = deltas.compare(model, np.ones((1, 2)), np.array([1]), fd_units=3)
    assert result.agrees()
    unchecked = {(r.layer, r.quantity) for r in result.unchecked()}
    assert unchecked == {("0", "δ"), ("0", "weight"), ("0", "bias"), ("2", "weight")}  # ∂C/∂W = δ · (input 0)
    assert "Finite differences could not check layer 0 δ (δ is 0 at the 2 compared unit(s))." in str(result)
    assert all(r.checked for r in result.rows if r.quantity != "weight" and r.layer in "12" and
               "finite differences" in r.pair)


def test_finite_differences_sample_where_delta_is_not_zero():
    """The book's conv δ is 0 at three of every four units (max pooling): of 12 sampled units at least 9 (three
    quarters) have δ ≠ 0, the rest may be anywhere; every row compares its 12 units."""
    x, t = _book(4)
    result = deltas.compare(deltas.textbook_model(), x, t, "squared_error")
    for row in result.rows:
        if row.pair == ("engine", "finite differences"):
            assert row.units == min(12, int(np.prod(row.shape))) and row.nonzero >= min(9, row.units), row
    delta = result.values["engine"][("0", "δ")]
    assert np.count_nonzero(delta) / delta.size < 0.3


def test_the_priority_order_of_sampled_units():
    rng = np.random.default_rng(0)
    nonzero = np.array([False] * 12 + [True] * 4)
    excusable = np.array([False] * 14 + [True] * 2)
    order = comparison._priority(nonzero, excusable, 4, rng)
    assert sorted(order.tolist()) == list(range(16))
    assert set(order[:2].tolist()) == {12, 13} and set(order[2:3].tolist()) <= {14, 15}
    assert order[3] < 12 and set(order[4:5].tolist()) <= {14, 15}


def test_a_kink_is_where_the_one_sided_differences_part_in_hand_values():
    """_at_kink: |right − left| beyond the tolerance (relative to the largest |value|, with its floor), a
    non-finite side, or an excusable unit whose exact value misses the central difference."""
    from tinygrad_cnn.testing.finite_differences import Differences

    def fd(left, right, base=1.0, eps=1.0):  # one-sided slopes as given (ε = 1): minus = base − left, ...
        left, right = np.asarray(left, dtype=float), np.asarray(right, dtype=float)
        return Differences(np.arange(left.size), base - left, base + right, eps, base)

    pair = ("engine", "finite differences")
    # values of size 2 (negative): tolerance 2e-5 + 1e-8; one-sided slopes 1.5e-5 apart is not a kink
    d = fd([-2.0, 0.1], [-2.0 + 1.5e-5, 0.1])
    np.testing.assert_array_equal(comparison._at_kink(d, d.central, np.zeros(2, bool), pair, 0.0), [False, False])
    d = fd([-2.0, 0.1], [-2.0 + 5e-5, 0.1])
    np.testing.assert_array_equal(comparison._at_kink(d, d.central, np.zeros(2, bool), pair, 0.0), [True, False])
    # values of size 0.1: tolerance 1e-6 + 1e-8; 5e-6 apart is a kink
    d = fd([0.1, 0.05], [0.1 + 5e-6, 0.05])
    np.testing.assert_array_equal(comparison._at_kink(d, d.central, np.zeros(2, bool), pair, 0.0), [True, False])
    # an excusable unit is a kink only where the exact value misses; a non-finite side always is
    d = fd([0.1, 0.1, np.inf], [0.1, 0.1, 0.1])
    exact = np.array([0.1, 0.3, 0.1])
    np.testing.assert_array_equal(comparison._at_kink(d, exact, np.ones(3, bool), pair, 0.0), [False, True, True])
    np.testing.assert_array_equal(comparison._at_kink(d, exact, np.zeros(3, bool), pair, 0.0), [False, False, True])


def test_the_kinks_of_each_layer_kind_in_hand_values():
    """Per image: a ReLU input exactly 0, an Lp-pool output 0, a tied max-pool maximum; smooth layers never."""
    from tinygrad_cnn.deltas.recording import LayerRecord

    class Rec:
        layers = {}

    relu_in = np.array([[1.0, -1.0], [0.0, 2.0], [1.0, 1.0]])  # image 1 has a 0
    Rec.layers["relu"] = LayerRecord("relu", nn.ReLU(), relu_in, np.maximum(relu_in, 0))
    lp_out = np.array([[[[0.0]]], [[[1.0]]]])  # image 0's norm is 0
    Rec.layers["lp"] = LayerRecord("lp", nn.LPPool2d(2, 2), np.zeros((2, 1, 2, 2)), lp_out)
    pool_in = np.array([[[[3.0, 3.0], [1.0, 0.0]]], [[[1.0, 1.0], [4.0, 0.0]]]])  # image 0: the maximum is tied
    Rec.layers["max"] = LayerRecord("max", nn.MaxPool2d(2), pool_in, pool_in.max(axis=(2, 3), keepdims=True))
    Rec.layers["tanh"] = LayerRecord("tanh", nn.Tanh(), np.zeros((2, 3)), np.zeros((2, 3)))
    kinks = comparison._kinks(Rec)
    np.testing.assert_array_equal(kinks["relu"], [False, True, False])
    np.testing.assert_array_equal(kinks["lp"], [True, False])
    np.testing.assert_array_equal(kinks["max"], [True, False])
    np.testing.assert_array_equal(kinks["tanh"], [False, False])


def test_the_rows_in_hand_counts():
    """Exact pairs compare every unit and have no kinks; a frozen parameter has no row; the finite differences'
    estimates are kept in ``values``; ``nonzero`` counts units ≠ 0 in either source (also negative ones)."""
    model = deltas.textbook_model()
    model[0].bias.requires_grad = False
    x = np.random.default_rng(0).uniform(size=(2, 1, 6, 6))
    result = deltas.compare(model, x, np.eye(3)[[0, 2]], "squared_error", fd_units=5)
    assert ("0", "bias") not in {(r.layer, r.quantity) for r in result.rows}
    for row in result.rows:
        if "finite differences" not in row.pair:
            assert row.kinks == 0 and row.units == int(np.prod(row.shape))
    fd = result.values["finite differences"]
    assert set(fd) == {(r.layer, r.quantity) for r in result.rows} and fd[("4", "bias")].shape == (3,)
    row = next(r for r in result.rows if r.layer == "4" and r.quantity == "bias" and "finite differences" in r.pair)
    np.testing.assert_allclose(np.sort(fd[("4", "bias")]), np.sort(result.values["engine"][("4", "bias")]),
                               atol=1e-8)
    assert row.nonzero == 3 and (fd[("4", "bias")] < 0).any()


# ------------------------------------------------------------------------------------- further sources (sources=)
def test_a_further_source_is_compared_and_blamed_where_it_departs():
    """A source keyed by layer and parameter names: right everywhere but layer 2's δ (doubled)."""
    model = deltas.textbook_model(pool="avg")
    x, t = load_data()[0][:2].reshape(2, 1, 6, 6), load_data()[1][:2]
    calls = []

    def halfway(net, xs, target):
        calls.append((xs.dtype, xs.shape, target.shape, net is not model))
        _, rec = deltas.engine_backprop(net, xs, target, "squared_error")
        return {"2": 2 * rec.deltas["2"], "4": rec.deltas["4"], "4.bias": rec.grads["4.bias"]}

    result = deltas.compare(model, x, t, "squared_error", sources={"mine": halfway}, fd_units=0)
    assert calls == [(np.float64, (2, 1, 6, 6), (2, 3), True)]  # once, on the float64 copy
    assert result.sources == ["engine", "layerwise", "mine"] and "mine" in result.seconds
    bad = {(r.layer, r.quantity) for r in result.rows if not r.ok}
    assert bad == {("2", "δ")}
    assert "The first departure is at layer 2 (AvgPool2d), δ of its output: mine differs from engine" in \
        result.verdict()
    assert "(mine = 2 × engine)" in result.verdict()


def test_the_books_sources_agree_and_refuse_another_network():
    x, t = load_data()[0][:3].reshape(3, 1, 6, 6), load_data()[1][:3]
    result = deltas.compare(deltas.textbook_model(pool="l2"), x, t, "squared_error", sources=deltas.book.SOURCES,
                            fd_units=2)
    assert result.agrees()
    pairs = {r.pair for r in result.rows if (r.layer, r.quantity) == ("0", "weight")}
    assert ("formulas", "scalar") in pairs and ("engine", "formulas") in pairs
    assert result.labels[("0", "weight")] == "filter_weights" and result.labels[("4", "δ")] == "delta_O"
    other = nn.Sequential(nn.Flatten(), nn.Linear(36, 3, seed=0))
    with pytest.raises(ValueError, match=r"the book's network \(deltas.textbook_model\(\)\); got layers Flatten, "
                                         r"Linear$"):
        deltas.compare(other, x, t, "squared_error", sources=deltas.book.SOURCES, fd_units=0)
    with pytest.raises(ValueError, match="got layers Linear$"):  # a model without children: its class
        deltas.book.book_parameters(nn.Linear(36, 3, seed=0))
    for pool, filters, outputs in ((nn.Identity(), 3, 3), (nn.MaxPool2d(2), 2, 3), (nn.AvgPool2d(2), 3, 2)):
        almost = nn.Sequential(nn.Conv2d(1, filters, 3, seed=0), nn.Sigmoid(), pool, nn.Flatten(),
                               nn.Linear(4 * filters if pool.__class__.__name__ != "Identity" else 48, outputs,
                                         seed=0), nn.Sigmoid())
        with pytest.raises(ValueError, match="the book's sources need the book's network"):
            deltas.book.book_parameters(almost)
    params, pool = deltas.book.book_parameters(deltas.textbook_model(pool="avg"))
    assert pool == "avg" and params["output_weights"].shape == (3, 3, 2, 2)
    np.testing.assert_array_equal(params["output_weights"], initial_parameters()["output_weights"])


@pytest.mark.parametrize("sources, error, match", [
    ([lambda *a: {}], TypeError, "sources must be a dict"),
    ({"engine": lambda *a: {}}, ValueError, "sources has the name 'engine'"),
    ({"yours": lambda *a: {}}, ValueError, "sources has the name 'yours'"),
    ({3: lambda *a: {}}, ValueError, "sources has the name 3"),
    ({"mine": "not callable"}, TypeError, r"sources\['mine'\] must be callable"),
    ({"mine": lambda *a: [1.0]}, TypeError, "source 'mine' must be a dict"),
    ({"mine": lambda *a: {"9": np.zeros(2)}}, ValueError, "source 'mine' has key '9'"),
])
def test_bad_sources_are_refused_naming_them(sources, error, match):
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2, seed=0))
    with pytest.raises(error, match=match):
        deltas.compare(model, np.ones((1, 1, 2, 2)), np.array([1]), sources=sources, fd_units=0)

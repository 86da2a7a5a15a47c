"""Models built from nn layers train with optim; losses in F match their definitions."""

import numpy as np
import pytest
from hypothesis import given

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, nn, optim
from tinygrad_cnn.testing import gradcheck
from tinygrad_cnn.testing import strategies as tst


def test_module_registers_parameters_and_submodules():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3, seed=1))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert [p.shape for p in model.parameters()] == [(2, 1, 3, 3), (2,), (3, 8), (3,)]
    assert model[0].weight.dtype == np.float32
    assert "Conv2d" in repr(model) and "Linear" in repr(model)


def test_state_dict_round_trip_and_errors_lose_nothing():
    a, b = nn.Linear(3, 2, seed=0), nn.Linear(3, 2, seed=1)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    before = b.state_dict()
    bad = dict(a.state_dict(), bias=np.zeros(5))
    with pytest.raises(ValueError, match=r"bias has shape \(5,\), expected \(2,\)"):
        b.load_state_dict(bad)
    np.testing.assert_array_equal(b.weight.data, before["weight"])  # nothing was half-loaded
    with pytest.raises(ValueError, match="missing keys"):
        b.load_state_dict({"weight": before["weight"]})


def test_layer_argument_errors():
    with pytest.raises(ValueError, match="in_features must be at least 1, got 0"):
        nn.Linear(0, 3)
    with pytest.raises(ValueError, match="groups=2 must divide in_channels=3"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(TypeError, match="argument 1 must be a Module"):
        nn.Sequential(nn.ReLU(), "relu")
    with pytest.raises(ValueError, match="last axis must be 3"):
        nn.Linear(3, 2)(Tensor(np.ones((2, 4))))


def test_sgd_is_the_books_gradient_descent():
    w = Tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.2)
    (w * w).sum().backward()  # ∂/∂w = 2w
    opt.step()
    np.testing.assert_allclose(w.data, [1.0 - 0.2 * 2.0, -2.0 + 0.2 * 4.0])
    opt.zero_grad()
    assert w.grad is None


def test_sgd_momentum_matches_pytorch_recurrence():
    w = Tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    expected, v = 1.0, 0.0
    for _ in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        g = 2 * expected
        v = g if v == 0.0 else 0.9 * v + g
        expected -= 0.1 * v
        opt.step()
    assert w.data[0] == pytest.approx(expected)


def test_optimizer_argument_errors():
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="lr must be at least 0.0, got -1"):
        optim.SGD([w], lr=-1)
    with pytest.raises(ValueError, match="params is empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match=r"params\[0\] is not a leaf tensor"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([w], betas=(1.0, 0.9))


def test_small_cnn_learns_a_separable_task():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 6, 6))
    y = (x[:, 0, :3].sum(axis=(1, 2)) > x[:, 0, 3:].sum(axis=(1, 2))).astype(np.int64)  # top vs bottom half
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, dtype=np.float64, seed=0), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(36, 2, dtype=np.float64, seed=0),
    )
    opt = optim.Adam(model.parameters(), lr=0.05)
    inputs = Tensor(x)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = F.cross_entropy(model(inputs), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    accuracy = (model(inputs).argmax(axis=1).data == y).mean()
    assert losses[-1] < 0.5 * losses[0]
    assert accuracy >= 0.9


def test_losses_match_their_definitions():
    logits = Tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])
    target = np.array([0, 2])
    p = np.exp(logits.data) / np.exp(logits.data).sum(axis=1, keepdims=True)
    expected = -np.log(p[[0, 1], [0, 2]]).mean()
    assert F.cross_entropy(logits, target).item() == pytest.approx(expected)
    assert F.mse_loss(Tensor([1.0, 3.0]), [0.0, 1.0], reduction="sum").item() == pytest.approx(5.0)
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.mse_loss(Tensor([1.0]), [1.0], reduction="avg")
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(logits, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"target classes must be in \[0, 3\)"):
        F.cross_entropy(logits, np.array([0, 3]))


@given(tst.tensors(shape=(3, 4)), tst.tensors(shape=(2, 4)), tst.tensors(shape=(2,)))
def test_linear_gradients(x, w, b):
    assert gradcheck(F.linear, [x, w, b])


@given(tst.tensors(shape=(3, 4), min_value=-5, max_value=5), tst.arrays(shape=(3,), min_value=0, max_value=3.99))
def test_cross_entropy_and_mse_gradients(logits, raw_target):
    target = raw_target.astype(np.int64)
    assert gradcheck(lambda t: F.cross_entropy(t, target), [logits])
    assert gradcheck(lambda t: F.mse_loss(t, np.ones((3, 4))), [logits])

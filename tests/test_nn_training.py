"""End to end: models built from nn layers learn with every optim optimizer.

(The update rules, layers and losses are tested on their own in test_optim_rules.py, test_nn_modules.py,
test_nn_normalization.py and test_nn_losses.py; against PyTorch in test_optim_torch.py and test_nn_torch.py.)
"""

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


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.05),
    lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.01, amsgrad=True),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5),
], ids=["SGD", "Adam", "AdamW", "RMSprop"])
def test_small_cnn_learns_a_separable_task(make):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 6, 6))
    y = (x[:, 0, :3].sum(axis=(1, 2)) > x[:, 0, 3:].sum(axis=(1, 2))).astype(np.int64)  # top vs bottom half
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, seed=0), nn.BatchNorm2d(4), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Dropout(0.1, seed=0), nn.Linear(36, 2, seed=0),
    ).double()
    opt = make(model.parameters())
    inputs = Tensor(x)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = F.cross_entropy(model(inputs), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    accuracy = (model(inputs).argmax(axis=1).data == y).mean()
    assert losses[-1] < 0.5 * losses[0]
    assert accuracy >= 0.9


@given(tst.tensors(shape=(3, 4)), tst.tensors(shape=(2, 4)), tst.tensors(shape=(2,)))
def test_linear_gradients(x, w, b):
    assert gradcheck(F.linear, [x, w, b])

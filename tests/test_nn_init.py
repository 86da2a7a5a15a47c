"""``nn.init``: PyTorch's formulas (fans, the gain table), checked against closed forms; PyTorch where installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_cnn import Tensor, nn
from tinygrad_cnn.nn import init


def _weight(*shape):
    return nn.Parameter(np.zeros(shape, dtype=np.float32))


def test_gain_table():
    assert init.calculate_gain("linear") == init.calculate_gain("conv2d") == init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == 5 / 3 and init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04) and init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


@pytest.mark.parametrize(("function", "kwargs", "bound_or_std", "kind"), [
    (init.kaiming_uniform_, {}, math.sqrt(2) * math.sqrt(3 / (20 * 9)), "uniform"),  # fan_in = 20·3·3
    (init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2) * math.sqrt(3 / (30 * 9)),
     "uniform"),
    (init.kaiming_uniform_, {"a": math.sqrt(5)}, 1 / math.sqrt(20 * 9), "uniform"),  # nn.Conv2d's own init
    (init.kaiming_normal_, {"nonlinearity": "tanh"}, (5 / 3) / math.sqrt(20 * 9), "normal"),
    (init.kaiming_normal_, {"mode": "fan_out"}, math.sqrt(2) / math.sqrt(30 * 9), "normal"),
    (init.xavier_uniform_, {"gain": 2.0}, 2 * math.sqrt(6 / (20 * 9 + 30 * 9)), "uniform"),
    (init.xavier_normal_, {}, math.sqrt(2 / (20 * 9 + 30 * 9)), "normal"),
])
def test_fan_based_initialisers_follow_pytorchs_formulas(function, kwargs, bound_or_std, kind):
    w = _weight(30, 20, 3, 3)  # (out, in, kH, kW): 5,400 samples
    assert function(w, generator=np.random.default_rng(0), **kwargs) is w
    data = w.data.astype(np.float64)
    if kind == "uniform":
        assert np.abs(data).max() <= bound_or_std * (1 + 1e-6) and np.abs(data).max() > 0.99 * bound_or_std
        assert data.std() == pytest.approx(bound_or_std / math.sqrt(3), rel=0.05)  # U(−b, b) has σ = b/√3
    else:
        assert data.std() == pytest.approx(bound_or_std, rel=0.05) and abs(data.mean()) < 0.1 * bound_or_std


def test_plain_fills():
    w = _weight(2, 3)
    assert init.constant_(w, 0.25).data.tolist() == [[0.25] * 3] * 2
    assert init.ones_(w).data.sum() == 6 and init.zeros_(w).data.sum() == 0
    u = init.uniform_(_weight(1000), -2.0, -1.0, generator=np.random.default_rng(1)).data
    assert u.min() >= -2 and u.max() <= -1
    n = init.normal_(_weight(4000), 3.0, 0.5, generator=np.random.default_rng(1)).data
    assert n.mean() == pytest.approx(3.0, abs=0.05) and n.std() == pytest.approx(0.5, rel=0.05)


def test_init_is_not_recorded_in_the_graph_and_refuses_bad_tensors():
    w = _weight(3, 4)
    init.xavier_uniform_(w)
    assert w.is_leaf and w.requires_grad
    with pytest.raises(ValueError, match="fewer than 2 dimensions, got shape \\(5,\\)"):
        init.kaiming_normal_(_weight(5))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan'"):
        init.kaiming_uniform_(_weight(2, 2), mode="fan")
    with pytest.raises(TypeError, match="tensor must be floating-point"):
        init.zeros_(Tensor(np.zeros(2, dtype=np.int64)))


def test_model_apply_with_init_as_pytorch_users_write_it():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4, 2))

    def init_weights(m):
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)

    model.apply(init_weights)
    assert all((m.bias.data == 0).all() for m in (model[0], model[3]))


def test_gains_agree_with_pytorch():
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    for name, param in [("linear", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
                        ("leaky_relu", 0.3), ("selu", None), ("conv2d", None), ("sigmoid", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))

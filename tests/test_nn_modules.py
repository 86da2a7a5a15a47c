"""The Module API without PyTorch: registration, traversal, state_dict/load_state_dict, dtypes, containers, init."""

import numpy as np
import pytest

import tinygrad_cnn
from tinygrad_cnn import Tensor, nn


def _net():
    return nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                         nn.Linear(8, 3, seed=1))


def test_state_dict_has_parameters_and_buffers_in_pytorch_order():
    assert list(_net().state_dict()) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
        "4.weight", "4.bias",
    ]
    assert [name for name, _ in _net().named_buffers()] == ["1.running_mean", "1.running_var",
                                                            "1.num_batches_tracked"]


def test_load_state_dict_accepts_tensors_and_strict_false_reports_keys():
    a, b = _net(), _net()
    state = {k: Tensor(v + 1.0) if v.dtype.kind == "f" else v + 3 for k, v in a.state_dict().items()}
    assert b.load_state_dict(state) == ([], [])
    np.testing.assert_array_equal(b[4].bias.data, a[4].bias.data + 1)
    assert b[1].num_batches_tracked.item() == 3
    partial = {"4.weight": state["4.weight"], "extra": np.zeros(1)}
    result = b.load_state_dict(partial, strict=False)
    assert result.unexpected_keys == ["extra"] and "0.weight" in result.missing_keys
    with pytest.raises(ValueError, match=r"missing keys \[.*'0.weight'.*unexpected keys \['extra'\]"):
        b.load_state_dict(partial)


def test_load_state_dict_leaves_the_module_unchanged_on_error():
    model = _net()
    before = model.state_dict()
    bad = {k: v + 1 for k, v in before.items()}
    bad["4.bias"] = np.zeros(5)
    with pytest.raises(ValueError, match=r"4.bias has shape \(5,\), expected \(3,\)"):
        model.load_state_dict(bad)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_load_state_dict_keeps_the_parameter_objects_and_dtype():
    model = _net()
    weight = model[0].weight
    model.load_state_dict({k: v.astype(np.float64) for k, v in model.state_dict().items()})
    assert model[0].weight is weight and weight.dtype == np.float32


def test_state_dict_is_a_copy_unless_keep_vars():
    model = nn.Linear(2, 2, seed=0)
    state = model.state_dict()
    state["weight"][...] = 0
    assert model.weight.data.any()
    assert model.state_dict(keep_vars=True)["weight"] is model.weight


def test_tied_parameters_appear_under_every_name_and_once_in_parameters():
    shared = nn.Linear(2, 2, seed=0)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(list(model.parameters())) == 2
    state = {k: np.full_like(v, 7.0) for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert (shared.weight.data == 7).all()


def test_to_float_double_cast_parameters_and_float_buffers_in_place():
    model = _net()
    weight = model[0].weight
    assert model.double() is model
    assert weight.dtype == np.float64 and model[0].weight is weight
    assert model[1].running_var.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    with pytest.raises(TypeError, match="floating-point dtype"):
        model.to(np.int32)


def test_modules_children_apply_add_module_requires_grad():
    model = _net()
    assert [type(m).__name__ for m in model.modules()] == ["Sequential", "Conv2d", "BatchNorm2d", "ReLU", "Flatten",
                                                           "Linear"]
    assert len(list(model.children())) == 5
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Sequential" and len(seen) == 6
    model.add_module("head", nn.Identity())
    assert "head" in dict(model.named_children())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_zero_grad_modes():
    layer = nn.Linear(2, 1, seed=0)
    layer.weight.grad = np.ones((1, 2), dtype=np.float32)
    held = layer.weight.grad
    layer.zero_grad(set_to_none=False)
    assert layer.weight.grad is held and not held.any()
    layer.zero_grad()
    assert layer.weight.grad is None


def test_sequential_slicing_module_list_and_dict():
    model = _net()
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    assert list(head.state_dict())[:2] == ["0.weight", "0.bias"]
    assert model[-1] is model[4]
    with pytest.raises(IndexError, match="out of range"):
        model[9]
    layers = nn.ModuleList([nn.Linear(2, 2, seed=i) for i in range(3)])
    holder = nn.Module()
    holder.layers = layers
    assert len(list(holder.parameters())) == 6 and "layers.2.bias" in holder.state_dict()
    heads = nn.ModuleDict({"a": nn.Linear(2, 1, seed=0), "b": nn.Identity()})
    assert list(heads) == ["a", "b"] and "a.weight" in heads.state_dict()
    with pytest.raises(TypeError, match="must be a Module"):
        nn.ModuleList([nn.ReLU(), "relu"])


def test_manual_seed_makes_initialisation_reproducible_and_seed_wins():
    tinygrad_cnn.manual_seed(5)
    a = _unseeded()
    tinygrad_cnn.manual_seed(5)
    b = _unseeded()
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(x, y, err_msg=name)
    tinygrad_cnn.manual_seed(6)
    c = nn.Linear(4, 3, seed=0)
    tinygrad_cnn.manual_seed(7)
    np.testing.assert_array_equal(c.weight.data, nn.Linear(4, 3, seed=0).weight.data)
    g = np.random.default_rng(0)
    np.testing.assert_array_equal(nn.Linear(4, 3, generator=g).weight.data, nn.Linear(4, 3, seed=0).weight.data)


def _unseeded():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(3, 2))


def test_pytorch_initialisation_bounds():
    layer = nn.Conv2d(3, 66, (3, 5), groups=3, seed=0)
    bound = 1 / np.sqrt(1 * 3 * 5)  # fan_in = in_channels/groups · kH · kW
    assert layer.weight.shape == (66, 1, 3, 5)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.weight.data).max() > 0.9 * bound


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.Linear(0, 3), ValueError, "Linear: in_features must be at least 1, got 0"),
    (lambda: nn.Linear(2.0, 3), TypeError, "in_features must be an int"),
    (lambda: nn.Linear(2, 3, bias=1), TypeError, "bias must be True or False"),
    (lambda: nn.Conv2d(1, 1, (3,)), TypeError, "kernel_size must be an int or a pair of ints"),
    (lambda: nn.Conv2d(1, 1, 0), ValueError, "kernel_size must be at least 1"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "groups=2 must divide in_channels=3"),
    (lambda: nn.Conv2d(1, 1, 3, dtype=np.int32), TypeError, "floating-point dtype"),
    (lambda: nn.Sequential(nn.ReLU(), "relu"), TypeError, "argument 1 must be a Module"),
    (lambda: nn.Linear(3, 2)(Tensor(np.ones((2, 4)))), ValueError, "last axis must be 3"),
    (lambda: nn.GELU("fast"), ValueError, "approximate must be 'none' or 'tanh'"),
    (lambda: nn.Conv2d(1, 1, 3, padding_mode="reflect"), ValueError, "padding_mode must be 'zeros'"),
])
def test_layer_argument_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_numpy_integers_are_accepted():
    layer = nn.Conv2d(np.int64(1), np.int32(2), np.int64(3), stride=np.int64(1), padding=(np.int8(1), 1), seed=0)
    assert layer.kernel_size == (3, 3) and layer(Tensor(np.ones((1, 1, 4, 4), np.float32))).shape == (1, 2, 4, 4)
    assert nn.Linear(np.int64(3), np.int64(2), seed=0).weight.shape == (2, 3)


def test_activation_modules_values_and_gradients_at_zero():
    x = Tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    nn.LeakyReLU(0.1)(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.1, 0.1, 1.0])  # PyTorch: slope at 0
    y = nn.GELU()(Tensor(np.array([0.0, 1.0])))
    np.testing.assert_allclose(y.data, [0.0, 0.8413447460685429], rtol=1e-12)  # x·Φ(x), Φ(1) from tables
    t = nn.GELU("tanh")(Tensor(np.array([1.0])))
    np.testing.assert_allclose(t.data, [0.5 * (1 + np.tanh(np.sqrt(2 / np.pi) * (1 + 0.044715)))], rtol=1e-12)
    s = nn.Softmax(dim=0)(Tensor(np.array([0.0, np.log(3.0)])))
    np.testing.assert_allclose(s.data, [0.25, 0.75])
    np.testing.assert_allclose(nn.LogSoftmax(dim=0)(Tensor(np.array([0.0, np.log(3.0)]))).data, np.log([0.25, 0.75]))
    with pytest.warns(UserWarning, match="implicit dimension"):
        nn.Softmax()(Tensor(np.ones((2, 2))))

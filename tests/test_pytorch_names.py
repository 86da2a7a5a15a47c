"""PyTorch's everyday names (issue 20): ``tensor`` and the dtype names, devices, the float32 default of the
creation functions, ``Tensor.size()`` and the other methods, the ops as root functions, ``nn.functional``.

Hand values first; the same calls under PyTorch where it is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor, nn


def test_dtype_names_are_numpys_and_tensor_infers_as_pytorch():
    assert tg.float32 is tg.float is np.float32 and tg.float64 is tg.double is np.float64
    assert tg.int64 is tg.long is np.int64 and tg.bool is np.bool_ and tg.int32 is tg.int is np.int32
    assert tg.tensor([1.5, 2]).dtype == np.float32 and tg.tensor([1, 2]).dtype == np.int64
    assert tg.tensor([True, False]).dtype == np.bool_ and tg.tensor(3.0).shape == ()
    assert tg.tensor(np.zeros(2)).dtype == np.float64  # a numpy array keeps its dtype, as torch.tensor
    assert tg.tensor([1, 2], dtype=tg.float32).dtype == np.float32
    t = tg.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf
    a = np.ones(2)
    assert tg.tensor(a).data is not a  # a copy
    with pytest.raises(TypeError, match="regular shape"):
        tg.tensor([[1.0], [2.0, 3.0]])
    with pytest.raises(TypeError, match="tensor: data must be a number"):
        tg.tensor("abc")


def test_the_creation_functions_default_to_float32_and_the_constructor_stays_float64():
    for made in (tg.zeros(2), tg.ones(2), tg.randn(2), tg.rand(2), tg.full((2,), 0.5), tg.arange(0.0, 1.0, 0.5)):
        assert made.dtype == np.float32, made
    assert Tensor([1.0, 2.0]).dtype == np.float64  # the project's constructor: the book's network, gradchecks
    assert tg.get_default_dtype() == np.float32
    tg.set_default_dtype(tg.float64)
    try:
        assert tg.zeros(1).dtype == np.float64 and tg.tensor([0.5]).dtype == np.float64
    finally:
        tg.set_default_dtype(tg.float32)
    with pytest.raises(TypeError, match="set_default_dtype: d must be a floating dtype"):
        tg.set_default_dtype(tg.int64)
    # the first forward of a float32 layer on a default-float input works (the failing line)
    assert nn.Linear(3, 2)(tg.randn(4, 3)).dtype == np.float32


def test_devices_the_cpu_is_accepted_and_an_accelerator_refused_with_what_to_do():
    cpu = tg.device("cpu")
    assert cpu == tg.device("cpu") and str(tg.device("cuda:0")) == "cuda:0" and tg.device("cuda", 1).index == 1
    assert tg.cuda.is_available() is False and tg.backends.mps.is_available() is False
    assert tg.cuda.device_count() == 0
    x, model = tg.zeros(2), nn.Linear(2, 1)
    assert x.to(cpu) is x and x.to("cpu") is x and x.cpu() is x and model.to(cpu) is model and model.cpu() is model
    assert x.to(cpu, tg.float64).dtype == np.float64 and model.to("cpu", tg.float64).weight.dtype == np.float64
    assert tg.zeros(2, device="cpu").shape == (2,) and tg.tensor([1], device=cpu).dtype == np.int64
    for call in (lambda: x.to("cuda"), lambda: x.cuda(), lambda: model.to(tg.device("cuda")), lambda: model.cuda(),
                 lambda: tg.zeros(2, device="cuda"), lambda: tg.tensor([1.0], device="mps")):
        with pytest.raises(tg.DeviceError, match="runs on the CPU with numpy.*device\\('cpu'\\)"):
            call()
    with pytest.raises(ValueError, match="device: expected one of cpu, cuda"):
        tg.device("tpu")


def test_compile_and_the_data_loader_options_have_no_effect():
    model = nn.Linear(2, 1)
    assert tg.compile(model) is model and tg.compile(model, mode="max-autotune") is model
    loader = tg.data.DataLoader(np.arange(6.0).reshape(6, 1), batch_size=4, num_workers=2, pin_memory=True,
                                persistent_workers=True)
    assert [b.shape for b in loader] == [(4, 1), (2, 1)]
    with pytest.raises(ValueError, match="num_workers must be at least 0, got -1"):
        tg.data.DataLoader(np.zeros((2, 1)), num_workers=-1)


def test_size_is_a_method_and_numel_counts():
    x = tg.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and x.size(0) == 2 and x.size(-1) == 4 and x.numel() == 24 and x.dim() == 3
    assert tg.numel(x) == 24
    with pytest.raises(ValueError, match="size: dim 3 is out of range"):
        x.size(3)


def test_methods_by_hand():
    x = Tensor([[1.0, -2.0], [3.0, 0.0]], requires_grad=True)
    assert x.t().tolist() == [[1.0, 3.0], [-2.0, 0.0]] and x.pow(2).tolist() == [[1.0, 4.0], [9.0, 0.0]]
    assert x.eq(Tensor([[1.0, 0.0], [3.0, 1.0]])).tolist() == [[True, False], [True, False]]
    assert x.view_as(tg.zeros(4)).shape == (4,) and x.float().dtype == np.float32 and x.long().tolist() == [[1, -2],
                                                                                                             [3, 0]]
    assert x.all().item() is False and x.any(dim=1).tolist() == [True, True] and x.bool().dtype == np.bool_
    assert x.var().item() == pytest.approx(np.var([1, -2, 3, 0], ddof=1))  # Bessel's correction by default
    assert x.std(dim=0, unbiased=False).tolist() == pytest.approx([1.0, 1.0])
    assert x.norm().item() == pytest.approx(14 ** 0.5) and x.norm(p=1, dim=1).tolist() == [3.0, 3.0]
    c = x.clone()
    (c * c).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data)  # clone stays in the graph
    with pytest.raises(ValueError, match="t\\(\\): expects a tensor with at most 2 dimensions"):
        tg.zeros(1, 2, 3).t()


def test_root_functions_delegate_to_the_methods():
    x = tg.tensor([[1.0, 5.0], [3.0, 2.0]])
    assert tg.sum(x).item() == 11 and tg.mean(x, dim=0).tolist() == [2.0, 3.5]
    assert tg.max(x).item() == 5 and tg.min(x).item() == 1 and tg.argmax(x, dim=1).tolist() == [1, 0]
    assert tg.flatten(x, 1).shape == (2, 2) and tg.flatten(tg.zeros(2, 3, 4), 1).shape == (2, 12)
    assert tg.allclose(tg.exp(tg.log(x)), x) and not tg.allclose(x, x + 1)
    assert tg.equal(x, x.clone()) and tg.cat([x, x]).shape == (4, 2) and tg.stack([x, x], dim=1).shape == (2, 2, 2)
    assert tg.where(x > 2, x, tg.zeros(2, 2)).tolist() == [[0.0, 5.0], [3.0, 0.0]]
    with pytest.raises(TypeError, match="exp: input must be a Tensor, got list"):
        tg.exp([1.0])


def test_nn_functional_is_importable_under_pytorchs_path():
    import tinygrad_cnn.nn.functional as F

    assert F is tg.functional and F is nn.functional
    assert F.log_softmax(tg.zeros(1, 2), dim=1).shape == (1, 2)


def test_methods_and_functions_agree_with_pytorch():
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    data = np.random.default_rng(0).normal(size=(3, 4))
    ours, theirs = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    calls = [
        lambda t: t.var(), lambda t: t.var(1, keepdim=True), lambda t: t.std(0, correction=0),
        lambda t: t.norm(), lambda t: t.norm(p=1, dim=0), lambda t: t.norm(p=3, dim=1, keepdim=True),
        lambda t: t.norm(p=float("inf"), dim=1), lambda t: t.t() * 2, lambda t: t.pow(3), lambda t: t.clone() * t,
        lambda t: t.float() * 1, lambda t: t.double() * 1,
    ]
    for i, call in enumerate(calls):
        ours.grad, theirs.grad = None, None
        a, b = call(ours), call(theirs)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-6, err_msg=str(i))
        assert a.size() == tuple(b.size()) and a.dim() == b.dim() and a.numel() == b.numel()
        a.sum().backward()
        b.sum().backward()
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-6, err_msg=str(i))
    for name in ("long", "bool", "half"):
        assert np.dtype(getattr(ours, name)().dtype) == np.dtype(str(getattr(theirs, name)().dtype).split(".")[1])
    assert ours.all().item() == theirs.all().item() and ours.any(1).tolist() == theirs.any(1).tolist()
    for kind in ("zeros", "ones", "rand", "randn"):
        assert str(getattr(torch, kind)(2).dtype) == f"torch.{getattr(tg, kind)(2).dtype}"
    for value in ([1.5], [1], [True]):
        assert str(torch.tensor(value).dtype) == f"torch.{tg.tensor(value).dtype}".replace("bool_", "bool")

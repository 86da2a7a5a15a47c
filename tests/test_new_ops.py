"""The ops and creation functions a PyTorch user reaches for (issue 8): values, gradients, errors.

Gradients against finite differences are in the property registry (``testing/checks.py``); here the values
are hand-computed, and compared with PyTorch when it is installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor


# ------------------------------------------------------------------------------------------ shape ops
def test_unsqueeze_and_squeeze_follow_pytorch():
    x = Tensor(np.zeros((2, 3)))
    assert x.unsqueeze(0).shape == (1, 2, 3) and x.unsqueeze(-1).shape == (2, 3, 1)
    assert x.unsqueeze(dim=1).shape == (2, 1, 3)
    y = Tensor(np.zeros((1, 3, 1)))
    assert y.squeeze().shape == (3,) and y.squeeze(0).shape == (3, 1) and y.squeeze((0, 2)).shape == (3,)
    assert y.squeeze(1).shape == (1, 3, 1)  # not of length 1: left alone, as PyTorch
    assert Tensor(5.0).squeeze(0).shape == () and Tensor(5.0).unsqueeze(0).shape == (1,)
    with pytest.raises(ValueError, match="unsqueeze: dim 3 is out of range"):
        x.unsqueeze(3)
    with pytest.raises(TypeError, match="unsqueeze: the axis"):
        x.unsqueeze()
    with pytest.raises(ValueError, match="squeeze: dim 3 is out of range"):
        y.squeeze(3)


def test_unsqueeze_squeeze_view_backward_reshape_the_gradient_back():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    weights = np.arange(6.0).reshape(3, 1, 2) + 1  # a different weight per element
    (x.unsqueeze(1).view(3, 1, 2) * Tensor(weights)).squeeze(1).sum().backward()
    np.testing.assert_array_equal(x.grad, weights.reshape(2, 3))


def test_expand_sums_the_gradient_over_the_copies():
    b = Tensor([[1.0], [2.0]], requires_grad=True)  # (2, 1)
    out = b.expand(3, 2, 4)  # a new leading axis of 3, the last axis repeated 4 times
    assert out.shape == (3, 2, 4) and out.data[2, 1, 3] == 2.0
    (out * Tensor(np.arange(24.0).reshape(3, 2, 4))).sum().backward()
    weights = np.arange(24.0).reshape(3, 2, 4)
    np.testing.assert_array_equal(b.grad, weights.sum(axis=(0, 2)).reshape(2, 1))  # 12 copies per element
    assert Tensor([1.0, 2.0]).expand(2, -1).shape == (2, 2)
    with pytest.raises(ValueError, match="only axes of length 1 can be expanded"):
        Tensor(np.zeros((2, 3))).expand(2, 4)
    with pytest.raises(ValueError, match="fewer than the tensor's 2"):
        Tensor(np.zeros((2, 3))).expand(3)
    with pytest.raises(ValueError, match="-1 is not allowed for a new leading axis"):
        Tensor([1.0]).expand(-1, 1)
    with pytest.raises(TypeError, match="sizes must be ints"):
        Tensor([1.0]).expand(2.0)


def test_view_is_reshape():
    x = Tensor(np.arange(6.0))
    np.testing.assert_array_equal(x.view(2, 3).data, x.reshape(2, 3).data)
    assert x.view((3, -1)).shape == (3, 2)
    with pytest.raises(ValueError, match="view: cannot reshape"):
        x.view(4, 2)


# --------------------------------------------------------------------------------------- where, cat
def test_where_selects_values_and_gradients():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = Tensor([10.0], requires_grad=True)  # broadcast
    out = tg.where(x.data > 0, x, y)
    np.testing.assert_array_equal(out.data, [1.0, 10.0, 3.0])
    (out * Tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(y.grad, [2.0])
    assert x.where(x > 0, 0.0).tolist() == [1.0, 0.0, 3.0]  # PyTorch's Tensor.where(condition, other)
    assert F.where(np.array([True, False]), 1, 2.5).dtype == np.float64
    with pytest.raises(TypeError, match="condition must be a bool"):
        tg.where(np.array([1, 0]), x, y)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        tg.where(np.array([True, False]), x, y)


def test_cat_is_concatenate_with_dim_and_promotes_dtypes():
    a, b = Tensor(np.ones((2, 1)), requires_grad=True), Tensor(np.zeros((2, 2), np.float32))
    out = tg.cat([a, b], dim=1)
    assert out.shape == (2, 3) and out.dtype == np.float64
    (out * Tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    np.testing.assert_array_equal(a.grad, [[0.0], [3.0]])
    assert tg.cat([Tensor(np.array([1])), Tensor(np.array([0.5], np.float32))]).dtype == np.float32  # as PyTorch
    with pytest.raises(TypeError, match="not both"):
        tg.cat([a, a], axis=0, dim=1)
    assert tg.stack([Tensor([1.0]), Tensor([2.0])], dim=1).shape == (1, 2)


# ------------------------------------------------------------------------------------- activations
def test_leaky_relu_values_and_gradient():
    x = Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    out = x.leaky_relu(0.2)
    np.testing.assert_allclose(out.data, [-0.4, 0.0, 3.0])
    out.sum().backward()
    np.testing.assert_allclose(x.grad, [0.2, 0.2, 1.0])  # the slope at 0 is negative_slope, as PyTorch
    assert F.leaky_relu(Tensor([-100.0])).item() == -1.0  # default slope 0.01
    with pytest.raises(TypeError, match="negative_slope"):
        F.leaky_relu(x, "0.1")


def test_gelu_exact_and_tanh_against_hand_computed_values():
    xs = [-3.0, -0.5, 0.0, 1.0, 2.5]
    x = Tensor(xs, requires_grad=True)
    F.gelu(x).sum().backward()
    phi = [0.5 * (1 + math.erf(v / math.sqrt(2))) for v in xs]
    np.testing.assert_allclose(F.gelu(Tensor(xs)).data, [v * p for v, p in zip(xs, phi)], rtol=1e-14)
    pdf = [math.exp(-v * v / 2) / math.sqrt(2 * math.pi) for v in xs]
    np.testing.assert_allclose(x.grad, [p + v * d for v, p, d in zip(xs, phi, pdf)], rtol=1e-13)
    k = math.sqrt(2 / math.pi)
    tanh_form = [0.5 * v * (1 + math.tanh(k * (v + 0.044715 * v**3))) for v in xs]
    np.testing.assert_allclose(x.gelu(approximate="tanh").data, tanh_form, rtol=1e-14)
    # far left the erfc form keeps its digits: x·Φ(x) at −10 is −7.6e-23, not −0.0
    assert F.gelu(Tensor([-10.0])).item() == pytest.approx(-10 * 0.5 * math.erfc(10 / math.sqrt(2)), rel=1e-12)
    with pytest.raises(ValueError, match="approximate must be"):
        F.gelu(x, approximate="fast")


def test_new_activations_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    data = rng.standard_normal((4, 5)) * 4
    for ours, theirs in [
        (lambda t: F.gelu(t), lambda t: torch.nn.functional.gelu(t)),
        (lambda t: F.gelu(t, approximate="tanh"), lambda t: torch.nn.functional.gelu(t, approximate="tanh")),
        (lambda t: F.leaky_relu(t, 0.3), lambda t: torch.nn.functional.leaky_relu(t, 0.3)),
        (lambda t: F.softmax(t, dim=0), lambda t: torch.softmax(t, dim=0)),
        (lambda t: F.log_softmax(t, dim=1), lambda t: torch.log_softmax(t, dim=1)),
        (lambda t: t.clamp(-1.0, 0.5), lambda t: t.clamp(-1.0, 0.5)),
        (lambda t: t.unsqueeze(1).expand(4, 3, 5).sum(dim=1), lambda t: t.unsqueeze(1).expand(4, 3, 5).sum(dim=1)),
    ]:
        x = Tensor(data.copy(), requires_grad=True)
        xt = torch.tensor(data, requires_grad=True)
        weights = rng.standard_normal((4, 5))
        (ours(x) * Tensor(weights)).sum().backward()
        (theirs(xt) * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(ours(Tensor(data)).data, theirs(torch.tensor(data)).numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------------------------ dim= and axis=
def test_dim_and_axis_are_one_argument():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    for method in ("sum", "mean", "amax", "amin"):
        np.testing.assert_array_equal(getattr(x, method)(dim=1).data, getattr(x, method)(axis=1).data)
        assert getattr(x, method)(dim=0, keepdim=True).shape == (1, 3)
        with pytest.raises(TypeError, match="not both"):
            getattr(x, method)(axis=0, dim=0)
        with pytest.raises(TypeError, match="keepdims= or keepdim="):
            getattr(x, method)(0, keepdims=True, keepdim=True)
    for method in ("max", "min"):
        np.testing.assert_array_equal(getattr(x, method)(dim=1).values.data, getattr(x, method)(axis=1).values.data)
        assert getattr(x, method)(dim=0, keepdim=True).indices.shape == (1, 3)
    assert x.argmax(dim=1).tolist() == [2, 2] and x.argmin(dim=0, keepdim=True).tolist() == [[0, 0, 0]]
    assert x.softmax(dim=0).shape == (2, 3) and x.flatten(start_dim=0).shape == (6,)
    with pytest.raises(TypeError, match="not both"):
        x.softmax(0, dim=0)
    with pytest.raises(ValueError, match="argmax: axis 2 is out of range"):
        x.argmax(dim=2)


# ------------------------------------------------------------------------------------------ creation
def test_creation_functions_shapes_dtypes_and_values():
    assert tg.zeros(2, 3).shape == (2, 3) and tg.zeros((2, 3)).dtype == np.float32  # PyTorch's default float
    assert tg.zeros(2, dtype=np.float64).dtype == np.float64 and tg.full((2,), 0.5).dtype == np.float32
    assert tg.ones(2, dtype=np.float32).dtype == np.float32 and tg.ones(2).tolist() == [1.0, 1.0]
    assert tg.full((2, 2), 7).dtype == np.int64 and tg.full((2,), True).dtype == np.bool_
    assert tg.full(3, 0.5).tolist() == [0.5, 0.5, 0.5]
    x = Tensor(np.zeros((2, 1), np.float32))
    assert tg.zeros_like(x).dtype == np.float32 and tg.ones_like(x, dtype=np.float64).dtype == np.float64
    assert tg.arange(3).tolist() == [0, 1, 2] and tg.arange(3).dtype == np.int64
    assert tg.arange(1, 2, 0.5).dtype == np.float32
    assert tg.arange(1, 2, 0.5).tolist() == [1.0, 1.5] and tg.arange(5, 0, -2).tolist() == [5, 3, 1]
    w = tg.zeros(2, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    with pytest.raises(TypeError, match="zeros: size must be ints"):
        tg.zeros(2.0)
    with pytest.raises(ValueError, match="size must be non-negative"):
        tg.ones(-1)
    with pytest.raises(ValueError, match="step must be non-zero"):
        tg.arange(0, 1, 0)
    with pytest.raises(TypeError, match="requires_grad=True needs a floating-point"):
        tg.arange(3, requires_grad=True)
    with pytest.raises(TypeError, match="fill_value must be a number"):
        tg.full(2, "a")


def test_random_creation_is_reproducible_and_an_explicit_source_wins():
    assert tg.randn(2, 3).shape == (2, 3) and tg.rand(4, dtype=np.float32).dtype == np.float32
    assert tg.randn(2).dtype == np.float32 and tg.rand(2).dtype == np.float32  # PyTorch's default float
    # drawn in float64, then cast: the float64 draw is numpy's own stream
    np.testing.assert_array_equal(tg.randn(5, seed=1, dtype=np.float64).data,
                                  np.random.default_rng(1).standard_normal(5))
    np.testing.assert_array_equal(tg.rand(5, seed=1).data, np.random.default_rng(1).random(5).astype(np.float32))
    tg.manual_seed(7)
    first = tg.randn(3).data
    tg.manual_seed(7)
    assert (tg.randn(3).data == first).all()
    generator = np.random.default_rng(3)
    np.testing.assert_array_equal(tg.rand(2, generator=generator, dtype=np.float64).data,
                                  np.random.default_rng(3).random(2))
    u = tg.rand(1000, seed=0).data
    assert u.min() >= 0 and u.max() < 1
    with pytest.raises(ValueError, match="not both"):
        tg.randn(2, seed=1, generator=np.random.default_rng(1))
    with pytest.raises(TypeError, match="float dtype"):
        tg.randn(2, dtype=np.int64)


def test_from_numpy_shares_memory():
    a = np.zeros(3, np.float32)
    t = tg.from_numpy(a)
    a[1] = 5.0
    assert t.tolist() == [0.0, 5.0, 0.0] and t.dtype == np.float32 and np.shares_memory(t.data, a)
    with pytest.raises(TypeError, match="expected a numpy array"):
        tg.from_numpy([1.0])

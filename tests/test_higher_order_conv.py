"""Gradients of gradients through conv2d and pooling (issue 18), with oracles that need no PyTorch.

conv2d's backward is made of three bilinear sums (the correlation, eq. (12)'s filter gradient and the input
gradient) and pooling's of the pair spread/gather; each is the adjoint of another, which is what makes them
differentiable again. The dot-product identities below hold them to that, finite differences hold the third
derivative, and a spy holds first order to plain numpy. The registry's second-order property test over random
geometries is in tests/test_op_properties.py; PyTorch's double backward in tests/test_higher_order_conv_torch.py.
"""

import numpy as np
import pytest

from tinygrad_cnn import Tensor, autograd
from tinygrad_cnn.ops import conv, pool
from tinygrad_cnn.ops.window import Geometry
from tinygrad_cnn.testing import gradgradcheck

RNG = np.random.default_rng(18)


def _dot(a, b):
    return float(np.sum(a * b))


@pytest.mark.parametrize("stride, padding, dilation, groups", [
    (1, (0, 0, 0, 0), 1, 1), (2, (1, 1, 1, 1), 1, 2), (1, (2, 1, 0, 2), 2, 1), (3, (1, 0, 1, 1), 1, 1),
])
def test_the_three_conv_sums_are_each_others_adjoints(stride, padding, dilation, groups):
    # ⟨input_gradient(δ, w), x⟩ = ⟨δ, correlation(x, w)⟩ = ⟨filter_gradient(δ, x), w⟩: one trilinear form
    geometry = Geometry.for_conv((7, 6), (3, 2), (stride, stride), padding, (dilation, dilation))
    x, w = RNG.normal(size=(2, 4, 7, 6)), RNG.normal(size=(6, 4 // groups, 3, 2))
    delta = RNG.normal(size=(2, 6, *geometry.out_size))
    forward = _dot(delta, conv.correlation(x, w, geometry, groups))
    np.testing.assert_allclose(_dot(conv.input_gradient(delta, w, geometry, groups), x), forward, rtol=1e-12)
    np.testing.assert_allclose(_dot(conv.filter_gradient(delta, x, geometry, groups, w.shape), w), forward,
                               rtol=1e-12)


@pytest.mark.parametrize("winners", [False, True])
@pytest.mark.parametrize("kernel, stride, padding, ceil_mode", [(2, 2, 0, False), (3, 1, 1, False), (3, 2, 1, True)])
def test_spread_and_gather_are_adjoint(winners, kernel, stride, padding, ceil_mode):
    geometry = Geometry.for_pool((5, 6), (kernel, kernel), (stride, stride), (padding, padding), (1, 1), ceil_mode)
    v, a = RNG.normal(size=(2, 3, *geometry.out_size)), RNG.normal(size=(2, 3, 5, 6))
    winner = RNG.integers(0, kernel * kernel, size=v.shape).astype(np.uint8) if winners else None
    if winner is not None:  # a winner is a unit inside the input (as max pooling's are)
        winner = np.maximum(winner, geometry.first_inside())
    np.testing.assert_allclose(_dot(pool.spread(v, geometry, (2, 3), winner), a),
                               _dot(v, pool.gather(a, geometry, winner)), rtol=1e-12)


def test_the_ops_of_the_second_order_graph_pass_gradgradcheck_themselves():
    # ConvInputGrad, ConvFilterGrad, Spread and Gather as functions of both their inputs: this checks the
    # derivative with respect to δ too, which differentiating conv2d's gradient in x alone does not reach
    geometry = Geometry.for_conv((4, 4), (2, 3), (2, 1), (1, 0, 1, 1), (1, 1))
    delta = Tensor(RNG.normal(size=(1, 3, *geometry.out_size)), requires_grad=True)
    w = Tensor(RNG.normal(size=(3, 2, 2, 3)), requires_grad=True)
    x = Tensor(RNG.normal(size=(1, 2, 4, 4)), requires_grad=True)
    cube = lambda t: t * t * t  # noqa: E731  (a nonlinearity, so the second derivative is not 0)
    assert gradgradcheck(lambda d, k: cube(conv.input_gradient(d, k, geometry, 1)), [delta, w])
    assert gradgradcheck(lambda d, a: cube(conv.filter_gradient(d, a, geometry, 1, (3, 2, 2, 3))), [delta, x])
    pooling = Geometry.for_pool((4, 5), (3, 3), (2, 2), (1, 1), (1, 1), True)
    v = Tensor(RNG.normal(size=(1, 2, *pooling.out_size)), requires_grad=True)
    winner = np.maximum(RNG.integers(0, 9, size=v.shape).astype(np.uint8), pooling.first_inside())
    assert gradgradcheck(lambda t: cube(pool.spread(t, pooling, (1, 2), winner)), [v])
    a = Tensor(RNG.normal(size=(1, 2, 4, 5)), requires_grad=True)
    assert gradgradcheck(lambda t: cube(pool.gather(t, pooling)), [a])
    assert gradgradcheck(lambda t: cube(pool.gather(t, pooling, winner)), [a])


def test_third_derivatives_through_conv_and_max_pooling_match_finite_differences():
    # gradgradcheck of x ↦ ∂L/∂x (itself a create_graph gradient): the third derivative of L
    w = Tensor(RNG.normal(size=(2, 2, 2, 2)), requires_grad=True)
    x = Tensor(RNG.permutation(2 * 4 * 4).reshape(1, 2, 4, 4) * 0.05 - 0.8, requires_grad=True)

    def first_gradient(x, w):
        z = pool.max_pool2d(conv.conv2d(x, w, padding=1, stride=1), 2).tanh()
        return autograd.grad((z * z * z).sum(), [x, w], create_graph=True)[0]

    assert gradgradcheck(first_gradient, [x, w])


def _spy(monkeypatch, functions):
    """Record the name of every one of ``functions`` whose forward runs (an op made)."""
    calls = []
    for function in functions:
        def spy(ctx, *args, __original=function.forward, __name=function.__name__, **kwargs):
            calls.append(__name)
            return __original(ctx, *args, **kwargs)

        monkeypatch.setattr(function, "forward", staticmethod(spy))
    return calls


@pytest.mark.parametrize("create_graph", [False, True])
def test_first_order_backward_through_conv_and_pooling_records_nothing(monkeypatch, create_graph):
    # create_graph=False: the rules run on numpy arrays, no op of the second-order graph is ever made
    # (create_graph=True, the control: the same walk makes them)
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(size=(2, 1, 6, 6)), requires_grad=True)
    w, b = Tensor(rng.normal(size=(2, 1, 3, 3)), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
    h = conv.conv2d(x, w, b, padding=1)
    out = (pool.max_pool2d(h, 2) + pool.avg_pool2d(h, 2) + pool.lp_pool2d(h * h + 1, 2, 2)).sum()
    calls = _spy(monkeypatch, [conv.Conv2d, conv.ConvInputGrad, conv.ConvFilterGrad, pool.Spread, pool.Gather])
    out.backward(create_graph=create_graph)
    if create_graph:
        assert {"ConvInputGrad", "ConvFilterGrad", "Spread"} <= set(calls)
    else:
        assert calls == []
        assert all(type(t.grad) is np.ndarray for t in (x, w, b))


def test_create_graph_builds_the_pair_ops():
    x = Tensor(np.random.default_rng(4).normal(size=(1, 1, 4, 4)), requires_grad=True)
    w = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    (gx,) = autograd.grad(pool.max_pool2d(conv.conv2d(x, w), 1).sum(), x, create_graph=True)
    assert gx.requires_grad and gx._ctx.function.__name__ == "ConvInputGrad"  # not OnceDifferentiable

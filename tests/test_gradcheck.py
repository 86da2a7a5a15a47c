"""gradcheck itself can fail: a deliberately wrong backward is caught and the error names the element."""

import numpy as np
import pytest
from hypothesis import given

from tinygrad_cnn import Function, Tensor
from tinygrad_cnn.testing import (
    GradcheckError,
    analytical_jacobian,
    gradcheck,
    numerical_grad,
    numerical_jacobian,
)
from tinygrad_cnn.testing import strategies as tst


class _WrongCube(Function):
    """x³ whose backward forgets the factor 3 on the element at flat index 2 only."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        local = 3 * x**2
        local.reshape(-1)[2] = x.reshape(-1)[2] ** 2
        return grad * local


def test_wrong_backward_is_caught_and_the_worst_element_named():
    x = Tensor(np.array([[0.5, 1.0], [2.0, -1.5]]), requires_grad=True)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(_WrongCube.apply, [x])
    message = str(caught.value)
    assert "input 0" in message
    assert "input element (1, 0)" in message  # flat index 2 of a (2, 2) input
    assert "analytical 4" in message and "numerical 12" in message


def test_wrong_backward_returns_falsy_report_without_raising():
    x = Tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    report = gradcheck(_WrongCube.apply, [x], raise_exception=False)
    assert not report
    assert report.max_abs_error == pytest.approx(8.0, rel=1e-4)  # 12 − 4 at x = 2


def test_fast_mode_catches_the_wrong_backward_too():
    x = Tensor(np.array([0.5, 1.0, 2.0, 1.5]), requires_grad=True)
    with pytest.raises(GradcheckError, match="fast mode"):
        gradcheck(_WrongCube.apply, [x], fast_mode=True, seed=1)
    assert gradcheck(lambda t: t**3, [x], fast_mode=True, seed=1)


def test_correct_backward_passes_and_reports_small_errors():
    x = Tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    report = gradcheck(lambda t: t**3, [x])
    assert report and report.max_abs_error < 1e-6


def test_numerical_grad_and_jacobians_agree_with_known_derivatives():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    w = Tensor(np.array([3.0, -1.0]), requires_grad=True)
    c = Tensor(np.array([1.0, 1.0]))  # not differentiated
    g = numerical_grad(lambda a, b, k: (a * b * k).sum(), [x, w, c])
    np.testing.assert_allclose(g[0], w.data, atol=1e-8)
    np.testing.assert_allclose(g[1], x.data, atol=1e-8)
    assert g[2] is None
    jn = numerical_jacobian(lambda a: a * a, [x])[0]
    ja = analytical_jacobian(lambda a: a * a, [x])[0]
    np.testing.assert_allclose(jn, np.diag(2 * x.data), atol=1e-8)
    np.testing.assert_allclose(ja, np.diag(2 * x.data))


def test_gradcheck_leaves_inputs_and_their_grads_untouched():
    data = np.array([0.1, 0.2])
    x = Tensor(data, requires_grad=True)
    original = x.data
    x.grad = np.array([7.0, 7.0])
    gradcheck(lambda t: t.exp(), [x])
    assert x.data is original
    np.testing.assert_array_equal(data, [0.1, 0.2])
    np.testing.assert_array_equal(x.grad, [7.0, 7.0])


def test_gradcheck_input_errors():
    with pytest.raises(TypeError, match="list or tuple"):
        gradcheck(lambda t: t, Tensor([1.0], requires_grad=True))
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t, [Tensor([1.0])])
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t, [Tensor(np.ones(2, dtype=np.float32), requires_grad=True)])
    with pytest.raises(TypeError, match="must return a Tensor"):
        gradcheck(lambda t: 3.0, [Tensor([1.0], requires_grad=True)])


@given(tst.arrays(shape=tst.shapes(min_dims=1, max_dims=2, max_side=5), distinct=True, gap=1e-3))
def test_distinct_arrays_keep_elements_apart(a):
    values = np.sort(a.reshape(-1))
    assert a.dtype == np.float64
    assert np.all(np.diff(values) >= 1e-3)
    assert np.all((values >= -3.0) & (values <= 3.0))


@given(tst.arrays(shape=(6,), avoid=(0.0, 1.0), gap=0.05))
def test_avoid_keeps_elements_away_from_kinks(a):
    assert np.all(np.abs(a) >= 0.05) and np.all(np.abs(a - 1.0) >= 0.05)


@given(tst.arrays(shape=(5,), distinct=True, gap=0.01, avoid=(0.0,)))
def test_distinct_and_avoid_combined(a):
    assert np.all(np.abs(a) >= 0.01)
    assert np.all(np.diff(np.sort(a)) >= 0.01)


@given(tst.broadcastable_shapes())
def test_broadcastable_shapes_broadcast(shapes):
    np.broadcast_shapes(*shapes)

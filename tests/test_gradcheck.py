"""gradcheck itself can fail: a deliberately wrong backward is caught and the error names the element."""

import numpy as np
import pytest
from hypothesis import given

from tinygrad_cnn import Function, Tensor, stack
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


# --------------------------------------------------------------------------------- oracles (no PyTorch)
def _with_backward(local):
    """y = x·0 + x (identity forward) whose backward multiplies by ``local(x)`` instead of 1."""

    class Op(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.copy()

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * local(x)

    return Op.apply


def test_a_nan_gradient_is_a_failure_not_a_pass():
    x = Tensor(np.array([0.5, 1.0]), requires_grad=True)
    report = gradcheck(_with_backward(lambda v: np.where(v > 0.7, np.nan, 1.0)), [x], raise_exception=False)
    assert not report and "input element (1,)" in report.message
    assert not gradcheck(_with_backward(lambda v: np.where(v > 0.7, np.nan, 1.0)), [x], fast_mode=True, seed=0,
                         raise_exception=False)
    report = gradcheck(_with_backward(lambda v: np.full_like(v, np.nan)), [x], raise_exception=False)
    assert not report and report.max_abs_error == np.inf


@pytest.mark.parametrize(
    "factor, passes",
    [(1 + 0.9e-3, True), (1 + 2e-3, False), (1 - 2e-3, False), (1.05, False)],
)
def test_the_default_relative_tolerance_is_one_part_in_a_thousand(factor, passes):
    """|a − n| ≤ 1e-5 + 1e-3 |n| with n = 1 (the identity): a backward off by 0.09 % passes, 0.2 % fails."""
    x = Tensor(np.array([0.3, -2.0]), requires_grad=True)
    report = gradcheck(_with_backward(lambda v: np.full_like(v, factor)), [x], raise_exception=False)
    assert bool(report) is passes
    assert report.max_abs_error == pytest.approx(abs(factor - 1), rel=1e-6)


@pytest.mark.parametrize("offset, passes", [(0.9e-5, True), (2e-5, False)])
def test_the_default_absolute_tolerance_is_1e_5(offset, passes):
    """A constant forward (∂ = 0): the analytical gradient ``offset`` is judged by atol alone."""

    class Zero(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 0.0

        @staticmethod
        def backward(ctx, grad):
            return grad * 0.0 + offset

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert bool(gradcheck(Zero.apply, [x], raise_exception=False)) is passes


def test_numerical_grad_weights_the_output_by_grad_output():
    """∂/∂x Σ g ⊙ x² = 2 g x, by hand."""
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    g = np.array([1.0, 10.0, -0.5])
    (grad,) = numerical_grad(lambda t: t * t, [x], grad_output=g)
    np.testing.assert_allclose(grad, 2 * g * x.data, atol=1e-7)
    (ones,) = numerical_grad(lambda t: t * t, [x])
    np.testing.assert_allclose(ones, 2 * x.data, atol=1e-7)


def test_numerical_jacobian_in_closed_form_and_the_step_used():
    """J of (x0 x1, x0 + 2 x1, x1³) at (2, 3) is [[3, 2], [1, 2], [0, 27]]; a cubic's central difference is
    exact up to ε² (3 x² + ε²), so a step 1e-2 shows the ε² term: the step is really ``eps``."""
    x = Tensor(np.array([2.0, 3.0]), requires_grad=True)
    jac = numerical_jacobian(lambda t: stack([t[0] * t[1], t[0] + 2 * t[1], t[1] ** 3]), [x])[0]
    np.testing.assert_allclose(jac, [[3, 2], [1, 2], [0, 27]], atol=1e-6)
    coarse = numerical_jacobian(lambda t: t ** 3, [x], eps=1e-2)[0]
    np.testing.assert_allclose(np.diag(coarse), 3 * x.data**2 + 1e-4, rtol=1e-10)
    ana = analytical_jacobian(lambda t: stack([t[0] * t[1], t[0] + 2 * t[1], t[1] ** 3]), [x])[0]
    np.testing.assert_array_equal(ana, [[3, 2], [1, 2], [0, 27]])


def test_the_report_in_hand_values():
    """A backward giving 4 where the derivative is 12 (x³ at x = 2) and right elsewhere: worst |a − n| = 8,
    relative 8 / 12; the message names the element and counts the wrong entries."""
    x = Tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    report = gradcheck(_WrongCube.apply, [x], raise_exception=False)
    assert report.max_abs_error == pytest.approx(8.0, rel=1e-6)
    assert report.max_rel_error == pytest.approx(8.0 / 12.0, rel=1e-6)
    assert "1 of 9 entries differ" in report.message and "output element 2" in report.message
    assert "(|difference| 8)" in report.message
    good = gradcheck(lambda t: t**3, [x])
    assert good.passed and good.message == "" and 0 < good.max_abs_error < 1e-6 and good.max_rel_error < 1e-6


def test_fast_mode_projection_in_hand_values():
    """fast mode compares uᵀJv; for the identity with a backward doubled, analytical = 2 uᵀv, numerical = uᵀv."""
    x = Tensor(np.array([0.3, -0.2, 0.9]), requires_grad=True)
    report = gradcheck(_with_backward(lambda v: np.full_like(v, 2.0)), [x], fast_mode=True, seed=3,
                       raise_exception=False)
    rng = np.random.default_rng(3)
    u, v = rng.standard_normal(3), rng.standard_normal(3)
    assert not report and report.max_abs_error == pytest.approx(abs(u @ v), rel=1e-6)
    analytical, numerical = (float(part.split(",")[0]) for part in report.message.split("analytical ")[1].split(
        "numerical "))
    assert analytical == pytest.approx(2 * u @ v, rel=1e-9) and numerical == pytest.approx(u @ v, rel=1e-6)


def test_the_shared_finite_differences_in_closed_form_and_restoring_the_array():
    from tinygrad_cnn.testing.finite_differences import differences

    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    d = differences(lambda: float((a**2).sum()), a, eps=1e-3, index=[3, 1], base=30.0)
    np.testing.assert_array_equal(d.index, [3, 1])
    np.testing.assert_allclose(d.central, [8.0, 4.0], rtol=1e-12)  # 2 a, exact for a quadratic
    np.testing.assert_allclose(d.left, [8.0 - 1e-3, 4.0 - 1e-3], rtol=1e-9)  # 2a − ε
    np.testing.assert_allclose(d.right, [8.0 + 1e-3, 4.0 + 1e-3], rtol=1e-9)
    np.testing.assert_allclose(d.minus, [30 - 8e-3 + 1e-6, 30 - 4e-3 + 1e-6], rtol=1e-12)
    seen = []

    def boom():
        seen.append(a.copy())
        raise RuntimeError("f failed")

    with pytest.raises(RuntimeError):
        differences(boom, a, eps=0.5, index=[0])
    np.testing.assert_array_equal(seen[0], [[0.5, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(a, [[1.0, 2.0], [3.0, 4.0]])


def test_the_default_step_is_1e_6():
    """The central difference of c x³ is 3 c x² + c ε² exactly: with c = 10⁶ at x = 0.01 the ε² term is 1e-6
    at ε = 1e-6 (1e-4 at 1e-5, 1e-8 at 1e-7), far above the rounding (~1e-10): each default step is seen."""
    x = Tensor(np.array([0.01]), requires_grad=True)
    cube = lambda t: (t**3) * 1e6
    jac = numerical_jacobian(cube, [x])[0]
    assert abs(jac[0, 0] - 300.0 - 1e-6) < 1e-8
    (grad,) = numerical_grad(cube, [x])
    assert abs(grad[0] - 300.0 - 1e-6) < 1e-8
    report = gradcheck(cube, [x])
    assert abs(report.max_abs_error - 1e-6) < 1e-8


@pytest.mark.parametrize("inputs", [np.array([1.0]), {"x": 1.0}, Tensor([1.0], requires_grad=True)])
def test_inputs_must_be_a_list_or_tuple(inputs):
    with pytest.raises(TypeError, match="inputs must be a list or tuple of Tensors"):
        gradcheck(lambda t: t, inputs)


def test_the_tolerance_boundary_is_inclusive_and_relative_error_uses_abs():
    """|a − n| = atol exactly passes (≤); a wrong backward of a decreasing function (n = −1, a = −2) has
    relative error |a − n| / max(|n|, atol) = 1."""

    class Offset(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 0.0

        @staticmethod
        def backward(ctx, grad):
            return grad * 0.0 + 1e-5

    class WrongNegation(Function):
        @staticmethod
        def forward(ctx, x):
            return -x

        @staticmethod
        def backward(ctx, grad):
            return grad * -2.0

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert gradcheck(Offset.apply, [x])
    report = gradcheck(WrongNegation.apply, [x], raise_exception=False)
    assert report.max_abs_error == pytest.approx(1.0, rel=1e-8)
    assert report.max_rel_error == pytest.approx(1.0, rel=1e-8)


def test_a_constant_function_has_a_zero_jacobian():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    (jac,) = analytical_jacobian(lambda t: Tensor(np.array([1.0, 2.0])), [x])
    np.testing.assert_array_equal(jac, np.zeros((2, 3)))
    assert gradcheck(lambda t: Tensor(np.array([1.0, 2.0])), [x])


@pytest.mark.parametrize("check", [gradcheck, numerical_grad, numerical_jacobian])
def test_bad_arguments_name_the_function_called(check):
    x = Tensor(np.array([1.0]), requires_grad=True)
    name = check.__name__
    with pytest.raises(ValueError, match=f"{name}.*eps"):
        check(lambda t: t, [x], eps=0.0)
    with pytest.raises(TypeError, match=f"{name}: fn must be a callable"):
        check(3, [x])

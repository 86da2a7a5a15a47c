"""Gradients of gradients (issue 18): autograd.grad, backward(create_graph=True), gradgradcheck.

Oracles without PyTorch: hand values, closed forms of the second and third derivatives of tanh, sigmoid,
exp, powers and products; the registry's second-order property test is in tests/test_op_properties.py.
"""

import math

import numpy as np
import pytest

from tinygrad_cnn import Function, Tensor, autograd, optim
from tinygrad_cnn.testing import GradcheckError, gradgradcheck


def _derivatives(f, x0, order):
    """[f'(x0), f''(x0), ...] by repeated autograd.grad with create_graph=True."""
    x = Tensor(np.asarray(x0, dtype=np.float64), requires_grad=True)
    y = f(x).sum()
    out = []
    for k in range(order):
        (y,) = autograd.grad(y, x, create_graph=k < order - 1)
        out.append(y.data.copy())
        y = y.sum()
    return out


X = np.array([-1.3, -0.2, 0.0, 0.4, 2.1])


def test_third_derivatives_of_tanh_are_the_closed_form():
    t = np.tanh(X)
    d1, d2, d3 = _derivatives(lambda x: x.tanh(), X, 3)
    np.testing.assert_allclose(d1, 1 - t**2, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(d2, -2 * t * (1 - t**2), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(d3, -2 * (1 - t**2) * (1 - 3 * t**2), rtol=1e-13, atol=1e-15)


def test_third_derivatives_of_sigmoid_are_the_closed_form():
    s = 1 / (1 + np.exp(-X))
    d1, d2, d3 = _derivatives(lambda x: x.sigmoid(), X, 3)
    np.testing.assert_allclose(d1, s * (1 - s), rtol=1e-14)
    np.testing.assert_allclose(d2, s * (1 - s) * (1 - 2 * s), rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(d3, s * (1 - s) * (1 - 6 * s + 6 * s**2), rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize(("f", "closed"), [
    (lambda x: x * x * x, [lambda v: 3 * v**2, lambda v: 6 * v, lambda v: 6 + 0 * v]),
    (lambda x: x ** 4, [lambda v: 4 * v**3, lambda v: 12 * v**2, lambda v: 24 * v]),
    (lambda x: x.exp(), [np.exp, np.exp, np.exp]),
    (lambda x: (x * x + 1).log(), [lambda v: 2 * v / (v**2 + 1), lambda v: 2 * (1 - v**2) / (v**2 + 1) ** 2,
                                   lambda v: 4 * v * (v**2 - 3) / (v**2 + 1) ** 3]),
    (lambda x: 1 / (x * x + 1), [lambda v: -2 * v / (v**2 + 1) ** 2, lambda v: (6 * v**2 - 2) / (v**2 + 1) ** 3,
                                 lambda v: 24 * v * (1 - v**2) / (v**2 + 1) ** 4]),
    (lambda x: (x * x + 1).sqrt(), [lambda v: v / np.sqrt(v**2 + 1), lambda v: (v**2 + 1) ** -1.5,
                                    lambda v: -3 * v * (v**2 + 1) ** -2.5]),
])
def test_derivatives_to_third_order_match_closed_forms(f, closed):
    got = _derivatives(f, X, 3)
    for k, (value, formula) in enumerate(zip(got, closed)):
        np.testing.assert_allclose(value, formula(X), rtol=1e-12, atol=1e-13, err_msg=f"order {k + 1}")


def test_hessian_of_a_quadratic_form_by_hand():
    a = np.array([[2.0, 1.0], [0.5, 3.0]])
    x = Tensor([0.3, -0.7], requires_grad=True)
    (g,) = autograd.grad(x @ Tensor(a) @ x, x, create_graph=True)  # (A + Aᵀ) x
    np.testing.assert_allclose(g.data, (a + a.T) @ x.data, rtol=1e-15)
    rows = [autograd.grad(g[i], x, retain_graph=True)[0].data for i in range(2)]
    np.testing.assert_allclose(np.array(rows), a + a.T, rtol=1e-15)


def test_mixed_second_derivative_of_a_product():
    x, y = Tensor(1.5, requires_grad=True), Tensor(-2.0, requires_grad=True)
    (dx,) = autograd.grad(x * x * y, x, create_graph=True)  # 2xy
    dxy, dxx = autograd.grad(dx, [y, x])  # 2x, 2y
    assert (dxy.item(), dxx.item()) == (3.0, -4.0)


def test_softmax_log_softmax_and_max_second_order_by_gradgradcheck():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradgradcheck(lambda t: t.softmax(1), [x])
    assert gradgradcheck(lambda t: t.log_softmax(1), [x])
    assert gradgradcheck(lambda t: (t.max(1, keepdim=True).values * t).sum(), [x])


# ----------------------------------------------------------------------------------- the API
def test_grad_does_not_touch_dot_grad_and_returns_tensors():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad((x * x).sum(), x)
    assert isinstance(g, Tensor) and not g.requires_grad
    np.testing.assert_array_equal(g.data, [2.0, 4.0])
    assert x.grad is None


def test_grad_of_several_outputs_sums_them_weighted_by_grad_outputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad([x * 3, x * x], x, grad_outputs=[np.array([1.0, 1.0]), np.array([10.0, 0.0])])
    np.testing.assert_array_equal(g.data, [3 + 20, 3])


def test_unused_input_is_an_error_unless_allowed():
    x, unused = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"inputs\[1\].*allow_unused=True"):
        autograd.grad(x * 2, [x, unused])
    assert autograd.grad(x * 2, [x, unused], allow_unused=True)[1] is None


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda x: autograd.grad(x * 2, [1.0]), TypeError, r"inputs\[0\] must be a Tensor"),
    (lambda x: autograd.grad(Tensor(1.0), x), RuntimeError, r"outputs\[0\] does not require grad"),
    (lambda x: autograd.grad(x * 2, Tensor(1.0)), RuntimeError, r"inputs\[0\] does not require grad"),
    (lambda x: autograd.grad(x.expand(2) * 2, x), ValueError, "one-element outputs"),
    (lambda x: autograd.grad(x * 2, x, grad_outputs=[np.ones(3)]), ValueError, "has shape"),
    (lambda x: autograd.grad(x * 2, x, create_graph=1), TypeError, "create_graph must be True or False"),
    (lambda x: autograd.grad(x * 2, x, retain_graph="yes"), TypeError, "retain_graph"),
])
def test_bad_calls_are_refused_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call(Tensor(1.0, requires_grad=True))


def test_retain_graph_defaults_to_create_graph():
    x = Tensor(2.0, requires_grad=True)
    y = x * x
    autograd.grad(y, x, create_graph=True)
    autograd.grad(y, x)  # the graph was retained by create_graph=True
    with pytest.raises(RuntimeError, match="second time"):
        autograd.grad(y, x)


def test_backward_create_graph_leaves_a_differentiable_tensor_in_dot_grad():
    x = Tensor([1.0, 3.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and x.grad.requires_grad
    np.testing.assert_array_equal(x.grad.data, [3.0, 27.0])
    g = x.grad
    x.grad = None
    (g * g).sum().backward()  # d(9x⁴)/dx = 36x³
    np.testing.assert_array_equal(x.grad, [36.0, 972.0])


def test_a_gradient_penalty_trains_with_an_optimizer():
    rng = np.random.default_rng(1)
    w = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    out = (x @ w).tanh().sum()
    (gx,) = autograd.grad(out, x, create_graph=True)
    penalty = (gx * gx).sum()
    penalty.backward()
    # by hand: gx = (1 − tanh²(xw)) wᵀ; the penalty's gradient in w from finite differences
    def value(wv):
        t = np.tanh(x.data @ wv)
        g = (1 - t**2) @ wv.T
        return float((g * g).sum())
    eps, numerical = 1e-6, np.zeros_like(w.data)
    for idx in np.ndindex(w.shape):
        plus, minus = w.data.copy(), w.data.copy()
        plus[idx] += eps
        minus[idx] -= eps
        numerical[idx] = (value(plus) - value(minus)) / (2 * eps)
    np.testing.assert_allclose(w.grad, numerical, rtol=1e-6, atol=1e-8)
    before = w.data.copy()
    opt.step()
    assert not np.array_equal(w.data, before)


def test_first_order_walk_records_nothing_extra():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert type(x.grad) is np.ndarray


# ------------------------------------------------------------------ never a silent wrong number
class NumpyCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * np.square(x)  # plain numpy: exact at first order only


def test_a_plain_numpy_backward_gives_first_order_and_refuses_the_second_naming_it():
    x = Tensor([2.0], requires_grad=True)
    (g,) = autograd.grad(NumpyCube.apply(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.data, [12.0])
    with pytest.raises(RuntimeError, match=r"NumpyCube\.backward is plain numpy.*differentiable_backward = True"):
        autograd.grad(g.sum(), x)
    with pytest.raises(RuntimeError, match="NumpyCube"):
        gradgradcheck(lambda t: NumpyCube.apply(t).sum(), [Tensor([2.0], requires_grad=True)])


def test_even_a_constant_incoming_gradient_cannot_hide_the_refusal():
    # the gradient flowing into NumpyCube is the seed (no graph), yet its result depends on x: it must refuse
    x = Tensor([2.0], requires_grad=True)
    (g,) = autograd.grad(NumpyCube.apply(x), x, grad_outputs=[np.ones(1)], create_graph=True)
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="NumpyCube"):
        g.sum().backward()


class SavesAnIntermediate(Function):
    differentiable_backward = True  # claimed, but the rule reads a saved intermediate

    @staticmethod
    def forward(ctx, x):
        square = x * x
        ctx.save_for_backward(square)
        return square * x

    @staticmethod
    def backward(ctx, grad):
        (square,) = ctx.saved_tensors
        return grad * 3 * square


def test_a_saved_intermediate_is_refused_rather_than_taken_as_a_constant():
    x = Tensor([2.0], requires_grad=True)
    np.testing.assert_array_equal(autograd.grad(SavesAnIntermediate.apply(x).sum(), x)[0].data, [12.0])
    with pytest.raises(RuntimeError, match=r"SavesAnIntermediate\.backward cannot be differentiated.*saved array #0"):
        autograd.grad(SavesAnIntermediate.apply(x).sum(), x, create_graph=True)


def test_gradgradcheck_catches_a_wrong_second_derivative():
    class WrongSecond(Function):
        differentiable_backward = True

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * (x * x.detach() if isinstance(x, Tensor) else x * x)  # half the graph cut

    x = Tensor([0.5, 2.0], requires_grad=True)
    with pytest.raises(GradcheckError, match="input 0"):
        gradgradcheck(lambda t: WrongSecond.apply(t).sum(), [x])
    assert not gradgradcheck(lambda t: WrongSecond.apply(t).sum(), [x], raise_exception=False)


def test_gradgradcheck_uses_the_given_grad_outputs():
    x = Tensor([0.5, 2.0], requires_grad=True)
    assert gradgradcheck(lambda t: t * t * t, [x], grad_outputs=np.array([1.0, -2.0]))
    with pytest.raises(ValueError, match="grad_outputs has shape"):
        gradgradcheck(lambda t: t * t, [x], grad_outputs=np.ones(3))


def test_zero_dimensional_outputs_stay_the_saved_output():
    # np.exp of a 0-d array is a numpy scalar: the saved output must still be the output at second order
    for f, d2 in [(lambda t: t.exp(), math.exp(0.7)), (lambda t: 1 / t, 2 / 0.7**3), (lambda t: t.tanh(),
                  -2 * math.tanh(0.7) * (1 - math.tanh(0.7) ** 2))]:
        got = _derivatives(f, 0.7, 2)[1]
        assert math.isclose(float(got), d2, rel_tol=1e-13)


def test_pow_second_derivative_in_the_exponent_at_zero_is_the_true_one():
    # d/da a^b = b·a^(b−1); its derivative in b at b = 0 is a^(−1). PyTorch 2.13 gives 0 there (it masks
    # b·a^(b−1) to 0 wherever b = 0); we mask only where the formula is 0·inf or 0·NaN (deliberate, README)
    a, b = Tensor(1.25, requires_grad=True), Tensor(0.0, requires_grad=True)
    (da,) = autograd.grad(a ** b, a, create_graph=True)
    assert da.item() == 0.0 and math.copysign(1, da.item()) == 1
    (dab,) = autograd.grad(da, b)
    assert dab.item() == pytest.approx(1 / 1.25, rel=1e-15)
    zero = Tensor(0.0, requires_grad=True)
    (d0,) = autograd.grad(zero ** Tensor(0.0, requires_grad=True), zero)
    assert d0.item() == 0.0  # 0^0: the masked 0, as PyTorch (not 0·inf = NaN)

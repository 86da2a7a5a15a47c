"""tinygrad_cnn.autograd.functional without PyTorch: closed forms, return structure, bad input, strict mode.

The comparisons with torch.autograd.functional are in tests/test_autograd_functional_torch.py.
"""

import numpy as np
import pytest

import tinygrad_cnn
from tinygrad_cnn import Tensor, autograd, no_grad
from tinygrad_cnn.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

RNG = np.random.default_rng(18)
A = RNG.standard_normal((3, 3))
M = RNG.standard_normal((4, 3))
X0 = np.array([0.7, -1.1, 0.4])
V0 = np.array([0.3, 1.0, -0.5])


def _t(a):
    return Tensor(np.array(a, dtype=np.float64))


# ------------------------------------------------------------------------------------------ closed forms
def test_the_hessian_of_a_quadratic_form_is_a_plus_a_transpose():
    np.testing.assert_allclose(hessian(lambda x: x @ _t(A) @ x, _t(X0)).data, A + A.T, rtol=1e-14)


def test_the_jacobian_of_a_linear_map_is_its_matrix():
    b = _t(RNG.standard_normal(4))
    np.testing.assert_allclose(jacobian(lambda x: _t(M) @ x + b, _t(X0)).data, M, rtol=1e-15)


@pytest.mark.parametrize(("f", "second"), [
    (lambda x: x.exp(), np.exp),
    (lambda x: x.tanh(), lambda v: -2 * np.tanh(v) * (1 - np.tanh(v) ** 2)),
    (lambda x: x.sigmoid(), lambda v: (s := 1 / (1 + np.exp(-v))) * (1 - s) * (1 - 2 * s)),
    (lambda x: x ** 4, lambda v: 12 * v**2),
    (lambda x: (x * x + 1).log(), lambda v: 2 * (1 - v**2) / (v**2 + 1) ** 2),
])
def test_an_elementwise_sum_has_a_diagonal_hessian_of_second_derivatives(f, second):
    h = hessian(lambda x: f(x).sum(), _t(X0)).data
    np.testing.assert_allclose(h, np.diag(second(X0)), rtol=1e-12, atol=1e-15)


def test_the_products_are_the_jacobian_and_hessian_times_v():
    f = lambda x: (_t(M) @ x).tanh()  # noqa: E731
    j = jacobian(f, _t(X0)).data  # (4, 3)
    u = RNG.standard_normal(4)
    np.testing.assert_allclose(vjp(f, _t(X0), _t(u))[1].data, u @ j, rtol=1e-13)
    np.testing.assert_allclose(jvp(f, _t(X0), _t(V0))[1].data, j @ V0, rtol=1e-13)
    g = lambda x: (_t(M) @ x).tanh().sum() * (x * x).sum()  # noqa: E731
    h = hessian(g, _t(X0)).data
    np.testing.assert_allclose(h, h.T, rtol=1e-13)
    np.testing.assert_allclose(hvp(g, _t(X0), _t(V0))[1].data, h @ V0, rtol=1e-12)
    np.testing.assert_allclose(vhp(g, _t(X0), _t(V0))[1].data, V0 @ h, rtol=1e-12)


def test_the_hessian_of_several_inputs_has_the_mixed_blocks():
    # f(x, y) = (x·x) y²: ∂²f/∂x² = 2y² I, ∂²f/∂x∂y = 4xy, ∂²f/∂y² = 2 x·x
    y0 = 1.5
    h = hessian(lambda x, y: (x * x).sum() * y * y, (_t(X0), _t(y0)))
    assert [[b.shape for b in row] for row in h] == [[(3, 3), (3,)], [(3,), ()]]
    np.testing.assert_allclose(h[0][0].data, 2 * y0**2 * np.eye(3), rtol=1e-15)
    np.testing.assert_allclose(h[0][1].data, 4 * X0 * y0, rtol=1e-15)
    np.testing.assert_allclose(h[1][0].data, 4 * X0 * y0, rtol=1e-15)
    np.testing.assert_allclose(h[1][1].data, 2 * X0 @ X0, rtol=1e-15)


def test_prod_over_an_axis_and_max_are_differentiable_three_times():
    # regressions: prod over an axis of a 2-d input had a wrong create_graph gradient; hvp through max, var failed
    x = _t([[0.5, -1.2, 2.0]])
    h = hessian(lambda x: x.prod(1).sum(), x).data.reshape(3, 3)
    expected = np.array([[0, 2.0, -1.2], [2.0, 0, 0.5], [-1.2, 0.5, 0]])
    np.testing.assert_allclose(h, expected, rtol=1e-15)
    v = _t([[1.0, 0.3, -0.7]])
    np.testing.assert_allclose(hvp(lambda x: x.prod(), x, v)[1].data.reshape(3), expected @ v.data[0], rtol=1e-14)
    for f in (lambda x: (x * x).max() * x.sum(), lambda x: x.var() ** 2):  # var: 2/(n − c) was refused
        np.testing.assert_allclose(hvp(f, _t(X0), _t(V0))[1].data, hessian(f, _t(X0)).data @ V0, rtol=1e-13)


# --------------------------------------------------------------------------------------------- structure
def test_single_and_tuple_structure_follows_the_call():
    x, y = _t(X0), _t([2.0, -1.0])
    assert isinstance(jacobian(lambda x: x * 2, x), Tensor)
    single_out = jacobian(lambda x, y: x * y.sum(), (x, y))
    assert isinstance(single_out, tuple) and [j.shape for j in single_out] == [(3, 3), (3, 2)]
    single_in = jacobian(lambda x: (x, x.sum()), x)
    assert isinstance(single_in, tuple) and [j.shape for j in single_in] == [(3, 3), (3,)]
    both = jacobian(lambda x, y: (x * y.sum(), y * 3), (x, y))
    assert [[j.shape for j in row] for row in both] == [[(3, 3), (3, 2)], [(2, 3), (2, 2)]]
    one_tuple = jacobian(lambda x: x * 2, (x,))
    assert isinstance(one_tuple, tuple) and len(one_tuple) == 1
    assert isinstance(hessian(lambda x: x.sum() ** 2, (x,))[0], tuple)
    out, g = vjp(lambda x, y: (x * y.sum()).sum(), (x, y))
    assert isinstance(out, Tensor) and isinstance(g, tuple) and len(g) == 2
    out, t = jvp(lambda x: (x, x * 2), x, _t(V0))
    assert isinstance(out, tuple) and isinstance(t, tuple) and len(t) == 2
    out, p = hvp(lambda x, y: (x * x).sum() * y, (x, _t(2.0)), (_t(V0), _t(1.0)))
    assert isinstance(out, Tensor) and [q.shape for q in p] == [(3,), ()]


def test_results_have_no_graph_unless_create_graph_and_the_caller_gets_no_grad():
    x = Tensor(X0, requires_grad=True)
    h = hessian(lambda x: (x ** 3).sum(), x)
    assert not h.requires_grad and x.grad is None
    out, g = vjp(lambda x: (x ** 3).sum(), x)
    assert not out.requires_grad and not g.requires_grad
    h = hessian(lambda x: (x ** 3).sum(), x, create_graph=True)  # diag(6x): its sum has gradient 6
    assert h.requires_grad
    (third,) = autograd.grad(h.sum(), x)
    np.testing.assert_allclose(third.data, [6.0, 6.0, 6.0])


def test_works_under_no_grad_and_the_package_exposes_it_as_torch_does():
    with no_grad():
        np.testing.assert_allclose(hessian(lambda x: (x * x).sum(), _t(X0)).data, 2 * np.eye(3))
    assert tinygrad_cnn.autograd.functional.hessian is hessian


def test_an_unused_input_gets_zeros_or_a_strict_error():
    x, y = _t(X0), _t([1.0, 2.0])
    j = jacobian(lambda x, y: x * 2, (x, y))
    np.testing.assert_array_equal(j[1].data, np.zeros((3, 2)))
    np.testing.assert_array_equal(hessian(lambda x: x.sum(), x).data, np.zeros((3, 3)))  # linear: H = 0
    with pytest.raises(RuntimeError, match="independent of input 1"):
        jacobian(lambda x, y: x * 2, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        vjp(lambda x: Tensor(np.ones(3)), x, _t(V0), strict=True)
    with pytest.raises(RuntimeError, match="linear"):
        hessian(lambda x: x.sum(), x, strict=True)


# ------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: jacobian(3, _t(X0)), TypeError, "func must be a callable"),
    (lambda: jacobian(lambda x: x, [_t(X0)]), TypeError, "inputs must be a Tensor"),
    (lambda: jacobian(lambda x: x, (_t(X0), 2.0)), TypeError, r"inputs\[1\] must be a Tensor"),
    (lambda: jacobian(lambda x: x, ()), ValueError, "non-empty tuple"),
    (lambda: jacobian(lambda x: x, Tensor(np.array([1, 2]))), TypeError, "floating-point"),
    (lambda: jacobian(lambda x: [x], _t(X0)), TypeError, "func must return a Tensor or a tuple"),
    (lambda: jacobian(lambda x: x, _t(X0), create_graph=1), TypeError, "create_graph must be True or False"),
    (lambda: jacobian(lambda x: x, _t(X0), strict="no"), TypeError, "strict must be True or False"),
    (lambda: jacobian(lambda x: x, _t(X0), strategy="sideways"), ValueError, "strategy must be"),
    (lambda: jacobian(lambda x: x, _t(X0), strategy="forward-mode"), NotImplementedError, "forward-mode"),
    (lambda: hessian(lambda x: x * 2, _t(X0)), ValueError, "one element.*shape \\(3,\\)"),
    (lambda: hessian(lambda x: (x.sum(), x.sum()), _t(X0)), TypeError, "single Tensor"),
    (lambda: hessian(lambda x: x.sum(), _t(X0), outer_jacobian_strategy="x"), ValueError,
     "outer_jacobian_strategy"),
    (lambda: vjp(lambda x: x * 2, _t(X0)), ValueError, "v can be omitted only"),
    (lambda: vjp(lambda x: x * 2, _t(X0), _t([1.0, 2.0])), ValueError, r"v has shape \(2,\), expected \(3,\)"),
    (lambda: vjp(lambda x: x * 2, _t(X0), np.ones(3)), TypeError, "v must be a Tensor"),
    (lambda: jvp(lambda x: x * 2, _t(X0)), ValueError, "v can be omitted only when inputs"),
    (lambda: jvp(lambda x, y: x * y, (_t(X0), _t(X0)), (_t(V0),)), ValueError, "one Tensor per tensor"),
    (lambda: jvp(lambda x, y: x * y, (_t(X0), _t(X0)), (_t(V0), _t([1.0]))), ValueError, r"v\[1\] has shape"),
    (lambda: hvp(lambda x: x * 2, _t(X0), _t(V0)), ValueError, "hvp: func must return a single Tensor"),
    (lambda: vhp(lambda x: 2.0, _t(X0), _t(V0)), TypeError, "vhp: func must return a single Tensor"),
])
def test_bad_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_v_may_be_omitted_for_one_element():
    out, g = vjp(lambda x: (x * x).sum(), _t(X0))
    np.testing.assert_allclose(g.data, 2 * X0)
    out, d = jvp(lambda x: x ** 3, _t(2.0))
    assert d.item() == 12.0
    out, p = hvp(lambda x: x ** 3, _t(2.0))
    assert p.item() == 12.0

"""tinygrad_cnn.autograd.functional against torch.autograd.functional (float64, rtol 1e-10): every function's
values and return structure, Hessian-vector products through elementwise/reduction/matmul compositions, and a
gradient penalty ‖∂f/∂x‖² backpropagated to the parameters of a small MLP. Skipped without PyTorch."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
TF = torch.autograd.functional

import tinygrad_cnn as tg  # noqa: E402
from tinygrad_cnn import autograd  # noqa: E402
from tinygrad_cnn.autograd import functional as F  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12
RNG = np.random.default_rng(1818)
A = RNG.standard_normal((4, 4))
B = RNG.standard_normal((3, 4))
W = RNG.standard_normal(4)


def _both(array):
    return tg.Tensor(np.array(array)), torch.tensor(np.array(array))


def _close(ours, theirs):
    """Same structure (Tensor vs tuple, nesting, shapes) and values."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _close(o, t)
        return
    assert isinstance(ours, tg.Tensor), type(ours)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=RTOL, atol=ATOL)


# name: (ours, theirs) as functions of one (4,) input; each is a scalar, for the Hessian-vector products
COMPOSITIONS = {
    "quadratic form": (lambda x: x @ tg.Tensor(A) @ x, lambda x: x @ torch.tensor(A) @ x),
    "tanh of a matmul": (lambda x: (tg.Tensor(B) @ x).tanh().sum(), lambda x: torch.tanh(torch.tensor(B) @ x).sum()),
    "sigmoid squared error": (lambda x: ((tg.Tensor(B) @ x).sigmoid() - 0.5).pow(2).sum(),
                              lambda x: (torch.sigmoid(torch.tensor(B) @ x) - 0.5).pow(2).sum()),
    "log-sum-exp": (lambda x: (x * x).exp().sum().log(), lambda x: (x * x).exp().sum().log()),
    "softmax · w": (lambda x: (x.softmax(0) * tg.Tensor(W)).sum(),
                    lambda x: (torch.softmax(x, 0) * torch.tensor(W)).sum()),
    "mean·var": (lambda x: x.mean() * x.var(), lambda x: x.mean() * x.var()),
    "max and prod": (lambda x: (x * x).max() + x.reshape(2, 2).prod(1).sum(),
                     lambda x: (x * x).max() + x.reshape(2, 2).prod(1).sum()),
    "outer product and sqrt": (lambda x: ((x.reshape(4, 1) @ x.reshape(1, 4)) ** 2 + 1).sqrt().mean(),
                               lambda x: ((x.reshape(4, 1) @ x.reshape(1, 4)) ** 2 + 1).sqrt().mean()),
}
X0 = np.array([0.3, -0.8, 1.1, 0.5])
V0 = np.array([1.0, -0.4, 0.25, 2.0])


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_hessian_vector_products_match_pytorch(name):
    ours, theirs = COMPOSITIONS[name]
    (x, xt), (v, vt) = _both(X0), _both(V0)
    for fn in ("hvp", "vhp"):
        _close(getattr(F, fn)(ours, x, v), getattr(TF, fn)(theirs, xt, vt))
    _close(F.hessian(ours, x), TF.hessian(theirs, xt))


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_jacobian_vjp_jvp_of_the_gradient_match_pytorch(name):
    ours, theirs = COMPOSITIONS[name]
    (x, xt), (v, vt) = _both(X0), _both(V0)
    grad_ours = lambda x: autograd.grad(ours(x), x, create_graph=True)[0]  # noqa: E731
    grad_theirs = lambda x: torch.autograd.grad(theirs(x), x, create_graph=True)[0]  # noqa: E731
    _close(F.jacobian(grad_ours, x), TF.jacobian(grad_theirs, xt))
    _close(F.vjp(grad_ours, x, v), TF.vjp(grad_theirs, xt, vt))
    _close(F.jvp(grad_ours, x, v), TF.jvp(grad_theirs, xt, vt))


def test_several_inputs_and_outputs_have_pytorchs_structure():
    (x, xt), (y, yt) = _both(X0), _both([2.0, -0.5])
    (vx, vxt), (vy, vyt) = _both(V0), _both([0.1, 0.7])

    def make(lib):
        def f(x, y):
            return (x * y.sum(), lib(x).sum() * y)
        return f

    ours, theirs = make(lambda t: t.tanh()), make(torch.tanh)
    for inputs in (((x, y), (xt, yt)), ((x,), (xt,))):
        if len(inputs[0]) == 1:
            o, t = (lambda x: ours(x, y)), (lambda x: theirs(x, yt))
        else:
            o, t = ours, theirs
        _close(F.jacobian(o, inputs[0]), TF.jacobian(t, inputs[1]))
    _close(F.jacobian(lambda x: ours(x, y)[0], x), TF.jacobian(lambda x: theirs(x, yt)[0], xt))
    _close(F.jvp(ours, (x, y), (vx, vy)), TF.jvp(theirs, (xt, yt), (vxt, vyt)))
    u, ut = _both(RNG.standard_normal(4))
    _close(F.vjp(ours, (x, y), (u, vy)), TF.vjp(theirs, (xt, yt), (ut, vyt)))
    scalar_o = lambda x, y: (x.tanh() * y[0]).sum() * (y * y).sum()  # noqa: E731
    scalar_t = lambda x, y: (torch.tanh(x) * y[0]).sum() * (y * y).sum()  # noqa: E731
    _close(F.hessian(scalar_o, (x, y)), TF.hessian(scalar_t, (xt, yt)))
    for fn in ("hvp", "vhp"):
        _close(getattr(F, fn)(scalar_o, (x, y), (vx, vy)), getattr(TF, fn)(scalar_t, (xt, yt), (vxt, vyt)))


def test_unused_inputs_and_linear_functions_give_zeros_as_in_pytorch():
    (x, xt), (y, yt) = _both(X0), _both([1.0, 2.0])
    _close(F.jacobian(lambda x, y: x * 2, (x, y)), TF.jacobian(lambda x, y: x * 2, (xt, yt)))
    _close(F.hessian(lambda x, y: x.sum() + y.sum(), (x, y)), TF.hessian(lambda x, y: x.sum() + y.sum(), (xt, yt)))
    _close(F.hvp(lambda x: x.sum(), x, x), TF.hvp(lambda x: x.sum(), xt, xt))


def test_create_graph_results_differentiate_again_as_in_pytorch():
    ours, theirs = COMPOSITIONS["tanh of a matmul"]
    x = tg.Tensor(X0, requires_grad=True)
    xt = torch.tensor(X0, requires_grad=True)
    (v, vt) = _both(V0)
    _, p = F.hvp(ours, x, v, create_graph=True)
    _, pt = TF.hvp(theirs, xt, vt, create_graph=True)
    _close(autograd.grad((p * p).sum(), x)[0], torch.autograd.grad((pt * pt).sum(), xt)[0])
    h = F.hessian(ours, x, create_graph=True)
    ht = TF.hessian(theirs, xt, create_graph=True)
    _close(autograd.grad(h.sum(), x)[0], torch.autograd.grad(ht.sum(), xt)[0])


def test_a_gradient_penalty_backpropagates_to_the_mlp_parameters_as_in_pytorch():
    """‖∂f/∂x‖² for f = Σ MLP(x) (tanh hidden layer, sigmoid output), differentiated with respect to every
    parameter: a second derivative through matmul, tanh, sigmoid and the broadcast bias."""
    x0 = RNG.standard_normal((5, 3))
    shapes = {"w1": (3, 6), "b1": (6,), "w2": (6, 2), "b2": (2,)}
    values = {k: RNG.standard_normal(s) for k, s in shapes.items()}

    def penalty(lib, params, x):
        hidden = lib["tanh"](x @ params["w1"] + params["b1"])
        f = lib["sigmoid"](hidden @ params["w2"] + params["b2"]).sum()
        (dx,) = lib["grad"](f, x)
        return (dx * dx).sum()

    ours = {k: tg.Tensor(v, requires_grad=True) for k, v in values.items()}
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in values.items()}
    lib_ours = {"tanh": lambda t: t.tanh(), "sigmoid": lambda t: t.sigmoid(),
                "grad": lambda f, x: autograd.grad(f, x, create_graph=True)}
    lib_theirs = {"tanh": torch.tanh, "sigmoid": torch.sigmoid,
                  "grad": lambda f, x: torch.autograd.grad(f, x, create_graph=True)}
    p = penalty(lib_ours, ours, tg.Tensor(x0, requires_grad=True))
    pt = penalty(lib_theirs, theirs, torch.tensor(x0, requires_grad=True))
    np.testing.assert_allclose(p.item(), pt.item(), rtol=RTOL)
    p.backward()
    pt.backward()
    for key in shapes:
        np.testing.assert_allclose(ours[key].grad, theirs[key].grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=key)
    # the same second derivatives through autograd.functional: the Hessian of the loss in the output bias
    def loss(lib, b2):
        hidden = lib["tanh"](tg.Tensor(x0) @ ours["w1"].detach() + ours["b1"].detach())
        return lib["sigmoid"](hidden @ ours["w2"].detach() + b2).pow(2).sum()
    loss_t = lambda b2: torch.sigmoid(torch.tanh(torch.tensor(x0) @ torch.tensor(values["w1"])  # noqa: E731
                                                 + torch.tensor(values["b1"])) @ torch.tensor(values["w2"])
                                      + b2).pow(2).sum()
    _close(F.hessian(lambda b: loss(lib_ours, b), tg.Tensor(values["b2"])),
           TF.hessian(loss_t, torch.tensor(values["b2"])))

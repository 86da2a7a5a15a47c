"""Second derivatives through conv2d and pooling agree with PyTorch's double backward (float64, rtol 1e-10).

Hessian-vector products ``H·v = ∂(∂L/∂θ · v)/∂θ`` through conv2d with stride, padding, dilation and groups,
through each pooling (max without ties, average with count_include_pad and ceil_mode, Lp), and a gradient
penalty ‖∂L/∂x‖² through a small Conv→MaxPool→Linear net, backpropagated to its parameters. Oracles without
PyTorch: tests/test_higher_order_conv.py and the registry's gradgradcheck (tests/test_op_properties.py).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
F_torch = torch.nn.functional

from tinygrad_cnn import Tensor, autograd  # noqa: E402
from tinygrad_cnn import functional as F  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12


def _hvp_ours(loss, arrays, vectors):
    inputs = [Tensor(a, requires_grad=True) for a in arrays]
    grads = autograd.grad(loss(*inputs), inputs, create_graph=True)
    directional = sum((g * Tensor(v)).sum() for g, v in zip(grads, vectors))
    return [g.data for g in grads], [h.data for h in autograd.grad(directional, inputs)]


def _hvp_torch(loss, arrays, vectors):
    inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    grads = torch.autograd.grad(loss(*inputs), inputs, create_graph=True)
    directional = sum((g * torch.tensor(v)).sum() for g, v in zip(grads, vectors))
    return [g.detach().numpy() for g in grads], [h.numpy() for h in torch.autograd.grad(directional, inputs)]


def _agree(ours_loss, torch_loss, arrays, seed=0):
    vectors = [np.random.default_rng(seed).standard_normal(a.shape) for a in arrays]
    ours, theirs = _hvp_ours(ours_loss, arrays, vectors), _hvp_torch(torch_loss, arrays, vectors)
    for mine, reference in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
        assert np.abs(reference).max() > 1e-3  # a gradient or H·v of (near) zeros would make the comparison empty
        np.testing.assert_allclose(mine, reference, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("options", [
    {"stride": 1, "padding": 0, "dilation": 1, "groups": 1},
    {"stride": 2, "padding": 1, "dilation": 1, "groups": 2},
    {"stride": 1, "padding": 2, "dilation": 2, "groups": 1},
    {"stride": (2, 1), "padding": (0, 1), "dilation": (1, 2), "groups": 3},
])
def test_conv2d_hessian_vector_products_match_pytorch(options):
    rng = np.random.default_rng(1)
    groups = options["groups"]
    x, w, b = rng.normal(size=(2, 6, 7, 6)), rng.normal(size=(6, 6 // groups, 3, 2)) * 0.2, rng.normal(size=6) * 0.2
    # tanh makes the loss non-quadratic in (x, w, b), so the Hessian has every block, x–x and w–w too (weights
    # small enough that tanh does not saturate: its derivatives would be ~0 and the comparison empty)
    _agree(lambda x, w, b: F.conv2d(x, w, b, **options).tanh().sum(),
           lambda x, w, b: F_torch.conv2d(x, w, b, **options).tanh().sum(), [x, w, b])


def _distinct(shape, seed=2):
    """Values pairwise apart by ≥ 0.05 (no ties within a max-pooling window)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.05 - 1.0


@pytest.mark.parametrize("options", [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 1, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": 2, "stride": 1, "dilation": 2},
])
def test_max_pool2d_hessian_vector_products_match_pytorch(options):
    _agree(lambda x: (F.max_pool2d(x, **options) ** 3).sum(),
           lambda x: (F_torch.max_pool2d(x, **options) ** 3).sum(), [_distinct((2, 2, 7, 6))])


@pytest.mark.parametrize("options", [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": 2, "stride": 1, "divisor_override": 3},
])
def test_avg_pool2d_hessian_vector_products_match_pytorch(options):
    x = np.random.default_rng(3).normal(size=(2, 2, 7, 6))
    _agree(lambda x: (F.avg_pool2d(x, **options) ** 3).sum(),
           lambda x: (F_torch.avg_pool2d(x, **options) ** 3).sum(), [x])


@pytest.mark.parametrize("p", [1.5, 2, 3])
@pytest.mark.parametrize("options", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 1}])
def test_lp_pool2d_hessian_vector_products_match_pytorch(p, options):
    # positive inputs, windows inside the input (PyTorch's ceil-mode Lp scales the last window: a documented
    # difference); the loss is not linear in z, so the second derivative of z itself meets the one of the loss
    x = np.random.default_rng(4).uniform(0.2, 2.0, size=(2, 2, 6, 5))
    _agree(lambda x: (F.lp_pool2d(x, p, **options) ** 3).sum(),
           lambda x: (F_torch.lp_pool2d(x, p, **options) ** 3).sum(), [x])


def test_a_gradient_penalty_through_conv_maxpool_linear_matches_pytorch():
    # P = ‖∂L/∂x‖² for L the cross-entropy of Conv→tanh→MaxPool→Linear, backpropagated to every parameter
    rng = np.random.default_rng(5)
    x = _distinct((3, 1, 6, 6), seed=6)
    params = [rng.normal(size=(4, 1, 3, 3)) * 0.5, rng.normal(size=4) * 0.1, rng.normal(size=(3, 16)) * 0.3,
              rng.normal(size=3) * 0.1]
    labels = np.array([0, 2, 1])

    def penalty(lib, fn, x, cw, cb, lw, lb):
        h = fn.max_pool2d(fn.conv2d(x, cw, cb, padding=1).tanh(), 2)  # (3, 4, 3, 3)
        logits = fn.linear(h.reshape(3, -1)[:, :16], lw, lb)
        loss = fn.cross_entropy(logits, labels if lib is F else torch.tensor(labels))
        grad = autograd if lib is F else torch.autograd
        (gx,) = grad.grad(loss, x, create_graph=True)
        return (gx * gx).sum()

    ours = [Tensor(a, requires_grad=True) for a in [x, *params]]
    theirs = [torch.tensor(a, requires_grad=True) for a in [x, *params]]
    p_ours, p_theirs = penalty(F, F, *ours), penalty(F_torch, F_torch, *theirs)
    p_ours.backward()
    p_theirs.backward()
    np.testing.assert_allclose(p_ours.item(), p_theirs.item(), rtol=RTOL)
    assert p_theirs.item() > 1e-6  # the penalty is not vacuous
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_float16_lp_pooling_is_finite_where_pytorchs_overflows():
    # the README's deliberate difference: we compute float16 in float32 (a³ of 300 fits), PyTorch's float16
    # forward overflows to inf; its gradient is NaN or 0 there, ours the float16 rounding of the float64 one
    x = np.array([[[[300.0, 200.0], [100.0, 250.0]]]])
    ours = Tensor(x.astype(np.float16), requires_grad=True)
    z = F.lp_pool2d(ours, 3, 2)
    z.backward(np.ones(z.shape, np.float16))
    theirs = torch.tensor(x, dtype=torch.float16, requires_grad=True)
    z_torch = F_torch.lp_pool2d(theirs, 3, 2)
    z_torch.sum().backward()
    assert np.isfinite(z.data).all() and np.isfinite(ours.grad).all()
    np.testing.assert_allclose(z.data, np.cbrt((x**3).sum()), rtol=1e-3)
    assert not torch.isfinite(z_torch).all()
    assert not torch.isfinite(theirs.grad).all()

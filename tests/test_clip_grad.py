"""``clip_grad_norm_``/``clip_grad_value_`` with non-finite gradients: hand-computed expectations (no PyTorch),
then the same grid against ``torch.nn.utils``.

PyTorch's rule, which ours follows: the total norm propagates NaN (also for ``norm_type=inf``), and every gradient
is multiplied by ``min(max_norm / (total + 1e-6), 1)``: a NaN total makes every gradient NaN, an infinite total
multiplies by 0 (so the infinite element becomes inf·0 = NaN and the others 0).
"""

import math

import numpy as np
import pytest

from tinygrad_cnn import Tensor
from tinygrad_cnn.nn.utils import clip_grad_norm_, clip_grad_value_

NAN, INF = math.nan, math.inf
NORMS = [0.5, 1.0, 2.0, 3.0, INF]


def _params(first, second=(3.0, 4.0), dtype=np.float64):
    a, b = Tensor(np.zeros(2, dtype), requires_grad=True), Tensor(np.zeros(2, dtype), requires_grad=True)
    a.grad, b.grad = np.array(first, dtype), np.array(second, dtype)
    return a, b


@pytest.mark.parametrize("norm_type", NORMS)
def test_a_nan_gradient_makes_the_total_and_every_gradient_nan(norm_type):
    a, b = _params([NAN, 1.0])
    total = clip_grad_norm_([a, b], 1.0, norm_type)
    assert math.isnan(total)  # Python's max() used to skip the NaN for norm_type=inf (total 4.0)
    assert np.isnan(a.grad).all() and np.isnan(b.grad).all()  # used to be left unscaled for finite p


@pytest.mark.parametrize("norm_type", NORMS)
@pytest.mark.parametrize("bad", [INF, -INF])
def test_an_infinite_gradient_scales_everything_by_zero(norm_type, bad):
    a, b = _params([bad, 1.0])
    assert clip_grad_norm_([a, b], 1.0, norm_type) == INF
    np.testing.assert_array_equal(a.grad, [NAN, 0.0])  # inf·0
    np.testing.assert_array_equal(b.grad, [0.0, 0.0])


@pytest.mark.parametrize("norm_type", NORMS)
@pytest.mark.parametrize("bad", [NAN, INF])
def test_error_if_nonfinite_raises_and_changes_nothing(norm_type, bad):
    a, b = _params([bad, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([a, b], 1.0, norm_type, error_if_nonfinite=True)
    np.testing.assert_array_equal(a.grad, [bad, 1.0])
    np.testing.assert_array_equal(b.grad, [3.0, 4.0])


def test_finite_gradients_below_the_limit_are_untouched_and_above_are_scaled():
    a, b = _params([0.0, 0.0], [3.0, 4.0])
    assert clip_grad_norm_([a, b], 10.0) == 5.0
    np.testing.assert_array_equal(b.grad, [3.0, 4.0])
    assert clip_grad_norm_([a, b], 1.0, INF) == 4.0
    np.testing.assert_allclose(b.grad, [3.0 / (4 + 1e-6), 4.0 / (4 + 1e-6)], rtol=1e-15)


def test_clip_grad_value_keeps_nan_and_clips_infinities():
    a, b = _params([NAN, INF], [-INF, 0.5])
    clip_grad_value_([a, b], 1.0)
    np.testing.assert_array_equal(a.grad, [NAN, 1.0])
    np.testing.assert_array_equal(b.grad, [-1.0, 0.5])


def _grid():
    values = [NAN, INF, -INF, 1e30, 0.0]
    return [(p, v, where, dtype) for p in NORMS for v in values for where in (0, 1)
            for dtype in ("float32", "float64")]


@pytest.mark.parametrize("norm_type, value, where, dtype", _grid())
def test_matches_torch(norm_type, value, where, dtype):
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    grads = [np.array([value, 1.0, -2.0]), np.array([[3.0, 4.0], [0.5, -0.25]])]
    grads[where] = grads[where][::-1].copy()
    ours = [Tensor(np.zeros(g.shape, dtype), requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=getattr(torch, dtype), requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = g.astype(dtype), torch.tensor(g.astype(dtype))
    total = clip_grad_norm_(ours, 1.0, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(total, expected.item(), rtol=rtol)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=rtol, atol=0)

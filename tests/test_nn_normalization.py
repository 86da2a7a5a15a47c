"""BatchNorm and Dropout: hand-computed values, train/eval behaviour, and the backward against finite differences.

The backward rule is (B2)–(B5) of textbook/MATH.md, section "BatchNorm"; the running statistics follow (B6).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn
import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, nn
from tinygrad_cnn.ops.normalization import batch_norm
from tinygrad_cnn.testing import gradcheck
from tinygrad_cnn.testing import strategies as tst

X = np.arange(2 * 2 * 3, dtype=np.float64).reshape(2, 2, 3) ** 1.5  # (N=2, C=2, L=3), channels differ


def _per_channel(x):
    axes = (0,) + tuple(range(2, x.ndim))
    return x.mean(axis=axes), x.var(axis=axes), x.var(axis=axes, ddof=1)


def test_training_normalizes_with_batch_statistics_and_updates_running_ones():
    bn = nn.BatchNorm1d(2, dtype=np.float64)
    bn.weight.data = np.array([2.0, 0.5])
    bn.bias.data = np.array([1.0, -1.0])
    y = bn(Tensor(X))
    mean, var, unbiased = _per_channel(X)
    expected = (X - mean[None, :, None]) / np.sqrt(var[None, :, None] + 1e-5) * np.array([2.0, 0.5])[None, :, None]
    np.testing.assert_allclose(y.data, expected + np.array([1.0, -1.0])[None, :, None], rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean.data, 0.9 * 0 + 0.1 * mean, rtol=1e-12)  # (B6), momentum 0.1
    np.testing.assert_allclose(bn.running_var.data, 0.9 * 1 + 0.1 * unbiased, rtol=1e-12)  # unbiased variance
    assert bn.num_batches_tracked.item() == 1 and bn.num_batches_tracked.dtype == np.int64


def test_momentum_none_is_the_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None, dtype=np.float64)
    batches = [X, X * 2 - 3, X[::-1] + 1]
    for batch in batches:
        bn(Tensor(batch))
    stats = [_per_channel(b) for b in batches]
    np.testing.assert_allclose(bn.running_mean.data, np.mean([s[0] for s in stats], axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, np.mean([s[2] for s in stats], axis=0), rtol=1e-12)


def test_eval_uses_running_statistics_and_changes_nothing():
    bn = nn.BatchNorm2d(2, dtype=np.float64)
    bn.running_mean.data = np.array([1.0, -2.0])
    bn.running_var.data = np.array([4.0, 0.25])
    x = np.random.default_rng(0).standard_normal((3, 2, 2, 2))
    bn.eval()
    y = bn(Tensor(x))
    mean, var = np.array([1.0, -2.0])[None, :, None, None], np.array([4.0, 0.25])[None, :, None, None]
    expected = (x - mean) / np.sqrt(var + 1e-5)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean.data, [1.0, -2.0])
    assert bn.num_batches_tracked.item() == 0


def test_module_eval_reaches_every_layer_of_a_model():
    """A model's eval() must switch its BatchNorm and Dropout: the output becomes deterministic and different."""
    tinygrad_cnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.BatchNorm1d(4, dtype=np.float64), nn.Dropout(0.5))
    x = Tensor(np.random.default_rng(1).standard_normal((6, 3)))
    train_out = model(x).data
    model.eval()
    assert not model[1].training and not model[2].training
    a, b = model(x).data, model(x).data
    np.testing.assert_array_equal(a, b)  # no dropout mask
    bn = model[1]
    h = model[0](x).data
    expected = (h - bn.running_mean.data) / np.sqrt(bn.running_var.data + 1e-5) * bn.weight.data + bn.bias.data
    np.testing.assert_allclose(a, expected, rtol=1e-12)  # running statistics, not the batch's
    assert not np.allclose(a, train_out)
    assert bn.num_batches_tracked.item() == 1  # eval did not update the statistics
    model.train()
    assert all(m.training for m in model.modules())


def test_track_running_stats_false_always_uses_the_batch():
    bn = nn.BatchNorm1d(2, affine=False, track_running_stats=False, dtype=np.float64)
    assert bn.state_dict() == {} and list(bn.parameters()) == []
    out_train = bn(Tensor(X)).data
    out_eval = bn.eval()(Tensor(X)).data
    np.testing.assert_array_equal(out_train, out_eval)


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\) with C = num_features = 3"):
        nn.BatchNorm2d(3)(Tensor(np.ones((2, 4, 2, 2))))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(Tensor(np.ones((1, 3))))
    with pytest.raises(ValueError, match="momentum must be at most 1.0"):
        nn.BatchNorm1d(3, momentum=1.5)
    with pytest.raises(TypeError, match="num_features must be an int"):
        nn.BatchNorm1d(3.0)
    with pytest.raises(ValueError, match="momentum=None .* needs num_batches_tracked"):
        F.batch_norm(Tensor(X), np.zeros(2), np.ones(2), training=True, momentum=None)


@st.composite
def _bn_cases(draw):
    n = draw(st.integers(2, 3))
    c = draw(st.integers(1, 3))
    spatial = draw(st.sampled_from([(), (2,), (2, 3)]))
    x = draw(tst.tensors(shape=(n, c) + spatial, min_value=-3, max_value=3, distinct=True, gap=0.02))
    w = draw(tst.tensors(shape=(c,), min_value=-2, max_value=2))
    b = draw(tst.tensors(shape=(c,), min_value=-2, max_value=2))
    training = draw(st.booleans())
    return x, w, b, training


@given(_bn_cases())
def test_batchnorm_backward_matches_finite_differences(case):
    x, w, b, training = case
    c = x.shape[1]
    running_mean = np.linspace(-1, 1, c)
    running_var = np.linspace(0.5, 2, c)

    def fn(x, w, b):  # training: (B4) through the batch statistics; evaluation: (B5) with fixed ones
        return batch_norm(x, None if training else running_mean, None if training else running_var, w, b,
                          training=training, eps=1e-3)

    assert gradcheck(fn, [x, w, b], atol=1e-6, rtol=1e-4)


@given(tst.tensors(shape=tst.shapes(min_dims=2, max_dims=3, max_side=3), min_value=-3, max_value=3))
def test_batchnorm_without_affine_backward(x):
    if (x.shape[0] * int(np.prod(x.shape[2:])) < 2
            or np.ptp(x.data.reshape(x.shape[0], x.shape[1], -1), axis=(0, 2)).min() < 0.1):
        return  # a channel of (nearly) equal values has σ ≈ 0: the normalization is ill-conditioned there
    assert gradcheck(lambda x: batch_norm(x, None, None, training=True), [x], atol=1e-5, rtol=1e-3)


# ------------------------------------------------------------------------------------------------ Dropout
def test_dropout_is_inverted_and_its_backward_uses_the_same_mask():
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    y = nn.Dropout(0.2, seed=0)(x)
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], 1 / 0.8)  # survivors scaled by 1/(1 − p)
    assert abs(kept.mean() - 0.8) < 0.01  # 10,000 draws: the kept fraction is 0.8 ± 4σ (σ = 0.004)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.where(kept, 1 / 0.8, 0.0))


def test_dropout_eval_identity_edges_and_reproducibility():
    x = Tensor(np.arange(1.0, 7.0))
    layer = nn.Dropout(0.5)
    assert layer.eval()(x) is x
    assert not nn.Dropout(1.0)(x).data.any()
    assert nn.Dropout(0.0)(x) is x
    tinygrad_cnn.manual_seed(3)
    a = nn.Dropout(0.5)(Tensor(np.ones(64))).data
    tinygrad_cnn.manual_seed(3)
    b = nn.Dropout(0.5)(Tensor(np.ones(64))).data
    np.testing.assert_array_equal(a, b)
    c = F.dropout(Tensor(np.ones(64)), 0.5, seed=11).data
    np.testing.assert_array_equal(c, F.dropout(Tensor(np.ones(64)), 0.5, seed=11).data)  # an explicit seed wins
    with pytest.raises(ValueError, match="p must be at most 1.0"):
        nn.Dropout(1.5)
    with pytest.raises(TypeError, match="p must be a real number"):
        nn.Dropout("0.5")


@given(tst.tensors(shape=tst.shapes(min_dims=1, max_dims=3)), st.sampled_from([0.0, 0.3, 0.9]))
def test_dropout_backward_matches_finite_differences(x, p):
    assert gradcheck(lambda x: F.dropout(x, p, seed=4), [x])  # one seed: the same mask in every evaluation


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize(("shape", "axes"), [((6, 5, 33), (2,)), ((5, 7, 9), (1, 2)), ((3, 4), (0, 1)), ((4, 1), (1,))])
def test_layer_norm_centres_once_and_gets_numpys_mean_and_variance_bit_for_bit(dtype, shape, axes):
    from tinygrad_cnn.ops.normalization import _centered_and_variance

    x = (np.random.default_rng(1).standard_normal(shape) * 3 + 1).astype(dtype)
    centered, var = _centered_and_variance(x, axes)
    np.testing.assert_array_equal(centered, x - x.mean(axis=axes, keepdims=True))
    np.testing.assert_array_equal(var, x.var(axis=axes, keepdims=True))
    assert centered.dtype == var.dtype == dtype

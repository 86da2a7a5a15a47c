"""Losses without PyTorch: values from their definitions (computed in the test), gradients against finite
differences, clear errors on misuse."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, nn
from tinygrad_cnn.testing import gradcheck
from tinygrad_cnn.testing import strategies as tst

LOGITS = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0], [1.0, 1.0, 1.0]])
LABELS = np.array([0, 2, 1])


def _log_softmax(z, axis=1):
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def test_squared_error_is_the_books_cost():
    a, t = np.array([[0.2, 0.9], [0.6, 0.1]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    expected = 0.5 * ((0.0 - 0.2) ** 2 + (1 - 0.9) ** 2 + (1 - 0.6) ** 2 + (0 - 0.1) ** 2)  # ½ Σ (t − a)²
    assert F.squared_error(Tensor(a), t).item() == pytest.approx(expected, rel=1e-15)
    assert nn.SquaredErrorLoss()(Tensor(a), t).item() == pytest.approx(expected, rel=1e-15)
    x = Tensor(a, requires_grad=True)
    F.squared_error(x, t).backward()
    np.testing.assert_allclose(x.grad, a - t)  # ∂C/∂a = a − t, the book's output error before σ'


def test_cross_entropy_class_indices_weight_ignore_index_and_smoothing():
    logp = _log_softmax(LOGITS)
    picked = -logp[np.arange(3), LABELS]
    assert F.cross_entropy(Tensor(LOGITS), LABELS).item() == pytest.approx(picked.mean(), rel=1e-14)
    w = np.array([0.5, 2.0, 1.0])
    weighted = (w[LABELS] * picked).sum() / w[LABELS].sum()  # mean divides by the summed weights
    assert F.cross_entropy(Tensor(LOGITS), LABELS, weight=w).item() == pytest.approx(weighted, rel=1e-14)
    ignored = F.cross_entropy(Tensor(LOGITS), np.array([0, -100, 1])).item()
    assert ignored == pytest.approx((picked[0] + picked[2]) / 2, rel=1e-14)
    eps = 0.2
    smooth = (1 - eps) * picked + eps / 3 * (-logp).sum(axis=1)  # target (1 − ε)·onehot + ε/C
    got = F.cross_entropy(Tensor(LOGITS), LABELS, label_smoothing=eps, reduction="none").data
    np.testing.assert_allclose(got, smooth, rtol=1e-14)
    assert F.cross_entropy(Tensor(LOGITS), LABELS, label_smoothing=eps).item() == pytest.approx(
        smooth.mean(), rel=1e-14
    )
    # with class weights, PyTorch's mean divides both terms by the summed weights of the targets
    smooth_weighted = ((1 - eps) * (w[LABELS] * picked).sum() + eps / 3 * (-logp * w).sum()) / w[LABELS].sum()
    got_weighted = F.cross_entropy(Tensor(LOGITS), LABELS, weight=w, label_smoothing=eps).item()
    assert got_weighted == pytest.approx(smooth_weighted, rel=1e-14)
    probs = np.eye(3)[LABELS] * (1 - eps) + eps / 3
    as_probs = F.cross_entropy(Tensor(LOGITS), probs, reduction="none").data
    np.testing.assert_allclose(as_probs, smooth, rtol=1e-14)  # the same loss, written as probabilities


def test_cross_entropy_over_spatial_positions_equals_the_flattened_loss():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((2, 3, 2, 2))
    labels = rng.integers(0, 3, size=(2, 2, 2))
    flat_logits = logits.transpose(0, 2, 3, 1).reshape(-1, 3)
    expected = F.cross_entropy(Tensor(flat_logits), labels.reshape(-1), reduction="none").data.reshape(2, 2, 2)
    np.testing.assert_allclose(F.cross_entropy(Tensor(logits), labels, reduction="none").data, expected, rtol=1e-14)
    assert F.nll_loss(Tensor(logits), labels, reduction="sum").item() == pytest.approx(
        -logits.transpose(0, 2, 3, 1).reshape(-1, 3)[np.arange(8), labels.reshape(-1)].sum())


def test_cross_entropy_is_stable_for_huge_logits():
    x = Tensor(np.array([[1e4, -1e4], [-1e4, 1e4]]), requires_grad=True)
    loss = F.cross_entropy(x, np.array([1, 1]))
    assert loss.item() == pytest.approx(1e4)  # (2e4 + 0)/2
    loss.backward()
    np.testing.assert_allclose(x.grad, [[0.5, -0.5], [0.0, 0.0]])


def test_bce_with_logits_definition_stability_and_weights():
    x, t = np.array([-3.0, 0.0, 2.5]), np.array([0.0, 1.0, 0.3])
    s = 1 / (1 + np.exp(-x))
    expected = -(t * np.log(s) + (1 - t) * np.log(1 - s))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(Tensor(x), t, reduction="none").data, expected,
                               rtol=1e-13)
    pw = 3.0
    weighted = -(pw * t * np.log(s) + (1 - t) * np.log(1 - s)) * np.array([1.0, 0.5, 2.0])
    got = nn.BCEWithLogitsLoss(weight=np.array([1.0, 0.5, 2.0]), pos_weight=np.array(pw), reduction="sum")
    assert got(Tensor(x), t).item() == pytest.approx(weighted.sum(), rel=1e-13)
    big = Tensor(np.array([1e4, -1e4]), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(big, np.array([0.0, 1.0]), reduction="sum")
    assert loss.item() == pytest.approx(2e4)  # log(1 + e^1e4) = 1e4, without overflow
    loss.backward()
    np.testing.assert_allclose(big.grad, [1.0, -1.0])  # σ(x) − t


def test_mse_of_integer_input_is_float():
    loss = F.mse_loss(Tensor(np.array([1, 2])), [0.5, 2.5])
    assert loss.dtype.kind == "f" and loss.item() == pytest.approx(0.25)


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.cross_entropy(Tensor(LABELS), Tensor(LOGITS)), TypeError, "swapped"),
    (lambda: F.cross_entropy(Tensor(LOGITS), LOGITS[:, 0]), TypeError, r"integer class indices of shape \(3,\)"),
    (lambda: F.cross_entropy(Tensor(np.array([1.0, 2.0, 0.5])), np.array([1])), ValueError,
     r"input must be logits of shape \(N, C\) or \(N, C, d1, ...\), got a 1-D tensor of shape \(3,\)"),
    (lambda: F.cross_entropy(Tensor(LOGITS), np.array([0, 1])), ValueError,
     r"expected input \(3, 3\) and target \(3,\)"),
    (lambda: F.cross_entropy(Tensor(LOGITS), np.array([0, 1, 3])), ValueError, r"must be in \[0, 3\)"),
    (lambda: F.cross_entropy(Tensor(LOGITS), LABELS, weight=np.ones(2)), ValueError, r"weight must have shape \(3,\)"),
    (lambda: F.cross_entropy(Tensor(LOGITS), LABELS, label_smoothing=1.5), ValueError,
     "label_smoothing must be at most"),
    (lambda: F.cross_entropy(Tensor(LOGITS), LABELS, reduction="avg"), ValueError, "reduction must be one of"),
    (lambda: F.nll_loss(Tensor(LOGITS), LABELS, ignore_index=1.0), TypeError, "ignore_index must be an int"),
    (lambda: F.mse_loss(Tensor(LOGITS), np.ones(3)), ValueError, r"input has shape \(3, 3\) but target"),
    (lambda: F.binary_cross_entropy_with_logits(Tensor(LOGITS), np.ones(3)), ValueError, "target must have"),
    (lambda: nn.MSELoss(reduction="avg"), ValueError, "reduction must be one of"),
    (lambda: nn.utils.clip_grad_norm_([Tensor([1.0])], -1.0), ValueError, "max_norm must be at least 0.0"),
])
def test_loss_misuse_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


@st.composite
def _ce_cases(draw):
    shape = draw(st.sampled_from([(3, 4), (2, 3, 2), (2, 2, 2, 2)]))
    logits = draw(tst.tensors(shape=shape, min_value=-4, max_value=4))
    element_shape = (shape[0],) + shape[2:]
    labels = np.array(draw(st.lists(st.integers(-1, shape[1] - 1), min_size=int(np.prod(element_shape)),
                                    max_size=int(np.prod(element_shape))))).reshape(element_shape)
    if (labels == -1).all():
        labels.flat[0] = 0
    options = {"ignore_index": -1, "label_smoothing": draw(st.sampled_from([0.0, 0.25])),
                   "reduction": draw(st.sampled_from(["mean", "sum", "none"]))}
    if draw(st.booleans()):
        options["weight"] = np.linspace(0.5, 2.0, shape[1])
    return logits, labels, options


@given(_ce_cases())
def test_cross_entropy_gradients(case):
    logits, labels, options = case
    assert gradcheck(lambda x: F.cross_entropy(x, labels, **options), [logits])


@given(tst.tensors(shape=(3, 4), min_value=-4, max_value=4), tst.tensors(shape=(3, 4), min_value=0.01, max_value=1))
def test_probability_targets_gradients_in_both_arguments(logits, target):
    assert gradcheck(lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), [logits, target])


@given(tst.tensors(shape=(2, 3), min_value=-6, max_value=6), tst.tensors(shape=(2, 3), min_value=0, max_value=1),
       st.sampled_from([None, np.array([0.5, 1.0, 4.0])]))
def test_bce_with_logits_gradients_in_both_arguments(x, t, pos_weight):
    assert gradcheck(lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=pos_weight), [x, t])


@given(tst.tensors(shape=(3, 4)), tst.tensors(shape=(3, 4)))
def test_squared_error_and_mse_gradients(a, t):
    assert gradcheck(F.squared_error, [a, t])
    assert gradcheck(lambda a: F.mse_loss(a, t.data, reduction="none"), [a])

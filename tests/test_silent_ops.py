"""Issue 17's classes owned here, checked against oracles that need no PyTorch (hand values, plain loops).

Each test names its class; each failed on the code before its fix. PyTorch comparisons of the same classes
are in tests/test_silent_ops_torch.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor


# ------------------------------------------------------------- class 12: max(dim) -> (values, indices)
def test_max_dim_unpacks_into_values_and_indices_for_any_batch():
    output = Tensor([[0.1, 0.7, 0.2], [0.9, 0.05, 0.05], [0.2, 0.2, 0.6]])
    _, pred = output.max(1)  # PyTorch's idiom: before, three values raised and two silently unpacked values
    assert pred.tolist() == [1, 0, 2] and pred.dtype == np.int64
    values, indices = output.min(dim=1, keepdim=True)
    assert values.tolist() == [[0.1], [0.05], [0.2]] and indices.tolist() == [[0], [1], [0]]
    result = output.max(dim=0)
    assert result.values is result[0] and result.indices is result[1]
    assert isinstance(output.max(), Tensor) and output.max().item() == 0.9  # no dim: one tensor


def test_max_dim_sends_the_gradient_to_the_returned_index():
    # plain-loop oracle: d values[i] / d x[i, j] = [j == first argmax of row i], NaN being the maximum
    x = Tensor([[1.0, 3.0, 3.0], [np.nan, 0.0, np.nan], [2.0, 2.0, 2.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    values.backward(np.array([1.0, 2.0, 3.0]))
    expected = np.zeros((3, 3))
    for i, row in enumerate(x.data):
        nan = np.flatnonzero(np.isnan(row))
        j = nan[0] if nan.size else next(k for k, v in enumerate(row) if v == row.max())
        expected[i, j] = [1.0, 2.0, 3.0][i]
        assert indices.tolist()[i] == j
    np.testing.assert_array_equal(x.grad, expected)


def test_amax_and_max_of_all_elements_split_ties_evenly():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], requires_grad=True)
    x.amax(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [1, 0, 0]])
    y = Tensor([5.0, 5.0], requires_grad=True)
    y.max().backward()
    np.testing.assert_array_equal(y.grad, [0.5, 0.5])


def test_max_dim_of_a_0d_tensor_and_of_an_empty_batch():
    values, indices = Tensor(5.0).max(0)
    assert values.shape == () and indices.item() == 0
    values, indices = Tensor(np.zeros((0, 3))).max(1)
    assert values.shape == (0,) and indices.shape == (0,)
    with pytest.raises(TypeError, match="for several axes use amax"):
        Tensor(np.zeros((2, 3))).max(axis=(0, 1))


# ---------------------------------------------- class 2: an int and an index array apart (PyTorch's order)
def test_int_and_index_array_separated_by_a_slice_keep_the_axis_in_place():
    x = Tensor(np.arange(3.0 * 3 * 3 * 3).reshape(3, 3, 3, 3), requires_grad=True)  # square: numpy's order is silent
    out = x[:, [0, 2], :, 1]
    expected = [[[x.data[i, j, k, 1] for k in range(3)] for j in (0, 2)] for i in range(3)]  # the loop: (3, 2, 3)
    np.testing.assert_array_equal(out.data, expected)
    out.backward(np.ones((3, 2, 3)))
    grad = np.zeros((3, 3, 3, 3))
    grad[:, [0, 2], :, 1] = 1  # numpy's assignment puts the same elements (the order of axes aside)
    np.testing.assert_array_equal(x.grad, grad)
    assert x[0, :, [0, 1]].shape == (3, 2, 3) and x[[0, 1], :, 0].shape == (2, 3, 3)
    assert x[Tensor(np.array(1)), :, [0, 1]].shape == (3, 2, 3)  # a 0-d integer tensor selects like an int


# ------------------------------------------------------------------------- class 10: item assignment
def test_setitem_under_no_grad_with_numbers_masks_slices_and_tensors():
    w = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    with tg.no_grad():
        w[0] = 5
        w[w > 3.5] = Tensor([6.0, 7.0])  # the mask selects 5 and 4 (in order)
        w[1:3] = np.array([8.0, 9.0])
        w[::2] += 10  # getitem, += on the view, setitem: all under no_grad
    assert w.tolist() == [16.0, 8.0, 19.0, 7.0] and w.requires_grad and w.is_leaf
    x = Tensor(np.zeros((2, 3)))  # no grad anywhere: no no_grad() needed, as in PyTorch
    x[:, [0, 2], ] = 1
    x[0, :, ] += Tensor([1.0, 2.0, 3.0])
    assert x.tolist() == [[2.0, 2.0, 4.0], [1.0, 0.0, 1.0]]
    n = Tensor(np.array([1, 2, 3]))
    n[0] = 2.7  # cast to the tensor's dtype (truncated), as PyTorch
    assert n.tolist() == [2, 2, 3]


def test_setitem_on_a_leaf_that_requires_grad_raises_before_writing():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w[0] = 5
    with pytest.raises(RuntimeError, match="in-place"):
        w[::2] += 10  # before the fix: x's memory was written, then a TypeError (no __setitem__)
    assert w.tolist() == [1.0, 2.0, 3.0]
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"a value of shape \(4,\) cannot be broadcast"):
        x[0] = np.ones(4)
    with pytest.raises(IndexError, match="does not fit"):
        x[[0, 5]] = 1.0
    assert x.tolist() == [[0.0] * 3] * 2


def test_setitem_on_a_tensor_saved_for_backward_is_detected():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (w * w).sum()  # Mul saved w
    with tg.no_grad():
        w[1] = 0.0
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


# ------------------------------------------------ class 3: every target ignored (mean): loss nan, gradient 0
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weight", [None, [1.0, 2.0, 3.0]])
def test_all_targets_ignored_gives_a_nan_loss_and_a_zero_gradient(weight, label_smoothing):
    x = Tensor(np.arange(6.0).reshape(2, 3) * 0.1, requires_grad=True)
    loss = tg.functional.cross_entropy(x, [-100, -100], weight=weight, label_smoothing=label_smoothing)
    assert np.isnan(loss.item())  # 0/0, as PyTorch
    loss.backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))  # before: all nan


def test_ignored_rows_get_zero_gradient_and_counted_rows_their_share():
    # hand oracle: nll of log-probabilities, mean over the counted targets only (weights 1): −(1/2)·[one-hot]
    x = Tensor(np.log(np.full((3, 2), 0.5)), requires_grad=True)
    loss = tg.functional.nll_loss(x, [0, -100, 1])
    assert loss.item() == pytest.approx(np.log(2))
    loss.backward()
    np.testing.assert_array_equal(x.grad, [[-0.5, 0.0], [0.0, 0.0], [0.0, -0.5]])


# -------------------------------------------------------------------- class 11: an empty batch (N = 0)
def test_conv2d_on_an_empty_batch_gives_an_empty_output_and_zero_parameter_gradients():
    x = Tensor(np.zeros((0, 3, 5, 5)), requires_grad=True)
    w = Tensor(np.ones((2, 3, 3, 3)), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    y = tg.functional.conv2d(x, w, b, padding=1)
    assert y.shape == (0, 2, 5, 5)  # before: a numpy reshape error
    y.sum().backward()
    assert x.grad.shape == (0, 3, 5, 5)
    np.testing.assert_array_equal(w.grad, np.zeros((2, 3, 3, 3)))  # a sum over no images
    np.testing.assert_array_equal(b.grad, np.zeros(2))
    layer = tg.nn.Conv2d(3, 4, 3, stride=2)
    assert layer(Tensor(np.zeros((0, 3, 7, 7), np.float32))).shape == (0, 4, 3, 3)


# ----------------------------------------------- class 6: a non-finite weight meets only real terms in dx
@pytest.mark.parametrize("padding", [0, 1])
def test_conv2d_input_gradient_with_an_inf_weight_is_the_sum_of_its_real_terms(padding):
    x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    weight = np.array([[[[np.inf, 1.0], [2.0, 3.0]]]])
    w = Tensor(weight)
    y = tg.functional.conv2d(x, w, padding=padding)
    delta = np.ones(y.shape)
    y.backward(delta)
    # the loop oracle: dx[h, v] = Σ over the windows (i, j) that read pixel (h, v) of δ[i, j] · w[h + P − i, v + P − j]
    expected = np.zeros((4, 4))
    for h in range(4):
        for v in range(4):
            terms = [delta[0, 0, i, j] * weight[0, 0, h + padding - i, v + padding - j]
                     for i in range(y.shape[2]) for j in range(y.shape[3])
                     if 0 <= h + padding - i < 2 and 0 <= v + padding - j < 2]
            expected[h, v] = sum(terms)
    np.testing.assert_array_equal(x.grad[0, 0], expected)  # before: NaN where a padded 0 of δ met the inf
    assert np.isinf(expected).any() and (padding or np.isfinite(expected).any())


def test_no_numpy_warning_leaks_from_pooling_or_backward_with_non_finite_values():
    import warnings

    x = Tensor(np.array([[[[np.inf, -np.inf, 1.0], [np.nan, 2.0, 3.0], [1.0, 1.0, 1.0]]]]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # before: "invalid value encountered" RuntimeWarnings
        for pool in (tg.functional.max_pool2d, tg.functional.avg_pool2d):
            out = pool(x, 2, 1, 1)
            out.backward(np.full(out.shape, np.inf))
        tg.functional.lp_pool2d(x.abs(), 2, 2).sum().backward()
        Tensor(np.array([1e5, 1.0])).astype(np.float16)  # overflow to inf, silently


# ----------------------------------------------------- class 4: float16 accumulates in float32 everywhere
def test_float16_average_pool_of_large_values_is_finite_and_exact():
    x = Tensor(np.full((1, 1, 16, 16), 1000.0, np.float16))
    out = tg.functional.avg_pool2d(x, 16)  # the sum 256 000 overflows float16 (65 504); the mean does not
    assert out.dtype == np.float16 and out.item() == 1000.0  # before: inf
    assert tg.functional.lp_pool2d(Tensor(np.full((1, 1, 2, 2), 300.0, np.float16)), 2, 2).item() == 600.0


def test_float16_batch_norm_statistics_and_gradients_accumulate_in_float32():
    rng = np.random.default_rng(0)
    x64 = 1000.0 + rng.standard_normal((8, 2, 4, 4))
    x = Tensor(x64.astype(np.float16), requires_grad=True)
    y = tg.functional.batch_norm(x, None, None, training=True)
    xr = x.data.astype(np.float64)  # the oracle: the same float16 inputs, normalised in float64
    exact = (xr - xr.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(xr.var(axis=(0, 2, 3), keepdims=True) + 1e-5)
    assert np.abs(y.data.astype(np.float64) - exact).max() < 0.01  # before: 3.1 (float16 squares and sums)


def test_float16_broadcast_gradient_is_summed_in_float32():
    b = Tensor(np.zeros(3, np.float16), requires_grad=True)
    (Tensor(np.zeros((4096, 3), np.float16)) + b).backward(np.full((4096, 3), 0.1, np.float16))
    exact = np.float16(4096 * float(np.float16(0.1)))  # 409.5
    assert b.grad.dtype == np.float16 and b.grad.tolist() == [exact] * 3  # before: 256 (a float16 running sum)
    w = Tensor(np.zeros((3, 1, 1, 1), np.float16))
    bias = Tensor(np.zeros(3, np.float16), requires_grad=True)
    out = tg.functional.conv2d(Tensor(np.zeros((64, 1, 8, 8), np.float16)), w, bias)
    out.backward(np.full(out.shape, 0.1, np.float16))
    assert bias.grad.tolist() == [exact] * 3  # eq. (14)'s Σ over the batch and positions


# ------------------------------------ class 7: comparisons and where follow PyTorch's category rule
def test_comparisons_with_a_0d_tensor_of_higher_precision_compare_in_the_tensors_dtype():
    x = Tensor(np.array([0.1, 0.2], np.float32))
    # the oracle: float32(0.1) == float32(0.1); numpy compared float32(0.1) with float64 0.1 (False)
    assert (x == Tensor(0.1)).tolist() == [True, False]  # before: [False, False]
    assert (x != Tensor(0.1)).tolist() == [False, True]
    assert (x <= Tensor(0.1)).tolist() == [True, False] and (x >= Tensor(0.2)).tolist() == [False, True]
    assert (x < Tensor(0.2)).tolist() == [True, False] and (x > Tensor(0.1)).tolist() == [False, True]
    assert (Tensor(np.array([1.5], np.float16)) < Tensor(1.50001)).tolist() == [False]  # 1.50001 is 1.5 in float16
    assert (Tensor(np.array([1, 2], np.int32)) == Tensor(np.array(2))).tolist() == [False, True]
    assert tg.where(x > 0, x, Tensor(0.5)).dtype == np.float32


# ------------------------------------------------------- from the mutation run: oracles without PyTorch
def test_a_one_input_op_under_no_grad_records_no_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        for y in (x.exp(), -x, x.relu(), x.sum(), x[0]):
            assert not y.requires_grad and y.is_leaf and y.grad_fn is None if hasattr(y, "grad_fn") else True
            assert y._ctx is None
    assert x.exp().requires_grad  # outside no_grad it does


def test_a_function_returning_its_argument_leaves_the_callers_array_writeable():
    class Identity(tg.Function):
        @staticmethod
        def forward(ctx, x, extra):
            return extra  # hands back a non-tensor argument's own array

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    mine = np.ones(2)
    out = Identity.apply(Tensor([1.0, 2.0], requires_grad=True), mine)
    assert mine.flags.writeable and not out.data.flags.writeable  # the output is a frozen view, mine stays mine
    mine[0] = 5.0  # no error


def test_div_gradient_precision_paths():
    def grads(a, b, g=1.0):
        ta, tb = Tensor(np.array([a], np.float32), requires_grad=True), Tensor(np.array([b], np.float32),
                                                                              requires_grad=True)
        (ta / tb).backward(np.array([g], np.float32))
        return ta.grad[0], tb.grad[0]

    # −a/b² with b² underflowing in float32: formed as −(g/b)(a/b) = −1e23 (hand value)
    assert grads(1e-23, 1e-23)[1] == pytest.approx(-1e23, rel=1e-6)
    # g/b overflows (1e40): −g·((a/b)/b) = −1e30·(1e-10/1e-10) = −1e30
    assert grads(1e-20, 1e-10, 1e30)[1] == pytest.approx(-1e30, rel=1e-6)
    zero = grads(0.0, 2.0)[1]  # a zero quotient: −0.0 exactly (not +0.0, not NaN)
    assert zero == 0 and np.signbit(zero)
    inf_b = grads(1.0, np.inf)[1]
    assert inf_b == 0 and np.signbit(inf_b)


def test_pow_gradient_precision_paths():
    # a number exponent's b − 1 is formed in double precision: d(a^b)/da = b·a^(b−1), b = −1e-8, a = 1e10
    a = Tensor(np.array([1e10], np.float32), requires_grad=True)
    (a ** -1e-8).backward(np.ones(1, np.float32))
    exact = -1e-8 * float(np.float32(1e10)) ** (-1.0 - 1e-8)  # in float32, b − 1 = −1 gives −1e-18 (2.3e-7 off)
    assert a.grad[0] == np.float32(exact) and np.float32(exact) != np.float32(-1e-18)
    z = Tensor([0.0], requires_grad=True)
    e = Tensor([0.0], requires_grad=True)
    (z ** e).backward(np.ones(1))  # 0^0: ∂/∂a = 0 where b = 0 (not 0·inf = NaN); ∂/∂b = 0 at a = 0, b ≥ 0
    assert z.grad.tolist() == [0.0] and e.grad.tolist() == [0.0]
    t = Tensor([3.0], requires_grad=True)
    (Tensor([2.0]) ** t).backward(np.ones(1))
    assert t.grad[0] == pytest.approx(8 * np.log(2.0), rel=1e-15)

"""Unit tests of the reductions, softmax/log_softmax and movement ops: one test per rule.

Gradients are compared with a local central-difference check on fixed random float64 inputs; the
Hypothesis property tests of the same ops live in the registry (``tinygrad_cnn.testing.checks``).
"""

import numpy as np
import pytest

from tinygrad_cnn import Tensor
from tinygrad_cnn.ops import movement


# ------------------------------------------------------------------------------------------ helpers
def central_difference(fn, arrays, weights, eps=1e-6):
    """∂(Σ weights ⊙ fn(*arrays))/∂arrays[k] for every k, by central differences on float64 copies."""
    grads = []
    for k, base in enumerate(arrays):
        grad = np.zeros_like(base)
        for i in np.ndindex(base.shape):
            values = []
            for step in (eps, -eps):
                shifted = [a.copy() for a in arrays]
                shifted[k][i] += step
                values.append(np.sum(weights * fn(*[Tensor(a) for a in shifted]).data))
            grad[i] = (values[0] - values[1]) / (2 * eps)
        grads.append(grad)
    return grads


def assert_backward_matches(fn, *shapes, seed=0):
    """Backward of ``fn`` (with a random output gradient) equals central differences, for each input."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    inputs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = fn(*inputs)
    weights = rng.standard_normal(out.shape)
    out.backward(weights)
    expected = central_difference(fn, arrays, weights)
    for x, grad in zip(inputs, expected):
        np.testing.assert_allclose(x.grad, grad, rtol=1e-6, atol=1e-7)


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


# ----------------------------------------------------------------------------------- sum and mean
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (-1, 1), ()])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_and_mean_match_numpy(axis, keepdims):
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    np.testing.assert_allclose(Tensor(x).sum(axis, keepdims).data, np.sum(x, axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(Tensor(x).mean(axis, keepdims).data, np.mean(x, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("axis", [None, 1, (0, 2), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_and_mean_backward(axis, keepdims):
    assert_backward_matches(lambda t: t.sum(axis, keepdims), (2, 3, 4))
    assert_backward_matches(lambda t: t.mean(axis, keepdims), (2, 3, 4))


def test_mean_gradient_is_one_over_count():
    x = leaf(np.zeros((2, 5)))
    x.mean(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 5), 0.2))


def test_mean_of_nothing_is_nan():
    assert np.isnan(Tensor(np.zeros((0, 3))).mean().item())


# ----------------------------------------------------------------------------------- max and min
def test_max_ties_split_the_gradient():
    x = leaf([1.0, 3.0, 3.0])
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5])


def test_min_ties_split_the_gradient():
    x = leaf([2.0, -1.0, -1.0, -1.0])
    x.min().backward()
    np.testing.assert_allclose(x.grad, [0.0, 1 / 3, 1 / 3, 1 / 3])


def test_ties_split_per_slice_over_several_axes():
    x = leaf([[[5.0, 5.0], [1.0, 5.0]], [[0.0, 2.0], [-1.0, 0.0]]])  # (2, 2, 2)
    x.amax(axis=(1, 2)).backward(np.array([6.0, 1.0]))
    expected = [[[2.0, 2.0], [0.0, 2.0]], [[0.0, 1.0], [0.0, 0.0]]]
    np.testing.assert_allclose(x.grad, expected)


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_min_values_and_shapes_match_numpy(axis, keepdims):
    x = np.random.default_rng(2).standard_normal((3, 4))
    for ours, theirs in ((Tensor(x).amax(axis, keepdims), np.max), (Tensor(x).amin(axis, keepdims), np.min)):
        np.testing.assert_array_equal(ours.data, theirs(x, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("axis", [None, 0, (1, 2)])
def test_max_min_backward_without_ties(axis):
    assert_backward_matches(lambda t: t.amax(axis), (2, 3, 4), seed=3)
    assert_backward_matches(lambda t: t.amin(axis, keepdims=True), (2, 3, 4), seed=4)
    if isinstance(axis, int):
        assert_backward_matches(lambda t: t.max(axis).values, (2, 3, 4), seed=3)
        assert_backward_matches(lambda t: t.min(axis, keepdims=True).values, (2, 3, 4), seed=4)


@pytest.mark.parametrize("op", ["amax", "amin"])
def test_empty_max_min_is_an_error(op):
    with pytest.raises(ValueError, match=rf"{op}: cannot take the {op} over axis 0 of length 0"):
        getattr(Tensor(np.zeros((0, 3))), op)(axis=0)
    with pytest.raises(ValueError, match=rf"{op[1:]}: cannot take the {op[1:]} over dim 0 of length 0"):
        getattr(Tensor(np.zeros((0, 3))), op[1:])(dim=0)


def test_max_over_a_nonempty_axis_of_an_empty_tensor_is_empty():
    assert Tensor(np.zeros((0, 3))).amax(axis=1).shape == (0,)
    assert Tensor(np.zeros((0, 3))).max(axis=1).indices.shape == (0,)


# ------------------------------------------------------------------------------------- axis errors
@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin"])
def test_axis_out_of_range(op):
    with pytest.raises(ValueError, match=rf"{op}: axis 2 is out of range for a tensor with ndim=2"):
        getattr(Tensor(np.zeros((2, 3))), op)(axis=2)
    with pytest.raises(ValueError, match=r"axis \(0, -3\) contains -3.*ndim=2"):
        getattr(Tensor(np.zeros((2, 3))), op)(axis=(0, -3))


def test_axis_repeated():
    with pytest.raises(ValueError, match=r"sum: axis \(1, -1\) names axis 1 twice \(tensor has ndim=2\)"):
        Tensor(np.zeros((2, 3))).sum(axis=(1, -1))


@pytest.mark.parametrize("axis", [1.0, True, "0", (0, 0.5)])
def test_axis_not_an_int(axis):
    with pytest.raises(TypeError, match=r"max: (axis|dim) must be .*ndim=2"):
        Tensor(np.zeros((2, 3))).max(axis=axis)
    with pytest.raises(TypeError, match=r"amax: axis must be .*ndim=2"):
        Tensor(np.zeros((2, 3))).amax(axis=axis)


def test_keepdims_must_be_a_bool():
    with pytest.raises(TypeError, match="keepdims must be True or False, got int 1"):
        Tensor(np.zeros(3)).sum(0, 1)


# ------------------------------------------------------------------------------ softmax, log_softmax
def test_softmax_is_stable_at_plus_minus_1000():
    s = Tensor([[1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -1000.0]]).softmax(axis=1)
    assert np.all(np.isfinite(s.data))
    np.testing.assert_allclose(s.data, [[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])


def test_log_softmax_is_stable_at_plus_minus_1000():
    out = Tensor([1000.0, -1000.0]).log_softmax()
    assert np.all(np.isfinite(out.data))
    np.testing.assert_allclose(out.data, [0.0, -2000.0])


def test_softmax_gradient_is_finite_at_large_inputs():
    x = leaf([1000.0, 999.0, -1000.0])
    (x.softmax() * Tensor([1.0, 2.0, 3.0])).sum().backward()
    assert np.all(np.isfinite(x.grad))


def test_log_softmax_equals_log_of_softmax():
    x = np.random.default_rng(5).standard_normal((4, 5)) * 10
    for axis in (0, 1, -1):
        np.testing.assert_allclose(
            Tensor(x).log_softmax(axis).data, np.log(Tensor(x).softmax(axis).data), rtol=1e-10, atol=1e-12
        )


def test_softmax_sums_to_one_along_its_axis():
    x = np.random.default_rng(6).standard_normal((3, 4, 2))
    np.testing.assert_allclose(Tensor(x).softmax(axis=1).data.sum(axis=1), np.ones((3, 2)))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax_backward(axis):
    assert_backward_matches(lambda t: t.softmax(axis), (3, 4), seed=7)
    assert_backward_matches(lambda t: t.log_softmax(axis), (3, 4), seed=8)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_axis_errors(op):
    with pytest.raises(ValueError, match=rf"{op}: axis 2 is out of range for a tensor with ndim=2"):
        getattr(Tensor(np.zeros((2, 3))), op)(axis=2)
    with pytest.raises(TypeError, match=rf"{op}: axis must be an int, got tuple"):
        getattr(Tensor(np.zeros((2, 3))), op)(axis=(0, 1))


# -------------------------------------------------------------------------------- reshape, flatten
def test_reshape_accepts_varargs_a_tuple_and_one_minus_one():
    x = Tensor(np.arange(12.0))
    assert x.reshape(3, 4).shape == (3, 4)
    assert x.reshape((2, -1, 3)).shape == (2, 2, 3)
    assert x.reshape([-1]).shape == (12,)
    np.testing.assert_array_equal(x.reshape(4, 3).data, np.arange(12.0).reshape(4, 3))


def test_reshape_errors_name_the_sizes():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"shape \(2, 3\) \(size 6\) into shape \(4, 2\) \(size 8\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match=r"known sizes multiply to 4, which does not divide 6"):
        x.reshape(4, -1)
    with pytest.raises(ValueError, match="has 2 entries -1"):
        x.reshape(-1, -1)
    with pytest.raises(ValueError, match="negative size -2"):
        x.reshape(-2, -3)
    with pytest.raises(TypeError, match="shape entries must be ints"):
        x.reshape(2.0, 3)


def test_reshape_backward():
    assert_backward_matches(lambda t: t.reshape(3, -1), (2, 12))
    assert_backward_matches(lambda t: t.reshape(()), (1, 1))


@pytest.mark.parametrize(
    "shape, start, end, expected",
    [((2, 3, 4), 0, -1, (24,)), ((2, 3, 4), 1, -1, (2, 12)), ((2, 3, 4), 0, 1, (6, 4)), ((2, 3, 4), 1, 1, (2, 3, 4)),
     ((), 0, -1, (1,))],
)
def test_flatten_follows_pytorch(shape, start, end, expected):
    assert Tensor(np.zeros(shape)).flatten(start, end).shape == expected


def test_flatten_errors():
    with pytest.raises(ValueError, match=r"start_axis \(2\) must not come after end_axis \(1\)"):
        Tensor(np.zeros((2, 3, 4))).flatten(2, 1)
    with pytest.raises(ValueError, match="flatten: end_axis 3 is out of range for a tensor with ndim=3"):
        Tensor(np.zeros((2, 3, 4))).flatten(0, 3)


def test_flatten_backward():
    assert_backward_matches(lambda t: t.flatten(1), (2, 3, 2))


# ------------------------------------------------------------------------------ transpose, permute
def test_transpose_without_axes_reverses_them_like_numpy():
    x = np.random.default_rng(9).standard_normal((2, 3, 4))
    np.testing.assert_array_equal(Tensor(x).transpose().data, x.T)
    np.testing.assert_array_equal(Tensor(x).T.data, x.T)
    np.testing.assert_array_equal(Tensor(x).transpose(1, 0, 2).data, np.transpose(x, (1, 0, 2)))
    np.testing.assert_array_equal(Tensor(x).permute((2, 0, 1)).data, np.transpose(x, (2, 0, 1)))


@pytest.mark.parametrize("axes", [(0, 1), (0, 0, 1), (0, 1, 3), (0, 1, 2, 3)])
def test_permute_needs_a_permutation(axes):
    with pytest.raises(ValueError, match=r"permute: axes must be a permutation of the tensor's 3 axes"):
        Tensor(np.zeros((2, 3, 4))).permute(*axes)


def test_permute_backward():
    assert_backward_matches(lambda t: t.permute(2, 0, -2), (2, 3, 4))
    assert_backward_matches(lambda t: t.T, (2, 3))


# ----------------------------------------------------------------------------------------- getitem
def test_repeated_indices_accumulate():
    x = leaf([10.0, 20.0, 30.0])
    y = x[[0, 0, 1]]
    np.testing.assert_array_equal(y.data, [10.0, 10.0, 20.0])
    y.backward(np.array([1.0, 2.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 4.0, 0.0])


def test_repeated_index_pairs_accumulate():
    x = leaf(np.zeros((2, 3)))
    x[[1, 1, 0], [2, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]])


@pytest.mark.parametrize(
    "index",
    [
        1,
        -1,
        (slice(None), 2),
        (slice(None, None, -1), slice(3, 0, -2)),
        (None, Ellipsis, 1),
        (Ellipsis, None),
        ([2, 0, 2], slice(1, None)),
        (slice(None), [[0, 1], [1, 1]]),
        np.array([True, False, True]),
        (1, [3, 3, 0]),
    ],
    ids=repr,
)
def test_getitem_matches_numpy_and_backward(index):
    x = np.random.default_rng(10).standard_normal((3, 4))
    np.testing.assert_array_equal(Tensor(x)[index].data, x[index])
    assert_backward_matches(lambda t: t[index], (3, 4), seed=11)


def test_boolean_mask_gradient():
    x = leaf([[1.0, -2.0], [-3.0, 4.0]])
    x[x > 0].sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0], [0.0, 1.0]])


def test_index_given_as_an_integer_tensor():
    x = leaf([1.0, 2.0, 3.0])
    x[Tensor(np.array([2, 2]))].sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 2.0])


def test_changing_the_index_after_forward_does_not_change_the_backward():
    index = np.array([0, 0])
    x = leaf([1.0, 2.0])
    y = x[index]
    index[:] = 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 0.0])


def test_getitem_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="getitem: index arrays must hold integers or bools, got .* float64"):
        x[Tensor([0.0, 1.0])]
    with pytest.raises(TypeError, match="getitem: index must be made of ints.*got float 1.5"):
        x[1.5]
    with pytest.raises(IndexError, match=r"does not fit a tensor of shape \(2, 3\)"):
        x[5]


def test_iterating_over_a_tensor_gives_its_rows():
    rows = list(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert len(rows) == 2
    np.testing.assert_array_equal(rows[1].data, [3.0, 4.0])


# --------------------------------------------------------------------------------------------- pad
@pytest.mark.parametrize("pad_width", [1, (2,), (1, 2), ((0, 1), (2, 0)), [[1, 1]]])
def test_pad_matches_numpy_forms(pad_width):
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(Tensor(x).pad(pad_width, value=-1.5).data,
                                  np.pad(x, pad_width, constant_values=-1.5))


def test_pad_gradient_is_the_interior():
    x = leaf(np.zeros((2, 2)))
    out = x.pad(((1, 0), (0, 2)))
    out.backward(np.arange(12.0).reshape(3, 4))  # rows 1-2, columns 0-1 came from x
    np.testing.assert_array_equal(x.grad, [[4.0, 5.0], [8.0, 9.0]])
    assert_backward_matches(lambda t: t.pad(((0, 1), (2, 1), (1, 0))), (2, 2, 3))


@pytest.mark.parametrize(
    "pad_width, error, message",
    [
        (-1, ValueError, r"pad: pad_width must be non-negative, got -1"),
        (((1, 1), (0, -2)), ValueError, r"non-negative, got \(\(1, 1\), \(0, -2\)\)"),
        (((1, 1), (0, 0), (0, 0)), ValueError, r"gives 3 \(before, after\) pairs for a tensor with ndim=2"),
        ((1, 2, 3), ValueError, r"pad_width must be an int, a \(before, after\) pair"),
        (1.5, TypeError, r"pad: pad_width must be an int.*got 1.5"),
        ("a", TypeError, r"pad: pad_width must be an int"),
    ],
)
def test_pad_errors(pad_width, error, message):
    with pytest.raises(error, match=message):
        Tensor(np.zeros((2, 3))).pad(pad_width)


# -------------------------------------------------------------------------------- concatenate, stack
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_matches_numpy_and_splits_the_gradient(axis):
    shapes = [(2, 3), (2, 3), (2, 3)]
    shapes = [tuple(n + k if i == axis % 2 else n for i, n in enumerate(s)) for k, s in enumerate(shapes)]
    arrays = [np.random.default_rng(k).standard_normal(s) for k, s in enumerate(shapes)]
    np.testing.assert_array_equal(movement.concatenate([Tensor(a) for a in arrays], axis).data,
                                  np.concatenate(arrays, axis))
    assert_backward_matches(lambda *ts: movement.concatenate(ts, axis), *shapes, seed=12)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack_matches_numpy_and_splits_the_gradient(axis):
    arrays = [np.random.default_rng(k).standard_normal((2, 3)) for k in range(3)]
    np.testing.assert_array_equal(movement.stack([Tensor(a) for a in arrays], axis).data, np.stack(arrays, axis))
    assert_backward_matches(lambda *ts: movement.stack(ts, axis), (2, 3), (2, 3), (2, 3), seed=13)


def test_concatenate_and_stack_accept_arrays():
    x = leaf([1.0, 2.0])
    out = movement.concatenate([x, np.array([3.0])])
    np.testing.assert_array_equal(out.data, [1.0, 2.0, 3.0])
    (out * Tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])
    np.testing.assert_array_equal(movement.stack([[1.0, 2.0], x]).data, [[1.0, 2.0], [1.0, 2.0]])


def test_concatenate_and_stack_errors_name_the_shapes():
    a, b = Tensor(np.zeros((2, 3))), Tensor(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"shapes \[\(2, 3\), \(3, 2\)\] must agree on every axis except axis 0"):
        movement.concatenate([a, b])
    with pytest.raises(ValueError, match=r"same number .* of axes, got shapes \[\(2, 3\), \(3,\)\]"):
        movement.concatenate([a, Tensor(np.zeros(3))])
    with pytest.raises(ValueError, match=r"stack: all tensors must have the same shape, got shapes \[\(2, 3\), \(3, 2"):
        movement.stack([a, b])
    with pytest.raises(ValueError, match="at least one tensor"):
        movement.stack([])
    with pytest.raises(TypeError, match="tensors must be a sequence"):
        movement.concatenate(a)
    with pytest.raises(ValueError, match="stack: axis 3 is out of range for a tensor with ndim=3"):
        movement.stack([a, a], axis=3)


# ------------------------------------------------------------------------------------------ float32
F32_OPS = {
    "sum": lambda t: t.sum(axis=1),
    "mean": lambda t: t.mean(),
    "max": lambda t: t.max(axis=0).values,
    "amax": lambda t: t.amax(axis=0),
    "min": lambda t: t.amin(axis=(0, 1)),
    "softmax": lambda t: t.softmax(),
    "log_softmax": lambda t: t.log_softmax(axis=0),
    "reshape": lambda t: t.reshape(-1),
    "transpose": lambda t: t.T,
    "flatten": lambda t: t.flatten(),
    "getitem_basic": lambda t: t[:, ::-1],
    "getitem_advanced": lambda t: t[[0, 0, 1]],
    "pad": lambda t: t.pad(1, value=2.5),
    "concatenate": lambda t: movement.concatenate([t, t], axis=1),
    "stack": lambda t: movement.stack([t, t]),
}


@pytest.mark.parametrize("name", F32_OPS)
def test_float32_stays_float32(name):
    x = Tensor(np.random.default_rng(14).standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    out = F32_OPS[name](x)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, dtype=np.float32))
    assert x.grad.dtype == np.float32


def test_transpose_with_two_axes_swaps_them_like_pytorch():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    y = x.transpose(0, 2)
    np.testing.assert_array_equal(y.data, np.swapaxes(x.data, 0, 2))
    np.testing.assert_array_equal(Tensor(np.ones((2, 3))).transpose(0, 1).shape, (3, 2))
    (y * Tensor(np.arange(24.0).reshape(4, 3, 2))).sum().backward()
    np.testing.assert_array_equal(x.grad, np.swapaxes(np.arange(24.0).reshape(4, 3, 2), 0, 2))
    with pytest.raises(ValueError, match="transpose"):
        x.transpose(0, 3)

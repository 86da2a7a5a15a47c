"""The tensor engine's graph mechanics: construction, accumulation, hooks, freeing, errors."""

import threading

import numpy as np
import pytest

from tinygrad_cnn import Function, SavedArrayModifiedError, Tensor, enable_grad, is_grad_enabled, no_grad


# ----------------------------------------------------------------------------------- construction
def test_python_numbers_and_lists_become_float64():
    assert Tensor(3).dtype == np.float64
    assert Tensor([1, 2, 3]).dtype == np.float64
    assert Tensor([[1.5], [2]]).shape == (2, 1)


def test_numpy_arrays_keep_their_dtype_and_are_copied_as_torch_tensor_does():
    a = np.ones(3, dtype=np.float32)
    t = Tensor(a, requires_grad=True)
    assert t.dtype == np.float32
    assert t.data is not a and not np.shares_memory(t.data, a)  # the caller's array stays the caller's
    a[0] = 5.0
    assert t.data[0] == 1.0
    (t * 2.0 + 1).sum().backward()
    assert t.grad.dtype == np.float32
    np.testing.assert_array_equal(t.grad, [2, 2, 2])
    shared = Tensor(t.data)  # read-only engine memory is shared, not copied
    assert shared.data is t.data


def test_engine_arrays_are_read_only_so_numpy_cannot_change_them_behind_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    for t in (x, y, y.detach(), x.reshape(2, 1)):
        with pytest.raises(ValueError, match="read-only"):
            t.data[0] = 100.0
    with pytest.raises(ValueError, match="read-only"):
        y.data *= 2


def test_float32_stays_float32_through_ops_with_numbers():
    t = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = ((t * 3 - 1) / 2) ** 2
    assert y.dtype == np.float32
    assert (y.exp().log().sigmoid().tanh()).dtype == np.float32


def test_integer_and_bool_arrays_are_data_that_cannot_require_grad():
    idx = Tensor(np.array([0, 2]))
    assert idx.dtype.kind == "i"
    with pytest.raises(TypeError, match="requires_grad=True needs a floating-point tensor, got dtype int"):
        Tensor(np.array([1, 2]), requires_grad=True)
    with pytest.raises(TypeError, match="dtype bool"):
        Tensor(np.array([True]), requires_grad=True)


def test_dtype_argument_casts():
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    with pytest.raises(TypeError, match="dtype"):
        Tensor([1.0], dtype="not-a-dtype")


@pytest.mark.parametrize("bad", ["abc", None, {"a": 1}, [1, "x"], 1 + 2j, np.array(["a"])])
def test_non_numeric_data_is_a_type_error_naming_data(bad):
    with pytest.raises(TypeError, match="data"):
        Tensor(bad)


def test_accessors_and_repr():
    t = Tensor([[1.0, 2.0]], requires_grad=True)
    assert t.shape == (1, 2) and t.ndim == 2 and t.numel() == 2 and t.size() == (1, 2) and t.size(-1) == 2
    assert t.numpy() is t.data
    assert Tensor(2.5).item() == 2.5
    with pytest.raises(ValueError, match="one-element"):
        t.item()
    assert "requires_grad=True" in repr(t)
    assert "grad_fn=Mul" in repr(t * 2)
    assert "dtype=float32" in repr(t.astype(np.float32))
    d = (t * 2).detach()
    assert d.is_leaf and not d.requires_grad


def test_data_is_reassignable():
    t = Tensor([1.0, 2.0], requires_grad=True)
    t.data = np.array([3.0, 4.0])
    (t * t).sum().backward()
    np.testing.assert_array_equal(t.grad, [6.0, 8.0])


def test_astype_is_differentiable_between_float_dtypes():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


# --------------------------------------------------------------------------------- the graph walk
def test_diamond_graph_sums_both_paths():
    x = Tensor(2.0, requires_grad=True)
    a = x * 3  # da/dx = 3
    b = x**2  # db/dx = 2x = 4
    (a * b).backward()  # d(ab)/dx = 3·x² + 3x·2x = 9x² = 36
    assert x.grad == pytest.approx(36.0)


def test_reused_input_and_self_product():
    x = Tensor([1.0, -2.0], requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data + 1)


def test_broadcast_gradients_sum_back_to_input_shape():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones((3,)), requires_grad=True)
    c = Tensor(np.ones((2, 1)), requires_grad=True)
    (a * b + c).sum().backward()
    np.testing.assert_array_equal(b.grad, [2, 2, 2])
    np.testing.assert_array_equal(c.grad, [[3], [3]])
    assert a.grad.shape == (2, 3)


def test_leaf_gradients_accumulate_across_backward_calls():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    x.grad = None  # resetting is the caller's job, as in PyTorch
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_intermediate_grad_only_with_retain_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    z = x * 2  # a "pre-activation"
    h = z * 1  # not retained
    z.retain_grad()
    (z.sigmoid() + h).sum().backward()
    s = 1 / (1 + np.exp(-z.data))
    np.testing.assert_allclose(z.grad, s * (1 - s) + 1)  # δ = ∂C/∂z
    assert h.grad is None
    assert z.retains_grad and not h.retains_grad


def test_hooks_see_and_may_replace_the_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    z = x * 3
    seen = []
    z.register_hook(lambda g: seen.append(g.copy()))
    handle = x.register_hook(lambda g: g * 10)
    z.sum().backward()
    np.testing.assert_array_equal(seen[0], [1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [30.0, 30.0])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_hook_returning_wrong_shape_is_an_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        (x * 1).sum().backward()


def test_no_grad_context_and_decorator():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2
        with enable_grad():
            w = x * 2
    assert is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert w.requires_grad

    @no_grad()
    def evaluate(t):
        return t * 2

    assert not evaluate(x).requires_grad
    assert (x * 2).requires_grad


def test_no_grad_is_per_thread():
    results = {}
    inside = threading.Event()
    release = threading.Event()

    def evaluating_thread():
        with no_grad():
            inside.set()
            release.wait(5)
            results["other"] = (Tensor([1.0], requires_grad=True) * 2).requires_grad

    worker = threading.Thread(target=evaluating_thread)
    worker.start()
    inside.wait(5)
    results["main"] = (Tensor([1.0], requires_grad=True) * 2).requires_grad
    release.set()
    worker.join()
    assert results == {"main": True, "other": False}


def test_second_backward_through_freed_graph_is_a_clear_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.copy()
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * first)


def test_in_place_modification_of_a_saved_input_is_detected():
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    with no_grad():
        x += 100.0  # Mul saved x's array for w's gradient
    with pytest.raises(SavedArrayModifiedError, match="Mul.backward: saved array #0.*in-place tensor operation"):
        y.backward()


def test_in_place_modification_of_a_saved_output_is_detected():
    x = Tensor([1.0, 2.0], requires_grad=True)
    e = x.exp()
    y = e.sum()
    with no_grad():
        e.mul_(2)  # Exp saved its output
    with pytest.raises(SavedArrayModifiedError, match="Exp.backward"):
        y.backward()


def test_in_place_change_through_a_view_is_detected():
    w = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    x = Tensor(np.ones(3), requires_grad=True)
    y = (w * x).sum()  # Mul saved w's array
    with no_grad():
        row = w[1]  # a view of w's memory
        row.zero_()
    assert w.data[1].tolist() == [0.0, 0.0, 0.0]  # the view wrote into w, as in PyTorch
    with pytest.raises(SavedArrayModifiedError, match="Mul.backward: saved array #0"):
        y.backward()


def test_a_shared_writeable_array_is_fingerprinted():
    user = np.array([1.0, 2.0])
    x = Tensor([0.0, 0.0], requires_grad=True)
    x.data = user  # shared, as in PyTorch: the caller may keep writing to it
    y = (x * x).sum()
    user[0] = 100.0
    with pytest.raises(SavedArrayModifiedError, match="Mul.backward: saved array #0.*contents changed"):
        y.backward()


def test_a_read_only_view_of_a_writeable_array_is_fingerprinted():
    user = np.array([1.0, 2.0, 3.0, 4.0])
    x = Tensor(np.zeros(4), requires_grad=True)
    x.data = user
    v = x.reshape(2, 2)  # the engine's view is read-only, but the memory behind it is the user's
    assert not v.data.flags.writeable
    y = (v * v).sum()  # Mul saves v's array
    user[0] = 100.0
    with pytest.raises(SavedArrayModifiedError, match="Mul.backward"):
        y.backward()


def test_writes_after_backward_or_to_other_memory_are_fine():
    x = Tensor([1.0, 2.0], requires_grad=True)
    other = Tensor([5.0])
    y = (x * x).sum()
    with no_grad():
        other += 1  # a write elsewhere moves the write counter but not x's memory
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_long_chain_of_100000_ops_backpropagates_without_recursion():
    x = Tensor(np.array([0.5]), requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0 + 0.0  # 100,000 ops
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0])


def test_unused_branches_get_no_gradient_and_constants_are_ignored():
    x = Tensor([1.0], requires_grad=True)
    c = Tensor([5.0])
    y = x * c
    _unused = x * 7
    y.sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [5.0])


# ------------------------------------------------------------------------------- Function API
class _Square(Function):
    @staticmethod
    def forward(ctx, x, scale=1.0):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * ctx.scale * x


def test_user_function_is_a_first_class_op():
    x = Tensor([1.0, 3.0], requires_grad=True)
    y = _Square.apply(x, scale=2.0)
    assert "grad_fn=_Square" in repr(y)
    (y + x).sum().backward()
    np.testing.assert_array_equal(x.grad, 4 * x.data + 1)


def test_function_returning_wrong_shape_or_count_is_reported():
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, grad):
            return np.ones(5)

    class WrongCount(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"WrongShape.backward returned a gradient of shape \(5,\)"):
        WrongShape.apply(x).backward()
    with pytest.raises(RuntimeError, match="WrongCount.backward returned 2 gradients"):
        WrongCount.apply(x).sum().backward()


# ------------------------------------------------------------------------------------ bad input
def test_backward_on_non_scalar_needs_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"one-element output.*shape \(2,\)"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"grad has shape \(3,\), expected the output's shape \(2,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_on_tensor_that_does_not_require_grad():
    with pytest.raises(ValueError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_incompatible_shapes_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: operands of shapes \(2,\) and \(3,\)"):
        Tensor([1.0, 2.0]) + Tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(2, 3\) are not aligned"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="at least one axis"):
        Tensor(2.0) @ Tensor([1.0])


def test_unsupported_operand_type():
    with pytest.raises(TypeError, match="unsupported operand.*str"):
        Tensor([1.0]) * "x"


def test_requires_grad_flag_validation():
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        Tensor([1.0], requires_grad="yes")
    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        (x * 2).requires_grad = False
    with pytest.raises(ValueError, match="retain_grad"):
        Tensor([1.0]).retain_grad()
    with pytest.raises(TypeError, match="callable"):
        x.register_hook(3)


def test_kinks_follow_pytorch():
    x = Tensor([0.0, -1.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])  # relu'(0) = 0
    x.grad = None
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, -1.0, 1.0])  # |x|'(0) = 0
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([1.0, 3.0], requires_grad=True)
    a.maximum(b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 0.0])  # a tie splits evenly
    np.testing.assert_array_equal(b.grad, [0.5, 1.0])
    c = Tensor([-1.0, 0.0, 1.0, 2.0], requires_grad=True)
    c.clip(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(c.grad, [1.0, 1.0, 1.0, 0.0])  # closed interval, as torch.clamp


def test_pow_edge_cases_follow_pytorch():
    x = Tensor([0.0, 2.0], requires_grad=True)
    e = Tensor([0.0, 0.0], requires_grad=True)
    (x**e).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])  # a^0 is constant
    np.testing.assert_allclose(e.grad, [0.0, np.log(2.0)])  # 0^b·ln 0 taken as 0 for b ≥ 0


def test_sigmoid_does_not_overflow():
    x = Tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = x.sigmoid()
        y.sum().backward()
    np.testing.assert_array_equal(y.data, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(x.grad, [0.0, 0.25, 0.0])


def test_comparisons_and_argmax_are_data():
    x = Tensor([1.0, 3.0, 2.0], requires_grad=True)
    assert not (x > 1.5).requires_grad
    np.testing.assert_array_equal((x > 1.5).data, [False, True, True])
    assert x.argmax().item() == 1


def test_leaf_gradients_never_alias_each_other_or_the_callers_arrays():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # Add hands the same gradient array to both inputs
    assert a.grad is not b.grad
    a.grad *= 10
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    seed = np.array([1.0, 1.0])
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.backward(seed)  # the output is the leaf itself
    x.grad += 1
    np.testing.assert_array_equal(seed, [1.0, 1.0])

    class ReturnsSavedArray(Function):  # d(x·y)/dx = y, returned as the saved array itself
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(y)
            return x * y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return y, None

    y = Tensor([5.0, 6.0])
    x.grad = None
    ReturnsSavedArray.apply(x, y).backward(np.ones(2))
    x.grad += 1  # must not write into y's data
    np.testing.assert_array_equal(y.data, [5.0, 6.0])
    kept = np.array([5.0, 5.0])
    w = Tensor([1.0, 2.0], requires_grad=True)
    w.register_hook(lambda g: kept)
    (w * 2).sum().backward()
    w.grad += 1
    np.testing.assert_array_equal(kept, [5.0, 5.0])


def test_backward_frees_what_ops_kept_on_ctx():
    x = Tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
    w = Tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    import tinygrad_cnn.functional as F

    y = F.conv2d(x, w)
    ctx = y._ctx
    y.sum().backward()
    assert ctx.freed
    assert set(vars(ctx)) <= {"function", "parents", "needs_input_grad", "freed", "_record", "_saved", "_fingerprints"}


def test_retained_grad_is_not_changed_by_a_backward_that_writes_into_its_gradient():
    class DoublesInPlace(Function):  # writes into the gradient it is given (bad manners, but legal)
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            grad *= 2
            return grad

    x = Tensor([1.0, 2.0], requires_grad=True)
    z = DoublesInPlace.apply(x)
    z.retain_grad()
    (z * 3).sum().backward()
    np.testing.assert_array_equal(z.grad, [3.0, 3.0])  # δ as it reached z, not what backward did to it
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])

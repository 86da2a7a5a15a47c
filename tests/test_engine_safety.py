"""The engine never returns a silent wrong number: in-place updates, hooks, threads, anomaly mode, numpy
interop and long runs (issues 8 and 10). The graph walk's basics are in test_tensor_engine.py."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
import weakref
from pathlib import Path

import numpy as np
import pytest

import tinygrad_cnn.functional as F
from tinygrad_cnn import SavedArrayModifiedError, Tensor, detect_anomaly, enable_grad, is_grad_enabled, no_grad, optim


# ----------------------------------------------------------------------------------- in-place updates
def test_sgd_step_under_no_grad_updates_the_parameter_in_place():
    p = Tensor([1.0, -2.0], requires_grad=True)
    same_tensor, same_array = p, p.data
    (p * p).sum().backward()  # grad = 2p = [2, -4]
    with no_grad():
        p -= 0.1 * p.grad
    assert p is same_tensor and p.data is same_array  # not rebound: a model holding p sees the change
    np.testing.assert_allclose(p.data, [0.8, -1.6])
    assert p.requires_grad and p.is_leaf and p.grad is not None


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (lambda p: p.__iadd__(2.0), [3.0, 4.0]),
        (lambda p: p.__isub__(Tensor([1.0, 1.0])), [0.0, 1.0]),
        (lambda p: p.__imul__(np.array([3.0, -1.0])), [3.0, -2.0]),
        (lambda p: p.__itruediv__(4), [0.25, 0.5]),
        (lambda p: p.add_(Tensor([1.0, 1.0]), alpha=-2), [-1.0, 0.0]),
        (lambda p: p.sub_(1.0), [0.0, 1.0]),
        (lambda p: p.mul_(2), [2.0, 4.0]),
        (lambda p: p.div_(2), [0.5, 1.0]),
        (lambda p: p.zero_(), [0.0, 0.0]),
        (lambda p: p.fill_(7), [7.0, 7.0]),
        (lambda p: p.copy_(np.array([5.0, 6.0])), [5.0, 6.0]),
    ],
)
def test_each_in_place_op_writes_the_same_array(update, expected):
    p = Tensor([1.0, 2.0], requires_grad=True)
    array = p.data
    with no_grad():
        result = update(p)
    assert result is p and p.data is array
    np.testing.assert_array_equal(array, expected)
    assert not array.flags.writeable  # frozen again after the write


def test_in_place_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    p = Tensor([1.0, 2.0], requires_grad=True)
    for update in (lambda: p.__isub__(1.0), p.zero_, lambda: p.fill_(1.0), lambda: p.mul_(2)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*no_grad"):
            update()
    np.testing.assert_array_equal(p.data, [1.0, 2.0])  # nothing was written


def test_in_place_on_a_recorded_non_leaf_raises_a_clear_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="recorded graph is not supported.*y = y \\+ x"):
        y += 1
    c = Tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="recorded graph"):
        c += x  # would make c depend on x
    c += 1  # a plain tensor: fine, as in PyTorch
    np.testing.assert_array_equal(c.data, [2.0, 3.0])


def test_in_place_dtype_and_shape_rules():
    i = Tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match="cannot be stored in this tensor's dtype int64"):
        i += 0.5
    f = Tensor(np.ones(3, dtype=np.float32))
    f += np.ones(3)  # float64 operand, float32 result: kept float32 (as PyTorch)
    assert f.dtype == np.float32
    with pytest.raises(ValueError, match=r"shape \(2, 3\) cannot be broadcast to this tensor's shape \(3,\)"):
        f += np.ones((2, 3))
    with pytest.raises(TypeError, match="fill_"):
        f.fill_("x")


def test_requires_grad_underscore_returns_self():
    t = Tensor([1.0])
    assert t.requires_grad_() is t and t.requires_grad
    assert t.requires_grad_(False) is t and not t.requires_grad


def test_optimizer_step_between_forward_and_backward_is_detected():
    w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = Tensor([[1.0], [1.0]], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    loss = (w @ x).sum()
    w.grad = np.ones((2, 2))
    opt.step()  # changes w in place: matmul saved w's old values for x's gradient
    with pytest.raises(SavedArrayModifiedError, match="MatMul|saved array"):
        loss.backward()


def test_in_place_on_an_expanded_view_is_refused():
    base = Tensor([1.0, 2.0])
    expanded = Tensor._make(np.broadcast_to(base.data, (3, 2)), None)
    with pytest.raises(RuntimeError, match="share memory"):
        expanded += 1
    np.testing.assert_array_equal(base.data, [1.0, 2.0])


# ---------------------------------------------------------------------------------------------- hooks
def test_a_hook_editing_its_gradient_in_place_does_not_leak_into_a_sibling():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)

    def double_in_place(g):
        g *= 2

    a.register_hook(double_in_place)
    (a + b).sum().backward()  # Add hands the same gradient array to a and b
    np.testing.assert_array_equal(a.grad, [2.0, 2.0])  # the in-place edit is a's gradient
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])  # and only a's


def test_a_hook_on_a_non_leaf_editing_in_place_reaches_only_its_inputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = x * 1
    y.register_hook(lambda g: g.__imul__(10))
    (y + z).sum().backward()
    np.testing.assert_array_equal(x.grad, [11.0, 11.0])  # 10 through y, 1 through z


def test_a_hook_may_return_a_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    scale = Tensor(3.0, requires_grad=True)
    modes = []
    x.register_hook(lambda g: modes.append(is_grad_enabled()))
    x.register_hook(lambda g: Tensor(g) * scale)  # hooks run with grad mode off, as in PyTorch: no graph
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    assert modes == [False] and is_grad_enabled() and scale.grad is None
    y = Tensor([1.0, 2.0], requires_grad=True)
    y.register_hook(lambda g: Tensor(g.astype(np.float32)))  # a Tensor of another dtype is not cast silently
    with pytest.raises(TypeError, match="dtype float32, expected float64"):
        (y * 2).sum().backward()


def test_a_hook_returning_another_dtype_is_an_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g.astype(np.float32))
    with pytest.raises(TypeError, match="dtype float32, expected float64"):
        (x * 2).sum().backward()


def test_assigning_grad_checks_shape_and_dtype():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(3,\) to a tensor of shape \(2,\)"):
        x.grad = np.zeros(3)
    with pytest.raises(TypeError, match="dtype float32 to a tensor of dtype float64"):
        x.grad = np.zeros(2, dtype=np.float32)
    with pytest.raises(TypeError, match="numpy array or None"):
        x.grad = [1.0, 2.0]
    assert x.grad is None  # nothing was assigned
    x.grad = np.ones(2)
    x.grad = None


# -------------------------------------------------------------------------------------------- threads
def test_threads_backward_through_graphs_sharing_a_leaf_accumulate_exactly():
    # a large leaf: numpy releases the GIL while it adds, which is when unlocked updates get lost
    w = Tensor(np.zeros(100_000), requires_grad=True)
    steps, workers = 100, 3
    start = threading.Barrier(workers)

    def work():
        start.wait()
        for _ in range(steps):
            (w * 1.0).sum().backward()  # adds 1 to each element of w.grad

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(previous)
    assert np.all(w.grad == workers * steps), np.unique(w.grad)


def test_grad_mode_and_anomaly_mode_are_per_thread():
    seen = {}

    def other():
        seen["grad"] = is_grad_enabled()
        seen["records"] = (Tensor([1.0], requires_grad=True) * 2).requires_grad

    with no_grad():
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen == {"grad": True, "records": True}


def test_no_grad_decorates_generator_functions():
    x = Tensor([1.0], requires_grad=True)

    @no_grad()
    def batches(n):
        for i in range(n):
            yield x * i, is_grad_enabled()

    produced = []
    for y, enabled in batches(3):
        produced.append((y.requires_grad, enabled))
        assert is_grad_enabled()  # the caller's mode between the generator's steps
        assert (x * 2).requires_grad
    assert produced == [(False, False)] * 3

    @enable_grad()
    def recording():
        yield (x * 2).requires_grad

    with no_grad():
        assert list(recording()) == [True]

    @no_grad()
    def returns_value():
        yield 1
        return "done"

    gen = returns_value()
    next(gen)
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == "done"


# --------------------------------------------------------------------------------------- anomaly mode
def test_detect_anomaly_names_the_op_the_shapes_and_the_users_line():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly():
        y = x.sqrt()  # d√x/dx at 0 is inf: the line this test expects in the message
        line = sys._getframe().f_lineno - 1
        with pytest.raises(RuntimeError) as error:
            (y * 2).sum().backward()
    message = str(error.value)
    assert "Sqrt.backward returned inf" in message
    assert "[(2,)]" in message
    assert f"test_engine_safety.py:{line}" in message


def test_without_anomaly_mode_nothing_is_checked_or_recorded():
    x = Tensor([0.0, 4.0], requires_grad=True)
    y = x.sqrt()
    assert "_anomaly" not in vars(y._ctx)
    y.sum().backward()  # inf in the gradient, as in PyTorch without anomaly mode
    assert np.isinf(x.grad[0])


def test_anomaly_mode_ignores_finite_gradients_and_upstream_nans():
    x = Tensor([1.0, 4.0], requires_grad=True)
    with detect_anomaly():
        (x.sqrt() * 3).sum().backward()  # all finite: no error
        x.grad = None
        x.sqrt().backward(np.array([np.nan, 1.0]))  # a NaN seed is not the op's doing
    assert np.isnan(x.grad[0])


# -------------------------------------------------------------------------------------- numpy interop
def test_numpy_ufuncs_on_a_tensor_raise_pointing_to_the_method():
    t = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"numpy's exp does not work on a Tensor.*t\.exp\(\)"):
        np.exp(t)
    with pytest.raises(TypeError, match=r"t\.abs\(\)"):
        np.abs(t)


def test_numpy_operators_with_a_tensor_run_the_tensor_operator():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x  # array on the left: Tensor.__rmul__
    assert isinstance(y, Tensor) and y.requires_grad
    (np.float64(2.0) - y).sum().backward()
    np.testing.assert_array_equal(x.grad, [-3.0, -4.0])
    assert isinstance(np.array([0.0, 5.0]) < x, Tensor)


def test_np_asarray_gives_the_data_unless_the_tensor_requires_grad():
    t = Tensor([1.0, 2.0])
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    copy = np.array(t)
    assert copy.flags.writeable and not np.shares_memory(copy, t.data)
    with pytest.raises(RuntimeError, match="requires grad.*detach"):
        np.asarray(Tensor([1.0], requires_grad=True))


def test_iterating_a_tensor():
    with pytest.raises(TypeError, match="0-d tensor"):
        list(Tensor(3.0))
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert [r.shape for r in rows] == [(2,), (2,)]
    (rows[1] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [2.0, 2.0]])


# ------------------------------------------------------------------------------------------ long runs
_WORKLOADS = Path(__file__).resolve().parent / "memory_workloads.py"
_TENSOR_BYTES = 200  # what keeping one 0-d tensor per step costs: the smallest leak to catch


def _memory_windows(workload: str, windows: int, steps_per_window: int, keep: bool = False) -> dict:
    """Per window of steps, live engine objects and tracemalloc's bytes, measured in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, str(_WORKLOADS), workload, str(windows), str(steps_per_window), "keep" if keep else "no"],
        capture_output=True, text=True, timeout=300, cwd=_WORKLOADS.parent.parent,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _leaks(windows: dict, steps_per_window: int) -> list[str]:
    """What grows without stopping: any live engine object after the first window, or bytes per step.

    Bytes settle slowly (numpy's caches fill, an interpreter table resizes once), so only their growth over the
    second half of the windows counts, as a median: one resize is one window; a leak is in every window.
    """
    found = []
    if len(set(windows["live"])) != 1:
        found.append(f"live Tensor/Context objects per window: {windows['live']}")
    allocated = windows["allocated"]
    growth = np.diff(allocated[len(allocated) // 2 - 1:])
    per_step = float(np.median(growth)) / steps_per_window
    if per_step > _TENSOR_BYTES / 10:
        found.append(f"{per_step:.0f} bytes per step still added in the last windows: {allocated}")
    return found


@pytest.mark.parametrize("workload", ["textbook", "small_cnn"])
def test_memory_stays_flat_while_training(workload):
    """The book's network and a small CNN trained for 900 steps keep nothing of a step alive."""
    assert _leaks(_memory_windows(workload, windows=6, steps_per_window=150), 150) == []


@pytest.mark.parametrize("workload", ["textbook", "small_cnn"])
def test_memory_check_catches_one_tensor_kept_per_step(workload):
    leaks = _leaks(_memory_windows(workload, windows=4, steps_per_window=100, keep=True), 100)
    assert len(leaks) == 2, leaks  # both measures see it


def test_memory_check_ignores_one_block_allocated_once():
    """A table resize (seen as ~1.9 MB in one window of the full run) is not a leak; the same every window is."""
    flat = [150_000, 157_000, 160_000, 2_060_000, 2_060_300, 2_060_400, 2_060_500]
    assert _leaks({"live": [34] * 7, "allocated": flat}, 150) == []
    steady = [150_000 + 30_000 * k for k in range(7)]  # 200 bytes per step
    assert len(_leaks({"live": [34] * 7, "allocated": steady}, 150)) == 1
    assert len(_leaks({"live": [34, 34, 35, 34, 34, 34, 34], "allocated": flat}, 150)) == 1


def test_no_reference_cycle_keeps_an_old_graph_alive():
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    enabled = gc.isenabled()
    gc.disable()
    try:
        h = (x @ w).relu()
        h.register_hook(lambda g: g)  # a hook and a retained gradient are part of the graph too
        h.retain_grad()
        loss = F.log_softmax(h, axis=1).sum()
        refs = [weakref.ref(t) for t in (h, loss)] + [weakref.ref(h._ctx), weakref.ref(loss._ctx)]
        loss.backward()
        del h, loss
        assert [r() for r in refs] == [None] * len(refs)  # freed by reference counting alone
        kept = Tensor([1.0], requires_grad=True) * 2  # a graph that was never run backward
        ref = weakref.ref(kept._ctx)
        del kept
        assert ref() is None
    finally:
        if enabled:
            gc.enable()

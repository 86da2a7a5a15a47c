"""conv2d and pooling borrow their large temporaries from the private ``WORKSPACE`` pool (``_workspace.py``):
nothing lent may leak into an output, a gradient or what backward keeps. No PyTorch: the loop references of
``reference_cnn`` and a workspace that poisons every buffer it lends are the oracles."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import numpy as np
import pytest
from reference_cnn import conv2d_backward_reference, conv2d_reference

from tinygrad_cnn import Tensor, autograd
from tinygrad_cnn._workspace import WORKSPACE, Workspace
from tinygrad_cnn.ops import _conv_kernels, window
from tinygrad_cnn.ops.conv import conv2d
from tinygrad_cnn.ops.pool import avg_pool2d, max_pool2d

RNG = np.random.default_rng(19)

# (x shape, w shape, kwargs): stride 1 with and without padding ("wide" columns), stride 2, dilation, groups,
# more filters than channels (the col2im path of the input gradient) and fewer (the transposed correlation)
CASES = [
    ((3, 4, 9, 8), (6, 4, 3, 3), {}),
    ((3, 4, 9, 8), (6, 4, 3, 3), {"padding": 1}),
    ((2, 6, 10, 9), (4, 6, 3, 2), {"padding": (2, 1)}),
    ((3, 4, 11, 10), (8, 2, 3, 3), {"stride": 2, "padding": 1, "groups": 2}),
    ((2, 3, 12, 11), (5, 3, 2, 3), {"dilation": 2, "padding": 2}),
]


def _conv_step(x: np.ndarray, w: np.ndarray, b: np.ndarray, delta: np.ndarray, kwargs: dict) -> tuple:
    """conv2d forward and backward: (z, dx, dw, db) as arrays."""
    xt, wt, bt = (Tensor(a, requires_grad=True) for a in (x, w, b))
    z = conv2d(xt, wt, bt, **kwargs)
    z.backward(Tensor(delta))
    return z.data, xt.grad, wt.grad, bt.grad


def _inputs(x_shape, w_shape, kwargs, dtype=np.float64):
    x, w = RNG.normal(size=x_shape).astype(dtype), RNG.normal(size=w_shape).astype(dtype)
    b = RNG.normal(size=w_shape[0]).astype(dtype)
    z_shape = conv2d_reference(x, w, None, **kwargs).shape
    return x, w, b, RNG.normal(size=z_shape).astype(dtype)


class _Poisoned(Workspace):
    """Every buffer lent without ``zero`` comes full of NaN: an element the kernels forget to write shows."""

    @contextmanager
    def lend(self, shape, dtype, zero=False):
        with super().lend(shape, dtype, zero) as array:
            if not zero:
                array.fill(np.nan)
            yield array


@pytest.fixture
def poisoned(monkeypatch):
    pool = _Poisoned()
    for module in (_conv_kernels, window):
        monkeypatch.setattr(module, "WORKSPACE", pool)
    return pool


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CASES)
def test_a_second_call_leaves_the_first_calls_outputs_and_gradients_unchanged(x_shape, w_shape, kwargs):
    first_inputs = _inputs(x_shape, w_shape, kwargs)
    first = _conv_step(*first_inputs, kwargs)
    kept = [a.copy() for a in first]
    second = _conv_step(*_inputs(x_shape, w_shape, kwargs), kwargs)  # same shapes: the same buffers lent again
    for a, b, c in zip(first, kept, second, strict=True):
        np.testing.assert_array_equal(a, b)
        assert not np.shares_memory(a, c)
    assert WORKSPACE.cached_bytes() > 0  # the kernels did borrow (else this test would prove nothing)


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CASES)
def test_results_equal_the_loop_reference_and_do_not_depend_on_what_a_buffer_held(x_shape, w_shape, kwargs, poisoned):
    x, w, b, delta = _inputs(x_shape, w_shape, kwargs)
    z, dx, dw, db = _conv_step(x, w, b, delta, kwargs)
    for got in (z, dx, dw, db):
        assert np.isfinite(got).all()  # no NaN of a poisoned buffer reached a result
        assert not any(np.shares_memory(got, buf) for bufs in poisoned._pool().values() for buf in bufs)
    assert poisoned.cached_bytes() > 0
    np.testing.assert_allclose(z, conv2d_reference(x, w, b, **kwargs), rtol=1e-12, atol=1e-12)
    for got, want in zip((dx, dw, db), conv2d_backward_reference(x, w, delta, **kwargs), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # bit for bit the same as with clean buffers (a fresh pool, nothing reused)
    clean = Workspace(max_bytes=0)
    with pytest.MonkeyPatch.context() as mp:
        for module in (_conv_kernels, window):
            mp.setattr(module, "WORKSPACE", clean)
        for got, want in zip((z, dx, dw, db), _conv_step(x, w, b, delta, kwargs), strict=True):
            np.testing.assert_array_equal(got, want)


def test_float32_results_do_not_depend_on_what_a_buffer_held(poisoned):
    x, w, b, delta = _inputs((4, 3, 10, 10), (5, 3, 3, 3), {"padding": 1}, np.float32)
    got = _conv_step(x, w, b, delta, {"padding": 1})
    with pytest.MonkeyPatch.context() as mp:
        for module in (_conv_kernels, window):
            mp.setattr(module, "WORKSPACE", Workspace(max_bytes=0))
        want = _conv_step(x, w, b, delta, {"padding": 1})
    for g, wnt in zip(got, want, strict=True):
        assert g.dtype == np.float32
        np.testing.assert_array_equal(g, wnt)


@pytest.mark.parametrize("pool, kwargs", [
    (max_pool2d, {"kernel_size": 3, "stride": 2, "padding": 1}),
    (avg_pool2d, {"kernel_size": 3, "stride": 1, "padding": 1}),
    (max_pool2d, {"kernel_size": 2, "stride": 2, "ceil_mode": True}),
])
def test_pooling_gradients_survive_a_second_call_and_poisoned_buffers(pool, kwargs, poisoned):
    grads = []
    for _ in range(2):
        x = Tensor(RNG.normal(size=(2, 3, 7, 7)), requires_grad=True)
        y = pool(x, **kwargs)
        y.backward(Tensor(RNG.normal(size=y.shape)))
        grads.append((x.grad, x.grad.copy()))
    first, first_copy = grads[0]
    np.testing.assert_array_equal(first, first_copy)
    assert not np.shares_memory(first, grads[1][0])
    assert np.isfinite(first).all()
    assert not any(np.shares_memory(first, buf) for bufs in poisoned._pool().values() for buf in bufs)


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CASES[1:4])
def test_second_order_is_unchanged_by_a_call_in_between(x_shape, w_shape, kwargs):
    # create_graph: the first-order gradients are Tensors in a graph; another call must not disturb them
    x, w, b, _ = _inputs(x_shape, w_shape, kwargs)
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    z = conv2d(xt, wt, Tensor(b), **kwargs)
    gx, gw = autograd.grad((z * z).sum(), [xt, wt], create_graph=True)
    gx_copy, gw_copy = gx.data.copy(), gw.data.copy()
    _conv_step(*_inputs(x_shape, w_shape, kwargs), kwargs)  # an unrelated call of the same shapes
    np.testing.assert_array_equal(gx.data, gx_copy)
    np.testing.assert_array_equal(gw.data, gw_copy)
    (hx,) = autograd.grad((gx * gx).sum() + (gw * gw).sum(), [xt], retain_graph=True)
    _conv_step(*_inputs(x_shape, w_shape, kwargs), kwargs)
    (hx_again,) = autograd.grad(((gx * gx).sum() + (gw * gw).sum()), [xt])
    np.testing.assert_array_equal(hx.data, hx_again.data)


def test_two_threads_running_conv_at_once_get_their_own_results():
    work = [_inputs(*case[:2], case[2]) for case in CASES[:3] for _ in range(2)]
    kwargs = [case[2] for case in CASES[:3] for _ in range(2)]
    want = [_conv_step(*inputs, kw) for inputs, kw in zip(work, kwargs, strict=True)]
    failures: list[str] = []
    barrier = threading.Barrier(2)

    def run(order: list[int]) -> None:
        barrier.wait()
        for _ in range(5):
            for i in order:
                got = _conv_step(*work[i], kwargs[i])
                if not all(np.array_equal(g, w) for g, w in zip(got, want[i], strict=True)):
                    failures.append(f"case {i}")

    threads = [threading.Thread(target=run, args=(order,)) for order in ([0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 0])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures

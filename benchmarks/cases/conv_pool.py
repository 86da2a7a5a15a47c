"""conv2d and max_pool2d, forward + backward, against PyTorch (CPU) and MyGrad.

- ``conv2d_f32`` / ``conv2d_f64``: x (32, 8, 28, 28), weight (16, 8, 3, 3), bias (16,), stride 1, no
  padding -> (32, 16, 26, 26); the timed call runs the forward pass and the backward pass with a fixed
  upstream gradient, giving the gradients of x, weight and bias.
- ``max_pool2d_f32`` / ``max_pool2d_f64``: 2×2 windows, stride 2, on (32, 16, 26, 26) -> (32, 16, 13, 13),
  forward + backward with a fixed upstream gradient.

Every contestant gets the same arrays (drawn once per case). PyTorch runs on one thread: on the small
shared machines this project is measured on, its default thread pool (one thread per core) is slowed
by an order of magnitude whenever another process holds a core (we saw 63 ms instead of 11 ms for the
same conv2d), which would flatter us; one thread is also what our numpy code mostly uses (numpy's
elementwise loops are single-threaded; only its BLAS calls may use more).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from benchmarks.harness import Case, PeerUnavailable

CONV_X, CONV_W = (32, 8, 28, 28), (16, 8, 3, 3)
CONV_OUT = (32, 16, 26, 26)
POOL_X, POOL_OUT = (32, 16, 26, 26), (32, 16, 13, 13)


def _conv_data(dtype: type) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x, weight, bias and the upstream gradient, in ``dtype``: the same for every contestant."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(CONV_X), rng.standard_normal(CONV_W) / 8
    b, g = rng.standard_normal(16), rng.standard_normal(CONV_OUT)
    return tuple(a.astype(dtype) for a in (x, w, b, g))


def _pool_data(dtype: type) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.standard_normal(POOL_X).astype(dtype), rng.standard_normal(POOL_OUT).astype(dtype)


def _torch():
    try:
        import torch
    except ImportError:
        raise PeerUnavailable("the CPU build of PyTorch (see benchmarks/README.md)") from None
    torch.set_num_threads(1)  # see the module docstring: stable on a shared machine, and like our numpy code
    return torch


def _mygrad():
    try:
        import mygrad
        import mygrad.nnet
    except ImportError:
        raise PeerUnavailable("pip install mygrad") from None
    return mygrad


# ------------------------------------------------------------------------------------------ conv2d
def _conv_ours(dtype: type) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        from tinygrad_cnn import Tensor
        from tinygrad_cnn.ops.conv import conv2d

        x, w, b, g = _conv_data(dtype)
        tx, tw, tb = (Tensor(a, requires_grad=True) for a in (x, w, b))

        def run() -> object:
            tx.grad = tw.grad = tb.grad = None
            z = conv2d(tx, tw, tb)
            z.backward(g)
            return z

        return run

    return factory


def _conv_torch(dtype: type) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        torch = _torch()
        x, w, b, g = (torch.from_numpy(a) for a in _conv_data(dtype))
        x.requires_grad_(), w.requires_grad_(), b.requires_grad_()

        def run() -> object:
            x.grad = w.grad = b.grad = None
            z = torch.nn.functional.conv2d(x, w, b)
            z.backward(g)
            return z

        return run

    return factory


def _conv_mygrad(dtype: type) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        mg = _mygrad()
        x, w, b, g = _conv_data(dtype)
        mx, mw, mb = mg.tensor(x), mg.tensor(w), mg.tensor(b.reshape(1, 16, 1, 1))

        def run() -> object:
            z = mg.nnet.conv_nd(mx, mw, stride=1) + mb  # MyGrad's conv has no bias argument
            z.backward(g)
            return z

        return run

    return factory


# -------------------------------------------------------------------------------------- max_pool2d
def _pool_ours(dtype: type) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        from tinygrad_cnn import Tensor
        from tinygrad_cnn.ops.pool import max_pool2d

        x, g = _pool_data(dtype)
        tx = Tensor(x, requires_grad=True)

        def run() -> object:
            tx.grad = None
            z = max_pool2d(tx, 2)
            z.backward(g)
            return z

        return run

    return factory


def _pool_torch(dtype: type) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        torch = _torch()
        x, g = (torch.from_numpy(a) for a in _pool_data(dtype))
        x.requires_grad_()

        def run() -> object:
            x.grad = None
            z = torch.nn.functional.max_pool2d(x, 2)
            z.backward(g)
            return z

        return run

    return factory


def _pool_mygrad(dtype: type) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        mg = _mygrad()
        x, g = _pool_data(dtype)
        mx = mg.tensor(x)

        def run() -> object:
            z = mg.nnet.max_pool(mx, (2, 2), 2)
            z.backward(g)
            return z

        return run

    return factory


CASES = [
    *(
        Case(
            name=f"conv2d_{tag}",
            description=f"conv2d {CONV_X} * {CONV_W} + bias, forward + backward (x, weight, bias), {tag}",
            ours=_conv_ours(dtype),
            peers={"pytorch": _conv_torch(dtype), "mygrad": _conv_mygrad(dtype)},
            targets={"pytorch": ("ratio<=", 2.0), "mygrad": ("speedup>=", 2.0)},
        )
        for tag, dtype in (("f32", np.float32), ("f64", np.float64))
    ),
    *(
        Case(
            name=f"max_pool2d_{tag}",
            description=f"max_pool2d 2x2 stride 2 on {POOL_X}, forward + backward, {tag}",
            ours=_pool_ours(dtype),
            peers={"pytorch": _pool_torch(dtype), "mygrad": _pool_mygrad(dtype)},
            targets={"pytorch": ("ratio<=", 2.0), "mygrad": ("speedup>=", 4.0)},
        )
        for tag, dtype in (("f32", np.float32), ("f64", np.float64))
    ),
]

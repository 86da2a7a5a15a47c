"""conv2d and max_pool2d, forward + backward, against PyTorch (CPU) and MyGrad.

conv2d (x, weight and bias gradients from a fixed upstream gradient), in float32 and float64:

- ``conv2d_*``: x (32, 8, 28, 28), weight (16, 8, 3, 3), stride 1, no padding -> (32, 16, 26, 26);
- ``conv2d_64ch_pad1_*``: a 3×3 padding-1 layer, 64 -> 64 channels on 32×32 images, batch 8;
- ``conv2d_stride2_*``: a 3×3 stride-2 padding-1 downsampling layer, x (32, 32, 32, 32), 32 -> 64
  channels -> (32, 64, 16, 16).

Each conv case carries its FLOPs (forward, input gradient and weight gradient: 3 × 2·N·C_out·Ho·Wo·C_in·k²),
so the report gives the machine's limit: those FLOPs at numpy's GEMM rate measured in the same run.
``max_pool2d_*``: 2×2 windows, stride 2, on (32, 16, 26, 26). Every contestant gets the same arrays.
The harness runs both sides at the same thread count (see benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from benchmarks.cases import _peers
from benchmarks.harness import Case

POOL_X, POOL_OUT = (32, 16, 26, 26), (32, 16, 13, 13)
# name -> (x shape, weight shape, stride, padding)
CONVS = {
    "conv2d": ((32, 8, 28, 28), (16, 8, 3, 3), 1, 0),
    "conv2d_64ch_pad1": ((8, 64, 32, 32), (64, 64, 3, 3), 1, 1),
    "conv2d_stride2": ((32, 32, 32, 32), (64, 32, 3, 3), 2, 1),
}
DTYPES = {"f32": np.float32, "f64": np.float64}


def out_shape(x: tuple, w: tuple, stride: int, padding: int) -> tuple[int, int, int, int]:
    n, _, h, wd = x
    k = w[2]
    return (n, w[0], (h + 2 * padding - k) // stride + 1, (wd + 2 * padding - k) // stride + 1)


def conv_flops(x: tuple, w: tuple, stride: int, padding: int) -> float:
    """Multiply-adds × 2 of the forward pass, the input gradient and the weight gradient."""
    n, c_out, ho, wo = out_shape(x, w, stride, padding)
    return 3 * 2.0 * n * c_out * ho * wo * w[1] * w[2] * w[3]


def _conv_data(spec: tuple, dtype: type) -> tuple[np.ndarray, ...]:
    """x, weight, bias and the upstream gradient, in ``dtype``: the same for every contestant."""
    x_shape, w_shape, stride, padding = spec
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape) / np.sqrt(np.prod(w_shape[1:]))
    b, g = rng.standard_normal(w_shape[0]), rng.standard_normal(out_shape(x_shape, w_shape, stride, padding))
    return tuple(a.astype(dtype) for a in (x, w, b, g))


def _conv_ours(spec: tuple, dtype: type) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        from tinygrad_cnn import Tensor
        from tinygrad_cnn.ops.conv import conv2d

        x, w, b, g = _conv_data(spec, dtype)
        tx, tw, tb = (Tensor(a, requires_grad=True) for a in (x, w, b))

        def run() -> object:
            tx.grad = tw.grad = tb.grad = None
            z = conv2d(tx, tw, tb, stride=spec[2], padding=spec[3])
            z.backward(g)
            return z

        return run

    return factory


def _conv_torch(spec: tuple, dtype: type) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        torch = _peers.torch()
        x, w, b, g = (torch.from_numpy(a) for a in _conv_data(spec, dtype))
        x.requires_grad_(), w.requires_grad_(), b.requires_grad_()

        def run() -> object:
            x.grad = w.grad = b.grad = None
            z = torch.nn.functional.conv2d(x, w, b, stride=spec[2], padding=spec[3])
            z.backward(g)
            return z

        return run

    return factory


def _conv_mygrad(spec: tuple, dtype: type) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        mg = _peers.mygrad()
        x, w, b, g = _conv_data(spec, dtype)
        mx, mw, mb = mg.tensor(x), mg.tensor(w), mg.tensor(b.reshape(1, -1, 1, 1))

        def run() -> object:
            z = mg.nnet.conv_nd(mx, mw, stride=1) + mb  # MyGrad's conv has no bias argument
            z.backward(g)
            return z

        return run

    return factory


def _pool_data(dtype: type) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.standard_normal(POOL_X).astype(dtype), rng.standard_normal(POOL_OUT).astype(dtype)


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
        torch = _peers.torch()
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
        mg = _peers.mygrad()
        x, g = _pool_data(dtype)
        mx = mg.tensor(x)

        def run() -> object:
            z = mg.nnet.max_pool(mx, (2, 2), 2)
            z.backward(g)
            return z

        return run

    return factory


def _conv_case(name: str, tag: str) -> Case:
    spec, dtype = CONVS[name], DTYPES[tag]
    x_shape, w_shape, stride, padding = spec
    peers = {"pytorch": _conv_torch(spec, dtype)}
    targets = {"pytorch": ("ratio<=", 1.0 if tag == "f64" else 1.2)}  # issue 19, one thread and all cores
    if name == "conv2d":  # MyGrad's conv has no padding: only the unpadded case
        peers["mygrad"] = _conv_mygrad(spec, dtype)
        targets["mygrad"] = ("speedup>=", 2.0)
    return Case(
        name=f"{name}_{tag}",
        description=f"conv2d x {x_shape} * w {w_shape} + bias, stride {stride}, padding {padding}, "
        f"forward + backward (x, weight, bias), {dtype.__name__}",
        ours=_conv_ours(spec, dtype), peers=peers, targets=targets,
        flops=conv_flops(*spec), dtype=dtype.__name__,
    )


CASES = [
    *(_conv_case(name, tag) for name in CONVS for tag in DTYPES),
    *(
        Case(
            name=f"max_pool2d_{tag}",
            description=f"max_pool2d 2x2 stride 2 on {POOL_X}, forward + backward, {dtype.__name__}",
            ours=_pool_ours(dtype),
            peers={"pytorch": _pool_torch(dtype), "mygrad": _pool_mygrad(dtype)},
            targets={"pytorch": ("ratio<=", 1.0), "mygrad": ("speedup>=", 4.0)},  # issue 19: faster than PyTorch
        )
        for tag, dtype in DTYPES.items()
    ),
]

"""Normalization layers, gelu, adaptive pooling and cross-entropy, forward + backward at first order, vs PyTorch.

The speed of the first-order path of the rules that issue 18 made differentiable twice: each case times
one forward and one backward (``sum(out · w)`` with a fixed random ``w``, so the gradient is not trivial).

- ``batch_norm_train_f32``: ``batch_norm`` in training mode with γ, β on (32, 16, 14, 14) float32.
- ``batch_norm_eval_f32``: the same with running statistics (evaluation).
- ``layer_norm_f32``: ``layer_norm`` over the last axis (256) of (64, 32, 256) float32, with γ, β.
- ``gelu_f32``: exact ``gelu`` on (64, 32, 256) float32.
- ``adaptive_avg_pool2d_f32``: ``adaptive_avg_pool2d`` of (32, 16, 14, 14) to 5×5 (overlapping windows).
- ``cross_entropy_f32``: ``cross_entropy`` of (512, 100) logits, with label smoothing 0.1.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from benchmarks.cases import _peers
from benchmarks.harness import Case

BN_SHAPE = (32, 16, 14, 14)
LN_SHAPE = (64, 32, 256)
CE_SHAPE = (512, 100)
POOL_SHAPE = (32, 16, 14, 14)
SHAPES = {"bn_train": BN_SHAPE, "bn_eval": BN_SHAPE, "ln": LN_SHAPE, "gelu": LN_SHAPE, "pool": POOL_SHAPE,
          "ce": CE_SHAPE}


def _data(shape: tuple[int, ...], params: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(shape).astype(np.float32)
    gamma = (1 + 0.1 * rng.standard_normal(params)).astype(np.float32)
    beta = (0.1 * rng.standard_normal(params)).astype(np.float32)
    return x, w, gamma, beta


def _labels() -> np.ndarray:
    return np.random.default_rng(1).integers(0, CE_SHAPE[1], CE_SHAPE[0])


def _ours(which: str) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        import tinygrad_cnn.functional as F
        from tinygrad_cnn import Tensor

        shape = SHAPES[which]
        params = shape[1] if which.startswith("bn") else shape[-1]
        x_, w_, g_, b_ = _data(shape, params)
        x, gamma, beta = (Tensor(a, requires_grad=True) for a in (x_, g_, b_))
        w = Tensor(w_)
        mean, var = np.zeros(params, np.float32), np.ones(params, np.float32)
        labels = _labels()

        def forward() -> object:
            if which == "bn_train":
                return F.batch_norm(x, mean.copy(), var.copy(), gamma, beta, training=True)
            if which == "bn_eval":
                return F.batch_norm(x, mean, var, gamma, beta, training=False)
            if which == "ln":
                return F.layer_norm(x, (shape[-1],), gamma, beta)
            if which == "gelu":
                return F.gelu(x)
            if which == "pool":
                return F.adaptive_avg_pool2d(x, 5)
            return F.cross_entropy(x, labels, label_smoothing=0.1)

        def run() -> object:
            x.grad = gamma.grad = beta.grad = None
            out = forward()
            if which == "ce":
                out.backward()
            else:
                (out * (w if which != "pool" else w[..., :5, :5])).sum().backward()
            return x.grad

        return run

    return factory


def _torch(which: str) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        torch = _peers.torch()
        F = torch.nn.functional
        shape = SHAPES[which]
        params = shape[1] if which.startswith("bn") else shape[-1]
        x_, w_, g_, b_ = _data(shape, params)
        x, gamma, beta = (torch.tensor(a, requires_grad=True) for a in (x_, g_, b_))
        w = torch.tensor(w_)
        mean, var = torch.zeros(params), torch.ones(params)
        labels = torch.tensor(_labels())

        def forward() -> object:
            if which == "bn_train":
                return F.batch_norm(x, mean.clone(), var.clone(), gamma, beta, training=True)
            if which == "bn_eval":
                return F.batch_norm(x, mean, var, gamma, beta, training=False)
            if which == "ln":
                return F.layer_norm(x, (shape[-1],), gamma, beta)
            if which == "gelu":
                return F.gelu(x)
            if which == "pool":
                return F.adaptive_avg_pool2d(x, 5)
            return F.cross_entropy(x, labels, label_smoothing=0.1)

        def run() -> object:
            x.grad = gamma.grad = beta.grad = None
            out = forward()
            if which == "ce":
                out.backward()
            else:
                (out * (w if which != "pool" else w[..., :5, :5])).sum().backward()
            return x.grad

        return run

    return factory


def _case(name: str, which: str, description: str) -> Case:
    return Case(name=name, description=description + ", forward + backward, float32", ours=_ours(which),
                peers={"pytorch": _torch(which)}, dtype="float32")


CASES = [
    _case("batch_norm_train_f32", "bn_train", f"batch_norm (training, γ, β) on {BN_SHAPE}"),
    _case("batch_norm_eval_f32", "bn_eval", f"batch_norm (evaluation, γ, β) on {BN_SHAPE}"),
    _case("layer_norm_f32", "ln", f"layer_norm over the last axis of {LN_SHAPE}, γ, β"),
    _case("gelu_f32", "gelu", f"gelu (exact) on {LN_SHAPE}"),
    _case("adaptive_avg_pool2d_f32", "pool", f"adaptive_avg_pool2d of {POOL_SHAPE} to 5x5"),
    _case("cross_entropy_f32", "ce", f"cross_entropy of {CE_SHAPE} logits, label smoothing 0.1"),
]

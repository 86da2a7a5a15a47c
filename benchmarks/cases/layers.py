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


def _ours_library() -> tuple[object, Callable[..., object], Callable[[np.ndarray], object]]:
    import tinygrad_cnn.functional as F
    from tinygrad_cnn import Tensor

    return F, Tensor, np.copy  # running statistics are numpy arrays here


def _torch_library() -> tuple[object, Callable[..., object], Callable[[np.ndarray], object]]:
    torch = _peers.torch()
    return torch.nn.functional, torch.tensor, torch.tensor


def _timed(which: str, library: Callable[[], tuple]) -> Callable[[], Callable[[], object]]:
    """The case ``which`` on one library, given as (functional, tensor constructor, running-buffer constructor):
    both libraries spell every call the same way (PyTorch's API)."""

    def factory() -> Callable[[], object]:
        F, tensor, buffer = library()
        shape = SHAPES[which]
        params = shape[1] if which.startswith("bn") else shape[-1]
        x_, w_, g_, b_ = _data(shape, params)
        x, gamma, beta = (tensor(a, requires_grad=True) for a in (x_, g_, b_))
        w = tensor(w_)
        mean, var = np.zeros(params, np.float32), np.ones(params, np.float32)
        labels = tensor(_labels())
        running_mean, running_var = buffer(mean), buffer(var)

        def forward() -> object:
            if which == "bn_train":  # fresh running statistics each call: training updates them in place
                return F.batch_norm(x, buffer(mean), buffer(var), gamma, beta, training=True)
            if which == "bn_eval":
                return F.batch_norm(x, running_mean, running_var, gamma, beta, training=False)
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
    return Case(name=name, description=description + ", forward + backward, float32", ours=_timed(which, _ours_library),
                peers={"pytorch": _timed(which, _torch_library)}, dtype="float32")


CASES = [
    _case("batch_norm_train_f32", "bn_train", f"batch_norm (training, γ, β) on {BN_SHAPE}"),
    _case("batch_norm_eval_f32", "bn_eval", f"batch_norm (evaluation, γ, β) on {BN_SHAPE}"),
    _case("layer_norm_f32", "ln", f"layer_norm over the last axis of {LN_SHAPE}, γ, β"),
    _case("gelu_f32", "gelu", f"gelu (exact) on {LN_SHAPE}"),
    _case("adaptive_avg_pool2d_f32", "pool", f"adaptive_avg_pool2d of {POOL_SHAPE} to 5x5"),
    _case("cross_entropy_f32", "ce", f"cross_entropy of {CE_SHAPE} logits, label smoothing 0.1"),
]

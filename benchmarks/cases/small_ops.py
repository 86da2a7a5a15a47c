"""Per-op overhead of the tensor engine: a chain of small elementwise ops on 4 elements, against PyTorch.

The chain is ``N_OPS`` ops (``BLOCKS`` repeats of ``y * w``, ``y + b``, ``tanh``, ``sigmoid``) on a float64
tensor of 4 elements that requires grad, so the time is the per-op overhead (graph recording, dispatch,
dtype handling), not arithmetic. ``small_ops_forward`` times the forward chain alone (graph recorded),
``small_ops_fwd_bwd`` the chain, a sum and backward. Time per op = the median ÷ ``N_OPS``; the backward's
own cost per op is (fwd_bwd − forward) ÷ ``N_OPS``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from benchmarks.cases import _peers
from benchmarks.harness import Case

BLOCKS = 16
N_OPS = 4 * BLOCKS  # 64


def _data() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    return tuple(rng.standard_normal(4) for _ in range(3))  # x, w, b: (4,) float64


def _chain(x: object, w: object, b: object) -> object:
    y = x
    for _ in range(BLOCKS):
        y = (y * w + b).tanh().sigmoid()
    return y


def _contestant(make_leaf: Callable[[np.ndarray], object], backward: bool) -> Callable[[], object]:
    """The timed call for one side: the chain on leaves made by ``make_leaf`` (and sum + backward)."""
    x, w, b = (make_leaf(a) for a in _data())

    def run() -> object:
        y = _chain(x, w, b)
        if backward:
            x.grad = w.grad = b.grad = None
            y.sum().backward()
        return y

    return run


def _ours(backward: bool) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        from tinygrad_cnn import Tensor

        return _contestant(lambda a: Tensor(a, requires_grad=True), backward)

    return factory


def _torch(backward: bool) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        torch = _peers.torch()
        return _contestant(lambda a: torch.tensor(a, requires_grad=True), backward)

    return factory


CASES = [
    Case(
        name="small_ops_forward",
        description=f"{N_OPS} elementwise ops (*, +, tanh, sigmoid) on 4 float64 elements that require grad, "
        f"forward only (per op: median / {N_OPS})",
        ours=_ours(False), peers={"pytorch": _torch(False)}, targets={"pytorch": ("ratio<=", 1.8)},  # issue 19
    ),
    Case(
        name="small_ops_fwd_bwd",
        description=f"the same {N_OPS} ops, then sum and backward (per op: median / {N_OPS})",
        ours=_ours(True), peers={"pytorch": _torch(True)}, targets={"pytorch": ("ratio<=", 1.3)},  # issue 19
    ),
]

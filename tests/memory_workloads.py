"""Training loops whose memory the tests watch, each run in a fresh interpreter (``python memory_workloads.py``).

A fresh process means nothing the earlier tests left behind (interpreter tables, numpy's caches, Hypothesis's
databases) can resize inside the measured windows. For each window of steps it reports two things:

- ``live``: the engine's objects still alive (``Tensor`` and ``Context`` instances found by the cycle collector
  after a full collection). An exact count: a loop that keeps anything of a step alive grows it every window.
- ``allocated``: the bytes tracemalloc sees (numpy's arrays included). Noisy in absolute terms (caches fill,
  tables resize once), so the tests ask that its growth *stops*, not that one window stays under a bound.

``keep=True`` keeps one small tensor per step, the smallest leak the tests must still catch.
"""

from __future__ import annotations

import gc
import json
import sys
import tracemalloc

import numpy as np

from tinygrad_cnn import Tensor, nn, optim
from tinygrad_cnn.function import Context


def _live_engine_objects() -> int:
    gc.collect()
    return sum(isinstance(obj, (Tensor, Context)) for obj in gc.get_objects())


def _textbook():
    from tinygrad_cnn.textbook import initial_parameters, load_data, tensor_net

    images, targets = load_data()
    p = tensor_net.to_tensors(initial_parameters())
    optimizer = optim.SGD(list(p.values()), lr=0.2)

    def step(_: int) -> Tensor:
        optimizer.zero_grad()
        a_O = tensor_net.forward(p, images)["a_O"]
        loss = 0.5 * ((Tensor(targets) - a_O) ** 2).sum()
        loss.backward()
        optimizer.step()
        return loss

    return step


def _small_cnn():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 10))
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    x = rng.standard_normal((16, 1, 8, 8)).astype(np.float32)
    labels = rng.integers(0, 10, 16)

    def step(k: int) -> Tensor:
        optimizer.zero_grad()
        logits = model(Tensor(np.roll(x, k, axis=0)))
        loss = -logits.log_softmax(axis=1)[np.arange(16), labels].mean()
        loss.backward()
        optimizer.step()
        return loss

    return step


WORKLOADS = {"textbook": _textbook, "small_cnn": _small_cnn}


def run(workload: str, windows: int, steps_per_window: int, keep: bool) -> dict[str, list[int]]:
    step = WORKLOADS[workload]()
    kept = []
    live, allocated = [], []
    tracemalloc.start()
    try:
        for window in range(windows):
            for k in range(steps_per_window):
                loss = step(window * steps_per_window + k)
                if keep:
                    kept.append(loss.detach())  # one 0-d tensor per step: ~200 bytes, no graph
            live.append(_live_engine_objects())  # collects first, so tracemalloc below sees no garbage
            allocated.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    return {"live": live, "allocated": allocated}


if __name__ == "__main__":
    name, windows, per_window, keep = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "keep"
    print(json.dumps(run(name, windows, per_window, keep)))

"""Peak memory of a large conv2d forward + backward, against 3× the size of its input, output and weights.

``python -m benchmarks --memory``: x (128, 64, 32, 32), weight (64, 64, 3, 3), bias, padding 1, float32 and
float64. ``tracemalloc`` sees numpy's allocations; x, the weights and the upstream gradient are made
before tracing starts, so the peak counts what the forward and backward passes allocate: the output,
the saved arrays, temporaries (an im2col buffer, say) and the three gradients.
"""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np

X_SHAPE, W_SHAPE = (128, 64, 32, 32), (64, 64, 3, 3)
BUDGET = 3.0  # the target: peak <= 3 × (input + output + weights)


def measure_one(dtype: type) -> dict[str, object]:
    from tinygrad_cnn import Tensor
    from tinygrad_cnn.ops.conv import conv2d

    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal(X_SHAPE).astype(dtype), requires_grad=True)
    w = Tensor((rng.standard_normal(W_SHAPE) / 24).astype(dtype), requires_grad=True)
    b = Tensor(np.zeros(W_SHAPE[0], dtype=dtype), requires_grad=True)
    g = np.ones((X_SHAPE[0], W_SHAPE[0], X_SHAPE[2], X_SHAPE[3]), dtype=dtype)  # the output's shape (padding 1)
    gc.collect()
    tracemalloc.start()
    try:
        z = conv2d(x, w, b, padding=1)
        z.backward(g)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    itemsize = np.dtype(dtype).itemsize
    sizes = {"input": x.data.size * itemsize, "output": g.size * itemsize,
             "weights": (w.data.size + b.data.size) * itemsize}
    reference = sum(sizes.values())
    return {"dtype": np.dtype(dtype).name, "peak_bytes": peak, "reference_bytes": reference, **sizes,
            "peak_over_reference": peak / reference, "target": BUDGET, "met": peak <= BUDGET * reference}


def measure() -> dict[str, object]:
    return {"x": X_SHAPE, "weight": W_SHAPE, "padding": 1,
            "results": [measure_one(np.float32), measure_one(np.float64)]}


def markdown(doc: dict[str, object]) -> str:
    lines = ["| dtype | peak (MB) | input + output + weights (MB) | peak / that | target | met? |",
             "| --- | ---: | ---: | ---: | --- | --- |"]
    for r in doc["results"]:  # type: ignore[union-attr]
        lines.append(f"| {r['dtype']} | {r['peak_bytes'] / 1e6:.1f} | {r['reference_bytes'] / 1e6:.1f} | "
                     f"{r['peak_over_reference']:.2f} | <= {r['target']:g} | {'yes' if r['met'] else '**no**'} |")
    return "\n".join(lines) + "\n"

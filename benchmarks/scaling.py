"""How cost grows: conv2d and a training step over batch size and image size, ours and PyTorch's.

Two workloads, each swept over batch sizes (image 28×28) and image sizes (batch 16), at one thread on
both sides, float32; the figure is the time per sample:

- conv2d forward + backward, x (B, 8, S, S), weight (16, 8, 3, 3), padding 1;
- one SGD training step of a LeNet-style CNN with padded convolutions, so that every image size from 8
  works: conv(1→8, 3×3, pad 1) → relu → maxpool 2 → conv(8→16, 3×3, pad 1) → relu → maxpool 2 →
  linear(16·(S/4)²→10).

``python -m benchmarks --plot DIR`` runs the sweep, writes ``DIR/scaling.json`` and draws
``DIR/scaling.png`` (matplotlib).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.case import Case
from benchmarks.machine import machine_info
from benchmarks.timing import measure_contestants

BATCHES = (1, 4, 16, 64, 256)
SIZES = (8, 16, 32, 64)
BATCH_AT, SIZE_AT = 16, 28  # the batch of the image-size sweep, the image size of the batch sweep
WORKLOADS = ("conv2d", "train_step")


def _conv(batch: int, size: int) -> dict[str, Callable]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 8, size, size)).astype(np.float32)
    w = (rng.standard_normal((16, 8, 3, 3)) / 8).astype(np.float32)
    g = rng.standard_normal((batch, 16, size, size)).astype(np.float32)

    def ours() -> Callable[[], object]:
        from tinygrad_cnn import Tensor
        from tinygrad_cnn.ops.conv import conv2d

        tx, tw = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)

        def run() -> object:
            tx.grad = tw.grad = None
            z = conv2d(tx, tw, padding=1)
            z.backward(g)
            return z

        return run

    def pytorch() -> Callable[[], object]:
        import torch

        tx, tw = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
        tg = torch.from_numpy(g)

        def run() -> object:
            tx.grad = tw.grad = None
            z = torch.nn.functional.conv2d(tx, tw, padding=1)
            z.backward(tg)
            return z

        return run

    return {"ours": ours, "pytorch": pytorch}


def _train_step(batch: int, size: int) -> dict[str, Callable]:
    from benchmarks.cases import training

    layers = [("conv", 1, 8, 1), ("relu",), ("pool",), ("conv", 8, 16, 1), ("relu",), ("pool",),
              ("linear", 16 * (size // 4) ** 2, 10)]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 1, size, size)).astype(np.float32)
    y = rng.integers(0, 10, batch)

    def ours() -> Callable[[], object]:
        from tinygrad_cnn import optim

        model = training._our_model(layers)
        opt = optim.SGD(list(model.parameters()), lr=0.01)
        return lambda: training._step_ours(model, opt, x, y)

    def pytorch() -> Callable[[], object]:
        import torch

        model = training._torch_model(torch, layers, training._our_model(layers))
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        return lambda: training._step_torch(torch, model, opt, tx, ty)

    return {"ours": ours, "pytorch": pytorch}


def sweep(repeat: int = 5, progress: Callable[[str], None] | None = None) -> dict[str, object]:
    """Time every point (ours and PyTorch interleaved, one thread each); ms per sample, medians."""
    builders = {"conv2d": _conv, "train_step": _train_step}
    points = [(w, "batch", b, b, SIZE_AT) for w in WORKLOADS for b in BATCHES]
    points += [(w, "size", s, BATCH_AT, s) for w in WORKLOADS for s in SIZES]
    rows = []
    for workload, axis, value, batch, size in points:
        if progress is not None:
            progress(f"scaling: {workload}, batch {batch}, {size}x{size}")
        factories = builders[workload](batch, size)
        case = Case(f"{workload}_{batch}_{size}", "", ours=factories["ours"], peers={"pytorch": factories["pytorch"]})
        measured = measure_contestants(case, repeat=repeat, warmup=1, threads=1)
        row = {"workload": workload, "axis": axis, "value": value, "batch": batch, "size": size}
        for name, m in measured.items():
            row[f"{name}_ms_per_sample"] = None if m.median_s is None else m.median_s * 1e3 / batch
            if m.status != "ok":
                row[f"{name}_note"] = m.note
        rows.append(row)
    return {"threads": 1, "dtype": "float32", "repeat": repeat, "machine": machine_info(), "points": rows}


def markdown(doc: dict[str, object]) -> str:
    """The sweep as a table: ms per sample, ours and PyTorch, and their ratio."""
    lines = ["| workload | batch | image | ours (ms/sample) | PyTorch (ms/sample) | ours/PyTorch |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for p in doc["points"]:  # type: ignore[union-attr]
        ours, torch = p["ours_ms_per_sample"], p.get("pytorch_ms_per_sample")
        ratio = f"{ours / torch:.2f}" if ours and torch else ""
        lines.append(f"| {p['workload']} | {p['batch']} | {p['size']} | {ours:.4g} | "
                     f"{'' if torch is None else f'{torch:.4g}'} | {ratio} |")
    return "\n".join(lines) + "\n"


def plot(doc: dict[str, object], path: Path) -> Path:
    """Draw the sweep: one panel per (workload, axis), time per sample on log-log axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(9, 6.5))
    titles = {"conv2d": "conv2d fwd+bwd, 8→16 ch, 3×3 pad 1", "train_step": "training step (padded LeNet)"}
    for row, workload in enumerate(WORKLOADS):
        for col, axis in enumerate(("batch", "size")):
            ax = axes[row][col]
            pts = [p for p in doc["points"] if p["workload"] == workload and p["axis"] == axis]  # type: ignore
            xs = [p["value"] for p in pts]
            for key, label, style in (("ours_ms_per_sample", "tinygrad_cnn", "o-"),
                                      ("pytorch_ms_per_sample", "PyTorch", "s--")):
                ys = [p.get(key) for p in pts]
                if all(y is not None for y in ys):
                    ax.plot(xs, ys, style, label=label)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            fixed = f"image {SIZE_AT}×{SIZE_AT}" if axis == "batch" else f"batch {BATCH_AT}"
            ax.set_xlabel(("batch size" if axis == "batch" else "image size (pixels per side)") + f" ({fixed})")
            ax.set_ylabel("ms per sample")
            ax.set_title(titles[workload], fontsize=10)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
    fig.suptitle("Time per sample, one thread each, float32 (lower is better)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    plt.close(fig)
    return path

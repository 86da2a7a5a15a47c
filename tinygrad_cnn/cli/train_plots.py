"""Figures of a ``tinygrad-cnn train`` run, as PNG files (needs matplotlib: ``pip install 'tinygrad_cnn[plot]'``).

matplotlib is imported inside :func:`write_plots` only, with the non-interactive Agg backend. Three files:

* ``curves.png``: the mean train and held-out loss, and the held-out accuracy, per epoch;
* ``filters.png``: the first convolution layer's filters (one image per output channel, first input channel), on
  one colour scale with its colorbar; its title says what is left out (other input channels, the biases, the
  later layers);
* ``misclassified.png``: up to 48 misclassified examples with their data-set index, true and predicted class
  (the title says how many are not shown).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .. import nn
from . import _figures

__all__ = ["write_plots"]


def write_plots(directory: str | Path, run: Any, final: dict[str, Any]) -> list[Path]:
    """Write the three figures of ``run`` (a :class:`tinygrad_cnn.cli.train.Run`) and return their paths."""
    plt = _figures.pyplot()

    figures = {"curves.png": _curves(plt, run.history, run.held_out is not None),
               "filters.png": _filters(plt, run.model),
               "misclassified.png": _misclassified(plt, run.dataset, final["misclassified"])}
    return _figures.save(directory, figures, dpi=110, bbox_inches="tight")


def _curves(plt, history: dict[str, list], held_out: bool):
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    label = "held-out" if held_out else "training set"
    left.plot(history["epoch"], history["train_loss"], marker="o", label="train (during the epoch)")
    left.plot(history["epoch"], history["held_out_loss"], marker="o", label=label)
    left.set(xlabel="epoch", ylabel="mean loss per example", yscale="log", title="loss")
    left.legend()
    right.plot(history["epoch"], 100 * np.asarray(history["held_out_accuracy"], dtype=float), marker="o",
               color="C1")
    right.set(xlabel="epoch", ylabel="accuracy (%)", title=f"{label} accuracy (training accuracy not measured)")
    right.grid(alpha=0.3)
    return figure


def _filters(plt, model: Any):
    conv = next((m for _, m in model.named_modules() if isinstance(m, nn.Conv2d)), None)
    if conv is None:
        figure = plt.figure(figsize=(3, 1))
        figure.text(0.5, 0.5, "no convolution layer", ha="center")
        return figure
    weights = conv.weight.data[:, 0]  # (C_out, kH, kW), first input channel
    cols = min(8, len(weights))
    rows = -(-len(weights) // cols)
    figure, axes = plt.subplots(rows, cols, figsize=(1.2 * cols + 1.0, 1.2 * rows + 0.9), squeeze=False,
                                constrained_layout=True)
    bound = float(np.abs(weights).max()) or 1.0
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(weights):
            image = ax.imshow(weights[k], cmap="RdBu_r", vmin=-bound, vmax=bound)
            ax.set_title(str(k), fontsize=8)
    figure.colorbar(image, ax=axes, shrink=0.9, label="weight")
    channels = conv.weight.shape[1]
    left_out = ([f"input channels 2-{channels}"] if channels > 1 else []) + ["biases", "later layers"]
    figure.suptitle(f"first convolution layer's {len(weights)} filters, {weights.shape[1]}x{weights.shape[2]}\n"
                    f"(not shown: {', '.join(left_out)})", fontsize=9)
    return figure


def _misclassified(plt, dataset: Any, wrong: list[dict[str, Any]]):
    shown = wrong[:48]
    if not shown:
        figure = plt.figure(figsize=(3, 1))
        figure.text(0.5, 0.5, "no misclassified examples", ha="center")
        return figure
    cols = min(8, len(shown))
    rows = -(-len(shown) // cols)
    figure, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.5 * rows + 0.4), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(shown):
            row = shown[k]
            ax.imshow(dataset.images[row["index"], 0], cmap="gray_r", vmin=0, vmax=1)
            ax.set_title(f"#{row['index']}: {dataset.classes[row['label']]}→{dataset.classes[row['predicted']]}",
                         fontsize=7)
    hidden = f" (the first {len(shown)} shown)" if len(wrong) > len(shown) else ""
    figure.suptitle(f"misclassified: {len(wrong)}{hidden}; #index: true→predicted; pixels 0 white, 1 black")
    return figure

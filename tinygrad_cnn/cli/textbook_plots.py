"""Figures of a textbook run, as PNG files (needs matplotlib: ``pip install 'tinygrad_cnn[plot]'``).

matplotlib is imported inside :func:`write_plots` only, with the non-interactive Agg backend, so the
rest of the package works without it. Three files:

* ``cost.png``: C_T and the training accuracy per gradient-descent step;
* ``filters.png``: the three 3x3 filters w^F_k (with their biases b^F_k) before and after training, one colour
  scale with its colorbar (the output layer's 36 weights and 3 biases are not drawn: the title says so);
* ``image_<INDEX>.png``: one training image next to its feature maps a^F_k and unit errors δ^F_k
  (eq. (25)), at the initial and at the trained parameters (tensor engine, ``retain_grad`` on z^F), each
  kind with its colorbar (the pooled units a^P and δ^O are not drawn: a^O is given as numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from ..textbook import tensor_net
from ..textbook.training import History
from . import _figures

__all__ = ["write_plots"]


def write_plots(
    directory: str | Path,
    *,
    history: History,
    initial_params: Mapping[str, np.ndarray],
    final_params: Mapping[str, np.ndarray],
    images: np.ndarray,
    targets: np.ndarray,
    image_index: int = 0,
    pool: str = "max",
) -> list[Path]:
    """Write ``cost.png``, ``filters.png`` and ``image_<image_index>.png`` into ``directory`` (created if
    missing); return their paths. Raises ``ImportError`` if matplotlib is not installed."""
    if not 0 <= image_index < len(images):
        raise ValueError(f"image_index must be from 0 to {len(images) - 1}; got {image_index!r}")
    plt = _figures.pyplot()

    figures = {
        "cost.png": _cost_figure(plt, history, len(images)),
        "filters.png": _filters_figure(plt, initial_params, final_params),
        f"image_{image_index}.png": _image_figure(
            plt, initial_params, final_params, images, targets, image_index, pool
        ),
    }
    return _figures.save(directory, figures, dpi=120, bbox_inches="tight")


def _cost_figure(plt, history: History, n_images: int):
    """C_T (log scale) and the number of correctly classified images against the step."""
    steps = np.arange(len(history.cost))
    figure, cost_axis = plt.subplots(figsize=(7, 4))
    cost_axis.plot(steps, history.cost, color="tab:blue", marker="o", markersize=3)
    cost_axis.set_yscale("log")
    cost_axis.set_xlabel("gradient-descent step")
    cost_axis.set_ylabel(r"$C_T = \sum_m C_m$  (log scale)", color="tab:blue")
    accuracy_axis = cost_axis.twinx()
    accuracy_axis.step(steps, history.correct, where="post", color="tab:orange")
    accuracy_axis.set_ylim(0, n_images * 1.05)
    accuracy_axis.set_ylabel(f"correctly classified (of {n_images})", color="tab:orange")
    cost_axis.set_title(
        f"Training: η = {history.lr:g}, {history.pool} pooling, {history.engine} engine\n"
        f"$C_T$ {history.cost[0]:.3f} → {history.cost[-1]:.3f},  "
        f"correct {history.correct[0]} → {history.correct[-1]} of {n_images}"
    )
    cost_axis.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    return figure


def _short_exponent(value: float) -> str:
    """Scientific notation without the exponent's leading zero: -1.3e-4 rather than -1.3e-04."""
    return f"{value:.1e}".replace("e-0", "e-").replace("e+0", "e+")


def _annotate(axis, values: np.ndarray, fmt: Callable[[float], str], dark: Callable[[float], bool]) -> None:
    """Write each number of a small matrix into its cell, in white where ``dark(value)``; exact zeros
    are left blank."""
    for (row, column), value in np.ndenumerate(values):
        if value == 0.0:
            continue
        color = "white" if dark(value) else "black"
        axis.text(column, row, fmt(value), ha="center", va="center", fontsize=7.5, color=color)


def _bare(axis) -> None:
    axis.set_xticks([])
    axis.set_yticks([])


def _filters_figure(plt, initial: Mapping[str, np.ndarray], final: Mapping[str, np.ndarray]):
    """The three filters w^F_k before (top row) and after (bottom row) training, one color scale."""
    rows = [("initial", initial), ("trained", final)]
    limit = max(np.max(np.abs(params["filter_weights"])) for _, params in rows)
    figure, axes = plt.subplots(2, 3, figsize=(8, 5.6), constrained_layout=True)
    for r, (name, params) in enumerate(rows):
        for k in range(3):
            axis = axes[r, k]
            weights = np.asarray(params["filter_weights"][k])  # (3, 3)
            image = axis.imshow(weights, cmap="RdBu_r", vmin=-limit, vmax=limit)
            _annotate(axis, weights, "{:.2f}".format, dark=lambda v: abs(v) > 0.6 * limit)  # RdBu: dark at both ends
            _bare(axis)
            bias = float(params["filter_biases"][k])
            axis.set_title(f"{name} $w^F_{k + 1}$   ($b^F_{k + 1}$ = {bias:.2f})", fontsize=9)
    figure.colorbar(image, ax=axes, shrink=0.8, label="filter weight")
    figure.suptitle("The three 3x3 filters of the convolution layer\n"
                    "(not shown: the output layer's 36 weights $w^O$ and 3 biases $b^O$)", fontsize=11)
    return figure


def _image_figure(plt, initial, final, images, targets, index: int, pool: str):
    """The image, then for the initial and the trained parameters: a^F_k (row 1) and δ^F_k (row 2)."""
    x, t = images[index : index + 1], targets[index : index + 1]  # (1, 6, 6), (1, 3)
    digit = int(np.argmax(t[0])) + 1
    figure, axes = plt.subplots(4, 4, figsize=(9.6, 9.6), constrained_layout=True)
    for block, (name, params) in enumerate([("initial", initial), ("trained", final)]):
        result = tensor_net.backprop(params, x, t, pool)
        a_F = tensor_net.forward(params, x, pool)["a_F"].data[0]  # (3, 4, 4)
        delta_F = result.delta_F[0]  # (3, 4, 4)
        predicted = int(np.argmax(result.a_O[0])) + 1
        top, bottom = axes[2 * block], axes[2 * block + 1]
        picture = top[0]
        picture.imshow(x[0], cmap="gray_r", vmin=0, vmax=1)
        picture.set_title(f"image {index} (digit {digit})", fontsize=9)
        _bare(picture)
        note = bottom[0]
        note.axis("off")
        note.text(0.0, 0.5, f"{name} parameters\nC = {result.cost:.4f}\npredicted digit {predicted}\n"
                  f"$a^O$ = ({', '.join(f'{v:.2f}' for v in result.a_O[0])})", fontsize=9, va="center")
        delta_limit = np.max(np.abs(delta_F)) or 1.0
        for k in range(3):
            axis = top[k + 1]
            shown = axis.imshow(a_F[k], cmap="viridis", vmin=0, vmax=1)
            _annotate(axis, a_F[k], "{:.2f}".format, dark=lambda v: v < 0.45)  # viridis: dark at the low end
            _bare(axis)
            axis.set_title(f"{name}: $a^F_{k + 1}$", fontsize=9)
            axis = bottom[k + 1]
            errors = axis.imshow(delta_F[k], cmap="RdBu_r", vmin=-delta_limit, vmax=delta_limit)
            _annotate(axis, delta_F[k], _short_exponent, dark=lambda v, limit=delta_limit: abs(v) > 0.6 * limit)
            _bare(axis)
            axis.set_title(f"{name}: $\\delta^F_{k + 1}$", fontsize=9)
        figure.colorbar(shown, ax=top[1:].tolist(), shrink=0.8, label=r"$a^F = \sigma(z^F)$")
        figure.colorbar(errors, ax=bottom[1:].tolist(), shrink=0.8, label=r"$\delta^F = \partial C / \partial z^F$")
    figure.suptitle(f"Feature maps $a^F$ and unit errors $\\delta^F$ of image {index} ({pool} pooling; "
                    "blank: exactly 0)\n(not shown: the pooled units $a^P$ and the output errors $\\delta^O$; "
                    "the other images)")
    return figure

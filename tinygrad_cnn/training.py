"""The training helpers of ``tinygrad-cnn train``, usable from Python: a :class:`Run` (data split, model, optimizer,
schedule, batch loader, loss), :func:`train_epoch` and :func:`fit` (with a progress bar per epoch on a terminal,
``progress=False`` to turn it off), :func:`evaluate`, :func:`confusion_matrix`, and the checkpoint of a run
(:func:`checkpoint`, :func:`resume`). ``tinygrad_cnn.cli.train`` builds a :class:`Run` from its options
(``setup``) and prints.

>>> import numpy as np
>>> from tinygrad_cnn import datasets, models, optim
>>> from tinygrad_cnn import functional as F
>>> from tinygrad_cnn.data import DataLoader, random_split
>>> book = datasets.textbook()
>>> train_set, held_out = random_split(book, [72, 24], seed=0)
>>> model = models.small(num_classes=3, image_size=6, seed=0)
>>> opt = optim.Adam(model.parameters(), lr=0.01)
>>> run = Run({"epochs": 2}, book, train_set, held_out, model, opt, None, DataLoader(train_set, batch_size=24),
...           lambda out, y: F.cross_entropy(out, y.data), "mean")
>>> fit(run, progress=False)
>>> run.epoch, len(run.history["held_out_accuracy"])
(2, 2)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import datasets, optim
from ._checks import check_bool
from ._progress import Progress
from .data import DataLoader, Subset
from .grad_mode import no_grad
from .serialization import CheckpointError, restore, save
from .tensor import Tensor

__all__ = ["Run", "checkpoint", "confusion_matrix", "evaluate", "fit", "resume", "train_epoch"]


@dataclass
class Run:
    """Everything a training run is made of; ``epoch`` counts the completed epochs."""

    settings: dict[str, Any]
    dataset: datasets.ImageDataset
    train_set: Subset
    held_out: Subset | None
    model: Any
    optimizer: optim.Optimizer
    scheduler: Any
    loader: DataLoader
    loss: Callable[[Tensor, Tensor], Tensor]
    loss_reduction: str  # "mean" or "sum" over the batch
    epoch: int = 0
    saved_epoch: int | None = None  # the epoch of the last checkpoint written completely
    history: dict[str, list] = field(default_factory=lambda: {
        "epoch": [], "train_loss": [], "held_out_loss": [], "held_out_accuracy": [], "lr": [], "seconds": []})

    @property
    def eval_set(self) -> Subset:
        """The held-out examples, or the training set when there is no held-out split (the book's way)."""
        return self.held_out if self.held_out is not None else self.train_set


def checkpoint(run: Run) -> dict[str, Any]:
    """What ``--save`` writes: the state of everything that decides how the run continues."""
    return {
        "format": "tinygrad-cnn train",
        "epoch": run.epoch,
        "settings": dict(run.settings),
        "model": run.model.state_dict(),
        "optimizer": run.optimizer.state_dict(),
        "scheduler": run.scheduler.state_dict() if run.scheduler is not None else None,
        "loader": run.loader.state_dict(),
        "history": run.history,
        "classes": list(run.dataset.classes),
    }


def resume(run: Run, state: dict[str, Any]) -> None:
    """Put a fresh :func:`setup` run where the checkpoint ``state`` left off (all or nothing)."""
    if state.get("format") != "tinygrad-cnn train":
        raise CheckpointError("the file is not a checkpoint of tinygrad-cnn train (no 'format' entry)")
    restore(state, run.model, run.optimizer, run.scheduler)
    run.loader.load_state_dict(state["loader"])
    run.epoch = run.saved_epoch = int(state["epoch"])
    run.history = {key: list(values) for key, values in state["history"].items()}


def evaluate(model: Any, dataset: Any, loss: Callable | None = None, reduction: str = "mean",
             batch_size: int = 1000) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean loss per example (nan without ``loss``), predicted classes and true labels over ``dataset``."""
    model.eval()
    total, predictions, labels = 0.0, [], []
    with no_grad():
        for x, y in DataLoader(dataset, batch_size=batch_size):
            out = model(x)  # (B, classes)
            if loss is not None:
                value = loss(out, y).item()
                total += value * len(y) if reduction == "mean" else value
            predictions.append(out.data.argmax(axis=1))
            labels.append(y.data)
    model.train()
    n = max(len(dataset), 1)
    return (total / n if loss is not None else math.nan), np.concatenate(predictions), np.concatenate(labels)


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """``matrix[true, predicted]`` counts, int64 (num_classes, num_classes)."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def train_epoch(run: Run, progress: bool = True) -> float:
    """One pass over the training batches; returns the mean training loss per example. ``progress``: a bar on a
    terminal (tqdm, else a plain line; none when stderr is not a terminal)."""
    run.model.train()
    total, seen = 0.0, 0
    bar = Progress(len(run.loader), f"epoch {run.epoch + 1}/{run.settings['epochs']}", enabled=progress)
    try:
        for x, y in run.loader:
            run.optimizer.zero_grad()
            loss = run.loss(run.model(x), y)
            loss.backward()
            run.optimizer.step()
            value = loss.item()
            total += value * len(y) if run.loss_reduction == "mean" else value
            seen += len(y)
            bar.update(postfix=f"loss {value / (1 if run.loss_reduction == 'mean' else len(y)):.4f}")
    finally:
        bar.close()
    return total / max(seen, 1)


def fit(run: Run, out=None, save_to: Path | None = None, on_epoch: Callable[[Run], None] | None = None,
        progress: bool = True) -> None:
    """Train ``run`` until ``settings["epochs"]`` epochs are complete, printing one line per epoch to ``out``
    and writing a checkpoint to ``save_to`` after each; ``on_epoch(run)`` is called after each checkpoint.
    ``progress=False``: no bar over each epoch's batches (:func:`train_epoch`)."""
    progress = check_bool(progress, "progress", "fit")
    epochs = run.settings["epochs"]
    width = len(str(epochs))
    label = "held-out" if run.held_out is not None else "train-set"
    while run.epoch < epochs:
        start = time.perf_counter()
        lr = run.optimizer.param_groups[0]["lr"]
        train_loss = train_epoch(run, progress)
        if run.scheduler is not None:
            run.scheduler.step()
        eval_loss, predicted, labels = evaluate(run.model, run.eval_set, run.loss, run.loss_reduction)
        accuracy = float(np.mean(predicted == labels)) if len(labels) else math.nan
        seconds = time.perf_counter() - start
        run.epoch += 1
        for key, value in (("epoch", run.epoch), ("train_loss", train_loss), ("held_out_loss", eval_loss),
                           ("held_out_accuracy", accuracy), ("lr", lr), ("seconds", seconds)):
            run.history[key].append(value)
        if out is not None:
            print(f"epoch {run.epoch:>{width}}/{epochs}  train loss {train_loss:.4f}  {label} loss {eval_loss:.4f}  "
                  f"accuracy {100 * accuracy:6.2f}%  lr {lr:.3g}  {seconds:.2f} s", file=out, flush=True)
        if save_to is not None:
            save(checkpoint(run), save_to)
            run.saved_epoch = run.epoch
        if on_epoch is not None:
            on_epoch(run)

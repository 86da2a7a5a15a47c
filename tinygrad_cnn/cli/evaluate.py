"""``tinygrad-cnn evaluate``: the accuracy and confusion matrix of a model saved by ``tinygrad-cnn train --save``.

The model is rebuilt from the checkpoint's settings and its weights are loaded (every key, shape and dtype
checked). Which examples are evaluated (``--split``):

* ``held-out`` — the fixed held-out split of ``train`` (the default when the data set is the checkpoint's
  and it had one);
* ``test`` — the test files ``t10k-*`` of MNIST / Fashion-MNIST (the default for those);
* ``train`` — the examples it was trained on; ``all`` — the whole data set (the default otherwise).

Exit status: 0 on success, 2 for bad arguments or a checkpoint that does not fit.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .. import datasets, models
from ..data import Subset
from ..serialization import restore
from .train import check_data_option, confusion_matrix, evaluate, format_confusion, load_dataset, read_checkpoint, split

__all__ = ["SPLITS", "add_arguments", "run"]

PROG = "tinygrad-cnn evaluate"
SPLITS = ("held-out", "test", "train", "all")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", type=Path, required=True, metavar="FILE",
                        help="a checkpoint written by tinygrad-cnn train --save")
    parser.add_argument("--dataset", choices=datasets.NAMES, default=None,
                        help="the data set to evaluate on (default: the checkpoint's)")
    parser.add_argument("--data", type=Path, default=None, metavar="DIR",
                        help="directory of the MNIST/Fashion-MNIST IDX files")
    parser.add_argument("--split", choices=SPLITS, default=None,
                        help="which examples (default: test for mnist/fashion-mnist, else the checkpoint's held-out "
                             "split when it had one, else all)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="write the results as JSON")


def _examples(settings: dict[str, Any], name: str, split_name: str, data_dir: Path | None) -> Subset:
    if split_name == "test":
        if name not in ("mnist", "fashion-mnist"):
            raise ValueError(f"--split test: {name} has no separate test set; use held-out, train or all")
        dataset = load_dataset({**settings, "dataset": name}, data_dir, train=False)
        return Subset(dataset, np.arange(len(dataset)))
    dataset = load_dataset({**settings, "dataset": name}, data_dir)
    if split_name == "all":
        return Subset(dataset, np.arange(len(dataset)))
    train_set, held_out = split(dataset, settings["val_fraction"])
    if split_name == "held-out":
        if held_out is None:
            raise ValueError("--split held-out: the checkpoint's run had no held-out split (--val-fraction 0)")
        return held_out
    return train_set


def run(args: argparse.Namespace) -> int:
    out = sys.stdout
    try:
        state = read_checkpoint(args.checkpoint, "--checkpoint")
        if args.json is not None and args.json.is_dir():
            raise ValueError(f"--json {args.json}: is a directory; expected a file name")
        settings = state["settings"]
        name = args.dataset or settings["dataset"]
        check_data_option(args.data, name)
        if args.split in ("held-out", "train") and name != settings["dataset"]:
            raise ValueError(f"--split {args.split}: the checkpoint's held-out/training split is of "
                             f"{settings['dataset']}, not of --dataset {name}; use --split all (or test)")
        split_name = args.split or ("test" if name in ("mnist", "fashion-mnist") else
                                    "held-out" if name == settings["dataset"] and settings["val_fraction"] > 0 else
                                    "all")
        examples = _examples(settings, name, split_name, args.data)
        dataset = examples.dataset
        _, channels, height, width = dataset.images.shape
        model = models.build(settings["model"], len(dataset.classes), channels, (height, width),
                             dtype=np.dtype(settings["dtype"]), seed=0)
        restore(state, model)
    except (ValueError, TypeError, FileNotFoundError, ImportError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    _, predicted, labels = evaluate(model, examples)
    wrong = np.flatnonzero(predicted != labels)
    matrix = confusion_matrix(labels, predicted, len(dataset.classes))
    correct = len(labels) - len(wrong)
    accuracy = correct / max(len(labels), 1)
    print(f"{settings['model']} model from {args.checkpoint} (epoch {state.get('epoch')}), on {name} ({split_name}: "
          f"{len(labels)} examples)", file=out)
    print(f"accuracy: {correct}/{len(labels)} = {100 * accuracy:.2f}%", file=out)
    print("confusion matrix (rows: true class, columns: predicted class):", file=out)
    print(format_confusion(matrix, dataset.classes), file=out)
    indices = examples.indices[wrong]
    print(f"misclassified ({len(wrong)}; indices in the {dataset.name} data set): "
          f"{', '.join(str(int(i)) for i in indices[:200]) or 'none'}{' …' if len(wrong) > 200 else ''}", file=out)
    if args.json is not None:
        document = {"checkpoint": str(args.checkpoint), "dataset": name, "split": split_name, "accuracy": accuracy,
                    "correct": correct, "total": len(labels), "confusion_matrix": matrix.tolist(),
                    "misclassified": [int(i) for i in indices]}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0

"""The command line, ``tinygrad-cnn COMMAND`` (also ``python -m tinygrad_cnn COMMAND``).

Each command is a module of this package with ``add_arguments(parser)`` and ``run(args) -> int`` (the exit
status); :data:`COMMANDS` lists them with their one-line help. A command's module is imported only when
that command runs (or when ``--help`` lists them), so ``tinygrad-cnn textbook`` never imports Hypothesis or
matplotlib.

This is the top floor of the package: it may import every other floor, and nothing imports it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "build_parser", "main"]

#: command name -> (module in this package, one-line help, description)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "textbook": (
        "textbook", "the book's CNN: δ by hand vs autograd, then gradient descent",
        "Compare the hand-derived δ with both autograd engines on the book's data, then train the network "
        "with the book's gradient descent.",
    ),
    "deltas": (
        "deltas", "every layer's δ: engine vs the book's method vs finite differences vs yours",
        ("For one image (or a batch), compare every layer's unit error δ = ∂C/∂(output) and parameter gradients "
         "from the tensor engine, the book's unit-error method generalised to any Sequential CNN "
         "(textbook.layerwise), central finite differences and, optionally, your own derivation."),
    ),
    "gradcheck": (
        "gradcheck", "property-check every built-in op against finite differences",
        "Run the library's gradient property checks (Hypothesis-drawn inputs, gradcheck against central "
        "finite differences) without pytest.",
    ),
    "train": (
        "train", "train a CNN on real handwritten digits (or the book's images); save and resume checkpoints",
        "Train a CNN on scikit-learn's digits, MNIST, Fashion-MNIST or the book's images: a fixed held-out "
        "split, one line per epoch, then the accuracy, the confusion matrix and the misclassified examples.",
    ),
    "evaluate": (
        "evaluate", "accuracy and confusion matrix of a checkpoint saved by train",
        "Rebuild the model of a tinygrad-cnn train checkpoint and report its accuracy, confusion matrix and "
        "misclassified examples on a data set.",
    ),
}


def _module(command: str):
    return importlib.import_module(f"{__name__}.{COMMANDS[command][0]}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-cnn",
        description="A small, honest autodiff engine: the book's CNN demo, gradient property checks and more.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (_, help_text, description) in COMMANDS.items():
        _module(name).add_arguments(sub.add_parser(name, help=help_text, description=description))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return _module(args.command).run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

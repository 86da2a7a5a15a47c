"""``tinygrad-cnn textbook``: the book's CNN, δ by hand against both autograd engines, then training.

What a run does, in order:

1. loads the book's 96 images and its initial parameters;
2. prints the δ-checker's table (:func:`tinygrad_cnn.deltas.book.compare`) at the initial parameters: every
   layer's δ (δ^F and δ^O under the book's names) and the four gradients from the engine, the layerwise
   derivation, the hand-derived formulas, the scalar engine (all 96 images) and finite differences, each
   against the engine, then each source's time; then one line for second order: the Hessian of C_T in the six
   biases by the formulas (MATH.md's (H1)-(H6)), by differences of the formulas' gradient and by the tensor
   engine's double backward;
3. trains with the book's full-batch gradient descent Δθ = −η ∂C_T/∂θ (:mod:`train`), one progress
   line per step (a tqdm bar instead when tqdm is installed and stderr is a terminal);
4. prints a summary: C_T before and after, the training accuracy k/96, the extra test image's output
   a^O and predicted digit, and a table of the training images still misclassified.

Nothing in the run is random (the data and the starting point are the book's, and full-batch gradient
descent is deterministic), so there is no ``--seed``.

Exit status: 0 on success; 1 if the sources disagree beyond the tolerances
(:mod:`tinygrad_cnn.testing.tolerances`) or the bias Hessians by more than ``HESSIAN_TOLERANCE``; 2 for bad
arguments (argparse's message) or ``--plot`` without matplotlib.

The top-level ``tinygrad-cnn`` dispatcher calls :func:`add_arguments` and :func:`run`; :func:`main` runs
this subcommand alone.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._progress import Progress
from ..textbook import formulas, scalar_net, tensor_net
from ..textbook.comparison import Comparison, HessianComparison, compare, compare_hessians, format_table
from ..textbook.data import DIGITS, initial_parameters, load_data, test_image
from ..textbook.training import ENGINES, History, TrainStep, train
from ._argtypes import number

__all__ = ["add_arguments", "main", "run"]

PROG = "tinygrad-cnn textbook"
PLOT_INSTALL_HINT = "pip install 'tinygrad_cnn[plot]'"
BOOK_LR = 0.2


# ----------------------------------------------------------------------------------------------------
# Arguments
# ----------------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this command's options to ``parser`` (the ``textbook`` subparser of ``tinygrad-cnn``)."""
    parser.add_argument("--lr", type=number(float, 0, open_minimum=True), default=None, metavar="ETA",
                        help=f"learning rate η of Δθ = −η ∂C_T/∂θ (default: {BOOK_LR}, the book's); refused with "
                             "--steps 0, which trains nothing")
    parser.add_argument("--steps", type=number(int, 0), default=50, metavar="N",
                        help="gradient-descent steps, each over all 96 images (default: 50)")
    parser.add_argument("--pool", choices=formulas.POOLS, default="max",
                        help="pooling of the 2x2 blocks: max (the book's), avg or l2 (default: max)")
    parser.add_argument("--engine", choices=ENGINES, default="tensor",
                        help="what computes the gradients for training: the tensor engine, the scalar engine "
                             "(every neuron a Value; slower) or the hand-derived formulas (default: tensor)")
    parser.add_argument("--plot", type=Path, default=None, metavar="DIR",
                        help="write PNG figures to DIR (needs matplotlib: " + PLOT_INSTALL_HINT + ")")
    parser.add_argument("--image", type=number(int, 0), default=None, metavar="INDEX",
                        help="training image (0-95) whose feature maps and δ^F --plot draws (default: 0); "
                             "only with --plot")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE",
                        help="write the history and the final figures to FILE as JSON")


def _check_paths(args: argparse.Namespace, error: Callable[[str], None]) -> None:
    """Fail before any work: bad --image, missing matplotlib for --plot, a directory given as --json."""
    n_images = len(load_data()[0])
    if args.lr is not None and args.steps == 0:
        error(f"argument --lr: --steps 0 trains nothing, so --lr {args.lr:g} would be ignored; give --steps N too")
    if args.image is not None and args.image >= n_images:
        error(f"argument --image: expected an index from 0 to {n_images - 1}, got {args.image}")
    if args.image is not None and args.plot is None:
        error("argument --image: chooses the image --plot draws, and there is no --plot (nothing would use it); "
              "give --plot DIR too")
    if args.plot is not None:
        try:
            importlib.import_module("matplotlib")
        except ImportError:
            error(f"--plot needs matplotlib, which is not installed; install it with: {PLOT_INSTALL_HINT}")
        if args.plot.exists() and not args.plot.is_dir():
            error(f"argument --plot: {str(args.plot)!r} exists and is not a directory")
    if args.json is not None:
        if args.json.is_dir():
            error(f"argument --json: {str(args.json)!r} is a directory; expected a file name")


class _UsageError(Exception):
    pass


def _raise_usage(message: str) -> None:
    raise _UsageError(message)


# ----------------------------------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    """Run the main job with parsed arguments (see the module docstring); returns the exit status."""
    try:
        _check_paths(args, _raise_usage)
    except _UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    if args.lr is None:
        args.lr = BOOK_LR
    out = sys.stdout
    images, targets = load_data()  # (96, 6, 6), (96, 3)
    start_params = initial_parameters()
    counts = ", ".join(f"{int(np.sum(targets[:, d - 1]))} of digit {d}" for d in DIGITS)
    print(f"The book's CNN: {len(images)} training images ({counts}), the book's initial parameters, "
          f"{args.pool} pooling.\n", file=out)

    comparison = compare(start_params, images, targets, pool=args.pool)
    print(format_table(comparison), file=out)
    print("time: " + ", ".join(f"{source} {t:.3f} s" for source, t in comparison.seconds.items()), file=out)
    if args.pool == "max":
        ties = formulas.max_pool_ties(start_params, images)
        print(f"(max-pooling blocks holding their maximum more than once: {int(ties.sum())} of {ties.size}; "
              "each gives its whole δ to the first maximum)", file=out)
    hessians = compare_hessians(start_params, images, targets, pool=args.pool)
    print(hessians.line(), file=out)

    print(f"\nTraining: full-batch gradient descent Δθ = −η ∂C_T/∂θ, η = {args.lr:g}, {args.steps} steps, "
          f"{args.engine} engine (C_T = Σ of the {len(images)} images' costs).", file=out)
    callback, close = _progress(args.steps, out)
    try:
        final_params, history = train(start_params, images, targets, lr=args.lr, steps=args.steps,
                                      pool=args.pool, engine=args.engine, callback=callback, progress=False)
    finally:
        close()

    summary = _summary(final_params, images, targets, args.pool, args.engine)
    _print_summary(history, summary, len(images), out)

    if args.json is not None:
        _write_json(args.json, args, comparison, hessians, history, final_params, summary)
        print(f"\nwrote {args.json}", file=out)
    if args.plot is not None:
        from . import textbook_plots as plots

        paths = plots.write_plots(args.plot, history=history, initial_params=start_params,
                                  final_params=final_params, images=images, targets=targets,
                                  image_index=args.image or 0, pool=args.pool)
        print("\nwrote " + ", ".join(str(path) for path in paths), file=out)

    if not comparison.agrees():
        worst = comparison.worst()
        print(f"\n{PROG}: the sources disagree: layer {worst.layer} {worst.quantity} {' vs '.join(worst.pair)} "
              f"differ by {worst.max_abs:.3g} (tolerance {worst.tolerance:g})", file=sys.stderr)
        return 1
    if not hessians.agrees():
        worst = max(hessians.pairs, key=hessians.pairs.get)
        print(f"\n{PROG}: the bias Hessians disagree: {' vs '.join(worst)} differ by {hessians.pairs[worst]:.3g}",
              file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``tinygrad-cnn textbook`` on its own: parse ``argv`` (default ``sys.argv[1:]``) and run.

    Bad arguments exit with argparse's message and status 2.
    """
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


# ----------------------------------------------------------------------------------------------------
# Progress
# ----------------------------------------------------------------------------------------------------


def _progress(steps: int, out) -> tuple[Callable[[TrainStep], None], Callable[[], None]]:
    """A training callback and a function to call at the end: a tqdm bar on a terminal, else lines."""
    bar = Progress(steps, "gradient descent", unit="step", plain=False, leave=True)
    width = len(str(steps))

    def callback(state: TrainStep) -> None:
        if bar.drawing:
            bar.update(1 if state.step > 0 else 0,
                       postfix=f"C_T={state.cost:.6f} correct={state.correct}/{state.n_images}")
            return
        print(f"step {state.step:>{width}}/{state.steps}   C_T = {state.cost:10.6f}   "
              f"accuracy {state.correct:>2}/{state.n_images}   {state.seconds:6.2f} s", file=out, flush=True)

    return callback, bar.close


# ----------------------------------------------------------------------------------------------------
# Summary
# ----------------------------------------------------------------------------------------------------


def _outputs(engine: str, params: dict[str, np.ndarray], images: np.ndarray, pool: str) -> np.ndarray:
    """a^O (M, 3) of a batch, computed by the engine that trained."""
    if engine == "tensor":
        return tensor_net.forward(params, images, pool)["a_O"].data
    if engine == "scalar":
        rows = [scalar_net.forward(params, image, pool)["a_O"] for image in images]
        return np.array([[value.data for value in row] for row in rows])
    return formulas.forward(params, images, pool)["a_O"]


def _summary(params: dict[str, np.ndarray], images: np.ndarray, targets: np.ndarray, pool: str,
             engine: str) -> dict[str, Any]:
    """The final figures: test image output and prediction, and the misclassified training images."""
    image, label = test_image(return_label=True)
    a_O_test = _outputs(engine, params, image[np.newaxis], pool)[0]  # (3,)
    a_O = _outputs(engine, params, images, pool)  # (96, 3)
    predicted = a_O.argmax(axis=-1) + 1  # (96,)
    labels = targets.argmax(axis=-1) + 1  # (96,)
    wrong = np.flatnonzero(predicted != labels)
    return {
        "test_image": {"a_O": a_O_test.tolist(), "predicted": int(a_O_test.argmax()) + 1, "label": label},
        "correct": int(len(images) - len(wrong)),
        "n_images": len(images),
        "misclassified": [
            {"index": int(m), "label": int(labels[m]), "predicted": int(predicted[m]), "a_O": a_O[m].tolist()}
            for m in wrong
        ],
    }


def _print_summary(history: History, summary: dict[str, Any], n_images: int, out) -> None:
    steps = len(history.cost) - 1
    print(f"\nSummary ({history.engine} engine, {history.pool} pooling, η = {history.lr:g}, "
          f"{steps} steps in {history.seconds:.2f} s)", file=out)
    print(f"  C_T before: {history.cost[0]:.6f}   after: {history.cost[-1]:.6f}", file=out)
    print(f"  training accuracy: {history.correct[-1]}/{n_images} (before: {history.correct[0]}/{n_images})",
          file=out)
    test = summary["test_image"]
    outputs = ", ".join(f"{value:.4f}" for value in test["a_O"])
    verdict = "right" if test["predicted"] == test["label"] else "wrong"
    print(f"  test image (a {test['label']} with serifs, not in the training set): a^O = ({outputs}) "
          f"-> predicted digit {test['predicted']} ({verdict})", file=out)
    if not summary["misclassified"]:
        print("  misclassified training images: none", file=out)
        return
    print(f"  misclassified training images: {len(summary['misclassified'])}", file=out)
    print(f"    {'image':>5}  {'label':>5}  {'predicted':>9}  {'a^O_1':>7} {'a^O_2':>7} {'a^O_3':>7}", file=out)
    for row in summary["misclassified"]:
        a_O = " ".join(f"{value:7.4f}" for value in row["a_O"])
        print(f"    {row['index']:>5}  {row['label']:>5}  {row['predicted']:>9}  {a_O}", file=out)


def _write_json(path: Path, args: argparse.Namespace, comparison: Comparison, hessians: HessianComparison,
                history: History, params: dict[str, np.ndarray], summary: dict[str, Any]) -> None:
    document = {
        "settings": {"lr": args.lr, "steps": args.steps, "pool": args.pool, "engine": args.engine},
        "comparison": {
            "agrees": comparison.agrees(),
            "rows": [
                {"layer": row.layer, "quantity": row.quantity,
                 "book_name": comparison.labels.get((row.layer, row.quantity)), "sources": list(row.pair),
                 "shape": list(row.shape),
                 "max_abs": row.max_abs, "max_rel": row.max_rel, "ok": row.ok}
                for row in comparison.rows
            ],
            "seconds": comparison.seconds,
        },
        "bias_hessian": {
            "formulas": hessians.formulas.tolist(),
            "max_abs": {" vs ".join(pair): value for pair, value in hessians.pairs.items()},
            "agrees": hessians.agrees(),
        },
        "history": history.to_dict(),
        "final": {
            "cost": history.cost[-1],
            "correct": summary["correct"],
            "n_images": summary["n_images"],
            "parameters": {key: value.tolist() for key, value in params.items()},
            "test_image": summary["test_image"],
            "misclassified": summary["misclassified"],
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")

"""``tinygrad-cnn deltas``: every layer's δ from the engine, the layerwise derivation, finite differences
(and your own; on the book's network also the book's formulas and the scalar engine), for one image or a batch.

``--model``: ``textbook`` (the book's network with its initial or optimized parameters, squared-error cost),
``small`` or ``lenet`` (fresh, seeded; from :mod:`tinygrad_cnn.models`), or the path of a checkpoint written by
``tinygrad-cnn train --save``. ``--dataset``: ``textbook`` (the book's 96 images), ``digits`` or ``mnist``
(``--data DIR``; from :mod:`tinygrad_cnn.datasets`). ``--image``: an index, a range ``I:J`` or a list ``I,J,K``.
``--user-deltas FILE.npz``: your δ arrays keyed by layer name (or parameter gradients keyed by parameter name).
``--plot DIR``: each layer's δ maps next to its activations, one PNG per selected image (at most 16;
matplotlib). ``--json FILE``: the comparison as JSON.

Exit status: 0 when every source agrees, 1 when some disagree, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .. import deltas
from ..deltas.recording import _float64_copy, _leaves
from ..textbook import data as book
from . import _figures
from .train import read_checkpoint

__all__ = ["add_arguments", "run", "write_plot"]

PROG = "tinygrad-cnn deltas"
NAMED_MODELS = ("textbook", "small", "lenet")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="textbook", metavar="textbook|small|lenet|CHECKPOINT",
                        help="the network (default: textbook), or a checkpoint file of tinygrad-cnn train")
    parser.add_argument("--dataset", default=None, choices=("textbook", "digits", "mnist"),
                        help="where the image comes from (default: textbook, or the checkpoint's)")
    parser.add_argument("--data", type=Path, default=None, metavar="DIR", help="the directory of the MNIST IDX files")
    parser.add_argument("--image", default="0", metavar="I|I:J|I,J,...",
                        help="which image(s) of the data set (default: 0)")
    parser.add_argument("--loss", default=None, choices=("squared_error", "cross_entropy"),
                        help="default: squared_error for --model textbook (the book's cost), else cross_entropy")
    parser.add_argument("--params", default="initial", choices=("initial", "optimized"),
                        help="--model textbook: which parameters (default: the book's initial ones)")
    parser.add_argument("--fd-units", type=int, default=12, metavar="N",
                        help="finite differences on at most N random units per quantity (default 12; 0: none)")
    parser.add_argument("--user-deltas", type=Path, default=None, metavar="FILE",
                        help="an .npz of your own δ keyed by layer name (or ∂C/∂θ keyed by parameter name)")
    parser.add_argument("--plot", type=Path, default=None, metavar="DIR", help="write δ and activation maps here")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="write the comparison as JSON")


def _indices(text: str, n: int) -> np.ndarray:
    try:
        if ":" in text:
            start, stop = (int(part) if part else None for part in text.split(":", 1))
            chosen = np.arange(n)[slice(start, stop)]
        else:
            chosen = np.array([int(part) for part in text.split(",")])
    except ValueError:
        raise ValueError(f"--image must be an index, a range I:J or a list I,J,...; got {text!r}") from None
    if "-" in text:
        raise ValueError(f"--image {text!r}: negative indices are not accepted; give indices in 0..{n - 1}")
    if chosen.size == 0 or chosen.max() >= n:
        raise ValueError(f"--image {text!r} selects no image or one outside 0..{n - 1}")
    return chosen


def _optional(module: str, what: str) -> Any:
    try:
        return importlib.import_module(f"tinygrad_cnn.{module}")
    except ImportError as error:
        raise ValueError(f"{what} needs tinygrad_cnn.{module}, which is not available here ({error})") from None


def _dataset(name: str, root: Path | None) -> tuple[np.ndarray, np.ndarray, int]:
    """(images (N, C, H, W) float64, labels (N,) int, number of classes)."""
    if name == "textbook":
        images, _ = book.load_data()  # (96, 6, 6), pixels 0/1
        return images.reshape(-1, 1, 6, 6), book.labels() - 1, len(book.DIGITS)
    try:
        dataset = _optional("datasets", f"--dataset {name}").load(name, root)
    except FileNotFoundError as error:  # a missing directory or IDX file: the user's --data
        raise FileNotFoundError(f"--data {root}: {error}") from None
    return np.asarray(dataset.images, dtype=np.float64), np.asarray(dataset.labels), len(dataset.classes)


def _model(args: argparse.Namespace) -> tuple[Any, str, str]:
    """(model, description, dataset name)."""
    if args.model == "textbook":
        params = book.initial_parameters() if args.params == "initial" else book.optimized_parameters()
        description = f"the book's network ({args.params} parameters)"
        return deltas.textbook_model(params), description, args.dataset or "textbook"
    if args.model in NAMED_MODELS:
        name = args.dataset or "digits"
        images, _, classes = _dataset(name, args.data)
        models = _optional("models", f"--model {args.model}")
        model = models.build(args.model, classes, images.shape[1], images.shape[2:], dtype=np.float64, seed=0)
        return model, f"{args.model} (fresh, seed 0)", name
    path = Path(args.model)
    if not path.exists():
        raise ValueError(f"--model must be one of {', '.join(NAMED_MODELS)} or a checkpoint file; "
                         f"{path} does not exist")
    serialization = _optional("serialization", "a checkpoint")
    state = read_checkpoint(path, "--model")  # names the file once, whatever load found wrong
    settings = state["settings"]
    name = args.dataset or settings["dataset"]
    images, _, classes = _dataset(name, args.data)
    models = _optional("models", "a checkpoint")
    model = models.build(settings["model"], classes, images.shape[1], images.shape[2:],
                         dtype=np.dtype(settings.get("dtype", "float32")), seed=0)
    serialization.restore(state, model)
    return model, f"{settings['model']} from {path} (epoch {state.get('epoch')})", name


def run(args: argparse.Namespace) -> int:
    try:
        if args.fd_units < 0:
            raise ValueError(f"--fd-units must be at least 0; got {args.fd_units}")
        if args.json is not None and args.json.is_dir():
            raise ValueError(f"--json {args.json}: is a directory; expected a file name")
        if args.plot is not None and args.plot.exists() and not args.plot.is_dir():
            raise ValueError(f"--plot {args.plot}: exists and is not a directory")
        model, description, dataset = _model(args)
        images, labels, classes = _dataset(dataset, args.data)
        chosen = _indices(args.image, len(images))
        loss = args.loss or ("squared_error" if args.model == "textbook" else "cross_entropy")
        x, y = images[chosen], labels[chosen]
        target = np.eye(classes)[y] if loss == "squared_error" else y  # one-hot t for the book's cost
        user = None
        if args.user_deltas is not None:
            try:
                with np.load(args.user_deltas, allow_pickle=False) as npz:
                    user = {key: npz[key] for key in npz.files}
            except (OSError, ValueError, AttributeError) as error:  # AttributeError: a .npy file, not an .npz
                raise ValueError(f"--user-deltas {args.user_deltas}: not a readable .npz file of arrays ({error})") \
                    from None
        book = args.model == "textbook" and loss == "squared_error"  # the book's formulas are for its cost
        result = deltas.compare(model, x, target, loss, user, fd_units=args.fd_units,
                                sources=deltas.book.SOURCES if book else None)
    except (ValueError, TypeError, OSError, ImportError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    which = ", ".join(str(i) for i in chosen[:10]) + (" …" if len(chosen) > 10 else "")
    print(f"{description}, {dataset} image(s) {which}")
    print(result)
    if args.json is not None:
        args.json.write_text(json.dumps(_document(result, description, dataset, chosen), indent=2))
        print(f"wrote {args.json}")
    if args.plot is not None:
        try:
            paths = write_plot(args.plot, model, x[:MAX_IMAGES], target[:MAX_IMAGES], loss, chosen[:MAX_IMAGES])
        except ImportError as error:  # pragma: no cover - matplotlib missing
            print(f"{PROG}: error: --plot needs matplotlib ({error})", file=sys.stderr)
            return 2
        left_out = f" (the first {MAX_IMAGES} of the {len(chosen)} images)" if len(chosen) > MAX_IMAGES else ""
        print(f"wrote {len(paths)} file(s){left_out}: {', '.join(str(path) for path in paths)}")
    return 0 if result.agrees() else 1


def _document(result: deltas.Comparison, description: str, dataset: str, chosen: np.ndarray) -> dict[str, Any]:
    return {
        "model": description,
        "dataset": dataset,
        "images": [int(i) for i in chosen],
        "loss": result.loss,
        "cost": result.cost,
        "sources": result.sources,
        "agrees": result.agrees(),
        "failing_layers": result.failing_layers(),
        "verdict": result.verdict(),
        "layers": [{"name": name, "kind": kind} for name, kind in result.layers],
        "rows": [
            {"layer": row.layer, "quantity": row.quantity, "sources": list(row.pair), "shape": list(row.shape),
             "max_abs": row.max_abs, "max_rel": row.max_rel, "tolerance": row.tolerance, "ok": row.ok,
             "units": row.units, "kinks": row.kinks, "nonzero": row.nonzero, "checked": row.checked,
             "unit": None if row.unit is None else list(row.unit), "values": row.values}
            for row in result.rows
        ],
    }


MAX_CHANNELS = 6  # channels drawn per layer; the title says how many of how many
MAX_IMAGES = 16  # PNG files drawn by one --plot


def write_plot(directory: str | Path, model: Any, x: np.ndarray, target: np.ndarray, loss: str,
               indices: Any) -> list[Path]:
    """``deltas_<index>.png`` in ``directory`` (created if missing) for each image of the batch ``x`` (its data
    set indices ``indices``; at most ``MAX_IMAGES``): for every layer (engine, float64 copy of the model), its
    output maps (activations) next to its δ maps, one row per layer, each map with its colorbar, at most
    ``MAX_CHANNELS`` channels (the row's title says "6 of 32 channels shown"); a layer without maps (linear,
    flatten) shows its units as bars. Returns the files' paths."""
    net = _float64_copy(model)
    x = np.asarray(x, dtype=np.float64)
    _, rec = deltas.engine_backprop(net, x, _one_target(net, x, target, loss), loss)
    names = [name for name, _ in _leaves(net) if name in rec.layers]
    indices = [int(i) for i in np.asarray(indices).reshape(-1)][:MAX_IMAGES]
    figures = {f"deltas_{index}.png": _image_figure(rec, names, m, index, loss) for m, index in enumerate(indices)}
    return _figures.save(directory, figures, dpi=110)


def _image_figure(rec: Any, names: list[str], m: int, index: int, loss: str) -> Any:
    plt = _figures.pyplot()
    half = max([min(MAX_CHANNELS, rec.outputs[name].shape[1]) for name in names if rec.outputs[name].ndim == 4]
               or [1])
    columns = 2 * half
    fig, axes = plt.subplots(len(names), columns, figsize=(max(columns, 4) * 1.9, len(names) * 1.9),
                             squeeze=False, layout="constrained")
    for row, name in enumerate(names):
        output = rec.outputs[name][m]
        delta = rec.deltas.get(name, np.zeros_like(rec.outputs[name]))[m]
        for ax in axes[row]:
            ax.axis("off")
        kind = type(rec[name].module).__name__
        if output.ndim == 3:  # (C, H, W) maps: activations on the left half, δ on the right half
            shown = min(half, output.shape[0])
            note = f", {shown} of {output.shape[0]} channels shown" if shown < output.shape[0] else ""
            for c in range(shown):
                ax = axes[row, c]
                fig.colorbar(ax.imshow(output[c], cmap="gray"), ax=ax, shrink=0.8).ax.tick_params(labelsize=5)
                ax.set_title(f"layer {name}: {kind}{note}\noutput, channel {c}" if c == 0 else f"output, channel {c}",
                             fontsize=6, loc="left")
                ax = axes[row, half + c]
                limit = float(np.abs(delta[c]).max()) or 1.0
                image = ax.imshow(delta[c], cmap="RdBu_r", vmin=-limit, vmax=limit)
                fig.colorbar(image, ax=ax, shrink=0.8).ax.tick_params(labelsize=5)
                ax.set_title(f"δ, channel {c}", fontsize=6, loc="left")
        else:
            left, right = axes[row, 0], axes[row, half]
            for ax, values, label in ((left, output.reshape(-1), "output"), (right, delta.reshape(-1), "δ")):
                ax.axis("on")
                ax.bar(np.arange(values.size), values, color="gray" if label == "output" else "tab:red")
                title = f"layer {name}: {kind}\n{label} ({values.size} units)" if label == "output" else \
                    f"{label} ({values.size} units)"
                ax.set_title(title, fontsize=6, loc="left")
                ax.tick_params(labelsize=5)
    fig.suptitle(f"image {index}: each layer's output (left) and δ = ∂C/∂output (right), {loss}", fontsize=9)
    return fig


def _one_target(net: Any, x: np.ndarray, target: np.ndarray, loss: str) -> np.ndarray:
    from ..grad_mode import no_grad
    from ..tensor import Tensor
    from ..textbook import layerwise

    with no_grad():
        output = net(Tensor(np.asarray(x, dtype=np.float64))).data
    return layerwise.targets_for(output, target, loss)

"""The tensor engine's recorded graph drawn: :func:`to_dot` gives Graphviz DOT text, :func:`render` an SVG or PNG.

One box per tensor: the ``Function`` that made it (or ``leaf``/``constant``), its shape and dtype, whether it
requires grad, and, after ``backward``, its gradient where one is kept (leaves, and tensors that called
``retain_grad()``); an arrow from each input to the result. Parameters can be given names (``names=``).

>>> from tinygrad_cnn import Tensor
>>> w = Tensor([1.0, 2.0], requires_grad=True)
>>> x = Tensor([3.0, 4.0])  # a constant: no gradient wanted
>>> y = (w * x).sum()
>>> y.backward()
>>> print(to_dot(y, names={"w": w}))
digraph Tensor {
  rankdir=TB;
  node [shape=box, fontname="monospace"];
  edge [fontname="monospace"];
  n0 [label="w: leaf\\n(2,) float64\\nrequires_grad\\ngrad=[3. 4.]"];
  n1 [label="constant\\n(2,) float64"];
  n2 [label="Mul\\n(2,) float64\\nrequires_grad"];
  n3 [label="Sum\\n() float64\\nrequires_grad"];
  n0 -> n2;
  n1 -> n2;
  n2 -> n3;
}

Drawing needs the ``graphviz`` Python package and Graphviz's ``dot`` program (the ``graph`` extra:
``pip install 'tinygrad_cnn[graph]'``, and e.g. ``apt-get install graphviz``); :func:`to_dot` needs neither.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ._dot import check_rankdir, digraph
from .tensor import Tensor

__all__ = ["GRAPH_INSTALL_HINT", "render", "to_dot"]

GRAPH_INSTALL_HINT = "pip install 'tinygrad_cnn[graph]' and Graphviz's dot program (e.g. apt-get install graphviz)"
FORMATS = ("svg", "png")


def _graph(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` was computed from (constants too), each after its inputs; no recursion."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        parents = node._ctx.parents if node._ctx is not None else ()
        stack.extend((parent, False) for parent in reversed(parents) if parent is not None and id(parent) not in seen)
    return order


def _grad_text(grad: np.ndarray, limit: int) -> str:
    if grad.size <= limit:
        return "grad=" + np.array2string(grad, precision=4, separator=" ", max_line_width=60)
    return f"grad: |g|max={np.abs(grad).max():.4g}"


def to_dot(root: Tensor, names: Mapping[str, Tensor] | None = None, grads: bool = True, rankdir: str = "TB",
           max_values: int = 6) -> str:
    """The graph recorded from ``root`` back to the leaves as Graphviz DOT text.

    ``names`` maps names to tensors (``dict(model.named_parameters())``) to label them; ``grads`` shows each
    kept gradient (up to ``max_values`` values, else its largest magnitude); ``rankdir``: TB, LR, BT or RL.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"to_dot(root): expected a Tensor, got {type(root).__name__}")
    rankdir = check_rankdir(rankdir, "to_dot")
    if names is not None and not (isinstance(names, Mapping) and all(
            isinstance(k, str) and isinstance(v, Tensor) for k, v in names.items())):
        raise TypeError(f"to_dot(names): expected a mapping of str to Tensor, got {type(names).__name__}")
    if not isinstance(grads, bool):
        raise TypeError(f"to_dot(grads): expected True or False, got {grads!r}")
    label_of = {id(t): name for name, t in (names or {}).items()}
    order = _graph(root)
    ident = {id(node): f"n{i}" for i, node in enumerate(order)}
    nodes, edges = [], []
    for node in order:
        kind = node._ctx.function.__name__ if node._ctx is not None else (
            "leaf" if node.requires_grad else "constant")
        lines = [f"{label_of[id(node)]}: {kind}" if id(node) in label_of else kind,
                 f"{node.shape} {node.dtype}"]
        if node.requires_grad:
            lines.append("requires_grad")
        if grads and node.grad is not None:
            lines.append(_grad_text(node.grad, max_values))
        nodes.append((ident[id(node)], "\n".join(lines)))
        if node._ctx is not None:
            edges += [(ident[id(parent)], ident[id(node)], None) for parent in node._ctx.parents if parent is not None]
    return digraph("Tensor", rankdir, nodes, edges)


def render(root: Tensor, path: str | os.PathLike, format: str = "svg", **options) -> Path:
    """Draw :func:`to_dot` (``options`` are its keywords) to ``path`` + ``.svg``/``.png``; returns that file.

    Needs the ``graphviz`` Python package and the ``dot`` program; without either an ``ImportError`` says which
    is missing and how to install it (:data:`GRAPH_INSTALL_HINT`).
    """
    if format not in FORMATS:
        raise ValueError(f"render(format): expected one of {FORMATS}, got {format!r}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"render(path): expected a path (str or os.PathLike), got {type(path).__name__}")
    text = to_dot(root, **options)
    try:
        import graphviz
    except ImportError:
        raise ImportError(f"render() needs the graphviz Python package, which is not installed: {GRAPH_INSTALL_HINT}; "
                          "to_dot() gives the DOT text without it") from None
    if shutil.which("dot") is None:
        raise ImportError(f"render() needs Graphviz's dot program, which is not on PATH: {GRAPH_INSTALL_HINT}; "
                          "to_dot() gives the DOT text without it")
    path = Path(path)
    written = graphviz.Source(text).render(outfile=str(path.with_suffix("." + format)), format=format, cleanup=True)
    return Path(written)

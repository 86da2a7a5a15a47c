"""Graphviz DOT text, shared by ``Value.to_dot`` (the scalar engine) and :func:`tinygrad_cnn.viz.to_dot`
(the tensor engine): the checked ``rankdir``, label quoting and the ``digraph`` frame. Plain strings only."""

from __future__ import annotations

from collections.abc import Iterable

RANKDIRS = ("TB", "LR", "BT", "RL")


def check_rankdir(rankdir: object, where: str) -> str:
    """``rankdir`` if it is one of :data:`RANKDIRS`; TypeError/ValueError naming ``where`` otherwise."""
    if not isinstance(rankdir, str):
        raise TypeError(f"{where}(rankdir): expected a str, got {type(rankdir).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"{where}(rankdir): expected one of {RANKDIRS}, got {rankdir!r}")
    return rankdir


def quote(text: str) -> str:
    """``text`` as the inside of a DOT double-quoted string (backslashes and quotes escaped, newlines as ``\\n``).

    >>> quote('a "b"\\nc')
    'a \\\\"b\\\\"\\\\nc'
    """
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def digraph(name: str, rankdir: str, nodes: Iterable[tuple[str, str]], edges: Iterable[tuple[str, str, str | None]]
            ) -> str:
    """A DOT ``digraph``: ``nodes`` are (id, label), ``edges`` (from id, to id, label or None)."""
    lines = [f"digraph {name} {{", f"  rankdir={rankdir};", '  node [shape=box, fontname="monospace"];',
             '  edge [fontname="monospace"];']
    lines += [f'  {node} [label="{quote(label)}"];' for node, label in nodes]
    lines += [f"  {a} -> {b}" + ("" if label is None else f' [label="{quote(label)}"]') + ";" for a, b, label in edges]
    lines.append("}")
    return "\n".join(lines)

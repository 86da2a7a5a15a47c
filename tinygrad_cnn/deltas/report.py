"""The δ-checker's result: :class:`Row` (one quantity of one layer between two sources), :class:`Comparison`
(all of them), the table printer (:func:`format_table`) and the verdict a student can act on
(:func:`verdict`): walking back from the output, the first layer where a source departs, at which unit, with
both values, and that every layer above it agrees. The tolerance policy is :mod:`tinygrad_cnn.testing.tolerances`.

>>> rows = [Row("1", "δ", ("engine", "yours"), (1, 4), 0.75, 0.75, 1e-6, 4, unit=(0, 2), values=(0.25, 1.0)),
...         Row("2", "δ", ("engine", "yours"), (1, 1), 0.0, 0.0, 1e-6, 1)]
>>> print(verdict(Comparison("squared_error", 0.5, 1, [("1", "Sigmoid"), ("2", "AvgPool2d")], rows,
...                          ["engine", "yours"])))  # doctest: +NORMALIZE_WHITESPACE
Walking back from the output, every source agrees at layer 2 (AvgPool2d).
The first departure is at layer 1 (Sigmoid), δ of its output: yours and engine disagree at unit (0, 2):
  yours 1, engine 0.25 (yours = 4 × engine); max |difference| 0.75, allowed 1e-06.
The δ above it (layer 2) agrees, so the error enters in the backward step through layer 2 (AvgPool2d):
  from the δ of its output to the δ of its input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..testing.tolerances import ENGINE_TOLERANCE, FD, FD_TOLERANCE, USER_TOLERANCE, tolerance

__all__ = ["ENGINE_TOLERANCE", "FD_TOLERANCE", "USER_TOLERANCE", "Comparison", "Row", "format_table",
           "tolerance", "verdict"]  # the tolerance policy: tinygrad_cnn.testing.tolerances


@dataclass(frozen=True)
class Row:
    """One quantity of one layer compared between two sources."""

    layer: str
    quantity: str  # "δ" or a parameter attribute ("weight", "bias")
    pair: tuple[str, str]
    shape: tuple[int, ...]
    max_abs: float  # max |a − b| (over the compared units)
    max_rel: float  # max_abs / max(max |a|, max |b|)
    tolerance: float  # allowed max_abs
    units: int  # how many units were compared
    kinks: int = 0  # finite differences: sampled units left out because the loss has a kink there
    unit: tuple[int, ...] | None = None  # where |a − b| is largest
    values: tuple[float, float] | None = None  # (a, b) there, in the order of ``pair``
    nonzero: int = -1  # how many compared units have a value ≠ 0 in either source (-1: not counted)

    @property
    def ok(self) -> bool:
        return bool(self.max_abs <= self.tolerance)

    @property
    def checked(self) -> bool:
        """Whether the comparison said anything: some unit compared, and not only zeros."""
        return self.units > 0 and self.nonzero != 0


@dataclass
class Comparison:
    """The result of :func:`tinygrad_cnn.deltas.compare`: :class:`Row` s for every layer, quantity and pair;
    ``values`` every source's arrays by (layer, quantity); ``seconds`` each source's wall time; ``labels`` the
    book's names of (layer, quantity) on the book's network."""

    loss: str
    cost: float
    n_images: int
    layers: list[tuple[str, str]]  # (name, class name) in forward order
    rows: list[Row]
    sources: list[str]
    notes: list[str] = field(default_factory=list)
    values: dict[str, dict[tuple[str, str], np.ndarray]] = field(default_factory=dict, repr=False)
    seconds: dict[str, float] = field(default_factory=dict, repr=False)
    labels: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    def agrees(self) -> bool:
        """Whether every pair of sources agrees on every quantity within its tolerance."""
        return all(row.ok for row in self.rows)

    def failing_layers(self) -> list[str]:
        """The names of the layers where some source disagrees, in layer order."""
        bad = {row.layer for row in self.rows if not row.ok}
        return [name for name, _ in self.layers if name in bad]

    def first_failing_layer(self) -> str | None:
        """The failing layer nearest the output: where a derivation running backward first goes wrong (the
        layers below it inherit its error through the recurrence); None if all agree."""
        failing = self.failing_layers()
        return failing[-1] if failing else None

    def worst(self) -> Row:
        """The row farthest outside (or nearest to) its tolerance: the largest max |a − b| / tolerance."""
        return max(self.rows, key=_excess)

    def unchecked(self) -> list[Row]:
        """The finite-difference rows that could not check anything (every sampled unit at a kink, or only
        zeros compared)."""
        return [row for row in self.rows if FD in row.pair and not row.checked]

    def verdict(self) -> str:
        return verdict(self)

    def __str__(self) -> str:
        return format_table(self)


def _excess(row: Row) -> float:
    """max |a − b| in units of the row's tolerance (a zero tolerance: 0 when met, ∞ when missed)."""
    if row.tolerance > 0:
        return row.max_abs / row.tolerance
    return 0.0 if row.ok else np.inf


def _number(value: float) -> str:
    return f"{value:.6g}"


def _departing(rows: list[Row]) -> tuple[str, str, bool]:
    """(the source that departs, the one it is measured against, whether the blame is clear) among the failing
    rows of one quantity: the one source in every failing pair; with a single failing pair, either may be
    wrong (the engine is named as the reference)."""
    common = set(rows[0].pair).intersection(*(row.pair for row in rows))
    if len(common) == 1:
        (source,) = common
        others = [next(s for s in row.pair if s != source) for row in rows]
        return source, ("engine" if "engine" in others else others[0]), True
    first, second = rows[0].pair
    return (second, first, False) if first == "engine" else (first, second, False)


def verdict(comparison: Comparison) -> str:
    """Where the error enters, walking back from the output; '' when every source agrees."""
    kinds = dict(comparison.layers)
    order = [name for name, _ in comparison.layers]
    walked = []
    for position in reversed(range(len(order))):
        name = order[position]
        failing = [row for row in comparison.rows if row.layer == name and not row.ok]
        if not failing:
            if any(row.layer == name for row in comparison.rows):
                walked.append(f"{name} ({kinds[name]})")
            continue
        deltas = [row for row in failing if row.quantity == "δ"]
        quantity = "δ" if deltas else failing[0].quantity
        rows = [row for row in failing if row.quantity == quantity]
        source, reference, clear = _departing(rows)
        row = next(r for r in rows if set(r.pair) == {source, reference})
        departs = f"{source} differs from {reference}" if clear else f"{source} and {reference} disagree"
        what = "δ of its output" if quantity == "δ" else f"∂C/∂{quantity}"
        given = [w for w in walked if any(r.layer == w.split()[0] and source in r.pair for r in comparison.rows)]
        which = ("." if given == walked else f" ({source}: at {', '.join(g.split()[0] for g in given)})." if given
                 else f" ({source} gives none of them).")
        lines = [f"Walking back from the output, every source agrees at layer{'s' if len(walked) > 1 else ''} "
                 f"{', '.join(walked)}{which}"] if walked else []
        first = f"The first departure is at layer {name} ({kinds[name]}), {what}: {departs}"
        if row.unit is not None and row.values is not None:
            mine, theirs = row.values if row.pair[0] == source else row.values[::-1]
            first += f" at unit {row.unit}: {source} {_number(mine)}, {reference} {_number(theirs)}"
            if theirs != 0 and mine != 0:
                first += f" ({source} = {_number(mine / theirs)} × {reference})"
        lines.append(first + f"; max |difference| {row.max_abs:.3g}, allowed {row.tolerance:.2g}.")
        lines.append(_where(comparison, order, position, source, quantity))
        text = "\n".join(lines)
        return text
    return ""


def _where(comparison: Comparison, order: list[str], position: int, source: str, quantity: str) -> str:
    """The step of the backward pass where the departing source's error enters."""
    name, kinds = order[position], dict(comparison.layers)
    if quantity != "δ":
        return (f"Its δ agrees, so the error is in the gradient of layer {name}'s {quantity} from that δ "
                "(∂C/∂θ = δ times the layer's input).")
    above = [other for other in order[position + 1:]
             if any(r.layer == other and r.quantity == "δ" and source in r.pair for r in comparison.rows)]
    if not above:
        steps = order[position + 1:]
        through = f" through layer(s) {', '.join(f'{s} ({kinds[s]})' for s in steps)}" if steps else ""
        return f"Nothing above it is compared for {source}, so the error enters between the loss and here{through}."
    nearest = above[0]
    steps = order[position + 1:order.index(nearest) + 1][::-1]  # in backward order
    step = ", ".join(f"{s} ({kinds[s]})" for s in steps)
    if len(steps) == 1:
        return (f"The δ above it (layer {nearest}) agrees, so the error enters in the backward step through "
                f"layer {step}: from the δ of its output to the δ of its input.")
    return (f"The nearest δ above it that {source} gives (layer {nearest}) agrees, so the error enters in the "
            f"backward steps through layers {step}: from the δ of layer {nearest}'s output to that of layer {name}.")


def format_table(comparison: Comparison) -> str:
    """The comparison as a table: one line per layer and quantity, a column per source against the engine
    (largest |difference| and relative; for finite differences, how many units were compared), then the
    verdict."""
    c = comparison
    others = [s for s in c.sources if s != "engine"]
    width = {source: max(20, len(source) + 10) for source in others}  # a cell "1.5e-17 (2.5e-16) ✗"
    names = {key: f"{key[1]} ({label})" for key, label in c.labels.items()}
    wide = max([9, *(len(name) for name in names.values())])
    long = max([5, *(len(name) for name, _ in c.layers)])
    head = f"{'layer':<{long}} {'kind':<10} {'quantity':<{wide}} {'shape':<16}"
    for source in others:
        head += f" {source + ' vs engine':>{width[source]}}" + (f" {'units':>9}" if source == FD else "")
    lines = [(f"δ = ∂C/∂(layer output) and ∂C/∂θ, {c.n_images} image(s), {c.loss} loss (C = {c.cost:.6g}): "
              "largest |difference| (and relative) of each source against the engine"), head + "   ok"]
    by_key: dict[tuple[str, str], dict[tuple[str, str], Row]] = {}
    for row in c.rows:
        by_key.setdefault((row.layer, row.quantity), {})[row.pair] = row
    kinds = dict(c.layers)
    for (layer, quantity), pairs in by_key.items():
        shape = next(iter(pairs.values())).shape
        name = names.get((layer, quantity), quantity)
        line = f"{layer:<{long}} {kinds.get(layer, ''):<10} {name:<{wide}} {shape!s:<16}"
        for source in others:
            row = pairs.get(("engine", source))
            if row is None:
                cell = "—"
            elif source == FD and not row.checked:
                cell = "not checked"
            else:
                cell = f"{row.max_abs:.1e} ({row.max_rel:.1e}){'' if row.ok else ' ✗'}"
            line += f" {cell:>{width[source]}}"
            if source == FD:
                line += f" {'' if row is None else f'{row.units}/{int(np.prod(shape))}':>9}"
        line += "   " + ("yes" if all(r.ok for r in pairs.values()) else "NO")
        lines.append(line)
    if c.agrees():
        lines.append(f"All sources agree ({', '.join(c.sources)}).")
    else:
        lines.append(f"DISAGREEMENT at layer(s) {', '.join(c.failing_layers())}.")
        lines.append(verdict(c))
    for row in c.unchecked():
        why = ("every sampled unit sits where the loss is not differentiable" if row.units == 0 else
               f"δ is 0 at the {row.units} compared unit(s)")
        lines.append(f"Finite differences could not check layer {row.layer} {row.quantity} ({why}).")
    kinks = sum(row.kinks for row in c.rows if row.pair == ("engine", FD))
    if kinks:
        lines.append(f"{kinks} sampled unit(s) where the loss is not differentiable (a max-pool tie or a zero "
                     "ReLU input at or above them) were left out of the finite-difference check.")
    lines.extend(c.notes)
    return "\n".join(lines)


def worst_unit(a: np.ndarray, b: np.ndarray, shape: tuple[int, ...], index: Any = None) -> dict[str, Any]:
    """The keyword arguments of a :class:`Row` for the unit where |a − b| is largest (``a``, ``b`` flat over
    ``index``, the flat units of ``shape``, all of them by default)."""
    if a.size == 0:
        return {"unit": None, "values": None}
    k = int(np.argmax(np.nan_to_num(np.abs(a - b), nan=np.inf)))
    flat = k if index is None else int(index[k])
    unit = tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()
    return {"unit": unit, "values": (float(a[k]), float(b[k]))}

"""δ and gradients of the book's network four ways, and how far apart they are.

The four sources:

* ``formulas``: the hand derivation of MATH.md in plain numpy (:mod:`formulas`, eqs. (17), (25), (8), (12), (14));
* ``tensor``: the tensor engine, ``retain_grad`` on z^O and z^F (:mod:`tensor_net`);
* ``scalar``: the scalar engine, every neuron a ``Value`` (:mod:`scalar_net`);
* ``finite differences``: central differences (C_T(θ + ε) − C_T(θ − ε)) / 2ε of the **formulas'** cost
  :func:`formulas.cost`, one parameter at a time (plain numpy, no autograd involved). Only the 69
  parameter gradients are estimated this way; δ has no finite-difference column.

For every quantity (δ^O, δ^F and the four parameter gradients) and every pair of sources that both
have it, :func:`compare` reports the largest absolute difference ``max |a − b|`` and the relative one,
``max |a − b| / max(max |a|, max |b|)`` (the absolute difference measured against the size of the
quantity, 0 when both are 0), and :func:`format_table` prints them as a plain-text table. Two sources agree
under the δ-checkers' one tolerance policy, :mod:`tinygrad_cnn.testing.tolerances` (the same as
``deltas.compare``'s); the finite differences are :mod:`tinygrad_cnn.testing.finite_differences`, the ones
``gradcheck`` and ``deltas.compare`` use.

>>> from tinygrad_cnn.textbook import initial_parameters, load_data
>>> images, targets = load_data()
>>> result = compare(initial_parameters(), images[:4], targets[:4], pool="avg")
>>> result.agrees()
True
>>> [row.pair for row in result.rows if row.quantity == "delta_O"]
[('formulas', 'tensor'), ('formulas', 'scalar'), ('tensor', 'scalar')]
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..testing.finite_differences import FD_EPSILON, differences
from ..testing.tolerances import ENGINE_TOLERANCE, FD_TOLERANCE, tolerance
from . import formulas, scalar_net, tensor_net
from .formulas import Backprop

__all__ = [
    "AUTOGRAD_TOLERANCE",
    "FD_EPSILON",
    "FD_TOLERANCE",
    "HESSIAN_TOLERANCE",
    "HessianComparison",
    "QUANTITIES",
    "SOURCES",
    "Comparison",
    "Row",
    "compare",
    "compare_hessians",
    "finite_difference_gradients",
    "format_table",
]

SOURCES = ("formulas", "tensor", "scalar", "finite differences")
QUANTITIES = ("delta_O", "delta_F", "filter_weights", "filter_biases", "output_weights", "output_biases")
LABELS = {
    "delta_O": "δ^O",
    "delta_F": "δ^F",
    "filter_weights": "∂C_T/∂w^F",
    "filter_biases": "∂C_T/∂b^F",
    "output_weights": "∂C_T/∂w^O",
    "output_biases": "∂C_T/∂b^O",
}
AUTOGRAD_TOLERANCE = ENGINE_TOLERANCE  # formulas, tensor and scalar engine: relative (testing.tolerances)


@dataclass(frozen=True)
class Row:
    """One quantity compared between two sources."""

    quantity: str  # one of QUANTITIES
    pair: tuple[str, str]  # two of SOURCES
    shape: tuple[int, ...]
    max_abs: float  # max |a − b|
    max_rel: float  # max |a − b| / max(max |a|, max |b|)
    cost: float = 0.0  # C_T, for the finite differences' absolute floor

    @property
    def tolerance(self) -> float:
        """The agreement this pair must reach (:func:`tinygrad_cnn.testing.tolerances.tolerance`): relative
        1e-9 between the exact sources, 1e-5 with finite differences, plus a small absolute floor."""
        scale = self.max_abs / self.max_rel if self.max_rel > 0 else 0.0  # max(max |a|, max |b|)
        return tolerance(self.pair, scale, self.cost)

    @property
    def ok(self) -> bool:
        return self.max_abs <= self.tolerance


@dataclass
class Comparison:
    """The result of :func:`compare`: one :class:`Row` per (quantity, pair), and how the run went."""

    pool: str
    n_images: int
    rows: list[Row]
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per source
    results: dict[str, Backprop] = field(default_factory=dict, repr=False)  # the three backprop results

    def agrees(self) -> bool:
        """Whether every pair agrees within its tolerance (:attr:`Row.tolerance`)."""
        return all(row.ok for row in self.rows)

    def worst(self) -> Row:
        """The row with the largest absolute difference relative to its tolerance."""
        return max(self.rows, key=lambda row: row.max_abs / row.tolerance)


def _check_eps(eps: object) -> None:
    """The finite-difference step: a positive finite number (TypeError for a non-number, ValueError otherwise)."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)):
        raise TypeError(f"eps must be a positive number; got {type(eps).__name__} {eps!r}")
    if not 0 < eps < np.inf:
        raise ValueError(f"eps must be a positive finite number; got {eps!r}")


def finite_difference_gradients(
    params: Mapping[str, np.ndarray],
    images: np.ndarray,
    targets: np.ndarray,
    pool: str = "max",
    eps: float = FD_EPSILON,
) -> dict[str, np.ndarray]:
    """Central differences (C_T(θ + ε) − C_T(θ − ε)) / 2ε of :func:`formulas.cost` for all 69 parameters.

    >>> from tinygrad_cnn.textbook import initial_parameters, load_data
    >>> images, targets = load_data()
    >>> fd = finite_difference_gradients(initial_parameters(), images, targets)
    >>> exact = formulas.gradients(initial_parameters(), images, targets)
    >>> bool(np.abs(fd["output_biases"] - exact["output_biases"]).max() < 1e-6)
    True
    """
    _check_eps(eps)
    inputs = formulas.check_inputs(params, images, targets, pool)
    images, targets, pool, base = inputs.x, inputs.t, inputs.pool, inputs.params
    grads = {}
    for key in base:
        shifted = {name: array.copy() for name, array in base.items()}  # shifted[key] moved in place by differences
        d = differences(lambda shifted=shifted: formulas.cost(shifted, images, targets, pool), shifted[key], eps)
        grads[key] = d.central.reshape(base[key].shape)
    return grads


def _difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(max |a − b|, max |a − b| / max(max |a|, max |b|)), the latter 0 when a and b are both 0."""
    max_abs = float(np.max(np.abs(a - b)))
    scale = float(max(np.max(np.abs(a)), np.max(np.abs(b))))
    return max_abs, (max_abs / scale if scale > 0 else 0.0)


def compare(
    params: Mapping[str, np.ndarray],
    images: np.ndarray,
    targets: np.ndarray,
    pool: str = "max",
    eps: float = FD_EPSILON,
) -> Comparison:
    """δ^O, δ^F and the four gradients ∂C_T/∂θ from the formulas, both engines and finite differences.

    Every source runs on all the given images; returns a :class:`Comparison` whose ``rows`` hold the
    largest absolute and relative difference for every quantity and pair of sources.
    """
    _check_eps(eps)
    inputs = formulas.check_inputs(params, images, targets, pool)
    params, x, t, pool = inputs.params, inputs.x, inputs.t, inputs.pool  # checked: (M, 6, 6), (M, 3)
    values: dict[str, dict[str, np.ndarray]] = {}
    seconds: dict[str, float] = {}
    results: dict[str, Backprop] = {}
    for source, run in (
        ("formulas", formulas.backprop),
        ("tensor", tensor_net.backprop),
        ("scalar", scalar_net.backprop),
    ):
        start = time.perf_counter()
        result = run(params, x, t, pool)
        seconds[source] = time.perf_counter() - start
        results[source] = result
        values[source] = {"delta_O": result.delta_O, "delta_F": result.delta_F, **result.gradients}
    start = time.perf_counter()
    values["finite differences"] = finite_difference_gradients(params, x, t, pool, eps)
    seconds["finite differences"] = time.perf_counter() - start

    rows = []
    for quantity in QUANTITIES:
        having = [source for source in SOURCES if quantity in values[source]]
        for first, second in itertools.combinations(having, 2):
            a, b = values[first][quantity], values[second][quantity]
            rows.append(Row(quantity, (first, second), a.shape, *_difference(a, b), results["formulas"].cost))
    return Comparison(pool, len(x), rows, seconds, results)


def format_table(comparison: Comparison) -> str:
    """The comparison as a plain-text table, one line per quantity and pair, and a verdict.

    >>> row = Row("delta_O", ("formulas", "tensor"), (96, 3), 1.5e-17, 2.5e-16)
    >>> print(format_table(Comparison("max", 96, [row])))  # doctest: +NORMALIZE_WHITESPACE
    δ and ∂C_T/∂θ four ways (96 images, max pooling): largest difference between each pair of sources
    quantity     shape          sources                         max |a−b|   relative   ok
    δ^O          (96, 3)        formulas vs tensor                1.5e-17    2.5e-16   yes
    All agree: formulas, tensor and scalar engine within 1e-09, finite differences within 1e-05 (relative).
    """
    lines = [
        (f"δ and ∂C_T/∂θ four ways ({comparison.n_images} images, {comparison.pool} pooling): "
         "largest difference between each pair of sources"),
        f"{'quantity':<12} {'shape':<14} {'sources':<30} {'max |a−b|':>10} {'relative':>10}   ok",
    ]
    previous = None
    for row in comparison.rows:
        label = LABELS[row.quantity] if row.quantity != previous else ""
        shape = str(row.shape) if row.quantity != previous else ""
        previous = row.quantity
        pair = f"{row.pair[0]} vs {row.pair[1]}"
        lines.append(
            f"{label:<12} {shape:<14} {pair:<30} {row.max_abs:>10.1e} {row.max_rel:>10.1e}   "
            f"{'yes' if row.ok else 'NO'}"
        )
    if comparison.agrees():
        lines.append(
            f"All agree: formulas, tensor and scalar engine within {AUTOGRAD_TOLERANCE:.0e}, "
            f"finite differences within {FD_TOLERANCE:.0e} (relative)."
        )
    else:
        bad = [row for row in comparison.rows if not row.ok]
        lines.append(f"DISAGREEMENT in {len(bad)} row(s); worst: {LABELS[comparison.worst().quantity]} "
                     f"{' vs '.join(comparison.worst().pair)} differ by {comparison.worst().max_abs:.3g}.")
    if comparison.seconds:
        lines.append("time: " + ", ".join(f"{source} {s:.3f} s" for source, s in comparison.seconds.items()))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------
# Second order: the Hessian of C_T in the six biases, MATH.md "The Hessian of C_T in the biases"
# ----------------------------------------------------------------------------------------------------

HESSIAN_TOLERANCE = 1e-9  # max |a − b| between any two of the three bias Hessians


@dataclass
class HessianComparison:
    """The (6, 6) bias Hessian three ways: ``formulas`` (eqs. (H1)-(H6), ``textbook.hessian``), ``differences``
    (4th-order central differences of the formulas' gradient) and ``engine`` (the tensor engine's double
    backward, ``tensor_net.bias_hessian``), with the largest absolute difference of each pair."""

    formulas: np.ndarray
    differences: np.ndarray
    engine: np.ndarray
    pairs: dict[tuple[str, str], float] = field(default_factory=dict)

    def agrees(self) -> bool:
        return all(value <= HESSIAN_TOLERANCE for value in self.pairs.values())

    def line(self) -> str:
        """One line for ``tinygrad-cnn textbook``."""
        parts = ", ".join(f"{a} vs {b} {value:.1e}" for (a, b), value in self.pairs.items())
        return (f"Hessian of C_T in the 6 biases (b^O, b^F), eqs. (H1)-(H6) (max |Δ|, tolerance "
                f"{HESSIAN_TOLERANCE:g}; largest entry {np.abs(self.formulas).max():.3g}): {parts}")


def compare_hessians(params: Mapping[str, np.ndarray], images: np.ndarray, targets: np.ndarray,
                     pool: str = "max") -> HessianComparison:
    """The bias Hessian by the formulas, by differences of the formulas' gradient and by the engine, compared.

    >>> from tinygrad_cnn.textbook import initial_parameters, load_data
    >>> images, targets = load_data()
    >>> compare_hessians(initial_parameters(), images[:8], targets[:8]).agrees()
    True
    """
    from . import hessian

    inputs = formulas.check_inputs(params, images, targets, pool)
    sources = {
        "formulas": hessian.bias_hessian(inputs.params, inputs.x, inputs.t, inputs.pool),
        "differences": hessian.bias_hessian_by_differences(inputs.params, inputs.x, inputs.t, inputs.pool),
        "engine": tensor_net.bias_hessian(inputs.params, inputs.x, inputs.t, inputs.pool),
    }
    pairs = {(a, b): float(np.abs(sources[a] - sources[b]).max()) for a, b in itertools.combinations(sources, 2)}
    return HessianComparison(**sources, pairs=pairs)

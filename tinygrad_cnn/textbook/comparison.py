"""The book's network checked every way: :func:`compare` is :func:`tinygrad_cnn.deltas.book.compare`, the one
δ-checker (:func:`tinygrad_cnn.deltas.compare`) run on the book's network with the book's formulas and the
scalar engine as further sources; :class:`Row`, :class:`Comparison` and :func:`format_table` are the
δ-checker's (:mod:`tinygrad_cnn.deltas.report`), the tolerance policy :mod:`tinygrad_cnn.testing.tolerances`.

:func:`finite_difference_gradients` is the formulas' own numerical check: central differences of
:func:`formulas.cost`, plain numpy, by :mod:`tinygrad_cnn.testing.finite_differences`.

>>> from tinygrad_cnn.textbook import initial_parameters, load_data
>>> images, targets = load_data()
>>> result = compare(initial_parameters(), images[:4], targets[:4], pool="avg")
>>> result.agrees()
True
>>> sorted({row.pair for row in result.rows if row.layer == "4" and row.quantity == "δ"})[:3]
[('engine', 'finite differences'), ('engine', 'formulas'), ('engine', 'layerwise')]
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .._checks import check_float
from ..deltas.report import Comparison, Row, format_table
from ..testing.finite_differences import FD_EPSILON, differences
from ..testing.tolerances import ENGINE_TOLERANCE, FD, FD_TOLERANCE
from . import formulas, tensor_net

__all__ = ["AUTOGRAD_TOLERANCE", "FD_EPSILON", "FD_TOLERANCE", "HESSIAN_TOLERANCE", "SOURCES", "Comparison",
           "HessianComparison", "Row", "compare", "compare_hessians", "finite_difference_gradients", "format_table"]

SOURCES = ("engine", "layerwise", "formulas", "scalar", FD)
AUTOGRAD_TOLERANCE = ENGINE_TOLERANCE  # between exact sources, relative (testing.tolerances)


def compare(params: Mapping[str, np.ndarray], images: np.ndarray, targets: np.ndarray, pool: str = "max",
            eps: float = FD_EPSILON) -> Comparison:
    """δ and ∂C_T/∂θ of the book's network from every source (:func:`tinygrad_cnn.deltas.book.compare`)."""
    from ..deltas.book import compare as compare_book  # here, as deltas imports this package

    return compare_book(params, images, targets, pool, eps)


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
    eps = check_float(eps, "eps", "finite_difference_gradients", minimum=0.0, open_minimum=True)
    inputs = formulas.check_inputs(params, images, targets, pool)
    images, targets, pool, base = inputs.x, inputs.t, inputs.pool, inputs.params
    grads = {}
    for key in base:
        shifted = {name: array.copy() for name, array in base.items()}  # shifted[key] moved in place by differences
        d = differences(lambda shifted=shifted: formulas.cost(shifted, images, targets, pool), shifted[key], eps)
        grads[key] = d.central.reshape(base[key].shape)
    return grads


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

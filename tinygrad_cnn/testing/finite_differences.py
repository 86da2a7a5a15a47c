"""Central finite differences, the one implementation every verifier uses: ``gradcheck``'s Jacobians, the
δ-checker's finite-difference source (:func:`tinygrad_cnn.deltas.compare`) and the book's 69 parameter
gradients (:func:`tinygrad_cnn.textbook.comparison.finite_difference_gradients`).

For a function ``f`` of an array ``a`` (``f`` reads ``a`` when called, e.g. a closure over it) and units
``u`` of ``a``, :func:`differences` evaluates ``f`` at ``a[u] − ε`` and ``a[u] + ε``, one unit at a time, in
place, and puts every unit back as it was (also when ``f`` raises). :class:`Differences` turns them into
the central difference ``(f(a + ε) − f(a − ε)) / 2ε`` and, given ``f(a)``, the two one-sided ones, whose
disagreement says the unit sits at a kink of ``f``.

>>> a = np.array([1.0, 2.0, -3.0])
>>> d = differences(lambda: float((a ** 3).sum()), a, eps=1e-5)
>>> np.round(d.central, 6)                      # 3 a²
array([ 3., 12., 27.])
>>> a.tolist()                                  # untouched
[1.0, 2.0, -3.0]
>>> b = np.array([0.0, 1.0])
>>> d = differences(lambda: float(np.abs(b).sum()), b, eps=1e-3, base=1.0)
>>> np.round(d.left, 9).tolist(), np.round(d.right, 9).tolist()  # |x| at 0: the one-sided slopes differ
([-1.0, 1.0], [1.0, 1.0])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["FD_EPSILON", "Differences", "differences"]

FD_EPSILON = 1e-6  # the step ε: truncation error O(ε²), rounding error O(machine ε · |f| / ε) in float64


@dataclass
class Differences:
    """``f`` at ``a[u] ∓ ε`` for the flat unit indices ``index``: ``minus``/``plus`` have shape
    ``(len(index), *f's shape)``; ``base`` is f(a) (None when not given)."""

    index: np.ndarray
    minus: np.ndarray
    plus: np.ndarray
    eps: float
    base: Any = None

    @property
    def central(self) -> np.ndarray:
        """(f(a + ε) − f(a − ε)) / 2ε per unit."""
        return (self.plus - self.minus) / (2 * self.eps)

    @property
    def left(self) -> np.ndarray:
        """(f(a) − f(a − ε)) / ε per unit (needs ``base``)."""
        return (self.base - self.minus) / self.eps

    @property
    def right(self) -> np.ndarray:
        """(f(a + ε) − f(a)) / ε per unit (needs ``base``)."""
        return (self.plus - self.base) / self.eps


def differences(
    f: Callable[[], Any], array: np.ndarray, eps: float = FD_EPSILON, index: Any = None, base: Any = None
) -> Differences:
    """``f()`` with each unit of ``array`` (flat ``index``, all units by default) moved by −ε and +ε in place.

    ``array`` must be a writable numpy array that ``f`` reads; each unit is restored before the next one
    moves, also when ``f`` raises."""
    units = np.arange(array.size) if index is None else np.asarray(index, dtype=np.intp).ravel()
    minus, plus = [], []
    for unit in units:
        where = np.unravel_index(unit, array.shape)
        kept = array[where]
        try:
            for sign, out in ((-1.0, minus), (1.0, plus)):
                array[where] = kept + sign * eps
                out.append(np.asarray(f(), dtype=np.float64))
        finally:
            array[where] = kept
    shape = np.shape(base) if base is not None else (minus[0].shape if minus else ())
    stack = (lambda values: np.stack(values) if values else np.empty((0, *shape)))
    return Differences(units, stack(minus), stack(plus), float(eps), base)

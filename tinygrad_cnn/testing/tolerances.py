"""The one tolerance policy of the δ-checkers (:func:`tinygrad_cnn.deltas.compare` and
:func:`tinygrad_cnn.textbook.compare`): two sources agree on a quantity when

    max |a − b| ≤ rtol · scale + floor,   scale = the largest |value| of either source,

rtol added up over the pair: 1e-9 between exact sources (the engine, layerwise, the book's formulas, the scalar
engine: float64 arithmetic, the same equations), 1e-5 with finite differences (their truncation error O(ε²)
and the loss's rounding), 1e-6 with yours (float32 arithmetic passes). The floor is 1e-12, or with finite
differences 1e-8 · max(1, |C|): the loss's rounding, divided by 2ε.

>>> tolerance(("engine", "layerwise"), 2.0)
2.001e-09
>>> round(tolerance(("engine", "finite differences"), 1.0, cost=100.0), 12)
1.1e-05
"""

from __future__ import annotations

__all__ = ["ENGINE_TOLERANCE", "FD", "FD_TOLERANCE", "USER_TOLERANCE", "tolerance"]

ENGINE_TOLERANCE = 1e-9
FD_TOLERANCE = 1e-5
USER_TOLERANCE = 1e-6
FD = "finite differences"


def tolerance(pair: tuple[str, str], scale: float, cost: float = 0.0, user_tolerance: float = USER_TOLERANCE) -> float:
    """The largest max |a − b| allowed between the two sources of ``pair`` for a quantity of size ``scale``."""
    exact = [source for source in pair if source not in (FD, "yours")]
    rtol = (ENGINE_TOLERANCE if len(exact) == 2 else 0.0) + (FD_TOLERANCE if FD in pair else 0.0)
    rtol += user_tolerance if "yours" in pair else 0.0
    floor = 1e-8 * max(1.0, abs(cost)) if FD in pair else 1e-12
    return rtol * scale + floor

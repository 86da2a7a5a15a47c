"""Hypothesis strategies of shapes, arrays and tensors (public through ``tinygrad_cnn.testing.strategies``).

Built on ``hypothesis.extra.numpy``. The inputs they draw are float64 by default, bounded, and can be
kept away from the places where a derivative does not exist:

- ``distinct=True`` keeps every pair of elements at least ``gap`` apart, so max-type ops have no ties
  within the finite-difference step;
- ``avoid=(0.0,)`` keeps elements at least ``gap`` away from kinks such as relu's and abs's.

>>> from hypothesis import given
>>> from tinygrad_cnn.testing import gradcheck
>>> from tinygrad_cnn.testing import strategies as tst
>>> @given(tst.tensors(shape=tst.shapes(max_dims=2), distinct=True))
... def test_max_gradient(x):
...     assert gradcheck(lambda t: t.max(), [x])
>>> test_max_gradient()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as error:  # pragma: no cover - exercised only without the test extra
    raise ImportError(
        "tinygrad_cnn.testing.strategies needs Hypothesis: pip install 'tinygrad_cnn[test]' (or pip install hypothesis)"
    ) from error

from ..tensor import Tensor

__all__ = [
    "arrays",
    "axes",
    "broadcastable_shapes",
    "shapes",
    "tensors",
]


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes with ``min_dims..max_dims`` axes of ``min_side..max_side`` elements each."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def _shape_strategy(shape: Any) -> st.SearchStrategy[tuple[int, ...]]:
    if isinstance(shape, st.SearchStrategy):
        return shape
    if isinstance(shape, int):
        return st.just((shape,))
    return st.just(tuple(shape))


@st.composite
def arrays(
    draw: st.DrawFn,
    shape: Any = None,
    dtype: Any = np.float64,
    min_value: float = -3.0,
    max_value: float = 3.0,
    distinct: bool = False,
    gap: float = 1e-3,
    avoid: Sequence[float] = (),
) -> np.ndarray:
    """A numpy array of ``dtype`` with elements in ``[min_value, max_value]``.

    Parameters
    ----------
    shape : tuple, int or a strategy of shapes (default: ``shapes()``)
    distinct : every two elements differ by at least ``gap`` (no ties for max-type ops)
    gap : the minimum distance used by ``distinct`` and ``avoid``
    avoid : points every element keeps at least ``gap`` away from (kinks, poles)
    """
    if not min_value < max_value:
        raise ValueError(f"arrays(): min_value must be < max_value, got {min_value} and {max_value}")
    drawn_shape = draw(_shape_strategy(shape if shape is not None else shapes()))
    if distinct:
        values = draw(_distinct_values(int(np.prod(drawn_shape, dtype=int)), min_value, max_value, gap, avoid))
        return np.asarray(values, dtype=dtype).reshape(drawn_shape)
    elements = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False, width=64)
    if avoid:
        elements = elements.filter(lambda v: all(abs(v - p) >= gap for p in avoid))
    return draw(hnp.arrays(dtype=dtype, shape=drawn_shape, elements=elements))


def _distinct_values(n: int, low: float, high: float, gap: float, avoid: Sequence[float]) -> st.SearchStrategy:
    """``n`` values on a grid of spacing 2·gap, each jittered by less than gap/2: pairwise ≥ gap apart."""
    first, last = int(np.ceil(low / (2 * gap))), int(np.floor(high / (2 * gap))) - 1
    slots = st.integers(first, last)
    if avoid:
        slots = slots.filter(lambda k: all(abs(2 * gap * k - p) >= 1.5 * gap and abs(2 * gap * k + gap / 2 - p) >= gap
                                           for p in avoid))
    if last - first + 1 < 2 * n:
        raise ValueError(f"arrays(): [{low}, {high}] is too narrow for {n} values {gap} apart")
    jitter = st.floats(0.0, 0.5 * gap, exclude_max=True)
    grid = st.lists(slots, min_size=n, max_size=n, unique=True)
    return st.builds(
        lambda ks, js: [2 * gap * k + j for k, j in zip(ks, js)],
        grid,
        st.lists(jitter, min_size=n, max_size=n),
    )


@st.composite
def tensors(draw: st.DrawFn, shape: Any = None, requires_grad: bool = True, **array_options: Any) -> Tensor:
    """A ``Tensor`` (``requires_grad=True`` by default) whose data is drawn by ``arrays(shape, **array_options)``."""
    return Tensor(draw(arrays(shape=shape, **array_options)), requires_grad=requires_grad)


def broadcastable_shapes(
    num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """Tuples of ``num_shapes`` shapes that broadcast together (numpy rules), e.g. ``((2, 3), (3,))``."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda result: result.input_shapes)


def axes(ndim: int, allow_none: bool = True, allow_tuple: bool = True) -> st.SearchStrategy[Any]:
    """Valid ``axis`` arguments for an array of ``ndim`` axes: None, an int (negative too) or a tuple of ints."""
    options: list[st.SearchStrategy[Any]] = []
    if allow_none:
        options.append(st.none())
    if ndim > 0:
        options.append(st.integers(-ndim, ndim - 1))
        if allow_tuple:
            options.append(hnp.valid_tuple_axes(ndim))
    if not options:
        raise ValueError(f"axes(): no valid axis for ndim={ndim} with allow_none=False")
    return st.one_of(options)


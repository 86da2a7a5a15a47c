"""The book's network with the scalar engine: every neuron a :class:`~tinygrad_cnn.Value`.

Eqs. (1)-(4) of ``tinygrad_cnn/textbook/MATH.md`` are written here literally, one loop per index (k, i, j, p, q, n),
each building Values; no array arithmetic is differentiated. The unit errors are then read off the
graph: ``δ = ∂C/∂z`` (eq. (7)) is the ``grad`` of the z Values, which the scalar engine keeps on every node.

Pooling (eq. (2), eq. (23) and MATH.md, "Average, L2 and Lp pooling"):

* max: a comparison chooses which Value is passed on: the first maximal Value of the block in row-major
  order (a later unit must be strictly greater to replace it). The pooled unit *is* that Value, so its
  gradient flows only to it, exactly the first-maximum rule of MATH.md, "Ties in max pooling". When
  training (:func:`backprop`, :func:`cost`) the choice is made on the numbers first and only the 12 winning
  units of the 48 are built as Values: the other 36 would be dropped by the pooling, and by eq. (23) their
  δ^F is 0 (:func:`_forward_image`). :func:`forward` builds every unit.
* avg: ``(a1 + a2 + a3 + a4) * (1/4)``.
* l2: ``(a1² + a2² + a3² + a4²) ** 0.5``. Where the sum of squares is exactly 0 the derivative of the
  square root is infinite; MATH.md defines g = 0 there, so that block is passed on as ``sum * 0.0``
  (value 0, derivative 0). With sigmoid outputs a^F > 0 this happens only if every σ(z) of the block
  underflows to 0 (z < −745), but it is handled all the same.

The whole data set is one graph: C_T = Σ_m C_m (eq. (4) summed) built once, one ``backward``. Since
image m's units feed only C_m, the grad of its z Values is its own δ = ∂C_m/∂z.

>>> from tinygrad_cnn.textbook import initial_parameters, load_data
>>> images, targets = load_data()
>>> result = backprop(initial_parameters(), images[:2], targets[:2])
>>> result.delta_F.shape, result.gradients["filter_weights"].shape
((2, 3, 4, 4), (3, 3, 3))
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from ..value import Value, sigmoid
from . import formulas
from .formulas import Backprop

__all__ = ["ScalarParameters", "backprop", "cost", "forward", "predict", "to_values"]


class ScalarParameters(NamedTuple):
    """The 69 parameters as leaf Values, in object arrays indexed like the book: ``w_F[k, p, q]``, ..."""

    w_F: np.ndarray  # (3, 3, 3) of Value
    b_F: np.ndarray  # (3,) of Value
    w_O: np.ndarray  # (3, 3, 2, 2) of Value
    b_O: np.ndarray  # (3,) of Value

    def grads(self) -> dict[str, np.ndarray]:
        """The ``grad`` of every parameter Value, as float64 arrays keyed like the parameter dicts."""
        arrays = dict(zip(formulas.PARAMETER_SHAPES, self))
        return {key: _grads_of(values) for key, values in arrays.items()}


def to_values(params: Mapping[str, np.ndarray]) -> ScalarParameters:
    """Fresh leaf Values for every parameter (shapes checked as in :mod:`formulas`).

    >>> from tinygrad_cnn.textbook import initial_parameters
    >>> p = to_values(initial_parameters())
    >>> p.w_F.shape, type(p.w_F[0, 0, 0]).__name__
    ((3, 3, 3), 'Value')
    """
    w_F, b_F, w_O, b_O = formulas.unpack_parameters(params)
    return ScalarParameters(*(_values_of(array) for array in (w_F, b_F, w_O, b_O)))


def _values_of(array: np.ndarray) -> np.ndarray:
    """An object array of leaf Values holding the numbers of ``array`` (same shape)."""
    values = np.empty(array.shape, dtype=object)
    for index in np.ndindex(array.shape):
        values[index] = Value(float(array[index]))
    return values


def _grads_of(values: np.ndarray) -> np.ndarray:
    """The ``grad`` of each Value of an object array, as a float64 array of the same shape; 0.0 for None (a unit
    not built because no gradient would reach it: see :func:`_forward_image`)."""
    grads = [0.0 if value is None else value.grad for value in values.flat]
    return np.array(grads, dtype=np.float64).reshape(values.shape)


def _data_of(values: np.ndarray) -> np.ndarray:
    """The ``data`` of each Value of an object array, as a float64 array of the same shape."""
    return np.array([value.data for value in values.flat], dtype=np.float64).reshape(values.shape)


# ----------------------------------------------------------------------------------------------------
# Forward pass, one image: eqs. (1)-(3)
# ----------------------------------------------------------------------------------------------------


def _first_max(numbers: list[float]) -> int:
    """The index of the first maximal number in row-major order: a later one must be strictly greater to win
    (so a NaN in first place stays the winner, as every comparison with it is False)."""
    best = 0
    for index in range(1, len(numbers)):
        if numbers[index] > numbers[best]:
            best = index
    return best


def _pool_block(block: list[Value], pool: str) -> Value:
    """z^P of one 2x2 block, given as its 4 units a^F in row-major order: eq. (2) for max pooling, the table of
    MATH.md, "Average, L2 and Lp pooling" for the others.

    No backward rule is written here: the scalar engine differentiates the Values built, and what it finds is
    the pooling factor g of eq. (25) (eq. (23) for max; 1/|B| for avg; a^F / z^P for L2).
    """
    if pool == "max":
        # eq. (2), z^P = max_B a^F, with the first-maximum rule. Returning the winning Value itself is
        # eq. (23): ∂z^P/∂a^F = 1 for the winner, 0 for the others (MATH.md, "Ties in max pooling")
        return block[_first_max([unit.data for unit in block])]
    if pool == "avg":
        # z^P = (1/|B|) Σ_B a^F, so g = 1/|B| = 1/4 for every unit of the block
        return (block[0] + block[1] + block[2] + block[3]) * 0.25
    # "l2": z^P = sqrt(Σ_B (a^F)²), so g = a^F / z^P
    squares = block[0] ** 2 + block[1] ** 2 + block[2] ** 2 + block[3] ** 2  # Σ_B (a^F)²
    if squares.data == 0.0:  # sqrt'(0) is infinite; MATH.md defines g = 0 here: value 0, derivative 0
        return squares * 0.0
    return squares**0.5


def _conv_unit(w_k: list[Value], b_k: Value, window: list[float]) -> Value:
    """Eq. (1) for one unit as Values: z^F_k[i,j] = Σ_{p,q} w^F_k[p,q] x[i+p−1, j+q−1] + b^F_k."""
    z = b_k
    for w, x_pq in zip(w_k, window):
        z = w.mul_add(x_pq, z)  # z + w·x as one node: the input x is a number, not a Value
    return z


def _winning_numbers(p: ScalarParameters, x: np.ndarray) -> list:
    """a^F = σ(z^F) of eq. (1) as numbers for a batch ``x`` (M, 6, 6): nested lists (M, 3, 4, 4), to choose the
    winners of eq. (2) before any Value is built.

    z^F is summed over the batch with numpy, but term by term in the order of :func:`_conv_unit` (z ← w·x + z,
    from b, the window row-major): numpy's multiply and add are single IEEE operations, so every z^F is bit for
    bit the ``data`` of the Value :func:`_conv_unit` builds; σ is the scalar engine's own (``Value.sigmoid``'s
    number), applied one unit at a time.
    """
    w_F, b_F = _data_of(p.w_F), _data_of(p.b_F)  # (3, 3, 3), (3,)
    z = np.broadcast_to(b_F[None, :, None, None], (len(x), 3, 4, 4))  # (M, 3, 4, 4): z starts at b^F_k
    for p_ in range(3):
        for q in range(3):
            z = w_F[None, :, p_, q, None, None] * x[:, None, p_ : p_ + 4, q : q + 4] + z  # z + w^F_k[p,q]·x
    return [[[[sigmoid(z_ij) for z_ij in row] for row in z_k] for z_k in z_m] for z_m in z.tolist()]


_BLOCKS = [(i, j, [(2 * i + di, 2 * j + dj) for di in range(2) for dj in range(2)])  # row-major
           for i in range(2) for j in range(2)]  # the pooling blocks of eq. (2): (i, j, the 4 units (r, c))


def _window(x: list[list[float]], i: int, j: int) -> list[float]:
    """The 9 inputs of unit (i, j) of eq. (1), row-major: x[i+p][j+q] for p, q in 0..2."""
    return x[i][j : j + 3] + x[i + 1][j : j + 3] + x[i + 2][j : j + 3]


def _forward_image(
    p: ScalarParameters, x: list[list[float]], pool: str, every_unit: bool = True, a_F_numbers: list | None = None
) -> dict[str, np.ndarray]:
    """Every unit of eqs. (1)-(3) for one image ``x`` (6x6 nested lists), as object arrays of Values.

    With max pooling and ``every_unit=False``, only the units that win their block are built as Values (12 of
    48): the others would be built only to be dropped, since by eq. (23) no gradient reaches them. Their
    entries of ``z_F`` and ``a_F`` are None (δ^F = 0 there). The winners are chosen by the same first-maximum
    rule on the same numbers (``a_F_numbers``, this image's entry of :func:`_winning_numbers`, computed here if
    not given), so the graph built is the part of the full graph that the backward walk reaches, and every
    gradient is the same.
    """
    z_F = np.empty((3, 4, 4), dtype=object)
    a_F = np.empty((3, 4, 4), dtype=object)
    w_F = [[w for row in kernel for w in row] for kernel in p.w_F.tolist()]  # (3, 9) nested lists: fast to index
    z_P = np.empty((3, 2, 2), dtype=object)
    for k in range(3):
        w_k, b_k = w_F[k], p.b_F[k]
        if pool == "max" and not every_unit:
            if a_F_numbers is None:
                a_F_numbers = _winning_numbers(p, np.array([x], dtype=np.float64))[0]
            a_k = a_F_numbers[k]  # (4, 4): a^F = σ(z^F) as numbers, to choose the winner of eq. (2)
            for i, j, cells in _BLOCKS:
                r, c = cells[_first_max([a_k[r][c] for r, c in cells])]
                z_F[k, r, c] = z = _conv_unit(w_k, b_k, _window(x, r, c))
                a_F[k, r, c] = z_P[k, i, j] = z.sigmoid()  # the winning Value itself: eq. (23)
            continue
        for i in range(4):
            for j in range(4):
                z_F[k, i, j] = z = _conv_unit(w_k, b_k, _window(x, i, j))  # eq. (1)
                a_F[k, i, j] = z.sigmoid()  # a^F = σ(z^F)
        for i, j, cells in _BLOCKS:
            z_P[k, i, j] = _pool_block([a_F[k, r, c] for r, c in cells], pool)  # eq. (2)
    a_P = z_P  # eq. (22): the pooling layer's activation is the identity
    z_O = np.empty(3, dtype=object)
    a_O = np.empty(3, dtype=object)
    w_O, a_P_ = p.w_O.tolist(), a_P.tolist()  # nested lists: fast to index
    for n in range(3):
        # eq. (3): z^O_n = Σ_k Σ_{i,j} w^O_n[k,i,j] a^P_k[i,j] + b^O_n
        z = p.b_O[n]
        for k in range(3):
            for i in range(2):
                for j in range(2):
                    z = z + w_O[n][k][i][j] * a_P_[k][i][j]
        z_O[n] = z
        a_O[n] = z.sigmoid()  # a^O = σ(z^O)
    return {"z_F": z_F, "a_F": a_F, "z_P": z_P, "a_P": a_P, "z_O": z_O, "a_O": a_O}


def _image_cost(a_O: np.ndarray, t: list[float]) -> Value:
    """Eq. (4): C = ½ Σ_n (t_n − a^O_n)²."""
    squared_error = (t[0] - a_O[0]) ** 2
    for n in range(1, 3):
        squared_error = squared_error + (t[n] - a_O[n]) ** 2
    return squared_error * 0.5


def forward(
    params: Mapping[str, np.ndarray] | ScalarParameters, image: np.ndarray, pool: str = "max"
) -> dict[str, np.ndarray]:
    """Every z and a of eq. (1)-(3) for one 6x6 image, as object arrays of Values.

    ``params`` is a parameter dict (fresh leaf Values are made) or :class:`ScalarParameters`.
    Returns ``z_F``, ``a_F`` (3, 4, 4), ``z_P``, ``a_P`` (3, 2, 2), ``z_O``, ``a_O`` (3,).

    >>> from tinygrad_cnn.textbook import initial_parameters, test_image
    >>> units = forward(initial_parameters(), test_image())
    >>> units["a_O"].shape, type(units["a_O"][0]).__name__
    ((3,), 'Value')
    """
    if isinstance(params, ScalarParameters):
        inputs = formulas.check_inputs(None, image, pool=pool, check_params=False)
        p = params
    else:
        inputs = formulas.check_inputs(params, image, pool=pool)
        p = to_values(inputs.params)
    if not inputs.single:
        raise ValueError(f"image must be one image of shape (6, 6); got shape {inputs.x.shape}")
    return _forward_image(p, inputs.x[0].tolist(), inputs.pool)


# ----------------------------------------------------------------------------------------------------
# The data set: C_T as one graph, one backward
# ----------------------------------------------------------------------------------------------------


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block, then back as it was.

    Building the graph allocates ~20,000 Values per step, and each 700 allocations start a collection that
    walks every object alive (≈ 30 collections, ~20 % of a step). A graph of Values has no cycles (a result
    refers only to its operands), so reference counting frees it all the same. Free the graph inside the block:
    the collector counts allocations while paused and, resumed with ~20,000 Values alive, would start at once a
    collection that walks them all (≈ 10 ms a step); freed first, they are taken off that count.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(p: ScalarParameters, x: np.ndarray, t: np.ndarray, pool: str) -> tuple[Value, list[dict]]:
    """C_T = Σ_m C_m over a checked batch as one Value, and the units of every image (with max pooling only
    the winning units of eq. (1) are built: the others are None)."""
    all_units = []
    total = None
    a_F_numbers = _winning_numbers(p, x) if pool == "max" else [None] * len(x)
    for image, target, a_F in zip(x.tolist(), t.tolist(), a_F_numbers):
        units = _forward_image(p, image, pool, every_unit=False, a_F_numbers=a_F)
        c = _image_cost(units["a_O"], target)
        total = c if total is None else total + c  # C_T = Σ_m C_m
        all_units.append(units)
    return total, all_units


def backprop(
    params: Mapping[str, np.ndarray], images: np.ndarray, targets: np.ndarray, pool: str = "max"
) -> Backprop:
    """C_T, the outputs, the unit errors δ (grads of the z Values) and ∂C_T/∂θ (grads of the leaves).

    ``images`` (M, 6, 6) with M ≥ 1, ``targets`` one-hot (M, 3).

    >>> from tinygrad_cnn.textbook import initial_parameters, load_data
    >>> images, targets = load_data()
    >>> result = backprop(initial_parameters(), images[:1], targets[:1])
    >>> bool(np.isclose(result.gradients["output_biases"], result.delta_O.sum(axis=0)).all())  # eq. (8)
    True
    """
    inputs = formulas.check_inputs(params, images, targets, pool)
    p = to_values(inputs.params)
    with _gc_paused():
        total, all_units = _build(p, inputs.x, inputs.t, inputs.pool)
        total.backward()
        # eq. (7): δ = ∂C/∂z, the grad the scalar engine left on each z Value
        delta_O = np.stack([_grads_of(units["z_O"]) for units in all_units])  # (M, 3)
        delta_F = np.stack([_grads_of(units["z_F"]) for units in all_units])  # (M, 3, 4, 4); 0 where not built
        a_O = np.stack([_data_of(units["a_O"]) for units in all_units])  # (M, 3)
        result = Backprop(total.data, a_O, delta_O, delta_F, p.grads())
        del total, all_units  # the graph freed while paused: see _gc_paused
    return result


def cost(params: Mapping[str, np.ndarray], images: np.ndarray, targets: np.ndarray, pool: str = "max") -> float:
    """C_T = Σ_m C_m computed with Values (no backward).

    >>> from tinygrad_cnn.textbook import initial_parameters, load_data, formulas
    >>> images, targets = load_data()
    >>> params = initial_parameters()
    >>> bool(np.isclose(cost(params, images, targets), formulas.cost(params, images, targets)))
    True
    """
    inputs = formulas.check_inputs(params, images, targets, pool)
    with _gc_paused():
        total, _ = _build(to_values(inputs.params), inputs.x, inputs.t, inputs.pool)
        c_T = total.data
        del total, _  # the graph freed while paused: see _gc_paused
    return c_T


def predict(params: Mapping[str, np.ndarray], image: np.ndarray, pool: str = "max") -> int:
    """The predicted digit argmax_n a^O_n + 1 of one image, computed with Values.

    >>> from tinygrad_cnn.textbook import optimized_parameters, test_image
    >>> predict(optimized_parameters(), test_image())
    1
    """
    a_O = forward(params, image, pool)["a_O"]
    return int(np.argmax(_data_of(a_O))) + 1

"""The book's network: forward pass and hand-derived backward rules, in plain numpy.

This module is the hand derivation of ``tinygrad_cnn/textbook/MATH.md`` written equation by equation, in the
book's symbols: forward relations eqs. (1)-(4), the unit errors δ of eq. (17) and the backward recurrence
eq. (25), and the parameter gradients of eqs. (8), (12) and (14). It uses **no automatic differentiation** and
imports only numpy (and the standard library), so it can serve as an independent check of the autograd engines.

It also holds what the three builds of the network share: the input checks (:func:`check_inputs`) and the
result type :class:`Backprop` of :func:`backprop`, ``tensor_net.backprop`` and ``scalar_net.backprop``.

Conventions (0-based in code, 1-based in the book):

* ``params``: a mapping with ``filter_weights`` w^F (3, 3, 3) ``[k][p][q]``, ``filter_biases`` b^F (3,),
  ``output_weights`` w^O (3, 3, 2, 2) ``[n][k][i][j]``, ``output_biases`` b^O (3,). Extra keys are ignored.
* ``images``: a batch of M images (M, 6, 6), or a single image (6, 6). For a single image every per-image
  result drops its leading M axis (``forward`` gives ``z_O`` of shape (3,), ``predict`` gives an int, ...).
* ``targets``: one-hot (M, 3) for a batch, (3,) for a single image: digit d -> column d - 1.
* ``pool``: ``"max"``, ``"avg"`` or ``"l2"`` (MATH.md, "Average, L2 and Lp pooling").

>>> from tinygrad_cnn.textbook import load_data, initial_parameters
>>> images, targets = load_data()
>>> params = initial_parameters()
>>> forward(params, images)["a_F"].shape
(96, 3, 4, 4)
>>> grads = gradients(params, images, targets)
>>> {key: value.shape for key, value in grads.items()}  # doctest: +NORMALIZE_WHITESPACE
{'filter_weights': (3, 3, 3), 'filter_biases': (3,), 'output_weights': (3, 3, 2, 2),
 'output_biases': (3,)}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

__all__ = [
    "PARAMETER_SHAPES",
    "POOLS",
    "Backprop",
    "Inputs",
    "accuracy",
    "as_batch",
    "as_targets",
    "backprop",
    "check_inputs",
    "check_pool",
    "cost",
    "deltas",
    "forward",
    "gradients",
    "max_pool_ties",
    "pooling_factor",
    "predict",
    "sigmoid",
    "sigmoid_prime",
    "unpack_parameters",
]

PARAMETER_SHAPES: dict[str, tuple[int, ...]] = {
    "filter_weights": (3, 3, 3),  # w^F_k[p, q]
    "filter_biases": (3,),  # b^F_k
    "output_weights": (3, 3, 2, 2),  # w^O_n[k, i, j]
    "output_biases": (3,),  # b^O_n
}
POOLS = ("max", "avg", "l2")
IMAGE_SHAPE = (6, 6)
N_OUTPUTS = 3


# ----------------------------------------------------------------------------------------------------
# The activation a(z) = σ(z) and its derivative a'(z) = σ(z)(1 − σ(z))
# ----------------------------------------------------------------------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)).

    For z < −709, e^(−z) overflows to inf and σ(z) comes out as 1/inf = 0, the correct limit; the
    overflow warning is silenced for that reason.

    >>> sigmoid(np.array([0.0, 1000.0, -1000.0]))
    array([0.5, 1. , 0. ])
    """
    z = as_float_array(z, "z")
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """a'(z) = σ(z)(1 − σ(z)).

    >>> sigmoid_prime(np.array([0.0]))
    array([0.25])
    """
    s = sigmoid(z)
    return s * (1.0 - s)


# ----------------------------------------------------------------------------------------------------
# Input checks of every public function of the ``textbook`` package, before any arithmetic: TypeError for a
# non-numeric array, ValueError naming the argument for a wrong key, shape, pool or an empty batch.
# ----------------------------------------------------------------------------------------------------


def check_pool(pool: object) -> str:
    """``pool`` if it is one of ``POOLS``, else ValueError naming it."""
    if not isinstance(pool, str) or pool not in POOLS:
        raise ValueError(f"pool must be one of {POOLS}; got {pool!r}")
    return pool


def as_float_array(value: object, name: str) -> np.ndarray:
    """``value`` as a float64 array, or TypeError naming the argument ``name``."""
    if value is None:
        raise TypeError(f"{name} must be an array of real numbers; got None")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array of real numbers; got {type(value).__name__}: {error}") from None


def unpack_parameters(params: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(w^F, b^F, w^O, b^O) as float64 arrays, after checking keys and shapes (extra keys are ignored)."""
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of parameter name to array; got {type(params).__name__}")
    missing = [key for key in PARAMETER_SHAPES if key not in params]
    if missing:
        raise ValueError(
            f"params is missing key(s) {missing}; got keys {sorted(map(str, params))}, "
            f"expected {list(PARAMETER_SHAPES)}"
        )
    arrays = []
    for key, shape in PARAMETER_SHAPES.items():
        array = as_float_array(params[key], f"params[{key!r}]")
        if array.shape != shape:
            raise ValueError(f"params[{key!r}] must have shape {shape}; got shape {array.shape}")
        arrays.append(array)
    w_F, b_F, w_O, b_O = arrays
    return w_F, b_F, w_O, b_O


def as_batch(images: object) -> tuple[np.ndarray, bool]:
    """Images as a float64 batch (M, 6, 6), and whether a single (6, 6) image was given.

    An empty batch (0, 6, 6) is refused: nothing here has a meaningful answer for it (an accuracy of no images).
    """
    x = as_float_array(images, "images")
    if x.shape == IMAGE_SHAPE:
        return x[np.newaxis], True  # (1, 6, 6)
    if x.ndim == 3 and x.shape[1:] == IMAGE_SHAPE:
        if len(x) == 0:
            raise ValueError(f"images must hold at least one image; got shape {x.shape}")
        return x, False  # (M, 6, 6)
    raise ValueError(f"images must have shape (M, 6, 6) or (6, 6); got shape {x.shape}")


def as_targets(targets: object, m: int, single: bool) -> np.ndarray:
    """One-hot targets as float64 (M, 3), checked against the number of images."""
    t = as_float_array(targets, "targets")
    expected = (N_OUTPUTS,) if single else (m, N_OUTPUTS)
    if t.shape != expected:
        raise ValueError(f"targets must have shape {expected} to match the images; got shape {t.shape}")
    return t.reshape(m, N_OUTPUTS)  # (M, 3)


class Inputs(NamedTuple):
    """Checked arguments of one call (see :func:`check_inputs`)."""

    params: dict[str, np.ndarray] | None  # float64, keyed and shaped like PARAMETER_SHAPES; None if not checked
    x: np.ndarray  # (M, 6, 6) float64, M ≥ 1
    t: np.ndarray | None  # (M, 3) float64 one-hot; None if no targets were given
    single: bool  # a single (6, 6) image was given: per-image results drop their M axis
    pool: str  # one of POOLS


def check_inputs(
    params: object, images: object, targets: object = None, pool: object = "max", *, check_params: bool = True
) -> Inputs:
    """Check the usual arguments of the ``textbook`` functions, in this order: pool, params, images, targets.

    ``targets=None`` means the call has none (a forward pass). ``check_params=False`` skips ``params`` (for a
    caller that checks parameters of its own kind, e.g. Tensors); ``Inputs.params`` is then None.

    >>> from tinygrad_cnn.textbook import initial_parameters
    >>> inputs = check_inputs(initial_parameters(), np.zeros((6, 6)), [1, 0, 0])
    >>> inputs.x.shape, inputs.t.shape, inputs.single, inputs.pool
    ((1, 6, 6), (1, 3), True, 'max')
    """
    pool = check_pool(pool)
    arrays = dict(zip(PARAMETER_SHAPES, unpack_parameters(params))) if check_params else None
    x, single = as_batch(images)  # (M, 6, 6)
    t = None if targets is None else as_targets(targets, len(x), single)  # (M, 3)
    return Inputs(arrays, x, t, single, pool)


class Backprop(NamedTuple):
    """One forward and backward pass over a batch: what every build of the network reports.

    ``cost`` is C_T = Σ_m C_m; ``a_O`` (M, 3) the outputs; ``delta_O`` (M, 3) and ``delta_F`` (M, 3, 4, 4) the
    unit errors δ = ∂C_m/∂z per image (eq. (7)); ``gradients`` ∂C_T/∂θ keyed like the parameters. M ≥ 1 always.
    """

    cost: float
    a_O: np.ndarray
    delta_O: np.ndarray
    delta_F: np.ndarray
    gradients: dict[str, np.ndarray]


def _unbatch(array: np.ndarray, single: bool) -> np.ndarray:
    """Drop the leading M axis when a single image was given."""
    return array[0] if single else array


# ----------------------------------------------------------------------------------------------------
# Array plumbing: input windows of the convolution, 2x2 blocks of the pooling
# ----------------------------------------------------------------------------------------------------


def _input_windows(x: np.ndarray) -> np.ndarray:
    """The 3x3 input window of every convolution unit: windows[m, i, j, p, q] = x[m, i + p, j + q].

    (M, 6, 6) -> (M, 4, 4, 3, 3). (0-based form of the book's x[i+p−1, j+q−1].)
    """
    return np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))


def _blocks(a_F: np.ndarray) -> np.ndarray:
    """The 2x2 pooling blocks of the feature maps, each flattened row-major.

    (M, 3, 4, 4) -> (M, 3, 2, 2, 4): blocks[m, k, i', j', r] = a_F[m, k, 2i' + r // 2, 2j' + r % 2].
    """
    m = a_F.shape[0]
    split = a_F.reshape(m, 3, 2, 2, 2, 2)  # (M, k, i', di, j', dj)
    return split.transpose(0, 1, 2, 4, 3, 5).reshape(m, 3, 2, 2, 4)  # (M, k, i', j', 2*di + dj)


def _unblocks(blocks: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_blocks`: (M, 3, 2, 2, 4) -> (M, 3, 4, 4)."""
    m = blocks.shape[0]
    split = blocks.reshape(m, 3, 2, 2, 2, 2)  # (M, k, i', j', di, dj)
    return split.transpose(0, 1, 2, 4, 3, 5).reshape(m, 3, 4, 4)  # (M, k, 2i' + di, 2j' + dj)


def _spread_to_blocks(pooled: np.ndarray) -> np.ndarray:
    """Each unit (i, j) gets the value of the pooled unit (⌈i/2⌉, ⌈j/2⌉) over it: (M, 3, 2, 2) -> (M, 3, 4, 4)."""
    return pooled.repeat(2, axis=2).repeat(2, axis=3)


def _pool_forward(blocks: np.ndarray, pool: str) -> np.ndarray:
    """z^P from the blocks (M, 3, 2, 2, 4) -> (M, 3, 2, 2): eq. (2); MATH.md, "Average, L2 and Lp pooling"."""
    if pool == "max":
        return blocks.max(axis=-1)  # eq. (2): z^P = max_B a^F
    if pool == "avg":
        return blocks.mean(axis=-1)  # z^P = (1/|B|) Σ_B a^F
    return np.sqrt((blocks**2).sum(axis=-1))  # "l2": z^P = sqrt(Σ_B (a^F)²)


# ----------------------------------------------------------------------------------------------------
# Forward pass: eqs. (1)-(4)
# ----------------------------------------------------------------------------------------------------


def _forward(w_F, b_F, w_O, b_O, x: np.ndarray, pool: str) -> dict[str, np.ndarray]:
    """Every z and a of the network for a checked batch x (M, 6, 6)."""
    windows = _input_windows(x)  # (M, 4, 4, 3, 3)
    # eq. (1): z^F_k[i,j] = Σ_{p,q} w^F_k[p,q] x[i+p−1, j+q−1] + b^F_k,  a^F = a(z^F)
    z_F = np.einsum("kpq,mijpq->mkij", w_F, windows) + b_F[:, None, None]  # (M, 3, 4, 4)
    a_F = sigmoid(z_F)  # (M, 3, 4, 4)
    # eq. (2): z^P_k[i,j] = pooling of the block of a^F under (i, j);  a^P = z^P (identity activation)
    z_P = _pool_forward(_blocks(a_F), pool)  # (M, 3, 2, 2)
    a_P = z_P  # eq. (22): the identity activation, (M, 3, 2, 2)
    # eq. (3): z^O_n = Σ_k Σ_{i,j} w^O_n[k,i,j] a^P_k[i,j] + b^O_n,  a^O = a(z^O)
    z_O = np.einsum("nkij,mkij->mn", w_O, a_P) + b_O  # (M, 3)
    a_O = sigmoid(z_O)  # (M, 3)
    return {"z_F": z_F, "a_F": a_F, "z_P": z_P, "a_P": a_P, "z_O": z_O, "a_O": a_O}


def forward(params: Mapping[str, np.ndarray], images: np.ndarray, pool: str = "max") -> dict[str, np.ndarray]:
    """Every unit input z and output a of eqs. (1)-(3).

    Returns a dict with ``z_F``, ``a_F`` (M, 3, 4, 4), ``z_P``, ``a_P`` (M, 3, 2, 2) and ``z_O``, ``a_O``
    (M, 3); without the M axis for a single (6, 6) image.

    >>> from tinygrad_cnn.textbook import initial_parameters
    >>> units = forward(initial_parameters(), np.zeros((6, 6)))
    >>> units["z_F"].shape, units["a_O"].shape
    ((3, 4, 4), (3,))
    >>> bool(np.all(units["a_P"] == units["z_P"]))  # the pooling layer's activation is the identity
    True
    """
    inputs = check_inputs(params, images, pool=pool)
    units = _forward(*inputs.params.values(), inputs.x, inputs.pool)
    return {name: _unbatch(value, inputs.single) for name, value in units.items()}


def cost(params: Mapping[str, np.ndarray], images: np.ndarray, targets: np.ndarray, pool: str = "max") -> float:
    """C_T = Σ_m C_m, with eq. (4): C = ½ Σ_n (t_n − a^O_n)². For a single image this is its C.

    >>> from tinygrad_cnn.textbook import initial_parameters
    >>> cost(initial_parameters(), np.zeros((6, 6)), np.array([1.0, 0.0, 0.0])) > 0
    True
    """
    inputs = check_inputs(params, images, targets, pool)
    a_O = _forward(*inputs.params.values(), inputs.x, inputs.pool)["a_O"]  # (M, 3)
    return _cost(a_O, inputs.t)


def _cost(a_O: np.ndarray, t: np.ndarray) -> float:
    """Eq. (4), C = ½ Σ_n (t_n − a^O_n)², summed over the images: C_T = Σ_m C_m."""
    return float(0.5 * np.sum((t - a_O) ** 2))


# ----------------------------------------------------------------------------------------------------
# Backward pass: unit errors δ, eq. (17) and (25)
# ----------------------------------------------------------------------------------------------------


def pooling_factor(a_F: np.ndarray, pool: str = "max") -> np.ndarray:
    """g_k[i,j] = ∂z^P_k[i',j'] / ∂a^F_k[i,j], the pooling factor of eq. (25): eq. (23) for max pooling, the
    table of MATH.md, "Average, L2 and Lp pooling" for the others.

    ``a_F`` is (M, 3, 4, 4) or (3, 4, 4); the result has the same shape.

    * max: 1 for the first maximum of its 2x2 block in row-major order, 0 elsewhere (MATH.md, "Ties in max pooling");
    * avg: 1/|B| = 1/4;
    * l2: a^F_k[i,j] / z^P_k[i',j'], and 0 where the block's norm z^P is 0.

    >>> a_F = np.array([[[0.5, 0.5, 0.1, 0.2], [0.5, 0.3, 0.4, 0.3], [0., 0., 0., 0.], [0., 0., 0., 0.]]] * 3)
    >>> pooling_factor(a_F, "max")[0]  # the tied block on the left: only its first maximum counts
    array([[1., 0., 0., 0.],
           [0., 0., 1., 0.],
           [1., 0., 1., 0.],
           [0., 0., 0., 0.]])
    """
    pool = check_pool(pool)
    a = as_float_array(a_F, "a_F")
    single = a.shape == (3, 4, 4)
    if not single and not (a.ndim == 4 and a.shape[1:] == (3, 4, 4)):
        raise ValueError(f"a_F must have shape (M, 3, 4, 4) or (3, 4, 4); got shape {a.shape}")
    a = a[np.newaxis] if single else a  # (M, 3, 4, 4)
    return _unbatch(_pooling_factor(a, pool), single)


def _pooling_factor(a_F: np.ndarray, pool: str) -> np.ndarray:
    """g for a checked batch a_F (M, 3, 4, 4) -> (M, 3, 4, 4)."""
    blocks = _blocks(a_F)  # (M, 3, 2, 2, 4)
    if pool == "max":
        # 1 for the first maximum in row-major order (np.argmax returns the first), 0 for the others
        first_max = blocks.argmax(axis=-1)  # (M, 3, 2, 2)
        g = np.zeros_like(blocks)  # (M, 3, 2, 2, 4)
        np.put_along_axis(g, first_max[..., np.newaxis], 1.0, axis=-1)
    elif pool == "avg":
        g = np.full_like(blocks, 1.0 / blocks.shape[-1])  # (M, 3, 2, 2, 4): 1/|B|
    else:  # "l2": g = a^F / z^P, defined as 0 where z^P = 0
        z_P = _pool_forward(blocks, "l2")[..., np.newaxis]  # (M, 3, 2, 2, 1)
        g = np.divide(blocks, z_P, out=np.zeros_like(blocks), where=z_P != 0)  # (M, 3, 2, 2, 4)
    return _unblocks(g)  # (M, 3, 4, 4)


def _deltas(w_F, b_F, w_O, b_O, x, t, pool) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(units, {delta_O, delta_F}) for a checked batch."""
    units = _forward(w_F, b_F, w_O, b_O, x, pool)
    # eq. (17): δ^O_n = (a^O_n − t_n) a'(z^O_n)
    delta_O = (units["a_O"] - t) * sigmoid_prime(units["z_O"])  # (M, 3)
    # eq. (25), factor 1: ∂C/∂a^P_k[i',j'] = Σ_n δ^O_n w^O_n[k,i',j']
    dC_daP = np.einsum("mn,nkij->mkij", delta_O, w_O)  # (M, 3, 2, 2)
    # ... sent to every unit (i, j) of the block under (i', j') = (⌈i/2⌉, ⌈j/2⌉)
    dC_daP_per_unit = _spread_to_blocks(dC_daP)  # (M, 3, 4, 4)
    # eq. (25), factor 2: ∂a^P/∂z^P = 1 by eq. (22), times g = ∂z^P/∂a^F, eq. (23) for max pooling
    g = _pooling_factor(units["a_F"], pool)  # (M, 3, 4, 4)
    # eq. (25), factor 3: ∂a^F/∂z^F = a'(z^F)
    delta_F = dC_daP_per_unit * g * sigmoid_prime(units["z_F"])  # (M, 3, 4, 4)
    return units, {"delta_O": delta_O, "delta_F": delta_F}


def deltas(
    params: Mapping[str, np.ndarray], images: np.ndarray, targets: np.ndarray, pool: str = "max"
) -> dict[str, np.ndarray]:
    """The unit errors δ = ∂C/∂z of eq. (7), per image: ``delta_O`` (M, 3) by eq. (17) and ``delta_F``
    (M, 3, 4, 4) by eq. (25); without the M axis for a single image.

    >>> from tinygrad_cnn.textbook import initial_parameters
    >>> d = deltas(initial_parameters(), np.zeros((6, 6)), np.array([0.0, 1.0, 0.0]))
    >>> d["delta_O"].shape, d["delta_F"].shape
    ((3,), (3, 4, 4))
    >>> int(np.count_nonzero(d["delta_F"]))  # max pooling: one unit per 2x2 block receives δ
    12
    """
    inputs = check_inputs(params, images, targets, pool)
    _, errors = _deltas(*inputs.params.values(), inputs.x, inputs.t, inputs.pool)
    return {name: _unbatch(value, inputs.single) for name, value in errors.items()}


# ----------------------------------------------------------------------------------------------------
# Gradients from δ: eq. (8), (12), (14), summed over the images
# ----------------------------------------------------------------------------------------------------


def gradients(
    params: Mapping[str, np.ndarray], images: np.ndarray, targets: np.ndarray, pool: str = "max"
) -> dict[str, np.ndarray]:
    """∂C_T/∂θ = Σ_m ∂C_m/∂θ for every parameter θ, with the same keys and shapes as ``params``.

    >>> from tinygrad_cnn.textbook import initial_parameters
    >>> grads = gradients(initial_parameters(), np.zeros((6, 6)), np.array([0.0, 0.0, 1.0]))
    >>> bool(np.all(grads["filter_weights"] == 0))  # eq. (12): a blank image gives no filter-weight gradient
    True
    """
    inputs = check_inputs(params, images, targets, pool)
    units, errors = _deltas(*inputs.params.values(), inputs.x, inputs.t, inputs.pool)
    return _gradients(inputs.x, units, errors)


def _gradients(x: np.ndarray, units: dict[str, np.ndarray], errors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """∂C_T/∂θ from the checked batch x (M, 6, 6), its units and its unit errors δ."""
    delta_O, delta_F = errors["delta_O"], errors["delta_F"]  # (M, 3), (M, 3, 4, 4)
    windows = _input_windows(x)  # (M, 4, 4, 3, 3)
    return {
        # eq. (12): ∂C/∂w^F_k[p,q] = Σ_{i,j} δ^F_k[i,j] x[i+p−1, j+q−1]
        "filter_weights": np.einsum("mkij,mijpq->kpq", delta_F, windows),  # (3, 3, 3)
        # eq. (14): ∂C/∂b^F_k = Σ_{i,j} δ^F_k[i,j]
        "filter_biases": delta_F.sum(axis=(0, 2, 3)),  # (3,)
        # eq. (8): ∂C/∂w^O_n[k,i,j] = δ^O_n a^P_k[i,j]
        "output_weights": np.einsum("mn,mkij->nkij", delta_O, units["a_P"]),  # (3, 3, 2, 2)
        # eq. (8): ∂C/∂b^O_n = δ^O_n
        "output_biases": delta_O.sum(axis=0),  # (3,)
    }


def backprop(params: Mapping[str, np.ndarray], images: np.ndarray, targets: np.ndarray, pool: str = "max") -> Backprop:
    """C_T, the outputs, the unit errors δ and ∂C_T/∂θ by the formulas, in the form the engines' ``backprop`` give.

    One forward pass and one pass of eqs. (17), (25), (8), (12), (14); always with the M axis (a single (6, 6)
    image gives M = 1).

    >>> from tinygrad_cnn.textbook import initial_parameters, load_data
    >>> result = backprop(initial_parameters(), *load_data())
    >>> result.delta_O.shape, result.delta_F.shape, round(result.cost, 6)
    ((96, 3), (96, 3, 4, 4), 12.544462)
    """
    inputs = check_inputs(params, images, targets, pool)
    units, errors = _deltas(*inputs.params.values(), inputs.x, inputs.t, inputs.pool)
    return Backprop(
        _cost(units["a_O"], inputs.t),
        units["a_O"],
        errors["delta_O"],
        errors["delta_F"],
        _gradients(inputs.x, units, errors),
    )


# ----------------------------------------------------------------------------------------------------
# Using the network
# ----------------------------------------------------------------------------------------------------


def predict(params: Mapping[str, np.ndarray], images: np.ndarray, pool: str = "max") -> np.ndarray | int:
    """The predicted digit argmax_n a^O_n + 1 (in 1..3): int64 (M,) for a batch, an int for one image.

    >>> from tinygrad_cnn.textbook import optimized_parameters, test_image
    >>> predict(optimized_parameters(), test_image()) in (1, 2, 3)
    True
    """
    a_O = forward(params, images, pool)["a_O"]  # (M, 3) or (3,)
    digits = a_O.argmax(axis=-1) + 1  # (M,) or ()
    return int(digits) if digits.ndim == 0 else digits.astype(np.int64)


def accuracy(params: Mapping[str, np.ndarray], images: np.ndarray, targets: np.ndarray, pool: str = "max") -> float:
    """The fraction of images whose predicted digit is the one-hot target's digit.

    >>> from tinygrad_cnn.textbook import load_data, optimized_parameters
    >>> accuracy(optimized_parameters(), *load_data())
    1.0
    """
    inputs = check_inputs(params, images, targets, pool)
    predicted = np.atleast_1d(predict(inputs.params, inputs.x, inputs.pool))  # (M,)
    return float(np.mean(predicted == inputs.t.argmax(axis=-1) + 1))


def max_pool_ties(params: Mapping[str, np.ndarray], images: np.ndarray) -> np.ndarray:
    """Which 2x2 max-pooling blocks hold their maximum more than once (exact float equality).

    Returns bool (M, 3, 2, 2), or (3, 2, 2) for a single image. In such a block the first maximum in
    row-major order takes the whole δ (MATH.md, "Ties in max pooling").

    >>> from tinygrad_cnn.textbook import initial_parameters
    >>> bool(max_pool_ties(initial_parameters(), np.zeros((6, 6))).all())  # a blank image: all windows equal
    True
    """
    a_F = forward(params, images, "max")["a_F"]  # (M, 3, 4, 4) or (3, 4, 4)
    single = a_F.ndim == 3
    blocks = _blocks(a_F[np.newaxis] if single else a_F)  # (M, 3, 2, 2, 4)
    n_at_max = (blocks == blocks.max(axis=-1, keepdims=True)).sum(axis=-1)  # (M, 3, 2, 2)
    return _unbatch(n_at_max > 1, single)

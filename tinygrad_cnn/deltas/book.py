"""The book's own derivations as sources of :func:`tinygrad_cnn.deltas.compare`, and the book's comparison.

On the book's network (:func:`tinygrad_cnn.deltas.textbook_model`, a ``Sequential`` whose layers "0" … "5"
are conv, σ, pooling, flatten, linear, σ), two derivations independent of the tensor engine give δ^F (layer
0's δ, at z^F), δ^O (layer 4's, at z^O) and the four parameter gradients under the book's names:

* ``formulas``: MATH.md's hand derivation in plain numpy (:func:`tinygrad_cnn.textbook.formulas.backprop`,
  eqs. (17), (25), (8), (12), (14));
* ``scalar``: the scalar engine, every neuron a ``Value`` (:func:`tinygrad_cnn.textbook.scalar_net.backprop`).

:func:`compare` puts them beside the engine, the layerwise derivation and finite differences, for the book's
parameter dict, images (M, 6, 6) and one-hot targets (M, 3), with the squared error C_T = Σ ½ Σ (t − a)²:
the check ``tinygrad-cnn textbook`` prints (``textbook.compare`` is this function).

>>> from tinygrad_cnn.textbook import initial_parameters, load_data
>>> images, targets = load_data()
>>> result = compare(initial_parameters(), images[:4], targets[:4], pool="avg")
>>> result.agrees(), result.sources
(True, ['engine', 'layerwise', 'formulas', 'scalar', 'finite differences'])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..testing.finite_differences import FD_EPSILON
from ..textbook import formulas, scalar_net, tensor_net
from .comparison import compare as compare_deltas
from .report import Comparison

__all__ = ["BOOK_FD_UNITS", "SOURCES", "book_parameters", "compare", "formulas_source", "scalar_source"]

BOOK_FD_UNITS = 36  # finite differences on every parameter (the largest, w^O, has 36) and on 36 units of each δ
_POOLS = {"MaxPool2d": "max", "AvgPool2d": "avg", "LPPool2d": "l2"}


def book_parameters(model: Any) -> tuple[dict[str, np.ndarray], str]:
    """The book's parameter dict and pooling ("max", "avg", "l2") of the book's network ``model``.

    >>> from tinygrad_cnn.deltas import textbook_model
    >>> params, pool = book_parameters(textbook_model(pool="l2"))
    >>> params["filter_weights"].shape, pool
    ((3, 3, 3), 'l2')
    """
    layers = [type(layer).__name__ for layer in getattr(model, "children", lambda: [])()]
    if len(layers) != 6 or layers[2] not in _POOLS or model[0].weight.shape != (3, 1, 3, 3) or \
            model[4].weight.shape != (3, 12):
        raise ValueError(f"the book's sources need the book's network (deltas.textbook_model()); got layers "
                         f"{', '.join(layers) or type(model).__name__}")
    params = {"filter_weights": model[0].weight.data.reshape(3, 3, 3), "filter_biases": model[0].bias.data,
              "output_weights": model[4].weight.data.reshape(3, 3, 2, 2), "output_biases": model[4].bias.data}
    return {key: np.asarray(value, dtype=np.float64) for key, value in params.items()}, _POOLS[layers[2]]


def _by_book_name(run: Any, model: Any, x: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
    params, pool = book_parameters(model)
    result = run(params, np.asarray(x).reshape(len(x), 6, 6), target, pool)
    return {"delta_F": result.delta_F, "delta_O": result.delta_O, **result.gradients}


def formulas_source(model: Any, x: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
    """δ^F, δ^O and ∂C_T/∂θ by the hand derivation (:func:`tinygrad_cnn.textbook.formulas.backprop`)."""
    return _by_book_name(formulas.backprop, model, x, target)


def scalar_source(model: Any, x: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
    """δ^F, δ^O and ∂C_T/∂θ by the scalar engine (:func:`tinygrad_cnn.textbook.scalar_net.backprop`)."""
    return _by_book_name(scalar_net.backprop, model, x, target)


SOURCES = {"formulas": formulas_source, "scalar": scalar_source}


def compare(params: Mapping[str, np.ndarray], images: np.ndarray, targets: np.ndarray, pool: str = "max",
            eps: float = FD_EPSILON, *, scalar: bool = True) -> Comparison:
    """δ and ∂C_T/∂θ of the book's network from the engine, layerwise, the formulas, the scalar engine
    (``scalar=False`` leaves it out: it is the slow one) and finite differences (every parameter, 36 units
    of each δ), all on the given images; the result of :func:`tinygrad_cnn.deltas.compare`."""
    inputs = formulas.check_inputs(params, images, targets, pool)
    model = tensor_net.sequential(inputs.params, inputs.pool)
    sources = SOURCES if scalar else {"formulas": formulas_source}
    return compare_deltas(model, inputs.x[:, None], inputs.t, loss="squared_error", sources=sources,
                          fd_units=BOOK_FD_UNITS, eps=eps, progress=False)

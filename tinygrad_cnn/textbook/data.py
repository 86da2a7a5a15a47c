"""The book's data set and parameters, read from the packaged ``textbook_cnn.json``.

The file ships inside the package and is read with :mod:`importlib.resources`, so this works from an
installed wheel as well as from a source tree. The JSON is parsed once and cached; every public function
returns fresh float64 arrays that the caller may change freely.

>>> images, targets = load_data()
>>> images.shape, targets.shape
((96, 6, 6), (96, 3))
>>> sorted(initial_parameters())
['filter_biases', 'filter_weights', 'output_biases', 'output_weights']
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from typing import Any, Literal, overload

import numpy as np

__all__ = [
    "DIGITS",
    "initial_parameters",
    "labels",
    "load_data",
    "optimized_parameters",
    "test_image",
]

DIGITS = (1, 2, 3)
"""The digits the network tells apart; digit ``d`` is output unit / target column ``d - 1``."""

_DATA_FILE = "textbook_cnn.json"
_PARAMETER_KEYS = ("filter_weights", "filter_biases", "output_weights", "output_biases")


@functools.cache
def _raw() -> dict[str, Any]:
    """The parsed JSON file (cached: read from the package once per process)."""
    text = files("tinygrad_cnn.textbook").joinpath(_DATA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _image_from_rows(rows: list[str]) -> np.ndarray:
    """One image from its 6 row strings of '0'/'1' characters -> float64 (6, 6)."""
    return np.array([[float(pixel) for pixel in row] for row in rows], dtype=np.float64)


def _one_hot(digits: np.ndarray) -> np.ndarray:
    """Digits in {1, 2, 3}, shape (M,) -> one-hot targets t of eq. (4), float64 (M, 3): t[m, d - 1] = 1."""
    targets = np.zeros((len(digits), len(DIGITS)), dtype=np.float64)  # (M, 3)
    targets[np.arange(len(digits)), digits - 1] = 1.0
    return targets


def labels() -> np.ndarray:
    """The digit (1, 2 or 3) of each of the 96 training images, int64 (96,), in data-set order.

    >>> labels()[:3], labels()[-1]
    (array([1, 1, 1]), np.int64(3))
    """
    return np.array(_raw()["labels"], dtype=np.int64)


def load_data() -> tuple[np.ndarray, np.ndarray]:
    """The 96 training images and their one-hot targets.

    Returns ``(images, targets)``: ``images`` float64 (96, 6, 6) with pixels 0.0 (white) or 1.0 (black);
    ``targets`` float64 (96, 3), one-hot: the label ``d`` of image ``m`` sets ``targets[m, d - 1] = 1``.

    >>> images, targets = load_data()
    >>> images[0].astype(int)[0], targets[0], targets[-1]
    (array([0, 0, 0, 1, 0, 0]), array([1., 0., 0.]), array([0., 0., 1.]))
    """
    raw = _raw()
    images = np.stack([_image_from_rows(rows) for rows in raw["images"]])  # (96, 6, 6)
    return images, _one_hot(labels())


@overload
def test_image(return_label: Literal[False] = False) -> np.ndarray: ...
@overload
def test_image(return_label: Literal[True]) -> tuple[np.ndarray, int]: ...
def test_image(return_label: bool = False) -> np.ndarray | tuple[np.ndarray, int]:
    """The extra test image (a "1" with serifs, not among the training images): float64 (6, 6).

    With ``return_label=True``, returns ``(image, digit)`` where ``digit`` is its label as a Python int.

    >>> image, digit = test_image(return_label=True)
    >>> image.shape, digit
    ((6, 6), 1)
    """
    entry = _raw()["test_image"]
    image = _image_from_rows(entry["image"])  # (6, 6)
    if return_label:
        return image, int(entry["label"])
    return image


def _parameters(name: str) -> dict[str, np.ndarray]:
    """Fresh float64 arrays for one parameter set of the JSON file (its "note" entry is dropped)."""
    stored = _raw()[name]
    return {key: np.array(stored[key], dtype=np.float64) for key in _PARAMETER_KEYS}


def initial_parameters() -> dict[str, np.ndarray]:
    """The book's initial parameters: the starting point of its gradient-descent training.

    Keys and shapes (0-based): ``filter_weights`` (3, 3, 3) as ``[k][p][q]``, ``filter_biases`` (3,),
    ``output_weights`` (3, 3, 2, 2) as ``[n][k][i][j]``, ``output_biases`` (3,). 27 + 3 + 36 + 3 = 69 numbers.

    >>> {key: value.shape for key, value in initial_parameters().items()}  # doctest: +NORMALIZE_WHITESPACE
    {'filter_weights': (3, 3, 3), 'filter_biases': (3,), 'output_weights': (3, 3, 2, 2),
     'output_biases': (3,)}
    """
    return _parameters("initial_parameters")


def optimized_parameters() -> dict[str, np.ndarray]:
    """Parameters that minimise the total cost C_T over the 96 images (found with a general optimiser).

    Same keys and shapes as :func:`initial_parameters`.

    >>> optimized_parameters()["output_weights"].shape
    (3, 3, 2, 2)
    """
    return _parameters("optimized_parameters")

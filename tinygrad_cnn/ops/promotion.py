"""Type promotion: the dtype of an op's result, following PyTorch's rules, and the dtype it is computed in.

The rules (PyTorch's, with one deliberate difference):

* Categories rank ``bool < integer < floating``. The result takes the highest category among the operands.
* Within that category, operands are ranked **tensors with axes > 0-d tensors > Python/numpy scalars**: the
  highest-ranked operands of the winning category decide the precision (``np.result_type`` among them). So a
  Python scalar never raises a tensor's precision (``float32_tensor * 2.5`` is float32) and a 0-d tensor does not
  raise that of a tensor with axes (``float32_tensor * Tensor(2.0)`` is float32), as in PyTorch.
* A category that only a scalar brings in takes the default dtype of that category: ``int64`` for integers, and
  for floats **float64** — the one difference from PyTorch (whose default float is float32). float64 is already
  this project's default (``Tensor([1, 2])`` is float64, as numpy), and an integer tensor's values (up to 2^53)
  survive it exactly, where float32 would round them silently.
* Ops whose result is not an integer in general (``/``, ``exp``, ``sigmoid``, ``mean``, ``softmax``, …) return
  ``float_dtype(dtype)``: the dtype itself if it is floating, else float64.

Computation: float16 results are computed in float32 and rounded once at the end (PyTorch's "opmath" type), so
``float16_tensor * 1e5`` does not overflow because 1e5 was rounded to float16 first. Scalars are converted to
the computation dtype (float32 for a float32 tensor, exactly as PyTorch does).

>>> import numpy as np
>>> result_type(np.zeros(2, np.float32), 2.5), result_type(np.zeros(2, np.int32), 2.5)
(dtype('float32'), dtype('float64'))
>>> result_type(np.zeros(2, np.int64), np.zeros(2, np.float16)), result_type(np.zeros(2, bool), 3)
(dtype('float16'), dtype('int64'))
>>> result_type(np.zeros(2, np.float32), np.zeros((), np.float64)), compute_dtype(np.dtype(np.float16))
(dtype('float32'), dtype('float32'))
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["DEFAULT_FLOAT", "accumulate", "as_operand", "category", "compare", "compute_dtype", "float_dtype",
           "result_type"]

DEFAULT_FLOAT = np.dtype(np.float64)
DEFAULT_INT = np.dtype(np.int64)
_BOOL = np.dtype(bool)


def category(dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floats."""
    return {"b": 0, "i": 1, "u": 1, "f": 2}[dtype.kind]


def _scalar_category(value: Any) -> int:
    if isinstance(value, (bool, np.bool_)):
        return 0
    if isinstance(value, (int, np.integer)):
        return 1
    return 2


_RESULT_TYPES: dict[tuple[Any, ...], np.dtype] = {}  # what result_type found, per operand signature
_CACHE_LIMIT = 4096  # distinct signatures kept (a program meets a handful of dtype combinations)


def _signature(value: Any) -> Any:
    """All that promotion reads of an operand: an array's dtype and whether it has axes, a scalar's category."""
    if isinstance(value, np.ndarray):
        return value.dtype, value.ndim > 0
    return None if value is None else _scalar_category(value)


def result_type(*operands: Any) -> np.dtype:
    """The dtype of an elementwise op on ``operands`` (numpy arrays, or Python/numpy scalars as weak operands).

    The rule depends only on each operand's :func:`_signature`, so its answer is kept per signature."""
    key = tuple(map(_signature, operands))
    dtype = _RESULT_TYPES.get(key)
    if dtype is None:
        dtype = _promote(operands)
        if len(_RESULT_TYPES) < _CACHE_LIMIT:
            _RESULT_TYPES[key] = dtype
    return dtype


def _promote(operands: tuple[Any, ...]) -> np.dtype:
    """:func:`result_type` computed: categories first, then precision among the highest-ranked operands."""
    dimensioned: list[np.dtype] = []
    zero_dim: list[np.dtype] = []
    scalars: list[int] = []
    for value in operands:
        if isinstance(value, np.ndarray):
            (dimensioned if value.ndim else zero_dim).append(value.dtype)
        elif value is not None:
            scalars.append(_scalar_category(value))
    best = max([category(d) for d in dimensioned + zero_dim] + scalars)
    for group in (dimensioned, zero_dim):
        members = [d for d in group if category(d) == best]
        if members:
            return np.result_type(*members)
    return (_BOOL, DEFAULT_INT, DEFAULT_FLOAT)[best]


def compare(ufunc: np.ufunc, a: np.ndarray, other: Any) -> np.ndarray:
    """``ufunc(a, other)`` for a comparison, both operands first cast to their ``result_type`` (PyTorch's rule).

    numpy would compare a float32 tensor with a float64 0-d tensor in float64; PyTorch (and this) in float32.

    >>> compare(np.equal, np.array([0.1, 0.2], np.float32), np.array(0.1))
    array([ True, False])
    """
    if isinstance(other, (list, tuple)):
        other = np.asarray(other, dtype=DEFAULT_FLOAT if np.asarray(other).dtype.kind == "f" else None)
    dtype = result_type(a, other)
    with np.errstate(invalid="ignore"):
        return np.asarray(ufunc(as_operand(a, dtype), as_operand(other, dtype)))


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype to compute a result of ``dtype`` in: float32 for float16 (PyTorch's opmath), else itself."""
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def accumulate(a: np.ndarray, axis: Any, keepdims: bool = False) -> np.ndarray:
    """``a.sum(axis)`` accumulated in the computation dtype (float32 for float16), in ``a``'s dtype.

    numpy sums float16 along a strided axis in float16 (4096 × 0.1 gives 256.0, not 409.5); every
    reduction inside an op goes through here or passes ``dtype=compute_dtype(...)`` itself.

    >>> float(accumulate(np.full((4096, 1), 0.1, np.float16), axis=0)[0])
    409.5
    """
    return np.sum(a, axis=axis, keepdims=keepdims, dtype=compute_dtype(a.dtype)).astype(a.dtype, copy=False)


def float_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype of an op whose result is not an integer in general: floats keep theirs, ints and bools get float64."""
    return dtype if dtype.kind == "f" else DEFAULT_FLOAT


def as_operand(value: Any, dtype: np.dtype) -> np.ndarray:
    """``value`` (array or scalar) as an array of ``dtype``, without a copy when it already has it."""
    if isinstance(value, np.ndarray) and value.dtype == dtype:
        return value
    try:
        with np.errstate(over="ignore"):  # 1e40 as float32 is inf, as in PyTorch
            return np.asarray(value, dtype=dtype)
    except OverflowError:
        raise ValueError(f"the number {value!r} does not fit the dtype {dtype} of this operation") from None

"""PyTorch's dtype names and the default float of the creation functions.

The dtype names are numpy's scalar types (``tinygrad_cnn.float32 is numpy.float32``), so they work wherever
a numpy dtype does. ``get_default_dtype()`` is float32, as in PyTorch: it is the dtype of ``zeros``, ``ones``,
``rand``, ``randn``, ``full`` and ``arange`` with float values, and of ``tensor`` given Python floats. The
``Tensor(...)`` constructor keeps the project's own rule (Python numbers and lists become float64), which the
book's network, the gradient checks and the hand formulas use: see README, "Coming from PyTorch".

>>> import tinygrad_cnn as torch
>>> torch.long is np.int64, torch.get_default_dtype()
(True, dtype('float32'))
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "bool", "double", "float", "float16", "float32", "float64", "get_default_dtype", "half", "int", "int8", "int16",
    "int32", "int64", "long", "set_default_dtype", "short", "uint8",
]

# ------------------------------------------------------------------------------------------ dtype names
float16 = half = np.float16
float32 = float = np.float32  # PyTorch's names, at the package root (they shadow the builtins only here)
float64 = double = np.float64
int8, uint8 = np.int8, np.uint8
int16 = short = np.int16
int32 = int = np.int32
int64 = long = np.int64
bool = np.bool_

_default_dtype = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The float dtype of the creation functions (float32 unless :func:`set_default_dtype` changed it)."""
    return _default_dtype


def set_default_dtype(d: Any) -> None:
    """Make ``d`` (float32, float64 or float16) the default float of the creation functions, as PyTorch's.

    ``Tensor(...)`` is not affected (it always reads Python numbers as float64).
    """
    global _default_dtype
    try:
        chosen = np.dtype(d) if d is not None and not isinstance(d, str) else None
    except TypeError:
        chosen = None
    if chosen is None or chosen.kind != "f":
        raise TypeError(f"set_default_dtype: d must be a floating dtype (float16, float32 or float64), got {d!r}")
    _default_dtype = chosen

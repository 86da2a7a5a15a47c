"""Argument checks shared by every floor of the package, with one exception policy.

* The wrong **type** (a float, a string, ``None`` or a bool where an int belongs) raises ``TypeError``.
* The right type with a wrong **value** (zero, negative, NaN, infinite) raises ``ValueError``.
* Messages name the function, the argument, the value given and what was expected.
* numpy integer and floating scalars are accepted wherever Python ints and floats are.

This module imports only numpy, so the engine, the ops, ``nn``, ``optim`` and the command line can all use it.

>>> check_int(np.int64(3), "kernel_size", "Conv2d", minimum=1)
3
>>> check_pair((1, 2), "stride", "conv2d", minimum=1)
(1, 2)
>>> check_float(np.float32(0.5), "lr", "SGD", minimum=0.0)
0.5
>>> check_int(2.0, "kernel_size", "Conv2d")
Traceback (most recent call last):
    ...
TypeError: Conv2d: kernel_size must be an int, got 2.0 (float)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["is_int", "is_real", "check_int", "check_pair", "check_float", "check_bool"]


def is_int(value: Any) -> bool:
    """True for Python and numpy integers, False for bools (``True`` is not a size)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value: Any) -> bool:
    """True for Python and numpy ints and floats, False for bools, complex numbers and everything else."""
    return is_int(value) or isinstance(value, (float, np.floating))


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def check_int(value: Any, name: str, where: str, minimum: int | None = None) -> int:
    """``value`` as a Python int; TypeError if it is not an integer, ValueError if below ``minimum``."""
    if not is_int(value):
        raise TypeError(f"{where}: {name} must be an int, got {_describe(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{where}: {name} must be at least {minimum}, got {int(value)}")
    return int(value)


def check_pair(value: Any, name: str, where: str, minimum: int | None = None) -> tuple[int, int]:
    """An int or a pair of ints as a pair ``(for H, for W)``, each at least ``minimum``.

    >>> check_pair(3, "kernel_size", "max_pool2d", minimum=1)
    (3, 3)
    >>> check_pair((3,), "kernel_size", "Conv2d")
    Traceback (most recent call last):
        ...
    TypeError: Conv2d: kernel_size must be an int or a pair of ints, got (3,) (tuple)
    """
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(is_int(v) for v in items):
        raise TypeError(f"{where}: {name} must be an int or a pair of ints, got {_describe(value)}")
    pair = (int(items[0]), int(items[1]))
    if minimum is not None and min(pair) < minimum:
        raise ValueError(f"{where}: {name} must be at least {minimum}, got {value!r}")
    return pair


def check_float(
    value: Any, name: str, where: str, minimum: float | None = None, maximum: float | None = None,
    open_minimum: bool = False, finite: bool = True,
) -> float:
    """A real number as a Python float, within ``[minimum, maximum]`` (``(minimum, …`` if ``open_minimum``).

    >>> check_float(0, "momentum", "SGD", minimum=0.0)
    0.0
    >>> check_float(float("nan"), "lr", "Adam", minimum=0.0)
    Traceback (most recent call last):
        ...
    ValueError: Adam: lr must be a finite number, got nan
    """
    if not is_real(value):
        raise TypeError(f"{where}: {name} must be a real number, got {_describe(value)}")
    number = float(value)
    if finite and not math.isfinite(number):
        raise ValueError(f"{where}: {name} must be a finite number, got {number!r}")
    if math.isnan(number):
        raise ValueError(f"{where}: {name} must be a number, got nan")
    if minimum is not None and (number <= minimum if open_minimum else number < minimum):
        bound = f"greater than {minimum}" if open_minimum else f"at least {minimum}"
        raise ValueError(f"{where}: {name} must be {bound}, got {number!r}")
    if maximum is not None and number > maximum:
        raise ValueError(f"{where}: {name} must be at most {maximum}, got {number!r}")
    return number


def check_bool(value: Any, name: str, where: str) -> bool:
    """A Python or numpy bool as a Python bool; TypeError for anything else (``1`` is not a flag)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be True or False, got {_describe(value)}")
    return bool(value)

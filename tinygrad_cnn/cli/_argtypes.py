"""argparse converters for numeric options, shared by every command: one wording, one rule for bounds.

>>> number(int, 1)("3")
3
>>> number(float, 0, open_minimum=True)("0")
Traceback (most recent call last):
    ...
argparse.ArgumentTypeError: expected a number > 0, got '0'
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = ["number"]


def number(kind: type, minimum: float, open_minimum: bool = False,
           maximum: float | None = None) -> Callable[[str], float | int]:
    """A converter of ``text`` to ``kind`` (int or float) within ``[minimum, maximum)`` (``(minimum, …`` if
    ``open_minimum``); anything else, NaN and ±inf included, is argparse's usage error naming the option."""

    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'a whole number' if kind is int else 'a number'}, "
                                             f"got {text!r}") from None
        if not math.isfinite(value) or value < minimum or (open_minimum and value == minimum) or \
                (maximum is not None and value >= maximum):
            bound = f"> {minimum}" if open_minimum else f"≥ {minimum}"
            bound += f" and < {maximum}" if maximum is not None else ""
            raise argparse.ArgumentTypeError(f"expected a number {bound}, got {text!r}")
        return value

    return parse

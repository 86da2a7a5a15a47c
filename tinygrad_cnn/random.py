"""The package's random numbers: one global generator that ``manual_seed`` resets, as in PyTorch.

Everything random in the package (layer initialisation, dropout masks, ``randn``/``rand``, shuffling) asks
:func:`generator` for its ``numpy.random.Generator``. An explicit ``seed=`` or ``generator=`` always wins;
without one, the global generator is used, so after ``manual_seed(n)`` a whole program is reproducible.

>>> import tinygrad_cnn
>>> _ = tinygrad_cnn.manual_seed(0)
>>> a = generator().standard_normal(2)
>>> _ = tinygrad_cnn.manual_seed(0)
>>> bool((a == generator().standard_normal(2)).all())
True
>>> int(generator(seed=3).integers(10)) == int(generator(seed=3).integers(10))    # an explicit seed wins
True
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ._checks import is_int

__all__ = ["manual_seed", "generator", "default_generator"]

_lock = threading.Lock()
_default = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the global generator to ``seed`` (a non-negative int) and return it."""
    global _default
    if not is_int(seed):
        raise TypeError(f"manual_seed: seed must be an int, got {seed!r} ({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"manual_seed: seed must be non-negative, got {seed}")
    with _lock:
        _default = np.random.default_rng(int(seed))
    return _default


def default_generator() -> np.random.Generator:
    """The global generator (the one :func:`manual_seed` resets)."""
    return _default


def generator(
    seed: Any = None, generator: np.random.Generator | None = None, where: str = "generator"
) -> np.random.Generator:
    """The generator to draw from: ``generator`` if given, else a new one seeded with ``seed``, else the global one.

    ``seed`` may also be a ``numpy.random.Generator`` (taken as it is), so ``seed=`` arguments that always
    accepted a generator keep working. ``where`` names the caller in error messages.
    """
    if generator is not None:
        if seed is not None:
            raise ValueError(f"{where}: give seed or generator, not both")
        if not isinstance(generator, np.random.Generator):
            raise TypeError(f"{where}: generator must be a numpy.random.Generator, got {type(generator).__name__}")
        return generator
    if seed is None:
        return _default
    if isinstance(seed, np.random.Generator):
        return seed
    if not is_int(seed):
        raise TypeError(f"{where}: seed must be an int or a numpy.random.Generator, got {seed!r}")
    if seed < 0:
        raise ValueError(f"{where}: seed must be non-negative, got {seed}")
    return np.random.default_rng(int(seed))

"""Whether operations record a graph for backward: ``no_grad`` and ``enable_grad``.

The switch is per thread (``threading.local``), so one thread evaluating a model under ``no_grad``
does not stop another from training.

>>> from tinygrad_cnn import Tensor, no_grad
>>> x = Tensor([1.0, 2.0], requires_grad=True)
>>> with no_grad():
...     y = x * 2
>>> y.requires_grad
False
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])
_state = threading.local()


def is_grad_enabled() -> bool:
    """True when new operations record the graph that ``backward`` walks (this thread)."""
    return getattr(_state, "enabled", True)


def _set_grad_enabled(enabled: bool) -> None:
    _state.enabled = enabled


class _GradMode:
    """Context manager and decorator that sets the grad mode of this thread, then restores it."""

    _enabled: bool

    def __enter__(self) -> None:
        self._previous = getattr(self, "_previous", [])
        self._previous.append(is_grad_enabled())
        _set_grad_enabled(self._enabled)

    def __exit__(self, *exc_info: object) -> None:
        _set_grad_enabled(self._previous.pop())

    def __call__(self, fn: _F) -> _F:
        mode = type(self)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Record no graph: results of operations do not require grad.

    Usable as ``with no_grad(): ...`` and as a decorator ``@no_grad()``.
    """

    _enabled = False


class enable_grad(_GradMode):
    """Record the graph again inside a ``no_grad`` block (context manager and decorator)."""

    _enabled = True

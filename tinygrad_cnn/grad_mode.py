"""Switches of the tensor engine, per thread: grad mode (``no_grad``/``enable_grad``) and ``detect_anomaly``.

Each switch is per thread (``threading.local``), so one thread evaluating a model under ``no_grad``
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
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])


class _State(threading.local):
    """The switches of the current thread; the class attributes are each new thread's defaults."""

    enabled = True  # record the graph
    anomaly = False  # check every backward rule for NaN/inf (see detect_anomaly)


_state = _State()


def is_grad_enabled() -> bool:
    """True when new operations record the graph that ``backward`` walks (this thread)."""
    return _state.enabled


def _set_grad_enabled(enabled: bool) -> None:
    _state.enabled = enabled


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` (this thread)."""
    return _state.anomaly


class _Switch:
    """Context manager and decorator that sets one switch of this thread, then restores it.

    As a decorator it also covers generator functions: the switch is set while the generator runs
    (each resumption), not only while it is created.
    """

    _attribute: str
    _value: bool

    def __enter__(self) -> None:
        self._previous = getattr(self, "_previous", [])
        self._previous.append(getattr(_state, self._attribute))
        setattr(_state, self._attribute, self._value)

    def __exit__(self, *exc_info: object) -> None:
        setattr(_state, self._attribute, self._previous.pop())

    def __call__(self, fn: _F) -> _F:
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}() decorates a function, got {type(fn).__name__}")
        switch = type(self)

        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def generator_wrapper(*args: Any, **kwargs: Any) -> Any:
                generator = fn(*args, **kwargs)  # runs none of fn's code yet
                sent: Any = None
                thrown: BaseException | None = None
                while True:
                    try:
                        with switch():
                            request = generator.send(sent) if thrown is None else generator.throw(thrown)
                    except StopIteration as stop:
                        return stop.value
                    sent, thrown = None, None
                    try:
                        sent = yield request
                    except GeneratorExit:
                        generator.close()
                        raise
                    except BaseException as error:  # noqa: BLE001  (thrown in by the caller: passed on to fn's generator)
                        thrown = error

            return generator_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with switch():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_Switch):
    """Record no graph: results of operations do not require grad.

    Usable as ``with no_grad(): ...`` and as a decorator ``@no_grad()`` (also on generator functions).
    In-place updates of parameters (``p -= lr * p.grad``) belong here.
    """

    _attribute, _value = "enabled", False


class enable_grad(_Switch):
    """Record the graph again inside a ``no_grad`` block (context manager and decorator)."""

    _attribute, _value = "enabled", True


class detect_anomaly(_Switch):
    """Anomaly mode, as PyTorch's: the first backward rule giving NaN or ±inf from a finite gradient raises.

    While it is on, each recorded op also notes its arguments' shapes and the line of user code that
    called it, and the error names them (recorded only in this mode: it costs a stack walk per op).

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor, detect_anomaly
    >>> x = Tensor([0.0, 1.0], requires_grad=True)
    >>> with detect_anomaly():
    ...     y = x.sqrt().sum()        # d√x/dx = 1/(2√x) is inf at 0
    ...     y.backward()              # doctest: +ELLIPSIS
    Traceback (most recent call last):
    RuntimeError: detect_anomaly: Sqrt.backward returned inf in its gradient #0 ...
    """

    _attribute, _value = "anomaly", True


class inference_mode(_Switch):
    """PyTorch's ``inference_mode``: here the same as ``no_grad`` (no graph is recorded; context manager and
    decorator). PyTorch's extra promises (inference tensors that refuse autograd later, version counters
    skipped) have no counterpart: results are ordinary tensors that do not require grad.
    ``inference_mode(False)`` records the graph again (like ``enable_grad``), as in PyTorch.

    >>> from tinygrad_cnn import Tensor
    >>> with inference_mode():
    ...     y = Tensor([1.0], requires_grad=True) * 2
    >>> y.requires_grad
    False
    """

    _attribute = "enabled"

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):  # ``@inference_mode`` without parentheses, as PyTorch allows
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"inference_mode: mode must be a bool, got {type(mode).__name__} {mode!r}")
        self.mode = mode

    def __enter__(self) -> None:
        self._value = not self.mode
        super().__enter__()

    def __call__(self, fn: _F) -> _F:
        # the decorator re-enters a fresh switch on every call, so ``mode`` picks which one
        return super().__call__(fn) if self.mode else enable_grad()(fn)

"""The one progress bar of the library and the command line, on stderr: a tqdm bar when tqdm is installed, else a
plain updating line (or nothing, with ``plain=False``); **nothing at all when stderr is not a terminal**, so logs,
pipes, notebooks and tests get no bar. Long calls of the Python API take ``progress=True`` (the default) and pass
it here; ``progress=False`` turns the bar off.

>>> with Progress(3, "steps", unit="step") as bar:  # stderr is not a terminal under doctest: nothing is drawn
...     for step in range(3):
...         bar.update(postfix=f"step {step}")
>>> bar.count, bar.drawing
(3, False)
"""

from __future__ import annotations

import sys
from typing import Any

from ._checks import check_bool

__all__ = ["QUIET_DELAY", "Progress", "shows_bar"]

_PLAIN_WIDTH = 30  # characters of the plain bar
QUIET_DELAY = 0.5  # s: the library's own bars appear only for a run longer than this


def _tqdm() -> Any:
    """tqdm's class, or None when tqdm is not installed (the ``progress`` extra)."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


def _is_terminal() -> bool:
    return sys.stderr.isatty()


def shows_bar(progress: bool = True, plain: bool = True) -> bool:
    """Whether :class:`Progress` (with these arguments) would draw: ``progress`` is on, stderr is a terminal, and
    tqdm is installed (or ``plain`` allows the plain line)."""
    return bool(progress) and _is_terminal() and (plain or _tqdm() is not None)


class Progress:
    """A bar over ``total`` items (``unit``) on stderr, titled ``description``.

    ``enabled=False`` (a caller's ``progress=False``) draws nothing; ``plain=False`` draws nothing when tqdm is
    missing (instead of the plain line); ``leave`` keeps tqdm's finished bar on screen; ``delay`` (seconds) shows
    tqdm's bar only once a call has run that long, so short calls draw nothing. Call :meth:`update` once
    per item (``postfix``: a short text after the bar, e.g. the loss) and :meth:`close` at the end, or use it as
    a context manager. ``count`` counts the items whether or not anything is drawn.
    """

    def __init__(self, total: int, description: str, unit: str = "batch", *, enabled: bool = True,
                 plain: bool = True, leave: bool = False, delay: float = 0.0) -> None:
        enabled = check_bool(enabled, "progress", description)
        self.total, self.description, self.count, self.delay = int(total), description, 0, delay
        self.bar: Any = None
        self.plain = False
        if shows_bar(enabled, plain):
            tqdm = _tqdm()
            if tqdm is not None:
                self.bar = tqdm(total=self.total, desc=description, unit=unit, leave=leave, file=sys.stderr,
                                delay=delay)
            else:
                self.plain = True

    @property
    def drawing(self) -> bool:
        """Whether anything is drawn (a tqdm bar or the plain line)."""
        return self.bar is not None or self.plain

    def update(self, n: int = 1, postfix: str | None = None) -> None:
        """``n`` more items done (0: only a new ``postfix``)."""
        self.count += n
        if self.bar is not None:
            if postfix is not None:  # redrawn now only without a delay: a redraw would show a delayed bar early
                self.bar.set_postfix_str(postfix, refresh=not n and not self.delay)
            if n:
                self.bar.update(n)
        elif self.plain and n and (self.count >= self.total or self.count % 5 == 0):
            filled = _PLAIN_WIDTH * min(self.count, self.total) // max(self.total, 1)
            tail = f" {postfix}" if postfix else ""
            print(f"\r{self.description} [{'#' * filled}{'.' * (_PLAIN_WIDTH - filled)}] {self.count}/{self.total}"
                  f"{tail}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Remove the plain line, or close tqdm's bar."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.plain:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
            self.plain = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

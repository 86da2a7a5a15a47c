"""A progress bar over one epoch's batches, on stderr: tqdm when installed, else a plain updating line; nothing
when stderr is not a terminal (so logs and pipes get only the per-epoch lines)."""

from __future__ import annotations

import sys

__all__ = ["Progress"]


class Progress:
    """A bar over one epoch's batches on stderr: tqdm if installed, else a plain updating line; silent when
    stderr is not a terminal."""

    def __init__(self, total: int, description: str) -> None:
        self.total, self.description, self.count, self.bar = total, description, 0, None
        self.active = sys.stderr.isatty()
        if self.active:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, desc=description, unit="batch", leave=False, file=sys.stderr)

    def update(self, loss: float) -> None:
        self.count += 1
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
        elif self.active and (self.count == self.total or self.count % 5 == 0):
            filled = 30 * self.count // self.total
            print(f"\r{self.description} [{'#' * filled}{'.' * (30 - filled)}] {self.count}/{self.total} "
                  f"loss {loss:.4f}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.active:
            print("\r\033[K", end="", file=sys.stderr, flush=True)

"""Reusable scratch arrays for the large temporaries of an op (im2col windows, padded inputs, col2im sums).

Why: glibc gives a freed block above its mmap threshold back to the operating system, so the next call's block
of the same size is mapped afresh and every one of its 4 KiB pages faults on first touch (≈ 2.5 µs a page; a
conv2d forward + backward of the benchmark shapes faults 1,400–3,100 pages a call). A buffer kept here and lent
again costs no fault after the first call, without changing the process's allocator (``mallopt``), which is the
user's.

A buffer is *lent* for a ``with`` block and comes back at its end, so it can never be handed out twice at once,
and an exception inside the block returns it all the same. What is lent must not outlive the block: never
return it, save it for backward or wrap it in a Tensor (copy what must stay). Each thread has its own pool.

>>> ws = Workspace(max_bytes=1 << 20)
>>> with ws.lend((2, 3), np.float32, zero=True) as buf:
...     buf += 1.0
...     float(buf.sum())
6.0
>>> with ws.lend((2, 3), np.float32) as again:   # the same memory, lent again (contents left as they were)
...     float(again.sum())
6.0
>>> ws.cached_bytes()
24
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["WORKSPACE", "Workspace"]

DEFAULT_MAX_BYTES = 256 << 20  # what one thread's pool keeps at most: a few conv layers' window matrices


class Workspace:
    """A pool of scratch arrays keyed by (shape, dtype), at most ``max_bytes`` kept per thread (least recently
    lent dropped first). An array larger than ``max_bytes`` is lent as a fresh one and not kept."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)):
            raise TypeError(f"Workspace(max_bytes): expected an int, got {type(max_bytes).__name__}")
        if max_bytes < 0:
            raise ValueError(f"Workspace(max_bytes): expected a number of bytes >= 0, got {max_bytes}")
        self.max_bytes = int(max_bytes)
        self._local = threading.local()

    def _pool(self) -> OrderedDict[tuple[tuple[int, ...], np.dtype], list[np.ndarray]]:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = OrderedDict()
        return pool

    @contextmanager
    def lend(self, shape: Any, dtype: Any, zero: bool = False) -> Iterator[np.ndarray]:
        """A writeable C-contiguous array of ``shape`` and ``dtype`` for the block; all zeros if ``zero``, else
        its contents are whatever the last borrower left."""
        key = (_check_shape(shape), np.dtype(dtype))
        pool = self._pool()
        free = pool.get(key)
        array = free.pop() if free else np.empty(key[0], key[1])
        if zero:
            array.fill(0)
        try:
            yield array
        finally:
            self._give_back(key, array)

    def _give_back(self, key: tuple[tuple[int, ...], np.dtype], array: np.ndarray) -> None:
        if array.nbytes > self.max_bytes:
            return  # too large to keep: freed as usual
        pool = self._pool()
        pool.setdefault(key, []).append(array)
        pool.move_to_end(key)  # the most recently lent last
        total = self.cached_bytes()
        while total > self.max_bytes:
            oldest, arrays = next(iter(pool.items()))
            total -= arrays.pop(0).nbytes
            if not arrays:
                del pool[oldest]

    def cached_bytes(self) -> int:
        """The bytes this thread's pool keeps now (buffers not lent)."""
        return sum(a.nbytes for arrays in self._pool().values() for a in arrays)

    def clear(self) -> None:
        """Drop every buffer this thread's pool keeps (their memory goes back to the allocator)."""
        self._pool().clear()


def _check_shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"Workspace.lend(shape): expected a tuple of ints, got {shape!r}")
    if any(n < 0 for n in shape):
        raise ValueError(f"Workspace.lend(shape): expected sizes >= 0, got {tuple(shape)}")
    return tuple(int(n) for n in shape)


WORKSPACE = Workspace()  # the library's shared pool (per thread)

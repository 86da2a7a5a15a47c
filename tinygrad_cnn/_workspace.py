"""Reusable scratch arrays for the large temporaries of an op (im2col windows, padded inputs, col2im sums), and
recycled memory for the large arrays an op hands out (``Recycler``: outputs, what backward keeps).

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

import math
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["RECYCLER", "WORKSPACE", "Recycler", "Workspace"]

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


RECYCLE_MIN_BYTES = 128 << 10  # smaller arrays come from malloc's heap, which reuses them without a fault


class Recycler:
    """Memory for arrays that outlive the call (an op's output, what backward keeps), taken again for a new
    array of the same size once every array on it has died; at most ``max_bytes`` kept per thread.

    An array handed out is a view of a block the recycler keeps (its ``base``); every view of it holds the block
    too, so the block is free exactly when the recycler's own reference is the only one left. The block is made
    read-only once the view exists: the engine's guard for saved arrays (``memory.py``) sees the view's memory
    as engine-owned and frozen, as it sees a fresh array's, once the op has frozen its output.

    >>> rc = Recycler()
    >>> a = rc.empty((256, 256), np.float64)
    >>> address = a.ctypes.data
    >>> del a
    >>> rc.empty((512, 128), np.float64).ctypes.data == address   # same size: the same memory again
    True
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, min_bytes: int = RECYCLE_MIN_BYTES) -> None:
        self.max_bytes, self.min_bytes = int(max_bytes), int(min_bytes)
        self._local = threading.local()

    def _blocks(self) -> dict[int, list[np.ndarray]]:
        blocks = getattr(self._local, "blocks", None)
        if blocks is None:
            blocks = self._local.blocks = {}
        return blocks

    def empty(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """A new uninitialised C-contiguous writeable array, the caller's to keep (``np.empty``'s contract)."""
        dtype = np.dtype(dtype)
        nbytes = dtype.itemsize * math.prod(shape)
        if nbytes < self.min_bytes or dtype.hasobject:
            return np.empty(shape, dtype)
        blocks = self._blocks()
        same = blocks.setdefault(nbytes, [])
        block = _first_free(same)
        if block is None:
            if self.cached_bytes() + nbytes > self.max_bytes and not self._evict(nbytes):
                return np.empty(shape, dtype)  # too much in use: an array of its own, not kept
            block = np.empty(nbytes, np.uint8)
            same.append(block)
        block.setflags(write=True)
        array = block.view(dtype).reshape(shape)
        block.setflags(write=False)
        return array

    def _evict(self, nbytes: int) -> bool:
        """Forget free blocks, largest sizes first, until ``nbytes`` more fit; whether they do."""
        blocks = self._blocks()
        excess = self.cached_bytes() + nbytes - self.max_bytes
        for size in sorted(blocks, reverse=True):
            same = blocks[size]
            while excess > 0 and (block := _first_free(same)) is not None:
                del same[next(i for i, b in enumerate(same) if b is block)]  # by identity: == compares elements
                excess -= size
        return excess <= 0

    def zeros(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """:meth:`empty` filled with zeros (``np.zeros``'s contract)."""
        out = self.empty(shape, dtype)
        out.fill(0)
        return out

    def copy(self, array: np.ndarray) -> np.ndarray:
        """A C-contiguous copy of ``array``, the caller's to keep (``np.array(array)``'s contract)."""
        out = self.empty(array.shape, array.dtype)
        np.copyto(out, array)
        return out

    def cached_bytes(self) -> int:
        """The bytes of the blocks this thread keeps, in use or not."""
        return sum(nbytes * len(same) for nbytes, same in self._blocks().items())

    def clear(self) -> None:
        """Forget every block of this thread (arrays on them stay valid; their memory is freed when they die)."""
        self._blocks().clear()


def _first_free(blocks: list[np.ndarray]) -> np.ndarray | None:
    """The first block no array uses: one whose references are only those a block held by nothing but its list has
    here. That count is measured each time, on ``_PROBE`` (a block nothing ever views), by the same loop in the
    same frame, so that no interpreter's way of counting (nor a tool holding this frame's variables) can make a
    block in use look free."""
    for block in _PROBE:
        free = sys.getrefcount(block)
    for block in blocks:
        if sys.getrefcount(block) <= free:
            return block
    return None


_PROBE = [np.empty(0, np.uint8)]  # only ever held by this list: the reference count of a free block

WORKSPACE = Workspace()  # the library's shared pool (per thread)
RECYCLER = Recycler()  # the library's recycled memory for op outputs (per thread)

"""The private scratch-array pool (``tinygrad_cnn/_workspace.py``): what it lends, when it reuses, its limits."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from tinygrad_cnn._workspace import WORKSPACE, Workspace


def test_lends_a_writeable_contiguous_array_of_the_shape_and_dtype() -> None:
    ws = Workspace()
    with ws.lend((3, 4), np.float32) as buf:
        assert buf.shape == (3, 4) and buf.dtype == np.float32
        assert buf.flags.writeable and buf.flags.c_contiguous
    with ws.lend(5, "float64", zero=True) as buf:
        assert buf.shape == (5,) and buf.dtype == np.float64
        np.testing.assert_array_equal(buf, np.zeros(5))


def test_the_same_memory_is_lent_again_after_the_block() -> None:
    ws = Workspace()
    with ws.lend((64, 64), np.float64) as first:
        first[...] = 7.0
        address = first.ctypes.data
    with ws.lend((64, 64), np.float64) as again:
        assert again.ctypes.data == address
        assert (again == 7.0).all()  # not zeroed unless asked
    with ws.lend((64, 64), np.float64, zero=True) as zeroed:
        assert zeroed.ctypes.data == address and not zeroed.any()
    with ws.lend((64, 64), np.float32) as other_dtype:
        assert other_dtype.ctypes.data != address


def test_a_buffer_is_never_lent_twice_at_once() -> None:
    ws = Workspace()
    with ws.lend((8,), np.float64) as a, ws.lend((8,), np.float64) as b:
        assert not np.shares_memory(a, b)
    assert ws.cached_bytes() == 2 * 8 * 8  # both came back


def test_an_exception_in_the_block_still_returns_the_buffer() -> None:
    ws = Workspace()
    with pytest.raises(RuntimeError, match="inside"):
        with ws.lend((4,), np.float64):
            raise RuntimeError("inside")
    assert ws.cached_bytes() == 32


def test_keeps_at_most_max_bytes_dropping_the_least_recently_lent() -> None:
    ws = Workspace(max_bytes=100)
    with ws.lend((8,), np.float64):  # 64 bytes
        pass
    with ws.lend((4,), np.float64):  # 32 bytes: 96 kept
        pass
    assert ws.cached_bytes() == 96
    with ws.lend((2,), np.float64):  # 16 more: the 64-byte one, lent least recently, goes
        pass
    assert ws.cached_bytes() == 48
    with ws.lend((200,), np.uint8):  # larger than max_bytes: lent fresh, not kept
        pass
    assert ws.cached_bytes() == 48
    ws.clear()
    assert ws.cached_bytes() == 0


def test_each_thread_has_its_own_pool() -> None:
    ws = Workspace()
    with ws.lend((16,), np.float64) as mine:
        address = mine.ctypes.data
    seen = []

    def other() -> None:
        with ws.lend((16,), np.float64) as theirs:
            seen.append(theirs.ctypes.data)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen and seen[0] != address
    assert ws.cached_bytes() == 16 * 8  # this thread's pool only


def test_the_shared_pool_exists() -> None:
    with WORKSPACE.lend((2,), np.float64, zero=True) as buf:
        assert not buf.any()


@pytest.mark.parametrize("make, error, words", [
    (lambda: Workspace(max_bytes=-1), ValueError, ["max_bytes", "-1", ">= 0"]),
    (lambda: Workspace(max_bytes=1.5), TypeError, ["max_bytes", "float", "int"]),
    (lambda: Workspace(max_bytes=True), TypeError, ["max_bytes", "bool"]),
    (lambda: Workspace().lend((2, -1), np.float64).__enter__(), ValueError, ["shape", "(2, -1)", ">= 0"]),
    (lambda: Workspace().lend((2.0, 3), np.float64).__enter__(), TypeError, ["shape", "2.0", "tuple of ints"]),
    (lambda: Workspace().lend("3", np.float64).__enter__(), TypeError, ["shape", "'3'"]),
])
def test_bad_input_names_the_argument_the_value_and_what_was_expected(make, error, words) -> None:
    with pytest.raises(error) as caught:
        make()
    for word in words:
        assert word in str(caught.value)

"""The recycled memory for op outputs (``Recycler`` in ``tinygrad_cnn/_workspace.py``): a block is taken again
only when no array uses it, an array handed out keeps ``np.empty``'s contract, and the engine's guard for saved
arrays (``memory.py``) treats recycled outputs exactly as fresh ones."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

from tinygrad_cnn import Tensor, _workspace, no_grad
from tinygrad_cnn import functional as F
from tinygrad_cnn._workspace import RECYCLER, Recycler
from tinygrad_cnn.function import SavedArrayModifiedError
from tinygrad_cnn.memory import is_frozen
from tinygrad_cnn.ops import _conv_kernels, elementwise, pool, window

BIG = (256, 256)  # 512 KiB of float64: above the recycler's minimum
RNG = np.random.default_rng(7)


def test_hands_out_a_writeable_contiguous_array_of_the_shape_and_dtype():
    rc = Recycler()
    a = rc.empty(BIG, np.float64)
    assert a.shape == BIG and a.dtype == np.float64 and a.flags.c_contiguous and a.flags.writeable
    a[...] = 2.0  # every element writeable
    assert float(a.sum()) == 2.0 * a.size
    z = rc.zeros((300, 300), np.float32)
    assert z.dtype == np.float32 and not z.any()
    source = RNG.normal(size=(200, 300))[:, ::2]  # a strided view
    c = rc.copy(source)
    assert c.flags.c_contiguous and not np.shares_memory(c, source)
    np.testing.assert_array_equal(c, source)


def test_the_memory_of_a_dead_array_is_taken_again_for_the_same_size():
    rc = Recycler()
    a = rc.empty(BIG, np.float64)
    address = a.ctypes.data
    del a
    b = rc.empty((512, 128), np.float64)  # another shape, the same bytes
    assert b.ctypes.data == address
    assert rc.cached_bytes() == b.nbytes
    c = rc.empty((128, 128), np.float64)  # another size: a block of its own
    assert c.ctypes.data != address and rc.cached_bytes() == b.nbytes + c.nbytes


@pytest.mark.parametrize("keep", [
    lambda a: a[1:],  # a view
    lambda a: a.T[::2],  # a view of a view (numpy points it at the block, not at a)
    lambda a: a.reshape(-1),
    memoryview,  # a buffer export
    lambda a: np.lib.stride_tricks.as_strided(a, (4,), (8,)),
    lambda a: np.frombuffer(a, dtype=np.uint8),
    lambda a: a.view(np.int64),
])
def test_a_block_is_not_taken_while_anything_still_views_it(keep):
    rc = Recycler()
    a = rc.empty(BIG, np.float64)
    a[...] = 1.0
    alias = keep(a)
    del a
    b = rc.empty(BIG, np.float64)
    b[...] = -1.0
    assert not np.shares_memory(b, np.asarray(alias))
    assert (np.asarray(alias).view(np.float64 if not isinstance(alias, memoryview) else np.float64) != -1.0).all()
    del alias, b
    assert rc.empty(BIG, np.float64) is not None and rc.cached_bytes() == 2 * 8 * 256 * 256


def test_a_block_is_free_only_when_its_list_alone_holds_it():
    blocks = [np.empty(1, np.uint8), np.empty(1, np.uint8)]
    assert _workspace._first_free(blocks) is blocks[0]
    view = blocks[0][:]
    assert _workspace._first_free(blocks) is blocks[1]
    kept = blocks[1]  # a plain reference counts as a use too
    assert _workspace._first_free(blocks) is None
    del view, kept
    assert _workspace._first_free(blocks) is blocks[0]


def test_small_and_object_arrays_are_ordinary_arrays():
    rc = Recycler(min_bytes=1024)
    small = rc.empty((10,), np.float64)
    assert small.base is None and rc.cached_bytes() == 0
    objects = rc.empty((1000,), object)
    assert objects.base is None and objects.dtype == object
    assert rc.empty((0, 5000), np.float64).shape == (0, 5000)


def test_keeps_at_most_max_bytes_dropping_free_blocks_first():
    rc = Recycler(max_bytes=3 * 2**19, min_bytes=1)  # room for three 512 KiB blocks
    first, second = rc.empty(BIG, np.float64), rc.empty(BIG, np.float64)
    third = rc.empty(BIG, np.float64)
    over = rc.empty(BIG, np.float64)  # all three in use: an array of its own, not kept
    assert over.base is None and rc.cached_bytes() == 3 * 2**19
    del first
    larger = rc.empty((2**17,), np.float64)  # 1 MiB: the free block goes, then it still does not fit
    assert larger.base is None and rc.cached_bytes() == 2 * 2**19
    del second, third
    larger = rc.empty((2**17,), np.float64)  # one of the two free blocks dropped to make room, no more
    assert larger.base is not None and rc.cached_bytes() == 2**19 + 2**20
    rc.clear()
    assert rc.cached_bytes() == 0 and larger.sum() is not None  # arrays stay valid after clear


def test_a_free_block_behind_one_in_use_is_evicted():
    rc = Recycler(max_bytes=2 * 2**19, min_bytes=1)
    in_use, dies = rc.empty(BIG, np.float64), rc.empty(BIG, np.float64)
    del dies  # the second block of its size is free, the first is not
    other = rc.empty((2**15,), np.float64)  # 256 KiB, another size: the free block must go to make room
    assert other.base is not None and rc.cached_bytes() == 2**19 + 2**18
    assert in_use.base is not other.base and in_use.sum() is not None


def test_each_thread_has_its_own_blocks_and_an_array_may_die_in_another():
    rc = Recycler()
    made = []
    worker = threading.Thread(target=lambda: made.append(rc.empty(BIG, np.float64)))
    worker.start()
    worker.join()
    assert rc.cached_bytes() == 0  # this thread's pool is empty: the worker's block is the worker's
    mine = rc.empty(BIG, np.float64)
    assert not np.shares_memory(mine, made[0])
    made.clear()  # the worker's array dies here, in this thread: nothing breaks


# -------------------------------------------------------------------------------- as the engine sees it
def test_a_recycled_op_output_is_frozen_engine_memory():
    x = Tensor(RNG.normal(size=(8, 4, 40, 40)), requires_grad=True)
    y = F.relu(x)
    assert y.data.base is not None  # it did come from the recycler (else this test would prove nothing)
    assert is_frozen(y.data) and not y.data.flags.writeable
    with pytest.raises(ValueError):
        y.data[0, 0, 0, 0] = 1.0


def test_an_in_place_write_to_a_recycled_saved_array_is_caught():
    x = Tensor(RNG.normal(size=(8, 4, 40, 40)), requires_grad=True)
    w = Tensor(RNG.normal(size=(3, 4, 3, 3)), requires_grad=True)
    h = F.relu(x)  # recycled memory, saved by conv2d for the weight's gradient
    loss = F.conv2d(h, w).sum()
    with no_grad():
        h += 1.0  # the engine's own in-place write, logged against the block
    with pytest.raises(SavedArrayModifiedError):
        loss.backward()


def test_outputs_of_two_steps_never_share_memory_while_both_live():
    x = Tensor(RNG.normal(size=(8, 4, 40, 40)), requires_grad=True)
    w = Tensor(RNG.normal(size=(6, 4, 3, 3)), requires_grad=True)
    first = F.max_pool2d(F.relu(F.conv2d(x, w, padding=1)), 2)
    kept = first.data.copy()
    second = F.max_pool2d(F.relu(F.conv2d(x * 2.0, w, padding=1)), 2)
    assert not np.shares_memory(first.data, second.data)
    np.testing.assert_array_equal(first.data, kept)


class _Poisoned(Recycler):
    """Hands out memory full of NaN (and −7 in integer dtypes): a result that reads an element it never wrote
    shows it."""

    def empty(self, shape, dtype):
        out = super().empty(shape, dtype)
        out[...] = np.nan if np.dtype(dtype).kind in "fc" else (True if np.dtype(dtype) == bool else 7)
        return out


def _lenet_like_step(x, w1, w2, target):
    """conv → relu → max pool (3, stride 3: the last two rows and columns in no window) → conv (stride 2) → relu
    → avg pool, and every gradient (numpy arrays)."""
    xt, w1t, w2t = (Tensor(a, requires_grad=True) for a in (x, w1, w2))
    h = F.max_pool2d(F.relu(F.conv2d(xt, w1t, padding=1)), 3)
    out = F.avg_pool2d(F.relu(F.conv2d(h, w2t, stride=2, padding=1)), 2, stride=1, padding=1)
    ((out - target) ** 2).sum().backward()
    return [out.data, xt.grad, w1t.grad, w2t.grad]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_results_do_not_depend_on_what_recycled_memory_held(dtype, monkeypatch):
    x = RNG.normal(size=(16, 3, 32, 32)).astype(dtype)
    w1, w2 = RNG.normal(size=(8, 3, 3, 3)).astype(dtype), RNG.normal(size=(8, 8, 3, 3)).astype(dtype)
    target = RNG.normal(size=(16, 8, 6, 6)).astype(dtype)
    clean = Recycler(max_bytes=0)  # recycles nothing: every array a fresh one
    for module in (_conv_kernels, window, pool, elementwise):
        monkeypatch.setattr(module, "RECYCLER", clean)
    want = _lenet_like_step(x, w1, w2, target)
    poisoned = _Poisoned(min_bytes=1)
    for module in (_conv_kernels, window, pool, elementwise):
        monkeypatch.setattr(module, "RECYCLER", poisoned)
    for _ in range(2):  # the second time on blocks the first one left
        got = _lenet_like_step(x, w1, w2, target)
        for g, wnt in zip(got, want, strict=True):
            assert g.dtype == dtype
            np.testing.assert_array_equal(g, wnt)
    assert poisoned.cached_bytes() > 0


def test_the_library_recycler_is_used_by_the_cnn_kernels():
    RECYCLER.clear()
    x = Tensor(RNG.normal(size=(8, 4, 40, 40)), requires_grad=True)
    F.relu(x).sum().backward()
    assert RECYCLER.cached_bytes() > 0
    assert sys.getrefcount(x) >= 2

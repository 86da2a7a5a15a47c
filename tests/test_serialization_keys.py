"""Checkpoint entry names: every key string round-trips, and no two keys (or a key and numpy's own names) meet.

Each array is one ``.npz`` member named by its escaped path; numpy's ``NpzFile`` strips a trailing ``.npy`` and
``numpy.savez`` takes ``file``/``allow_pickle`` as its own arguments, so before the fix a key ``"a.npy"`` loaded the
array of key ``"a"``, a key ``"allow_pickle"`` was dropped on save, ``"file"`` crashed, an empty key collided with
its siblings and a lone surrogate crashed. Also: a file that is not a checkpoint is named once and said to be one
that is not, never with numpy's advice to pass ``allow_pickle``.
"""

import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_cnn import load, save
from tinygrad_cnn.serialization import CheckpointError


def _same(a, b):
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


@pytest.mark.parametrize("keys", [
    ["a", "a.npy"], ["a.npy", "a"], ["a.npy", "a.npy.npy"], ["allow_pickle"], ["file"], ["args", "kwds"],
    ["", "b"], ["<root>", ""], ["__manifest__"], ["x\\y", "x/y"], ["\ud800", "%uD800"], ["%", "%25", "%2F", "/"],
    ["arr_0", "arr_1"], ["a%2Enpy", "a.npy"], [".npy", "%"], ["a.NPY", "a"],
])
def test_colliding_keys_round_trip(tmp_path, keys):
    obj = {key: np.full(2, float(i)) for i, key in enumerate(keys)}
    obj["nested"] = {key: {"": np.arange(i + 1)} for i, key in enumerate(keys)}
    obj[""] = {"b": np.array([7.0])} if "b" not in keys else {"c": np.array([7.0])}
    save(obj, tmp_path / "c.npz")
    _same(load(tmp_path / "c.npz"), obj)


def test_plain_numpy_reads_an_npy_ending_key_under_its_escaped_name(tmp_path):
    save({"a": np.zeros(1), "a.npy": np.ones(1)}, tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz") as npz:
        assert sorted(npz.files) == ["__manifest__", "a", "a%2Enpy"]
        assert npz["a%2Enpy"].tolist() == [1.0] and npz["a"].tolist() == [0.0]


def test_a_plain_npz_is_read_by_its_member_names(tmp_path):
    np.savez(tmp_path / "plain.npz", **{"a": np.zeros(1), "a.npy": np.ones(1)})
    out = load(tmp_path / "plain.npz")
    assert out["a"].tolist() == [0.0] and out["a.npy"].tolist() == [1.0]


keys = st.text(max_size=8) | st.sampled_from(["", ".npy", "a.npy", "__manifest__", "file", "allow_pickle", "%",
                                              "/", "\\", "\x00", "<root>"])
leaves = st.builds(lambda n: np.arange(n, dtype=np.float32), st.integers(0, 3)) | st.integers() | st.none()
trees = st.recursive(leaves, lambda children: st.dictionaries(keys, children, max_size=4), max_leaves=12)


@given(tree=st.dictionaries(keys, trees, max_size=5))
def test_any_key_strings_round_trip(tmp_path_factory, tree):
    path = tmp_path_factory.mktemp("keys") / "c.npz"
    save(tree, path)
    _same(load(path), tree)


@pytest.mark.parametrize("content, kind", [
    (b"hello, not a checkpoint\n", "text"),
    (pickle.dumps({"w": [1, 2]}), "pickle"),
    (b"", "empty"),
    (b"PK\x03\x04garbage", "broken zip"),
])
def test_a_file_that_is_not_a_checkpoint_is_named_once_without_pickle_advice(tmp_path, content, kind):
    path = tmp_path / "model.bin"
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as info:
        load(path)
    message = str(info.value)
    assert "not a tinygrad_cnn checkpoint" in message, message
    assert message.count(str(path)) == 1, message
    assert "allow_pickle" not in message and "pickle.load" not in message, message


def test_a_single_npy_and_an_object_npy_are_not_checkpoints(tmp_path):
    np.save(tmp_path / "x.npy", np.array([1, 2]))
    np.save(tmp_path / "o.npy", np.array([{}, 1], dtype=object), allow_pickle=True)
    for name in ("x.npy", "o.npy"):
        with pytest.raises(CheckpointError, match="not a tinygrad_cnn checkpoint") as info:
            load(tmp_path / name)
        assert "allow_pickle" not in str(info.value)

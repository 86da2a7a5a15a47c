"""tinygrad_cnn.save / load / restore: round trips, untrusted files, atomic writes, all-or-nothing restore."""

import io
import os
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_cnn
from tinygrad_cnn import Tensor, nn, optim, serialization
from tinygrad_cnn.serialization import CheckpointError, load, restore, save


def _model(seed=0, dtype=np.float32):
    return nn.Sequential(nn.Conv2d(1, 2, 3, dtype=dtype, seed=seed), nn.ReLU(), nn.Flatten(),
                         nn.Linear(8, 3, dtype=dtype, seed=seed))


def _trained(optimizer="adam", steps=2):
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.01) if optimizer == "adam" else optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    x = Tensor(np.random.default_rng(0).standard_normal((4, 1, 4, 4)).astype(np.float32))
    for _ in range(steps):
        opt.zero_grad()
        tinygrad_cnn.functional.cross_entropy(model(x), np.array([0, 1, 2, 0])).backward()
        opt.step()
        sched.step()
    return model, opt, sched


def _snapshot(model, opt, sched):
    return model.state_dict(), opt.state_dict(), sched.state_dict()


def _equal(a, b):
    """Deep equality, arrays bit for bit (and of the same dtype), types kept."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()
    elif isinstance(a, Tensor):
        _equal(a.data, b.data)
        assert a.requires_grad == b.requires_grad
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _equal(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _equal(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_round_trip_of_every_supported_type(tmp_path):
    obj = {
        "model": {"0.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "0.bias": np.zeros(2, np.float64)},
        "optimizer": {"state": {0: {"step": 3, "exp_avg": np.ones(3)}, 1: {}}, "param_groups": [
            {"lr": 0.1 + 0.2, "betas": (0.9, 0.999), "params": [0, 1], "amsgrad": False, "name": None}]},
        "ints": [0, -1, 2**80, True],
        "floats": [1e-300, -0.0, float("inf"), float("-inf"), float("nan"), 1 / 3],
        "text": "δ = ∂C/∂z",
        "arrays": [np.array(5, dtype=np.int16), np.array([True, False]), np.zeros((0, 3)), np.array(["a", "bc"])],
        "scalar": np.float32(2.5),
        "tensor": Tensor(np.array([1.0, 2.0]), requires_grad=True),
        "a/b%c": {"x/y": np.ones(1), "nul\x00\n": np.zeros(1)},  # separators and control characters in keys
        "nested": [[{"deep": (1, [2.5, None])}]],
        "empty": {}, "empty_list": [], "none": None,
    }
    path = tmp_path / "ck.npz"
    save(obj, path)
    out = load(path)
    _equal(out, obj)
    assert isinstance(out["optimizer"]["state"], dict) and 0 in out["optimizer"]["state"]  # int keys stay ints
    assert out["scalar"].dtype == np.float32


def test_arrays_are_named_npz_entries_readable_by_numpy(tmp_path):
    model, opt, _ = _trained()
    path = tmp_path / "ck.npz"
    save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)
    with np.load(path, allow_pickle=False) as npz:
        assert "model/0.weight" in npz.files and "optimizer/state/0/exp_avg" in npz.files
        np.testing.assert_array_equal(npz["model/3.bias"], model.state_dict()["3.bias"])
        manifest = npz["__manifest__"]
        assert manifest.dtype.kind == "U"  # the structure is a JSON string array, not a pickle
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
    assert path.exists() and not (tmp_path / "ck.npz.npz").exists()


def test_plain_npz_without_manifest_loads_as_a_flat_dict(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, w=np.ones(2), b=np.zeros(1))
    out = load(path)
    assert sorted(out) == ["b", "w"] and out["w"].tolist() == [1.0, 1.0]


def test_save_refuses_what_it_cannot_store(tmp_path):
    with pytest.raises(TypeError, match="model/w is an array of dtype object"):
        save({"model": {"w": np.array([{}, 1], dtype=object)}}, tmp_path / "a.npz")
    with pytest.raises(TypeError, match="cannot store x of type set"):
        save({"x": {1, 2}}, tmp_path / "a.npz")
    with pytest.raises(TypeError, match="keys must be str or int"):
        save({(1, 2): 3}, tmp_path / "a.npz")
    with pytest.raises(ValueError, match="both written as"):
        save({1: np.ones(1), "1": np.ones(1)}, tmp_path / "a.npz")
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary file left
    with pytest.raises(FileNotFoundError, match="directory .*nowhere does not exist"):
        save({"x": 1}, tmp_path / "nowhere" / "a.npz")


class _Evil:
    """Unpickling this would create a file: the proof that load never unpickles."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _npz_with(path, entries):
    """Write an .npz whose entries are given as raw .npy bytes (object arrays pickled, as numpy would)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in entries.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=True)
            archive.writestr(name + ".npy", buffer.getvalue())


def test_object_array_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    good = tmp_path / "good.npz"
    save({"model": {"w": np.ones(2)}}, good)
    with np.load(good) as npz:
        entries = {name: npz[name] for name in npz.files}
    entries["model/w"] = np.array([_Evil(marker)], dtype=object)
    evil = tmp_path / "evil.npz"
    _npz_with(evil, entries)
    with pytest.raises(CheckpointError, match="entry 'model/w' is an object array"):
        load(evil)
    assert not marker.exists()
    # the same without a manifest
    _npz_with(evil, {"w": np.array([_Evil(marker)], dtype=object)})
    with pytest.raises(CheckpointError, match="'w' is an object array"):
        load(evil)
    assert not marker.exists()


def test_missing_and_unexpected_entries_are_named(tmp_path):
    path = tmp_path / "ck.npz"
    save({"model": {"w": np.ones(2), "b": np.zeros(1)}}, path)
    with np.load(path) as npz:
        entries = {name: npz[name] for name in npz.files}
    _npz_with(tmp_path / "missing.npz", {k: v for k, v in entries.items() if k != "model/b"})
    with pytest.raises(CheckpointError, match="names array 'model/b', which is missing"):
        load(tmp_path / "missing.npz")
    _npz_with(tmp_path / "extra.npz", {**entries, "model/sneaky": np.ones(1)})
    with pytest.raises(CheckpointError, match="unexpected entry 'model/sneaky'"):
        load(tmp_path / "extra.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip at all")
    with pytest.raises(CheckpointError, match="not a tinygrad_cnn checkpoint"):
        load(tmp_path / "junk.npz")
    with pytest.raises(FileNotFoundError, match="no checkpoint file"):
        load(tmp_path / "absent.npz")


def test_interrupted_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    save({"epoch": 1, "w": np.ones(3)}, path)
    before = path.read_bytes()
    real_write = serialization._write_npz

    def interrupted(stream, entries):
        real_write(stream, entries)
        stream.write(b"partial")
        raise KeyboardInterrupt  # Ctrl-C while the new checkpoint is being written

    monkeypatch.setattr(serialization, "_write_npz", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save({"epoch": 2, "w": np.zeros(3)}, path)
    assert path.read_bytes() == before and load(path)["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.npz"]  # the temporary file is gone


def test_restore_loads_model_optimizer_and_scheduler(tmp_path):
    model, opt, sched = _trained()
    path = tmp_path / "ck.npz"
    save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, path)
    fresh_model = _model(seed=5)
    fresh_opt = optim.Adam(fresh_model.parameters(), lr=0.01)
    fresh_sched = optim.lr_scheduler.StepLR(fresh_opt, step_size=1, gamma=0.5)
    restore(load(path), fresh_model, fresh_opt, fresh_sched)
    _equal(_snapshot(fresh_model, fresh_opt, fresh_sched), _snapshot(model, opt, sched))


def _bad(state, what):
    """A copy of the checkpoint ``state`` broken in one way."""
    model = dict(state["model"])
    optimizer = {"state": {k: dict(v) for k, v in state["optimizer"]["state"].items()},
                 "param_groups": [dict(g) for g in state["optimizer"]["param_groups"]]}
    scheduler = dict(state["scheduler"])
    if what == "missing":
        del model["3.bias"]
    elif what == "unexpected":
        model["4.weight"] = np.ones(1, np.float32)
    elif what == "shape":
        model["3.weight"] = np.ones((3, 9), np.float32)
    elif what == "dtype":
        model["0.bias"] = model["0.bias"].astype(np.float64)
    elif what == "object":
        model["0.bias"] = [1.0, 2.0]
    elif what == "optimizer shape":
        optimizer["state"][1]["exp_avg"] = np.zeros(5, np.float32)
    elif what == "optimizer groups":
        optimizer["param_groups"] = optimizer["param_groups"] * 2
    elif what == "scheduler":  # passes the checks, fails inside load_state_dict: after model and optimizer loaded
        scheduler = {"no_last_epoch": 1}
    return {"model": model, "optimizer": optimizer, "scheduler": scheduler}


@pytest.mark.parametrize("what, match", [
    ("missing", "model: missing key '3.bias'"),
    ("unexpected", "model: unexpected key '4.weight'"),
    ("shape", r"model: key '3.weight' has shape \(3, 9\) in the checkpoint, the model expects \(3, 8\)"),
    ("dtype", "model: key '0.bias' has dtype float64 in the checkpoint, the model expects float32"),
    ("object", "model: key '0.bias' holds list, expected an array"),
    ("optimizer shape", r"optimizer/state/1/exp_avg: shape \(5,\)"),
    ("optimizer groups", "optimizer/param_groups: the checkpoint has 2 parameter groups"),
    ("scheduler", "scheduler: the checkpoint does not load"),
])
def test_restore_names_the_key_and_changes_nothing(what, match):
    source = _trained(steps=3)
    state = {"model": source[0].state_dict(), "optimizer": source[1].state_dict(), "scheduler": source[2].state_dict()}
    target = _trained(optimizer="adam", steps=1)
    before = _snapshot(*target)
    with pytest.raises(CheckpointError, match=match):
        restore(_bad(state, what), *target)
    _equal(_snapshot(*target), before)


def test_restore_needs_the_parts_it_is_given():
    model = _model()
    with pytest.raises(CheckpointError, match="no 'model' entry"):
        restore({"epoch": 1}, model)
    with pytest.raises(TypeError, match="checkpoint must be a dict"):  # a wrong type (test_bad_input.py)
        restore([1], model)


def test_checkpoint_loads_into_the_same_torch_model(tmp_path):
    torch = pytest.importorskip("torch")
    model = _model(seed=3)
    path = tmp_path / "ck.npz"
    save({"model": model.state_dict()}, path)
    torch_model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                      torch.nn.Linear(8, 3))
    torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in load(path)["model"].items()})
    x = np.random.default_rng(1).standard_normal((5, 1, 4, 4)).astype(np.float32)
    ours = model(Tensor(x)).data
    theirs = torch_model(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_load_accepts_os_pathlike_and_str(tmp_path):
    path = os.path.join(tmp_path, "x.ckpt")  # any name: no .npz appended
    save([1, 2], path)
    assert load(path) == [1, 2] and os.path.exists(path)



_arrays = hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.int8, np.bool_, np.uint16]),
                     hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8),
                    _arrays)
_keys = st.one_of(st.text(min_size=1, max_size=6), st.integers(-5, 50))
_trees = st.recursive(_leaves, lambda children: st.one_of(
    st.lists(children, max_size=3), st.tuples(children, children),
    st.dictionaries(_keys, children, max_size=3)), max_leaves=12)


@given(tree=_trees)
def test_any_nested_structure_round_trips_property(tmp_path_factory, tree):
    path = tmp_path_factory.mktemp("prop") / "ck.npz"
    try:
        save({"root": tree}, path)
    except ValueError as error:  # two keys that collide as entry names (1 and '1'): refused, never mixed up
        assert "both written as" in str(error)
        return
    _equal(load(path), {"root": tree})

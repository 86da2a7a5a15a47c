"""Checkpoints: ``tinygrad_cnn.save(obj, path)`` and ``tinygrad_cnn.load(path)``, in numpy's ``.npz`` format.

``obj`` is a nested structure of dicts (str or int keys), lists, tuples, numpy arrays, Tensors, and the
plain values ``int``, ``float``, ``bool``, ``str``, ``None`` — what ``model.state_dict()``,
``optimizer.state_dict()`` and ``scheduler.state_dict()`` return, plus an epoch number and metadata.

How it is stored: every array is one ``.npz`` entry named by its path in ``obj`` (``model/0.weight``,
``optimizer/state/0/exp_avg``), and the structure — the containers, key types and plain values — is a JSON
document in the entry ``__manifest__`` (a numpy string array). Inside a key, ``%``, ``/``, ``\\`` and control
characters are written ``%25``, ``%2F``, ``%5C``, …, a lone surrogate ``%uD800``, an empty key ``%``, a final
``.npy`` ``%2Enpy`` (numpy strips it from member names) and a top-level ``__manifest__`` ``%5F_manifest__``,
so every key string round-trips and no two keys share an entry. Reading parses the zip members with
``numpy.lib.format.read_array(..., allow_pickle=False)`` and ``json.loads`` only, so **loading a file, even an
untrusted one, never runs code**: an object array in the file is refused, with its name.

Saving writes a temporary file in the target's directory and renames it over the target, so an
interrupted save (Ctrl-C) leaves the previous file intact.

>>> import os, tempfile, numpy as np
>>> from tinygrad_cnn import nn
>>> model = nn.Linear(2, 1, seed=0)
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
>>> save({"model": model.state_dict(), "epoch": 3, "note": None}, path)
>>> state = load(path)
>>> state["epoch"], state["note"], sorted(state["model"])
(3, None, ['bias', 'weight'])
>>> sorted(np.load(path).files)          # plain numpy can read the arrays too
['__manifest__', 'model/bias', 'model/weight']
>>> restore(state, model)                # checked against the model, then loaded (all or nothing)
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["CheckpointError", "check_model_state", "load", "restore", "save"]

MANIFEST = "__manifest__"
FORMAT = "tinygrad_cnn.checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, or that does not fit the model/optimizer it is loaded into."""


# ----------------------------------------------------------------------------------------------------
# save
# ----------------------------------------------------------------------------------------------------


def _escape(key: str, top: bool = False) -> str:
    """A key as one part of an entry name, one-to-one (``%`` always starts an escape): ``%``, ``/``, ``\\`` and
    control characters (a zip name stops at NUL) as %XX, a lone surrogate (not UTF-8) as %uXXXX, the empty key as
    ``%``, a final ``.npy`` as ``%2Enpy`` (numpy strips it), a top-level ``__manifest__`` as ``%5F_manifest__``."""
    part = re.sub(r"[%/\\\x00-\x1f\x7f]", lambda match: f"%{ord(match.group()):02X}", key)
    part = re.sub("[\ud800-\udfff]", lambda match: f"%u{ord(match.group()):04X}", part)
    if part == "":
        return "%"
    if part.endswith(".npy"):
        part = part[:-4] + "%2Enpy"
    if top and part == MANIFEST:
        part = "%5F" + part[1:]
    return part


def _join(path: str, key: Any) -> str:
    part = _escape(str(key), top=not path)
    return f"{path}/{part}" if path else part


def _flatten(obj: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """The manifest node of ``obj``; its arrays are added to ``arrays`` under their path."""
    where = path or "<root>"
    if isinstance(obj, Tensor):
        arrays[path or "<root>"] = _check_array(obj.data, where)
        return {"t": "tensor", "key": path or "<root>", "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray):
        arrays[path or "<root>"] = _check_array(obj, where)
        return {"t": "array", "key": path or "<root>"}
    if isinstance(obj, np.generic):
        arrays[path or "<root>"] = _check_array(np.asarray(obj), where)
        return {"t": "scalar", "key": path or "<root>"}
    if obj is None:
        return {"t": "none"}
    if isinstance(obj, bool):
        return {"t": "bool", "v": obj}
    if isinstance(obj, int):
        return {"t": "int", "v": obj}
    if isinstance(obj, float):
        return {"t": "float", "v": obj if math.isfinite(obj) else repr(obj)}  # 'nan', 'inf', '-inf' as text
    if isinstance(obj, str):
        return {"t": "str", "v": obj}
    if isinstance(obj, (list, tuple)):
        items = [_flatten(item, _join(path, i), arrays) for i, item in enumerate(obj)]
        return {"t": "list" if isinstance(obj, list) else "tuple", "items": items}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"save: dict keys must be str or int; {where} has key {key!r} ({type(key).__name__})")
            child = _join(path, key)
            if child in arrays or any(k.startswith(child + "/") for k in arrays):
                raise ValueError(f"save: two keys of {where} are both written as {child!r} (e.g. 1 and '1')")
            items.append([key, _flatten(value, child, arrays)])
        return {"t": "dict", "items": items}
    raise TypeError(f"save: cannot store {where} of type {type(obj).__name__}; expected dicts, lists, tuples, numpy "
                    f"arrays, Tensors, int, float, bool, str or None")


def _check_array(array: np.ndarray, where: str) -> np.ndarray:
    if array.dtype.hasobject or array.dtype.kind not in "biufcSU":
        raise TypeError(f"save: {where} is an array of dtype {array.dtype}; "
                        "only numeric, bool and string arrays can be stored (object arrays would need pickle)")
    return array


def _as_path(path: Any, where: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{where}: path must be a file name (str or os.PathLike), got {type(path).__name__} "
                        f"{path!r:.40}")
    return Path(path)


def _write_npz(stream: Any, entries: dict[str, np.ndarray]) -> None:
    """What ``numpy.savez`` writes (one uncompressed ``NAME.npy`` member per entry), without its keyword arguments
    ``file`` and ``allow_pickle`` meeting entry names of the same spelling."""
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in entries.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (nested dicts/lists of arrays, Tensors and plain values) to ``path`` as ``.npz``.

    The file is written under a temporary name in the same directory and renamed over ``path`` when complete.
    ``path`` is used exactly as given (no ``.npz`` is appended).
    """
    path = _as_path(path, "save")
    arrays: dict[str, np.ndarray] = {}
    root = _flatten(obj, "", arrays)
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"save: cannot write {path}: the directory {path.parent} does not exist")
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            _write_npz(stream, {MANIFEST: np.array([manifest]), **arrays})
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


# ----------------------------------------------------------------------------------------------------
# load
# ----------------------------------------------------------------------------------------------------


NOT_A_CHECKPOINT = "not a tinygrad_cnn checkpoint"


def _read_entry(archive: zipfile.ZipFile, key: str, path: Path) -> np.ndarray:
    """The entry ``key`` (the member ``key.npy``), parsed without pickle."""
    member = key + ".npy"
    try:
        archive.getinfo(member)
    except KeyError:
        raise CheckpointError(f"{path}: the manifest names array {key!r}, which is missing from the file") from None
    try:
        with archive.open(member) as stream:
            return np.lib.format.read_array(stream, allow_pickle=False)
    except ValueError as error:
        if "allow_pickle" in str(error) or "Object arrays" in str(error):
            raise CheckpointError(f"{path}: entry {key!r} is an object array; refusing to load it (it would need "
                                  f"pickle, which can run code)") from None
        raise CheckpointError(f"{path}: entry {key!r} cannot be read ({_plain(error)})") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise CheckpointError(f"{path}: entry {key!r} cannot be read ({_plain(error)})") from None


def _plain(error: BaseException) -> str:
    """An error's text without numpy's advice to load pickles, which this format exists to avoid."""
    text = str(error)
    return "it holds pickled data" if "pickle" in text else text


def _build(node: Any, npz: Any, path: Path, used: set[str]) -> Any:
    if not isinstance(node, dict) or "t" not in node:
        raise CheckpointError(f"{path}: malformed manifest node {node!r:.80}")
    kind = node["t"]
    if kind in ("array", "tensor", "scalar"):
        key = node["key"]
        array = _read_entry(npz, key, path)
        used.add(key)
        if kind == "tensor":
            return Tensor(array, requires_grad=bool(node.get("requires_grad", False)) and array.dtype.kind == "f")
        return array[()] if kind == "scalar" else array
    if kind == "none":
        return None
    if kind in ("bool", "int", "str"):
        value, expected = node.get("v"), {"bool": bool, "int": int, "str": str}[kind]
        if type(value) is not expected:
            raise CheckpointError(f"{path}: manifest says {kind} but holds {value!r:.80}")
        return value
    if kind == "float":
        value = node.get("v")
        if isinstance(value, str) and value in ("nan", "inf", "-inf"):
            return float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CheckpointError(f"{path}: manifest says float but holds {value!r:.80}")
        return float(value)
    if kind in ("list", "tuple"):
        items = [_build(item, npz, path, used) for item in node.get("items", [])]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {key: _build(value, npz, path, used) for key, value in node.get("items", [])}
    raise CheckpointError(f"{path}: unknown manifest node type {kind!r}")


def load(path: str | os.PathLike) -> Any:
    """Read what :func:`save` wrote (with ``allow_pickle=False``: no code runs, whatever the file holds).

    A plain ``.npz`` without a manifest (e.g. ``numpy.savez(f, **model.state_dict())``) loads as a flat
    dict of its arrays. Raises :class:`CheckpointError` (a ``ValueError``) naming the entry for an object
    array, an entry the manifest names but the file lacks, or an entry the manifest does not know.
    """
    path = _as_path(path, "load")
    if not path.is_file():
        raise FileNotFoundError(f"load: no checkpoint file at {path}")
    with open(path, "rb") as stream:
        head = stream.read(6)
    if head == b"\x93NUMPY":
        raise CheckpointError(f"{path}: {NOT_A_CHECKPOINT} (it is a single .npy array, not an .npz archive)")
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, ValueError):
        raise CheckpointError(f"{path}: {NOT_A_CHECKPOINT} (not an .npz archive)") from None
    with archive:
        files = [name[:-4] for name in archive.namelist() if name.endswith(".npy")]
        others = [name for name in archive.namelist() if not name.endswith(".npy")]
        if others:
            raise CheckpointError(f"{path}: {NOT_A_CHECKPOINT} (its member {others[0]!r} is not a .npy array)")
        if MANIFEST not in files:
            return {key: _read_entry(archive, key, path) for key in files}
        text = _read_entry(archive, MANIFEST, path)
        try:
            manifest = json.loads(str(text.reshape(-1)[0]))
        except (ValueError, IndexError) as error:
            raise CheckpointError(f"{path}: the manifest is not valid JSON ({error})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise CheckpointError(f"{path}: the manifest is not a {FORMAT} manifest")
        if manifest.get("version") != VERSION:
            raise CheckpointError(f"{path}: checkpoint format version {manifest.get('version')!r}; this version of "
                                  f"tinygrad_cnn reads version {VERSION}")
        used: set[str] = set()
        obj = _build(manifest.get("root"), archive, path, used)
        unexpected = sorted(set(files) - used - {MANIFEST})
        if unexpected:
            raise CheckpointError(f"{path}: unexpected entry {unexpected[0]!r} that the manifest does not name "
                                  f"({len(unexpected)} in all)")
    return obj


# ----------------------------------------------------------------------------------------------------
# restore: load a checkpoint into a model, an optimizer and a scheduler, all or nothing
# ----------------------------------------------------------------------------------------------------


def _as_array(value: Any) -> np.ndarray | None:
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.ndarray):
        return value
    return None


def check_model_state(state: Any, model: Any, prefix: str = "model") -> None:
    """Raise :class:`CheckpointError` naming the key unless ``state`` has exactly ``model``'s keys, each
    an array (or Tensor) of the same shape and dtype."""
    if not isinstance(state, dict):
        raise CheckpointError(f"{prefix}: expected a dict of arrays, got {type(state).__name__}")
    own = model.state_dict()
    missing = [key for key in own if key not in state]
    if missing:
        raise CheckpointError(f"{prefix}: missing key {missing[0]!r} (the model has it, the checkpoint does not; "
                              f"{len(missing)} missing in all)")
    unexpected = [key for key in state if key not in own]
    if unexpected:
        raise CheckpointError(f"{prefix}: unexpected key {unexpected[0]!r} (not a parameter or buffer of the model; "
                              f"{len(unexpected)} unexpected in all)")
    for key, mine in own.items():
        theirs = _as_array(state[key])
        mine = _as_array(mine) if _as_array(mine) is not None else np.asarray(mine)
        if theirs is None:
            raise CheckpointError(f"{prefix}: key {key!r} holds {type(state[key]).__name__}, expected an array")
        if theirs.shape != mine.shape:
            raise CheckpointError(f"{prefix}: key {key!r} has shape {theirs.shape} in the checkpoint, the model "
                                  f"expects {mine.shape}")
        if theirs.dtype != mine.dtype:
            raise CheckpointError(f"{prefix}: key {key!r} has dtype {theirs.dtype} in the checkpoint, the model "
                                  f"expects {mine.dtype} (convert the model with .to() first)")


def _check_optimizer_state(state: Any, optimizer: Any) -> None:
    """The shape checks torch.optim does not do: per-parameter state arrays must match their parameter."""
    if not isinstance(state, dict) or "state" not in state or "param_groups" not in state:
        raise CheckpointError("optimizer: expected a dict with keys 'state' and 'param_groups'")
    own_groups = optimizer.state_dict()["param_groups"]
    groups = state["param_groups"]
    if not isinstance(groups, (list, tuple)) or len(groups) != len(own_groups):
        raise CheckpointError(f"optimizer/param_groups: the checkpoint has {len(groups)} parameter groups, the "
                              f"optimizer {len(own_groups)}")
    params: dict[int, Any] = {}
    flat = [p for group in optimizer.param_groups for p in group["params"]] if hasattr(optimizer, "param_groups") \
        else list(getattr(optimizer, "params", []))
    for g, (group, own) in enumerate(zip(groups, own_groups)):
        if not isinstance(group, dict) or len(group.get("params", ())) != len(own["params"]):
            raise CheckpointError(f"optimizer/param_groups/{g}/params: the checkpoint's group {g} has a different "
                                  f"number of parameters than the optimizer's")
        for index, own_index in zip(group["params"], own["params"]):
            if isinstance(own_index, int) and own_index < len(flat):
                params[index] = flat[own_index]
    if not isinstance(state["state"], dict):
        raise CheckpointError("optimizer/state: expected a dict from parameter index to its state")
    for index, entries in state["state"].items():
        if index not in params:
            raise CheckpointError(f"optimizer/state/{index}: not the index of a parameter of the optimizer")
        if not isinstance(entries, dict):
            raise CheckpointError(f"optimizer/state/{index}: expected a dict, got {type(entries).__name__}")
        p = params[index]
        for name, value in entries.items():
            array = _as_array(value)
            if array is not None and name != "step" and array.shape != p.shape:
                raise CheckpointError(f"optimizer/state/{index}/{name}: shape {array.shape} in the checkpoint, the "
                                      f"parameter has shape {p.shape}")
            if array is not None and name != "step" and array.dtype != p.dtype:
                raise CheckpointError(f"optimizer/state/{index}/{name}: dtype {array.dtype} in the checkpoint, the "
                                      f"parameter has dtype {p.dtype}")


def restore(checkpoint: dict[str, Any], model: Any = None, optimizer: Any = None, scheduler: Any = None) -> None:
    """Load ``checkpoint["model"]``, ``["optimizer"]`` and ``["scheduler"]`` into the objects given, all or
    nothing: every key, shape and dtype is checked first, and if any ``load_state_dict`` still fails, the ones
    already loaded are put back, so on an error the model, optimizer and scheduler are unchanged.

    Raises :class:`CheckpointError` (a ``ValueError``) naming the key that does not fit.
    """
    if not isinstance(checkpoint, dict):
        raise TypeError(f"restore: checkpoint must be a dict (what load() returns), got {type(checkpoint).__name__}")
    parts = [(name, obj) for name, obj in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler))
             if obj is not None]
    for name, obj in parts:
        if not (callable(getattr(obj, "state_dict", None)) and callable(getattr(obj, "load_state_dict", None))):
            raise TypeError(f"restore: {name} must have state_dict() and load_state_dict() (a Module, an "
                            f"Optimizer, a scheduler), got {type(obj).__name__}")
    for name, _ in parts:
        if name not in checkpoint:
            raise CheckpointError(f"restore: the checkpoint has no {name!r} entry (it has {sorted(checkpoint)})")
    if model is not None:
        check_model_state(checkpoint["model"], model)
    if optimizer is not None:
        _check_optimizer_state(checkpoint["optimizer"], optimizer)
    if scheduler is not None and not isinstance(checkpoint["scheduler"], dict):
        raise CheckpointError(f"scheduler: expected a dict, got {type(checkpoint['scheduler']).__name__}")
    backups = [(name, obj, copy.deepcopy(obj.state_dict())) for name, obj in parts]
    for name, obj, _ in backups:
        try:
            obj.load_state_dict(checkpoint[name])
        except Exception as error:
            for _, loaded, backup in backups:
                loaded.load_state_dict(backup)
            raise CheckpointError(f"{name}: the checkpoint does not load: {error}") from error

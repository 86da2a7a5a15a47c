"""The engine's memory: arrays it owns are read-only, and its own in-place writes are logged.

The guarantee this module keeps: an array changed in place after the forward pass never yields a silent
wrong gradient. ``Context`` (``function.py``) uses it to guard what ops save for backward; ``Tensor``
(``tensor.py``) to own its data and to write in place (``p -= lr * p.grad`` under ``no_grad()``).

>>> import numpy as np
>>> a = np.ones(3)
>>> is_frozen(a), is_frozen(own(a, a))      # a caller's array is copied, the copy made read-only
(False, True)
"""

from __future__ import annotations

import threading
import weakref
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from .grad_mode import is_grad_enabled

# ------------------------------------------------------------------------- saved arrays stay unchanged
# The guarantee: an array changed in place after the forward pass never yields a silent wrong gradient.
# Two mechanisms, chosen per saved array when the op is recorded (``Context._seal``):
#
# * Arrays the engine owns are read-only (``flags.writeable`` is False): op outputs, and the data the
#   Tensor constructor copied. numpy refuses in-place writes to them loudly. The only writer is the
#   engine's in-place ops (``p -= lr * p.grad`` under no_grad), which log each write against the
#   array that owns the memory (``note_write``): a global write counter (the "epoch") and, per memory
#   owner, the epoch of its last write. A saved array is unchanged if no write happened since the
#   forward (one integer comparison, the common case), or none to its memory. This is PyTorch's
#   version counter, kept per memory owner so that views and their base share it.
# * Arrays the engine does not own (a user's writeable array: ``Tensor._wrap``/``from_numpy``, an
#   intermediate an op saved without freezing it) are fingerprinted (CRC-32) when saved, and checked
#   when backward reads them.
_write_lock = threading.Lock()
_epoch = [0]  # how many in-place writes the engine has made (a list: mutable from other modules)
_last_write: dict[int, tuple[weakref.ref, int]] = {}  # id(memory owner) -> (ref to it, epoch of its last write)


def memory_owner(array: np.ndarray) -> np.ndarray | None:
    """The ndarray whose memory ``array`` uses (``array`` itself if it owns it); None if not an ndarray's."""
    while True:
        base = array.base
        if base is None:
            return array
        if type(base) is not np.ndarray and not isinstance(base, np.ndarray):
            base = getattr(base, "base", None)  # as_strided keeps the array behind a small wrapper
            if not isinstance(base, np.ndarray):
                return None
        array = base


def is_frozen(array: np.ndarray) -> bool:
    """True when neither ``array`` nor the memory it views can be written through numpy."""
    if array.flags.writeable:
        return False
    owner = array if array.base is None else memory_owner(array)
    return owner is not None and not owner.flags.writeable


def note_write(owner: np.ndarray) -> None:
    """Record that the engine wrote into ``owner``'s memory in place (its version moves on)."""
    key = id(owner)

    def forget(ref: weakref.ref, key: int = key) -> None:
        entry = _last_write.get(key)
        if entry is not None and entry[0] is ref:
            del _last_write[key]

    with _write_lock:
        _epoch[0] += 1
        _last_write[key] = (weakref.ref(owner, forget), _epoch[0])


def written_since(array: np.ndarray, epoch: int) -> bool:
    owner = memory_owner(array)
    entry = _last_write.get(id(owner))
    return entry is not None and entry[0]() is owner and entry[1] > epoch


def fingerprint(array: np.ndarray) -> int:
    """A CRC-32 of the array's bytes: cheap (GB/s) and changes when any element changes."""
    return zlib.crc32(array if array.flags.c_contiguous else np.ascontiguousarray(array))


def own(array: np.ndarray, source: Any) -> np.ndarray:
    """The array a new Tensor keeps: read-only engine memory, shared if ``array`` already is, else a copy.

    Numbers and lists were just converted into a fresh array, which is frozen as it is; a caller's
    writeable numpy array is copied (as ``torch.tensor`` copies), so that it stays the caller's.
    """
    if is_frozen(array):
        return array
    if not fresh(array, source):
        array = array.copy()
    array.setflags(write=False)
    return array


def fresh(array: np.ndarray, source: Any) -> bool:
    """True when ``_to_array`` made ``array`` just now from ``source`` (no one else holds it)."""
    return isinstance(source, (bool, int, float, list, tuple)) or (
        isinstance(source, (np.ndarray, np.generic)) and array is not source and array.base is None
    )


def assign(target: np.ndarray, value: Any, out: np.ndarray, casting: str) -> None:
    np.copyto(out, value, casting=casting)


def write(data: np.ndarray, name: str, ufunc: Callable[..., Any], value: Any) -> None:
    """``data = ufunc(data, value)`` in ``data``'s own memory, made writeable for the write, then frozen again.

    The write is logged against the memory's owner (``note_write``). ``name`` names the caller in errors.
    """
    if any(stride == 0 and n > 1 for stride, n in zip(data.strides, data.shape)):
        raise RuntimeError(
            f"{name}: this tensor's elements share memory (an expanded/broadcast view), so it cannot be "
            "written in place; use .copy_() on a tensor of its own or write it out of place"
        )
    owner = memory_owner(data)
    if owner is None:
        raise RuntimeError(f"{name}: this tensor's memory does not belong to a numpy array, so it cannot be written")
    frozen = [a for a in (owner, data) if not a.flags.writeable]
    try:
        for a in frozen:
            a.setflags(write=True)
    except ValueError:
        for a in frozen:
            a.setflags(write=False)
        raise RuntimeError(
            f"{name}: this tensor's elements share memory (an expanded/broadcast view), so it cannot be "
            "written in place; use .copy_() on a tensor of its own or write it out of place"
        ) from None
    try:
        ufunc(data, value, out=data, casting="same_kind")
    except TypeError as error:  # numpy's UFuncTypeError: e.g. a float result into an int tensor
        raise TypeError(f"{name}: the result cannot be stored in this tensor's dtype {data.dtype} ({error})") from None
    except ValueError:
        raise ValueError(
            f"{name}: an operand of shape {np.shape(value)} cannot be broadcast to this tensor's shape {data.shape} "
            "(an in-place update keeps the tensor's shape)"
        ) from None
    finally:
        for a in reversed(frozen):
            a.setflags(write=False)
        note_write(owner)


def write_in_place(tensor: Any, name: str, ufunc: Callable[..., Any], other: Any, operand: Any = None) -> Any:
    """``tensor = ufunc(tensor, other)`` written into the tensor's own memory, following PyTorch's rules."""
    operand = other if operand is None else operand
    if is_grad_enabled():
        if tensor._requires_grad and tensor._ctx is None:
            raise RuntimeError(
                f"{name}: a leaf tensor that requires grad cannot be updated in place while the graph is recorded "
                "(as in PyTorch); update parameters under `with no_grad():`"
            )
        if tensor._requires_grad or getattr(operand, "_requires_grad", False):
            raise RuntimeError(
                f"{name}: an in-place update of a tensor in a recorded graph is not supported; write it "
                "out of place (y = y + x) or run it under `with no_grad():`"
            )
    value = getattr(other, "_data", other)  # a Tensor's array
    if not isinstance(value, (bool, int, float, np.generic, np.ndarray)):
        if isinstance(value, (list, tuple)):
            value = np.asarray(value)
        else:
            raise TypeError(f"{name}: expected a Tensor, a number or an array, got {type(value).__name__}")
    write(tensor._data, name, ufunc, value)
    return tensor

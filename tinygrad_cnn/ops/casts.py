"""Casts and device moves as ``Tensor`` methods, PyTorch's spellings: ``float()``, ``double()``, ``half()``,
``long()``, ``int()``, ``bool()``, ``to(...)``, ``type_as``, ``cpu()``, ``cuda()`` and ``clone()``.

Float-to-float casts are differentiable (``ops.elementwise.Cast``); a cast to an integer or bool dtype gives data
without a gradient. ``to`` returns the tensor itself when nothing changes, as in PyTorch. The only device is the
CPU (``tinygrad_cnn.devices``).

>>> from tinygrad_cnn import Tensor
>>> x = Tensor([1.5, 2.5])
>>> x.float().dtype, x.long().tolist(), x.to("cpu") is x, x.to(np.float32).dtype
(dtype('float32'), [1, 2], True, dtype('float32'))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..devices import check_device, device
from ..tensor import Tensor
from . import elementwise as _ew

__all__ = ["CAST_METHODS", "clone", "to"]


def _caster(dtype: Any, name: str) -> Any:
    def method(self: Tensor) -> Tensor:
        return self if self.dtype == dtype else self.astype(dtype)

    method.__name__, method.__doc__ = name, f"This tensor as {np.dtype(dtype)} (itself if it already is)."
    return method


def _is_dtype(value: Any) -> bool:
    if isinstance(value, (str, device)) or value is None:
        return False
    try:
        np.dtype(value)
    except TypeError:
        return False
    return True


def to(self: Tensor, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False,
       copy: bool = False) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)`` (other's dtype), as PyTorch's.

    ``device`` must be the CPU; ``non_blocking`` has no effect (there is no transfer); ``copy=True`` gives a copy.
    """
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif _is_dtype(arg):
            dtype = arg
        else:
            check_device(arg, "Tensor.to")
    check_device(device, "Tensor.to")
    out = self if dtype is None or self.dtype == np.dtype(dtype) else self.astype(dtype)
    return clone(out) if copy and out is self else out


def clone(self: Tensor) -> Tensor:
    """A copy of the data that stays in the graph (the gradient flows back to this tensor), as PyTorch's."""
    if self.dtype.kind == "f":
        return _ew.Cast.apply(self, dtype=self.dtype)  # the identity map, a new array: ∂clone/∂x = 1
    return Tensor._make(self.data.copy(), None)


def _cpu(self: Tensor) -> Tensor:
    """This tensor (it is on the CPU already)."""
    return self


def _cuda(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    check_device("cuda", "Tensor.cuda")
    return self  # not reached: check_device raises


def _type_as(self: Tensor, other: Tensor) -> Tensor:
    """This tensor cast to ``other``'s dtype."""
    if not isinstance(other, Tensor):
        raise TypeError(f"type_as: other must be a Tensor, got {type(other).__name__}")
    return to(self, other.dtype)


CAST_METHODS: list[tuple[str, Any]] = [
    ("float", _caster(np.float32, "float")),
    ("double", _caster(np.float64, "double")),
    ("half", _caster(np.float16, "half")),
    ("long", _caster(np.int64, "long")),
    ("int", _caster(np.int32, "int")),
    ("bool", _caster(np.bool_, "bool")),
    ("to", to),
    ("type_as", _type_as),
    ("cpu", _cpu),
    ("cuda", _cuda),
    ("clone", clone),
]

"""The one device, the CPU, under PyTorch's names: ``device``, ``cuda.is_available()``, ``backends.mps``.

``device("cpu")`` is accepted everywhere PyTorch takes a device. A CUDA or MPS device can be named (as in
PyTorch, whose scripts build ``device("cuda" if use_cuda else "cpu")``), but moving anything to it raises
:class:`DeviceError`, which says what to do. ``cuda.is_available()`` and its kin report no accelerator.

>>> import tinygrad_cnn as torch
>>> torch.device("cpu"), torch.cuda.is_available()
(device(type='cpu'), False)
"""

from __future__ import annotations

import types
from typing import Any

__all__ = ["DeviceError", "accelerator", "backends", "check_device", "cuda", "device"]


class DeviceError(RuntimeError):
    """Raised when something is moved to a device other than the CPU (there is no GPU engine)."""


_KNOWN = ("cpu", "cuda", "mps", "xpu", "meta")


class device:  # PyTorch's spelling
    """A device name, as ``torch.device``: ``device("cpu")``, ``device("cuda", 0)`` or ``device("cuda:0")``.

    Only the CPU can hold tensors; naming another device is allowed, using it raises :class:`DeviceError`.
    """

    __slots__ = ("index", "type")

    def __init__(self, type: Any, index: Any = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device: type must be a string such as 'cpu', got {type!r}")
        name, _, number = type.partition(":")
        if name not in _KNOWN:
            raise ValueError(f"device: expected one of {', '.join(_KNOWN)} (optionally ':index'), got {type!r}")
        if number:
            if index is not None or not number.isdigit():
                raise ValueError(f"device: invalid device string {type!r}")
            index = int(number)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"device: index must be a non-negative int, got {index!r}")
        self.type, self.index = name, index

    def __repr__(self) -> str:
        return f"device(type={self.type!r}" + (f", index={self.index})" if self.index is not None else ")")

    def __str__(self) -> str:
        return self.type + (f":{self.index}" if self.index is not None else "")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def check_device(value: Any, where: str) -> None:
    """Accept the CPU (a ``device``, ``"cpu"``, or None); raise :class:`DeviceError` for any other device."""
    if value is None:
        return
    chosen = value if isinstance(value, device) else device(value) if isinstance(value, str) else None
    if chosen is None:
        raise TypeError(f"{where}: device must be a string such as 'cpu' or a tinygrad_cnn.device, got {value!r}")
    if chosen.type != "cpu":
        raise DeviceError(
            f"{where}: device {str(chosen)!r} is not available: tinygrad_cnn runs on the CPU with numpy (no CUDA, "
            "MPS or other accelerator). Use device('cpu'), or pick it as PyTorch scripts do: "
            "device('cuda' if cuda.is_available() else 'cpu'), which gives the CPU here."
        )


def _false() -> bool:
    return False


def _zero() -> int:
    return 0


def _no_cuda(*_: Any, **__: Any) -> None:
    raise DeviceError("cuda: CUDA is not available: tinygrad_cnn runs on the CPU with numpy; "
                      "guard GPU code with cuda.is_available(), which is False")


# ``cuda.is_available()`` and friends, as PyTorch scripts call them; accelerators report none.
cuda = types.SimpleNamespace(is_available=_false, device_count=_zero, manual_seed=lambda seed: None,
                             manual_seed_all=lambda seed: None, set_device=_no_cuda, synchronize=_no_cuda)
backends = types.SimpleNamespace(mps=types.SimpleNamespace(is_available=_false, is_built=_false),
                                 cudnn=types.SimpleNamespace(deterministic=True, benchmark=False))
accelerator = types.SimpleNamespace(is_available=_false, device_count=_zero)

"""Importing the peers, for the case modules (private: not a case module)."""

from __future__ import annotations

from types import ModuleType

from benchmarks.harness import PeerUnavailable


def torch() -> ModuleType:
    """PyTorch, or PeerUnavailable. Its thread count is set by the harness (the same as numpy's BLAS)."""
    try:
        import torch
    except ImportError:
        raise PeerUnavailable("the CPU build of PyTorch (see benchmarks/README.md)") from None
    return torch


def mygrad() -> ModuleType:
    try:
        import mygrad
        import mygrad.nnet  # noqa: F401
    except ImportError:
        raise PeerUnavailable("pip install mygrad") from None
    return mygrad

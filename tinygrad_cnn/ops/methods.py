"""The ops as ``Tensor`` methods: ``x.exp()``, ``x.sum(dim=1)``, ``x.unsqueeze(0)``, ``x[1:]``, ``x.T``.

``tensor.py`` imports this module once ``Tensor`` exists (the one documented exception to "imports only go
down", see tests/test_imports.py); importing it attaches every entry of :data:`OP_METHODS` to ``Tensor``.
A new op adds one line there.

>>> from tinygrad_cnn import Tensor
>>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0)
Tensor([4., 6.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor, _lift
from . import activation as _activation
from . import casts as _casts
from . import composites as _composites
from . import elementwise as _ew
from . import movement as _movement
from . import reduce as _reduce
from . import scan as _scan
from . import selection as _selection
from . import shape as _shape
from . import statistics as _statistics


def _unary(function: type) -> Callable[[Tensor], Tensor]:
    def method(self: Tensor) -> Tensor:
        return function.apply(self)

    method.__name__, method.__doc__ = function.__name__.lower(), f"Elementwise ``ops.elementwise.{function.__name__}``."
    return method


def _binary(function: type, doc: str) -> Callable[[Tensor, Any], Tensor]:
    def method(self: Tensor, other: Any) -> Tensor:
        return function.apply(self, _lift(other, self))

    method.__name__, method.__doc__ = function.__name__.lower(), doc
    return method


def _arg_extreme(name: str) -> Callable[..., Tensor]:
    def method(self: Tensor, axis: Any = _reduce._UNSET, keepdims: Any = _reduce._UNSET, *, dim: Any = _reduce._UNSET,
               keepdim: Any = _reduce._UNSET) -> Tensor:
        chosen = _reduce.pick_axis(axis, dim, name)
        keep = _reduce.pick_keepdims(keepdims, keepdim, name)
        if chosen is not None:
            chosen = _reduce.normalize_axis(chosen, self.ndim, name)
        function = np.argmax if name == "argmax" else np.argmin
        return Tensor._make(np.asarray(function(self._data, axis=chosen, keepdims=keep)), None)

    method.__name__ = name
    method.__doc__ = f"Indices of the {name[3:]}ima (int64 data, no gradient); ``axis`` or ``dim``."
    return method


def _clamp(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """``clip`` under PyTorch's name: ``min ≤ x ≤ max`` elementwise, gradient 1 on the closed interval."""
    return _ew.Clip.apply(self, min=min, max=max)


def _where_method(self: Tensor, condition: Any, other: Any) -> Tensor:
    """``self`` where ``condition``, else ``other`` (PyTorch's ``Tensor.where``)."""
    return _activation.where(condition, self, other)


def _size(self: Tensor, dim: Any = None) -> Any:
    """The shape (``size()``, a tuple) or the length of axis ``dim`` (``size(1)``), as PyTorch's ``size``.

    It is a method, as in PyTorch; numpy's element count is ``numel()``.
    """
    if dim is None:
        return self.shape
    return self.shape[_reduce.normalize_axis(dim, self.ndim, "size", "dim")]


def _numel(self: Tensor) -> int:
    """The number of elements (numpy's ``a.size``)."""
    return int(self.data.size)


def _dim(self: Tensor) -> int:
    """The number of axes (``ndim``)."""
    return self.ndim


def _view_as(self: Tensor, other: Tensor) -> Tensor:
    """``view(other.shape)``."""
    if not isinstance(other, Tensor):
        raise TypeError(f"view_as: other must be a Tensor, got {type(other).__name__}")
    return _shape.view(self, *other.shape)


def _eq(self: Tensor, other: Any) -> Tensor:
    """Elementwise ``==`` (bool data, no gradient), PyTorch's ``eq``."""
    return self == other


def _ne(self: Tensor, other: Any) -> Tensor:
    """Elementwise ``!=`` (bool data, no gradient), PyTorch's ``ne``."""
    return self != other


def _t(self: Tensor) -> Tensor:
    """The transpose of a tensor of at most 2 axes (PyTorch's ``t``; ``.T``/``transpose`` for more)."""
    if self.ndim > 2:
        raise ValueError(f"t(): expects a tensor with at most 2 dimensions, got shape {self.shape}; use "
                         "transpose(dim0, dim1) or permute")
    return _movement.transpose(self) if self.ndim == 2 else self


def _pow(self: Tensor, exponent: Any) -> Tensor:
    """``self ** exponent``."""
    return self ** exponent


def _truth(name: str) -> Callable[..., Tensor]:
    def method(self: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
        axes = _reduce.normalize_axes(dim, self.ndim, name)
        function = np.all if name == "all" else np.any
        return Tensor._make(np.asarray(function(self.data.astype(bool), axis=axes,
                                                keepdims=_reduce.pick_keepdims(_reduce._UNSET, keepdim, name))), None)

    method.__name__ = name
    method.__doc__ = f"Whether {'every' if name == 'all' else 'any'} element is nonzero over ``dim`` (bool data)."
    return method


OP_METHODS: list[tuple[str, Callable[..., Any]]] = [
    # elementwise
    ("exp", _unary(_ew.Exp)),
    ("log", _unary(_ew.Log)),
    ("sqrt", _unary(_ew.Sqrt)),
    ("abs", _unary(_ew.Abs)),
    ("sigmoid", _unary(_ew.Sigmoid)),
    ("relu", _unary(_ew.Relu)),
    ("tanh", _unary(_ew.Tanh)),
    ("maximum", _binary(_ew.Maximum, "Elementwise maximum with broadcasting; a tie splits the gradient evenly.")),
    ("minimum", _binary(_ew.Minimum, "Elementwise minimum with broadcasting; a tie splits the gradient evenly.")),
    ("clip", _clamp),
    ("clamp", _clamp),
    ("leaky_relu", _activation.leaky_relu),
    ("gelu", _activation.gelu),
    ("where", _where_method),
    # reductions
    ("sum", _reduce.sum),
    ("mean", _reduce.mean),
    ("max", _reduce.max),
    ("min", _reduce.min),
    ("amax", _reduce.amax),
    ("amin", _reduce.amin),
    ("argmax", _arg_extreme("argmax")),
    ("argmin", _arg_extreme("argmin")),
    ("softmax", _reduce.softmax),
    ("log_softmax", _reduce.log_softmax),
    # movement
    ("reshape", _movement.reshape),
    ("transpose", _movement.transpose),
    ("permute", _movement.permute),
    ("flatten", _movement.flatten),
    ("__getitem__", _movement.getitem),
    ("__setitem__", _movement.setitem),
    ("pad", _movement.pad),
    ("unsqueeze", _shape.unsqueeze),
    ("squeeze", _shape.squeeze),
    ("view", _shape.view),
    ("expand", _shape.expand),
    # PyTorch's queries and conveniences (issue 20)
    ("size", _size),
    ("numel", _numel),
    ("dim", _dim),
    ("view_as", _view_as),
    ("eq", _eq),
    ("ne", _ne),
    ("t", _t),
    ("pow", _pow),
    ("all", _truth("all")),
    ("any", _truth("any")),
    ("var", _statistics.var),
    ("std", _statistics.std),
    ("norm", _statistics.norm),
    *_casts.CAST_METHODS,
    # everyday PyTorch idioms (ops/selection.py, ops/scan.py, ops/composites.py)
    *[(name, getattr(_selection, name)) for name in _selection.__all__],
    *[(name, getattr(_scan, name)) for name in _scan.__all__],
    *[(name, getattr(_composites, name)) for name in _composites.__all__],
    ("matmul", _composites.matmul),
]
for _name, _method in OP_METHODS:
    setattr(Tensor, _name, _method)
Tensor.T = property(lambda self: self.transpose(), doc="The transpose (all axes reversed).")  # type: ignore[attr-defined]

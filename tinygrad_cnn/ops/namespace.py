"""How to write a differentiable rule: one backward, run on numpy arrays and on Tensors.

A backward rule receives the incoming gradient ``grad`` and reads ``ctx.saved_tensors``. At first order
(``backward()``, the speed path) they are numpy arrays and nothing is recorded. Under ``create_graph=True``
the same rule runs with ``grad`` a Tensor and the saved values the graph's Tensors (an input's array is that
input, the output's array the output, see ``Context._lifted``), so the gradient it returns is itself recorded
and can be differentiated again. For one text to serve both, a rule uses

* operators (``+ - * / ** @``, comparisons, indexing with ``None``/slices, ``.reshape``, ``.sum``,
  ``.astype``), which numpy arrays and Tensors share, and
* the numpy names below through ``xp = namespace(grad)``: ``numpy`` itself for arrays, :data:`TENSOR_NAMESPACE`
  (the same names as Tensor ops) for Tensors.

Masks and indices a rule computes are constants of the second-order graph (a comparison of Tensors gives a
bool Tensor with no gradient); arrays saved in forward that are neither an input nor the output must be
marked with ``ctx.save_constant`` (e.g. a dropout mask), else the walk refuses them. The Function then sets
``differentiable_backward = True``.

>>> import numpy as np
>>> from tinygrad_cnn import Function, Tensor, autograd
>>> class Cube(Function):
...     differentiable_backward = True
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, grad):
...         (x,) = ctx.saved_tensors
...         return grad * 3 * x ** 2            # d(x³)/dx = 3x², on arrays or on Tensors
>>> x = Tensor([2.0], requires_grad=True)
>>> (g,) = autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
>>> autograd.grad(g.sum(), x)                   # d(3x²)/dx = 6x = 12
(Tensor([12.]),)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


def namespace(*values: Any) -> Any:
    """``numpy`` for arrays, :data:`TENSOR_NAMESPACE` when any of ``values`` is a Tensor."""
    for value in values:
        if isinstance(value, Tensor):
            return TENSOR_NAMESPACE
    return np


def as_array(value: Any) -> Any:
    """The array of a Tensor (a mask or index computed from the graph's values, constant at second order),
    anything else as it is."""
    return value._data if isinstance(value, Tensor) else value


def _constant(mask: Any) -> Tensor:
    return Tensor._make(np.asarray(mask._data if isinstance(mask, Tensor) else mask), None)


class _TensorNamespace:
    """numpy's names, as differentiable Tensor ops (only those the backward rules use)."""

    newaxis = None

    @staticmethod
    def where(condition: Any, a: Any, b: Any) -> Tensor:
        from .activation import where

        return where(_constant(condition), a, b)

    @staticmethod
    def isfinite(a: Any) -> Tensor:  # a mask: no gradient
        return _constant(np.isfinite(a._data if isinstance(a, Tensor) else a))

    @staticmethod
    def isnan(a: Any) -> Tensor:
        return _constant(np.isnan(a._data if isinstance(a, Tensor) else a))

    @staticmethod
    def sign(a: Any) -> Tensor:  # piecewise constant: its derivative is 0 almost everywhere
        return _constant(np.sign(a._data if isinstance(a, Tensor) else a))

    @staticmethod
    def exp(a: Any) -> Any:
        return a.exp() if isinstance(a, Tensor) else np.exp(a)

    @staticmethod
    def abs(a: Any) -> Any:
        return a.abs() if isinstance(a, Tensor) else np.abs(a)

    @staticmethod
    def tanh(a: Any) -> Any:
        return a.tanh() if isinstance(a, Tensor) else np.tanh(a)

    @staticmethod
    def log(a: Any) -> Any:
        return a.log() if isinstance(a, Tensor) else np.log(a)

    @staticmethod
    def sqrt(a: Any) -> Any:
        return a.sqrt() if isinstance(a, Tensor) else np.sqrt(a)

    @staticmethod
    def power(a: Any, b: Any) -> Tensor:
        return a ** b if isinstance(a, Tensor) else Tensor._make(np.asarray(a), None) ** b

    @staticmethod
    def matmul(a: Tensor, b: Tensor) -> Tensor:
        return a @ b

    @staticmethod
    def swapaxes(a: Tensor, axis1: int, axis2: int) -> Tensor:
        axes = list(range(a.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return a.permute(*axes)

    @staticmethod
    def transpose(a: Tensor, axes: Any) -> Tensor:
        return a.permute(*[int(i) for i in axes])

    @staticmethod
    def sum(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
        return a.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def broadcast_to(a: Tensor, shape: tuple[int, ...]) -> Tensor:
        return a.expand(*shape)

    @staticmethod
    def zeros(shape: tuple[int, ...], dtype: Any) -> Tensor:
        return Tensor._make(np.zeros(shape, dtype), None)


TENSOR_NAMESPACE = _TensorNamespace()

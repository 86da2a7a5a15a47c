"""Shape ops PyTorch users reach for: ``unsqueeze``, ``squeeze``, ``view`` and ``expand``.

``unsqueeze``/``squeeze``/``view`` only relabel the axes of the same elements, so their backward reshapes
the gradient back. ``expand`` repeats an axis of length 1 (or adds leading axes) without copying, so an
input element is read once per copy and its gradient is the sum over the copies (``unbroadcast``).

>>> from tinygrad_cnn import Tensor
>>> b = Tensor([1.0, 2.0], requires_grad=True)
>>> b.unsqueeze(0).expand(3, 2).sum().backward()
>>> b.grad
array([3., 3.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import is_int
from ..function import Context, Function, unbroadcast
from ..tensor import Tensor
from .movement import Reshape, _resolve_shape, _varargs
from .reduce import _UNSET, normalize_axis, pick_axis

__all__ = ["expand", "squeeze", "unsqueeze", "view"]


def unsqueeze(t: Tensor, axis: int = _UNSET, *, dim: int = _UNSET) -> Tensor:
    """Insert an axis of length 1 at ``axis`` (``dim``), in ``[-ndim-1, ndim]`` as ``torch.unsqueeze``.

    >>> Tensor([1.0, 2.0]).unsqueeze(-1).shape
    (2, 1)
    """
    chosen = pick_axis(axis, dim, "unsqueeze", default=_UNSET)
    if chosen is _UNSET:
        raise TypeError("unsqueeze: the axis (dim) where the new axis goes is required")
    position = normalize_axis(chosen, t.ndim + 1, "unsqueeze", "dim")
    return Reshape.apply(t, t.shape[:position] + (1,) + t.shape[position:])


def squeeze(t: Tensor, axis: Any = _UNSET, *, dim: Any = _UNSET) -> Tensor:
    """Drop axes of length 1: all of them, or those of ``axis`` (an int or a tuple) that have length 1.

    As in PyTorch, a named axis whose length is not 1 is left alone (no error).

    >>> Tensor(np.zeros((1, 3, 1))).squeeze().shape, Tensor(np.zeros((1, 3, 1))).squeeze(dim=0).shape
    ((3,), (3, 1))
    >>> Tensor(np.zeros((2, 3))).squeeze(0).shape
    (2, 3)
    """
    chosen = pick_axis(axis, dim, "squeeze")
    if chosen is None:
        drop = {i for i, n in enumerate(t.shape) if n == 1}
    else:
        entries = chosen if isinstance(chosen, (tuple, list)) else (chosen,)
        if t.ndim == 0:  # PyTorch accepts dim 0 / -1 on a 0-d tensor and returns it unchanged
            for entry in entries:
                normalize_axis(entry, 1, "squeeze", "dim")
            return Reshape.apply(t, ())
        axes = [normalize_axis(entry, t.ndim, "squeeze", "dim") for entry in entries]
        drop = {i for i in axes if t.shape[i] == 1}
    return Reshape.apply(t, tuple(n for i, n in enumerate(t.shape) if i not in drop))


def view(t: Tensor, *shape: Any) -> Tensor:
    """``reshape`` under PyTorch's name (numpy arrays need no contiguity check; the data is not copied when
    numpy can avoid it).

    >>> Tensor([1.0, 2.0, 3.0, 4.0]).view(2, 2).shape
    (2, 2)
    """
    return Reshape.apply(t, _resolve_shape(_varargs(shape), t.shape, "view"))


class Expand(Function):
    differentiable_backward = True  # the rule runs on arrays and on Tensors (ops/namespace.py)

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        ctx.in_shape = a.shape
        return np.broadcast_to(a, shape)  # a read-only view: each copy reads the same element

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        # an element read k times (once per copy) gets the sum of its k gradients
        return unbroadcast(grad, ctx.in_shape), None


def expand(t: Tensor, *sizes: Any) -> Tensor:
    """Repeat axes of length 1 to ``sizes`` without copying (``-1`` keeps an axis; new axes go in front).

    >>> Tensor([[1.0], [2.0]]).expand(2, 3)
    Tensor([[1., 1., 1.],
            [2., 2., 2.]])
    >>> Tensor([1.0, 2.0]).expand(2, -1).shape
    (2, 2)
    """
    sizes = _varargs(sizes)
    for n in sizes:
        if not is_int(n):
            raise TypeError(f"expand: sizes must be ints, got {sizes!r} containing {type(n).__name__} {n!r}")
    if len(sizes) < t.ndim:
        raise ValueError(
            f"expand: sizes {sizes!r} give {len(sizes)} axes, fewer than the tensor's {t.ndim} (shape {t.shape})"
        )
    lead = len(sizes) - t.ndim
    target = []
    for i, n in enumerate(sizes):
        old = t.shape[i - lead] if i >= lead else None
        if n == -1:
            if old is None:
                raise ValueError(f"expand: -1 is not allowed for a new leading axis, got sizes {sizes!r}")
            n = old
        if n < 0 or (old is not None and old != 1 and old != n):
            raise ValueError(
                f"expand: cannot expand shape {t.shape} to {sizes!r}: axis {i} has length {old}, and only "
                "axes of length 1 can be expanded (to a non-negative size)"
            )
        target.append(int(n))
    return Expand.apply(t, tuple(target))

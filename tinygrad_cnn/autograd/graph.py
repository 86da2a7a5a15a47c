"""Gradients of gradients: the backward walk that records its own graph (``create_graph=True``).

The walk is the chain rule of ``autograd/__init__.py`` run on Tensors instead of arrays: each pending
gradient is a Tensor, grad mode stays on, and each node's ``Function.backward`` is the same rule text that
first order runs on numpy arrays (``ops/namespace.py`` says how a rule is written so). The gradient it
returns is therefore a function of the inputs, recorded like any other, and can be differentiated again,
to any order. A Function whose backward is plain numpy gives its first-order gradient wrapped in
``OnceDifferentiable``, which raises, naming the Function, if anything differentiates through it.

>>> from tinygrad_cnn import Tensor, autograd
>>> x = Tensor(3.0, requires_grad=True)
>>> (dy,) = autograd.grad(x * x * x, x, create_graph=True)   # 3x² = 27
>>> (d2y,) = autograd.grad(dy, x)                           # 6x = 18
>>> float(dy.item()), float(d2y.item())
(27.0, 18.0)
"""

from __future__ import annotations

from collections.abc import Sequence  # noqa: TC003
from typing import TYPE_CHECKING, Any

import numpy as np

from ..function import Context, OnceDifferentiable, _freed_message
from ..grad_mode import _state

if TYPE_CHECKING:
    from ..tensor import Tensor


def run_backward_graph(
    roots: Sequence[Tensor], seeds: Sequence[Tensor], retain_graph: bool, capture: dict[int, Any] | None
) -> None:
    """The chain rule on Tensors. ``capture`` (autograd.grad): collect the gradients of these ids instead of
    accumulating into ``.grad``."""
    from . import topological_order

    order = topological_order(roots)
    pending: dict[int, Tensor] = {}
    for root, seed in zip(roots, seeds):
        key = id(root)
        pending[key] = pending[key] + seed if key in pending else seed
    enabled, _state.enabled = _state.enabled, True
    try:
        for node in order:
            grad = pending.pop(id(node), None)
            if grad is None:
                continue
            if node._hooks:
                grad = _graph_hooks(node, grad)
            if capture is not None and id(node) in capture:
                capture[id(node)] = grad
            ctx = node._ctx
            if ctx is None:
                if capture is None:
                    accumulate_graph(node, grad)
                continue
            if node._retains_grad and capture is None:
                accumulate_graph(node, grad)
            _send(node, ctx, grad, pending)
            if not retain_graph:
                ctx.free()
    finally:
        _state.enabled = enabled


def _send(node: Tensor, ctx: Context, grad: Tensor, pending: dict[int, Tensor]) -> None:
    """One node's backward on Tensors: its rule (differentiable) or its numpy rule wrapped as once-differentiable."""
    from ..tensor import Tensor
    from . import _as_tuple

    if ctx.freed:
        raise RuntimeError(_freed_message(ctx.function))
    function = ctx.function
    if function.differentiable_backward:
        ctx._lift = node
        try:
            grads = _as_tuple(function.backward(ctx, grad), ctx)
        finally:
            ctx._lift = None
    else:
        inputs = tuple(p for p in ctx.parents if p is not None and p._requires_grad)
        with np.errstate(all="ignore"):
            first_order = _as_tuple(function.backward(ctx, grad._data), ctx)
        grads = tuple(
            None if g is None else OnceDifferentiable.apply(grad, *inputs, value=np.array(g), name=function.__name__)
            for g in first_order
        )
    for parent, parent_grad in zip(ctx.parents, grads):
        if parent is None or parent_grad is None or not parent._requires_grad:
            continue
        if not isinstance(parent_grad, Tensor):  # a rule may return a constant array (e.g. zeros)
            parent_grad = Tensor._make(np.array(parent_grad, dtype=parent._data.dtype), None)
        elif parent_grad.dtype != parent._data.dtype:
            parent_grad = parent_grad.astype(parent._data.dtype)
        if parent_grad.shape != parent._data.shape:
            raise RuntimeError(
                f"{function.__name__}.backward returned a gradient of shape {parent_grad.shape} "
                f"for an input of shape {parent._data.shape}"
            )
        key = id(parent)
        pending[key] = pending[key] + parent_grad if key in pending else parent_grad


def _graph_hooks(node: Tensor, grad: Tensor) -> Tensor:
    """Hooks under create_graph see the gradient as a Tensor (as in PyTorch) and may replace it."""
    from ..tensor import Tensor

    for hook in list(node._hooks):
        replaced = hook(grad)
        if replaced is None:
            continue
        if not isinstance(replaced, Tensor):
            replaced = Tensor._make(np.array(replaced, dtype=grad.dtype), None)
        if replaced.shape != grad.shape:
            raise ValueError(f"hook {hook!r} returned a gradient of shape {replaced.shape}, expected {grad.shape}")
        grad = replaced
    return grad


def accumulate_graph(tensor: Tensor, grad: Tensor) -> None:
    """``tensor.grad`` becomes a Tensor that is part of the graph (PyTorch's create_graph idiom); a gradient
    already there (an array from an earlier backward) is added as a constant."""
    from ..tensor import Tensor

    if tensor._grad is None:
        tensor._grad = grad
    else:
        previous = tensor._grad if isinstance(tensor._grad, Tensor) else Tensor._make(np.array(tensor._grad), None)
        tensor._grad = previous + grad

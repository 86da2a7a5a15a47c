"""``autograd.grad``: the gradients of outputs with respect to chosen inputs, returned rather than accumulated.

PyTorch's ``torch.autograd.grad`` signature and rules: ``outputs`` and ``inputs`` are a Tensor or a sequence
of them; ``grad_outputs`` may be omitted for one-element outputs; nothing is accumulated into any ``.grad``;
``retain_graph`` defaults to ``create_graph``; an input the outputs do not depend on is an error unless
``allow_unused=True`` (then its gradient is None). With ``create_graph=True`` the returned gradients are
part of the graph and can be differentiated again.

>>> from tinygrad_cnn import Tensor, autograd
>>> x = Tensor([1.0, 2.0], requires_grad=True)
>>> (g,) = autograd.grad((x ** 3).sum(), x, create_graph=True)     # 3x²
>>> g
Tensor([ 3., 12.], grad_fn=Mul)
>>> autograd.grad(g.sum(), x)                                      # 6x
(Tensor([ 6., 12.]),)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import _as_tuple, run_hooks, topological_order
from .graph import run_backward_graph


def _tensors(value: Any, name: str) -> list[Tensor]:
    items = [value] if isinstance(value, Tensor) else value
    if not isinstance(items, (list, tuple)) or not items:
        raise TypeError(f"autograd.grad: {name} must be a Tensor or a non-empty sequence of Tensors, got {value!r}")
    for index, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise TypeError(f"autograd.grad: {name}[{index}] must be a Tensor, got {type(item).__name__}")
    return list(items)


def _seeds(outputs: list[Tensor], grad_outputs: Any, create_graph: bool) -> list[Any]:
    given = [None] * len(outputs) if grad_outputs is None else grad_outputs
    if isinstance(given, (Tensor, np.ndarray)):
        given = [given]
    if not isinstance(given, (list, tuple)) or len(given) != len(outputs):
        raise ValueError(
            f"autograd.grad: grad_outputs must give one gradient per output ({len(outputs)}), got {grad_outputs!r}"
        )
    seeds = []
    for index, (out, seed) in enumerate(zip(outputs, given)):
        if seed is None:
            if out._data.size != 1:
                raise ValueError(
                    f"autograd.grad: grad can be implicitly created only for one-element outputs; outputs[{index}] "
                    f"has shape {out.shape}: give grad_outputs[{index}]"
                )
            seed = np.ones_like(out._data)
        if isinstance(seed, Tensor):
            seed = seed if create_graph else seed._data
        else:
            seed = np.asarray(seed, dtype=out._data.dtype)
        if seed.shape != out._data.shape:
            raise ValueError(
                f"autograd.grad: grad_outputs[{index}] has shape {seed.shape}, expected outputs[{index}]'s "
                f"shape {out.shape}"
            )
        if create_graph and not isinstance(seed, Tensor):
            seed = Tensor._make(np.array(seed), None)
        seeds.append(seed)
    return seeds


def grad(
    outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor], grad_outputs: Any = None,
    retain_graph: bool | None = None, create_graph: bool = False, allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """The sum over ``outputs`` of ∂output/∂input (each weighted by its ``grad_outputs``), one per input."""
    outputs, inputs = _tensors(outputs, "outputs"), _tensors(inputs, "inputs")
    for name, flag in (("create_graph", create_graph), ("allow_unused", allow_unused)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"autograd.grad: {name} must be True or False, got {flag!r}")
    retain = bool(create_graph) if retain_graph is None else retain_graph
    if not isinstance(retain, (bool, np.bool_)):
        raise TypeError(f"autograd.grad: retain_graph must be True, False or None, got {retain_graph!r}")
    for index, out in enumerate(outputs):
        if not out._requires_grad:
            raise RuntimeError(f"autograd.grad: outputs[{index}] does not require grad and has no graph")
    for index, x in enumerate(inputs):
        if not x._requires_grad:
            raise RuntimeError(f"autograd.grad: inputs[{index}] does not require grad")
    seeds = _seeds(outputs, grad_outputs, bool(create_graph))
    capture: dict[int, Any] = {id(x): None for x in inputs}
    with np.errstate(all="ignore"):
        if create_graph:
            run_backward_graph(outputs, seeds, bool(retain), capture)
        else:
            _run_capture(outputs, seeds, bool(retain), capture)
    results: list[Tensor | None] = []
    for index, x in enumerate(inputs):
        g = capture[id(x)]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"autograd.grad: inputs[{index}] (shape {x.shape}) was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
            results.append(None)
        else:
            results.append(g if isinstance(g, Tensor) else Tensor._make(np.array(g, dtype=x._data.dtype), None))
    return tuple(results)


def _run_capture(roots: list[Tensor], seeds: list[np.ndarray], retain_graph: bool, capture: dict[int, Any]) -> None:
    """First-order walk that collects the gradients of ``capture``'s tensors and touches no ``.grad``."""
    order = topological_order(roots)
    pending: dict[int, np.ndarray] = {}
    for root, seed in zip(roots, seeds):
        key = id(root)
        pending[key] = pending[key] + seed if key in pending else seed
    for node in order:
        g = pending.pop(id(node), None)
        if g is None:
            continue
        if node._hooks:
            g = run_hooks(node, g)
        if id(node) in capture:
            capture[id(node)] = g
        ctx = node._ctx
        if ctx is None:
            continue
        grads = _as_tuple(ctx.function.backward(ctx, g), ctx)
        for parent, parent_grad in zip(ctx.parents, grads):
            if parent is None or parent_grad is None or not parent._requires_grad:
                continue
            parent_grad = np.asarray(parent_grad).astype(parent._data.dtype, copy=False)
            key = id(parent)
            pending[key] = pending[key] + parent_grad if key in pending else parent_grad
        if not retain_graph:
            ctx.free()

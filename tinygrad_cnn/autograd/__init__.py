"""The backward pass: walk the recorded graph from an output back to the leaves (the chain rule).

``Tensor.backward`` calls :func:`backward`, which checks the seed and calls :func:`run_backward`.
The walk, in four steps:

1. **Order** (:func:`topological_order`): every tensor the output depends on, each placed after all the
   tensors computed from it, so that a node's gradient is complete (every path summed) before it is
   passed on.
2. **Hooks**: a node's hooks see its complete gradient (a private copy: a hook may edit it in place
   without touching a sibling's gradient) and may replace it.
3. **Chain rule**: the node's ``Function.backward`` turns the gradient of its output into one gradient
   per input; each is added to that input's pending gradient.
4. **Leaves and retained gradients** accumulate into ``.grad`` (under a lock, so two threads running
   backward through graphs that share a leaf add exactly); the saved values of each node are freed
   once used, unless ``retain_graph=True``.

>>> from tinygrad_cnn import Tensor
>>> x = Tensor(2.0, requires_grad=True)
>>> y = x * x + x          # dy/dx = 2x + 1 = 5
>>> y.backward()
>>> x.grad
array(5.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..function import Context, _freed_message
from ..grad_mode import _state

if TYPE_CHECKING:
    from ..tensor import Tensor

Hook = Callable[[np.ndarray], Any]

_LEAF_LOCK = threading.Lock()  # one lock for every accumulation into .grad (rare and cheap: once per leaf)


def topological_order(root: Tensor | Sequence[Tensor]) -> list[Tensor]:
    """Every tensor that ``root`` (one or several) depends on through the recorded graph, each after all its
    consumers.

    Iterative depth-first search (no recursion limit: a chain of 100,000 ops is fine).
    """
    post_order: list[Tensor] = []
    expanded: set[int] = set()  # nodes whose inputs were pushed
    placed: set[int] = set()  # nodes already in post_order
    stack: list[Tensor] = list(reversed(root)) if isinstance(root, (list, tuple)) else [root]
    while stack:
        node = stack[-1]
        key = id(node)
        if key in placed:  # pushed by a second consumer, already placed through the first
            stack.pop()
        elif key in expanded:  # back on top: every input of node is placed
            stack.pop()
            placed.add(key)
            post_order.append(node)
        else:
            expanded.add(key)
            if node._ctx is not None:
                for parent in node._ctx.parents:
                    if parent is not None and parent._requires_grad and id(parent) not in expanded:
                        stack.append(parent)
    post_order.reverse()
    return post_order


def backward(root: Tensor, seed: np.ndarray | Tensor | None, retain_graph: bool | None,
             create_graph: bool = False) -> None:
    """``root.backward(seed)``: check the seed (None means 1 for a one-element ``root``), then walk.

    ``create_graph=True`` records the backward walk itself (``autograd/graph.py``), so that the leaves'
    ``.grad`` are Tensors that can be differentiated again; ``retain_graph`` then defaults to True."""
    if not isinstance(create_graph, (bool, np.bool_)):
        raise TypeError(f"backward(): create_graph must be True or False, got {create_graph!r}")
    if retain_graph is None:
        retain_graph = bool(create_graph)
    if not isinstance(retain_graph, (bool, np.bool_)):
        raise TypeError(f"backward(): retain_graph must be True or False, got {retain_graph!r}")
    if not root._requires_grad:
        raise ValueError(
            "backward(): this tensor does not require grad and has no graph; create the inputs with "
            "requires_grad=True (and not under no_grad())"
        )
    if seed is None:
        if root._data.size != 1:
            raise ValueError(
                f"backward(): grad can be omitted only for a one-element output, this one has shape "
                f"{root.shape}; pass grad= an array of shape {root.shape}"
            )
        seed = np.ones_like(root._data)
    elif seed.shape != root._data.shape:
        raise ValueError(f"backward(): grad has shape {seed.shape}, expected the output's shape {root.shape}")
    if create_graph:
        from ..tensor import Tensor
        from .graph import run_backward_graph

        seed = seed if isinstance(seed, Tensor) else Tensor._make(np.array(seed), None)
        with np.errstate(all="ignore"):
            run_backward_graph([root], [seed], bool(retain_graph), None)
        return
    if not isinstance(seed, np.ndarray):
        seed = seed._data
    with np.errstate(all="ignore"):  # IEEE arithmetic (inf·0 = NaN, inf − inf) stays silent, as in PyTorch:
        run_backward(root, seed, retain_graph)  # one state for the whole walk, no RuntimeWarning leaks out


class HookHandle:
    """What ``register_hook`` returns: ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list[Hook], hook: Hook) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def run_backward(root: Tensor, seed: np.ndarray, retain_graph: bool) -> None:
    """Chain rule over the graph: each node's gradient is complete before it is passed to its inputs."""
    order = topological_order(root)
    pending: dict[int, np.ndarray] = {id(root): seed}
    del seed
    for node in order:
        grad = pending.pop(id(node), None)
        if grad is None:  # no path from root reaches this node's gradient (e.g. an unused output)
            continue
        if node._hooks:
            grad = run_hooks(node, grad)
        ctx = node._ctx
        if ctx is None:  # a leaf
            accumulate(node, grad)
            continue
        if node._retains_grad:
            accumulate(node, grad)
        send_to_inputs(ctx, grad, pending)
        if not retain_graph:
            ctx.free()


def accumulate(tensor: Tensor, grad: np.ndarray) -> None:
    """Add ``grad`` into ``tensor.grad``: a private copy the first time, a new sum afterwards.

    The copy makes ``.grad`` the caller's own array: it never aliases another leaf's gradient (``Add``
    hands one array to both inputs), the caller's seed, a hook's result or a saved array.
    """
    with _LEAF_LOCK:
        if tensor._grad is None:
            tensor._grad = np.array(grad, dtype=tensor._data.dtype, copy=True)
        else:
            tensor._grad = tensor._grad + grad.astype(tensor._data.dtype, copy=False)


def run_hooks(node: Tensor, grad: np.ndarray) -> np.ndarray:
    """Pass the gradient through ``node``'s hooks in registration order.

    Each hook gets the current gradient (a private copy: editing it in place changes this tensor's
    gradient only) and may return a replacement: an array or a Tensor of the same shape and dtype.
    Hooks run with grad mode off, as in PyTorch.
    """
    grad = np.array(grad, copy=True)
    for hook in list(node._hooks):
        enabled, _state.enabled = _state.enabled, False  # as PyTorch: a hook's tensor ops record no graph
        try:
            replaced = hook(grad)
        finally:
            _state.enabled = enabled
        if replaced is None:
            continue
        if hasattr(replaced, "_data") and hasattr(replaced, "_ctx"):  # a Tensor (PyTorch's hooks return tensors)
            replaced = replaced._data
        if not isinstance(replaced, np.ndarray):
            replaced = np.asarray(replaced, dtype=grad.dtype)
        if replaced.shape != grad.shape:
            raise ValueError(f"hook {hook!r} returned a gradient of shape {replaced.shape}, expected {grad.shape}")
        if replaced.dtype != grad.dtype:
            raise TypeError(f"hook {hook!r} returned a gradient of dtype {replaced.dtype}, expected {grad.dtype}")
        grad = np.array(replaced, copy=True)
    return grad


def send_to_inputs(ctx: Context, grad: np.ndarray, pending: dict[int, np.ndarray]) -> None:
    """One node's backward: its gradient times its local derivatives, added to each input's pending gradient."""
    if ctx.freed:
        raise RuntimeError(_freed_message(ctx.function))
    grads = _as_tuple(ctx.function.backward(ctx, grad), ctx)
    if _state.anomaly:
        _check_anomaly(ctx, grad, grads)
    for parent, parent_grad in zip(ctx.parents, grads):
        if parent is None or parent_grad is None or not parent._requires_grad:
            continue
        if not isinstance(parent_grad, np.ndarray):
            parent_grad = np.asarray(parent_grad, dtype=parent._data.dtype)
        elif parent_grad.dtype != parent._data.dtype:  # e.g. float64 gradient of a float32 input
            parent_grad = parent_grad.astype(parent._data.dtype)
        if parent_grad.shape != parent._data.shape:
            raise RuntimeError(
                f"{ctx.function.__name__}.backward returned a gradient of shape {parent_grad.shape} "
                f"for an input of shape {parent._data.shape}"
            )
        key = id(parent)
        pending[key] = pending[key] + parent_grad if key in pending else parent_grad


def _as_tuple(grads: Any, ctx: Context) -> tuple[Any, ...]:
    if type(grads) is not tuple:
        grads = (grads,)
    if len(grads) != len(ctx.parents):
        raise RuntimeError(
            f"{ctx.function.__name__}.backward returned {len(grads)} gradients, expected one per "
            f"positional forward argument ({len(ctx.parents)})"
        )
    return grads


def _check_anomaly(ctx: Context, grad: np.ndarray, grads: Iterable[Any]) -> None:
    """Anomaly mode: a backward rule that turns a finite gradient into NaN or ±inf is an error."""
    if not np.all(np.isfinite(grad)):
        return  # the anomaly happened upstream (or in the seed); that rule was checked already
    for index, g in enumerate(grads):
        if g is None:
            continue
        g = np.asarray(g)
        if g.dtype.kind in "fc" and not np.all(np.isfinite(g)):
            where = ctx.__dict__.get("_anomaly")
            shapes, site = where if where is not None else (None, None)
            bad = "NaN" if np.isnan(g).any() else "inf"
            raise RuntimeError(
                f"detect_anomaly: {ctx.function.__name__}.backward returned {bad} in its gradient #{index} "
                f"from a finite incoming gradient; the forward took arguments of shapes {shapes}, called at "
                f"{site or 'an unknown place (the forward ran outside detect_anomaly())'}"
            )


def __getattr__(name: str) -> Any:
    """``autograd.grad`` lives in ``autograd/functions.py``, which needs ``Tensor``: imported on first use.
    ``autograd.functional`` (jacobian, hessian, vjp, jvp, hvp, vhp) is a submodule, imported by the package's
    ``__init__`` once the ops exist."""
    if name == "grad":
        from .functions import grad

        return grad
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Module hooks, as PyTorch's: ``register_forward_pre_hook``, ``register_forward_hook`` and
``register_full_backward_hook`` on any ``Module``, each returning a :class:`RemovableHandle`.

* a forward pre-hook ``hook(module, args)`` runs before ``forward``; a non-None result replaces the
  positional arguments (a tuple, or one value that becomes a 1-tuple);
* a forward hook ``hook(module, args, output)`` runs after ``forward``; a non-None result replaces the output;
* a full backward hook ``hook(module, grad_input, grad_output)`` runs when the gradients of the module's
  inputs are computed: ``grad_output`` holds ∂L/∂output (a tuple of Tensors, or None for an output that got no
  gradient), ``grad_input`` ∂L/∂input for each positional argument (None for arguments that need no gradient,
  e.g. the data batch of the first layer: then the hook runs as soon as ``grad_output`` is known). A non-None
  result replaces ``grad_input``. As in PyTorch, the module's inputs and outputs pass through an identity node
  each, so ``grad_input`` is this module's contribution only, whatever else reads the same tensor.

Hooks run in registration order. Difference from PyTorch: replacing ``grad_input`` is supported for a module
with one input that requires grad (the layers of a ``Sequential``); with several, the hook may read but not
replace (a ValueError says so).

>>> import numpy as np
>>> from tinygrad_cnn import Tensor, nn
>>> layer, seen = nn.Linear(2, 1, seed=0), []
>>> handle = layer.register_forward_hook(lambda module, args, output: seen.append(output.shape))
>>> _ = layer(Tensor(np.ones((3, 2), dtype=np.float32)))
>>> handle.remove()
>>> _ = layer(Tensor(np.ones((3, 2), dtype=np.float32)))
>>> seen
[(3, 1)]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..function import Context, Function
from ..tensor import Tensor

__all__ = ["RemovableHandle", "call_with_hooks", "register"]

KINDS = ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks")
_ids = itertools.count()


class RemovableHandle:
    """What a ``register_*_hook`` returns: ``remove()`` unregisters the hook (twice is harmless); also a context
    manager that removes it on exit."""

    def __init__(self, hooks: dict[int, Callable[..., Any]]) -> None:
        self._hooks, self.id = hooks, next(_ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def register(module: Any, kind: str, hook: Any, where: str, prepend: bool = False) -> RemovableHandle:
    """Add ``hook`` to the module's hooks of ``kind`` (one of :data:`KINDS`), first if ``prepend``."""
    if not callable(hook):
        raise TypeError(f"{where}: hook must be callable, got {type(hook).__name__}")
    if not isinstance(prepend, bool):
        raise TypeError(f"{where}: prepend must be True or False, got {prepend!r}")
    hooks = module.__dict__.setdefault(kind, {})
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        for key in [k for k in hooks if k != handle.id]:
            hooks[key] = hooks.pop(key)  # move the others behind the new one
    return handle


class _Identity(Function):
    """y = x, a node of its own so that the gradient reaching it belongs to one module's call; ∂y/∂x = 1."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return x

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad


class _BackwardCall:
    """One call of a module with full backward hooks: collects grad_output, then calls the hooks with grad_input."""

    def __init__(self, module: Any, hooks: list[Callable[..., Any]]) -> None:
        self.module, self.hooks = module, hooks
        self.inputs: list[int] = []  # positions of the arguments that require grad
        self.grad_input: list[Any] = []
        self.grad_output: list[Any] = []
        self.pending = 0
        self.called = False

    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        self.grad_input = [None] * len(args)
        wrapped = list(args)
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor) and arg.requires_grad:
                wrapped[i] = _Identity.apply(arg)
                if wrapped[i].requires_grad:  # not under no_grad()
                    wrapped[i].register_hook(lambda grad, i=i: self._input_grad(i, grad))
                    self.inputs.append(i)
        self.pending = len(self.inputs)
        return tuple(wrapped)

    def wrap_outputs(self, output: Any) -> Any:
        single = isinstance(output, Tensor)
        outputs = [output] if single else list(output) if isinstance(output, tuple) else None
        if outputs is None:
            return output
        self.grad_output = [None] * len(outputs)
        for j, out in enumerate(outputs):
            if isinstance(out, Tensor) and out.requires_grad:
                outputs[j] = _Identity.apply(out)
                outputs[j].register_hook(lambda grad, j=j: self._output_grad(j, grad))
        return outputs[0] if single else tuple(outputs)

    def _output_grad(self, j: int, grad: np.ndarray) -> None:
        self.grad_output[j] = Tensor._make(np.array(grad), None)
        if not self.inputs and not self.called:  # no input needs a gradient: run the hooks now, as PyTorch
            self._run()

    def _input_grad(self, i: int, grad: np.ndarray) -> Any:
        self.grad_input[i] = Tensor._make(np.array(grad), None)
        self.pending -= 1
        if self.pending:
            return None
        replaced = self._run()
        if replaced is None:
            return None
        if len(self.inputs) > 1:
            raise ValueError(f"{type(self.module).__name__}: a full backward hook returned a new grad_input, which is "
                             "supported only for modules with one input that requires grad")
        return replaced[i]

    def _run(self) -> tuple[Any, ...] | None:
        self.called = True
        grad_input, replaced = tuple(self.grad_input), None
        for hook in self.hooks:
            result = hook(self.module, grad_input, tuple(self.grad_output))
            if result is not None:
                if not isinstance(result, (tuple, list)) or len(result) != len(grad_input):
                    raise ValueError(f"{type(self.module).__name__}: a full backward hook must return None or a "
                                     f"tuple of {len(grad_input)} gradients (one per input), got {result!r:.60}")
                grad_input = replaced = tuple(result)
        return replaced


def call_with_hooks(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``module(*args, **kwargs)`` with its pre-hooks, forward hooks and full backward hooks."""
    for hook in list(module.__dict__.get("_forward_pre_hooks", {}).values()):
        result = hook(module, args)
        if result is not None:
            args = result if isinstance(result, tuple) else (result,)
    backward_hooks = list(module.__dict__.get("_backward_hooks", {}).values())
    call = _BackwardCall(module, backward_hooks) if backward_hooks else None
    if call is not None:
        args = call.wrap_inputs(args)
    output = module.forward(*args, **kwargs)
    for hook in list(module.__dict__.get("_forward_hooks", {}).values()):
        result = hook(module, args, output)
        if result is not None:
            output = result
    return call.wrap_outputs(output) if call is not None else output

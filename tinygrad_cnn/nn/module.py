"""``Module`` and ``Parameter``: the base of every layer and model, shaped like ``torch.nn.Module``.

Parameters, buffers and sub-modules are found by attribute assignment; ``state_dict`` names them by dotted path
(a parameter shared by two layers appears under both names, as in PyTorch).

>>> import numpy as np
>>> from tinygrad_cnn import nn
>>> class Affine(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.scale = nn.Parameter(np.ones(2))
...         self.register_buffer("calls", np.zeros((), dtype=np.int64))
...     def forward(self, x):
...         return x * self.scale
>>> sorted(Affine().state_dict())
['calls', 'scale']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from .._checks import check_bool
from ..devices import check_device
from ..devices import device as _device
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import hooks as _hooks

__all__ = ["IncompatibleKeys", "Module", "Parameter"]


class Parameter(Tensor):
    """A leaf tensor that a ``Module`` registers as trainable (``requires_grad=True`` by default)."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` returns: the keys it did not find and the keys it did not use."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _as_array(value: Any, name: str) -> np.ndarray:
    """A state entry (numpy array, Tensor, torch tensor or number) as a numpy array."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):  # a torch tensor
        return value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"load_state_dict: {name} must be an array of numbers, got {type(value).__name__}")
    return array


def _check_name(name: Any, where: str) -> None:
    """A member name: a non-empty string without '.' (dots separate the levels of ``state_dict`` keys)."""
    if not isinstance(name, str):
        raise TypeError(f"{where}: name must be a string, got {type(name).__name__} {name!r}")
    if not name or "." in name:
        raise ValueError(f"{where}: name must be a non-empty string without '.', got {name!r}")


class Module:
    """Base class of layers and models. Subclasses define ``forward``; calling the module calls it.

    Assigning a ``Parameter`` registers it, assigning a ``Module`` registers a sub-module; buffers (state that
    is saved but not trained, e.g. BatchNorm's running mean) are registered with ``register_buffer``.
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        if isinstance(value, Parameter):
            if name not in self._parameters:  # a replaced parameter keeps its place (state_dict order)
                self._remove(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            if name not in self._modules:
                self._remove(name)
            self._modules[name] = value
        elif name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                value = Tensor(value)
            self._buffers[name] = value
        elif value is None and (name in self._parameters or name in self._modules):
            (self._parameters if name in self._parameters else self._modules)[name] = None  # declared, absent
        else:
            self._remove(name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._remove(name)
        object.__delattr__(self, name)

    def _remove(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._modules.pop(name, None)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None: a declared but absent parameter, like ``bias=False``) as ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, got {type(param).__name__}")
        _check_name(name, "register_parameter")
        self._remove(name)
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Register state that is not trained (a Tensor, an array or None); saved in ``state_dict`` if persistent."""
        _check_name(name, "register_buffer")
        persistent = check_bool(persistent, "persistent", "register_buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            try:
                tensor = Tensor(tensor)
            except TypeError as error:
                message = f"register_buffer: buffer {name!r} must be a Tensor, an array or None ({error})"
                raise TypeError(message) from None
        self._remove(name)
        self._buffers[name] = tensor
        if not persistent:
            self.__dict__.setdefault("_non_persistent", set()).add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as the sub-module ``name`` (as ``self.name = module``, for names set at run time)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, got {type(module).__name__}")
        _check_name(name, "add_module")
        self._remove(name)
        self._modules[name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    # ------------------------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        hooks = self.__dict__
        if hooks.get("_forward_pre_hooks") or hooks.get("_forward_hooks") or hooks.get("_backward_hooks"):
            return _hooks.call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------------------------ hooks (nn/hooks.py)
    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False) -> _hooks.RemovableHandle:
        """Call ``hook(module, args)`` before every ``forward``; a non-None result replaces ``args``."""
        return _hooks.register(self, "_forward_pre_hooks", hook, "register_forward_pre_hook", prepend)

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False) -> _hooks.RemovableHandle:
        """Call ``hook(module, args, output)`` after every ``forward``; a non-None result replaces ``output``."""
        return _hooks.register(self, "_forward_hooks", hook, "register_forward_hook", prepend)

    def register_full_backward_hook(self, hook: Callable[..., Any], prepend: bool = False) -> _hooks.RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when the gradients of this module's inputs are computed;
        a non-None result replaces ``grad_input`` (see ``nn/hooks.py``)."""
        return _hooks.register(self, "_backward_hooks", hook, "register_full_backward_hook", prepend)

    # ------------------------------------------------------------------------------------ traversal
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) pairs, this module first, depth first; a shared module once unless asked."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in seen:
                    continue
                seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child}" if name else child, m) for child, m in module._modules.items()
                        if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(
        self, kind: str, prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix, remove_duplicate) if recurse else iter([(prefix, self)])
        for name, module in modules:
            for member_name, member in getattr(module, kind).items():
                if member is None:
                    continue
                if remove_duplicate:
                    if id(member) in seen:
                        continue
                    seen.add(id(member))
                yield (f"{name}.{member_name}" if name else member_name), member

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared by two layers is listed once (by its first name)."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module (children first) and on this module; returns self."""
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}.apply: fn must be callable, got {type(fn).__name__}")
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------------------------ modes and dtypes
    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout drops, BatchNorm uses and updates batch statistics); returns self."""
        mode = check_bool(mode, "mode", f"{type(self).__name__}.train")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)`` (Dropout is the identity, BatchNorm uses its running statistics)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradient recording of every parameter on or off (e.g. to freeze a layer); returns self."""
        requires_grad = check_bool(requires_grad, "requires_grad", f"{type(self).__name__}.requires_grad_")
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad`` to None (or to zeros in place); gradients accumulate otherwise."""
        set_to_none = check_bool(set_to_none, "set_to_none", f"{type(self).__name__}.zero_grad")
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            elif isinstance(p.grad, Tensor):
                p.grad = np.zeros_like(p.data)  # a Tensor (create_graph): replaced by zeros
            else:
                p.grad[...] = 0

    def to(self, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False) -> Module:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(tensor)`` (its dtype), as PyTorch's, in place;
        returns self.

        Every floating-point parameter and buffer (and gradient) is cast to ``dtype``; integer buffers (BatchNorm's
        ``num_batches_tracked``) keep theirs, as in PyTorch. ``device`` must be the CPU (``devices.check_device``);
        ``non_blocking`` has no effect.
        """
        where = f"{type(self).__name__}.to"
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, (str, _device)):
                check_device(arg, where)
            elif arg is None:
                raise TypeError(f"{where}: dtype must be a floating-point dtype such as float32, got None")
            else:
                dtype = arg
        check_device(device, where)
        if dtype is None:
            if not args and device is None:
                raise TypeError(f"{where}: expected a dtype, a device or a tensor")
            return self
        try:
            target = np.dtype(dtype)
        except TypeError:
            target = None
        if target is None or target.kind != "f":
            raise TypeError(f"{where}: dtype must be a floating-point dtype such as float32, got {dtype!r}")
        for tensor in [*self.parameters(), *self.buffers()]:
            if tensor.dtype.kind == "f":
                tensor.data = tensor.data.astype(target)
                if tensor.grad is not None:
                    tensor.grad = tensor.grad.astype(target)
        return self

    def cpu(self) -> Module:
        """This module (it is on the CPU already)."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """Raises ``DeviceError``: there is no GPU (guard with ``cuda.is_available()``)."""
        check_device("cuda", f"{type(self).__name__}.cuda")
        return self

    def float(self) -> Module:
        """``to(np.float32)``."""
        return self.to(np.float32)

    def double(self) -> Module:
        """``to(np.float64)``."""
        return self.to(np.float64)

    # ------------------------------------------------------------------------------------ state_dict
    def _state_entries(self) -> Iterator[tuple[str, Tensor]]:
        """Every persistent parameter and buffer under every name it has (shared ones more than once)."""
        for name, module in self.named_modules(remove_duplicate=False):
            skip = module.__dict__.get("_non_persistent", set())
            for kind in ("_parameters", "_buffers"):
                for member_name, member in getattr(module, kind).items():
                    if member is not None and member_name not in skip:
                        yield (f"{name}.{member_name}" if name else member_name), member

    def state_dict(self, keep_vars: bool = False) -> dict[str, Any]:
        """Copies of every parameter's and buffer's data, by dotted name (PyTorch's keys and order).

        ``keep_vars=True`` gives the Tensors themselves instead of copies of their arrays.
        """
        if check_bool(keep_vars, "keep_vars", "state_dict"):
            return dict(self._state_entries())
        return {name: np.array(t.data, copy=True) for name, t in self._state_entries()}

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Set parameters and buffers from ``state_dict`` (numpy arrays, Tensors or torch tensors).

        With ``strict`` (default) the keys must match exactly; otherwise the missing and unexpected keys are
        returned. A wrong shape raises either way. Values are copied and cast to each tensor's dtype; nothing
        changes if any entry is wrong.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict: state_dict must be a dict, got {type(state_dict).__name__}")
        strict = check_bool(strict, "strict", "load_state_dict")
        own = list(self._state_entries())
        names = {name for name, _ in own}
        missing = [name for name, _ in own if name not in state_dict]
        unexpected = [key for key in state_dict if key not in names]
        if strict and (missing or unexpected):
            raise ValueError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected} "
                             "(pass strict=False to load the matching ones)")
        updates = []
        for name, tensor in own:
            if name not in state_dict:
                continue
            value = _as_array(state_dict[name], name)
            if value.shape != tensor.shape:
                raise ValueError(f"load_state_dict: {name} has shape {value.shape}, expected {tensor.shape}")
            updates.append((tensor, value))
        for tensor, value in updates:
            with no_grad():
                tensor.copy_(value.astype(tensor.dtype, copy=False))
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, module in self._modules.items():
            lines.append("  (" + name + "): " + repr(module).replace("\n", "\n  "))
        return lines[0] + ")" if len(lines) == 1 else "\n".join(lines) + "\n)"

    def extra_repr(self) -> str:
        return ""

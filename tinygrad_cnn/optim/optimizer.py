"""``Optimizer``: parameter groups, per-parameter state and ``state_dict``, laid out as in ``torch.optim``.

A subclass gives its hyper-parameter defaults and one method, ``_update(p, grad, state, group)``, that
changes ``p.data`` in place. The base class walks the groups, skips parameters whose ``.grad`` is None
(their state does not advance), and saves/restores everything a resumed run needs.

>>> from tinygrad_cnn import Tensor, optim
>>> w, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([0.0], requires_grad=True)
>>> opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
>>> [g["lr"] for g in opt.param_groups]
[0.1, 0.5]
>>> sorted(opt.state_dict())
['param_groups', 'state']
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .._checks import check_bool, check_float
from ..grad_mode import enable_grad, no_grad
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]


class _Required:
    """Marks a hyper-parameter without a default (``lr`` of ``SGD`` in older PyTorch)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()

# entries a learning-rate scheduler adds to a parameter group (OneCycleLR's too); kept by load_state_dict
SCHEDULER_KEYS = frozenset({"initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"})


class Optimizer:
    """Base class: ``param_groups`` (a list of dicts), ``state`` (a dict per parameter), ``step``, ``zero_grad``.

    ``params`` is an iterable of Tensors, or of dicts ``{"params": [...], "lr": ...}`` whose missing
    hyper-parameters take the defaults.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts, got one Tensor; "
                            "wrap it in a list")
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts, got "
                            f"{type(params).__name__}") from None
        if not groups:
            raise ValueError(f"{name}: params is empty (an optimizer got an empty parameter list); "
                             "pass model.parameters() or a list of tensors")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group (a dict with ``"params"`` and optional hyper-parameters); the rest take the defaults."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict, got {type(param_group).__name__}")
        params = param_group.get("params")
        if params is None:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry")
        params = [params] if isinstance(params, Tensor) else list(params)
        for index, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: params[{index}] must be a Tensor, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: params[{index}] is not a leaf tensor (it was computed by an op); "
                                 "an optimizer can only update leaves")
            if p.dtype.kind != "f":
                raise TypeError(f"{name}: params[{index}] must be a floating-point tensor, got dtype {p.dtype}")
        if len({id(p) for p in params}) != len(params):
            warnings.warn(f"{name}: a parameter group contains the same parameter more than once; it is updated "
                          "once per step (PyTorch warns the same and will make this an error)", UserWarning,
                          stacklevel=3)
            unique: dict[int, Tensor] = {}
            for p in params:
                unique.setdefault(id(p), p)
            params = list(unique.values())
        group = {key: value for key, value in param_group.items() if key != "params"}
        unknown = group.keys() - self.defaults.keys() - SCHEDULER_KEYS
        if unknown:
            raise ValueError(f"{name}: unknown hyper-parameter(s) {sorted(unknown)} in a parameter group; "
                             f"expected some of {sorted(self.defaults)}")
        for key, default in self.defaults.items():
            if key not in group:
                if default is required:
                    raise ValueError(f"{name}: parameter group didn't specify a value of required '{key}'")
                group[key] = default
        self._check_group(group)
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group["params"] = params
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate (and normalise to Python numbers) one group's hyper-parameters; subclasses extend."""
        name = type(self).__name__
        group["lr"] = check_float(group["lr"], "lr", name, minimum=0.0)
        if "weight_decay" in group:
            group["weight_decay"] = check_float(group["weight_decay"], "weight_decay", name, minimum=0.0)
        if "maximize" in group:
            group["maximize"] = check_bool(group["maximize"], "maximize", name)

    # ------------------------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (default, as PyTorch), or to zeros in place."""
        set_to_none = check_bool(set_to_none, "set_to_none", f"{type(self).__name__}.zero_grad")
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                elif isinstance(p.grad, Tensor):
                    p.grad = np.zeros_like(p.data)  # a Tensor (create_graph): replaced by zeros
                else:
                    p.grad[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; ``closure`` (re)computes the loss first."""
        loss = None
        if closure is not None and not callable(closure):
            raise TypeError(f"{type(self).__name__}.step: closure must be callable or None, "
                            f"got {type(closure).__name__}")
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:  # no gradient: skipped, its state does not advance
                        continue
                    grad = p.grad.data if isinstance(p.grad, Tensor) else np.asarray(p.grad)
                    if grad.shape != p.shape:
                        raise ValueError(f"{type(self).__name__}.step: a parameter of shape {p.shape} has a "
                                         f"gradient of shape {grad.shape}")
                    grad = grad.astype(p.dtype, copy=False)
                    if group.get("maximize"):
                        grad = np.negative(grad)  # an array, also 0-d (unary minus gives a numpy scalar)
                    self._update(p, grad, self.state.setdefault(p, {}), group)
        return loss

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------------------------ state_dict
    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: ``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        Parameters are numbered in order across the groups; arrays are copies (numpy), so a later step does not
        change a saved state. ``"step"`` is a Python int (PyTorch keeps a 0-d tensor: convert with
        ``torch.tensor(float(step))`` to load ours into ``torch.optim``).
        """
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            indices = []
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
                indices.append(index_of[id(p)])
            saved = {key: copy.deepcopy(value) for key, value in group.items() if key != "params"}
            saved["params"] = indices
            groups.append(saved)
        state = {index_of[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if id(p) in index_of}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and per-parameter state saved by ``state_dict`` (the same parameters).

        Arrays may be numpy arrays, Tensors or torch tensors (a ``torch.optim`` state_dict of the same optimizer
        loads too); floating state is cast to its parameter's dtype. Nothing changes if the saved groups do not
        match this optimizer's (group count or sizes, array shapes).
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}.load_state_dict: state_dict must be a dict with 'state' and 'param_groups', "
                            f"got {type(state_dict).__name__}")
        if not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups', "
                             f"got {type(state_dict).__name__}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        params_by_index: dict[Any, Tensor] = {}
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: group {number} has {len(saved['params'])} parameters in "
                                 f"the state and {len(group['params'])} in this optimizer")
            params_by_index.update(zip(saved["params"], group["params"]))
        new_state: dict[Tensor, dict[str, Any]] = {}
        for index, entries in state_dict["state"].items():
            if index not in params_by_index:
                raise ValueError(f"{name}.load_state_dict: state for parameter {index!r}, which no group holds")
            p = params_by_index[index]
            new_state[p] = {key: _restore(key, value, p, f"{name}.load_state_dict: state[{index!r}][{key!r}]")
                            for key, value in entries.items()}
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            known = self.defaults.keys() | SCHEDULER_KEYS  # PyTorch's extra flags (foreach, fused, ...) are dropped
            restored = {key: copy.deepcopy(value) for key, value in saved.items() if key in known}
            restored.update({key: group[key] for key in self.defaults if key not in restored})
            if isinstance(restored.get("betas"), list):
                restored["betas"] = tuple(restored["betas"])
            restored["params"] = group["params"]
            self._check_group(restored)
            new_groups.append(restored)
        self.state = new_state
        for group, restored in zip(self.param_groups, new_groups):  # keep the dicts: schedulers hold them
            group.clear()
            group.update(restored)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"


def _restore(key: str, value: Any, p: Tensor, where: str) -> Any:
    """A saved state entry as this optimizer keeps it: ``"step"`` a Python int (PyTorch saves a 0-d tensor), every
    other array a copy of the parameter's shape, floating ones in its dtype. A 0-d parameter's state stays a 0-d
    array: the updates write into it in place, which a Python number would silently ignore."""
    if isinstance(value, Tensor):
        value = value.data
    elif hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if isinstance(value, np.generic):
        value = np.asarray(value)
    if key == "step" and isinstance(value, (np.ndarray, float)) and np.ndim(value) == 0:
        step = float(value)
        if not step.is_integer() or step < 0:
            raise ValueError(f"{where} must be a whole number of steps >= 0, got {step!r}")
        return int(step)
    if isinstance(value, np.ndarray):
        if value.shape != p.shape:
            raise ValueError(f"{where} has shape {value.shape}, expected the parameter's {p.shape}")
        return np.array(value, dtype=p.dtype if value.dtype.kind == "f" else value.dtype, copy=True)
    return copy.deepcopy(value)


def write_(p: Tensor, values: np.ndarray) -> None:
    """Store ``values`` into ``p`` in place (``copy_`` under ``no_grad``), so every holder of ``p`` sees the update
    and a graph that saved ``p`` before the step refuses to backward with the old values."""
    with no_grad():
        p.copy_(values)

"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, as in ``torch.nn``.

>>> from tinygrad_cnn import nn
>>> model = nn.Sequential(nn.Linear(4, 3, seed=0), nn.ReLU(), nn.Linear(3, 2, seed=1))
>>> model[:2]
Sequential(
  (0): Linear(in_features=4, out_features=3, bias=True)
  (1): ReLU()
)
>>> layers = nn.ModuleList([nn.ReLU(), nn.Tanh()])
>>> len(layers), type(layers[-1]).__name__
(2, 'Tanh')
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .._checks import is_int
from .module import Module

__all__ = ["ModuleDict", "ModuleList", "Sequential"]


def _check_module(module: Any, where: str, what: str) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{where}: {what} must be a Module, got {type(module).__name__}")
    return module


def _index(index: Any, length: int, where: str) -> int:
    if not is_int(index):
        raise TypeError(f"{where}: index must be an int or a slice, got {type(index).__name__}")
    if not -length <= index < length:
        raise IndexError(f"{where}: index {index} is out of range for {length} modules")
    return int(index) % length


class Sequential(Module):
    """Modules applied in order; ``Sequential(OrderedDict(name=module, ...))`` names them.

    Indexing gives a module, slicing a ``Sequential`` of the selected modules (the same objects).
    """

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, module in modules[0].items():
                self.add_module(name, _check_module(module, "Sequential", f"entry {name!r}"))
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), _check_module(module, "Sequential", f"argument {index}"))

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(dict(items[index]))
        return items[_index(index, len(items), "Sequential")][1]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), _check_module(module, "Sequential.append", "module"))
        return self


class ModuleList(Module):
    """A list of modules, registered so their parameters are found (a plain list would hide them)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None and (isinstance(modules, str) or not isinstance(modules, Iterable)):
            raise TypeError(f"ModuleList: modules must be an iterable of Modules, got {type(modules).__name__}")
        for module in modules or []:
            self.append(module)

    def __getitem__(self, index: int | slice) -> Any:
        values = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(values[index])
        return values[_index(index, len(values), "ModuleList")]

    def __setitem__(self, index: int, module: Module) -> None:
        position = _index(index, len(self), "ModuleList")
        self.add_module(list(self._modules)[position], _check_module(module, "ModuleList", "value"))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), _check_module(module, "ModuleList.append", "module"))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self


class ModuleDict(Module):
    """A dict of modules by name (insertion order), registered so their parameters are found."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, _check_module(module, "ModuleDict", f"value of {key!r}"))

    def __delitem__(self, key: str) -> None:
        del self._modules[key]
        object.__delattr__(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        if not isinstance(modules, (Mapping, Iterable)) or isinstance(modules, str):
            raise TypeError(f"ModuleDict: modules must be a mapping or an iterable of (name, Module) pairs, "
                            f"got {type(modules).__name__}")
        pairs = modules.items() if isinstance(modules, (Mapping, ModuleDict)) else modules
        for key, module in pairs:
            self[key] = module

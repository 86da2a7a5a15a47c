"""Imports only go down the layers: a module may import its own floor or a lower one, never a higher one.

The floors, lowest first (the house rule of the developer guide):

    0 engine      tensor, function, autograd, memory, numpy_interop, grad_mode, _checks, random, dtypes, devices,
                  _workspace
                  (and value, the scalar engine)
    1 ops         ops/…, creation, functions
    2 functional  functional, testing/…
    3 library     nn, optim, textbook/…, data, datasets, serialization, models, deltas
    4 top         cli/…, __main__, the package's __init__

Special rules on top of the floors:
- ``value`` (the scalar engine) imports nothing of the tensor engine;
- ``textbook/formulas.py``, ``textbook/layerwise.py``, ``textbook/layerwise_layers.py`` and ``textbook/losses.py``
  import only numpy, the standard library and each other;
- the ONE exception: ``tensor`` imports ``ops`` to attach the ops as Tensor methods (documented at the
  bottom of tensor.py).

The test parses every module of the package (``ast``: every import statement, also inside functions),
so a module that is not in ``FLOORS`` fails it: a new top-level module must be given a floor here.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

PACKAGE = "tinygrad_cnn"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / PACKAGE

ENGINE, OPS, FUNCTIONAL, LIBRARY, TOP = 0, 1, 2, 3, 4
FLOOR_NAMES = {ENGINE: "engine", OPS: "ops", FUNCTIONAL: "functional", LIBRARY: "nn/optim/textbook", TOP: "cli"}

# Every top-level module or sub-package of tinygrad_cnn and its floor. A new module: add one line.
FLOORS: dict[str, int] = {
    "tensor": ENGINE,
    "function": ENGINE,
    "autograd": ENGINE,
    "grad_mode": ENGINE,
    "_checks": ENGINE,
    "random": ENGINE,
    "memory": ENGINE,
    "numpy_interop": ENGINE,
    "dtypes": ENGINE,
    "devices": ENGINE,
    "threads": ENGINE,
    "value": ENGINE,
    "_dot": ENGINE,
    "_progress": ENGINE,
    "_workspace": ENGINE,
    "ops": OPS,
    "creation": OPS,
    "functions": OPS,
    "functional": FUNCTIONAL,
    "testing": FUNCTIONAL,
    "autograd.functional": FUNCTIONAL,  # jacobian/hessian/...: built on autograd.grad and the ops (stack)
    "nn": LIBRARY,
    "optim": LIBRARY,
    "textbook": LIBRARY,
    "data": LIBRARY,
    "utils": LIBRARY,
    "datasets": LIBRARY,
    "serialization": LIBRARY,
    "models": LIBRARY,
    "deltas": LIBRARY,
    "training": LIBRARY,
    "viz": FUNCTIONAL,
    "cli": TOP,
    "__main__": TOP,
    "__init__": TOP,  # the package itself: ``from tinygrad_cnn import X`` inside the package is an upward edge
}

# Allowed upward edges (importer, imported), each with its reason.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("tensor", "ops"): "Tensor offers the ops as methods (x.exp(), x.sum()); see the bottom of tensor.py",
}

# Modules that must not import some lower floors, or anything outside numpy and the standard library.
FORBIDDEN: dict[str, set[str]] = {"value": {"tensor", "function", "autograd", "memory", "grad_mode", "ops"}}
# and each other:
NUMPY_ONLY = {"textbook.formulas", "textbook.layerwise", "textbook.layerwise_layers", "textbook.losses",
              "textbook.hessian"}


def _module_name(path: Path, root: Path) -> str:
    """'textbook.formulas' for root/textbook/formulas.py, 'nn' for root/nn/__init__.py, '__init__' for the root."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str, root: Path) -> list[tuple[int, str]]:
    """(line, absolute dotted name) of every import in the file; names inside the package start with PACKAGE."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    here = [PACKAGE] + ([] if module == "__init__" else module.split("."))
    if not is_package:
        here = here[:-1]  # the package this module lives in
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = here[: len(here) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                # `from . import nn` imports a module; `from .tensor import Tensor` a name of a module
                found.append((node.lineno, candidate if _is_module(candidate, root) else base))
    return found


def _is_module(dotted: str, root: Path) -> bool:
    if not dotted.startswith(PACKAGE + "."):
        return False
    path = root.joinpath(*dotted.split(".")[1:])
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _floor_key(module: str) -> str:
    """The key of FLOORS a module belongs to: the longest dotted prefix FLOORS names ('autograd.functional'),
    else its top-level name ('ops' for 'ops.conv')."""
    parts = module.split(".")
    for end in range(len(parts), 1, -1):
        if ".".join(parts[:end]) in FLOORS:
            return ".".join(parts[:end])
    return parts[0]


def check_imports(root: Path) -> list[str]:
    """Every violation of the rules in the package at ``root``, as readable lines (empty: all good)."""
    problems: list[str] = []
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        key = _floor_key(module)
        if key not in FLOORS:
            problems.append(
                f"{path.relative_to(root.parent)}: module '{key}' has no floor; "
                "add it to FLOORS in tests/test_imports.py "
                "(engine, ops, functional, nn/optim/textbook or cli) so its imports can be checked"
            )
            continue
        for line, target in _imports(path, module, root):
            where = f"{path.relative_to(root.parent)}:{line}"
            top = target.split(".")[0]
            if module in NUMPY_ONLY:
                if top != "numpy" and top not in stdlib and target[len(PACKAGE) + 1:] not in NUMPY_ONLY:
                    problems.append(f"{where}: {module} may import only numpy and the standard library, not {target}")
                continue
            if top != PACKAGE:
                continue
            inner = target[len(PACKAGE) + 1:] if target != PACKAGE else "__init__"
            target_key = _floor_key(inner)
            if target_key not in FLOORS:
                continue  # reported once, as its own file
            if target_key in FORBIDDEN.get(key, set()):
                problems.append(f"{where}: {module} must not import {target} (the tensor engine)")
            if FLOORS[target_key] > FLOORS[key] and (key, target_key) not in EXCEPTIONS:
                problems.append(
                    f"{where}: upward import: {module} (floor {_floor_name(key)}) imports {target} "
                    f"(floor {_floor_name(target_key)}); imports only go down the layers"
                )
    return problems


def _floor_name(key: str) -> str:
    return FLOOR_NAMES[FLOORS[key]]


def test_the_package_imports_only_go_down():
    problems = check_imports(PACKAGE_DIR)
    assert not problems, "\n".join(problems)


def test_every_exception_is_still_needed():
    """An exception that no import uses any more is removed from the table."""
    used = set()
    for path in PACKAGE_DIR.rglob("*.py"):
        module = _module_name(path, PACKAGE_DIR)
        for _, target in _imports(path, module, PACKAGE_DIR):
            if target.startswith(PACKAGE + "."):
                used.add((_floor_key(module), _floor_key(target[len(PACKAGE) + 1:])))
    assert set(EXCEPTIONS) <= used


# ------------------------------------------------------------------------ the checker catches violations
def _fake_package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / PACKAGE
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"function.py": "from .nn import Linear\n", "nn.py": ""}, "upward import: function .*imports tinygrad_cnn.nn"),
        ({"function.py": "def f():\n    from . import optim\n", "optim.py": ""}, "upward import: function"),
        ({"ops/__init__.py": "", "ops/conv.py": "from ..functional import relu\n", "functional.py": ""},
         "upward import: ops.conv"),
        ({"ops/__init__.py": "", "ops/conv.py": "from tinygrad_cnn import Tensor\n"}, "upward import: ops.conv"),
        ({"testing/__init__.py": "import tinygrad_cnn.nn\n", "nn.py": ""}, "upward import: testing"),
        ({"nn.py": "from .cli import train\n", "cli/__init__.py": ""}, "upward import: nn"),
        ({"textbook/__init__.py": "", "textbook/formulas.py": "import torch\n"}, "only numpy"),
        ({"textbook/__init__.py": "", "textbook/formulas.py": "from ..tensor import Tensor\n", "tensor.py": ""},
         "only numpy"),
        ({"value.py": "from .tensor import Tensor\n", "tensor.py": ""}, "value must not import"),
        ({"widgets.py": "import numpy\n"}, "module 'widgets' has no floor; add it to FLOORS"),
        ({"autograd/__init__.py": "", "autograd/graph.py": "from ..ops import movement\n", "ops/__init__.py": "",
          "ops/movement.py": ""}, "upward import: autograd.graph"),
    ],
)
def test_the_checker_reports_an_injected_violation(tmp_path, files, expected):
    problems = check_imports(_fake_package(tmp_path, files))
    assert any(re.search(expected, p) for p in problems), problems


def test_the_checker_accepts_downward_and_documented_imports(tmp_path):
    files = {
        "tensor.py": "from .function import Context\nfrom .ops import elementwise\n",
        "function.py": "import numpy as np\n",
        "ops/__init__.py": "",
        "ops/elementwise.py": "from ..function import Function\n",
        "nn.py": "from .tensor import Tensor\nfrom . import functional\n",
        "functional.py": "from .ops import elementwise\n",
        "textbook/__init__.py": "",
        "textbook/formulas.py": "import numpy as np\nfrom dataclasses import dataclass\n",
        "cli/__init__.py": "from ..nn import Linear\n",
        "autograd/__init__.py": "",
        "autograd/functional.py": "from ..ops import elementwise\n",  # floor 'functional', not 'engine'
    }
    assert check_imports(_fake_package(tmp_path, files)) == []

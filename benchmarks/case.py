"""What a benchmark is: :class:`Case`, and finding the cases of ``benchmarks/cases/``.

A case times one workload of ours against the same workload written for peer
libraries (PyTorch CPU, MyGrad, micrograd). ``ours`` and each peer are
*factories*: called once, untimed, they do the setup (imports, data) and return
the zero-argument thunk that is timed.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import pkgutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "OURS",
    "TARGET_KINDS",
    "Case",
    "PeerUnavailable",
    "collect_cases",
    "discover_cases",
    "load_case_file",
    "load_cases",
    "select_cases",
]

Thunk = Callable[[], object]
Factory = Callable[[], Thunk]
Target = tuple[str, float]

#: ``("speedup>=", k)``: peer_time / ours_time >= k;  ``("ratio<=", k)``: ours_time / peer_time <= k.
TARGET_KINDS = ("speedup>=", "ratio<=")

#: The name under which our own contestant is stored; no peer may use it.
OURS = "ours"

DTYPES = ("float32", "float64")


class PeerUnavailable(Exception):
    """A peer library is not installed; the message says how to install it."""


@dataclass(frozen=True)
class Case:
    """One workload, timed for us and for each peer.

    ``targets`` maps a peer name to ``("speedup>=", k)`` or ``("ratio<=", k)`` and
    holds at one thread; ``targets_all_cores`` (default: the same) holds when
    every core is used. ``flops`` (floating-point operations of one timed call)
    and ``dtype`` (``"float32"``/``"float64"``) let the report give the machine's
    limit: ``flops`` ÷ numpy's GEMM rate measured in the same run.
    ``peer_packages`` maps a peer name to the distribution whose version is
    reported (the well-known peers need no entry).

    >>> Case("c", "d", ours=lambda: (lambda: None), targets={"torch": ("ratio<=", 2)})
    Traceback (most recent call last):
    ...
    ValueError: Case 'c': targets names peer 'torch', which is not in peers (peers: none)
    """

    name: str
    description: str
    ours: Factory
    peers: Mapping[str, Factory] = field(default_factory=dict)
    targets: Mapping[str, Target] = field(default_factory=dict)
    peer_packages: Mapping[str, str] = field(default_factory=dict)
    targets_all_cores: Mapping[str, Target] | None = None
    flops: float | None = None
    dtype: str | None = None

    def __post_init__(self) -> None:
        _check_case_name(self.name)
        if not isinstance(self.description, str):
            raise TypeError(
                f"Case {self.name!r}: description must be a str, got {type(self.description).__name__}"
            )
        if not callable(self.ours):
            raise TypeError(f"Case {self.name!r}: ours must be a factory (a callable), got {self.ours!r}")
        object.__setattr__(self, "peers", _checked_peers(self.name, self.peers))
        object.__setattr__(self, "targets", _checked_targets(self.name, self.targets, self.peers))
        if self.targets_all_cores is not None:
            all_cores = _checked_targets(self.name, self.targets_all_cores, self.peers)
            object.__setattr__(self, "targets_all_cores", all_cores)
        object.__setattr__(self, "peer_packages", dict(self.peer_packages))
        if self.flops is not None and (isinstance(self.flops, bool) or not isinstance(self.flops, (int, float))
                                       or not self.flops > 0):
            raise ValueError(f"Case {self.name!r}: flops must be a number > 0 or None, got {self.flops!r}")
        if self.dtype is not None and self.dtype not in DTYPES:
            raise ValueError(f"Case {self.name!r}: dtype must be one of {DTYPES} or None, got {self.dtype!r}")
        if self.flops is not None and self.dtype is None:
            raise ValueError(f"Case {self.name!r}: flops needs a dtype (the GEMM rate depends on it)")

    def targets_for(self, all_cores: bool) -> Mapping[str, Target]:
        """The targets that hold at one thread, or with every core."""
        if all_cores and self.targets_all_cores is not None:
            return self.targets_all_cores
        return self.targets


def _check_case_name(name: object) -> None:
    if not isinstance(name, str):
        raise TypeError(f"Case name must be a str, got {type(name).__name__}: {name!r}")
    if not name or any(ch.isspace() for ch in name) or name.startswith("-"):
        raise ValueError(
            f"Case name must be a non-empty word usable on the command line "
            f"(no whitespace, no leading '-'), got {name!r}"
        )


def _checked_peers(case: str, peers: object) -> dict[str, Factory]:
    if not isinstance(peers, Mapping):
        raise TypeError(f"Case {case!r}: peers must be a mapping name -> factory, got {type(peers).__name__}")
    for peer, factory in peers.items():
        if not isinstance(peer, str) or not peer:
            raise TypeError(f"Case {case!r}: peer names must be non-empty str, got {peer!r}")
        if peer == OURS:
            raise ValueError(f"Case {case!r}: the peer name {OURS!r} is reserved for our own contestant")
        if not callable(factory):
            raise TypeError(f"Case {case!r}: peer {peer!r} must map to a factory (a callable), got {factory!r}")
    return dict(peers)


def _checked_targets(case: str, targets: object, peers: Mapping[str, Factory]) -> dict[str, Target]:
    if not isinstance(targets, Mapping):
        raise TypeError(f"Case {case!r}: targets must be a mapping peer -> (kind, k), got {type(targets).__name__}")
    checked: dict[str, Target] = {}
    for peer, target in targets.items():
        if peer not in peers:
            known = ", ".join(sorted(peers)) or "none"
            raise ValueError(f"Case {case!r}: targets names peer {peer!r}, which is not in peers (peers: {known})")
        checked[peer] = _checked_target(case, peer, target)
    return checked


def _checked_target(case: str, peer: str, target: object) -> Target:
    where = f"Case {case!r}: target for {peer!r}"
    if not isinstance(target, tuple) or len(target) != 2:
        raise TypeError(f"{where} must be a pair (kind, k) such as ('speedup>=', 2.0), got {target!r}")
    kind, k = target
    if kind not in TARGET_KINDS:
        raise ValueError(f"{where} has kind {kind!r}; expected one of {', '.join(TARGET_KINDS)}")
    if isinstance(k, bool) or not isinstance(k, (int, float)):
        raise TypeError(f"{where} must have a number k, got {type(k).__name__}: {k!r}")
    if not (math.isfinite(k) and k > 0):
        raise ValueError(f"{where} must have a finite k > 0, got {k!r}")
    return (kind, float(k))


# --------------------------------------------------------------------------- finding cases


def collect_cases(modules: Iterable[object]) -> list[Case]:
    """The ``CASES`` of each module, in order; names must be unique across modules."""
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for module in modules:
        module_name = getattr(module, "__name__", repr(module))
        found = getattr(module, "CASES", None)
        if not isinstance(found, (list, tuple)):
            raise TypeError(f"case module {module_name} must define CASES, a list of Case, got {found!r}")
        for case in found:
            if not isinstance(case, Case):
                raise TypeError(f"case module {module_name}: CASES holds {case!r}, expected a Case")
            if case.name in seen:
                raise ValueError(f"case name {case.name!r} is defined in both {seen[case.name]} and {module_name}")
            seen[case.name] = module_name
            cases.append(case)
    return cases


def discover_cases(package: str = "benchmarks.cases") -> list[Case]:
    """Import every public module of ``package`` and collect their cases (sorted by module)."""
    pkg = importlib.import_module(package)
    names = sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))
    return collect_cases(importlib.import_module(f"{package}.{name}") for name in names)


def load_case_file(path: str | os.PathLike[str]) -> list[Case]:
    """Import a case module from a file outside ``benchmarks/cases/`` (to try a case out)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"case file must be an existing .py file, got {str(path)!r}")
    module_name = f"_benchmark_case_file_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"case file {str(path)!r} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    module.__name__ = str(path)  # name the file in messages
    return collect_cases([module])


def load_cases(case_files: Sequence[str | os.PathLike[str]] | None = None) -> list[Case]:
    """The cases of ``case_files`` (each case name once across them), or of ``benchmarks/cases/`` if none."""
    if not case_files:
        return discover_cases()
    cases: list[Case] = []
    for path in case_files:
        cases.extend(load_case_file(path))
    names = [c.name for c in cases]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"case names defined more than once across --case-file: {', '.join(duplicates)}")
    return cases


def select_cases(cases: Sequence[Case], names: Sequence[str]) -> list[Case]:
    """The cases named (in the order given, once each); all of them if none named.

    >>> c = Case("a", "", ours=lambda: (lambda: None))
    >>> select_cases([c], ["b"])
    Traceback (most recent call last):
    ...
    ValueError: unknown case 'b'; known cases: a
    """
    by_name = {c.name: c for c in cases}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(by_name) or "(none)"
        which = ", ".join(repr(n) for n in unknown)
        raise ValueError(f"unknown case{'s' if len(unknown) > 1 else ''} {which}; known cases: {known}")
    if not names:
        return list(cases)
    return [by_name[n] for n in dict.fromkeys(names)]

"""The benchmark harness: cases, timing, the results table and its JSON.

A *case* times one workload of ours against the same workload written for peer
libraries (PyTorch CPU, MyGrad, micrograd). Every contestant is measured in this
process, on the same data, in the same run, with the timed calls interleaved
round-robin, so the noise of a shared machine falls on all of them alike; what
we report is the median of several timed calls and the ratio against each peer.

A case module (``benchmarks/cases/<topic>.py``) defines a list ``CASES``:

>>> def _ours():
...     data = list(range(1000))          # setup: untimed
...     def run():                        # the thunk: timed
...         return sum(x * x for x in data)
...     return run
>>> def _peer():
...     raise PeerUnavailable("pip install some-peer")
>>> case = Case(
...     name="sum_of_squares",
...     description="sum of squares of 1,000 ints",
...     ours=_ours,
...     peers={"some-peer": _peer},
...     targets={"some-peer": ("speedup>=", 2.0)},
... )
>>> result = measure_case(case, repeat=3, warmup=1)
>>> result.ours.status, result.comparisons[0].measurement.note
('ok', 'not installed: pip install some-peer')

Timing policy: ``time.perf_counter``; each factory is called once (setup,
untimed); each thunk gets ``warmup`` untimed calls, then ``repeat`` timed calls
interleaved across contestants, the starting contestant rotating every round.
Before each timed call we run ``gc.collect()``, and during the call the cyclic
garbage collector is disabled (as ``timeit`` does): a collection pass costs time
in proportion to everything alive in the process -- including the other
contestants' data -- so it would add noise that is not the code under test.
The value a thunk returns is released only after the clock stops.
"""

from __future__ import annotations

import gc
import importlib
import importlib.metadata
import importlib.util
import math
import os
import pkgutil
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

__all__ = [
    "Case",
    "CaseResult",
    "Comparison",
    "Measurement",
    "PeerUnavailable",
    "Report",
    "TARGET_KINDS",
    "collect_cases",
    "discover_cases",
    "evaluate_target",
    "interquartile_range",
    "load_case_file",
    "machine_info",
    "machine_summary",
    "measure_case",
    "median",
    "render_table",
    "run_benchmarks",
    "select_cases",
]

Thunk = Callable[[], object]
Factory = Callable[[], Thunk]
Target = tuple[str, float]
Clock = Callable[[], float]

#: The target forms: ``("speedup>=", k)`` means peer_time / ours_time >= k,
#: ``("ratio<=", k)`` means ours_time / peer_time <= k.
TARGET_KINDS = ("speedup>=", "ratio<=")

#: The name under which our own contestant is stored; no peer may use it.
OURS = "ours"

# How to install the well-known peers, and the distribution holding each
# (for its version); keyed by the first word of the peer name, lower-cased.
_INSTALL_HINTS = {
    "micrograd": "pip install micrograd",
    "mygrad": "pip install mygrad",
    "pytorch": "the CPU build of PyTorch (see benchmarks/README.md)",
    "torch": "the CPU build of PyTorch (see benchmarks/README.md)",
}
_DISTRIBUTIONS = {
    "micrograd": "micrograd",
    "mygrad": "mygrad",
    "pytorch": "torch",
    "torch": "torch",
}

# Environment variables that change how fast numpy runs; recorded, never changed.
_RECORDED_ENV = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)

_NOTE_LIMIT = 160  # characters of an error note shown in the table


class PeerUnavailable(Exception):
    """A peer library is not installed; the message says how to install it.

    >>> str(PeerUnavailable("pip install micrograd"))
    'pip install micrograd'
    """


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One workload, timed for us and for each peer.

    ``ours`` and each value of ``peers`` are *factories*: called once, untimed,
    they do the setup (imports, data) and return the zero-argument thunk that
    is timed. A peer factory raises :class:`PeerUnavailable` (or ``ImportError``)
    when its library is missing. ``targets`` maps a peer name to
    ``("speedup>=", k)`` or ``("ratio<=", k)``. ``peer_packages`` optionally maps
    a peer name to the distribution whose version is reported (the well-known
    peers need no entry).

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
        object.__setattr__(self, "peer_packages", dict(self.peer_packages))


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


# --------------------------------------------------------------------------- statistics


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence (mean of the middle two if even).

    >>> median([3.0, 1.0, 2.0])
    2.0
    >>> median([4.0, 1.0, 3.0, 2.0])
    2.5
    """
    if not values:
        raise ValueError("median: values must be non-empty, got an empty sequence")
    return float(statistics.median(values))


def interquartile_range(values: Sequence[float]) -> float:
    """Q3 - Q1 with linear interpolation between order statistics (0.0 for one value).

    >>> interquartile_range([1.0, 2.0, 3.0, 4.0, 5.0])
    2.0
    >>> interquartile_range([7.0])
    0.0
    """
    if not values:
        raise ValueError("interquartile_range: values must be non-empty, got an empty sequence")
    if len(values) == 1:
        return 0.0
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return float(q3 - q1)


def evaluate_target(target: Target, ours_s: float, peer_s: float) -> bool:
    """Whether our time meets ``target`` against the peer's time.

    >>> evaluate_target(("speedup>=", 2.0), ours_s=1.0, peer_s=3.0)   # 3x faster
    True
    >>> evaluate_target(("ratio<=", 2.0), ours_s=5.0, peer_s=2.0)     # 2.5x slower
    False
    """
    kind, k = target
    if kind == "speedup>=":
        return peer_s / ours_s >= k
    if kind == "ratio<=":
        return ours_s / peer_s <= k
    raise ValueError(f"evaluate_target: kind must be one of {', '.join(TARGET_KINDS)}, got {kind!r}")


# --------------------------------------------------------------------------- results


@dataclass
class Measurement:
    """What happened to one contestant in one case.

    ``status`` is ``"ok"`` (``runs_s`` holds the timed calls, in seconds),
    ``"unavailable"`` (peer not installed) or ``"error"``; ``note`` explains the
    last two.
    """

    status: str = "ok"
    note: str = ""
    runs_s: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.runs_s)

    @property
    def median_s(self) -> float | None:
        return median(self.runs_s) if self.ok else None

    def to_json(self) -> dict[str, object]:
        ok = self.ok
        return {
            "status": self.status,
            "note": self.note,
            "median_ms": _ms(median(self.runs_s)) if ok else None,
            "min_ms": _ms(min(self.runs_s)) if ok else None,
            "iqr_ms": _ms(interquartile_range(self.runs_s)) if ok else None,
            "runs_ms": [_ms(t) for t in self.runs_s],
        }


@dataclass
class Comparison:
    """One table row: a peer's measurement set against ours."""

    peer: str
    measurement: Measurement
    target: Target | None
    version: str | None
    ratio: float | None  # ours / peer
    speedup: float | None  # peer / ours
    met: bool | None  # None: no target, or no figures to judge it

    def to_json(self) -> dict[str, object]:
        target = None if self.target is None else {"kind": self.target[0], "k": self.target[1]}
        return {
            "peer": self.peer,
            "version": self.version,
            **self.measurement.to_json(),
            "ratio_ours_over_peer": self.ratio,
            "speedup_peer_over_ours": self.speedup,
            "target": target,
            "met": self.met,
        }


@dataclass
class CaseResult:
    """Our measurement for one case and one :class:`Comparison` per peer."""

    name: str
    description: str
    ours: Measurement
    comparisons: list[Comparison]

    def to_json(self) -> dict[str, object]:
        return {
            "case": self.name,
            "description": self.description,
            "ours": self.ours.to_json(),
            "peers": [c.to_json() for c in self.comparisons],
        }


def compare(peer: str, ours: Measurement, theirs: Measurement, target: Target | None,
            version: str | None = None) -> Comparison:
    """Ratio, speedup and target verdict of ``theirs`` against ``ours``.

    >>> row = compare("p", Measurement(runs_s=[1.0]), Measurement(runs_s=[4.0]), ("speedup>=", 2.0))
    >>> row.ratio, row.speedup, row.met
    (0.25, 4.0, True)
    """
    ratio = speedup = None
    met = None
    if ours.ok and theirs.ok:
        ours_s, peer_s = ours.median_s, theirs.median_s
        ratio, speedup = ours_s / peer_s, peer_s / ours_s
        if target is not None:
            met = evaluate_target(target, ours_s, peer_s)
    return Comparison(peer, theirs, target, version, ratio, speedup, met)


# --------------------------------------------------------------------------- timing


def _set_up(name: str, factory: Factory) -> tuple[Measurement, Thunk | None]:
    """Call a factory (untimed); a missing peer or a failure becomes a note."""
    try:
        thunk = factory()
    except PeerUnavailable as exc:
        return Measurement("unavailable", _not_installed(name, str(exc))), None
    except ImportError as exc:
        if name == OURS:  # our own code is never "not installed": a bug
            return Measurement("error", _error_note(exc, "setup")), None
        hint = _INSTALL_HINTS.get(_peer_key(name))
        note = f"{hint} ({exc})" if hint else str(exc)
        return Measurement("unavailable", _not_installed(name, note)), None
    except Exception as exc:  # a broken case must not end the whole run
        return Measurement("error", _error_note(exc, "setup")), None
    if not callable(thunk):
        note = f"error: the factory returned {type(thunk).__name__}, expected a zero-argument callable"
        return Measurement("error", note), None
    return Measurement(), thunk


def _not_installed(name: str, hint: str) -> str:
    hint = hint.strip() or _INSTALL_HINTS.get(_peer_key(name), "")
    return hint if hint.lower().startswith("not installed") else f"not installed: {hint}"


def _error_note(exc: BaseException, stage: str = "") -> str:
    where = f" in {stage}" if stage else ""
    return f"error{where}: {type(exc).__name__}: {exc}"


def _timed_call(thunk: Thunk, clock: Clock, disable_gc: bool) -> float:
    """Seconds taken by one call of ``thunk``, after a full collection."""
    gc.collect()
    was_enabled = gc.isenabled()
    if disable_gc:
        gc.disable()
    try:
        start = clock()
        result = thunk()
        elapsed = clock() - start
    finally:
        if was_enabled:
            gc.enable()
    del result  # freed after the clock stopped, for every contestant alike
    return elapsed


def measure_case(case: Case, *, repeat: int = 7, warmup: int = 1, disable_gc: bool = True,
                 clock: Clock = time.perf_counter) -> CaseResult:
    """Set up every contestant, warm each up, then time them round-robin.

    Round ``r`` calls the live contestants in their order rotated by ``r``, so
    each goes first equally often. A contestant whose thunk raises is dropped
    and reported as an error; the others go on.
    """
    _check_count("repeat", repeat, minimum=1)
    _check_count("warmup", warmup, minimum=1)
    contestants: dict[str, Factory] = {OURS: case.ours, **case.peers}
    measurements: dict[str, Measurement] = {}
    thunks: dict[str, Thunk] = {}
    for name, factory in contestants.items():
        measurements[name], thunk = _set_up(name, factory)
        if thunk is not None:
            thunks[name] = thunk

    def drop(name: str, exc: Exception, stage: str) -> None:
        measurements[name] = Measurement("error", _error_note(exc, stage))
        del thunks[name]

    for name in list(thunks):
        try:
            for _ in range(warmup):
                thunks[name]()
        except Exception as exc:
            drop(name, exc, "warm-up")
    for r in range(repeat):
        for name in _rotated(list(thunks), r):
            try:
                measurements[name].runs_s.append(_timed_call(thunks[name], clock, disable_gc))
            except Exception as exc:
                drop(name, exc, "timed call")
    thunks.clear()  # release the contestants' data before the next case
    return _case_result(case, measurements)


def _rotated(names: list[str], r: int) -> list[str]:
    """``names`` rotated left by ``r``: who goes first in round ``r``.

    >>> _rotated(["ours", "a", "b"], 4)
    ['a', 'b', 'ours']
    """
    if not names:
        return []
    r %= len(names)
    return names[r:] + names[:r]


def _case_result(case: Case, measurements: dict[str, Measurement]) -> CaseResult:
    ours = measurements[OURS]
    rows = [
        compare(peer, ours, measurements[peer], case.targets.get(peer), peer_version(peer, case))
        for peer in case.peers
    ]
    return CaseResult(case.name, case.description, ours, rows)


def _check_count(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


# --------------------------------------------------------------------------- the run


@dataclass
class Report:
    """All results of one run, with the settings and the machine they ran on."""

    results: list[CaseResult]
    settings: dict[str, object]
    machine: dict[str, object]
    timestamp: str
    code: dict[str, object] = field(default_factory=dict)

    def peer_versions(self) -> dict[str, str | None]:
        versions: dict[str, str | None] = {}
        for result in self.results:
            for row in result.comparisons:
                versions.setdefault(row.peer, row.version)
        return versions

    def to_json(self) -> dict[str, object]:
        return {
            "timestamp": self.timestamp,
            "code": self.code,
            "settings": self.settings,
            "machine": self.machine,
            "peer_versions": self.peer_versions(),
            "cases": [r.to_json() for r in self.results],
        }

    def to_markdown(self) -> str:
        return render_table(self.results)


def run_benchmarks(cases: Iterable[Case], *, repeat: int = 7, warmup: int = 1, disable_gc: bool = True,
                   clock: Clock = time.perf_counter,
                   progress: Callable[[str], None] | None = None) -> Report:
    """Measure each case in turn (see :func:`measure_case`) into a :class:`Report`."""
    cases = list(cases)
    timestamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    results = []
    for i, case in enumerate(cases, start=1):
        if progress is not None:
            progress(f"[{i}/{len(cases)}] {case.name}: {case.description}")
        results.append(measure_case(case, repeat=repeat, warmup=warmup, disable_gc=disable_gc, clock=clock))
    settings = {
        "repeat": repeat,
        "warmup": warmup,
        "statistic": "median of the timed calls",
        "timer": "time.perf_counter" if clock is time.perf_counter else repr(clock),
        "gc": "gc.collect() before each timed call; "
        + ("collector disabled during the call" if disable_gc else "collector left enabled during the call"),
        "order": "round-robin across contestants, rotating the first each round",
    }
    return Report(results, settings, machine_info(), timestamp, code_info())


# --------------------------------------------------------------------------- the table

COLUMNS = (
    "case",
    "ours (ms, median)",
    "peer",
    "peer (ms, median)",
    "ratio ours/peer",
    "speedup peer/ours",
    "target",
    "met?",
)
_RIGHT_ALIGNED = {1, 3, 4, 5}


def table_rows(results: Iterable[CaseResult]) -> list[list[str]]:
    """The table's cells: one row per (case, peer); one row for a case with no peers."""
    rows = []
    for result in results:
        ours = _cell_time(result.ours)
        if not result.comparisons:
            rows.append([result.name, ours, "-", "", "", "", "", ""])
        for c in result.comparisons:
            rows.append([
                result.name,
                ours,
                c.peer,
                _cell_time(c.measurement),
                "" if c.ratio is None else _fmt3(c.ratio),
                "" if c.speedup is None else _fmt3(c.speedup),
                "" if c.target is None else _fmt_target(c.target),
                _cell_met(c),
            ])
    return rows


def render_table(results: Iterable[CaseResult]) -> str:
    """The results as one markdown table, columns padded for reading as text."""
    rows = [[_escape(cell) for cell in row] for row in table_rows(results)]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(COLUMNS)]

    def line(cells: Sequence[str]) -> str:
        padded = [c.rjust(w) if i in _RIGHT_ALIGNED else c.ljust(w)
                  for i, (c, w) in enumerate(zip(cells, widths))]
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * (w - 1) + ":" if i in _RIGHT_ALIGNED else "-" * w for i, w in enumerate(widths)]
    return "\n".join([line(COLUMNS), line(rule)] + [line(r) for r in rows]) + "\n"


def _cell_time(m: Measurement) -> str:
    if m.ok:
        return _fmt3(_ms(m.median_s))
    note = m.note if len(m.note) <= _NOTE_LIMIT else m.note[: _NOTE_LIMIT - 3] + "..."
    return note or m.status


def _cell_met(c: Comparison) -> str:
    if c.target is None:
        return ""
    if c.met is None:
        return "n/a"
    return "yes" if c.met else "**no**"


def _fmt_target(target: Target) -> str:
    kind, k = target
    return f"{kind[:-2]} {kind[-2:]} {k:g}"


def _fmt3(x: float) -> str:
    """Three significant figures, never in exponent form for x >= 1.

    >>> [_fmt3(x) for x in (0.01234, 1.5, 12.345, 150.0, 999.7, 12345.6)]
    ['0.0123', '1.50', '12.3', '150', '1000', '12346']
    """
    return f"{x:.0f}" if abs(x) >= 999.5 else f"{x:#.3g}".rstrip(".")


def _escape(cell: str) -> str:
    return " ".join(cell.split()).replace("|", "\\|")


def _ms(seconds: float) -> float:
    return round(seconds * 1e3, 6)  # milliseconds to the nanosecond


# --------------------------------------------------------------------------- machine, versions


def machine_info() -> dict[str, object]:
    """Where the figures were measured: OS, Python, numpy, CPU, cores, BLAS env, torch threads.

    Called after the cases ran, so that PyTorch's thread count is the one they used.
    """
    info: dict[str, object] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": _numpy_version(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "tinygrad_cnn": _distribution_version("tinygrad_cnn"),
    }
    info["env"] = {name: os.environ.get(name) for name in _RECORDED_ENV}
    info["torch_num_threads"] = _torch_threads()
    return info


def _torch_threads() -> int | None:
    """PyTorch's intra-op thread count, if a case imported torch (never imported here)."""
    torch = sys.modules.get("torch")
    get = getattr(torch, "get_num_threads", None)
    return get() if callable(get) else None


def machine_summary(machine: Mapping[str, object]) -> str:
    """One line naming the machine, to print under the table.

    >>> machine_summary({"cpu_model": "Some CPU", "cpus_usable": 2, "platform": "Linux-6",
    ...                  "python": "CPython 3.11.7", "numpy": "2.4.6", "env": {"OPENBLAS_CORETYPE": "Haswell"}})
    'Some CPU, 2 usable cores, Linux-6, CPython 3.11.7, numpy 2.4.6, OPENBLAS_CORETYPE=Haswell'
    """
    cores = machine.get("cpus_usable") or machine.get("cpu_count")
    parts = [
        str(machine.get("cpu_model") or "unknown CPU"),
        f"{cores} usable cores" if cores else "unknown core count",
        str(machine.get("platform")),
        str(machine.get("python")),
        f"numpy {machine.get('numpy')}",
    ]
    env = machine.get("env") or {}
    parts += [f"{name}={value}" for name, value in env.items() if value is not None]
    return ", ".join(parts)


def code_info() -> dict[str, object]:
    """The git commit of the code measured, and whether the work tree had changes."""
    root = Path(__file__).resolve().parent.parent
    commit = _git(root, "rev-parse", "HEAD")
    status = _git(root, "status", "--porcelain")
    return {"git_commit": commit, "uncommitted_changes": None if status is None else bool(status)}


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _numpy_version() -> str | None:
    try:
        import numpy
    except ImportError:
        return None
    return numpy.__version__


def _cpu_model() -> str | None:
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return platform.processor() or None
    for key in ("model name", "Hardware", "cpu model", "Processor"):
        match = re.search(rf"^{key}\s*:\s*(.+)$", text, flags=re.MULTILINE)
        if match:
            return match.group(1).strip()
    return platform.processor() or None


def peer_version(peer: str, case: Case | None = None) -> str | None:
    """The installed version of a peer's distribution, or None if unknown.

    >>> peer_version("surely-not-an-installed-peer") is None
    True
    """
    dist = (case.peer_packages.get(peer) if case is not None else None) or _DISTRIBUTIONS.get(_peer_key(peer), peer)
    return _distribution_version(dist)


def _distribution_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def _peer_key(name: str) -> str:
    """``"PyTorch CPU"`` -> ``"pytorch"``: the key of the well-known peer tables."""
    words = re.split(r"[\s_\-]+", name.strip().lower())
    return words[0] if words else ""


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

"""How a case is timed: setup once, warm up, then timed calls interleaved round-robin.

Timing policy: ``time.perf_counter``; each factory is called once (setup,
untimed); each thunk gets ``warmup`` untimed calls, then ``repeat`` timed calls
interleaved across contestants, the starting contestant rotating every round, so
a burst of load from another process falls on all of them alike. Before each
timed call ``gc.collect()`` runs, and during the call the cyclic garbage
collector is disabled (as ``timeit`` does): a collection pass costs time in
proportion to everything alive in the process, the other contestants' data
included. The value a thunk returns is released only after the clock stops.
The page faults of each timed call (minor: a fresh page mapped, ~2.5 µs each;
major: read from disk) are counted from ``resource.getrusage(RUSAGE_SELF)``
just outside the clock (None where ``resource`` is not available).
Warm-up and timed calls run at the thread count asked for (see
:func:`benchmarks.machine.limit_threads`); setup does not.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from benchmarks.case import OURS, Case, Factory, PeerUnavailable, Thunk
from benchmarks.machine import INSTALL_HINTS, limit_threads, peer_key

try:
    import resource as _resource  # Unix only
except ImportError:  # pragma: no cover - Windows
    _resource = None

__all__ = ["CLOCKS", "Clock", "Measurement", "interquartile_range", "measure_contestants", "median"]

Clock = Callable[[], float]
CLOCKS: dict[str, Clock] = {"wall": time.perf_counter, "cpu": time.thread_time}  # the --clock choices


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence (mean of the middle two if even)."""
    if not values:
        raise ValueError("median: values must be non-empty, got an empty sequence")
    return float(statistics.median(values))


def interquartile_range(values: Sequence[float]) -> float:
    """Q3 - Q1 with linear interpolation between order statistics (0.0 for one value)."""
    if not values:
        raise ValueError("interquartile_range: values must be non-empty, got an empty sequence")
    if len(values) == 1:
        return 0.0
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return float(q3 - q1)


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
    minor_faults: list[int] = field(default_factory=list)  # per timed call, when known
    major_faults: list[int] = field(default_factory=list)

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
            "minor_faults_per_call": _median_count(self.minor_faults) if ok else None,
            "major_faults_per_call": _median_count(self.major_faults) if ok else None,
            "minor_faults_runs": list(self.minor_faults),
            "major_faults_runs": list(self.major_faults),
        }


def _median_count(counts: Sequence[int]) -> float | None:
    """The median page-fault count of the timed calls, None if they were not counted."""
    return median(counts) if counts else None


def _ms(seconds: float) -> float:
    return round(seconds * 1e3, 6)  # milliseconds to the nanosecond


def _set_up(name: str, factory: Factory) -> tuple[Measurement, Thunk | None]:
    """Call a factory (untimed); a missing peer or a failure becomes a note."""
    try:
        thunk = factory()
    except PeerUnavailable as exc:
        return Measurement("unavailable", _not_installed(name, str(exc))), None
    except ImportError as exc:
        if name == OURS:  # our own code is never "not installed": a bug
            return Measurement("error", _error_note(exc, "setup")), None
        hint = INSTALL_HINTS.get(peer_key(name))
        note = f"{hint} ({exc})" if hint else str(exc)
        return Measurement("unavailable", _not_installed(name, note)), None
    except Exception as exc:  # a broken case must not end the whole run
        return Measurement("error", _error_note(exc, "setup")), None
    if not callable(thunk):
        note = f"error: the factory returned {type(thunk).__name__}, expected a zero-argument callable"
        return Measurement("error", note), None
    return Measurement(), thunk


def _not_installed(name: str, hint: str) -> str:
    hint = hint.strip() or INSTALL_HINTS.get(peer_key(name), "")
    return hint if hint.lower().startswith("not installed") else f"not installed: {hint}"


def _error_note(exc: BaseException, stage: str = "") -> str:
    where = f" in {stage}" if stage else ""
    return f"error{where}: {type(exc).__name__}: {exc}"


def _page_faults() -> tuple[int, int] | None:
    """(minor, major) page faults of this process so far, or None where ``resource`` is missing (Windows)."""
    if _resource is None:
        return None
    usage = _resource.getrusage(_resource.RUSAGE_SELF)
    return usage.ru_minflt, usage.ru_majflt


def _timed_call(thunk: Thunk, clock: Clock, disable_gc: bool) -> tuple[float, tuple[int, int] | None]:
    """Seconds taken by one call of ``thunk``, after a full collection, and its (minor, major) page faults."""
    gc.collect()
    was_enabled = gc.isenabled()
    if disable_gc:
        gc.disable()
    try:
        before = _page_faults()
        start = clock()
        result = thunk()
        elapsed = clock() - start
        after = _page_faults()
    finally:
        if was_enabled:
            gc.enable()
    del result  # freed after the clock stopped, for every contestant alike
    faults = None if before is None or after is None else (after[0] - before[0], after[1] - before[1])
    return elapsed, faults


def measure_contestants(case: Case, *, repeat: int = 7, warmup: int = 1, disable_gc: bool = True,
                        clock: Clock = time.perf_counter, threads: int | None = None) -> dict[str, Measurement]:
    """Set up every contestant, warm each up, then time them round-robin; ``{name: Measurement}``.

    Round ``r`` calls the live contestants in their order rotated by ``r``, so
    each goes first equally often. A contestant whose thunk raises is dropped
    and reported as an error; the others go on. ``threads`` (None: leave as is)
    is the thread count of BLAS and PyTorch during warm-up and timed calls.
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

    with limit_threads(threads):  # after setup, so that a peer imported there is limited too
        for name in list(thunks):
            try:
                for _ in range(warmup):
                    thunks[name]()
            except Exception as exc:
                drop(name, exc, "warm-up")
        for r in range(repeat):
            for name in _rotated(list(thunks), r):
                try:
                    elapsed, faults = _timed_call(thunks[name], clock, disable_gc)
                except Exception as exc:
                    drop(name, exc, "timed call")
                    continue
                measurement = measurements[name]
                measurement.runs_s.append(elapsed)
                if faults is not None:
                    measurement.minor_faults.append(faults[0])
                    measurement.major_faults.append(faults[1])
    thunks.clear()  # release the contestants' data before the next case
    return measurements


def _rotated(names: list[str], r: int) -> list[str]:
    """``names`` rotated left by ``r``: who goes first in round ``r``.

    >>> _rotated(["ours", "a", "b"], 4)
    ['a', 'b', 'ours']
    """
    if not names:
        return []
    r %= len(names)
    return names[r:] + names[:r]


def _check_count(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")

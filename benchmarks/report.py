"""A run of the benchmarks: ratios, targets, the machine's limit, the markdown tables and the JSON.

A run measures every case once per thread setting (one thread first: the primary
table, robust on a shared machine; then every core). Each table row is one
(case, peer) pair; the markdown is rendered from the JSON form, so
``python -m benchmarks --from-json FILE`` redraws the tables of an earlier run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.case import TARGET_KINDS, Case, Target
from benchmarks.machine import all_cores, code_info, gemm_rate, machine_info, peer_version
from benchmarks.timing import Clock, Measurement, measure_contestants

__all__ = ["COLUMNS", "CaseResult", "Comparison", "Report", "Table", "compare", "evaluate_target",
           "measure_case", "render_table", "run_benchmarks"]


def evaluate_target(target: Target, ours_s: float, peer_s: float) -> bool:
    """Whether our time meets ``target`` against the peer's time (the boundary counts as met)."""
    kind, k = target
    if kind == "speedup>=":
        return peer_s / ours_s >= k
    if kind == "ratio<=":
        return ours_s / peer_s <= k
    raise ValueError(f"evaluate_target: kind must be one of {', '.join(TARGET_KINDS)}, got {kind!r}")


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
        return {"peer": self.peer, "version": self.version, **self.measurement.to_json(),
                "ratio_ours_over_peer": self.ratio, "speedup_peer_over_ours": self.speedup,
                "target": target, "met": self.met}


@dataclass
class CaseResult:
    """Our measurement for one case, one :class:`Comparison` per peer, and the machine's limit if known."""

    name: str
    description: str
    ours: Measurement
    comparisons: list[Comparison]
    limit_s: float | None = None  # the case's FLOPs / numpy's GEMM rate in this run
    alone: Measurement | None = None  # ours again in a fresh interpreter with no peer (benchmarks/alone.py)

    def to_json(self) -> dict[str, object]:
        ours_s = self.ours.median_s
        return {"case": self.name, "description": self.description, "ours": self.ours.to_json(),
                "limit_ms": None if self.limit_s is None else round(self.limit_s * 1e3, 6),
                "ours_over_limit": None if self.limit_s is None or ours_s is None else ours_s / self.limit_s,
                "ours_alone": None if self.alone is None else self.alone.to_json(),
                "peers": [c.to_json() for c in self.comparisons]}


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


def measure_case(case: Case, *, repeat: int = 7, warmup: int = 1, disable_gc: bool = True,
                 clock: Clock = time.perf_counter, threads: int | None = None,
                 all_cores_targets: bool = False) -> CaseResult:
    """Time one case (see :func:`benchmarks.timing.measure_contestants`) and compare each peer with us."""
    measurements = measure_contestants(case, repeat=repeat, warmup=warmup, disable_gc=disable_gc, clock=clock,
                                       threads=threads)
    ours = measurements["ours"]
    targets = case.targets_for(all_cores_targets)
    rows = [compare(peer, ours, measurements[peer], targets.get(peer), peer_version(peer, case.peer_packages))
            for peer in case.peers]
    return CaseResult(case.name, case.description, ours, rows)


@dataclass
class Table:
    """The results of every case at one thread count."""

    threads: int | None
    label: str
    results: list[CaseResult]
    gemm_gflops: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {"threads": self.threads, "label": self.label, "numpy_gemm_gflops": self.gemm_gflops,
                "cases": [r.to_json() for r in self.results]}


@dataclass
class Report:
    """All tables of one run, with the settings and the machine they ran on."""

    tables: list[Table]
    settings: dict[str, object]
    machine: dict[str, object]
    timestamp: str
    code: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        versions: dict[str, str | None] = {}
        for table in self.tables:
            for result in table.results:
                for row in result.comparisons:
                    versions.setdefault(row.peer, row.version)
        return {"timestamp": self.timestamp, "code": self.code, "settings": self.settings,
                "machine": self.machine, "peer_versions": versions, "tables": [t.to_json() for t in self.tables]}

    def to_markdown(self) -> str:
        return markdown_from_json(self.to_json())


def run_benchmarks(cases: Iterable[Case], *, repeat: int = 7, warmup: int = 1, disable_gc: bool = True,
                   clock: Clock = time.perf_counter, threads: Sequence[int | None] = (None,),
                   progress: Callable[[str], None] | None = None, alone: bool = False,
                   case_files: Sequence[Path] = ()) -> Report:
    """Measure each case at each thread count in ``threads`` (None: as the process is) into a :class:`Report`;
    with ``alone``, our side of each case once more in a fresh interpreter that imports no peer
    (:func:`benchmarks.alone.measure_alone`; its cases come from ``case_files`` if given)."""
    cases = list(cases)
    timestamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    cores = all_cores()
    tables = []
    for n in threads:
        label = _thread_label(n, cores)
        results = []
        gflops: dict[str, float] = {}
        for i, case in enumerate(cases, start=1):
            if progress is not None:
                progress(f"[{label}, {i}/{len(cases)}] {case.name}: {case.description}")
            result = measure_case(case, repeat=repeat, warmup=warmup, disable_gc=disable_gc, clock=clock,
                                  threads=n, all_cores_targets=n is not None and n > 1)
            if case.flops is not None and case.dtype is not None:
                if case.dtype not in gflops:
                    from benchmarks.machine import limit_threads

                    with limit_threads(n):
                        gflops[case.dtype] = gemm_rate(case.dtype) / 1e9
                result.limit_s = case.flops / (gflops[case.dtype] * 1e9)
            if alone:
                from benchmarks.alone import measure_alone

                result.alone = measure_alone(case, repeat=repeat, warmup=warmup, disable_gc=disable_gc, clock=clock,
                                             threads=n, case_files=case_files)
            results.append(result)
        tables.append(Table(n, label, results, gflops))
    settings = {
        "repeat": repeat,
        "warmup": warmup,
        "statistic": "median of the timed calls",
        "timer": f"time.{clock.__name__}" if clock in (time.perf_counter, time.thread_time) else repr(clock),
        "gc": "gc.collect() before each timed call; "
        + ("collector disabled during the call" if disable_gc else "collector left enabled during the call"),
        "order": "round-robin across contestants, rotating the first each round",
        "threads": "BLAS/OpenMP via threadpoolctl and torch.set_num_threads, the same on both sides",
        "alone": "ours also timed in a fresh interpreter that imports no peer" if alone else "not measured",
    }
    return Report(tables, settings, machine_info(), timestamp, code_info())


def _thread_label(n: int | None, cores: int) -> str:
    if n is None:
        return "threads as configured"
    if n == 1:
        return "one thread"
    return f"all cores ({n} threads)" if n == cores else f"{n} threads"


# --------------------------------------------------------------------------- the markdown tables

COLUMNS = ("case", "ours (ms, median)", "peer", "peer (ms, median)", "ratio ours/peer", "speedup peer/ours",
           "target", "met?", "limit (ms)", "ours/limit", "page faults/call ours / peer",
           "ours alone (ms, faults/call)")
_RIGHT_ALIGNED = {1, 3, 4, 5, 8, 9, 10, 11}
_NOTE_LIMIT = 160  # characters of an error note shown in the table


def markdown_from_json(doc: Mapping[str, object]) -> str:
    """One markdown table per thread setting, from a report's JSON form."""
    parts = []
    for table in doc["tables"]:  # type: ignore[union-attr]
        gemm = ", ".join(f"{dtype} {rate:.1f} GFLOP/s" for dtype, rate in table["numpy_gemm_gflops"].items())
        heading = f"### {table['label']}"
        parts.append(heading + (f" (numpy GEMM: {gemm})" if gemm else "") + "\n\n" + render_rows(table["cases"]))
    return "\n".join(parts)


def render_table(results: Iterable[CaseResult]) -> str:
    """The results as one markdown table, columns padded for reading as text."""
    return render_rows([r.to_json() for r in results])


def render_rows(cases: Sequence[Mapping]) -> str:
    rows = [[_escape(cell) for cell in row] for row in _table_rows(cases)]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(COLUMNS)]

    def line(cells: Sequence[str]) -> str:
        padded = [c.rjust(w) if i in _RIGHT_ALIGNED else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * (w - 1) + ":" if i in _RIGHT_ALIGNED else "-" * w for i, w in enumerate(widths)]
    return "\n".join([line(COLUMNS), line(rule)] + [line(r) for r in rows]) + "\n"


def _table_rows(cases: Sequence[Mapping]) -> list[list[str]]:
    """One row per (case, peer); one row for a case with no peers."""
    rows = []
    for case in cases:
        ours = _cell_time(case["ours"])
        limit = "" if case.get("limit_ms") is None else _fmt3(case["limit_ms"])
        over = "" if case.get("ours_over_limit") is None else _fmt3(case["ours_over_limit"])
        if not case["peers"]:
            rows.append([case["case"], ours, "-", "", "", "", "", "", limit, over, _cell_faults(case["ours"], None),
                         _cell_alone(case.get("ours_alone"))])
        for p in case["peers"]:
            rows.append([
                case["case"], ours, p["peer"], _cell_time(p),
                "" if p["ratio_ours_over_peer"] is None else _fmt3(p["ratio_ours_over_peer"]),
                "" if p["speedup_peer_over_ours"] is None else _fmt3(p["speedup_peer_over_ours"]),
                "" if p["target"] is None else _fmt_target(p["target"]), _cell_met(p), limit, over,
                _cell_faults(case["ours"], p), _cell_alone(case.get("ours_alone")),
            ])
    return rows


def _cell_alone(alone: Mapping | None) -> str:
    """Our median in a fresh interpreter with no peer imported, and its page faults per call.

    >>> _cell_alone({"status": "ok", "note": "", "median_ms": 6.83, "minor_faults_per_call": 0,
    ...              "major_faults_per_call": 0})
    '6.83, 0'
    >>> _cell_alone(None)
    ''
    """
    if alone is None:
        return ""
    if alone["median_ms"] is None:
        return _cell_time(alone)
    faults = _cell_faults(alone, None)
    return _fmt3(alone["median_ms"]) + (f", {faults}" if faults else "")


def _cell_time(m: Mapping) -> str:
    if m["median_ms"] is not None:
        return _fmt3(m["median_ms"])
    note = m["note"] if len(m["note"]) <= _NOTE_LIMIT else m["note"][: _NOTE_LIMIT - 3] + "..."
    return note or m["status"]


def _cell_faults(ours: Mapping, peer: Mapping | None) -> str:
    """Median minor page faults per timed call, ours / the peer's, with the major ones if there were any.

    An older JSON without the counts gives an empty cell.

    >>> _cell_faults({"minor_faults_per_call": 1400, "major_faults_per_call": 0},
    ...              {"minor_faults_per_call": 12.5, "major_faults_per_call": 0})
    '1400 / 12.5'
    >>> _cell_faults({"minor_faults_per_call": 3, "major_faults_per_call": 1}, None)
    '3 (major 1)'
    """
    cells = []
    for m in (ours, peer) if peer is not None else (ours,):
        minor, major = m.get("minor_faults_per_call"), m.get("major_faults_per_call")
        if minor is None:
            cells.append("")
            continue
        cells.append(f"{minor:g}" + (f" (major {major:g})" if major else ""))
    return "" if not any(cells) else " / ".join(cell or "-" for cell in cells)


def _cell_met(p: Mapping) -> str:
    if p["target"] is None:
        return ""
    if p["met"] is None:
        return "n/a"
    return "yes" if p["met"] else "**no**"


def _fmt_target(target: Mapping) -> str:
    kind, k = target["kind"], target["k"]
    return f"{kind[:-2]} {kind[-2:]} {k:g}"


def _fmt3(x: float) -> str:
    """Three significant figures, never in exponent form for x >= 1.

    >>> [_fmt3(x) for x in (0.01234, 1.5, 12.345, 150.0, 999.7, 12345.6)]
    ['0.0123', '1.50', '12.3', '150', '1000', '12346']
    """
    return f"{x:.0f}" if abs(x) >= 999.5 else f"{x:#.3g}".rstrip(".")


def _escape(cell: str) -> str:
    return " ".join(cell.split()).replace("|", "\\|")

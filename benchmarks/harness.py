"""The benchmark harness, in one import: cases, timing, the report and the machine.

Case modules import from here (``from benchmarks.harness import Case, PeerUnavailable``). The parts
live in :mod:`benchmarks.case` (what a case is, finding cases), :mod:`benchmarks.timing` (interleaved
timed calls), :mod:`benchmarks.report` (ratios, targets, tables, JSON) and :mod:`benchmarks.machine`
(where and at how many threads it ran).

>>> def _ours():
...     data = list(range(1000))          # setup: untimed
...     return lambda: sum(x * x for x in data)   # the thunk: timed
>>> def _peer():
...     raise PeerUnavailable("pip install some-peer")
>>> case = Case("sum_of_squares", "sum of squares of 1,000 ints", ours=_ours, peers={"some-peer": _peer},
...             targets={"some-peer": ("speedup>=", 2.0)})
>>> result = measure_case(case, repeat=3, warmup=1)
>>> result.ours.status, result.comparisons[0].measurement.note
('ok', 'not installed: pip install some-peer')
"""

from benchmarks.case import (
    OURS,
    TARGET_KINDS,
    Case,
    PeerUnavailable,
    collect_cases,
    discover_cases,
    load_case_file,
    select_cases,
)
from benchmarks.machine import (
    all_cores,
    blas_info,
    code_info,
    gemm_rate,
    limit_threads,
    machine_info,
    machine_summary,
    peer_version,
)
from benchmarks.report import (
    COLUMNS,
    CaseResult,
    Comparison,
    Report,
    Table,
    compare,
    evaluate_target,
    markdown_from_json,
    measure_case,
    render_table,
    run_benchmarks,
)
from benchmarks.timing import Measurement, interquartile_range, median

__all__ = [
    "COLUMNS", "OURS", "TARGET_KINDS", "Case", "CaseResult", "Comparison", "Measurement", "PeerUnavailable",
    "Report", "Table", "all_cores", "blas_info", "code_info", "collect_cases", "compare", "discover_cases",
    "evaluate_target", "gemm_rate", "interquartile_range", "limit_threads", "load_case_file", "machine_info",
    "machine_summary", "markdown_from_json", "measure_case", "median", "peer_version", "render_table",
    "run_benchmarks", "select_cases",
]

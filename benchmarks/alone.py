"""Our side of a case timed again in a fresh interpreter that imports no peer: what a user who never imports
PyTorch sees.

Why: a peer's import changes how our memory behaves. glibc raises its mmap and trim thresholds after the
first large block is freed, and importing PyTorch frees some; in the same process as PyTorch our large arrays
then come from a heap that is never given back, and cost no page fault. Measured on the LeNet step before
op outputs were recycled (issue 19, round four): 0 faults and 6.2 ms beside PyTorch, 2,277 faults and
16.3 ms alone. The main tables keep the same-process ratio (the protocol); this column is the user's figure.

Usage (what :func:`measure_alone` runs)::

    python -m benchmarks.alone CASE --threads 1 --repeat 7 --warmup 1 --clock cpu [--keep-gc] [--case-file F]

prints one JSON object: our :class:`~benchmarks.timing.Measurement` and the peer modules that were imported.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.case import Case, load_cases, select_cases
from benchmarks.timing import CLOCKS, Clock, Measurement, measure_contestants

__all__ = ["PEER_MODULES", "measure_alone"]

PEER_MODULES = ("torch", "mygrad", "micrograd")  # none of them may be imported in the fresh interpreter
_ROOT = Path(__file__).resolve().parent.parent


def measure_alone(case: Case, *, repeat: int, warmup: int, disable_gc: bool, clock: Clock,
                  threads: int | None, case_files: Sequence[Path] = (), timeout_s: float = 600) -> Measurement:
    """Our contestant of ``case`` timed in a fresh interpreter (``python -m benchmarks.alone``) with the same
    clock (one of ``CLOCKS``; any other times the wall); a failure, or a peer imported there after all, comes
    back as an ``error`` Measurement with a note."""
    clock_name = next((name for name, known in CLOCKS.items() if known is clock), "wall")
    command = [sys.executable, "-m", "benchmarks.alone", case.name, "--repeat", str(repeat), "--warmup",
               str(warmup), "--clock", clock_name]
    if threads is not None:
        command += ["--threads", str(threads)]
    if not disable_gc:
        command.append("--keep-gc")
    for path in case_files:
        command += ["--case-file", str(Path(path).resolve())]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, cwd=_ROOT)
    except subprocess.TimeoutExpired:
        return Measurement("error", f"error: the fresh interpreter ran past {timeout_s:g} s")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return Measurement("error", f"error in the fresh interpreter: {last}")
    doc = json.loads(done.stdout)
    if doc["peers_imported"]:
        return Measurement("error", f"error: the case imported {', '.join(doc['peers_imported'])} on our side")
    return Measurement(doc["status"], doc["note"], doc["runs_s"], doc["minor_faults"], doc["major_faults"])


def _worker(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.alone")
    parser.add_argument("case")
    parser.add_argument("--repeat", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--clock", choices=tuple(CLOCKS), required=True)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--keep-gc", action="store_true")
    parser.add_argument("--case-file", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    (case,) = select_cases(load_cases(args.case_file), [args.case])
    ours_only = dataclasses.replace(case, peers={}, targets={}, targets_all_cores=None)
    m = measure_contestants(ours_only, repeat=args.repeat, warmup=args.warmup, disable_gc=not args.keep_gc,
                            clock=CLOCKS[args.clock], threads=args.threads)["ours"]
    print(json.dumps({"status": m.status, "note": m.note, "runs_s": m.runs_s, "minor_faults": m.minor_faults,
                      "major_faults": m.major_faults,
                      "peers_imported": [name for name in PEER_MODULES if name in sys.modules]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(_worker())

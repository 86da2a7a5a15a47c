"""Command line of the benchmarks: time the cases, print a table, write JSON.

Usage, from the repository root::

    python -m benchmarks                        # every case, at one thread and at all cores
    python -m benchmarks scalar_engine_200k     # only the named cases (or --only NAME, repeatable)
    python -m benchmarks --threads 1 --repeat 3 # a quick run: one thread, three timed calls
    python -m benchmarks --list                 # names and descriptions
    python -m benchmarks --plot DIR             # the scaling sweep, drawn to DIR/scaling.png
    python -m benchmarks --memory               # peak memory of a large conv2d forward + backward
    python -m benchmarks --from-json FILE       # the tables of an earlier run, without measuring
    python benchmarks/run.py --repeat 11 --json /tmp/bench.json

The markdown table goes to standard output (so ``> table.md`` captures just
it); progress and the JSON path go to standard error. The exit status is 0,
or 1 if one of *our* contestants failed (a peer's failure is only a note),
or 2 for a usage error such as an unknown case name.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]  # no shadowing by our modules
    sys.path.insert(0, str(_here.parent))

import argparse  # noqa: E402
import json  # noqa: E402
from collections.abc import Sequence  # noqa: E402

from benchmarks.case import Case, load_cases, select_cases  # noqa: E402
from benchmarks.machine import all_cores, machine_summary  # noqa: E402
from benchmarks.report import Report, markdown_from_json, run_benchmarks  # noqa: E402
from benchmarks.timing import CLOCKS  # noqa: E402

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"
RECOMMENDED_REPEAT = 7


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _thread_list(text: str) -> list[int]:
    """``"1,all"`` -> ``[1, <usable cores>]``."""
    counts = []
    for word in text.split(","):
        word = word.strip()
        if word == "all":
            counts.append(all_cores())
        else:
            counts.append(_positive_int(word))
    return list(dict.fromkeys(counts))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time tinygrad_cnn against its peers (PyTorch CPU, MyGrad, micrograd) in one process "
        "and print a markdown table; the same figures are written as JSON.",
    )
    parser.add_argument("cases", nargs="*", metavar="CASE", help="cases to run (default: all; see --list)")
    parser.add_argument("--only", action="append", default=[], metavar="CASE",
                        help="run only this case (repeatable; the same as naming it)")
    parser.add_argument("--threads", type=_thread_list, default="1,all", metavar="LIST",
                        help="thread counts to measure at, both sides alike, comma-separated; 'all' is every "
                        "usable core (default: 1,all: the one-thread table, then the all-cores table)")
    parser.add_argument("--repeat", type=_positive_int, default=RECOMMENDED_REPEAT,
                        help=f"timed calls per contestant; the median is reported (default and "
                        f"recommended minimum: {RECOMMENDED_REPEAT})")
    parser.add_argument("--warmup", type=_positive_int, default=1,
                        help="untimed calls per contestant before timing (default: 1)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, metavar="PATH",
                        help="where to write the figures as JSON (default: benchmarks/results/latest.json)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--keep-gc", action="store_true",
                        help="leave the garbage collector enabled during timed calls (default: disabled, "
                        "as timeit does; gc.collect() runs before every timed call either way)")
    parser.add_argument("--clock", choices=tuple(CLOCKS), default="wall",
                        help="wall: time.perf_counter (default); cpu: the calling thread's CPU time "
                        "(time.thread_time), which leaves out the time the scheduler gives other processes on a "
                        "loaded machine; meaningful for the one-thread table only (other threads' work is not counted)")
    parser.add_argument("--case-file", type=Path, action="append", metavar="PATH",
                        help="take the cases from this .py file (repeatable) instead of benchmarks/cases/, "
                        "to try a case out")
    parser.add_argument("--from-json", type=Path, metavar="PATH",
                        help="print the tables of an earlier run's JSON and exit (nothing is measured)")
    parser.add_argument("--plot", type=Path, metavar="DIR",
                        help="run the scaling sweep (batch and image size, ours and PyTorch) and draw it to "
                        "DIR/scaling.png (needs matplotlib); its figures go to DIR/scaling.json")
    parser.add_argument("--no-alone", action="store_true",
                        help="skip timing our side of each case again in a fresh interpreter that imports no "
                        "peer (the 'ours alone' column: what a user without PyTorch sees; see benchmarks/alone.py)")
    parser.add_argument("--memory", action="store_true",
                        help="measure the peak memory (tracemalloc) of a large conv2d forward + backward")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.from_json is not None:
        print(markdown_from_json(json.loads(args.from_json.read_text())), end="")
        return 0
    if args.plot is not None or args.memory:
        return _extras(args)
    try:
        known = load_cases(args.case_file)
        cases = select_cases(known, [*args.cases, *args.only])
    except ValueError as exc:
        parser.error(str(exc))  # exits with status 2
    if not cases:
        _say("no cases found: add a module to benchmarks/cases/ (see benchmarks/README.md)")
    if args.list:
        print(_listing(cases), end="")
        return 0
    if args.repeat < RECOMMENDED_REPEAT:
        _say(f"note: --repeat {args.repeat} is below the recommended {RECOMMENDED_REPEAT}; medians will be noisy")
    clock = CLOCKS[args.clock]
    report = run_benchmarks(cases, repeat=args.repeat, warmup=args.warmup, threads=args.threads,
                            disable_gc=not args.keep_gc, clock=clock, progress=_say, alone=not args.no_alone,
                            case_files=args.case_file or ())
    print(report.to_markdown(), end="")
    _write_json(report, args.json)
    _say(f"measured on: {machine_summary(report.machine)}")
    _say(f"figures written to {args.json}")
    return 1 if any(r.ours.status != "ok" for t in report.tables for r in t.results) else 0


def _extras(args: argparse.Namespace) -> int:
    """--plot DIR (the scaling sweep and its figure) and --memory."""
    if args.plot is not None:
        from benchmarks import scaling

        args.plot.mkdir(parents=True, exist_ok=True)
        doc = scaling.sweep(repeat=args.repeat, progress=_say)
        (args.plot / "scaling.json").write_text(json.dumps(doc, indent=2) + "\n")
        print(scaling.markdown(doc), end="")
        figure = scaling.plot(doc, args.plot / "scaling.png")
        _say(f"figure written to {figure}")
    if args.memory:
        from benchmarks import memory

        doc = memory.measure()
        print(memory.markdown(doc), end="")
        path = args.json.with_name("memory.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=2) + "\n")
        _say(f"figures written to {path}")
    return 0


def _listing(cases: Sequence[Case]) -> str:
    width = max((len(c.name) for c in cases), default=0)
    lines = []
    for case in cases:
        peers = ", ".join(case.peers) or "no peers"
        lines.append(f"{case.name.ljust(width)}  {case.description} [{peers}]")
    return "".join(line + "\n" for line in lines)


def _write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_json(), indent=2) + "\n")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())

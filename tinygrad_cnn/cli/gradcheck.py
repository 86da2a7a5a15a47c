"""``tinygrad-cnn gradcheck``: the library's gradient property checks, without pytest."""

from __future__ import annotations

import argparse
import sys

from ._argtypes import number

DEFAULT_EXAMPLES = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--examples", type=number(int, 1), default=None, metavar="N",
                        help=f"Hypothesis examples per op (default: {DEFAULT_EXAMPLES})")
    parser.add_argument("--op", action="append", default=None, metavar="NAME",
                        help="check only this op (repeatable); --list shows the names")
    parser.add_argument("--seed", type=number(int, 0), default=None, metavar="S",
                        help="seed of the random draws (default: derandomized, the same every run)")
    parser.add_argument("--order", type=int, choices=(1, 2), default=1,
                        help="1: gradients vs finite differences (default); 2: second derivatives (gradgradcheck: "
                             "the engine's double backward vs finite differences of the gradient), for the ops "
                             "whose backward is differentiable")
    parser.add_argument("--list", action="store_true",
                        help="list the ops that can be checked and exit (alone: it runs no check)")


def run(args: argparse.Namespace) -> int:
    try:
        from ..testing import checks
    except ImportError as error:
        print(f"tinygrad-cnn gradcheck: needs Hypothesis ({error}); install it with: "
              "pip install 'tinygrad_cnn[test]'", file=sys.stderr)
        return 2
    if args.list:
        ignored = [option for option, value in (("--op", args.op), ("--examples", args.examples),
                                                 ("--seed", args.seed)) if value is not None]
        if ignored:
            print(f"tinygrad-cnn gradcheck: error: --list lists every op and runs no check, so {', '.join(ignored)} "
                  f"would be ignored; drop --list to run the checks", file=sys.stderr)
            return 2
        for check in checks.CHECKS:
            print(f"{check.name:20s} {check.kind:14s} {'orders 1, 2' if check.second_order else 'order 1'}")
        return 0
    examples = args.examples if args.examples is not None else DEFAULT_EXAMPLES
    names = list(dict.fromkeys(args.op)) if args.op else checks.check_names()  # an op named twice runs once
    unknown = [n for n in names if n not in checks.check_names()]
    if unknown:
        print(f"tinygrad-cnn gradcheck: error: unknown --op {', '.join(unknown)}; "
              f"known: {', '.join(checks.check_names())}", file=sys.stderr)
        return 2
    if args.order == 2:
        first_only = [n for n in names if not checks.get_check(n).second_order]
        if first_only and args.op:
            print(f"tinygrad-cnn gradcheck: error: --order 2: the backward of {', '.join(first_only)} is not "
                  "differentiable yet (first order only); --list shows each op's orders", file=sys.stderr)
            return 2
        names = [n for n in names if n not in first_only]
    what = "central finite differences" if args.order == 1 else "finite differences of the gradient (order 2)"
    print(f"gradcheck of {len(names)} ops against {what} (float64), "
          f"{examples} Hypothesis examples each" + (f", seed {args.seed}" if args.seed is not None else ""))
    header = (f"| {'op':20s} | {'examples':>8s} | {'max abs err':>11s} | {'max rel err':>11s} "
              f"| {'seconds':>7s} | result |")
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    failures = []
    for name in names:
        result = checks.run_check(checks.get_check(name), examples=examples, seed=args.seed, order=args.order)
        print(f"| {name:20s} | {result.examples:8d} | {result.max_abs_error:11.2e} | {result.max_rel_error:11.2e} "
              f"| {result.seconds:7.2f} | {'pass' if result.passed else 'FAIL'}   |", flush=True)
        if not result.passed:
            failures.append(result)
    for result in failures:
        print(f"\n{result.name} failed:\n{result.failure}")
    print(f"\n{len(names) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0

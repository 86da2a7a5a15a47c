"""The before/after table of mutation runs (the JSON files of tools/mutate.py --json).

    python tools/mutation_summary.py BEFORE.json AFTER.json [AFTER2.json ...] [--merge]

``--merge``: AFTER re-ran only some lines of the module (``--lines``, the survivors' lines, after tests were
added and those lines possibly simplified): its results replace BEFORE's on those lines, the rest of BEFORE stands.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def score(results: list[dict]) -> tuple[int, int]:
    return sum(r["outcome"] != "survived" for r in results), len(results)


def merge(before: list[dict], after: list[dict]) -> list[dict]:
    """BEFORE's results on the lines AFTER did not re-run, then AFTER's (every mutant of the re-run lines)."""
    lines = {r["line"] for r in after}
    return [r for r in before if r["line"] not in lines] + list(after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path, nargs="+")
    parser.add_argument("--merge", action="store_true")
    args = parser.parse_args()
    before = json.loads(args.before.read_text())
    afters = [json.loads(path.read_text()) for path in args.after]
    after = afters[-1]
    results = before["results"] if args.merge else after["results"]
    for later in afters if args.merge else []:
        results = merge(results, later["results"])  # in order: a later file's lines replace an earlier's
    (k0, n0), (k1, n1) = score(before["results"]), score(results)
    print(f"| `{after['module']}` | {k0}/{n0} ({100 * k0 / n0:.1f} %) | {k1}/{n1} ({100 * k1 / n1:.1f} %) |")
    for r in results:
        if r["outcome"] == "survived":
            print(f"  survivor: line {r['line']}: {r['mutation']}")


if __name__ == "__main__":
    main()

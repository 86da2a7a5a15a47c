"""The before/after table of mutation runs (the JSON files of tools/mutate.py --json).

    python tools/mutation_summary.py BEFORE.json AFTER.json [--merge]

``--merge``: AFTER re-ran only some mutants of the same, unchanged module (``--lines``); its outcome replaces
BEFORE's for every (line, mutation) it re-ran, in order, and the rest of BEFORE stands.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path


def score(results: list[dict]) -> tuple[int, int]:
    return sum(r["outcome"] != "survived" for r in results), len(results)


def merge(before: list[dict], after: list[dict]) -> list[dict]:
    redone = defaultdict(list)
    for r in after:
        redone[(r["line"], r["mutation"])].append(r["outcome"])
    merged, used = [], defaultdict(int)
    for r in before:
        key = (r["line"], r["mutation"])
        if key in redone and used[key] < len(redone[key]):
            r = {**r, "outcome": redone[key][used[key]]}
            used[key] += 1
        merged.append(r)
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--merge", action="store_true")
    args = parser.parse_args()
    before = json.loads(args.before.read_text())
    after = json.loads(args.after.read_text())
    results = merge(before["results"], after["results"]) if args.merge else after["results"]
    (k0, n0), (k1, n1) = score(before["results"]), score(results)
    print(f"| `{after['module']}` | {k0}/{n0} ({100 * k0 / n0:.1f} %) | {k1}/{n1} ({100 * k1 / n1:.1f} %) |")
    for r in results:
        if r["outcome"] == "survived":
            print(f"  survivor: line {r['line']}: {r['mutation']}")


if __name__ == "__main__":
    main()

"""A small mutation tester: one operator change at a time in one module, the given tests run on each mutant.

    python tools/mutate.py tinygrad_cnn/deltas/comparison.py tests/test_deltas.py [more tests ...]
        [-k EXPR] [--confirm SLOWER_TESTS ...] [--timeout 120] [--json out.json] [--list]

Run it with the interpreter of a venv without PyTorch (e.g. /work/venv-notorch/bin/python): the verifiers
must be guarded by oracles that do not need it.

Operators (each site gives one mutant): a comparison flipped (< ↔ <=, > ↔ >=, == ↔ !=, in ↔ not in,
is ↔ is not); + ↔ −, * ↔ /; a float constant ×10 and ÷10, an int constant +1; abs(x) / np.abs(x) → x; and ↔ or;
``not x`` → x; ``return x`` → ``return None``; a statement of a function body dropped (``pass``). Docstrings,
``__all__`` and annotations are left alone. The module is mutated in a copy of the package (a temporary
directory, bytecode off), so the working tree is never touched. A mutant is killed when the tests fail (or
time out); the survivors are listed with their line and the change, to be judged by hand.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
           ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Raise, ast.Return, ast.If, ast.For, ast.With)


def _skipped(tree: ast.AST) -> set[int]:
    """ids of nodes never mutated: docstrings, __all__, annotations."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            skip.update(id(n) for n in ast.walk(body[0]))
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            skip.update(id(n) for n in ast.walk(node))
        for annotation in (getattr(node, "annotation", None), getattr(node, "returns", None)):
            if annotation is not None:
                skip.update(id(n) for n in ast.walk(annotation))
    return skip


def sites(tree: ast.AST) -> list[tuple[int, str, object]]:
    """(line, description, how) for every mutant; ``how`` is applied to a deep copy by :func:`mutant`."""
    skip, found = _skipped(tree), []
    in_function = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                   for n in f.body}
    for path, node in _walk(tree):
        if id(node) in skip:
            continue
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in COMPARE:
                    found.append((line, f"{type(op).__name__} -> {COMPARE[type(op)].__name__}", ("cmp", path, k)))
        elif isinstance(node, ast.BinOp) and type(node.op) in BINOP:
            found.append((line, f"{type(node.op).__name__} -> {BINOP[type(node.op)].__name__}", ("bin", path)))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float) and not isinstance(node.value, bool):
            if isinstance(node.value, float) and node.value != 0:
                found.append((line, f"{node.value!r} * 10", ("const", path, node.value * 10)))
                found.append((line, f"{node.value!r} / 10", ("const", path, node.value / 10)))
            else:
                found.append((line, f"{node.value!r} + 1", ("const", path, node.value + 1)))
        elif isinstance(node, ast.Call) and len(node.args) == 1 and (
                getattr(node.func, "id", None) == "abs" or getattr(node.func, "attr", None) == "abs"):
            found.append((line, "abs(x) -> x", ("abs", path)))
        elif isinstance(node, ast.BoolOp):
            found.append((line, f"{type(node.op).__name__} -> {'Or' if isinstance(node.op, ast.And) else 'And'}",
                          ("bool", path)))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            found.append((line, "not x -> x", ("not", path)))
        if isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            found.append((line, "return x -> return None", ("ret", path)))
        if isinstance(node, SIMPLE) and id(node) in in_function:
            found.append((line, f"drop {type(node).__name__}", ("drop", path)))
    return found


def _walk(node: ast.AST, path: tuple = ()):
    yield path, node
    for field, value in ast.iter_fields(node):
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, ast.AST):
                    yield from _walk(item, (*path, (field, i)))
        elif isinstance(value, ast.AST):
            yield from _walk(value, (*path, (field, None)))


def _get(tree: ast.AST, path: tuple) -> ast.AST:
    for field, i in path:
        tree = getattr(tree, field) if i is None else getattr(tree, field)[i]
    return tree


def _set(tree: ast.AST, path: tuple, new: ast.AST) -> None:
    parent, (field, i) = _get(tree, path[:-1]), path[-1]
    if i is None:
        setattr(parent, field, new)
    else:
        getattr(parent, field)[i] = new


def mutant(tree: ast.AST, how: tuple) -> str:
    tree = copy.deepcopy(tree)
    kind, path = how[0], how[1]
    node = _get(tree, path)
    if kind == "cmp":
        node.ops[how[2]] = COMPARE[type(node.ops[how[2]])]()
    elif kind == "bin":
        node.op = BINOP[type(node.op)]()
    elif kind == "const":
        node.value = how[2]
    elif kind == "abs":
        _set(tree, path, node.args[0])
    elif kind == "bool":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "not":
        _set(tree, path, node.operand)
    elif kind == "ret":
        node.value = ast.Constant(None)
    elif kind == "drop":
        _set(tree, path, ast.copy_location(ast.Pass(), node))
    return ast.unparse(ast.fix_missing_locations(tree))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", type=Path)
    parser.add_argument("tests", nargs="+")
    parser.add_argument("--python", default=sys.executable, help="the interpreter that runs the tests")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--list", action="store_true", help="only list the mutants")
    parser.add_argument("-k", default=None, help="pytest -k expression")
    parser.add_argument("--every", type=int, default=1, metavar="N", help="run every N-th mutant only (a sample)")
    parser.add_argument("--lines", default=None, help="only mutants on these lines (e.g. 41,83)")
    parser.add_argument("--confirm", nargs="*", default=[], metavar="TEST",
                        help="slower tests run only on the survivors of the first tests (e.g. tests/test_bad_input.py)")
    args = parser.parse_args()
    root = Path.cwd()
    tree = ast.parse(args.module.read_text())
    found = sites(tree)
    if args.lines:
        found = [site for site in found if site[0] in {int(n) for n in args.lines.split(",")}]
    found = found[::args.every]
    if args.list:
        for line, what, _ in found:
            print(f"{args.module}:{line}: {what}")
        print(f"{len(found)} mutants")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(root / "tinygrad_cnn", work / "tinygrad_cnn", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(root / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("setup.cfg", "pyproject.toml", "README.md"):
            shutil.copy(root / name, work / name)
        target = work / args.module
        env = dict(os.environ, PYTHONPATH=str(work), PYTHONDONTWRITEBYTECODE="1")
        command = [args.python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *args.tests]
        if args.k:
            command += ["-k", args.k]

        def run(source: str, tests: list[str] | None = None) -> str:
            target.write_text(source)
            argv = command if tests is None else [*command[:command.index("no:cacheprovider") + 1], *tests]
            try:
                done = subprocess.run(argv, cwd=work, env=env, capture_output=True, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                return "timeout"
            return "survived" if done.returncode == 0 else "killed"

        start = time.time()
        baseline = run(ast.unparse(tree))
        if baseline != "survived":
            print(f"the tests fail on the unmutated (unparsed) module: {baseline}")
            return 2
        results = []
        for n, (line, what, how) in enumerate(found, 1):
            source = mutant(tree, how)
            outcome = run(source)
            if outcome == "survived" and args.confirm:
                outcome = "killed by --confirm" if run(source, args.confirm) != "survived" else "survived"
            results.append({"line": line, "mutation": what, "outcome": outcome})
            if outcome == "survived":
                print(f"SURVIVED {args.module}:{line}: {what}", flush=True)
            if n % 20 == 0:
                print(f"... {n}/{len(found)} ({time.time() - start:.0f} s)", flush=True)
    killed = sum(r["outcome"] != "survived" for r in results)
    print(f"{args.module}: {len(results)} mutants, {killed} killed, {len(results) - killed} survived "
          f"({100 * killed / max(len(results), 1):.1f} %), {time.time() - start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"module": str(args.module), "tests": args.tests, "results": results},
                                        indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

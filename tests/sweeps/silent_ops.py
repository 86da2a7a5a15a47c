"""A sweep of issue 17's classes (indexing, setitem, reductions in float16/32/64, losses with ignore_index,
conv/pool with non-finite values and empty batches, comparisons/where promotion) against PyTorch.

Not a test module (pytest does not collect it; tests/test_silent_ops_torch.py runs a cheap sample). Run::

    PYTHONPATH=. python tests/sweeps/silent_ops.py [--scale 1.0] [--seed 0]

and it prints, per area, how many cases agree with PyTorch and how many do not (with a few examples).
"Agree" means: both raise, or both give the same shapes and values (NaN where PyTorch has NaN) within a
tolerance of a few units in the last place of the dtype, gradients included. Where a difference is deliberate
and documented (README "Deliberate differences"), the case compares against that rule instead, and says so.
torch is imported inside the functions, so importing this file needs no PyTorch.
"""

from __future__ import annotations

import argparse
import itertools
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor

Outcome = tuple[str, bool, str]  # (area, agreed, description when not)


def _close(ours: Any, theirs: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    return ours.shape == theirs.shape and bool(np.allclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True))


def _rounded(values: np.ndarray, dtype: type) -> np.ndarray:
    """``values`` rounded to ``dtype``, inf where they overflow it (without numpy's overflow warning)."""
    with np.errstate(over="ignore"):
        return values.astype(dtype)


def _quietly(fn: Callable[[], Any]) -> Any:
    """``fn()`` with every numpy warning an error (a leaked RuntimeWarning is a disagreement); an exception -> None."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return fn()
        except Exception as error:  # noqa: BLE001 - a raise is an outcome to compare
            return error


# ------------------------------------------------------------------------------------ indexing
def indexing(rng: np.random.Generator, count: int) -> Iterator[Outcome]:
    import torch

    a = rng.standard_normal((3, 4, 5, 6))
    atoms: list[Any] = [0, -1, 2, slice(None), slice(1, None, 2), None, Ellipsis, [0, 1], [[0], [2]],
                        np.array([1, 0, 1]), "int0d", "mask"]
    combos = [c for n in range(1, 5) for c in itertools.product(range(len(atoms)), repeat=n)]
    for pick in rng.permutation(len(combos))[:count]:
        parts = [atoms[i] for i in combos[pick]]
        if sum(p is Ellipsis for p in parts) > 1:
            continue

        def build(torch_side: bool, parts: list[Any] = parts) -> tuple[Any, ...]:
            out = []
            for p in parts:
                if isinstance(p, str):
                    value = np.array(1) if p == "int0d" else np.array([True, False, True])
                    out.append(torch.tensor(value) if torch_side else Tensor(value))
                elif isinstance(p, np.ndarray):
                    out.append(torch.tensor(p) if torch_side else p)
                else:
                    out.append(p)
            return tuple(out)

        try:
            xt = torch.tensor(a, requires_grad=True)
            rt = xt[build(True)]
            g = rng.standard_normal(tuple(rt.shape))
            rt.backward(torch.tensor(g))
            want = (rt.detach().numpy(), xt.grad.numpy())
        except (IndexError, RuntimeError, TypeError, ValueError):
            want = None

        def ours(parts: list[Any] = parts, want: Any = want) -> Any:
            x = Tensor(a, requires_grad=True)
            out = x[build(False)]
            if want is not None:
                out.backward(g)
            return out.data, x.grad

        got = _quietly(ours)
        ok = (want is None and isinstance(got, Exception)) or (
            want is not None and not isinstance(got, Exception) and _close(got[0], want[0]) and _close(got[1], want[1]))
        yield "indexing", ok, f"x{combos[pick]}"


# ------------------------------------------------------------------------------------ setitem
def setitem(rng: np.random.Generator, count: int) -> Iterator[Outcome]:
    import torch

    indices: list[Any] = [0, -1, slice(None, None, 2), (slice(None), 1), (0, [0, 2]), ([0, 2], slice(None), 1),
                          (slice(None), [1, 0], 0), "mask", [1, 1], (Ellipsis, 0)]
    for _ in range(count):
        base = rng.standard_normal((3, 4, 2)).round(2)
        index = indices[rng.integers(len(indices))]
        if isinstance(index, str):
            index = base > 0
        kind = rng.integers(4)
        selected = np.shape(torch.tensor(base)[torch.tensor(index) if isinstance(index, np.ndarray) else index])
        value: Any = (round(float(rng.standard_normal()), 2) if kind == 0 else
                      rng.standard_normal(selected).round(2) if kind == 1 else
                      rng.standard_normal(selected[-1:]).round(2) if kind == 2 and selected else
                      rng.standard_normal((7,)))  # kind 3: a shape that does not fit
        augmented = rng.integers(2) == 1 and not isinstance(value, np.ndarray)
        t = torch.tensor(base)
        try:
            ti = torch.tensor(index) if isinstance(index, np.ndarray) else index
            if augmented:
                t[ti] += value
            else:
                t[ti] = torch.tensor(value) if isinstance(value, np.ndarray) else value
            want = t.numpy()
        except (IndexError, RuntimeError, ValueError):
            want = None

        def ours(base: np.ndarray = base, index: Any = index, value: Any = value, augmented: bool = augmented) -> Any:
            x = Tensor(base)
            with tg.no_grad():
                if augmented:
                    x[index] += value
                else:
                    x[index] = Tensor(value) if isinstance(value, np.ndarray) else value
            return x.data

        x_before = Tensor(base)
        got = _quietly(ours)
        ok = (want is None and isinstance(got, Exception) and np.array_equal(x_before.data, base)) or (
            want is not None and not isinstance(got, Exception) and _close(got, want))
        yield "setitem", ok, f"x[{index!r}] {'+=' if augmented else '='} {np.shape(value)}"


# ------------------------------------------------------------------------------ reductions by dtype
def reductions(rng: np.random.Generator, count: int) -> Iterator[Outcome]:
    import torch
    import torch.nn.functional as TF

    ops: dict[str, tuple[Callable, Callable]] = {
        "sum": (lambda t: t.sum(axis=(0, 2)), lambda t: t.sum((0, 2))),
        "mean": (lambda t: t.mean(axis=(1, 2)), lambda t: t.mean((1, 2))),
        "amax": (lambda t: t.amax(axis=1), lambda t: t.amax(1)),
        "max(dim)": (lambda t: t.max(dim=0).values, lambda t: t.max(0).values),
        "min(dim)": (lambda t: t.min(1, keepdim=True).values, lambda t: t.min(1, keepdim=True).values),
        "softmax": (lambda t: t.softmax(1), lambda t: t.softmax(1)),
        "log_softmax": (lambda t: t.log_softmax(0), lambda t: t.log_softmax(0)),
        "avg_pool2d": (lambda t: F.avg_pool2d(t, 4), lambda t: TF.avg_pool2d(t, 4)),
        "avg_pool2d(8)": (lambda t: F.avg_pool2d(t, 8), lambda t: TF.avg_pool2d(t, 8)),
        "lp_pool2d": (lambda t: F.lp_pool2d(t, 2, 4), lambda t: TF.lp_pool2d(t, 2, 4)),
        "batch_norm": (lambda t: F.batch_norm(t, None, None, training=True),
                       lambda t: TF.batch_norm(t, None, None, training=True)),
        "conv2d": (lambda t: F.conv2d(t, Tensor(np.full((2, t.shape[1], 3, 3), 0.5, t.dtype))),
                   lambda t: TF.conv2d(t, torch.full((2, t.shape[1], 3, 3), 0.5, dtype=t.dtype))),
        "mse": (lambda t: F.mse_loss(t, Tensor(np.zeros(t.shape, t.dtype))),
                lambda t: TF.mse_loss(t, torch.zeros_like(t))),
        "bias grad": (lambda t: t + Tensor(np.zeros(t.shape[1:], t.dtype)),
                      lambda t: t + torch.zeros(t.shape[1:], dtype=t.dtype)),
    }
    names = list(ops)
    for case in range(count):
        name, dtype = names[case % len(names)], (np.float16, np.float32, np.float64)[(case // len(names)) % 3]
        scale = float(rng.choice([1, 100, 1000, 3e4] if dtype == np.float16 else [1, 1e3, 1e15]))
        shape = (int(rng.integers(2, 5)), int(rng.integers(1, 3)), 8, 8)
        x = (rng.standard_normal(shape) * 0.1 + rng.integers(2)) * scale
        x = x.astype(dtype)
        xt = torch.tensor(x, requires_grad=True)
        out_t = ops[name][1](xt)
        upstream = rng.standard_normal(tuple(out_t.shape)).astype(dtype)  # random: no cancellation to exactly 0
        out_t.backward(torch.tensor(upstream))
        exact_x = torch.tensor(x.astype(np.float64), requires_grad=True)
        exact = ops[name][1](exact_x)
        exact.backward(torch.tensor(upstream.astype(np.float64)))

        def ours(x: np.ndarray = x, name: str = name, upstream: np.ndarray = upstream) -> Any:
            t = Tensor(x, requires_grad=True)
            out = ops[name][0](t)
            out.backward(upstream)
            return out.data, t.grad

        got = _quietly(ours)
        if isinstance(got, Exception):
            yield f"reductions {np.dtype(dtype).name}", False, f"{name}: {got!r:.60}"
            continue
        ok = True
        for mine, theirs, truth in ((got[0], out_t.detach().numpy(), exact.detach().numpy()),
                                    (got[1], xt.grad.numpy(), exact_x.grad.numpy())):
            # agree: equal to PyTorch within 32 ulps of the result's scale, or no farther from the float64 truth
            mine, theirs, truth = (np.asarray(v, np.float64) for v in (mine, theirs, truth))
            finite = np.isfinite(truth)
            magnitude = float(np.abs(truth[finite]).max()) if finite.any() else 1.0
            tol = 32 * float(np.finfo(dtype).eps) * max(magnitude, float(np.finfo(dtype).tiny))
            with np.errstate(invalid="ignore"):
                near_torch = np.isclose(mine, theirs, rtol=0, atol=tol, equal_nan=True) | (mine == theirs)
                near_truth = np.abs(mine - truth) <= np.abs(theirs - truth) + tol
            ok &= mine.shape == theirs.shape and bool(np.all(near_torch | near_truth))
        if name == "lp_pool2d" and dtype == np.float16 and not np.isfinite(got[0]).all():
            # deliberate (README, float16): a window whose z overflows float16 has gradient 0 (PyTorch: 0 or NaN);
            # z is the float16 rounding of the float64 truth, and the other units' gradients are the truth's
            overflowed = np.repeat(np.repeat(~np.isfinite(got[0]), 4, axis=2), 4, axis=3)
            grad, true_grad = np.asarray(got[1], np.float64), exact_x.grad.numpy()
            ok = (bool(np.all(grad[overflowed] == 0))
                  and bool(np.allclose(grad[~overflowed], true_grad[~overflowed], rtol=3e-3, atol=1e-4))
                  and _close(got[0], _rounded(exact.detach().numpy(), np.float16), rtol=2e-3, atol=0))
        yield f"reductions {np.dtype(dtype).name}", ok, f"{name} scale {scale}"


# --------------------------------------------------------------------------- losses with ignore_index
def losses(rng: np.random.Generator, count: int) -> Iterator[Outcome]:
    import torch
    import torch.nn.functional as TF

    for _ in range(count):
        n, c, extra = int(rng.integers(0, 5)), int(rng.integers(1, 5)), bool(rng.integers(2))
        shape, tshape = ((n, c, 2), (n, 2)) if extra else ((n, c), (n,))
        x = rng.standard_normal(shape)
        ignore = int(rng.choice([-100, 0, 1]))
        target = np.where(rng.random(tshape) < rng.choice([0, 0.5, 1.0]), ignore, rng.integers(0, c, tshape))
        weight = None if rng.random() < 0.5 else np.abs(rng.standard_normal(c)) * (rng.random(c) < 0.7)
        reduction = str(rng.choice(["mean", "sum", "none"]))
        fn = str(rng.choice(["cross_entropy", "nll_loss"]))
        smoothing = float(rng.choice([0.0, 0.2])) if fn == "cross_entropy" else 0.0
        extra_kw = {"label_smoothing": smoothing} if fn == "cross_entropy" else {}
        xt = torch.tensor(x, requires_grad=True)
        try:
            lt = getattr(TF, fn)(xt, torch.tensor(target), weight=None if weight is None else torch.tensor(weight),
                                 ignore_index=ignore, reduction=reduction, **extra_kw)
            g = rng.standard_normal(tuple(lt.shape))
            lt.backward(torch.tensor(g))
            want = (lt.detach().numpy(), xt.grad.numpy())
        except (RuntimeError, ValueError, IndexError):
            want, g = None, None

        def ours(x: np.ndarray = x, target: np.ndarray = target, weight: Any = weight, fn: str = fn,
                 reduction: str = reduction, ignore: int = ignore, extra_kw: dict = extra_kw, g: Any = g) -> Any:
            t = Tensor(x, requires_grad=True)
            loss = getattr(F, fn)(t, target, weight=weight, ignore_index=ignore, reduction=reduction, **extra_kw)
            loss.backward(g)
            return loss.data, t.grad if t.grad is not None else np.zeros(x.shape)

        got = _quietly(ours)
        ok = (want is None and isinstance(got, Exception)) or (
            want is not None and not isinstance(got, Exception) and _close(got[0], want[0], atol=1e-10)
            and _close(got[1], want[1], atol=1e-10))
        yield "losses (ignore_index)", ok, f"{fn} {shape} target {target.tolist()} ignore {ignore} {reduction}"


# ------------------------------------------------------- conv/pool: non-finite values, empty batches
def conv_pool(rng: np.random.Generator, count: int) -> Iterator[Outcome]:
    import torch
    import torch.nn.functional as TF

    def poison(a: np.ndarray, p: float) -> np.ndarray:
        a = a.copy()
        hit = rng.random(a.shape) < p
        a[hit] = rng.choice([np.inf, -np.inf, np.nan], int(hit.sum()))
        return a

    for _ in range(count):
        op = str(rng.choice(["conv2d", "max_pool2d", "avg_pool2d", "lp_pool2d"]))
        n, c = int(rng.choice([0, 1, 2])), int(rng.integers(1, 3))
        h, w = int(rng.integers(3, 6)), int(rng.integers(3, 6))
        k, s = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        p = int(rng.integers(0, 2)) if k > 1 else 0
        which = str(rng.choice(["x", "weight", "grad", "finite"]))
        x = rng.standard_normal((n, c, h, w))
        if which == "x":
            x = poison(x, 0.2)
        weight = None
        if op == "conv2d":
            weight = rng.standard_normal((int(rng.integers(1, 4)), c, k, k))
            if which == "weight":
                weight = poison(weight, 0.3)
            run_t = lambda X, W: TF.conv2d(X, W, stride=s, padding=p)  # noqa: E731
            run_o = lambda X, W: F.conv2d(X, W, stride=s, padding=p)  # noqa: E731
        elif op == "lp_pool2d":
            x = np.abs(x)
            run_t = lambda X, W: TF.lp_pool2d(X, 2, k, s)  # noqa: E731
            run_o = lambda X, W: F.lp_pool2d(X, 2, k, s)  # noqa: E731
        else:
            p = min(p, k // 2)
            run_t = lambda X, W, op=op: getattr(TF, op)(X, k, s, p)  # noqa: E731
            run_o = lambda X, W, op=op: getattr(F, op)(X, k, s, p)  # noqa: E731
        try:
            X = torch.tensor(x, requires_grad=True)
            W = None if weight is None else torch.tensor(weight, requires_grad=True)
            out = run_t(X, W)
            g = rng.standard_normal(tuple(out.shape))
            if which == "grad":
                g = poison(g, 0.2)
            out.backward(torch.tensor(g))
            want = [out.detach().numpy(), X.grad.numpy()] + ([] if W is None else [W.grad.numpy()])
        except (RuntimeError, ValueError):
            want = None

        def ours(x: np.ndarray = x, weight: Any = weight, run_o: Callable = run_o, want: Any = want) -> Any:
            Xo = Tensor(x, requires_grad=True)
            Wo = None if weight is None else Tensor(weight, requires_grad=True)
            out = run_o(Xo, Wo)
            out.backward(g)
            return [out.data, Xo.grad] + ([] if Wo is None else [Wo.grad])

        got = _quietly(ours) if want is not None else _quietly(lambda: run_o(Tensor(x), None if weight is None
                                                                             else Tensor(weight)))
        ok = (want is None and isinstance(got, Exception)) or (
            want is not None and not isinstance(got, Exception)
            and all(_close(a, b, rtol=1e-6, atol=1e-8) for a, b in zip(got, want)))
        area = ("conv/pool empty batch" if n == 0 else
                "conv/pool non-finite" if which != "finite" else "conv/pool finite")
        yield area, ok, f"{op} N={n} k={k} s={s} p={p} inf/nan in {which}"


# ------------------------------------------------------------------- comparisons and where promotion
def promotion(rng: np.random.Generator, count: int) -> Iterator[Outcome]:
    import torch

    dtypes = [np.float16, np.float32, np.float64, np.int32, np.int64, np.bool_]
    comparisons = ["<", "<=", ">", ">=", "==", "!="]
    for _ in range(count):
        da, db = dtypes[rng.integers(len(dtypes))], dtypes[rng.integers(len(dtypes))]
        form = str(rng.choice(["0-d", "axes", "python"]))
        values = np.array([0.1, 0.2, 1.5, 1.50001, 16777217.0, -3.0, 2.0, 0.0])
        with np.errstate(over="ignore"):  # 16777217 in float16 is inf, for both
            a = values[rng.integers(0, len(values), 3)].astype(da)
        b_value = values[rng.integers(len(values))]
        if form == "python":
            db = np.float64 if rng.integers(2) else np.int64
            b: Any = float(b_value) if db == np.float64 else int(b_value)
            if db == np.float64 and np.dtype(da).kind != "f":
                continue  # deliberate: an int tensor with a Python float computes in float64 (README), PyTorch float32
        else:
            with np.errstate(over="ignore"):
                b = (np.asarray(b_value).astype(db) if form == "0-d"
                     else values[rng.integers(0, len(values), 3)].astype(db))
        op = comparisons[rng.integers(len(comparisons))] if rng.random() < 0.8 else "where"
        tb = b if form == "python" else torch.tensor(b)
        ta = torch.tensor(a)
        try:
            if op == "where":
                want = torch.where(ta > 1, ta, tb)
                want_dtype = str(want.dtype).replace("torch.", "")
                want = want.numpy()
            else:
                want, want_dtype = eval(f"ta {op} tb").numpy(), "bool"  # noqa: S307 - a fixed operator list
        except (RuntimeError, TypeError):
            continue
        if np.dtype(db).kind in "iub" and np.dtype(da).kind in "iub" and form != "python" and op == "where" \
                and want_dtype.startswith("float"):
            continue
        ob = b if form == "python" else Tensor(b)
        oa = Tensor(a)
        got = _quietly(lambda: tg.where(oa > 1, oa, ob) if op == "where" else eval(f"oa {op} ob"))  # noqa: S307
        ok = not isinstance(got, Exception) and got.dtype.name == want_dtype and np.array_equal(got.data, want)
        yield "comparisons/where", ok, f"{np.dtype(da).name} {op} {form} {np.dtype(db).name}"


AREAS: dict[str, tuple[Callable[[np.random.Generator, int], Iterator[Outcome]], int]] = {
    "indexing": (indexing, 2500), "setitem": (setitem, 800), "reductions": (reductions, 1400),
    "losses": (losses, 800), "conv_pool": (conv_pool, 1000), "promotion": (promotion, 1200),
}


def run(scale: float = 1.0, seed: int = 0) -> dict[str, list]:
    """Every area at ``scale`` × its default count: {area: [agree, disagree, first examples of disagreement]}."""
    counts: dict[str, list] = {}
    for offset, (area_fn, count) in enumerate(AREAS.values()):
        rng = np.random.default_rng(seed + offset)
        for area, ok, what in area_fn(rng, max(1, int(count * scale))):
            entry = counts.setdefault(area, [0, 0, []])
            entry[0 if ok else 1] += 1
            if not ok and len(entry[2]) < 5:
                entry[2].append(what)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every area's number of cases")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts = run(args.scale, args.seed)
    total = [0, 0]
    for area, (agree, disagree, examples) in counts.items():
        total[0] += agree
        total[1] += disagree
        print(f"{area:28s} agree {agree:6d}  disagree {disagree:4d}  {'; '.join(examples)}")
    print(f"{'total':28s} agree {total[0]:6d}  disagree {total[1]:4d}")


if __name__ == "__main__":
    main()

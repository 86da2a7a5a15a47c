"""``compare``: every layer's δ and parameter gradients from the engine, the layerwise derivation, central
finite differences and a user's own derivation, and the largest difference between each pair."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._checks import check_float, check_int
from ..grad_mode import no_grad
from ..nn import Module
from ..tensor import Tensor
from ..textbook import layerwise
from .chain import layerwise_arguments
from .recording import _check_loss, _float64_copy, _leaves, _loss_value, _own_parameters, engine_backprop

__all__ = ["ENGINE_TOLERANCE", "FD_EPSILON", "FD_TOLERANCE", "SOURCES", "USER_TOLERANCE", "Comparison", "Row",
           "compare", "rounding_ties"]

SOURCES = ("engine", "layerwise", "finite differences", "yours")
ENGINE_TOLERANCE = 1e-9  # engine vs layerwise: relative to the quantity's size (float64)
FD_TOLERANCE = 1e-5  # central differences: relative, plus an absolute floor for the loss's rounding
USER_TOLERANCE = 1e-6  # your δ against the others: relative (float32 arithmetic passes)
FD_EPSILON = 1e-6


@dataclass(frozen=True)
class Row:
    """One quantity of one layer compared between two sources."""

    layer: str
    quantity: str  # "δ" or a parameter attribute ("weight", "bias")
    pair: tuple[str, str]
    shape: tuple[int, ...]
    max_abs: float  # max |a − b| (over the sampled units for finite differences)
    max_rel: float  # max_abs / max(max |a|, max |b|)
    tolerance: float  # allowed max_abs
    units: int  # how many units were compared
    kinks: int = 0  # finite differences: sampled units left out because the loss has a kink there

    @property
    def ok(self) -> bool:
        return bool(self.max_abs <= self.tolerance)


@dataclass
class Comparison:
    """The result of :func:`compare`: :class:`Row` s for every layer, quantity and pair of sources."""

    loss: str
    cost: float
    n_images: int
    layers: list[tuple[str, str]]  # (name, class name) in order
    rows: list[Row]
    sources: list[str]
    notes: list[str] = field(default_factory=list)
    values: dict[str, dict[tuple[str, str], np.ndarray]] = field(default_factory=dict, repr=False)

    def agrees(self) -> bool:
        """Whether every pair of sources agrees on every quantity within its tolerance."""
        return all(row.ok for row in self.rows)

    def failing_layers(self) -> list[str]:
        """The names of the layers where some source disagrees, in layer order."""
        bad = {row.layer for row in self.rows if not row.ok}
        return [name for name, _ in self.layers if name in bad]

    def first_failing_layer(self) -> str | None:
        """The failing layer nearest the output: where a derivation running backward first goes wrong (the
        layers below it inherit its error through the recurrence); None if all agree."""
        failing = self.failing_layers()
        return failing[-1] if failing else None

    def __str__(self) -> str:
        others = [s for s in self.sources if s != "engine"]
        head = f"{'layer':<12} {'kind':<10} {'quantity':<9} {'shape':<16}"
        for source in others:
            head += f" {source + ' vs engine':>30}"
        lines = [
            (f"δ = ∂C/∂(layer output) and ∂C/∂θ, {self.n_images} image(s), {self.loss} loss (C = {self.cost:.6g}): "
             "largest |difference| (and relative) of each source against the engine"),
            head + "   ok",
        ]
        by_key: dict[tuple[str, str], dict[tuple[str, str], Row]] = {}
        for row in self.rows:
            by_key.setdefault((row.layer, row.quantity), {})[row.pair] = row
        kinds = dict(self.layers)
        for (layer, quantity), pairs in by_key.items():
            shape = next(iter(pairs.values())).shape
            line = f"{layer:<12} {kinds.get(layer, ''):<10} {quantity:<9} {shape!s:<16}"
            for source in others:
                row = pairs.get(("engine", source))
                cell = "—" if row is None else f"{row.max_abs:.1e} ({row.max_rel:.1e}){'' if row.ok else ' ✗'}"
                line += f" {cell:>30}"
            line += "   " + ("yes" if all(r.ok for r in pairs.values()) else "NO")
            lines.append(line)
        if self.agrees():
            lines.append(f"All sources agree ({', '.join(self.sources)}).")
        else:
            worst = max((r for r in self.rows if not r.ok), key=lambda r: r.max_abs / max(r.tolerance, 1e-300))
            lines.append(
                f"DISAGREEMENT at layer(s) {', '.join(self.failing_layers())}; worst: layer {worst.layer} "
                f"{worst.quantity}, {worst.pair[0]} vs {worst.pair[1]} differ by {worst.max_abs:.3g}."
            )
        kinks = sum(row.kinks for row in self.rows if row.pair == ("engine", "finite differences"))
        if kinks:
            lines.append(f"{kinks} sampled unit(s) where the loss is not differentiable (a max-pool tie or a zero "
                         "ReLU input at or above them) were left out of the finite-difference check.")
        lines.extend(self.notes)
        return "\n".join(lines)


def _difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    max_abs = float(np.max(np.abs(a - b))) if a.size else 0.0
    scale = float(max(np.max(np.abs(a)), np.max(np.abs(b)))) if a.size else 0.0
    return max_abs, (max_abs / scale if scale > 0 else 0.0)


@dataclass
class _FD:
    """Finite-difference estimates of some units of one quantity: central, and the two one-sided ones."""

    index: np.ndarray  # flat indices of the units
    central: np.ndarray
    left: np.ndarray
    right: np.ndarray

    def distance(self, exact: np.ndarray, tol: float, excusable: np.ndarray) -> tuple[np.ndarray, int]:
        """|exact − central| at the units where the loss is differentiable, and how many units were left out
        because it is not: the one-sided differences differ by more than ``tol`` or are not finite, or the
        exact value misses the central one and the unit is ``excusable`` (a tie or a zero ReLU input lies
        downstream of it in the same image). There the engine's value is a convention (MATH.md's tie rule,
        relu'(0) = 0) that no difference quotient can check, so only the exact sources are compared."""
        a = exact.reshape(-1)[self.index]
        miss = np.abs(a - self.central)
        finite = np.isfinite(self.left) & np.isfinite(self.right)  # a step may leave the domain (Lp of a < 0)
        kink = ~finite | (np.abs(self.right - self.left) > tol) | (excusable & (miss > tol))
        return miss[~kink], int(np.count_nonzero(kink))


def _kinks(rec: Any) -> dict[str, np.ndarray]:
    """Per layer, per image (N,): whether its output sits where the loss may not be differentiable: a max-pool
    window whose maximum may be tied (two input units equal to an output value), a ReLU/LeakyReLU input at
    exactly 0, an Lp window whose norm is 0. Other layers are smooth."""
    kinks = {}
    for name, layer in rec.layers.items():
        kind, x, z = type(layer.module).__name__, layer.input, layer.output
        n = z.shape[0] if z.ndim else 1
        flag = np.zeros(n, dtype=bool)
        if x is not None and kind in ("ReLU", "LeakyReLU"):
            flag = (x == 0).reshape(n, -1).any(axis=1)
        elif kind == "LPPool2d":
            flag = (z == 0).reshape(n, -1).any(axis=1)
        elif x is not None and kind == "MaxPool2d" and x.ndim == z.ndim == 4:
            for m, c in np.ndindex(z.shape[:2]):
                values, counts = np.unique(x[m, c], return_counts=True)
                tied = values[counts > 1]
                flag[m] |= bool(np.isin(z[m, c], tied).any())
        kinks[name] = flag
    return kinks


def _downstream(kinks: dict[str, np.ndarray], order: list[str]) -> dict[str, np.ndarray]:
    """Per layer, per image: whether some layer called after it has a kink in that image."""
    result, below = {}, None
    for name in reversed(order):
        flags = kinks[name]
        result[name] = np.zeros_like(flags) if below is None or below.shape != flags.shape else below.copy()
        below = flags if below is None or below.shape != flags.shape else below | flags
    return result


def _sample(size: int, limit: int, rng: np.random.Generator) -> np.ndarray:
    return np.arange(size) if size <= limit else np.sort(rng.choice(size, limit, replace=False))


def _finite_differences(
    model: Any, x: np.ndarray, t: np.ndarray, loss: str, shapes: dict[tuple[str, str], tuple[int, ...]],
    params: dict[tuple[str, str], Any], eps: float, limit: int, rng: np.random.Generator,
) -> dict[tuple[str, str], _FD]:
    modules = dict(model.named_modules())

    def loss_at() -> float:
        with no_grad(), np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            return _loss_value(model(Tensor(x)).data, t, loss)

    base = loss_at()
    estimates = {}
    for key, shape in shapes.items():
        layer, quantity = key
        index = _sample(int(np.prod(shape)), limit, rng)
        plus, minus = np.empty(len(index)), np.empty(len(index))
        for u, flat in enumerate(index):
            unit = np.unravel_index(flat, shape)
            for sign, out in ((1.0, plus), (-1.0, minus)):
                if quantity == "δ":
                    out[u] = _loss_with_output_shift(model, modules[layer], unit, sign * eps, loss_at)
                else:
                    data = params[key].data
                    kept = data[unit]
                    data[unit] = kept + sign * eps
                    try:
                        out[u] = loss_at()
                    finally:
                        data[unit] = kept
        estimates[key] = _FD(index, (plus - minus) / (2 * eps), (base - minus) / eps, (plus - base) / eps)
    return estimates


def _loss_with_output_shift(model: Any, module: Any, unit: tuple, shift: float, loss_at: Any) -> float:
    """The loss with ``shift`` added to one unit of ``module``'s output (its first call)."""
    original = module.forward
    calls = itertools.count(1)

    def shifted(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        if next(calls) == 1:
            data = out.data.copy()
            data[unit] += shift
            return Tensor(data)
        return out

    object.__setattr__(module, "forward", shifted)
    try:
        return loss_at()
    finally:
        del module.__dict__["forward"]


def _check_user(user: Any, shapes: dict[tuple[str, str], tuple[int, ...]], owners: dict[str, tuple[str, str]]):
    if user is None:
        return {}
    if not isinstance(user, Mapping):
        raise TypeError(f"user_deltas must be a dict of arrays keyed by layer name; got {type(user).__name__}")
    values = {}
    for name, value in user.items():
        key = (name, "δ") if (name, "δ") in shapes else owners.get(name)
        if key is None:
            known = sorted({layer for layer, _ in shapes})
            raise ValueError(
                f"user_deltas has key {name!r}, which is neither a layer name ({', '.join(known)}) nor a "
                "parameter name of the model"
            )
        array = np.asarray(getattr(value, "data", value) if not isinstance(value, np.ndarray) else value)
        if array.dtype.kind not in "fiub":
            raise TypeError(f"user_deltas[{name!r}] must be an array of numbers; got {type(value).__name__}")
        if array.shape != shapes[key]:
            raise ValueError(f"user_deltas[{name!r}] has shape {array.shape}; expected {shapes[key]}")
        values[key] = array.astype(np.float64)
    return values


def compare(
    model: Any,
    x: Any,
    target: Any,
    loss: str = "cross_entropy",
    user_deltas: Mapping[str, Any] | None = None,
    *,
    fd_units: int = 12,
    eps: float = FD_EPSILON,
    seed: int = 0,
    user_tolerance: float = USER_TOLERANCE,
) -> Comparison:
    """Every layer's δ and parameter gradients from the engine, the layerwise derivation, finite differences
    and ``user_deltas``, and the largest difference between each pair of sources.

    Runs on a float64 copy of ``model`` (the model and its ``.grad`` are not touched). ``x``: an array or a
    Tensor, batch first; ``target``: integer classes (N,) or an array of the output's shape; ``loss``:
    ``"cross_entropy"`` (of softmax(output)) or ``"squared_error"`` (the book's ½ Σ (a − t)²), summed over the
    batch. ``user_deltas``: arrays keyed by layer name (δ of that layer's output) or by parameter name
    (``"0.weight"``: its gradient). Finite differences: ``fd_units`` randomly chosen units (``seed``) per
    quantity, step ``eps``. Tolerances: engine vs layerwise 1e-9, finite differences 1e-5, yours
    ``user_tolerance``, each relative to the quantity's size (with a small absolute floor).
    """
    if not isinstance(model, Module):
        raise TypeError(f"compare: model must be a Module (e.g. an nn.Sequential); got {type(model).__name__}")
    loss = _check_loss(loss)
    fd_units = check_int(fd_units, "fd_units", "compare", minimum=0)
    eps = check_float(eps, "eps", "compare", minimum=0.0, open_minimum=True)
    seed = check_int(seed, "seed", "compare", minimum=0)
    user_tolerance = check_float(user_tolerance, "user_tolerance", "compare", minimum=0.0)
    x = layerwise._array(x, "x")
    net = _float64_copy(model)
    with no_grad():
        output = net(Tensor(x)).data
    t = layerwise.targets_for(output, target, loss)
    cost, rec = engine_backprop(net, x, t, loss)
    downstream = _downstream(_kinks(rec), list(rec.layers))

    leaves = _leaves(net)
    shapes: dict[tuple[str, str], tuple[int, ...]] = {}
    params: dict[tuple[str, str], Any] = {}
    owners: dict[str, tuple[str, str]] = {}
    names = {id(p): n for n, p in net.named_parameters()}
    values: dict[str, dict[tuple[str, str], np.ndarray]] = {"engine": {}}
    for name, module in leaves:
        if name not in rec.layers:
            continue
        shapes[(name, "δ")] = rec[name].output.shape
        delta = rec[name].delta
        values["engine"][(name, "δ")] = delta if delta is not None else np.zeros(shapes[(name, "δ")])
        for attr, param in _own_parameters(module):
            if param is None or not param.requires_grad:
                continue
            key = (name, attr)
            shapes[key], params[key], owners[names[id(param)]] = param.shape, param, key
            grad = rec.grads.get(names[id(param)])
            values["engine"][key] = grad if grad is not None else np.zeros(param.shape)

    notes = []
    sources = ["engine"]
    try:
        lw = layerwise.backprop(net, x, t, loss, **layerwise_arguments(rec, x))
    except layerwise.UnsupportedModel as error:
        notes.append(f"layerwise: not available for this model ({error}).")
    else:
        sources.append("layerwise")
        values["layerwise"] = {}
        for key in shapes:
            layer, quantity = key
            if quantity == "δ":
                values["layerwise"][key] = lw.deltas[layer]
            else:
                values["layerwise"][key] = lw.gradients[next(n for n, k in owners.items() if k == key)]

    rng = np.random.default_rng(seed)
    fd = _finite_differences(net, x, t, loss, shapes, params, eps, fd_units, rng) if fd_units else {}
    if fd:
        sources.append("finite differences")
        notes.append(f"finite differences: central, step {eps:g}, at most {fd_units} random units per quantity "
                     "(units where the loss is not differentiable are left out).")
    user = _check_user(user_deltas, shapes, owners)
    if user:
        sources.append("yours")
        values["yours"] = user

    rows = []
    fd_floor = 1e-8 * max(1.0, abs(cost))  # rounding of the loss, divided by 2ε
    for key, shape in shapes.items():
        have = [s for s in sources if s == "finite differences" and key in fd or key in values.get(s, {})]
        for first, second in itertools.combinations(have, 2):
            if "finite differences" in (first, second):
                other = first if second == "finite differences" else second
                est = fd[key]
                exact = values[other][key]
                sampled = exact.reshape(-1)[est.index]
                scale = float(max(np.abs(sampled).max(initial=0.0), np.abs(est.central).max(initial=0.0)))
                tol = FD_TOLERANCE * scale + fd_floor
                if key[1] == "δ":
                    images = np.unravel_index(est.index, shape)[0]
                    excusable = downstream[key[0]][images]
                else:
                    excusable = np.full(len(est.index), bool(downstream[key[0]].any()))
                dist, kinks = est.distance(exact, tol, excusable)
                max_abs = float(dist.max()) if dist.size else 0.0
                if other == "yours":
                    tol += user_tolerance * scale
                units = len(est.index) - kinks
            else:
                a, b = values[first][key], values[second][key]
                max_abs, _ = _difference(a, b)
                scale = float(max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0)))
                rel_tol = user_tolerance if "yours" in (first, second) else ENGINE_TOLERANCE
                tol = rel_tol * scale + 1e-12
                units, kinks = int(np.prod(shape)), 0
            rows.append(Row(key[0], key[1], (first, second), tuple(shape), max_abs,
                            max_abs / scale if scale > 0 else 0.0, tol, units, kinks))
    if fd:
        values["finite differences"] = {key: est.central for key, est in fd.items()}
    layers_info = [(name, type(module).__name__) for name, module in leaves if name in rec.layers]
    if "layerwise" in sources and any(not r.ok for r in rows if r.pair == ("engine", "layerwise")):
        for name in rounding_ties(rec, [(n, lw.outputs[n]) for n in lw.outputs], x):
            notes.append(f"layer {name}: the engine's and layerwise's forward values differ in the last bits and "
                         "decide a tie differently there, so each routes δ by the tie rule to another unit; the "
                         "layers below differ by that, not by a wrong derivation.")
    return Comparison(loss, cost, len(x), layers_info, rows, sources, notes, values)


def rounding_ties(rec: Any, outputs: list[tuple[str, np.ndarray]], x: np.ndarray) -> list[str]:
    """The layers where the engine (``rec``) and another forward pass (``outputs``: (layer name, output) in order,
    from input ``x``) take different branches on inputs that differ only by rounding: another winner in a
    max-pooling window, or another side of 0 at a ReLU/LeakyReLU input."""
    from .. import functional as F

    found, previous = [], x
    for name, output in outputs:
        layer = rec.layers.get(name)
        theirs, previous = previous, output
        if layer is None or layer.input is None or layer.input.shape != theirs.shape:
            continue
        kind, module = type(layer.module).__name__, layer.module
        if kind in ("ReLU", "LeakyReLU") and not np.array_equal(layer.input > 0, theirs > 0):
            found.append(name)
        elif kind == "MaxPool2d":
            args = (module.kernel_size, module.stride, module.padding, module.dilation, module.ceil_mode)
            ours = F.max_pool2d(Tensor(layer.input), *args, return_indices=True)[1].data
            if not np.array_equal(ours, F.max_pool2d(Tensor(theirs), *args, return_indices=True)[1].data):
                found.append(name)
    return found

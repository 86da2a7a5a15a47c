"""``compare``: every layer's δ and parameter gradients from the engine, the layerwise derivation, central
finite differences, any further sources (``sources=``: e.g. the book's formulas and scalar engine,
:mod:`tinygrad_cnn.deltas.book`) and a user's own derivation (also under the book's names: ``delta_F``, ``delta_O``,
``filter_weights``, ...), and the largest difference between each pair. The result, the tolerance policy and
the report are in :mod:`tinygrad_cnn.deltas.report`; the finite differences are
:mod:`tinygrad_cnn.testing.finite_differences`, the ones ``gradcheck`` uses."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._checks import check_bool, check_float, check_int
from .._progress import QUIET_DELAY, Progress
from ..grad_mode import no_grad
from ..nn import Module
from ..tensor import Tensor
from ..testing.finite_differences import FD_EPSILON, Differences, differences
from ..textbook import layerwise
from .chain import layerwise_arguments
from .recording import _check_loss, _float64_copy, _leaves, _loss_value, _own_parameters, engine_backprop
from .report import ENGINE_TOLERANCE, FD, FD_TOLERANCE, USER_TOLERANCE, Comparison, Row, tolerance, worst_unit

__all__ = ["BOOK_NAMES", "ENGINE_TOLERANCE", "FD_EPSILON", "FD_TOLERANCE", "SOURCES", "USER_TOLERANCE",
           "Comparison", "Row", "compare", "rounding_ties"]

SOURCES = ("engine", "layerwise", FD, "yours")  # the built-in sources; ``sources=`` adds others
Source = Callable[[Module, np.ndarray, np.ndarray], Mapping[str, Any]]  # (float64 model, x, target) -> arrays
# The book's names (MATH.md) of its network's quantities -> (layer of deltas.textbook_model, quantity)
BOOK_NAMES = {"delta_F": ("0", "δ"), "delta_O": ("4", "δ"), "filter_weights": ("0", "weight"),
              "filter_biases": ("0", "bias"), "output_weights": ("4", "weight"), "output_biases": ("4", "bias")}
_BOOK_KINDS = ["Conv2d", "Sigmoid", "Pool", "Flatten", "Linear", "Sigmoid"]


def _at_kink(d: Differences, exact: np.ndarray, excusable: np.ndarray, pair: tuple[str, str],
             cost: float) -> np.ndarray:
    """Which sampled units sit at a kink of the loss: the one-sided differences differ by more than the
    tolerance or are not finite, or ``exact`` (the other source of ``pair``, at the sampled units) misses the
    central difference and the unit is ``excusable`` (a tie or a zero ReLU input lies downstream of it in the
    same image). There the engine's value is a convention (MATH.md's tie rule, relu'(0) = 0) that no
    difference quotient can check, so only the exact sources are compared."""
    finite = np.isfinite(d.left) & np.isfinite(d.right)  # a step may leave the domain (Lp of a < 0)
    scale = float(max(np.abs(exact).max(initial=0.0), np.abs(d.central[finite]).max(initial=0.0)))
    tol = tolerance(pair, scale, cost)
    miss = np.abs(exact - d.central)
    return ~finite | (np.abs(d.right - d.left) > tol) | (excusable & (miss > tol))


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


def _priority(nonzero: np.ndarray, excusable: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    """Every flat unit, in the order finite differences should try them: first three quarters of ``limit``
    (or as many as there are) where some exact source's value is ≠ 0, those with no kink downstream first, so
    a check is never vacuous; then the rest of ``limit`` where it is 0 (a δ wrongly 0 can be caught there);
    then the other units ≠ 0 (replacements for sampled units that turn out to sit at a kink), then the rest."""
    order = rng.permutation(nonzero.size)
    rank = np.where(nonzero, np.where(excusable, 1, 0), 2)[order]
    order = order[np.argsort(rank, kind="stable")]
    good, rest = order[np.sort(rank) < 2], order[np.sort(rank) == 2]
    k = min(good.size, limit - limit // 4)
    first = min(limit - k, rest.size)
    return np.concatenate([good[:k], rest[:first], good[k:], rest[first:]])


def _loss_function(model: Any, x: np.ndarray, t: np.ndarray, loss: str) -> Any:
    def loss_at() -> float:
        with no_grad(), np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            return _loss_value(model(Tensor(x)).data, t, loss)

    return loss_at


def _estimate(model: Any, loss_at: Any, key: tuple[str, str], shape: tuple[int, ...], param: Any, eps: float,
              index: np.ndarray, base: float) -> Differences:
    """Central (and one-sided) differences of the loss at the flat units ``index`` of one quantity: a parameter's
    entries moved in place, or a layer's output moved by adding a shift to its (first) call's result."""
    if key[1] != "δ":
        return differences(loss_at, param.data, eps, index, base=base)
    module, shift, calls = dict(model.named_modules())[key[0]], np.zeros(shape), [0]
    original = module.forward

    def shifted(*args: Any, **kwargs: Any) -> Any:
        out, calls[0] = original(*args, **kwargs), calls[0] + 1
        return Tensor(out.data + shift) if calls[0] == 1 else out  # a reused layer: its first call

    def shifted_loss() -> float:
        calls[0] = 0
        return loss_at()

    object.__setattr__(module, "forward", shifted)
    try:
        return differences(shifted_loss, shift, eps, index, base=base)
    finally:
        del module.__dict__["forward"]


def _join(a: Differences | None, b: Differences) -> Differences:
    if a is None:
        return b
    return Differences(np.concatenate([a.index, b.index]), np.concatenate([a.minus, b.minus]),
                       np.concatenate([a.plus, b.plus]), a.eps, a.base)


def _is_book_network(layers: list[tuple[str, str]]) -> bool:
    kinds = [kind if not kind.endswith("Pool2d") else "Pool" for _, kind in layers]
    return kinds == _BOOK_KINDS and [name for name, _ in layers] == [str(i) for i in range(6)]


def _check_user(user: Any, shapes: dict[tuple[str, str], tuple[int, ...]], owners: dict[str, tuple[str, str]],
                book: bool, what: str = "user_deltas") -> dict[tuple[str, str], np.ndarray]:
    """``user_deltas`` (or what a source gave, named ``what``) by (layer, quantity): layer names, parameter
    names, and on the book's network the book's names (reshaped to the layer's shape when they hold as many
    numbers)."""
    if user is None:
        return {}
    if not isinstance(user, Mapping):
        raise TypeError(f"{what} must be a dict of arrays keyed by layer name; got {type(user).__name__}")
    values: dict[tuple[str, str], np.ndarray] = {}
    for name, value in user.items():
        key = (name, "δ") if (name, "δ") in shapes else owners.get(name)
        if key is None and name in BOOK_NAMES:
            if not book:
                raise ValueError(f"{what} has key {name!r}, the book's name of a quantity of its network "
                                 "(deltas.textbook_model()); this model is not the book's network: use layer names")
            key = BOOK_NAMES[name]
        if key is None:
            known = sorted({layer for layer, _ in shapes})
            raise ValueError(
                f"{what} has key {name!r}, which is neither a layer name ({', '.join(known)}) nor a "
                "parameter name of the model" + (" nor one of the book's names" if book else "")
            )
        array = np.asarray(getattr(value, "data", value) if not isinstance(value, np.ndarray) else value)
        if array.dtype.kind not in "fiub":
            raise TypeError(f"{what}[{name!r}] must be an array of numbers; got {type(value).__name__}")
        if name in BOOK_NAMES and key == BOOK_NAMES[name] and array.size == int(np.prod(shapes[key])):
            array = array.reshape(shapes[key])  # the book's (3, 3, 3) filters are the layer's (3, 1, 3, 3)
        if array.shape != shapes[key]:
            raise ValueError(f"{what}[{name!r}] has shape {array.shape}; expected {shapes[key]}")
        if key in values:
            raise ValueError(f"{what} gives layer {key[0]} {key[1]} twice (as {name!r} and another name)")
        values[key] = array.astype(np.float64)
    return values


def compare(
    model: Any,
    x: Any,
    target: Any,
    loss: str = "cross_entropy",
    user_deltas: Mapping[str, Any] | None = None,
    *,
    sources: Mapping[str, Source] | None = None,
    fd_units: int = 12,
    eps: float = FD_EPSILON,
    seed: int = 0,
    user_tolerance: float = USER_TOLERANCE,
    progress: bool = True,
) -> Comparison:
    """Every layer's δ and parameter gradients from the engine, the layerwise derivation, finite differences
    and ``user_deltas`` (and any further ``sources``), and the largest difference between each pair of sources.

    Runs on a float64 copy of ``model`` (the model and its ``.grad`` are not touched). ``x``: an array or a
    Tensor, batch first; ``target``: integer classes (N,) or an array of the output's shape; ``loss``:
    ``"cross_entropy"`` (of softmax(output)) or ``"squared_error"`` (the book's ½ Σ (a − t)²), summed over the
    batch. ``user_deltas``: arrays keyed by layer name (δ of that layer's output) or by parameter name
    (``"0.weight"``: its gradient); on the book's network also by the book's names (``delta_F``, ``delta_O``,
    ``filter_weights``, ``filter_biases``, ``output_weights``, ``output_biases``). ``sources``: further exact
    derivations by name, each called as ``source(model, x, target)`` on the float64 copy, the input array and
    the target array the loss uses (class indices made one-hot for the squared error), returning arrays keyed
    as ``user_deltas`` (for the book's network: :data:`tinygrad_cnn.deltas.book.SOURCES`, the book's formulas
    and scalar engine). Finite differences: at most
    ``fd_units`` units per quantity (``seed``), three quarters of them where δ ≠ 0 and no kink lies above,
    step ``eps``. Tolerances: :func:`tinygrad_cnn.deltas.report.tolerance` (engine vs layerwise 1e-9, finite
    differences 1e-5, yours ``user_tolerance``, relative to the quantity's size, with a small absolute floor).
    ``str(result)`` is the table and the verdict: walking back from the output, the first layer where a source
    departs, the unit and both values. ``progress``: a tqdm bar over the quantities estimated by finite
    differences, on stderr when tqdm is installed and stderr is a terminal, for a run longer than half a second;
    ``progress=False`` turns it off.
    """
    if not isinstance(model, Module):
        raise TypeError(f"compare: model must be a Module (e.g. an nn.Sequential); got {type(model).__name__}")
    loss = _check_loss(loss)
    fd_units = check_int(fd_units, "fd_units", "compare", minimum=0)
    eps = check_float(eps, "eps", "compare", minimum=0.0, open_minimum=True)
    seed = check_int(seed, "seed", "compare", minimum=0)
    user_tolerance = check_float(user_tolerance, "user_tolerance", "compare", minimum=0.0)
    progress = check_bool(progress, "progress", "compare")
    extra = _check_sources(sources)
    x = layerwise._array(x, "x")
    net = _float64_copy(model)
    with no_grad():
        output = net(Tensor(x)).data
    t = layerwise.targets_for(output, target, loss)
    start = time.perf_counter()
    cost, rec = engine_backprop(net, x, t, loss)
    seconds = {"engine": time.perf_counter() - start}
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
            if not param.requires_grad:  # _own_parameters leaves out None
                continue
            key = (name, attr)
            shapes[key], params[key], owners[names[id(param)]] = param.shape, param, key
            grad = rec.grads.get(names[id(param)])
            values["engine"][key] = grad if grad is not None else np.zeros(param.shape)
    layers_info = [(name, type(module).__name__) for name, module in leaves if name in rec.layers]
    book = _is_book_network(layers_info)
    user = _check_user(user_deltas, shapes, owners, book)

    notes = []
    used = ["engine"]
    start = time.perf_counter()
    try:
        lw = layerwise.backprop(net, x, t, loss, **layerwise_arguments(rec, x))
    except layerwise.UnsupportedModel as error:
        notes.append(f"layerwise: not available for this model ({error}).")
    else:
        used.append("layerwise")
        seconds["layerwise"] = time.perf_counter() - start
        by_key = {key: name for name, key in owners.items()}
        values["layerwise"] = {key: lw.deltas[key[0]] if key[1] == "δ" else lw.gradients[by_key[key]]
                               for key in shapes}
    for name, source in extra.items():
        start = time.perf_counter()
        given = source(net, x, t)
        seconds[name] = time.perf_counter() - start
        values[name] = _check_user(given, shapes, owners, book, what=f"source {name!r}")
        used.append(name)
    exact = [s for s in used] + (["yours"] if user else [])
    if user:
        values["yours"] = user

    def excusable(key: tuple[str, str], index: np.ndarray) -> np.ndarray:
        if key[1] == "δ":
            return downstream[key[0]][np.unravel_index(index, shapes[key])[0]]
        return np.full(len(index), bool(downstream[key[0]].any()))

    fd: dict[tuple[str, str], Differences] = {}
    start = time.perf_counter()
    if fd_units:
        rng, loss_at = np.random.default_rng(seed), _loss_function(net, x, t, loss)
        base = loss_at()
        bar = Progress(len(shapes), "finite differences", unit="quantity", enabled=progress, plain=False,
                       delay=QUIET_DELAY)
        for key, shape in shapes.items():
            every = np.arange(int(np.prod(shape)))
            nonzero = np.zeros(every.size, dtype=bool)
            for source in exact:
                if key in values[source]:
                    nonzero |= values[source][key].ravel() != 0
            order, est, tried = _priority(nonzero, excusable(key, every), fd_units, rng), None, 0
            while tried < min(order.size, 4 * fd_units):  # units at a kink are replaced, up to 4 × fd_units tries
                engine = None if est is None else values["engine"][key].ravel()[est.index]
                compared = 0 if est is None else est.index.size - int(np.count_nonzero(
                    _at_kink(est, engine, excusable(key, est.index), ("engine", FD), cost)))
                if compared >= fd_units:
                    break
                batch = order[tried:tried + fd_units - compared]
                tried += batch.size
                est = _join(est, _estimate(net, loss_at, key, shape, params.get(key), eps, batch, base))
            fd[key] = est
            bar.update(postfix=f"layer {key[0]} {key[1]}")
        bar.close()
        seconds[FD] = time.perf_counter() - start
        used.append(FD)
        notes.append(f"finite differences: central, step {eps:g}, on {fd_units} units per quantity (or all), "
                     "three quarters where δ ≠ 0; a unit where the loss is not differentiable is left out "
                     "and replaced by another.")
    if user:
        used.append("yours")

    rows = []
    for key, shape in shapes.items():
        have = [s for s in used if s == FD and key in fd or key in values.get(s, {})]
        for pair in itertools.combinations(have, 2):
            if FD in pair:
                other = pair[0] if pair[1] == FD else pair[1]
                est = fd[key]
                a, b = values[other][key].reshape(-1)[est.index], est.central
                kink = _at_kink(est, a, excusable(key, est.index), (other, FD), cost)
                a, b, index, kinks = a[~kink], b[~kink], est.index[~kink], int(np.count_nonzero(kink))
                nonzero = int(np.count_nonzero((a != 0) | (np.abs(b) > tolerance((other, FD), 0.0, cost))))
            else:
                a, b = values[pair[0]][key].reshape(-1), values[pair[1]][key].reshape(-1)
                index, kinks = None, 0
                nonzero = int(np.count_nonzero((a != 0) | (b != 0)))
            scale = float(max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0)))
            max_abs = float(np.abs(a - b).max(initial=0.0))
            rows.append(Row(key[0], key[1], pair, tuple(shape), max_abs, max_abs / scale if scale > 0 else 0.0,
                            tolerance(pair, scale, cost, user_tolerance), int(a.size), kinks,
                            **worst_unit(a, b, tuple(shape), index), nonzero=nonzero))
    if fd:
        values[FD] = {key: est.central for key, est in fd.items()}
    if "layerwise" in used and any(not r.ok for r in rows if r.pair == ("engine", "layerwise")):
        for name in rounding_ties(rec, [(n, lw.outputs[n]) for n in lw.outputs], x):
            notes.append(f"layer {name}: the engine's and layerwise's forward values differ in the last bits and "
                         "decide a tie differently there, so each routes δ by the tie rule to another unit; the "
                         "layers below differ by that, not by a wrong derivation.")
    labels = {key: name for name, key in BOOK_NAMES.items()} if book else {}
    return Comparison(loss, cost, len(x), layers_info, rows, used, notes, values, seconds, labels)


def _check_sources(sources: Any) -> dict[str, Source]:
    """``sources``: None or a dict of callables by a name that is none of the built-in sources."""
    if sources is None:
        return {}
    if not isinstance(sources, Mapping):
        raise TypeError(f"compare: sources must be a dict of callables by name; got {type(sources).__name__}")
    for name, source in sources.items():
        if not isinstance(name, str) or name in SOURCES:
            raise ValueError(f"compare: sources has the name {name!r}; expected a str other than "
                             f"{', '.join(SOURCES)}")
        if not callable(source):
            raise TypeError(f"compare: sources[{name!r}] must be callable as source(model, x, target); "
                            f"got {type(source).__name__}")
    return dict(sources)


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

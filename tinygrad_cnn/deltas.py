"""Every layer's unit error δ = ∂C/∂(output), recorded from the engine and checked four ways.

:func:`record` is a context manager that, during a forward and backward pass of any model, keeps every
layer's input, output and δ (for a conv or linear layer, δ at its pre-activation z: the book's neuron unit
error), keyed by the layer's name in ``named_modules()``, and the gradient each parameter received. It wraps
each layer's ``forward`` and hooks the outputs and parameters with ``register_hook``; leaving the context
removes every wrapper and hook, and the model's ``.grad`` ends as a plain backward leaves it.

:func:`compare` computes, for a model, an input batch and a target, every layer's δ and parameter gradients
from up to four sources and reports how far apart they are:

* ``engine``: the tensor engine (:func:`record`);
* ``layerwise``: the book's unit-error method written out in numpy (:mod:`tinygrad_cnn.textbook.layerwise`,
  for a Sequential of the layers it covers);
* ``finite differences``: central differences of the loss with respect to each layer's output and each
  parameter (a random subsample of units for large layers);
* ``yours``: δ (or parameter gradients) you derived yourself, a dict keyed by layer (or parameter) name.

>>> import numpy as np
>>> from tinygrad_cnn import nn
>>> model = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
...                       nn.Linear(2, 3, seed=0))
>>> x, labels = np.random.default_rng(0).normal(size=(4, 1, 4, 4)), np.array([0, 1, 2, 0])
>>> result = compare(model, x, labels)
>>> result.agrees(), result.failing_layers()
(True, [])
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .grad_mode import no_grad
from .tensor import Tensor
from . import nn
from .textbook import formulas, layerwise

__all__ = [
    "ENGINE_TOLERANCE",
    "FD_EPSILON",
    "FD_TOLERANCE",
    "SOURCES",
    "USER_TOLERANCE",
    "Comparison",
    "LayerRecord",
    "Recording",
    "Row",
    "compare",
    "engine_backprop",
    "loss_tensor",
    "record",
    "textbook_model",
]

SOURCES = ("engine", "layerwise", "finite differences", "yours")
ENGINE_TOLERANCE = 1e-9  # engine vs layerwise: relative to the quantity's size (float64)
FD_TOLERANCE = 1e-5  # central differences: relative, plus an absolute floor for the loss's rounding
USER_TOLERANCE = 1e-6  # your δ against the others: relative (float32 arithmetic passes)
FD_EPSILON = 1e-6


def _copy_array(grad: Any) -> np.ndarray:
    return np.array(grad if isinstance(grad, np.ndarray) else getattr(grad, "data", grad), copy=True)


# ----------------------------------------------------------------------------------------------------
# record
# ----------------------------------------------------------------------------------------------------


@dataclass
class LayerRecord:
    """One layer's call: its input and output arrays, its δ = ∂C/∂output (None until a backward pass
    reaches it) and its own parameters' gradients by attribute (``"weight"``)."""

    name: str
    module: Any
    input: np.ndarray | None
    output: np.ndarray
    delta: np.ndarray | None = None
    grads: dict[str, np.ndarray] = field(default_factory=dict)


class Recording:
    """What :func:`record` kept. ``layers`` in call order; a layer called again is keyed ``"name#2"``, ...

    ``outputs``/``deltas``/``inputs`` are dicts by layer name; ``grads`` by parameter name as in
    ``named_parameters()`` (the gradient this recording's backward passes sent to it, summed over them).
    """

    def __init__(self) -> None:
        self.layers: dict[str, LayerRecord] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._param_owner: dict[str, tuple[str, str]] = {}  # parameter name -> (layer name, attribute)

    def __getitem__(self, name: str) -> LayerRecord:
        return self.layers[name]

    def __contains__(self, name: object) -> bool:
        return name in self.layers

    @property
    def outputs(self) -> dict[str, np.ndarray]:
        """Each layer's output (its activations; z for a conv or linear layer)."""
        return {name: layer.output for name, layer in self.layers.items()}

    @property
    def inputs(self) -> dict[str, np.ndarray | None]:
        return {name: layer.input for name, layer in self.layers.items()}

    @property
    def deltas(self) -> dict[str, np.ndarray]:
        """δ = ∂C/∂output of each layer a backward pass reached."""
        return {name: layer.delta for name, layer in self.layers.items() if layer.delta is not None}

    def _add_delta(self, key: str, grad: Any) -> None:
        layer = self.layers[key]
        value = _copy_array(grad)
        layer.delta = value if layer.delta is None else layer.delta + value

    def _add_grad(self, name: str, grad: Any) -> None:
        value = _copy_array(grad)
        self.grads[name] = value if name not in self.grads else self.grads[name] + value
        owner = self._param_owner.get(name)
        if owner is not None and owner[0] in self.layers:
            self.layers[owner[0]].grads[owner[1]] = self.grads[name]


@contextmanager
def record(model: Any) -> Iterator[Recording]:
    """Keep every layer's output, δ = ∂C/∂output and parameter gradients during one forward/backward pass.

    Every named module except the model itself is recorded (containers too: a ``Sequential``'s output is its
    last layer's), under its first name; a layer called again is recorded again as ``"name#2"``, ... A layer
    whose output does not require grad (e.g. under ``no_grad()``) has no δ.

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor, nn
    >>> model = nn.Sequential(nn.Linear(3, 2, seed=0), nn.Sigmoid())
    >>> with record(model) as rec:
    ...     loss = 0.5 * ((model(Tensor(np.ones((1, 3), dtype=np.float32))) - 1.0) ** 2).sum()
    ...     loss.backward()
    >>> a = rec.outputs["1"]
    >>> bool(np.allclose(rec.deltas["0"], (a - 1.0) * a * (1 - a)))   # eq. (17): δ^O = (a − t) a'(z)
    True
    >>> bool(np.array_equal(rec.grads["0.weight"], model[0].weight.grad))
    True
    """
    recording = Recording()
    wrapped: list[tuple[Any, bool, Any]] = []  # (module, had its own 'forward', that attribute)
    handles: list[Any] = []
    named, seen = [], {id(model)}
    for name, module in model.named_modules():  # a module held under several names is recorded under its first
        if id(module) not in seen:
            seen.add(id(module))
            named.append((name, module))
    for name, module in named:
        for attr in ("weight", "bias"):
            param = getattr(module, attr, None)
            if param is not None and isinstance(param, Tensor):
                recording._param_owner.setdefault(f"{name}.{attr}", (name, attr))
    try:
        for pname, param in model.named_parameters():
            if param.requires_grad:
                handles.append(param.register_hook(lambda grad, pname=pname: recording._add_grad(pname, grad)))
        for name, module in named:
            own = module.__dict__.get("forward")
            original = module.forward
            object.__setattr__(module, "forward", _recording_forward(recording, name, module, original, handles))
            wrapped.append((module, own is not None, own))
        yield recording
    finally:
        for module, had_own, own in reversed(wrapped):
            if had_own:
                object.__setattr__(module, "forward", own)
            else:
                del module.__dict__["forward"]
        for handle in handles:
            handle.remove()


def _recording_forward(recording: Recording, name: str, module: Any, original: Any, handles: list[Any]) -> Any:
    calls = itertools.count(1)

    def forward(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        call = next(calls)
        if not isinstance(out, Tensor):
            return out
        key = name if call == 1 else f"{name}#{call}"
        first = args[0] if args else None
        layer_in = _copy_array(first) if isinstance(first, (Tensor, np.ndarray)) else None
        layer = LayerRecord(key, module, layer_in, out.data.copy())
        for attr in ("weight", "bias"):
            pname = f"{name}.{attr}"
            if pname in recording.grads:
                layer.grads[attr] = recording.grads[pname]
        recording.layers[key] = layer
        if out.requires_grad:
            handles.append(out.register_hook(lambda grad: recording._add_delta(key, grad)))
        return out

    return forward


# ----------------------------------------------------------------------------------------------------
# The loss, as the engine computes it and in numpy
# ----------------------------------------------------------------------------------------------------


def loss_tensor(output: Tensor, t: np.ndarray, loss: str) -> Tensor:
    """C_T as a 0-d Tensor: ½ Σ (a − t)² or −Σ t · log_softmax(u), summed over the batch; ``t`` an array of
    the output's shape (see :func:`layerwise.targets_for`)."""
    target = Tensor(np.asarray(t, dtype=output.dtype))
    if loss == "squared_error":
        return 0.5 * ((output - target) ** 2).sum()
    return -(target * output.log_softmax(axis=1)).sum()


def _loss_value(output: np.ndarray, t: np.ndarray, loss: str) -> float:
    return layerwise._cost(np.asarray(output, dtype=np.float64), t, loss)


def _check_loss(loss: Any) -> str:
    if not isinstance(loss, str) or loss not in layerwise.LOSSES:
        raise ValueError(f"loss must be one of {layerwise.LOSSES}; got {loss!r}")
    return loss


def _float64_copy(model: Any) -> Any:
    """A deep copy of the model with float64 parameters and no gradients (the model itself is not touched)."""
    clone = copy.deepcopy(model)
    for param in clone.parameters():
        param.data = np.asarray(param.data, dtype=np.float64)
        param.grad = None
    return clone


def _leaves(model: Any) -> list[tuple[str, Any]]:
    return [(name, m) for name, m in model.named_modules() if m is not model and not list(m.children())]


def engine_backprop(model: Any, x: np.ndarray, t: np.ndarray, loss: str) -> tuple[float, Recording]:
    """C_T and the recording of one forward/backward pass of the tensor engine (x requires grad, so every
    layer's output does)."""
    with record(model) as rec:
        cost = loss_tensor(model(Tensor(x, requires_grad=True)), t, loss)
        cost.backward()
    return float(cost.item()), rec


def textbook_model(params: Mapping[str, Any] | None = None, pool: str = "max") -> Any:
    """The book's network as a Sequential (float64): conv 3 filters 3x3 on the 6x6 image, σ, 2x2 pooling,
    the 12 pooled units fully connected to 3 outputs, σ; its cost is the squared error. ``params``: the
    book's parameter dict (``textbook.initial_parameters()`` by default); ``pool``: "max", "avg" or "l2".

    Layer names: "0" conv (δ^F at z^F), "1" σ, "2" pooling, "3" flatten, "4" linear (δ^O at z^O), "5" σ.

    >>> [type(layer).__name__ for layer in textbook_model().children()]
    ['Conv2d', 'Sigmoid', 'MaxPool2d', 'Flatten', 'Linear', 'Sigmoid']
    """
    from .textbook.data import initial_parameters

    pool = formulas.check_pool(pool)
    w_F, b_F, w_O, b_O = formulas.unpack_parameters(initial_parameters() if params is None else params)
    pooling = {"max": nn.MaxPool2d(2), "avg": nn.AvgPool2d(2), "l2": nn.LPPool2d(2, 2)}[pool]
    model = nn.Sequential(nn.Conv2d(1, 3, 3, dtype=np.float64), nn.Sigmoid(), pooling, nn.Flatten(),
                          nn.Linear(12, 3, dtype=np.float64), nn.Sigmoid())
    model.load_state_dict({
        "0.weight": w_F.reshape(3, 1, 3, 3),  # w^F_k[p, q] -> (C_out, C_in = 1, 3, 3)
        "0.bias": b_F,
        "4.weight": w_O.reshape(3, 12),  # w^O_n[k, i, j] -> (n, 12): NCHW flattening keeps the order (k, i, j)
        "4.bias": b_O,
    })
    return model


# ----------------------------------------------------------------------------------------------------
# compare
# ----------------------------------------------------------------------------------------------------


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
            f"δ = ∂C/∂(layer output) and ∂C/∂θ, {self.n_images} image(s), {self.loss} loss (C = {self.cost:.6g}): "
            "largest |difference| (and relative) of each source against the engine",
            head + "   ok",
        ]
        by_key: dict[tuple[str, str], dict[tuple[str, str], Row]] = {}
        for row in self.rows:
            by_key.setdefault((row.layer, row.quantity), {})[row.pair] = row
        kinds = dict(self.layers)
        for (layer, quantity), pairs in by_key.items():
            shape = next(iter(pairs.values())).shape
            line = f"{layer:<12} {kinds.get(layer, ''):<10} {quantity:<9} {str(shape):<16}"
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
            lines.append(f"{kinks} sampled unit(s) where the loss has a kink (a max-pool tie, ReLU at 0) were left "
                         "out of the finite-difference check.")
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

    def distance(self, exact: np.ndarray, kink: float) -> tuple[np.ndarray, int]:
        """|exact − central| at the units where the loss is smooth, and how many units were left out because
        the loss has a kink there: its one-sided differences differ by more than ``kink`` (a max-pool tie,
        ReLU at 0). At a kink no difference quotient pins down the engine's choice of one-sided derivative
        (the book's tie rule), so only the exact sources are compared there."""
        a = exact.reshape(-1)[self.index]
        smooth = np.abs(self.right - self.left) <= kink
        return np.abs(a - self.central)[smooth], int(np.count_nonzero(~smooth))


def _sample(size: int, limit: int, rng: np.random.Generator) -> np.ndarray:
    return np.arange(size) if size <= limit else np.sort(rng.choice(size, limit, replace=False))


def _finite_differences(
    model: Any, x: np.ndarray, t: np.ndarray, loss: str, shapes: dict[tuple[str, str], tuple[int, ...]],
    params: dict[tuple[str, str], Any], eps: float, limit: int, rng: np.random.Generator,
) -> dict[tuple[str, str], _FD]:
    modules = dict(model.named_modules())

    def loss_at() -> float:
        with no_grad():
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
    loss = _check_loss(loss)
    if not isinstance(fd_units, int) or isinstance(fd_units, bool) or fd_units < 0:
        raise ValueError(f"fd_units must be a non-negative int; got {fd_units!r}")
    if not isinstance(eps, (int, float)) or not eps > 0:
        raise ValueError(f"eps must be a positive number; got {eps!r}")
    x = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
    net = _float64_copy(model)
    with no_grad():
        output = net(Tensor(x)).data
    t = layerwise.targets_for(output, target, loss)
    cost, rec = engine_backprop(net, x, t, loss)

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
        values["engine"][(name, "δ")] = rec[name].delta if rec[name].delta is not None else np.zeros(shapes[(name, "δ")])
        for attr, param in module._parameters.items():
            if param is None or not param.requires_grad:
                continue
            key = (name, attr)
            shapes[key], params[key], owners[names[id(param)]] = param.shape, param, key
            grad = rec.grads.get(names[id(param)])
            values["engine"][key] = grad if grad is not None else np.zeros(param.shape)

    notes = []
    sources = ["engine"]
    try:
        lw = layerwise.backprop(net, x, t, loss)
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
                     "(units where the loss has a kink are left out).")
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
                dist, kinks = est.distance(exact, tol)
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
    return Comparison(loss, cost, len(x), layers_info, rows, sources, notes, values)

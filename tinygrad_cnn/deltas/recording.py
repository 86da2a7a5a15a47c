"""``record``: every layer's input, output and δ = ∂C/∂output, and every parameter's gradient, from one
forward/backward pass of the tensor engine (a module forward hook per layer, ``register_hook`` on its output and
on the parameters); the loss as the engine computes it; the book's network as a ``Sequential``."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import nn
from ..ops.normalization import Dropout as DropoutFunction
from ..tensor import Tensor
from ..textbook import layerwise, tensor_net

__all__ = ["LayerRecord", "Recording", "engine_backprop", "loss_tensor", "record", "textbook_model"]


def _own_parameters(module: Any) -> list[tuple[str, Any]]:
    """The module's own parameters (not its children's), by attribute name."""
    return [(name, p) for name, p in module.named_parameters() if "." not in name and p is not None]


def _copy_array(grad: Any) -> np.ndarray:
    return np.array(grad if isinstance(grad, np.ndarray) else getattr(grad, "data", grad), copy=True)


# ----------------------------------------------------------------------------------------------------
# record
# ----------------------------------------------------------------------------------------------------


@dataclass
class LayerRecord:
    """One layer's call: its input and output arrays, its δ = ∂C/∂output (None until a backward pass
    reaches it), its own parameters' gradients by attribute (``"weight"``) and, for a Dropout in training,
    the keep mask the engine drew (``keep``: True where the unit was kept)."""

    name: str
    module: Any
    input: np.ndarray | None
    output: np.ndarray
    delta: np.ndarray | None = None
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    keep: np.ndarray | None = None


class Recording:
    """What :func:`record` kept. ``layers`` in call order; a layer called again is keyed ``"name#2"``, ...

    ``outputs``/``deltas``/``inputs`` are dicts by layer name; ``grads`` by parameter name as in
    ``named_parameters()`` (the gradient this recording's backward passes sent to it, summed over them).
    """

    def __init__(self) -> None:
        self.layers: dict[str, LayerRecord] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._param_owner: dict[str, tuple[str, str]] = {}  # parameter name -> (layer name, attribute)
        self.output: np.ndarray | None = None  # the model's output (set by engine_backprop)

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
    if not isinstance(model, nn.Module):
        raise TypeError(f"record: model must be a Module (e.g. an nn.Sequential); got {type(model).__name__}")
    recording = Recording()
    handles: list[Any] = []  # module forward hooks and tensor hooks alike: each has remove()
    named, seen = [], {id(model)}
    for name, module in model.named_modules():  # a module held under several names is recorded under its first
        if id(module) not in seen:
            seen.add(id(module))
            named.append((name, module))
    for name, module in named:
        for attr, _ in _own_parameters(module):
            recording._param_owner.setdefault(f"{name}.{attr}", (name, attr))
    try:
        for pname, param in model.named_parameters():
            if param.requires_grad:
                handles.append(param.register_hook(lambda grad, pname=pname: recording._add_grad(pname, grad)))
        for name, module in named:
            handles.append(module.register_forward_hook(_recording_forward(recording, name, handles)))
        yield recording
    finally:
        for handle in handles:
            handle.remove()


def _recording_forward(recording: Recording, name: str, handles: list[Any]) -> Any:
    """The forward hook of the module ``name``: keep its input and output, and hook δ = ∂C/∂output."""
    calls = itertools.count(1)

    def hook(module: Any, args: tuple[Any, ...], out: Any) -> None:
        call = next(calls)
        if not isinstance(out, Tensor):
            return
        key = name if call == 1 else f"{name}#{call}"
        first = args[0] if args else None
        layer_in = _copy_array(first) if isinstance(first, (Tensor, np.ndarray)) else None
        layer = LayerRecord(key, module, layer_in, out.data.copy())
        if out is not first and out._ctx is not None and out._ctx.function is DropoutFunction:
            layer.keep = out._ctx.scale != 0  # the mask this call drew: scale = keep/(1 − p)
        for attr, _ in _own_parameters(module):
            if f"{name}.{attr}" in recording.grads:
                layer.grads[attr] = recording.grads[f"{name}.{attr}"]
        recording.layers[key] = layer
        if out.requires_grad:
            handles.append(out.register_hook(lambda grad: recording._add_delta(key, grad)))

    return hook


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
    return layerwise.cost(np.asarray(output, dtype=np.float64), t, loss)


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
        output = model(Tensor(x, requires_grad=True))
        cost = loss_tensor(output, t, loss)
        cost.backward()
    rec.output = np.array(output.data, copy=True)
    return float(cost.item()), rec


def textbook_model(params: Mapping[str, Any] | None = None, pool: str = "max") -> Any:
    """The book's network as a Sequential (float64): :func:`tinygrad_cnn.textbook.tensor_net.sequential`; its cost
    is the squared error. Layer names: "0" conv (δ^F at z^F), "1" σ, "2" pooling, "3" flatten, "4" linear (δ^O at
    z^O), "5" σ.

    >>> [type(layer).__name__ for layer in textbook_model().children()]
    ['Conv2d', 'Sigmoid', 'MaxPool2d', 'Flatten', 'Linear', 'Sigmoid']
    """
    return tensor_net.sequential(params, pool)

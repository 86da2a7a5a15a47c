"""The book's unit-error method for any chain of CNN layers, in plain numpy (no autograd).

:mod:`formulas` writes out the book's one network. This module is the same method for a ``Sequential`` (nested
ones flattened) of ``Conv2d`` (stride, padding, dilation, groups), ``MaxPool2d``/``AvgPool2d``/``LPPool2d``,
``Linear``, ``Flatten``, ``Sigmoid``/``Tanh``/``ReLU``/``LeakyReLU``/``GELU``, ``Softmax``/``LogSoftmax``,
``BatchNorm1d``/``BatchNorm2d`` (training and evaluation), ``Dropout`` and ``Identity`` layers, or for any module
whose forward calls such layers one after another (given their call ``order``), with the book's squared-error
cost or cross-entropy, summed over the batch like the book's C_T. Each step (in :mod:`layerwise_layers`)
cites the equation of ``textbook/MATH.md`` it implements: the section "The unit-error method for any Sequential
CNN", equations (G1)-(G16), which generalise the book's (8), (12), (14), (17), (23) and (25).

It reads a model by duck typing only (a layer's class name, its attributes and its parameters' arrays via
``np.asarray``) and imports nothing but numpy, so it checks the tensor engine from outside.

Every layer's result is keyed by its name in ``model.named_modules()`` (``"0"``, ``"features.2"``):

* ``outputs[name]``: what the layer computes (z for a conv or linear layer, a for an activation);
* ``deltas[name]``: δ = ∂C/∂outputs[name] (for a conv or linear layer, the book's neuron unit error ∂C/∂z);
* ``gradients["name.weight"]``: ∂C/∂θ, keyed like ``named_parameters()``.

>>> from tinygrad_cnn import nn
>>> model = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0, dtype=np.float64), nn.ReLU(), nn.MaxPool2d(2),
...                       nn.Flatten(), nn.Linear(2, 3, seed=0, dtype=np.float64))
>>> result = backprop(model, np.ones((4, 1, 4, 4)), np.array([0, 1, 2, 0]), loss="cross_entropy")
>>> result.deltas["0"].shape, result.gradients["4.weight"].shape
((4, 2, 2, 2), (3, 2))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .layerwise_layers import (
    ACTIVATIONS,
    KINDS,
    POOLINGS,
    WITH_PARAMETERS,
    Layer,
    UnsupportedModel,
    activation_derivative,
    backward,
    forward,
)
from .losses import LOSSES, cost, loss_delta, targets_for

__all__ = [
    "ACTIVATIONS", "LOSSES", "POOLINGS", "SUPPORTED", "Backprop", "Layer", "UnsupportedModel",
    "activation_derivative", "backprop", "cost", "layers", "loss_delta", "targets_for",
]

SUPPORTED = KINDS


# ---- Reading a model: its layers in the order it runs them, with their parameters as arrays


def _array(value: Any, name: str = "x") -> np.ndarray:
    """``value`` (an array, a Tensor or nested lists of numbers) as float64; TypeError naming ``name`` if not."""
    array = np.asarray(value if isinstance(value, np.ndarray) else getattr(value, "data", value))
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be an array of numbers (or a Tensor); got {type(value).__name__} {value!r:.40}")
    return array.astype(np.float64)


def _children(module: Any) -> list[tuple[str, Any]]:
    """Every sub-module slot in order, a module held twice (a layer used twice) included: ``named_children()``
    lists a shared module once, which would drop its second use from the chain. The library's Module (and
    PyTorch's) keeps them in ``_modules``."""
    return [(name, child) for name, child in getattr(module, "_modules", {}).items() if child is not None]


def _sequential_leaves(model: Any) -> list[tuple[str, Any]]:
    """(name, module) of every leaf of a Sequential, nested Sequentials flattened, in the order they run."""
    found: list[tuple[str, Any]] = []

    def walk(module: Any, prefix: str) -> None:
        for child_name, child in _children(module):
            name = f"{prefix}.{child_name}" if prefix else child_name
            if type(child).__name__ == "Sequential":
                walk(child, name)
            elif _children(child):
                raise UnsupportedModel(f"layer {name!r} is a {type(child).__name__} holding other modules; only "
                                       "Sequential nests (pass order= for a module that calls its layers in turn)")
            else:
                found.append((name, child))

    walk(model, "")
    return found


def _ordered_leaves(model: Any, order: Sequence[str]) -> list[tuple[str, Any]]:
    """(name, module) for each name of ``order``; ``"name#k"`` is the k-th call of the layer ``name``."""
    if isinstance(order, str) or not isinstance(order, Sequence):
        raise TypeError(f"order must be a list of layer names; got {type(order).__name__} {order!r:.40}")
    modules = dict(model.named_modules()) if callable(getattr(model, "named_modules", None)) else {}
    found = []
    for name in order:
        base = name.split("#")[0] if isinstance(name, str) else name
        if not base or base not in modules:
            raise ValueError(f"order: {name!r} is not the name of a layer of the model; names: {sorted(modules)[:8]}")
        if _children(modules[base]):
            raise UnsupportedModel(f"order: layer {name!r} is a {type(modules[base]).__name__} holding other "
                                   "modules; list the layers it calls instead")
        found.append((name, modules[base]))
    return found


def layers(model: Any, order: Sequence[str] | None = None, masks: Mapping[str, Any] | None = None) -> list[Layer]:
    """The model's layers in the order it applies them: a ``Sequential`` (nested ones flattened) of leaves, or
    for another module the layers named in ``order`` (``"name#2"``: a layer's second call). ``masks``: the
    keep mask r of each Dropout in training mode, by name.

    Raises :class:`UnsupportedModel` (a TypeError) naming the first layer the method does not cover.

    >>> from tinygrad_cnn import nn
    >>> [(layer.name, layer.kind) for layer in layers(nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Tanh())))]
    [('0', 'Linear'), ('1.0', 'Tanh')]
    """
    if order is None and type(model).__name__ != "Sequential":
        raise UnsupportedModel(f"model must be a Sequential (its layers run in order); got {type(model).__name__}. "
                               "For a module whose forward calls its layers one after another, pass their order= "
                               "(tinygrad_cnn.deltas.layerwise_arguments finds it from a recorded forward)")
    masks = {} if masks is None else dict(masks)
    chain: list[Layer] = []
    seen: dict[int, str] = {}  # id(parameter) -> its first name (a shared layer's parameters)
    for name, child in (_sequential_leaves(model) if order is None else _ordered_leaves(model, order)):
        kind = type(child).__name__
        if kind not in KINDS:
            raise UnsupportedModel(f"layer {name!r} is a {kind}, which the unit-error method here does not "
                                   f"cover; supported: {', '.join(KINDS)}")
        base = name.split("#")[0]
        layer = Layer(name, kind, child)
        for attr in ("weight", "bias") if kind in WITH_PARAMETERS else ():
            value = getattr(child, attr, None)
            if value is not None:
                layer.params[attr] = _array(value)
                layer.param_names[attr] = seen.setdefault(id(value), f"{base}.{attr}")
        if name in masks:
            layer.mask = _array(masks[name], f"masks[{name!r}]")
        chain.append(layer)
    unknown = sorted(set(masks) - {layer.name for layer in chain if layer.kind == "Dropout"})
    if unknown:
        raise ValueError(f"masks: {unknown} are not Dropout layers of the chain")
    return chain


# ---- The backward recurrence (G12): δ of every layer from the δ of the layer above


@dataclass
class Backprop:
    """The result of :func:`backprop`, every dict keyed by layer name in the order the layers run."""

    cost: float  # C_T
    outputs: dict[str, np.ndarray]  # each layer's output (z for conv/linear, a for activations)
    deltas: dict[str, np.ndarray]  # δ = ∂C/∂output of each layer
    gradients: dict[str, np.ndarray]  # ∂C/∂θ keyed like named_parameters() ("0.weight")
    input_delta: np.ndarray  # ∂C/∂x


def backprop(model: Any, x: Any, target: Any, loss: str = "squared_error", *, order: Sequence[str] | None = None,
             masks: Mapping[str, Any] | None = None) -> Backprop:
    """Every layer's δ and every parameter's gradient by the unit-error method (MATH.md (G1)-(G16)).

    ``x``: a numpy array or a Tensor, batch first; ``target``: integer class indices (N,) or an array of the
    output's shape; ``loss``: ``"squared_error"`` (the book's ½ Σ (a − t)²) or ``"cross_entropy"`` (of
    softmax(output)); both summed over the batch. ``order``: for a model that is not a Sequential, the names
    of the layers its forward calls, in call order; ``masks``: for each Dropout in training mode, the keep mask
    (1 kept, 0 dropped) the engine drew, by layer name.

    >>> from tinygrad_cnn import nn
    >>> model = nn.Sequential(nn.Linear(2, 2, seed=1, dtype=np.float64), nn.Sigmoid())
    >>> result = backprop(model, np.ones((1, 2)), np.array([[1.0, 0.0]]))
    >>> a, z = result.outputs["1"], result.outputs["0"]
    >>> bool(np.allclose(result.deltas["0"], (a - [1.0, 0.0]) * a * (1 - a)))  # eq. (17)
    True
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
    chain = layers(model, order, masks)
    if not chain:
        raise UnsupportedModel("model must hold at least one layer; got an empty Sequential")
    inputs, outputs, a = [], {}, _array(x)  # a: the input of the next layer
    for layer in chain:
        inputs.append(a)
        a = forward(layer, a)
        outputs[layer.name] = a
    t = targets_for(a, target, loss)
    deltas, gradients = {}, {}
    delta = loss_delta(a, t, loss)  # ∂C/∂(output of the last layer): MATH.md (G1) or (G2), generalising eq. (17)
    # MATH.md (G12), generalising eq. (25): from the output down, each layer's δ from the δ of the layer above
    for layer, layer_in in zip(reversed(chain), reversed(inputs)):
        deltas[layer.name] = delta  # δ = ∂C/∂(this layer's output)
        delta, grads = backward(layer, layer_in, outputs[layer.name], delta)
        for attr, grad in grads.items():  # a parameter used by several layers (or calls) gets the sum
            name = layer.param_names[attr]
            gradients[name] = gradients[name] + grad if name in gradients else grad
    ordered = {layer.name: deltas[layer.name] for layer in chain}
    return Backprop(cost(a, t, loss), outputs, ordered, gradients, delta)

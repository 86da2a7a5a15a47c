"""Hypothesis strategy for random small Sequential CNNs, shared by test_layerwise.py and test_deltas.py.

1-3 convolution layers (kernel 1-3, stride 1-2, padding 0-1, dilation 1-2, groups 1-2), each followed by an
activation and, sometimes, a pooling layer of each kind (max/avg with padding and ceil mode, Lp with p = 1-3);
then Flatten and 1-2 linear layers, either loss; inputs that are sometimes binary, so that max pooling ties
(identical input windows give identical units, and ReLU gives runs of zeros).

``cases(extended=True)`` adds what users put in CNNs (for test_layerwise.py): GELU (both forms), BatchNorm2d after
a convolution and BatchNorm1d between linear layers (training, or evaluation with random running statistics),
Dropout (evaluation, or training with a seeded generator), a Softmax/LogSoftmax output, a linear layer used
twice, nested Sequentials, and the whole chain held by a Module subclass (``Chain``) instead of a Sequential.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from tinygrad_cnn import Tensor, nn


class _LeakyReLU(nn.Module):
    """Stand-in for nn.LeakyReLU until the nn package has it (layerwise reads it by class name)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return x.maximum(x * self.negative_slope)  # slope < 1: max(z, slope·z) is z for z > 0


_LeakyReLU.__name__ = _LeakyReLU.__qualname__ = "LeakyReLU"
LeakyReLU = getattr(nn, "LeakyReLU", _LeakyReLU)
ACTIVATIONS = {"Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "ReLU": nn.ReLU, "LeakyReLU": lambda: LeakyReLU(0.1)}
EXTENDED_ACTIVATIONS = {**ACTIVATIONS, "GELU": nn.GELU, "GELU(tanh)": lambda: nn.GELU(approximate="tanh")}


class Chain(nn.Module):
    """Not a Sequential: a Module subclass whose forward calls its layers ``layer0``, ``layer1``, ... in turn (the
    same module may be two of them: a layer used twice)."""

    def __init__(self, layers: list) -> None:
        super().__init__()
        self.count = len(layers)
        for index, layer in enumerate(layers):
            self.add_module(f"layer{index}", layer)

    def forward(self, x: Tensor) -> Tensor:
        for index in range(self.count):
            x = getattr(self, f"layer{index}")(x)
        return x


def _batch_norm(draw, kind, channels: int, values_per_channel: int, rng) -> nn.Module:
    """A BatchNorm layer with random γ, β, in training (if the batch has > 1 value per channel) or evaluation
    with random running statistics; sometimes without affine parameters or running statistics."""
    affine, track = draw(st.booleans()), draw(st.booleans()) or values_per_channel < 2
    bn = kind(channels, affine=affine, track_running_stats=track, dtype=np.float64)
    if affine:
        bn.weight.data, bn.bias.data = rng.normal(1.0, 0.5, channels), rng.normal(0.0, 0.5, channels)
    if track:
        bn.running_mean.data, bn.running_var.data = rng.normal(size=channels), rng.uniform(0.5, 2.0, channels)
    if values_per_channel < 2 or draw(st.booleans()):
        bn.eval()
    return bn


def _dropout(draw, rng) -> nn.Module:
    layer = nn.Dropout(draw(st.sampled_from([0.0, 0.25, 0.5, 1.0])), seed=int(rng.integers(1 << 30)))
    if draw(st.booleans()):
        layer.eval()
    return layer


@dataclass
class Case:
    model: nn.Sequential
    x: np.ndarray
    target: np.ndarray
    loss: str
    spec: list

    def __repr__(self) -> str:
        return f"Case(loss={self.loss!r}, x.shape={self.x.shape}, spec={self.spec})"


def _shape(layers: list, x_shape: tuple[int, ...]) -> tuple[int, ...]:
    return nn.Sequential(*layers)(Tensor(np.zeros(x_shape))).shape


@st.composite
def cases(draw, max_convs: int = 3, extended: bool = False) -> Case:
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    n, channels, size = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(5, 8))
    x_shape = (n, channels, size, size)
    spec: list = []
    layers: list = []
    for _ in range(draw(st.integers(1, max_convs))):
        groups = draw(st.sampled_from([g for g in (1, 2) if channels % g == 0]))
        out_channels = groups * draw(st.integers(1, 2))
        k = draw(st.integers(1, min(3, size)))
        stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
        dilation = draw(st.integers(1, 2)) if size + 2 * padding >= 2 * (k - 1) + 1 else 1
        if (size + 2 * padding - dilation * (k - 1) - 1) // stride + 1 < 1:
            break
        layers.append(nn.Conv2d(channels, out_channels, k, stride=stride, padding=padding, dilation=dilation,
                                groups=groups, dtype=np.float64, seed=int(rng.integers(1 << 30))))
        spec.append(("conv", out_channels, k, stride, padding, dilation, groups))
        if extended and draw(st.booleans()):
            out_size = _shape(layers, x_shape)[2]
            layers.append(_batch_norm(draw, nn.BatchNorm2d, out_channels, n * out_size * out_size, rng))
            spec.append(("bn2d", layers[-1].training))
        activation = draw(st.sampled_from(sorted(EXTENDED_ACTIVATIONS if extended else ACTIVATIONS)))
        layers.append(EXTENDED_ACTIVATIONS[activation]())
        spec.append(activation)
        if extended and draw(st.booleans()):
            layers.append(_dropout(draw, rng))
            spec.append(("dropout", layers[-1].p, layers[-1].training))
        channels, size = _shape(layers, x_shape)[1:3]
        pool = draw(st.sampled_from(["none", "max", "avg", "lp"]))
        if pool == "none" or size < 2:
            continue
        stride = draw(st.integers(1, 2))
        if pool == "lp":
            p_norm = draw(st.sampled_from([1, 2, 3] if activation in ("Sigmoid", "ReLU") else [1, 2]))
            layers.append(nn.LPPool2d(p_norm, 2, stride=stride))
            spec.append(("lp", p_norm, stride))
        else:
            padding, ceil = draw(st.integers(0, 1)), draw(st.booleans())
            if pool == "max":
                layers.append(nn.MaxPool2d(2, stride=stride, padding=padding, ceil_mode=ceil))
                spec.append(("max", stride, padding, ceil))
            else:
                include = draw(st.booleans())
                layers.append(nn.AvgPool2d(2, stride=stride, padding=padding, ceil_mode=ceil,
                                           count_include_pad=include))
                spec.append(("avg", stride, padding, ceil, include))
        channels, size = _shape(layers, x_shape)[1:3]
    layers.append(nn.Flatten())
    features = int(np.prod(_shape(layers, x_shape)[1:]))
    n_linear = draw(st.integers(1, 2))
    for index in range(n_linear):
        last = index == n_linear - 1
        width = 3 if last else draw(st.integers(2, 4))
        layers.append(nn.Linear(features, width, dtype=np.float64, seed=int(rng.integers(1 << 30))))
        spec.append(("linear", width))
        features = width
        if last:
            break
        if extended and draw(st.booleans()):
            layers.append(_batch_norm(draw, nn.BatchNorm1d, width, n, rng))
            spec.append(("bn1d", layers[-1].training))
        activation = draw(st.sampled_from(sorted(EXTENDED_ACTIVATIONS if extended else ACTIVATIONS)))
        layers.append(EXTENDED_ACTIVATIONS[activation]())
        spec.append(activation)
        if extended and draw(st.booleans()):  # a square layer used twice: its gradient is the sum of both uses
            square = nn.Linear(width, width, dtype=np.float64, seed=int(rng.integers(1 << 30)))
            layers += [square, nn.Tanh(), square, EXTENDED_ACTIVATIONS[activation]()]
            spec.append(("reused", width))
        if extended and draw(st.booleans()):
            layers.append(_dropout(draw, rng))
            spec.append(("dropout", layers[-1].p, layers[-1].training))
    loss = draw(st.sampled_from(["squared_error", "cross_entropy"]))
    if loss == "squared_error" and draw(st.booleans()):
        layers.append(nn.Sigmoid())  # the book's output layer: a(z^O)
        spec.append("Sigmoid")
    if extended and draw(st.booleans()):
        layers.append(draw(st.sampled_from([nn.Softmax(dim=1), nn.LogSoftmax(dim=1), nn.Softmax(dim=-1)])))
        spec.append(type(layers[-1]).__name__)
    binary = draw(st.booleans())
    x = (rng.random(x_shape) < 0.5).astype(np.float64) if binary else rng.normal(size=x_shape)
    if loss == "cross_entropy" or draw(st.booleans()):
        target = rng.integers(0, 3, size=n)  # class indices
    else:
        target = rng.random((n, 3))  # any real target of the output's shape
    model = nn.Sequential(*layers)
    if extended:
        start = draw(st.integers(0, len(layers) - 1))
        stop = draw(st.integers(start + 1, len(layers)))
        if draw(st.booleans()):  # a nested Sequential (two levels deep, sometimes)
            inner = nn.Sequential(*layers[start:stop])
            if draw(st.booleans()) and stop - start > 1:
                inner = nn.Sequential(inner[0], nn.Sequential(*list(inner.children())[1:]))
            layers = [*layers[:start], inner, *layers[stop:]]
            spec.append(("nested", start, stop))
        model = nn.Sequential(*layers)
        if draw(st.booleans()):
            model = Chain(layers)
            spec.append("Chain")
    return Case(model, x, target, loss, spec)


def rounding_ties(case: Case) -> bool:
    """Whether the engine and textbook.layerwise, whose forward values may differ in the last bit, take a different
    branch somewhere: another winner in a max-pooling window or another side of 0 at a ReLU input. That happens
    only at a tie up to rounding (binary images make mathematically equal units that each implementation
    rounds its own way); each then follows the tie rule on its own values, so their δ differ there by design.
    The property tests leave such examples out."""
    from tinygrad_cnn.deltas import comparison, engine_backprop
    from tinygrad_cnn.textbook import layerwise

    lw = layerwise.backprop(case.model, case.x, case.target, case.loss)
    t = layerwise.targets_for(list(lw.outputs.values())[-1], case.target, case.loss)
    _, rec = engine_backprop(case.model, case.x, t, case.loss)
    return bool(comparison.rounding_ties(rec, list(lw.outputs.items()), case.x))

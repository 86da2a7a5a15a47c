"""Hypothesis strategy for random small Sequential CNNs, shared by test_layerwise.py and test_deltas.py.

1-3 convolution layers (kernel 1-3, stride 1-2, padding 0-1, dilation 1-2, groups 1-2), each followed by an
activation and, sometimes, a pooling layer of each kind (max/avg with padding and ceil mode, Lp with p = 1-3);
then Flatten and 1-2 linear layers, either loss; inputs that are sometimes binary, so that max pooling ties
(identical input windows give identical units, and ReLU gives runs of zeros).
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
def cases(draw, max_convs: int = 3) -> Case:
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
        activation = draw(st.sampled_from(sorted(ACTIVATIONS)))
        layers.append(ACTIVATIONS[activation]())
        spec.append(activation)
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
        activation = draw(st.sampled_from(sorted(ACTIVATIONS)))
        layers.append(ACTIVATIONS[activation]())
        spec.append(activation)
    loss = draw(st.sampled_from(["squared_error", "cross_entropy"]))
    if loss == "squared_error" and draw(st.booleans()):
        layers.append(nn.Sigmoid())  # the book's output layer: a(z^O)
        spec.append("Sigmoid")
    binary = draw(st.booleans())
    x = (rng.random(x_shape) < 0.5).astype(np.float64) if binary else rng.normal(size=x_shape)
    if loss == "cross_entropy" or draw(st.booleans()):
        target = rng.integers(0, 3, size=n)  # class indices
    else:
        target = rng.random((n, 3))  # any real target of the output's shape
    return Case(nn.Sequential(*layers), x, target, loss, spec)


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

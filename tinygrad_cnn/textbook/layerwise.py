"""The book's unit-error method for any Sequential CNN, in plain numpy (no autograd).

:mod:`formulas` writes out the book's one network. This module is the same method for a ``Sequential``
of ``Conv2d`` (stride, padding, dilation, groups), ``MaxPool2d``/``AvgPool2d``/``LPPool2d``, ``Linear``,
``Flatten`` and ``Sigmoid``/``Tanh``/``ReLU``/``LeakyReLU`` layers (nested ``Sequential`` containers are
flattened), with the book's squared-error cost or cross-entropy, summed over the batch like the book's C_T.
Each step cites the equation of ``textbook/MATH.md`` it implements: the section "The unit-error method for
any Sequential CNN", equations (G1)-(G12), which generalise the book's (8), (12), (14), (17), (23) and (25).

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

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .losses import LOSSES, cost, loss_delta, targets_for

__all__ = [
    "ACTIVATIONS", "LOSSES", "POOLINGS", "Backprop", "Layer", "UnsupportedModel",
    "activation_derivative", "backprop", "cost", "layers", "loss_delta", "targets_for",
]

ACTIVATIONS = ("Sigmoid", "Tanh", "ReLU", "LeakyReLU")
POOLINGS = ("MaxPool2d", "AvgPool2d", "LPPool2d")
SUPPORTED = ("Conv2d", "Linear", "Flatten", *POOLINGS, *ACTIVATIONS, "Identity")


class UnsupportedModel(TypeError):
    """The model is not a Sequential of the layers this module derives δ for."""


# ---- Reading a model: its layers in the order a Sequential runs them, with their parameters as arrays


@dataclass
class Layer:
    """One layer of the chain: its name in ``named_modules()``, its class name and module, its parameters."""

    name: str
    kind: str  # the class name, e.g. "Conv2d"
    module: Any
    params: dict[str, np.ndarray] = field(default_factory=dict)  # attribute -> float64 array
    param_names: dict[str, str] = field(default_factory=dict)  # attribute -> name in named_parameters()


def _array(value: Any, name: str = "x") -> np.ndarray:
    """``value`` (an array, a Tensor or nested lists of numbers) as float64; TypeError naming ``name`` if not."""
    array = np.asarray(value if isinstance(value, np.ndarray) else getattr(value, "data", value))
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be an array of numbers (or a Tensor); got {type(value).__name__} {value!r:.40}")
    return array.astype(np.float64)


def _pair(value: Any, name: str, layer: str) -> tuple[int, int]:
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
        raise UnsupportedModel(f"layer {layer!r}: {name} must be an int or a pair of ints; got {value!r}")
    return int(items[0]), int(items[1])


def _children(module: Any) -> list[tuple[str, Any]]:
    if callable(getattr(module, "named_children", None)):
        return list(module.named_children())
    children = getattr(module, "_modules", None)  # the library's Module keeps its sub-modules here, in order
    return list(children.items()) if isinstance(children, dict) else []


def layers(model: Any) -> list[Layer]:
    """The model's layers in the order it applies them: a ``Sequential`` (nested ones flattened) of leaves.

    Raises :class:`UnsupportedModel` (a TypeError) naming the first layer the method does not cover.

    >>> from tinygrad_cnn import nn
    >>> [(layer.name, layer.kind) for layer in layers(nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Tanh())))]
    [('0', 'Linear'), ('1.0', 'Tanh')]
    """
    if type(model).__name__ != "Sequential":
        raise UnsupportedModel(f"model must be a Sequential (its layers run in order); got {type(model).__name__}")
    chain: list[Layer] = []
    seen: dict[int, str] = {}  # id(parameter) -> its first name (a shared layer's parameters)

    def walk(module: Any, prefix: str) -> None:
        for child_name, child in _children(module):
            name = f"{prefix}.{child_name}" if prefix else child_name
            kind = type(child).__name__
            if kind == "Sequential":
                walk(child, name)
                continue
            if _children(child):
                raise UnsupportedModel(f"layer {name!r} is a {kind} holding other modules; only Sequential nests")
            if kind not in SUPPORTED:
                raise UnsupportedModel(f"layer {name!r} is a {kind}, which the unit-error method here does not "
                                       f"cover; supported: {', '.join(SUPPORTED)}")
            layer = Layer(name, kind, child)
            for attr in ("weight", "bias"):
                value = getattr(child, attr, None)
                if value is not None and kind in ("Conv2d", "Linear"):
                    layer.params[attr] = _array(value)
                    layer.param_names[attr] = seen.setdefault(id(value), f"{name}.{attr}")
            chain.append(layer)

    walk(model, "")
    return chain


# ---- Activations a = f(z) and their derivatives f'(z)   (G3)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^−z), as e^z/(1 + e^z) for z < 0 (no overflow; the engine's rounding, so that a tie
    in a max pooling above is a tie in both)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _activate(layer: Layer, z: np.ndarray) -> np.ndarray:
    if layer.kind == "Sigmoid":
        return _sigmoid(z)
    if layer.kind == "Tanh":
        return np.tanh(z)
    if layer.kind == "ReLU":
        return np.maximum(z, 0.0)
    slope = float(getattr(layer.module, "negative_slope", 0.01))  # LeakyReLU
    return np.where(z > 0, z, slope * z)


def activation_derivative(kind: str, z: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """f'(z) for an activation layer: σ(1 − σ), 1 − tanh², and for ReLU/LeakyReLU 1 where z > 0 else 0 / the
    slope (the derivative at the kink z = 0 is the left one, as the engine and PyTorch take it).

    >>> activation_derivative("ReLU", np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    """
    if kind == "Sigmoid":
        s = _sigmoid(z)
        return s * (1.0 - s)  # the book's a'(z) = σ(z)(1 − σ(z))
    if kind == "Tanh":
        return 1.0 - np.tanh(z) ** 2
    if kind == "ReLU":
        return (z > 0).astype(np.float64)
    if kind == "LeakyReLU":
        return np.where(z > 0, 1.0, float(negative_slope))
    raise ValueError(f"kind must be one of {ACTIVATIONS}; got {kind!r}")


# ---- Convolution: forward (G8), δ through it (G11), filter gradients (G9, G10)


def _conv_geometry(layer: Layer, x: np.ndarray) -> dict[str, Any]:
    module, name = layer.module, layer.name
    if getattr(module, "padding_mode", "zeros") != "zeros":
        raise UnsupportedModel(f"layer {name!r}: only zero padding is covered; got {module.padding_mode!r}")
    kh, kw = layer.params["weight"].shape[2:]
    stride = _pair(getattr(module, "stride", 1), "stride", name)
    dilation = _pair(getattr(module, "dilation", 1), "dilation", name)
    padding = getattr(module, "padding", 0)
    if padding == "valid":
        pads = (0, 0, 0, 0)
    elif padding == "same":  # total d·(k − 1) per axis, the odd one extra at the bottom/right
        th, tw = dilation[0] * (kh - 1), dilation[1] * (kw - 1)
        pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    else:
        ph, pw = _pair(padding, "padding", name)
        pads = (ph, ph, pw, pw)
    h, w = x.shape[2:]
    top, bottom, left, right = pads
    ho = (h + top + bottom - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (w + left + right - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    return {"k": (kh, kw), "s": stride, "d": dilation, "pads": pads, "out": (ho, wo), "groups": int(module.groups)}


def _window(g: dict[str, Any], p: int, q: int) -> tuple[slice, slice]:
    """The rows and columns of the padded input that kernel offset (p, q) reads for all outputs (i, j):
    ``i·s + p·d`` for i = 0..Ho−1 (the book's x[i+p−1, j+q−1], with stride s and dilation d)."""
    (sh, sw), (dh, dw), (ho, wo) = g["s"], g["d"], g["out"]
    return slice(p * dh, p * dh + sh * (ho - 1) + 1, sh), slice(q * dw, q * dw + sw * (wo - 1) + 1, sw)


def _offsets(g: dict[str, Any], w: np.ndarray):
    """(filters, channels, p, q, rows, cols) for every group and kernel offset: filter f reads only the input
    channels of its group."""
    f_per, c_per = w.shape[0] // g["groups"], w.shape[1]
    for group in range(g["groups"]):
        fs, cs = slice(group * f_per, (group + 1) * f_per), slice(group * c_per, (group + 1) * c_per)
        for p in range(g["k"][0]):
            for q in range(g["k"][1]):
                yield (fs, cs, p, q, *_window(g, p, q))


def _pad(x: np.ndarray, pads: tuple[int, int, int, int]) -> np.ndarray:
    top, bottom, left, right = pads
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))  # zeros around each map


def _conv_forward(layer: Layer, x: np.ndarray) -> np.ndarray:
    """(G8), eq. (1) generalised: z[n,f,i,j] = Σ_c Σ_{p,q} w[f,c,p,q] x[n, c, i·s+p·d, j·s+q·d] + b[f]."""
    g = _conv_geometry(layer, x)
    w = layer.params["weight"]  # (F, C/G, kh, kw)
    x_pad = _pad(x, g["pads"])  # (N, C, Hp, Wp)
    z = np.zeros((x.shape[0], w.shape[0], *g["out"]))  # (N, F, Ho, Wo)
    for fs, cs, p, q, rows, cols in _offsets(g, w):
        # Σ_c w[f,c,p,q] x[n, c, i·s+p·d, j·s+q·d] for every (n, f, i, j) at once
        z[:, fs] += np.einsum("fc,ncij->nfij", w[fs, :, p, q], x_pad[:, cs, rows, cols])
    if "bias" in layer.params:
        z += layer.params["bias"][None, :, None, None]  # + b[f]
    return z


def _conv_backward(layer: Layer, x: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """δ of the layer's input (G11) and the filter gradients (G9, G10), from δ = ∂C/∂z of this layer."""
    g = _conv_geometry(layer, x)
    w = layer.params["weight"]  # (F, C/G, kh, kw)
    x_pad = _pad(x, g["pads"])  # (N, C, Hp, Wp)
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)  # ∂C/∂x_pad, ∂C/∂w
    for fs, cs, p, q, rows, cols in _offsets(g, w):
        # (G9), eq. (12): ∂C/∂w[f,c,p,q] = Σ_n Σ_{i,j} δ[n,f,i,j] x[n, c, i·s+p·d, j·s+q·d]
        dw[fs, :, p, q] = np.einsum("nfij,ncij->fc", delta[:, fs], x_pad[:, cs, rows, cols])
        # (G11), the transposed correlation: each δ[n,f,i,j] goes back through w[f,c,p,q] to the pixel
        # x[n, c, i·s+p·d, j·s+q·d] it was multiplied with; a pixel read by several windows sums them
        dx_pad[:, cs, rows, cols] += np.einsum("nfij,fc->ncij", delta[:, fs], w[fs, :, p, q])
    grads = {"weight": dw}
    if "bias" in layer.params:
        grads["bias"] = delta.sum(axis=(0, 2, 3))  # (G10), eq. (14): ∂C/∂b[f] = Σ_n Σ_{i,j} δ[n,f,i,j]
    top, _, left, _ = g["pads"]
    dx = dx_pad[:, :, top : top + x.shape[2], left : left + x.shape[3]]  # padding is not an input: crop it
    return dx, grads


# ---- Pooling: forward (G6) and the routing / spreading of δ (G7), generalising eq. (23) and (25)'s middle factor


def _pool_geometry(layer: Layer, x: np.ndarray) -> dict[str, Any]:
    module, name = layer.module, layer.name
    k = _pair(module.kernel_size, "kernel_size", name)
    stride = getattr(module, "stride", None)
    s = k if stride is None else _pair(stride, "stride", name)
    pad = _pair(getattr(module, "padding", 0), "padding", name)
    d = _pair(getattr(module, "dilation", 1), "dilation", name)
    ceil = bool(getattr(module, "ceil_mode", False))
    out = []
    for a in (0, 1):  # PyTorch's output size, incl. ceil mode (a last window must start inside the input)
        span = x.shape[2 + a] + 2 * pad[a] - d[a] * (k[a] - 1) - 1
        size = (span + (s[a] - 1 if ceil else 0)) // s[a] + 1
        if ceil and (size - 1) * s[a] >= x.shape[2 + a] + pad[a]:
            size -= 1
        out.append(size)
    return {"k": k, "s": s, "pad": pad, "d": d, "out": tuple(out)}


def _window_units(g: dict[str, Any], i: int, j: int, h: int, w: int) -> list[tuple[int, int]]:
    """The input units (row, column) of pooling window (i, j) in row-major order of its kernel offsets,
    leaving out those that fall in the padding: row i·s + p·d − pad."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = g["k"], g["s"], g["pad"], g["d"]
    units = []
    for p in range(kh):
        for q in range(kw):
            r, c = i * sh + p * dh - ph, j * sw + q * dw - pw
            if 0 <= r < h and 0 <= c < w:
                units.append((r, c))
    return units


def _avg_divisor(layer: Layer, g: dict[str, Any], i: int, j: int, h: int, w: int) -> float:
    """|B| of average-pooling window (i, j), counted as PyTorch counts it."""
    override = getattr(layer.module, "divisor_override", None)
    if override:
        return float(override)
    include_pad = bool(getattr(layer.module, "count_include_pad", True))
    count = 1
    for index, size, k, s, pad in (
        (i, h, g["k"][0], g["s"][0], g["pad"][0]),
        (j, w, g["k"][1], g["s"][1], g["pad"][1]),
    ):
        start = index * s - pad
        end = min(start + k, size + pad)  # up to the end of the padding, not into a ceil-mode overhang
        if not include_pad:
            start, end = max(start, 0), min(end, size)
        count *= end - start
    return float(count)


def _pool_forward(layer: Layer, a: np.ndarray) -> np.ndarray:
    """(G6): z^P over each window B; eq. (2) for max, and the average and Lp pooling of MATH.md's table."""
    g = _pool_geometry(layer, a)
    n, c, h, w = a.shape
    z = np.zeros((n, c, *g["out"]))  # (N, C, Ho, Wo)
    for i in range(g["out"][0]):
        for j in range(g["out"][1]):
            units = _window_units(g, i, j, h, w)
            block = np.stack([a[:, :, r, col] for r, col in units], axis=-1)  # (N, C, |B| in the input)
            if layer.kind == "MaxPool2d":
                z[:, :, i, j] = block.max(axis=-1)
            elif layer.kind == "AvgPool2d":
                z[:, :, i, j] = block.sum(axis=-1) / _avg_divisor(layer, g, i, j, h, w)
            else:
                p_norm = float(layer.module.norm_type)
                with np.errstate(invalid="ignore"):
                    z[:, :, i, j] = np.power(np.power(block, p_norm).sum(axis=-1), 1.0 / p_norm)
    return z


def _pool_backward(layer: Layer, a: np.ndarray, z: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """(G7): ∂C/∂a[unit] = Σ over the windows B holding the unit of δ^P[B] · g_B(unit), with g (eq. (23) for max):
    1 for the window's first maximum in row-major order and 0 for the others; 1/|B| for average; and
    a^(p−1)/z^(p−1) for Lp pooling (0 where z = 0)."""
    g = _pool_geometry(layer, a)
    h, w = a.shape[2:]
    da = np.zeros_like(a)  # (N, C, H, W)
    for i in range(g["out"][0]):
        for j in range(g["out"][1]):
            units = _window_units(g, i, j, h, w)
            d = delta[:, :, i, j]  # δ^P of window (i, j) for every image and channel: (N, C)
            if layer.kind == "MaxPool2d":
                block = np.stack([a[:, :, r, col] for r, col in units], axis=-1)  # (N, C, |B|)
                first = block.argmax(axis=-1)  # the first maximum in row-major order (eq. (23), the tie rule)
                for u, (r, col) in enumerate(units):
                    da[:, :, r, col] += d * (first == u)
            elif layer.kind == "AvgPool2d":
                share = d / _avg_divisor(layer, g, i, j, h, w)  # g = 1/|B|
                for r, col in units:
                    da[:, :, r, col] += share
            else:
                p_norm = float(layer.module.norm_type)
                zz = z[:, :, i, j]  # (N, C)
                for r, col in units:
                    if p_norm == 1:
                        da[:, :, r, col] += d  # z = Σ_B a: g = 1
                        continue
                    ratio = np.divide(a[:, :, r, col], zz, out=np.zeros_like(zz), where=zz != 0)  # a / z
                    da[:, :, r, col] += d * (ratio if p_norm == 2 else np.power(ratio, p_norm - 1))
    return da


# ---- Linear layers (G4, G5: eq. (3) and (8) generalised) and Flatten


def _linear_forward(layer: Layer, a: np.ndarray) -> np.ndarray:
    """z_n = Σ_j w[n, j] a_j + b_n, eq. (3) with the pooled units a^P_k[i,j] flattened into one index j."""
    z = np.einsum("nj,...j->...n", layer.params["weight"], a)
    return z + layer.params["bias"] if "bias" in layer.params else z


def _linear_backward(layer: Layer, a: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    w = layer.params["weight"]  # (out, in)
    # (G4), eq. (25)'s first factor: ∂C/∂a_j = Σ_n δ_n w[n, j]
    da = np.einsum("...n,nj->...j", delta, w)
    flat_delta, flat_a = delta.reshape(-1, w.shape[0]), a.reshape(-1, w.shape[1])  # (M, out), (M, in)
    # (G5), eq. (8): ∂C/∂w[n, j] = Σ_m δ_mn a_mj and ∂C/∂b_n = Σ_m δ_mn
    grads = {"weight": np.einsum("mn,mj->nj", flat_delta, flat_a)}
    if "bias" in layer.params:
        grads["bias"] = flat_delta.sum(axis=0)
    return da, grads


def _flatten_forward(layer: Layer, a: np.ndarray) -> np.ndarray:
    module = layer.module
    start = getattr(module, "start_dim", getattr(module, "start_axis", 1))
    end = getattr(module, "end_dim", getattr(module, "end_axis", -1))
    start, end = start % a.ndim, end % a.ndim
    return a.reshape(*a.shape[:start], -1, *a.shape[end + 1 :])


# ---- Forward through the chain, the cost and its δ at the output (G1, G2)


def _layer_forward(layer: Layer, a: np.ndarray) -> np.ndarray:
    if layer.kind in ("Conv2d", *POOLINGS) and a.ndim != 4:
        raise ValueError(f"layer {layer.name!r} ({layer.kind}) needs a batch (N, C, H, W); got shape {a.shape}")
    if layer.kind == "Conv2d" and a.shape[1] != layer.module.in_channels:
        raise ValueError(f"layer {layer.name!r} (Conv2d) has in_channels={layer.module.in_channels}; got an input "
                         f"with {a.shape[1]} channels, shape {a.shape}")
    if layer.kind == "Linear" and a.shape[-1:] != layer.params["weight"].shape[1:]:
        raise ValueError(f"layer {layer.name!r} (Linear) needs {layer.params['weight'].shape[1]} input features; "
                         f"got shape {a.shape}")
    if layer.kind == "Conv2d":
        return _conv_forward(layer, a)
    if layer.kind in POOLINGS:
        return _pool_forward(layer, a)
    if layer.kind == "Linear":
        return _linear_forward(layer, a)
    if layer.kind == "Flatten":
        return _flatten_forward(layer, a)
    if layer.kind in ACTIVATIONS:
        return _activate(layer, a)
    return a  # Identity


# ---- The backward recurrence (G12): δ of every layer from the δ of the layer above


@dataclass
class Backprop:
    """The result of :func:`backprop`, every dict keyed by layer name in the order the layers run."""

    cost: float  # C_T
    outputs: dict[str, np.ndarray]  # each layer's output (z for conv/linear, a for activations)
    deltas: dict[str, np.ndarray]  # δ = ∂C/∂output of each layer
    gradients: dict[str, np.ndarray]  # ∂C/∂θ keyed like named_parameters() ("0.weight")
    input_delta: np.ndarray  # ∂C/∂x


def backprop(model: Any, x: Any, target: Any, loss: str = "squared_error") -> Backprop:
    """Every layer's δ and every parameter's gradient by the unit-error method (MATH.md (G1)-(G12)).

    ``x``: a numpy array or a Tensor, batch first; ``target``: integer class indices (N,) or an array of the
    output's shape; ``loss``: ``"squared_error"`` (the book's ½ Σ (a − t)²) or ``"cross_entropy"`` (of
    softmax(output)); both summed over the batch.

    >>> from tinygrad_cnn import nn
    >>> model = nn.Sequential(nn.Linear(2, 2, seed=1, dtype=np.float64), nn.Sigmoid())
    >>> result = backprop(model, np.ones((1, 2)), np.array([[1.0, 0.0]]))
    >>> a, z = result.outputs["1"], result.outputs["0"]
    >>> bool(np.allclose(result.deltas["0"], (a - [1.0, 0.0]) * a * (1 - a)))  # eq. (17)
    True
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
    chain = layers(model)
    if not chain:
        raise UnsupportedModel("model must hold at least one layer; got an empty Sequential")
    inputs, outputs, a = [], {}, _array(x)  # a: the input of the next layer
    for layer in chain:
        inputs.append(a)
        a = _layer_forward(layer, a)
        outputs[layer.name] = a
    t = targets_for(a, target, loss)
    deltas, gradients = {}, {}
    delta = loss_delta(a, t, loss)  # ∂C/∂(output of the last layer): MATH.md (G1) or (G2), generalising eq. (17)
    # MATH.md (G12), generalising eq. (25): from the output down, each layer's δ from the δ of the layer above
    for layer, layer_in in zip(reversed(chain), reversed(inputs)):
        deltas[layer.name] = delta  # δ = ∂C/∂(this layer's output)
        grads = {}
        if layer.kind in ACTIVATIONS:
            # MATH.md (G3), generalising eq. (25)'s last factor: ∂C/∂z = ∂C/∂a · f'(z), z the activation's input
            slope = float(getattr(layer.module, "negative_slope", 0.01))
            delta = delta * activation_derivative(layer.kind, layer_in, slope)
        elif layer.kind == "Linear":
            delta, grads = _linear_backward(layer, layer_in, delta)  # MATH.md (G4), (G5), generalising eq. (8)
        elif layer.kind == "Conv2d":
            delta, grads = _conv_backward(layer, layer_in, delta)  # MATH.md (G11), (G9), (G10): eq. (12), (14)
        elif layer.kind in POOLINGS:
            delta = _pool_backward(layer, layer_in, outputs[layer.name], delta)  # MATH.md (G7), generalising (23)
        elif layer.kind == "Flatten":
            delta = delta.reshape(layer_in.shape)  # the same units, in their maps again
        for attr, grad in grads.items():
            name = layer.param_names[attr]
            gradients[name] = gradients[name] + grad if name in gradients else grad
    ordered = {layer.name: deltas[layer.name] for layer in chain}
    return Backprop(cost(a, t, loss), outputs, ordered, gradients, delta)


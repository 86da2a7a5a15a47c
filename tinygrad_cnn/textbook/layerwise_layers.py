"""One step of :mod:`layerwise` per layer kind, in plain numpy: the layer's forward map and the rule that takes
δ = ∂C/∂(its output) to δ of its input and to its parameters' gradients, each a short function in the symbols
of the ``textbook/MATH.md`` equation it cites (section "The unit-error method for any Sequential CNN", (G3)-(G16),
and "Batch normalization", (B1)-(B5)).

>>> layer = Layer("0", "GELU", None)
>>> out = forward(layer, np.array([[0.0, 1.0]]))
>>> [round(float(v), 6) for v in out[0]]
[0.0, 0.841345]
>>> backward(layer, np.array([[0.0, 1.0]]), out, np.ones((1, 2)))[0]   # (G14): Φ(z) + z·φ(z), Φ(0) = ½
array([[0.5       , 1.08331547]])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ACTIVATIONS", "KINDS", "POOLINGS", "WITH_PARAMETERS", "Layer", "UnsupportedModel", "activation_derivative",
           "backward", "forward"]

ACTIVATIONS = ("Sigmoid", "Tanh", "ReLU", "LeakyReLU", "GELU")
POOLINGS = ("MaxPool2d", "AvgPool2d", "LPPool2d")
NORMALIZATIONS = ("BatchNorm1d", "BatchNorm2d")
WITH_PARAMETERS = ("Conv2d", "Linear", *NORMALIZATIONS)
KINDS = ("Conv2d", "Linear", "Flatten", *POOLINGS, *ACTIVATIONS, "Softmax", "LogSoftmax", *NORMALIZATIONS,
         "Dropout", "Identity")


class UnsupportedModel(TypeError):
    """The model is not a chain of the layers this method derives δ for."""


@dataclass
class Layer:
    """One layer of the chain: its name (in ``named_modules()``, ``"name#2"`` for its second call), its class
    name and module, its parameters as float64 arrays, and for a Dropout in training its keep mask r."""

    name: str
    kind: str  # the class name, e.g. "Conv2d"
    module: Any
    params: dict[str, np.ndarray] = field(default_factory=dict)  # attribute -> float64 array
    param_names: dict[str, str] = field(default_factory=dict)  # attribute -> name in named_parameters()
    mask: np.ndarray | None = None  # Dropout in training: r, 1 where the unit is kept


def _pair(value: Any, name: str, layer: str) -> tuple[int, int]:
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
        raise UnsupportedModel(f"layer {layer!r}: {name} must be an int or a pair of ints; got {value!r}")
    return int(items[0]), int(items[1])


# ---- Activations a = f(z) and their derivatives f'(z)   (G3)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^−z), as e^z/(1 + e^z) for z < 0 (no overflow; the engine's rounding, so that a tie
    in a max pooling above is a tie in both)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _gelu(z: np.ndarray) -> np.ndarray:
    """(G14): GELU(z) = z·Φ(z), Φ(z) = ½ erfc(−z/√2) (erfc: no cancellation in the left tail, as the engine)."""
    return z * (0.5 * _erfc(-z * math.sqrt(0.5)))


def _gelu_tanh(z: np.ndarray) -> np.ndarray:
    """(G14), tanh form: ½ z (1 + tanh(k (z + c z³))), k = √(2/π), c = 0.044715."""
    return 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z * z * z)))


def _activate(layer: Layer, z: np.ndarray) -> np.ndarray:
    if layer.kind == "GELU":
        return _gelu_tanh(z) if getattr(layer.module, "approximate", "none") == "tanh" else _gelu(z)
    if layer.kind == "Sigmoid":
        return _sigmoid(z)
    if layer.kind == "Tanh":
        return np.tanh(z)
    if layer.kind == "ReLU":
        return np.maximum(z, 0.0)
    slope = float(getattr(layer.module, "negative_slope", 0.01))  # LeakyReLU
    return np.where(z > 0, z, slope * z)


def activation_derivative(kind: str, z: np.ndarray, negative_slope: float = 0.01, approximate: str = "none"
                          ) -> np.ndarray:
    """f'(z) for an activation layer: σ(1 − σ), 1 − tanh², for ReLU/LeakyReLU 1 where z > 0 else 0 / the
    slope (the derivative at the kink z = 0 is the left one, as the engine and PyTorch take it), for GELU
    Φ(z) + z·φ(z) (G14).

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
    if kind == "GELU" and approximate == "tanh":  # d/dz ½z(1 + t) = ½(1 + t) + ½z(1 − t²)·k(1 + 3c z²)
        k, c = math.sqrt(2 / math.pi), 0.044715
        t = np.tanh(k * (z + c * z * z * z))
        return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * k * (1 + 3 * c * z * z)
    if kind == "GELU":  # (G14): Φ(z) + z·φ(z), φ(z) = e^(−z²/2)/√(2π)
        return 0.5 * _erfc(-z * math.sqrt(0.5)) + z * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    raise ValueError(f"kind must be one of {ACTIVATIONS}; got {kind!r}")


# ---- Convolution: forward (G8), δ through it (G11), filter gradients (G9, G10)


def _conv_geometry(layer: Layer, x: np.ndarray) -> dict[str, Any]:
    module, name = layer.module, layer.name
    if getattr(module, "padding_mode", "zeros") != "zeros":
        raise UnsupportedModel(f"layer {name!r}: only zero padding is covered; got {module.padding_mode!r}")
    kh, kw = layer.params["weight"].shape[2:]
    stride = _pair(module.stride, "stride", name)
    dilation = _pair(module.dilation, "dilation", name)
    padding = module.padding
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
                for r, col in units:  # for p = 1 (z = Σ_B a) the ratio's power 0 gives g = 1
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
    start, end = module.start_dim, module.end_dim
    start, end = start % a.ndim, end % a.ndim
    return a.reshape(*a.shape[:start], -1, *a.shape[end + 1 :])




# ---- Softmax and LogSoftmax along one axis (G13)


def _axis(layer: Layer, a: np.ndarray) -> int:
    dim = getattr(layer.module, "dim", None)
    return (0 if a.ndim in (1, 3) else 1) if dim is None else dim % a.ndim  # None: PyTorch's legacy choice


def _softmax(u: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(u - u.max(axis=axis, keepdims=True))  # shifted by the maximum: no overflow
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_backward(s: np.ndarray, delta: np.ndarray, axis: int) -> np.ndarray:
    """(G13): s = softmax(u), ∂s_k/∂u_j = s_k([k = j] − s_j), so ∂C/∂u_j = s_j (δ_j − Σ_k δ_k s_k)."""
    return s * (delta - (delta * s).sum(axis=axis, keepdims=True))


def _log_softmax_backward(u: np.ndarray, delta: np.ndarray, axis: int) -> np.ndarray:
    """(G13): ℓ_k = u_k − log Σ e^u, ∂ℓ_k/∂u_j = [k = j] − s_j, so ∂C/∂u_j = δ_j − s_j Σ_k δ_k."""
    return delta - _softmax(u, axis) * delta.sum(axis=axis, keepdims=True)


# ---- Batch normalization (G16): MATH.md (B1)-(B5), per channel c over the other axes


def _normalized(layer: Layer, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """x̂ = (x − μ)/s and s: with the batch's own μ, σ² (B1) in training (or without running statistics),
    with the running ones (B5) in evaluation; and which of the two it was."""
    module = layer.module
    axes = (0, *range(2, x.ndim))
    batch = bool(getattr(module, "training", False)) or getattr(module, "running_mean", None) is None
    shape = (1, -1) + (1,) * (x.ndim - 2)  # (C,) broadcast over (N, C, ...)
    if batch:
        mu = x.mean(axis=axes)  # (B1): μ = (1/m) Σ_i x_i
        var = ((x - mu.reshape(shape)) ** 2).mean(axis=axes)  # (B1): σ² = (1/m) Σ_i (x_i − μ)², biased
    else:
        mu, var = (np.asarray(getattr(module, name).data, dtype=np.float64) for name in ("running_mean", "running_var"))
    s = np.sqrt(var + float(module.eps)).reshape(shape)  # s = √(σ² + ε)
    return (x - mu.reshape(shape)) / s, s, batch


def _batch_norm_forward(layer: Layer, x: np.ndarray) -> np.ndarray:
    """(B1)/(B5): y = γ x̂ + β (γ = 1, β = 0 without affine parameters)."""
    x_hat, _, _ = _normalized(layer, x)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = x_hat * layer.params["weight"].reshape(shape) if "weight" in layer.params else x_hat
    return y + layer.params["bias"].reshape(shape) if "bias" in layer.params else y


def _batch_norm_backward(layer: Layer, x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """g = δ of the output. (B2) ∂C/∂β = Σ_i g_i, (B3) ∂C/∂γ = Σ_i g_i x̂_i, and ∂C/∂x by (B4) with batch
    statistics, (γ/s) (g_i − mean(g) − x̂_i mean(g x̂)), or by (B5) with running ones, γ g_i/s."""
    x_hat, s, batch = _normalized(layer, x)
    axes, shape = (0, *range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)
    gamma = layer.params["weight"].reshape(shape) if "weight" in layer.params else 1.0
    if batch:  # (B4)
        dx = gamma / s * (g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True))
    else:  # (B5)
        dx = gamma * g / s
    grads = {"weight": (g * x_hat).sum(axis=axes), "bias": g.sum(axis=axes)}  # (B3), (B2)
    return dx, {attr: grad for attr, grad in grads.items() if attr in layer.params}


# ---- Dropout (G15): y = r x/(1 − p) with the engine's mask r in training, the identity in evaluation


def _dropout_scale(layer: Layer, x: np.ndarray) -> np.ndarray | None:
    """r/(1 − p) for a Dropout in training (0 everywhere for p = 1), None where the layer is the identity."""
    p = float(layer.module.p)
    if not getattr(layer.module, "training", False) or p == 0.0:
        return None
    if p == 1.0:
        return np.zeros_like(x)
    if layer.mask is None:
        raise UnsupportedModel(f"layer {layer.name!r} is a Dropout in training mode (p={p}): its mask is random; "
                               f"pass the mask the engine drew, masks={{{layer.name!r}: keep}}, or call model.eval()")
    if layer.mask.shape != x.shape:
        raise ValueError(f"masks[{layer.name!r}] must have the layer input's shape {x.shape}; "
                         f"got shape {layer.mask.shape}")
    return layer.mask * (1.0 / (1.0 - p))


# ---- One layer's step: forward, and δ of its input with its parameters' gradients from its own δ


def _check_input(layer: Layer, a: np.ndarray) -> None:
    kind, name = layer.kind, layer.name
    if kind in ("Conv2d", "BatchNorm2d", *POOLINGS) and a.ndim != 4:
        raise ValueError(f"layer {name!r} ({kind}) needs a batch (N, C, H, W); got shape {a.shape}")
    if kind == "BatchNorm1d" and a.ndim not in (2, 3):
        raise ValueError(f"layer {name!r} (BatchNorm1d) needs a batch (N, C) or (N, C, L); got shape {a.shape}")
    channels = getattr(layer.module, "in_channels" if kind == "Conv2d" else "num_features", None)
    if kind in ("Conv2d", *NORMALIZATIONS) and a.shape[1] != channels:
        raise ValueError(f"layer {name!r} ({kind}) has {channels} channels; got an input with {a.shape[1]} "
                         f"channels, shape {a.shape}")
    if kind == "Linear" and a.shape[-1:] != layer.params["weight"].shape[1:]:
        raise ValueError(f"layer {name!r} (Linear) needs {layer.params['weight'].shape[1]} input features; "
                         f"got shape {a.shape}")


def forward(layer: Layer, a: np.ndarray) -> np.ndarray:
    """The layer's output for input ``a`` (z for a conv, linear or batch-norm layer, a = f(z) for an activation)."""
    _check_input(layer, a)
    kind = layer.kind
    if kind == "Conv2d":
        return _conv_forward(layer, a)
    if kind in POOLINGS:
        return _pool_forward(layer, a)
    if kind == "Linear":
        return _linear_forward(layer, a)
    if kind == "Flatten":
        return _flatten_forward(layer, a)
    if kind in ACTIVATIONS:
        return _activate(layer, a)
    if kind == "Softmax":
        return _softmax(a, _axis(layer, a))
    if kind == "LogSoftmax":
        u = a - a.max(axis=_axis(layer, a), keepdims=True)
        return u - np.log(np.exp(u).sum(axis=_axis(layer, a), keepdims=True))
    if kind in NORMALIZATIONS:
        return _batch_norm_forward(layer, a)
    scale = _dropout_scale(layer, a) if kind == "Dropout" else None
    return a if scale is None else a * scale  # Identity, or Dropout: (G15) y = x · r/(1 − p)


def backward(layer: Layer, a: np.ndarray, out: np.ndarray, delta: np.ndarray
             ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(G12), one step: from δ = ∂C/∂out of this layer (``a`` its input, ``out`` its output) to ∂C/∂a and the
    gradients of the layer's parameters by attribute ("weight", "bias")."""
    kind = layer.kind
    if kind in ACTIVATIONS:  # (G3): ∂C/∂z = ∂C/∂a · f'(z), z the activation's input
        slope = float(getattr(layer.module, "negative_slope", 0.01))
        approximate = getattr(layer.module, "approximate", "none")
        return delta * activation_derivative(kind, a, slope, approximate), {}
    if kind == "Linear":
        return _linear_backward(layer, a, delta)  # (G4), (G5), generalising eq. (8)
    if kind == "Conv2d":
        return _conv_backward(layer, a, delta)  # (G11), (G9), (G10): eq. (12), (14)
    if kind in POOLINGS:
        return _pool_backward(layer, a, out, delta), {}  # (G7), generalising eq. (23)
    if kind == "Flatten":
        return delta.reshape(a.shape), {}  # the same units, in their maps again
    if kind == "Softmax":
        return _softmax_backward(out, delta, _axis(layer, a)), {}
    if kind == "LogSoftmax":
        return _log_softmax_backward(a, delta, _axis(layer, a)), {}
    if kind in NORMALIZATIONS:
        return _batch_norm_backward(layer, a, delta)  # (G16): (B2)-(B5)
    scale = _dropout_scale(layer, a) if kind == "Dropout" else None
    return (delta if scale is None else delta * scale), {}  # Identity, or Dropout: (G15) ∂C/∂x = δ · r/(1 − p)

"""Parameter initialisation, as ``torch.nn.init``: each function fills a tensor in place and returns it.

PyTorch's formulas. The fans of a weight of shape (out, in, k₁, k₂, …) are fan_in = in·k₁·k₂·… and
fan_out = out·k₁·k₂·…; the gain of a nonlinearity is :func:`calculate_gain`'s table.

* ``uniform_(t, a, b)``: U(a, b); ``normal_(t, mean, std)``: N(mean, std²); ``constant_``, ``zeros_``, ``ones_``
* ``xavier_uniform_(t, gain)``: U(−a, a), a = gain·√(6/(fan_in + fan_out));
  ``xavier_normal_``: N(0, σ²), σ = gain·√(2/(fan_in + fan_out))
* ``kaiming_uniform_(t, a, mode, nonlinearity)``: U(−b, b), b = gain·√(3/fan);
  ``kaiming_normal_``: N(0, σ²), σ = gain/√fan, where fan is fan_in or fan_out (``mode``) and
  gain = calculate_gain(nonlinearity, a)

Samples come from ``tinygrad_cnn.random.generator`` (``manual_seed``, or an explicit ``generator=``), drawn in
float64 and cast to the tensor's dtype. The numbers differ from PyTorch's (another generator), the
distributions do not.

>>> import numpy as np
>>> from tinygrad_cnn import nn
>>> w = nn.Linear(300, 200).weight
>>> _ = nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu", generator=np.random.default_rng(0))
>>> round(float(w.data.std()) * (300 / 2) ** 0.5, 1)                   # σ = √2/√fan_in
1.0
>>> calculate_gain("tanh"), calculate_gain("leaky_relu", 0.2) ** 2     # 5/3 and 2/(1 + 0.2²)
(1.6666666666666667, 1.923076923076923)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import check_float, is_real
from ..grad_mode import no_grad
from ..random import generator as _generator
from ..tensor import Tensor

__all__ = [
    "calculate_gain", "constant_", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_", "uniform_",
    "xavier_normal_", "xavier_uniform_", "zeros_",
]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "sigmoid", "identity")


def calculate_gain(nonlinearity: str, param: Any = None) -> float:
    """The recommended gain of ``nonlinearity``: 1 (linear, conv, sigmoid), 5/3 (tanh), √2 (relu),
    √(2/(1 + a²)) (leaky_relu with slope a = ``param``, 0.01 by default), 3/4 (selu)."""
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif is_real(param):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
                     f"{', '.join(_LINEAR)}, tanh, relu, leaky_relu, selu")


def _tensor(tensor: Any, where: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{where}: tensor must be a Tensor (e.g. a layer's weight), got {type(tensor).__name__}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"{where}: tensor must be floating-point, got dtype {tensor.dtype}")
    return tensor


def _fill(tensor: Tensor, values: Any) -> Tensor:
    with no_grad():
        tensor.copy_(values)
    return tensor


def _fans(tensor: Tensor, where: str) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(f"{where}: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, "
                         f"got shape {tensor.shape}")
    receptive = int(np.prod(tensor.shape[2:], dtype=np.int64))
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str, where: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{where}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, where)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with samples of U(a, b)."""
    tensor = _tensor(tensor, "uniform_")
    a, b = check_float(a, "a", "uniform_"), check_float(b, "b", "uniform_")
    if a > b:
        raise ValueError(f"uniform_: a must be <= b, got a={a}, b={b}")
    return _fill(tensor, _generator(None, generator, "uniform_").uniform(a, b, size=tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with samples of N(mean, std²)."""
    tensor = _tensor(tensor, "normal_")
    mean, std = check_float(mean, "mean", "normal_"), check_float(std, "std", "normal_", minimum=0.0)
    return _fill(tensor, _generator(None, generator, "normal_").normal(mean, std, size=tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill(_tensor(tensor, "constant_"), check_float(val, "val", "constant_"))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return _fill(_tensor(tensor, "zeros_"), 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return _fill(_tensor(tensor, "ones_"), 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot: U(−a, a) with a = gain·√(6/(fan_in + fan_out))."""
    tensor = _tensor(tensor, "xavier_uniform_")
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    a = check_float(gain, "gain", "xavier_uniform_") * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill(tensor, _generator(None, generator, "xavier_uniform_").uniform(-a, a, size=tensor.shape))


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot: N(0, σ²) with σ = gain·√(2/(fan_in + fan_out))."""
    tensor = _tensor(tensor, "xavier_normal_")
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    std = check_float(gain, "gain", "xavier_normal_") * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill(tensor, _generator(None, generator, "xavier_normal_").normal(0.0, std, size=tensor.shape))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: Any = None) -> Tensor:
    """He: U(−b, b) with b = gain·√(3/fan), gain = calculate_gain(nonlinearity, a), fan by ``mode``.

    PyTorch's defaults (a=0, leaky_relu) give gain √2, He's ReLU initialisation; ``nn.Linear``'s own default
    is this with a = √5, i.e. U(−1/√fan_in, 1/√fan_in).
    """
    tensor = _tensor(tensor, "kaiming_uniform_")
    fan = _fan(tensor, mode, "kaiming_uniform_")
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return _fill(tensor, _generator(None, generator, "kaiming_uniform_").uniform(-bound, bound, size=tensor.shape))


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: Any = None) -> Tensor:
    """He: N(0, σ²) with σ = gain/√fan, gain = calculate_gain(nonlinearity, a), fan by ``mode``."""
    tensor = _tensor(tensor, "kaiming_normal_")
    fan = _fan(tensor, mode, "kaiming_normal_")
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return _fill(tensor, _generator(None, generator, "kaiming_normal_").normal(0.0, std, size=tensor.shape))

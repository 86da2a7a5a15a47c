"""The ops as functions of the package root, PyTorch's ``torch.exp(x)``, ``torch.sum(x, dim=1)``, ``torch.max(x)``.

Each one calls the ``Tensor`` method of the same name (one implementation, in ``ops/``), so ``torch.max(x, 1)``
returns what ``x.max(1)`` returns. ``allclose``, ``equal``, ``numel`` and ``is_tensor`` compare or count.

>>> import tinygrad_cnn as torch
>>> x = torch.tensor([[1.0, 5.0], [3.0, 2.0]])
>>> torch.sum(x, dim=1).tolist(), torch.argmax(x, dim=1).tolist(), torch.flatten(x).shape
([6.0, 5.0], [1, 0], (4,))
>>> torch.allclose(torch.exp(torch.log(x)), x)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = [
    "abs", "allclose", "argmax", "argmin", "clamp", "equal", "exp", "flatten", "is_tensor", "log", "log_softmax",
    "matmul", "max", "maximum", "mean", "min", "minimum", "norm", "numel", "permute", "pow", "relu", "reshape",
    "sigmoid", "softmax", "sqrt", "squeeze", "std", "sum", "tanh", "transpose", "unsqueeze", "var",
    # everyday idioms (ops/selection.py, ops/scan.py, ops/composites.py)
    "argsort", "bmm", "chunk", "cumsum", "flip", "gather", "isnan", "logsumexp", "masked_fill", "mm", "prod",
    "reciprocal", "rsqrt", "sign", "sort", "split", "square", "topk",
]


def _method(name: str) -> Callable[..., Any]:
    def function(input: Tensor, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__} (make one with "
                            "tinygrad_cnn.tensor(...))")
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{name}(...)``: see ``Tensor.{name}``."
    return function


abs = _method("abs")
argmax, argmin, clamp = _method("argmax"), _method("argmin"), _method("clamp")
exp, log, sqrt = _method("exp"), _method("log"), _method("sqrt")
flatten, reshape, permute = _method("flatten"), _method("reshape"), _method("permute")
squeeze, unsqueeze, transpose = _method("squeeze"), _method("unsqueeze"), _method("transpose")
log_softmax, softmax = _method("log_softmax"), _method("softmax")
max, min = _method("max"), _method("min")
maximum, minimum, pow = _method("maximum"), _method("minimum"), _method("pow")
mean, sum = _method("mean"), _method("sum")
norm, std, var = _method("norm"), _method("std"), _method("var")
relu, sigmoid, tanh = _method("relu"), _method("sigmoid"), _method("tanh")
argsort, sort, topk, gather = _method("argsort"), _method("sort"), _method("topk"), _method("gather")
chunk, split, flip, masked_fill = _method("chunk"), _method("split"), _method("flip"), _method("masked_fill")
cumsum, prod, logsumexp = _method("cumsum"), _method("prod"), _method("logsumexp")
square, rsqrt, reciprocal = _method("square"), _method("rsqrt"), _method("reciprocal")
sign, isnan, mm, bmm = _method("sign"), _method("isnan"), _method("mm"), _method("bmm")


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """``input @ other``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"matmul: input must be a Tensor, got {type(input).__name__}")
    return input @ other


def _array(value: Any, name: str, where: str) -> np.ndarray:
    if isinstance(value, Tensor):
        return value.data
    raise TypeError(f"{where}: {name} must be a Tensor, got {type(value).__name__}")


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """``|input − other| ≤ atol + rtol·|other|`` everywhere (broadcast), as ``torch.allclose``."""
    a, b = _array(input, "input", "allclose"), _array(other, "other", "allclose")
    try:
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
    except ValueError:
        raise ValueError(f"allclose: shapes {a.shape} and {b.shape} do not broadcast") from None


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both have the same shape and elements, as ``torch.equal``."""
    a, b = _array(input, "input", "equal"), _array(other, "other", "equal")
    return a.shape == b.shape and bool(np.array_equal(a, b))


def numel(input: Tensor) -> int:
    """The number of elements."""
    return int(_array(input, "input", "numel").size)


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a Tensor."""
    return isinstance(obj, Tensor)

"""tinygrad_cnn: a small, honest reverse-mode autodiff framework on numpy.

Two engines with hand-written backward rules: ``Value`` (one number per node, micrograd-style) and
``Tensor`` (numpy arrays with broadcasting, PyTorch-shaped), plus conv2d and pooling whose backward
rules follow the book's neuron unit errors δ (``tinygrad_cnn/textbook/MATH.md``).

>>> from tinygrad_cnn import Tensor
>>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
array([2., 4., 6.])
"""

from typing import Any

# The order matters: the engine first (``function`` before ``tensor``), then what builds on it.
# isort: off
from .function import Context, Function, SavedArrayModifiedError, unbroadcast
from .grad_mode import detect_anomaly, enable_grad, inference_mode, is_grad_enabled, no_grad
from .random import manual_seed
from .tensor import Tensor
from .value import Value
from .dtypes import (bool, double, float, float16, float32, float64, get_default_dtype, half, int, int8, int16, int32,
                     int64, long, set_default_dtype, short, uint8)
from .devices import DeviceError, accelerator, backends, cuda, device
from .creation import (arange, eye, from_numpy, full, linspace, ones, ones_like, rand, randint, randn, randperm, tensor,
                       zeros, zeros_like)
from .functions import (abs, allclose, argmax, argmin, clamp, equal, exp, flatten, is_tensor, log, log_softmax, matmul,
                        max, maximum, mean, min, minimum, norm, numel, permute, pow, relu, reshape, sigmoid, softmax,
                        sqrt, squeeze, std, sum, tanh, transpose, unsqueeze, var)
from .functions import (argsort, bmm, chunk, cumsum, flip, gather, isnan, logsumexp, masked_fill, mm, prod, reciprocal,
                        rsqrt, sign, sort, split, square, topk)
from .threads import get_num_threads, set_num_threads
from .ops.activation import where
from .ops.movement import cat, concatenate, stack
from . import functional, nn, optim
from . import data, datasets, models, utils, viz
from .serialization import load, save
from .autograd import functional as _autograd_functional  # noqa: F401  (torch.autograd.functional's place)
# isort: on


def compile(model: Any, *args: Any, **kwargs: Any) -> Any:
    """``torch.compile`` has no counterpart here (there is no compiler): the model is returned unchanged, so a
    script that compiles its model runs as it would uncompiled. The arguments are accepted and have no effect."""
    if not callable(model):
        raise TypeError(f"compile: model must be a Module or a function, got {type(model).__name__}")
    return model

__version__ = "0.1.0"

__all__ = [
    # the two engines and autograd
    "Context",
    "Function",
    "SavedArrayModifiedError",
    "Tensor",
    "Value",
    "detect_anomaly",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "unbroadcast",
    # creating tensors and PyTorch-named ops
    "arange",
    "cat",
    "concatenate",
    "from_numpy",
    "full",
    "manual_seed",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "stack",
    "where",
    "zeros",
    "zeros_like",
    # PyTorch's names (issue 20): dtypes, devices, tensor(), the ops as functions
    "DeviceError", "abs", "accelerator", "allclose", "argmax", "argmin", "backends", "bool", "clamp", "compile",
    "cuda", "device", "double", "equal", "exp", "flatten", "float", "float16", "float32", "float64",
    "get_default_dtype", "half", "int", "int8", "int16", "int32", "int64", "is_tensor", "log", "log_softmax", "long",
    "matmul", "max", "maximum", "mean", "min", "minimum", "norm", "numel", "permute", "pow", "relu", "reshape",
    "set_default_dtype", "short", "sigmoid", "softmax", "sqrt", "squeeze", "std", "sum", "tanh", "tensor",
    "transpose", "uint8", "unsqueeze", "var",
    # everyday idioms beyond issue 20's list
    "argsort", "bmm", "chunk", "cumsum", "eye", "flip", "gather", "get_num_threads", "inference_mode", "isnan",
    "linspace", "logsumexp", "masked_fill", "mm", "prod", "randint", "randperm", "reciprocal", "rsqrt",
    "set_num_threads", "sign", "sort", "split", "square", "topk", "utils",
    # the library
    "data",
    "datasets",
    "functional",
    "load",
    "models",
    "viz",
    "nn",
    "optim",
    "save",
    "__version__",
]

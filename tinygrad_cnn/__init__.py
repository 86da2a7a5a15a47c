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

# The order matters: the engine first (``function`` before ``tensor``), then what builds on it.
# isort: off
from .function import Context, Function, SavedArrayModifiedError, unbroadcast
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .random import manual_seed
from .tensor import Tensor
from .value import Value
from .creation import arange, from_numpy, full, ones, ones_like, rand, randn, zeros, zeros_like
from .ops.activation import where
from .ops.movement import cat, concatenate, stack
from . import functional, nn, optim
from . import data, datasets, models, viz
from .serialization import load, save
# isort: on

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

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

from .function import Context, Function, SavedArrayModifiedError, unbroadcast
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .random import manual_seed
from .tensor import Tensor
from .value import Value

from . import functional, nn, optim  # noqa: E402  (they build on the names above)
from .ops.movement import concatenate, stack  # noqa: E402

# data, checkpoints and ready-made models (issue 9)
from . import data, datasets, models  # noqa: E402
from .serialization import load, save  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Context",
    "Function",
    "SavedArrayModifiedError",
    "Tensor",
    "Value",
    "concatenate",
    "detect_anomaly",
    "functional",
    "nn",
    "optim",
    "stack",
    "enable_grad",
    "is_grad_enabled",
    "manual_seed",
    "no_grad",
    "unbroadcast",
    "__version__",
    # data, checkpoints and ready-made models
    "data",
    "datasets",
    "load",
    "models",
    "save",
]

"""tinygrad_cnn: a small, honest reverse-mode autodiff framework on numpy.

Two engines with hand-written backward rules: ``Value`` (one number per node, micrograd-style) and
``Tensor`` (numpy arrays with broadcasting, PyTorch-shaped), plus conv2d and pooling whose backward
rules follow the textbook's neuron unit errors δ.

>>> from tinygrad_cnn import Tensor
>>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
array([2., 4., 6.])
"""

from .function import Context, Function, SavedArrayModifiedError, unbroadcast
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .random import manual_seed
from .tensor import Tensor
from .value import Value

from . import functional, nn, optim  # noqa: E402  (they build on the names above)
from .ops.movement import concatenate, stack  # noqa: E402

# ---- tensor creation and the PyTorch-named ops (the ops helper's block, issue 8)
from .creation import arange, from_numpy, full, ones, ones_like, rand, randn, zeros, zeros_like  # noqa: E402
from .ops.activation import where  # noqa: E402
from .ops.movement import cat  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Context",
    "Function",
    "SavedArrayModifiedError",
    "Tensor",
    "Value",
    "concatenate",
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
]
__all__ += ["arange", "cat", "from_numpy", "full", "ones", "ones_like", "rand", "randn", "where", "zeros", "zeros_like"]

"""Bad input, table-driven: every public function, layer, optimizer, scheduler and CLI option fed bad arguments.

Each row of the catalogue is one line::

    bad(nn.Linear, 0, 3, raises=ValueError, names="in_features")

and asserts that the call raises exactly that class (``TypeError`` for a wrong type, ``ValueError`` for a wrong
value), that the message contains ``names`` (the argument's name, so the user knows what to fix), that no
RuntimeWarning leaks out of numpy on the way, and that nothing the call was given changed: every numpy array,
Tensor (data, ``.grad``, ``requires_grad``), Module (state_dict, gradients, train/eval mode), optimizer
(param_groups, per-parameter state), scheduler, random generator, and the package's global generator and grad
mode are snapshotted bit for bit before the call and compared after.

Deliberate choices, shared with PyTorch and numpy:

* An option that takes one of a few strings (``reduction``, ``pool``, ``engine``, ``padding_mode``,
  ``approximate``) raises ``ValueError`` for any value outside the set, a non-string included (as
  ``Enum(value)`` does).
* An out-of-range subscript (``tensor[5]``, ``sequential[5]``) raises ``IndexError``, the exception Python's
  sequence protocol and iteration rely on (list, numpy and torch do the same); ``ModuleDict["missing"]`` raises
  ``KeyError`` like a dict. These are listed with ``raises=IndexError``/``KeyError``.
* Using a tensor that requires grad where its gradient would be lost (``np.asarray(t)``, ``t += 1`` outside
  ``no_grad()``) raises ``RuntimeError``, as in PyTorch: the arguments are fine, the tensor's state is not.

The ``accept`` rows check the other side: numpy integer and float scalars are accepted wherever Python ones are.

CLI rows run ``tinygrad_cnn.cli.main(argv)`` and expect exit status 2 (argparse's SystemExit(2), or a returned
2) and a message on stderr naming the option; the commands' real work is patched out, so a row whose arguments
are wrongly accepted fails at once instead of training a network.
"""

from __future__ import annotations

import atexit
import inspect
import math
import operator
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest

import tinygrad_cnn
import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, Value, concatenate, data, datasets, deltas, models, nn, optim, stack
from tinygrad_cnn import random as tg_random
from tinygrad_cnn.grad_mode import is_grad_enabled
from tinygrad_cnn.nn.utils import clip_grad_norm_, clip_grad_value_
from tinygrad_cnn.optim import lr_scheduler as sched
from tinygrad_cnn.optim.lr_scheduler import LRScheduler
from tinygrad_cnn.optim.optimizer import Optimizer
from tinygrad_cnn.serialization import restore
from tinygrad_cnn.testing import gradcheck as tg_gradcheck
from tinygrad_cnn.testing.gradcheck import analytical_jacobian, numerical_grad, numerical_jacobian
from tinygrad_cnn.textbook import formulas, layerwise, scalar_net, tensor_net
from tinygrad_cnn.textbook.comparison import compare, finite_difference_gradients
from tinygrad_cnn.textbook.data import initial_parameters, load_data
from tinygrad_cnn.textbook.training import train

NAN, INF = float("nan"), float("inf")


# ================================================================================================ the tables
class Case(NamedTuple):
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    raises: type[BaseException]
    names: str
    line: int
    pending: str = ""


class CliCase(NamedTuple):
    argv: list[str]
    names: str
    line: int


CASES: list[Case] = []
ACCEPTS: list[Case] = []
CLI_CASES: list[CliCase] = []


def _line() -> int:
    return inspect.currentframe().f_back.f_back.f_lineno  # type: ignore[union-attr]


def bad(fn: Callable[..., Any], *args: Any, raises: type[BaseException], names: str, pending: str = "",
        **kwargs: Any) -> None:
    """One row: ``fn(*args, **kwargs)`` must raise ``raises`` with ``names`` in its message, changing nothing.

    ``pending="why"`` marks a known failure (a strict xfail, so the row must be fixed, not forgotten).
    """
    CASES.append(Case(fn, args, kwargs, raises, names, _line(), pending))


def accept(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """One row: ``fn(*args, **kwargs)`` must succeed (numpy scalars where Python numbers are accepted)."""
    ACCEPTS.append(Case(fn, args, kwargs, type(None), "", _line()))


def cli(*argv: str, names: str) -> None:
    """One row: ``tinygrad-cnn *argv`` must exit with status 2 and name ``names`` on stderr."""
    CLI_CASES.append(CliCase(list(argv), names, _line()))


# ============================================================================================ input builders
def X(*shape: int, dtype: Any = np.float64, grad: bool = False) -> Tensor:
    """A tensor with distinct values; with ``grad``, requires grad and already holds a ``.grad``."""
    data = (np.arange(math.prod(shape), dtype=np.float64).reshape(shape) * 0.25 - 1.0).astype(dtype)
    t = Tensor(data, requires_grad=grad)
    if grad:
        t.grad = np.full(shape, 0.5, dtype=dtype)
    return t


def XI(*shape: int) -> Tensor:
    """An int64 tensor (labels, indices)."""
    return Tensor(np.arange(math.prod(shape), dtype=np.int64).reshape(shape) % 2)


def A(*shape: int) -> np.ndarray:
    return np.arange(math.prod(shape), dtype=np.float64).reshape(shape) * 0.5


def IMG(n: int = 2, c: int = 3, h: int = 5, w: int = 5) -> Tensor:
    return X(n, c, h, w, grad=True)


def W(o: int = 4, c: int = 3, k: int = 3) -> Tensor:
    return X(o, c, k, k, grad=True)


def with_grads(module: nn.Module) -> nn.Module:
    for p in module.parameters():
        p.grad = np.full(p.shape, 0.25, dtype=p.dtype)
    return module


def linear() -> nn.Module:
    return with_grads(nn.Linear(3, 2, seed=0))


def mlp() -> nn.Module:
    return with_grads(nn.Sequential(nn.Linear(3, 4, seed=0), nn.ReLU(), nn.Linear(4, 2, seed=1)))


def conv() -> nn.Module:
    return with_grads(nn.Conv2d(3, 4, 3, dtype=np.float64, seed=0))


def bn2d() -> nn.Module:
    return with_grads(nn.BatchNorm2d(3, dtype=np.float64))


def params() -> list[Tensor]:
    return [X(3, grad=True), X(2, 2, grad=True)]


def sgd(**kwargs: Any) -> Optimizer:
    """An SGD with momentum that has taken a step, so it has state."""
    opt = optim.SGD(params(), lr=0.1, momentum=0.9, **kwargs)
    opt.step()
    return opt


def adam() -> Optimizer:
    opt = optim.Adam(params(), lr=0.1)
    opt.step()
    return opt


def state_of(module_factory: Callable[[], nn.Module], **changes: Any) -> dict[str, Any]:
    """A state_dict of a fresh module, every value changed (so a partial load shows), with some entries replaced
    (or removed, for the value ``...``)."""
    state = {key: value + 1 for key, value in module_factory().state_dict().items()}
    for key, value in changes.items():
        key = key.replace("__", ".")
        if value is ...:
            state.pop(key)
        else:
            state[key] = value
    return state


def cnn() -> nn.Module:
    """A small CNN the book's method covers: conv, ReLU, max pooling, flatten, linear (3 classes)."""
    return with_grads(nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                    nn.Linear(2, 3, seed=0)))


def cnn_x() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(4, 1, 4, 4))


def cnn_labels() -> np.ndarray:
    return np.array([0, 1, 2, 0])


def no_grad_call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` under ``no_grad()`` (where in-place updates of parameters are allowed)."""
    with tinygrad_cnn.no_grad():
        return fn(*args, **kwargs)


def enter(context: Any) -> Any:
    """Enter a context manager (and leave it again if that worked)."""
    with context as value:
        return value


def shared_groups() -> list[dict[str, Any]]:
    """Two parameter groups holding the same tensor."""
    p = X(3, grad=True)
    return [{"params": [p]}, {"params": [p], "lr": 0.5}]


def nonleaf() -> Tensor:
    return X(3, grad=True) * 2.0


def square_sum(t: Tensor) -> Tensor:
    return (t * t).sum()


P0 = initial_parameters()
IMAGES, TARGETS = load_data()


def book_params(**changes: Any) -> dict[str, np.ndarray]:
    params = {key: value.copy() for key, value in P0.items()}
    for key, value in changes.items():
        if value is ...:
            params.pop(key)
        else:
            params[key] = value
    return params


def images(m: int = 4) -> np.ndarray:
    return IMAGES[:m].copy()


def targets(m: int = 4) -> np.ndarray:
    return TARGETS[:m].copy()


def generator() -> np.random.Generator:
    return np.random.default_rng(0)


_TMP = Path(tempfile.mkdtemp(prefix="tinygrad_bad_input_"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
EMPTY_DIR, MISSING_DIR = _TMP / "empty", _TMP / "missing"
EMPTY_DIR.mkdir()
NOT_A_CHECKPOINT = _TMP / "notes.txt"
NOT_A_CHECKPOINT.write_text("not a checkpoint\n")
BOOK_CHECKPOINT = _TMP / "book.npz"  # what `train --dataset textbook --model textbook --save` writes, untrained
tinygrad_cnn.save({"format": "tinygrad-cnn train", "epoch": 0, "model": models.textbook().state_dict(),
                   "settings": {"dataset": "textbook", "model": "textbook", "val_fraction": 0.0, "dtype": "float64"}},
                  BOOK_CHECKPOINT)


# ============================================================================== Tensor construction and data
bad(Tensor, "abc", raises=TypeError, names="data")
bad(Tensor, None, raises=TypeError, names="data")
bad(Tensor, {"a": 1}, raises=TypeError, names="data")
bad(Tensor, [1.0, "a"], raises=TypeError, names="data")
bad(Tensor, [[1.0, 2.0], [3.0]], raises=TypeError, names="data")
bad(Tensor, np.array(["a", "b"]), raises=TypeError, names="data")
bad(Tensor, np.array([1 + 2j]), raises=TypeError, names="data")
bad(Tensor, np.array([object()]), raises=TypeError, names="data")
bad(Tensor, [1.0], dtype="no-such-dtype", raises=TypeError, names="dtype")
bad(Tensor, [1.0], dtype=np.complex128, raises=TypeError, names="dtype")
bad(Tensor, [1.0], dtype=str, raises=TypeError, names="dtype")
bad(Tensor, [1.0], requires_grad="yes", raises=TypeError, names="requires_grad")
bad(Tensor, [1.0], requires_grad=1, raises=TypeError, names="requires_grad")
bad(Tensor, [1.0], requires_grad=None, raises=TypeError, names="requires_grad")
bad(Tensor, np.array([1, 2]), requires_grad=True, raises=TypeError, names="requires_grad")
bad(Tensor, [1.0], dtype=np.int64, requires_grad=True, raises=TypeError, names="requires_grad")
bad(Tensor.astype, X(2, grad=True), "no-such-dtype", raises=TypeError, names="dtype")
bad(Tensor.astype, X(2, grad=True), None, raises=TypeError, names="dtype")
bad(Tensor.item, X(2, grad=True), raises=ValueError, names="item")
bad(len, X(), raises=TypeError, names="0-d")
bad(Tensor.backward, X(2, grad=True) * 2.0, raises=ValueError, names="grad")
bad(Tensor.backward, X(2, grad=True) * 2.0, np.ones(3), raises=ValueError, names="grad")
bad(Tensor.backward, X(2, grad=True) * 2.0, "abc", raises=TypeError, names="grad")
bad(Tensor.backward, X(2, grad=True).sum(), retain_graph="yes", raises=TypeError, names="retain_graph")
bad(Tensor.backward, X(2), np.ones(2), raises=ValueError, names="require grad")
bad(Tensor.backward, X(2, grad=True) * 2.0, np.array([1j, 2j]), raises=TypeError, names="grad")
bad(Tensor.register_hook, X(2, grad=True), 3, raises=TypeError, names="hook")
bad(setattr, X(2, grad=True), "data", "abc", raises=TypeError, names="data")
bad(setattr, X(2, grad=True), "data", np.array([1, 2]), raises=TypeError, names="data")
bad(setattr, X(2, grad=True), "requires_grad", "yes", raises=TypeError, names="requires_grad")
bad(setattr, X(2, grad=True) * 2.0, "requires_grad", False, raises=ValueError, names="requires_grad")
bad(Tensor.requires_grad_, X(2), "yes", raises=TypeError, names="requires_grad")
bad(Tensor.requires_grad_, XI(2), raises=TypeError, names="requires_grad")
bad(setattr, X(2, grad=True), "grad", np.ones(3), raises=ValueError, names="grad")
bad(setattr, X(2, grad=True), "grad", np.ones(2, dtype=np.float32), raises=TypeError, names="grad")
bad(setattr, X(2, grad=True), "grad", [1.0, 2.0], raises=TypeError, names="grad")
bad(setattr, X(2, grad=True), "grad", "abc", raises=TypeError, names="grad")
bad(no_grad_call, Tensor.fill_, X(2, grad=True), "a", raises=TypeError, names="value")
bad(no_grad_call, Tensor.fill_, X(2, grad=True), X(2), raises=ValueError, names="value")
bad(no_grad_call, Tensor.copy_, X(2, grad=True), "abc", raises=TypeError, names="copy_")
bad(no_grad_call, Tensor.copy_, X(2, grad=True), A(3), raises=ValueError, names="copy_")
bad(no_grad_call, Tensor.add_, X(2, grad=True), A(3), raises=ValueError, names="add_")
bad(no_grad_call, Tensor.mul_, X(2, grad=True), "x", raises=TypeError, names="mul_")
bad(no_grad_call, operator.isub, X(2, grad=True), A(2, 2), raises=ValueError, names="-=")
bad(np.exp, X(2, grad=True), raises=TypeError, names="Tensor")
bad(np.asarray, X(2, grad=True), raises=RuntimeError, names="requires grad")
bad(operator.iadd, X(2, grad=True), 1.0, raises=RuntimeError, names="no_grad")
bad(Tensor.register_hook, X(2), print, raises=ValueError, names="require")
bad(Tensor.retain_grad, X(2), raises=ValueError, names="require")
bad(bool, X(2), raises=ValueError, names="ambiguous")

# ======================================================================================= elementwise and matmul
bad(operator.add, X(2, 3, grad=True), X(4, grad=True), raises=ValueError, names="shapes")
bad(operator.sub, X(2, 3, grad=True), X(2, 2, grad=True), raises=ValueError, names="shapes")
bad(operator.mul, X(2, 3, grad=True), np.ones((3, 2)), raises=ValueError, names="shapes")
bad(operator.truediv, X(2, 3, grad=True), X(3, 3, grad=True), raises=ValueError, names="shapes")
bad(operator.add, X(2, grad=True), "abc", raises=TypeError, names="operand")
bad(operator.mul, X(2, grad=True), None, raises=TypeError, names="operand")
bad(operator.mul, X(2, grad=True), {"a": 1}, raises=TypeError, names="operand")
bad(operator.pow, X(2, grad=True), "2", raises=TypeError, names="operand")
bad(operator.pow, X(2, 3, grad=True), X(2, grad=True), raises=ValueError, names="shapes")
bad(operator.matmul, X(2, 3, grad=True), X(2, 3, grad=True), raises=ValueError, names="matmul")
bad(operator.matmul, X(3, grad=True), X(4, grad=True), raises=ValueError, names="matmul")
bad(operator.matmul, X(grad=True), X(3, grad=True), raises=ValueError, names="matmul")
bad(operator.matmul, X(2, 2, 3, grad=True), X(3, 3, 4, grad=True), raises=ValueError, names="matmul")
bad(operator.matmul, X(2, 3, grad=True), "abc", raises=TypeError, names="operand")
bad(Tensor.maximum, X(2, 3, grad=True), X(4, grad=True), raises=ValueError, names="shapes")
bad(Tensor.minimum, X(2, grad=True), "abc", raises=TypeError, names="operand")
bad(Tensor.clip, X(3, grad=True), raises=ValueError, names="min")
bad(Tensor.clip, X(3, grad=True), 2.0, 1.0, raises=ValueError, names="min")
bad(Tensor.clip, X(3, grad=True), "a", raises=TypeError, names="min")
bad(Tensor.clip, X(3, grad=True), None, [1.0], raises=TypeError, names="max")
bad(Tensor.clip, X(3, grad=True), NAN, 1.0, raises=ValueError, names="min")
bad(F.relu, [1.0, -1.0], raises=TypeError, names="Tensor")
bad(F.sigmoid, np.ones(2), raises=TypeError, names="Tensor")
bad(F.tanh, "x", raises=TypeError, names="Tensor")

# ============================================================================================ reductions
for _reduce in (Tensor.max, Tensor.min):  # max(dim) takes one int dim (PyTorch's), several axes are amax's
    bad(_reduce, X(2, 3, grad=True), (0, 1), raises=TypeError, names="for several axes use a")
    bad(_reduce, X(2, 3, grad=True), 2, raises=ValueError, names="axis")
    bad(_reduce, X(2, 3, grad=True), dim=-3, raises=ValueError, names="dim")
    bad(_reduce, X(2, 3, grad=True), 1.0, raises=TypeError, names="axis")
    bad(_reduce, X(2, 3, grad=True), keepdim=True, raises=TypeError, names="keepdim")
    bad(_reduce, X(2, 3, grad=True), 0, keepdims="yes", raises=TypeError, names="keepdims")
for _reduce in (Tensor.sum, Tensor.mean, Tensor.amax, Tensor.amin):
    bad(_reduce, X(2, 3, grad=True), 2, raises=ValueError, names="axis")
    bad(_reduce, X(2, 3, grad=True), -3, raises=ValueError, names="axis")
    bad(_reduce, X(2, 3, grad=True), 1.0, raises=TypeError, names="axis")
    bad(_reduce, X(2, 3, grad=True), "0", raises=TypeError, names="axis")
    bad(_reduce, X(2, 3, grad=True), True, raises=TypeError, names="axis")
    bad(_reduce, X(2, 3, grad=True), (0, 0), raises=ValueError, names="axis")
    bad(_reduce, X(2, 3, grad=True), (0, 5), raises=ValueError, names="axis")
    bad(_reduce, X(2, 3, grad=True), (0, None), raises=TypeError, names="axis")
    bad(_reduce, X(2, 3, grad=True), 0, keepdims="yes", raises=TypeError, names="keepdims")
bad(Tensor.max, X(0, 3, grad=True), 0, raises=ValueError, names="axis")
bad(Tensor.min, X(0, grad=True), raises=ValueError, names="axis")
bad(Tensor.argmax, X(2, 3), 2, raises=ValueError, names="axis")
bad(Tensor.argmax, X(2, 3), 1.0, raises=TypeError, names="axis")
bad(Tensor.argmax, X(2, 3), 0, keepdims="no", raises=TypeError, names="keepdims")
for _norm in (Tensor.softmax, Tensor.log_softmax, F.softmax, F.log_softmax):
    bad(_norm, X(2, 3, grad=True), 2, raises=ValueError, names="axis")
    bad(_norm, X(2, 3, grad=True), 1.5, raises=TypeError, names="axis")
    bad(_norm, X(2, 3, grad=True), None, raises=TypeError, names="axis")
    bad(_norm, X(grad=True), 0, raises=ValueError, names="axis")

# ============================================================================================ movement
bad(Tensor.reshape, X(2, 3, grad=True), 4, 4, raises=ValueError, names="shape")
bad(Tensor.reshape, X(2, 3, grad=True), -1, -1, raises=ValueError, names="-1")
bad(Tensor.reshape, X(2, 3, grad=True), -2, -3, raises=ValueError, names="negative")
bad(Tensor.reshape, X(2, 3, grad=True), 2.0, 3, raises=TypeError, names="shape")
bad(Tensor.reshape, X(2, 3, grad=True), "6", raises=TypeError, names="shape")
bad(Tensor.reshape, X(2, 3, grad=True), (4, -1), raises=ValueError, names="reshape")
bad(Tensor.reshape, X(2, 3, grad=True), None, raises=TypeError, names="shape")
bad(Tensor.reshape, X(2, 3, grad=True), True, 6, raises=TypeError, names="shape")
bad(F.reshape, X(2, 3, grad=True), 4, 2, raises=ValueError, names="shape")
bad(F.flatten, X(2, 3, grad=True), 2, raises=ValueError, names="start_axis")
bad(F.pad, X(2, 3, grad=True), -2, raises=ValueError, names="pad_width")
bad(F.matmul, X(2, 3, grad=True), X(2, 3, grad=True), raises=ValueError, names="matmul")
bad(F.maximum, X(2, 3, grad=True), "a", raises=TypeError, names="operand")
bad(F.minimum, X(2, 3, grad=True), X(4, grad=True), raises=ValueError, names="shapes")
bad(Tensor.transpose, X(2, 3, grad=True), 0, 5, raises=ValueError, names="axes")
bad(Tensor.transpose, X(2, 3, 4, grad=True), 0, 1, 1, raises=ValueError, names="axes")
bad(Tensor.transpose, X(2, 3, grad=True), 0.0, 1, raises=TypeError, names="axes")
bad(Tensor.permute, X(2, 3, grad=True), 0, raises=ValueError, names="axes")
bad(Tensor.permute, X(2, 3, grad=True), 0, 0, raises=ValueError, names="axes")
bad(Tensor.permute, X(2, 3, grad=True), 0, "1", raises=TypeError, names="axes")
bad(Tensor.flatten, X(2, 3, grad=True), 5, raises=ValueError, names="start_axis")
bad(Tensor.flatten, X(2, 3, 4, grad=True), 2, 1, raises=ValueError, names="start_axis")
bad(Tensor.flatten, X(2, 3, grad=True), 0, 1.0, raises=TypeError, names="end_axis")
bad(Tensor.flatten, X(2, 3, grad=True), True, raises=TypeError, names="start_axis")
bad(operator.getitem, X(2, 3, grad=True), 5, raises=IndexError, names="index")
bad(operator.getitem, X(2, 3, grad=True), (0, 0, 0), raises=IndexError, names="index")
bad(operator.getitem, X(2, 3, grad=True), "a", raises=TypeError, names="index")
bad(operator.getitem, X(2, 3, grad=True), 1.5, raises=TypeError, names="index")
bad(operator.getitem, X(2, 3, grad=True), [0.5, 1.0], raises=TypeError, names="index")
bad(operator.getitem, X(2, 3, grad=True), np.array(["a"]), raises=TypeError, names="index")
bad(operator.getitem, X(2, 3, grad=True), {"a": 1}, raises=TypeError, names="index")
bad(operator.setitem, X(2, 3), 5, 1.0, raises=IndexError, names="index")
bad(operator.setitem, X(2, 3), 1.5, 1.0, raises=TypeError, names="index")
bad(operator.setitem, X(2, 3), 0, np.ones(4), raises=ValueError, names="value of shape (4,)")
bad(operator.setitem, X(2, 3), 0, "a", raises=TypeError, names="str")
bad(operator.setitem, X(2, 3, grad=True), 0, 1.0, raises=RuntimeError, names="leaf tensor that requires grad")
bad(Tensor.pad, X(2, 3, grad=True), -1, raises=ValueError, names="pad_width")
bad(Tensor.pad, X(2, 3, grad=True), "1", raises=TypeError, names="pad_width")
bad(Tensor.pad, X(2, 3, grad=True), 1.5, raises=TypeError, names="pad_width")
bad(Tensor.pad, X(2, 3, grad=True), ((1, 1), (1, 1), (1, 1)), raises=ValueError, names="pad_width")
bad(Tensor.pad, X(2, 3, grad=True), (1, 2, 3), raises=ValueError, names="pad_width")
bad(Tensor.pad, X(2, 3, grad=True), 1, value="a", raises=TypeError, names="value")
bad(Tensor.pad, X(2, 3, grad=True), 1, value=None, raises=TypeError, names="value")
bad(Tensor.pad, X(2, 3, grad=True), 1, value=True, raises=TypeError, names="value")
for _join in (concatenate, stack, F.concatenate, F.stack):
    bad(_join, [], raises=ValueError, names="tensors")
    bad(_join, X(2, 3, grad=True), raises=TypeError, names="tensors")
    bad(_join, None, raises=TypeError, names="tensors")
    bad(_join, [X(2, 3, grad=True), X(2, 3, grad=True)], 5, raises=ValueError, names="axis")
    bad(_join, [X(2, 3, grad=True), X(2, 3, grad=True)], 1.0, raises=TypeError, names="axis")
    bad(_join, [X(2, 3, grad=True), "abc"], raises=TypeError, names="data")
bad(concatenate, [X(2, 3, grad=True), X(2, 4, grad=True)], 0, raises=ValueError, names="axis")
bad(concatenate, [X(2, 3, grad=True), X(3, grad=True)], raises=ValueError, names="axes")
bad(concatenate, [X(grad=True), X(grad=True)], raises=ValueError, names="axes")
bad(stack, [X(2, 3, grad=True), X(2, 4, grad=True)], raises=ValueError, names="shape")

# ============================================================================================ creation functions
for _make in (tinygrad_cnn.zeros, tinygrad_cnn.ones, tinygrad_cnn.randn, tinygrad_cnn.rand):
    bad(_make, -1, raises=ValueError, names="size")
    bad(_make, 2, -3, raises=ValueError, names="size")
    bad(_make, 2.0, raises=TypeError, names="size")
    bad(_make, "2", raises=TypeError, names="size")
    bad(_make, (2, None), raises=TypeError, names="size")
    bad(_make, True, raises=TypeError, names="size")
    bad(_make, 2, dtype="no-such-dtype", raises=TypeError, names="dtype")
    bad(_make, 2, dtype=np.complex128, raises=TypeError, names="dtype")
    bad(_make, 2, requires_grad="yes", raises=TypeError, names="requires_grad")
for _make in (tinygrad_cnn.zeros, tinygrad_cnn.ones):
    bad(_make, 2, dtype=np.int64, requires_grad=True, raises=TypeError, names="requires_grad")
for _make in (tinygrad_cnn.randn, tinygrad_cnn.rand):
    bad(_make, 2, dtype=np.int32, raises=TypeError, names="dtype")
    bad(_make, 2, seed=-1, raises=ValueError, names="seed")
    bad(_make, 2, seed=1.5, raises=TypeError, names="seed")
    bad(_make, 2, generator=3, raises=TypeError, names="generator")
    bad(_make, 2, seed=0, generator=generator(), raises=ValueError, names="generator")
bad(tinygrad_cnn.full, (2, 3), "a", raises=TypeError, names="fill_value")
bad(tinygrad_cnn.full, (2, 3), None, raises=TypeError, names="fill_value")
bad(tinygrad_cnn.full, (2, -3), 1.0, raises=ValueError, names="size")
bad(tinygrad_cnn.full, 2.5, 1.0, raises=TypeError, names="size")
bad(tinygrad_cnn.full, (2,), 1.0, dtype="no-such-dtype", raises=TypeError, names="dtype")
bad(tinygrad_cnn.full, (2,), 1, requires_grad=True, raises=TypeError, names="requires_grad")
for _like in (tinygrad_cnn.zeros_like, tinygrad_cnn.ones_like):
    bad(_like, [1.0, 2.0], raises=TypeError, names="input")
    bad(_like, None, raises=TypeError, names="input")
    bad(_like, X(2), dtype=np.complex64, raises=TypeError, names="dtype")
    bad(_like, X(2), requires_grad=1, raises=TypeError, names="requires_grad")
bad(tinygrad_cnn.arange, 0, 10, 0, raises=ValueError, names="step")
bad(tinygrad_cnn.arange, "10", raises=TypeError, names="end")
bad(tinygrad_cnn.arange, NAN, raises=ValueError, names="end")
bad(tinygrad_cnn.arange, 0, INF, raises=ValueError, names="end")
bad(tinygrad_cnn.arange, 0, 5, "1", raises=TypeError, names="step")
bad(tinygrad_cnn.arange, 0, 5, True, raises=TypeError, names="step")
bad(tinygrad_cnn.arange, 5, dtype="no-such-dtype", raises=TypeError, names="dtype")
bad(tinygrad_cnn.from_numpy, [1.0, 2.0], raises=TypeError, names="array")
bad(tinygrad_cnn.from_numpy, X(2), raises=TypeError, names="array")
bad(tinygrad_cnn.from_numpy, np.array(["a"]), raises=TypeError, names="dtype")
bad(tinygrad_cnn.from_numpy, np.array([object()]), raises=TypeError, names="dtype")

# ============================================================================================ issue 8's Tensor ops
bad(Tensor.unsqueeze, X(2, 3, grad=True), raises=TypeError, names="axis")
bad(Tensor.unsqueeze, X(2, 3, grad=True), 3, raises=ValueError, names="dim")
bad(Tensor.unsqueeze, X(2, 3, grad=True), -4, raises=ValueError, names="dim")
bad(Tensor.unsqueeze, X(2, 3, grad=True), 1.0, raises=TypeError, names="dim")
bad(Tensor.unsqueeze, X(2, 3, grad=True), 0, dim=0, raises=TypeError, names="dim")
bad(Tensor.squeeze, X(2, 1, grad=True), 2, raises=ValueError, names="dim")
bad(Tensor.squeeze, X(2, 1, grad=True), "1", raises=TypeError, names="dim")
bad(Tensor.squeeze, X(2, 1, grad=True), (1, 5), raises=ValueError, names="dim")
bad(Tensor.squeeze, X(2, 1, grad=True), 1, dim=1, raises=TypeError, names="dim")
bad(Tensor.view, X(2, 3, grad=True), 4, 2, raises=ValueError, names="view")
bad(Tensor.view, X(2, 3, grad=True), 6.0, raises=TypeError, names="shape")
bad(Tensor.expand, X(2, 1, grad=True), 2, 3.0, raises=TypeError, names="sizes")
bad(Tensor.expand, X(2, 1, grad=True), 3, 3, raises=ValueError, names="expand")
bad(Tensor.expand, X(2, 1, grad=True), 3, raises=ValueError, names="sizes")
bad(Tensor.expand, X(2, 1, grad=True), -1, 2, 3, raises=ValueError, names="-1")
bad(Tensor.expand, X(2, 1, grad=True), 2, -2, raises=ValueError, names="expand")
bad(Tensor.clamp, X(3, grad=True), raises=ValueError, names="min")
bad(Tensor.clamp, X(3, grad=True), 2.0, 1.0, raises=ValueError, names="min")
bad(Tensor.clamp, X(3, grad=True), "a", raises=TypeError, names="min")
bad(F.clamp, X(3, grad=True), None, "b", raises=TypeError, names="max")
bad(F.leaky_relu, X(3, grad=True), "0.1", raises=TypeError, names="negative_slope")
bad(F.leaky_relu, X(3, grad=True), NAN, raises=ValueError, names="negative_slope")
bad(F.leaky_relu, [1.0, -1.0], raises=TypeError, names="Tensor")
bad(F.gelu, X(3, grad=True), "exact", raises=ValueError, names="approximate")
bad(F.gelu, X(3, grad=True), approximate=None, raises=ValueError, names="approximate")
bad(F.gelu, "x", raises=TypeError, names="Tensor")
bad(F.where, X(3) > 0, X(3, grad=True), "a", raises=TypeError, names="operand")
bad(F.where, X(3), X(3, grad=True), 0.0, raises=TypeError, names="condition")
bad(F.where, [1, 0, 1], X(3, grad=True), 0.0, raises=TypeError, names="condition")
bad(F.where, X(3) > 0, X(3, grad=True), X(2, grad=True), raises=ValueError, names="broadcast")
bad(Tensor.where, X(3, grad=True), X(3) > 0, "b", raises=TypeError, names="operand")
bad(F.cat, [X(2, 3, grad=True), X(2, 4, grad=True)], 0, raises=ValueError, names="axis")
bad(F.cat, [], raises=ValueError, names="tensors")
bad(F.cat, [X(2, 3, grad=True), X(2, 3, grad=True)], dim=2, raises=ValueError, names="axis")
for _reduce in (Tensor.sum, Tensor.mean, Tensor.max, Tensor.min, Tensor.argmax, Tensor.softmax, Tensor.log_softmax):
    bad(_reduce, X(2, 3, grad=True), 0, dim=0, raises=TypeError, names="dim")
    _named = "dim" if _reduce in (Tensor.max, Tensor.min) else "axis"  # max(dim) names what it was given
    bad(_reduce, X(2, 3, grad=True), dim=2, raises=ValueError, names=_named)
    bad(_reduce, X(2, 3, grad=True), dim=1.5, raises=TypeError, names=_named)
bad(Tensor.sum, X(2, 3, grad=True), 0, keepdims=True, keepdim=True, raises=TypeError, names="keepdim")
bad(Tensor.sum, X(2, 3, grad=True), 0, keepdim="yes", raises=TypeError, names="keepdims")
bad(float, X(2, grad=True), raises=ValueError, names="one-element")
bad(int, X(2), raises=ValueError, names="one-element")
bad(iter, X(), raises=TypeError, names="0-d")

# ============================================================================================ conv2d
bad(F.conv2d, X(3, 5, 5, grad=True)[0], W(), raises=ValueError, names="x")
bad(F.conv2d, A(2, 3, 5, 5), W(), raises=TypeError, names="x")
bad(F.conv2d, Tensor(np.ones((2, 3, 5, 5), dtype=np.int64)), W(), raises=TypeError, names="x")
bad(F.conv2d, IMG(), X(4, 3, 3, grad=True), raises=ValueError, names="weight")
bad(F.conv2d, IMG(), A(4, 3, 3, 3), raises=TypeError, names="weight")
bad(F.conv2d, IMG(), X(4, 3, 3, 3, dtype=np.float32, grad=True), raises=TypeError, names="weight")
bad(F.conv2d, IMG(), W(c=2), raises=ValueError, names="channels")
bad(F.conv2d, IMG(), W(k=7), raises=ValueError, names="kernel")
bad(F.conv2d, IMG(), W(), X(3, grad=True), raises=ValueError, names="bias")
bad(F.conv2d, IMG(), W(), A(4), raises=TypeError, names="bias")
bad(F.conv2d, IMG(), W(), X(4, 1, grad=True), raises=ValueError, names="bias")
bad(F.conv2d, IMG(), W(), X(4, dtype=np.float32, grad=True), raises=TypeError, names="bias")
bad(F.conv2d, IMG(), W(), stride=0, raises=ValueError, names="stride")
bad(F.conv2d, IMG(), W(), stride=-1, raises=ValueError, names="stride")
bad(F.conv2d, IMG(), W(), stride=(1,), raises=TypeError, names="stride")
bad(F.conv2d, IMG(), W(), stride=1.0, raises=TypeError, names="stride")
bad(F.conv2d, IMG(), W(), stride="1", raises=TypeError, names="stride")
bad(F.conv2d, IMG(), W(), stride=True, raises=TypeError, names="stride")
bad(F.conv2d, IMG(), W(), stride=None, raises=TypeError, names="stride")
bad(F.conv2d, IMG(), W(), padding=-1, raises=ValueError, names="padding")
bad(F.conv2d, IMG(), W(), padding="full", raises=ValueError, names="padding")
bad(F.conv2d, IMG(), W(), padding=1.5, raises=TypeError, names="padding")
bad(F.conv2d, IMG(), W(), padding="same", stride=2, raises=ValueError, names="padding")
bad(F.conv2d, IMG(), W(), dilation=0, raises=ValueError, names="dilation")
bad(F.conv2d, IMG(), W(), dilation=(1, 2, 3), raises=TypeError, names="dilation")
bad(F.conv2d, IMG(), W(), dilation=3, raises=ValueError, names="kernel")
bad(F.conv2d, IMG(), W(), groups=0, raises=ValueError, names="groups")
bad(F.conv2d, IMG(), W(), groups=1.0, raises=TypeError, names="groups")
bad(F.conv2d, IMG(), W(), groups=True, raises=TypeError, names="groups")
bad(F.conv2d, IMG(), W(), groups=2, raises=ValueError, names="groups")
bad(F.conv2d, IMG(), W(), groups=None, raises=TypeError, names="groups")

# ============================================================================================ pooling
for _pool in (F.max_pool2d, F.avg_pool2d):
    bad(_pool, IMG(), 0, raises=ValueError, names="kernel_size")
    bad(_pool, IMG(), -2, raises=ValueError, names="kernel_size")
    bad(_pool, IMG(), 1.5, raises=TypeError, names="kernel_size")
    bad(_pool, IMG(), "2", raises=TypeError, names="kernel_size")
    bad(_pool, IMG(), None, raises=TypeError, names="kernel_size")
    bad(_pool, IMG(), (2,), raises=TypeError, names="kernel_size")
    bad(_pool, IMG(), (2, 2, 2), raises=TypeError, names="kernel_size")
    bad(_pool, IMG(), True, raises=TypeError, names="kernel_size")
    bad(_pool, IMG(), 7, raises=ValueError, names="kernel_size")
    bad(_pool, IMG(), 2, 0, raises=ValueError, names="stride")
    bad(_pool, IMG(), 2, 1.0, raises=TypeError, names="stride")
    bad(_pool, IMG(), 2, "1", raises=TypeError, names="stride")
    bad(_pool, IMG(), 2, padding=-1, raises=ValueError, names="padding")
    bad(_pool, IMG(), 2, padding=2, raises=ValueError, names="padding")
    bad(_pool, IMG(), 2, padding=0.5, raises=TypeError, names="padding")
    bad(_pool, IMG(), 2, ceil_mode="yes", raises=TypeError, names="ceil_mode")
    bad(_pool, IMG(), 2, ceil_mode=1, raises=TypeError, names="ceil_mode")
    bad(_pool, X(5, 5, grad=True), 2, raises=ValueError, names="x")
    bad(_pool, X(1, 2, 3, 5, 5, grad=True), 2, raises=ValueError, names="x")
    bad(_pool, A(2, 3, 5, 5), 2, raises=TypeError, names="x")
    bad(_pool, Tensor(np.ones((1, 1, 4, 4), dtype=np.int32)), 2, raises=TypeError, names="x")
bad(F.max_pool2d, IMG(), 2, dilation=0, raises=ValueError, names="dilation")
bad(F.max_pool2d, IMG(), 2, dilation=1.0, raises=TypeError, names="dilation")
bad(F.max_pool2d, IMG(), 2, return_indices=1, raises=TypeError, names="return_indices")
bad(F.max_pool2d, IMG(), 2, return_indices="yes", raises=TypeError, names="return_indices")
bad(F.avg_pool2d, IMG(), 2, count_include_pad="no", raises=TypeError, names="count_include_pad")
bad(F.avg_pool2d, IMG(), 2, divisor_override=0, raises=ValueError, names="divisor_override")
bad(F.avg_pool2d, IMG(), 2, divisor_override=1.5, raises=TypeError, names="divisor_override")
bad(F.avg_pool2d, IMG(), 2, divisor_override=True, raises=TypeError, names="divisor_override")
bad(F.avg_pool2d, IMG(), None, divisor_override=2, raises=TypeError, names="kernel_size")
bad(F.avg_pool2d, IMG(), "2", divisor_override=2, raises=TypeError, names="kernel_size")
bad(F.avg_pool2d, IMG(), 2, "1", divisor_override=2, raises=TypeError, names="stride")
bad(F.avg_pool2d, IMG(), 2, padding=None, divisor_override=2, raises=TypeError, names="padding")
bad(F.avg_pool2d, IMG(), 2, ceil_mode="yes", divisor_override=2, raises=TypeError, names="ceil_mode")
bad(F.avg_pool2d, A(2, 3, 5, 5), 2, divisor_override=2, raises=TypeError, names="x")
bad(F.lp_pool2d, IMG(), 0, 2, raises=ValueError, names="norm_type")
bad(F.lp_pool2d, IMG(), -1.0, 2, raises=ValueError, names="norm_type")
bad(F.lp_pool2d, IMG(), NAN, 2, raises=ValueError, names="norm_type")
bad(F.lp_pool2d, IMG(), INF, 2, raises=ValueError, names="norm_type")
bad(F.lp_pool2d, IMG(), "2", 2, raises=TypeError, names="norm_type")
bad(F.lp_pool2d, IMG(), True, 2, raises=TypeError, names="norm_type")
bad(F.lp_pool2d, IMG(), None, 2, raises=TypeError, names="norm_type")
bad(F.lp_pool2d, IMG(), 2, 0, raises=ValueError, names="kernel_size")
bad(F.lp_pool2d, IMG(), 2, 2.0, raises=TypeError, names="kernel_size")
bad(F.lp_pool2d, IMG(), 2, 9, raises=ValueError, names="kernel_size")
bad(F.lp_pool2d, IMG(), 2, 2, 0, raises=ValueError, names="stride")
bad(F.lp_pool2d, IMG(), 2, 2, (1,), raises=TypeError, names="stride")
bad(F.lp_pool2d, IMG(), 2, 2, ceil_mode=None, raises=TypeError, names="ceil_mode")
bad(F.lp_pool2d, X(5, 5, grad=True), 2, 2, raises=ValueError, names="x")

# ============================================================================================ linear
bad(F.linear, X(2, 4, grad=True), X(3, 3, grad=True), raises=ValueError, names="weight")
bad(F.linear, X(2, 3, grad=True), X(3, grad=True), raises=ValueError, names="weight")
bad(F.linear, X(2, 3, grad=True), X(2, 3, grad=True), X(3, grad=True), raises=ValueError, names="bias")
bad(F.linear, X(2, 3, grad=True), [[1.0, 2.0, 3.0]], raises=TypeError, names="weight")
bad(F.linear, [[1.0, 2.0, 3.0]], X(2, 3, grad=True), raises=TypeError, names="input")
bad(F.linear, X(2, 3, grad=True), X(2, 3, grad=True), "b", raises=TypeError, names="bias")

# ============================================================================================ losses
_LOGITS = lambda: X(4, 3, grad=True)  # noqa: E731
_LABELS = lambda: Tensor(np.array([0, 2, 1, 0]))  # noqa: E731
for _loss in (F.cross_entropy, F.nll_loss):
    bad(_loss, X(3, grad=True), Tensor(np.array([1])), raises=ValueError, names="input")
    bad(_loss, X(grad=True), Tensor(np.array([1])), raises=ValueError, names="input")
    bad(_loss, _LABELS(), _LOGITS(), raises=TypeError, names="swapped")
    bad(_loss, np.array([0, 2, 1, 0]), _LOGITS(), raises=TypeError, names="input")
    bad(_loss, _LOGITS(), np.array([0, 2, 1]), raises=ValueError, names="target")
    bad(_loss, _LOGITS(), np.array([0, 2, 1, 3]), raises=ValueError, names="target")
    bad(_loss, _LOGITS(), np.array([0, 2, 1, -1]), raises=ValueError, names="target")
    bad(_loss, _LOGITS(), np.array([0.0, 2.0, 1.0, 0.0]), raises=TypeError, names="target")
    bad(_loss, _LOGITS(), ["a", "b", "c", "d"], raises=TypeError, names="target")
    bad(_loss, _LOGITS(), None, raises=TypeError, names="target")
    bad(_loss, _LOGITS(), _LABELS(), reduction="avg", raises=ValueError, names="reduction")
    bad(_loss, _LOGITS(), _LABELS(), reduction=None, raises=ValueError, names="reduction")
    bad(_loss, _LOGITS(), _LABELS(), ignore_index=1.5, raises=TypeError, names="ignore_index")
    bad(_loss, _LOGITS(), _LABELS(), weight=np.ones(2), raises=ValueError, names="weight")
    bad(_loss, _LOGITS(), _LABELS(), weight="abc", raises=TypeError, names="weight")
    bad(_loss, X(4, 3, 2, grad=True), np.zeros((4, 3), dtype=np.int64), raises=ValueError, names="target")
bad(F.cross_entropy, _LOGITS(), _LABELS(), label_smoothing=1.5, raises=ValueError, names="label_smoothing")
bad(F.cross_entropy, _LOGITS(), _LABELS(), label_smoothing=-0.1, raises=ValueError, names="label_smoothing")
bad(F.cross_entropy, _LOGITS(), _LABELS(), label_smoothing=NAN, raises=ValueError, names="label_smoothing")
bad(F.cross_entropy, _LOGITS(), _LABELS(), label_smoothing="0.1", raises=TypeError, names="label_smoothing")
bad(F.cross_entropy, _LOGITS(), X(4, 2), raises=TypeError, names="target")
bad(F.cross_entropy, _LOGITS(), X(4, 3), weight=np.ones(4), raises=ValueError, names="weight")
bad(F.cross_entropy, _LOGITS(), X(4, 3), reduction="avg", raises=ValueError, names="reduction")
bad(F.mse_loss, X(2, 3, grad=True), A(3, 2), raises=ValueError, names="target")
bad(F.mse_loss, X(2, 3, grad=True), A(3), raises=ValueError, names="target")
bad(F.mse_loss, X(2, 3, grad=True), "abc", raises=TypeError, names="target")
bad(F.mse_loss, X(2, 3, grad=True), None, raises=TypeError, names="target")
bad(F.mse_loss, A(2, 3), X(2, 3, grad=True), raises=TypeError, names="input")
bad(F.mse_loss, X(2, 3, grad=True), A(2, 3), reduction="total", raises=ValueError, names="reduction")
bad(F.squared_error, X(2, 3, grad=True), A(2, 2), raises=ValueError, names="target")
bad(F.squared_error, [1.0, 2.0], A(2), raises=TypeError, names="input")
_BCE = F.binary_cross_entropy_with_logits
bad(_BCE, X(2, 3, grad=True), A(3, 2), raises=ValueError, names="target")
bad(_BCE, X(2, 3, grad=True), "abc", raises=TypeError, names="target")
bad(_BCE, A(2, 3), X(2, 3), raises=TypeError, names="input")
bad(_BCE, X(2, 3, grad=True), A(2, 3), pos_weight=np.ones(2), raises=ValueError, names="pos_weight")
bad(_BCE, X(2, 3, grad=True), A(2, 3), pos_weight="a", raises=TypeError, names="pos_weight")
bad(_BCE, X(2, 3, grad=True), A(2, 3), weight=np.ones(2), raises=ValueError, names="weight")
bad(_BCE, X(2, 3, grad=True), A(2, 3), weight="a", raises=TypeError, names="weight")
bad(_BCE, X(2, 3, grad=True), A(2, 3), reduction="avg", raises=ValueError, names="reduction")
_PROBABILITIES = lambda: Tensor(np.full((2, 3), 0.25), requires_grad=True)  # noqa: E731
bad(F.binary_cross_entropy, _PROBABILITIES(), A(3, 2), raises=ValueError, names="target")
bad(F.binary_cross_entropy, Tensor([[0.5, 1.5]], requires_grad=True), A(1, 2), raises=ValueError, names="input")
bad(F.binary_cross_entropy, Tensor([[-0.1, 0.5]], requires_grad=True), A(1, 2), raises=ValueError, names="input")
bad(F.binary_cross_entropy, _PROBABILITIES(), A(2, 3), weight=np.ones(2), raises=ValueError, names="weight")
bad(F.binary_cross_entropy, _PROBABILITIES(), A(2, 3), reduction="avg", raises=ValueError, names="reduction")

# ============================================================================================ dropout, batch_norm
bad(F.dropout, X(2, 3, grad=True), 1.5, raises=ValueError, names="p")
bad(F.dropout, X(2, 3, grad=True), -0.1, raises=ValueError, names="p")
bad(F.dropout, X(2, 3, grad=True), NAN, raises=ValueError, names="p")
bad(F.dropout, X(2, 3, grad=True), "0.5", raises=TypeError, names="p")
bad(F.dropout, X(2, 3, grad=True), None, raises=TypeError, names="p")
bad(F.dropout, X(2, 3, grad=True), 0.5, training="yes", raises=TypeError, names="training")
bad(F.dropout, X(2, 3, grad=True), 0.5, inplace=1, raises=TypeError, names="inplace")
bad(F.dropout, X(2, 3, grad=True), 0.5, seed=-1, raises=ValueError, names="seed")
bad(F.dropout, X(2, 3, grad=True), 0.5, seed=1.5, raises=TypeError, names="seed")
bad(F.dropout, X(2, 3, grad=True), 0.5, generator="rng", raises=TypeError, names="generator")
bad(F.dropout, X(2, 3, grad=True), 0.5, seed=0, generator=generator(), raises=ValueError, names="generator")
bad(F.dropout, A(2, 3), 0.5, raises=TypeError, names="Tensor")
_RM, _RV = (lambda: np.zeros(3)), (lambda: np.ones(3))  # noqa: E731
bad(F.batch_norm, X(3, grad=True), _RM(), _RV(), raises=ValueError, names="input")
bad(F.batch_norm, IMG(), np.zeros(2), _RV(), raises=ValueError, names="running_mean")
bad(F.batch_norm, IMG(), _RM(), np.ones(4), raises=ValueError, names="running_var")
bad(F.batch_norm, IMG(), _RM(), _RV(), X(2, grad=True), raises=ValueError, names="weight")
bad(F.batch_norm, IMG(), _RM(), _RV(), None, X(2, grad=True), raises=ValueError, names="bias")
bad(F.batch_norm, IMG(), _RM(), _RV(), eps=-1.0, raises=ValueError, names="eps")
bad(F.batch_norm, IMG(), _RM(), _RV(), eps=NAN, raises=ValueError, names="eps")
bad(F.batch_norm, IMG(), _RM(), _RV(), eps=INF, raises=ValueError, names="eps")
bad(F.batch_norm, IMG(), _RM(), _RV(), eps="0.1", raises=TypeError, names="eps")
bad(F.batch_norm, IMG(), _RM(), _RV(), training="yes", raises=TypeError, names="training")
bad(F.batch_norm, IMG(), _RM(), _RV(), training=True, momentum=1.5, raises=ValueError, names="momentum")
bad(F.batch_norm, IMG(), _RM(), _RV(), training=True, momentum=NAN, raises=ValueError, names="momentum")
bad(F.batch_norm, IMG(), _RM(), _RV(), training=True, momentum="0.1", raises=TypeError, names="momentum")
bad(F.batch_norm, IMG(), _RM(), _RV(), training=True, momentum=None, raises=ValueError, names="momentum")
bad(F.batch_norm, X(1, 3, grad=True), _RM(), _RV(), training=True, raises=ValueError, names="more than 1 value")
bad(F.batch_norm, A(2, 3), _RM(), _RV(), raises=TypeError, names="Tensor")

# ============================================================================================ nn: constructors
for _size in (0, -1):
    bad(nn.Linear, _size, 3, raises=ValueError, names="in_features")
    bad(nn.Linear, 3, _size, raises=ValueError, names="out_features")
    bad(nn.Conv2d, _size, 3, 3, raises=ValueError, names="in_channels")
    bad(nn.Conv2d, 3, _size, 3, raises=ValueError, names="out_channels")
    bad(nn.Conv2d, 3, 3, _size, raises=ValueError, names="kernel_size")
    bad(nn.BatchNorm1d, _size, raises=ValueError, names="num_features")
    bad(nn.BatchNorm2d, _size, raises=ValueError, names="num_features")
for _wrong in (3.0, "3", None, True, [3]):
    bad(nn.Linear, _wrong, 3, raises=TypeError, names="in_features")
    bad(nn.Linear, 3, _wrong, raises=TypeError, names="out_features")
    bad(nn.Conv2d, _wrong, 3, 3, raises=TypeError, names="in_channels")
    bad(nn.Conv2d, 3, _wrong, 3, raises=TypeError, names="out_channels")
    bad(nn.BatchNorm2d, _wrong, raises=TypeError, names="num_features")
bad(nn.Linear, 3, 2, bias="yes", raises=TypeError, names="bias")
bad(nn.Linear, 3, 2, dtype=np.int32, raises=TypeError, names="dtype")
bad(nn.Linear, 3, 2, dtype="no-such-dtype", raises=TypeError, names="dtype")
bad(nn.Linear, 3, 2, seed=-1, raises=ValueError, names="seed")
bad(nn.Linear, 3, 2, seed=1.5, raises=TypeError, names="seed")
bad(nn.Linear, 3, 2, generator="rng", raises=TypeError, names="generator")
bad(nn.Linear, 3, 2, generator=generator(), seed=1, raises=ValueError, names="generator")
bad(nn.Linear, 0, 2, generator=generator(), raises=ValueError, names="in_features")
bad(nn.Conv2d, 3, 3, (3,), raises=TypeError, names="kernel_size")
bad(nn.Conv2d, 3, 3, 3.0, raises=TypeError, names="kernel_size")
bad(nn.Conv2d, 3, 3, "3", raises=TypeError, names="kernel_size")
bad(nn.Conv2d, 3, 3, (3, 0), raises=ValueError, names="kernel_size")
bad(nn.Conv2d, 3, 3, 3, stride=0, raises=ValueError, names="stride")
bad(nn.Conv2d, 3, 3, 3, stride=1.0, raises=TypeError, names="stride")
bad(nn.Conv2d, 3, 3, 3, padding=-1, raises=ValueError, names="padding")
bad(nn.Conv2d, 3, 3, 3, padding="full", raises=ValueError, names="padding")
bad(nn.Conv2d, 3, 3, 3, padding=None, raises=TypeError, names="padding")
bad(nn.Conv2d, 3, 3, 3, padding="same", stride=2, raises=ValueError, names="padding")
bad(nn.Conv2d, 3, 3, 3, dilation=0, raises=ValueError, names="dilation")
bad(nn.Conv2d, 3, 3, 3, groups=0, raises=ValueError, names="groups")
bad(nn.Conv2d, 3, 3, 3, groups=2, raises=ValueError, names="groups")
bad(nn.Conv2d, 3, 3, 3, groups=1.0, raises=TypeError, names="groups")
bad(nn.Conv2d, 3, 3, 3, bias=None, raises=TypeError, names="bias")
bad(nn.Conv2d, 3, 3, 3, padding_mode="reflect", raises=ValueError, names="padding_mode")
bad(nn.Conv2d, 3, 3, 3, dtype=np.int64, raises=TypeError, names="dtype")
bad(nn.Conv2d, 3, 3, 3, seed="0", raises=TypeError, names="seed")
for _pool_layer in (nn.MaxPool2d, nn.AvgPool2d):
    bad(_pool_layer, 0, raises=ValueError, names="kernel_size")
    bad(_pool_layer, 2.0, raises=TypeError, names="kernel_size")
    bad(_pool_layer, None, raises=TypeError, names="kernel_size")
    bad(_pool_layer, 2, 0, raises=ValueError, names="stride")
    bad(_pool_layer, 2, "2", raises=TypeError, names="stride")
    bad(_pool_layer, 2, padding=-1, raises=ValueError, names="padding")
    bad(_pool_layer, 2, padding=2, raises=ValueError, names="padding")
    bad(_pool_layer, 2, ceil_mode="yes", raises=TypeError, names="ceil_mode")
bad(nn.MaxPool2d, 2, dilation=0, raises=ValueError, names="dilation")
bad(nn.MaxPool2d, 2, return_indices=True, raises=ValueError, names="return_indices")
bad(nn.MaxPool2d, 2, return_indices="yes", raises=TypeError, names="return_indices")
bad(nn.AvgPool2d, 2, count_include_pad=None, raises=TypeError, names="count_include_pad")
bad(nn.AvgPool2d, 2, divisor_override=0, raises=ValueError, names="divisor_override")
bad(nn.AvgPool2d, 2, divisor_override=2.5, raises=TypeError, names="divisor_override")
bad(nn.LPPool2d, 0, 2, raises=ValueError, names="norm_type")
bad(nn.LPPool2d, NAN, 2, raises=ValueError, names="norm_type")
bad(nn.LPPool2d, "2", 2, raises=TypeError, names="norm_type")
bad(nn.LPPool2d, 2, 0, raises=ValueError, names="kernel_size")
bad(nn.LPPool2d, 2, 2, 0, raises=ValueError, names="stride")
bad(nn.LPPool2d, 2, 2, ceil_mode=1, raises=TypeError, names="ceil_mode")
bad(nn.Dropout, 1.5, raises=ValueError, names="p")
bad(nn.Dropout, -0.5, raises=ValueError, names="p")
bad(nn.Dropout, NAN, raises=ValueError, names="p")
bad(nn.Dropout, INF, raises=ValueError, names="p")
bad(nn.Dropout, True, raises=TypeError, names="p")
bad(nn.Dropout, "0.5", raises=TypeError, names="p")
bad(nn.Dropout, 0.5, inplace="no", raises=TypeError, names="inplace")
bad(nn.Dropout, 0.5, seed=-3, raises=ValueError, names="seed")
for _bn in (nn.BatchNorm1d, nn.BatchNorm2d):
    bad(_bn, 3, eps=-1e-5, raises=ValueError, names="eps")
    bad(_bn, 3, eps=NAN, raises=ValueError, names="eps")
    bad(_bn, 3, eps="1e-5", raises=TypeError, names="eps")
    bad(_bn, 3, momentum=1.5, raises=ValueError, names="momentum")
    bad(_bn, 3, momentum=-0.1, raises=ValueError, names="momentum")
    bad(_bn, 3, momentum=INF, raises=ValueError, names="momentum")
    bad(_bn, 3, momentum="0.1", raises=TypeError, names="momentum")
    bad(_bn, 3, affine="yes", raises=TypeError, names="affine")
    bad(_bn, 3, track_running_stats=1, raises=TypeError, names="track_running_stats")
    bad(_bn, 3, dtype=np.int32, raises=TypeError, names="dtype")
bad(nn.Flatten, 1.5, raises=TypeError, names="start_dim")
bad(nn.Flatten, 1, "x", raises=TypeError, names="end_dim")
bad(nn.Flatten, start_axis=None, end_axis=2.0, raises=TypeError, names="end_dim")
bad(nn.Softmax, 1.5, raises=TypeError, names="dim")
bad(nn.LogSoftmax, "1", raises=TypeError, names="dim")
bad(nn.LeakyReLU, "0.1", raises=TypeError, names="negative_slope")
bad(nn.LeakyReLU, NAN, raises=ValueError, names="negative_slope")
bad(nn.LeakyReLU, INF, raises=ValueError, names="negative_slope")
bad(nn.LeakyReLU, 0.1, inplace="yes", raises=TypeError, names="inplace")
bad(nn.ReLU, inplace="yes", raises=TypeError, names="inplace")
bad(nn.GELU, "exact", raises=ValueError, names="approximate")
bad(nn.GELU, None, raises=ValueError, names="approximate")
for _loss_layer in (nn.MSELoss, nn.NLLLoss, nn.CrossEntropyLoss, nn.BCELoss, nn.BCEWithLogitsLoss):
    bad(_loss_layer, reduction="avg", raises=ValueError, names="reduction")
bad(nn.CrossEntropyLoss, label_smoothing=1.5, raises=ValueError, names="label_smoothing")
bad(nn.CrossEntropyLoss, label_smoothing="0.1", raises=TypeError, names="label_smoothing")
bad(nn.CrossEntropyLoss, ignore_index=2.5, raises=TypeError, names="ignore_index")
bad(nn.NLLLoss, ignore_index="x", raises=TypeError, names="ignore_index")
bad(nn.Sequential, 3, raises=TypeError, names="argument 0")
bad(nn.Sequential, nn.ReLU(), lambda x: x, raises=TypeError, names="argument 1")
bad(nn.Sequential, {"a": nn.ReLU(), "b": "relu"}, raises=TypeError, names="'b'")
bad(nn.ModuleList, [nn.ReLU(), 3], raises=TypeError, names="module")
bad(nn.ModuleList, 3, raises=TypeError, names="modules")
bad(nn.ModuleDict, {"a": 3}, raises=TypeError, names="'a'")
bad(nn.ModuleDict, 3, raises=TypeError, names="modules")
bad(nn.Parameter, "abc", raises=TypeError, names="data")
bad(nn.Parameter, np.array([1, 2]), raises=TypeError, names="requires_grad")

# ============================================================================================ nn: forward
bad(linear(), X(4, 5), raises=ValueError, names="in_features")
bad(linear(), X(), raises=ValueError, names="in_features")
bad(linear(), [[1.0, 2.0, 3.0]], raises=TypeError, names="input")
bad(mlp(), X(4, 2), raises=ValueError, names="in_features")
bad(conv(), X(2, 2, 5, 5), raises=ValueError, names="channels")
bad(conv(), X(5, 5), raises=ValueError, names="x")
bad(conv(), X(2, 3, 2, 2), raises=ValueError, names="kernel")
bad(conv(), X(2, 3, 5, 5, dtype=np.float32), raises=TypeError, names="dtype")
bad(conv(), A(2, 3, 5, 5), raises=TypeError, names="x")
bad(nn.MaxPool2d(2), X(5, 5), raises=ValueError, names="x")
bad(nn.MaxPool2d(7), IMG(), raises=ValueError, names="kernel_size")
bad(nn.AvgPool2d(2), X(2, 5), raises=ValueError, names="x")
bad(nn.LPPool2d(2, 2), X(5), raises=ValueError, names="x")
bad(bn2d(), X(2, 3, 4), raises=ValueError, names="num_features")
bad(bn2d(), X(2, 4, 2, 2), raises=ValueError, names="num_features")
bad(bn2d(), X(1, 3, 1, 1), raises=ValueError, names="more than 1 value")
bad(with_grads(nn.BatchNorm1d(3, dtype=np.float64)), X(2, 3, 4, 5), raises=ValueError, names="num_features")
bad(with_grads(nn.BatchNorm1d(3, dtype=np.float64)), X(1, 3), raises=ValueError, names="more than 1 value")
bad(nn.Flatten(5), X(2, 3), raises=ValueError, names="start")
bad(nn.Flatten(), X(3), raises=ValueError, names="start")
bad(nn.Dropout(0.5), A(2, 3), raises=TypeError, names="Tensor")
bad(nn.Dropout(0.5).eval(), A(2, 3), raises=TypeError, names="Tensor")
bad(nn.Softmax(dim=2), X(2, 3), raises=ValueError, names="axis")
bad(nn.LogSoftmax(dim=-3), X(2, 3), raises=ValueError, names="axis")
bad(nn.CrossEntropyLoss(), X(3, grad=True), np.array([1]), raises=ValueError, names="input")
bad(nn.CrossEntropyLoss(), _LABELS(), _LOGITS(), raises=TypeError, names="swapped")
bad(nn.NLLLoss(), _LOGITS(), np.array([0, 1]), raises=ValueError, names="target")
bad(nn.MSELoss(), X(2, 3, grad=True), A(3, 2), raises=ValueError, names="target")
bad(nn.BCEWithLogitsLoss(), X(2, 3, grad=True), A(2), raises=ValueError, names="target")
bad(nn.SquaredErrorLoss(), X(2, 3, grad=True), A(3), raises=ValueError, names="target")
bad(nn.ReLU(), [1.0, 2.0], raises=TypeError, names="Tensor")

# ============================================================================================ nn: Module API
bad(nn.Module.load_state_dict, mlp(), state_of(mlp, **{"0__weight": np.zeros((3, 3))}), raises=ValueError,
    names="0.weight")
bad(nn.Module.load_state_dict, mlp(), state_of(mlp, **{"2__bias": np.zeros(3)}), raises=ValueError,
    names="2.bias")
bad(nn.Module.load_state_dict, mlp(), state_of(mlp, **{"2__bias": np.zeros(3)}), strict=False,
    raises=ValueError, names="2.bias")
bad(nn.Module.load_state_dict, mlp(), state_of(mlp, extra=np.zeros(2)), raises=ValueError, names="extra")
bad(nn.Module.load_state_dict, mlp(), state_of(mlp, **{"2__bias": ...}), raises=ValueError, names="2.bias")
bad(nn.Module.load_state_dict, mlp(), state_of(mlp, **{"2__bias": "abc"}), raises=TypeError, names="2.bias")
bad(nn.Module.load_state_dict, mlp(), state_of(mlp, **{"2__bias": None}), raises=TypeError, names="2.bias")
bad(nn.Module.load_state_dict, mlp(), state_of(mlp, **{"2__bias": ["a", "b"]}), raises=TypeError, names="2.bias")
bad(nn.Module.load_state_dict, mlp(), state_of(mlp, **{"2__bias": {"a": 1}}), raises=TypeError, names="2.bias")
bad(nn.Module.load_state_dict, mlp(), state_of(mlp, **{"2__bias": np.array([1j, 2j])}), raises=TypeError,
    names="2.bias")
bad(nn.Module.load_state_dict, mlp(), list(state_of(mlp).items()), raises=TypeError, names="state_dict")
bad(nn.Module.load_state_dict, mlp(), None, raises=TypeError, names="state_dict")
bad(nn.Module.load_state_dict, mlp(), state_of(mlp), strict="yes", raises=TypeError, names="strict")
bad(nn.Module.load_state_dict, bn2d(), state_of(bn2d, running_var=np.ones(4)), raises=ValueError,
    names="running_var")
bad(nn.Module.load_state_dict, bn2d(), state_of(bn2d, num_batches_tracked=np.zeros(2)), raises=ValueError,
    names="num_batches_tracked")
bad(nn.Module.state_dict, mlp(), keep_vars="yes", raises=TypeError, names="keep_vars")
bad(nn.Module.train, mlp(), "yes", raises=TypeError, names="mode")
bad(nn.Module.train, mlp(), 0, raises=TypeError, names="mode")
bad(nn.Module.requires_grad_, mlp(), 1, raises=TypeError, names="requires_grad")
bad(nn.Module.to, mlp(), np.int32, raises=TypeError, names="dtype")
bad(nn.Module.to, mlp(), "no-such-dtype", raises=ValueError, names="device")  # a string names a device, as PyTorch
bad(nn.Module.to, mlp(), None, raises=TypeError, names="dtype")
bad(nn.Module.zero_grad, mlp(), set_to_none="no", raises=TypeError, names="set_to_none")
bad(nn.Module.add_module, mlp(), "a.b", nn.ReLU(), raises=ValueError, names="name")
bad(nn.Module.add_module, mlp(), "", nn.ReLU(), raises=ValueError, names="name")
bad(nn.Module.add_module, mlp(), 3, nn.ReLU(), raises=TypeError, names="name")
bad(nn.Module.add_module, mlp(), "extra", "relu", raises=TypeError, names="extra")
bad(nn.Module.register_buffer, mlp(), "a.b", np.zeros(2), raises=ValueError, names="name")
bad(nn.Module.register_buffer, mlp(), None, np.zeros(2), raises=TypeError, names="name")
bad(nn.Module.register_buffer, mlp(), "buf", "abc", raises=TypeError, names="buf")
bad(nn.Module.register_buffer, mlp(), "buf", np.zeros(2), persistent="no", raises=TypeError, names="persistent")
bad(nn.Module.register_parameter, mlp(), "w", np.ones(2), raises=TypeError, names="'w'")
bad(nn.Module.register_parameter, mlp(), "a.b", nn.Parameter(np.ones(2)), raises=ValueError, names="name")
bad(nn.Module.apply, mlp(), 3, raises=TypeError, names="fn")
bad(operator.getitem, mlp(), 5, raises=IndexError, names="index")
bad(operator.getitem, mlp(), "0", raises=TypeError, names="index")
bad(operator.getitem, nn.ModuleList([nn.ReLU()]), 1.0, raises=TypeError, names="index")
bad(operator.getitem, nn.ModuleDict({"a": nn.ReLU()}), "b", raises=KeyError, names="b")
bad(nn.Sequential.append, mlp(), "relu", raises=TypeError, names="module")
bad(clip_grad_norm_, params(), -1.0, raises=ValueError, names="max_norm")
bad(clip_grad_norm_, params(), NAN, raises=ValueError, names="max_norm")
bad(clip_grad_norm_, params(), "1", raises=TypeError, names="max_norm")
bad(clip_grad_norm_, params(), 1.0, 0, raises=ValueError, names="norm_type")
bad(clip_grad_norm_, params(), 1.0, NAN, raises=ValueError, names="norm_type")
bad(clip_grad_norm_, params(), 1.0, "inf", raises=TypeError, names="norm_type")
bad(clip_grad_norm_, params(), 1.0, error_if_nonfinite=1, raises=TypeError, names="error_if_nonfinite")
bad(clip_grad_norm_, [*params(), 3], 1.0, raises=TypeError, names="parameters")
bad(clip_grad_norm_, None, 1.0, raises=TypeError, names="parameters")
bad(clip_grad_value_, params(), -1.0, raises=ValueError, names="clip_value")
bad(clip_grad_value_, params(), NAN, raises=ValueError, names="clip_value")
bad(clip_grad_value_, params(), None, raises=TypeError, names="clip_value")
bad(clip_grad_value_, [*params(), "w"], 1.0, raises=TypeError, names="parameters")

# ============================================================================================ optimizers
_OPTIMIZERS = (optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop)
for _opt in _OPTIMIZERS:
    bad(_opt, [], raises=ValueError, names="params")
    bad(_opt, iter([]), raises=ValueError, names="params")
    bad(_opt, X(3, grad=True), raises=TypeError, names="params")
    bad(_opt, None, raises=TypeError, names="params")
    bad(_opt, 3, raises=TypeError, names="params")
    bad(_opt, [X(3, grad=True), 3], raises=TypeError, names="params[1]")
    bad(_opt, [A(3)], raises=TypeError, names="params[0]")
    bad(_opt, [XI(3)], raises=TypeError, names="params[0]")
    bad(_opt, [nonleaf()], raises=ValueError, names="params[0]")
    bad(_opt, params(), lr=-0.1, raises=ValueError, names="lr")
    bad(_opt, params(), lr=NAN, raises=ValueError, names="lr")
    bad(_opt, params(), lr=INF, raises=ValueError, names="lr")
    bad(_opt, params(), lr="0.1", raises=TypeError, names="lr")
    bad(_opt, params(), lr=None, raises=TypeError, names="lr")
    bad(_opt, params(), lr=True, raises=TypeError, names="lr")
    bad(_opt, params(), weight_decay=-1.0, raises=ValueError, names="weight_decay")
    bad(_opt, params(), weight_decay=NAN, raises=ValueError, names="weight_decay")
    bad(_opt, params(), maximize=1, raises=TypeError, names="maximize")
    bad(_opt, [{"params": params(), "lr": -1.0}], raises=ValueError, names="lr")
    bad(_opt, [{"params": params(), "lrr": 0.1}], raises=ValueError, names="lrr")
    bad(_opt, [{"lr": 0.1}], raises=ValueError, names="params")
    bad(_opt, [{"params": params()}, 3], raises=TypeError, names="group")
    bad(_opt, [{"params": [X(3, grad=True), "w"]}], raises=TypeError, names="params[1]")
bad(optim.SGD, params(), momentum=-0.9, raises=ValueError, names="momentum")
bad(optim.SGD, params(), momentum=NAN, raises=ValueError, names="momentum")
bad(optim.SGD, params(), momentum="0.9", raises=TypeError, names="momentum")
bad(optim.SGD, params(), dampening=NAN, raises=ValueError, names="dampening")
bad(optim.SGD, params(), dampening="0", raises=TypeError, names="dampening")
bad(optim.SGD, params(), nesterov=True, raises=ValueError, names="nesterov")
bad(optim.SGD, params(), momentum=0.9, dampening=0.1, nesterov=True, raises=ValueError, names="nesterov")
bad(optim.SGD, params(), nesterov="yes", raises=TypeError, names="nesterov")
bad(optim.SGD, shared_groups(), raises=ValueError, names="more than one parameter group")
for _adam in (optim.Adam, optim.AdamW):
    bad(_adam, params(), betas=(1.0, 0.999), raises=ValueError, names="betas[0]")
    bad(_adam, params(), betas=(0.9, 1.5), raises=ValueError, names="betas[1]")
    bad(_adam, params(), betas=(-0.1, 0.999), raises=ValueError, names="betas[0]")
    bad(_adam, params(), betas=(NAN, 0.999), raises=ValueError, names="betas[0]")
    bad(_adam, params(), betas=(0.9,), raises=TypeError, names="betas")
    bad(_adam, params(), betas=0.9, raises=TypeError, names="betas")
    bad(_adam, params(), betas=("0.9", 0.999), raises=TypeError, names="betas[0]")
    bad(_adam, params(), betas=None, raises=TypeError, names="betas")
    bad(_adam, params(), eps=-1e-8, raises=ValueError, names="eps")
    bad(_adam, params(), eps=NAN, raises=ValueError, names="eps")
    bad(_adam, params(), eps="1e-8", raises=TypeError, names="eps")
    bad(_adam, params(), amsgrad="yes", raises=TypeError, names="amsgrad")
bad(optim.RMSprop, params(), alpha=-0.5, raises=ValueError, names="alpha")
bad(optim.RMSprop, params(), alpha=NAN, raises=ValueError, names="alpha")
bad(optim.RMSprop, params(), eps=-1.0, raises=ValueError, names="eps")
bad(optim.RMSprop, params(), momentum=-0.1, raises=ValueError, names="momentum")
bad(optim.RMSprop, params(), momentum=INF, raises=ValueError, names="momentum")
bad(optim.RMSprop, params(), centered=1, raises=TypeError, names="centered")
bad(Optimizer.add_param_group, sgd(), {"params": params(), "momentum": -1.0}, raises=ValueError, names="momentum")
bad(Optimizer.add_param_group, sgd(), [X(3, grad=True)], raises=TypeError, names="group")
bad(Optimizer.add_param_group, sgd(), {"params": [X(3, grad=True), None]}, raises=TypeError, names="params[1]")
bad(Optimizer.zero_grad, sgd(), set_to_none="no", raises=TypeError, names="set_to_none")
bad(Optimizer.step, sgd(), 3, raises=TypeError, names="closure")
bad(Optimizer.load_state_dict, sgd(), {"state": {}}, raises=ValueError, names="param_groups")
bad(Optimizer.load_state_dict, sgd(), "state", raises=TypeError, names="state_dict")
bad(Optimizer.load_state_dict, sgd(), None, raises=TypeError, names="state_dict")
bad(Optimizer.load_state_dict, sgd(), {"state": {}, "param_groups": []}, raises=ValueError, names="groups")
bad(Optimizer.load_state_dict, sgd(), {"state": {0: {"momentum_buffer": np.zeros(4)}},
                                       "param_groups": sgd().state_dict()["param_groups"]},
    raises=ValueError, names="shape")
bad(Optimizer.load_state_dict, sgd(), {"state": {7: {"momentum_buffer": np.zeros(3)}},
                                       "param_groups": sgd().state_dict()["param_groups"]},
    raises=ValueError, names="7")
bad(Optimizer.load_state_dict, sgd(), {"state": {}, "param_groups": [{**sgd().state_dict()["param_groups"][0],
                                                                       "lr": -1.0}]},
    raises=ValueError, names="lr")
bad(Optimizer.load_state_dict, adam(), {"state": {0: {"step": 1, "exp_avg": np.zeros(2)}},
                                        "param_groups": adam().state_dict()["param_groups"]},
    raises=ValueError, names="exp_avg")

# ============================================================================================ schedulers
bad(sched.StepLR, sgd(), 0, raises=ValueError, names="step_size")
bad(sched.StepLR, sgd(), -1, raises=ValueError, names="step_size")
bad(sched.StepLR, sgd(), 1.5, raises=TypeError, names="step_size")
bad(sched.StepLR, sgd(), None, raises=TypeError, names="step_size")
bad(sched.StepLR, sgd(), 2, gamma=NAN, raises=ValueError, names="gamma")
bad(sched.StepLR, sgd(), 2, gamma="0.1", raises=TypeError, names="gamma")
bad(sched.StepLR, "optimizer", 2, raises=TypeError, names="optimizer")
bad(sched.StepLR, [X(3, grad=True)], 2, raises=TypeError, names="optimizer")
bad(sched.StepLR, sgd(), 2, last_epoch=-2, raises=ValueError, names="last_epoch")
bad(sched.StepLR, sgd(), 2, last_epoch=1.5, raises=TypeError, names="last_epoch")
bad(sched.StepLR, sgd(), 2, last_epoch=3, raises=ValueError, names="initial_lr")
bad(sched.MultiStepLR, sgd(), 3, raises=TypeError, names="milestones")
bad(sched.MultiStepLR, sgd(), "35", raises=TypeError, names="milestones")
bad(sched.MultiStepLR, sgd(), [1.5, 3], raises=TypeError, names="milestones")
bad(sched.MultiStepLR, sgd(), [None], raises=TypeError, names="milestones")
bad(sched.MultiStepLR, sgd(), [2, 4], gamma=INF, raises=ValueError, names="gamma")
bad(sched.ExponentialLR, sgd(), NAN, raises=ValueError, names="gamma")
bad(sched.ExponentialLR, sgd(), None, raises=TypeError, names="gamma")
bad(sched.ExponentialLR, sgd(), "0.9", raises=TypeError, names="gamma")
bad(sched.ExponentialLR, None, 0.9, raises=TypeError, names="optimizer")
bad(sched.CosineAnnealingLR, sgd(), 0, raises=ValueError, names="T_max")
bad(sched.CosineAnnealingLR, sgd(), 10.0, raises=TypeError, names="T_max")
bad(sched.CosineAnnealingLR, sgd(), 10, eta_min=NAN, raises=ValueError, names="eta_min")
bad(sched.CosineAnnealingLR, sgd(), 10, eta_min="0", raises=TypeError, names="eta_min")
bad(sched.LambdaLR, sgd(), 3, raises=TypeError, names="lr_lambda")
bad(sched.LambdaLR, sgd(), [lambda e: 1.0, lambda e: 0.5], raises=ValueError, names="lr_lambda")
bad(sched.LambdaLR, sgd(), [None], raises=TypeError, names="lr_lambda")
bad(sched.LambdaLR, sgd(), lambda epoch: "fast", raises=TypeError, names="lr_lambda")
bad(sched.LambdaLR, sgd(), lambda epoch: NAN, raises=ValueError, names="lr_lambda")
bad(sched.LambdaLR, sgd(), lambda epoch: -1.0, raises=ValueError, names="lr_lambda")
bad(sched.LambdaLR, "optimizer", lambda e: 1.0, raises=TypeError, names="optimizer")
bad(LRScheduler.load_state_dict, sched.StepLR(sgd(), 2), "state", raises=TypeError, names="state_dict")
bad(LRScheduler.load_state_dict, sched.StepLR(sgd(), 2), {"step_size": 3}, raises=ValueError, names="last_epoch")

# ============================================================================================ gradcheck
for _check in (tg_gradcheck, analytical_jacobian, numerical_jacobian, numerical_grad):
    bad(_check, square_sum, X(3, grad=True), raises=TypeError, names="inputs")
    bad(_check, square_sum, [X(3)], raises=ValueError, names="requires grad")
    bad(_check, square_sum, [X(3, dtype=np.float32, grad=True)], raises=TypeError, names="float64")
    bad(_check, 3, [X(3, grad=True)], raises=TypeError, names="fn")
    bad(_check, lambda t: 3.0, [X(3, grad=True)], raises=TypeError, names="Tensor")
for _eps_check in (tg_gradcheck, numerical_jacobian, numerical_grad):
    bad(_eps_check, square_sum, [X(3, grad=True)], eps=0.0, raises=ValueError, names="eps")
    bad(_eps_check, square_sum, [X(3, grad=True)], eps=-1e-6, raises=ValueError, names="eps")
    bad(_eps_check, square_sum, [X(3, grad=True)], eps=NAN, raises=ValueError, names="eps")
    bad(_eps_check, square_sum, [X(3, grad=True)], eps=INF, raises=ValueError, names="eps")
    bad(_eps_check, square_sum, [X(3, grad=True)], eps="1e-6", raises=TypeError, names="eps")
bad(tg_gradcheck, square_sum, [X(3, grad=True)], atol=-1.0, raises=ValueError, names="atol")
bad(tg_gradcheck, square_sum, [X(3, grad=True)], atol=NAN, raises=ValueError, names="atol")
bad(tg_gradcheck, square_sum, [X(3, grad=True)], rtol=-1.0, raises=ValueError, names="rtol")
bad(tg_gradcheck, square_sum, [X(3, grad=True)], rtol="0", raises=TypeError, names="rtol")
bad(tg_gradcheck, square_sum, [X(3, grad=True)], raise_exception="no", raises=TypeError, names="raise_exception")
bad(tg_gradcheck, square_sum, [X(3, grad=True)], fast_mode=1, raises=TypeError, names="fast_mode")
bad(tg_gradcheck, square_sum, [X(3, grad=True)], fast_mode=True, seed=-1, raises=ValueError, names="seed")
bad(tg_gradcheck, square_sum, [X(3, grad=True)], fast_mode=True, seed=1.5, raises=TypeError, names="seed")
bad(numerical_grad, lambda t: t * 2.0, [X(3, grad=True)], grad_output=np.ones(2), raises=ValueError,
    names="grad_output")
bad(numerical_grad, lambda t: t * 2.0, [X(3, grad=True)], grad_output="abc", raises=TypeError,
    names="grad_output")

# ============================================================================================ manual_seed, Value
bad(tinygrad_cnn.manual_seed, -1, raises=ValueError, names="seed")
bad(tinygrad_cnn.manual_seed, 1.5, raises=TypeError, names="seed")
bad(tinygrad_cnn.manual_seed, "1", raises=TypeError, names="seed")
bad(tinygrad_cnn.manual_seed, None, raises=TypeError, names="seed")
bad(tinygrad_cnn.manual_seed, True, raises=TypeError, names="seed")
bad(tinygrad_cnn.manual_seed, np.float64(3.0), raises=TypeError, names="seed")
bad(Value, "1.0", raises=TypeError, names="data")
bad(Value, None, raises=TypeError, names="data")
bad(Value, [1.0], raises=TypeError, names="data")
bad(Value, np.ones(2), raises=TypeError, names="data")
bad(Value, 1 + 2j, raises=TypeError, names="data")
bad(operator.add, Value(1.0), "a", raises=TypeError, names="+")
bad(operator.mul, Value(1.0), [2.0], raises=TypeError, names="multiply")
bad(operator.pow, Value(1.0), "2", raises=TypeError, names="**")
bad(operator.truediv, Value(1.0), 0, raises=ValueError, names="divisor")
bad(operator.truediv, Value(1.0), Value(0.0), raises=ValueError, names="divisor")
bad(operator.pow, Value(-2.0), 0.5, raises=ValueError, names="negative base")
bad(operator.pow, Value(0.0), -1, raises=ValueError, names="negative power")
bad(Value.log, Value(-1.0), raises=ValueError, names="log")
bad(Value.to_dot, Value(1.0), rankdir=3, raises=TypeError, names="rankdir")
bad(Value.to_dot, Value(1.0), rankdir="XY", raises=ValueError, names="rankdir")
bad(operator.lt, Value(1.0), "2", raises=TypeError, names="'<'")
bad(operator.le, Value(1.0), None, raises=TypeError, names="'<='")
bad(operator.gt, "2", Value(1.0), raises=TypeError, names="'>'")
bad(operator.ge, Value(1.0), 1 + 2j, raises=TypeError, names="'>='")
bad(operator.lt, Value(1.0), [2.0], raises=TypeError, names="'<'")

# ================================================================================ the book (textbook package)
for _fn in (formulas.forward, formulas.predict, tensor_net.forward, tensor_net.predict):
    bad(_fn, book_params(), images(), pool="min", raises=ValueError, names="pool")
    bad(_fn, book_params(), images(), pool=None, raises=ValueError, names="pool")
    bad(_fn, book_params(filter_weights=...), images(), raises=ValueError, names="filter_weights")
    bad(_fn, book_params(filter_weights=np.zeros((3, 3, 4))), images(), raises=ValueError, names="filter_weights")
    bad(_fn, book_params(output_biases="abc"), images(), raises=TypeError, names="output_biases")
    bad(_fn, [1, 2, 3], images(), raises=TypeError, names="params")
    bad(_fn, book_params(), A(5, 5), raises=ValueError, names="images")
    bad(_fn, book_params(), A(2, 6, 5), raises=ValueError, names="images")
    bad(_fn, book_params(), A(0, 6, 6), raises=ValueError, names="images")
    bad(_fn, book_params(), "images", raises=TypeError, names="images")
    bad(_fn, book_params(), None, raises=TypeError, names="images")
for _fn in (formulas.cost, formulas.backprop, formulas.gradients, formulas.deltas, formulas.accuracy,
            tensor_net.backprop, tensor_net.cost, scalar_net.cost):
    bad(_fn, book_params(), images(), targets(3), raises=ValueError, names="targets")
    bad(_fn, book_params(), images(), A(4, 2), raises=ValueError, names="targets")
    bad(_fn, book_params(), images(), "t", raises=TypeError, names="targets")
    bad(_fn, book_params(), images(), targets(), pool="l3", raises=ValueError, names="pool")
    bad(_fn, book_params(), A(4, 5, 5), targets(), raises=ValueError, names="images")
    bad(_fn, book_params(output_weights=np.zeros((3, 12, 1))), images(), targets(), raises=ValueError,
        names="output_weights")
bad(formulas.pooling_factor, A(2, 3, 3, 3), raises=ValueError, names="a_F")
bad(formulas.pooling_factor, A(2, 3, 4, 4), pool="min", raises=ValueError, names="pool")
bad(formulas.max_pool_ties, book_params(), A(6, 5), raises=ValueError, names="images")
bad(formulas.sigmoid, "z", raises=TypeError, names="z")
bad(scalar_net.forward, book_params(), images(), raises=ValueError, names="image")
bad(scalar_net.forward, book_params(), images()[0], pool="min", raises=ValueError, names="pool")
bad(scalar_net.predict, book_params(), images(2), raises=ValueError, names="image")
bad(scalar_net.backprop, book_params(), images(1), targets(2), raises=ValueError, names="targets")
bad(tensor_net.cost_tensor, A(4, 3), targets(), raises=ValueError, names="a_O")
bad(tensor_net.to_tensors, book_params(), requires_grad="yes", raises=TypeError, names="requires_grad")
bad(tensor_net.to_tensors, book_params(filter_biases=...), raises=ValueError, names="filter_biases")
for _cmp in (compare, finite_difference_gradients):
    bad(_cmp, book_params(), images(1), targets(1), eps=0.0, raises=ValueError, names="eps")
    bad(_cmp, book_params(), images(1), targets(1), eps=NAN, raises=ValueError, names="eps")
    bad(_cmp, book_params(), images(1), targets(1), eps=INF, raises=ValueError, names="eps")
    bad(_cmp, book_params(), images(1), targets(1), eps="1e-6", raises=TypeError, names="eps")
    bad(_cmp, book_params(), images(1), targets(1), pool="none", raises=ValueError, names="pool")
    bad(_cmp, book_params(), images(1), targets(2), raises=ValueError, names="targets")
    bad(_cmp, book_params(filter_biases=...), images(1), targets(1), raises=ValueError, names="filter_biases")
bad(train, book_params(), images(), targets(), lr=0.0, raises=ValueError, names="lr")
bad(train, book_params(), images(), targets(), lr=-0.2, raises=ValueError, names="lr")
bad(train, book_params(), images(), targets(), lr=NAN, raises=ValueError, names="lr")
bad(train, book_params(), images(), targets(), lr=INF, raises=ValueError, names="lr")
bad(train, book_params(), images(), targets(), lr="0.2", raises=TypeError, names="lr")
bad(train, book_params(), images(), targets(), progress=1, raises=TypeError, names="progress")
bad(train, book_params(), images(), targets(), lr=None, raises=TypeError, names="lr")
bad(train, book_params(), images(), targets(), lr=True, raises=TypeError, names="lr")
bad(train, book_params(), images(), targets(), steps=-1, raises=ValueError, names="steps")
bad(train, book_params(), images(), targets(), steps=1.5, raises=TypeError, names="steps")
bad(train, book_params(), images(), targets(), steps="5", raises=TypeError, names="steps")
bad(train, book_params(), images(), targets(), steps=True, raises=TypeError, names="steps")
bad(train, book_params(), images(), targets(), pool="mean", raises=ValueError, names="pool")
bad(train, book_params(), images(), targets(), engine="gpu", raises=ValueError, names="engine")
bad(train, book_params(), images(), targets(), engine=None, raises=ValueError, names="engine")
bad(train, book_params(), A(4, 6), targets(), raises=ValueError, names="images")
bad(train, book_params(), images(), targets(5), raises=ValueError, names="targets")
bad(train, book_params(output_biases=np.zeros(4)), images(), targets(), raises=ValueError, names="output_biases")
bad(train, book_params(), images(), targets(), callback=3, raises=TypeError, names="callback")

# ============================================================================================ data, datasets, models
bad(data.DataLoader, A(6, 2), batch_size=0, raises=ValueError, names="batch_size")
bad(data.DataLoader, A(6, 2), batch_size=-2, raises=ValueError, names="batch_size")
bad(data.DataLoader, A(6, 2), batch_size=1.5, raises=TypeError, names="batch_size")
bad(data.DataLoader, A(6, 2), batch_size=True, raises=TypeError, names="batch_size")
bad(data.DataLoader, A(6, 2), batch_size=None, raises=TypeError, names="batch_size")
bad(data.DataLoader, A(6, 2), shuffle="yes", raises=TypeError, names="shuffle")
bad(data.DataLoader, A(6, 2), shuffle=1, raises=TypeError, names="shuffle")
bad(data.DataLoader, A(6, 2), drop_last=None, raises=TypeError, names="drop_last")
bad(data.DataLoader, A(6, 2), transform=3, raises=TypeError, names="transform")
bad(data.DataLoader, A(6, 2), shuffle=True, seed=-1, raises=ValueError, names="seed")
bad(data.DataLoader, A(6, 2), shuffle=True, seed="0", raises=TypeError, names="seed")
bad(data.DataLoader, A(6, 2), generator="rng", raises=TypeError, names="generator")
bad(data.DataLoader, 3, raises=TypeError, names="dataset")
bad(data.DataLoader, "abcdef", raises=TypeError, names="dataset")
bad(data.DataLoader, None, raises=TypeError, names="dataset")
bad(data.DataLoader.load_state_dict, data.DataLoader(A(6, 2), shuffle=True, seed=0), "state", raises=TypeError,
    names="state")
bad(data.DataLoader.load_state_dict, data.DataLoader(A(6, 2), shuffle=True, seed=0), {"gen": 1}, raises=ValueError,
    names="generator")
bad(data.random_split, A(10), [5, 4], raises=ValueError, names="lengths")
bad(data.random_split, A(10), [11, -1], raises=ValueError, names="lengths")
bad(data.random_split, A(10), [0.5, 0.6], raises=ValueError, names="fractions")
bad(data.random_split, A(10), [0.5, NAN], raises=ValueError, names="fractions")
bad(data.random_split, A(10), [], raises=ValueError, names="lengths")
bad(data.random_split, A(10), 3, raises=TypeError, names="lengths")
bad(data.random_split, A(10), None, raises=TypeError, names="lengths")
bad(data.random_split, A(10), ["5", "5"], raises=TypeError, names="lengths")
bad(data.random_split, A(10), [True, 9], raises=TypeError, names="lengths")
bad(data.random_split, A(10), [5, 5], seed=-1, raises=ValueError, names="seed")
bad(data.random_split, A(10), [5, 5], seed=1.5, raises=TypeError, names="seed")
bad(data.random_split, 10, [5, 5], raises=TypeError, names="random_split")
bad(data.TensorDataset, raises=ValueError, names="array")
bad(data.TensorDataset, A(3), A(4), raises=ValueError, names="length")
bad(data.TensorDataset, "abc", raises=TypeError, names="arrays[0]")
bad(data.TensorDataset, A(3), None, raises=TypeError, names="arrays[1]")
bad(data.TensorDataset, np.float64(1.0), raises=TypeError, names="arrays[0]")
bad(data.TensorDataset, np.array(1.0), raises=ValueError, names="arrays[0]")
bad(data.Subset, A(5), [5], raises=ValueError, names="indices")
bad(data.Subset, A(5), [0.5], raises=TypeError, names="indices")
bad(data.Subset, A(5), [[0, 1]], raises=TypeError, names="indices")
bad(data.Subset, A(5), "01", raises=TypeError, names="indices")
bad(data.Subset, 5, [0], raises=TypeError, names="Subset")
bad(datasets.mnist, 3, raises=TypeError, names="root")
bad(datasets.mnist, None, raises=TypeError, names="root")
bad(datasets.mnist, MISSING_DIR, raises=FileNotFoundError, names="does not exist")
bad(datasets.mnist, EMPTY_DIR, raises=FileNotFoundError, names="train-images-idx3-ubyte")
bad(datasets.mnist, EMPTY_DIR, train="yes", raises=TypeError, names="train")
bad(datasets.fashion_mnist, 3.5, raises=TypeError, names="root")
bad(datasets.fashion_mnist, EMPTY_DIR, train=None, raises=TypeError, names="train")
bad(datasets.read_idx, 3, raises=TypeError, names="path")
bad(datasets.load, "cifar10", raises=ValueError, names="dataset")
bad(datasets.load, None, raises=ValueError, names="dataset")
bad(datasets.load, "mnist", raises=ValueError, names="--data")
bad(datasets.to_images, A(2, 3), 255, raises=ValueError, names="pixels")
bad(datasets.to_images, A(2, 3, 3), 0, raises=ValueError, names="max_value")
bad(datasets.to_images, A(2, 3, 3), "255", raises=TypeError, names="max_value")
bad(datasets.to_images, A(2, 3, 3), 255, dtype=np.int32, raises=TypeError, names="dtype")
for _model in (models.small, models.lenet, models.textbook):
    bad(_model, 0, raises=ValueError, names="num_classes")
    bad(_model, 2.0, raises=TypeError, names="num_classes")
    bad(_model, 10, 0, raises=ValueError, names="in_channels")
    bad(_model, 10, "1", raises=TypeError, names="in_channels")
    bad(_model, 10, 1, 0, raises=ValueError, names="image_size")
    bad(_model, 10, 1, 8.0, raises=TypeError, names="image_size")
    bad(_model, 10, 1, (8,), raises=TypeError, names="image_size")
    bad(_model, dtype=np.int32, raises=TypeError, names="dtype")
bad(models.small, seed=-1, raises=ValueError, names="seed")
bad(models.lenet, seed="0", raises=TypeError, names="seed")
bad(models.small, 10, 1, 3, raises=ValueError, names="image_size")
bad(models.lenet, 10, 1, 8, raises=ValueError, names="image_size")
bad(models.build, "resnet", 10, 1, 8, raises=ValueError, names="model")
bad(models.build, None, 10, 1, 8, raises=ValueError, names="model")

# ============================================================================================ deltas, layerwise
for _derive in (deltas.compare, layerwise.backprop):
    bad(_derive, cnn(), cnn_x(), cnn_labels(), loss="mse", raises=ValueError, names="loss")
    bad(_derive, cnn(), cnn_x(), cnn_labels(), loss=None, raises=ValueError, names="loss")
    bad(_derive, cnn(), A(4, 2, 4, 4), cnn_labels(), loss="cross_entropy", raises=ValueError, names="channels")
    bad(_derive, cnn(), "images", cnn_labels(), loss="cross_entropy", raises=TypeError, names="x")
    bad(_derive, cnn(), None, cnn_labels(), loss="cross_entropy", raises=TypeError, names="x")
    bad(_derive, cnn(), cnn_x(), np.array([0, 1, 3, 0]), loss="cross_entropy", raises=ValueError, names="target")
    bad(_derive, cnn(), cnn_x(), np.array([0, 1]), loss="cross_entropy", raises=ValueError, names="target")
    bad(_derive, cnn(), cnn_x(), A(4, 2), loss="squared_error", raises=ValueError, names="target")
    bad(_derive, cnn(), cnn_x(), "labels", loss="cross_entropy", raises=TypeError, names="target")
    bad(_derive, 3, cnn_x(), cnn_labels(), loss="cross_entropy", raises=TypeError, names="model")
bad(layerwise.backprop, with_grads(nn.Sequential(nn.ModuleDict({"a": nn.Flatten()}), nn.Linear(16, 3, seed=0))),
    cnn_x(), cnn_labels(), loss="cross_entropy", raises=TypeError, names="ModuleDict")
bad(layerwise.backprop, cnn(), cnn_x(), cnn_labels(), order="0", raises=TypeError, names="order")
bad(layerwise.backprop, cnn(), cnn_x(), cnn_labels(), order=["0", "9"], raises=ValueError, names="order: '9'")
bad(layerwise.backprop, cnn(), cnn_x(), cnn_labels(), masks={"0": np.ones((4, 1, 4, 4))}, raises=ValueError,
    names="masks")
bad(layerwise.backprop, nn.Sequential(nn.Dropout(0.5), nn.Flatten()), cnn_x(), np.zeros((4, 16)), raises=TypeError,
    names="masks=")
bad(layerwise.backprop, nn.Sequential(nn.Dropout(0.5), nn.Flatten()), cnn_x(), np.zeros((4, 16)),
    masks={"0": np.ones((4, 16))}, raises=ValueError, names="masks['0']")
bad(layerwise.backprop, nn.Sequential(), cnn_x(), cnn_labels(), raises=TypeError, names="at least one layer")
bad(deltas.compare, cnn(), A(4, 4, 4), cnn_labels(), raises=ValueError, names="channels")
bad(layerwise.backprop, cnn(), A(4, 4, 4), cnn_labels(), raises=ValueError, names="(N, C, H, W)")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), fd_units=-1, raises=ValueError, names="fd_units")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), fd_units=1.5, raises=TypeError, names="fd_units")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), eps=0.0, raises=ValueError, names="eps")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), eps=NAN, raises=ValueError, names="eps")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), eps=INF, raises=ValueError, names="eps")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), eps="1e-6", raises=TypeError, names="eps")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), seed=-1, raises=ValueError, names="seed")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), seed="0", raises=TypeError, names="seed")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), progress="no", raises=TypeError, names="progress")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), user_tolerance=-1.0, raises=ValueError, names="user_tolerance")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), user_tolerance=NAN, raises=ValueError, names="user_tolerance")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), user_deltas=3, raises=TypeError, names="user_deltas")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), user_deltas={"delta_F": A(4, 2, 2, 2)}, raises=ValueError,
    names="delta_F")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), user_deltas={"9": A(4, 3)}, raises=ValueError, names="'9'")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), user_deltas={"4": A(4, 2)}, raises=ValueError, names="'4'")
bad(deltas.compare, cnn(), cnn_x(), cnn_labels(), user_deltas={"4": "abc"}, raises=TypeError, names="'4'")
bad(enter, deltas.record(3), raises=TypeError, names="model")
bad(enter, deltas.record(None), raises=TypeError, names="model")
bad(tinygrad_cnn.detect_anomaly(), 3, raises=TypeError, names="function")
bad(tinygrad_cnn.no_grad(), "f", raises=TypeError, names="function")

# ============================================================================================ save, load
bad(tinygrad_cnn.save, {"w": A(2)}, 3, raises=TypeError, names="path")
bad(tinygrad_cnn.save, {"w": A(2)}, None, raises=TypeError, names="path")
bad(tinygrad_cnn.save, {"w": A(2)}, MISSING_DIR / "x.npz", raises=FileNotFoundError, names="does not exist")
bad(tinygrad_cnn.save, {"w": object()}, EMPTY_DIR / "x.npz", raises=TypeError, names="w")
bad(tinygrad_cnn.save, {"w": np.array([object()])}, EMPTY_DIR / "x.npz", raises=TypeError, names="w")
bad(tinygrad_cnn.save, {"w": {(1, 2): A(2)}}, EMPTY_DIR / "x.npz", raises=TypeError, names="key")
bad(tinygrad_cnn.save, lambda: 1, EMPTY_DIR / "x.npz", raises=TypeError, names="function")
bad(restore, "checkpoint", mlp(), raises=TypeError, names="checkpoint")
bad(restore, {"model": state_of(mlp)}, 3, raises=TypeError, names="model")
bad(restore, {"model": state_of(mlp)}, mlp(), "opt", raises=TypeError, names="optimizer")
bad(restore, {"model": state_of(mlp)}, mlp(), sgd(), raises=ValueError, names="optimizer")
bad(restore, {"model": state_of(mlp, **{"2__bias": np.zeros(3)})}, mlp(), raises=ValueError, names="2.bias")
bad(restore, {"model": state_of(mlp, **{"2__bias": ...})}, mlp(), raises=ValueError, names="2.bias")
bad(restore, {"model": state_of(mlp, extra=A(2))}, mlp(), raises=ValueError, names="extra")
bad(restore, {"model": state_of(mlp), "optimizer": {"state": {}, "param_groups": []}}, mlp(), sgd(),
    raises=ValueError, names="param_groups")
bad(tinygrad_cnn.load, 3, raises=TypeError, names="path")
bad(tinygrad_cnn.load, None, raises=TypeError, names="path")
bad(tinygrad_cnn.load, MISSING_DIR / "x.npz", raises=FileNotFoundError, names="x.npz")
bad(tinygrad_cnn.load, EMPTY_DIR, raises=FileNotFoundError, names="no checkpoint")
bad(tinygrad_cnn.load, NOT_A_CHECKPOINT, raises=ValueError, names="not a tinygrad_cnn checkpoint")

# ============================================================================ PyTorch's names (issue 20)
from tinygrad_cnn import functions as tg_functions  # noqa: E402
from tinygrad_cnn.nn import init as nn_init  # noqa: E402

bad(tinygrad_cnn.tensor, "abc", raises=TypeError, names="data")
bad(tinygrad_cnn.tensor, [[1.0], [2.0, 3.0]], raises=TypeError, names="data")
bad(tinygrad_cnn.tensor, [1.0], dtype="no-such-dtype", raises=TypeError, names="dtype")
bad(tinygrad_cnn.tensor, [1.0], device="cuda", raises=tinygrad_cnn.DeviceError, names="cuda")
bad(tinygrad_cnn.tensor, [1.0], requires_grad="yes", raises=TypeError, names="requires_grad")
bad(tinygrad_cnn.zeros, 2, device="gpu", raises=ValueError, names="device")
bad(tinygrad_cnn.randn, 2, device=3, raises=TypeError, names="device")
bad(tinygrad_cnn.device, "tpu", raises=ValueError, names="device")
bad(tinygrad_cnn.device, 0, raises=TypeError, names="type")
bad(tinygrad_cnn.device, "cuda", -1, raises=ValueError, names="index")
bad(tinygrad_cnn.set_default_dtype, np.int64, raises=TypeError, names="d")
bad(tinygrad_cnn.set_default_dtype, "float32", raises=TypeError, names="d")
bad(tinygrad_cnn.compile, 3, raises=TypeError, names="model")
bad(Tensor.to, X(2, grad=True), "cuda", raises=tinygrad_cnn.DeviceError, names="cuda")
bad(Tensor.to, X(2, grad=True), "no-such-device", raises=ValueError, names="device")
bad(Tensor.cuda, X(2, grad=True), raises=tinygrad_cnn.DeviceError, names="cuda")
bad(Tensor.size, X(2, 3), 2, raises=ValueError, names="dim")
bad(Tensor.size, X(2, 3), "0", raises=TypeError, names="dim")
bad(Tensor.view_as, X(2, 3), np.zeros(6), raises=TypeError, names="other")
bad(Tensor.type_as, X(2, 3), np.zeros(6), raises=TypeError, names="other")
bad(Tensor.t, X(2, 3, 4), raises=ValueError, names="2 dimensions")
bad(Tensor.var, X(2, 3, grad=True), 2, raises=ValueError, names="axis")
bad(Tensor.var, X(2, 3, grad=True), correction=-1, raises=ValueError, names="correction")
bad(Tensor.var, X(2, 3, grad=True), unbiased=True, correction=1, raises=TypeError, names="correction")
bad(Tensor.var, X(2, 3, dtype=np.int64), raises=TypeError, names="floating-point")
bad(Tensor.std, X(2, 3, grad=True), keepdim="yes", raises=TypeError, names="keepdim")
bad(Tensor.norm, X(2, 3, grad=True), 0, raises=ValueError, names="p")
bad(Tensor.norm, X(2, 3, grad=True), "nuc", raises=ValueError, names="p")
bad(Tensor.all, X(2, 3), 5, raises=ValueError, names="axis")
bad(tg_functions.exp, [1.0], raises=TypeError, names="input")
bad(tg_functions.allclose, X(2), np.zeros(2), raises=TypeError, names="other")
bad(tg_functions.allclose, X(2), X(3), raises=ValueError, names="broadcast")
bad(tg_functions.equal, [1.0], X(2), raises=TypeError, names="input")
bad(nn.Module.to, mlp(), "cuda", raises=tinygrad_cnn.DeviceError, names="cuda")
bad(nn.Module.cuda, mlp(), raises=tinygrad_cnn.DeviceError, names="cuda")
bad(data.DataLoader, np.zeros((4, 1)), num_workers=-1, raises=ValueError, names="num_workers")
bad(data.DataLoader, np.zeros((4, 1)), num_workers=1.5, raises=TypeError, names="num_workers")
bad(data.DataLoader, np.zeros((4, 1)), pin_memory="yes", raises=TypeError, names="pin_memory")
bad(tinygrad_cnn.save, mlp(), _TMP / "module.npz", raises=TypeError, names="state_dict()")
# nn.init
bad(nn_init.calculate_gain, "swish", raises=ValueError, names="nonlinearity")
bad(nn_init.calculate_gain, "leaky_relu", "0.1", raises=ValueError, names="negative_slope")
bad(nn_init.kaiming_uniform_, X(3, grad=True), raises=ValueError, names="fewer than 2 dimensions")
bad(nn_init.kaiming_normal_, X(3, 2, grad=True), mode="fan", raises=ValueError, names="mode")
bad(nn_init.kaiming_normal_, X(3, 2, grad=True), nonlinearity="swish", raises=ValueError, names="nonlinearity")
bad(nn_init.xavier_uniform_, np.zeros((3, 2)), raises=TypeError, names="tensor")
bad(nn_init.xavier_normal_, X(3, 2, grad=True), gain="1", raises=TypeError, names="gain")
bad(nn_init.uniform_, X(3, 2, grad=True), 1.0, 0.0, raises=ValueError, names="a must be <= b")
bad(nn_init.normal_, X(3, 2, grad=True), std=-1.0, raises=ValueError, names="std")
bad(nn_init.constant_, X(3, 2, dtype=np.int64), 1.0, raises=TypeError, names="floating-point")
bad(nn_init.constant_, X(3, 2, grad=True), None, raises=TypeError, names="val")
# hooks
bad(nn.Module.register_forward_hook, linear(), 3, raises=TypeError, names="hook")
bad(nn.Module.register_forward_pre_hook, linear(), None, raises=TypeError, names="hook")
bad(nn.Module.register_full_backward_hook, linear(), "f", raises=TypeError, names="hook")
bad(nn.Module.register_forward_hook, linear(), print, prepend=1, raises=TypeError, names="prepend")
# layers
bad(F.layer_norm, X(2, 3, grad=True), (2,), raises=ValueError, names="normalized_shape")
bad(F.layer_norm, X(2, 3, grad=True), (3,), X(2), raises=ValueError, names="weight")
bad(F.layer_norm, X(2, 3, grad=True), (3,), eps=-1.0, raises=ValueError, names="eps")
bad(F.layer_norm, np.zeros((2, 3)), (3,), raises=TypeError, names="input")
bad(nn.LayerNorm, 0, raises=ValueError, names="normalized_shape")
bad(nn.LayerNorm, 3, elementwise_affine="yes", raises=TypeError, names="elementwise_affine")
bad(nn.LayerNorm, 3, dtype=np.int64, raises=TypeError, names="dtype")
bad(F.adaptive_avg_pool2d, X(1, 1, 4, 4, grad=True), 0, raises=ValueError, names="output_size")
bad(F.adaptive_avg_pool2d, X(1, 1, 4, 4, grad=True), (2, 2, 2), raises=ValueError, names="output_size")
bad(F.adaptive_avg_pool2d, X(4, 4, grad=True), 2, raises=ValueError, names="shape")
bad(nn.AdaptiveAvgPool2d, "2", raises=ValueError, names="output_size")
bad(F.dropout2d, X(2, 3, grad=True), raises=ValueError, names="shape")
bad(F.dropout2d, X(2, 3, 2, 2, grad=True), 1.5, raises=ValueError, names="p")
bad(F.dropout2d, X(2, 3, 2, 2, grad=True), training="yes", raises=TypeError, names="training")
bad(nn.Dropout2d, -0.5, raises=ValueError, names="p")
# optimizers and schedules
bad(optim.Adadelta, params(), rho=1.5, raises=ValueError, names="rho")
bad(optim.Adadelta, params(), lr=-1.0, raises=ValueError, names="lr")
bad(optim.Adadelta, params(), eps="1e-6", raises=TypeError, names="eps")
bad(optim.Adagrad, params(), lr_decay=-0.1, raises=ValueError, names="lr_decay")
bad(optim.Adagrad, params(), initial_accumulator_value=-1.0, raises=ValueError, names="initial_accumulator_value")
bad(optim.Adagrad, params(), eps=None, raises=TypeError, names="eps")
bad(sched.ReduceLROnPlateau, sgd(), mode="up", raises=ValueError, names="mode")
bad(sched.ReduceLROnPlateau, sgd(), factor=1.0, raises=ValueError, names="factor")
bad(sched.ReduceLROnPlateau, sgd(), threshold_mode="pct", raises=ValueError, names="threshold_mode")
bad(sched.ReduceLROnPlateau, sgd(), patience=-1, raises=ValueError, names="patience")
bad(sched.ReduceLROnPlateau, sgd(), min_lr=[0.1, 0.2], raises=ValueError, names="min_lrs")
bad(sched.ReduceLROnPlateau, "opt", raises=TypeError, names="optimizer")
bad(sched.ReduceLROnPlateau.step, sched.ReduceLROnPlateau(sgd()), "low", raises=TypeError, names="metrics")
bad(sched.OneCycleLR, sgd(), 1.0, raises=ValueError, names="total_steps")
bad(sched.OneCycleLR, sgd(), 1.0, total_steps=0, raises=ValueError, names="total_steps")
bad(sched.OneCycleLR, sgd(), 1.0, total_steps=10, pct_start=1.5, raises=ValueError, names="pct_start")
bad(sched.OneCycleLR, sgd(), 1.0, total_steps=10, anneal_strategy="exp", raises=ValueError, names="anneal_strategy")
bad(sched.OneCycleLR, sgd(), [1.0, 2.0], total_steps=10, raises=ValueError, names="max_lrs")
bad(sched.OneCycleLR, optim.Adagrad(params()), 1.0, total_steps=10, raises=ValueError, names="momentum")

# ---- everyday idioms beyond issue 20's list (ops/selection.py, ops/scan.py, ops/composites.py, creation, threads)
bad(Tensor.topk, X(2, 3, grad=True), 4, raises=ValueError, names="k")
bad(Tensor.topk, X(2, 3, grad=True), 1.5, raises=TypeError, names="k")
bad(Tensor.topk, X(2, 3, grad=True), 1, dim=2, raises=ValueError, names="dim")
bad(Tensor.topk, X(2, 3, grad=True), 1, largest="yes", raises=TypeError, names="largest")
bad(Tensor.sort, X(2, 3, grad=True), 2, raises=ValueError, names="dim")
bad(Tensor.sort, X(2, 3, grad=True), descending=1, raises=TypeError, names="descending")
bad(Tensor.argsort, X(2, 3, grad=True), dim=-3, raises=ValueError, names="dim")
bad(Tensor.gather, X(2, 3, grad=True), 1, np.array([[0.0]]), raises=TypeError, names="index")
bad(Tensor.gather, X(2, 3, grad=True), 1, np.array([0]), raises=ValueError, names="index")
bad(Tensor.gather, X(2, 3, grad=True), 1, np.array([[3]]), raises=ValueError, names="index")
bad(Tensor.gather, X(2, 3, grad=True), 0, np.zeros((1, 4), np.int64), raises=ValueError, names="index")
bad(Tensor.gather, X(2, 3, grad=True), 2, np.zeros((1, 1), np.int64), raises=ValueError, names="dim")
bad(Tensor.masked_fill, X(2, 3, grad=True), np.ones((2, 3)), 0.0, raises=TypeError, names="mask")
bad(Tensor.masked_fill, X(2, 3, grad=True), np.ones((3, 3), bool), 0.0, raises=ValueError, names="mask")
bad(Tensor.masked_fill, X(2, 3, grad=True), np.ones(3, bool), "0", raises=TypeError, names="value")
bad(Tensor.masked_fill, X(2, 3, grad=True), np.ones(3, bool), X(2), raises=ValueError, names="value")
bad(Tensor.flip, X(2, 3, grad=True), 2, raises=ValueError, names="dims")
bad(Tensor.flip, X(2, 3, grad=True), (0, -2), raises=ValueError, names="dims")
bad(Tensor.repeat, X(2, 3, grad=True), 2, raises=ValueError, names="sizes")
bad(Tensor.repeat, X(2, 3, grad=True), 2, -1, raises=ValueError, names="sizes")
bad(Tensor.split, X(2, 3, grad=True), 0, dim=1, raises=ValueError, names="split_size")
bad(Tensor.split, X(2, 3, grad=True), [1, 1], dim=1, raises=ValueError, names="split_size_or_sections")
bad(Tensor.split, X(2, 3, grad=True), "2", raises=TypeError, names="split_size_or_sections")
bad(Tensor.chunk, X(2, 3, grad=True), 0, raises=ValueError, names="chunks")
bad(Tensor.chunk, X(2, 3, grad=True), 2.0, raises=TypeError, names="chunks")
bad(Tensor.cumsum, X(2, 3, grad=True), 2, raises=ValueError, names="dim")
bad(Tensor.prod, X(2, 3, grad=True), 3, raises=ValueError, names="dim")
bad(Tensor.prod, X(2, 3, grad=True), (0, 1), raises=TypeError, names="dim")
bad(Tensor.logsumexp, X(2, 3, grad=True), 2, raises=ValueError, names="logsumexp")
bad(Tensor.logsumexp, X(2, 3, grad=True), 1, keepdim="no", raises=TypeError, names="keepdim")
bad(Tensor.mm, X(2, 3, grad=True), X(3), raises=ValueError, names="mat2")
bad(Tensor.mm, X(2, 3, grad=True), np.ones((3, 2)), raises=TypeError, names="mat2")
bad(Tensor.bmm, X(2, 3, grad=True), X(2, 3, 1), raises=ValueError, names="input")
bad(Tensor.bmm, X(2, 2, 3, grad=True), X(3, 3, 1), raises=ValueError, names="batch")
bad(tinygrad_cnn.gather, [1.0], 0, np.array([0]), raises=TypeError, names="input")
bad(tinygrad_cnn.eye, -1, raises=ValueError, names="size")
bad(tinygrad_cnn.eye, 2.5, raises=TypeError, names="size")
bad(tinygrad_cnn.linspace, 0, 1, 2.0, raises=TypeError, names="steps")
bad(tinygrad_cnn.linspace, 0, 1, -1, raises=ValueError, names="steps")
bad(tinygrad_cnn.linspace, "0", 1, 3, raises=TypeError, names="start")
bad(tinygrad_cnn.randint, 5, raises=TypeError, names="size")
bad(tinygrad_cnn.randint, 5, 5, (2,), raises=ValueError, names="high")
bad(tinygrad_cnn.randint, 0.5, 5, (2,), raises=TypeError, names="low")
bad(tinygrad_cnn.randint, 5, (-2,), raises=ValueError, names="size")
bad(tinygrad_cnn.randperm, -3, raises=ValueError, names="size")
bad(tinygrad_cnn.randperm, 3, seed=-1, raises=ValueError, names="seed")
bad(tinygrad_cnn.inference_mode, "yes", raises=TypeError, names="mode")
bad(tinygrad_cnn.set_num_threads, 0, raises=ValueError, names="num")
bad(tinygrad_cnn.set_num_threads, 2.0, raises=TypeError, names="num")

# ============================================================================================ CLI
cli("textbook", "--lr", "0", names="--lr")
cli("textbook", "--lr", "-0.5", names="--lr")
cli("textbook", "--lr", "nan", names="--lr")
cli("textbook", "--lr", "inf", names="--lr")
cli("textbook", "--lr", "fast", names="--lr")
cli("textbook", "--lr", names="--lr")
cli("textbook", "--steps", "-1", names="--steps")
cli("textbook", "--steps", "1.5", names="--steps")
cli("textbook", "--steps", "many", names="--steps")
cli("textbook", "--pool", "min", names="--pool")
cli("textbook", "--engine", "gpu", names="--engine")
cli("textbook", "--image", "-1", names="--image")
cli("textbook", "--image", "96", names="--image")
cli("textbook", "--image", "first", names="--image")
cli("textbook", "--json", "/", names="--json")
cli("textbook", "--plot", __file__, names="--plot")
cli("textbook", "--no-such-option", names="--no-such-option")
cli("gradcheck", "--examples", "0", names="--examples")
cli("gradcheck", "--examples", "-5", names="--examples")
cli("gradcheck", "--examples", "many", names="--examples")
cli("gradcheck", "--examples", "2.5", names="--examples")
cli("gradcheck", "--seed", "abc", names="--seed")
cli("gradcheck", "--seed", "-1", names="--seed")
cli("gradcheck", "--op", "no_such_op", names="--op")
cli("gradcheck", "--op", names="--op")
cli("gradcheck", "--list", "extra", names="extra")
cli("train", names="--dataset")
cli("train", "--dataset", "cifar10", names="--dataset")
cli("train", "--dataset", "digits", "--model", "resnet", names="--model")
cli("train", "--dataset", "digits", "--epochs", "-1", names="--epochs")
cli("train", "--dataset", "digits", "--epochs", "1.5", names="--epochs")
cli("train", "--dataset", "digits", "--epochs", "ten", names="--epochs")
cli("train", "--dataset", "digits", "--batch-size", "0", names="--batch-size")
cli("train", "--dataset", "digits", "--batch-size", "-32", names="--batch-size")
cli("train", "--dataset", "digits", "--lr", "0", names="--lr")
cli("train", "--dataset", "digits", "--lr", "-0.1", names="--lr")
cli("train", "--dataset", "digits", "--lr", "nan", names="--lr")
cli("train", "--dataset", "digits", "--lr", "inf", names="--lr")
cli("train", "--dataset", "digits", "--optimizer", "lbfgs", names="--optimizer")
cli("train", "--dataset", "digits", "--label-smoothing", "1", names="--label-smoothing")
cli("train", "--dataset", "digits", "--label-smoothing", "-0.1", names="--label-smoothing")
cli("train", "--dataset", "textbook", "--label-smoothing", "0.1", names="--label-smoothing")
cli("train", "--dataset", "digits", "--optimizer", "sgd", "--momentum", "1", names="--momentum")
cli("train", "--dataset", "digits", "--optimizer", "sgd", "--momentum", "-0.5", names="--momentum")
cli("train", "--dataset", "digits", "--optimizer", "adam", "--momentum", "0.5", names="--momentum")
cli("train", "--dataset", "digits", "--momentum", "0.5", names="--momentum")  # adam is the default
cli("train", "--dataset", "textbook", "--model", "small", "--momentum", "0.5", names="--momentum")
cli("train", "--dataset", "digits", "--data", str(EMPTY_DIR), names="--data")
cli("train", "--dataset", "textbook", "--data", str(EMPTY_DIR), names="--data")
cli("train", "--dataset", "digits", "--weight-decay", "-1", names="--weight-decay")
cli("train", "--dataset", "digits", "--weight-decay", "nan", names="--weight-decay")
cli("train", "--dataset", "digits", "--scheduler", "exponential", names="--scheduler")
cli("train", "--dataset", "digits", "--val-fraction", "1", names="--val-fraction")
cli("train", "--dataset", "digits", "--val-fraction", "-0.2", names="--val-fraction")
cli("train", "--dataset", "digits", "--seed", "-1", names="--seed")
cli("train", "--dataset", "digits", "--seed", "0.5", names="--seed")
cli("train", "--dataset", "digits", "--dtype", "float16", names="--dtype")
cli("train", "--dataset", "mnist", names="--data")
cli("train", "--dataset", "mnist", "--data", str(MISSING_DIR), names="--data")
cli("train", "--dataset", "mnist", "--data", str(EMPTY_DIR), names="--data")
cli("train", "--dataset", "textbook", "--save", str(MISSING_DIR / "run.npz"), names="--save")
cli("train", "--dataset", "textbook", "--save", str(EMPTY_DIR), names="--save")
cli("train", "--dataset", "textbook", "--json", str(EMPTY_DIR), names="--json")
cli("train", "--dataset", "textbook", "--plot", str(NOT_A_CHECKPOINT), names="--plot")
cli("train", "--resume", str(MISSING_DIR / "run.npz"), names="--resume")
cli("train", "--resume", str(NOT_A_CHECKPOINT), names="--resume")
cli("train", "--resume", str(NOT_A_CHECKPOINT), names="not a tinygrad_cnn checkpoint")
cli("train", "--resume", str(BOOK_CHECKPOINT), names="--resume")
cli("evaluate", names="--checkpoint")
cli("evaluate", "--checkpoint", str(MISSING_DIR / "run.npz"), names="--checkpoint")
cli("evaluate", "--checkpoint", str(NOT_A_CHECKPOINT), names="--checkpoint")
cli("evaluate", "--checkpoint", str(NOT_A_CHECKPOINT), names="not a tinygrad_cnn checkpoint")
cli("evaluate", "--checkpoint", str(BOOK_CHECKPOINT), "--dataset", "cifar10", names="--dataset")
cli("evaluate", "--checkpoint", str(BOOK_CHECKPOINT), "--split", "validation", names="--split")
cli("evaluate", "--checkpoint", str(BOOK_CHECKPOINT), "--split", "held-out", names="--split")
cli("evaluate", "--checkpoint", str(BOOK_CHECKPOINT), "--split", "test", names="--split")
cli("evaluate", "--checkpoint", str(BOOK_CHECKPOINT), "--dataset", "mnist", names="--data")
cli("evaluate", "--checkpoint", str(BOOK_CHECKPOINT), "--dataset", "mnist", "--data", str(EMPTY_DIR),
    names="--data")
cli("evaluate", "--checkpoint", str(BOOK_CHECKPOINT), "--json", str(EMPTY_DIR), names="--json")
cli("evaluate", "--checkpoint", str(BOOK_CHECKPOINT), "--data", str(EMPTY_DIR), names="--data")
cli("evaluate", "--checkpoint", str(BOOK_CHECKPOINT), "--dataset", "digits", "--split", "held-out", names="--split")
cli("evaluate", "--checkpoint", str(BOOK_CHECKPOINT), "--dataset", "digits", "--split", "train", names="--split")
cli("gradcheck", "--list", "--op", "mul", names="--op")
cli("gradcheck", "--list", "--examples", "3", names="--examples")
cli("textbook", "--image", "3", names="--plot")
cli("textbook", "--steps", "0", "--lr", "0.5", names="--lr")
cli("deltas", "--model", "resnet", names="--model")
cli("deltas", "--model", str(MISSING_DIR / "run.npz"), names="--model")
cli("deltas", "--model", str(NOT_A_CHECKPOINT), names="--model")
cli("deltas", "--dataset", "cifar10", names="--dataset")
cli("deltas", "--model", "small", "--dataset", "mnist", names="--data")
cli("deltas", "--model", "small", "--dataset", "mnist", "--data", str(EMPTY_DIR), names="--data")
cli("deltas", "--image", "96", names="--image")
cli("deltas", "--image", "-97", names="--image")
cli("deltas", "--image", "-1", names="--image")
cli("deltas", "--image", "0:-1", names="--image")
cli("deltas", "--image", "1,-2", names="--image")
cli("deltas", "--image", "first", names="--image")
cli("deltas", "--image", "3:3", names="--image")
cli("deltas", "--image", "1,x", names="--image")
cli("deltas", "--loss", "mse", names="--loss")
cli("deltas", "--params", "final", names="--params")
cli("deltas", "--fd-units", "-1", names="--fd-units")
cli("deltas", "--fd-units", "many", names="--fd-units")
cli("deltas", "--user-deltas", str(MISSING_DIR / "mine.npz"), names="--user-deltas")
cli("deltas", "--user-deltas", str(NOT_A_CHECKPOINT), names="--user-deltas")
cli("deltas", "--json", str(EMPTY_DIR), names="--json")
cli("deltas", "--plot", str(NOT_A_CHECKPOINT), names="--plot")
cli("no-such-command", names="no-such-command")
cli(names="COMMAND")

# ============================================================================================ accepted (numpy scalars)
accept(nn.Linear, np.int64(3), np.int32(2))
accept(nn.Conv2d, np.int64(1), 1, np.int64(3), stride=(np.int8(1), 1))
accept(nn.BatchNorm2d, np.int64(3), eps=np.float32(1e-5), momentum=np.float64(0.1))
accept(nn.Dropout, np.float32(0.25))
accept(nn.MaxPool2d, np.int64(2))
accept(nn.LPPool2d, np.float32(2.0), np.int64(2))
accept(optim.SGD, params(), lr=np.float32(0.1), momentum=np.float64(0.9), weight_decay=np.float16(0.0))
accept(optim.Adam, params(), lr=np.float32(1e-3), betas=(np.float32(0.9), np.float64(0.99)), eps=np.float32(1e-8))
accept(sched.StepLR, sgd(), np.int64(2), gamma=np.float32(0.5))
accept(Tensor.sum, X(2, 3), np.int64(1))
accept(Tensor.reshape, X(2, 3), np.int32(3), np.int64(2))
accept(F.max_pool2d, IMG(), np.int64(2), np.int32(1))
accept(F.dropout, X(2, 3), np.float32(0.5), seed=np.int64(0))
accept(F.cross_entropy, _LOGITS(), _LABELS(), label_smoothing=np.float32(0.1), ignore_index=np.int64(-1))
accept(tinygrad_cnn.manual_seed, np.int64(7))
accept(Value, np.float32(1.5))
accept(train, book_params(), images(), targets(), lr=np.float32(0.2), steps=np.int64(1))
accept(tg_gradcheck, square_sum, [X(3, grad=True)], eps=np.float64(1e-6), atol=np.float32(1e-5))


# ================================================================================================ the checks
def _canonical(obj: Any, depth: int = 0) -> Any:
    """A comparable copy of everything reachable in ``obj`` that a call could change (arrays bit for bit)."""
    if depth > 12:
        return "<deep>"
    d = depth + 1
    if isinstance(obj, np.ndarray):
        return ("array", obj.dtype.str, obj.shape, obj.tobytes())
    if isinstance(obj, Tensor):
        return ("tensor", _canonical(obj.data, d), _canonical(obj.grad, d), obj.requires_grad)
    if isinstance(obj, nn.Module):
        modes = [(name, m.training) for name, m in obj.named_modules()]
        entries = {name: _canonical(t, d) for name, t in obj.state_dict(keep_vars=True).items()}
        return ("module", modes, entries, sorted(obj.__dict__))
    if isinstance(obj, Optimizer):
        groups = [{k: _canonical(v, d) for k, v in g.items()} for g in obj.param_groups]
        state = [(_canonical(p, d), _canonical(s, d)) for p, s in obj.state.items()]
        return ("optimizer", groups, state)
    if isinstance(obj, LRScheduler):
        fields = {k: _canonical(v, d) for k, v in vars(obj).items() if k != "optimizer"}
        return ("scheduler", fields, _canonical(obj.optimizer, d))
    if isinstance(obj, np.random.Generator):
        return ("generator", repr(obj.bit_generator.state))
    if isinstance(obj, Value):
        return ("value", obj.data, obj.grad)
    if isinstance(obj, dict):
        return ("dict", [(repr(k), _canonical(v, d)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_canonical(v, d) for v in obj])
    if isinstance(obj, (int, float, str, bytes, bool, type(None), np.generic)):
        return ("scalar", repr(obj))
    return ("object", type(obj).__name__)


def _global_state() -> Any:
    return (repr(tg_random.default_generator().bit_generator.state), is_grad_enabled())


def _case_id(case: Case) -> str:
    name = getattr(case.fn, "__qualname__", None) or type(case.fn).__name__
    return f"L{case.line}-{name}"


def _params(cases: list[Case]) -> list[Any]:
    marks = {c.line: [pytest.mark.xfail(strict=True, reason=c.pending)] if c.pending else [] for c in cases}
    return [pytest.param(c, id=_case_id(c), marks=marks[c.line]) for c in cases]


@pytest.mark.parametrize("case", _params(CASES))
def test_bad_argument_raises_naming_it_and_changes_nothing(case: Case) -> None:
    before, global_before = _canonical((case.fn, case.args, case.kwargs)), _global_state()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a numpy warning on the way is a failure too
        with pytest.raises(Exception) as info:
            case.fn(*case.args, **case.kwargs)
    error = info.value
    assert type(error) is case.raises or (isinstance(error, case.raises) and not isinstance(
        error, (AssertionError, RuntimeWarning))), (
        f"expected {case.raises.__name__}, got {type(error).__name__}: {error}")
    if case.raises in (TypeError, ValueError):
        other = ValueError if case.raises is TypeError else TypeError
        assert not isinstance(error, other), f"{type(error).__name__} is both a TypeError and a ValueError: {error}"
        assert type(error).__module__.split(".")[0] != "numpy", f"a numpy error leaked out: {error!r}"
    assert case.names in str(error), f"the message does not name {case.names!r}: {error}"
    assert _canonical((case.fn, case.args, case.kwargs)) == before, "the failed call modified its inputs"
    assert _global_state() == global_before, "the failed call changed the global generator or the grad mode"


@pytest.mark.parametrize("case", _params(ACCEPTS))
def test_numpy_scalars_are_accepted(case: Case) -> None:
    case.fn(*case.args, **case.kwargs)


@pytest.fixture
def no_real_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands' work replaced by a failure, so a bad option that is accepted fails at once."""

    def ran(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the command ran past its argument checks")

    import tinygrad_cnn.cli.textbook as textbook_cli

    monkeypatch.setattr(textbook_cli, "compare", ran)
    monkeypatch.setattr(textbook_cli, "train", ran)
    import tinygrad_cnn.cli.evaluate as evaluate_cli
    import tinygrad_cnn.cli.train as train_cli

    monkeypatch.setattr(train_cli, "fit", ran)
    import tinygrad_cnn.cli.deltas as deltas_cli

    monkeypatch.setattr(deltas_cli.deltas, "compare", ran)
    monkeypatch.setattr(evaluate_cli, "evaluate", ran)
    try:
        from tinygrad_cnn.testing import checks
    except ImportError:  # pragma: no cover - Hypothesis is a test dependency
        return
    monkeypatch.setattr(checks, "run_check", ran)


@pytest.mark.parametrize("case", CLI_CASES, ids=[f"L{c.line}-{' '.join(c.argv)}" for c in CLI_CASES])
def test_bad_cli_option_exits_2_naming_it(case: CliCase, no_real_work: None, capsys: pytest.CaptureFixture) -> None:
    from tinygrad_cnn.cli import main

    try:
        status = main(case.argv)
    except SystemExit as exit:
        status = exit.code
    err = capsys.readouterr().err
    assert status == 2, f"exit status {status!r}, stderr: {err}"
    assert case.names in err, f"stderr does not name {case.names!r}: {err}"


def test_catalogue_size() -> None:
    """The catalogue is what the issue asks for: hundreds of rows, each a distinct call."""
    assert len(CASES) + len(CLI_CASES) >= 500, len(CASES) + len(CLI_CASES)

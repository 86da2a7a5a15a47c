"""The public functional namespace, ``import tinygrad_cnn.functional as F`` (PyTorch's ``torch.nn.functional``).

Every function takes and returns ``Tensor``s and records its backward like any other op.

>>> import numpy as np
>>> import tinygrad_cnn.functional as F
>>> from tinygrad_cnn import Tensor
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
>>> F.max_pool2d(x, 2).data.reshape(2, 2)
array([[ 5.,  7.],
       [13., 15.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops.activation import gelu, leaky_relu, where
from .ops.conv import conv2d
from .ops.matmul import matmul
from .ops.movement import cat, concatenate, flatten, pad, reshape, stack
from .ops.pool import avg_pool2d, lp_pool2d, max_pool2d
from .ops.reduce import log_softmax, softmax
from .tensor import Tensor

__all__ = [
    "avg_pool2d",
    "concatenate",
    "conv2d",
    "cross_entropy",
    "flatten",
    "linear",
    "log_softmax",
    "lp_pool2d",
    "matmul",
    "max_pool2d",
    "maximum",
    "minimum",
    "mse_loss",
    "nll_loss",
    "pad",
    "relu",
    "reshape",
    "sigmoid",
    "softmax",
    "stack",
    "tanh",
]
__all__ += ["cat", "clamp", "gelu", "leaky_relu", "where"]  # the ops helper's additions (issue 8)
__all__ += ["adaptive_avg_pool2d", "dropout2d", "layer_norm"]  # PyTorch users' layers (issue 20), imported below


# activations: relu, sigmoid, tanh here; leaky_relu, gelu (ops/activation.py), softmax, log_softmax
# (ops/reduce.py, ``dim=`` or ``axis=``) are imported above
def _tensor(x: Any, name: str, where: str) -> Tensor:
    """``x`` if it is a Tensor; a TypeError naming the argument otherwise (not an AttributeError from inside)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{where}: {name} must be a Tensor, got {type(x).__name__}")
    return x


def relu(x: Tensor) -> Tensor:
    """max(x, 0) elementwise; relu'(0) = 0."""
    return _tensor(x, "input", "relu").relu()


def sigmoid(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^−x), the book's activation a(z)."""
    return _tensor(x, "input", "sigmoid").sigmoid()


def tanh(x: Tensor) -> Tensor:
    return _tensor(x, "input", "tanh").tanh()


def maximum(a: Tensor, b: Any) -> Tensor:
    """Elementwise maximum with broadcasting; a tie splits the gradient evenly."""
    return a.maximum(b)


def minimum(a: Tensor, b: Any) -> Tensor:
    """Elementwise minimum with broadcasting; a tie splits the gradient evenly."""
    return a.minimum(b)


def clamp(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """``min ≤ x ≤ max`` elementwise (``Tensor.clip``); the gradient is 1 on the closed interval, 0 outside."""
    return x.clamp(min, max)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weightᵀ + bias``: x ``(..., in)``, weight ``(out, in)``, bias ``(out,)`` -> ``(..., out)``."""
    _tensor(x, "input", "linear")
    _tensor(weight, "weight", "linear")
    if bias is not None:
        _tensor(bias, "bias", "linear")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input's last axis must equal weight.shape[1] (in_features = {weight.shape[1]}), "
                         f"got input of shape {x.shape}")
    if bias is not None and bias.shape != weight.shape[:1]:
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},) (out_features), got {bias.shape}")
    out = x @ weight.T
    return out + bias if bias is not None else out


# ====================================================================================================
# Losses, dropout and batch normalization (PyTorch's ``torch.nn.functional`` names and arguments).
# ====================================================================================================
from ._checks import check_float as _check_float  # noqa: E402
from ._checks import check_int as _check_int  # noqa: E402
from .function import Context as _Context  # noqa: E402
from .function import Function as _Function  # noqa: E402
from .ops.activation import softplus as _softplus  # noqa: E402
from .ops.adaptive_pool import adaptive_avg_pool2d  # noqa: E402
from .ops.namespace import namespace as _namespace  # noqa: E402
from .ops.normalization import batch_norm, dropout, dropout2d, layer_norm  # noqa: E402
from .ops.numerics import quiet as _quiet  # noqa: E402

__all__ += [
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "dropout",
    "squared_error",
]

_REDUCTIONS = ("mean", "sum", "none")




def _reduce(loss: Tensor, reduction: str, name: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_reduction(reduction: Any, name: str) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


def _float_input(input: Any, name: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    return input if input.dtype.kind == "f" else input.astype(np.float64)


def _target_like(target: Any, input: Tensor) -> Tensor:
    """A target as a Tensor: Tensors as they are, other data in the input's float dtype."""
    if isinstance(target, Tensor):
        return target if target.dtype.kind == "f" else target.astype(np.float64)
    array = np.asarray(target)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"target must hold numbers, got {type(target).__name__}")
    return Tensor(array.astype(input.dtype if array.dtype.kind != "f" or isinstance(target, (list, float, int))
                               else array.dtype))


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error ``(input − target)²``, averaged (default), summed or kept per element.

    The book's cost, eq. (4), over a data set is ``0.5 * mse_loss(a_O, t, reduction="sum")``.
    The shapes must match (PyTorch broadcasts with a warning; here it is an error). Integer inputs give a
    float loss.

    >>> mse_loss(Tensor([1.0, 3.0]), [0.0, 1.0])            # ((1 − 0)² + (3 − 1)²)/2
    Tensor(2.5)
    """
    _check_reduction(reduction, "mse_loss")
    input = _float_input(input, "mse_loss")
    target = _target_like(target, input)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input has shape {input.shape} but target has shape {target.shape}")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def squared_error(output: Tensor, target: Any) -> Tensor:
    """The book's cost C = ½ Σ (t − a)², summed over the outputs and the batch (eq. (4) of the book).

    >>> squared_error(Tensor([[0.5, 1.0]]), [[1.0, 0.0]])    # ½ (0.25 + 1)
    Tensor(0.625)
    """
    return mse_loss(output, target, reduction="sum") * 0.5


def _class_axis_last(input: Tensor, name: str, what: str) -> tuple[Tensor, tuple[int, ...]]:
    """(N, C) or (N, C, d1, …) as (M, C) with the class axis last; also the per-element shape (N, d1, …)."""
    if input.ndim < 2:
        raise ValueError(
            f"{name}: input must be {what} of shape (N, C) or (N, C, d1, ...), got a {input.ndim}-D tensor of shape "
            f"{input.shape}. For a single sample use input[None] and a target of shape (1,); if you passed the "
            "labels first, the order is (input, target)"
        )
    if input.ndim == 2:
        return input, (input.shape[0],)
    element_shape = (input.shape[0],) + input.shape[2:]
    moved = input.permute(0, *range(2, input.ndim), 1)  # (N, d1, ..., C)
    return moved.reshape(-1, input.shape[1]), element_shape


def _weight_array(weight: Any, classes: int, dtype: np.dtype, name: str) -> np.ndarray | None:
    if weight is None:
        return None
    array = _numbers(weight, "weight", name, dtype)
    if array.shape != (classes,):
        raise ValueError(f"{name}: weight must have shape ({classes},) (one per class), got {array.shape}")
    return array


def _numbers(value: Any, what: str, name: str, dtype: Any) -> np.ndarray:
    """``value`` (a Tensor, an array, a number or a list) as an array of ``dtype``; TypeError naming ``what`` if not."""
    try:
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.kind not in "fiub":
            raise TypeError
        return array.astype(dtype, copy=False)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: {what} must be a Tensor, an array or a number, got {type(value).__name__} "
                        f"{value!r:.40}") from None


def _check_not_swapped(input: Any, target: Any, name: str) -> None:
    """Integer scores with a float target are the labels and the scores in the wrong order."""
    if isinstance(input, Tensor) and isinstance(target, Tensor) and input.dtype.kind != "f" == target.dtype.kind:
        raise TypeError(f"{name}: input must be float scores (N, C) and target the class indices; got integer "
                        "input and float target: are input and target swapped?")


def _indices(target: Any, input: Tensor, element_shape: tuple[int, ...], ignore_index: int, name: str) -> np.ndarray:
    """Integer class targets of shape (N, d1, …), checked, flattened to (M,)."""
    indices = np.asarray(target.data if isinstance(target, Tensor) else target)
    if indices.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: target must hold integer class indices of shape {element_shape} (or, for cross_entropy, "
            f"class probabilities of shape {input.shape}); got dtype {indices.dtype} and shape {indices.shape}"
        )
    if indices.shape != element_shape:
        raise ValueError(f"{name}: expected input {input.shape} and target {element_shape}, got target of shape "
                         f"{indices.shape}")
    flat = indices.reshape(-1)
    valid = flat[flat != ignore_index]
    classes = input.shape[1]
    if valid.size and (valid.min() < 0 or valid.max() >= classes):
        raise ValueError(f"{name}: target classes must be in [0, {classes}) (or ignore_index={ignore_index}), got "
                         f"values {valid.min()}..{valid.max()}")
    return flat


def _nll(log_probs: Tensor, target: Any, weight: Any, ignore_index: int, reduction: str, label_smoothing: float,
         name: str) -> Tensor:
    """Negative log-likelihood of class indices under log-probabilities (N, C, d1, …), with label smoothing."""
    flat, element_shape = _class_axis_last(log_probs, name, "log-probabilities" if name == "nll_loss" else "logits")
    indices = _indices(target, log_probs, element_shape, ignore_index, name)
    classes = log_probs.shape[1]
    w = _weight_array(weight, classes, log_probs.dtype, name)
    valid = indices != ignore_index  # (M,)
    safe = np.where(valid, indices, 0)
    picked_weight = (w[safe] if w is not None else np.ones(len(safe), dtype=log_probs.dtype)) * valid  # (M,)
    picked = flat[np.arange(len(safe)), safe]  # (M,) log p of each target class
    losses = None if reduction == "mean" else -picked * Tensor(picked_weight.astype(log_probs.dtype))  # (M,)
    smooth = None
    if label_smoothing > 0:
        per_class = flat if w is None else flat * Tensor(w)
        smooth = -per_class.sum(axis=1) * Tensor(valid.astype(log_probs.dtype))  # (M,) Σ_c w_c (−log p_c)
    if reduction == "none":
        out = losses if smooth is None else losses * (1 - label_smoothing) + smooth * (label_smoothing / classes)
        return out.reshape(element_shape)
    if reduction == "sum":
        total, smooth_total = losses.sum(), None if smooth is None else smooth.sum()
    else:  # mean: Σ_i w_i ℓ_i / Σ_i w_i over the counted targets, PyTorch's rule also when none is counted:
        # each counted row is scaled by 1/Σw, an ignored one by 0 (not 0/0), so a batch whose every target is
        # ignored has loss nan (0/0, as PyTorch) but gradient 0 (not nan: one step would make every weight nan)
        weight_sum = np.float64(picked_weight.sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            row = np.where(valid, picked_weight / weight_sum, 0.0)  # (M,) w_i / Σw
            per_counted = np.where(valid, np.float64(1.0) / weight_sum, 0.0)  # (M,) 1 / Σw
        total = (-picked * Tensor(row.astype(log_probs.dtype))).sum()
        smooth_total = None if smooth is None else (smooth * Tensor(per_counted.astype(log_probs.dtype))).sum()
        if weight_sum == 0:
            total = total + float("nan")  # the value 0/0; a constant, so the gradient stays PyTorch's
    if smooth_total is None:
        return total
    return total * (1 - label_smoothing) + smooth_total * (label_smoothing / classes)


def nll_loss(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer classes ``target`` (N,) or (N, d1, …) under log-probabilities
    ``input`` (N, C) or (N, C, d1, …), as ``torch.nn.functional.nll_loss``.

    ``weight`` (C,) weighs each class; targets equal to ``ignore_index`` count for nothing; ``mean`` divides by
    the summed weights of the counted targets.
    """
    _check_reduction(reduction, "nll_loss")
    _check_not_swapped(input, target, "nll_loss")
    input = _float_input(input, "nll_loss")
    ignore_index = _check_int(ignore_index, "ignore_index", "nll_loss")
    return _nll(input, target, weight, ignore_index, reduction, 0.0, "nll_loss")


def cross_entropy(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """``nll_loss(log_softmax(input, dim=1))`` for logits (N, C) or (N, C, d1, …), as PyTorch's.

    ``target`` is integer class indices (N,)/(N, d1, …), or class probabilities of the input's shape (a float
    target). ``label_smoothing`` ε mixes the target with the uniform distribution: (1 − ε)·target + ε/C.

    >>> logits = Tensor([[2.0, 0.0], [0.0, 2.0]])
    >>> round(cross_entropy(logits, [0, 1]).item(), 6)            # −log(e²/(e² + 1))
    0.126928
    >>> round(cross_entropy(logits, Tensor([[1.0, 0.0], [0.0, 1.0]])).item(), 6)   # the same as probabilities
    0.126928
    """
    _check_reduction(reduction, "cross_entropy")
    if (isinstance(input, Tensor) and input.dtype.kind != "f"
            and isinstance(target, Tensor) and target.dtype.kind == "f"):
        raise TypeError("cross_entropy: input must be float logits (N, C) and target the class indices; got integer "
                        "input and float target: are input and target swapped?")
    input = _float_input(input, "cross_entropy")
    ignore_index = _check_int(ignore_index, "ignore_index", "cross_entropy")
    label_smoothing = _check_float(label_smoothing, "label_smoothing", "cross_entropy", minimum=0.0, maximum=1.0)
    target_array = target.data if isinstance(target, Tensor) else np.asarray(target)
    if input.ndim >= 2 and target_array.dtype.kind == "f" and target_array.shape == input.shape:
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing)
    if input.ndim < 2:
        _class_axis_last(input, "cross_entropy", "logits")
    return _nll(log_softmax(input, 1), target, weight, ignore_index, reduction, label_smoothing, "cross_entropy")


def _soft_cross_entropy(input: Tensor, target: Any, weight: Any, reduction: str, label_smoothing: float) -> Tensor:
    """−Σ_c w_c t_c log softmax(x)_c per element, for probability targets (PyTorch: mean divides by N·d1⋯)."""
    classes = input.shape[1]
    t = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=input.dtype))
    if label_smoothing > 0:
        t = t * (1 - label_smoothing) + label_smoothing / classes
    w = _weight_array(weight, classes, input.dtype, "cross_entropy")
    terms = log_softmax(input, 1) * t  # (N, C, ...)
    if w is not None:
        terms = terms * Tensor(w.reshape((1, classes) + (1,) * (input.ndim - 2)))
    losses = -terms.sum(axis=1)  # (N, d1, ...)
    return _reduce(losses, reduction, "cross_entropy")


class BCEWithLogits(_Function):
    """−[p·t·log σ(x) + (1 − t)·log(1 − σ(x))] elementwise, from the logits x without forming σ(x).

    log σ(x) = −softplus(−x) and log(1 − σ(x)) = −softplus(x), with softplus(z) = log(1 + e^z) computed by
    ``np.logaddexp`` (no overflow). Derivatives: ∂/∂x = σ(x)(p·t + 1 − t) − p·t, ∂/∂t = p·softplus(−x) − softplus(x).
    The rule runs on arrays and on Tensors (``ops/namespace.py``): under ``create_graph`` the softplus terms
    are recomputed from x as Tensor ops (``ops/activation.py``), so the loss is differentiable to any order.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: _Context, x: np.ndarray, t: np.ndarray, pos_weight: np.ndarray) -> np.ndarray:
        sp_neg, sp_pos = np.logaddexp(0, -x), np.logaddexp(0, x)  # softplus(−x), softplus(x)
        ctx.save_for_backward(x, t)
        ctx.pos_weight, ctx.sp_neg, ctx.sp_pos = pos_weight, sp_neg, sp_pos
        return pos_weight * t * sp_neg + (1 - t) * sp_pos

    @staticmethod
    def backward(ctx: _Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None, None]:
        x, t = ctx.saved_tensors
        p = ctx.pos_weight
        sp_neg, sp_pos = (ctx.sp_neg, ctx.sp_pos) if not isinstance(x, Tensor) else (_softplus(-x), _softplus(x))
        grad_x = grad_t = None
        if ctx.needs_input_grad[0]:
            sigmoid_x = _namespace(sp_neg).exp(-sp_neg)  # σ(x) = e^{−softplus(−x)}, in (0, 1]
            grad_x = grad * (sigmoid_x * (p * t + 1 - t) - p * t)
        if ctx.needs_input_grad[1]:
            grad_t = grad * (p * sp_neg - sp_pos)
        return grad_x, grad_t, None


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy of ``target`` ∈ [0, 1] under σ(``input``), stable for large logits, as PyTorch's.

    ``weight`` scales each element's loss (broadcast); ``pos_weight`` (broadcast along the last axis) weighs the
    positive term.

    >>> round(binary_cross_entropy_with_logits(Tensor([0.0]), [1.0]).item(), 6)    # −log σ(0) = log 2
    0.693147
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    input = _float_input(input, "binary_cross_entropy_with_logits")
    target = _target_like(target, input)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target must have the input's shape {input.shape}, got "
                         f"{target.shape}")
    name = "binary_cross_entropy_with_logits"
    pw = np.ones((), dtype=input.dtype) if pos_weight is None else _numbers(pos_weight, "pos_weight", name, input.dtype)
    weight = _element_weight(weight, input, name)
    try:
        np.broadcast_shapes(pw.shape, input.shape)
    except ValueError:
        raise ValueError(f"binary_cross_entropy_with_logits: pos_weight of shape {pw.shape} does not broadcast to "
                         f"the input's shape {input.shape}") from None
    losses = BCEWithLogits.apply(input, target, pw)
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction, "binary_cross_entropy_with_logits")


def _element_weight(weight: Any, input: Tensor, name: str) -> Tensor | None:
    """A per-element loss weight as a Tensor that broadcasts to the input's shape (ValueError naming it if not)."""
    if weight is None:
        return None
    weight = weight if isinstance(weight, Tensor) else Tensor(_numbers(weight, "weight", name, input.dtype))
    try:
        if np.broadcast_shapes(weight.shape, input.shape) != input.shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"{name}: weight of shape {weight.shape} does not broadcast to the input's shape "
                         f"{input.shape}") from None
    return weight


_BCE_EPS = float(np.float32(1e-12))  # PyTorch's floor of p(1 − p) in the gradient (a float32 constant there)
_LOG_FLOOR = -100.0  # PyTorch's floor of log p and log(1 − p): the loss stays finite at p = 0 or 1


class BCE(_Function):
    """−[t·log p + (1 − t)·log(1 − p)] elementwise for probabilities p ∈ [0, 1], each log floored at −100.

    ∂/∂p = (p − t)/(p(1 − p)), with p(1 − p) floored at 1e-12 (as PyTorch, so p = 0 or 1 gives a large finite
    gradient), and ∂/∂t = log(1 − p) − log p of the floored logs, the derivative of the loss computed (PyTorch
    gives ±inf there at p = 0 or 1, a deliberate difference). The rule runs on arrays and on Tensors
    (``ops/namespace.py``), so the loss is differentiable to any order.
    """

    differentiable_backward = True

    @staticmethod
    @_quiet
    def forward(ctx: _Context, p: np.ndarray, t: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(p, t)
        log_p, log_q = np.maximum(np.log(p), _LOG_FLOOR), np.maximum(np.log1p(-p), _LOG_FLOOR)
        return -(t * log_p + (1 - t) * log_q)

    @staticmethod
    @_quiet
    def backward(ctx: _Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        p, t = ctx.saved_tensors
        xp = _namespace(grad)
        grad_p = grad_t = None
        if ctx.needs_input_grad[0]:
            grad_p = grad * (p - t) / (p * (1 - p)).clip(_BCE_EPS, None)
        if ctx.needs_input_grad[1]:
            grad_t = grad * (xp.log(1 - p).clip(_LOG_FLOOR, None) - xp.log(p).clip(_LOG_FLOOR, None))
        return grad_p, grad_t


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of ``target`` under probabilities ``input`` ∈ [0, 1], as PyTorch's (each log floored
    at −100); ``weight`` scales each element's loss (broadcast). For logits use
    :func:`binary_cross_entropy_with_logits`, which is stable where σ saturates.

    >>> round(binary_cross_entropy(Tensor([0.5, 0.9]), [1.0, 1.0], reduction="sum").item(), 6)   # log 2 − log 0.9
    0.798508
    """
    name = "binary_cross_entropy"
    _check_reduction(reduction, name)
    input = _float_input(input, name)
    target = _target_like(target, input)
    if target.shape != input.shape:
        raise ValueError(f"{name}: target must have the input's shape {input.shape}, got {target.shape}")
    if input.numel() and not (np.all(input.data >= 0) and np.all(input.data <= 1)):
        raise ValueError(f"{name}: input must hold probabilities in [0, 1], got values from {input.data.min()} to "
                         f"{input.data.max()} (for logits use binary_cross_entropy_with_logits)")
    weight = _element_weight(weight, input, name)
    losses = BCE.apply(input, target)
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction, name)

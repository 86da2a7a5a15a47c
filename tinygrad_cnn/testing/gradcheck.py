"""Finite-difference gradient checking: is an op's hand-written backward the derivative of its forward?

``gradcheck`` builds the full Jacobian ∂out/∂input twice, once from ``backward`` (one one-hot output
gradient per row) and once by central differences ``(f(x + ε) − f(x − ε)) / 2ε`` in float64, and
compares them elementwise: ``|analytical − numerical| ≤ atol + rtol·|numerical|``.

>>> from tinygrad_cnn import Tensor
>>> x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
>>> bool(gradcheck(lambda t: (t * t).sum(), [x]))
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import check_bool, check_float, check_int
from ..grad_mode import no_grad
from ..tensor import Tensor
from .finite_differences import differences

Fn = Callable[..., Tensor]


class GradcheckError(RuntimeError):
    """The analytical and numerical gradients of a function disagree beyond the tolerance."""


@dataclass
class GradcheckReport:
    """What ``gradcheck`` found. Truthy when the check passed.

    ``max_abs_error`` and ``max_rel_error`` are the worst differences over all checked inputs
    (relative error is ``|a − n| / max(|n|, atol)``).
    """

    passed: bool
    max_abs_error: float
    max_rel_error: float
    message: str = ""

    def __bool__(self) -> bool:
        return self.passed


def _check_fn(fn: Any, where: str) -> None:
    if not callable(fn):
        raise TypeError(f"{where}: fn must be a callable returning a Tensor, got {type(fn).__name__}")


def _check_eps(eps: Any, where: str) -> float:
    return check_float(eps, "eps", where, minimum=0.0, open_minimum=True)


def _checked_inputs(inputs: Sequence[Any]) -> list[int]:
    """Positions of the inputs to differentiate: float64 Tensors that require grad."""
    if isinstance(inputs, Tensor) or not isinstance(inputs, (list, tuple)):
        raise TypeError(f"gradcheck: inputs must be a list or tuple of Tensors, got {type(inputs).__name__}")
    positions = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not positions:
        raise ValueError("gradcheck: no input requires grad; create them with requires_grad=True")
    for i in positions:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; finite differences need float64 "
                "(use .astype(np.float64))"
            )
    return positions


def _evaluate(fn: Fn, inputs: Sequence[Any]) -> np.ndarray:
    with no_grad():
        out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: the function must return a Tensor, got {type(out).__name__}")
    return np.array(out.data, dtype=np.float64)


def numerical_jacobian(fn: Fn, inputs: Sequence[Any], eps: float = 1e-6) -> list[np.ndarray | None]:
    """∂out/∂input by central differences, as a matrix ``(out.size, input.size)`` per input requiring grad.

    Each input is perturbed on a private copy of its data, so the caller's arrays are never touched.
    """
    _check_fn(fn, "numerical_jacobian")
    eps = _check_eps(eps, "numerical_jacobian")
    positions = _checked_inputs(inputs)
    jacobians: list[np.ndarray | None] = [None] * len(inputs)
    out_size = _evaluate(fn, inputs).size
    for i in positions:
        tensor = inputs[i]
        original = tensor.data
        tensor.data = work = original.copy()  # perturbed in place by differences()
        try:
            d = differences(lambda: _evaluate(fn, inputs), work, eps)
        finally:
            tensor.data = original
        jacobians[i] = d.central.reshape(work.size, out_size).T
    return jacobians


def numerical_grad(
    fn: Fn, inputs: Sequence[Any], eps: float = 1e-6, grad_output: Any = None
) -> list[np.ndarray | None]:
    """Central-difference gradient of ``sum(fn(*inputs) * grad_output)`` for each input requiring grad.

    ``grad_output`` defaults to ones, so for a scalar function this is its gradient. Entries are
    None for inputs that do not require grad.

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> np.round(numerical_grad(lambda t: (t ** 3).sum(), [x])[0], 6)
    array([ 3., 12.])
    """
    _check_fn(fn, "numerical_grad")
    eps = _check_eps(eps, "numerical_grad")
    _checked_inputs(inputs)
    out = _evaluate(fn, inputs)
    try:
        weights = np.ones(out.size) if grad_output is None else np.asarray(grad_output, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"numerical_grad: grad_output must be an array of numbers, got {grad_output!r:.40}") from None
    if weights.size != out.size:
        raise ValueError(f"numerical_grad: grad_output has {weights.size} elements, the output has {out.size}")
    grads: list[np.ndarray | None] = []
    for tensor, jacobian in zip(inputs, numerical_jacobian(fn, inputs, eps)):
        grads.append(None if jacobian is None else (weights @ jacobian).reshape(tensor.shape))
    return grads


def analytical_jacobian(fn: Fn, inputs: Sequence[Any]) -> list[np.ndarray | None]:
    """∂out/∂input from ``backward``, one one-hot output gradient per row. Leaves ``.grad`` as it found it."""
    _check_fn(fn, "analytical_jacobian")
    positions = _checked_inputs(inputs)
    saved_grads = {i: inputs[i].grad for i in positions}
    try:
        out = fn(*inputs)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: the function must return a Tensor, got {type(out).__name__}")
        jacobians: list[np.ndarray | None] = [None] * len(inputs)
        for i in positions:
            jacobians[i] = np.zeros((out.numel(), inputs[i].numel()))
        if not out.requires_grad:  # the output does not depend on any input: the Jacobian is zero
            return jacobians
        for row in range(out.numel()):
            one_hot = np.zeros(out.numel(), dtype=out.dtype)
            one_hot[row] = 1
            for i in positions:
                inputs[i].grad = None
            out.backward(one_hot.reshape(out.shape), retain_graph=True)
            for i in positions:
                if inputs[i].grad is not None:
                    jacobians[i][row] = inputs[i].grad.reshape(-1)
        return jacobians
    finally:
        for i in positions:
            inputs[i].grad = saved_grads[i]


def gradcheck(
    fn: Fn,
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    fast_mode: bool = False,
    seed: int | None = None,
) -> GradcheckReport:
    """Compare ``backward``'s gradients of ``fn(*inputs)`` with central finite differences.

    Parameters
    ----------
    fn : callable returning a Tensor
    inputs : list/tuple of Tensors (float64 where ``requires_grad``) and other arguments passed through
    eps : finite-difference step
    atol, rtol : the check is ``|analytical − numerical| ≤ atol + rtol·|numerical|`` elementwise
    raise_exception : raise ``GradcheckError`` on failure (else return a falsy report)
    fast_mode : compare one random projection ``uᵀJv`` per input instead of the full Jacobian
        (two function evaluations per input instead of two per element: for large inputs)
    seed : seed of the random projection in fast mode

    Returns a ``GradcheckReport``, truthy when the check passed. On failure the error names the
    input, the worst element's index, and the analytical and numerical values.
    """
    _check_fn(fn, "gradcheck")
    eps = _check_eps(eps, "gradcheck")
    atol = check_float(atol, "atol", "gradcheck", minimum=0.0)
    rtol = check_float(rtol, "rtol", "gradcheck", minimum=0.0)
    raise_exception = check_bool(raise_exception, "raise_exception", "gradcheck")
    fast_mode = check_bool(fast_mode, "fast_mode", "gradcheck")
    if seed is not None:
        seed = check_int(seed, "seed", "gradcheck", minimum=0)
    if fast_mode:
        results = _fast_comparisons(fn, inputs, eps, np.random.default_rng(seed))
    else:
        analytical = analytical_jacobian(fn, inputs)
        numerical = numerical_jacobian(fn, inputs, eps)
        results = [(i, a, n) for i, (a, n) in enumerate(zip(analytical, numerical)) if a is not None]
    worst_abs = worst_rel = 0.0
    failure = ""
    for i, a, n in results:
        error = np.abs(a - n)
        rel = error / np.maximum(np.abs(n), atol)
        if error.size:
            worst_abs = max(worst_abs, float(np.nanmax(error)) if not np.isnan(error).all() else np.inf)
            worst_rel = max(worst_rel, float(np.nanmax(rel)) if not np.isnan(rel).all() else np.inf)
        bad = ~(error <= atol + rtol * np.abs(n))  # NaN counts as a failure
        if bad.any() and not failure:
            failure = _describe_failure(i, inputs[i], a, n, error, bad, fast_mode)
    report = GradcheckReport(not failure, worst_abs, worst_rel, failure)
    if failure and raise_exception:
        raise GradcheckError(failure)
    return report


def _fast_comparisons(fn: Fn, inputs: Sequence[Any], eps: float, rng: np.random.Generator) -> list[tuple]:
    """uᵀJv from backward (grad_output u, dotted with v) and from one directional central difference."""
    positions = _checked_inputs(inputs)
    out = _evaluate(fn, inputs)
    u = rng.standard_normal(out.shape)
    results = []
    analytical = _vector_jacobian(fn, inputs, positions, u)
    for i in positions:
        tensor = inputs[i]
        v = rng.standard_normal(tensor.shape)
        original, step = tensor.data, np.zeros(1)

        def along_v(tensor: Tensor = tensor, original: Any = original, step: Any = step, v: Any = v) -> np.ndarray:
            tensor.data = original + step[0] * v  # x + s v, with s = ∓ε set by differences()
            return _evaluate(fn, inputs)

        try:
            (numerical,) = differences(lambda: np.sum(u * along_v()), step, eps).central
        finally:
            tensor.data = original
        results.append((i, np.array([np.sum(analytical[i] * v)]), np.array([numerical])))
    return results


def _vector_jacobian(fn: Fn, inputs: Sequence[Any], positions: list[int], u: np.ndarray) -> dict[int, np.ndarray]:
    saved = {i: inputs[i].grad for i in positions}
    try:
        for i in positions:
            inputs[i].grad = None
        out = fn(*inputs)
        if out.requires_grad:
            out.backward(u.astype(out.dtype))
        return {i: (np.zeros(inputs[i].shape) if inputs[i].grad is None else inputs[i].grad) for i in positions}
    finally:
        for i in positions:
            inputs[i].grad = saved[i]


def _describe_failure(
    position: int, tensor: Tensor, a: np.ndarray, n: np.ndarray, error: np.ndarray, bad: np.ndarray, fast: bool
) -> str:
    if fast:
        return (
            f"gradcheck (fast mode): input {position} (shape {tensor.shape}): the projection uᵀJv differs: "
            f"analytical {a.item():.10g}, numerical {n.item():.10g}"
        )
    masked = np.where(bad, np.nan_to_num(error, nan=np.inf), -1.0)
    row, col = np.unravel_index(int(np.argmax(masked)), error.shape)
    in_index = np.unravel_index(col, tensor.shape) if tensor.shape else ()
    return (
        f"gradcheck: input {position} (shape {tensor.shape}): Jacobian mismatch at output element {row} "
        f"(flat), input element {tuple(int(k) for k in in_index)}: analytical {a[row, col]:.10g}, "
        f"numerical {n[row, col]:.10g} (|difference| {error[row, col]:.3g}); "
        f"{int(bad.sum())} of {bad.size} entries differ"
    )

"""Second-order gradient checking: is the gradient of an op's gradient the derivative of that gradient?

``gradgradcheck(fn, inputs)`` fixes an output gradient ``v`` (random, seeded, or ``grad_outputs``) and runs
``gradcheck`` on the function ``inputs ↦ vᵀ ∂fn/∂inputs``, computed by ``autograd.grad(..., create_graph=True)``:
its analytical Jacobian is the engine's double backward, its numerical one the central finite differences of
the first-order gradient (``testing/finite_differences.py``). As PyTorch's ``gradgradcheck``.

>>> from tinygrad_cnn import Tensor
>>> x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
>>> bool(gradgradcheck(lambda t: (t * t * t).sum(), [x]))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._checks import check_int
from ..autograd import grad as _autograd_grad
from ..grad_mode import enable_grad
from ..tensor import Tensor
from .gradcheck import Fn, GradcheckReport, _check_fn, _checked_inputs, gradcheck


def first_order_gradient(fn: Fn, inputs: Sequence[Any], grad_outputs: np.ndarray) -> Fn:
    """``inputs ↦ vᵀ ∂fn/∂inputs``, the differentiable inputs' gradients flattened into one Tensor."""
    positions = _checked_inputs(inputs)

    def gradient(*args: Any) -> Tensor:
        args = list(args)
        for i in positions:  # finite differences evaluate perturbed copies without a graph: make them leaves
            if not args[i].requires_grad:
                args[i] = Tensor(args[i].data, requires_grad=True)
        with enable_grad():
            return _flat_gradient(fn, args, positions, grad_outputs)

    return gradient


def _flat_gradient(fn: Fn, args: list[Any], positions: list[int], grad_outputs: np.ndarray) -> Tensor:
    out = fn(*args)
    chosen = [args[i] for i in positions]
    grads = _autograd_grad(out, chosen, grad_outputs=Tensor._make(grad_outputs, None), create_graph=True,
                           allow_unused=True)
    # an input the output does not depend on (None) has gradient 0 at every order: nothing to check. A
    # gradient that is a constant of the graph stays in: if it should depend on the inputs, the finite
    # differences of it say so (a silent zero second derivative is what this check exists to catch)
    parts = [g.reshape(-1) for g in grads if g is not None]
    from ..ops.movement import concatenate

    flat = concatenate(parts, axis=0) if parts else Tensor._make(np.zeros(1), None)
    if not flat.requires_grad:  # gradcheck differentiates the result: give it a (zero) path to the inputs
        flat = flat + args[positions[0]].sum() * 0
    return flat

def gradgradcheck(
    fn: Fn,
    inputs: Sequence[Any],
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int | None = 0,
) -> GradcheckReport:
    """Compare the engine's second derivatives of ``fn(*inputs)`` with finite differences of its gradient.

    ``grad_outputs``: the output gradient ``v`` (an array or Tensor of the output's shape); by default a
    standard normal draw from ``seed``. The other arguments are ``gradcheck``'s. Raises ``GradcheckError``
    (or returns a falsy report) naming the input and element where they disagree; differentiating through a
    Function whose backward is plain numpy raises its own RuntimeError naming it.
    """
    _check_fn(fn, "gradgradcheck")
    if seed is not None:
        seed = check_int(seed, "seed", "gradgradcheck", minimum=0)
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradgradcheck: fn must return a Tensor, got {type(out).__name__}")
    if grad_outputs is None:
        v = np.random.default_rng(seed).standard_normal(out.shape)
    else:
        v = np.array(grad_outputs._data if isinstance(grad_outputs, Tensor) else grad_outputs, dtype=np.float64)
        if v.shape != out.shape:
            raise ValueError(f"gradgradcheck: grad_outputs has shape {v.shape}, expected the output's {out.shape}")
    v = np.asarray(v, dtype=out.dtype)
    return gradcheck(first_order_gradient(fn, inputs, v), inputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)

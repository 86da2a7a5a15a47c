"""``torch.autograd.functional``'s six functions: Jacobians, Hessians and their products with vectors.

Each takes a function ``func`` and its ``inputs`` (a Tensor, or a tuple of Tensors passed to ``func`` as
separate arguments) and differentiates ``func`` at ``inputs`` with :func:`tinygrad_cnn.autograd.grad`:

======================  ==========================================  ===========================================
function                returns                                     computed as
======================  ==========================================  ===========================================
``vjp(func, x, v)``     ``(func(x), vᵀ J)``                          one backward pass seeded with v
``jvp(func, x, v)``     ``(func(x), J v)``                           the double-vjp trick: uᵀJ is linear in u,
                                                                    so J v = ∂(uᵀJ v)/∂u (two backward passes)
``jacobian(func, x)``   ``J``, shape ``out.shape + in.shape``        one backward pass per output element
``hessian(func, x)``    ``H``, shape ``in.shape + in.shape``         the Jacobian of the gradient
``vhp(func, x, v)``     ``(func(x), vᵀ H)``                          backward through the gradient, seeded with v
``hvp(func, x, v)``     ``(func(x), H v)``                           the double-vjp trick on the gradient
======================  ==========================================  ===========================================

The structure of what comes back is PyTorch's: a Tensor where the caller gave one Tensor, a tuple where
the caller gave a tuple (and, for ``jacobian`` with several outputs and several inputs, a tuple over the
outputs of tuples over the inputs: ``J[i][j]`` is ∂output_i/∂input_j). The inputs are differentiated as
fresh leaves: the caller's tensors get no ``.grad`` and their graph is not touched, unless
``create_graph=True``, which keeps the results (and the returned ``func(x)``) in the graph, connected to
inputs that require grad, so that they can be differentiated again. An input the output does not depend on
gets a gradient of zeros, or a RuntimeError with ``strict=True``. ``vectorize`` is accepted and ignored:
in PyTorch it only changes how fast the Jacobian is computed, never its value.

Differences from PyTorch: bad arguments (a v of the wrong shape, a ``func`` that returns a list, a
``hessian`` function with more than one output element) raise ValueError/TypeError naming the argument,
where PyTorch raises RuntimeError; ``strategy="forward-mode"`` is refused (there is no forward mode here).

>>> from tinygrad_cnn import Tensor
>>> from tinygrad_cnn.autograd.functional import hessian, jacobian
>>> x = Tensor([1.0, 2.0])
>>> jacobian(lambda x: x ** 2, x)                        # diag(2x)
Tensor([[2., 0.],
        [0., 4.]])
>>> hessian(lambda x: (x ** 3).sum(), x)                 # diag(6x)
Tensor([[ 6.,  0.],
        [ 0., 12.]])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..grad_mode import enable_grad
from ..ops.movement import stack
from ..tensor import Tensor
from .functions import grad as autograd_grad

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

Tensors = Tensor | tuple[Tensor, ...]
STRATEGIES = ("reverse-mode", "forward-mode")


# ---------------------------------------------------------------------------------------------- the six
def vjp(func: Callable[..., Any], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), vᵀ J)``: the vector-Jacobian product, one backward pass seeded with ``v``.

    ``v`` has the shape of ``func``'s output (a tuple for a tuple of outputs); it may be omitted when the
    output is a single one-element Tensor.

    >>> from tinygrad_cnn import Tensor
    >>> out, g = vjp(lambda x: x.exp().sum(), Tensor([0.0, 1.0]))
    >>> g                                                  # the gradient eˣ
    Tensor([1.        , 2.71828183])
    """
    _check_call("vjp", func, create_graph, strict)
    with enable_grad():
        inputs_tuple, xs = _prepare_inputs(inputs, "vjp", create_graph)
        outputs_tuple, outs = _outputs(func(*xs), "vjp")
        _require_grad(outs, "outputs", strict)
        vs = _vectors(v, outs, outputs_tuple, "vjp", "func's output", create_graph)
        grads = _grad(outs, xs, vs, create_graph)
        result = _zeros_for_none(grads, xs, strict, create_graph, "back")
    return _unpack(_finish(outs, create_graph), outputs_tuple), _unpack(_finish(result, create_graph), inputs_tuple)


def jvp(func: Callable[..., Any], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-vjp trick.

    There is no forward mode here. Instead: for a dummy ``u`` of the output's shape, the backward pass gives
    ``g(u) = uᵀ J``, which is linear in u; differentiating ``g(u) · v`` with respect to u gives ``J v``.
    ``v`` has the shape of ``inputs``; it may be omitted for a single one-element input.

    >>> from tinygrad_cnn import Tensor
    >>> out, t = jvp(lambda x: x * x, Tensor([1.0, 3.0]), Tensor([1.0, 1.0]))
    >>> t                                                  # 2x · v
    Tensor([2., 6.])
    """
    _check_call("jvp", func, create_graph, strict)
    with enable_grad():
        inputs_tuple, xs = _prepare_inputs(inputs, "jvp", create_graph)
        vs = _vectors(v, xs, inputs_tuple, "jvp", "inputs", create_graph)
        outputs_tuple, outs = _outputs(func(*xs), "jvp")
        _require_grad(outs, "outputs", strict)
        us = tuple(Tensor(np.zeros_like(out.data), requires_grad=True) for out in outs)  # the dummy u
        u_jacobian = _grad(outs, xs, us, create_graph=True)  # uᵀ J, one per input
        _require_grad(u_jacobian, "grad_inputs", strict)
        grads = _grad(u_jacobian, us, vs, create_graph)  # ∂(uᵀ J v)/∂u = J v
        result = _zeros_for_none(grads, outs, strict, create_graph, "back_trick")
    return _unpack(_finish(outs, create_graph), outputs_tuple), _unpack(_finish(result, create_graph), outputs_tuple)


def jacobian(func: Callable[..., Any], inputs: Tensors, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: ``J[i][j]`` of shape ``outputs[i].shape + inputs[j].shape``.

    A single Tensor output and a single Tensor input give one Tensor; a tuple on either side gives a tuple
    over it (outputs outermost). One backward pass per output element.

    >>> from tinygrad_cnn import Tensor
    >>> a = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> jacobian(lambda x: a @ x, Tensor([0.5, -1.0]))     # a linear map's Jacobian is its matrix
    Tensor([[1., 2.],
            [3., 4.],
            [5., 6.]])
    >>> [j.shape for j in jacobian(lambda x, y: x * y, (Tensor([1.0, 2.0]), Tensor(3.0)))]
    [(2, 2), (2,)]
    """
    _check_call("jacobian", func, create_graph, strict)
    _check_strategy(strategy, "strategy", "jacobian")
    _check_flag(vectorize, "vectorize", "jacobian")
    with enable_grad():
        inputs_tuple, xs = _prepare_inputs(inputs, "jacobian", create_graph)
        outputs_tuple, outs = _outputs(func(*xs), "jacobian")
        _require_grad(outs, "outputs", strict)
        blocks = tuple(_jacobian_rows(index, out, xs, create_graph, strict) for index, out in enumerate(outs))
    blocks = tuple(_finish(row, create_graph) for row in blocks)
    return _unpack(tuple(_unpack(row, inputs_tuple) for row in blocks), outputs_tuple)


def hessian(func: Callable[..., Any], inputs: Tensors, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar ``func`` at ``inputs``: ``H[i][j] = ∂²func/∂inputs_i ∂inputs_j``, of shape
    ``inputs[i].shape + inputs[j].shape`` (one Tensor for one input, a tuple of tuples for a tuple).

    Computed as the Jacobian of the gradient (the gradient is recorded with ``create_graph=True``).

    >>> from tinygrad_cnn import Tensor
    >>> a = Tensor([[2.0, 1.0], [0.0, 3.0]])
    >>> hessian(lambda x: x @ a @ x, Tensor([1.0, -1.0]))  # xᵀAx has Hessian A + Aᵀ
    Tensor([[4., 1.],
            [1., 6.]])
    """
    _check_call("hessian", func, create_graph, strict)
    _check_strategy(outer_jacobian_strategy, "outer_jacobian_strategy", "hessian")
    _check_flag(vectorize, "vectorize", "hessian")
    inputs_tuple, xs = _as_tuple(inputs, "inputs", "hessian")

    def scalar(*args: Tensor) -> Tensor:
        return _scalar_output(func(*args), "hessian", strict)

    def gradient(*args: Tensor) -> tuple[Tensor, ...]:
        g = jacobian(scalar, args, create_graph=True)  # args is a tuple: g is one gradient per input
        _require_grad(g, "jacobian", strict)
        return g

    blocks = jacobian(gradient, xs, create_graph=create_graph, strict=strict)
    return _unpack(tuple(_unpack(row, inputs_tuple) for row in blocks), inputs_tuple)


def vhp(func: Callable[..., Any], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), vᵀ H)`` for a scalar ``func``: the backward pass through the gradient, seeded with ``v``.

    >>> from tinygrad_cnn import Tensor
    >>> out, p = vhp(lambda x: (x ** 3).sum(), Tensor([1.0, 2.0]), Tensor([1.0, 1.0]))
    >>> p                                                  # diag(6x) v
    Tensor([ 6., 12.])
    """
    _check_call("vhp", func, create_graph, strict)
    with enable_grad():
        inputs_tuple, xs = _prepare_inputs(inputs, "vhp", create_graph)
        vs = _vectors(v, xs, inputs_tuple, "vhp", "inputs", create_graph)
        out = _scalar_output(func(*xs), "vhp", strict)
        gradient = _grad((out,), xs, None, create_graph=True)
        _require_grad(gradient, "jacobian", strict)
        grads = _grad(gradient, xs, vs, create_graph)
        result = _zeros_for_none(grads, xs, strict, create_graph, "double_back")
    return _finish((out,), create_graph)[0], _unpack(_finish(result, create_graph), inputs_tuple)


def hvp(func: Callable[..., Any], inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), H v)`` for a scalar ``func``, by the double-vjp trick on the gradient (as PyTorch
    does): ``uᵀ H`` is the backward pass of the gradient seeded with a dummy u, and ``H v = ∂(uᵀ H v)/∂u``.
    For a twice continuously differentiable ``func``, H is symmetric and ``hvp`` equals ``vhp``.

    >>> from tinygrad_cnn import Tensor
    >>> a = Tensor([[2.0, 1.0], [0.0, 3.0]])
    >>> out, p = hvp(lambda x: x @ a @ x, Tensor([1.0, -1.0]), Tensor([1.0, 0.0]))
    >>> p                                                  # (A + Aᵀ) v
    Tensor([4., 1.])
    """
    _check_call("hvp", func, create_graph, strict)
    with enable_grad():
        inputs_tuple, xs = _prepare_inputs(inputs, "hvp", create_graph)
        vs = _vectors(v, xs, inputs_tuple, "hvp", "inputs", create_graph)
        out = _scalar_output(func(*xs), "hvp", strict)
        gradient = _grad((out,), xs, None, create_graph=True)
        _require_grad(gradient, "jacobian", strict)
        us = tuple(Tensor(np.zeros_like(x.data), requires_grad=True) for x in xs)  # the dummy u
        u_hessian = _grad(gradient, xs, us, create_graph=True)  # uᵀ H
        _require_grad(u_hessian, "hessian", strict)
        grads = _grad(u_hessian, us, vs, create_graph)  # ∂(uᵀ H v)/∂u = H v
        result = _zeros_for_none(grads, xs, strict, create_graph, "double_back_trick")
    return _finish((out,), create_graph)[0], _unpack(_finish(result, create_graph), inputs_tuple)


# ---------------------------------------------------------------------------------------------- helpers
def _jacobian_rows(index: int, out: Tensor, xs: tuple[Tensor, ...], create_graph: bool,
                   strict: bool) -> tuple[Tensor, ...]:
    """∂out/∂x for every input x, each of shape out.shape + x.shape: one backward pass per element of out,
    seeded with the one-hot e_j."""
    rows: list[list[Any]] = [[] for _ in xs]
    for j in range(out.data.size):
        seed = np.zeros(out.shape, dtype=out.dtype)
        seed.flat[j] = 1.0  # e_j: this pass gives row j, ∂out_j/∂x
        grads = _grad((out,), xs, (seed,), create_graph, retain_graph=True)
        for k, (g, x) in enumerate(zip(grads, xs)):
            if g is None:
                if strict:
                    raise RuntimeError(f"jacobian: output {index} of func is independent of input {k}; "
                                       "strict=True does not allow that")
                g = Tensor(np.zeros_like(x.data))
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(f"jacobian: the Jacobian of output {index} of func is independent of the "
                                   f"inputs (input {k}); strict=True does not allow that with create_graph=True")
            rows[k].append(g)
    blocks = []
    for x, row in zip(xs, rows):
        shape = out.shape + x.shape
        if not row:  # an empty output
            blocks.append(Tensor(np.zeros(shape, dtype=x.dtype)))
        elif create_graph:
            blocks.append(stack(row, axis=0).reshape(shape))
        else:
            blocks.append(Tensor(np.stack([g.data for g in row]).reshape(shape)))
    return tuple(blocks)


def _grad(outputs: tuple[Tensor | None, ...], inputs: tuple[Tensor, ...], seeds: Any, create_graph: bool,
          retain_graph: bool | None = None) -> tuple[Tensor | None, ...]:
    """autograd.grad over the outputs that require grad (None for an input none of them reaches)."""
    seeds = (None,) * len(outputs) if seeds is None else seeds
    pairs = [(out, seed) for out, seed in zip(outputs, seeds) if out is not None and out.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return autograd_grad([out for out, _ in pairs], list(inputs), [seed for _, seed in pairs],
                         retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


_ZERO_MESSAGES = {
    "back": "func's output is independent of input {i}",
    "back_trick": "the gradient with respect to the inputs is independent of entry {i} of the dummy u of the "
                  "double-vjp trick (func's output {i} does not depend on the inputs)",
    "double_back": "the gradient of func is independent of input {i} (func is linear in it)",
    "double_back_trick": "the Hessian of func is independent of entry {i} of the dummy u of the double-vjp trick",
}


def _zeros_for_none(grads: tuple[Tensor | None, ...], refs: tuple[Tensor, ...], strict: bool, create_graph: bool,
                    stage: str) -> tuple[Tensor, ...]:
    """Zeros (of the reference's shape) for the gradients that are None; in strict mode an error instead."""
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(f"{_ZERO_MESSAGES[stage].format(i=i)}; strict=True does not allow that")
            g = Tensor(np.zeros_like(ref.data))
        elif strict and create_graph and not g.requires_grad:
            what = "Hessian" if stage.startswith("double") else "Jacobian"
            raise RuntimeError(f"the {what} of func is independent of input {i}; strict=True does not allow that "
                               "with create_graph=True")
        out.append(g)
    return tuple(out)


_REQUIRE_MESSAGES = {
    "outputs": "output {i} of func does not require grad: with strict=True, func's outputs must be computed "
               "differentiably from its inputs",
    "grad_inputs": "the gradient with respect to input {i} is independent of the inputs of func (strict=True)",
    "jacobian": "the gradient of func with respect to input {i} is independent of the inputs: func is not twice "
                "differentiable there, or is linear in it (strict=True)",
    "hessian": "the Hessian of func with respect to input {i} is independent of the inputs: func must be thrice "
               "differentiable for strict=True here",
}


def _require_grad(tensors: tuple[Tensor | None, ...], kind: str, strict: bool) -> None:
    """strict=True: every tensor exists and requires grad (else RuntimeError saying which and why)."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"func's output is independent of input {i}; strict=True does not allow that")
        if not t.requires_grad:
            raise RuntimeError(_REQUIRE_MESSAGES[kind].format(i=i))


def _check_call(fn: str, func: Any, create_graph: Any, strict: Any) -> None:
    if not callable(func):
        raise TypeError(f"{fn}: func must be a callable taking the inputs as arguments, got {type(func).__name__}")
    _check_flag(create_graph, "create_graph", fn)
    _check_flag(strict, "strict", fn)


def _check_flag(value: Any, name: str, fn: str) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fn}: {name} must be True or False, got {value!r}")


def _check_strategy(value: Any, name: str, fn: str) -> None:
    if value not in STRATEGIES:
        raise ValueError(f"{fn}: {name} must be 'reverse-mode' or 'forward-mode', got {value!r}")
    if value == "forward-mode":
        raise NotImplementedError(
            f"{fn}: {name}='forward-mode' needs forward-mode differentiation, which tinygrad_cnn does not have; "
            f"{name}='reverse-mode' (the default) computes the same values"
        )


def _as_tuple(value: Any, name: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether a tuple was given, the Tensors as a tuple). As in PyTorch, only a tuple counts as several."""
    given_tuple = isinstance(value, tuple)
    items = value if given_tuple else (value,)
    if given_tuple and not items:
        raise ValueError(f"{fn}: {name} must be a Tensor or a non-empty tuple of Tensors, got ()")
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"{name}[{i}]" if given_tuple else name
            raise TypeError(f"{fn}: {where} must be a Tensor ({name} is a Tensor or a tuple of Tensors), "
                            f"got {type(item).__name__}")
    return given_tuple, items


def _prepare_inputs(inputs: Any, fn: str, create_graph: bool) -> tuple[bool, tuple[Tensor, ...]]:
    """The inputs as fresh leaves that require grad; under create_graph an input that requires grad is kept
    connected to the caller's graph (through an identity view), so the results can be differentiated in it."""
    given_tuple, xs = _as_tuple(inputs, "inputs", fn)
    for i, x in enumerate(xs):
        if x.dtype.kind != "f":
            where = f"inputs[{i}]" if given_tuple else "inputs"
            raise TypeError(f"{fn}: {where} must be a floating-point Tensor to be differentiated, got dtype {x.dtype}")
    return given_tuple, tuple(
        x.view_as(x) if create_graph and x.requires_grad else x.detach().requires_grad_(True) for x in xs
    )


def _outputs(value: Any, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    given_tuple = isinstance(value, tuple)
    items = value if given_tuple else (value,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"its output[{i}]" if given_tuple else "it"
            raise TypeError(f"{fn}: func must return a Tensor or a tuple of Tensors; {where} returned "
                            f"{type(item).__name__}")
    return given_tuple, items


def _scalar_output(value: Any, fn: str, strict: bool) -> Tensor:
    """func's single one-element output (hessian, vhp, hvp), as a 0-d Tensor for hessian's gradient."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}: func must return a single Tensor with one element, it returned "
                        f"{type(value).__name__}")
    if value.data.size != 1:
        raise ValueError(f"{fn}: func must return a single Tensor with one element, it returned one of shape "
                         f"{value.shape}")
    _require_grad((value,), "outputs", strict)
    return value.reshape(()) if fn == "hessian" else value


def _vectors(v: Any, like: tuple[Tensor, ...], like_tuple: bool, fn: str, what: str,
             create_graph: bool) -> tuple[Tensor, ...] | None:
    """``v`` checked against the tensors it multiplies: one per tensor, same shapes. None only for one
    one-element tensor (then v = 1)."""
    if v is None:
        if len(like) != 1 or like[0].data.size != 1:
            raise ValueError(f"{fn}: v can be omitted only when {what} is a single Tensor with one element; "
                             f"give v of shape{'s' if len(like) > 1 else ''} {', '.join(str(t.shape) for t in like)}")
        return None
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(like):
        raise ValueError(f"{fn}: v must hold one Tensor per tensor of {what} ({len(like)}), got {len(vs)}")
    for i, (vector, ref) in enumerate(zip(vs, like)):
        if vector.shape != ref.shape:
            where = f"v[{i}]" if like_tuple else "v"
            raise ValueError(f"{fn}: {where} has shape {vector.shape}, expected {ref.shape} (the shape of {what}"
                             f"{f'[{i}]' if like_tuple else ''})")
    return tuple(vector if create_graph and vector.requires_grad else vector.detach() for vector in vs)


def _finish(tensors: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """Without create_graph the results leave no graph behind (detached), as in PyTorch."""
    return tensors if create_graph else tuple(t.detach() for t in tensors)


def _unpack(values: tuple[Any, ...], given_tuple: bool) -> Any:
    return values if given_tuple else values[0]

"""The book's network with the tensor engine: a convolution, a pooling layer and a linear layer (one ``Sequential``).

The same eqs. (1)-(4) of ``tinygrad_cnn/textbook/MATH.md`` as :mod:`formulas`, but on :class:`~tinygrad_cnn.Tensor`
and differentiated by the engine: the unit errors δ = ∂C/∂z (eq. (7)) are read with ``retain_grad()`` on
the pre-activations z^O and z^F, and the parameter gradients are the leaves' ``.grad``.

The network is defined once, as the layers of :func:`sequential` (``deltas.textbook_model`` and
``models.textbook`` return it); :func:`forward` calls those layers with the parameter Tensors as weights.
Pooling: max = ``nn.MaxPool2d(2)`` (δ to the first maximum of each block, as in MATH.md, "Ties in max pooling"),
avg = ``nn.AvgPool2d(2)``, L2 = ``nn.LPPool2d(2, 2)`` (sqrt of the block's sum of squares).

>>> from tinygrad_cnn.textbook import initial_parameters, load_data
>>> images, targets = load_data()
>>> result = backprop(initial_parameters(), images, targets)
>>> result.delta_F.shape, result.gradients["output_weights"].shape
((96, 3, 4, 4), (3, 3, 2, 2))
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import nn
from ..tensor import Tensor
from . import formulas
from .formulas import Backprop

__all__ = ["backprop", "bias_hessian", "cost", "cost_tensor", "forward", "predict", "sequential", "to_tensors"]


def to_tensors(params: Mapping[str, np.ndarray], requires_grad: bool = True) -> dict[str, Tensor]:
    """Fresh float64 leaf Tensors (copies) for every parameter, shapes checked as in :mod:`formulas`.

    >>> from tinygrad_cnn.textbook import initial_parameters
    >>> p = to_tensors(initial_parameters())
    >>> p["filter_weights"].shape, p["filter_weights"].requires_grad
    ((3, 3, 3), True)
    """
    arrays = formulas.unpack_parameters(params)
    return {
        key: Tensor(array.copy(), requires_grad=requires_grad) for key, array in zip(formulas.PARAMETER_SHAPES, arrays)
    }


def _forward(p: Mapping[str, Tensor], x: np.ndarray, pool: str) -> dict[str, Tensor]:
    """Every z and a of eq. (1)-(3) for a checked batch x (M, 6, 6), as Tensors: the layers of
    :func:`sequential` (the one definition of the book's network) called one by one, with the Tensors of ``p``
    as their weights (so gradients reach them)."""
    m = len(x)
    conv, sigmoid_F, pooling, flatten, linear, sigmoid_O = sequential(pool=pool).children()
    conv.weight, conv.bias = p["filter_weights"].reshape(3, 1, 3, 3), p["filter_biases"]  # (C_out, C_in = 1, 3, 3)
    linear.weight, linear.bias = p["output_weights"].reshape(3, 12), p["output_biases"]  # row n in (k, i, j) order
    z_F = conv(Tensor(x.reshape(m, 1, 6, 6)))  # eq. (1): (M, 3, 4, 4), cross-correlation, no padding
    a_F = sigmoid_F(z_F)  # (M, 3, 4, 4)
    z_P = pooling(a_F)  # eq. (2): (M, 3, 2, 2); max: δ to the first maximum; avg: (1/|B|) Σ_B; l2: sqrt(Σ_B a²)
    a_P = z_P  # eq. (22): the pooling layer's activation is the identity
    z_O = linear(flatten(a_P))  # eq. (3): (M, 12) @ (12, 3) + b^O -> (M, 3)
    a_O = sigmoid_O(z_O)  # (M, 3)
    return {"z_F": z_F, "a_F": a_F, "z_P": z_P, "a_P": a_P, "z_O": z_O, "a_O": a_O}


def cost_tensor(a_O: Tensor, targets: np.ndarray) -> Tensor:
    """C_T = Σ_m C_m with eq. (4): C = ½ Σ_n (t_n − a^O_n)², as a 0-d Tensor to call ``backward`` on.

    ``a_O`` (M, 3) is the output of :func:`forward`; ``targets`` one-hot (M, 3).

    >>> from tinygrad_cnn.textbook import initial_parameters, load_data
    >>> images, targets = load_data()
    >>> c_T = cost_tensor(forward(initial_parameters(), images)["a_O"], targets)
    >>> c_T.shape, round(c_T.item(), 6)
    ((), 12.544462)
    """
    if not isinstance(a_O, Tensor) or a_O.ndim != 2 or a_O.shape[1] != formulas.N_OUTPUTS:
        raise ValueError(f"a_O must be a Tensor of shape (M, 3); got {type(a_O).__name__} {getattr(a_O, 'shape', '')}")
    t = formulas.as_targets(targets, a_O.shape[0], single=False)  # (M, 3)
    return 0.5 * ((Tensor(t) - a_O) ** 2).sum()


def forward(params: Mapping[str, np.ndarray | Tensor], images: np.ndarray, pool: str = "max") -> dict[str, Tensor]:
    """Every z and a of eq. (1)-(3) for a batch (M, 6, 6), as Tensors (see :func:`formulas.forward`).

    ``params`` may hold arrays (constant Tensors are made) or Tensors (used as they are, so gradients
    reach them).

    >>> from tinygrad_cnn.textbook import initial_parameters, load_data
    >>> forward(initial_parameters(), load_data()[0])["z_P"].shape
    (96, 3, 2, 2)
    """
    inputs = formulas.check_inputs(_arrays_of(params), images, pool=pool)
    return _forward(_as_tensor_params(params, inputs.params), inputs.x, inputs.pool)


def _arrays_of(params: object) -> object:
    """``params`` with every Tensor replaced by its array, so that formulas' checks see plain arrays."""
    if not isinstance(params, Mapping):
        return params
    return {key: value.data if isinstance(value, Tensor) else value for key, value in params.items()}


def _as_tensor_params(params: Mapping[str, np.ndarray | Tensor], arrays: Mapping[str, np.ndarray]) -> dict[str, Tensor]:
    """The Tensors of ``params`` where all four are Tensors (so gradients reach them), else constant Tensors.

    ``arrays`` are the checked float64 parameter arrays of ``params``.
    """
    if all(isinstance(params[key], Tensor) for key in formulas.PARAMETER_SHAPES):
        return {key: params[key] for key in formulas.PARAMETER_SHAPES}
    return {key: Tensor(array.copy()) for key, array in arrays.items()}


def backprop(
    params: Mapping[str, np.ndarray | Tensor], images: np.ndarray, targets: np.ndarray, pool: str = "max"
) -> Backprop:
    """C_T, the outputs, the unit errors δ (``retain_grad`` on z^O and z^F) and ∂C_T/∂θ, by the tensor engine.

    The parameters are copied into fresh leaf Tensors (Tensors given in ``params`` are read, not changed).

    >>> from tinygrad_cnn.textbook import initial_parameters, load_data, formulas
    >>> images, targets = load_data()
    >>> result = backprop(initial_parameters(), images, targets, pool="avg")
    >>> bool(np.allclose(result.delta_F, formulas.deltas(initial_parameters(), images, targets, "avg")["delta_F"]))
    True
    """
    inputs = formulas.check_inputs(_arrays_of(params), images, targets, pool)
    p = to_tensors(inputs.params)  # fresh leaves (copies)
    units = _forward(p, inputs.x, inputs.pool)
    units["z_O"].retain_grad()  # eq. (7): δ^O = ∂C/∂z^O
    units["z_F"].retain_grad()  # eq. (7): δ^F = ∂C/∂z^F
    c_T = cost_tensor(units["a_O"], inputs.t)
    c_T.backward()
    gradients = {key: tensor.grad.copy() for key, tensor in p.items()}
    return Backprop(float(c_T.item()), units["a_O"].data.copy(), units["z_O"].grad, units["z_F"].grad, gradients)


def cost(
    params: Mapping[str, np.ndarray | Tensor], images: np.ndarray, targets: np.ndarray, pool: str = "max"
) -> float:
    """C_T = Σ_m C_m by the tensor engine (no backward).

    >>> from tinygrad_cnn.textbook import initial_parameters, load_data, formulas
    >>> images, targets = load_data()
    >>> params = initial_parameters()
    >>> bool(np.isclose(cost(params, images, targets), formulas.cost(params, images, targets)))
    True
    """
    inputs = formulas.check_inputs(_arrays_of(params), images, targets, pool)
    units = _forward(_as_tensor_params(params, inputs.params), inputs.x, inputs.pool)
    return float(cost_tensor(units["a_O"], inputs.t).item())


def predict(params: Mapping[str, np.ndarray | Tensor], images: np.ndarray, pool: str = "max") -> np.ndarray:
    """The predicted digits argmax_n a^O_n + 1 (in 1..3) of a batch (M, 6, 6), int64 (M,).

    >>> from tinygrad_cnn.textbook import optimized_parameters, load_data, labels
    >>> bool((predict(optimized_parameters(), load_data()[0]) == labels()).all())
    True
    """
    a_O = forward(params, images, pool)["a_O"].data  # (M, 3)
    return (a_O.argmax(axis=-1) + 1).astype(np.int64)


def sequential(
    params: Mapping[str, np.ndarray] | None = None, pool: str = "max", dtype: object = np.float64
) -> nn.Sequential:
    """The book's network as an ``nn.Sequential``, the one build that ``deltas.textbook_model`` and
    ``models.textbook`` return: conv 3 filters 3x3 on the 6x6 image (eq. (1)), σ, 2x2 pooling (eq. (2)), flatten,
    the 12 pooled units fully connected to 3 outputs (eq. (3)), σ. ``params``: the book's parameter dict
    (``textbook.initial_parameters()`` by default); ``pool``: "max", "avg" or "l2".

    Layer names: "0" conv (δ^F at z^F), "1" σ, "2" pooling, "3" flatten, "4" linear (δ^O at z^O), "5" σ. The output
    weights w^O_n[k, i, j] become the ``Linear`` weight row n, flattened in (k, i, j) order, ``Flatten``'s order.

    >>> from tinygrad_cnn.textbook import initial_parameters
    >>> model = sequential(pool="avg")
    >>> [type(layer).__name__ for layer in model.children()]
    ['Conv2d', 'Sigmoid', 'AvgPool2d', 'Flatten', 'Linear', 'Sigmoid']
    >>> bool(np.array_equal(model[4].weight.data, initial_parameters()["output_weights"].reshape(3, 12)))
    True
    """
    from .data import initial_parameters

    pool = formulas.check_pool(pool)
    w_F, b_F, w_O, b_O = formulas.unpack_parameters(initial_parameters() if params is None else params)
    pooling = {"max": nn.MaxPool2d(2), "avg": nn.AvgPool2d(2), "l2": nn.LPPool2d(2, 2)}[pool]
    model = nn.Sequential(nn.Conv2d(1, 3, 3, dtype=dtype, seed=0), nn.Sigmoid(), pooling,  # eq. (1), (2)
                          nn.Flatten(), nn.Linear(12, 3, dtype=dtype, seed=0), nn.Sigmoid())  # eq. (3)
    model.load_state_dict({
        "0.weight": w_F.reshape(3, 1, 3, 3).astype(dtype),  # w^F_k[p, q] -> (C_out, C_in = 1, 3, 3)
        "0.bias": b_F.astype(dtype),  # b^F_k
        "4.weight": w_O.reshape(3, 12).astype(dtype),  # w^O_n[k, i, j] -> (n, 12) in (k, i, j) order
        "4.bias": b_O.astype(dtype),  # b^O_n
    })
    return model


def bias_hessian(params: Mapping[str, np.ndarray], images: np.ndarray, targets: np.ndarray,
                 pool: str = "max") -> np.ndarray:
    """∂²C_T/∂β_r∂β_s for the six biases β = (b^O, b^F) by the engine's double backward
    (``autograd.functional.hessian`` of C_T as a function of the biases; the weights held fixed), (6, 6) in the
    order of ``textbook.hessian.BIASES``: the engine's side of MATH.md's (H1)-(H6).

    >>> from tinygrad_cnn.textbook import initial_parameters, load_data, hessian
    >>> images, targets = load_data()
    >>> h = bias_hessian(initial_parameters(), images[:8], targets[:8])
    >>> bool(np.abs(h - hessian.bias_hessian(initial_parameters(), images[:8], targets[:8])).max() < 1e-12)
    True
    """
    from ..autograd.functional import hessian

    inputs = formulas.check_inputs(_arrays_of(params), images, targets, pool)
    fixed = {key: Tensor(array.copy()) for key, array in inputs.params.items()}

    def c_T(b_O: Tensor, b_F: Tensor) -> Tensor:
        p = {**fixed, "output_biases": b_O, "filter_biases": b_F}
        return cost_tensor(_forward(p, inputs.x, inputs.pool)["a_O"], inputs.t)

    biases = (Tensor(inputs.params["output_biases"].copy()), Tensor(inputs.params["filter_biases"].copy()))
    blocks = hessian(c_T, biases)  # ((b^O b^O, b^O b^F), (b^F b^O, b^F b^F)), each (3, 3)
    return np.block([[blocks[0][0].data, blocks[0][1].data], [blocks[1][0].data, blocks[1][1].data]])

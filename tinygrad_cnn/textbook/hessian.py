"""The Hessian of the book's cost C_T in the six biases (b^O_1..3, b^F_1..3), derived by hand: eqs. (H1)-(H6) of
``tinygrad_cnn/textbook/MATH.md`` ("The Hessian of C_T in the biases"), in plain numpy, no autograd.

The six biases are ordered output biases first, then filter biases: row and column r of the (6, 6) Hessian
is ``b^O_{r+1}`` for r < 3 and ``b^F_{r−2}`` for r ≥ 3 (1-based book indices; ``BIASES`` names them).
:func:`bias_hessian_by_differences` is the independent check: central differences of the formulas' own
gradient (eqs. (8), (14)), a fourth-order stencil.

>>> from tinygrad_cnn.textbook import initial_parameters, load_data
>>> images, targets = load_data()
>>> h = bias_hessian(initial_parameters(), images, targets)
>>> h.shape, bool(np.allclose(h, h.T))
((6, 6), True)
>>> bool(np.abs(h - bias_hessian_by_differences(initial_parameters(), images, targets)).max() < 1e-9)
True
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .formulas import check_inputs, deltas, forward, gradients, pooling_factor, sigmoid, sigmoid_prime

__all__ = ["BIASES", "bias_gradient", "bias_hessian", "bias_hessian_by_differences", "sigmoid_second"]

BIASES = ("b^O_1", "b^O_2", "b^O_3", "b^F_1", "b^F_2", "b^F_3")


def sigmoid_second(z: np.ndarray) -> np.ndarray:
    """a''(z) = σ'(z)(1 − 2σ(z)), the derivative of the book's a'(z) = σ(z)(1 − σ(z)).

    >>> sigmoid_second(np.array([0.0]))
    array([0.])
    """
    s = sigmoid(z)
    return s * (1.0 - s) * (1.0 - 2.0 * s)


def bias_hessian(params: Mapping[str, np.ndarray], images: np.ndarray, targets: np.ndarray,
                 pool: str = "max") -> np.ndarray:
    """∂²C_T/∂β_r∂β_s for the six biases β = (b^O, b^F), (6, 6), by eqs. (H1)-(H6)."""
    inputs = check_inputs(params, images, targets, pool)
    return _bias_hessian(inputs.params, inputs.x, inputs.t, inputs.pool)


def _block_sums(a: np.ndarray) -> np.ndarray:
    """Σ over each 2x2 pooling block (i', j') = (⌈i/2⌉, ⌈j/2⌉): (M, 3, 4, 4) -> (M, 3, 2, 2)."""
    return a.reshape(len(a), 3, 2, 2, 2, 2).sum(axis=(3, 5))  # (M, k, i', di, j', dj) summed over di, dj


def _bias_hessian(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray, pool: str) -> np.ndarray:
    """The Hessian for checked inputs: x (M, 6, 6) and t (M, 3) always with the M axis."""
    units = forward(params, x, pool)  # (M, ...) since x is a batch
    delta_O = deltas(params, x, t, pool)["delta_O"]  # eq. (17), (M, 3)
    w_O = params["output_weights"]  # (3, 3, 2, 2)
    z_F, z_O, a_O = units["z_F"], units["z_O"], units["a_O"]
    # (H1): the output's second unit error ε^O_n = ∂δ^O_n/∂z^O_n = a'(z^O_n)² + (a^O_n − t_n) a''(z^O_n)
    eps_O = sigmoid_prime(z_O) ** 2 + (a_O - t) * sigmoid_second(z_O)  # (M, 3)
    g = pooling_factor(units["a_F"], pool)  # eq. (23) for max pooling: (M, 3, 4, 4)
    # (H3): s_k[i',j'] = ∂a^P_k[i',j']/∂b^F_k = Σ_B g a'(z^F), and u_nk = ∂z^O_n/∂b^F_k = Σ_{i',j'} w^O_n[k,i',j'] s_k
    s = _block_sums(g * sigmoid_prime(z_F))  # (M, 3, 2, 2)
    u = np.einsum("nkij,mkij->mnk", w_O, s)  # (M, n, k)
    # (H5): q_k[i',j'] = ∂²a^P_k[i',j']/∂(b^F_k)² = Σ_B g a''(z^F) + Σ_{B×B} ∂²z^P/∂a∂a' · a'(z^F) a'(z^F')
    q = _block_sums(g * sigmoid_second(z_F)) + _pool_curvature(units, g, pool)  # (M, 3, 2, 2)
    dC_daP = np.einsum("mn,nkij->mkij", delta_O, w_O)  # eq. (25), factor 1: Σ_n δ^O_n w^O_n[k,i',j'], (M, 3, 2, 2)
    h = np.zeros((6, 6))
    h[:3, :3] = np.diag(eps_O.sum(axis=0))  # (H2): ∂²C_T/∂b^O_n∂b^O_l = [n = l] Σ_m ε^O_n
    h[:3, 3:] = np.einsum("mn,mnk->nk", eps_O, u)  # (H4): ∂²C_T/∂b^O_n∂b^F_k = Σ_m ε^O_n u_nk
    h[3:, :3] = h[:3, 3:].T
    # (H6): ∂²C_T/∂b^F_k∂b^F_l = Σ_m Σ_n ε^O_n u_nk u_nl + [k = l] Σ_m Σ_{i',j'} (Σ_n δ^O_n w^O_n[k,i',j']) q_k[i',j']
    h[3:, 3:] = np.einsum("mn,mnk,mnl->kl", eps_O, u, u) + np.diag((dC_daP * q).sum(axis=(0, 2, 3)))
    return h


def _pool_curvature(units: dict[str, np.ndarray], g: np.ndarray, pool: str) -> np.ndarray:
    """(H5)'s second term, Σ_{r,s∈B} ∂²z^P/∂a_r∂a_s · a'(z^F_r) a'(z^F_s), (M, 3, 2, 2).

    Max and average pooling are piecewise linear in a^F: the term is 0 (for max, b^F_k shifts every unit of a
    map alike and σ is increasing, so the winner of (23) does not change). L2: ∂²z^P/∂a_r∂a_s =
    ([r = s] − g_r g_s)/z^P, so the term is (Σ_B a'² − (Σ_B g a')²)/z^P, 0 where z^P = 0 (as g is)."""
    if pool != "l2":
        return np.zeros_like(units["z_P"])
    slope = sigmoid_prime(units["z_F"])  # a'(z^F), (M, 3, 4, 4)
    spread = _block_sums(slope**2) - _block_sums(g * slope) ** 2  # (M, 3, 2, 2)
    z_P = units["z_P"]
    return np.divide(spread, z_P, out=np.zeros_like(z_P), where=z_P != 0)


def bias_gradient(params: Mapping[str, np.ndarray], images: np.ndarray, targets: np.ndarray,
                  pool: str = "max") -> np.ndarray:
    """(∂C_T/∂b^O, ∂C_T/∂b^F), (6,): eqs. (8) and (14) of the formulas, in :data:`BIASES` order."""
    grads = gradients(params, images, targets, pool)  # eqs. (8), (14)
    return np.concatenate([grads["output_biases"], grads["filter_biases"]])  # (6,)


def bias_hessian_by_differences(params: Mapping[str, np.ndarray], images: np.ndarray, targets: np.ndarray,
                                pool: str = "max", step: float = 1e-3) -> np.ndarray:
    """The bias Hessian as finite differences of :func:`bias_gradient`, column r moving β_r by ±step, ±2·step:
    ``(−G(β + 2h) + 8 G(β + h) − 8 G(β − h) + G(β − 2h)) / 12h``, an error of order h⁴ (no autograd).

    Max pooling's winners do not move (the biases shift a block's units alike), so the differences are those
    of a smooth function."""
    inputs = check_inputs(params, images, targets, pool)
    biases = np.concatenate([inputs.params["output_biases"], inputs.params["filter_biases"]])  # β, (6,)
    columns = []
    for r in range(6):
        def moved(h: float, r: int = r) -> np.ndarray:
            bumped = biases.copy()
            bumped[r] += h
            moved_params = {**inputs.params, "output_biases": bumped[:3], "filter_biases": bumped[3:]}
            return bias_gradient(moved_params, inputs.x, inputs.t, inputs.pool)

        columns.append((-moved(2 * step) + 8 * moved(step) - 8 * moved(-step) + moved(-2 * step)) / (12 * step))
    return np.stack(columns, axis=1)  # (6, 6): column r is ∂G/∂β_r

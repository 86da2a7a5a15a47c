"""The book's training: full-batch gradient descent Δθ = −η ∂C_T/∂θ, with any of the three engines.

C_T = Σ_m C_m is the **sum** of the costs of eq. (4) over the images; see
MATH.md, "Training: the book's gradient descent". Every step computes ∂C_T/∂θ at the current parameters and
moves all 69 of them at once. The engines give the same gradients up to rounding (see :mod:`comparison`), so
they follow the same trajectory:

* ``"tensor"``: the tensor engine (:mod:`tensor_net`), leaf Tensors updated by ``optim.SGD``;
* ``"scalar"``: the scalar engine (:mod:`scalar_net`), one graph of Values per step;
* ``"formulas"``: the hand derivation (:mod:`formulas`), plain numpy.

>>> from tinygrad_cnn.textbook import initial_parameters, load_data
>>> images, targets = load_data()
>>> params, history = train(initial_parameters(), images, targets, steps=3, engine="formulas")
>>> len(history.cost), history.cost[-1] < history.cost[0]
(4, True)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .. import optim
from .._checks import check_bool, check_float, check_int
from .._progress import QUIET_DELAY, Progress
from . import formulas, scalar_net, tensor_net

__all__ = ["ENGINES", "History", "TrainStep", "train"]

ENGINES = ("tensor", "scalar", "formulas")


@dataclass(frozen=True)
class TrainStep:
    """Where training stands after ``step`` of ``steps`` updates (step 0: the starting parameters)."""

    step: int
    steps: int
    cost: float  # C_T
    correct: int  # images whose predicted digit is their label
    n_images: int
    seconds: float  # since training started

    @property
    def accuracy(self) -> float:
        return self.correct / self.n_images


@dataclass
class History:
    """C_T and accuracy along the run: entry s is measured after s updates, s = 0..steps (steps + 1 entries)."""

    engine: str
    pool: str
    lr: float
    cost: list[float] = field(default_factory=list)
    correct: list[int] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the whole run

    def to_dict(self) -> dict[str, Any]:
        """Plain Python types only, ready for ``json.dump``."""
        return asdict(self)


def _check_arguments(lr: object, steps: object, pool: object, engine: object) -> tuple[float, int, str, str]:
    # TypeError for a wrong type, ValueError for a wrong value; numpy scalars are accepted
    lr = check_float(lr, "lr (the learning rate η)", "train", minimum=0.0, open_minimum=True)
    steps = check_int(steps, "steps", "train", minimum=0)
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}; got {engine!r}")
    return float(lr), int(steps), formulas.check_pool(pool), engine


def train(
    params: Mapping[str, np.ndarray],
    images: np.ndarray,
    targets: np.ndarray,
    lr: float = 0.2,
    steps: int = 50,
    pool: str = "max",
    engine: str = "tensor",
    callback: Callable[[TrainStep], None] | None = None,
    progress: bool = True,
) -> tuple[dict[str, np.ndarray], History]:
    """Run ``steps`` updates θ ← θ − η ∂C_T/∂θ from ``params``; return the final parameters and the history.

    ``params`` is not changed (the returned dict holds new arrays). ``callback``, if given, is called with
    a :class:`TrainStep` at the start and after every update (``steps + 1`` calls). ``progress``: a tqdm bar
    with C_T and the accuracy on stderr, when tqdm is installed and stderr is a terminal, for a run longer
    than half a second; ``progress=False`` turns it off.

    >>> from tinygrad_cnn.textbook import initial_parameters, load_data
    >>> images, targets = load_data()
    >>> start = initial_parameters()
    >>> final, history = train(start, images, targets, lr=0.2, steps=2, engine="tensor")
    >>> bool(np.all(start["filter_biases"] == initial_parameters()["filter_biases"]))  # not mutated
    True
    >>> len(history.accuracy), history.cost[-1] < history.cost[0]
    (3, True)
    """
    lr, steps, pool, engine = _check_arguments(lr, steps, pool, engine)
    if callback is not None and not callable(callback):
        raise TypeError(f"train: callback must be callable or None, got {type(callback).__name__}")
    progress = check_bool(progress, "progress", "train")
    inputs = formulas.check_inputs(params, images, targets, pool)
    current = {key: array.copy() for key, array in inputs.params.items()}
    x, t = inputs.x, inputs.t  # (M, 6, 6), (M, 3)
    labels = t.argmax(axis=-1)  # (M,) 0-based digit index

    history = History(engine, pool, lr)
    start = time.perf_counter()
    bar = Progress(steps, "gradient descent", unit="step", enabled=progress, plain=False, leave=True,
                   delay=QUIET_DELAY)

    def record(step: int, c_T: float, a_O: np.ndarray) -> None:
        correct = int(np.sum(a_O.argmax(axis=-1) == labels))  # a_O (M, 3)
        history.cost.append(float(c_T))
        history.correct.append(correct)
        history.accuracy.append(correct / len(x))
        bar.update(1 if step else 0, postfix=f"C_T={c_T:.6f} correct={correct}/{len(x)}")
        if callback is not None:
            callback(TrainStep(step, steps, float(c_T), correct, len(x), time.perf_counter() - start))

    with bar:
        if engine == "tensor":
            final = _train_tensor(current, x, t, lr, steps, pool, record)
        else:
            run = scalar_net.backprop if engine == "scalar" else formulas.backprop
            final = _train_arrays(run, current, x, t, lr, steps, pool, record)
    history.seconds = time.perf_counter() - start
    return final, history


def _train_arrays(run, current, x, t, lr, steps, pool, record) -> dict[str, np.ndarray]:
    """Gradient descent on numpy arrays, with gradients from ``run`` (an engine's ``backprop``)."""
    for step in range(steps + 1):
        result = run(current, x, t, pool)
        record(step, result.cost, result.a_O)
        if step == steps:
            break
        for key, grad in result.gradients.items():
            current[key] = current[key] - lr * grad  # Δθ = −η ∂C_T/∂θ
    return current


def _train_tensor(current, x, t, lr, steps, pool, record) -> dict[str, np.ndarray]:
    """Gradient descent on leaf Tensors: backward on C_T, then ``optim.SGD`` (θ ← θ − η·θ.grad)."""
    p = tensor_net.to_tensors(current)
    optimizer = optim.SGD(list(p.values()), lr=lr)
    for step in range(steps + 1):
        units = tensor_net.forward(p, x, pool)  # the leaf Tensors themselves, so gradients reach them
        c_T = tensor_net.cost_tensor(units["a_O"], t)  # C_T = Σ_m C_m, eq. (4)
        record(step, c_T.item(), units["a_O"].data)
        if step == steps:
            break
        optimizer.zero_grad()
        c_T.backward()
        optimizer.step()  # Δθ = −η ∂C_T/∂θ
    return {key: tensor.data.copy() for key, tensor in p.items()}

"""Training steps of small CNNs, ours against the same model in PyTorch (same weights, same data, SGD).

- ``lenet_step_f32``: one SGD step (forward, cross-entropy, backward, update) of the LeNet-style CNN
  conv(1→8, 3×3) → relu → maxpool 2 → conv(8→16, 3×3) → relu → maxpool 2 → linear(400→10), on a batch of
  64 random 28×28 images, float32.
- ``digits_epoch_f32``: one epoch (batches of 64, SGD with momentum 0.9) of the default digits model on the
  80 % training part of scikit-learn's 8×8 digits (1,437 images). The model is ``models.small`` when
  ``tinygrad_cnn.models`` exists (the ``train`` command's default); until then the same architecture is
  built here: conv(1→32, 3×3, pad 1) → relu → maxpool 2 → conv(32→64, 3×3, pad 1) → relu → maxpool 2 →
  linear(256→10).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from benchmarks.cases import _peers
from benchmarks.harness import Case, PeerUnavailable

LENET = [("conv", 1, 8, 0), ("relu",), ("pool",), ("conv", 8, 16, 0), ("relu",), ("pool",), ("linear", 400, 10)]
SMALL = [("conv", 1, 32, 1), ("relu",), ("pool",), ("conv", 32, 64, 1), ("relu",), ("pool",), ("linear", 256, 10)]
BATCH, LR, MOMENTUM = 64, 0.05, 0.9


def _our_model(layers: list[tuple], seed: int = 0) -> object:
    from tinygrad_cnn import nn

    modules = []
    rng = np.random.default_rng(seed)
    for layer in layers:
        if layer[0] == "conv":
            modules.append(nn.Conv2d(layer[1], layer[2], 3, padding=layer[3], dtype=np.float32, seed=rng))
        elif layer[0] == "relu":
            modules.append(nn.ReLU())
        elif layer[0] == "pool":
            modules.append(nn.MaxPool2d(2))
        else:
            modules += [nn.Flatten(), nn.Linear(layer[1], layer[2], dtype=np.float32, seed=rng)]
    return nn.Sequential(*modules)


def _digits_model() -> tuple[object, str]:
    """models.small if it exists, else the same architecture built here."""
    try:
        from tinygrad_cnn import models
    except ImportError:
        return _our_model(SMALL), "built in the case (tinygrad_cnn.models not present)"
    return models.small(seed=0), "tinygrad_cnn.models.small"


def _torch_model(torch: object, layers: list[tuple], ours: object) -> object:
    """The same layers in PyTorch, with our model's initial weights copied in."""
    nn = torch.nn
    modules = []
    for layer in layers:
        if layer[0] == "conv":
            modules.append(nn.Conv2d(layer[1], layer[2], 3, padding=layer[3]))
        elif layer[0] == "relu":
            modules.append(nn.ReLU())
        elif layer[0] == "pool":
            modules.append(nn.MaxPool2d(2))
        else:
            modules += [nn.Flatten(), nn.Linear(layer[1], layer[2])]
    model = nn.Sequential(*modules)
    with torch.no_grad():
        for mine, theirs in zip(ours.parameters(), model.parameters(), strict=True):
            theirs.copy_(torch.from_numpy(np.array(mine.data, dtype=np.float32)))
    return model


def _step_ours(model: object, opt: object, x: np.ndarray, y: np.ndarray) -> object:
    from tinygrad_cnn import Tensor
    from tinygrad_cnn import functional as F

    opt.zero_grad()
    loss = F.cross_entropy(model(Tensor(x)), y)
    loss.backward()
    opt.step()
    return loss


def _step_torch(torch: object, model: object, opt: object, x: object, y: object) -> object:
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def _lenet_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, BATCH)


def _lenet_ours() -> Callable[[], object]:
    from tinygrad_cnn import optim

    model = _our_model(LENET)
    opt = optim.SGD(list(model.parameters()), lr=LR)
    x, y = _lenet_data()
    return lambda: _step_ours(model, opt, x, y)


def _lenet_torch() -> Callable[[], object]:
    torch = _peers.torch()
    model = _torch_model(torch, LENET, _our_model(LENET))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = (torch.from_numpy(a) for a in _lenet_data())
    return lambda: _step_torch(torch, model, opt, x, y)


def _digits() -> tuple[np.ndarray, np.ndarray]:
    """The first 80 % of scikit-learn's digits, (N, 1, 8, 8) float32 in [0, 1], and their labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise PeerUnavailable("scikit-learn, for its digits data (pip install scikit-learn)") from None
    digits = load_digits()
    n = int(0.8 * len(digits.target))
    x = (digits.images[:n] / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8)
    return x, digits.target[:n].astype(np.int64)


def _batches(n: int) -> list[slice]:
    return [slice(i, min(i + BATCH, n)) for i in range(0, n, BATCH)]


def _digits_ours() -> Callable[[], object]:
    from tinygrad_cnn import optim

    x, y = _digits()
    model, _ = _digits_model()
    opt = optim.SGD(list(model.parameters()), lr=LR, momentum=MOMENTUM)

    def epoch() -> object:
        return [_step_ours(model, opt, x[b], y[b]) for b in _batches(len(x))][-1]

    return epoch


def _digits_torch() -> Callable[[], object]:
    torch = _peers.torch()
    x, y = _digits()
    model = _torch_model(torch, SMALL, _digits_model()[0])
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def epoch() -> object:
        return [_step_torch(torch, model, opt, tx[b], ty[b]) for b in _batches(len(x))][-1]

    return epoch


CASES = [
    Case(
        name="lenet_step_f32",
        description="one SGD step of the LeNet-style CNN (conv 1→8, pool, conv 8→16, pool, linear 400→10), "
        "batch 64 of 28x28, float32",
        ours=_lenet_ours, peers={"pytorch": _lenet_torch}, targets={"pytorch": ("ratio<=", 1.0)},
    ),
    Case(
        name="digits_epoch_f32",
        description="one epoch of the default digits model (conv 1→32, pool, conv 32→64, pool, linear 256→10) "
        "on 1,437 8x8 digits, batch 64, SGD momentum 0.9, float32",
        ours=_digits_ours, peers={"pytorch": _digits_torch}, targets={"pytorch": ("ratio<=", 1.2)},  # issue 19
    ),
]

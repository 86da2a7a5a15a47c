"""The second PyTorch-style script, ``examples/cifar_style.py`` (BatchNorm2d, AdaptiveAvgPool2d, label smoothing,
Nesterov SGD under OneCycleLR, top-k accuracy, inference_mode, torch.utils.data), runs through the import swap;
with PyTorch installed, the same source with PyTorch's imports runs from the same initial weights and the two
learning curves (every batch's loss, each epoch's test loss and top-1/top-3 accuracy) are compared.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

import tinygrad_cnn

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "cifar_style.py"
BEGIN, END = "# --- imports: the only lines that differ from the PyTorch version ---", "# --- end of imports ---"
TORCH_IMPORTS = """import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim.lr_scheduler import OneCycleLR
from torch.utils.data import DataLoader, TensorDataset
"""


def _namespace(library: str) -> dict:
    text = SCRIPT.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END)
    imports = text[start + len(BEGIN):end] if library == "ours" else "\n" + TORCH_IMPORTS
    namespace = {"__name__": f"cifar_style_{library}"}
    exec(compile(text[:start] + BEGIN + imports + text[end:], f"examples/cifar_style.py ({library})", "exec"),
         namespace)
    return namespace


def _quiet(call):
    with contextlib.redirect_stdout(io.StringIO()):
        return call()


def test_outside_the_import_block_the_script_is_pure_pytorch():
    text = SCRIPT.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END)
    assert "tinygrad" not in text[text.index('"""', 3) + 3:start] + text[end:]
    assert text[start:end].count("tinygrad_cnn") == 5


def test_the_script_trains_through_the_import_swap(tmp_path):
    history = _quiet(lambda: _namespace("ours")["main"](["--epochs", "3", "--save", str(tmp_path / "net.pt")]))
    losses = [loss for epoch, _ in history for loss in epoch]
    assert len(losses) == 3 * 10 and np.mean(losses[-5:]) < 0.7 * losses[0]
    test_loss, top1, top3 = history[-1][1]
    assert top1 > 0.5 and top3 >= top1 and test_loss < history[0][1][0]
    assert sorted(tinygrad_cnn.load(tmp_path / "net.pt")) == sorted(_namespace("ours")["Net"]().state_dict())


def test_the_learning_curves_match_pytorchs_from_the_same_weights(tmp_path):
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    state = {k: v.detach().numpy().copy() for k, v in _namespace("torch")["Net"]().state_dict().items()}
    torch.save({k: torch.tensor(v) for k, v in state.items()}, tmp_path / "init.pt")
    tinygrad_cnn.save(state, tmp_path / "init.npz")
    ours = _quiet(lambda: _namespace("ours")["main"](["--epochs", "2", "--init", str(tmp_path / "init.npz")]))
    theirs = _quiet(lambda: _namespace("torch")["main"](["--epochs", "2", "--init", str(tmp_path / "init.pt")]))
    ours_losses = [loss for epoch, _ in ours for loss in epoch]
    their_losses = [loss for epoch, _ in theirs for loss in epoch]
    assert len(ours_losses) == len(their_losses) == 20
    # float32 both, batch statistics and all: 2e-7 apart today (rounding order only)
    np.testing.assert_allclose(ours_losses, their_losses, rtol=1e-5)
    for (_, (loss_a, top1_a, top3_a)), (_, (loss_b, top1_b, top3_b)) in zip(ours, theirs):
        assert loss_a == pytest.approx(loss_b, rel=1e-5)
        assert abs(top1_a - top1_b) <= 0.02 and abs(top3_a - top3_b) <= 0.02

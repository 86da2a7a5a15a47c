"""A PyTorch training script runs with only its imports changed (issue 20): ``examples/mnist.py``.

The script is pytorch/examples' ``mnist/main.py`` on 8×8 digits. It runs here through its own import block
(tinygrad_cnn's); where PyTorch is installed, the same source with PyTorch's import block runs under PyTorch from
the same initial weights, and the two learning curves are compared: step by step with dropout switched off
(the two libraries draw different dropout masks), and by their end points with it on.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

import tinygrad_cnn

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "mnist.py"
BEGIN, END = "# --- imports: the only lines that differ from the PyTorch version ---", "# --- end of imports ---"
TORCH_IMPORTS = """import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset
"""
TRAIN_LINE = re.compile(r"Train Epoch: (\d+) \[(\d+)/(\d+) \((\d+)%\)\]\tLoss: ([0-9.]+)")
TEST_LINE = re.compile(r"Test set: Average loss: ([0-9.]+), Accuracy: (\d+)/(\d+) \((\d+)%\)")


def _source(library: str) -> str:
    text = SCRIPT.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END)
    imports = text[start + len(BEGIN):end] if library == "ours" else "\n" + TORCH_IMPORTS
    return text[:start] + BEGIN + imports + text[end:]


def _namespace(library: str) -> dict:
    namespace = {"__name__": f"mnist_{library}"}
    exec(compile(_source(library), f"examples/mnist.py ({library})", "exec"), namespace)
    return namespace


def _run(call) -> tuple[list[float], list[tuple[float, int, int]]]:
    """Run ``call()``, return the training losses and the (test loss, correct, total) lines it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        call()
    text = out.getvalue()
    losses = [float(m.group(5)) for m in TRAIN_LINE.finditer(text)]
    tests = [(float(m.group(1)), int(m.group(2)), int(m.group(3))) for m in TEST_LINE.finditer(text)]
    return losses, tests


def test_outside_the_import_block_the_script_is_pure_pytorch():
    text = SCRIPT.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END)
    code = text[text.index('"""', 3) + 3:start] + text[end:]  # all but the module docstring and the imports
    assert "tinygrad" not in code
    assert text[start:end].count("tinygrad_cnn") == 6  # the six PyTorch import lines, swapped


def test_the_script_trains_through_the_import_swap(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main = _namespace("ours")["main"]
    losses, tests = _run(lambda: main(["--data", "synthetic", "--epochs", "2", "--log-interval", "4",
                                       "--save-model"]))
    assert len(losses) == 2 * 6 and len(tests) == 2  # 24 batches of 64 per epoch, every 4th logged
    assert np.mean(losses[-3:]) < 0.5 * losses[0]
    loss, correct, total = tests[-1]
    assert total == 297 and correct / total > 0.9, tests
    state = tinygrad_cnn.load(tmp_path / "mnist_cnn.pt")  # torch.save(model.state_dict(), ...) wrote our format
    assert sorted(state) == sorted(_namespace("ours")["Net"]().state_dict())


def test_a_whole_model_is_refused_by_save_with_what_to_do(tmp_path):
    with pytest.raises(TypeError, match=r"whole Net module .*model.state_dict\(\)"):
        tinygrad_cnn.save(_namespace("ours")["Net"](), tmp_path / "model.pt")


# ------------------------------------------------------------------------------ against PyTorch
def _initial_state(torch) -> dict[str, np.ndarray]:
    torch.manual_seed(0)
    net = _namespace("torch")["Net"]()
    return {key: value.detach().numpy().copy() for key, value in net.state_dict().items()}


def _pieces(namespace: dict, state: dict, dropout: bool, epochs: int) -> tuple[list[float], list]:
    """main()'s loop, written out so the test can switch dropout off: the script's Net, train and test."""
    torch, DataLoader, TensorDataset = namespace["torch"], namespace["DataLoader"], namespace["TensorDataset"]
    (x_train, y_train), (x_test, y_test) = namespace["load_data"]("synthetic")
    train_loader = DataLoader(TensorDataset(torch.tensor(x_train[:640]), torch.tensor(y_train[:640])), batch_size=64)
    test_loader = DataLoader(TensorDataset(torch.tensor(x_test), torch.tensor(y_test)), batch_size=1000)
    model = namespace["Net"]()
    model.load_state_dict({key: torch.tensor(value) for key, value in state.items()})
    if not dropout:
        model.dropout1.p = model.dropout2.p = 0.0
    optimizer = namespace["optim"].Adadelta(model.parameters(), lr=1.0)
    scheduler = namespace["StepLR"](optimizer, step_size=1, gamma=0.7)
    args = argparse.Namespace(log_interval=1, dry_run=False)
    device = torch.device("cpu")

    def loop():
        for epoch in range(1, epochs + 1):
            namespace["train"](args, model, device, train_loader, optimizer, epoch)
            namespace["test"](model, device, test_loader)
            scheduler.step()

    return _run(loop)


def test_the_learning_curves_match_pytorchs_step_by_step_without_dropout():
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    torch.set_num_threads(1)
    state = _initial_state(torch)
    ours, ours_tests = _pieces(_namespace("ours"), state, dropout=False, epochs=2)
    theirs, their_tests = _pieces(_namespace("torch"), state, dropout=False, epochs=2)
    assert len(ours) == len(theirs) == 20
    # float32 both: equal to the 6 printed decimals today; the tolerance leaves room for rounding order only
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose([t[0] for t in ours_tests], [t[0] for t in their_tests], rtol=1e-3)
    assert [t[1] for t in ours_tests] == [t[1] for t in their_tests]


def test_the_script_learns_as_well_as_under_pytorch_with_dropout(tmp_path):
    torch = pytest.importorskip("torch", reason="needs PyTorch (pip install torch)")
    state = _initial_state(torch)
    torch.save({key: torch.tensor(value) for key, value in state.items()}, tmp_path / "init.pt")
    tinygrad_cnn.save(state, tmp_path / "init.npz")
    argv = ["--data", "synthetic", "--epochs", "2", "--log-interval", "1"]
    ours, ours_tests = _run(lambda: _namespace("ours")["main"]([*argv, "--init", str(tmp_path / "init.npz")]))
    theirs, their_tests = _run(lambda: _namespace("torch")["main"]([*argv, "--init", str(tmp_path / "init.pt")]))
    assert ours[0] == pytest.approx(theirs[0], rel=0.05)  # the same weights; only the dropout masks differ
    assert abs(np.mean(ours[-8:]) - np.mean(theirs[-8:])) < 0.15
    assert abs(ours_tests[-1][1] - their_tests[-1][1]) <= 0.05 * their_tests[-1][2]

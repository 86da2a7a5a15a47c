"""``tinygrad-cnn train`` and ``evaluate``: learning, the book's run, checkpoints, exact resume, Ctrl-C, output."""

import argparse
import contextlib
import importlib.util
import io
import json
import sys

import numpy as np
import pytest

from tinygrad_cnn import Tensor, load, models, training
from tinygrad_cnn.cli import main
from tinygrad_cnn.cli import train as T

needs_digits = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                                  reason="the digits data set needs scikit-learn (the 'digits' extra)")


def _train(capsys, *argv):
    status = main(["train", *map(str, argv)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _equal(a, b, where="checkpoint"):
    """Bit-for-bit equality of two nested checkpoints (arrays: same dtype, same bytes)."""
    assert type(a) is type(b), where
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _equal(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _equal(x, y, f"{where}/{i}")
    else:
        assert a == b, (where, a, b)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """`tinygrad-cnn train --dataset digits` with no other option (plus --save and --json), run once."""
    pytest.importorskip("sklearn")
    directory = tmp_path_factory.mktemp("default_run")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["train", "--dataset", "digits", "--save", str(directory / "ck.npz"),
                       "--json", str(directory / "run.json")])
    return status, out.getvalue(), err.getvalue(), directory / "ck.npz", directory / "run.json"


def test_default_digits_run_reaches_98_percent(default_run):
    """The issue's target: `tinygrad-cnn train --dataset digits`, nothing else, ≥ 98 % on the fixed 20 % split.

    Measured: 99.16 % with seed 0 (356/359; 5 seeds in the report). Demand 97.5 % (a margin of ~2 images).
    """
    status, out, err, _, json_path = default_run
    assert status == 0 and err == ""  # stderr is not a terminal: no progress bar
    lines = [line for line in out.splitlines() if line.startswith("epoch")]
    assert len(lines) == 20 and "train loss" in lines[0] and "held-out loss" in lines[0] and "lr" in lines[0]
    assert "digits: 1797 images 8x8, 10 classes; 1438 for training, 359 held out" in out
    assert "confusion matrix" in out and "misclassified" in out
    document = json.loads(json_path.read_text())
    history, final = document["history"], document["final"]
    assert final["total"] == 359 and final["accuracy"] >= 0.975
    assert history["held_out_accuracy"][-1] == final["accuracy"]
    assert history["train_loss"][-1] < history["train_loss"][0] / 20  # 2.0 -> 0.02 with seed 0
    assert np.sum(final["confusion_matrix"]) == 359 and np.trace(final["confusion_matrix"]) == final["correct"]
    assert len(final["misclassified"]) == 359 - final["correct"]
    assert history["lr"][0] == 0.002 and history["lr"][-1] < history["lr"][10] < history["lr"][0]  # cosine


def test_textbook_model_is_the_books_network_and_reaches_96_of_96(capsys, tmp_path):
    from tinygrad_cnn import textbook

    status, out, _ = _train(capsys, "--dataset", "textbook", "--model", "textbook", "--epochs", 12,
                            "--json", tmp_path / "run.json")
    assert status == 0 and "96/96 = 100.00%" in out
    history = json.loads((tmp_path / "run.json").read_text())["history"]
    # the same trajectory as the book's full-batch gradient descent computed by the hand formulas:
    # mean loss per image × 96 = C_T before each step
    _, book = textbook.train(textbook.initial_parameters(), *textbook.load_data(), lr=0.2, steps=12,
                             engine="formulas")
    np.testing.assert_allclose(np.array(history["train_loss"]) * 96, book.cost[:12], rtol=1e-10)
    np.testing.assert_allclose(np.array(history["held_out_loss"]) * 96, book.cost[1:], rtol=1e-10)
    assert [round(a * 96) for a in history["held_out_accuracy"]] == book.correct[1:]


def _interrupt_after(monkeypatch, epochs):
    """Make the training loop raise KeyboardInterrupt (Ctrl-C) during epoch ``epochs + 1``."""
    real, calls = training.train_epoch, []

    def train_epoch(run, progress=True):
        calls.append(1)
        if len(calls) > epochs:
            raise KeyboardInterrupt
        return real(run, progress)

    monkeypatch.setattr(training, "train_epoch", train_epoch)


@pytest.mark.parametrize("options", [
    pytest.param(["--dataset", "digits", "--val-fraction", "0.5", "--batch-size", "64"],  # adam, cosine, float32
                 marks=needs_digits),
    ["--dataset", "textbook", "--model", "small", "--optimizer", "sgd", "--scheduler", "step", "--batch-size", "8",
     "--weight-decay", "0.001", "--dtype", "float64", "--seed", "3"],
])
def test_resume_after_ctrl_c_ends_bit_identical(capsys, tmp_path, monkeypatch, options):
    full, part = tmp_path / "full.npz", tmp_path / "part.npz"
    assert _train(capsys, *options, "--epochs", 4, "--save", full)[0] == 0

    with monkeypatch.context() as patch:
        _interrupt_after(patch, 2)
        status, _, err = _train(capsys, *options, "--epochs", 4, "--save", part)
    assert status == 130 and "interrupted during epoch 3" in err and "(epoch 2)" in err
    assert load(part)["epoch"] == 2  # the last complete checkpoint, intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full.npz", "part.npz"]  # no temporary file left

    status, out, _ = _train(capsys, "--resume", part)  # saves to the file it resumed from
    assert status == 0 and "resumed from" in out and "trained epochs 3-4" in out
    a, b = load(full), load(part)
    for key in ("epoch", "settings", "model", "optimizer", "scheduler", "loader"):
        _equal(a[key], b[key], key)
    for key in ("train_loss", "held_out_loss", "held_out_accuracy", "lr"):
        assert a["history"][key] == b["history"][key]


def test_resume_keeps_the_saved_settings(capsys, tmp_path):
    path = tmp_path / "ck.npz"
    assert _train(capsys, "--dataset", "textbook", "--model", "textbook", "--epochs", 1, "--save", path)[0] == 0
    status, _, err = _train(capsys, "--resume", path, "--lr", "0.5")
    assert status == 2 and "--lr 0.5 differs from the checkpoint's 0.2" in err
    status, out, _ = _train(capsys, "--resume", path, "--epochs", 3)  # --epochs may grow: continue to 3
    assert status == 0 and "trained epochs 2-3" in out
    status, out, _ = _train(capsys, "--resume", path, "--epochs", 1)
    assert status == 0 and "nothing left to train" in out
    (tmp_path / "bad.npz").write_bytes(b"junk")
    status, _, err = _train(capsys, "--resume", tmp_path / "bad.npz")
    assert status == 2 and "bad.npz" in err


def test_evaluate_reports_the_saved_models_accuracy(capsys, tmp_path, default_run):
    _, out, _, path, _ = default_run
    trained = next(line for line in out.splitlines() if line.startswith("held-out accuracy"))
    assert main(["evaluate", "--checkpoint", str(path), "--json", str(tmp_path / "ev.json")]) == 0
    out = capsys.readouterr().out
    assert trained.split(": ")[1] in out and "(held-out: 359 examples)" in out and "confusion matrix" in out
    assert main(["evaluate", "--checkpoint", str(path), "--split", "all"]) == 0
    assert "(all: 1797 examples)" in capsys.readouterr().out
    assert main(["evaluate", "--checkpoint", str(path), "--split", "test"]) == 2
    assert "no separate test set" in capsys.readouterr().err
    assert main(["evaluate", "--checkpoint", str(path), "--dataset", "textbook"]) == 2  # 3 classes, 6x6: no fit
    assert "shape" in capsys.readouterr().err


def test_mnist_from_idx_files(capsys, tmp_path):
    from test_datasets import write_mnist

    write_mnist(tmp_path, n=40, size=12)
    write_mnist(tmp_path, n=10, size=12, prefix="t10k", gz=True)
    status, out, _ = _train(capsys, "--dataset", "mnist", "--data", tmp_path, "--epochs", 1, "--save",
                            tmp_path / "m.npz")
    assert status == 0 and "mnist: 40 images 12x12" in out and "model lenet" in out
    assert main(["evaluate", "--checkpoint", str(tmp_path / "m.npz"), "--data", str(tmp_path)]) == 0
    assert "(test: 10 examples)" in capsys.readouterr().out
    status, _, err = _train(capsys, "--dataset", "mnist")
    assert status == 2 and "--data DIR" in err
    status, _, err = _train(capsys, "--dataset", "fashion-mnist", "--data", tmp_path / "nothing")
    assert status == 2 and "does not exist" in err


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "digits", "--optimizer", "adam", "--momentum", "0.9"], "--momentum is for --optimizer sgd"),
    (["--dataset", "textbook", "--model", "lenet"], "at least 10x10"),
    (["--dataset", "textbook", "--val-fraction", "0.9999"], "nothing left to train"),
    pytest.param(["--dataset", "digits", "--model", "textbook"], "6x6 images", marks=needs_digits),
    ([], "--dataset is required"),
    (["--dataset", "textbook", "--save", "/nonexistent-dir/ck.npz"], "/nonexistent-dir does not exist"),
])
def test_bad_settings_exit_2_with_a_message(capsys, argv, message):
    status, _, err = _train(capsys, *argv)
    assert status == 2 and message in err


@pytest.mark.parametrize("option, value", [("--lr", "0"), ("--epochs", "-1"), ("--val-fraction", "1"),
                                           ("--momentum", "1.5"), ("--batch-size", "x")])
def test_bad_option_values_are_argparse_errors(capsys, option, value):
    with pytest.raises(SystemExit) as info:
        main(["train", "--dataset", "digits", option, value])
    assert info.value.code == 2 and option in capsys.readouterr().err


def test_defaults_follow_the_model():
    def settings(**given):
        namespace = argparse.Namespace(**{name: given.get(name) for name in T.SETTING_NAMES})
        return T.settings_from(namespace)

    digits = settings(dataset="digits")
    assert (digits["model"], digits["optimizer"], digits["lr"], digits["batch_size"], digits["epochs"],
            digits["scheduler"], digits["val_fraction"], digits["dtype"]) == (
        "small", "adam", 0.002, 32, 20, "cosine", 0.2, "float32")
    book = settings(dataset="textbook")
    assert (book["model"], book["optimizer"], book["lr"], book["momentum"], book["batch_size"], book["scheduler"],
            book["val_fraction"], book["dtype"]) == ("textbook", "sgd", 0.2, 0.0, None, "none", 0.0, "float64")
    assert settings(dataset="mnist")["model"] == "lenet"
    assert settings(dataset="digits", optimizer="sgd")["momentum"] == 0.9
    assert settings(dataset="digits", optimizer="adamw")["weight_decay"] == 0.01


def test_held_out_split_does_not_depend_on_the_seed():
    ds = T.datasets.textbook()
    a, b = T.split(ds, 0.25)[1], T.split(ds, 0.25)[1]
    np.testing.assert_array_equal(a.indices, b.indices)
    s0 = T.setup({**T._defaults("textbook", "small", None), "dataset": "textbook", "model": "small",
                  "val_fraction": 0.25, "seed": 0})
    s1 = T.setup({**T._defaults("textbook", "small", None), "dataset": "textbook", "model": "small",
                  "val_fraction": 0.25, "seed": 1})
    np.testing.assert_array_equal(s0.held_out.indices, s1.held_out.indices)
    assert not np.array_equal(s0.model[0].weight.data, s1.model[0].weight.data)


def test_plain_progress_line_on_a_terminal_without_tqdm(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    status, _, err = _train(capsys, "--dataset", "textbook", "--model", "small", "--batch-size", "8", "--epochs", 1)
    assert status == 0 and "\repoch 1/1 [" in err and "12/12" in err


def test_plots(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    status, _, _ = _train(capsys, "--dataset", "textbook", "--model", "small", "--epochs", 2, "--val-fraction",
                            "0.25", "--plot", tmp_path / "plots")
    assert status == 0
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["curves.png", "filters.png",
                                                                      "misclassified.png"]
    assert all((tmp_path / "plots" / name).stat().st_size > 1000 for name in ("curves.png", "filters.png"))


def test_checkpoint_loads_into_the_equivalent_torch_model(default_run):
    torch = pytest.importorskip("torch")
    path = default_run[3]
    state = load(path)["model"]
    torch_model = torch.nn.Sequential(  # models.small, written out in torch.nn
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(256, 10))
    torch_model.load_state_dict({key: torch.from_numpy(value) for key, value in state.items()})
    ours = models.small(seed=0)
    ours.load_state_dict(state)
    x = T.datasets.digits().images[:64]
    expected = ours(Tensor(x)).data
    np.testing.assert_allclose(torch_model(torch.from_numpy(x)).detach().numpy(), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(models.to_torch(ours)(torch.from_numpy(x)).detach().numpy(), expected,
                               rtol=1e-4, atol=1e-5)


def test_ctrl_c_while_saving_names_the_previous_checkpoint(capsys, tmp_path, monkeypatch):
    path, real_save, calls = tmp_path / "ck.npz", training.save, []

    def save(obj, where):
        calls.append(1)
        if len(calls) == 2:  # Ctrl-C while epoch 2's checkpoint is being written
            raise KeyboardInterrupt
        real_save(obj, where)

    monkeypatch.setattr(training, "save", save)
    status, _, err = _train(capsys, "--dataset", "textbook", "--model", "textbook", "--epochs", 3, "--save", path)
    assert status == 130 and f"the last complete checkpoint (epoch 1) is {path}" in err
    assert load(path)["epoch"] == 1

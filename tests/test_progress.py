"""The progress bar of the Python API (``tinygrad_cnn._progress``, the one the command line uses too): drawn on
stderr only when it is a terminal, with tqdm when installed, and off with ``progress=False``.

A fake terminal is the library's ``_is_terminal`` (or ``sys.stderr.isatty``) patched to return True; a fake tqdm
records what the library asked of it (the library's bars wait half a second before tqdm draws them, so real tqdm
would draw nothing in a short test).
"""

import sys

import numpy as np
import pytest

from tinygrad_cnn import _progress, deltas, nn, textbook, training
from tinygrad_cnn.cli import train as train_cli


class FakeTqdm:
    made: list["FakeTqdm"] = []

    def __init__(self, total, desc, unit, leave, file, delay):
        self.total, self.desc, self.unit, self.delay, self.n, self.postfix, self.closed = (
            total, desc, unit, delay, 0, None, False)
        FakeTqdm.made.append(self)

    def update(self, n):
        self.n += n

    def refresh(self):
        pass

    def set_postfix_str(self, text, refresh=True):
        self.postfix = text

    def close(self):
        self.closed = True


@pytest.fixture
def fake_tqdm(monkeypatch):
    FakeTqdm.made = []
    monkeypatch.setattr(_progress, "_tqdm", lambda: FakeTqdm)
    return FakeTqdm.made


@pytest.fixture
def terminal(monkeypatch):
    """stderr is a terminal, for the library (pytest's capture puts another sys.stderr in place for the test)."""
    monkeypatch.setattr(_progress, "_is_terminal", lambda: True)


def _cnn():
    return nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2, 3, seed=0))


def _cnn_data():
    return np.random.default_rng(0).normal(size=(4, 1, 4, 4)), np.array([0, 1, 2, 0])


def _book_train(**options):
    images, targets = textbook.load_data()
    return textbook.train(textbook.initial_parameters(), images, targets, steps=3, engine="formulas", **options)


def test_textbook_train_draws_a_bar_over_its_steps_on_a_terminal(terminal, fake_tqdm):
    _, history = _book_train()
    (bar,) = fake_tqdm
    assert (bar.total, bar.n, bar.desc, bar.unit, bar.closed) == (3, 3, "gradient descent", "step", True)
    assert bar.delay > 0  # a short run draws nothing
    assert bar.postfix == f"C_T={history.cost[-1]:.6f} correct={history.correct[-1]}/96"


def test_deltas_compare_draws_a_bar_over_the_finite_difference_quantities(terminal, fake_tqdm):
    result = deltas.compare(_cnn(), *_cnn_data())
    (bar,) = fake_tqdm
    estimated = {(row.layer, row.quantity) for row in result.rows if "finite differences" in row.pair}
    assert (bar.total, bar.n, bar.desc, bar.closed) == (len(estimated), len(estimated), "finite differences", True)


def test_fit_draws_a_bar_per_epoch_over_its_batches(terminal, fake_tqdm):
    run = train_cli.setup({**train_cli._defaults("textbook", "small", None), "dataset": "textbook",
                           "model": "small", "batch_size": 32, "epochs": 2, "seed": 0})
    training.fit(run)
    assert [(bar.desc, bar.total, bar.n, bar.closed) for bar in fake_tqdm] == [
        ("epoch 1/2", 3, 3, True), ("epoch 2/2", 3, 3, True)]
    assert fake_tqdm[-1].postfix.startswith("loss ")


@pytest.mark.parametrize("call", [
    lambda: _book_train(progress=False),
    lambda: deltas.compare(_cnn(), *_cnn_data(), progress=False),
    lambda: training.fit(train_cli.setup({**train_cli._defaults("textbook", "small", None), "dataset": "textbook",
                                           "model": "small", "epochs": 1, "seed": 0}), progress=False),
], ids=["textbook.train", "deltas.compare", "fit"])
def test_progress_false_draws_nothing_even_on_a_terminal(terminal, fake_tqdm, capsys, call):
    call()
    assert fake_tqdm == [] and capsys.readouterr().err == ""


def test_nothing_is_drawn_when_stderr_is_not_a_terminal(monkeypatch, fake_tqdm, capsys):
    monkeypatch.setattr(_progress, "_is_terminal", lambda: False)
    _book_train()
    deltas.compare(_cnn(), *_cnn_data())
    assert fake_tqdm == [] and capsys.readouterr().err == ""


def test_without_tqdm_the_python_api_draws_nothing_but_the_training_epochs_draw_a_plain_line(
        terminal, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    _book_train()
    deltas.compare(_cnn(), *_cnn_data())
    assert capsys.readouterr().err == ""
    with _progress.Progress(10, "epoch 1/1") as bar:
        for _ in range(10):
            bar.update(postfix="loss 0.5")
    assert "\repoch 1/1 [" in capsys.readouterr().err


def test_real_tqdm_writes_the_bar_to_stderr_on_a_terminal(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with _progress.Progress(4, "work", unit="item", leave=True) as bar:
        for _ in range(4):
            bar.update(postfix="ok")
    err = capsys.readouterr().err
    assert "work" in err and "4/4" in err and "ok" in err


def test_a_short_call_draws_nothing_even_with_real_tqdm_on_a_terminal(terminal, capsys):
    """The library's bars wait half a second: a quick textbook.train leaves the terminal untouched."""
    pytest.importorskip("tqdm")
    _book_train()
    assert capsys.readouterr().err == ""

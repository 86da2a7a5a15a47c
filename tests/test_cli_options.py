"""Command-line options that would be silently ignored or surprising are refused (exit 2, naming the option).

The rows in tests/test_bad_input.py check the exit status and the option named; these check the rules themselves
(``settings_from`` for a resumed run, ``--epochs 0``, ``--help``).
"""

import argparse

import pytest

from tinygrad_cnn import load
from tinygrad_cnn.cli import main
from tinygrad_cnn.cli import train as T


def _args(**given):
    return argparse.Namespace(**{name: given.get(name) for name in T.SETTING_NAMES})


def _saved(**changes):
    settings = T.settings_from(_args(dataset="textbook", model="small"))  # cosine, adam, 20 epochs
    return {**settings, **changes}


@pytest.mark.parametrize("scheduler", ["cosine", "step"])
def test_resume_with_another_total_is_refused_for_a_planned_schedule(scheduler):
    saved = _saved(scheduler=scheduler)
    with pytest.raises(ValueError, match=f"--epochs 30 .*{scheduler} learning-rate schedule is planned for 20"):
        T.settings_from(_args(epochs=30), saved)
    with pytest.raises(ValueError, match="--epochs 10"):
        T.settings_from(_args(epochs=10), saved)
    assert T.settings_from(_args(epochs=20), saved)["epochs"] == 20  # the same total: a plain resume
    assert T.settings_from(_args(), saved)["epochs"] == 20


def test_resume_with_another_total_continues_without_a_schedule():
    assert T.settings_from(_args(epochs=30), _saved(scheduler="none"))["epochs"] == 30


def test_momentum_is_refused_unless_the_optimizer_is_sgd():
    with pytest.raises(ValueError, match=r"--momentum .* adam \(the default for --model small\)"):
        T.settings_from(_args(dataset="textbook", model="small", momentum=0.5))
    with pytest.raises(ValueError, match=r"--momentum .* adamw \(given by --optimizer\)"):
        T.settings_from(_args(dataset="textbook", model="small", optimizer="adamw", momentum=0.5))
    with pytest.raises(ValueError, match=r"--momentum .* adam \(the checkpoint's\)"):
        T.settings_from(_args(momentum=0.5), _saved())
    assert T.settings_from(_args(dataset="textbook", model="small", optimizer="sgd", momentum=0.5))["momentum"] == 0.5
    assert T.settings_from(_args(dataset="textbook", momentum=0.5))["momentum"] == 0.5  # textbook: sgd by default


def test_epochs_0_says_nothing_was_trained_and_saves_the_initial_model(capsys, tmp_path):
    path = tmp_path / "ck.npz"
    assert main(["train", "--dataset", "textbook", "--epochs", "0", "--save", str(path)]) == 0
    out = capsys.readouterr().out
    assert "nothing to train (--epochs 0)" in out and "the checkpoint is at epoch" not in out
    assert f"checkpoint: {path}" in out and load(path)["epoch"] == 0  # the file it names exists
    assert main(["train", "--dataset", "textbook", "--epochs", "0"]) == 0
    assert "checkpoint" not in capsys.readouterr().out


def test_help_says_what_resume_does_with_epochs_and_momentum(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "only with --scheduler none" in text and "is refused" in text
    assert "refused with adam/adamw" in text

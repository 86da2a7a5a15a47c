"""The ``tinygrad-cnn deltas`` command: the comparison table for the book's network, JSON, plots, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tinygrad_cnn.cli import main
from tinygrad_cnn.textbook import formulas, initial_parameters, load_data


def test_the_books_network_on_one_image(capsys, tmp_path):
    path = tmp_path / "deltas.json"
    assert main(["deltas", "--model", "textbook", "--dataset", "textbook", "--image", "3", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "the book's network (initial parameters), textbook image(s) 3" in out
    assert "All sources agree (engine, layerwise, finite differences)." in out
    document = json.loads(path.read_text())
    assert document["agrees"] and document["failing_layers"] == [] and document["images"] == [3]
    assert [layer["kind"] for layer in document["layers"]] == ["Conv2d", "Sigmoid", "MaxPool2d", "Flatten",
                                                               "Linear", "Sigmoid"]
    images, targets = load_data()  # the cost printed is the book's C for that image
    assert document["cost"] == pytest.approx(formulas.cost(initial_parameters(), images[3], targets[3]), rel=1e-12)


def test_a_batch_and_your_own_deltas_from_a_file(capsys, tmp_path):
    images, targets = load_data()
    d = formulas.deltas(initial_parameters(), images[:4], targets[:4])
    mine = tmp_path / "mine.npz"
    np.savez(mine, **{"0": d["delta_F"].reshape(4, 3, 4, 4), "4": d["delta_O"] * 2})  # δ^O off by a factor 2
    status = main(["deltas", "--image", "0:4", "--user-deltas", str(mine), "--fd-units", "3"])
    out = capsys.readouterr().out
    assert status == 1
    assert "DISAGREEMENT at layer(s) 4" in out


def test_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["deltas", "--image", "2", "--plot", str(tmp_path), "--fd-units", "0"]) == 0
    assert (tmp_path / "deltas_2.png").stat().st_size > 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--image", "96"], "outside 0..95"),
        (["--image", "a"], "--image must be an index"),
        (["--model", "no-such-file.npz"], "does not exist"),
        (["--fd-units", "-1"], "--fd-units must be at least 0"),
    ],
)
def test_bad_arguments_exit_2(argv, message, capsys):
    assert main(["deltas", *argv]) == 2
    assert message in capsys.readouterr().err

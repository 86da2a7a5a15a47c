"""The ``tinygrad-cnn deltas`` command: the comparison table for the book's network, JSON, plots, errors."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from tinygrad_cnn.cli import main
from tinygrad_cnn.textbook import formulas, initial_parameters, load_data


def test_the_books_network_on_one_image(capsys, tmp_path):
    path = tmp_path / "deltas.json"
    assert main(["deltas", "--model", "textbook", "--dataset", "textbook", "--image", "3", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "the book's network (initial parameters), textbook image(s) 3" in out
    assert "All sources agree (engine, layerwise, formulas, scalar, finite differences)." in out
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


def test_plot_draws_every_selected_image_and_says_which_channels(tmp_path, capsys, monkeypatch):
    """--image 4,7 writes one PNG per image; a layer with more channels than drawn says "6 of 8 channels shown";
    each heatmap has its colorbar (an extra axes next to it)."""
    pytest.importorskip("matplotlib")
    from tinygrad_cnn import nn
    from tinygrad_cnn.cli import _figures
    from tinygrad_cnn.cli import deltas as cli_deltas

    model = nn.Sequential(nn.Conv2d(1, 8, 3, dtype=np.float64, seed=0), nn.Tanh(), nn.Flatten(),
                          nn.Linear(128, 3, dtype=np.float64, seed=0))
    saved = {}
    monkeypatch.setattr(_figures, "save", lambda directory, figures, dpi: saved.update(figures) or
                        [tmp_path / name for name in figures])
    images, targets = load_data()
    paths = cli_deltas.write_plot(tmp_path, model, images[[4, 7]].reshape(2, 1, 6, 6), np.array([0, 2]),
                                  "cross_entropy", [4, 7])
    assert [p.name for p in paths] == ["deltas_4.png", "deltas_7.png"]
    figure = saved["deltas_7.png"]
    titles = [ax.get_title(loc="left") for ax in figure.axes]
    assert "layer 0: Conv2d, 6 of 8 channels shown\noutput, channel 0" in titles
    heatmaps = [ax for ax in figure.axes if ax.images]
    assert len(heatmaps) == 2 * 2 * 6  # 2 map layers × 6 channels × (output, δ)
    assert len(figure.axes) == 2 * 4 * 6 + len(heatmaps)  # every heatmap has a colorbar axes
    assert "image 7" in figure.get_suptitle()
    assert main(["deltas", "--image", "0,5", "--plot", str(tmp_path), "--fd-units", "0"]) == 0
    assert "wrote 2 file(s)" in capsys.readouterr().out


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


def test_a_fresh_small_model_on_the_digits(capsys):
    """Needs the train helper's models and datasets and scikit-learn; skipped without them."""
    pytest.importorskip("tinygrad_cnn.models")
    pytest.importorskip("tinygrad_cnn.datasets")
    pytest.importorskip("sklearn")
    assert main(["deltas", "--model", "small", "--dataset", "digits", "--image", "0:2", "--fd-units", "2"]) == 0
    assert "cross_entropy loss" in capsys.readouterr().out


def test_a_missing_models_module_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tinygrad_cnn.models", None)  # as if the module did not exist
    assert main(["deltas", "--model", "small", "--dataset", "textbook"]) == 2
    assert "--model small needs tinygrad_cnn.models, which is not available here" in capsys.readouterr().err


def test_a_batch_of_the_books_images_checks_every_layer_by_finite_differences(capsys, tmp_path):
    """Max pooling sends δ = 0 to three of every four conv units: finite differences must still compare units
    where δ ≠ 0 (before: all 12 sampled units had δ = 0 and the column read a vacuous 0.0e+00)."""
    path = tmp_path / "deltas.json"
    assert main(["deltas", "--model", "textbook", "--dataset", "textbook", "--image", "0:4", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "12/192" in out and "could not check" not in out
    rows = [r for r in json.loads(path.read_text())["rows"] if "finite differences" in r["sources"]]
    assert rows and all(r["units"] == min(12, int(np.prod(r["shape"]))) and r["nonzero"] > 0 for r in rows)


def test_a_negative_image_index_is_refused(capsys):
    assert main(["deltas", "--image", "-1"]) == 2
    assert "--image '-1': negative indices are not accepted" in capsys.readouterr().err


def test_a_file_that_is_not_a_checkpoint_is_named_once(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("not an archive")
    assert main(["deltas", "--model", str(notes)]) == 2
    err = capsys.readouterr().err
    assert err.count(str(notes)) == 1 and "not a tinygrad_cnn checkpoint" in err and "allow_pickle" not in err

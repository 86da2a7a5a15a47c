"""``tinygrad-cnn textbook``: the main job, in-process through ``main`` and once as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_cnn.cli import textbook as cli
from tinygrad_cnn.textbook import formulas, initial_parameters, load_data
from tinygrad_cnn.textbook.comparison import Comparison, Row
from tinygrad_cnn.textbook.training import train

REPO = Path(__file__).resolve().parents[1]


def exit_status(argv: list[str]) -> int:
    """main's return value, or the status argparse exits with."""
    try:
        return cli.main(argv)
    except SystemExit as stop:
        return stop.code


def test_a_short_run_prints_the_table_progress_and_summary(capsys):
    assert cli.main(["--steps", "3"]) == 0
    out = capsys.readouterr().out
    for source in ("layerwise", "formulas", "scalar", "finite differences"):
        assert f"{source} vs engine" in out
    assert "All sources agree (engine, layerwise, formulas, scalar, finite differences)." in out
    assert "time: engine" in out
    for step in range(4):
        assert f"step {step}/3" in out
    assert "C_T before:" in out and "training accuracy:" in out and "/96" in out
    assert "predicted digit" in out


def test_json_output_holds_the_history_and_final_figures(tmp_path, capsys):
    path = tmp_path / "out" / "run.json"
    assert cli.main(["--steps", "4", "--pool", "avg", "--engine", "formulas", "--lr", "0.1", "--json", str(path)]) == 0
    capsys.readouterr()
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["settings"] == {"lr": 0.1, "steps": 4, "pool": "avg", "engine": "formulas"}
    images, targets = load_data()
    params, history = train(initial_parameters(), images, targets, lr=0.1, steps=4, pool="avg", engine="formulas")
    assert document["history"]["cost"] == pytest.approx(history.cost, abs=1e-12)
    assert document["history"]["correct"] == history.correct
    final = document["final"]
    assert final["cost"] == pytest.approx(history.cost[-1], abs=1e-12)
    for key, shape in formulas.PARAMETER_SHAPES.items():
        assert np.asarray(final["parameters"][key]).shape == shape
        assert np.allclose(final["parameters"][key], params[key], rtol=0, atol=1e-12)
    predicted = formulas.predict(params, images, "avg")
    wrong = np.flatnonzero(predicted != targets.argmax(axis=1) + 1)
    assert [row["index"] for row in final["misclassified"]] == wrong.tolist()
    assert final["correct"] == 96 - len(wrong)
    assert final["test_image"]["predicted"] in (1, 2, 3)
    assert document["comparison"]["agrees"] is True
    assert len(document["comparison"]["rows"]) == 6 * 10 + 4 * 3  # the book's 6 quantities: 5 sources pairwise
    assert {row["book_name"] for row in document["comparison"]["rows"]} >= {"delta_F", "output_biases"}


def test_scalar_engine_run(capsys):
    assert cli.main(["--steps", "1", "--engine", "scalar", "--pool", "l2"]) == 0
    assert "scalar engine" in capsys.readouterr().out


def test_misclassified_images_are_listed(capsys):
    # zero steps from the book's initial parameters: some images are misclassified there
    images, targets = load_data()
    predicted = formulas.predict(initial_parameters(), images)
    wrong = np.flatnonzero(predicted != targets.argmax(axis=1) + 1)
    assert len(wrong) > 0
    assert cli.main(["--steps", "0"]) == 0
    out = capsys.readouterr().out
    assert f"misclassified training images: {len(wrong)}" in out
    table = out.split("misclassified training images:")[1].splitlines()[2:]
    assert [int(line.split()[0]) for line in table if line.strip()] == wrong.tolist()


@pytest.mark.parametrize(
    "argv",
    [
        ["--pool", "min"],
        ["--engine", "gpu"],
        ["--lr", "0"],
        ["--lr", "fast"],
        ["--steps", "-1"],
        ["--steps", "2.5"],
        ["--image", "-3"],
        ["--image", "96"],
        ["--no-such-option"],
    ],
)
def test_bad_arguments_exit_with_status_2(argv, capsys):
    assert exit_status(argv) == 2
    captured = capsys.readouterr()
    assert "error:" in captured.err
    assert "C_T before" not in captured.out


def test_plot_without_matplotlib_says_how_to_install_it_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    target = tmp_path / "figures"
    assert cli.main(["--plot", str(target), "--steps", "1"]) == 2
    captured = capsys.readouterr()
    assert "pip install 'tinygrad_cnn[plot]'" in captured.err
    assert captured.out == ""  # nothing computed
    assert not target.exists()


def test_plot_writes_png_files(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    target = tmp_path / "figures"
    assert cli.main(["--plot", str(target), "--steps", "2", "--image", "5"]) == 0
    capsys.readouterr()
    names = sorted(path.name for path in target.iterdir())
    assert names == ["cost.png", "filters.png", "image_5.png"]
    for path in target.iterdir():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 10_000


def test_an_engine_disagreement_exits_with_status_1(monkeypatch, capsys):
    bad = Row("0", "δ", ("engine", "formulas"), (96, 3, 4, 4), 0.25, 0.5, 1e-9, 4608)
    monkeypatch.setattr(cli, "compare", lambda *args, **kwargs: Comparison(
        "squared_error", 12.5, 96, [("0", "Conv2d")], [bad], ["engine", "formulas"], seconds={"engine": 0.1}))
    assert cli.main(["--steps", "0"]) == 1
    captured = capsys.readouterr()
    assert "DISAGREEMENT" in captured.out
    assert "the sources disagree: layer 0 δ engine vs formulas" in captured.err


def test_runs_as_a_subprocess_through_the_top_level_command(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    path = tmp_path / "run.json"
    done = subprocess.run(
        [sys.executable, "-m", "tinygrad_cnn", "textbook", "--steps", "3", "--json", str(path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "training accuracy:" in done.stdout
    assert len(json.loads(path.read_text(encoding="utf-8"))["history"]["cost"]) == 4
    bad = subprocess.run(
        [sys.executable, "-m", "tinygrad_cnn", "textbook", "--pool", "min"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert bad.returncode == 2
    assert "invalid choice" in bad.stderr

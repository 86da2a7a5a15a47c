"""`tinygrad-cnn gradcheck`: the library's property checks from the command line, without pytest."""

import subprocess
import sys

import numpy as np
import pytest

from tinygrad_cnn import Function
from tinygrad_cnn.cli import main
from tinygrad_cnn.testing import checks
from tinygrad_cnn.testing import strategies as tst


def test_runs_the_named_ops_and_prints_a_table(capsys):
    assert main(["gradcheck", "--examples", "5", "--op", "mul", "--op", "sigmoid"]) == 0
    out = capsys.readouterr().out
    assert "| mul " in out and "| sigmoid " in out
    assert "2 passed, 0 failed" in out
    row = next(line for line in out.splitlines() if line.startswith("| mul "))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "5" and cells[-1] == "pass"
    assert float(cells[2]) < 1e-5  # worst absolute error


def test_list_names_every_registered_check(capsys):
    assert main(["gradcheck", "--list"]) == 0
    out = capsys.readouterr().out
    for name in checks.check_names():
        assert name in out


def test_every_op_kind_is_registered():
    kinds = {c.kind for c in checks.CHECKS}
    assert {"elementwise", "linalg", "reduction", "movement", "conv", "pooling"} <= kinds
    names = set(checks.check_names())
    for required in ("conv2d", "max_pool2d", "avg_pool2d", "lp_pool2d", "softmax", "getitem", "matmul"):
        assert required in names


class _BrokenExp(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.exp(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x  # wrong: should be exp(x)


def test_a_failing_op_fails_the_run_with_status_1(monkeypatch, capsys):
    broken = checks.Check(
        "broken_exp", "elementwise",
        lambda: tst.tensors(shape=(3,), min_value=0.5, max_value=2.0).map(
            lambda x: checks.Case(_BrokenExp.apply, (x,))
        ),
    )
    monkeypatch.setattr(checks, "CHECKS", [*checks.CHECKS, broken])
    assert main(["gradcheck", "--examples", "3", "--op", "broken_exp", "--seed", "1"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "0 passed, 1 failed" in out
    assert "GradcheckError" in out and "analytical" in out


def test_unknown_op_is_a_usage_error(capsys):
    assert main(["gradcheck", "--op", "nope"]) == 2
    assert "unknown --op nope" in capsys.readouterr().err


def test_bad_examples_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_info:
        main(["gradcheck", "--examples", "0"])
    assert exit_info.value.code == 2


def test_module_entry_point_runs_as_a_subprocess():
    done = subprocess.run(
        [sys.executable, "-m", "tinygrad_cnn", "gradcheck", "--examples", "3", "--op", "relu"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1 passed, 0 failed" in done.stdout


def test_missing_hypothesis_gives_the_install_command(monkeypatch, capsys):
    import tinygrad_cnn.testing as testing

    monkeypatch.delattr(testing, "checks", raising=False)
    for name in [m for m in sys.modules if m.startswith("tinygrad_cnn.testing.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    assert main(["gradcheck", "--examples", "1"]) == 2
    assert "pip install 'tinygrad_cnn[test]'" in capsys.readouterr().err

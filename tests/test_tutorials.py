"""The tutorial notebooks in docs/tutorials/ run from top to bottom without an error, each in a fresh kernel and
a temporary directory (what they write, e.g. the graph's SVG, goes there). They are stored without outputs: the
diff of a change is the change, and no stale figure can contradict the code; this test is what executes them.

Needs the ``notebooks`` extra (nbclient, nbformat, ipykernel, matplotlib); skipped, naming it, without.
"""

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "docs" / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds, against a hung kernel; a whole notebook takes 2-4 s on 2 idle cores


def test_the_tutorials_are_there_and_stored_without_outputs():
    assert [path.name for path in NOTEBOOKS] == ["01_the_books_network.ipynb", "02_your_own_cnn.ipynb",
                                                 "03_property_test_your_op.ipynb", "04_gradients_of_gradients.ipynb"]
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = [cell for cell in cells if cell["cell_type"] == "code"]
        assert code and all(not cell["outputs"] and cell["execution_count"] is None for cell in code), path.name


def test_the_readme_links_every_tutorial():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f"(docs/tutorials/{path.name})" in readme, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_the_tutorial_runs(path, tmp_path):
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(path, as_version=4)
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}  # the kernel's inline figures
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)  # raises CellExecutionError, with the cell and the traceback, if a cell fails
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]

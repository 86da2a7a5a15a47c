"""The README stays true: every ```python block in it runs, in order, in one namespace per block.

A block that needs an optional package says so on the line before it, as an HTML comment that GitHub does not
show: ``<!-- needs: sklearn (the 'digits' extra) -->``. Without that package the block is skipped with that
reason, so the README's test command passes with only the ``test`` extra installed.
"""

import importlib.util
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
TEXT = README.read_text(encoding="utf-8")
# (the optional "needs" comment, the block's code)
BLOCKS = re.findall(r"(?:<!-- needs: (\S+) \((.*?)\) -->\n)?```python\n(.*?)```", TEXT, flags=re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, capsys):
    module, why, code = BLOCKS[index]
    if module and importlib.util.find_spec(module) is None:
        pytest.skip(f"README block {index} needs {module} ({why})")
    exec(compile(code, f"README.md block {index}", "exec"), {"__name__": f"readme_block_{index}"})


def test_needs_comments_name_a_module_and_why():
    """A misspelt marker would silently make a block always run (or never): each one must parse."""
    markers = re.findall(r"<!-- needs:.*?-->", TEXT)
    parsed = [block for block in BLOCKS if block[0]]
    assert len(markers) == len(parsed)
    for module, why, _ in parsed:
        assert re.fullmatch(r"[A-Za-z_][\w.]*", module) and why

"""``textbook/MATH.md`` and the code that cites it stay in step.

- every equation number cited in a comment or docstring (``eq. (12)``, ``eqs. (12), (14) and (25)``,
  ``eq. (1)-(4)``, ``(eq. 7)``) anywhere in the package, the README or the tests is stated in MATH.md;
- every ``module:function`` (or ``module:Class.method``) the document's index names exists, and every equation
  the document states has an entry in the index;
- MATH.md is package data (read through :mod:`importlib.resources`, listed in ``setup.cfg``);
- the source is named one way everywhere: "the book".
"""

from __future__ import annotations

import configparser
import fnmatch
import importlib
import re
from importlib.resources import files
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tinygrad_cnn"
INDEX_HEADING = "## Index from each equation to the code"


def _document() -> str:
    return files("tinygrad_cnn.textbook").joinpath("MATH.md").read_text(encoding="utf-8")


def _body_and_index(text: str) -> tuple[str, str]:
    body, heading, index = text.partition(INDEX_HEADING)
    assert heading, f"MATH.md has no {INDEX_HEADING!r} section"
    return body, index


# ---------------------------------------------------------------------------------------------- parsing
_NUMBER = r"\(?\d+\)?"
_CITATION = re.compile(
    rf"\b(?:[Ee]qs?\.?|[Ee]quations?)\s*({_NUMBER}(?:\s*(?:,\s*and|,|and|-|–|to)\s*{_NUMBER})*)"
)
_RANGE = re.compile(r"(\d+)\)?\s*(?:-|–|to)\s*\(?(\d+)")


def cited_numbers(text: str) -> set[int]:
    """Every equation number a text cites after "eq."/"eqs."/"equation"; a range (1)-(4) cites 1, 2, 3, 4.

    >>> sorted(cited_numbers("eq. (1)-(3) and eqs. (12), (14) and (25); see (eq. 7). (99) alone is no citation"))
    [1, 2, 3, 7, 12, 14, 25]
    >>> cited_numbers("np.equal(a, 3); frequency (4)")
    set()
    """
    numbers: set[int] = set()
    for match in _CITATION.finditer(text):
        run = match.group(1)
        for first, last in _RANGE.findall(run):
            numbers.update(range(int(first), int(last) + 1))
        numbers.update(int(n) for n in re.findall(r"\d+", run))
    return numbers


def stated_numbers(text: str) -> set[int]:
    """The equation numbers MATH.md states, written **(n)**."""
    return {int(n) for n in re.findall(r"\*\*\((\d+)\)\*\*", text)}


def index_entries(index: str) -> list[str]:
    """The backticked ``tinygrad_cnn.module:qualname`` entries of the index section."""
    return re.findall(r"`(tinygrad_cnn[\w.]*:[A-Za-z_][\w.]*)`", index)


def index_headings(index: str) -> set[int]:
    """The equation numbers that head an index subsection (``### (n) ...``)."""
    return {int(n) for n in re.findall(r"^### \((\d+)\)", index, flags=re.MULTILINE)}


def resolve(entry: str) -> object:
    """Import ``module`` and follow ``qualname`` attribute by attribute; AttributeError/ImportError if absent."""
    module_name, _, qualname = entry.partition(":")
    target: object = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _source_files() -> list[Path]:
    """The package's modules and documents (but MATH.md itself), the README, the tests and the benchmarks."""
    paths = [p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".md") and p.name != "MATH.md"]
    paths += [ROOT / "README.md", *sorted((ROOT / "tests").glob("*.py")), *sorted((ROOT / "benchmarks").rglob("*.py"))]
    return sorted(p for p in paths if p.is_file() and "__pycache__" not in p.parts)


# ----------------------------------------------------------------------------------------------- tests
def test_every_cited_equation_is_stated_in_the_document():
    stated = stated_numbers(_body_and_index(_document())[0])
    missing = {}
    for path in _source_files():
        unknown = cited_numbers(path.read_text(encoding="utf-8")) - stated
        if unknown:
            missing[str(path.relative_to(ROOT))] = sorted(unknown)
    assert not missing, f"cited but not stated in tinygrad_cnn/textbook/MATH.md: {missing}"


def test_the_check_catches_a_made_up_citation():
    stated = stated_numbers(_body_and_index(_document())[0])
    made_up = max(stated) + 1
    assert made_up not in stated
    assert cited_numbers(f"# δ by eq. ({made_up}) of the book") - stated == {made_up}
    assert cited_numbers(f'"""See eqs. (12), ({made_up}) and (25)."""') - stated == {made_up}
    assert cited_numbers(f"# eq. (1)-({made_up})") - stated >= {made_up}


def test_the_document_states_the_books_equations():
    # the equations the code cites: forward (1)-(4), δ (7), (17), gradients (8), (12), (14), recurrence (22)-(25)
    assert stated_numbers(_document()) >= {1, 2, 3, 4, 7, 8, 12, 14, 17, 22, 23, 25}


def test_every_index_entry_exists():
    entries = index_entries(_body_and_index(_document())[1])
    assert len(entries) >= 40, entries
    absent = []
    for entry in entries:
        try:
            target = resolve(entry)
        except (ImportError, AttributeError) as error:
            absent.append(f"{entry} ({type(error).__name__}: {error})")
            continue
        if not callable(target):
            absent.append(f"{entry} (not a function or class)")
    assert not absent, "MATH.md's index names code that does not exist:\n" + "\n".join(absent)


def test_the_index_resolver_rejects_a_missing_name():
    with pytest.raises(AttributeError):
        resolve("tinygrad_cnn.textbook.formulas:no_such_function")
    with pytest.raises(ImportError):
        resolve("tinygrad_cnn.no_such_module:gradients")


def test_every_stated_equation_has_an_index_entry():
    body, index = _body_and_index(_document())
    assert stated_numbers(body) == index_headings(index)
    sections = re.split(r"^### ", index, flags=re.MULTILINE)[1:]
    empty = [section.splitlines()[0] for section in sections if not index_entries(section)]
    assert not empty, f"index subsections without code: {empty}"


def test_the_tensor_engine_rules_are_indexed():
    entries = set(index_entries(_body_and_index(_document())[1]))
    for rule in (
        "tinygrad_cnn.ops.matmul:MatMul.backward",
        "tinygrad_cnn.ops.elementwise:Sigmoid.backward",
        "tinygrad_cnn.ops.conv:Conv2d.backward",
        "tinygrad_cnn.ops.pool:MaxPool2d.backward",
        "tinygrad_cnn.ops.pool:AvgPool2d.backward",
        "tinygrad_cnn.ops.pool:LpPool2d.backward",
        "tinygrad_cnn.textbook.scalar_net:_pool_block",
    ):
        assert rule in entries, rule


def test_the_document_is_package_data():
    assert files("tinygrad_cnn.textbook").joinpath("MATH.md").is_file()
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    patterns = config["options.package_data"]["tinygrad_cnn.textbook"].replace(",", " ").split()
    assert any(fnmatch.fnmatch("MATH.md", pattern) for pattern in patterns), patterns


_SECTION_REFERENCE = re.compile(r'MATH\.md(?:\x27s)?,?[ \t]*\(?"([^"\n]+)"')


def section_references(text: str) -> set[str]:
    """The section names a text quotes after MATH.md.

    >>> sorted(section_references('''see MATH.md, "Ties in max pooling" and MATH.md's "Other" (MATH.md "X")'''))
    ['Other', 'Ties in max pooling', 'X']
    """
    return set(_SECTION_REFERENCE.findall(text))


def test_every_section_the_code_names_exists():
    headings = re.findall(r"^#+ (.+)$", _document(), flags=re.MULTILINE)
    unknown = {}
    for path in _source_files():
        if path.name == "test_math_doc.py":
            continue
        names = {name for name in section_references(path.read_text(encoding="utf-8"))
                 if not any(heading.startswith(name) for heading in headings)}
        if names:
            unknown[str(path.relative_to(ROOT))] = sorted(names)
    assert not unknown, f"sections named but not in MATH.md (headings: {headings}): {unknown}"


def test_the_readme_links_the_document():
    assert "tinygrad_cnn/textbook/MATH.md" in (ROOT / "README.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------ one name: the book
_OTHER_NAMES = re.compile(r"\b(?:[Tt]he (?:document|chapter)\b|[Tt]extbook's\b|[Tt]he textbook\b(?![/.`_-]))")

# Files whose owners are rewriting them as this is written (conv/pool move to ops/window.py; nn.py and optim.py
# become packages). Each must be cleared from this list once its text says "the book"; the test below fails
# for an entry that is already clean, so the list cannot go stale.
PENDING = {
    "tests/reference_cnn.py",
}


def other_names(text: str) -> list[str]:
    """Other names for the book.

    >>> other_names("the document's rule, the textbook's a(z); the chapter; the book; the textbook/ folder")
    ['the document', 'the textbook', 'the chapter']
    """
    return _OTHER_NAMES.findall(text)


def test_the_source_is_called_the_book_everywhere():
    found = {}
    for path in _source_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative in PENDING or path.name == "test_math_doc.py":
            continue
        names = other_names(path.read_text(encoding="utf-8"))
        if names:
            found[relative] = sorted(set(names))
    assert not found, f'say "the book": {found}'


def test_pending_files_are_still_pending():
    clean = [path for path in sorted(PENDING) if (ROOT / path).exists()
             and not other_names((ROOT / path).read_text(encoding="utf-8"))]
    assert not clean, f"these now say 'the book' (or are gone): remove them from PENDING in {__file__}: {clean}"

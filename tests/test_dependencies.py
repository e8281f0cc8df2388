"""Dependencies tell the truth: every third-party module imported is declared in setup.cfg, and
what we take from XlsxWriter's private side (FastSheet's overrides, the shared-strings table
SharedStrings stands in for) still exists with the signature we rely on, so an XlsxWriter that
renames one fails here, by name, instead of writing a broken workbook."""

from __future__ import annotations

import ast
import configparser
import inspect
import re
import sys
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from pathlib import Path

import pytest
from xlsxwriter.format import Format
from xlsxwriter.sharedstrings import SharedStringTable
from xlsxwriter.worksheet import CellFormulaTuple, CellNumberTuple, CellStringTuple, Worksheet

from selfeval_xl.outputs.workbook import FastSheet, SharedStrings

ROOT = Path(__file__).resolve().parent.parent

#: import name -> distribution name, where they differ (the rest: the same name, case and - or _ aside)
DISTRIBUTION = {"yaml": "PyYAML", "docx": "python-docx", "jinja2": "Jinja2", "markupsafe": "MarkupSafe",
                "xlsxwriter": "XlsxWriter", "python_calamine": "python-calamine", "openxml_audit": "openxml-audit",
                "pydantic_core": "pydantic-core"}
#: imported by the tests but no package of PyPI: LibreOffice's own Python bridge (Debian's python3-uno),
#: run by the system interpreter in a subprocess (tests/uno_clerk.py)
NOT_FROM_PYPI = {"uno", "com"}
FIRST_PARTY = {"selfeval_xl", "tests"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(*sections: str) -> set[str]:
    """Distribution names (normalised) of setup.cfg's install_requires and the given extras."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    lines = cfg["options"]["install_requires"].splitlines()
    for extra in sections:
        lines += cfg["options.extras_require"][extra].splitlines()
    return {_normal(re.match(r"[A-Za-z0-9._-]+", line.strip())[0]) for line in lines if line.strip()}  # type: ignore[index]


def imported(folder: Path) -> dict[str, str]:
    """The top-level module of every absolute import anywhere in ``folder``'s Python files (inside a
    function or under TYPE_CHECKING too), except the standard library's -> a file that imports it."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in FIRST_PARTY:
                    found.setdefault(top, str(path.relative_to(folder.parent)))
    return found


def undeclared(folder: Path, allowed: set[str]) -> list[str]:
    return sorted(f"{top} ({where}): declare {DISTRIBUTION.get(top, top)} in setup.cfg"
                  for top, where in imported(folder).items()
                  if _normal(DISTRIBUTION.get(top, top)) not in allowed and top not in NOT_FROM_PYPI)


def test_the_package_declares_every_module_it_imports():
    assert undeclared(ROOT / "selfeval_xl", declared()) == []


def test_the_tests_declare_every_module_they_import():
    assert undeclared(ROOT / "tests", declared("test")) == []


def test_the_scan_sees_an_import_inside_a_function(tmp_path):
    """numpy is imported only inside across.py's functions: the scan must see such an import."""
    (tmp_path / "m.py").write_text("def f():\n    import numpy as np\n    from yaml import safe_load\n", encoding="utf-8")
    assert set(imported(tmp_path)) == {"numpy", "yaml"}


def test_the_names_agree_with_the_installed_distributions():
    """The table of import names against what the installed distributions say they provide."""
    provides = packages_distributions()
    for top, dist in DISTRIBUTION.items():
        if top in provides:
            assert _normal(dist) in {_normal(d) for d in provides[top]}, top


# --- XlsxWriter's private side -------------------------------------------------------------------

def _parameters(function) -> list[tuple[str, object, object]]:
    """A signature as a caller sees it: names, kinds and defaults (annotations vary by release)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


OVERRIDDEN = sorted(name for name, value in vars(FastSheet).items()
                    if callable(value) and name.startswith("_") and not name.startswith("__"))


def test_fastsheet_overrides_what_it_is_known_to():
    """The list below is what the pinned range was tested with: a new override is added here."""
    assert OVERRIDDEN == ["_prepare_formula", "_write_cell", "_write_string"]


@pytest.mark.parametrize("name", OVERRIDDEN)
def test_each_private_method_fastsheet_overrides_exists_with_the_same_signature(name):
    assert callable(getattr(Worksheet, name, None)), f"XlsxWriter's Worksheet has no {name} any more"
    assert _parameters(getattr(FastSheet, name)) == _parameters(getattr(Worksheet, name))


@pytest.mark.parametrize(("owner", "name", "call"), [
    (Worksheet, "_check_dimensions", (None, 0, 0)),
    (Worksheet, "_write_single_row", (None, 0)),
    (Format, "_get_xf_index", (None,)),
    (SharedStringTable, "_get_shared_string_index", (None, "text")),
    (SharedStringTable, "_sort_string_data", (None,)),
])
def test_each_private_method_we_call_takes_our_arguments(owner, name, call):
    """FastSheet calls _check_dimensions(row, col) and _write_single_row(row), the summary
    Format._get_xf_index(); XlsxWriter calls SharedStrings (our table) by its table's names."""
    method = getattr(owner, name, None)
    assert callable(method), f"XlsxWriter's {owner.__name__} has no {name} any more"
    inspect.signature(method).bind(*call)


def test_shared_strings_answers_every_name_xlsxwriter_asks_its_table():
    table = SharedStringTable()
    for name in ("count", "unique_count", "string_array"):
        assert hasattr(table, name), name
    for name in ("_get_shared_string_index", "_sort_string_data"):  # called positionally: kinds and defaults
        ours, theirs = (_parameters(getattr(cls, name))[1:] for cls in (SharedStrings, SharedStringTable))
        assert [p[1:] for p in ours] == [p[1:] for p in theirs], name


def test_the_worksheet_state_fastsheet_reads_is_there():
    sheet = Worksheet()
    for name in ("str_table", "table", "previous_row", "xls_strmax", "row_info", "col_info", "constant_memory"):
        assert hasattr(sheet, name), name
    assert sheet.xls_strmax == 32767
    assert CellStringTuple._fields == ("string", "format")
    assert CellNumberTuple._fields == ("number", "format")
    assert CellFormulaTuple._fields == ("formula", "format", "value")


def test_the_installed_xlsxwriter_is_in_the_declared_range():
    """setup.cfg pins XlsxWriter below its next major (the private methods above may change there)
    and at or above the lowest release that has what workbook.py imports (3.3.1: _utf16_len)."""
    spec = next(line for line in declared_lines() if line.lower().startswith("xlsxwriter"))
    low, high = re.fullmatch(r"XlsxWriter>=([\d.]+),<(\d+)", spec).groups()  # type: ignore[union-attr]
    try:
        installed = tuple(int(x) for x in version("XlsxWriter").split(".")[:3])
    except PackageNotFoundError:  # pragma: no cover
        pytest.fail("XlsxWriter is not installed")
    assert tuple(int(x) for x in low.split(".")) <= installed < (int(high),)


def declared_lines() -> list[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    return [line.strip() for line in cfg["options"]["install_requires"].splitlines() if line.strip()]

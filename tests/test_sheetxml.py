"""The sheet-XML scanner: its fast path, general path and cell-by-cell walk agree everywhere."""

from __future__ import annotations

import zipfile

import pytest

from selfeval_xl.sheetxml import _CELL_WITHOUT_REF, _scan_general, _scan_plain, _scan_walk, _sheet_data, scan_sheet

from .conftest import CORPUS


def _sheet_parts():
    from .conftest import SAMPLES_DIR

    files = sorted(SAMPLES_DIR.glob("*.xlsx")) + sorted((CORPUS).glob("*.xlsx"))
    for f in files:
        try:
            z = zipfile.ZipFile(f)
            names = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet") and n.endswith(".xml")]
            for n in names:
                yield f"{f.name}:{n}", z.read(n)
        except (zipfile.BadZipFile, KeyError, OSError):
            continue


PARTS = list(_sheet_parts())


def _summary(s):
    return (s.cells, s.max_row, s.max_col, s.min_row if s.max_row else 0, s.min_col if s.max_row else 0,
            s.formulas, s.errors)


@pytest.mark.parametrize("name, xml", PARTS, ids=[p[0] for p in PARTS])
def test_paths_agree(name, xml):
    data = _sheet_data(xml)
    if not data or b"<c" not in data:
        return
    walked = _summary(_scan_walk(data))
    assert _summary(scan_sheet(xml)) == walked
    if not _CELL_WITHOUT_REF.search(data):  # every cell has its address: the general path applies
        assert _summary(_scan_general(data)) == walked
        if data.count(b'<c r="') == data.count(b"<c ") + data.count(b"<c>"):
            assert _summary(_scan_plain(data)) == walked


def test_scanner_sees_what_calamine_does_not():
    xml = (b'<worksheet><sheetData><row r="2"><c r="B2" s="3"/><c r="C2" t="e"><v>#N/A</v></c></row>'
           b'<row r="3"><c r="A3"><f>1/0</f><v></v></c><c r="B3" t="str"><f>IF(A1=0,"","x")</f><v></v></c>'
           b'<c r="C3"><f t="shared" ref="C3:C4" si="0">A3*2</f><v>4</v></c></row>'
           b'<row r="4"><c r="C4"><f t="shared" si="0"/><v>6</v></c></row></sheetData></worksheet>')
    s = scan_sheet(xml)
    assert s.errors == {"C2": "#N/A"}
    assert s.formulas["A3"].has_saved is False  # no value saved: a tool that does not calculate
    assert s.formulas["B3"].has_saved is True and s.formulas["B3"].saved == ""
    assert s.formulas["C4"].text == "=A4*2" and s.formulas["C4"].saved == 6.0
    assert (s.cells, s.max_row, s.max_col) == (5, 4, 3)  # the styled empty B2 is no real cell...
    assert (s.min_row, s.min_col) == (2, 1)  # ...but the extent covers it (B2): a safe bound

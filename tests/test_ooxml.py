"""The OOXML layer on small hand-written parts: what a real parser reads, and what it refuses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfeval_xl.ooxml import Rejected
from selfeval_xl.ooxml.refs import parse_ref, shift_formula
from selfeval_xl.ooxml.sheet import ExcelError, read_sheet
from selfeval_xl.ooxml.xml import parse, prolog_done

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sheet(body: str, root: str = "", shared=("甲", "乙"), dates=frozenset(), max_cells=1000):
    xml = root or f'<worksheet xmlns="{NS}"><sheetData>{body}</sheetData></worksheet>'
    return read_sheet(parse(xml.encode(), "s.xml"), "s.xml", list(shared), dates, False, max_cells)


def test_values_of_every_type():
    s = sheet('<row r="2"><c r="A2"><v>1.5</v></c><c r="B2" t="s"><v>1</v></c>'
              '<c r="C2" t="inlineStr"><is><t>内</t></is></c><c r="D2" t="b"><v>1</v></c>'
              '<c r="E2" t="e"><v>#DIV/0!</v></c><c r="F2" t="str"><f>"x"</f><v>x</v></c>'
              '<c r="G2" t="inlineStr"><is><r><t>富</t></r><r><rPr><b/></rPr><t>文本</t></r><rPh><t>ふ</t></rPh></is></c></row>')
    assert s.rows[2] == {1: 1.5, 2: "乙", 3: "内", 4: True, 5: ExcelError("#DIV/0!"), 6: "x", 7: "富文本"}
    assert s.errors == {"E2": "#DIV/0!"}
    assert s.formulas["F2"].text == '="x"' and s.formulas["F2"].saved == "x"


def test_what_no_spreadsheet_can_hold_is_an_error_value_not_a_number():
    s = sheet('<row r="1"><c r="A1"><v>NaN</v></c><c r="B1"><v>INF</v></c><c r="C1"><v>1_000</v></c>'
              '<c r="D1"><v>-INF</v></c><c r="E1"><v>abc</v></c></row>')
    assert s.rows[1] == {1: ExcelError("#NUM!"), 2: ExcelError("#NUM!"), 3: ExcelError("#VALUE!"),
                         4: ExcelError("#NUM!"), 5: ExcelError("#VALUE!")}


@pytest.mark.parametrize("ref", ["b3", "B0003", "b003"])
def test_references_in_lowercase_or_zero_padded(ref):
    s = sheet(f'<row r="3"><c r="{ref}"><v>7</v></c></row>')
    assert s.rows == {3: {2: 7.0}}


@pytest.mark.parametrize("ref", ["AAAA1", "A12345678", "XFE1", "A0", "B"])
def test_a_reference_off_the_grid_is_a_damaged_file(ref):
    with pytest.raises(Rejected) as exc:
        sheet(f'<row><c r="{ref}"><v>7</v></c></row>')
    assert exc.value.code == "F003"


def test_rows_and_cells_without_addresses():
    s = sheet('<row><c><v>1</v></c><c r="C1" s="2"/><c><v>3</v></c></row><row r="5"/><row><c><v>6</v></c></row>')
    assert s.rows == {1: {1: 1.0, 4: 3.0}, 6: {1: 6.0}}


def test_comments_cdata_and_processing_instructions_anywhere():
    s = sheet('<!--<row r="1"><c r="A1"><v>99</v></c></row>--><row r="2"><?pi x?><c r="A2"><f><![CDATA[SUM(B1:B2)]]></f>'
              '<v>1<!-- c -->2</v></c></row><!--<sheetData/>-->')
    assert s.rows == {2: {1: 12.0}}
    assert s.formulas["A2"].text == "=SUM(B1:B2)"


def test_a_prefixed_and_a_hyphen_prefixed_namespace():
    for prefix in ("x", "x-y", "my.ns"):
        root = (f'<{prefix}:worksheet xmlns:{prefix}="{NS}"><{prefix}:sheetData><{prefix}:row r="1">'
                f'<{prefix}:c r="A1" t="s"><{prefix}:v>0</{prefix}:v></{prefix}:c></{prefix}:row>'
                f"</{prefix}:sheetData></{prefix}:worksheet>")
        assert sheet("", root=root).rows == {1: {1: "甲"}}


def test_shared_and_array_formulas():
    s = sheet('<row r="3"><c r="C3"><f t="shared" ref="C3:C5" si="0">A3*$B$1+SUM(A$1:A3)</f><v>4</v></c></row>'
              '<row r="4"><c r="C4"><f t="shared" si="0"/><v>6</v></c><c r="D4"><f t="array" ref="D4">A1:A2*2</f><v>2</v></c></row>')
    assert s.formulas["C4"].text == "=A4*$B$1+SUM(A$1:A4)"
    assert s.formulas["D4"].text == "=A1:A2*2"


def test_the_cell_limit():
    with pytest.raises(Rejected) as exc:
        sheet("".join(f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>' for i in range(1, 12)), max_cells=10)
    assert exc.value.code == "F006"


def test_dates_by_style():
    s = sheet('<row r="1"><c r="A1" s="1"><v>44635</v></c><c r="B1" s="1"><v>-5</v></c><c r="C1"><v>44635</v></c></row>',
              dates=frozenset({1}))
    assert str(s.rows[1][1]) == "2022-03-15 00:00:00"
    assert s.rows[1][2] == -5.0 and s.rows[1][3] == 44635.0  # a negative serial is no date


def test_a_dtd_is_refused_by_both_parsers():
    doc = b'<?xml version="1.0"?><!--x--><!DOCTYPE r [<!ENTITY e "b">]><r>&e;</r>'
    for run in (lambda: parse(doc, "p"), lambda: prolog_done(doc, "p", True)):
        with pytest.raises(Rejected) as exc:
            run()
        assert exc.value.code == "F007"


def test_an_unclosed_comment_is_not_xml():
    with pytest.raises(Rejected) as exc:
        prolog_done(b'<?xml version="1.0"?><!--' + b"x" * 100_000, "p", True)
    assert exc.value.code == "F003"


@pytest.mark.parametrize("text, rows, cols, out", [
    ("A1+$B$2+C$3+$D4", 1, 1, "B2+$B$2+D$3+$D5"),
    ('IF(A1="A1",SUM(A:A),\'My A1\'!A1)', 2, 0, 'IF(A3="A1",SUM(A:A),\'My A1\'!A3)'),
    ("SUM(1:1)+LOG10(A1)+Sheet2!B2", 1, 0, "SUM(2:2)+LOG10(A2)+Sheet2!B3"),
    ("A1", -1, 0, "#REF!"),
    ("Table1[Col1]+A1", 1, 0, "Table1[Col1]+A2"),
])
def test_shift_formula(text, rows, cols, out):
    assert shift_formula(text, rows, cols) == out


def test_parse_ref():
    assert parse_ref("XFD1048576") == (1048576, 16384)
    assert parse_ref("XFE1") is None and parse_ref("A1048577") is None and parse_ref("1A") is None


# ---------------------------------------------------------------------------------------------
# ST_Xstring (ECMA-376 Part 1, 22.9.2.19): the _xHHHH_ escapes Excel writes in cell text

def test_escapes_in_inline_rich_and_formula_text():
    """(shared strings: test_a_carriage_return_as_excel_saved_it)"""
    s = sheet('<row r="1"><c r="B1" t="inlineStr"><is><t>行一_x000D_\n行二</t></is></c>'
              '<c r="C1" t="inlineStr"><is><r><t>甲_x0009_</t></r><r><rPr><b/></rPr><t>乙_x005F_x000D_</t></r></is></c>'
              '<c r="D1" t="str"><f>A1</f><v>x_x000D_y</v></c>'
              '<c r="E1" t="inlineStr"><is><t>_xd_ _x00G0_ _X000D_ _x000D</t></is></c></row>')
    assert s.rows[1] == {2: "行一\r\n行二", 3: "甲\t乙_x000D_", 4: "x\ry",
                         5: "_xd_ _x00G0_ _X000D_ _x000D"}  # only _x + four hex digits + _ is an escape
    assert s.formulas["D1"].saved == "x\ry"


@pytest.mark.parametrize("name", ["has_x000D_.xlsx", "has_x000D_inline.xlsx"])
def test_a_carriage_return_as_excel_saved_it(name):
    """calamine's test files, saved by Excel: "ABC" CR LF "DEF" in A1 (a shared and an inline string)."""
    from pathlib import Path

    from selfeval_xl.check.intake import open_package

    wb = open_package(Path(__file__).parent / "corpus" / "calamine" / name).workbook
    assert wb.sheet(wb.sheets[0].name).get(1, 1) == "ABC\r\nDEF"


def test_escape_sequences_decode_left_to_right_and_never_to_a_lone_surrogate():
    from selfeval_xl.ooxml.xml import decode_xstring

    assert decode_xstring("_x005F_x000D_") == "_x000D_"  # Excel's way of storing the literal text
    assert decode_xstring("_x005F_x005F_") == "_x005F_"
    assert decode_xstring("_xD83D__xDE00_") == "\U0001F600"
    assert decode_xstring("_xD83D_") == "_xD83D_" and decode_xstring("_x005F_xD83D__xDE00_") == "_xD83D__xDE00_"


def test_text_is_written_as_excel_writes_it_and_reads_back_the_same():
    from lxml import etree

    from selfeval_xl.ooxml.sheet_edit import CellWriter

    texts = ["字面的 _x000D_", "回车\r换行", "_x0041_x0042_", "SKU_x0041\r", "铃\x07", "plain"]
    root = parse(f'<worksheet xmlns="{NS}"><sheetData/></worksheet>'.encode(), "s.xml")
    w = CellWriter(root)
    for i, text in enumerate(texts, 1):
        w.put(f"A{i}", text)
    xml = etree.tostring(root, encoding="unicode")
    assert "字面的 _x005F_x000D_" in xml and "回车_x000D_换行" in xml and "铃_x0007_" in xml
    back = read_sheet(parse(etree.tostring(root), "s.xml"), "s.xml", [], frozenset(), False, 100)
    assert [back.get(i, 1) for i in range(1, len(texts) + 1)] == texts


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("_x0DAF5\r\x01\x1f甲 ")) | st.characters(), max_size=40))
@pytest.mark.slow
def test_every_text_written_reads_back_the_same(text):
    """What the edit layer writes (cells and notes: encode_xstring) decodes to the text itself,
    overlapping sequences (_x0041_x0042_) and control characters next to them included."""
    from selfeval_xl.ooxml.xml import decode_xstring, encode_xstring

    assert decode_xstring(encode_xstring(text)) == text


# Writing into a copy: work that grows with the rows, not with their square (issue 17 item 11)


def test_notes_merge_with_a_sheets_comments_in_address_order_in_linear_work(monkeypatch):
    """1,000 notes among the sheet's 1,000 comments: every comment in address order, and each note
    placed by a bisection (the previous code compared each note with every comment: 1.5 million
    address look-ups here, 20,000 rows took minutes)."""
    from selfeval_xl.ooxml import comments

    theirs = "".join(f'<comment ref="B{r}" authorId="0"><text><t>旧</t></text></comment>' for r in range(2, 2001, 2))
    root = parse(f'<comments xmlns="{NS}"><authors><author>张三</author></authors>'
                 f'<commentList>{theirs}</commentList></comments>'.encode(), "c.xml")
    notes = {f"B{r}": "新" for r in range(1, 2000, 2)}
    calls = 0
    real = comments._order

    def counting(ref):
        nonlocal calls
        calls += 1
        return real(ref)

    monkeypatch.setattr(comments, "_order", counting)
    refs = comments._merge_comments(root, {**notes, "B1000": "追加"}, "财政审核", "宋体")
    order = [parse_ref(c.get("ref")) for c in root.find(f"{{{NS}}}commentList")]
    assert len(order) == 2000 and len(refs) == 2000
    mine = [p for p in order if p[0] % 2 == 1]
    assert mine == sorted(mine) and mine[0] == (1, 2)  # the new ones in order, each before the next of theirs
    positions = {p: i for i, p in enumerate(order)}
    assert all(positions[(r, 2)] < positions[(r + 1, 2)] for r in range(1, 1999, 2))
    assert calls < 20 * len(order)


def test_cells_written_into_rows_a_sheet_lacks_land_in_row_order():
    from selfeval_xl.ooxml.sheet_edit import CellWriter

    root = parse(f'<worksheet xmlns="{NS}"><sheetData><row r="5"><c r="A5"><v>1</v></c></row>'
                 '<row r="9"><c r="A9"><v>2</v></c></row></sheetData></worksheet>'.encode(), "s.xml")
    w = CellWriter(root)
    for ref in ("B12", "C7", "A1", "B6", "D3", "A10", "B8"):
        w.put(ref, 1)
    rows = [int(r.get("r")) for r in root.find(f"{{{NS}}}sheetData")]
    assert rows == [1, 3, 5, 6, 7, 8, 9, 10, 12]

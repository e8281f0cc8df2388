"""The summary's tuned worksheet writes exactly what stock XlsxWriter writes."""

from __future__ import annotations

import zipfile

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from selfeval_xl.reportbook import FastSheet, hyperlink


class _Stock(Worksheet):
    pass


def _book(path, cls):
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    fmt = wb.add_format({"font_name": "宋体", "border": 1})
    link = wb.add_format({"font_color": "#0563C1", "underline": 1})
    ws = wb.add_worksheet("问题清单", worksheet_class=cls)
    ws.set_column(0, 5, 12)
    texts = ["郑州市金水区杜岭街道办事处", 'a "quoted" & <tag>', "=HYPERLINK(\"x\")", "  spaces  ", "行\n换行"]
    numbers = [0, 1, -2.5, 91.54, 1e20, 0.1 + 0.2, 3.0]
    for i, t in enumerate(texts):
        ws.write_string(i, 0, t, fmt)
        ws.write_string(i, 5, t)  # no format, column formatted
    for i, n in enumerate(numbers):
        ws.write_number(i, 1, n, fmt)
        ws.write_number(i, 6, n)  # no format, no column format
    targets = ["审核副本/01_杜岭_审核.xlsx#'绩效指标'!F12", "a&b<c>.xlsx#'得分汇总'!C7"]
    for i, t in enumerate(targets):
        ws.write_formula(i, 2, hyperlink(t, "F12"), link, "F12")
        ws.write_formula(i, 3, "=1/0", fmt, "#DIV/0!")  # an error result: XlsxWriter's own path
    ws.write_blank(0, 4, None, fmt)
    ws.write_boolean(1, 4, True, fmt)
    ws.set_row(9, None, fmt)
    ws.write_string(9, 7, "row formatted")
    wb.close()
    return zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")


def test_tuned_sheet_xml_is_identical_to_xlsxwriters(tmp_path):
    assert _book(tmp_path / "fast.xlsx", FastSheet) == _book(tmp_path / "stock.xlsx", _Stock)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from selfeval_xl import summary as summary_mod  # noqa: E402

MARKS = {b"\x01T": b"12", b"\x01L": b"3", b"\x01W": b"456"}


@given(st.lists(st.sampled_from([b"<c>", b"x", b"\x01T", b"\x01L", b"\x01W", "说".encode(), b"\x01"]), max_size=200),
       st.integers(1, 9))
@settings(max_examples=300, deadline=None)
def test_placeholders_are_replaced_wherever_blocks_split_them(pieces, block):
    data = b"".join(pieces)
    blocks = [data[i: i + block] for i in range(0, len(data), block)]
    want = data
    for mark, index in MARKS.items():
        want = want.replace(mark, index)
    assert b"".join(summary_mod.replace_marks(blocks, MARKS)) == want


def test_a_summary_of_more_than_4_mib_of_rows_with_a_placeholder_across_a_block_boundary(tmp_path, monkeypatch):
    """The real summary: 问题清单 rows over 4 MiB, read in blocks one byte past a placeholder's
    first byte, so that it is split; the sheet is well-formed XML and holds no placeholder."""
    from lxml import etree

    from selfeval_xl.ooxml import Limits, Package, Workbook
    from selfeval_xl.rules import load_rules

    finding = {"code": "P502", "level": "warning", "level_label": "警告", "sheet": "绩效指标", "cell": "H12", "message": "说明" * 40,
               "expected": "1", "actual": "0"}
    result = {"file": "x.xlsx", "copy": "", "unit_code": "001", "unit_name": "单位", "competent_dept": "局",
              "year": 2023, "self_total": 90.0, "total": 89.0, "self_grade": "优", "grade": "良",
              "status": "errors", "counts": {"错误": 0, "警告": 400, "提示": 0}, "categories": {}, "budget": {},
              "rates": {}, "rows": [], "findings": [finding] * 400}
    sw = summary_mod.SummaryWriter(tmp_path / "审核汇总.xlsx", load_rules())
    for i in range(30):
        sw.add({**result, "file": f"{i}.xlsx"})
    sw._rows.flush()
    rows = sw._rows_path.read_bytes()
    assert len(rows) > 4 << 20
    first_mark = rows.index(b"\x01", 1 << 20)
    monkeypatch.setattr(summary_mod, "SPLICE_BLOCK", first_mark + 1)  # the block ends inside that placeholder
    sw.finish()
    wb = Workbook(Package((tmp_path / "审核汇总.xlsx").read_bytes(), Limits()))
    part = wb.sheet_parts()["问题清单"]
    xml = wb.package.zip.read(part)
    assert b"\x01" not in xml
    root = etree.fromstring(xml)  # well-formed
    assert len(root.findall(".//{*}row")) == 1 + 30 * 400

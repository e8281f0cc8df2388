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

"""Reports you can print (issue 10): every sheet of the auditor's summary and of the consolidation
on A4 landscape, with the title, page numbers and the print date in the footer, its header rows
repeated, a wide table split over pages with the unit columns repeated (not shrunk), and count
charts on whole-number axes. The scored copy opens on 审核结果."""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest

from selfeval_xl.batch.run import run_batch
from selfeval_xl.batch.tasks import BatchOptions
from selfeval_xl.core import names as S
from selfeval_xl.outputs.consolidation import consolidate


@pytest.fixture(scope="module")
def books(sample_files, tmp_path_factory):
    src = tmp_path_factory.mktemp("print-in")
    for p in sample_files.values():
        (src / p.name).write_bytes(p.read_bytes())
    out = tmp_path_factory.mktemp("print-out") / "out"
    run_batch(src, out, BatchOptions(jobs=2))
    consolidate([out], out.parent / "汇总.xlsx")
    return out, out / "审核汇总.xlsx", out.parent / "汇总.xlsx"


@pytest.mark.parametrize("which", [1, 2])
def test_every_sheet_is_set_up_for_paper(books, which):
    wb = openpyxl.load_workbook(books[which])
    for ws in wb:
        ps = ws.page_setup
        assert ps.orientation == "landscape" and str(ps.paperSize) == "9", ws.title
        footer = ws.oddFooter
        assert "&P" in footer.center.text and "&N" in footer.center.text, ws.title
        assert ws.title in footer.left.text, ws.title
        # the date it was made, as ISO 8601: a program's own print date (&D) follows its locale, 12/03/2026
        assert re.fullmatch(r"制表日期 \d{4}-\d{2}-\d{2}", footer.right.text) and "&D" not in footer.right.text, ws.title
        if ws.title not in ("总览", "说明"):
            assert ws.print_title_rows, ws.title  # the header row on every page
        scale = ps.scale or 100
        if not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage:
            assert scale >= 80 and ws.print_title_cols, ws.title  # split across pages, never shrunk


def test_the_indicator_table_fits_the_page_width_with_its_points_in_a_row_of_their_own(books):
    """It printed four pages across, mostly empty for a few units, and its headers "…（10分）"
    wrapped into a lone "）": the score columns are narrow, the points a second header row."""
    ws = openpyxl.load_workbook(books[1])["指标明细"]
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)  # 1 is the default
    assert sum(d.width for d in ws.column_dimensions.values()) <= 200 + 40  # XlsxWriter adds 0.71 a column
    assert ws.print_title_rows == "$1:$2"
    names, points = [c.value for c in ws[1]], [c.value for c in ws[2]]
    assert not any("分）" in str(n) for n in names) and all(str(p).endswith("分") for p in points[3:])


def test_count_charts_have_whole_number_axes(books):
    for path in books[1:]:
        with zipfile.ZipFile(path) as z:
            charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert charts
        for xml in charts:
            units = re.findall(r'<c:majorUnit val="([0-9.]+)"/>', xml)
            assert units and all(float(u).is_integer() for u in units)


def test_the_scored_copy_opens_on_the_findings(books):
    out = books[0]
    copy = next((out / "审核副本").glob("*.xlsx"))
    wb = openpyxl.load_workbook(copy)
    assert wb.sheetnames[0] == S.RESULTS and wb.active.title == S.RESULTS


def test_the_consolidations_subtotals_say_what_they_hold(books):
    """A subtotal's label spans the unit's name, code and year columns (it was cut at the first);
    its scores are averages and say so ("平均 91.36"), no "平均" sits in the 单位编码 column and no
    unexplained "优1" in the grade column."""
    ws = openpyxl.load_workbook(books[2])["分组明细"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    subtotals = [row for row in ws.iter_rows(min_row=2) if row[0].value and ("小计" in row[0].value or "合计" in row[0].value)]
    assert subtotals
    for row in subtotals:
        assert f"A{row[0].row}:C{row[0].row}" in merged
        assert row[1].value is None and row[4].value is None
        assert '"平均 "' in row[3].number_format and isinstance(row[3].value, float)


def test_the_consolidation_colours_grades_as_the_summary_does(books):
    from selfeval_xl.outputs.summary import GRADE_COLORS

    summary_units = openpyxl.load_workbook(books[1])["单位得分"]
    grades = openpyxl.load_workbook(books[2])["排名"]
    fills = {c.fill.fgColor.rgb[-6:] for c in next(grades.iter_cols(min_col=8, max_col=8, min_row=2)) if c.value == "优"}
    assert fills == {GRADE_COLORS[0][1:]}  # 优, the best grade: green, as in the summary (the chart had it red)
    assert summary_units  # the summary colours 优 with the same GRADE_COLORS[0] through its conditional formats
    with zipfile.ZipFile(books[2]) as z:
        chart = next(z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart"))
    assert GRADE_COLORS[0][1:] in chart and "FF0000" not in chart


def test_the_indicator_colour_scales_run_from_zero_to_full_marks_in_every_column(books):
    """Full marks are white in every column (a scale from each column's lowest to highest value
    painted them yellow where a column had a lower score and white where it had none)."""
    ws = openpyxl.load_workbook(books[1])["指标明细"]
    points = {c.column_letter: float(str(c.value)[:-1]) for c in ws[2][3:]}
    scales = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            scales[str(cf.sqref).split(":")[0].rstrip("0123456789")] = rule.colorScale
    assert set(scales) == set(points)
    for col, scale in scales.items():
        low, mid, high = scale.cfvo
        assert (low.type, mid.type, high.type) == ("num", "num", "num"), col
        assert float(low.val) == 0 and float(high.val) == points[col], col
        assert scale.color[2].rgb[-6:] == "FFFFFF", col


def test_the_unit_table_fits_the_page_width_its_notes_and_files_wrapped(books):
    """单位得分 was 201 characters wide, one more than a page takes: it printed over two pages
    across at 85%; its 暂定、加减分、封顶 notes were cut at the next column. It fits one page wide,
    the notes and the file names wrap, and a row holding a longer one is as high as its lines."""
    from selfeval_xl.outputs.summary import _lines

    ws = openpyxl.load_workbook(books[1])["单位得分"]
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
    for row in ws.iter_rows(min_row=2):
        notes, file = row[9], row[12]
        assert (notes.value is None or notes.alignment.wrap_text) and file.alignment.wrap_text
        lines = max(_lines(notes.value, ws.column_dimensions["J"].width - 0.71),
                    _lines(file.value if not str(file.value).startswith("=") else "", ws.column_dimensions["M"].width - 0.71))
        assert lines == 1 or (ws.row_dimensions[row[0].row].height or 15) >= 13 * lines, row[0].row


def test_the_indicator_headers_leave_no_character_alone_on_a_line(books):
    """A header wrapped by the spreadsheet in a narrow column filled its lines and could leave one
    character on the last ("预算执行/率", "年度履职目标相关/性" in LibreOffice, four a line): each
    name is broken into lines of about equal length, no line a lone character, and no line wider than
    the column takes in Excel (three characters a line)."""
    from selfeval_xl.outputs.summary import _indicator_widths
    from selfeval_xl.rules.model import load_rules

    ws = openpyxl.load_workbook(books[1])["指标明细"]
    widths = _indicator_widths(load_rules())
    names = [c.value for c in ws[1]][3:]
    assert any("\n" in n for n in names)
    for name, width in zip(names, widths[3:], strict=True):
        lines = name.split("\n")
        per_line = int((width * 7 + 5 - 6) / 12)  # CJK characters of 9-point text the column holds in Excel
        assert all(len(line) <= per_line or not re.search("[\u4e00-\u9fff]", line) for line in lines), name
        assert len(lines) == 1 or all(len(line) >= 2 for line in lines), name


def test_a_long_verdict_is_shown_whole_in_rows_the_template_made_low(tmp_path):
    """mof-project's 绩效指标 rows are one line high: an 审核意见 of two or three lines showed its
    first. A row whose verdict wraps is made as high as its lines."""
    from selfeval_xl.check.assess import assess
    from selfeval_xl.outputs.scored_copy import LONG_LINE, _wrapped_lines, plan, write_scored_copy
    from selfeval_xl.rules.model import load_rules

    from .conftest import ROOT

    rules = load_rules("mof-project")
    a = assess(ROOT / "examples" / "mof-project" / "01_某县农村公路建设项目_2024.xlsx", rules)
    ws = openpyxl.load_workbook(write_scored_copy(a, tmp_path))[S.INDICATORS]
    grown = 0
    for (sheet, ref), value in plan(a).values.items():
        if sheet != S.INDICATORS or not isinstance(value, str) or len(value) <= 12:
            continue
        cell = ws[ref]
        lines = _wrapped_lines(value, ws.column_dimensions[cell.column_letter].width)
        assert (ws.row_dimensions[cell.row].height or 15) >= LONG_LINE * lines, ref
        grown += lines > 1
    assert grown >= 5

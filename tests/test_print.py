"""Reports you can print (issue 10): every sheet of the auditor's summary and of the consolidation
on A4 landscape, with the title, page numbers and the print date in the footer, its header rows
repeated, a wide table split over pages with the unit columns repeated (not shrunk), and count
charts on whole-number axes. The scored copy opens on 审核结果."""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest

from selfeval_xl import standard as S
from selfeval_xl.batch import BatchOptions, run_batch
from selfeval_xl.consolidate import consolidate


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
    from selfeval_xl.summary import GRADE_COLORS

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

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
        assert ws.title in footer.left.text and "&D" in footer.right.text, ws.title
        if ws.title not in ("总览", "说明"):
            assert ws.print_title_rows, ws.title  # the header row on every page
        scale = ps.scale or 100
        if not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage:
            assert scale >= 80 and ws.print_title_cols, ws.title  # split across pages, never shrunk


def test_the_wide_indicator_table_repeats_the_unit_columns(books):
    ws = openpyxl.load_workbook(books[1])["指标明细"]
    assert ws.print_title_cols == "$A:$B"
    assert not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage)


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

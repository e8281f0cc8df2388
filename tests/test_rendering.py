"""What the auditor sees on paper (issue 18, items 4 and 7): copies and reports printed by
LibreOffice, their pages' words and colours read back (tests/rendering.py).

The scored copy's marks are the colours the README promises, though the template's own
conditional formats would paint a cell that breaks its rule in their colours; the 审核结果 header
repeats on every page; a free list does not print pages of empty numbered rows.
"""

from __future__ import annotations

import re

import pytest

from selfeval_xl.check.assess import assess
from selfeval_xl.outputs.scored_copy import MARK_FILLS, write_scored_copy

from .rendering import Page, available, render

pytestmark = [pytest.mark.libreoffice, pytest.mark.skipif(not available(), reason="LibreOffice and poppler-utils are needed")]


@pytest.fixture(scope="module")
def copy_pages(sample_files, tmp_path_factory) -> list[Page]:
    """The pages of sample 01's scored copy (errors on 基本信息 B4/B5 and 绩效指标 G16 that the
    template's own conditional formats flag too, warnings on G10 and G28)."""
    out = tmp_path_factory.mktemp("rendered-copy")
    path = write_scored_copy(assess(sample_files["01_杜岭街道办事处_2021.xlsx"]), out)
    return render(path, out / "pdf")


def _page_with(pages: list[Page], *texts: str) -> Page:
    """The first page of a sheet of the submission (not of 审核结果, whose messages quote them)
    that holds ``texts``."""
    return next(p for p in pages if not p.word("审核结果") and all(p.word(t) for t in texts))


def _cell_color(page: Page, row_label: str, column_header: str) -> str:
    """The colour of the cell in the row labelled ``row_label`` under ``column_header``."""
    row, col = page.word(row_label), page.word(column_header)
    assert row is not None and col is not None, (row_label, column_header)
    return page.color_at(col.center[0], row.center[1])


@pytest.mark.parametrize(("row", "column", "level"), [
    ("管理制度健全性", "自评得分", "错误"),  # P505, and the template's tier rule (F8CBAD) fires
    ("预算调整率", "自评得分", "警告"),  # P506
])
def test_the_marks_show_in_the_colours_the_readme_promises(copy_pages, row, column, level):
    page = _page_with(copy_pages, row, column)
    assert _cell_color(page, row, column) == MARK_FILLS[level][2:]


def test_a_blank_required_field_shows_the_error_colour(copy_pages):
    page = _page_with(copy_pages, "单位编码", "填报人")  # 基本信息
    # the template's "required and blank" format (FCE4D6, an orange border) would show otherwise
    assert _cell_color(page, "主管部门", "内容") == MARK_FILLS["错误"][2:]


def test_the_findings_header_repeats_on_every_page(copy_pages):
    pages = [p for p in copy_pages if p.word("审核结果") and any(w.text.startswith("审核结果") for w in p.words[-8:])]
    assert len(pages) >= 2
    for p in pages:
        assert p.word("级别") and p.word("说明") and p.word("期望值"), p.number


def test_a_free_list_prints_no_page_of_empty_rows(copy_pages):
    goals = [p for p in copy_pages if p.word("年度履职目标")]
    assert len(goals) == 1  # the sample's ten goals; the template's twenty numbered rows printed two


@pytest.mark.parametrize("rules_name", ["default", "four-part", "mof-project"])
def test_the_self_check_prints_with_the_score_table(rules_name, tmp_path):
    """得分汇总 printed: the score table and the whole 填报自查 block, its conclusion included, on one
    page (its last rows ran onto a second page, away from their heading)."""
    from selfeval_xl.form.template import write_template
    from selfeval_xl.rules.model import load_rules

    path = tmp_path / "t.xlsx"
    write_template(path, load_rules(rules_name))
    pages = [p for p in render(path, tmp_path / "pdf") if p.word("检查项") or p.word("自评等级")]
    assert len(pages) == 1 and all(w in pages[0].text for w in ("得分汇总", "填报自查", "结论", "自评等级")), \
        [p.text[:80] for p in pages]


def test_a_self_check_too_long_for_one_page_starts_a_page_with_its_heading(tmp_path, monkeypatch):
    """When one page would take a scale under 80%, the block starts a page of its own, heading first."""
    from selfeval_xl.form import template as template
    from selfeval_xl.rules.model import load_rules

    monkeypatch.setattr(template, "ONE_PAGE_SCALE", 1.0)
    path = tmp_path / "t.xlsx"
    template.write_template(path, load_rules())
    pages = [p for p in render(path, tmp_path / "pdf") if p.word("检查项") or p.word("自评等级")]
    assert len(pages) == 2 and "填报自查" not in pages[0].text and "结论" in pages[1].text
    assert pages[0].word("核定得分率") and pages[1].word("在哪里改")  # every column on its page
    heading = pages[1].word("填报自查（随填写自动更新；提交前应无“须改正”的问题）") or next(
        w for w in pages[1].words if w.text.startswith("填报自查"))
    assert heading.y0 <= min(w.y0 for w in pages[1].words if w.text not in ("第",)) + 1


def test_a_score_finer_than_the_rule_s_precision_shows_as_it_is_held_on_paper(tmp_path):
    """A row of 分值 0.125 keeps 0.125 as its 核定得分 at two decimals: LibreOffice shows 0.125 in the
    核定得分 column (formatted "0.00" it showed 0.13, while the 合计 used 0.125)."""
    from selfeval_xl.form.template import write_template

    from .test_scored_copy import small_rows_filling

    path = tmp_path / "small.xlsx"
    write_template(path, filling=small_rows_filling())
    pages = render(write_scored_copy(assess(path), tmp_path), tmp_path / "pdf")
    shown = []
    for page in pages:
        header = page.word("核定得分")
        rows = [w for w in page.words if re.fullmatch(r"指标[0-7]", w.text)]
        if header is None or not rows:
            continue
        for row in rows:
            cell = [w.text for w in page.words if header.x0 - 4 <= w.center[0] <= header.x1 + 4
                    and abs(w.center[1] - row.center[1]) < 3]
            shown.append((row.text, cell))
    assert sorted(shown) == [(f"指标{i}", ["0.125"]) for i in range(8)]


def test_no_form_control_or_legacy_shape_prints_over_the_verdict(sample_files, tmp_path):
    """A department's VML button and label over the 核定得分/审核意见 cells, a VML shape placed
    there by its style, an OLE object's picture, a shown note's box: LibreOffice printed each over
    the verdict of the copy. None is printed now; a button over the department's own cells still is."""
    from .test_legacy_shapes import OVER_J, SAMPLE, legacy_shapes

    path = legacy_shapes(sample_files[SAMPLE], tmp_path / "legacy.xlsx", bare_at=OVER_J)
    pages = render(write_scored_copy(assess(path), tmp_path), tmp_path / "pdf")
    text = " ".join(p.text for p in pages)
    assert "KEEP" in text
    assert not re.search("COVER|LABEL|BARE|已核定满分", text)  # 已核定满分: the shown note on I20, its box over J20:K23
    page = _page_with(pages, "核定得分", "审核意见")
    red = [(x, y) for x in range(0, int(page.width * 72 / 100), 6) for y in range(0, int(page.height * 72 / 100), 6)
           if page.color_at(x, y, 1) == "FF0000"]
    assert not red  # the OLE object's picture (pure red)


@pytest.mark.parametrize(("rule_set", "workbook", "whole"), [
    ("default", "samples/01_杜岭街道办事处_2021.xlsx", ["预算和财务管理", "工作目标管理", "重点工作完成"]),
    ("four-part", "examples/four-part/01_某区教育局_2024.xlsx",
     ["生均公用经费支出增幅", "义务教育学校维修改造面积", "社会公众或服务对象满意度", "≥20000 平方米", "25000 平方米"]),
])
def test_the_report_s_tables_keep_names_and_values_on_one_line(tmp_path, rule_set, workbook, whole):
    """The report's tables broke "预算和财务管/理", "重点工作完/成", "≥20000 平方/米", "生均公用经费支出
    增/幅": the columns are wide enough for the 二级指标 of the bundled rule sets, an 指标值 with its
    unit and the 三级指标 of the samples and examples (twelve characters where the table has room)."""
    import itertools
    import subprocess

    from selfeval_xl.outputs.word_report import write_report
    from selfeval_xl.rules.model import load_rules

    from .conftest import ROOT
    from .libreoffice import convert

    rules = load_rules(rule_set)
    a = assess(ROOT / workbook, rules)
    pdf = convert([write_report(a, rules, tmp_path / "r.docx")], tmp_path / "pdf", "pdf")[0]
    found = re.findall(r"<word [^>]*>(.*?)</word>",
                       subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
    words = found + [f"{a} {b}" for a, b in itertools.pairwise(found)]  # and a value with its unit
    for name in whole:
        assert name in words, name  # one word: on one line

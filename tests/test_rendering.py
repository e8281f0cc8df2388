"""What the auditor sees on paper (issue 18, items 4 and 7): copies and reports printed by
LibreOffice, their pages' words and colours read back (tests/rendering.py).

The scored copy's marks are the colours the README promises, though the template's own
conditional formats would paint a cell that breaks its rule in their colours; the 审核结果 header
repeats on every page; a free list does not print pages of empty numbered rows.
"""

from __future__ import annotations

import pytest

from selfeval_xl.assess import assess
from selfeval_xl.scored_copy import MARK_FILLS, write_scored_copy

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
    from selfeval_xl.rules import load_rules
    from selfeval_xl.template import write_template

    path = tmp_path / "t.xlsx"
    write_template(path, load_rules(rules_name))
    pages = [p for p in render(path, tmp_path / "pdf") if p.word("检查项") or p.word("自评等级")]
    assert len(pages) == 1 and all(w in pages[0].text for w in ("得分汇总", "填报自查", "结论", "自评等级")), \
        [p.text[:80] for p in pages]


def test_a_self_check_too_long_for_one_page_starts_a_page_with_its_heading(tmp_path, monkeypatch):
    """When one page would take a scale under 80%, the block starts a page of its own, heading first."""
    from selfeval_xl import template
    from selfeval_xl.rules import load_rules

    monkeypatch.setattr(template, "ONE_PAGE_SCALE", 1.0)
    path = tmp_path / "t.xlsx"
    template.write_template(path, load_rules())
    pages = [p for p in render(path, tmp_path / "pdf") if p.word("检查项") or p.word("自评等级")]
    assert len(pages) == 2 and "填报自查" not in pages[0].text and "结论" in pages[1].text
    assert pages[0].word("核定得分率") and pages[1].word("在哪里改")  # every column on its page
    heading = pages[1].word("填报自查（随填写自动更新；提交前应无“须改正”的问题）") or next(
        w for w in pages[1].words if w.text.startswith("填报自查"))
    assert heading.y0 <= min(w.y0 for w in pages[1].words if w.text not in ("第",)) + 1

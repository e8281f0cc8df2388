"""Workbooks made from the previous release's templates (version 2026.2, 2026.2-4, 2026.2-P), which
departments may still hold: checked and scored by their rule set with no advice to undo what the
clerk never did.

The fixtures in tests/data/template-2026.2 are the committed samples and examples of 736cbe8 (the
last commit with 2026.2 templates), byte for byte. Their block formulas span each 一级指标 from its
title row (2026.3 starts at the 小计 above), and the four-part one has no rows for the 加分、扣分
and 一票否决 that rule set added since.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from selfeval_xl.check.assess import assess
from selfeval_xl.core import names as S
from selfeval_xl.rules.model import load_rules, rules_name

from .conftest import rezip

DATA = Path(__file__).resolve().parent / "data" / "template-2026.2"
DEFAULT = DATA / "02_市场监督管理局_2023.xlsx"
STALE = DATA / "04_金水区人民医院_2023.xlsx"
FOUR_PART = DATA / "four-part_01_某区教育局_2024.xlsx"
MOF_PROJECT = DATA / "mof-project_01_某县农村公路建设项目_2024.xlsx"

#: file -> (rule set, 核定总分 and the codes 736cbe8's own code gave it, with that set: what a
#: 2026.2 workbook got before its template was superseded)
BEFORE = {
    DEFAULT: ("default", 99.71, []),
    STALE: ("default", 92.86, ["P502", "P502", "P502", "P503", "P504", "P505", "P506", "P506", "P507", "P509",
                               "P510", "V203", "X302", "X303"]),
    FOUR_PART: ("four-part", 79.0, ["P503", "P506", "P512"]),
    MOF_PROJECT: ("mof-project", 92.95, ["P503"]),
}
RESTORE = re.compile("请恢复|请不要修改或删除|请使用财政部门本年度下发的模板")


def _codes(a):
    return sorted(f.code for f in a.findings)


@pytest.mark.parametrize("path", list(BEFORE), ids=lambda p: p.name)
def test_an_earlier_template_is_checked_by_its_rule_set_as_before(path):
    """Chosen by its version; the same total and findings as when its template was current, and
    one S103 that says it is fine to score. Before the fix: 11 or 12 X302 telling the clerk to
    "restore" every block formula of 得分汇总 and 绩效指标, and an S103 telling her to use another
    template."""
    name, total, codes = BEFORE[path]
    a = assess(path)
    assert rules_name(a.rules) == name
    assert a.scores.total == total
    s103 = [f for f in a.findings if f.code == "S103"]
    assert len(s103) == 1 and "不必为此重新填报" in s103[0].message and "往期模板" in s103[0].message
    added = [f for f in a.findings if f.code == "S102"]  # four-part: the rows its rules added since
    assert sorted(f.code for f in a.findings if f.code not in ("S102", "S103")) == codes
    assert all(f.cell == "" and "新增的事项" in f.message for f in added)
    assert not [f.message for f in a.findings if f.code != "X302" and RESTORE.search(f.message)]
    # the same with --rules
    given = assess(path, load_rules(name))
    assert [f.to_dict() for f in given.findings] == [f.to_dict() for f in a.findings]


def test_a_formula_changed_in_an_earlier_template_is_still_x302(tmp_path):
    """Accepting the earlier formula accepts nothing else: a narrowed block sum is X302, with the
    current template's formula to restore (it counts the same rows in her sheet)."""
    def narrow(parts):
        sheet = _sheet_part(parts, S.SUMMARY)
        x = parts[sheet].decode()
        assert "SUM(绩效指标!$G$24:$G$37)" in x
        parts[sheet] = x.replace("SUM(绩效指标!$G$24:$G$37)", "SUM(绩效指标!$G$25:$G$37)").encode()

    a = assess(rezip(DEFAULT, tmp_path / "narrowed.xlsx", narrow))
    x302 = [f for f in a.findings if f.code == "X302"]
    assert [(f.sheet, f.cell) for f in x302] == [(S.SUMMARY, "C5")]
    assert "SUM(绩效指标!$G$23:$G$37)" in x302[0].message


def test_a_stale_value_under_an_earlier_formula_is_x303_recomputed_by_that_formula(tmp_path):
    """X303 recomputes the formula the file holds: 得分汇总's 产出 sum over the title..小计 rows."""
    def stale(parts):
        sheet = _sheet_part(parts, S.SUMMARY)
        x = parts[sheet].decode()
        cell = re.search(r'<c r="C5"[^>]*>(<f>[^<]*</f>)<v>([^<]*)</v>', x)
        assert cell and float(cell.group(2)) == 40
        parts[sheet] = x.replace(cell.group(0), cell.group(0).replace(f"<v>{cell.group(2)}</v>", "<v>12</v>")).encode()

    a = assess(rezip(DEFAULT, tmp_path / "stale.xlsx", stale))
    x303 = [f for f in a.findings if f.code.startswith("X")]
    assert [(f.code, f.cell, f.actual, f.expected) for f in x303] == [("X303", "C5", "12", "40")]


def test_a_row_the_rules_added_since_is_read_where_the_message_says_to_type_it(tmp_path):
    """Four-part 2026.2-4 has no 一票否决 rows: S102 says so (not "do not delete the template's
    labels"), and the rows typed under the table as it says are read and applied, with no X302 on
    the form's own total (her template computes it without them)."""
    before = assess(FOUR_PART)
    added = [f for f in before.findings if f.code == "S102"]
    assert len(added) == len(load_rules("four-part").declared_items) == 4
    veto = next(f for f in added if "审计发现重大违规违纪问题" in f.message)
    assert "暂按“否”计" in veto.message and "A 列写“审计发现重大违规违纪问题”、B 列填写“是”或“否”" in veto.message

    def typed(parts):
        sheet = _sheet_part(parts, S.BASIC)
        rows = "".join(
            f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{a}</t></is></c>'
            f'<c r="B{r}" t="inlineStr"><is><t>{b}</t></is></c></row>'
            for r, a, b in [(14, "获得市级及以上表彰（次）", "0"), (15, "被上级部门通报批评（次）", "1"),
                            (16, "审计发现重大违规违纪问题", "是"), (17, "发生重大安全责任事故", "否")])
        parts[sheet] = parts[sheet].decode().replace("</sheetData>", rows + "</sheetData>").encode()

    a = assess(rezip(FOUR_PART, tmp_path / "rows.xlsx", typed))
    assert a.errors == 0 and not [f for f in a.findings if f.code in ("S102", "X302", "X303")]
    assert {"P513", "P514"} <= set(_codes(a)) and a.scores.total == 59


def _sheet_part(parts, name):
    """The part name of a sheet by its name (these files are XlsxWriter's: sheetN in tab order)."""
    book = parts["xl/workbook.xml"].decode()
    names = re.findall(r'<sheet name="([^"]+)"', book)
    return f"xl/worksheets/sheet{names.index(name) + 1}.xml"


"""The generated template: the names of template.md, locked formulas, drop-downs, protection,
print set-up, and saved values that are right for the blank form."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.worksheet.formula import ArrayFormula

from selfeval_xl.check.read import read_submission
from selfeval_xl.cli.commands import main
from selfeval_xl.core import names as S
from selfeval_xl.core.formulas import Area, Array, Recalc, normalize_formula, split_a1
from selfeval_xl.form.layout import default_layout
from selfeval_xl.form.template import all_formulas, write_template
from selfeval_xl.rules.model import load_rules
from selfeval_xl.rules.targets import parse_target, read_actual

from .conftest import ROOT

COMMITTED = ROOT / "templates" / "申报表模板.xlsx"


@pytest.fixture(scope="module")
def wb(blank_template):
    return openpyxl.load_workbook(blank_template)


def test_committed_template_is_what_the_generator_makes(tmp_path):
    out = tmp_path / "t.xlsx"
    result = CliRunner().invoke(main, ["template", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(out.read_bytes()).hexdigest() == hashlib.sha256(COMMITTED.read_bytes()).hexdigest(), \
        "templates/申报表模板.xlsx is stale: run `selfeval-xl template -o templates/申报表模板.xlsx`"


def test_output_is_deterministic(tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_template(a, unit_name="某单位", unit_code="001", year=2024)
    write_template(b, unit_name="某单位", unit_code="001", year=2024)
    assert a.read_bytes() == b.read_bytes()


def test_sheets_in_standard_order(wb):
    assert wb.sheetnames == list(S.SHEETS)


def _column(ws, col, start=1):
    return [ws.cell(r, col).value for r in range(start, ws.max_row + 1)]


def test_labels_and_headers(wb, rules):
    basic = wb[S.BASIC]
    assert [basic.cell(2, c).value for c in (1, 2)] == list(S.BASIC_HEADERS)
    assert [f.label for f in S.BASIC_FIELDS] == [v for v in _column(basic, 1, 3) if v][: len(S.BASIC_FIELDS)]
    budget = wb[S.BUDGET]
    assert [budget.cell(2, c).value for c in (1, 2, 3)] == list(S.BUDGET_HEADERS)
    labels = [v for v in _column(budget, 1, 3) if v]
    spec_inputs = ["年初预算数", "其中：财政性资金", "其中：其他资金", "其中：基本支出", "其中：项目支出", "调整预算数",
                   "预算执行数", "政策性调整剔除数", "结转结余总额", '"三公经费"预算数', '"三公经费"实际支出数',
                   "政府采购预算数", "实际政府采购金额", "专项资金分配总数", "已细化专项资金数", "项目总数",
                   "已实施绩效监控项目数", "已完成绩效自评项目数", "重点绩效评价项目数", "已完成重点绩效评价项目数",
                   "评价提出意见建议数", "已采纳意见建议数"]
    spec_rates = ["预算执行率", "预算调整率", "结转结余率", '"三公经费"控制率', "政府采购执行率", "专项资金细化率",
                  "绩效监控完成率", "绩效自评完成率", "部门绩效评价完成率", "评价结果应用率"]
    assert labels[: len(spec_inputs) + len(spec_rates)] == spec_inputs + spec_rates
    ind = wb[S.INDICATORS]
    assert [ind.cell(2, c).value for c in range(1, 12)] == list(S.INDICATOR_HEADERS)
    summary = wb[S.SUMMARY]
    assert [summary.cell(2, c).value for c in range(1, 7)] == list(S.SUMMARY_HEADERS)
    assert _column(summary, 1, 3)[:7] == ["预算执行", "投入管理", "产出指标", "效益指标", "合计", "自评等级", "核定等级"]
    assert [summary.cell(r, 2).value for r in range(3, 7)] == [10, 20, 40, 30]
    for sheet, headers in ((S.GOALS, S.GOALS_HEADERS), (S.TASKS, S.TASKS_HEADERS), (S.PROBLEMS, S.PROBLEMS_HEADERS)):
        ws = wb[sheet]
        assert [ws.cell(3, c).value for c in range(1, len(headers) + 1)] == list(headers)


def test_common_rows_and_free_rows(wb, rules):
    ws = wb[S.INDICATORS]
    lay = default_layout(rules)
    assert [b.level1 for b in lay.ind_blocks] == ["投入管理指标", "产出指标", "效益指标"]
    rows = {}
    for b in lay.ind_blocks:
        # each block: its title row naming it, its rows with 一级指标 set, its 小计 row
        assert ws.cell(b.title, 1).value == b.level1 and all(ws.cell(b.title, c).value is None for c in range(2, 10))
        assert ws.cell(b.footer, 1).value == "小计" and str(ws.cell(b.footer, 2).value).startswith("=")
        rows[b.level1] = [[ws.cell(r, c).value for c in range(1, 6)] for r in range(b.title + 1, b.footer)]
        assert all(r[0] == b.level1 for r in rows[b.level1])
    table1 = [(i.level2, i.name, i.weight, i.target) for i in rules.indicators if i.level1 == "投入管理指标"]
    assert [tuple(r[1:5]) for r in rows["投入管理指标"]] == table1 and len(table1) == 19
    assert table1[0] == ("工作目标管理", "年度履职目标相关性", 1, "相关")
    assert table1[-1] == ("绩效管理", "评价结果应用率", 0.75, "≥80%")
    assert len([r for r in rows["产出指标"] if r[2] is None]) >= 12
    assert len([r for r in rows["效益指标"] if r[2] is None]) >= 8
    satisfaction = [r[1:5] for r in rows["效益指标"] if r[2]]
    assert satisfaction == [["满意度", "社会公众满意度", 8, "≥90%"], ["满意度", "服务对象满意度", 8, "≥90%"]]
    assert ws.cell(lay.ind_total_row, 1).value == "合计" and lay.ind_total_row == lay.ind_blocks[-1].footer + 1
    # the tool's columns are empty in the template
    assert all(ws.cell(r, 10).value is None and ws.cell(r, 11).value is None
               for r in range(lay.ind_first, lay.ind_total_row + 1))


def test_formulas(wb, rules):
    lay = default_layout(rules)
    expected = all_formulas(rules, lay)
    found = {}
    arrays = set()
    for sheet in (S.BUDGET, S.INDICATORS, S.SUMMARY):
        for row in wb[sheet].iter_rows():
            for c in row:
                if isinstance(c.value, ArrayFormula):
                    arrays.add((sheet, c.coordinate))
                    found[(sheet, c.coordinate)] = c.value.text
                elif c.data_type == "f":
                    found[(sheet, c.coordinate)] = c.value
    assert {k: normalize_formula(v) for k, v in found.items()} == {
        k: normalize_formula("=" + e.excel()) for k, e in expected.items()}
    # the 自查 counts over ranges that need an array formula are written as one
    assert arrays == {k for k, e in expected.items() if isinstance(e, Array)} and len(arrays) >= 4
    # the ten rates, the ten rate rows' actuals, 得分汇总's 自评 columns and grade
    assert sum(k[0] == S.BUDGET for k in found) == 10
    rate_actuals = [v for (s, c), v in found.items() if s == S.INDICATORS and c.startswith("F")]
    assert len(rate_actuals) == 10 and all(v.startswith("=预算情况!B") for v in rate_actuals)
    budget = wb[S.BUDGET]
    row = {budget.cell(r, 1).value: r for r in range(1, budget.max_row + 1)}
    spent, budgeted = f"B{row['预算执行数']}", f"B{row['调整预算数']}"
    assert found[(S.BUDGET, f"B{row['预算执行率']}")] == \
        f'=IF(COUNT({spent},{budgeted})<2,"",IF({budgeted}=0,IF({spent}=0,1,""),{spent}/{budgeted}))'
    # the optional 政策性调整剔除数 is not waited for
    assert f"ABS(B{row['调整预算数']}-B{row['年初预算数']}-B{row['政策性调整剔除数']})" in \
        found[(S.BUDGET, f"B{row['预算调整率']}")]
    assert f"COUNT(B{row['调整预算数']},B{row['年初预算数']})<2" in found[(S.BUDGET, f"B{row['预算调整率']}")]
    summary_cells = {c for s, c in found if s == S.SUMMARY}
    assert {"C3", "C4", "C5", "C6", "C7", "D3", "D7", "B7", "B8"} <= summary_cells
    # each block's sums span from the row above it (the header, or the 小计 above) to its 小计
    first, last = lay.ind_blocks[0].top, lay.ind_blocks[0].footer
    assert first == lay.ind_header_row
    assert found[(S.SUMMARY, "C3")] == f'=SUMIFS(绩效指标!$G${first}:$G${last},绩效指标!$C${first}:$C${last},"预算执行率")'
    out = lay.ind_blocks[1]
    assert out.top == lay.ind_blocks[0].footer
    assert found[(S.SUMMARY, "C5")] == f"=SUM(绩效指标!$G${out.top}:$G${out.footer})"  # by position, not column A


def test_saved_values_are_right_for_the_blank_template(blank_template, rules):
    sub = read_submission(blank_template)
    formulas = all_formulas(rules, sub.layout)
    recalc = Recalc(sub, formulas)
    for key, f in sub.formulas.items():
        want = recalc.value(*key)
        got = f.saved if f.has_saved else ""
        assert (got in (None, "", 0.0) and want in (None, "", 0.0)) or got == pytest.approx(want) or got == want, key
    # no rate before its inputs are typed: nothing invites a full self score
    rates = {r["label"]: r["数值"] for r in sub.budget_records if r["key"] in {x.key for x in rules.rates}}
    assert len(rates) == 10 and set(rates.values()) <= {None, ""}
    assert sub.summary.loc["合计", "权重分值"] == 100 and sub.summary.loc["合计", "自评得分"] == 0


def _validations(ws):
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            out[rng] = dv
    return out


def test_drop_downs(wb, rules):
    ws = wb[S.INDICATORS]
    dvs = _validations(ws)
    names = {ws.cell(r, 3).value: r for r in range(3, ws.max_row + 1)}
    for ind in rules.indicators:
        if ind.method != "qualitative":
            continue
        dv = dvs[f"F{names[ind.name]}"]
        assert dv.type == "list"
        choices = dv.formula1.strip('"').split(",")
        assert choices[0] == ind.target and choices[-1] == "不适用"
        assert len(dv.formula1) <= 257  # an inline list Excel keeps (≤ 255 characters)
        # every answer the drop-down offers is read as a tier, and it offers each tier's answers the
        # 填报说明 lists (issue 19.3: it refused 达成年度指标 while 填报说明 named it)
        target = parse_target(ind.target, rules)
        assert all(read_actual(c, target, rules).tier for c in choices[:-1])
        assert {a for t in rules.tiers for a in t.answers} <= set(choices)
        assert {read_actual(c, target, rules).tier for c in choices[:-1]} == {t.name for t in rules.tiers}
    level2_lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list" and "数量指标" in dv.formula1]
    assert level2_lists and level2_lists[0].errorStyle == "information"
    # no list points at another sheet (Excel would move it to an x14 extension openpyxl drops)
    assert all("!" not in (dv.formula1 or "") for w in wb for dv in w.data_validations.dataValidation if dv.type == "list")


def test_input_cells_unlocked_everything_else_locked(wb, rules):
    ws = wb[S.INDICATORS]
    lay = default_layout(rules)
    for r, plan in lay.ind_plan.items():
        assert ws.cell(r, 1).protection.locked  # 一级指标
        assert not ws.cell(r, 7).protection.locked  # 自评得分
        assert ws.cell(r, 10).protection.locked and ws.cell(r, 11).protection.locked  # 核定得分, 审核意见
        if plan.common:
            assert all(ws.cell(r, c).protection.locked for c in (2, 3, 4, 5))
            ind = rules.common(plan.name)
            assert ws.cell(r, 6).protection.locked == bool(ind.rate)
        else:
            assert not any(ws.cell(r, c).protection.locked for c in (2, 3, 4, 5, 6))
    budget = wb[S.BUDGET]
    for r in range(3, budget.max_row + 1):
        label = budget.cell(r, 1).value
        if label in {b.label for b in rules.budget}:
            assert not budget.cell(r, 2).protection.locked
        elif label in {x.label for x in rules.rates}:
            assert budget.cell(r, 2).protection.locked
    basic = wb[S.BASIC]
    assert basic.cell(10, 1).value == "模板版本" and basic.cell(10, 2).protection.locked
    assert basic.cell(10, 2).value == rules.version


@pytest.mark.parametrize("rule_set", ["default", "four-part", "mof-project"])
@pytest.mark.slow
def test_every_insertion_step_6_allows_gives_a_typeable_counted_row(tmp_path, rule_set):
    """Step 6 of 填报说明: select a free block's title row or one of its own rows and insert a row
    above or below it. Excel's 插入 and LibreOffice's Insert Rows copy the formats of the row above
    the new one (Range.Insert's default CopyOrigin, xlFormatFromLeftOrAbove); WPS's 在上方插入行 /
    在下方插入行 copy the same row, or, if not, the selected one. Either source row has unlocked input
    cells, and the new row lies inside every range over the block (Excel and LibreOffice widen a
    range for a row inserted after its first row, down to its last). Issue 18: above the title, the
    source was the locked 小计 and the new row fell outside every range."""
    rules = load_rules(rule_set)
    write_template(tmp_path / "t.xlsx", rules)
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")[S.INDICATORS]
    lay = default_layout(rules)
    inputs = [lay.ind_cols[h] for h in (S.LEVEL2, S.NAME, S.WEIGHT, S.TARGET, S.ACTUAL, S.SELF_SCORE, S.REASON, S.NOTE)]
    spans = sorted({(split_a1(a.first)[0], split_a1(a.last)[0]) for e in all_formulas(rules, lay).values()
                    for a in _areas(e) if (a.sheet or a.home) == S.INDICATORS})
    free = {fr.level1 for fr in rules.free_rows}
    tried = 0
    for block in (b for b in lay.ind_blocks if b.level1 in free):
        named = [block.title, *(r for r in range(block.title + 1, block.footer) if not lay.ind_plan[r].common)]
        over_block = [(a, b) for a, b in spans if a <= block.title and block.footer <= b]
        assert len(over_block) == 3  # the block's own (小计, 得分汇总), the whole table's (合计), the 自查's
        for selected in named:
            for side in ("above", "below"):
                new = selected if side == "above" else selected + 1  # the row number the new row takes
                for source in {new - 1, selected}:  # the row above it; the selected one (WPS, perhaps)
                    assert not any(ws.cell(source, c).protection.locked for c in inputs), (block.level1, selected, side)
                assert all(a < new <= b for a, b in over_block), (block.level1, selected, side)
                tried += 1
    assert tried == 2 * sum(fr.rows + 1 for fr in rules.free_rows)


def _areas(e):
    if isinstance(e, Area):
        yield e
    for child in (getattr(e, "args", None) or (getattr(e, "left", None), getattr(e, "right", None),
                                                getattr(e, "expr", None), getattr(e, "operand", None))):
        if child is not None:
            yield from _areas(child)


@pytest.mark.skipif(shutil.which("openxml-audit") is None, reason="openxml-audit is not installed (pip install openxml-audit)")
@pytest.mark.slow
def test_an_independent_validator_finds_no_error(blank_template, sample_files):
    """The Open XML SDK's checks (openxml-audit) on the templates of every bundled rule set and a
    filled sample: the array formulas of the 自查, the spacer rows' conditional formats included."""
    files = [*sorted((ROOT / "templates").glob("*.xlsx")), blank_template, sample_files["05_花园路街道办事处_2022.xlsx"]]
    for path in files:
        proc = subprocess.run(["openxml-audit", "-o", "json", "-m", "0", str(path)], capture_output=True, text=True)
        [report] = json.loads(proc.stdout)
        assert (report["valid"], report["error_count"], report["errors"]) == (True, 0, []), path.name


def test_protection_print_and_fonts(wb):
    for ws in wb:
        assert ws.protection.sheet, ws.title
        assert not ws.protection.password, ws.title
        assert ws.page_setup.paperSize in (9, "9"), ws.title
    for name in (S.BASIC, S.INDICATORS, S.GOALS):
        assert wb[name].page_setup.orientation == "landscape"
    assert wb[S.SUMMARY].page_setup.orientation == "portrait"  # the score table and the 自查 block on one page
    assert wb[S.INDICATORS].print_title_rows == "$1:$2"
    assert wb[S.INDICATORS].protection.insertRows is False  # False means "allowed" in OOXML
    assert wb[S.BUDGET].protection.insertRows is True
    fonts = {wb[S.INDICATORS].cell(3, c).font.name for c in range(1, 12)}
    assert fonts == {"宋体"}
    assert wb[S.INDICATORS]["A1"].font.name == "黑体"


def test_input_cells_stand_out(wb, rules):
    ws = wb[S.INDICATORS]
    lay = default_layout(rules)
    r = lay.ind_rows["预算执行率"]
    input_fill = ws[f"G{r}"].fill.fgColor.rgb
    assert input_fill != ws[f"C{r}"].fill.fgColor.rgb != ws[f"F{r}"].fill.fgColor.rgb
    assert input_fill.endswith("FFF2CC")
    own = next(r for r, p in lay.ind_plan.items() if not p.common)
    assert all(ws.cell(own, c).fill.fgColor.rgb == input_fill for c in range(2, 10))


def test_instructions_sheet(wb, rules):
    text = "\n".join(str(c.value) for row in wb[S.INSTRUCTIONS].iter_rows() for c in row if c.value)
    for needle in ("浅黄色", "浅蓝色", rules.version, "不适用", "预算执行 10 分", "优：90 分及以上", "填报自查"):
        assert needle in text


def test_prefilled_unit(tmp_path):
    out = tmp_path / "t.xlsx"
    r = CliRunner().invoke(main, ["template", "-o", str(out), "--unit-name", "某某局", "--unit-code", "00123",
                                  "--year", "2024", "--competent-dept", "某某区政府"])
    assert r.exit_code == 0, r.output
    b = read_submission(out).basic
    assert (b.unit_name, b.unit_code, b.year, b.competent_dept) == ("某某局", "00123", 2024, "某某区政府")


def test_the_year_validation_is_what_check_reads_and_fits_excel():
    """评价年度's custom validation: at most the 255 characters Excel keeps of a validation formula,
    and true (in our evaluator) exactly where ``check`` reads a year, but for full-width digits (and a
    line break typed around it: the 255 characters leave no room for CLEAN)."""
    from selfeval_xl.check.read import _year
    from selfeval_xl.core.formulas import Ref
    from selfeval_xl.form.checks import year_accepted

    expr = year_accepted(Ref(None, "B6", home=S.BASIC))
    assert len(expr.excel()) <= 255

    class One:
        def __init__(self, v):
            self.v = v

        def value_at(self, sheet, row, col):
            return self.v

        def area_values(self, sheet, coords):
            return [self.v for _ in coords]

    typed = [2024, 2024.0, 1900, 2100, 1899, 2101, 2024.5, -2024, True, "2024", "2024年", "2024年度", " 2023 ",
             " 1999年 ", "24年", "二〇二三年", "2023.5", "约2023", "2023年底", "2024 年", "+202", "20 4", "2e03",
             "0202", "abcd", "2024年年", "2024年度x", "1e3 "]
    for v in typed:
        assert (expr.eval(One(v)) is True) == (_year(v) is not None), v
    for stricter in ("２０２４年", "2024\n"):
        assert _year(stricter) == 2024 and expr.eval(One(stricter)) is False


@pytest.mark.parametrize("name, title", [("default", "部门(单位)整体支出绩效指标"), ("mof-project", "项目支出绩效指标"),
                                         ("four-part", "部门整体支出绩效指标（投入·过程·产出·效益）")])
@pytest.mark.slow
def test_the_indicator_sheet_is_titled_from_the_rule_set(name, title, tmp_path):
    """The mof-project template's 绩效指标 said 部门整体支出绩效指标: a 项目支出 form's is 项目支出绩效指标."""
    from selfeval_xl.rules.model import load_rules

    path = tmp_path / "t.xlsx"
    write_template(path, load_rules(name))
    wb = openpyxl.load_workbook(path)
    assert wb[S.INDICATORS]["A1"].value == title
    assert wb.properties.subject == title.replace("指标", "自评", 1)

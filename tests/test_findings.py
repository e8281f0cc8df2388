"""Every finding code of findings.md (S101-P510): a submission that triggers it, and one that
does not (the clean bureau sample, and a near miss on the other side of each threshold)."""

from __future__ import annotations

import copy
import dataclasses
import re

import pytest
import xlsxwriter

from selfeval_xl.check.assess import assess
from selfeval_xl.core import names as S
from selfeval_xl.core.findings import CODES, REGISTRY, finding
from selfeval_xl.form.filling import CommonAnswer, FormulaText, SavedValue, Typed

from .conftest import make_samples, rezip


def clean():
    return make_samples.bureau()


def own(f, level1, i, **changes):
    f.own[level1][i] = dataclasses.replace(f.own[level1][i], **changes)
    return f


def common(f, name, **changes):
    f.common[name] = dataclasses.replace(f.common.get(name, CommonAnswer()), **changes)
    return f


def budget(f, **values):
    f.budget.update(values)
    return f


def edit(f, fn):
    """Add cell edits computed from the generator's layout."""
    before = f.edits
    f.edits = lambda lay: {**(before(lay) if before else {}), **fn(lay)}
    return f


def own_row(lay, level1, i):
    return [r for r, p in lay.ind_plan.items() if not p.common and p.level1 == level1][i]


def basic(f, **values):
    f.basic.update(values)
    return f


def rate_cell(lay, label):
    return (S.BUDGET, lay.budget_cell(label))


# code -> a mutation of the clean submission that must trigger it
TRIGGER = {
    "S102": lambda f: edit(f, lambda lay: {(S.BUDGET, f"A{lay.budget_rows['调整预算数']}"): Typed("调整后预算数")}),
    "S103": lambda f: edit(f, lambda lay: {(S.BASIC, f"B{lay.basic_rows['模板版本']}"): Typed("2019.1")}),
    "S104": lambda f: edit(f, lambda lay: {(S.INDICATORS, lay.ind_cell(S.WEIGHT, lay.ind_rows["预算执行率"])): Typed(5)}),
    "V201": lambda f: own(f, "产出指标", 0, actual=None),
    "V202": lambda f: budget(f, 年初预算数="3856.4万元"),
    "V203": lambda f: own(f, "产出指标", 0, target="大约3000批"),
    "V204": lambda f: own(f, "产出指标", 1, actual="很好"),
    "V205": lambda f: budget(f, 结转结余总额=-1),
    "V206": lambda f: own(f, "产出指标", 1, actual=97.3),
    "V207": lambda f: edit(f, lambda lay: {(S.BUDGET, lay.budget_cell("项目总数")): FormulaText("=1/0", "#DIV/0!")}),
    "V208": lambda f: edit(f, lambda lay: {(S.INDICATORS, lay.ind_cell(S.LEVEL1, own_row(lay, "产出指标", 0))): Typed("其他指标")}),
    "V209": lambda f: own(f, "效益指标", 0, name="食品安全监督抽检批次"),  # also an 产出 row
    "V210": lambda f: own(f, "产出指标", 7, target="≥100%"),  # 成本指标 written "at least"
    "V211": lambda f: basic(f, 单位编码="４１０１０５\u200b０２１"),  # as an input method and a paste type it
    "X301": lambda f: edit(f, lambda lay: {rate_cell(lay, "结转结余率"): Typed(0.02)}),
    "X302": lambda f: edit(f, lambda lay: {rate_cell(lay, "结转结余率"): FormulaText(f"={lay.budget_cell('结转结余总额')}/100", 1.1153)}),
    "X303": lambda f: edit(f, lambda lay: {rate_cell(lay, "结转结余率"): SavedValue(0.5)}),
    "B401": lambda f: budget(f, 其他资金=100.02),
    "B402": lambda f: budget(f, 项目支出=735),
    "B403": lambda f: budget(f, 预算执行数=3903),
    "B404": lambda f: budget(f, 政府采购预算数=0),
    "B405": lambda f: budget(f, 政府采购预算数=0, 实际政府采购金额=0),
    "P501": lambda f: own(f, "产出指标", 0, weight=5, self_score=5),
    "P502": lambda f: own(f, "产出指标", 0, actual="2700批", self_score=5.4),
    "P503": lambda f: own(f, "产出指标", 0, actual="3900批"),
    "P504": lambda f: own(f, "产出指标", 0, self_score=7),
    "P505": lambda f: own(f, "效益指标", 2, actual="基本提升", self_score=4, reason="市场主体活跃度提升幅度有限。"),
    "P506": lambda f: own(f, "产出指标", 0, actual="2700批", reason="抽检任务调整。"),
    "P507": lambda f: own(f, "产出指标", 0, actual="2700批", reason="抽检任务调整。"),
    "P508": lambda f: common(budget(f, 预算执行数=3500), "预算执行率", reason=""),
    "P509": lambda f: own(f, "产出指标", 7, actual="不适用", self_score=None),
    "P510": lambda f: own(f, "产出指标", 7, actual="不适用", self_score=None, reason="本年度无专项经费。"),
    "P511": lambda f: own(f, "产出指标", 1, self_score=None),
}

# code -> a mutation just on the other side of the threshold, which must not trigger it
NEAR_MISS = {
    "S103": lambda f: edit(f, lambda lay: {(S.BASIC, f"B{lay.basic_rows['模板版本']}"): Typed(make_samples.load_rules().version)}),
    "V202": lambda f: budget(f, 年初预算数="3,856.40"),  # numeric text is a number
    "V203": lambda f: own(f, "产出指标", 0, target="不少于3000批"),
    "V206": lambda f: own(f, "产出指标", 1, actual="97.3%"),
    "V211": lambda f: basic(f, 单位编码=" 410105021 "),  # spaces around it are no other form
    "B401": lambda f: budget(f, 其他资金=100.01),  # within 0.01 万元
    "B403": lambda f: budget(f, 预算执行数=3902.15, 结转结余总额=0),
    "P502": lambda f: own(f, "产出指标", 0, actual="2700批", self_score=5.4, reason="抽检任务下调。"),
    "P503": lambda f: own(f, "产出指标", 0, actual="3899批"),  # 129.97%
    "P504": lambda f: own(f, "产出指标", 0, self_score=6),
    "P505": lambda f: own(f, "效益指标", 2, actual="基本提升", self_score=3.19, reason="市场主体活跃度提升幅度有限。"),
    "P506": lambda f: own(f, "产出指标", 0, actual="2700批", self_score=5.4, reason="抽检任务调整。"),
    "P508": lambda f: common(budget(f, 预算执行数=3511.94), "预算执行率", self_score=9.0),  # 90.0%: 3511.935/3902.15
    "P509": lambda f: own(f, "产出指标", 7, actual="不适用", self_score=None, reason="本年度无专项经费。"),
}


@pytest.fixture(scope="module")
def clean_result(tmp_path_factory):
    path = tmp_path_factory.mktemp("clean") / "clean.xlsx"
    from selfeval_xl.form.template import write_template

    write_template(path, filling=clean())
    return assess(path)


def test_the_clean_submission_has_no_findings(clean_result):
    assert clean_result.findings == []
    assert clean_result.scores.total == clean_result.scores.self_total == 99.71


@pytest.mark.parametrize("code", sorted(TRIGGER))
@pytest.mark.slow
def test_code_is_triggered(write_filled, code):
    f = TRIGGER[code](copy.deepcopy(clean()))
    a = assess(write_filled(f))
    codes = [x.code for x in a.findings]
    assert code in codes, f"{code} not in {codes}"
    hit = next(x for x in a.findings if x.code == code)
    assert hit.level == CODES[code][0]
    assert hit.message and re.search(r"[\u4e00-\u9fff]", hit.message)  # Chinese, for the clerk
    if code not in ("S101",):
        assert hit.sheet


@pytest.mark.parametrize("code", sorted(TRIGGER))
@pytest.mark.slow
def test_every_finding_names_a_cell_she_can_type_into(write_filled, code):
    """The cell of every finding (from each code's trigger) is unlocked in the workbook, except for
    the codes whose message says how to restore a locked cell (‡ in docs/findings.md)."""
    _assert_typeable_cells(write_filled(TRIGGER[code](copy.deepcopy(clean()))))


@pytest.mark.slow
def test_the_samples_findings_name_cells_she_can_type_into(sample_files):
    for path in sample_files.values():
        _assert_typeable_cells(path)


def _assert_typeable_cells(path):
    import openpyxl

    a = assess(path)
    wb = openpyxl.load_workbook(path)
    for f in a.findings:
        if not f.cell:
            continue
        assert wb[f.sheet].protection.sheet, f.sheet
        locked = wb[f.sheet][f.cell].protection.locked
        assert locked == REGISTRY[f.code].restores, (f.code, f.where, f.message)


@pytest.mark.parametrize("code", sorted(NEAR_MISS))
@pytest.mark.slow
def test_near_miss_does_not_trigger(write_filled, code):
    f = NEAR_MISS[code](copy.deepcopy(clean()))
    a = assess(write_filled(f))
    assert code not in [x.code for x in a.findings], [x.message for x in a.findings if x.code == code]


def test_every_structure_to_score_code_is_covered():
    wanted = {c for c in CODES if c[0] in "SVXBP"}
    # S101 needs a workbook without a sheet (below); P512-P514 rules with a cap, 一票否决 and 加分/扣分
    # (tests/test_rule_sets.py, tests/test_totals.py); S105 and S106 a hidden sheet, rows and columns
    # (tests/test_verdict.py)
    assert wanted - set(TRIGGER) == {"S101", "S105", "S106", "P512", "P513", "P514"}


def _drop_sheet(src, dst, sheet):
    def change(parts):
        parts["xl/workbook.xml"] = re.sub(rf'<sheet name="{sheet}"[^>]*/>'.encode(), b"", parts["xl/workbook.xml"])
    rezip(src, dst, change)


def test_s101_missing_sheet(write_filled, tmp_path):
    src = write_filled(clean())
    dst = tmp_path / "no_problems_sheet.xlsx"
    _drop_sheet(src, dst, S.PROBLEMS)
    a = assess(dst)
    s101 = [x for x in a.findings if x.code == "S101"]
    assert len(s101) == 1 and s101[0].sheet == S.PROBLEMS and s101[0].level == "错误"
    assert a.scores.total == 99.71  # the rest is still read and scored


def test_s101_not_a_template_at_all(tmp_path):
    path = tmp_path / "other.xlsx"
    wb = xlsxwriter.Workbook(path)
    wb.add_worksheet("Sheet1").write("A1", "某个其他表格")
    wb.close()
    a = assess(path)
    assert [x.code for x in a.findings] == ["S101"]
    assert "不是部门整体支出绩效自评申报表" in a.findings[0].message
    assert a.failed and a.scores is None  # nothing to score: no 0 points, no grade, no scored copy


def test_s104_missing_common_row_scores_zero(write_filled):
    f = edit(clean(), lambda lay: {(S.INDICATORS, lay.ind_cell(S.NAME, lay.ind_rows["政府采购执行率"])): Typed("采购执行率")})
    a = assess(write_filled(f))
    s104 = [x for x in a.findings if x.code == "S104"]
    assert any("缺少共性指标“政府采购执行率”" in x.message for x in s104)
    assert any(x.code == "V208" and "采购执行率" in x.message for x in a.findings)  # the renamed row is not counted
    assert a.scores.categories[1].verified == pytest.approx(19.0)


def test_changed_common_weight_is_scored_by_the_rules(write_filled):
    a = assess(write_filled(TRIGGER["S104"](clean())))
    row = next(r for r in a.scores.rows if r.name == "预算执行率")
    assert row.weight == 10 and row.verified == 9.71


def test_typed_over_formula_never_fools_the_score(write_filled):
    """A clerk types 100% over the execution rate: the score uses the rate recomputed from the inputs."""
    f = edit(budget(clean(), 预算执行数=3000), lambda lay: {rate_cell(lay, "预算执行率"): Typed(1.0)})
    a = assess(write_filled(f))
    assert "X301" in [x.code for x in a.findings]
    row = next(r for r in a.scores.rows if r.name == "预算执行率")
    assert row.verified == pytest.approx(round(3000 / 3902.15 * 10, 2))


def test_messages_give_figures_and_what_to_do(write_filled):
    a = assess(write_filled(budget(clean(), 调整预算数=4259.4, 年初预算数=2181.72, 财政性资金=2081.72, 基本支出=1445.72,
                                   政策性调整剔除数=0)))
    p = next(x for x in a.findings if x.code == "P502" and "预算调整率" in x.message)
    assert "0.00" in p.message and "请在" in p.message
    row = next(r for r in a.scores.rows if r.name == "预算调整率")
    assert "95.23%" in row.opinion and "≤5%" in row.opinion


def test_saved_values_absent_are_normal(write_filled, tmp_path):
    """A file saved by a tool that does not calculate (no saved values) gets no X303."""
    def change(parts):
        for name in parts:
            if name.startswith("xl/worksheets/"):
                parts[name] = re.sub(rb"(</f>)<v>[^<]*</v>", rb"\1", parts[name])
    a = assess(rezip(write_filled(clean()), tmp_path / "nocalc.xlsx", change))
    assert a.findings == [] and a.scores.total == 99.71


def test_the_findings_reference_is_in_step_with_the_registry():
    from selfeval_xl.core.findings import reference

    from .conftest import ROOT

    assert (ROOT / "docs" / "findings.md").read_text(encoding="utf-8") == reference(), \
        "docs/findings.md is stale: run `python scripts/make_docs.py`"


def test_the_registry_is_the_standard_and_every_template_fills():
    from selfeval_xl.core.findings import LEVEL_KEYS, REGISTRY

    spec = {"F001", "F002", "F003", "F004", "F005", "F006", "F007", "F008", "F009", "S101", "S102", "S103", "S104",
            *(f"V20{i}" for i in range(1, 8)), "X301", "X302", "X303", *(f"B40{i}" for i in range(1, 6)),
            *(f"P50{i}" for i in range(1, 10)), "P510"}
    assert spec <= set(REGISTRY)  # every standard code is there, none renumbered
    assert all(REGISTRY[c].ours for c in set(REGISTRY) - spec - {c for c in REGISTRY if c[0] == "C"})
    for c in REGISTRY.values():
        assert c.level in LEVEL_KEYS and c.title and c.when and c.messages
        for variant in c.messages:
            fields = {f: "x" for f in c.fields(variant) if f not in ("sheet", "cell", "expected", "actual")}
            f = finding(c.code, variant, **fields)
            assert "{" not in f.message and f.to_dict()["level"] in ("error", "warning", "info")


def test_an_unknown_or_missing_field_is_a_bug_not_a_message():
    with pytest.raises(TypeError):
        finding("P504", name="x", self_score="1")  # weight missing
    with pytest.raises(TypeError):
        finding("P504", name="x", self_score="1", weight="2", extra="3")


@pytest.mark.slow
def test_a_renamed_indicator_sheet_is_named_and_never_scored(sample_files, tmp_path):
    """A clerk renamed 绩效指标 to 绩效指标表: S101 says which sheet looks like it; the file is not
    scored (no 0 points, no 差), and a batch's average is not pulled down by it."""
    from lxml import etree

    from selfeval_xl.batch.run import run_batch
    from selfeval_xl.batch.tasks import BatchOptions

    def rename(parts):
        root = etree.fromstring(parts["xl/workbook.xml"])
        for el in root.iter("{*}sheet"):
            if el.get("name") == S.INDICATORS:
                el.set("name", "绩效指标表")
        parts["xl/workbook.xml"] = etree.tostring(root)

    indir = tmp_path / "in"
    indir.mkdir()
    rezip(sample_files["02_市场监督管理局_2023.xlsx"], indir / "renamed.xlsx", rename)
    (indir / "clean.xlsx").write_bytes(sample_files["02_市场监督管理局_2023.xlsx"].read_bytes())
    a = assess(indir / "renamed.xlsx")
    assert a.failed and a.scores is None
    f = a.failure
    assert f.code == "S101" and "绩效指标表" in f.message and "改回“绩效指标”" in f.message
    result = run_batch(indir, tmp_path / "out", BatchOptions(jobs=1))
    import openpyxl

    ws = openpyxl.load_workbook(tmp_path / "out" / "审核汇总.xlsx")["总览"]
    values = {r[0].value: r[1].value for r in ws.iter_rows(min_row=1, max_col=2) if r[0].value}
    assert values["平均核定总分"] == 99.71  # the clean file's alone
    assert values["处理失败"] == 1 and result.statuses.count("failed") == 1


@pytest.mark.slow
def test_parts_over_their_total_are_said_at_once_with_a_part_blank(write_filled):
    """财政性资金 90 against 年初预算数 0 with 其他资金 blank: no figure typed into 其他资金 can make
    them add up (amounts are never negative), so B401 is said with the V201, not after it."""
    a = assess(write_filled(budget(clean(), 年初预算数=0, 财政性资金=90, 其他资金=None)))
    b401 = [x for x in a.findings if x.code == "B401"]
    assert len(b401) == 1 and "财政性资金 90" in b401[0].message and "其他资金未填写" in b401[0].message
    assert (b401[0].expected, b401[0].actual) == ("≥ 90", "0") and b401[0].cell
    assert any(x.code == "V201" and "其他资金" in x.message for x in a.findings)
    # the blank could still make them add up: only the V201
    a = assess(write_filled(budget(clean(), 年初预算数=100, 财政性资金=90, 其他资金=None)))
    assert not any(x.code == "B401" for x in a.findings)
    assert any(x.code == "V201" and "其他资金" in x.message for x in a.findings)


def test_a_blank_actual_is_said_with_an_unreadable_target(write_filled):
    """V203 on the 指标值 and V201 on an empty 实际完成值 of the same row, both at once (the clerk
    fixes both in one round, not the V201 only after the V203)."""
    a = assess(write_filled(own(clean(), "产出指标", 0, target="大约3000批", actual=None)))
    codes = [x.code for x in a.findings if x.sheet == S.INDICATORS]
    assert "V203" in codes and "V201" in codes


def test_p507_names_a_self_score_that_is_not_a_number_as_such_not_as_blank(sample_files):
    """Sample 05's G43 shows #VALUE! (V207): P507 said of it "自评 未填", which V207 on the same cell
    contradicted."""
    a = assess(sample_files["05_花园路街道办事处_2022.xlsx"])
    p507 = next(f for f in a.findings if f.code == "P507")
    assert "G43：自评 不是数字，核定" in p507.message and "G43：自评 未填" not in p507.message
    assert any(f.code == "V207" and f.cell == "G43" for f in a.findings)

"""The form says what the rules say (issue 19.3), in LibreOffice itself.

A province's rule set (four qualitative tiers 好/较好/一般/差, 不涉及 as the not-applicable word) with a
common row of every method a clerk types into (qualitative, checklist, deduction, a number scored
positive, in bands, per point below a "≥" target) and own rows of every kind of 指标值. The template it
generates is opened in LibreOffice Calc, every answer the rule set allows is typed into each row
(one answer a row per job), and Calc's own Mark Invalid Data must find no cell its validity refuses;
``check`` then reads every answer as the rules do. A control job types answers the rules refuse, and
Calc must mark each. The prompts name the rule set's tiers and its not-applicable word, never the
default set's.
"""

from __future__ import annotations

import copy
from pathlib import Path

import openpyxl
import pytest
import yaml

from selfeval_xl.check.assess import assess
from selfeval_xl.core import names as S
from selfeval_xl.form.checks import qualitative_choices
from selfeval_xl.form.filling import Filling, OwnIndicator
from selfeval_xl.form.template import write_template
from selfeval_xl.rules.model import bundled, load_rules

from .clerk import Invalid, Job, Type, available, clerk
from .test_totals import FOUR_TIERS

NA = "不涉及"

#: the common rows changed to each typed method (1 point each, as the rows they replace; 服务对象满意度 8)
METHOD_ROWS = {
    "qualitative": ("年度履职目标相关性", {}),
    "checklist": ("工作任务科学性", {"method": "checklist", "指标值": "科学", "items": ["甲", "乙", "丙", "丁"], "points": 0.5}),
    "deduction": ("绩效指标合理性", {"method": "deduction", "指标值": "合理", "per_case": 0.5}),
    "per_point": ("预算编制完整性", {"method": "per_point", "指标值": "≥95%", "step": 0.2}),
    "bands": ("服务对象满意度", {"method": "bands", "bands": [{"min": 0.9, "points": 8}, {"min": 0.8, "points": 6}]}),
    "positive": ("社会公众满意度", {}),
}
#: every answer the rules allow in a row of each method (the qualitative list is the rule set's own)
OWN_TARGETS = ["≥90%", "≤5%", "=100%", "提升"]


def province_rules(tmp_path: Path):
    data = yaml.safe_load(bundled()["default"].read_text(encoding="utf-8"))
    data.update(qualitative=copy.deepcopy(FOUR_TIERS), not_applicable=NA, version="2026.2-省")
    for name, change in METHOD_ROWS.values():
        row = next(i for i in data["indicators"] if i["三级指标"] == name)
        row.update(change)
    data.pop("examples", None), data.pop("forms", None)
    path = tmp_path / "province.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_rules(path)


def allowed(rules, method: str) -> list:
    name = METHOD_ROWS[method][0]
    ind = rules.common(name)
    if method == "qualitative":
        return qualitative_choices(ind.target, rules)
    if method == "checklist":
        return [0, 1, 2, 3, 4, NA]
    if method == "deduction":
        return [0, 1, 5, NA]
    return ["95%", "80%", 0.93, NA]


OWN_ALLOWED = {"≥90%": ["95%", "89%", 0.9, NA], "≤5%": ["3%", "7.5%", NA], "=100%": ["100%", "98%", NA],
               "提升": ["提升", "较提升", "基本提升", "不提升", NA]}
REFUSED = {"qualitative": "很好", "checklist": 5, "deduction": -1}


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("province")
    rules = province_rules(tmp)
    own = [OwnIndicator("数量指标", f"本单位指标{i}", 10, t, None, None) for i, t in enumerate(OWN_TARGETS)]
    src = tmp / "template.xlsx"
    lay = write_template(src, rules, Filling(own={"产出指标": own}))
    return rules, lay, src


def _cells(rules, lay):
    """(cell, its allowed answers, what it is) for every row a clerk types an answer into."""
    f = lay.ind_cols[S.ACTUAL]
    out = [(f"{chr(64 + f)}{lay.ind_rows[METHOD_ROWS[m][0]]}", allowed(rules, m), m) for m in METHOD_ROWS]
    block = next(b for b in lay.ind_blocks if b.level1 == "产出指标")
    for k, target in enumerate(OWN_TARGETS):
        out.append((f"{chr(64 + f)}{block.title + 1 + k}", OWN_ALLOWED[target], f"own {target}"))
    return out


@pytest.fixture(scope="module")
def typed(province, tmp_path_factory):
    """One job per answer index (each row its k-th allowed answer), then the control job."""
    if available() is not None:
        pytest.skip(str(available()))
    rules, lay, src = province
    cells = _cells(rules, lay)
    out = tmp_path_factory.mktemp("province-typed")
    n = max(len(a) for _, a, _ in cells)
    jobs = []
    for k in range(n):
        steps = [Type(S.INDICATORS, cell, answers[k % len(answers)]) for cell, answers, _ in cells]
        jobs.append(Job(src, out / f"answers{k}.xlsx", [*steps, Invalid(S.INDICATORS)]))
    control = [Type(S.INDICATORS, cell, REFUSED[what]) for cell, _, what in cells if what in REFUSED]
    control += [Type(S.INDICATORS, cells[1][0], 1.5)]  # half an item
    jobs.append(Job(src, out / "refused.xlsx", [*control, Invalid(S.INDICATORS)]))
    results = clerk(jobs)
    return cells, jobs, results


pytestmark = pytest.mark.libreoffice


@pytest.mark.parametrize("method", [*METHOD_ROWS, "own rows"])
def test_every_allowed_answer_is_valid_in_libreoffice_and_read_by_check(province, typed, method):
    rules = province[0]
    cells, jobs, results = typed
    mine = [(cell, answers) for cell, answers, what in cells if what == method or (method == "own rows" and
                                                                                  what.startswith("own"))]
    assert mine
    for k, (job, result) in enumerate(zip(jobs[:-1], results[:-1], strict=True)):
        assert not any(s.get("locked") for s in result["steps"] if "type" in s), result
        invalid = result["steps"][-1]["invalid"]
        for cell, answers in mine:
            assert cell not in invalid, (cell, answers[k % len(answers)], "refused by the form's own validity")
        a = assess(job.dst, rules)
        wrong = [f for f in a.findings if f.code in ("V201", "V204", "V207") and f.sheet == S.INDICATORS
                 and f.cell in {c for c, _ in mine}]
        assert not wrong, [f.message for f in wrong]
        for cell, answers in mine:
            row = next(r for r in a.scores.rows if r.row == int(cell[1:]))
            if answers[k % len(answers)] == NA:
                assert not row.applicable, (cell, row.opinion)
            else:
                assert row.applicable and row.verified is not None, (cell, row.opinion)


def test_what_the_rules_refuse_libreoffice_marks(typed):
    cells, _, results = typed
    invalid = set(results[-1]["steps"][-1]["invalid"])
    refused = {cell for cell, _, what in cells if what in REFUSED}
    assert refused and refused <= invalid, (refused, invalid)


def test_the_prompts_are_the_rule_set_s(province):
    rules, lay, src = province
    ws = openpyxl.load_workbook(src)[S.INDICATORS]
    prompts = {str(dv.sqref): (dv.prompt or "", dv.error or "") for dv in ws.data_validations.dataValidation}
    f = lay.ind_cols[S.ACTUAL]
    qual = prompts[f"{chr(64 + f)}{lay.ind_rows['年度履职目标相关性']}"][0]
    assert all(f"{t.name}选" in qual for t in rules.tiers) and f"选“{NA}”" in qual
    for (prompt, error) in prompts.values():
        text = prompt + error
        # the default set's answer and tiers never show (the concept "不适用" may: "不适用的选“不涉及”")
        assert "“不适用”" not in text and "部分达成" not in text and "未达成" not in text, text
    counted = [prompts[f"{chr(64 + f)}{lay.ind_rows[METHOD_ROWS[m][0]]}"] for m in ("checklist", "deduction")]
    assert all(NA in p and NA in e for p, e in counted)
    own_prompt = next(p for sq, (p, _) in prompts.items() if sq.startswith(f"{chr(64 + f)}") and ":" in sq)
    assert all(t.name in own_prompt for t in rules.tiers) and NA in own_prompt


# ---------------------------------------------------------------------------------------------
# The rules over the total in the form's own formulas, as LibreOffice computes them


EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "four-part"


@pytest.fixture(scope="module")
def declared_in_calc(tmp_path_factory):
    """four-part's examples with 基本信息's 加分、扣分 and 一票否决 rows typed in Calc."""
    if available() is not None:
        pytest.skip(str(available()))
    rules = load_rules("four-part")
    out = tmp_path_factory.mktemp("declared")
    lay = write_template(out / "probe.xlsx", rules)
    cell = {item: f"B{lay.basic_rows[item]}" for item in rules.declared_items}
    cases = {
        "veto": (EXAMPLES / "01_某区教育局_2024.xlsx", {"审计发现重大违规违纪问题": "是"}),
        "grade": (EXAMPLES / "02_某区卫生健康委员会_2024.xlsx",
                  {"审计发现重大违规违纪问题": "否", "发生重大安全责任事故": "是", "获得市级及以上表彰（次）": 3}),
        "deduction": (EXAMPLES / "02_某区卫生健康委员会_2024.xlsx",
                      {"审计发现重大违规违纪问题": "否", "被上级部门通报批评（次）": 4}),
    }
    jobs = [Job(src, out / f"{name}.xlsx", [Type(S.BASIC, cell[k], v) for k, v in typed.items()])
            for name, (src, typed) in cases.items()]
    clerk(jobs)
    return rules, {name: job.dst for name, job in zip(cases, jobs, strict=True)}


@pytest.mark.parametrize("case, total, grade", [
    ("veto", 59, "不合格"),  # 教育局: 88.48 with its 表彰, capped at 79 by the rate, at 59 by the veto
    ("grade", 98.2, "不合格"),  # 卫健委 self 98.2 + 2 (3 表彰, at most 2) - 2 (its 通报批评); the veto fixes the grade
    ("deduction", 93.2, "优秀"),  # 98.2 - 5 (4 通报批评 = 8, at most 5)
])
def test_the_form_s_own_total_follows_the_rules_over_the_total_in_libreoffice(declared_in_calc, case, total, grade):
    """What Calc computes for the form's 自评 total and grade is what check computes from the same
    answers (and no saved value differs from its formula: no X303)."""
    rules, files = declared_in_calc
    a = assess(files[case], rules)
    sub = a.submission
    assert sub.summary.loc[S.TOTAL, "自评得分"] == pytest.approx(total)
    assert sub.summary.loc[S.SELF_GRADE, "权重分值"] == grade
    assert (a.scores.self_total, a.scores.self_grade) == (pytest.approx(total), grade)
    assert "X303" not in [f.code for f in a.findings]

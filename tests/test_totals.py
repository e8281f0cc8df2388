"""No score outside the rules (issue 17.8), rounding at the rule's precision and the clauses provinces
publish (issue 19.1-19.2, 19.4), and a rule file tested by its own examples (19.5).

Rows: whatever their number and their 分值, a row stays in [0, 分值], a category at most its weight and
equal to its rows as shown, a total between 0 and 100. Every 核定得分 lies inside its band at the
precision the rule set keeps (``decimals`` 0 to 3), and the messages show that band. Over the total:
加分/扣分 within a ceiling and a floor, the cap by a rate and 一票否决 (the lowest applies), each with
its input on 基本信息, in the form's own formulas, the scored copy and the findings.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfeval_xl.check.assess import assess
from selfeval_xl.check.read import read_submission
from selfeval_xl.check.score import score_qualitative, verified_row
from selfeval_xl.cli.commands import main
from selfeval_xl.core import names as S
from selfeval_xl.core.numbers import band_at, fmt_points, round_half_up
from selfeval_xl.form.filling import Filling, OwnIndicator
from selfeval_xl.form.template import write_template
from selfeval_xl.rules.methods import METHODS, Row
from selfeval_xl.rules.model import RulesError, Tier, bundled, load_rules
from selfeval_xl.rules.reference import reference
from selfeval_xl.rules.targets import Target, parse_target
from selfeval_xl.rules.totals import EXAMPLES, apply, examples_rule_set

from .conftest import make_samples

#: a province's four qualitative tiers (issue 19: 好 / 较好 / 一般 / 差) and its not-applicable word
FOUR_TIERS = [
    {"tier": "好", "band": [0.9, 1.0], "closed": True, "score_if_blank": 1.0, "answers": ["完全达成"], "prefixes": []},
    {"tier": "较好", "band": [0.7, 0.9], "score_if_blank": 0.7, "answers": ["较好"], "prefixes": ["较"]},
    {"tier": "一般", "band": [0.6, 0.7], "score_if_blank": 0.6, "answers": ["一般"], "prefixes": ["基本"]},
    {"tier": "差", "band": [0.0, 0.6], "score_if_blank": 0.0, "answers": ["差"], "prefixes": ["不", "未"]},
]


def rule_file(tmp_path: Path, name: str = "default", change=None) -> Path:
    data = yaml.safe_load(bundled()[name].read_text(encoding="utf-8"))
    if change:
        change(data)
    path = tmp_path / f"{name}-changed.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def province(data: dict, decimals: int = 1) -> None:
    """The rule set of issue 19's province: four tiers, one decimal, 不涉及."""
    data.update(qualitative=copy.deepcopy(FOUR_TIERS), decimals=decimals, not_applicable="不涉及")


def _own(weights: list[float], target="≥90%", actual="95%", self_full=True) -> list[OwnIndicator]:
    return [OwnIndicator("数量指标", f"指标{i}", w, target, actual, w if self_full else None) for i, w in enumerate(weights)]


def _assess_filling(tmp_path: Path, filling: Filling, rules=None):
    path = tmp_path / f"t{len(list(tmp_path.iterdir()))}.xlsx"
    write_template(path, rules, filling=filling)
    return assess(path, rules)


# ---------------------------------------------------------------------------------------------
# Issue 17.8: many small rows


@pytest.mark.parametrize("rows, weight", [(320, 0.125), (8000, 0.005)])
@pytest.mark.slow
def test_many_small_rows_add_up_to_their_category_not_above_it(tmp_path, rows, weight):
    """The issue's figures: 320 rows of 0.125 gave 核定总分 101.31, 8,000 of 0.005 gave 139.71, each row
    rounded up to 0.13 or 0.01 above its 分值. A row's 核定得分 is never above its 分值: 产出 is 40."""
    f: Filling = make_samples.bureau()
    f.own["产出指标"] = _own([weight] * rows)
    a = _assess_filling(tmp_path, f)
    out = next(c for c in a.scores.categories if c.name == "产出指标")
    own = [r for r in a.scores.rows if r.name.startswith("指标")]
    assert all(r.verified == weight for r in own)  # its full 分值, not rounded above it
    assert out.verified == 40 and a.scores.total == 99.71 and a.errors == 0
    assert sum(r.verified for r in own) == pytest.approx(out.verified)


@st.composite
def small_rows(draw):
    n = draw(st.integers(1, 120))
    if draw(st.booleans()):  # rows that add up to the category's 40, at three decimals
        each = int(40000 / n) / 1000
        weights = [each] * (n - 1) + [round(40 - each * (n - 1), 3)]
    else:  # rows of any small 分值: the category is rescaled (P501)
        weights = [draw(st.sampled_from([0.005, 0.01, 0.125, 0.333, 0.5, 1.25])) for _ in range(n)]
    rows = []
    for i, w in enumerate(weights):
        target, actual = draw(st.sampled_from([("≥90%", "95%"), ("≥90%", "44.9%"), ("≤5%", "7.3%"), ("提升", "提升"),
                                               ("提升", "基本提升"), ("提升", "未提升"), ("≥90%", "不适用")]))
        self_score = draw(st.sampled_from([None, w, w / 2, w * 0.79, w * 3]))
        rows.append(OwnIndicator("数量指标", f"指标{i}", w, target, actual, self_score, "说明。"))
    return rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(rows=small_rows(), decimals=st.integers(0, 3))
@pytest.mark.slow
def test_no_row_category_or_total_outside_the_rules_whatever_the_rows(tmp_path_factory, rows, decimals):
    """Property: any number of small rows at any precision: a row in [0, 分值], a category in [0, its
    weight] and, unless rescaled, equal to its rows as shown (to half a unit of the last decimal kept),
    the total in [0, 100]."""
    rules = dataclasses.replace(load_rules(), decimals=decimals)
    f: Filling = make_samples.bureau()
    f.own["产出指标"] = rows
    a = _assess_filling(tmp_path_factory.mktemp("rows"), f, rules)
    sc = a.scores
    assert 0 <= sc.total <= 100
    for r in sc.rows:
        assert r.verified is None or 0 <= r.verified <= (r.weight or 0) + 1e-12, (r.name, r.verified, r.weight)
    for c in sc.categories:
        assert 0 <= c.verified <= c.weight + 1e-12, c
        mine = [r.verified or 0.0 for r in sc.rows if r.category == c.name]
        if not c.provisional:
            assert abs(sum(mine) - c.verified) <= 0.5 * 10 ** -decimals + 1e-9, (c, sum(mine))


# ---------------------------------------------------------------------------------------------
# Issue 19.1: rounding at the rule's precision


def _kept(x: float, d: int) -> bool:
    return round_half_up(x, d) == x


@st.composite
def method_rows(draw):
    name = draw(st.sampled_from([n for n, m in METHODS.items() if m.score]))
    m = METHODS[name]
    ex = draw(st.sampled_from(m.examples))
    d = draw(st.integers(0, 3))
    weight = draw(st.integers(1, 20000)) / 1000
    rules = load_rules()
    target = (parse_target(ex.target, rules) if m.reads != "count" else None) or Target(ex.target, "qualitative",
                                                                                       word=ex.target)
    a = float(draw(st.integers(0, 12))) if m.reads == "count" else draw(st.floats(0, 3, allow_nan=False))
    return name, Row(a, target, weight, ex.params, d)


@settings(max_examples=400, deadline=None)
@given(method_rows())
@pytest.mark.slow
def test_every_method_s_verified_score_is_inside_its_band_at_the_kept_precision(case):
    """Property, every method and decimals 0-3: a 核定得分 is in [0, 分值] and has no more decimals than
    the rule set keeps, unless it is the 分值 itself (a 分值 finer than the precision is its own full score)."""
    name, row = case
    v, opinion = verified_row(name, row)
    assert 0 <= v <= row.weight, (name, row, v)
    assert _kept(v, row.decimals) or v == row.weight, (name, row, v)
    assert opinion


TIERS = [Tier(t["tier"], t["band"][0], t["band"][1], t.get("closed", False), t["score_if_blank"], (), ())
         for t in FOUR_TIERS]


@settings(max_examples=400, deadline=None)
@given(tiers=st.sampled_from(["default", "four"]), k=st.integers(0, 3), d=st.integers(0, 3),
       weight=st.integers(1, 20000).map(lambda x: x / 1000),
       self_score=st.none() | st.floats(-1, 25, allow_nan=False))
@pytest.mark.slow
def test_every_qualitative_verified_score_is_inside_its_tier_at_the_kept_precision(tiers, k, d, weight, self_score):
    """Property, decimals 0-3, three or four tiers: the 核定得分 lies in the tier's band as the
    precision keeps it (a half-open band's last value is its limit less one unit of the last decimal
    kept), and has that precision unless the band holds no such value (then its own limit)."""
    all_tiers = load_rules().tiers if tiers == "default" else TIERS
    tier = all_tiers[k % len(all_tiers)]
    v, _ = score_qualitative(tier, self_score, weight, d)
    lo, hi = tier.band(weight)
    first, last = band_at(lo, hi, tier.closed, d)
    assert first <= v <= last and lo - 1e-12 <= v <= hi + 1e-12, (tier, weight, d, v, first, last)
    assert v < hi - 1e-12 or tier.closed
    assert _kept(v, d) or v in (lo, hi), (tier, weight, d, v)


@pytest.mark.slow
def test_the_issue_s_qualitative_row_at_one_decimal(tmp_path):
    """Issue 19.1: one decimal, 较好 [3.5, 4.5) of a 5-point row, self-scored 5: 4.4 (was 4.5, the lower
    edge of the tier above), and the band P505 and the 审核意见 show is 3.5–4.4."""
    rules = load_rules(rule_file(tmp_path, change=province))
    f: Filling = make_samples.bureau()
    f.own["产出指标"][0] = OwnIndicator("数量指标", "执法能力提升", 5, "提升", "较提升", 5)
    f.own["产出指标"][1].weight = 6 - 5 + f.own["产出指标"][1].weight  # keep 40
    a = _assess_filling(tmp_path, f, rules)
    row = next(r for r in a.scores.rows if r.name == "执法能力提升")
    assert row.verified == 4.4 and "区间 3.5–4.4" in row.opinion
    p505 = next(x for x in a.findings if x.code == "P505")
    assert "区间为 3.5–4.4" in p505.message and "核定为 4.4" in p505.message and "4.49" not in p505.message


def test_band_at_each_precision():
    assert band_at(3.5, 4.5, False, 2) == (3.5, 4.49) and band_at(3.5, 4.5, False, 1) == (3.5, 4.4)
    assert band_at(3.5, 4.5, False, 0) == (4, 4) and band_at(0, 0.75, True, 1) == (0, 0.75)
    assert band_at(0.6, 0.8, False, 0) == (0.6, 0.6)  # nothing in whole points: its lower limit
    assert fmt_points(4.4, 1) == "4.4" and fmt_points(0.75, 1) == "0.75" and fmt_points(9.5, 2) == "9.50"


def test_the_template_says_how_the_precision_rounds(tmp_path):
    from selfeval_xl.form.instructions import sections

    rules = load_rules(rule_file(tmp_path, change=province))
    text = "\n".join(t for _, items in sections(rules) for _, t in items)
    assert "保留 1 位小数" in text and "较好档为 3.5–4.4 分" in text


# ---------------------------------------------------------------------------------------------
# Issue 19.4: messages at the edges


def test_p503_at_exactly_the_threshold_says_reached(tmp_path):
    f: Filling = make_samples.bureau()
    f.own["产出指标"][0] = OwnIndicator("数量指标", "食品安全监督抽检批次", 6, "≥3000批", "3900批", 6)  # 130%
    a = _assess_filling(tmp_path, f)
    p503 = next(x for x in a.findings if x.code == "P503")
    assert "的 130%，达到 130%" in p503.message and "超过" not in p503.message
    f.own["产出指标"][0].actual = "3903批"  # 130.1%
    a = _assess_filling(tmp_path, f)
    assert "的 130.1%，超过 130%" in next(x for x in a.findings if x.code == "P503").message


def test_p501_for_a_level2_without_rows_names_where_to_add_them(tmp_path):
    """four-part weighs 过程's 二级指标; a department whose 产出 has none of a weighed 二级指标 gets a
    cell to act on, not "（从  起）"."""
    def weigh(data):
        data["categories"][2]["二级指标"] = [{"name": "数量指标", "weight": 15}, {"name": "质量指标", "weight": 10}]

    rules = load_rules(rule_file(tmp_path, "four-part", weigh))
    f = make_samples.education_bureau()
    f.own["产出指标"] = [OwnIndicator("数量指标", f"指标{i}", 5, "≥90%", "95%", 5) for i in range(5)]
    a = _assess_filling(tmp_path, f, rules)
    p501 = [x for x in a.findings if x.code == "P501"]
    assert p501 and all(x.cell for x in p501)
    none = next(x for x in p501 if "质量指标" in x.message)
    assert "从  起" not in none.message and f"从 {none.cell} 起" in none.message and "没有二级指标为“质量指标”" in none.message


# ---------------------------------------------------------------------------------------------
# Issue 19.2: the clauses


def test_a_checklist_whose_items_exceed_the_points_loads_and_caps(tmp_path):
    def four_items(data):
        data["indicators"][3] = {"一级指标": "投入管理指标", "二级指标": "预算和财务管理", "三级指标": "预算编制完整性", "分值": 1,
                                 "指标值": "完整", "method": "checklist", "items": ["收入", "支出", "结转", "政府采购"],
                                 "points": 0.5}
    rules = load_rules(rule_file(tmp_path, change=four_items))
    ind = rules.common("预算编制完整性")
    m = METHODS["checklist"]
    t = Target("完整", "qualitative", word="完整")
    assert [m.score(Row(n, t, 1, ind.params)).score for n in (0, 1, 2, 3, 4)] == [0, 0.5, 1, 1, 1]
    from selfeval_xl.form.instructions import explain

    assert explain(ind, rules) == "对照 4 项（收入、支出、结转、政府采购），实际完成值填写具备的项数；每具备一项得 0.5 分，最高 1 分。"

    def too_few(data):
        four_items(data)
        data["indicators"][3]["items"] = ["收入"]
    with pytest.raises(RulesError, match="全部具备也得不到满分"):
        load_rules(rule_file(tmp_path, change=too_few))


def test_per_point_below_an_at_least_target(tmp_path):
    """每低于 1 个百分点扣 0.5 分，扣完为止 (预算执行率, 支付进度): loads (it was refused with a message
    that contradicted itself) and scores at and around its boundaries."""
    def per_point(data):
        data["indicators"][5].update(method="per_point", step=0.5)  # 预算执行率 ≥90%, 10 points
    rules = load_rules(rule_file(tmp_path, change=per_point))
    t = parse_target("≥90%", rules)
    m = METHODS["per_point"]
    got = [m.score(Row(a, t, 10, {"step": 0.5})).score for a in (1.2, 0.9, 0.8999, 0.89, 0.85, 0.7001, 0.7, 0.5)]
    assert got == pytest.approx([10, 10, 10 - 0.005, 9.5, 7.5, 0.005, 0, 0])
    from selfeval_xl.form.instructions import explain

    assert explain(rules.common("预算执行率"), rules) == "达到指标值得满分；每低于 1 个百分点扣 0.5 分，扣完为止。"

    def not_percent(data):
        data["indicators"][5].update(method="per_point", step=0.5)
        data["indicators"][5]["指标值"] = "≥90个"
    with pytest.raises(RulesError, match="按百分点扣分的指标值应是百分比"):
        load_rules(rule_file(tmp_path, change=not_percent))

    def equal(data):
        data["indicators"][5].update(method="per_point", step=0.5)
        data["indicators"][5]["指标值"] = "=100%"
    with pytest.raises(RulesError, match="按百分点扣分的指标值应是 ≥90%、≤5% 这样的写法"):
        load_rules(rule_file(tmp_path, change=equal))


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.case for e in EXAMPLES])
def test_the_worked_examples_over_the_total(ex):
    """docs/rules.md's table of 加分、扣分, caps and 一票否决: each as the published clause gives it."""
    o = apply(ex.before, examples_rule_set(), ex.declared, ex.rate)
    assert (o.total, o.grade) == (ex.total, ex.grade)


B, T, V, G = "获得市级及以上表彰（次）", "被上级部门通报批评（次）", "审计发现重大违规违纪问题", "发生重大安全责任事故"


@pytest.mark.parametrize("before, declared, rate, total, grade", [
    # 加分 at and around its ceiling of 2, 扣分 around its floor of 5, the total between 0 and 100
    (80, {B: 1}, None, 81, "良"), (80, {B: 2}, None, 82, "良"), (80, {B: 3}, None, 82, "良"),
    (80, {T: 2}, None, 76, "中"), (80, {T: 3}, None, 75, "中"), (80, {T: 9}, None, 75, "中"),
    (99, {B: 1}, None, 100, "优"), (99.5, {B: 2}, None, 100, "优"), (4, {T: 2}, None, 0, "差"),
    (80, {B: 0, T: 0}, None, 80, "良"), (88.5, {B: 2, T: 1}, None, 88.5, "良"),
    # the rate's cap: at 70% none, just under it 79
    (86, {}, 0.7, 86, "良"), (86, {}, 0.6999, 79, "中"), (78, {}, 0.65, 78, "中"),
    # a veto's cap: at, just under and above the total; with the rate's, the lowest
    (59, {V: True}, None, 59, "差"), (58.99, {V: True}, None, 58.99, "差"), (59.01, {V: True}, None, 59, "差"),
    (86, {V: True}, 0.65, 59, "差"), (86, {V: False}, 0.65, 79, "中"), (60, {V: True, B: 2}, None, 59, "差"),
    # a veto's grade lowers, never raises
    (93, {G: True}, None, 93, "差"), (40, {G: True}, None, 40, "差"), (93, {G: False}, None, 93, "优"),
])
def test_the_rules_over_the_total_at_and_around_their_boundaries(before, declared, rate, total, grade):
    o = apply(before, examples_rule_set(), declared, rate)
    assert (o.total, o.grade) == (pytest.approx(total), grade)
    assert 0 <= o.total <= 100


def test_adjustments_and_vetoes_are_inputs_of_the_form_read_and_checked(tmp_path):
    """four-part: the rows on 基本信息 (a whole number of times, 是/否 from a drop-down), read back;
    blank or unreadable they are V201/V202 at their cell, counted 0 / 否, and the form's 自查 counts
    them too."""
    rules = load_rules("four-part")
    f = make_samples.education_bureau()
    f.declared = {"获得市级及以上表彰（次）": "两次", "被上级部门通报批评（次）": None, "审计发现重大违规违纪问题": "也许",
                  "发生重大安全责任事故": "否"}
    path = tmp_path / "t.xlsx"
    lay = write_template(path, rules, filling=f)
    sub = read_submission(path, rules)
    assert sub.basic.cells["审计发现重大违规违纪问题"] == f"B{lay.basic_rows['审计发现重大违规违纪问题']}"
    a = assess(path, rules)
    found = {(x.code, x.cell) for x in a.findings if x.sheet == S.BASIC}
    rows = lay.basic_rows
    assert {("V202", f"B{rows['获得市级及以上表彰（次）']}"), ("V201", f"B{rows['被上级部门通报批评（次）']}"),
            ("V202", f"B{rows['审计发现重大违规违纪问题']}")} <= found
    assert a.scores.before_limits == 87.48 and a.scores.total == 79  # nothing added, no veto
    # the form's own 自查 (its saved value, computed as a spreadsheet would) counts the three
    from selfeval_xl.form.checks import form_checks
    from selfeval_xl.form.template import _check_rows

    checks = form_checks(rules, lay)
    _, _, at, _ = _check_rows(lay, checks)
    row = next(r for r, c in at.items() if "一票否决" in c.title)
    assert sub.value(S.SUMMARY, f"C{row}") == 3


def test_a_veto_that_fixes_the_grade_and_a_deduction_floor(tmp_path):
    rules = load_rules("four-part")
    f = make_samples.education_bureau()
    f.budget["预算执行数"] = 5200  # 100%: no cap by the rate
    f.declared = {"获得市级及以上表彰（次）": 5, "被上级部门通报批评（次）": 0, "审计发现重大违规违纪问题": "否",
                  "发生重大安全责任事故": "是"}
    a = _assess_filling(tmp_path, f, rules)
    sc = a.scores
    assert sc.before_limits == 90.98 and sc.total == 92.98  # 5 表彰, at most 2 points
    assert sc.grade == "不合格" and sc.self_grade == "不合格"  # the veto fixes the grade, the total stands
    p513 = next(x for x in a.findings if x.code == "P513")
    assert "等级定为不合格" in p513.message and "总分最高" not in p513.message
    f.declared.update({"发生重大安全责任事故": "否", "获得市级及以上表彰（次）": 0, "被上级部门通报批评（次）": 4})
    a = _assess_filling(tmp_path, f, rules)
    assert a.scores.total == 85.98 and a.scores.grade == "良好"  # 8 points due, at most 5 taken


def test_the_scored_copy_says_which_limit_applied(tmp_path):
    from selfeval_xl.outputs.scored_copy import plan

    a = assess(Path(__file__).parent.parent / "examples" / "four-part" / "02_某区卫生健康委员会_2024.xlsx",
               load_rules("four-part"))
    p = plan(a)
    note = next(v for (sheet, _), v in p.values.items() if sheet == S.INDICATORS and isinstance(v, str)
                and v.startswith("核定总分"))
    assert "59.00" in note and "审计发现重大违规违纪问题" in note and "扣分 2.00 分" in note
    assert any(r[1] == "P513" for r in p.results)


# ---------------------------------------------------------------------------------------------
# Issue 19.5: selfeval-xl rules test


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


@pytest.mark.parametrize("name", list(bundled()))
@pytest.mark.slow
def test_every_bundled_set_passes_its_own_examples(name):
    rules = load_rules(name)
    assert rules.examples and rules.forms  # each carries examples of its source
    r = run("rules", "test", name)
    assert r.exit_code == 0, r.output
    assert f"全部 {len(rules.examples) + len(rules.forms)} 个例子与本文件的计算一致" in r.output


@pytest.mark.slow
def test_a_changed_threshold_fails_naming_the_example_and_both_figures(tmp_path):
    """The README/docs example: four-part's 在职人员控制率 step typed 0.4 instead of 0.5."""
    def typo(data):
        next(i for i in data["indicators"] if i["三级指标"] == "在职人员控制率")["step"] = 0.4
    r = run("rules", "test", rule_file(tmp_path, "four-part", typo))
    assert r.exit_code == 1, r.output
    assert "不一致 [逐项] 在职人员超编 1 人（100.83%）" in r.output
    assert "核定得分按例子应为 1.58，按本文件计算为 1.67" in r.output
    assert "结论：1 个例子与本文件的计算不一致" in r.output
    # docs/rules.md quotes this very report
    doc = reference()
    for line in r.output.splitlines():
        if "不一致" in line or "应为" in line:
            assert line.strip() in doc, line


@pytest.mark.slow
def test_a_changed_cap_fails_the_whole_form_example(tmp_path):
    def cap(data):
        data["vetoes"][0]["max_total"] = 60
    r = run("rules", "test", rule_file(tmp_path, "four-part", cap))
    assert r.exit_code == 1
    assert "不一致 [整表] 某区卫生健康委员会：审计发现重大违规" in r.output
    assert "核定总分按例子应为 59.00，按本文件计算为 60.00" in r.output and "等级按例子应为“不合格”，按本文件计算为“合格”" in r.output


def test_an_example_naming_what_the_file_lacks_is_reported(tmp_path):
    def wrong(data):
        data["examples"] = [{"name": "拼错的指标", "指标": "预算执行律", "实际完成值": "90%", "核定得分": 9},
                            {"name": "拼错的预算项目", "指标": "预算执行率", "预算情况": {"预算执行": 90}, "核定得分": 9}]
        data["forms"][0]["共性指标"] = {"不存在": {"实际完成值": "1"}}
    r = run("rules", "test", rule_file(tmp_path, "four-part", wrong))
    assert r.exit_code == 1 and "本文件没有共性指标“预算执行律”" in r.output and "本文件没有共性指标“不存在”" in r.output
    assert "本文件的预算情况没有“预算执行”" in r.output
    assert run("rules", "test", "nosuch").exit_code == 2


def test_a_file_without_examples_says_how_to_write_them(tmp_path):
    def bare(data):
        data.pop("examples")
        data.pop("forms")
    r = run("rules", "test", rule_file(tmp_path, "default", bare))
    assert r.exit_code == 0 and "这个文件没有写例子" in r.output


def test_the_summary_says_which_limit_applied(tmp_path):
    """The batch summary's 单位得分 says, unit by unit, what the rules over the total did."""
    import openpyxl

    from selfeval_xl.batch.run import run_batch
    from selfeval_xl.batch.tasks import BatchOptions
    from selfeval_xl.outputs.summary import UNIT_COLUMNS

    folder = tmp_path / "in"
    folder.mkdir()
    for p in (Path(__file__).parent.parent / "examples" / "four-part").glob("*.xlsx"):
        (folder / p.name).write_bytes(p.read_bytes())
    run_batch(folder, tmp_path / "out", BatchOptions(jobs=1, rules_path=bundled()["four-part"]))
    ws = openpyxl.load_workbook(tmp_path / "out" / "审核汇总.xlsx")["单位得分"]
    col = UNIT_COLUMNS.index("暂定、加减分、封顶") + 1
    notes = {ws.cell(r, 2).value: ws.cell(r, col).value for r in range(2, ws.max_row + 1)}
    assert notes["某区教育局"] == "加分 1.00 分；预算执行率 65% 低于 70%，总分最高 79.00 分"
    assert notes["某区卫生健康委员会"] == "扣分 2.00 分；“审计发现重大违规违纪问题”填为“是”，总分最高 59.00 分"

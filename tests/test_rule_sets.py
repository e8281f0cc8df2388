"""Rule sets of other structures and methods, as data (issue 9).

The bundled rule sets (default, four-part, mof-project): each generates its template and scores its
filled example by figures computed by hand. Every registered method scores its worked example and
the boundaries around it. A rule file refuses unknown keys at every depth (exit 2, naming the key).
No rule set gives a total above 100. A changed threshold, grade name or weight shows in the
template's text, the checks, the summary and the consolidation.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfeval_xl.check.assess import assess
from selfeval_xl.cli.commands import main
from selfeval_xl.core import names as S
from selfeval_xl.form.filling import Filling, OwnIndicator
from selfeval_xl.form.instructions import sections
from selfeval_xl.form.template import write_template
from selfeval_xl.outputs.results import unit_result
from selfeval_xl.rules.methods import METHODS, Row
from selfeval_xl.rules.model import bundled, load_rules
from selfeval_xl.rules.targets import Target, parse_target, read_actual, read_count

from .conftest import ROOT, make_samples


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


# ---------------------------------------------------------------------------------------------
# The bundled rule sets


def test_rules_list_names_three_sets_of_two_structures():
    r = run("rules", "list")
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    names = [line.split("\t")[0] for line in lines]
    assert names[0] == "default" and {"four-part", "mof-project"} <= set(names)
    structures = {tuple(c.name for c in load_rules(n).categories) for n in names}
    assert len(structures) >= 2


def test_rules_show_is_the_file_and_loads():
    for name, path in bundled().items():
        r = run("rules", "show", name)
        assert r.exit_code == 0 and r.output == path.read_text(encoding="utf-8")
    assert run("rules", "show", "nosuch").exit_code == 2


@pytest.mark.slow
def test_rules_schema_is_json_schema_that_refuses_unknown_keys():
    import jsonschema

    r = run("rules", "schema")
    schema = json.loads(r.output)
    assert schema["additionalProperties"] is False and "categories" in schema["properties"]
    for path in bundled().values():  # every bundled file passes the published schema too
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)
    bad = yaml.safe_load(bundled()["default"].read_text(encoding="utf-8"))
    bad["categories"][0]["wieght"] = 10
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


@pytest.mark.parametrize("name", ["four-part", "mof-project"])
@pytest.mark.slow
def test_each_set_writes_its_template(name, tmp_path):
    out = tmp_path / "t.xlsx"
    r = run("template", "--rules", name, "-o", out)
    assert r.exit_code == 0, r.output
    committed = ROOT / "templates" / f"申报表模板-{name}.xlsx"
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(committed.read_bytes()).digest(), \
        f"run `selfeval-xl template --rules {name} -o templates/申报表模板-{name}.xlsx`"
    rules = load_rules(name)
    wb = openpyxl.load_workbook(out)
    summary = wb[S.SUMMARY]
    assert [summary.cell(r, 1).value for r in range(3, 3 + len(rules.categories))] == [c.name for c in rules.categories]
    blocks = [c.value for c in wb[S.INDICATORS]["A"] if c.value in rules.level1_names]
    assert set(blocks) == set(rules.level1_names)


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    out = tmp_path_factory.mktemp("examples")
    make_samples.main(tmp_path_factory.mktemp("samples"), out)
    return {rule_set: {name: out / rule_set / name for name in samples}
            for rule_set, samples in make_samples.RULE_SET_SAMPLES.items()}


@pytest.mark.slow
def test_committed_examples_are_what_the_script_makes(examples):
    for rule_set, files in examples.items():
        for name, fresh in files.items():
            assert (ROOT / "examples" / rule_set / name).read_bytes() == fresh.read_bytes(), \
                "examples are stale: run `python scripts/make_samples.py`"


def _scored(path, rules_name):
    a = assess(path, load_rules(rules_name))
    return a, {r.name: r.verified for r in a.scores.rows}, {c.name: c.verified for c in a.scores.categories}


@pytest.mark.slow
def test_four_part_example_by_hand(examples):
    """投入/过程/产出/效益 with step bands, deductions, a checklist of 4 items capped at 3, steps of 0.5
    and 1 above a "≤" target and 0.5 below a "≥" one, a change against last year, over-achievement
    deducted, a 表彰 added, and the total capped by the execution rate."""
    a, rows, cats = _scored(examples["four-part"]["01_某区教育局_2024.xlsx"], "four-part")
    assert rows["绩效指标明确性"] == 3  # checklist: 3 of 4 items, 1 point each, at most 3
    assert rows["在职人员控制率"] == 1.58  # 121/120 = 100.83%: 0.83 points over x 0.5 = 0.42 off 2
    assert rows['"三公经费"变动率'] == 3  # (48 - 50) / 50 = -4% <= 0
    assert rows["重点支出安排率"] == 4  # 1700/2000 = 85%: the ">= 80%" band
    assert rows["预算执行率"] == 6.5  # 3380/5200 = 65% x 10
    assert rows["预算调整率"] == 2  # |5200 - 5000| / 5000 = 4%: the "<= 10%" band
    assert rows["专项资金拨付及时性"] == 2.5  # 1 case x 0.5 off 3
    assert rows["结转结余率"] == 2  # 130/5200 = 2.5% <= 5%
    assert rows["公用经费控制率"] == 1.5  # 301.5/300 = 100.5%: 0.5 points over x 1 off 2
    assert rows["管理制度健全性"] == 3 and rows["资金使用合规性"] == 3
    assert rows["预决算信息公开性"] == 1.4  # 部分达成, self 1.4 within [1.2, 1.6)
    assert rows["固定资产利用率"] == 4  # 704/800 = 88%: 2 points under 90% x 0.5 off 5
    assert rows["社会公众或服务对象满意度"] == 4  # 86%: the ">= 80%" band
    assert rows["义务教育学校维修改造面积"] == 4  # 125% of the target, no reason: 5 - 1
    assert rows["教师培训人次"] == 4.5 and rows["生均公用经费支出增幅"] == 4  # 2700/3000 x 5; (1 - 1/5) x 5
    assert cats == {"投入": 13.58, "过程": 32.4, "产出": 22.5, "效益": 19.0}
    # 87.48 + 1 (one 表彰) = 88.48, capped at 79 (65% < 70%)
    assert a.scores.before_limits == 87.48 and a.scores.total == 79 and a.scores.grade == "合格"
    assert a.scores.self_total == 79 and a.scores.self_grade == "合格"  # the form's own formula does the same
    codes = sorted(f.code for f in a.findings)
    assert codes == ["P503", "P506", "P512", "P514"]
    assert "88.48" in next(f for f in a.findings if f.code == "P512").message
    assert "加 1.00 分" in next(f for f in a.findings if f.code == "P514").message
    assert a.scores.limits == ["加分 1.00 分", "预算执行率 65% 低于 70%，总分最高 79.00 分"]


def test_four_part_veto_example_by_hand(examples):
    """The rule set's own worked example as a workbook: 审计发现重大违规 declared 是 caps the total at 59
    (the lowest limit), a 通报批评 takes 2; the form's own total and grade agree."""
    a, rows, cats = _scored(examples["four-part"]["02_某区卫生健康委员会_2024.xlsx"], "four-part")
    assert rows["预算执行率"] == 9.5 and rows["预算调整率"] == 2  # 4940/5200; 4%: the "<= 10%" band
    assert rows["基层医疗机构标准化建设数"] == 10.8  # 9/10 x 12
    assert cats == {"投入": 15, "过程": 37.9, "产出": 23.8, "效益": 20}
    assert a.scores.before_limits == 96.7 and a.scores.total == 59 and a.scores.grade == "不合格"
    assert (a.scores.self_total, a.scores.self_grade) == (59, "不合格")
    p513 = next(f for f in a.findings if f.code == "P513")
    assert p513.sheet == S.BASIC and p513.cell and "94.70" in p513.message and "59.00" in p513.message
    assert "扣 2.00 分" in next(f for f in a.findings if f.code == "P514").message
    assert unit_result(a).to_json_dict()["limits"] == ["扣分 2.00 分", "“审计发现重大违规违纪问题”填为“是”，总分最高 59.00 分"]


def test_mof_project_example_by_hand(examples):
    a, rows, cats = _scored(examples["mof-project"]["01_某县农村公路建设项目_2024.xlsx"], "mof-project")
    assert rows["预算执行率"] == 9.2  # 920/1000 x 10
    assert rows["改造危桥座数"] == 7.5 and rows["按期完工率"] == 9.47  # 6/8 x 10; 90/95 x 10
    assert rows["带动农产品运输量增长"] == 7 and rows["沿线群众满意度"] == 9.78  # 88/90 x 10
    assert cats == {"预算执行率": 9.2, "产出指标": 46.97, "效益指标": 27.0, "满意度指标": 9.78}
    assert a.scores.total == 92.95 and a.scores.grade == "优"
    assert [f.code for f in a.findings] == ["P503"]  # 125% of a target, flagged (not deducted) at 120%


def test_check_and_batch_take_a_bundled_name(examples, tmp_path):
    path = examples["mof-project"]["01_某县农村公路建设项目_2024.xlsx"]
    r = run("check", "--rules", "mof-project", "--format", "json", path)
    assert r.exit_code == 0 and json.loads(r.output)[0]["total"] == 92.95
    r = run("batch", path.parent, "-o", tmp_path / "out", "--rules", "mof-project", "-j", "1")
    assert r.exit_code == 0, r.output


# ---------------------------------------------------------------------------------------------
# Every method: its worked example and its boundaries, through the real reading path


@pytest.mark.parametrize("name, ex", [(n, ex) for n, m in METHODS.items() for ex in m.examples])
def test_each_methods_worked_example(rules, name, ex):
    """Every worked example of docs/rules.md (a method may have more than one: per_point above a "≤"
    and below a "≥" target, a checklist whose items exceed its points)."""
    m = METHODS[name]
    assert m.score is not None
    target = parse_target(ex.target, rules) if m.reads != "count" else Target(ex.target, "qualitative", word=ex.target)
    for typed, expected in ex.cases:
        if m.reads == "rate":
            value = float(typed)
        elif m.reads == "count":
            value = read_count(typed, rules).value
        else:
            value = read_actual(typed, target, rules).value
        assert value is not None, (name, typed)
        got = m.score(Row(value, target, ex.weight, ex.params)).score
        assert got == pytest.approx(expected), (name, typed, got)


BANDS = {"bands": [{"min": 0.9, "points": 5}, {"min": 0.8, "points": 4}, {"min": 0.7, "points": 3}, {"min": 0.6, "points": 2}]}
ADJUST = {"bands": [{"max": 0, "points": 3}, {"max": 0.1, "points": 2}, {"max": 0.2, "points": 1}, {"max": 0.3, "points": 0.5}]}


@pytest.mark.parametrize("method, params, weight, target, a, expected", [
    # step bands, at least: each boundary and a hair under it
    ("bands", BANDS, 5, "≥90%", 0.9, 5), ("bands", BANDS, 5, "≥90%", 0.8999, 4), ("bands", BANDS, 5, "≥90%", 0.8, 4),
    ("bands", BANDS, 5, "≥90%", 0.7, 3), ("bands", BANDS, 5, "≥90%", 0.6, 2), ("bands", BANDS, 5, "≥90%", 0.5999, 0),
    ("bands", BANDS, 5, "≥90%", 1.5, 5),
    # step bands, at most (预算调整率 = 0 -> 3, <= 10% -> 2, <= 20% -> 1, <= 30% -> 0.5)
    ("bands", ADJUST, 3, "=0%", 0.0, 3), ("bands", ADJUST, 3, "=0%", 0.0001, 2), ("bands", ADJUST, 3, "=0%", 0.1, 2),
    ("bands", ADJUST, 3, "=0%", 0.1001, 1), ("bands", ADJUST, 3, "=0%", 0.3, 0.5), ("bands", ADJUST, 3, "=0%", 0.3001, 0),
    ("bands", {**BANDS, "otherwise": 1}, 5, "≥90%", 0.1, 1),
    # per-case deduction and checklists
    ("deduction", {"per_case": 1}, 3, "无违规", 0, 3), ("deduction", {"per_case": 1}, 3, "无违规", 3, 0),
    ("deduction", {"per_case": 1}, 3, "无违规", 4, 0), ("deduction", {"per_case": 0.5}, 3, "按时", 5, 0.5),
    ("checklist", {"items": ["a", "b", "c"], "points": 1}, 3, "健全", 0, 0),
    ("checklist", {"items": ["a", "b", "c"], "points": 1}, 3, "健全", 3, 3),
    # per point with steps of 0.5 and 1
    ("per_point", {"step": 0.5}, 2, "≤100%", 1.0, 2), ("per_point", {"step": 0.5}, 2, "≤100%", 1.01, 1.5),
    ("per_point", {"step": 0.5}, 2, "≤100%", 1.04, 0), ("per_point", {"step": 1}, 2, "≤100%", 1.015, 0.5),
    # per point below an "at least" target: 每低于 1 个百分点扣 0.5 分，扣完为止
    ("per_point", {"step": 0.5}, 5, "≥95%", 0.95, 5), ("per_point", {"step": 0.5}, 5, "≥95%", 1.2, 5),
    ("per_point", {"step": 0.5}, 5, "≥95%", 0.9499, 5 - 0.005), ("per_point", {"step": 0.5}, 5, "≥95%", 0.94, 4.5),
    ("per_point", {"step": 0.5}, 5, "≥95%", 0.85, 0), ("per_point", {"step": 0.5}, 5, "≥95%", 0.8, 0),
    ("per_point", {"step": 0.5}, 5, "≥95%", -0.1, 0),
    # a checklist whose items exceed its points: 四项每具备一项得 1 分，最高 3 分
    ("checklist", {"items": ["a", "b", "c", "d"], "points": 1}, 3, "规范", 2, 2),
    ("checklist", {"items": ["a", "b", "c", "d"], "points": 1}, 3, "规范", 3, 3),
    ("checklist", {"items": ["a", "b", "c", "d"], "points": 1}, 3, "规范", 4, 3),
    # both reverse formulas
    ("reverse", {}, 4, "≤5%", 0.05, 4), ("reverse", {}, 4, "≤5%", 0.075, 2), ("reverse", {}, 4, "≤5%", 0.1, 0),
    ("reverse_ratio", {}, 4, "≤5%", 0.05, 4), ("reverse_ratio", {}, 4, "≤5%", 0.1, 2), ("reverse_ratio", {}, 4, "≤5%", 0.2, 1),
    ("reverse_ratio", {}, 4, "≤0%", 0.01, 0), ("reverse_ratio", {}, 4, "≤0%", 0, 4),
])
def test_method_boundaries(rules, method, params, weight, target, a, expected):
    m = METHODS[method]
    assert m.score is not None
    t = parse_target(target, rules) if m.reads != "count" else Target(target, "qualitative", word=target)
    assert m.score(Row(float(a), t, weight, params)).score == pytest.approx(expected)


@pytest.mark.parametrize("typed, most, value", [
    (0, None, 0), ("2起", None, 2), (" 3 项 ", 3, 3), (2.0, None, 2), ("4", 3, None), (-1, None, None), (1.5, None, None),
    ("两起", None, None), ("2起3", None, None), (True, None, None)])
def test_counts_are_read_as_whole_numbers(rules, typed, most, value):
    a = read_count(typed, rules, most)
    assert a.value == value and (value is not None or a.problem)


# ---------------------------------------------------------------------------------------------
# A rule file that is wrong


@pytest.mark.parametrize("change, key", [
    (lambda d: d.update(gardes=d["grades"]), "gardes"),
    (lambda d: d["categories"][2].update(wieght=40), "categories[2].wieght"),
    (lambda d: d["indicators"][4].update(指标说名="x"), "indicators[4].指标说名"),
    (lambda d: d["qualitative"][0].update(prefix=["很"]), "qualitative[0].prefix"),
    (lambda d: d["over_achievement"].update(poilcy="deduct"), "over_achievement.poilcy"),
])
@pytest.mark.slow
def test_a_misspelt_key_exits_2_naming_it(tmp_path, change, key):
    data = yaml.safe_load(bundled()["default"].read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = run("check", "--rules", path, ROOT / "samples" / "02_市场监督管理局_2023.xlsx")
    assert r.exit_code == 2 and key in r.output and "未知的项目" in r.output and "Traceback" not in r.output


# ---------------------------------------------------------------------------------------------
# No total above 100


def test_rows_of_50_points_under_a_40_point_category_are_rescaled(write_filled):
    """spec/scoring.md: 产出 rows of 50 points scoring 48.33 give 38.66, and the total stays under 100."""
    f: Filling = make_samples.bureau()
    f.own["产出指标"] = [OwnIndicator("数量指标", f"指标{i}", 10, "≥100件", "100件", 10) for i in range(4)] + \
        [OwnIndicator("数量指标", "指标4", 10, "≥60件", "50件", 8.33, "未完成。")]
    a = assess(write_filled(f))
    cat = next(c for c in a.scores.categories if c.name == "产出指标")
    assert (cat.verified, cat.provisional) == (38.66, True)  # 48.33 / 50 x 40
    assert a.scores.total <= 100 and "P501" in [x.code for x in a.findings]
    assert unit_result(a).to_json_dict()["provisional"] == ["产出指标"]  # the summary marks the total 暂定


def test_a_short_category_and_a_not_applicable_row_stay_under_100(write_filled):
    """产出 rows of 30 points (40 due), all full, and a 不适用 row in 效益: the 不适用 weight is taken out
    at the category's own scale, not the rows' (that gave 111.63 before)."""
    f: Filling = make_samples.bureau()
    f.own["产出指标"] = [OwnIndicator("数量指标", f"指标{i}", 10, "≥100件", "100件", 10) for i in range(3)]
    f.own["效益指标"][2] = OwnIndicator("可持续影响", "市场主体活跃度", 4, "提升", "不适用", None, "本年度未开展。")
    a = assess(write_filled(f))
    assert a.scores.total <= 100
    cats = {c.name: c.verified for c in a.scores.categories}
    assert cats["产出指标"] == 40  # rescaled: 30 / 30 x 40
    # 99.71 of 100 applicable points less the 不适用 row's 4: (9.71 + 20 + 40 + 26) / 96 x 100
    assert a.scores.total == pytest.approx(round((9.71 + 20 + 40 + 26) / 96 * 100, 2))


@st.composite
def own_rows(draw, level1):
    rows = []
    for i in range(draw(st.integers(0, 14))):
        weight = draw(st.sampled_from([0.5, 1, 2.5, 4, 5, 8, 10, 15]))
        target = draw(st.sampled_from(["≥90%", "≤5%", "=100%", "提升", "≥50个"]))
        actual = {"≥90%": draw(st.sampled_from(["50%", "90%", "120%", "200%", "不适用"])),
                  "≤5%": draw(st.sampled_from(["0%", "5%", "9%", "20%"])),
                  "=100%": draw(st.sampled_from(["80%", "100%", "不适用"])),
                  "提升": draw(st.sampled_from(["提升", "基本提升", "未提升"])),
                  "≥50个": draw(st.sampled_from(["10个", "50个", "400个"]))}[target]
        rows.append(OwnIndicator("数量指标", f"{level1}{i}", weight, target, actual, weight))
    return rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["default", "four-part"]), own_rows("产出"), own_rows("效益"))
@pytest.mark.slow
def test_no_total_above_100(tmp_path_factory, rule_set, output, effect):
    rules = load_rules(rule_set)
    f = Filling(own={"产出指标": output, "效益指标": effect})
    path = tmp_path_factory.mktemp("prop") / "t.xlsx"
    write_template(path, rules, filling=f)
    a = assess(path, rules)
    assert a.scores.total <= 100 + 1e-9
    for c in a.scores.categories:
        assert c.verified <= c.weight + 1e-9, (c, output, effect)


# ---------------------------------------------------------------------------------------------
# A changed threshold, grade name or weight shows everywhere


def _changed(tmp_path: Path) -> Path:
    data = yaml.safe_load(bundled()["default"].read_text(encoding="utf-8"))
    data["over_achievement"] = {"policy": "flag", "at": 1.5}
    data["checks"]["execution_reason_below"] = 0.85
    data["grades"] = [{"grade": "A档", "min": 85}, {"grade": "B档", "min": 75}, {"grade": "C档", "min": 60},
                      {"grade": "D档", "min": 0}]
    data["categories"][2]["weight"], data["categories"][3]["weight"] = 35, 35
    data["version"] = "2027.1"
    path = tmp_path / "next-year.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_change_shows_in_the_template_text(tmp_path):
    rules = load_rules(_changed(tmp_path))
    text = "\n".join(t for _, items in sections(rules) for k, t in items)
    assert "150%" in text and "85%" in text and "130%" not in text and "低于 90%" not in text
    assert "A档：85 分及以上" in text and "产出指标 35 分" in text
    out = tmp_path / "t.xlsx"
    write_template(out, rules)
    wb = openpyxl.load_workbook(out)
    sheet = "\n".join(str(c.value) for row in wb[S.INSTRUCTIONS].iter_rows() for c in row if c.value)
    assert "150%" in sheet and "A档" in sheet
    assert wb[S.SUMMARY]["B5"].value == 35


def test_a_change_shows_in_the_checks(tmp_path, sample_files):
    rules = load_rules(_changed(tmp_path))
    f: Filling = make_samples.bureau()
    f.own["产出指标"][0] = OwnIndicator("数量指标", "食品安全监督抽检批次", 6, "≥3000批", "4200批", 6)  # 140%
    path = tmp_path / "s.xlsx"
    write_template(path, load_rules(), filling=f)
    default = [x.code for x in assess(path).findings]
    changed = [x.code for x in assess(path, rules).findings]
    assert "P503" in default and "P503" not in changed  # 140% is over 130% but not over 150%
    assert "P501" in changed  # 产出 rows add up to 40, the new weight is 35
    a = assess(path, rules)
    assert a.scores.grade in ("A档", "B档", "C档", "D档")


@pytest.mark.slow
def test_a_change_shows_in_the_summary_and_the_consolidation(tmp_path, sample_files):
    from selfeval_xl.batch.run import run_batch
    from selfeval_xl.batch.tasks import BatchOptions
    from selfeval_xl.outputs.consolidation import consolidate

    rules_path = _changed(tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    for p in sample_files.values():
        (folder / p.name).write_bytes(p.read_bytes())
    run_batch(folder, tmp_path / "out", BatchOptions(jobs=1, rules_path=rules_path))
    wb = openpyxl.load_workbook(tmp_path / "out" / "审核汇总.xlsx")
    overview = [c.value for row in wb["总览"].iter_rows() for c in row if c.value]
    assert {"A档", "B档", "C档", "D档"} <= set(overview) and "优" not in overview
    grades = [r["grade"] for r in json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
              if r.get("grade")]
    consolidate([tmp_path / "out"], tmp_path / "c.xlsx")
    header = [c.value for c in next(openpyxl.load_workbook(tmp_path / "c.xlsx")["等级分布"].iter_rows())]
    assert set(grades) <= set(header) and "优" not in header
    assert header.index("A档") < header.index("B档") if {"A档", "B档"} <= set(header) else True


def test_rules_are_not_changed_by_scoring(rules):
    before = copy.deepcopy(rules.indicators)
    assess(ROOT / "samples" / "02_市场监督管理局_2023.xlsx", rules)
    assert rules.indicators == before


def test_the_rules_reference_is_in_step():
    from selfeval_xl.rules.reference import reference

    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == reference(), \
        "docs/rules.md is stale: run `python scripts/make_docs.py`"
    text = reference()
    for name in METHODS:
        assert f"### `{name}`" in text
    for key in ("total_cap", "over_achievement", "二级指标", "per_case", "items", "bands"):
        assert key in text

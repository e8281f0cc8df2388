"""Targets and actual values as published forms write them (issue 18, item 1).

Every case of tests/data/published_targets.yaml (a wording, where it was published, how it must be
read) through the reader; the suggestions a V204 makes for a qualitative row are phrases a person
writes, and each reads back as the tier it stands for; deadline rows of a filled workbook score
full marks on time or early and 0 when late.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from selfeval_xl.check.assess import assess
from selfeval_xl.rules.model import bundled, load_rules
from selfeval_xl.rules.targets import parse_target, read_actual, tier_choices, tier_of

from .conftest import make_samples

DATA = yaml.safe_load((Path(__file__).parent / "data" / "published_targets.yaml").read_text(encoding="utf-8"))
CASES = DATA["cases"]


def _id(case):
    return f"{case['target']}|{case['actual']}"


def test_every_case_names_a_source_with_an_address():
    for case in CASES:
        assert case["source"].split(" (")[0] in DATA["sources"], case
    assert all(s["url"] and s["what"] for s in DATA["sources"].values())


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_published_wording(rules, case):
    t = parse_target(case["target"], rules)
    assert t is not None and t.kind == case["kind"], (case, t)
    a = read_actual(case["actual"], t, rules, case.get("year"))
    if case.get("problem"):
        assert a.problem and a.value is None and a.tier is None, (case, a)
        assert "请" in a.problem  # it says what to write
        return
    assert not a.problem, (case, a.problem)
    if "tier" in case:
        assert a.tier == case["tier"], (case, a)
    if "on_time" in case:
        assert a.value == (0.0 if case["on_time"] else 1.0), (case, a)
    if "value" in case:
        assert a.value == pytest.approx(case["value"]), (case, a)


def _words(rules_sets):
    """Every qualitative 指标值 of the bundled rule sets and of the published cases, and some long ones."""
    words = {i.target for r in rules_sets for i in r.indicators if i.method == "qualitative"}
    words |= {c["target"] for c in CASES if c["kind"] == "qualitative"}
    return sorted(words | {"效果明显", "有所提升", "群众满意度提高", "持续改善", "及时完整", "规范"})


@pytest.mark.parametrize("name", list(bundled()))
def test_suggestions_are_phrases_a_person_writes(name):
    """For every tier word: each suggestion is the word itself, a tier's word before a word of one
    or two characters ("基本相关", "不相关"), or a tier's own wording ("部分达成预期指标并具有一定效果");
    never a tier's word before a longer one ("不效果明显"); and each reads back as its tier."""
    rules = load_rules(name)
    for word in _words([rules]):
        t = parse_target(word, rules)
        assert t is not None and t.kind == "qualitative", word
        message = read_actual("很好", t, rules).problem
        phrases = re.findall(r"“([^”]+)”", message.split("请填写", 1)[1])
        assert len(phrases) == len(rules.tiers), (word, message)
        assert phrases == [re.findall(r"“([^”]+)”", c)[0] for c in tier_choices(word, rules)]
        for tier, phrase in zip(rules.tiers, phrases, strict=True):
            prefixed = any(phrase == p + word for p in tier.prefixes)
            assert phrase == word or phrase in tier.answers or (prefixed and len(word) <= 2), (word, phrase)
            assert tier_of(phrase, word, rules) == tier.name, (word, phrase)
        assert not any(p + word in message for t_ in rules.tiers for p in t_.prefixes if len(word) > 2), message


def test_the_tier_words_of_the_ministry_and_of_the_year_both_read(rules):
    for tier in rules.tiers:
        for phrase in tier.answers:
            assert tier_of(phrase, "完善", rules) == tier.name


# ---------------------------------------------------------------------------------------------
# In a workbook


def _own(f, rows):
    block = f.own["产出指标"]
    for i, (target, actual, self_score) in enumerate(rows):
        block[i] = dataclasses.replace(block[i], level2="时效指标", name=f"时效{i}", target=target, actual=actual,
                                       self_score=self_score, reason="")
    return f


def test_deadline_rows_score_full_on_time_and_nothing_late(write_filled):
    """The issue's rows: "7月" against "9月前" was V204 (units 月 and 月前 differ), "7月前" scored
    7/9 of the 分值, "12月前" against "11月前" full marks."""
    f = copy.deepcopy(make_samples.bureau())
    weights = [r.weight for r in f.own["产出指标"][:5]]
    rows = [("9月前", "7月", weights[0]), ("9月前", "7月前", weights[1]), ("11月前", "12月前", 0),
            ("年底前", "按时完成", weights[3]), ("三季度前", "10月", 0)]
    a = assess(write_filled(_own(f, rows)))
    by_name = {r.name: r for r in a.scores.rows}
    assert [by_name[f"时效{i}"].verified for i in range(5)] == [weights[0], weights[1], 0, weights[3], 0]
    assert by_name["时效0"].actual == "7月" and "期限内完成" in by_name["时效0"].opinion
    assert "未在指标值“11月前”的期限内完成" in by_name["时效2"].opinion
    assert not [x for x in a.findings if x.code in ("V203", "V204")]
    late = sorted(x.message[1:4] for x in a.findings if x.code == "P502")  # late rows need a reason
    assert late == ["时效2", "时效4"]


def test_tier_wording_and_negations_are_no_errors(write_filled):
    f = copy.deepcopy(make_samples.bureau())
    w = [r.weight for r in f.own["产出指标"][:4]]
    rows = [("相关", "达成预期指标", w[0]), ("效果明显", "效果不明显", None), ("完善", "不够完善", None),
            ("完善", "部分达成预期指标并具有一定效果", None)]
    a = assess(write_filled(_own(f, rows)))
    assert not [x for x in a.findings if x.code in ("V203", "V204")]
    by_name = {r.name: r for r in a.scores.rows}
    assert by_name["时效0"].verified == w[0]
    assert by_name["时效1"].verified == 0  # 未达成, no self score: 0
    assert by_name["时效2"].verified == pytest.approx(0.6 * w[2])  # 部分达成, no self score: 0.6 × 分值
    assert by_name["时效3"].verified == pytest.approx(0.6 * w[3])


def test_a_tier_word_no_reader_knows_gets_suggestions_in_real_chinese(write_filled):
    f = copy.deepcopy(make_samples.bureau())
    a = assess(write_filled(_own(f, [("效果明显", "很好", None)])))
    v204 = next(x for x in a.findings if x.code == "V204")
    assert "不效果明显" not in v204.message and "基本效果明显" not in v204.message
    assert "“效果明显”（达成）" in v204.message and "部分达成预期指标并具有一定效果" in v204.message


def test_a_rule_file_may_score_a_time_word_by_the_tiers(tmp_path):
    """A common row whose rule gives "及时" the qualitative method is scored by the tiers: "基本及时"
    is 部分达成 there, though a department's own "及时" row is a deadline (kept or not)."""
    from selfeval_xl.form.filling import CommonAnswer
    from selfeval_xl.form.template import write_template
    from selfeval_xl.rules.model import build_rules

    data = yaml.safe_load(bundled()["default"].read_text(encoding="utf-8"))
    row = next(i for i in data["indicators"] if i["三级指标"] == "预决算信息公开性")
    row["指标值"] = "及时"
    rules = build_rules(data, "及时.yaml")
    f = copy.deepcopy(make_samples.bureau())
    f.common["预决算信息公开性"] = CommonAnswer(actual="基本及时", self_score=0.7, reason="公开略有延迟。")
    path = tmp_path / "t.xlsx"
    write_template(path, rules, filling=f)
    a = assess(path, rules)
    scored = next(r for r in a.scores.rows if r.name == "预决算信息公开性")
    assert (scored.actual, scored.verified) == ("基本及时", 0.7)  # shown as typed (issue 17.12), scored 部分达成
    assert not [x for x in a.findings if x.code in ("V203", "V204", "S104")]


# ---------------------------------------------------------------------------------------------
# Deadlines against every day of a year

_DAYS = st.dates(min_value=_dt.date(2024, 1, 1), max_value=_dt.date(2024, 12, 31))


@settings(max_examples=300, deadline=None)
@given(limit=_DAYS, done=_DAYS, form=st.sampled_from(["{m}月{d}日前", "{m}月前", "{m}月底前", "≤{m}月", "{y}年{m}月{d}日前"]),
       typed=st.sampled_from(["{m}月{d}日", "{y}年{m}月{d}日", "{y}/{m}/{d}", "date"]))
@pytest.mark.slow
def test_a_day_on_or_before_the_limit_is_on_time_and_after_it_late(rules, limit, done, form, typed):
    """Whatever the wording: done by the last day the limit allows is on time, after it late (a
    limit by month allows the whole month)."""
    t = parse_target(form.format(y=limit.year, m=limit.month, d=limit.day), rules)
    assert t is not None and t.kind == "deadline"
    value = done if typed == "date" else typed.format(y=done.year, m=done.month, d=done.day)
    a = read_actual(value, t, rules, 2024)
    last = limit if "日" in form else (limit.replace(day=28) + _dt.timedelta(days=4)).replace(day=1) - _dt.timedelta(days=1)
    assert not a.problem
    assert a.value == (0.0 if done <= last else 1.0), (form, value, a)

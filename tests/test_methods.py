"""The scoring methods of scoring.md, at and around every boundary; rounding; reading values."""

from __future__ import annotations

import pytest

from selfeval_xl.check.score import (
    score_equal,
    score_execution,
    score_per_point,
    score_positive,
    score_qualitative,
    score_reverse,
)
from selfeval_xl.core.numbers import round_half_up
from selfeval_xl.rules.targets import parse_target, read_actual

EPS = 1e-6


@pytest.mark.parametrize("rate, expected", [
    (0.0, 0.0), (0.5, 5.0), (0.8999, 8.999), (0.9, 9.0), (1.0, 10.0), (1.0 + EPS, 10.0), (1.25, 10.0), (-0.1, 0.0)])
def test_execution(rate, expected):
    assert score_execution(rate, 10) == pytest.approx(expected)


@pytest.mark.parametrize("a, expected", [
    (0.0, 0.0), (0.45, 2.5), (0.9 - EPS, 5 * (0.9 - EPS) / 0.9), (0.9, 5.0), (0.9 + EPS, 5.0), (2.0, 5.0), (-0.3, 0.0)])
def test_positive_at_least_90_percent(a, expected):
    assert score_positive(a, 0.9, 5) == pytest.approx(expected)


def test_positive_no_extra_credit_and_zero_target():
    assert score_positive(130, 100, 4) == 4
    assert score_positive(0, 0, 4) == 4


@pytest.mark.parametrize("a, t, expected", [
    (0, 0, 3.0), (EPS, 0, 0.0), (-1, 0, 3.0),  # equal with t = 0
    (1.0, 1.0, 3.0), (0.5, 1.0, 1.5), (1.2, 1.0, 3.0),  # equal with t > 0 is positive
])
def test_equal(a, t, expected):
    assert score_equal(a, t, 3) == pytest.approx(expected)


@pytest.mark.parametrize("a, expected", [
    (0.0, 2.0), (0.05, 2.0), (0.05 + EPS, 2.0 * (1 - EPS / 0.05)), (0.075, 1.0), (0.0952, 2 * (1 - 0.0452 / 0.05)),
    (0.1 - EPS, 2 * (EPS / 0.05)), (0.1, 0.0), (0.2, 0.0), (0.9523, 0.0)])
def test_reverse_at_most_5_percent(a, expected):
    assert score_reverse(a, 0.05, 2) == pytest.approx(expected, abs=1e-6)


def test_reverse_zero_target():
    assert score_reverse(0, 0, 2) == 2
    assert score_reverse(0.001, 0, 2) == 0


@pytest.mark.parametrize("a, expected", [
    (0.9, 1.0), (1.0, 1.0), (1.0 + EPS, 1.0 - 0.2 * 0.0001), (1.01, 0.8), (1.025, 0.5), (1.05, 0.0), (1.08, 0.0)])
def test_per_point_step_02(a, expected):
    assert score_per_point(a, 1.0, 1, 0.2) == pytest.approx(expected, abs=1e-9)


@pytest.fixture(scope="module")
def tiers(rules):
    return {t.name: t for t in rules.tiers}


@pytest.mark.parametrize("tier, self_score, expected, in_band", [
    ("达成", None, 5.0, True), ("达成", 5.0, 5.0, True), ("达成", 4.0, 4.0, True), ("达成", 4.5, 4.5, True),
    ("达成", 3.99, 4.0, False), ("达成", 6.0, 5.0, False),
    ("部分达成", None, 3.0, True), ("部分达成", 3.0, 3.0, True), ("部分达成", 3.99, 3.99, True),
    ("部分达成", 4.0, 3.99, False), ("部分达成", 5.0, 3.99, False), ("部分达成", 2.99, 3.0, False),
    ("未达成", None, 0.0, True), ("未达成", 0.0, 0.0, True), ("未达成", 2.99, 2.99, True),
    ("未达成", 3.0, 2.99, False), ("未达成", 5.0, 2.99, False),
])
def test_qualitative_bands(tiers, tier, self_score, expected, in_band):
    assert score_qualitative(tiers[tier], self_score, 5) == (pytest.approx(expected), in_band)


@pytest.mark.parametrize("x, expected", [
    (0.125, 0.13), (2.675, 2.68), (1.005, 1.01), (0.124999, 0.12), (-0.125, -0.13), (0.7899999999999999, 0.79),
    (9.714183206693749, 9.71), (99.995, 100.0), (0.0, 0.0)])
def test_round_half_up(x, expected):
    assert round_half_up(x, 2) == expected


def test_builtin_round_would_be_wrong():
    assert round(0.125, 2) == 0.12 and round_half_up(0.125, 2) == 0.13


@pytest.mark.parametrize("text, kind, value, percent, unit", [
    ("≥90%", "at_least", 0.9, True, ""), (">=90%", "at_least", 0.9, True, ""), ("＞＝９０％", "at_least", 0.9, True, ""),
    ("≧90%", "at_least", 0.9, True, ""), ("不低于90%", "at_least", 0.9, True, ""), ("不少于 50 个", "at_least", 50, False, "个"),
    ("≥50个", "at_least", 50, False, "个"), ("> 3000批", "at_least", 3000, False, "批"), ("90%以上", "at_least", 0.9, True, ""),
    ("≤5%", "at_most", 0.05, True, ""), ("<=5%", "at_most", 0.05, True, ""), ("不超过5%", "at_most", 0.05, True, ""),
    ("不高于 3 天", "at_most", 3, False, "天"), ("5%以内", "at_most", 0.05, True, ""),
    ("=100%", "equal", 1.0, True, ""), ("＝100％", "equal", 1.0, True, ""), ("100%", "equal", 1.0, True, ""),
    ("=0起", "equal", 0, False, "起"), ("12", "equal", 12, False, ""), ("等于100%", "equal", 1.0, True, ""),
])
def test_reading_quantitative_targets(rules, text, kind, value, percent, unit):
    t = parse_target(text, rules)
    assert (t.kind, t.percent, t.unit) == (kind, percent, unit)
    assert t.value == pytest.approx(value)


@pytest.mark.parametrize("text", ["相关", "及时完整", "达标", " 提升 "])
def test_reading_qualitative_targets(rules, text):
    t = parse_target(text, rules)
    assert t.kind == "qualitative" and t.word == text.strip()


@pytest.mark.parametrize("text", ["", None, "≥", "90%-100%", "2-3个", "≥九十", "90%左右5"])
def test_unreadable_targets(rules, text):
    assert parse_target(text, rules) is None


@pytest.mark.parametrize("value, expected, as_number", [
    (0.95, 0.95, False), ("95%", 0.95, False), ("９５％", 0.95, False), ("0.95", 0.95, False), (95, 0.95, True),
    ("95", 0.95, True), (1.5, 1.5, False), (1.51, 0.0151, True), (100, 1.0, True), (-0.2, 0.0, False)])
def test_reading_actual_for_a_percent_target(rules, value, expected, as_number):
    a = read_actual(value, parse_target("≥90%", rules), rules)
    assert not a.problem and a.value == pytest.approx(expected) and a.percent_as_number == as_number


@pytest.mark.parametrize("value", [100.5, "150", "95个", "很好", True])
def test_unreadable_actual_for_a_percent_target(rules, value):
    assert read_actual(value, parse_target("≥90%", rules), rules).problem


def test_actual_units(rules):
    t = parse_target("≥50个", rules)
    assert read_actual("52个", t, rules).value == 52
    assert read_actual(52, t, rules).value == 52
    assert read_actual("52次", t, rules).problem
    assert read_actual("52%", t, rules).problem


@pytest.mark.parametrize("value, tier", [
    ("相关", "达成"), ("达成年度指标", "达成"), ("是", "达成"), ("基本相关", "部分达成"), ("部分相关", "部分达成"),
    ("较相关", "部分达成"), ("部分达成年度指标并具有一定效果", "部分达成"), ("不相关", "未达成"), ("未相关", "未达成"),
    ("无相关", "未达成"), ("否", "未达成"), ("未达成年度指标且效果较差", "未达成")])
def test_qualitative_answers(rules, value, tier):
    assert read_actual(value, parse_target("相关", rules), rules).tier == tier


def test_not_applicable_and_missing(rules):
    t = parse_target("≥90%", rules)
    assert read_actual("不适用", t, rules).not_applicable
    assert read_actual(" 不适用 ", t, rules).not_applicable
    assert read_actual(None, t, rules).missing and read_actual("  ", t, rules).missing


def test_half_up_is_exact_for_large_amounts():
    assert round_half_up(100000000.125, 2) == 100000000.13
    assert round_half_up(-100000000.125, 2) == -100000000.13
    assert round_half_up(99999999999.995, 2) == 100000000000.0
    assert round_half_up(2.675, 2) == 2.68 and round_half_up(1.005, 2) == 1.01
    assert round_half_up(0.1 + 0.2, 1) == 0.3 and round_half_up(0.285, 2) == 0.29
    assert round_half_up(1e300, 2) == 1e300 and round_half_up(-1.5e16, 0) == -1.5e16  # found by the fuzzer


def test_score_formatting_rounds_half_up():
    from selfeval_xl.core.numbers import fmt_score

    assert [fmt_score(x) for x in (0.125, 2.675, 9.5, 0.0, 1.005, -0.125, 99.995)] == \
        ["0.13", "2.68", "9.50", "0.00", "1.01", "-0.13", "100.00"]

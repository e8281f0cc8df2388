"""Scoring (spec/scoring.md): every 核定得分, the categories, the total and the grade.

The methods are pure functions of (actual, target, 分值); ``score_lines`` applies them to the
lines ``validate.check_indicators`` read, writes a 审核意见 for each row, and emits the P-findings.
Every 核定得分 is rounded half up to the rule set's decimals; categories are sums of rounded rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import standard as S
from .findings import Finding, finding
from .formulas import a1
from .numbers import fmt_number, fmt_percent, fmt_score, round_half_up
from .rules import Rules, Tier
from .targets import Target
from .validate import Context, Line

__all__ = [
    "CategoryScore",
    "ScoredRow",
    "Scores",
    "score_equal",
    "score_execution",
    "score_lines",
    "score_per_point",
    "score_positive",
    "score_qualitative",
    "score_reverse",
]

_EPS = 1e-9


# ---------------------------------------------------------------------------------------------
# The methods (w = 分值, t = target, a = actual; fractions for percentages)


def score_execution(rate: float, w: float) -> float:
    """预算执行率: min(rate, 1) × w."""
    return min(max(rate, 0.0), 1.0) * w


def score_positive(a: float, t: float, w: float) -> float:
    """At least t: w when reached, else a / t × w; no extra credit above t."""
    a = max(a, 0.0)
    if t <= 0 or a >= t - _EPS:
        return w
    return a / t * w


def score_equal(a: float, t: float, w: float) -> float:
    """Equal to t: with t = 0, w when a ≤ 0 and 0 otherwise; with t > 0, as positive."""
    if t == 0:
        return w if a <= _EPS else 0.0
    return score_positive(a, t, w)


def score_reverse(a: float, t: float, w: float) -> float:
    """At most t: w up to t, falling linearly to 0 at 2t; with t = 0, w only for a ≤ 0."""
    a = max(a, 0.0)
    if t <= 0:
        return w if a <= _EPS else 0.0
    if a <= t + _EPS:
        return w
    if a >= 2 * t - _EPS:
        return 0.0
    return (1 - (a - t) / t) * w


def score_per_point(a: float, t: float, w: float, step: float) -> float:
    """At most t, less ``step`` for every percentage point above it, not below 0."""
    a = max(a, 0.0)
    if a <= t + _EPS:
        return w
    return max(0.0, w - step * round_half_up((a - t) * 100, 9))


def score_qualitative(tier: Tier, self_score: float | None, w: float) -> tuple[float, bool]:
    """The 核定得分 of a qualitative row and whether the self score lay in the tier's band.

    In the band: the self score. Empty: the tier's score_if_blank × w. Outside: the nearest value
    of the band (the upper limit − 0.01 for a half-open band)."""
    lo, hi = tier.band(w)
    if self_score is None:
        return tier.score_if_blank * w, True
    if tier.contains(self_score, w):
        return self_score, True
    if self_score < lo:
        return lo, False
    return (hi if tier.closed else round_half_up(hi - 0.01, 2)), False


# ---------------------------------------------------------------------------------------------
# Results


@dataclass
class ScoredRow:
    """One indicator with its 核定得分 (None for a row marked 不适用)."""

    row: int
    level1: str
    level2: str
    name: str
    category: str | None
    weight: float | None
    target: str
    actual: str  # as shown to a person
    self_score: float | None
    verified: float | None
    opinion: str  # 审核意见
    applicable: bool = True
    cell: str = ""  # the 核定得分 cell


@dataclass
class CategoryScore:
    name: str
    weight: float
    self_score: float
    verified: float


@dataclass
class Scores:
    rows: list[ScoredRow] = field(default_factory=list)
    categories: list[CategoryScore] = field(default_factory=list)
    self_total: float | None = None
    total: float = 0.0
    self_grade: str = ""
    grade: str = ""
    rescaled: bool = False  # some rows were 不适用 and the total was rescaled to 100


# ---------------------------------------------------------------------------------------------
# Scoring the lines


def score_lines(ctx: Context) -> tuple[Scores, list[Finding]]:
    rules = ctx.rules
    out = Scores()
    findings: list[Finding] = []
    for line in ctx.lines:
        row, fs = _score_line(line, rules)
        out.rows.append(row)
        findings += fs
    _totals(ctx, out, findings)
    return out, findings


def _actual_text(line: Line) -> str:
    if line.rate is not None:
        return fmt_percent(line.rate.value) if line.rate.value is not None else ""
    a = line.actual
    if a is None or a.missing:
        return ""
    if a.not_applicable:
        return "不适用"
    if a.tier:
        return a.tier
    if a.value is not None and line.target is not None:
        return fmt_percent(a.value) if line.target.percent else fmt_number(a.value) + line.target.unit
    return ""


def _score_line(line: Line, rules: Rules) -> tuple[ScoredRow, list[Finding]]:
    fs: list[Finding] = []
    w = line.weight
    t = line.target
    name = line.name or f"第 {line.row} 行"
    row = ScoredRow(line.row, line.level1, line.level2, line.name, line.category, w, t.text if t else "",
                    _actual_text(line), line.self_score, 0.0, "", cell=line.cells.get(S.VERIFIED, ""))
    cell = line.cells

    def note(code: str, message: str, at: str, expected: object = "", actual: object = "") -> None:
        fs.append(finding(code, message, sheet=S.INDICATORS, cell=cell.get(at, ""), expected=expected, actual=actual))

    # the self score's own range, whatever else is wrong with the row
    if line.self_score is not None and w is not None and (line.self_score > w + _EPS or line.self_score < -_EPS):
        note("P504", f"“{name}”的自评得分 {fmt_score(line.self_score)} 超出 0 到分值 {fmt_score(w)} 的范围。请改正自评得分。",
             S.SELF_SCORE, f"0–{fmt_score(w)}", fmt_score(line.self_score))
        p504 = True
    else:
        p504 = False

    if line.actual is not None and line.actual.not_applicable:
        row.applicable = False
        row.verified = None
        row.opinion = f"{rules.not_applicable}，不计分，总分按适用指标折算"
        if not line.reason:
            note("P509", f"“{name}”标为{rules.not_applicable}，但没有说明理由。请在“偏差原因分析及改进措施”中说明为什么不适用。",
                 S.REASON)
        note("P510", f"“{name}”标为{rules.not_applicable}，不计分；其分值 {fmt_number(w)} 不计入总分基数，总分按适用指标折算为百分制。",
             S.ACTUAL, actual=rules.not_applicable)
        return row, fs

    if line.blocked or w is None or t is None or line.method is None:
        row.verified = 0.0
        row.opinion = (line.blocked or "无法计分") + "，计 0 分"
        return row, fs

    score, opinion, qualitative_ok = _apply_method(line, rules, w, t)
    verified = round_half_up(score, rules.decimals)
    row.verified = verified
    row.opinion = opinion

    if line.method == "qualitative" and not qualitative_ok and not p504:
        tier = next(x for x in rules.tiers if x.name == line.actual.tier)  # type: ignore[union-attr]
        lo, hi = tier.band(w)
        band = f"{fmt_score(lo)}–{fmt_score(hi if tier.closed else hi - 0.01)}"
        note("P505", f"“{name}”实际完成值“{line.actual_text}”属{tier.name}，该档得分区间为 {band}，"
                     f"自评得分 {fmt_score(line.self_score)} 不在区间内，"
                     f"核定为 {fmt_score(verified)}。请按档次填写自评得分。",
             S.SELF_SCORE, band, fmt_score(line.self_score))
        qualitative_differs_reported = True
    else:
        qualitative_differs_reported = False

    # reasons the department must give
    executed_low = (line.method == "execution" and line.rate is not None and line.rate.value is not None
                    and line.rate.value < rules.execution_reason_below - _EPS)
    if executed_low and not line.reason:
        note("P508", f"预算执行率为 {fmt_percent(line.rate.value)}（低于 {fmt_percent(rules.execution_reason_below)}），"  # type: ignore[union-attr]
                     "请在“偏差原因分析及改进措施”中说明原因和改进措施。",
             S.REASON, f"≥{fmt_percent(rules.execution_reason_below)}", fmt_percent(line.rate.value))  # type: ignore[union-attr]
    elif verified < w - _EPS and not line.reason:
        note("P502", f"“{name}”核定得分 {fmt_score(verified)} 低于分值 {fmt_score(w)}。"
                     "请在“偏差原因分析及改进措施”中说明未达标的原因和改进措施。",
             S.REASON, fmt_score(w), fmt_score(verified))
    a = _actual_value(line)
    if (line.method in ("positive", "equal") and a is not None and t.value and t.value > 0
            and a >= rules.explain_above * t.value - _EPS and not line.reason):
        shown = fmt_percent(a) if t.percent else fmt_number(a) + t.unit
        note("P503", f"“{name}”实际完成值 {shown} 达到指标值 {t.text} 的 {fmt_percent(a / t.value, 0)}，"
                     f"超过 {fmt_percent(rules.explain_above, 0)}。请在“偏差原因分析及改进措施”中说明（指标值是否定得过低）。",
             S.REASON, f"< {fmt_percent(rules.explain_above, 0)} × 指标值", shown)
    if (line.self_score is not None and not p504 and not qualitative_differs_reported
            and abs(line.self_score - verified) > rules.tolerance + _EPS):
        note("P506", f"“{name}”自评得分 {fmt_score(line.self_score)}，核定得分 {fmt_score(verified)}（{opinion}）。",
             S.SELF_SCORE, fmt_score(verified), fmt_score(line.self_score))
    return row, fs


def _actual_value(line: Line) -> float | None:
    if line.rate is not None:
        return line.rate.value
    return line.actual.value if line.actual is not None else None


def _apply_method(line: Line, rules: Rules, w: float, t: Target) -> tuple[float, str, bool]:
    """(score, 审核意见, qualitative self score in band)."""
    m = line.method
    if m == "qualitative":
        tier = next(x for x in rules.tiers if x.name == line.actual.tier)  # type: ignore[union-attr]
        score, ok = score_qualitative(tier, line.self_score, w)
        lo, hi = tier.band(w)
        band = f"{fmt_score(lo)}–{fmt_score(hi if tier.closed else hi - 0.01)}"
        if line.self_score is None:
            return score, f"{tier.name}（区间 {band}），未填自评得分，按 {fmt_score(score)} 计", True
        if ok:
            return score, f"{tier.name}（区间 {band}），自评得分在区间内", True
        return score, f"{tier.name}（区间 {band}），自评得分不在区间内，按 {fmt_score(score)} 计", False
    a = _actual_value(line)
    assert a is not None
    pct = t.percent
    shown = fmt_percent(a) if pct else fmt_number(a) + t.unit
    if line.actual is not None and line.actual.negative:
        shown += "（负数按 0 计）"
    tt = t.value or 0.0
    if m == "execution":
        s = score_execution(a, w)
        if a >= 1 - _EPS:
            return s, f"预算执行率 {shown}，得满分", True
        return s, f"预算执行率 {shown}，按 {shown} × {fmt_number(w)} 计 {fmt_score(s)} 分", True
    if m in ("positive", "equal"):
        s = score_equal(a, tt, w) if m == "equal" else score_positive(a, tt, w)
        if s >= w - _EPS:
            return s, f"实际 {shown}，达到指标值 {t.text}，得满分", True
        if tt == 0:
            return s, f"实际 {shown}，指标值 {t.text}，未达到，得 0 分", True
        return s, f"实际 {shown}，未达到指标值 {t.text}，按 实际 ÷ 指标值 × 分值 计 {fmt_score(s)} 分", True
    if m == "reverse":
        s = score_reverse(a, tt, w)
        if s >= w - _EPS:
            return s, f"实际 {shown}，不超过指标值 {t.text}，得满分", True
        if s <= _EPS:
            return s, f"实际 {shown}，达到或超过指标值 {t.text} 的 2 倍，得 0 分", True
        return s, f"实际 {shown}，超过指标值 {t.text}，按 (1 − 超出部分 ÷ 指标值) × 分值 计 {fmt_score(s)} 分", True
    if m == "per_point":
        step = line.common.step if line.common and line.common.step else 0.0
        s = score_per_point(a, tt, w, step)
        if s >= w - _EPS:
            return s, f"实际 {shown}，不超过指标值 {t.text}，得满分", True
        points = round_half_up((a - tt) * 100, 2)
        return s, f"实际 {shown}，超出指标值 {fmt_number(points)} 个百分点，每个百分点扣 {fmt_number(step)} 分，计 {fmt_score(s)} 分", True
    raise ValueError(f"unknown method {m!r}")


def _totals(ctx: Context, out: Scores, findings: list[Finding]) -> None:
    rules = ctx.rules
    lay = ctx.sub.layout
    d = rules.decimals
    by_cat: dict[str, list[ScoredRow]] = {c.name: [] for c in rules.categories}
    lines_by_cat: dict[str, list[Line]] = {c.name: [] for c in rules.categories}
    for row, line in zip(out.rows, ctx.lines, strict=True):
        if row.category in by_cat:
            by_cat[row.category].append(row)
            lines_by_cat[row.category].append(line)
    any_self = any(r.self_score is not None for r in out.rows)
    for cat in rules.categories:
        rows = by_cat[cat.name]
        verified = round_half_up(sum(r.verified or 0.0 for r in rows), d)
        self_score = round_half_up(sum(r.self_score or 0.0 for r in rows), d)
        out.categories.append(CategoryScore(cat.name, cat.weight, self_score, verified))
        weights = [r.weight for r in rows if r.weight is not None]
        total_w = sum(weights)
        if ctx.lines and abs(total_w - cat.weight) > rules.tolerance + _EPS:
            first = lines_by_cat[cat.name][0].cells.get(S.WEIGHT, "") if rows else ""
            findings.append(finding(
                "P501", f"{cat.name}各行分值之和为 {fmt_number(total_w)}，应等于权重分值 {fmt_number(cat.weight)}。"
                        f"请调整{cat.level1}各行的分值。",
                sheet=S.INDICATORS, cell=first, expected=fmt_number(cat.weight), actual=fmt_number(total_w)))
    scored = [r for r in out.rows if r.category in by_cat]
    na = [r for r in scored if not r.applicable]
    sum_verified = sum(c.verified for c in out.categories)
    sum_self = sum(c.self_score for c in out.categories)
    if na:
        applicable_w = sum(r.weight or 0.0 for r in scored if r.applicable)
        out.rescaled = True
        out.total = round_half_up(sum_verified / applicable_w * 100, d) if applicable_w > 0 else 0.0
        out.self_total = round_half_up(sum_self / applicable_w * 100, d) if applicable_w > 0 else 0.0
    else:
        out.total = round_half_up(sum_verified, d)
        out.self_total = round_half_up(sum_self, d)
    out.grade = rules.grade(out.total)
    if not any_self:
        out.self_total = None
        return
    out.self_grade = rules.grade(out.self_total)
    total_cell = lay.sum_cell(S.SUMMARY_HEADERS[2], S.TOTAL) or ""
    if abs(out.self_total - out.total) > rules.tolerance + _EPS:
        findings.append(finding(
            "P507", f"自评总分 {fmt_score(out.self_total)}，核定总分 {fmt_score(out.total)}，相差 "
                    f"{fmt_score(abs(out.self_total - out.total))} 分。请对照各指标的核定得分和审核意见核实自评。",
            sheet=S.SUMMARY, cell=total_cell, expected=fmt_score(out.total), actual=fmt_score(out.self_total)))
    if out.self_grade != out.grade:
        grade_row = lay.sum_rows.get(S.SELF_GRADE)
        col = lay.sum_cols.get(S.CATEGORY, 1) + 1
        findings.append(finding(
            "P507", f"自评等级“{out.self_grade}”，核定等级“{out.grade}”。",
            sheet=S.SUMMARY, cell=a1(grade_row, col) if grade_row else "", expected=out.grade, actual=out.self_grade))

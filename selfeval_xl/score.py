"""Scoring (spec/scoring.md): every 核定得分, the categories, the total and the grade.

The methods are pure functions of (actual, target, 分值); ``score_lines`` applies them to the
lines ``validate.check_indicators`` read, writes a 审核意见 for each row, and emits the P-findings.
Every 核定得分 is rounded half up to the rule set's decimals; categories are sums of rounded rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import standard as S
from .findings import Finding, finding
from .numbers import fmt_number, fmt_percent, fmt_score, round_half_up
from .rules import Category, Rules, Tier
from .standard import label_key
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
    of the band (the upper limit - 0.01 for a half-open band)."""
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
    provisional: bool = False  # its rows' 分值 do not add up to its weight (P501): 核定得分 rescaled


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

    def note(code: str, at: str, variant: str = "", expected: object = "", actual: object = "", **fields: object) -> None:
        fs.append(finding(code, variant, sheet=S.INDICATORS, cell=cell.get(at, ""), expected=expected, actual=actual,
                          **fields))

    # the self score's own range, whatever else is wrong with the row
    if line.self_score is not None and w is not None and (line.self_score > w + _EPS or line.self_score < -_EPS):
        note("P504", S.SELF_SCORE, name=name, self_score=fmt_score(line.self_score), weight=fmt_score(w),
             expected=f"0–{fmt_score(w)}", actual=fmt_score(line.self_score))
        p504 = True
    else:
        p504 = False

    if line.actual is not None and line.actual.not_applicable:
        row.applicable = False
        row.verified = None
        row.opinion = f"{rules.not_applicable}，不计分，总分按适用指标折算"
        if not line.reason:
            note("P509", S.REASON, name=name, na=rules.not_applicable, expected="不适用的理由", actual="（空）")
        note("P510", S.ACTUAL, name=name, na=rules.not_applicable, weight=fmt_number(w), actual=rules.not_applicable)
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
        note("P505", S.SELF_SCORE, name=name, value=line.actual_text, tier=tier.name, band=band,
             self_score=fmt_score(line.self_score), verified=fmt_score(verified), expected=band,
             actual=fmt_score(line.self_score))
        qualitative_differs_reported = True
    else:
        qualitative_differs_reported = False

    # reasons the department must give
    executed_low = (line.method == "execution" and line.rate is not None and line.rate.value is not None
                    and line.rate.value < rules.execution_reason_below - _EPS)
    if executed_low and not line.reason:
        note("P508", S.REASON, rate=fmt_percent(line.rate.value),  # type: ignore[union-attr]
             threshold=fmt_percent(rules.execution_reason_below), expected="偏差原因和改进措施", actual="（空）")
    elif verified < w - _EPS and not line.reason:
        if line.method == "qualitative" and line.actual is not None and line.actual.tier == rules.tiers[0].name:
            tier = rules.tiers[0]
            lo, hi = tier.band(w)
            note("P502", S.REASON, "qualitative", name=name, self_score=fmt_score(verified), weight=fmt_score(w),
                 tier=tier.name, band=f"{fmt_score(lo)}–{fmt_score(hi)}", expected="低于满分的原因", actual="（空）")
        else:
            note("P502", S.REASON, name=name, verified=fmt_score(verified), weight=fmt_score(w),
                 expected="未得满分的原因和改进措施", actual="（空）")
    a = _actual_value(line)
    if (line.method in ("positive", "equal") and a is not None and t.value and t.value > 0
            and a >= rules.explain_above * t.value - _EPS and not line.reason):
        shown = fmt_percent(a) if t.percent else fmt_number(a) + t.unit
        note("P503", S.REASON, name=name, value=shown, target=t.text, ratio=fmt_percent(a / t.value, 0),
             limit=fmt_percent(rules.explain_above, 0), expected="超出原因的说明", actual="（空）")
    if (line.self_score is not None and not p504 and not qualitative_differs_reported
            and abs(line.self_score - verified) > rules.tolerance + _EPS):
        note("P506", S.SELF_SCORE, name=name, self_score=fmt_score(line.self_score), verified=fmt_score(verified),
             why=opinion, expected=fmt_score(verified), actual=fmt_score(line.self_score))
    if not line.self_score_typed and cell.get(S.SELF_SCORE, ""):  # not a number is V202, not blank
        note("P511", S.SELF_SCORE, name=name, weight=fmt_score(w), verified=fmt_score(verified),
             expected=f"0–{fmt_score(w)}", actual="（空）")
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
        return s, f"实际 {shown}，超过指标值 {t.text}，按 (1 - 超出部分 ÷ 指标值) × 分值 计 {fmt_score(s)} 分", True
    if m == "per_point":
        step = line.common.step if line.common and line.common.step else 0.0
        s = score_per_point(a, tt, w, step)
        if s >= w - _EPS:
            return s, f"实际 {shown}，不超过指标值 {t.text}，得满分", True
        points = round_half_up((a - tt) * 100, 2)
        return s, f"实际 {shown}，超出指标值 {fmt_number(points)} 个百分点，每个百分点扣 {fmt_number(step)} 分，计 {fmt_score(s)} 分", True
    raise ValueError(f"unknown method {m!r}")


def _weight_cell(ctx: Context, cat: Category, lines: list[Line]) -> str:
    """Where to change a category's 分值 (P501): its first own row, else the first row of its block
    that is not a common one, else its first row."""
    own = next((line for line in lines if line.common is None), None)
    if own is not None:
        return own.cells.get(S.WEIGHT, "")
    lay = ctx.sub.layout
    block = next((b for b in lay.ind_blocks if label_key(b.level1) == label_key(cat.level1)), None)
    if block is not None and S.WEIGHT in lay.ind_cols:
        common = set(lay.ind_rows.values())
        row = next((r for r in range(block.title + 1, block.footer) if r not in common), block.title)
        return lay.ind_cell(S.WEIGHT, row)
    return lines[0].cells.get(S.WEIGHT, "") if lines else ""


def _totals(ctx: Context, out: Scores, findings: list[Finding]) -> None:
    rules = ctx.rules
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
        total_w = sum(r.weight for r in rows if r.weight is not None)
        # a common row that is missing (S104) counts with its 分值 and 0 points: deleting a row never
        # takes its weight out of the category
        total_w += sum(i.weight for i in rules.indicators
                       if i.name not in ctx.sub.layout.ind_rows and rules.category_of(i.level1, i.name) is cat)
        provisional = bool(ctx.lines) and abs(total_w - cat.weight) > rules.tolerance + _EPS
        if provisional:
            first = _weight_cell(ctx, cat, lines_by_cat[cat.name])
            findings.append(finding(
                "P501", category=cat.name, sum=fmt_number(total_w), weight=fmt_number(cat.weight), level1=cat.level1,
                sheet=S.INDICATORS, cell=first, expected=fmt_number(cat.weight), actual=fmt_number(total_w)))
            if total_w > 0:  # scoring.md: rescaled to the weight, so no category exceeds it
                verified = round_half_up(verified / total_w * cat.weight, d)
        out.categories.append(CategoryScore(cat.name, cat.weight, self_score, verified, provisional))
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
    # file-level: the totals are formulas; the rows whose self score differs are where to act
    if abs(out.self_total - out.total) > rules.tolerance + _EPS:
        findings.append(finding(
            "P507", "total", self_total=fmt_score(out.self_total), total=fmt_score(out.total),
            difference=fmt_score(abs(out.self_total - out.total)), rows=_differing_rows(out.rows, ctx.lines, rules),
            sheet=S.INDICATORS, expected=fmt_score(out.total), actual=fmt_score(out.self_total)))
    if out.self_grade != out.grade:
        findings.append(finding("P507", "grade", self_grade=out.self_grade, grade=out.grade, total=fmt_score(out.total),
                                sheet=S.INDICATORS, expected=out.grade, actual=out.self_grade))


def _differing_rows(rows: list[ScoredRow], lines: list[Line], rules: Rules, shown: int = 6) -> str:
    """The rows whose self score is not their 核定得分, largest difference first, with their cells."""
    diffs = [(abs((r.self_score or 0.0) - (r.verified or 0.0)), r, line) for r, line in zip(rows, lines, strict=True)
             if r.applicable and r.category and abs((r.self_score or 0.0) - (r.verified or 0.0)) > rules.tolerance + _EPS]
    diffs.sort(key=lambda d: -d[0])
    parts = [f"“{r.name or f'第 {r.row} 行'}”（{S.INDICATORS}!{line.cells.get(S.SELF_SCORE, '')}：自评 "
             f"{fmt_score(r.self_score) if r.self_score is not None else '未填'}，核定 {fmt_score(r.verified)}）"
             for _, r, line in diffs[:shown]]
    more = f"等 {len(diffs)} 项" if len(diffs) > shown else f"共 {len(diffs)} 项"
    return "、".join(parts) + more if parts else "（各行分值或不适用指标的折算造成）"

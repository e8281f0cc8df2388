"""Scoring (spec/scoring.md): every 核定得分, the categories, the total and the grade.

The methods are registered in ``methods.py`` (found by the name the rule file gives);
``score_lines`` applies them to the lines ``validate.check_indicators`` read, writes a 审核意见 for
each row, and emits the P-findings. Every 核定得分 is rounded half up to the rule set's decimals;
categories are sums of rounded rows, rescaled to their weight while their rows' 分值 do not add up
(P501), so no category and no total can exceed its weight; the rules over the whole score (a cap by
the execution rate) apply last.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import standard as S
from .findings import Finding, finding
from .methods import (
    METHODS,
    Row,
    score_equal,
    score_execution,
    score_per_point,
    score_positive,
    score_reverse,
    score_reverse_ratio,
)
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
    "score_reverse_ratio",
]

_EPS = 1e-9


# ---------------------------------------------------------------------------------------------
# The qualitative tiers (the other methods are in methods.py)


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

    @property
    def provisional(self) -> list[str]:
        """The categories whose rows' 分值 do not add up to their weight (P501): the total stands on
        them rescaled, and is provisional until the department corrects its 分值."""
        return [c.name for c in self.categories if c.provisional]


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
    """实际完成值 as the department typed it, read or not ("7月", "达成预期指标", "基本提升"); a
    number cell as read, in the target's unit (a cell formatted as a percentage holds 0.95 for
    what it shows as 95%); a rate the form computes, as computed ("无法计算" when it cannot be)."""
    if line.rate is not None:
        return fmt_percent(line.rate.value) if line.rate.value is not None else "无法计算"
    a, t, raw = line.actual, line.target, line.actual_cell
    number = isinstance(raw, (int, float)) and not isinstance(raw, bool)
    if number and t is not None and a is not None and a.value is not None and not a.negative:
        return fmt_percent(a.value) if t.percent else fmt_number(a.value) + t.unit
    return line.actual_text


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
    over = _over_achieved(line, rules, t)
    if over is not None:
        oa = rules.over_achievement
        shown = fmt_percent(over) if t.percent else fmt_number(over) + t.unit
        fields = dict(name=name, value=shown, target=t.text, ratio=fmt_percent(over / (t.value or 1), 0),
                      limit=fmt_percent(oa.at, 0), expected="超出原因的说明", actual="（空）")
        if oa.policy == "deduct" and oa.points > 0:
            verified = round_half_up(max(0.0, verified - oa.points), rules.decimals)
            opinion += f"；超额完成未说明原因，扣 {fmt_number(oa.points)} 分"
            note("P503", S.REASON, "deduct", points=fmt_number(oa.points), **fields)
        else:
            note("P503", S.REASON, **fields)
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
    elif verified < w - _EPS and not line.reason and over is None:
        if line.method == "qualitative" and line.actual is not None and line.actual.tier == rules.tiers[0].name:
            tier = rules.tiers[0]
            lo, hi = tier.band(w)
            note("P502", S.REASON, "qualitative", name=name, self_score=fmt_score(verified), weight=fmt_score(w),
                 tier=tier.name, band=f"{fmt_score(lo)}–{fmt_score(hi)}", expected="低于满分的原因", actual="（空）")
        else:
            note("P502", S.REASON, name=name, verified=fmt_score(verified), weight=fmt_score(w),
                 expected="未得满分的原因和改进措施", actual="（空）")
    if (line.self_score is not None and not p504 and not qualitative_differs_reported
            and abs(line.self_score - verified) > rules.tolerance + _EPS):
        note("P506", S.SELF_SCORE, name=name, self_score=fmt_score(line.self_score), verified=fmt_score(verified),
             why=opinion, expected=fmt_score(verified), actual=fmt_score(line.self_score))
    if not line.self_score_typed and cell.get(S.SELF_SCORE, ""):  # not a number is V202, not blank
        note("P511", S.SELF_SCORE, name=name, weight=fmt_score(w), verified=fmt_score(verified),
             expected=f"0–{fmt_score(w)}", actual="（空）")
    return row, fs


def _over_achieved(line: Line, rules: Rules, t: Target) -> float | None:
    """The actual, when the rules' over-achievement policy applies to it: a number typed against
    an "at least" or "equal" target, at least ``at`` times it, with no explanation."""
    a = _actual_value(line)
    m = METHODS.get(line.method or "")
    if (rules.over_achievement.policy == "none" or m is None or m.reads != "number" or a is None
            or t.kind not in ("at_least", "equal") or not t.value or t.value <= 0 or line.reason):
        return None
    return a if a >= rules.over_achievement.at * t.value - _EPS else None


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
    method = METHODS[m or ""]
    assert method.score is not None  # only the qualitative method is scored by the tiers above
    outcome = method.score(Row(a, t, w, line.common.params if line.common else {}))
    opinion = outcome.opinion
    if line.actual is not None and line.actual.negative:
        opinion = "实际完成值为负数，按 0 计；" + opinion
    return outcome.score, opinion, True


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
    by_cat: dict[str, list[tuple[ScoredRow, Line]]] = {c.name: [] for c in rules.categories}
    for row, line in zip(out.rows, ctx.lines, strict=True):
        if row.category in by_cat:
            by_cat[row.category].append((row, line))
    applicable = 0.0  # the weight the verified scores stand on, each category counted at its weight
    for cat in rules.categories:
        score, base = _category(ctx, cat, by_cat[cat.name], findings)
        out.categories.append(score)
        applicable += base
    scored = [r for r in out.rows if r.category in by_cat]
    sum_verified = sum(c.verified for c in out.categories)
    sum_self = sum(c.self_score for c in out.categories)
    if any(not r.applicable for r in scored):
        out.rescaled = True
        out.total = round_half_up(sum_verified / applicable * 100, d) if applicable > 0 else 0.0
        # the form's own formula: its 自评 total over the 分值 of the applicable rows as typed
        applicable_w = sum(r.weight or 0.0 for r in scored if r.applicable)
        out.self_total = round_half_up(sum_self / applicable_w * 100, d) if applicable_w > 0 else 0.0
    else:
        out.total = round_half_up(sum_verified, d)
        out.self_total = round_half_up(sum_self, d)
    out.total = _capped(ctx, out.total, findings)
    out.self_total = min(out.self_total, _cap_of(ctx) or 100.0)
    out.grade = rules.grade(out.total)
    if not any(r.self_score is not None for r in out.rows):
        out.self_total = None
        return
    out.self_grade = rules.grade(out.self_total)
    full = [r for r in scored if r.applicable and r.weight]
    if len(full) >= 5 and all(r.self_score is not None and abs(r.self_score - r.weight) <= _EPS for r in full):  # type: ignore[operator]
        findings.append(finding("C602", rows=len(full), sheet=S.INDICATORS, expected="如实自评", actual="全部满分"))
    # file-level: the totals are formulas; the rows whose self score differs are where to act
    if abs(out.self_total - out.total) > rules.tolerance + _EPS:
        findings.append(finding(
            "P507", "total", self_total=fmt_score(out.self_total), total=fmt_score(out.total),
            difference=fmt_score(abs(out.self_total - out.total)), rows=_differing_rows(out.rows, ctx.lines, rules),
            sheet=S.INDICATORS, expected=fmt_score(out.total), actual=fmt_score(out.self_total)))
    if out.self_grade != out.grade:
        findings.append(finding("P507", "grade", self_grade=out.self_grade, grade=out.grade, total=fmt_score(out.total),
                                sheet=S.INDICATORS, expected=out.grade, actual=out.self_grade))


def _category(ctx: Context, cat: Category, members: list[tuple[ScoredRow, Line]],
              findings: list[Finding]) -> tuple[CategoryScore, float]:
    """A category's score, and the weight its verified score stands on (its weight less its rows
    marked 不适用, in the category's scale). While its rows' 分值 do not add up to its weight (P501),
    the verified score is rescaled to the weight: no category exceeds its weight, whatever its rows."""
    rules, d = ctx.rules, ctx.rules.decimals
    rows = [r for r, _ in members]
    verified = round_half_up(sum(r.verified or 0.0 for r in rows), d)
    self_score = round_half_up(sum(r.self_score or 0.0 for r in rows), d)
    total_w = sum(r.weight for r in rows if r.weight is not None)
    # a common row that is missing (S104) counts with its 分值 and 0 points: deleting a row never
    # takes its weight out of the category
    total_w += sum(i.weight for i in rules.indicators
                   if i.name not in ctx.sub.layout.ind_rows and rules.category_of(i.level1, i.name) is cat)
    not_applicable = sum(r.weight or 0.0 for r in rows if not r.applicable)
    provisional = bool(ctx.lines) and abs(total_w - cat.weight) > rules.tolerance + _EPS
    scale = 1.0
    if provisional:
        findings.append(finding(
            "P501", category=cat.name, sum=fmt_number(total_w), weight=fmt_number(cat.weight), level1=cat.level1,
            sheet=S.INDICATORS, cell=_weight_cell(ctx, cat, [line for _, line in members]),
            expected=fmt_number(cat.weight), actual=fmt_number(total_w)))
        if total_w > 0:  # scoring.md: rescaled to the weight, so no category exceeds it
            scale = cat.weight / total_w
            verified = round_half_up(verified * scale, d)
    findings += _level2_findings(ctx, cat, members)
    base = (total_w - not_applicable) * scale if total_w > 0 else cat.weight
    return CategoryScore(cat.name, cat.weight, self_score, verified, provisional), base


def _level2_findings(ctx: Context, cat: Category, members: list[tuple[ScoredRow, Line]]) -> list[Finding]:
    """P501 for a category that weighs its 二级指标: own rows must name one, and each adds up."""
    if not cat.level2:
        return []
    rules = ctx.rules
    out = []
    names = {label_key(n): n for n, _ in cat.level2}
    sums: dict[str, float] = dict.fromkeys(names.values(), 0.0)
    first: dict[str, str] = {}
    for row, line in members:
        level2 = names.get(label_key(line.level2))
        if level2 is None:
            out.append(finding("P501", "level2_name", name=row.name or f"第 {row.row} 行", level2=line.level2,
                               category=cat.name, allowed="、".join(names.values()), sheet=S.INDICATORS,
                               cell=line.cells.get(S.LEVEL2, ""), expected="、".join(names.values()), actual=line.level2))
            continue
        sums[level2] += row.weight or 0.0
        if line.common is None:
            first.setdefault(level2, line.cells.get(S.WEIGHT, ""))
    for i in rules.indicators:  # a missing common row keeps its weight
        if i.name not in ctx.sub.layout.ind_rows and rules.category_of(i.level1, i.name) is cat and i.level2 in sums:
            sums[i.level2] += i.weight
    for level2, weight in cat.level2:
        if abs(sums[level2] - weight) > rules.tolerance + _EPS:
            out.append(finding("P501", "level2", category=cat.name, level2=level2, sum=fmt_number(sums[level2]),
                               weight=fmt_number(weight), sheet=S.INDICATORS, cell=first.get(level2, ""),
                               expected=fmt_number(weight), actual=fmt_number(sums[level2])))
    return out


def _cap_of(ctx: Context) -> float | None:
    """The total's cap by the rules' rate, if it applies to this submission."""
    cap = ctx.rules.total_cap
    rate = ctx.budget.rates.get(cap.rate) if cap else None
    if cap is None or rate is None or rate.value is None:
        return None
    hit = cap.cap(rate.value)
    return hit[1] if hit else None


def _capped(ctx: Context, total: float, findings: list[Finding]) -> float:
    cap = ctx.rules.total_cap
    top = _cap_of(ctx)
    if cap is None or top is None or total <= top + _EPS:
        return total
    rate = ctx.budget.rates[cap.rate]
    below = min(b for b, t in cap.bands if t == top and rate.value is not None and rate.value < b)
    findings.append(finding("P512", rate_label=rate.label, rate=fmt_percent(rate.value), below=fmt_percent(below),
                            cap=fmt_score(top), before=fmt_score(total), sheet=S.SUMMARY,
                            expected=f"≤ {fmt_score(top)}", actual=fmt_score(total)))
    return top


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

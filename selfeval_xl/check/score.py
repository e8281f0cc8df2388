"""Scoring (spec/scoring.md): every 核定得分, the categories, the total and the grade.

The methods are registered in ``methods.py`` (found by the name the rule file gives);
``score_lines`` applies them to the lines of the ``Interpretation`` (``interpret.py``: it needs no
check to have run), writes a 审核意见 for each row, and emits the P-findings. Every 核定得分 is
rounded half up to the rule set's decimals; categories are sums of rounded rows, rescaled to their
weight while their rows' 分值 do not add up (P501), so no category and no total can exceed its
weight; the rules over the whole score (a cap by the execution rate) apply last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from selfeval_xl.check.interpret import Interpretation, Line
from selfeval_xl.core import names as S
from selfeval_xl.core.findings import Finding, finding
from selfeval_xl.core.names import label_key
from selfeval_xl.core.numbers import band_at, fmt_number, fmt_percent, fmt_points, hold, round_half_up
from selfeval_xl.rules.methods import (
    METHODS,
    Row,
    score_equal,
    score_execution,
    score_per_point,
    score_positive,
    score_reverse,
    score_reverse_ratio,
)
from selfeval_xl.rules.model import Category, Rules, Tier
from selfeval_xl.rules.targets import Target
from selfeval_xl.rules.totals import TotalOutcome, apply

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


def score_qualitative(tier: Tier, self_score: float | None, w: float, decimals: int = 2) -> tuple[float, bool]:
    """The 核定得分 of a qualitative row at ``decimals`` and whether the self score lay in the tier's band.

    In the band: the self score. Empty: the tier's score_if_blank × w. Outside: the nearest value
    of the band at the precision kept (a half-open band's upper limit less one unit of the last
    decimal kept: 4.49 for [3.5, 4.5) at two decimals, 4.4 at one). Always inside the band at that
    precision (``numbers.hold``)."""
    lo, hi = tier.band(w)
    if self_score is None:
        return hold(tier.score_if_blank * w, lo, hi, tier.closed, decimals), True
    return hold(self_score, lo, hi, tier.closed, decimals), tier.contains(self_score, w)


def tier_band_text(tier: Tier, w: float, decimals: int) -> str:
    """A tier's band for a weight as the rule set keeps scores: '3.5–4.4' for [3.5, 4.5) at one decimal."""
    first, last = band_at(*tier.band(w), tier.closed, decimals)
    return f"{fmt_points(first, decimals)}–{fmt_points(last, decimals)}"


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
    before_limits: float = 0.0  # the categories' total, before 加分/扣分 and the limits (totals.py)
    limits: list[str] = field(default_factory=list)  # what changed the total or the grade, in words

    @property
    def provisional(self) -> list[str]:
        """The categories whose rows' 分值 do not add up to their weight (P501): the total stands on
        them rescaled, and is provisional until the department corrects its 分值."""
        return [c.name for c in self.categories if c.provisional]


# ---------------------------------------------------------------------------------------------
# Scoring the lines


def score_lines(interp: Interpretation) -> tuple[Scores, list[Finding]]:
    rules = interp.rules
    out = Scores()
    findings: list[Finding] = []
    for line in interp.lines:
        row, fs = _score_line(line, rules)
        out.rows.append(row)
        findings += fs
    _totals(interp, out, findings)
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

    d = rules.decimals

    def pts(x: float | None) -> str:
        return fmt_points(x, d)

    # the self score's own range, whatever else is wrong with the row
    if line.self_score is not None and w is not None and (line.self_score > w + _EPS or line.self_score < -_EPS):
        note("P504", S.SELF_SCORE, name=name, self_score=pts(line.self_score), weight=pts(w),
             expected=f"0–{pts(w)}", actual=pts(line.self_score))
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

    verified, opinion, qualitative_ok = _apply_method(line, rules, w, t)
    over = _over_achieved(line, rules, t)
    if over is not None:
        oa = rules.over_achievement
        shown = fmt_percent(over) if t.percent else fmt_number(over) + t.unit
        at_limit = abs(over - oa.at * (t.value or 0)) <= _EPS * max(1.0, abs(over))
        fields = dict(name=name, value=shown, target=t.text, ratio=fmt_percent(over / (t.value or 1)),
                      beyond="达到" if at_limit else "超过", limit=fmt_percent(oa.at), expected="超出原因的说明",
                      actual="（空）")
        if oa.policy == "deduct" and oa.points > 0:
            verified = hold(verified - oa.points, 0.0, w, True, d)
            opinion += f"；超额完成未说明原因，扣 {fmt_number(oa.points)} 分"
            note("P503", S.REASON, "deduct", points=fmt_number(oa.points), **fields)
        else:
            note("P503", S.REASON, **fields)
    row.verified = verified
    row.opinion = opinion

    if line.method == "qualitative" and not qualitative_ok and not p504:
        tier = next(x for x in rules.tiers if x.name == line.actual.tier)  # type: ignore[union-attr]
        band = tier_band_text(tier, w, d)
        note("P505", S.SELF_SCORE, name=name, value=line.actual_text, tier=tier.name, band=band,
             self_score=pts(line.self_score), verified=pts(verified), expected=band, actual=pts(line.self_score))
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
            note("P502", S.REASON, "qualitative", name=name, self_score=pts(verified), weight=pts(w),
                 tier=tier.name, band=tier_band_text(tier, w, d), expected="低于满分的原因", actual="（空）")
        else:
            note("P502", S.REASON, name=name, verified=pts(verified), weight=pts(w),
                 expected="未得满分的原因和改进措施", actual="（空）")
    if (line.self_score is not None and not p504 and not qualitative_differs_reported
            and abs(line.self_score - verified) > rules.tolerance + _EPS):
        note("P506", S.SELF_SCORE, name=name, self_score=pts(line.self_score), verified=pts(verified),
             why=opinion, expected=pts(verified), actual=pts(line.self_score))
    if not line.self_score_typed and cell.get(S.SELF_SCORE, ""):  # not a number is V202, not blank
        note("P511", S.SELF_SCORE, name=name, weight=pts(w), verified=pts(verified),
             expected=f"0–{pts(w)}", actual="（空）")
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
    """(核定得分 at the rule set's precision, inside the row's band; 审核意见; qualitative self score
    in band). The band is the qualitative tier's, else [0, 分值]: rounding never takes a row above
    its 分值 (a 分值 finer than the precision, 0.125 at two decimals, is its own full score)."""
    d = rules.decimals
    if line.method == "qualitative":
        tier = next(x for x in rules.tiers if x.name == line.actual.tier)  # type: ignore[union-attr]
        score, ok = score_qualitative(tier, line.self_score, w, d)
        band = tier_band_text(tier, w, d)
        if line.self_score is None:
            return score, f"{tier.name}（区间 {band}），未填自评得分，按 {fmt_points(score, d)} 计", True
        if ok and abs(score - line.self_score) <= _EPS:
            return score, f"{tier.name}（区间 {band}），自评得分在区间内", True
        if ok:
            return score, f"{tier.name}（区间 {band}），自评得分在区间内，保留 {d} 位小数计 {fmt_points(score, d)}", True
        return score, f"{tier.name}（区间 {band}），自评得分不在区间内，按 {fmt_points(score, d)} 计", False
    a = _actual_value(line)
    assert a is not None
    return (*verified_row(line.method or "", Row(a, t, w, line.common.params if line.common else {}, d),
                          line.actual is not None and line.actual.negative), True)


def verified_row(method: str, row: Row, negative: bool = False) -> tuple[float, str]:
    """A row scored by a method of the registry (not the qualitative tiers): its 核定得分, rounded
    half up to ``row.decimals`` and held in [0, 分值], and its 审核意见."""
    m = METHODS[method]
    assert m.score is not None  # only the qualitative method is scored by the tiers above
    outcome = m.score(row)
    opinion = ("实际完成值为负数，按 0 计；" if negative else "") + outcome.opinion
    return hold(outcome.score, 0.0, row.weight, True, row.decimals), opinion


def _free_cell(interp: Interpretation, cat: Category, header: str) -> str:
    """A category's block's first row that is not a common one (where a department's own row goes),
    in ``header``'s column; its title row when it has none."""
    lay = interp.sub.layout
    block = next((b for b in lay.ind_blocks if label_key(b.level1) == label_key(cat.level1)), None)
    if block is None or header not in lay.ind_cols:
        return ""
    common = set(lay.ind_rows.values())
    row = next((r for r in range(block.title + 1, block.footer) if r not in common), block.title)
    return lay.ind_cell(header, row)


def _weight_cell(interp: Interpretation, cat: Category, lines: list[Line]) -> str:
    """Where to change a category's 分值 (P501): its first own row, else the first row of its block
    that is not a common one, else its first row."""
    own = next((line for line in lines if line.common is None), None)
    if own is not None:
        return own.cells.get(S.WEIGHT, "")
    return _free_cell(interp, cat, S.WEIGHT) or (lines[0].cells.get(S.WEIGHT, "") if lines else "")


def _totals(interp: Interpretation, out: Scores, findings: list[Finding]) -> None:
    rules = interp.rules
    d = rules.decimals
    by_cat: dict[str, list[tuple[ScoredRow, Line]]] = {c.name: [] for c in rules.categories}
    for row, line in zip(out.rows, interp.lines, strict=True):
        if row.category in by_cat:
            by_cat[row.category].append((row, line))
    applicable = 0.0  # the weight the verified scores stand on, each category counted at its weight
    for cat in rules.categories:
        score, base = _category(interp, cat, by_cat[cat.name], findings)
        out.categories.append(score)
        applicable += base
    scored = [r for r in out.rows if r.category in by_cat]
    sum_verified = sum(c.verified for c in out.categories)
    sum_self = sum(c.self_score for c in out.categories)
    if any(not r.applicable for r in scored):
        out.rescaled = True
        out.total = min(round_half_up(sum_verified / applicable * 100, d), 100.0) if applicable > 0 else 0.0
        # the form's own formula: its 自评 total over the 分值 of the applicable rows as typed
        applicable_w = sum(r.weight or 0.0 for r in scored if r.applicable)
        out.self_total = round_half_up(sum_self / applicable_w * 100, d) if applicable_w > 0 else 0.0
    else:
        out.total = min(round_half_up(sum_verified, d), 100.0)
        out.self_total = round_half_up(sum_self, d)
    rate = _cap_rate(interp)
    verified = apply(out.total, rules, interp.declared, rate)
    findings += _over_the_total(interp, verified)
    out.before_limits, out.total, out.grade, out.limits = out.total, verified.total, verified.grade, verified.applied(d)
    if not any(r.self_score is not None for r in out.rows):
        out.self_total = None
        return
    claimed = apply(out.self_total, rules, interp.declared, rate)  # as the form's own formulas do
    out.self_total, out.self_grade = claimed.total, claimed.grade
    full = [r for r in scored if r.applicable and r.weight]
    if len(full) >= 5 and all(r.self_score is not None and abs(r.self_score - r.weight) <= _EPS for r in full):  # type: ignore[operator]
        findings.append(finding("C602", rows=len(full), sheet=S.INDICATORS, expected="如实自评", actual="全部满分"))
    # file-level: the totals are formulas; the rows whose self score differs are where to act
    if abs(out.self_total - out.total) > rules.tolerance + _EPS:
        findings.append(finding(
            "P507", "total", self_total=fmt_points(out.self_total, d), total=fmt_points(out.total, d),
            difference=fmt_points(abs(out.self_total - out.total), d), rows=_differing_rows(out.rows, interp.lines, rules),
            sheet=S.INDICATORS, expected=fmt_points(out.total, d), actual=fmt_points(out.self_total, d)))
    if out.self_grade != out.grade:
        findings.append(finding("P507", "grade", self_grade=out.self_grade, grade=out.grade, total=fmt_points(out.total, d),
                                sheet=S.INDICATORS, expected=out.grade, actual=out.self_grade))


def _category(interp: Interpretation, cat: Category, members: list[tuple[ScoredRow, Line]],
              findings: list[Finding]) -> tuple[CategoryScore, float]:
    """A category's score, and the weight its verified score stands on (its weight less its rows
    marked 不适用, in the category's scale). While its rows' 分值 do not add up to its weight (P501),
    the verified score is rescaled to the weight: no category exceeds its weight, whatever its rows."""
    rules, d = interp.rules, interp.rules.decimals
    rows = [r for r, _ in members]
    exact = sum(r.verified or 0.0 for r in rows)  # every row inside [0, 分值]: so is the sum
    verified = min(round_half_up(exact, d), cat.weight)
    self_score = round_half_up(sum(r.self_score or 0.0 for r in rows), d)
    total_w = sum(r.weight for r in rows if r.weight is not None)
    # a common row that is missing (S104) counts with its 分值 and 0 points: deleting a row never
    # takes its weight out of the category
    total_w += sum(i.weight for i in rules.indicators
                   if i.name not in interp.sub.layout.ind_rows and rules.category_of(i.level1, i.name) is cat)
    not_applicable = sum(r.weight or 0.0 for r in rows if not r.applicable)
    provisional = bool(interp.lines) and abs(total_w - cat.weight) > rules.tolerance + _EPS
    scale = 1.0
    if provisional:
        findings.append(finding(
            "P501", category=cat.name, sum=fmt_number(total_w), weight=fmt_number(cat.weight), level1=cat.level1,
            sheet=S.INDICATORS, cell=_weight_cell(interp, cat, [line for _, line in members]),
            expected=fmt_number(cat.weight), actual=fmt_number(total_w)))
        if total_w > 0:  # scoring.md: rescaled to the weight, so no category exceeds it
            scale = cat.weight / total_w
            verified = min(round_half_up(exact * scale, d), cat.weight)
    findings += _level2_findings(interp, cat, members)
    base = (total_w - not_applicable) * scale if total_w > 0 else cat.weight
    return CategoryScore(cat.name, cat.weight, self_score, verified, provisional), base


def _level2_findings(interp: Interpretation, cat: Category, members: list[tuple[ScoredRow, Line]]) -> list[Finding]:
    """P501 for a category that weighs its 二级指标: own rows must name one, and each adds up."""
    if not cat.level2:
        return []
    rules = interp.rules
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
        if i.name not in interp.sub.layout.ind_rows and rules.category_of(i.level1, i.name) is cat and i.level2 in sums:
            sums[i.level2] += i.weight
    rows = {label_key(n) for n in (line.level2 for _, line in members)}
    for level2, weight in cat.level2:
        if abs(sums[level2] - weight) <= rules.tolerance + _EPS:
            continue
        if label_key(level2) in rows:
            out.append(finding("P501", "level2", category=cat.name, level2=level2, sum=fmt_number(sums[level2]),
                               weight=fmt_number(weight), sheet=S.INDICATORS,
                               cell=first.get(level2) or _free_cell(interp, cat, S.WEIGHT),
                               expected=fmt_number(weight), actual=fmt_number(sums[level2])))
        else:  # no row of it at all: where a new one goes (the block's first own row)
            out.append(finding("P501", "level2_none", category=cat.name, level2=level2, weight=fmt_number(weight),
                               sheet=S.INDICATORS, cell=_free_cell(interp, cat, S.LEVEL2),
                               expected=fmt_number(weight), actual=fmt_number(sums[level2])))
    return out


def _cap_rate(interp: Interpretation) -> float | None:
    """The value of the rate the rules cap the total by, when it could be computed."""
    cap = interp.rules.total_cap
    rate = interp.budget.rates.get(cap.rate) if cap else None
    return rate.value if rate is not None else None


def _over_the_total(interp: Interpretation, o: TotalOutcome) -> list[Finding]:
    """P514 for the 加分/扣分 declared, P512 for the rate's cap below the total, P513 for each 一票否决
    declared: each says what it did, and the total it came to."""
    d = interp.rules.decimals
    out = []
    if o.items:
        parts = []
        if o.bonus or any("加" in i for i in o.items):
            parts.append(f"加 {fmt_points(o.bonus, d)} 分（加分最多 {fmt_number(interp.rules.bonus_max)} 分）")
        if o.deduction or any("扣" in i for i in o.items):
            parts.append(f"扣 {fmt_points(o.deduction, d)} 分（扣分最多 {fmt_number(interp.rules.deduction_max)} 分）")
        cells = [interp.sub.basic.cells.get(a.item, "") for a in interp.rules.adjustments if interp.declared.get(a.item)]
        out.append(finding("P514", items="；".join(o.items), result="，".join(parts), before=fmt_points(o.before, d),
                           after=fmt_points(o.adjusted, d), sheet=S.BASIC, cell=next((c for c in cells if c), ""),
                           expected=fmt_points(o.adjusted, d), actual=fmt_points(o.before, d)))
    for cap in o.caps:
        if cap.item:
            effect = "、".join(x for x in (f"总分最高 {fmt_points(cap.top, d)} 分" if cap.top < 100 else "",
                                           f"等级定为{cap.grade}" if cap.grade else "") if x)
            out.append(finding("P513", item=cap.item, effect=effect, before=fmt_points(o.adjusted, d),
                               total=fmt_points(o.total, d), grade=o.grade, sheet=S.BASIC,
                               cell=interp.sub.basic.cells.get(cap.item, ""), expected=effect, actual="是"))
        elif cap.top < o.adjusted - _EPS:
            rate = interp.budget.rates[interp.rules.total_cap.rate]  # type: ignore[union-attr]
            out.append(finding("P512", rate_label=rate.label, rate=fmt_percent(rate.value), below=fmt_percent(cap.below),
                               cap=fmt_points(cap.top, d), before=fmt_points(o.adjusted, d), total=fmt_points(o.total, d),
                               sheet=S.SUMMARY, expected=f"≤ {fmt_points(cap.top, d)}", actual=fmt_points(o.adjusted, d)))
    return out


def _self_shown(score: float | None, line: Line, decimals: int) -> str:
    """A row's 自评得分 as P507 names it: the number, 未填 for a blank cell, 不是数字 for anything else
    (a word, or an error value V207 names)."""
    if score is not None:
        return fmt_points(score, decimals)
    return "不是数字" if line.self_score_typed else "未填"


def _differing_rows(rows: list[ScoredRow], lines: Sequence[Line], rules: Rules, shown: int = 6) -> str:
    """The rows whose self score is not their 核定得分, largest difference first, with their cells."""
    diffs = [(abs((r.self_score or 0.0) - (r.verified or 0.0)), r, line) for r, line in zip(rows, lines, strict=True)
             if r.applicable and r.category and abs((r.self_score or 0.0) - (r.verified or 0.0)) > rules.tolerance + _EPS]
    diffs.sort(key=lambda d: -d[0])
    parts = [f"“{r.name or f'第 {r.row} 行'}”（{S.INDICATORS}!{line.cells.get(S.SELF_SCORE, '')}：自评 "
             f"{_self_shown(r.self_score, line, rules.decimals)}，"
             f"核定 {fmt_points(r.verified, rules.decimals)}）"
             for _, r, line in diffs[:shown]]
    more = f"等 {len(diffs)} 项" if len(diffs) > shown else f"共 {len(diffs)} 项"
    return "、".join(parts) + more if parts else "（各行分值或不适用指标的折算造成）"

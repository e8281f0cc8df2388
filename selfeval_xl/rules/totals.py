"""What a rule set does to the total after its categories (spec/scoring.md, issue 19), in this order:

1. 加分项 and 扣分项 outside the categories (``adjustments``): each item's times × its points, the
   加分项 together at most ``bonus_max``, the 扣分项 together at most ``deduction_max``; the total
   then kept between 0 and 100.
2. The limits on the total: the cap by a rate (``total_cap``, e.g. 预算执行率 below 70% → at most 79)
   and every 一票否决 item the department declared 是 with a ``max_total``. The lowest applies.
3. The grade by the total, unless a declared 一票否决 item fixes a lower one (``grade``): a veto
   never raises a grade.

``apply(before, rules, declared, rate)`` is that arithmetic, for the verified total and for the
department's own (the form's formula does the same). Every step is rounded half up at the rule set's
decimals. ``EXAMPLES`` are the worked examples docs/rules.md shows and the tests run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from selfeval_xl.core.numbers import fmt_number, fmt_percent, fmt_points, round_half_up
from selfeval_xl.rules.model import Rules

__all__ = ["EXAMPLES", "Cap", "TotalExample", "TotalOutcome", "apply", "examples_rule_set"]

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Cap:
    """One limit on the total that holds for this submission: a rate's band or a declared veto."""

    top: float  # the total is at most this (100 for a veto that only fixes the grade)
    what: str  # why, in words: '预算执行率 65% 低于 70%', '“审计发现重大违规”填为“是”'
    item: str = ""  # the veto's item ('' for the rate cap)
    grade: str | None = None  # the grade a veto fixes
    below: float | None = None  # the rate cap's band


@dataclass
class TotalOutcome:
    before: float  # the categories' total (rescaled when rows are 不适用)
    bonus: float = 0.0  # points added, within the ceiling
    deduction: float = 0.0  # points taken, within the floor
    adjusted: float = 0.0  # before + bonus - deduction, kept between 0 and 100
    total: float = 0.0  # after the limits
    grade: str = ""
    items: list[str] = field(default_factory=list)  # each declared 加分/扣分 item: '获得表彰 2 次，每次加 1 分'
    caps: list[Cap] = field(default_factory=list)  # every limit that holds, lowest first
    fixed_grade: Cap | None = None  # the veto whose grade was given, when it lowered the grade

    @property
    def binding(self) -> Cap | None:
        """The limit that set the total, if one did."""
        return self.caps[0] if self.caps and self.caps[0].top < self.adjusted - _EPS else None

    def applied(self, decimals: int = 2) -> list[str]:
        """What changed the total or the grade, in words (the scored copy's and the summary's note)."""
        out = []
        if self.bonus:
            out.append(f"加分 {fmt_points(self.bonus, decimals)} 分")
        if self.deduction:
            out.append(f"扣分 {fmt_points(self.deduction, decimals)} 分")
        if (cap := self.binding) is not None:
            out.append(f"{cap.what}，总分最高 {fmt_points(cap.top, decimals)} 分")
        if (veto := self.fixed_grade) is not None:
            out.append(f"{veto.what}，等级定为{veto.grade}")
        return out


def apply(before: float, rules: Rules, declared: Mapping[str, float | bool], rate: float | None) -> TotalOutcome:
    """The total and grade after the rules over the total. ``declared``: 基本信息's answers (times for
    a 加分/扣分 item, True for a veto declared 是); ``rate``: the value of the rate the cap reads."""
    d = rules.decimals
    out = TotalOutcome(before)
    bonus = deduction = 0.0
    for a in rules.adjustments:
        times = float(declared.get(a.item) or 0)
        if times <= 0:
            continue
        points = times * abs(a.points)
        out.items.append(f"“{a.item}”填 {fmt_number(times)} 次，每次{'加' if a.bonus else '扣'} {fmt_number(abs(a.points))} 分")
        if a.bonus:
            bonus += points
        else:
            deduction += points
    out.bonus = round_half_up(min(bonus, rules.bonus_max), d)
    out.deduction = round_half_up(min(deduction, rules.deduction_max), d)
    out.adjusted = round_half_up(min(max(before + out.bonus - out.deduction, 0.0), 100.0), d)
    out.caps = sorted(_caps(rules, declared, rate), key=lambda c: c.top)
    out.total = min([out.adjusted] + [c.top for c in out.caps])
    out.grade = rules.grade(out.total)
    rank = [g.grade for g in rules.grades]  # best first
    for cap in out.caps:
        if cap.grade is not None and rank.index(cap.grade) > rank.index(out.grade):
            out.grade, out.fixed_grade = cap.grade, cap
    return out


def _caps(rules: Rules, declared: Mapping[str, float | bool], rate: float | None) -> list[Cap]:
    out = []
    cap = rules.total_cap
    if cap is not None and rate is not None and (hit := cap.cap(rate)) is not None:
        label = next((r.label for r in rules.rates if r.key == cap.rate), cap.rate)
        out.append(Cap(hit[1], f"{label} {fmt_percent(rate)} 低于 {fmt_percent(hit[0])}", below=hit[0]))
    for v in rules.vetoes:
        if declared.get(v.item) is True:
            out.append(Cap(v.max_total if v.max_total is not None else 100.0, f"“{v.item}”填为“是”", v.item, v.grade))
    return out


# ---------------------------------------------------------------------------------------------
# Worked examples (docs/rules.md; tests/test_rules_test.py runs them)


@dataclass(frozen=True, slots=True)
class TotalExample:
    """A clause over the total as a rule file writes it, a department's case, and what it gives."""

    title: str  # the clause as a bureau publishes it
    clause: str  # the rule file's YAML for it
    case: str  # the department's case, in words
    before: float  # the categories' total
    declared: Mapping[str, float | bool]
    rate: float | None
    total: float  # what the published clause gives
    grade: str


EXAMPLES: tuple[TotalExample, ...] = (
    TotalExample(
        "获得市级及以上表彰的，每次加 1 分，加分最多 2 分；被上级部门通报批评的，每次扣 2 分，扣分最多 5 分",
        "adjustments:\n  bonus_max: 2\n  deduction_max: 5\n  items:\n"
        "    - {item: 获得市级及以上表彰（次）, points: 1}\n    - {item: 被上级部门通报批评（次）, points: -2}",
        "各类别合计 88.5 分，获得表彰 3 次、被通报批评 1 次", 88.5,
        {"获得市级及以上表彰（次）": 3, "被上级部门通报批评（次）": 1}, None, 88.5, "良"),
    TotalExample(
        "同上：加分后总分不超过 100 分",
        "（同上）", "各类别合计 99.2 分，获得表彰 2 次", 99.2, {"获得市级及以上表彰（次）": 2}, None, 100.0, "优"),
    TotalExample(
        "同上：扣分后总分不低于 0 分",
        "（同上）", "各类别合计 3 分，被通报批评 3 次（扣 6 分，扣分最多 5 分）", 3.0,
        {"被上级部门通报批评（次）": 3}, None, 0.0, "差"),
    TotalExample(
        "预算执行率低于 70% 的，总分最高 79 分；审计发现重大违规违纪问题的，总分最高 59 分",
        "total_cap:\n  rate: 预算执行率\n  bands:\n    - {below: 0.7, max_total: 79}\n"
        "vetoes:\n  - {item: 审计发现重大违规违纪问题, max_total: 59}",
        "各类别合计 86 分，预算执行率 65%，审计发现重大违规违纪问题填“是”：两个上限，低者为准", 86.0,
        {"审计发现重大违规违纪问题": True}, 0.65, 59.0, "差"),
    TotalExample(
        "同上，未发现重大违规：只有预算执行率的上限",
        "（同上）", "各类别合计 86 分，预算执行率 65%，审计发现重大违规违纪问题填“否”", 86.0,
        {"审计发现重大违规违纪问题": False}, 0.65, 79.0, "中"),
    TotalExample(
        "发生重大安全责任事故的，评价等级直接定为差（一票否决）",
        "vetoes:\n  - {item: 发生重大安全责任事故, grade: 差}",
        "各类别合计 93 分，发生重大安全责任事故填“是”：总分不变，等级定为差", 93.0,
        {"发生重大安全责任事故": True}, None, 93.0, "差"),
)


def examples_rule_set() -> Rules:
    """The default rule set with every clause of ``EXAMPLES`` (the rule set they are worked in)."""
    from dataclasses import replace

    from selfeval_xl.rules.model import Adjustment, TotalCap, Veto, load_rules

    return replace(
        load_rules(), adjustments=(Adjustment("获得市级及以上表彰（次）", 1), Adjustment("被上级部门通报批评（次）", -2)),
        bonus_max=2.0, deduction_max=5.0, total_cap=TotalCap("预算执行率", ((0.7, 79.0),)),
        vetoes=(Veto("审计发现重大违规违纪问题", 59.0), Veto("发生重大安全责任事故", grade="差")))

"""The scoring methods, one registered piece of code each, found by name from the rule file.

A ``Method`` says what its rows need (a computed rate, a number typed against a quantitative
指标值, a count of cases or items, a qualitative answer), which keys it takes in the rule file
(``Param``: the schema and docs/rules.md are made from them), how it scores one row, how the
template's 填报说明 explains it with the rule set's own figures, and a worked example whose figures
are tested. ``register(method)`` adds one; nothing else in the tool names a method, except that
``execution`` is the 预算执行率 row the whole-score rules look at.

    score = METHODS["bands"].score(Row(a=0.85, target=t, weight=5, params={"bands": [...]}))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from selfeval_xl.core.numbers import fmt_number, fmt_percent, fmt_points, hold, round_half_up
from selfeval_xl.rules.targets import Target

__all__ = ["METHODS", "Example", "Method", "Outcome", "Param", "Row", "Terms", "register", "score_equal", "score_execution",
           "score_per_point", "score_positive", "score_reverse", "score_reverse_ratio"]

_EPS = 1e-9

#: what a method's rows hold in 实际完成值
Reads = Literal["rate", "number", "count", "qualitative", "deadline"]


@dataclass(frozen=True, slots=True)
class Param:
    """A key a method takes on its indicator in the rule file."""

    name: str
    kind: Literal["number", "bands", "items"]  # a number > 0; a list of bands; a list of item names
    text: str  # what it means, for docs/rules.md and the schema


@dataclass(frozen=True, slots=True)
class Row:
    """What a method scores: the actual (a fraction for a percentage, a count for count methods),
    the target, the 分值 and the indicator's parameters."""

    a: float
    target: Target
    weight: float
    params: Mapping[str, Any] = field(default_factory=dict)
    decimals: int = 2  # the rule set's: the 核定得分 an opinion quotes is kept at it

    @property
    def shown(self) -> str:
        t = self.target
        return fmt_percent(self.a) if t.percent else fmt_number(self.a) + t.unit

    def kept(self, score: float) -> str:
        """A score as the row's 核定得分 will be: rounded half up at the rule set's decimals, inside
        [0, 分值]."""
        return fmt_points(hold(score, 0.0, self.weight, True, self.decimals), self.decimals)


@dataclass(frozen=True, slots=True)
class Terms:
    """One indicator's figures as the rule set gives them, for its 填报说明 sentence."""

    params: Mapping[str, Any] = field(default_factory=dict)
    weight: float | None = None
    target: Target | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    score: float
    opinion: str  # 审核意见


@dataclass(frozen=True, slots=True)
class Example:
    """A worked example for docs/rules.md, tested: an indicator (its 分值, 指标值 and parameters) and
    actual values with the score each must give."""

    weight: float
    target: str
    params: Mapping[str, Any]
    cases: tuple[tuple[Any, float], ...]  # (实际完成值 as typed, 核定得分)


@dataclass(frozen=True)
class Method:
    name: str
    title: str  # 中文名
    reads: Reads
    targets: frozenset[str]  # target kinds allowed: at_least, at_most, equal, qualitative, any
    summary: str  # one line: how it scores
    explain: Callable[[Terms], str]  # 填报说明 text for one indicator's figures
    score: Callable[[Row], Outcome] | None  # None: scored by the qualitative tiers (score.py)
    params: tuple[Param, ...] = ()
    example: Example | None = None
    more_examples: tuple[Example, ...] = ()  # other clauses the method writes (a "≥" per-point row)

    @property
    def examples(self) -> tuple[Example, ...]:
        return ((self.example,) if self.example else ()) + self.more_examples


METHODS: dict[str, Method] = {}


def register(method: Method) -> Method:
    assert method.name not in METHODS, method.name
    METHODS[method.name] = method
    return method


# ---------------------------------------------------------------------------------------------
# The arithmetic (w = 分值, t = target, a = actual; fractions for percentages)


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


def score_reverse_ratio(a: float, t: float, w: float) -> float:
    """At most t: w up to t, above it t / a × w; with t = 0, w only for a ≤ 0."""
    a = max(a, 0.0)
    if a <= t + _EPS:
        return w
    if t <= 0:
        return 0.0
    return t / a * w


def score_per_point(a: float, t: float, w: float, step: float, below: bool = False) -> float:
    """Less ``step`` for every percentage point beyond t, not below 0: above an "at most" t, or
    with ``below``, under an "at least" t ("每低于 1 个百分点扣 0.5 分，扣完为止")."""
    a = max(a, 0.0)
    beyond = (t - a) if below else (a - t)
    if beyond <= _EPS:
        return w
    return max(0.0, w - step * round_half_up(beyond * 100, 9))


# ---------------------------------------------------------------------------------------------
# The methods


def _full(row: Row, what: str) -> Outcome:
    return Outcome(row.weight, f"实际 {row.shown}，{what}，得满分")


def _execution(row: Row) -> Outcome:
    s = score_execution(row.a, row.weight)
    if row.a >= 1 - _EPS:
        return Outcome(s, f"预算执行率 {row.shown}，得满分")
    return Outcome(s, f"预算执行率 {row.shown}，按 {row.shown} × {fmt_number(row.weight)} 计 {row.kept(s)} 分")


def _positive_like(fn: Callable[[float, float, float], float]) -> Callable[[Row], Outcome]:
    def score(row: Row) -> Outcome:
        t = row.target
        tt = t.value or 0.0
        s = fn(row.a, tt, row.weight)
        if s >= row.weight - _EPS:
            return _full(row, f"达到指标值 {t.text}")
        if tt == 0:
            return Outcome(s, f"实际 {row.shown}，指标值 {t.text}，未达到，得 0 分")
        return Outcome(s, f"实际 {row.shown}，未达到指标值 {t.text}，按 实际 ÷ 指标值 × 分值 计 {row.kept(s)} 分")
    return score


def _reverse(row: Row) -> Outcome:
    t = row.target
    s = score_reverse(row.a, t.value or 0.0, row.weight)
    if s >= row.weight - _EPS:
        return _full(row, f"不超过指标值 {t.text}")
    if s <= _EPS:
        return Outcome(s, f"实际 {row.shown}，达到或超过指标值 {t.text} 的 2 倍，得 0 分")
    return Outcome(s, f"实际 {row.shown}，超过指标值 {t.text}，按 (1 - 超出部分 ÷ 指标值) × 分值 计 {row.kept(s)} 分")


def _reverse_ratio(row: Row) -> Outcome:
    t = row.target
    s = score_reverse_ratio(row.a, t.value or 0.0, row.weight)
    if s >= row.weight - _EPS:
        return _full(row, f"不超过指标值 {t.text}")
    return Outcome(s, f"实际 {row.shown}，超过指标值 {t.text}，按 指标值 ÷ 实际 × 分值 计 {row.kept(s)} 分")


def _below(target: Target | None) -> bool:
    """Whether a per-point row deducts below its target (an "at least" target) rather than above."""
    return target is not None and target.kind == "at_least"


def _per_point(row: Row) -> Outcome:
    t = row.target
    tt, step, below = t.value or 0.0, float(row.params["step"]), _below(t)
    s = score_per_point(row.a, tt, row.weight, step, below)
    if s >= row.weight - _EPS:
        return _full(row, f"{'达到' if below else '不超过'}指标值 {t.text}")
    points = round_half_up(abs(row.a - tt) * 100, 2)
    return Outcome(s, f"实际 {row.shown}，{'低于' if below else '超出'}指标值 {fmt_number(points)} 个百分点，"
                      f"每个百分点扣 {fmt_number(step)} 分，计 {row.kept(s)} 分")


def _per_point_text(terms: Terms) -> str:
    step = fmt_number(terms.params["step"])
    if _below(terms.target):
        return f"达到指标值得满分；每低于 1 个百分点扣 {step} 分，扣完为止。"
    return f"不超过指标值得满分；每超出 1 个百分点扣 {step} 分，扣完为止。"


def band_bound(band: Mapping[str, Any]) -> tuple[str, float]:
    """("min", 0.9) for {min: 0.9, points: 5}: at least; ("max", 0.1): at most."""
    return ("min", float(band["min"])) if "min" in band else ("max", float(band["max"]))


def _band_text(band: Mapping[str, Any], percent: bool = True) -> str:
    side, bound = band_bound(band)
    shown = fmt_percent(bound) if percent else fmt_number(bound)
    return f"{'≥' if side == 'min' else '≤'}{shown} 得 {fmt_number(band['points'])} 分"


def _bands(row: Row) -> Outcome:
    """The first band the actual meets gives its points; none met, 0 (or ``otherwise``)."""
    for band in row.params["bands"]:
        side, bound = band_bound(band)
        if (row.a >= bound - _EPS) if side == "min" else (row.a <= bound + _EPS):
            pts = min(float(band["points"]), row.weight)
            return Outcome(pts, f"实际 {row.shown}，属于“{_band_text(band, row.target.percent)}”一档，计 {row.kept(pts)} 分")
    other = min(float(row.params.get("otherwise", 0.0)), row.weight)
    return Outcome(other, f"实际 {row.shown}，未达到任何一档，计 {row.kept(other)} 分")


def _deduction(row: Row) -> Outcome:
    n, each = int(row.a), float(row.params["per_case"])
    s = max(0.0, row.weight - n * each)
    if n == 0:
        return Outcome(s, "无扣分情形，得满分")
    return Outcome(s, f"{n} 起（次）扣分情形，每起扣 {fmt_number(each)} 分，计 {row.kept(s)} 分")


def _checklist(row: Row) -> Outcome:
    items, each = row.params["items"], float(row.params["points"])
    n = int(row.a)
    s = min(row.weight, n * each)
    if n >= len(items):
        return Outcome(s, f"{len(items)} 项全部具备，得满分")
    if s >= row.weight - _EPS:
        return Outcome(s, f"具备 {n} 项（共 {len(items)} 项），每项 {fmt_number(each)} 分，最高 {fmt_number(row.weight)} 分，"
                          "得满分")
    return Outcome(s, f"具备 {n} 项（共 {len(items)} 项），每项 {fmt_number(each)} 分，计 {row.kept(s)} 分")


def _checklist_text(terms: Terms) -> str:
    items, each = terms.params["items"], terms.params["points"]
    most = (f"，最高 {fmt_number(terms.weight)} 分" if terms.weight is not None and len(items) * each > terms.weight + _EPS
            else "")
    return (f"对照 {len(items)} 项（{'、'.join(items)}），实际完成值填写具备的项数；"
            f"每具备一项得 {fmt_number(each)} 分{most}。")


register(Method(
    "execution", "预算执行率", "rate", frozenset({"at_least", "equal"}), "min(预算执行率, 100%) × 分值",
    lambda _: "得分 = 预算执行率（最高 100%）× 分值。", _execution,
    example=Example(10, "≥90%", {}, ((0.85, 8.5), (1.0, 10.0), (1.2, 10.0)))))
register(Method(
    "positive", "正向指标（≥）", "number", frozenset({"at_least", "equal"}),
    "达到指标值得满分，否则 实际 ÷ 指标值 × 分值，超过不加分",
    lambda _: "实际完成值达到指标值得满分；未达到按 实际完成值 ÷ 指标值 × 分值 计分，超过不加分。",
    _positive_like(score_positive), example=Example(5, "≥90%", {}, (("90%", 5.0), ("45%", 2.5), ("99%", 5.0)))))
register(Method(
    "equal", "等于指标值（=）", "number", frozenset({"equal", "at_least"}),
    "指标值为 0 时实际为 0 得满分、否则 0 分；指标值大于 0 时同正向指标",
    lambda _: "指标值为 0 的，实际为 0 得满分，否则不得分；其余同正向指标。",
    _positive_like(score_equal), example=Example(3, "=0起", {}, (("0起", 3.0), ("1起", 0.0)))))
register(Method(
    "reverse", "反向指标（≤）", "number", frozenset({"at_most"}),
    "不超过指标值得满分，超过按 (1 − 超出部分 ÷ 指标值) × 分值，达到 2 倍指标值得 0 分",
    lambda _: "不超过指标值得满分；超过的按 (1 − 超出部分 ÷ 指标值) × 分值 计分，达到指标值 2 倍及以上得 0 分。",
    _reverse, example=Example(2, "≤5%", {}, (("5%", 2.0), ("7.5%", 1.0), ("10%", 0.0)))))
register(Method(
    "reverse_ratio", "反向指标（比值法）", "number", frozenset({"at_most"}),
    "不超过指标值得满分，超过按 指标值 ÷ 实际 × 分值",
    lambda _: "不超过指标值得满分；超过的按 指标值 ÷ 实际完成值 × 分值 计分。",
    _reverse_ratio, example=Example(4, "≤5%", {}, (("5%", 4.0), ("8%", 2.5), ("20%", 1.0)))))
register(Method(
    "per_point", "按百分点扣分", "number", frozenset({"at_most", "at_least"}),
    "指标值为“≤”时每超出 1 个百分点、为“≥”时每低于 1 个百分点扣 step 分，扣完为止（指标值须是百分比）",
    _per_point_text, _per_point, (Param("step", "number", "每超出（“≤”指标）或每低于（“≥”指标）1 个百分点扣的分"),),
    Example(1, "≤100%", {"step": 0.2}, (("100%", 1.0), ("102%", 0.6), ("110%", 0.0))),
    (Example(5, "≥95%", {"step": 0.5}, (("95%", 5.0), ("99%", 5.0), ("94%", 4.5), ("92.5%", 3.75), ("85%", 0.0),
                                         ("80%", 0.0))),)))
register(Method(
    "bands", "阶梯计分（区间）", "number", frozenset({"at_least", "at_most", "equal"}),
    "实际完成值落在哪一档得该档的分；各档按从好到差排列，一档也未达到得 otherwise（默认 0）分",
    lambda terms: "按档计分：" + "；".join(_band_text(b) for b in terms.params["bands"])
                  + f"；其余得 {fmt_number(terms.params.get('otherwise', 0))} 分。",
    _bands,
    (Param("bands", "bands", "各档，从好到差：{min: 下限, points: 分} 表示“不低于”，{max: 上限, points: 分} 表示“不高于”；"
                             "百分比写成小数（90% 写 0.9）"),
     Param("otherwise", "number", "一档也未达到时的得分（可不写，默认 0）")),
    Example(5, "≥90%", {"bands": [{"min": 0.9, "points": 5}, {"min": 0.8, "points": 4}, {"min": 0.7, "points": 3},
                                  {"min": 0.6, "points": 2}]},
            (("95%", 5.0), ("90%", 5.0), ("89.9%", 4.0), ("80%", 4.0), ("65%", 2.0), ("59%", 0.0)))))
register(Method(
    "deduction", "扣分制（按起扣分）", "count", frozenset({"any"}),
    "实际完成值填发生的起数（次数），每起扣 per_case 分，扣完为止",
    lambda terms: f"实际完成值填写发生的起数（没有填 0）；每起扣 {fmt_number(terms.params['per_case'])} 分，扣完为止。",
    _deduction, (Param("per_case", "number", "每起（次）扣的分"),),
    Example(3, "无违规", {"per_case": 1}, ((0, 3.0), ("2起", 1.0), (5, 0.0)))))
register(Method(
    "checklist", "逐项计分（清单）", "count", frozenset({"any"}),
    "实际完成值填具备的项数，每项 points 分，最高为分值（项数 × 每项分可以多于分值：“四项每具备一项得 1 分，最高 3 分”）",
    _checklist_text, _checklist, (Param("items", "items", "检查的各项（名称列表）"), Param("points", "number", "每项的分")),
    Example(3, "健全", {"items": ["预算管理制度", "内部控制制度", "会计核算制度"], "points": 1}, ((3, 3.0), ("2项", 2.0), (0, 0.0))),
    (Example(3, "规范", {"items": ["制度健全", "流程规范", "资料完整", "公开及时"], "points": 1},
             ((4, 3.0), ("3项", 3.0), (2, 2.0), (0, 0.0))),)))
register(Method(
    "qualitative", "定性指标", "qualitative", frozenset({"qualitative", "deadline"}),  # a rule file may score "按时完成" by tiers
    "按规定的档次（默认 达成 / 部分达成 / 未达成）评定，自评得分须在所选档次的区间内",
    lambda _: "实际完成值从下拉列表选择档次，自评得分须在该档的区间内。", None,
    example=None))

def _deadline(row: Row) -> Outcome:
    """A deadline (时效指标): ``row.a`` is 0 when it was kept (on time or early), 1 when not."""
    t = row.target
    if row.a <= _EPS:
        return Outcome(row.weight, f"在指标值“{t.text}”的期限内完成，得满分")
    return Outcome(0.0, f"未在指标值“{t.text}”的期限内完成，得 0 分")


register(Method(
    "deadline", "时效指标（完成时限）", "deadline", frozenset({"deadline"}),
    "按时或提前完成得满分，逾期完成得 0 分",
    lambda p: "实际完成值填写完成的月份或日期（如 7月、7月15日），或“按时完成”“未按时完成”；按时或提前完成得满分，"
              "逾期完成不得分。",
    _deadline, example=Example(5, "9月底前", {}, (("7月", 5.0), ("9月30日", 5.0), ("提前完成", 5.0), ("10月", 0.0),
                                                  ("未按时完成", 0.0)))))

#: the methods a department's own rows are scored by, by the kind of their 指标值
OWN_ROW_METHODS = frozenset(m.name for m in METHODS.values() if m.reads == "number" and not m.params)

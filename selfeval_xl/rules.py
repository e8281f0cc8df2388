"""The rule set (评分细则) as data: load a YAML rule file, check it, and expose it typed.

``load_rules()`` gives the default rules shipped with the package (spec/scoring.md);
``load_rules(path)`` a bureau's own file. A bad file raises ``RulesError`` listing every problem,
each with where it is in the file.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from .formulas import Expr, parse_expression
from .targets import parse_target

__all__ = [
    "METHODS",
    "BudgetCheck",
    "BudgetItem",
    "Category",
    "CommonIndicator",
    "FreeRows",
    "Grade",
    "Rate",
    "Rules",
    "RulesError",
    "Tier",
    "default_rules_path",
    "load_rules",
]

#: scoring methods of scoring.md, and what each needs
METHODS = {
    "execution": "预算执行率：min(执行率, 1) × 分值",
    "positive": "正向指标：达到指标值得满分，否则按 实际/指标值 × 分值",
    "equal": "等于指标值：指标值为 0 时实际 ≤ 0 得满分，否则按正向指标",
    "reverse": "反向指标：不超过指标值得满分，超过按比例扣分，达到 2 倍指标值得 0 分",
    "per_point": "按百分点扣分：每超过 1 个百分点扣 step 分",
    "qualitative": "定性指标：达成 / 部分达成 / 未达成 三档",
}
_QUANTITATIVE = {"execution", "positive", "equal", "reverse", "per_point"}
_BUDGET_CHECK_CODES = {"B401", "B402", "B403"}


class RulesError(ValueError):
    """A rule file that cannot be used; ``problems`` lists each thing wrong with it."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"评分细则文件 {source} 有 {len(problems)} 处问题：\n{lines}")


@dataclass(frozen=True, slots=True)
class Grade:
    grade: str
    min: float


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    weight: float
    level1: str  # 一级指标
    only: tuple[str, ...] = ()  # 三级指标 names; empty: every other row of level1

    def claims(self, level1: str, name: str) -> bool:
        return level1 == self.level1 and (not self.only or name in self.only)


@dataclass(frozen=True, slots=True)
class BudgetItem:
    key: str
    label: str
    required: bool = True
    note: str = ""
    unit: str = "万元"


@dataclass(frozen=True, slots=True)
class Rate:
    key: str
    label: str
    numerator: Expr
    denominator: Expr
    zero_over_zero: float
    inputs: tuple[str, ...]  # budget keys it reads
    numerator_text: str = ""  # the expression in 预算情况 labels, for people
    denominator_text: str = ""


def _expr_text(e: Expr, labels: dict[str, str]) -> str:
    return e.bind(lambda n: _Label(labels.get(n, n))).excel()


class _Label(Expr):
    def __init__(self, name: str):
        self.name = name

    def excel(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class BudgetCheck:
    code: str
    parts: tuple[str, ...] = ()
    total: str = ""
    left: str = ""
    right: str = ""


@dataclass(frozen=True, slots=True)
class CommonIndicator:
    level1: str  # 一级指标
    level2: str  # 二级指标
    name: str  # 三级指标
    weight: float  # 分值
    target: str  # 指标值
    method: str
    rate: str | None = None
    step: float | None = None
    note: str = ""  # 指标说明


@dataclass(frozen=True, slots=True)
class FreeRows:
    level1: str
    rows: int
    level2: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    low: float
    high: float
    closed: bool
    score_if_blank: float
    answers: tuple[str, ...]
    prefixes: tuple[str, ...]

    def band(self, weight: float) -> tuple[float, float]:
        return self.low * weight, self.high * weight

    def contains(self, score: float, weight: float, tol: float = 1e-9) -> bool:
        lo, hi = self.band(weight)
        if score < lo - tol:
            return False
        return score <= hi + tol if self.closed else score < hi - tol


@dataclass(frozen=True)
class Rules:
    version: str
    title: str
    decimals: int
    tolerance: float
    grades: tuple[Grade, ...]
    categories: tuple[Category, ...]
    budget: tuple[BudgetItem, ...]
    rates: tuple[Rate, ...]
    budget_checks: tuple[BudgetCheck, ...]
    indicators: tuple[CommonIndicator, ...]
    free_rows: tuple[FreeRows, ...]
    operator_words: tuple[tuple[str, str], ...]  # (kind, word), longest word first
    suffix_words: tuple[tuple[str, str], ...]
    methods_for_own_rows: dict[str, str]
    not_applicable: str
    percent_typed_as_number: tuple[float, float]
    tiers: tuple[Tier, ...]
    explain_above: float
    execution_reason_below: float
    source: str = "default"
    digest: str = ""
    _by_name: dict[str, CommonIndicator] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({i.name: i for i in self.indicators})

    # lookups -------------------------------------------------------------------------------
    def common(self, name: str) -> CommonIndicator | None:
        """The common indicator of that 三级指标, if it is one."""
        return self._by_name.get(name)

    def rate(self, key: str) -> Rate:
        return next(r for r in self.rates if r.key == key)

    def budget_item(self, key: str) -> BudgetItem:
        return next(b for b in self.budget if b.key == key)

    def category_of(self, level1: str, name: str) -> Category | None:
        return next((c for c in self.categories if c.claims(level1, name)), None)

    def grade(self, total: float) -> str:
        for g in self.grades:
            if total >= g.min - 1e-9:
                return g.grade
        return self.grades[-1].grade

    @property
    def level1_names(self) -> tuple[str, ...]:
        """The 一级指标 of the categories, in order, without repeats."""
        return tuple(dict.fromkeys(c.level1 for c in self.categories))

    @property
    def total_weight(self) -> float:
        return sum(c.weight for c in self.categories)


def default_rules_path() -> Path:
    return Path(str(resources.files("selfeval_xl").joinpath("data", "default_rules.yaml")))


def load_rules(path: str | Path | None = None) -> Rules:
    """Load and check a rule file (the package default when ``path`` is None)."""
    p = Path(path) if path is not None else default_rules_path()
    return _load_cached(str(p.resolve()), p.stat().st_mtime_ns if p.exists() else 0)


@lru_cache(maxsize=8)
def _load_cached(path: str, _mtime: int) -> Rules:
    source = path
    try:
        raw_bytes = Path(path).read_bytes()
    except OSError as exc:
        raise RulesError(source, [f"无法读取文件：{exc.strerror or exc}"]) from None
    try:
        data = yaml.safe_load(raw_bytes.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RulesError(source, [f"不是有效的 YAML（UTF-8）文件：{exc}"]) from None
    rules = _build(data, source)
    object.__setattr__(rules, "digest", hashlib.sha256(raw_bytes).hexdigest())
    return rules


# ---------------------------------------------------------------------------------------------
# Building and checking


_TOP_KEYS = {
    "version", "title", "decimals", "tolerance", "grades", "categories", "budget", "rates",
    "budget_checks", "indicators", "free_rows", "operators", "suffix_operators",
    "methods_for_own_rows", "not_applicable", "percent_typed_as_number", "qualitative", "checks",
}


class _Problems(list):
    def need(self, cond: bool, where: str, text: str) -> bool:
        if not cond:
            self.append(f"{where}: {text}")
        return cond


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def _build(data: Any, source: str) -> Rules:
    P = _Problems()
    if not isinstance(data, dict):
        raise RulesError(source, ["文件内容应是一个映射（键: 值），而不是 " + type(data).__name__])
    for k in data:
        P.need(k in _TOP_KEYS, str(k), f"未知的项目（可用：{', '.join(sorted(_TOP_KEYS))}）")
    for k in ("version", "grades", "categories", "budget", "rates", "indicators", "qualitative"):
        P.need(k in data, k, "缺少此项")
    if P:
        raise RulesError(source, P)

    decimals = data.get("decimals", 2)
    P.need(isinstance(decimals, int) and 0 <= decimals <= 6, "decimals", "应是 0 到 6 的整数")
    tolerance = _num(data.get("tolerance", 0.01))
    P.need(tolerance is not None and tolerance >= 0, "tolerance", "应是不小于 0 的数")
    tolerance = tolerance or 0.0

    # grades
    grades: list[Grade] = []
    for i, g in enumerate(_list(data, "grades", P)):
        where = f"grades[{i}]"
        if P.need(isinstance(g, dict) and "grade" in g and _num(g.get("min")) is not None, where,
                  "每个等级应写成 {grade: 优, min: 90}"):
            grades.append(Grade(str(g["grade"]), float(g["min"])))
    if grades:
        mins = [g.min for g in grades]
        P.need(all(a > b for a, b in pairwise(mins)), "grades", "等级下限应从高到低排列且不重复")
        P.need(mins[-1] <= 0, "grades", f"最后一个等级的下限应为 0，使任何得分都有等级（现为 {mins[-1]:g}）")

    # categories
    categories: list[Category] = []
    for i, c in enumerate(_list(data, "categories", P)):
        where = f"categories[{i}]"
        if not P.need(isinstance(c, dict), where, "应是一个映射"):
            continue
        w = _num(c.get("weight"))
        ok = P.need(bool(c.get("name")), where + ".name", "缺少类别名称")
        ok &= P.need(w is not None and w > 0, where + ".weight", "权重分值应是大于 0 的数")
        ok &= P.need(bool(c.get("一级指标")), where + ".一级指标", "缺少一级指标")
        only = c.get("三级指标") or []
        ok &= P.need(isinstance(only, list), where + ".三级指标", "应是三级指标名称的列表")
        if ok:
            categories.append(Category(str(c["name"]), float(w or 0), str(c["一级指标"]), tuple(map(str, only))))
    if categories:
        total = sum(c.weight for c in categories)
        P.need(abs(total - 100) <= tolerance + 1e-9, "categories",
               f"各类别权重分值之和应为 100，现为 {total:g}")
        names = [c.name for c in categories]
        P.need(len(set(names)) == len(names), "categories", "类别名称重复")

    # budget
    budget: list[BudgetItem] = []
    for i, b in enumerate(_list(data, "budget", P)):
        where = f"budget[{i}]"
        if P.need(isinstance(b, dict) and bool(b.get("key")) and bool(b.get("label")), where, "每行应有 key 和 label"):
            budget.append(BudgetItem(str(b["key"]), str(b["label"]), bool(b.get("required", True)),
                                     str(b.get("note", "")), str(b.get("unit", "万元"))))
    keys = [b.key for b in budget]
    P.need(len(set(keys)) == len(keys), "budget", "key 重复")
    P.need(len({b.label for b in budget}) == len(budget), "budget", "label 重复")
    known_keys = set(keys)

    # rates
    rates: list[Rate] = []
    for i, r in enumerate(_list(data, "rates", P)):
        where = f"rates[{i}]"
        if not P.need(isinstance(r, dict) and bool(r.get("key")), where, "每个比率应有 key"):
            continue
        exprs = []
        for part in ("numerator", "denominator"):
            try:
                e = parse_expression(r.get(part, ""))
            except ValueError as exc:
                P.append(f"{where}.{part}: {exc}")
                continue
            unknown = [n for n in e.names() if n not in known_keys]
            P.need(not unknown, f"{where}.{part}", f"引用了预算情况中没有的项目：{'、'.join(unknown)}")
            exprs.append(e)
        z = _num(r.get("zero_over_zero", 1))
        P.need(z is not None, where + ".zero_over_zero", "应是一个数（如 1 表示 100%）")
        if len(exprs) == 2 and z is not None:
            inputs = tuple(dict.fromkeys([*exprs[0].names(), *exprs[1].names()]))
            labels = {b.key: b.label.removeprefix("其中：") for b in budget}
            rates.append(Rate(str(r["key"]), str(r.get("label", r["key"])), exprs[0], exprs[1], z, inputs,
                              _expr_text(exprs[0], labels), _expr_text(exprs[1], labels)))
    rate_keys = {r.key for r in rates}
    P.need(len(rate_keys) == len(rates), "rates", "key 重复")
    P.need(not (rate_keys & known_keys), "rates", "比率的 key 与预算情况的 key 重复")

    # budget checks
    checks: list[BudgetCheck] = []
    for i, c in enumerate(data.get("budget_checks") or []):
        where = f"budget_checks[{i}]"
        if not P.need(isinstance(c, dict) and c.get("code") in _BUDGET_CHECK_CODES, where + ".code",
                      f"应是 {', '.join(sorted(_BUDGET_CHECK_CODES))} 之一"):
            continue
        if "at_most" in c:
            am = c["at_most"] or {}
            ok = P.need(am.get("left") in known_keys and am.get("right") in known_keys, where + ".at_most",
                        "left 和 right 应是预算情况的 key")
            if ok:
                checks.append(BudgetCheck(c["code"], left=am["left"], right=am["right"]))
        else:
            parts = c.get("parts") or []
            ok = P.need(isinstance(parts, list) and bool(parts) and all(p in known_keys for p in parts),
                        where + ".parts", "应是预算情况 key 的列表")
            ok &= P.need(c.get("total") in known_keys, where + ".total", "应是预算情况的 key")
            if ok:
                checks.append(BudgetCheck(c["code"], parts=tuple(parts), total=c["total"]))

    # operators and reading
    ops = data.get("operators") or {}
    operator_words: list[tuple[str, str]] = []
    for kind in ("at_least", "at_most", "equal"):
        words = ops.get(kind) or []
        P.need(isinstance(words, list) and bool(words), f"operators.{kind}", "应是非空的列表")
        operator_words += [(kind, str(w)) for w in words]
    operator_words.sort(key=lambda kw: -len(kw[1]))
    suffix_words = [(kind, str(w)) for kind, ws in (data.get("suffix_operators") or {}).items() for w in ws]
    suffix_words.sort(key=lambda kw: -len(kw[1]))
    own = data.get("methods_for_own_rows") or {"at_least": "positive", "at_most": "reverse", "equal": "equal"}
    for kind in ("at_least", "at_most", "equal"):
        P.need(own.get(kind) in _QUANTITATIVE - {"execution", "per_point"}, f"methods_for_own_rows.{kind}",
               f"未知或不适用的评分方法 {own.get(kind)!r}（可用：positive, equal, reverse）")
    pct = data.get("percent_typed_as_number") or {"above": 1.5, "at_most": 100}
    low, high = _num(pct.get("above")), _num(pct.get("at_most"))
    P.need(low is not None and high is not None and 0 < low < high, "percent_typed_as_number",
           "应写成 {above: 1.5, at_most: 100}")

    # qualitative tiers
    tiers: list[Tier] = []
    for i, t in enumerate(_list(data, "qualitative", P)):
        where = f"qualitative[{i}]"
        if not P.need(isinstance(t, dict) and bool(t.get("tier")) and isinstance(t.get("band"), list)
                      and len(t["band"]) == 2, where, "每档应有 tier 和 band: [下限, 上限]"):
            continue
        lo, hi = _num(t["band"][0]), _num(t["band"][1])
        blank = _num(t.get("score_if_blank"))
        if lo is None or hi is None or not P.need(0 <= lo <= hi <= 1, where + ".band",
                                                  "上下限应是 0 到 1 之间的比例，且下限不大于上限"):
            if lo is None or hi is None:
                P.append(f"{where}.band: 上下限应是 0 到 1 之间的比例，且下限不大于上限")
            continue
        P.need(blank is not None and lo <= blank <= hi, where + ".score_if_blank", "应在本档的分值区间内")
        tiers.append(Tier(str(t["tier"]), lo, hi, bool(t.get("closed", False)), blank or lo,
                          tuple(map(str, t.get("answers") or [])), tuple(map(str, t.get("prefixes") or []))))
    if len(tiers) >= 2:
        P.need(all(a.low == b.high for a, b in pairwise(tiers)), "qualitative",
               "各档的分值区间应从高到低首尾相接（上一档的下限 = 下一档的上限）")

    # the rule set is now far enough to read targets
    partial = Rules(
        version=str(data.get("version")), title=str(data.get("title") or "部门(单位)整体支出绩效自评表"),
        decimals=decimals if isinstance(decimals, int) else 2, tolerance=tolerance,
        grades=tuple(grades), categories=tuple(categories), budget=tuple(budget), rates=tuple(rates),
        budget_checks=tuple(checks), indicators=(), free_rows=(),
        operator_words=tuple(operator_words), suffix_words=tuple(suffix_words),
        methods_for_own_rows=dict(own), not_applicable=str(data.get("not_applicable") or "不适用"),
        percent_typed_as_number=(low or 1.5, high or 100.0), tiers=tuple(tiers),
        explain_above=float((data.get("checks") or {}).get("explain_above", 1.3)),
        execution_reason_below=float((data.get("checks") or {}).get("execution_reason_below", 0.9)),
        source=source,
    )

    # indicators
    indicators: list[CommonIndicator] = []
    for i, ind in enumerate(_list(data, "indicators", P)):
        where = f"indicators[{i}]"
        if not P.need(isinstance(ind, dict), where, "应是一个映射"):
            continue
        name = str(ind.get("三级指标") or "")
        where = f"indicators[{i}]（{name or '?'}）"
        ok = True
        for k in ("一级指标", "二级指标", "三级指标", "指标值"):
            ok &= P.need(bool(ind.get(k)), f"{where}.{k}", "缺少此项")
        w = _num(ind.get("分值"))
        ok &= P.need(w is not None and w > 0, f"{where}.分值", "应是大于 0 的数")
        method = ind.get("method")
        ok &= P.need(method in METHODS, f"{where}.method",
                     f"未知的评分方法 {method!r}（可用：{', '.join(METHODS)}）")
        step = _num(ind.get("step")) if "step" in ind else None
        if method == "per_point":
            ok &= P.need(step is not None and step > 0, f"{where}.step", "按百分点扣分需要 step（每个百分点扣的分）")
        rate = ind.get("rate")
        if rate is not None:
            ok &= P.need(rate in rate_keys, f"{where}.rate", f"预算情况中没有比率 {rate!r}")
        if ok:
            t = parse_target(ind["指标值"], partial)
            if t is None:
                ok = P.need(False, f"{where}.指标值", f"无法读取指标值 {ind['指标值']!r}")
            elif method == "qualitative":
                ok = P.need(t.kind == "qualitative", f"{where}.指标值", "定性指标的指标值应是文字（如 相关）")
            else:
                ok = P.need(t.quantitative, f"{where}.指标值", f"评分方法 {method} 需要数量指标值（如 ≥90%）")
                if ok and method in ("reverse", "per_point"):
                    ok = P.need(t.kind == "at_most", f"{where}.指标值", f"{method} 指标的指标值应是“≤”形式")
                if ok and method == "execution":
                    ok = P.need(rate is not None, f"{where}.rate", "预算执行率指标需要 rate")
        if ok and not any(c.level1 == ind["一级指标"] for c in categories):
            ok = P.need(False, f"{where}.一级指标", f"没有类别的一级指标是 {ind['一级指标']!r}")
        if ok:
            indicators.append(CommonIndicator(
                str(ind["一级指标"]), str(ind["二级指标"]), name, float(w or 0), str(ind["指标值"]), str(method),
                rate, step, str(ind.get("指标说明") or "")))
    names = [i.name for i in indicators]
    P.need(len(set(names)) == len(names), "indicators", "三级指标名称重复")
    P.need(sum(i.method == "execution" for i in indicators) <= 1, "indicators", "只能有一个 execution（预算执行率）指标")

    free: list[FreeRows] = []
    for i, f in enumerate(data.get("free_rows") or []):
        where = f"free_rows[{i}]"
        if not P.need(isinstance(f, dict), where, "应是一个映射"):
            continue
        ok = P.need(any(c.level1 == f.get("一级指标") for c in categories), where + ".一级指标",
                    f"没有类别的一级指标是 {f.get('一级指标')!r}")
        ok &= P.need(isinstance(f.get("rows"), int) and 1 <= f["rows"] <= 200, where + ".rows", "应是 1 到 200 的整数")
        if ok:
            free.append(FreeRows(str(f["一级指标"]), int(f["rows"]), tuple(map(str, f.get("二级指标") or []))))

    # weights inside categories: all-common categories must add up; others must leave room
    free_level1 = {f.level1 for f in free}
    for c in categories:
        members = [i for i in indicators if next((k for k in categories if k.claims(i.level1, i.name)), None) is c]
        s = sum(i.weight for i in members)
        if c.level1 in free_level1 and not c.only:
            P.need(s <= c.weight + tolerance, f"categories（{c.name}）",
                   f"固定指标的分值之和 {s:g} 超过了类别权重分值 {c.weight:g}")
        else:
            P.need(abs(s - c.weight) <= tolerance + 1e-9, f"categories（{c.name}）",
                   f"指标分值之和应等于类别权重分值 {c.weight:g}，现为 {s:g}")
    for c in categories:
        for n in c.only:
            P.need(n in names, f"categories（{c.name}）.三级指标", f"indicators 中没有 {n!r}")

    if P:
        raise RulesError(source, P)
    return Rules(**{**partial.__dict__, "indicators": tuple(indicators), "free_rows": tuple(free),
                    "_by_name": {}})


def _list(data: dict, key: str, P: _Problems) -> list:
    v = data.get(key)
    if v is None:
        return []
    if not isinstance(v, list):
        P.append(f"{key}: 应是一个列表")
        return []
    return v

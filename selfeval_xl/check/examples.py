"""A rule file's own worked examples, checked against the file: ``selfeval-xl rules test FILE``.

A rule writer copies into her file the examples her published 评分细则 gives (``examples``: one
indicator's inputs and the 核定得分 the text gives it; ``forms``: a whole department's form and its
total), and this module scores each one the way a department's workbook is scored: it fills the
template the file generates (every row not named in the example answered for full marks, every
预算情况 figure not given 0, every 加分/扣分 item 0 times, every 一票否决 item 否), writes it, reads it
back and assesses it with the file. Whatever the file computes differently from the example is
reported with the example's name and both figures.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selfeval_xl.check.assess import Assessment, assess
from selfeval_xl.core.numbers import fmt_number, fmt_percent, fmt_points
from selfeval_xl.form.filling import CommonAnswer, Filling, OwnIndicator
from selfeval_xl.form.template import write_template
from selfeval_xl.rules.methods import METHODS
from selfeval_xl.rules.model import FormExample, RowExample, Rules
from selfeval_xl.rules.targets import parse_target

__all__ = ["ExampleResult", "example_filling", "full_marks", "report", "run_examples"]

#: the 基本信息 of an example form (the required fields filled, so that the example is about scores)
EXAMPLE_BASIC = {"部门(单位)名称": "例子单位", "单位编码": "000000000", "主管部门": "例子主管部门", "评价年度": 2024}
#: an own row an example scores is written under this name
OWN_EXAMPLE_NAME = "例子指标"
#: the columns an example may give for a row (the form's headers), and a short name for the last
_ROW_KEYS = {"实际完成值": "actual", "自评得分": "self_score", "偏差原因分析及改进措施": "reason", "偏差原因": "reason"}
_OWN_KEYS = {"二级指标": "level2", "三级指标": "name", "分值": "weight", "指标值": "target", "指标说明": "note", **_ROW_KEYS}


@dataclass
class ExampleResult:
    kind: str  # 逐项 (a row) or 整表 (a whole form)
    name: str
    source: str
    differences: list[str] = field(default_factory=list)  # each: what the example says and what the file gives
    shown: str = ""  # what the file gives, in a few words (the 核定得分 and its 审核意见, or the total)

    @property
    def ok(self) -> bool:
        return not self.differences


# ---------------------------------------------------------------------------------------------
# Filling the template for an example


def full_marks(rules: Rules) -> dict[str, CommonAnswer]:
    """An answer for every common row that earns its full 分值: the target's own word or figure, no
    case of a deduction, every item of a checklist (a rate row is computed from 预算情况)."""
    out = {}
    for ind in rules.indicators:
        m = METHODS[ind.method]
        actual: Any = None
        if ind.rate:
            actual = None
        elif m.reads == "qualitative":
            actual = ind.target
        elif m.reads == "count":
            actual = len(ind.params["items"]) if "items" in ind.params else 0
        else:
            t = parse_target(ind.target, rules)
            if t is not None and t.value is not None:
                actual = fmt_percent(t.value) if t.percent else fmt_number(t.value) + t.unit
        out[ind.name] = CommonAnswer(actual, ind.weight)
    return out


def _declared(rules: Rules, given: Iterable[tuple[str, Any]] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {a.item: 0 for a in rules.adjustments} | {v.item: "否" for v in rules.vetoes}
    out.update(dict(given))
    return out


def _budget(rules: Rules, given: Iterable[tuple[str, float]]) -> dict[str, Any]:
    return {b.key: 0 for b in rules.budget} | dict(given)


def _unknown_budget(rules: Rules, given: Iterable[tuple[str, float]]) -> list[str]:
    keys = {b.key for b in rules.budget}
    return [f"本文件的预算情况没有“{k}”（可用：{'、'.join(keys)}）" for k, _ in given if k not in keys]


def _row_fields(pairs: Iterable[tuple[str, Any]], keys: Mapping[str, str], problems: list[str], where: str
                ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in keys:
            out[keys[k]] = v
        else:
            problems.append(f"{where}的“{k}”不是可填写的项目（可用：{'、'.join(dict.fromkeys(keys))}）")
    return out


def example_filling(rules: Rules, form: FormExample, problems: list[str] | None = None) -> Filling:
    """The workbook a form example describes (what it does not say: full marks, 0, 否)."""
    problems = [] if problems is None else problems
    answers = full_marks(rules)
    for name, pairs in form.answers:
        if name not in answers:
            problems.append(f"本文件没有共性指标“{name}”")
            continue
        fields = _row_fields(pairs, _ROW_KEYS, problems, f"“{name}”")
        base = answers[name]
        answers[name] = CommonAnswer(fields.get("actual", base.actual), fields.get("self_score", base.self_score),
                                     str(fields.get("reason", "")))
    free = {fr.level1 for fr in rules.free_rows}
    own: dict[str, list[OwnIndicator]] = {}
    for level1, rows in form.own:
        if level1 not in free:
            problems.append(f"“{level1}”不是本文件中由单位自设指标的一级指标（{'、'.join(free)}）")
            continue
        own[level1] = []
        for i, pairs in enumerate(rows):
            f = _row_fields(pairs, _OWN_KEYS, problems, f"{level1}第 {i + 1} 行")
            own[level1].append(OwnIndicator(str(f.get("level2", "")), str(f.get("name", f"指标{i + 1}")), f.get("weight"),
                                            f.get("target"), f.get("actual"), f.get("self_score"),
                                            str(f.get("reason", "")), str(f.get("note", ""))))
    unknown = [k for k, _ in form.declared if k not in rules.declared_items]
    problems += [f"本文件没有加分、扣分或一票否决事项“{k}”" for k in unknown] + _unknown_budget(rules, form.budget)
    return Filling(basic=dict(EXAMPLE_BASIC), budget=_budget(rules, form.budget), common=answers, own=own,
                   declared=_declared(rules, form.declared))


def _row_filling(rules: Rules, ex: RowExample) -> Filling:
    answers = full_marks(rules)
    own: dict[str, list[OwnIndicator]] = {}
    if ex.indicator:
        base = answers[ex.indicator]
        answers[ex.indicator] = CommonAnswer(ex.actual if ex.actual is not None else base.actual, ex.self_score,
                                             ex.reason)
    else:
        level1 = rules.free_rows[0].level1
        own[level1] = [OwnIndicator("例子", OWN_EXAMPLE_NAME, ex.weight, ex.target, ex.actual, ex.self_score, ex.reason)]
    return Filling(basic=dict(EXAMPLE_BASIC), budget=_budget(rules, ex.budget), common=answers, own=own,
                   declared=_declared(rules))


# ---------------------------------------------------------------------------------------------
# Running them


def _assessed(rules: Rules, filling: Filling, folder: Path, n: int) -> Assessment:
    path = folder / f"例子{n}.xlsx"
    write_template(path, rules, filling)
    return assess(path, rules)


def _differs(a: float, b: float, decimals: int) -> bool:
    return abs(a - b) > 0.5 * 10 ** -decimals + 1e-9


def run_examples(rules: Rules) -> list[ExampleResult]:
    """Every example of the rule file scored by the file, rows first."""
    out: list[ExampleResult] = []
    d = rules.decimals
    with tempfile.TemporaryDirectory(prefix="selfeval-rules-test-") as tmp:
        folder = Path(tmp)
        for n, ex in enumerate(rules.examples):
            res = ExampleResult("逐项", ex.name, ex.source)
            out.append(res)
            if ex.indicator and rules.common(ex.indicator) is None:
                res.differences.append(f"本文件没有共性指标“{ex.indicator}”")
                continue
            res.differences += _unknown_budget(rules, ex.budget)
            if res.differences:
                continue
            if not ex.indicator and not rules.free_rows:
                res.differences.append("本文件没有由单位自设指标的一级指标，无法计算单位自设指标的例子")
                continue
            a = _assessed(rules, _row_filling(rules, ex), folder, n)
            name = ex.indicator or OWN_EXAMPLE_NAME
            row = next((r for r in (a.scores.rows if a.scores else []) if r.name == name), None)
            if row is None or row.verified is None:
                res.differences.append("这一行没有得到核定得分（" + (row.opinion if row else "读不到这一行") + "）")
                continue
            res.shown = f"核定得分 {fmt_points(row.verified, d)}（{row.opinion}）"
            if _differs(row.verified, ex.expected, d):
                res.differences.append(f"核定得分按例子应为 {fmt_points(ex.expected, d)}，按本文件计算为 "
                                       f"{fmt_points(row.verified, d)}（{row.opinion}）")
        for n, form in enumerate(rules.forms):
            res = ExampleResult("整表", form.name, form.source)
            out.append(res)
            filling = example_filling(rules, form, res.differences)
            if res.differences:
                continue
            a = _assessed(rules, filling, folder, len(rules.examples) + n)
            res.differences += _form_differences(rules, form, a)
            if a.scores is not None:
                res.shown = f"核定总分 {fmt_points(a.scores.total, d)}（{a.scores.grade}）" + "".join(
                    f"，{x}" for x in a.scores.limits)
    return out


def _form_differences(rules: Rules, form: FormExample, a: Assessment) -> list[str]:
    d = rules.decimals
    sc = a.scores
    if sc is None:
        return ["这个例子的表无法评分：" + "；".join(f.message for f in a.findings[:3])]
    out = []
    if _differs(sc.total, form.total, d):
        why = "；".join(sc.limits)
        out.append(f"核定总分按例子应为 {fmt_points(form.total, d)}，按本文件计算为 {fmt_points(sc.total, d)}"
                   + (f"（{why}）" if why else ""))
    if form.grade is not None and form.grade != sc.grade:
        out.append(f"等级按例子应为“{form.grade}”，按本文件计算为“{sc.grade}”")
    cats = {c.name: c.verified for c in sc.categories}
    for name, expected in form.categories:
        if name not in cats:
            out.append(f"本文件没有类别“{name}”")
        elif _differs(cats[name], expected, d):
            out.append(f"类别“{name}”按例子应为 {fmt_points(expected, d)}，按本文件计算为 {fmt_points(cats[name], d)}")
    errors = [f for f in a.findings if f.level == "错误"]
    if errors:  # the example itself is filled wrongly: say so, the figures above stand on it
        out.append("例子的填写有错误，请先改正例子：" + "；".join(f"{f.code} {f.message}" for f in errors[:3]))
    return out


def report(rules: Rules, results: list[ExampleResult]) -> str:
    """The Chinese report of ``rules test``: one line an example, then what differs, then the verdict."""
    rows = sum(r.kind == "逐项" for r in results)
    lines = [f"评分细则 {rules.source}：{rows} 个逐项例子，{len(results) - rows} 个整表例子。"]
    if not results:
        lines.append("这个文件没有写例子。在 examples（逐项）和 forms（整表）中写上评分细则原文给出的例子，"
                     "本命令就会逐一核对（写法见 docs/rules.md）。")
        return "\n".join(lines)
    for r in results:
        where = f"（{r.source}）" if r.source else ""
        if r.ok:
            lines.append(f"  通过  [{r.kind}] {r.name}{where}" + (f"：{r.shown}" if r.shown else ""))
        else:
            lines.append(f"  不一致 [{r.kind}] {r.name}{where}：")
            lines += [f"        {x}" for x in r.differences]
    bad = [r for r in results if not r.ok]
    if bad:
        lines.append(f"结论：{len(bad)} 个例子与本文件的计算不一致。请对照公布的评分细则原文，核对本文件中相应的分值、"
                     "指标值、方法和参数（或例子本身）。")
    else:
        lines.append(f"结论：全部 {len(results)} 个例子与本文件的计算一致。")
    return "\n".join(lines)

"""docs/rules.md, the rule writer's reference, generated from the schema and the method registry.

Every key of the rule file comes from ``rules.schema`` (its type, default and description), every
method from ``methods.METHODS`` (its keys and its worked example, scored here as the tests score it),
the bundled rule sets from the package. The walkthrough around them is prose.
"""

from __future__ import annotations

import calendar
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from selfeval_xl.core.numbers import band_at, fmt_number, fmt_points, hold
from selfeval_xl.rules.deadlines import Period
from selfeval_xl.rules.methods import METHODS, Example, Method, Row
from selfeval_xl.rules.model import Rules, bundled, load_rules
from selfeval_xl.rules.schema import INDICATOR_MODELS, IndicatorBase, RuleFile
from selfeval_xl.rules.targets import Target, parse_target, read_actual, read_count
from selfeval_xl.rules.totals import EXAMPLES, apply, examples_rule_set

__all__ = ["example_value", "reference"]

_INTRO = """\
# The rule file (评分细则) — reference for the bureau's rule writer

Generated from `selfeval_xl/rules/schema.py` and `selfeval_xl/rules/methods.py`
(`python scripts/make_docs.py`); do not edit by hand.

One YAML file decides what the template shows and how every submission is scored: categories and
weights, the budget rows and the rates computed from them, the common indicators and their scoring
methods, thresholds, the cap on the total and the grades. Pass it with `--rules FILE` to `template`,
`check`, `score` and `batch`, or name a bundled set (`--rules four-part`). A file with a mistake is
refused before any work starts (exit code 2) with every problem listed, each with its path
(`categories[2].weight: 应是数字`); an unknown or misspelt key is refused at every depth, with the
key it probably meant. `selfeval-xl rules schema` prints the JSON Schema: an editor given it
(VS Code's YAML extension: `# yaml-language-server: $schema=rules.schema.json` on the first line)
checks the file as you type.

## Changing next year's rules, step by step

1. `selfeval-xl rules show default > 2027.yaml` (or `four-part`, `mof-project`: see below).
2. Change `version` (e.g. `"2027.1"`): templates of the old version then get S103, so a department
   that filled last year's form is told to take this year's. If last year's forms may still be
   scored by the new rules (same sheets and rows), list the old version in `previous_versions`
   instead: such a form is checked by this file, and its S103 says it need not be filled again.
3. Change what the new rules say: a category's `weight` (the weights add up to 100; a category that
   weighs its `二级指标` lists them with theirs), an indicator's `分值`, `指标值` or `method` and its
   keys (below), a threshold (`checks.execution_reason_below`, `over_achievement.at`), the grades.
4. `selfeval-xl template --rules 2027.yaml -o 申报表模板.xlsx` — the template, its 填报说明 (every
   figure in it comes from the file), its drop-downs and its 填报自查.
5. `selfeval-xl check --rules 2027.yaml 某单位.xlsx` on a filled form, and `batch --rules 2027.yaml`
   on the folder of submissions; the summary and the consolidation take the grade names from it.

A rule file that loads is consistent: every key a rate or a check names exists, every category's
rows add up to its weight (or leave room for the department's own rows), every band is in order.

"""


def reference() -> str:
    parts = [_INTRO, "## Keys\n\n", _model_table(RuleFile, ""), "\n### Keys of every indicator (`indicators[]`)\n\n",
             _fields(IndicatorBase, "indicators[]."), "\nA method adds its own keys: see the methods below.\n\n",
             "## Methods\n\n", _methods(), _reading(), _ROUNDING, _rounding_table(), _OVER_THE_TOTAL, _total_examples(),
             _WORKED_EXAMPLES, "## Bundled rule sets\n\n", _bundled()]
    return "".join(parts)


_READING_INTRO = """\
## How a department's 指标值 and 实际完成值 are read

A department's own row is scored by the kind of its 指标值: `methods_for_own_rows` for ≥, ≤ and =,
`qualitative` for a word, `deadline` for a time limit. The words that make a time limit and a tier
are read as published forms write them (tests/data/published_targets.yaml: each wording, where it
was published, how it is read):

- **Time limits (时效指标).** A date, month, quarter, half-year or the year's end, with `前`, `之前`,
  `以前` after it or `≤`, `不晚于`, `截至` before it, or alone: `9月前`, `9月底前`, `9月30日前`,
  `年底前`, `三季度前`, `≤9月`, `上半年`, `2024年10月底前`, `年底前完成`. The limit is the last day the
  period allows (`9月前` and `9月底前`: 30 September; `三季度前`: 30 September; a year left out is
  the 评价年度). `按时完成`, `按期完成`, `及时`, `按期拨付`, `在项目计划完成时间内完成` set a limit
  without a date. The 实际完成值 is when the work was done: a month or a date (`7月`, `7月15日`,
  `2024年7月`, `2024/7/15`, a cell Excel keeps as a date; `7月前` is July), a quarter, a half-year;
  or words: `按时完成`, `已按时完成`, `提前完成`, the limit's own word, `达成预期指标` kept it;
  `未按时完成`, `延期完成`, `逾期完成`, `不及时`, `未达成预期指标且效果较差` did not. **On time or
  early scores the row's 分值; late scores 0.** Published 评分标准 for 时效 rows are either
  all-or-nothing or "未达指标值酌情扣分" (at the evaluator's discretion, which no rule file can
  compute); 0 is what scoring.md says, and a department that was late explains it in
  偏差原因分析及改进措施 (P502). A month against a limit on a day within that month (`9月` against
  `9月15日前`) cannot be judged: the clerk is asked for the date (V204).
- **Tiers.** A qualitative 实际完成值 is the 指标值's own word (or `已` and the word), a tier's name,
  one of the tier's `answers` (the bundled sets list the Ministry's wording with both 预期指标 and
  年度指标: `达成预期指标`, `部分达成预期指标并具有一定效果`, `未达成预期指标且效果较差`), or the word
  with one of the tier's `prefixes` before it or before its predicate: `基本完善`, `效果较明显`,
  `不够完善`, `效果不明显`, `未达标`. The bundled sets' prefixes: 部分达成 `基本 部分 较 较为 不够 不太
  有待` (a hedged "not": not quite), 未达成 `不 未 无 没有 尚未` (a flat "not"). A V204 on an answer
  no tier names suggests, for each tier, the word itself, a prefix before a word of one or two
  characters (`基本相关`, `不相关`), or the tier's first answer, never a prefix before a longer word.
- **A number with its target's operator** (`≥95%` under `≥95%`, as some forms repeat it) is the number;
  with another direction's operator it is V204. `≥100百分比` is `≥100%`; `30天内` is `≤30天`
  (`suffix_operators`).

Read by the default rule set (this table is generated by reading each pair):

"""

_READING_EXAMPLES = (
    ("9月前", "7月"), ("9月前", "7月前"), ("11月前", "12月前"), ("9月底前", "9月30日"), ("年底前", "按时完成"),
    ("三季度前", "10月"), ("2024年10月底前", "2024年9月"), ("上半年", "提前完成"), ("及时", "不及时"),
    ("9月15日前", "9月"), ("相关", "达成预期指标"), ("完善", "部分达成预期指标并具有一定效果"), ("效果明显", "效果不明显"),
    ("完善", "不够完善"), ("效果明显", "效果较明显"), ("效果明显", "很好"), ("≥95%", "≥95%"), ("30天内", "25天"))


def _last_day_text(due: Period) -> str:
    month, day = due.end
    day = min(day, calendar.monthrange(due.year or 2001, month)[1])
    return f"limit {due.year}年{month}月{day}日" if due.year else f"limit {month}月{day}日"


def _reading() -> str:
    rules = load_rules()
    rows = ["| 指标值 | read as | 实际完成值 | read as |", "|---|---|---|---|"]
    for target_text, typed in _READING_EXAMPLES:
        t = parse_target(target_text, rules)
        assert t is not None, target_text
        a = read_actual(typed, t, rules, 2024)
        if t.kind == "deadline":
            target = _last_day_text(t.due) if t.due else "limit without a date"
        else:
            number = (t.value or 0) * (100 if t.percent else 1)
            target = {"qualitative": "a tier word"}.get(t.kind, f"{t.kind} {fmt_number(number, 6)}"
                                                         + ("%" if t.percent else t.unit))
        if a.problem:
            actual = f"V204: {a.problem}"
        elif a.tier:
            actual = a.tier
        elif t.kind == "deadline":
            actual = "on time: full marks" if a.value == 0 else "late: 0"
        else:
            actual = fmt_number((a.value or 0) * (100 if t.percent else 1), 6) + ("%" if t.percent else t.unit)
        rows.append(f"| {target_text} | {target} | {typed} | {actual} |")
    return _READING_INTRO + "\n".join(rows) + "\n\n"


def _type(annotation: Any) -> str:
    if "Indicator_" in str(annotation):
        return "list[indicator]"
    text = getattr(annotation, "__name__", None) or str(annotation)
    text = str(annotation) if "[" in str(annotation) else text
    for old, new in (("typing.", ""), ("selfeval_xl.rules.schema.", ""), ("Annotated[", ""), ("NoneType", "null"),
                     ("<class '", ""), ("'>", "")):
        text = text.replace(old, new)
    text = text.split(", FieldInfo")[0].split(", Gt(")[0].split(", Ge(")[0].split(", MinLen(")[0]
    return text.replace(" | ", " 或 ")


def _default(f: FieldInfo) -> str:
    if f.default is PydanticUndefined:
        return "（必填）"
    d = f.default
    if isinstance(d, BaseModel):
        return "（见下）"
    return "" if d in (None, "", []) else f"`{d}`"


def _fields(model: type[BaseModel], prefix: str) -> str:
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, f in model.model_fields.items():
        key = f.alias or name
        desc = (f.description or "").replace("|", "/")
        rows.append(f"| `{prefix}{key}` | {_type(f.annotation)} | {_default(f)} | {desc} |")
    return "\n".join(rows) + "\n"


def _model_table(model: type[BaseModel], prefix: str) -> str:
    out = _fields(model, prefix)
    for name, f in model.model_fields.items():
        key = f.alias or name
        for sub in _submodels(f.annotation):
            if sub is IndicatorBase or sub in INDICATOR_MODELS.values():
                continue
            out += f"\n### `{prefix}{key}`\n\n" + _model_table(sub, f"{prefix}{key}{'[].' if _is_list(f) else '.'}")
    return out


def _is_list(f: FieldInfo) -> bool:
    return "list[" in str(f.annotation)


def _submodels(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()) or ():
        out += [m for m in _submodels(arg) if m not in out]
    return out


def _methods() -> str:
    out = []
    rules = load_rules()
    for name, m in METHODS.items():
        out.append(f"### `{name}` — {m.title}\n\n{m.summary}。")
        out.append(f"Its rows' 实际完成值: {_READS[m.reads]}. 指标值: {_TARGETS(m.targets)}.\n")
        if m.params:
            out.append("| key | meaning |\n|---|---|\n" + "\n".join(f"| `{p.name}` | {p.text} |" for p in m.params) + "\n")
        for ex in m.examples if m.score else ():
            keys = "".join(f", {k}: {_yaml(v)}" for k, v in ex.params.items())
            out.append(f"Worked example (tested): `{{分值: {fmt_number(ex.weight)}, 指标值: {ex.target}, method: {name}{keys}}}`\n")
            out.append("| 实际完成值 | 核定得分 | 审核意见 |\n|---|---|---|")
            for typed, _ in ex.cases:
                score, opinion = example_value(m, ex, typed, rules)
                shown = f"{typed:.0%}" if m.reads == "rate" else str(typed)
                out.append(f"| {shown} | {fmt_number(score)} | {opinion} |")
            out.append("")
        out.append("")
    return "\n".join(out)


def example_value(m: Method, ex: Example, typed: object, rules: Rules) -> tuple[float, str]:
    """A method's worked example case scored through the reading path: (核定得分, 审核意见)."""
    assert m.score is not None
    target = (parse_target(ex.target, rules) if m.reads != "count" else None) or Target(ex.target, "qualitative",
                                                                                       word=ex.target)
    value = float(typed) if m.reads == "rate" else (  # type: ignore[arg-type]
        read_count(typed, rules).value if m.reads == "count" else read_actual(typed, target, rules).value)
    row = Row(value or 0.0, target, ex.weight, ex.params, rules.decimals)
    o = m.score(row)
    return hold(o.score, 0.0, ex.weight, True, rules.decimals), o.opinion


_ROUNDING = """\
## Rounding: the rule's precision (`decimals`)

Every 核定得分 is rounded half up to `decimals` (0.125 → 0.13 at two) and held inside its row's
band at that precision: a qualitative row's tier band, every other row's [0, 分值]. The nearest
value inside a half-open band is its upper limit less one unit of the last decimal kept (部分达成
of a 5-point row, [3, 4), is 3.00–3.99 at two decimals, 3.0–3.9 at one, 3–3 in whole points); a
closed band keeps its upper limit, the 分值 (a 分值 finer than the precision, 0.125 at two decimals,
is its own full score and is never rounded above). A category is the sum of its rows as shown,
rounded once, never above its weight; the total is the sum of the categories, never above 100. So
the rows shown add up to their category, and no number of small rows can lift a category above its
weight (320 rows of 0.125 give 40, not 41.60). The bands the form's 填报说明, the messages (P502,
P505) and the 审核意见 show are these.

| tier of a 5-point row | band | decimals: 0 | 1 | 2 | 3 |
|---|---|---|---|---|---|
"""


_OVER_THE_TOTAL = """
## Rules over the total: 加分、扣分, caps, 一票否决

After the categories, in this order: the 加分项 and 扣分项 (`adjustments`: each item's times × its
points, the 加分项 together at most `bonus_max`, the 扣分项 together at most `deduction_max`), the
total then kept between 0 and 100; then the limits on it, the lowest of them applying: the cap by a
rate (`total_cap`) and each 一票否决 item (`vetoes`) declared 是 with a `max_total`; then the grade,
lowered (never raised) by a declared veto's `grade`. The department answers each item on 基本信息
(the times, or 是/否 from a drop-down, both required); the template's 填报说明 quotes each item's
`note` (the published sentence), the form's own total and grade follow the same rules, and the
scored copy, the summary and the findings P512 (the rate's cap), P513 (a veto) and P514 (加分、扣分)
say which applied. Worked examples (tested; the default set with these clauses added):

"""


_WORKED_EXAMPLES = """
## Worked examples in the rule file (`selfeval-xl rules test`)

A rule file can carry the examples its published 评分细则 gives, and `selfeval-xl rules test FILE`
scores each with the file and reports, example by example, what differs (the example's name and
both figures; exit code 1 when one differs, 0 when all agree). Write them when you write the rules:
a figure mistyped in the file (a band, a step, a threshold) then shows before any department's
score does. `examples` are rows, `forms` whole forms:

```yaml
examples:
  # a common indicator (by its 三级指标) with what a department types, and the score the text gives
  - {name: 专项资金晚拨 1 起, source: 每发生一起扣 0.5 分, 指标: 专项资金拨付及时性, 实际完成值: 1起, 核定得分: 2.5}
  # a rate row: the 预算情况 figures instead of 实际完成值
  - {name: 固定资产利用率 88%, source: 每低于 1 个百分点扣 0.5 分, 指标: 固定资产利用率,
     预算情况: {固定资产总额: 800, 在用固定资产总额: 704}, 核定得分: 4}
  # a qualitative row: the answer and the self score
  - {name: 部分达成却自评满分, 指标: 预决算信息公开性, 实际完成值: 基本及时完整, 自评得分: 2, 核定得分: 1.59}
  # a department's own row: its 分值 and 指标值
  - {name: 超额 25% 未说明, 指标: {分值: 5, 指标值: ≥20000平方米}, 实际完成值: 25000平方米, 自评得分: 5, 核定得分: 4}
forms:
  - name: 某区卫生健康委员会：审计发现重大违规
    预算情况: {年初预算数: 5000, 财政性资金: 4800, 其他资金: 200, 调整预算数: 5200, 预算执行数: 4940}
    共性指标: {预决算信息公开性: {实际完成值: 基本及时完整, 自评得分: 1.4}}
    本单位指标:
      产出指标:
        - {二级指标: 数量指标, 三级指标: 基层医疗机构标准化建设数, 分值: 12, 指标值: ≥10个, 实际完成值: 9个, 自评得分: 10.8}
    基本信息: {被上级部门通报批评（次）: 1, 审计发现重大违规违纪问题: 是}
    核定总分: 59
    等级: 不合格
    类别得分: {过程: 37.9}
```

What an example does not say is filled for full marks: a common row answered with its own 指标值 (the
word of a qualitative row, the figure of a quantitative one, no case of a deduction, every item of a
checklist) and its 分值 as self score, every 预算情况 figure not given 0 (a rate of 0 over 0 counts as
its `zero_over_zero`), every 加分/扣分 item 0 times, every 一票否决 item 否. Each example is written
into the template the file generates and scored as a department's workbook is, so the example tests
the reading of 指标值 and 实际完成值 too. The report, for a threshold changed from 0.5 to 0.4:

```text
  不一致 [逐项] 在职人员超编 1 人（100.83%）（每超出 1 个百分点扣 0.5 分）：
        核定得分按例子应为 1.58，按本文件计算为 1.67（实际 100.83%，超出指标值 0.83 个百分点，每个百分点扣 0.4 分，计 1.67 分）
结论：1 个例子与本文件的计算不一致。请对照公布的评分细则原文，核对本文件中相应的分值、指标值、方法和参数（或例子本身）。
```

Every bundled set carries the examples of its source; `selfeval-xl rules test default` (and
`four-part`, `mof-project`) passes.

"""


def _rounding_table() -> str:
    rules = load_rules()
    rows = []
    for t in rules.tiers:
        cells = []
        for d in range(4):
            first, last = band_at(t.low * 5, t.high * 5, t.closed, d)
            cells.append(f"{fmt_points(first, d)}–{fmt_points(last, d)}")
        rows.append(f"| {t.name} | [{fmt_number(t.low * 5)}, {fmt_number(t.high * 5)}{']' if t.closed else ')'} | "
                    + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def _total_examples() -> str:
    rules = examples_rule_set()
    out = ["| clause | in the rule file | case | total | grade |", "|---|---|---|---|---|"]
    for ex in EXAMPLES:
        o = apply(ex.before, rules, ex.declared, ex.rate)
        clause = ex.clause.replace("\n", "<br>").replace("|", "/").replace(" ", "&nbsp;")
        out.append(f"| {ex.title} | <code>{clause}</code> | {ex.case} | {fmt_points(o.total, 2)} | {o.grade} |")
    return "\n".join(out) + "\n"


_READS = {"rate": "a rate of 预算情况, computed (`rate:` names it)", "number": "a number or percentage typed",
          "count": "a whole number typed (cases, or items present)", "qualitative": "an answer chosen from a drop-down",
          "deadline": "when it was done: a month or a date (7月, 7月15日), or 按时完成 / 未按时完成"}


def _TARGETS(kinds: frozenset[str]) -> str:
    words = {"at_least": "≥ …", "at_most": "≤ …", "equal": "= …", "qualitative": "a word (相关, 达标 …)",
             "any": "any text (shown only)", "deadline": "a time limit (9月底前, 年底前, 按时完成 …)"}
    return ", ".join(words[k] for k in sorted(kinds))


def _yaml(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_yaml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_yaml(x)}" for k, x in v.items()) + "}"
    return fmt_number(v) if isinstance(v, (int, float)) else str(v)


def _bundled() -> str:
    out = ["| name | form | categories | source |", "|---|---|---|---|"]
    for name, path in bundled().items():
        r = load_rules(path)
        cats = " / ".join(f"{c.name} {fmt_number(c.weight)}" for c in r.categories)
        out.append(f"| `{name}` | {r.title} | {cats} | {r.about} |")
    out.append("\n`selfeval-xl rules show NAME` prints one; copy it and change what your rules say.\n")
    return "\n".join(out)

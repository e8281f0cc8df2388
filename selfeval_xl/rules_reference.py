"""docs/rules.md, the rule writer's reference, generated from the schema and the method registry.

Every key of the rule file comes from ``rules_schema`` (its type, default and description), every
method from ``methods.METHODS`` (its keys and its worked example, scored here as the tests score it),
the bundled rule sets from the package. The walkthrough around them is prose.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .methods import METHODS, Row
from .numbers import fmt_number
from .rules import bundled, load_rules
from .rules_schema import INDICATOR_MODELS, IndicatorBase, RuleFile
from .targets import Target, parse_target, read_actual, read_count

__all__ = ["reference"]

_INTRO = """\
# The rule file (评分细则) — reference for the bureau's rule writer

Generated from `selfeval_xl/rules_schema.py` and `selfeval_xl/methods.py`
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
   that filled last year's form is told to take this year's.
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
             "## Methods\n\n", _methods(), "## Bundled rule sets\n\n", _bundled()]
    return "".join(parts)


def _type(annotation: Any) -> str:
    if "Indicator_" in str(annotation):
        return "list[indicator]"
    text = getattr(annotation, "__name__", None) or str(annotation)
    text = str(annotation) if "[" in str(annotation) else text
    for old, new in (("typing.", ""), ("selfeval_xl.rules_schema.", ""), ("Annotated[", ""), ("NoneType", "null"),
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
        if m.example and m.score:
            ex = m.example
            keys = "".join(f", {k}: {_yaml(v)}" for k, v in ex.params.items())
            out.append(f"Worked example (tested): `{{分值: {fmt_number(ex.weight)}, 指标值: {ex.target}, method: {name}{keys}}}`\n")
            out.append("| 实际完成值 | 核定得分 | 审核意见 |\n|---|---|---|")
            parsed = parse_target(ex.target, rules) if m.reads != "count" else None
            target = parsed or Target(ex.target, "qualitative", word=ex.target)
            for typed, _ in ex.cases:
                value = float(typed) if m.reads == "rate" else (
                    read_count(typed, rules).value if m.reads == "count" else read_actual(typed, target, rules).value)
                o = m.score(Row(value or 0.0, target, ex.weight, ex.params))
                shown = f"{typed:.0%}" if m.reads == "rate" else str(typed)
                out.append(f"| {shown} | {fmt_number(o.score)} | {o.opinion} |")
            out.append("")
        out.append("")
    return "\n".join(out)


_READS = {"rate": "a rate of 预算情况, computed (`rate:` names it)", "number": "a number or percentage typed",
          "count": "a whole number typed (cases, or items present)", "qualitative": "an answer chosen from a drop-down"}


def _TARGETS(kinds: frozenset[str]) -> str:
    words = {"at_least": "≥ …", "at_most": "≤ …", "equal": "= …", "qualitative": "a word (相关, 达标 …)",
             "any": "any text (shown only)"}
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

"""The rule file's schema: what every key may hold, declared once (pydantic).

``validate(data)`` checks a loaded YAML document against it: unknown keys and wrong types are
refused at every level, and every problem is listed with its path and a Chinese reason
(``SchemaProblem``), never a traceback. ``json_schema()`` is the same schema as JSON Schema, for
editors that validate YAML (``selfeval-xl rules schema``), and docs/rules.md is made from it.

Why pydantic: it lists every error of a document at once with its path (msgspec stops at the
first), builds the JSON Schema from the same declaration, and its discriminated unions give each
scoring method its own keys, so a key that belongs to another method is refused too. It is imported
only when a rule file is first validated, never on the path that checks a workbook with rules it
has validated before.

The indicator models are made from the method registry (``methods.METHODS``): each method's
parameters become keys of indicators with that ``method``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from selfeval_xl.rules.methods import METHODS, OWN_ROW_METHODS, Param

__all__ = ["IndicatorBase", "RuleFile", "SchemaProblem", "json_schema", "validate"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True, allow_inf_nan=False)


Weight = Annotated[float, Field(gt=0, description="分值（大于 0）")]
Fraction = Annotated[float, Field(ge=0, le=1)]


class Grade(_Model):
    grade: str = Field(description="等级名称，如 优")
    min: float = Field(ge=0, description="达到此分数（含）即为该等级")


class Level2Weight(_Model):
    name: str = Field(description="二级指标名称")
    weight: Weight


class Category(_Model):
    name: str = Field(description="得分汇总中的类别名称")
    weight: Weight
    level1: str = Field(alias="一级指标", description="该类别的指标在“绩效指标”中所属的一级指标（块）")
    only: list[str] = Field(default=[], alias="三级指标",
                            description="只计这些三级指标（可不写：该一级指标中未被其他类别点名的全部指标）")
    level2: list[Level2Weight] = Field(default=[], alias="二级指标",
                                       description="二级指标及其权重（可不写）；写了则各二级之和应等于类别权重，各行分值按二级汇总核对")


class BudgetItem(_Model):
    key: str = Field(description="比率和检查引用此项的名字")
    label: str = Field(description="“预算情况”A 列的标准文字")
    note: str = Field(default="", description="C 列的说明")
    required: bool = Field(default=True, description="是否必填（false：不填按 0）")
    unit: str = Field(default="万元", description="单位：万元，或 个、条 等计数单位")


class Rate(_Model):
    key: str = Field(description="比率的名字（指标的 rate、总分封顶的 rate 引用它）")
    label: str | None = Field(default=None, description="“预算情况”A 列的文字（不写则同 key）")
    numerator: str = Field(description="分子：预算情况 key 的算式（+ - * / 和 ABS()）")
    denominator: str = Field(description="分母：同上")
    zero_over_zero: float = Field(default=1, ge=0, le=1, description="分子分母都为 0 时的比率（1 表示 100%）")


class AtMost(_Model):
    left: str = Field(description="预算情况的 key")
    right: str = Field(description="预算情况的 key")


class BudgetCheck(_Model):
    code: Literal["B401", "B402", "B403"] = Field(description="检查不通过时报的代码")
    parts: list[str] = Field(default=[], description="各组成部分的 key（B401、B402）")
    total: str = Field(default="", description="应等于各部分之和的 key")
    at_most: AtMost | None = Field(default=None, description="left 不得大于 right（B403）")

    @model_validator(mode="after")
    def _one_form(self) -> BudgetCheck:
        if bool(self.parts and self.total) == bool(self.at_most):
            raise ValueError("应写成 {parts: [...], total: key} 或 {at_most: {left: key, right: key}} 之一")
        return self


class Band(_Model):
    min: float | None = Field(default=None, description="不低于（百分比写成小数）")
    max: float | None = Field(default=None, description="不高于（百分比写成小数）")
    points: float = Field(ge=0, description="该档得分")

    @model_validator(mode="after")
    def _one_bound(self) -> Band:
        if (self.min is None) == (self.max is None):
            raise ValueError("每档应写 min（不低于）或 max（不高于）之一")
        return self


class IndicatorBase(_Model):
    method: str = Field(description="评分方法")
    level1: str = Field(alias="一级指标")
    level2: str = Field(alias="二级指标")
    name: str = Field(alias="三级指标")
    weight: Weight = Field(alias="分值")
    target: str = Field(alias="指标值", description="指标值，如 ≥90%、≤5%、相关")
    note: str = Field(default="", alias="指标说明")
    rate: str | None = Field(default=None, description="实际完成值取自“预算情况”的哪个比率（rates 的 key）")


_PARAM_TYPES: dict[str, Any] = {
    "number": (Annotated[float, Field(gt=0)], ...),
    "bands": (Annotated[list[Band], Field(min_length=1)], ...),
    "items": (Annotated[list[str], Field(min_length=1)], ...),
}


def _param_field(p: Param) -> tuple[Any, Any]:
    typ, _ = _PARAM_TYPES[p.kind]
    optional = p.name == "otherwise"
    return (typ | None if optional else typ, Field(default=None if optional else ..., description=p.text))


def _indicator_model(name: str) -> type[BaseModel]:
    m = METHODS[name]
    fields: dict[str, Any] = {"method": (Literal[name], Field(description=f"{m.title}：{m.summary}"))}
    fields.update({p.name: _param_field(p) for p in m.params})
    return create_model(f"Indicator_{name}", __base__=IndicatorBase, **fields)


INDICATOR_MODELS = {n: _indicator_model(n) for n in METHODS}
if TYPE_CHECKING:
    Indicator = IndicatorBase
else:  # one model per registered method, chosen by its ``method``
    Indicator = Annotated[Union[tuple(INDICATOR_MODELS.values())], Field(discriminator="method")]  # noqa: UP007


class FreeRows(_Model):
    level1: str = Field(alias="一级指标", description="哪一类由单位自设指标（categories 中的一级指标）")
    rows: int = Field(ge=1, le=200, description="模板给的空行数")
    level2: list[str] = Field(default=[], alias="二级指标", description="二级指标的建议（下拉列表）")


class Operators(_Model):
    at_least: list[str] = Field(min_length=1, description="指标值开头表示“不低于”的写法，如 ≥、不低于")
    at_most: list[str] = Field(min_length=1, description="表示“不高于”的写法，如 ≤、不超过")
    equal: list[str] = Field(min_length=1, description="表示“等于”的写法，如 =")


class SuffixOperators(_Model):
    at_least: list[str] = Field(default=[], description="写在数值后表示“不低于”的词，如 以上")
    at_most: list[str] = Field(default=[], description="写在数值后表示“不高于”的词，如 以内、以下")
    equal: list[str] = Field(default=[], description="写在数值后表示“等于”的词")


if TYPE_CHECKING:
    OwnMethod = str
else:
    OwnMethod = Literal[tuple(sorted(OWN_ROW_METHODS))]


class OwnRowMethods(_Model):
    at_least: OwnMethod = Field(default="positive", description="单位自设的“≥”指标用的评分方法")
    at_most: OwnMethod = Field(default="reverse", description="“≤”指标用的方法：reverse 或 reverse_ratio 等")
    equal: OwnMethod = Field(default="equal", description="“=”指标用的方法")


class PercentTyped(_Model):
    above: float = Field(default=1.5, gt=0, description="百分比指标的实际完成值填成大于此数的数字时，按百分数读（95 读作 95%）")
    at_most: float = Field(default=100, gt=0, description="超过此数的数字不再按百分数读（报 V204）")


class Tier(_Model):
    tier: str = Field(description="档次名称，如 达成")
    band: list[Fraction] = Field(min_length=2, max_length=2, description="[下限, 上限]，分值的比例")
    closed: bool = Field(default=False, description="上限是否包含在内")
    score_if_blank: Fraction = Field(description="未填自评得分时按分值的多少比例计")
    answers: list[str] = Field(default=[], description="属于该档的其他写法")
    prefixes: list[str] = Field(default=[], description="加在指标值前表示该档的词，如 基本、未")


class Checks(_Model):
    execution_reason_below: Fraction = Field(default=0.9, description="预算执行率低于此值须说明原因（P508）")


class OverAchievement(_Model):
    policy: Literal["none", "flag", "deduct"] = Field(
        default="flag", description="none：不管；flag：未说明原因时提醒（P503）；deduct：未说明原因时扣 points 分")
    at: float = Field(default=1.3, gt=1, description="实际完成值达到指标值的多少倍算超额")
    points: float = Field(default=0, ge=0, description="deduct 时扣的分")


class CapBand(_Model):
    below: Fraction = Field(description="比率低于此值时")
    max_total: float = Field(gt=0, le=100, description="总分最高为")


class TotalCap(_Model):
    rate: str = Field(description="看哪个比率（rates 的 key），通常是预算执行率")
    bands: list[CapBand] = Field(min_length=1)


class Adjustment(_Model):
    item: str = Field(description="“基本信息”中填写次数的一行的文字，如 获得市级及以上表彰（次）")
    points: float = Field(description="每次加的分（正数，加分项）或扣的分（负数，扣分项）")
    note: str = Field(default="", description="评分细则的原文（写入填报说明；不写则按规则生成）")

    @model_validator(mode="after")
    def _not_zero(self) -> Adjustment:
        if self.points == 0:
            raise ValueError("每次加减的分不能为 0（加分写正数，扣分写负数）")
        return self


class Adjustments(_Model):
    bonus_max: float = Field(default=0, ge=0, le=100, description="各加分项合计最多加的分")
    deduction_max: float = Field(default=100, ge=0, le=100, description="各扣分项合计最多扣的分（不写则扣完为止）")
    items: list[Adjustment] = Field(min_length=1, description="加分项和扣分项：单位在“基本信息”中填写发生的次数")


class Veto(_Model):
    item: str = Field(description="“基本信息”中填写“是/否”的一行的文字，如 审计发现重大违规违纪问题")
    max_total: float | None = Field(default=None, gt=0, le=100, description="填“是”时总分最高为")
    grade: str | None = Field(default=None, description="填“是”时等级定为（grades 中的一个等级）")
    note: str = Field(default="", description="评分细则的原文（写入填报说明；不写则按规则生成）")

    @model_validator(mode="after")
    def _one_effect(self) -> Veto:
        if self.max_total is None and self.grade is None:
            raise ValueError("应写 max_total（总分最高）或 grade（等级定为），或两者")
        return self


class OwnRow(_Model):
    weight: Weight = Field(alias="分值")
    target: str = Field(alias="指标值", description="如 ≥90%、≤5%、达标")


class RowExample(_Model):
    name: str = Field(description="例子的名称（报告不一致时用它指明是哪一个）")
    source: str = Field(default="", description="出自评分细则的哪一条、哪个示例")
    indicator: str | OwnRow = Field(
        alias="指标", description="共性指标的三级指标名称；或单位自设指标 {分值: 5, 指标值: ≥90%}")
    actual: str | float | None = Field(default=None, alias="实际完成值",
                                       description="填写的实际完成值（比率类共性指标不写，写 预算情况）")
    self_score: float | None = Field(default=None, alias="自评得分", description="自评得分（定性指标按它核定；可不写）")
    reason: str = Field(default="", alias="偏差原因分析及改进措施", description="填写的偏差原因（可不写）")
    budget: dict[str, float] = Field(default={}, alias="预算情况", description="比率类指标：预算情况各项（key: 金额）")
    expected: float = Field(alias="核定得分", description="按评分细则原文应得的核定得分")


class FormExample(_Model):
    name: str = Field(description="例子的名称")
    source: str = Field(default="", description="出处")
    budget: dict[str, float] = Field(default={}, alias="预算情况", description="预算情况各项（key: 金额；不写的按 0）")
    answers: dict[str, dict[str, str | float]] = Field(
        default={}, alias="共性指标",
        description="共性指标的填写：{三级指标: {实际完成值: …, 自评得分: …, 偏差原因: …}}；不写的按满分填写")
    own: dict[str, list[dict[str, str | float]]] = Field(
        default={}, alias="本单位指标",
        description="单位自设指标：{一级指标: [{二级指标, 三级指标, 分值, 指标值, 实际完成值, 自评得分}, …]}")
    declared: dict[str, str | float] = Field(default={}, alias="基本信息",
                                             description="加分、扣分和一票否决事项的填写：{事项: 次数或 是/否}")
    total: float = Field(alias="核定总分", description="按评分细则原文应得的核定总分")
    grade: str | None = Field(default=None, alias="等级", description="应得的等级（可不写）")
    categories: dict[str, float] = Field(default={}, alias="类别得分", description="各类别应得的核定得分（可不写）")


class RuleFile(_Model):
    """A bureau's rule set (评分细则)."""

    version: str = Field(description="模板版本：写入模板；版本不同的申报表报 S103")
    previous_versions: list[str] = Field(
        default=[], description="本细则往期模板的版本（单位可能还在用）：这样的申报表同样按本细则审核评分，"
                                "S103 只说明是往期模板、不必重填")
    title: str = Field(default="部门(单位)整体支出绩效自评表", description="表的名称")
    source: str = Field(default="", description="这套细则的出处（文件名、文号）")
    decimals: int = Field(default=2, ge=0, le=6, description="核定得分保留的小数位数（四舍五入）")
    tolerance: float = Field(default=0.01, ge=0, description="分值、金额之和允许的误差")
    grades: list[Grade] = Field(min_length=2, description="等级，从高到低")
    categories: list[Category] = Field(min_length=1, description="得分汇总的类别，按顺序")
    budget: list[BudgetItem] = Field(min_length=1, description="“预算情况”的填写项目")
    rates: list[Rate] = Field(default=[], description="“预算情况”中自动计算的比率")
    budget_checks: list[BudgetCheck] = Field(default=[], description="预算情况的勾稽关系（B401-B403）")
    indicators: list[Indicator] = Field(default=[], description="共性指标（模板中固定的行）")
    free_rows: list[FreeRows] = Field(default=[], description="本单位自设指标的空行")
    operators: Operators = Field(description="指标值中运算符的写法")
    suffix_operators: SuffixOperators = Field(default=SuffixOperators(), description="写在数值后的运算符（90%以上）")
    methods_for_own_rows: OwnRowMethods = Field(default=OwnRowMethods(), description="单位自设指标按指标值的方向用哪种方法")
    not_applicable: str = Field(default="不适用", description="实际完成值填这个词表示不适用（不计分，总分折算）")
    percent_typed_as_number: PercentTyped = Field(default=PercentTyped(), description="百分数填成数字时怎么读")
    qualitative: list[Tier] = Field(min_length=2, description="定性指标的档次，从高到低")
    checks: Checks = Field(default=Checks(), description="与评分相关的检查阈值")
    over_achievement: OverAchievement = Field(default=OverAchievement(), description="超额完成怎么处理（P503）")
    total_cap: TotalCap | None = Field(default=None, description="按比率（如预算执行率）限定总分的上限")
    adjustments: Adjustments | None = Field(default=None, description="类别之外的加分项和扣分项（表彰加分、通报批评扣分等）")
    vetoes: list[Veto] = Field(default=[], description="一票否决事项：单位填“是”时总分封顶或等级定为某一等级")
    examples: list[RowExample] = Field(default=[], description="逐项计分的例子：`selfeval-xl rules test` 核对")
    forms: list[FormExample] = Field(default=[], description="整表的例子（一个单位的填写和应得的总分）：`rules test` 核对")


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    path: str  # categories[2].weight
    text: str  # 中文


def validate(data: Any) -> tuple[RuleFile | None, list[SchemaProblem]]:
    try:
        return RuleFile.model_validate(data), []
    except ValidationError as exc:
        return None, [SchemaProblem(_path(e["loc"]), _reason(e)) for e in exc.errors(include_url=False)]


def json_schema() -> dict[str, Any]:
    schema = RuleFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "selfeval-xl 评分细则"
    return schema


def _path(loc: tuple) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i and isinstance(loc[i - 1], int) and (part in METHODS or str(part).startswith("function-")):
            continue  # the method a union member was chosen by, or a validator's name: not a key
        else:
            out += ("." if out else "") + str(part)
    return out or "（文件）"


_TYPES = {
    "float_type": "应是数字", "int_type": "应是整数", "int_from_float": "应是整数", "bool_type": "应是 true 或 false",
    "string_type": "应是文字（有特殊字符时加引号）", "list_type": "应是列表（每项一行，以“- ”开头）",
    "model_type": "应是映射（键: 值）", "dict_type": "应是映射（键: 值）", "missing": "缺少此项",
    "model_attributes_type": "应是映射（键: 值）", "none_required": "应为空",
    "finite_number": "应是有限的数字（不能是 .inf 或 .nan）",
}


def _reason(e: Mapping[str, Any]) -> str:
    kind, ctx = e["type"], e.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(e["loc"][-1])
        near = difflib.get_close_matches(key, _ALL_KEYS, n=1, cutoff=0.6)
        return f"未知的项目“{key}”" + (f"，是不是“{near[0]}”？" if near else "（拼写是否有误？）")
    if kind in _TYPES:
        got = e.get("input")
        return _TYPES[kind] + ("" if kind == "missing" else f"（现为 {got!r}）")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        sign = {"greater_than": ">", "greater_than_equal": "≥", "less_than": "<", "less_than_equal": "≤"}[kind]
        bound = next(iter(ctx.values()))
        return f"应 {sign} {bound}（现为 {e.get('input')!r}）"
    if kind in _MESSAGES:
        return _MESSAGES[kind].format(input=repr(e.get("input")), methods=", ".join(METHODS),
                                      **{k: (repr(v) if k == "tag" else v) for k, v in ctx.items()})
    if kind == "value_error":
        return str(ctx.get("error", e["msg"]))
    return str(e["msg"])


#: pydantic's error types whose message is one sentence: its context fills the braces
_MESSAGES = {
    "too_short": "至少应有 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "literal_error": "应是 {expected} 之一（现为 {input}）",
    "union_tag_invalid": "未知的评分方法 {tag}（可用：{methods}）",
    "union_tag_not_found": "缺少 method（评分方法，可用：{methods}）",
}


def _keys(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    if model in seen:
        return set()
    seen.add(model)
    out: set[str] = set()
    for name, f in model.model_fields.items():
        out.add(f.alias or name)
        for sub in _submodels(f.annotation):
            out |= _keys(sub, seen)
    return out


def _submodels(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out = []
    for arg in getattr(annotation, "__args__", ()) or ():
        out += _submodels(arg)
    for meta in getattr(annotation, "__metadata__", ()) or ():
        out += _submodels(meta)
    return out


_ALL_KEYS = sorted(_keys(RuleFile, set()) | {f.alias or k for m in INDICATOR_MODELS.values() for k, f in m.model_fields.items()})

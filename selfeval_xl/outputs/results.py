"""The result of one file, typed: what ``check --format json`` prints and a batch's results.json
holds, one ``UnitResult`` an object. Every stage after the check (summary, findings.csv, the
checks across a batch, consolidation, ``--previous``) reads it by attribute; its JSON is made by
``UnitResult.to_json_dict()`` and read back by ``UnitResult.from_json_dict()`` (our own output:
the batch's journal) or ``parse_result()`` (a results.json given to us: validated first).
``json_schema()`` is the JSON Schema of results.json (docs/results.schema.json).

A results.json given to us is validated into one by ``results_validation.parse_result``: pydantic
is imported there only, so that a clerk's ``check`` (which makes a result) starts without it.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin, get_type_hints

from selfeval_xl.core.findings import ERROR, INFO, WARNING, Finding
from selfeval_xl.core.numbers import read_number
from selfeval_xl.core.sanitize import cut_text, cut_texts
from selfeval_xl.rules.model import rules_name

if TYPE_CHECKING:
    from selfeval_xl.check.assess import Assessment

__all__ = ["FindingCounts", "IndicatorRow", "ResultFinding", "UnitResult", "json_schema", "schema_text", "unit_result"]

#: a JSON number (a score, 分值, an amount): nothing converts it, so an int stays one (20, not 20.0)
Number = float


def _key(name: str, **schema: Any) -> Any:
    """A field's JSON key where it is not the field's name, and what its schema adds (bounds)."""
    return {"key": name, "schema": schema}


def _schema_only(**schema: Any) -> Any:
    return {"schema": schema}


@dataclass(frozen=True, slots=True)
class ResultFinding:
    """One finding as the result holds it (``Finding.to_dict``)."""

    code: str
    level: str  # "error", "warning", "info"
    level_label: str  # 错误, 警告, 提示
    sheet: str
    cell: str
    message: str
    expected: str = ""
    actual: str = ""

    @classmethod
    def of(cls, f: Finding) -> ResultFinding:
        """A finding as the result holds it: its texts cut to what a cell holds (``Finding.to_dict``)."""
        return _finding(cut_texts(f.to_dict()))


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """One indicator row of 绩效指标 with its scores (None: empty, or 不适用)."""

    level1: str = field(default="", metadata=_key("一级指标"))
    level2: str = field(default="", metadata=_key("二级指标"))
    name: str = field(default="", metadata=_key("三级指标"))
    weight: Number | None = field(default=None, metadata=_key("分值"))
    target: str = field(default="", metadata=_key("指标值"))
    actual: str = field(default="", metadata=_key("实际完成值"))
    self_score: Number | None = field(default=None, metadata=_key("自评得分"))
    verified: Number | None = field(default=None, metadata=_key("核定得分"))
    opinion: str = field(default="", metadata=_key("审核意见"))
    row: int = field(default=0, metadata=_key("行号"))


@dataclass(frozen=True, slots=True)
class FindingCounts:
    errors: int = field(default=0, metadata=_key(ERROR, minimum=0))
    warnings: int = field(default=0, metadata=_key(WARNING, minimum=0))
    infos: int = field(default=0, metadata=_key(INFO, minimum=0))


#: the fields a result may lack: None is "not in the JSON" (a file that failed in a batch has no
#: "rules" nor "limits"; "copy" and the rest are a batch's)
_OPTIONAL = ("rules", "limits", "unit_code_typed", "copy", "report", "report_error", "internal_error", "across_checks")


@dataclass(frozen=True, slots=True)
class UnitResult:
    """What the tool concluded about one file: one object of results.json. Every text is at most
    32,767 characters (``cut_text``: what a cell holds)."""

    file: str
    sha256: str = ""
    unit_code: str = ""
    unit_name: str = ""
    competent_dept: str = ""  # 主管部门
    year: int | None = field(default=None, metadata=_schema_only(minimum=1900, maximum=2100))  # 评价年度
    rules_version: str = ""
    rules: str | None = None  # the rule set it was scored by (its file's name, or the bundled set's)
    status: Literal["ok", "errors", "failed", "internal"] = "failed"
    self_total: Number | None = None
    total: Number | None = field(default=None, metadata=_schema_only(minimum=0, maximum=100))
    self_grade: str = ""
    grade: str = ""
    rescaled: bool = False  # rows marked 不适用: the total rescaled to 100
    provisional: tuple[str, ...] = ()  # categories whose 分值 do not add up (P501): the total is 暂定
    limits: tuple[str, ...] | None = None  # 加分、扣分, a cap or a 一票否决 that changed the total or the grade
    categories: Mapping[str, Number | None] = field(default_factory=dict)  # 核定得分 per category
    self_categories: Mapping[str, Number | None] = field(default_factory=dict)
    counts: FindingCounts = FindingCounts()
    budget: Mapping[str, Number | None] = field(default_factory=dict)  # 预算情况's figures (None: empty, not a number)
    rates: Mapping[str, Number | None] = field(default_factory=dict)  # the rates computed from them
    rows: tuple[IndicatorRow, ...] = ()
    findings: tuple[ResultFinding, ...] = ()
    unit_code_typed: str | None = None  # the 单位编码 as typed, where typed in another form (V211)
    copy: str | None = None  # batch: the scored copy, relative to the output folder ('' for none)
    report: str | None = None  # batch: the 自评报告 draft
    report_error: str | None = None  # batch: why the draft could not be written
    internal_error: str | None = None  # batch: our own code failed on the file (status "internal")
    across_checks: str | None = None  # batch: the checks across it were not made, and why

    @property
    def scored(self) -> bool:
        return self.status in ("ok", "errors") and self.total is not None

    @property
    def failed(self) -> bool:
        """Not scored: the file could not be read as a submission, or our own code failed on it."""
        return self.status in ("failed", "internal")

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON object, its keys in the order results.json has always had them; a field that is
        None among ``_OPTIONAL`` is left out."""
        out: dict[str, Any] = {}
        for name, optional, convert in _UNIT_JSON:
            value = getattr(self, name)
            if value is None:
                if not optional:
                    out[name] = None
            else:
                out[name] = convert(value) if convert else value
        return out

    @classmethod
    def from_json_dict(cls, d: Mapping[str, Any]) -> UnitResult:
        """The typed result of a JSON object this tool wrote (our own: not validated, see
        ``parse_result``); what it lacks takes its default."""
        limits = d.get("limits")
        c = d.get("counts") or {}
        return cls(
            d["file"], d.get("sha256", ""), d.get("unit_code", ""), d.get("unit_name", ""), d.get("competent_dept", ""),
            d.get("year"), d.get("rules_version", ""), d.get("rules"), d.get("status", "failed"), d.get("self_total"),
            d.get("total"), d.get("self_grade", ""), d.get("grade", ""), d.get("rescaled", False),
            tuple(d.get("provisional") or ()), None if limits is None else tuple(limits), d.get("categories") or {},
            d.get("self_categories") or {}, FindingCounts(c.get(ERROR, 0), c.get(WARNING, 0), c.get(INFO, 0)),
            d.get("budget") or {}, d.get("rates") or {}, tuple(_row(r) for r in d.get("rows") or ()),
            tuple(_finding(x) for x in d.get("findings") or ()), *(d.get(k) for k in _OPTIONAL[2:]))


# The JSON of the parts, made and read field by field in their order (the hot path of a batch's
# outputs: a result a file, its rows and findings)
_ROW_KEYS = tuple(f.metadata["key"] for f in fields(IndicatorRow))
_ROW_DEFAULTS = tuple(f.default for f in fields(IndicatorRow))
_row_values = attrgetter(*(f.name for f in fields(IndicatorRow)))
_FINDING_KEYS = tuple(f.name for f in fields(ResultFinding))
_finding_values = attrgetter(*_FINDING_KEYS)


def _row(d: Mapping[str, Any]) -> IndicatorRow:
    return IndicatorRow(*map(d.get, _ROW_KEYS, _ROW_DEFAULTS))


def _finding(d: Mapping[str, Any]) -> ResultFinding:
    return ResultFinding(d["code"], d["level"], d["level_label"], d["sheet"], d["cell"], d["message"], d.get("expected", ""),
                         d.get("actual", ""))


def _rows_json(rows: tuple[IndicatorRow, ...]) -> list[dict[str, Any]]:
    return [dict(zip(_ROW_KEYS, _row_values(r), strict=True)) for r in rows]


def _findings_json(findings: tuple[ResultFinding, ...]) -> list[dict[str, Any]]:
    return [dict(zip(_FINDING_KEYS, _finding_values(x), strict=True)) for x in findings]


def _counts_json(c: FindingCounts) -> dict[str, int]:
    return {ERROR: c.errors, WARNING: c.warnings, INFO: c.infos}


#: how each field of a UnitResult goes into its JSON: (name, left out when None, conversion)
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "provisional": list, "limits": list, "categories": dict, "self_categories": dict, "budget": dict, "rates": dict,
    "counts": _counts_json, "rows": _rows_json, "findings": _findings_json}
_UNIT_JSON = tuple((f.name, f.name in _OPTIONAL, _CONVERT.get(f.name)) for f in fields(UnitResult))


def unit_result(a: Assessment) -> UnitResult:
    """The result of an assessment: what ``check --format json`` prints of it, and a batch's
    results.json before the batch's own fields. Every text, the department's included, is cut to
    what a cell holds (``cut_text``)."""
    sub, sc = a.submission, a.scores
    basic = sub.basic if sub else None
    t = cut_texts
    return UnitResult(
        file=cut_text(str(a.file)), sha256=a.sha256,
        unit_code=t(basic.unit_code) if basic else "", unit_name=t(basic.unit_name) if basic else "",
        competent_dept=t(basic.competent_dept) if basic else "", year=basic.year if basic else None,
        rules_version=t(a.rules_version), rules=t(rules_name(a.rules)) if a.rules is not None else "",
        status="failed" if a.failed else ("errors" if a.errors else "ok"),
        self_total=sc.self_total if sc else None, total=sc.total if sc else None,
        self_grade=t(sc.self_grade) if sc else "", grade=t(sc.grade) if sc else "", rescaled=sc.rescaled if sc else False,
        provisional=tuple(t(sc.provisional)) if sc else (), limits=tuple(t(sc.limits)) if sc else (),
        categories=t({c.name: c.verified for c in sc.categories}) if sc else {},
        self_categories=t({c.name: c.self_score for c in sc.categories}) if sc else {},
        counts=FindingCounts(a.errors, a.warnings, a.infos), budget=t(_budget(a)), rates=t(dict(a.rates)),
        rows=tuple(IndicatorRow(t(r.level1), t(r.level2), t(r.name), r.weight, t(r.target), t(r.actual), t(r.self_score),
                                t(r.verified), t(r.opinion), r.row) for r in (sc.rows if sc else [])),
        findings=tuple(ResultFinding.of(f) for f in a.findings),
        unit_code_typed=t(basic.unit_code_typed) if basic and basic.unit_code_typed != basic.unit_code else None)


def _budget(a: Assessment) -> dict[str, Any]:
    """预算情况 input figures as numbers (None where empty or not a number), for the summary's
    budget sheet and consolidation."""
    sub = a.submission
    if sub is None:
        return {}
    out: dict[str, Any] = {}
    rate_keys = set(a.rates)
    for rec in sub.budget_records:
        if rec["key"] in rate_keys:
            continue
        v, ok = read_number(rec["数值"])
        out[rec["key"]] = v if ok else None
    return out


# ---------------------------------------------------------------------------------------------
# Its JSON Schema


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a results.json: an array of ``UnitResult`` objects."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "results.json",
            "description": "selfeval-xl 的审核结果：每个文件一个对象（check --format json 输出其中一个）。由 "
                           "selfeval_xl/outputs/results.py 的 UnitResult 生成。",
            "type": "array", "items": _object_schema(UnitResult)}


def schema_text() -> str:
    """docs/results.schema.json: ``json_schema()`` as a file (``scripts/make_docs.py``)."""
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


def _object_schema(cls: type) -> dict[str, Any]:
    hints = get_type_hints(cls)
    props: dict[str, Any] = {}
    required = []
    for f in fields(cls):
        key = f.metadata.get("key", f.name)
        optional = f.name in _OPTIONAL  # None is not written: left out, never null
        props[key] = {**_type_schema(hints[f.name], nullable=not optional), **f.metadata.get("schema", {})}
        if not optional:
            required.append(key)
    return {"type": "object", "properties": props, "required": required}


def _type_schema(tp: Any, nullable: bool = True) -> dict[str, Any]:
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        parts = [_type_schema(a) for a in args if a is not type(None)]
        if type(None) in args and nullable:
            parts.append({"type": "null"})
        return parts[0] if len(parts) == 1 else {"anyOf": parts}
    if origin is Literal:
        return {"enum": list(args)}
    if origin is tuple:
        return {"type": "array", "items": _type_schema(args[0])}
    if origin is Mapping or origin is dict:
        return {"type": "object", "additionalProperties": _type_schema(args[1])}
    if hasattr(tp, "__dataclass_fields__"):
        return _object_schema(tp)
    return {str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"},
            bool: {"type": "boolean"}}[tp]

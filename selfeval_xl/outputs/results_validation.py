"""What the consolidation and ``batch --previous`` read of a results.json, as a schema, and the
typed result (``results.UnitResult``) it is read into.

A results.json is an input like any other: it may have been edited, damaged, or written by
someone who wants to steer a consolidation. Each result object is validated against the fields
these readers use (``Result``; ``--previous`` also reads the rows: ``PreviousResult``), strictly:
a number is a finite JSON number (no string, list or true in its place, no NaN or 1e309), a score
is within 0 to 100, a year is a year, text is text, a list is a list. Fields they do not read are
not looked at: ``parse_result`` gives them their defaults. ``problem(error)`` says in Chinese what
is wrong with one object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from selfeval_xl.core.numbers import MAX_MAGNITUDE
from selfeval_xl.outputs.results import UnitResult

__all__ = ["PreviousResult", "Result", "ValidationError", "parse_result", "problem"]


def _encodable(text: str) -> str:
    """Text a workbook can hold: JSON's \\ud800 escapes make a lone surrogate, which no UTF-8 file
    can store (XlsxWriter stopped with UnicodeEncodeError)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("含无法保存的字符（孤立的 UTF-16 代理项）") from None
    return text


Text = Annotated[str, AfterValidator(_encodable)]
Score = Annotated[float, Field(ge=0, le=100)]
Year = Annotated[int, Field(ge=1900, le=2100)]  # what the reader takes for a 评价年度 (read.py)
Count = Annotated[int, Field(ge=0)]
#: a figure of 预算情况: the reader takes none of this magnitude or more (numbers.MAX_MAGNITUDE), which keeps
#: every sum of them finite
Amount = Annotated[float, Field(gt=-MAX_MAGNITUDE, lt=MAX_MAGNITUDE)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False, frozen=True)


class Counts(_Strict):
    errors: Count = Field(default=0, alias="错误")


class Result(_Strict):
    """One object of a results.json, as the consolidation reads it."""

    file: Text
    sha256: Text = ""
    unit_code: Text = ""
    unit_name: Text = ""
    competent_dept: Text = ""
    year: Year | None = None
    status: Literal["ok", "errors", "failed", "internal"]
    total: Score | None = None
    self_total: float | None = None
    grade: Text = ""
    counts: Counts = Counts()
    budget: dict[str, Amount | None] = {}

    @property
    def scored(self) -> bool:
        return self.status in ("ok", "errors") and self.total is not None


def parse_result(obj: Any, model: type[Result] | None = None) -> UnitResult:
    """A result object of a results.json given to us, validated against ``model`` (``Result``, or
    ``PreviousResult`` for ``--previous``): raises ValidationError (``problem`` says in Chinese what is
    wrong). What the model does not read takes its default (not looked at, not trusted)."""
    checked = (model or Result).model_validate(obj)
    return UnitResult.from_json_dict(checked.model_dump(by_alias=True))


class Row(_Strict):
    name: Text = Field(default="", alias="三级指标")
    target: Text = Field(default="", alias="指标值")


class PreviousResult(Result):
    """The same, with the indicator rows C603 compares (``batch --previous``)."""

    rows: list[Row] = []


_REASONS = {
    "float_type": "应是数字", "int_type": "应是整数", "string_type": "应是文字", "list_type": "应是列表（[…]）",
    "dict_type": "应是对象（{{…}}）", "model_type": "应是对象（{{…}}）", "model_attributes_type": "应是对象（{{…}}）",
    "finite_number": "应是有限的数字（不能是 NaN 或无穷大）", "missing": "缺少此项",
    "literal_error": "应是 {expected} 之一", "greater_than_equal": "不应小于 {ge}", "less_than_equal": "不应大于 {le}",
    "greater_than": "应大于 {gt}", "less_than": "应小于 {lt}", "value_error": "{error}",
}
_SHOWN = 40  # characters of a wrong value quoted in a message


def problem(error: ValidationError) -> str:
    """The first thing wrong with one result object, in Chinese: where and what ('total 应是数字（现为 "99"）')."""
    e = error.errors(include_url=False)[0]
    where = "".join(f"[{p}]" if isinstance(p, int) else ("." if i else "") + str(p) for i, p in enumerate(e["loc"]))
    reason = _REASONS.get(e["type"], "不符合 batch 写出的格式").format(**_ctx(e.get("ctx")))
    shown = "" if e["type"] == "missing" else f"（现为 {_short(e.get('input'))}）"
    return f"{where or '结果'} {reason}{shown}"


def _ctx(ctx: Mapping[str, Any] | None) -> dict[str, Any]:
    out = {k: (f"{v:g}" if isinstance(v, float) else v) for k, v in (ctx or {}).items()}
    if "expected" in out:
        out["expected"] = str(out["expected"]).replace("'", "").replace(" or ", "、").replace(", ", "、")
    return out


def _short(value: Any) -> str:
    """A wrong value as a message quotes it: short, and never a whole list or object."""
    if isinstance(value, str):  # control characters and lone surrogates written out: nothing reaches the console raw
        text = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in value[:_SHOWN])
        return "“" + text + ("…" if len(value) > _SHOWN else "") + "”"
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
    return "列表" if isinstance(value, list) else "对象" if isinstance(value, dict) else type(value).__name__

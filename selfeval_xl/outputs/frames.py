"""A batch's results.json as pandas DataFrames, for a bureau's own analysis (``load_results``).

    >>> from selfeval_xl.outputs.frames import load_results
    >>> r = load_results("审核结果")              # a batch's output folder, or its results.json
    >>> r.units.groupby("competent_dept")["total"].mean()

Every result is read through the batch's validated reader (``read_results``: one result a time,
each checked against ``outputs.results_validation.Result`` into a ``UnitResult``), and what that schema does not cover (the
indicator rows, the findings, the rates, the warning and info counts) is validated here as
strictly: a file that is not as a batch writes it raises ``ResultsFileError`` in Chinese naming
the result, never a frame with a hole in it. Column names are results.json's own keys (English
for a result's fields, Chinese where results.json writes Chinese), so one vocabulary serves both.

Every frame has ``file`` (the submission's path as the batch wrote it: unique in a results.json,
the key to join frames on) and ``unit_code`` (单位编码; not unique: a unit may submit twice).

``units`` (one row per file of the batch, failed ones included):
    file, sha256, unit_code, unit_name (单位名称), competent_dept (主管部门), year (评价年度,
    Int64, <NA> when unknown), rules (规则集), rules_version, status ("ok", "errors", "failed",
    "internal"), total (核定总分, float, NaN when not scored), self_total (自评总分), grade
    (核定等级), self_grade (自评等级), errors, warnings, infos (the findings counted by level, Int64)
``indicators`` (one row per indicator row of every unit):
    file, unit_code, 行号 (the row in the submitted sheet, Int64), 一级指标, 二级指标, 三级指标,
    分值, 指标值, 实际完成值, 自评得分, 核定得分 (floats, NaN when empty), 审核意见
``budget`` (one row per unit):
    file, unit_code, year, then each figure of 预算情况 (年初预算数, 调整预算数, 预算执行数, ...)
    and each rate (预算执行率, 结转结余率, ... as fractions: 0.97 is 97%), floats, NaN when the
    form left it empty; the columns are the union over the units (a rule set may have others)
``findings`` (one row per finding):
    file, unit_code, code (e.g. V201), level ("error", "warning", "info"), level_label (错误, 警告,
    提示), sheet, cell, message, expected, actual
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from selfeval_xl.outputs.results import UnitResult
from selfeval_xl.outputs.results_file import RESULTS_JSON, ResultsFileError, iter_results, read_results
from selfeval_xl.outputs.results_validation import problem

__all__ = ["BUDGET_KEYS", "FINDING_COLUMNS", "INDICATOR_COLUMNS", "UNIT_COLUMNS", "Results", "load_results"]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False, frozen=True)


Count = Annotated[int, Field(ge=0)]
Number = float | None
Text = str


class _Counts(_Strict):
    warnings: Count = Field(default=0, alias="警告")
    infos: Count = Field(default=0, alias="提示")


class _Row(_Strict):
    level1: Text = Field(default="", alias="一级指标")
    level2: Text = Field(default="", alias="二级指标")
    name: Text = Field(default="", alias="三级指标")
    weight: Number = Field(default=None, alias="分值")
    target: Text = Field(default="", alias="指标值")
    actual: Text = Field(default="", alias="实际完成值")
    self_score: Number = Field(default=None, alias="自评得分")
    verified: Number = Field(default=None, alias="核定得分")
    opinion: Text = Field(default="", alias="审核意见")
    row: int | None = Field(default=None, alias="行号")


class _Finding(_Strict):
    code: Text = ""
    level: Text = ""
    level_label: Text = ""
    sheet: Text = ""
    cell: Text = ""
    message: Text = ""
    expected: Text = ""
    actual: Text = ""


class _Rest(_Strict):
    """What frames read of a result beyond ``Result``."""

    rules: Text = ""
    rules_version: Text = ""
    self_grade: Text = ""
    counts: _Counts = _Counts()
    rates: dict[str, Number] = {}
    rows: list[_Row] = []
    findings: list[_Finding] = []


UNIT_COLUMNS = ("file", "sha256", "unit_code", "unit_name", "competent_dept", "year", "rules", "rules_version",
                 "status", "total", "self_total", "grade", "self_grade", "errors", "warnings", "infos")
_ROW_FIELDS = {"行号": "row", "一级指标": "level1", "二级指标": "level2", "三级指标": "name", "分值": "weight",
               "指标值": "target", "实际完成值": "actual", "自评得分": "self_score", "核定得分": "verified",
               "审核意见": "opinion"}
_FINDING_FIELDS = tuple(_Finding.model_fields)
INDICATOR_COLUMNS = ("file", "unit_code", *_ROW_FIELDS)
FINDING_COLUMNS = ("file", "unit_code", *_FINDING_FIELDS)
#: the budget frame's first columns (the figures and rates follow)
BUDGET_KEYS = ("file", "unit_code", "year")
_NULLABLE_INTS = ("year", "errors", "warnings", "infos", "行号")


@dataclass(frozen=True)
class Results:
    """A results.json as four DataFrames (the columns: this module's docstring)."""

    units: pd.DataFrame
    indicators: pd.DataFrame
    budget: pd.DataFrame
    findings: pd.DataFrame


def load_results(source: str | Path) -> Results:
    """The results of one batch (its output folder or its results.json) as ``Results``.

    Raises ``ResultsFileError`` (Chinese, naming the file and the result) when the file is absent,
    unreadable or not as a batch writes it. Reads one result at a time; the frames are built
    column by column, so the peak is the frames themselves plus one result."""
    path = Path(source)
    file = path / RESULTS_JSON if path.is_dir() else path
    units: dict[str, list[Any]] = {c: [] for c in UNIT_COLUMNS}
    rows: dict[str, list[Any]] = {c: [] for c in INDICATOR_COLUMNS}
    findings: dict[str, list[Any]] = {c: [] for c in FINDING_COLUMNS}
    budget: list[dict[str, Any]] = []
    for r, rest in _results(file):
        for column, value in (("file", r.file), ("sha256", r.sha256), ("unit_code", r.unit_code),
                              ("unit_name", r.unit_name), ("competent_dept", r.competent_dept), ("year", r.year),
                              ("rules", rest.rules), ("rules_version", rest.rules_version), ("status", r.status),
                              ("total", r.total), ("self_total", r.self_total), ("grade", r.grade),
                              ("self_grade", rest.self_grade), ("errors", r.counts.errors),
                              ("warnings", rest.counts.warnings), ("infos", rest.counts.infos)):
            units[column].append(value)
        for row in rest.rows:
            rows["file"].append(r.file)
            rows["unit_code"].append(r.unit_code)
            for column, field in _ROW_FIELDS.items():
                rows[column].append(getattr(row, field))
        for finding in rest.findings:
            findings["file"].append(r.file)
            findings["unit_code"].append(r.unit_code)
            for field in _FINDING_FIELDS:
                findings[field].append(getattr(finding, field))
        budget.append({**r.budget, **rest.rates, "file": r.file, "unit_code": r.unit_code, "year": r.year})
    return Results(units=_frame(units), indicators=_frame(rows), findings=_frame(findings),
                   budget=_budget_frame(budget))


def _results(file: Path) -> Iterator[tuple[UnitResult, _Rest]]:
    """Each result validated twice over: by the batch's reader (``Result``) and by ``_Rest``. The
    two readers go through the file side by side, one result each at a time."""
    raw = iter_results(file)
    for index, (r, obj) in enumerate(zip_longest(read_results(file), raw), start=1):
        try:
            yield r, _Rest.model_validate(obj)
        except ValidationError as exc:
            raise ResultsFileError(f"{file}：第 {index} 个结果：{problem(exc)}，不是 batch 写出的 {RESULTS_JSON}") from None


def _frame(columns: dict[str, list[Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    for column in _NULLABLE_INTS:
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame


def _budget_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=_budget_columns(records))
    frame["year"] = frame["year"].astype("Int64")
    figures = frame.columns[len(BUDGET_KEYS):]
    frame[figures] = frame[figures].astype("float64")
    return frame


def _budget_columns(records: list[dict[str, Any]]) -> list[str]:
    """file, unit_code, year, then every figure and rate in the order first met."""
    seen: dict[str, None] = dict.fromkeys(BUDGET_KEYS)
    for record in records:
        seen.update(dict.fromkeys(record))
    return list(seen)

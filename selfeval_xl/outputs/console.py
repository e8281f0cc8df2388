"""Rendering an Assessment for a person (``check`` text) or a program (JSON)."""

from __future__ import annotations

import io
import json
import unicodedata
from collections.abc import Iterable
from typing import IO

from selfeval_xl.check.assess import Assessment
from selfeval_xl.core.findings import ERROR, INFO, LEVELS, WARNING
from selfeval_xl.core.numbers import fmt_score
from selfeval_xl.core.sanitize import cut_text
from selfeval_xl.outputs.results import unit_result
from selfeval_xl.rules.model import rules_name

__all__ = ["RenderedWriter", "render_json", "render_json_stream", "render_one", "render_text", "render_text_stream",
           "write_rendered"]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def render_text(assessments: Iterable[Assessment]) -> str:
    return "\n".join(_one(a) for a in assessments)


def _one(a: Assessment) -> str:
    lines = ["=" * 72, f"文件：{a.file}"]
    if a.failed:
        f = a.failure
        lines += ["", f"无法读取：{f.code if f else ''} {cut_text(f.message) if f else ''}", ""]
        return "\n".join(lines)
    sub, sc = a.submission, a.scores
    assert sub is not None and sc is not None
    b = sub.basic
    lines.append(cut_text(f"单位：{b.unit_name or '（未填写）'}    单位编码：{b.unit_code or '（未填写）'}    "
                          f"主管部门：{b.competent_dept or '（未填写）'}    评价年度：{b.year or '（未填写）'}"))
    if a.rules is not None:
        lines.append(f"评分细则：{rules_name(a.rules)}（{a.rules.title}，版本 {a.rules.version}）")
    lines += ["", "得分汇总"]
    cols = (10, 10, 10, 10)
    lines.append("  " + _pad("类别", cols[0]) + _pad("权重分值", cols[1], True) + _pad("自评得分", cols[2], True)
                 + _pad("核定得分", cols[3], True))
    for c in sc.categories:
        lines.append("  " + _pad(c.name, cols[0]) + _pad(fmt_score(c.weight), cols[1], True)
                     + _pad(fmt_score(c.self_score), cols[2], True) + _pad(fmt_score(c.verified), cols[3], True))
    total_w = sum(c.weight for c in sc.categories)
    lines.append("  " + _pad("合计", cols[0]) + _pad(fmt_score(total_w), cols[1], True)
                 + _pad(fmt_score(sc.self_total) if sc.self_total is not None else "—", cols[2], True)
                 + _pad(fmt_score(sc.total), cols[3], True))
    lines.append("  " + _pad("等级", cols[0]) + _pad("", cols[1]) + _pad(sc.self_grade or "—", cols[2], True)
                 + _pad(sc.grade, cols[3], True))
    if sc.rescaled:
        lines.append("  （有不适用指标，合计已按适用指标折算为百分制）")
    counts = f"错误 {a.errors} 项，警告 {a.warnings} 项，提示 {a.infos} 项"
    verdict = "有错误，请改正后再提交" if a.errors else ("可以提交；请核实各项警告" if a.warnings else "可以提交")
    lines += ["", f"审核发现：{counts}（{verdict}）"]
    for level in LEVELS:
        items = [f for f in a.findings if f.level == level]
        if not items:
            continue
        lines.append(f"【{level}】")
        for f in items:
            lines.append(f"  {f.code}  {_pad(f.where or '（整个文件）', 18)} {cut_text(f.message)}")
    lines.append("")
    return "\n".join(lines)


def render_json(assessments: Iterable[Assessment]) -> str:
    out = io.StringIO()
    render_json_stream(assessments, out)
    return out.getvalue()


def render_one(a: Assessment, fmt: str) -> str:
    """One file's part of ``check``'s output: its JSON object (compact, one line) or its text report."""
    if fmt == "json":
        return json.dumps(unit_result(a).to_json_dict(), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _one(a)


class RenderedWriter:
    """``check``'s output written one file at a time (nothing held for the whole folder): a JSON
    list with an object a line, or the text reports one after another."""

    def __init__(self, fmt: str, out: IO[str]):
        self.json = fmt == "json"
        self.out = out
        self.count = 0
        if self.json:
            out.write("[")

    def add(self, item: str) -> None:
        if self.json:
            self.out.write(("," if self.count else "") + "\n" + item)
        else:
            self.out.write(item + "\n")
        self.count += 1

    def close(self) -> int:
        if self.json:
            self.out.write("\n]\n" if self.count else "]\n")
        return self.count


def write_rendered(items: Iterable[str], fmt: str, out: IO[str]) -> int:
    """Write rendered files as ``check`` does; return the count."""
    w = RenderedWriter(fmt, out)
    for item in items:
        w.add(item)
    return w.close()


def render_json_stream(assessments: Iterable[Assessment], out: IO[str]) -> int:
    return write_rendered((render_one(a, "json") for a in assessments), "json", out)


def render_text_stream(assessments: Iterable[Assessment], out: IO[str]) -> int:
    return write_rendered((render_one(a, "text") for a in assessments), "text", out)


assert (ERROR, WARNING, INFO) == LEVELS

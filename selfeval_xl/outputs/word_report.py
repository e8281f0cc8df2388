"""The department's 自评报告 draft (Word), written from the checked figures of its workbook.

``report_context(assessment, rules)`` is every figure and list the report uses, from the checked and
scored submission (the verified figures where the self-assessed ones differ); ``write_report``
renders it into a Word template. The outline is the template's: the bundled ``default`` is the seed
report's eight sections, ``example-bureau`` another bureau's; a bureau edits a copy in Word and
passes it (``--template``). Text only the department can write is a highlighted placeholder in the
template (【请填写：…】), never invented here.

Why a Word template (docxtpl on python-docx) and not an outline file: a bureau's outline is mostly
Word formatting and fixed wording (its section names and numbering, its standard paragraphs, its
fonts); in a template the bureau's clerk changes all of that in Word itself, and only the
``{{ … }}`` tags carry data. An outline in YAML would need our code for every formatting wish.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from selfeval_xl.check.read import ROW
from selfeval_xl.core import names as S
from selfeval_xl.core.findings import ERROR, WARNING
from selfeval_xl.core.numbers import MAX_POINT_DECIMALS, fmt_number, fmt_percent, fmt_points, round_half_up
from selfeval_xl.outputs.word_template import ReportTemplateError, Run, render_docx, vet_template

if TYPE_CHECKING:
    from selfeval_xl.check.assess import Assessment
    from selfeval_xl.check.score import ScoredRow
    from selfeval_xl.rules.model import Rules

__all__ = ["REPORTS_DIR", "REPORT_SUFFIX", "ReportTemplateError", "check_template", "report_context", "report_name",
           "report_templates", "write_report"]

REPORTS_DIR = "自评报告"
#: what a report's name ends with
REPORT_SUFFIX = "_自评报告.docx"
PLACEHOLDER = "【请填写：{what}】"
#: the amounts the budget paragraph opens with, where the rule set has them (the seed's sentence)
HEADLINE = ("年初预算数", "全年预算数", "调整预算数", "预算执行数", "全年执行数")


def report_templates() -> dict[str, Path]:
    """name -> file of every bundled report template, the default first."""
    folder = Path(str(resources.files("selfeval_xl").joinpath("data", "reports")))
    files = sorted(folder.glob("*.docx"), key=lambda p: (p.stem != "default", p.stem))
    return {p.stem: p for p in files}


def template_path(name_or_path: str | Path | None) -> Path:
    if name_or_path is None:
        return report_templates()["default"]
    found = report_templates().get(str(name_or_path))
    return found if found is not None and not Path(name_or_path).exists() else Path(name_or_path)


def report_context(a: Assessment, rules: Rules) -> dict[str, Any]:
    """Every figure and text of the report, from the checked submission (verified figures; the
    department's words as it typed them)."""
    sub, sc = a.submission, a.scores
    if sub is None or sc is None:
        raise ValueError("a file that was not scored has no report")
    basic = sub.basic
    year = basic.year
    reasons = {rec[ROW]: _text(rec.get(S.REASON)).strip() for rec in sub.indicator_records}
    d = rules.decimals  # every score as it is held: at these decimals, more where it needs them
    shown = [(r, _row(r, reasons.get(r.row, ""), d)) for r in sc.rows if r.category]
    rows = [row for _, row in shown]
    errors = [f for f in a.findings if f.level == ERROR]
    remaining = [f.message for f in a.findings if f.level in (ERROR, WARNING) and f.code not in ("P506", "P507")]
    provisional = sc.provisional
    why_provisional = (f"{'、'.join(provisional)}各行分值之和不等于其权重分值，该项得分已按权重折算，总分和等级为暂定；"
                       "改正分值后重新审核，以重新审核的结果为准。") if provisional else ""
    categories, score_notes, category_sum = _score_table(a, rules, shown)
    notice = f"本稿由系统根据报表生成，报表尚有 {len(errors)} 项错误，请改正后重新生成。" if errors else ""
    if provisional:
        notice += f"总分为暂定分：{why_provisional}"
    return {
        "year": f"{year}" if year else PLACEHOLDER.format(what="评价年度"),
        "unit": _text(basic.unit_name) or PLACEHOLDER.format(what="单位名称"),
        "unit_code": _text(basic.unit_code),
        "competent_dept": _text(basic.competent_dept),
        "form_title": rules.title,
        "notice": Run(notice, bold=True, highlight="yellow") if notice else "",
        "goals": [t for t in (_text(r.get("年度履职目标")).strip() for r in sub.goal_records) if t],
        "tasks": [_task(r) for r in sub.task_records],
        "indicators": rows,
        "deviations": [row for row in rows if row["below_full"] or row["reason"]],
        "below_full": [row for row in rows if row["below_full"]],
        "budget_sentence": _budget_sentence(a, rules, year),
        "rates": [{"label": r.label, "value": _rate_text(a.rates.get(r.key))} for r in rules.rates],
        "total": fmt_points(sc.total, d),
        "grade": sc.grade,
        "provisional": provisional,
        "provisional_reason": why_provisional,
        "total_label": "得分暂定为" if provisional else "最终得分为",
        "grade_label": "绩效评价等级暂定为" if provisional else "绩效评价等级为",
        "rescaled": sc.rescaled,
        "grade_bands": _grade_bands(rules),
        "categories": categories,
        "total_row": {"name": "合计", "weight": _points_weight(rules.total_weight), "score": fmt_points(category_sum, d),
                      "rate": _share(category_sum, rules.total_weight)},
        "final_row": {"name": "核定总分" + ("（暂定）" if provisional else ""), "weight": _points_weight(rules.total_weight),
                      "score": fmt_points(sc.total, d), "rate": _share(sc.total, rules.total_weight)},
        "total_adjusted": abs(category_sum - sc.total) > _EPS,
        "score_notes": score_notes,
        "problems": [_problem(r) for r in sub.problem_records],
        "findings": remaining,
    }


_EPS = 1e-9


def _points_weight(x: float | None) -> str:
    """A 分值 or weight as it is (0.125 stays 0.125, 10 is 10)."""
    return fmt_number(x, MAX_POINT_DECIMALS)


def _row(r: ScoredRow, reason: str, d: int) -> dict[str, Any]:
    below = r.applicable and r.verified is not None and r.weight is not None and r.verified < r.weight - _EPS
    return {
        "level1": r.level1, "level2": r.level2, "name": r.name, "weight": _points_weight(r.weight), "target": r.target,
        "actual": _text(r.actual) or "（未填）",
        "self_score": fmt_points(r.self_score, d) if r.self_score is not None else "（未填）",
        "verified": fmt_points(r.verified, d) if r.verified is not None else "不计分", "opinion": r.opinion,
        "category": r.category or "", "below_full": below, "reason": reason,
        "reason_todo": Run(PLACEHOLDER.format(what="未得满分的原因和改进措施"), highlight="yellow")
        if below and not reason else "",
    }


def _share(score: float, weight: float) -> str:
    return fmt_percent(score / weight if weight else 0)


def _score_table(a: Assessment, rules: Rules, shown: list[tuple[ScoredRow, dict[str, Any]]]
                 ) -> tuple[list[dict[str, Any]], list[str], float]:
    """The score table by category (each with its rows as the report shows them); the notes that
    reconcile it with the rows (a category whose score is not the sum of its rows) and with the
    total (a total that is not the sum of the categories); the sum of the categories. Whatever the
    rules adjust, the report says by how much and why: a reader who adds up its tables gets the
    figures they show."""
    sc = a.scores
    assert sc is not None
    d = rules.decimals

    def _pts(x: float) -> str:
        return fmt_points(x, d)

    table, notes = [], []
    for c in sc.categories:
        rows = [r for r, _ in shown if r.category == c.name]
        rows_sum = round_half_up(sum(r.verified or 0.0 for r in rows), d)
        table.append({"name": c.name, "weight": _points_weight(c.weight), "score": _pts(c.verified),
                      "rate": _share(c.verified, c.weight), "rows": [row for r, row in shown if r.category == c.name],
                      "rows_weight": _points_weight(sum(r.weight or 0.0 for r in rows)), "rows_score": _pts(rows_sum)})
        if abs(rows_sum - c.verified) <= _EPS:
            continue
        if c.provisional:
            notes.append(f"{c.name}各行得分合计 {_pts(rows_sum)} 分；因各行分值之和不等于权重分值 {_points_weight(c.weight)} 分，"
                         f"按权重折算为 {_pts(c.verified)} 分（暂定）。")
        else:
            notes.append(f"{c.name}各行得分合计 {_pts(rows_sum)} 分，按评分细则核定为 {_pts(c.verified)} 分"
                         "（见报表审核发现的问题）。")
    category_sum = round_half_up(sum(c.verified for c in sc.categories), d)
    if abs(category_sum - sc.total) > _EPS:
        why = ["有标为“不适用”的指标，不计分，总分按适用指标的分值折算为百分制"] if sc.rescaled else []
        why += [f.message.split("；")[0].rstrip("。") for f in a.findings if f.code == "P512"]  # the cap and why
        notes.append(f"各项得分合计 {_pts(category_sum)} 分，核定总分为 {_pts(sc.total)} 分："
                     + ("；".join(why) or "差额来自评分细则的规定，见报表审核发现的问题") + "。")
    return table, notes, category_sum


#: characters XML 1.0 cannot carry (a workbook's _x0007_ escapes, say): dropped from the report
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(value: object) -> str:
    """A department's text for the report: as typed, with line ends as Word's and nothing XML
    cannot hold."""
    text = "" if value is None else str(value)
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _problem(r: dict) -> dict[str, str]:
    problem, cause, measure = (_text(r.get(k)).strip() for k in ("主要问题", "原因分析", "改进措施"))
    text = _sentence(problem) + (f"原因：{_sentence(cause)}" if cause else "")
    return {"problem": problem, "cause": cause, "measure": measure, "text": text,
            "measure_text": _sentence(measure)}


def _prose(text: str) -> str:
    """ASCII quotation marks of the labels ("三公经费") as the Chinese pairs a report uses."""
    out, opening = [], True
    for ch in text:
        if ch == '"':
            out.append("“" if opening else "”")
            opening = not opening
        else:
            out.append(ch)
    return "".join(out)


def _sentence(text: object) -> str:
    """Text as a sentence: stripped, ending in a full stop unless it ends in punctuation already."""
    t = str(text or "").strip()
    return t if not t or t[-1] in "。；！？.;!?" else t + "。"


def _task(r: dict) -> dict[str, str]:
    name, content, done = (_text(r.get(k)).strip() for k in ("任务名称", "主要内容", "完成情况"))
    return {"name": name, "content": content, "done": done,
            "text": _sentence(name) + _sentence(content) + (f"完成情况：{_sentence(done)}" if done else "")}


def _rate_text(value: float | None) -> str:
    return fmt_percent(value) if value is not None else "无法计算"


def _rate_phrase(label: str, value: float | None) -> str:
    return f"{label} {fmt_percent(value)}" if value is not None else f"{label}无法计算"


def _budget_sentence(a: Assessment, rules: Rules, year: int | None) -> str:
    """The seed's sentence, from the figures: amounts, then each rate (a rate whose figures are
    both 0 is said so, not quoted as 100%)."""
    sub = a.submission
    assert sub is not None
    values = {rec["key"]: rec["数值"] for rec in sub.budget_records}
    money = [b for b in rules.budget if b.unit == "万元" and isinstance(values.get(b.key), (int, float))]
    headline = [b for key in HEADLINE for b in money if b.key == key] or money[:3]
    amounts = [f"{b.label.removeprefix('其中：')}为 {fmt_number(float(values[b.key]))} 万元" for b in headline]
    rates = []
    for r in rules.rates:
        v = a.rates.get(r.key)
        nums = [values.get(k) for k in r.inputs]
        if v is not None and any(x is not None for x in nums) and all(x == 0 for x in nums if x is not None):
            rates.append(_prose(f"{r.numerator_text}和{r.denominator_text}均为 0，{r.label}按规定计 {fmt_percent(v)}"))
        else:
            rates.append(_prose(_rate_phrase(r.label, v)))
    head = f"{year} 年度，" if year else ""
    return f"{head}我单位{'，'.join(amounts)}；{'，'.join(rates)}。"


def _grade_bands(rules: Rules) -> str:
    """"90 分（含）至 100 分为优、80 分（含）至 90 分为良、…、60 分以下为差", from the rule set (the
    seed writes "90（含）-100"; "至" lets a line break there, where "90（含）-100" would be
    stretched over a justified line)."""
    parts = []
    top = 100.0
    for g in rules.grades:
        if g.min > 0:
            parts.append(f"{fmt_number(g.min)} 分（含）至 {fmt_number(top)} 分为{g.grade}")
            top = g.min
        else:
            parts.append(f"{fmt_number(top)} 分以下为{g.grade}")
    return "、".join(parts)


def check_template(template: str | Path | None) -> None:
    """Raise ReportTemplateError if a report cannot be written with this template: vetted, and
    rendered with a specimen of the report's data, full and empty (before a batch starts, say)."""
    path = template_path(template)
    data = vet_template(path)
    for specimen in (SPECIMEN, _emptied(SPECIMEN)):  # every {% if %} taken, then none
        render_docx(path, data, specimen)


def write_report(a: Assessment, rules: Rules, path: str | Path, template: str | Path | None = None) -> Path:
    """Render the report of one scored submission into ``path`` (.docx). Raises
    ReportTemplateError (a message for the bureau) when the template cannot be used."""
    source = template_path(template)
    data = render_docx(source, vet_template(source), report_context(a, rules))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-report-{os.getpid()}.docx")  # short: the report's own name may take 255 bytes
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def report_name(source: Path) -> str:
    """``<name>_自评报告.docx``, a name every file system takes (see ``safe_filename``)."""
    from selfeval_xl.core.sanitize import NAME_BYTES, safe_filename

    return safe_filename(source.stem, NAME_BYTES - len(REPORT_SUFFIX.encode())) + REPORT_SUFFIX


def _emptied(x: Any) -> Any:
    """The same data with every text empty, every list empty and every flag false."""
    if isinstance(x, dict):
        return {k: _emptied(v) for k, v in x.items()}
    return type(x)() if isinstance(x, (str, list, bool)) else x


_SPECIMEN_ROW = {"level1": "产出指标", "level2": "数量指标", "name": "示例指标", "weight": "5", "target": "≥90%",
                 "actual": "85%", "self_score": "4.50", "verified": "4.72", "opinion": "示例", "category": "产出指标",
                 "below_full": True, "reason": "示例原因", "reason_todo": ""}
#: the report's data in its shape, every list with an item: what a template is tried with
SPECIMEN: dict[str, Any] = {
    "year": "2024", "unit": "示例单位", "unit_code": "000000", "competent_dept": "示例主管部门", "form_title": "示例",
    "notice": "示例提示", "goals": ["示例目标"],
    "tasks": [{"name": "示例任务", "content": "示例内容", "done": "已完成", "text": "示例任务。示例内容。完成情况：已完成。"}],
    "indicators": [_SPECIMEN_ROW], "deviations": [_SPECIMEN_ROW], "below_full": [_SPECIMEN_ROW],
    "budget_sentence": "示例", "rates": [{"label": "预算执行率", "value": "95%"}], "total": "90.00", "grade": "优",
    "provisional": ["产出指标"], "provisional_reason": "示例", "total_label": "得分暂定为", "grade_label": "绩效评价等级暂定为",
    "rescaled": True, "grade_bands": "示例",
    "categories": [{"name": "产出指标", "weight": "40", "score": "38.00", "rate": "95%", "rows": [_SPECIMEN_ROW],
                    "rows_weight": "40", "rows_score": "38.00"}],
    "total_row": {"name": "合计", "weight": "100", "score": "90.00", "rate": "90%"},
    "final_row": {"name": "核定总分", "weight": "100", "score": "90.00", "rate": "90%"},
    "total_adjusted": True, "score_notes": ["示例"],
    "problems": [{"problem": "示例问题", "cause": "示例原因", "measure": "示例措施", "text": "示例问题。原因：示例原因。",
                  "measure_text": "示例措施。"}],
    "findings": ["示例"],
}

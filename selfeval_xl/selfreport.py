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

import io
import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import standard as S
from .findings import ERROR, WARNING
from .numbers import fmt_number, fmt_percent, fmt_score
from .ooxml.errors import Limits, MiB, Rejected
from .read import ROW

if TYPE_CHECKING:
    from .assess import Assessment
    from .rules import Rules

__all__ = ["REPORTS_DIR", "REPORT_SUFFIX", "TEMPLATE_LIMITS", "check_template", "read_template", "report_context", "report_name",
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


#: what a report template may be: a Word document of some pages (the bundled ones are 40 KiB); python-docx
#: holds every part of it in memory, so a zip bomb handed over as a template is refused before it is opened
TEMPLATE_LIMITS = Limits(max_file_bytes=20 * MiB, max_entries=1000, max_entry_bytes=64 * MiB,
                         max_total_bytes=128 * MiB)


def read_template(name_or_path: str | Path | None) -> bytes:
    """The bytes of a report template: a regular file within TEMPLATE_LIMITS whose zip directory
    passes them (sizes, number of parts, compression ratio). Raises InputError in Chinese; OSError
    for a file that is absent or cannot be read."""
    from .inputs import InputError, read_limited
    from .ooxml.zipread import check_directory, read_directory

    path = template_path(name_or_path)
    data = read_limited(path, TEMPLATE_LIMITS.max_file_bytes, "报告模板")
    try:
        check_directory([e for e in read_directory(data, TEMPLATE_LIMITS) if not e.name.endswith("/")], TEMPLATE_LIMITS)
    except Rejected as exc:
        raise InputError(f"{path} 不能作为报告模板（Word .docx）：{exc.detail or '不是有效的 .docx 文件'}") from None
    return data


def check_template(name_or_path: str | Path | None) -> None:
    """A report template that can be used: within its limits (read_template) and a Word document
    python-docx opens. Raises InputError in Chinese (OSError for one that cannot be read)."""
    from docxtpl import DocxTemplate

    from .inputs import InputError

    data = read_template(name_or_path)
    try:
        DocxTemplate(io.BytesIO(data)).init_docx()
    except Exception:  # python-docx's errors for a zip that is no Word document are of many kinds
        raise InputError(f"{template_path(name_or_path)} 不是 Word 文档（.docx），不能作为报告模板") from None


def report_context(a: Assessment, rules: Rules) -> dict[str, Any]:
    """Every figure and list of the report, from the checked submission (verified figures)."""
    sub, sc = a.submission, a.scores
    if sub is None or sc is None:
        raise ValueError("a file that was not scored has no report")
    basic = sub.basic
    year = basic.year
    reasons = {rec[ROW]: str(rec.get(S.REASON) or "").strip() for rec in sub.indicator_records}
    rows = [{
        "level1": r.level1, "level2": r.level2, "name": r.name, "weight": fmt_number(r.weight), "target": r.target,
        "actual": r.actual or "（未填）", "self_score": fmt_score(r.self_score) if r.self_score is not None else "（未填）",
        "verified": fmt_score(r.verified) if r.verified is not None else "不计分", "opinion": r.opinion,
        "reason": reasons.get(r.row, ""),
    } for r in sc.rows if r.category]
    below = [row | {"reason": row["reason"] or PLACEHOLDER.format(what="未得满分的原因和改进措施")}
             for row, r in zip(rows, [r for r in sc.rows if r.category], strict=True)
             if r.applicable and r.verified is not None and r.weight is not None and r.verified < r.weight - 1e-9]
    categories = [{"name": c.name, "weight": fmt_number(c.weight), "score": fmt_score(c.verified),
                   "rate": fmt_percent(c.verified / c.weight if c.weight else 0)} for c in sc.categories]
    errors = [f for f in a.findings if f.level == ERROR]
    remaining = [f.message for f in a.findings if f.level in (ERROR, WARNING) and f.code not in ("P506", "P507")]
    return {
        "year": f"{year}" if year else "【请填写：评价年度】",
        "unit": basic.unit_name or "【请填写：单位名称】",
        "unit_code": basic.unit_code,
        "competent_dept": basic.competent_dept,
        "form_title": rules.title,
        "notice": (f"本稿由系统根据报表生成，报表尚有 {len(errors)} 项错误，请改正后重新生成。" if errors else ""),
        "goals": [str(r.get("年度履职目标") or "").strip() for r in sub.goal_records if r.get("年度履职目标")],
        "tasks": [_task(r) for r in sub.task_records],
        "indicators": rows,
        "below_full": below,
        "budget_sentence": _budget_sentence(a, rules, year),
        "rates": [{"label": r.label, "value": _rate_text(a.rates.get(r.key))} for r in rules.rates],
        "total": fmt_score(sc.total),
        "grade": sc.grade,
        "rescaled": sc.rescaled,
        "grade_bands": _grade_bands(rules),
        "categories": categories,
        "total_row": {"name": "合计", "weight": fmt_number(rules.total_weight), "score": fmt_score(sc.total),
                      "rate": fmt_percent(sc.total / rules.total_weight if rules.total_weight else 0)},
        "problems": [{"problem": str(r.get("主要问题") or "").strip(), "cause": str(r.get("原因分析") or "").strip(),
                      "measure": str(r.get("改进措施") or "").strip()} for r in sub.problem_records],
        "findings": remaining,
    }


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
    name, content, done = (str(r.get(k) or "").strip() for k in ("任务名称", "主要内容", "完成情况"))
    return {"name": name, "content": content, "done": done,
            "text": _sentence(name) + _sentence(content) + (f"完成情况：{_sentence(done)}" if done else "")}


def _rate_text(value: float | None) -> str:
    return fmt_percent(value) if value is not None else "无法计算"


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
            rates.append(_prose(f"{r.label} {_rate_text(v)}"))
    head = f"{year} 年度，" if year else ""
    return f"{head}我单位{'，'.join(amounts)}；{'，'.join(rates)}。"


def _grade_bands(rules: Rules) -> str:
    """"90（含）-100 分为优、80（含）-90 分为良、…" as the seed writes them, from the rule set."""
    parts = []
    top = 100.0
    for g in rules.grades:
        if g.min > 0:
            parts.append(f"{fmt_number(g.min)}（含）-{fmt_number(top)} 分为{g.grade}")
            top = g.min
        else:
            parts.append(f"{fmt_number(top)} 分以下为{g.grade}")
    return "、".join(parts)


def write_report(a: Assessment, rules: Rules, path: str | Path, template: str | Path | None = None) -> Path:
    """Render the report of one scored submission into ``path`` (.docx)."""
    from docxtpl import DocxTemplate, RichText

    ctx = report_context(a, rules)
    ctx["notice"] = RichText(ctx["notice"], highlight="FFFF00", bold=True) if ctx["notice"] else ""
    for row in ctx["below_full"]:
        if row["reason"].startswith("【请填写"):
            row["reason"] = RichText(row["reason"], highlight="FFFF00")
    doc = DocxTemplate(io.BytesIO(read_template(template)))  # the bytes that were checked are the ones opened
    doc.render(ctx, autoescape=True)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-report-{os.getpid()}.docx")  # short: the report's own name may take 255 bytes
    doc.save(str(tmp))
    tmp.replace(path)
    return path


def report_name(source: Path) -> str:
    """``<name>_自评报告.docx``, a name every file system takes (see ``safe_filename``)."""
    from .safe import NAME_BYTES, safe_filename

    return safe_filename(source.stem, NAME_BYTES - len(REPORT_SUFFIX.encode())) + REPORT_SUFFIX

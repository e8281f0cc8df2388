"""selfeval-xl: 部门整体支出绩效自评表的模板生成、审核评分、批量汇总。

The command line is a thin layer over the library: each command parses its options, calls one
library function, and renders what it returns.
"""

from __future__ import annotations

import signal
import sys
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from selfeval_xl import __version__
from selfeval_xl.cli.texts import safe_streams, speak_chinese
from selfeval_xl.rules.model import Rules, RulesError, load_rules

speak_chinese()  # before the commands below are defined: click resolves some texts then

if TYPE_CHECKING:
    from selfeval_xl.batch.run import BatchResult
    from selfeval_xl.check.assess import Assessment

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
#: how the usage line names the options (click's default is "[OPTIONS]")
OPTIONS = "[选项]"
TEMPLATE_NAME = "申报表模板.xlsx"
#: what a folder given to check/score expands to
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et", ".xlsb", ".ods", ".csv")


class Refused(click.ClickException):
    """A command that will not start, for a reason that is not how it was typed: exit code 2."""

    exit_code = 2


def _rules(path: Path | None) -> Rules:
    try:
        return load_rules(path)
    except RulesError as exc:
        raise click.UsageError(str(exc)) from None


def _given_rules(path: Path | None) -> Rules | None:
    """The rule set --rules names, for every file; None without it: each workbook is checked by the
    rule set its template version names (assess)."""
    return _rules(path) if path is not None else None


def expand_inputs(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given; a folder stands for the spreadsheet files directly inside it."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SPREADSHEET_SUFFIXES
                          and not f.name.startswith(("~$", ".")))
        else:
            out.append(p)
    return out


def _bundled_or_file(value: str, bundled: dict[str, Path], suffix: str, missing: str, what: str) -> Path:
    """An option that names a bundled file or gives a path: the bundled one unless a file of that
    name exists; a usage error saying what is bundled otherwise."""
    from selfeval_xl.core.inputs import not_a_file

    if value in bundled and not Path(value).exists():
        return bundled[value]
    if Path(value).is_file() and value.lower().endswith(suffix):
        return Path(value)
    odd = not_a_file(Path(value), what)  # a FIFO or a device is said to be one, not "no such file"
    raise click.BadParameter(odd or missing.format(value=value, names="、".join(bundled)))


def _rules_file(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """--rules: a bundled rule set's name, or a file."""
    from selfeval_xl.rules.model import bundled

    return None if value is None else _bundled_or_file(
        value, bundled(), "", "没有名为“{value}”的内置评分细则（可用：{names}），也没有这个文件。", "评分细则文件")


rules_option = click.option("--rules", "rules_path", callback=_rules_file, metavar="细则",
                            help="评分细则：内置细则的名称（见 selfeval-xl rules list）或 YAML 文件；不指定时按申报表的模板版本"
                                 "选用内置细则（生成模板时不指定则用默认细则）。")


@click.group(context_settings=CONTEXT, options_metavar=OPTIONS, subcommand_metavar="命令 [参数]...")
@click.version_option(__version__, "-V", "--version", prog_name="selfeval-xl")
def main() -> None:
    """部门整体支出绩效自评：生成申报表模板，审核并评分，批量汇总。

    \b
    常用命令：
      selfeval-xl template -o 申报表模板.xlsx     生成空白模板
      selfeval-xl check 申报表.xlsx               审核一个文件（不写任何文件）
      selfeval-xl score 申报表.xlsx -o 审核结果/   写出带核定得分的审核副本
    """
    from selfeval_xl.check.intake import check_xml_defences

    try:
        check_xml_defences()
    except RuntimeError as exc:  # pragma: no cover - a broken lxml build
        raise click.ClickException(f"XML 安全防护未启用：{exc}") from None


@main.command(context_settings=CONTEXT, options_metavar=OPTIONS)
@click.option("-o", "--output", type=click.Path(), default=TEMPLATE_NAME, show_default=True, metavar="路径",
              help="模板保存路径（.xlsx 文件，或一个文件夹：写成其中的 申报表模板.xlsx）。")
@rules_option
@click.option("--unit-name", default="", metavar="名称", help="预填的部门(单位)名称。")
@click.option("--unit-code", default="", metavar="编码", help="预填的单位编码。")
@click.option("--competent-dept", default="", metavar="名称", help="预填的主管部门。")
@click.option("--year", type=click.IntRange(1900, 2100), default=None, metavar="年份", help="预填的评价年度（4 位年份）。")
def template(output: str, rules_path: Path | None, unit_name: str, unit_code: str, competent_dept: str,
             year: int | None) -> None:
    """生成申报表模板（按评分细则，可预填单位信息）。"""
    from selfeval_xl.form.template import write_template

    rules = _rules(rules_path)
    path = template_path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_template(path, rules, unit_name=unit_name, unit_code=unit_code, year=year, competent_dept=competent_dept)
    click.echo(f"已生成模板：{path}（模板版本 {rules.version}）")


def template_path(given: str) -> Path:
    """Where ``template -o`` writes: into a folder (existing, or written with a trailing slash) as
    申报表模板.xlsx; a file name must end in .xlsx (a template is never .xls or .xlsm)."""
    output = Path(given)
    if output.is_dir() or given.endswith(("/", "\\")):
        return output / TEMPLATE_NAME
    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter(f"“{output.name}”不是 .xlsx 文件名。请写成如 申报表模板.xlsx，或给出一个文件夹。",
                                 param_hint="-o/--output")
    return output


@main.command(context_settings=CONTEXT, options_metavar=OPTIONS)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path), metavar="文件...")
@rules_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式：text 为中文审核报告，json 供其他程序读取。")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=1, show_default=True, metavar="N",
              help="同时审核的进程数，文件多时更快（0 表示每个 CPU 核一个）；多于 1 个时每个文件限时 60 秒。")
def check(files: tuple[Path, ...], rules_path: Path | None, fmt: str, jobs: int) -> None:
    """审核申报表并评分，只报告，不写任何文件。

    文件 可以是文件或文件夹（文件夹中的表格文件）。有任何“错误”时退出码为 1。
    """
    from selfeval_xl.outputs.console import render_json_stream, render_text_stream

    rules = _given_rules(rules_path)
    paths = expand_inputs(files)
    if not paths:
        raise click.UsageError("没有找到要审核的文件。")
    if jobs != 1 and len(paths) > 1:
        _check_in_workers(paths, rules_path, fmt, jobs)
    tally = _Tally()
    assessed = (a for _path, a in _assessed(paths, rules, tally))
    (render_json_stream if fmt == "json" else render_text_stream)(assessed, sys.stdout)
    sys.stdout.flush()
    sys.exit(tally.exit_code)


#: where check and score keep the traceback of an error of ours
ERROR_LOG = Path(tempfile.gettempdir()) / "selfeval-xl-内部错误.log"


def _check_in_workers(paths: list[Path], rules_path: Path | None, fmt: str, jobs: int) -> None:
    """``check --jobs``: the files in worker processes, the output in the files' order; exits."""
    from selfeval_xl.batch.check_jobs import Checked, check_in_workers
    from selfeval_xl.outputs.console import RenderedWriter

    out = RenderedWriter(fmt, sys.stdout)
    tally = _Tally()

    def emit(c: Checked) -> None:
        if c.traceback:
            tally.internal += 1
            _log_bug(c.file, c.traceback)
            return
        tally.errors |= c.errors
        out.add(c.rendered)

    check_in_workers(paths, rules_path, fmt, jobs, ERROR_LOG, emit)
    out.close()
    sys.stdout.flush()
    sys.exit(tally.exit_code)


@dataclass
class _Tally:
    """What check's and score's exit code needs of the files: an error in any, bugs of ours."""

    errors: bool = False
    internal: int = 0

    @property
    def exit_code(self) -> int:
        return 3 if self.internal else 1 if self.errors else 0


def _assessed(paths: list[Path], rules: Rules | None, tally: _Tally) -> Iterator[tuple[Path, Assessment]]:
    """Each file with its assessment, one at a time (a folder of thousands is never held in
    memory), counted in ``tally``; a file our code failed on is logged and left out."""
    for path in paths:
        a = _assess(path, rules)
        if a is None:
            tally.internal += 1
            continue
        tally.errors |= bool(a.errors)
        yield path, a


def _assess(path: Path, rules: Rules | None) -> Assessment | None:
    """The assessment of one file; None after a bug of ours, which is logged and said in one line
    (the file is not to blame, and the rest of the files are still checked)."""
    from selfeval_xl.check.assess import assess

    try:
        return assess(path, rules)
    except Exception:
        _log_bug(str(path), traceback.format_exc())
        return None


def _log_bug(file: str, trace: str) -> None:
    """A bug of ours on ``file``: its traceback to the log, one entry whatever the name holds, and one
    line to the user."""
    from selfeval_xl.core.sanitize import append_to, display_name, log_entry

    try:  # a link planted at the log's place in the shared temporary folder is never followed
        append_to(ERROR_LOG, log_entry(file, trace))
        where = f"详情已记入 {ERROR_LOG}，请把它发给技术支持。"
    except OSError as exc:
        where = f"详情无法记入 {ERROR_LOG}（{exc.strerror}），请联系技术支持。"
    click.echo(f"{display_name(file)}：程序内部错误，不是文件的问题。{where}", err=True)


@main.command(context_settings=CONTEXT, options_metavar=OPTIONS)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path), metavar="文件...")
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."), metavar="文件夹",
              show_default=True, help="审核副本保存的文件夹。")
@rules_option
def score(files: tuple[Path, ...], output_dir: Path, rules_path: Path | None) -> None:
    """审核评分并写出审核副本（<文件名>_审核.xlsx），原文件不做任何改动。

    审核副本中填写了每个指标的核定得分和审核意见、得分汇总的核定列和核定等级，
    有问题的单元格标色并加批注，另有“审核结果”工作表列出全部问题。有任何“错误”时退出码为 1。
    """
    from selfeval_xl.core.numbers import fmt_score
    from selfeval_xl.outputs.scored_copy import write_scored_copy

    rules = _given_rules(rules_path)
    paths = expand_inputs(files)
    if not paths:
        raise click.UsageError("没有找到要审核的文件。")
    tally = _Tally()
    for path, a in _assessed(paths, rules, tally):
        if a.failed:
            f = a.failure
            click.echo(f"{path}：无法审核（{f.code}）{f.message}" if f else f"{path}：无法审核")
            continue
        try:
            out = write_scored_copy(a, output_dir)
        except OSError as exc:
            raise click.ClickException(f"无法写入审核副本到 {output_dir}：{exc.strerror or exc}") from None
        sc = a.scores
        assert sc is not None  # a file that is not failed has scores
        grade = f"{sc.grade}，暂定" if sc.provisional else sc.grade  # P501: a category rescaled
        click.echo(f"{path} → {out}：核定总分 {fmt_score(sc.total)}（{grade}），"
                   f"错误 {a.errors} 项，警告 {a.warnings} 项，提示 {a.infos} 项")
    sys.exit(tally.exit_code)


def _report_template(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """--template: a bundled report template's name, or a .docx file; tried once before any work
    (a template that cannot be used is a usage error, in the words of ReportTemplateError)."""
    from selfeval_xl.outputs.word_report import ReportTemplateError, check_template, report_templates

    if value is None:
        return None
    path = _bundled_or_file(value, report_templates(), ".docx", "没有名为“{value}”的报告模板（内置：{names}），也没有这个 .docx 文件。",
                            "报告模板")
    try:
        check_template(path)
    except ReportTemplateError as exc:
        raise click.BadParameter(str(exc)) from None
    return path


template_option = click.option("--template", "report_template", callback=_report_template, metavar="模板",
                               help="报告模板：内置模板的名称（default、example-bureau）或单位自己的 Word 模板（.docx）。")


@main.command(context_settings=CONTEXT, options_metavar=OPTIONS)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="文件")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="报告",
              help="报告保存路径（.docx）；不指定时为 <文件名>_自评报告.docx。")
@rules_option
@template_option
def report(file: Path, output: Path | None, rules_path: Path | None, report_template: Path | None) -> None:
    """按审核后的报表数据生成部门整体绩效自评报告（Word 草稿）。

    所有数字取自审核核定的结果；需要单位自己撰写的部分留有黄色标注的【请填写：…】。
    报表尚有错误时，报告开头会注明。
    """
    from selfeval_xl.core.numbers import fmt_score
    from selfeval_xl.outputs.word_report import ReportTemplateError, report_name, write_report

    a = _assess(file, _given_rules(rules_path))
    if a is None:
        sys.exit(3)
    if a.failed:
        f = a.failure
        raise click.ClickException(f"{file} 无法审核（{f.code}）{f.message}" if f else f"{file} 无法审核")
    out = output or file.with_name(report_name(file))
    if out.suffix.lower() != ".docx":
        raise click.BadParameter(f"“{out.name}”不是 .docx 文件名。", param_hint="-o/--output")
    try:
        write_report(a, a.rules or _rules(rules_path), out, report_template)
    except ReportTemplateError as exc:
        raise click.BadParameter(str(exc), param_hint="--template") from None
    except OSError as exc:
        raise click.ClickException(f"无法写入报告 {out}：{exc.strerror or exc}") from None
    sc = a.scores
    assert sc is not None
    note = f"（报表尚有 {a.errors} 项错误，报告开头已注明）" if a.errors else ""
    grade = f"{sc.grade}，暂定" if sc.provisional else sc.grade
    click.echo(f"已生成自评报告：{out}（核定总分 {fmt_score(sc.total)}，{grade}）{note}")


class ProgressLine:
    """A progress bar with done / failed counts on stderr (a line every 10% when not a terminal)."""

    def __init__(self, label: str = "审核"):
        import time

        self.label = label
        self.tty = sys.stderr.isatty()
        self.start = time.monotonic()
        self.last_step = -1
        self.last_draw = 0.0

    def __call__(self, done: int, failed: int, total: int) -> None:
        import time

        now = time.monotonic()
        elapsed = now - self.start
        if self.tty:
            if now - self.last_draw < 0.1 and done < total:
                return
            self.last_draw = now
            width = 30
            filled = int(width * done / total) if total else width
            rate = done / elapsed if elapsed > 0 else 0
            eta = f"，约剩 {(total - done) / rate:.0f} 秒" if rate and done < total else ""
            sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                             f"完成 {done - failed} 失败 {failed}{eta}   ")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        else:
            step = int(10 * done / total) if total else 10
            if step != self.last_step:
                self.last_step = step
                click.echo(f"{self.label}：{done}/{total}，完成 {done - failed}，失败 {failed}（{elapsed:.1f} 秒）", err=True)


@main.command(context_settings=CONTEXT, options_metavar=OPTIONS)
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="文件夹")
@click.option("-o", "--output-dir", required=True, type=click.Path(file_okay=False, path_type=Path), metavar="文件夹",
              help="输出文件夹：审核副本、results.json、findings.csv 和 审核汇总.xlsx。")
@click.option("--jobs", "-j", type=click.IntRange(0, 256), default=0, show_default=True, metavar="进程数",
              help="并行进程数；0 表示每个 CPU 核一个。")
@rules_option
@click.option("--timeout", type=click.FloatRange(1, 3600), default=60, show_default=True, metavar="秒",
              help="每个文件的时间上限（秒）。")
@click.option("--memory", "memory_mb", type=click.IntRange(0, 1 << 20), default=1024, show_default=True, metavar="MB",
              help="每个进程的内存上限（MB）；0 表示不限制。Windows 没有这种限制，此项不起作用。")
@click.option("--previous", type=click.Path(exists=True, path_type=Path), default=None, metavar="上年结果",
              help="上年 batch 的输出文件夹或其中的 results.json：指标值比上年降低的报 C603。")
@click.option("--reports", is_flag=True, help="同时为每个审核的单位生成自评报告草稿（输出文件夹/自评报告/）。")
@template_option
def batch(directory: Path, output_dir: Path, jobs: int, rules_path: Path | None, timeout: float, memory_mb: int,
          previous: Path | None, reports: bool, report_template: Path | None) -> None:
    """批量审核一个文件夹（含子文件夹）中的所有文件。

    \b
    每个文件在独立进程中审核评分（有时间和内存上限），写出审核副本到 输出文件夹/审核副本/，
    并写出 results.json、findings.csv、not_audited.json 和审核汇总工作簿 审核汇总.xlsx。
    中断后再次运行会跳过已完成的文件。

    \b
    文件夹中的每个文件都有交代：没有审核的（符号链接、隐藏文件夹、无法读取的文件、锁定文件、
    此前批量审核的输出等）逐项列出原因。输出文件夹中只覆盖本程序写出的文件。
    退出码：全部审核且无错误为 0；有文件处理失败、有“错误”、有可能是申报表的文件没有审核，
    或要求的自评报告有未能生成的时为 1；
    文件夹中没有可审核的文件，或输出文件夹中有不能安全写入的位置时为 2。
    """
    from selfeval_xl.batch.across_process import PreviousResultsError
    from selfeval_xl.batch.children import Stopped
    from selfeval_xl.batch.output_folder import OutputBusy, OutputError
    from selfeval_xl.batch.run import run_batch
    from selfeval_xl.batch.tasks import BatchOptions, BatchRefused, NothingToAudit

    _rules(rules_path)  # a bad rule file is a usage error before any work starts
    if output_dir.resolve() == directory.resolve():
        raise click.UsageError("输出文件夹不能与输入文件夹相同。")
    options = BatchOptions(jobs=jobs, timeout=timeout, memory_mb=memory_mb, rules_path=rules_path, previous=previous,
                           reports=reports, report_template=report_template)
    try:
        result = run_batch(directory, output_dir, options, progress=ProgressLine())
    except PreviousResultsError as exc:  # raised before any work starts
        raise click.BadParameter(str(exc), param_hint="--previous") from None
    except NothingToAudit as exc:  # as check says it: nothing written
        raise click.UsageError(str(exc)) from None
    except BatchRefused as exc:  # nothing written
        raise Refused(str(exc)) from None
    except (OutputError, OutputBusy) as exc:  # the output folder cannot be written, or another batch writes it
        _say(f"错误：{exc}")
        sys.exit(2)
    except (Stopped, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, Stopped) else int(signal.SIGINT)
        _say(f"\n已停止（收到信号 {signum}）。已完成的文件已记下：再次运行同一命令，会从中断处继续。")
        sys.exit(128 + signum)
    from selfeval_xl.batch.tasks import ERROR_LOG, NOT_AUDITED_JSON, SUMMARY_XLSX

    n = len(result.statuses)
    scored = n - result.failed - result.internal
    unaudited = result.unaudited_files
    click.echo(f"共 {n + unaudited} 个文件：审核 {scored} 个（其中有错误 {result.with_errors} 个），处理失败 {result.failed} 个，"
               f"未审核 {unaudited} 个；本次处理 {result.processed} 个，跳过已完成 {result.skipped} 个，"
               f"用时 {result.seconds:.1f} 秒。")
    if result.unaudited:
        _echo_unaudited(result.unaudited, f"{result.outdir / SUMMARY_XLSX} 的“未审核文件”表和 {result.outdir / NOT_AUDITED_JSON}")
    if result.reports_missing:
        _echo_missing_reports(result, f"{result.outdir / SUMMARY_XLSX} 的“处理失败”表和 results.json 的 report_error")
    if result.internal:
        click.echo(f"有 {result.internal} 个文件因程序内部错误未能审核（不是文件的问题）：详情见 {result.outdir / ERROR_LOG}，"
                   "请发给技术支持。", err=True)
    if result.across_not_made:
        click.echo(f"注意：{result.across_not_made}", err=True)
    click.echo(f"审核汇总：{result.outdir / SUMMARY_XLSX}")
    sys.exit(result.exit_code)


#: how many of the things not audited the console names (all are in the summary and not_audited.json)
SHOWN_UNAUDITED = 20


def _echo_unaudited(unaudited: list, where: str) -> None:
    """What was not audited, one line each (a name as one line, whatever it holds), as the batch
    orders it: what might be a submission first."""
    from selfeval_xl.core.sanitize import display_name

    click.echo(f"未审核的文件或文件夹 {len(unaudited)} 项（完整清单见 {where}）：")
    for u in unaudited[:SHOWN_UNAUDITED]:
        mark = "【需核实】" if u.blocking else ""
        click.echo(f"  {mark}{display_name(u.file)}：{u.reason}。")
    if len(unaudited) > SHOWN_UNAUDITED:
        click.echo(f"  ……另有 {len(unaudited) - SHOWN_UNAUDITED} 项。")


def _echo_missing_reports(result: BatchResult, where: str) -> None:
    """The units audited whose 自评报告 draft is missing, one line each (a name as one line)."""
    click.echo(f"有 {result.reports_missing} 个单位已审核评分，但自评报告未能生成（报告模板用于这些单位的数据时出错），"
               f"完整清单见 {where}：")
    for file, why in result.missing_reports:
        click.echo(f"  {file}：{why}")
    if result.reports_missing > len(result.missing_reports):
        click.echo(f"  ……另有 {result.reports_missing - len(result.missing_reports)} 个。")


def _say(message: str) -> None:
    """A message on stderr that a closed console (SIGHUP) does not turn into a traceback."""
    try:
        click.echo(message, err=True)
    except OSError:
        pass


@main.command(context_settings=CONTEXT, options_metavar=OPTIONS)
@click.argument("results", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path), metavar="结果...")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="文件",
              help="汇总工作簿保存路径（.xlsx）。")
@click.option("--dept", "depts", multiple=True, metavar="主管部门", help="只汇总这个主管部门的单位（可重复给出）。")
@click.option("--units", "units", default="", metavar="编码,...", help="只汇总这些单位编码（逗号分隔）。")
def consolidate(results: tuple[Path, ...], output: Path, depts: tuple[str, ...], units: str) -> None:
    """汇总多个批量审核结果（各下级财政或各年度），供财政部门合并汇总。

    结果 是 batch 的输出文件夹或其中的 results.json。按主管部门分组小计、排名、等级分布、
    历年对比和预算汇总；同一年度重复的单位编码单独列出，不合并。
    默认汇总全部单位；--dept 只汇总指定主管部门，--units 只汇总指定单位：其中在结果里没有找到的逐个列出，
    汇总照常写出，退出码为 1；一个也没有找到时不写汇总，退出码为 2。
    """
    from selfeval_xl.outputs.consolidation import ConsolidationError
    from selfeval_xl.outputs.consolidation import consolidate as run

    if depts and units:
        raise click.UsageError("--dept 和 --units 只能选一个。")
    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter(f"“{output.name}”不是 .xlsx 文件名：汇总是 Excel 工作簿，请写成如 汇总.xlsx。",
                                 param_hint="-o/--output")
    try:
        info = run(results, output, depts=depts, units_wanted=units.replace("，", ",").split(","))
    except ConsolidationError as exc:
        raise click.UsageError(str(exc)) from None
    dup = f"，同一单位同一年度内容不同的 {info['duplicates']} 份列为待核实（未计入）" if info["duplicates"] else ""
    if info["identical"]:
        dup += f"，内容相同的重复 {info['identical']} 份只计一次"
    click.echo(f"已汇总 {info['inputs']} 个批量结果、{info['units']} 个单位{dup}：{output}")
    if info["unmatched"]:
        what = "主管部门" if depts else "单位编码"
        click.echo(f"注意：要求汇总的{what} {'、'.join(info['unmatched'])} 在结果中没有找到，汇总中没有它们"
                   "（汇总工作簿的“说明”中也已注明）。请核对后重新汇总。", err=True)
        sys.exit(1)


@main.group(context_settings=CONTEXT, options_metavar=OPTIONS, subcommand_metavar="命令 [参数]...")
def rules() -> None:
    """评分细则：列出内置细则、查看细则、核对细则自带的例子、输出细则文件的结构定义（JSON Schema）。"""


@rules.command("list", context_settings=CONTEXT, options_metavar=OPTIONS)
def rules_list() -> None:
    """列出内置的评分细则，每行一个：名称、表名、类别及权重、出处。"""
    from selfeval_xl.rules.model import bundled

    for name, path in bundled().items():
        r = _rules(path)
        cats = " / ".join(f"{c.name} {c.weight:g}" for c in r.categories)
        click.echo(f"{name}\t{r.title}（{r.version}）\t{cats}\t{r.about}")


@rules.command("show", context_settings=CONTEXT, options_metavar=OPTIONS)
@click.argument("name", metavar="名称")
def rules_show(name: str) -> None:
    """以 YAML 输出一套内置细则（可复制后修改，用 --rules 文件 使用）。"""
    from selfeval_xl.rules.model import bundled

    sets = bundled()
    if name not in sets:
        raise click.BadParameter(f"没有名为“{name}”的内置评分细则（可用：{'、'.join(sets)}）。", param_hint="名称")
    click.echo(sets[name].read_text(encoding="utf-8"), nl=False)


@rules.command("test", context_settings=CONTEXT, options_metavar=OPTIONS)
@click.argument("file", metavar="细则")
def rules_test(file: str) -> None:
    """核对评分细则文件自带的例子：按文件逐一计算，报告与例子不一致之处。

    细则 是内置细则的名称或 YAML 文件。例子写在文件的 examples（逐项：一个指标的填写和原文给出的核定得分）
    和 forms（整表：一个单位的填写和原文给出的总分）中。有不一致时退出码为 1。
    """
    from selfeval_xl.check.examples import report, run_examples
    from selfeval_xl.rules.model import bundled

    rules = _rules(_bundled_or_file(file, bundled(), "", "没有名为“{value}”的内置评分细则（可用：{names}），也没有这个文件。", "评分细则"))
    results = run_examples(rules)
    click.echo(report(rules, results))
    if any(not r.ok for r in results):
        sys.exit(1)


@rules.command("schema", context_settings=CONTEXT, options_metavar=OPTIONS)
def rules_schema() -> None:
    """以 JSON Schema 输出评分细则文件的结构定义（编辑器可用它检查 YAML）。"""
    import json

    from selfeval_xl.rules.schema import json_schema

    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


def reference() -> str:
    """docs/cli.md: every command's ``--help``, as the command line prints it (made by
    scripts/make_docs.py; a test fails when it is stale)."""
    out = ["# 命令行参考 (CLI reference)\n\n",
           "Generated from `--help` by `python scripts/make_docs.py`; do not edit by hand.\n"]

    def walk(command: click.Command, path: list[str]) -> None:
        settings = {**command.context_settings, "terminal_width": 100, "max_content_width": 100}
        with click.Context(command, info_name=" ".join(path), **settings) as ctx:
            text = command.get_help(ctx)
        out.append(f"\n## {' '.join(path)}\n\n```\n{text}\n```\n")
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None:
                    walk(sub, [*path, name])

    walk(main, ["selfeval-xl"])
    return "".join(out)


def run() -> None:
    """The console entry point: streams that never lose a report to an encoding error, then the commands."""
    safe_streams()
    main()


if __name__ == "__main__":  # pragma: no cover
    run()

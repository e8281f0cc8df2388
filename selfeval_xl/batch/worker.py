"""One file, in a worker process: assessed, its scored copy (and report) written, its result
packed for the journal; the worker's limits and set-up."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from selfeval_xl.batch.children import process_setup
from selfeval_xl.batch.manifest import NOFOLLOW, SCRATCH, install, write_output
from selfeval_xl.batch.output_folder import OutputError, writing
from selfeval_xl.batch.tasks import ERROR_LOG, INTERNAL, FileTask
from selfeval_xl.check.intake import Limits
from selfeval_xl.core.findings import Finding, file_finding
from selfeval_xl.outputs.results import FindingCounts, ResultFinding, UnitResult, unit_result
from selfeval_xl.outputs.results_file import MAX_RESULT_BYTES
from selfeval_xl.rules.model import Rules, load_rules

# One file, in a worker


def failure(task: FileTask, code: str, detail: str = "", rules_version: str = "") -> UnitResult:
    """The result of a file the batch could not take in: its F-finding, no "rules" nor "limits"."""
    return UnitResult(task.rel, task.sha256, rules_version=rules_version, status="failed", counts=FindingCounts(errors=1),
                      findings=(ResultFinding.of(file_finding(code, detail)),), copy="")


def _internal(task: FileTask, exc: BaseException, rules_version: str) -> UnitResult:
    """The result of a file our own code failed on: no finding for the department."""
    return replace(failure(task, "F009", "", rules_version), status=INTERNAL, findings=(), counts=FindingCounts(),
                   internal_error=f"{type(exc).__name__}: {str(exc)[:200]}")


@dataclass(frozen=True)
class Processed:
    """One file done: its result, and what travels with it to the journal."""

    result: UnitResult
    extras: dict[str, Any] = field(default_factory=dict)  # what the checks across the batch need of it
    cross: str = ""  # the digest of the findings across the batch it was scored with
    traceback: str = ""  # for an internal error: what the log gets


def process_file(task: FileTask, rules: Rules | None, limits: Limits, outdir: Path,
                 report_template: Path | None = None) -> Processed:
    """Check and score one file (by ``rules``, or None: by the rule set its template names), with
    the task's findings across the batch, and write its scored copy; its result (the object of
    results.json), and what the checks across the batch need of it."""
    from selfeval_xl.batch.across import extras_of
    from selfeval_xl.check.assess import assess, with_findings
    from selfeval_xl.outputs.scored_copy import scored_copy_bytes

    a = assess(task.path, rules, limits)
    if task.extra and not a.failed:
        a = with_findings(a, [Finding.of(f) for f in task.extra])
    result = replace(unit_result(a), file=task.rel, sha256=task.sha256, copy="")
    if not a.failed:
        with writing(outdir / task.copy_rel):
            write_output(outdir, task.copy_rel, scored_copy_bytes(a), durable=False)  # synced at the batch's end
        result = replace(result, copy=task.copy_rel)
        if task.report_rel:
            from selfeval_xl.outputs.word_report import ReportTemplateError, write_report

            tmp = outdir / SCRATCH / f".tmp-draft-{os.getpid()}.docx"
            try:
                with writing(outdir / task.report_rel):
                    write_report(a, a.rules or load_rules(), tmp, report_template)
                    install(outdir, tmp, task.report_rel, durable=False)
                result = replace(result, report=task.report_rel)
            except ReportTemplateError as exc:  # the bureau's template, not the file: the file stays audited
                tmp.unlink(missing_ok=True)
                result = replace(result, report_error=str(exc))
    extras = extras_of(a.submission) if a.submission is not None and not a.failed else {}
    return Processed(result, extras, task.cross)


@dataclass(frozen=True)
class Packed:
    """A file's result as it travels and is kept: its JSON (compact UTF-8) and the few fields the
    batch itself looks at."""

    status: str
    copy: str
    code: str  # the first finding's code ('' for none)
    sha256: str
    payload: bytes
    traceback: str = ""  # for an internal error: what the log gets
    extras: bytes = b"{}"  # what the checks across the batch need of the file (JSON)
    cross: str = ""  # the digest of the findings across the batch it was scored with
    scored_by: str = ""  # the rule set it was scored by (its "rules"; '' for a file not scored)


def pack(done: Processed) -> Packed:
    """A file done as it travels to the parent and is kept in the journal: its result's JSON."""
    result, extras = done.result, done.extras
    payload = json.dumps(result.to_json_dict(), ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(payload) > MAX_RESULT_BYTES:  # results.json is read back a result at a time, each within this bound
        result = _too_large(result, len(payload))
        payload = json.dumps(result.to_json_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        extras = {}
    code = result.findings[0].code if result.findings else ""
    return Packed(result.status, result.copy or "", code, result.sha256, payload, done.traceback,
                  json.dumps(extras, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), done.cross,
                  (result.rules or "") if result.status in ("ok", "errors") else "")


def _too_large(result: UnitResult, size: int) -> UnitResult:
    """The result of a file whose result is larger than results.json holds: F006, nothing else."""
    task = FileTask(0, "", result.file, result.sha256, "")
    return failure(task, "F006", f"审核结果有 {size / (1 << 20):.0f} MiB（指标行或问题过多），超过每个文件 "
                                  f"{MAX_RESULT_BYTES >> 20} MiB 的限制", result.rules_version)


def worker_setup(log_path: Path, memory_mb: int) -> None:
    """What every worker process does first: its stderr to the log, Ctrl-C left to the parent, its
    memory limited, the XML defences proved."""
    import faulthandler

    faulthandler.disable()  # a crash is reported as F009; no traceback dump on the console
    try:
        log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | NOFOLLOW, 0o666)  # never through a link
    except OSError:  # the output folder cannot be written (or a link was put at the log): the batch says so at the first copy
        log = os.open(os.devnull, os.O_WRONLY)
    os.dup2(log, 2)  # whatever a library prints goes to the log, not the user's console
    os.close(log)
    sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False, buffering=1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    process_setup(memory_mb)
    from selfeval_xl.check.intake import check_xml_defences

    check_xml_defences()  # the parser every part goes through refuses DTDs


def rules_for_files(rules_path: str | None) -> tuple[Rules | None, Rules]:
    """What a worker scores the files by: the rule set --rules names, for every file; without it
    None (each file by the rule set its template version names: assess loads each bundled set once
    and keeps it). And the set whose version a file that cannot be read is reported under."""
    given = load_rules(rules_path) if rules_path else None
    return given, given or load_rules()


def worker(conn: Connection, rules_path: str | None, limits: Limits, memory_mb: int, outdir: str,
            report_template: str | None = None) -> None:
    import traceback

    worker_setup(Path(outdir) / ERROR_LOG, memory_mb)
    given, rules = rules_for_files(rules_path)
    out = Path(outdir)

    def handle(task: FileTask) -> Packed | OutputError:
        try:
            done = process_file(task, given, limits, out, Path(report_template) if report_template else None)
        except OutputError as exc:  # not the file's fault, nor ours: the batch stops and says so
            return exc
        except MemoryError:
            done = Processed(failure(task, "F009", f"内存超出每个文件 {memory_mb} MB 的限制", rules.version))
        except Exception as exc:
            done = Processed(_internal(task, exc, rules.version), traceback=f"{task.rel}\n{traceback.format_exc()}")
        written = [done.result.copy, done.result.report]
        packed = pack(done)
        if packed.code == "F006" and written[0]:  # a result too large to keep (_too_large): nor are its outputs
            for rel in filter(None, written):
                (out / rel).unlink(missing_ok=True)
        return packed

    serve(conn, handle)


def serve(conn: Connection, handle: Callable[[FileTask], Any]) -> None:
    """A worker's loop: each task received is answered with ``handle(task)``, until the parent
    sends None or goes away."""
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        answer = handle(task)
        try:
            conn.send(answer)
        except (OSError, ValueError):
            return


# ---------------------------------------------------------------------------------------------

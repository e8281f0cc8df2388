"""Batch: every file under a folder through the pipeline, in worker processes.

``run_batch(indir, outdir)`` finds every file under ``indir`` (recursively), checks and scores each
in a worker process with a time and a memory limit, writes each scored copy under
``outdir/审核副本/`` atomically, and then the batch's outputs: ``results.json`` (the check JSON
objects), ``findings.csv`` and the auditor's summary workbook ``审核汇总.xlsx``.

One file that hangs (F008), crashes its worker or exhausts its memory (F009) costs that file only:
the worker is replaced and the batch goes on. Each finished file is appended to a journal in
``outdir``; run again, a batch skips every file whose result is complete (same path, same content,
same rules) and ends with the same outputs. Nothing under ``indir`` is ever written.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import signal
import stat
import sys
import time
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, cast

from selfeval_xl.batch.children import close_end, context, exit_text, process_setup, start, stopped_by_signals
from selfeval_xl.batch.inventory import Input, Inventory, Unaudited, take_inventory
from selfeval_xl.batch.manifest import NOFOLLOW, SCRATCH, OutputPathError, compact, guard, install, prepare, sha256_file, write_output
from selfeval_xl.batch.output_folder import OutputError, output_lock, writing
from selfeval_xl.check.intake import Limits
from selfeval_xl.core.findings import Finding, file_finding
from selfeval_xl.core.sanitize import NAME_BYTES, append_to, atomic_write, csv_cell, display_name, fit_chars, log_entry, safe_filename
from selfeval_xl.rules.model import Rules, load_rules, rules_name

__all__ = [
    "COPIES_DIR",
    "ERROR_LOG",
    "FINDINGS_CSV",
    "INTERNAL",
    "JOURNAL",
    "NOT_AUDITED_JSON",
    "RESULTS_JSON",
    "SUMMARY_XLSX",
    "BatchOptions",
    "BatchRefused",
    "BatchResult",
    "Checked",
    "NothingToAudit",
    "check_in_workers",
    "find_inputs",
    "process_file",
    "run_batch",
    "write_findings_csv",
]

COPIES_DIR = "审核副本"
JOURNAL = ".selfeval-journal.jsonl"
#: where a batch writes the tracebacks of its own errors (a bug of ours, never the department's)
ERROR_LOG = "内部错误.log"
INTERNAL = "internal"
RESULTS_JSON = "results.json"
FINDINGS_CSV = "findings.csv"
SUMMARY_XLSX = "审核汇总.xlsx"
#: what under the input folder was not audited, and why (the summary's 未审核文件 sheet shows it too)
NOT_AUDITED_JSON = "not_audited.json"
#: a scored copy's or report's path under the output folder stays within this many characters (for
#: input folders nested up to nine deep), and a mirrored folder's name within FOLDER_CHARS, so that the
#: whole path stays under Windows' 260 (Excel opens no path over 218) with an output folder of up to
#: about 50 characters
REL_CHARS = 160
FOLDER_CHARS = 40


class BatchRefused(OutputPathError):
    """A batch that cannot start (outputs that would land among the inputs, a path in the way, or
    nothing to audit): nothing was written; the message is in Chinese."""


class NothingToAudit(BatchRefused):
    """The input folder holds no file to audit."""


@dataclass(frozen=True)
class BatchOptions:
    jobs: int = 0  # worker processes; 0: one per core
    timeout: float = 60.0  # seconds per file
    memory_mb: int = 1024  # address space per worker
    limits: Limits = field(default_factory=Limits)
    rules_path: Path | None = None
    summary: bool = True
    previous: Path | None = None  # last year's results (a batch's output folder or its results.json): C603
    reports: bool = False  # a 自评报告 draft of every scored unit, under REPORTS_DIR
    report_template: Path | None = None


@dataclass(slots=True)
class FileTask:
    index: int
    path: str  # absolute
    rel: str  # relative to the input folder, '/'-separated
    sha256: str
    copy_rel: str  # the scored copy, relative to the output folder
    report_rel: str = ""  # the 自评报告 draft, relative to the output folder ('' for none)
    extra: tuple[dict[str, str], ...] = ()  # findings across the batch (C601, C603) to add
    cross: str = ""  # their digest, kept in the journal


@dataclass
class BatchResult:
    outdir: Path
    statuses: list[str]  # "ok" / "errors" / "failed" / "internal", one per file in input order
    skipped: int = 0  # complete from an earlier run
    processed: int = 0
    seconds: float = 0.0
    outputs_seconds: float = 0.0  # results.json, findings.csv and the summary
    summary_seconds: float = 0.0  # the summary workbook alone
    unaudited: list[Unaudited] = field(default_factory=list)  # what under the input folder was not audited
    across_not_made: str = ""  # why the checks across the batch could not be made ('' when they were)
    reports_missing: int = 0  # scored units whose 自评报告 draft the bureau's template could not render
    #: the first SHOWN_MISSING_REPORTS of them: (file as one line, why)
    missing_reports: list[tuple[str, str]] = field(default_factory=list)

    @property
    def unaudited_files(self) -> int:
        return sum(u.files for u in self.unaudited)

    @property
    def results(self) -> list[dict[str, Any]]:
        """The result objects (read from results.json when asked for: a batch keeps none)."""
        if not hasattr(self, "_results"):
            self._results = json.loads((self.outdir / RESULTS_JSON).read_text(encoding="utf-8"))
        return self._results

    @property
    def failed(self) -> int:
        return self.statuses.count("failed")

    @property
    def with_errors(self) -> int:
        return self.statuses.count("errors")

    @property
    def internal(self) -> int:
        """Files our own code failed on (see ERROR_LOG)."""
        return self.statuses.count(INTERNAL)

    @property
    def exit_code(self) -> int:
        """intake.md: 1 when some file failed or has errors, when something under the input folder
        that might be a submission was not audited (a link, a pipe, an unreadable file, a hidden
        folder), or when the checks across the batch could not be made; 0 when every submission was
        audited and is clean (and every 自评报告 asked for was written)."""
        return 1 if (any(s != "ok" for s in self.statuses) or any(u.blocking for u in self.unaudited)
                     or self.across_not_made or self.reports_missing) else 0


Progress = Callable[[int, int, int], None]  # (done, failed, total)
#: what C603 needs of last year's results: unit code -> (year, {三级指标: 指标值})
Previous = dict[str, tuple[Any, dict[str, str]]]


# ---------------------------------------------------------------------------------------------
# Finding the inputs


def find_inputs(indir: Path, outdir: Path | None = None) -> list[Path]:
    """The files under ``indir`` a batch audits, sorted (see ``inventory.take_inventory``)."""
    return [i.path for i in take_inventory(Path(indir).resolve(), outdir).inputs]


def _plan_tasks(indir: Path, inputs: list[Input], reports: bool = False) -> list[FileTask]:
    """Tasks in input order. A scored copy (and report) mirrors its input's folders under 审核副本
    (自评报告); every name is one every file system takes (``safe_filename``: Windows' forbidden
    characters and device names, 255 bytes), a mirrored folder's name at most FOLDER_CHARS
    characters and the whole path at most REL_CHARS, shortened with a short hash where needed; no two
    outputs share a path, compared as Windows and macOS compare names (case and Unicode form)."""
    from selfeval_xl.outputs.scored_copy import COPY_SUFFIX
    from selfeval_xl.outputs.word_report import REPORT_SUFFIX, REPORTS_DIR

    real = [i.path.relative_to(indir).as_posix() for i in inputs]  # the names on disk, not as text
    folders = _mirrored_folders(real)
    suffix_chars = max(len(COPY_SUFFIX), len(REPORT_SUFFIX))
    suffix_bytes = max(len(COPY_SUFFIX.encode()), len(REPORT_SUFFIX.encode()))
    used = {_key(f) for f in folders.values() if f}  # a copy never takes a mirrored folder's path
    tasks = []
    for index, (i, rel) in enumerate(zip(inputs, real, strict=True)):
        folder = folders[rel.rpartition("/")[0]]
        room = max(24, REL_CHARS - len(COPIES_DIR) - 1 - (len(folder) + 1 if folder else 0) - suffix_chars)
        stem = i.path.stem if i.path.suffix else i.path.name
        base = fit_chars(safe_filename(stem, NAME_BYTES - suffix_bytes - 4), room, key=stem)
        n = 1
        while True:
            tag = f"_{n}" if n > 1 else ""
            name = (fit_chars(base, room - len(tag), key=stem) if tag else base) + tag
            within = f"{folder}/{name}" if folder else name
            if _key(within + COPY_SUFFIX) not in used and _key(within + REPORT_SUFFIX) not in used:
                break
            n += 1
        used.update((_key(within + COPY_SUFFIX), _key(within + REPORT_SUFFIX)))
        copy = f"{COPIES_DIR}/{within}{COPY_SUFFIX}"
        report = f"{REPORTS_DIR}/{within}{REPORT_SUFFIX}" if reports else ""
        tasks.append(FileTask(index, str(i.path), i.rel, i.sha256, copy, report))
    return tasks


#: the characters a mirrored folder path may take, leaving a file name of 24 and the longest suffix
_FOLDERS_CHARS = REL_CHARS - len(COPIES_DIR) - 1 - 24 - len("_自评报告.docx") - 1


def _mirrored_folders(rels: list[str]) -> dict[str, str]:
    """Each input folder (relative, '/'-separated; '' the input folder) -> its mirror under the
    output's folders: every name made safe, at most FOLDER_CHARS characters and shorter where the
    folders nest deep (down to 12, so that nine levels fit in REL_CHARS); folders whose mirrors a
    case-insensitive file system would take for one are one folder, spelt as the first."""
    levels: dict[str, int] = {}  # folder -> how many folders deep its deepest file lies, from it
    for rel in rels:
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/".join(parts[:i])
            levels[folder] = max(levels.get(folder, 0), len(parts) - i + 1)
    out: dict[str, str] = {"": ""}
    spelt: dict[str, str] = {}
    for rel in rels:
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/".join(parts[:i])
            if folder in out:
                continue
            parent = out["/".join(parts[:i - 1])]
            room = min(FOLDER_CHARS, max(12, (_FOLDERS_CHARS - len(parent)) // levels[folder] - 1))
            name = fit_chars(safe_filename(parts[i - 1]), room, key=parts[i - 1])
            mirror = f"{parent}/{name}".lstrip("/")
            out[folder] = spelt.setdefault(_key(mirror), mirror)
    return out


def _key(path: str) -> str:
    """A path as Windows and macOS compare names: case and Unicode normal form ignored."""
    import unicodedata

    return unicodedata.normalize("NFC", path).casefold()


# ---------------------------------------------------------------------------------------------
# One file, in a worker


def _failure(task: FileTask, code: str, detail: str = "", rules_version: str = "") -> dict[str, Any]:
    f = file_finding(code, detail)
    return {
        "file": task.rel, "sha256": task.sha256, "unit_code": "", "unit_name": "", "competent_dept": "",
        "year": None, "rules_version": rules_version, "status": "failed", "self_total": None, "total": None,
        "self_grade": "", "grade": "", "rescaled": False, "provisional": [], "categories": {}, "self_categories": {},
        "counts": {"错误": 1, "警告": 0, "提示": 0}, "budget": {}, "rates": {}, "rows": [], "findings": [f.to_dict()], "copy": "",
    }


def _internal(task: FileTask, exc: BaseException, rules_version: str) -> dict[str, Any]:
    """The result of a file our own code failed on: no finding for the department."""
    out = _failure(task, "F009", "", rules_version)
    out.update(status=INTERNAL, findings=[], counts={"错误": 0, "警告": 0, "提示": 0},
               internal_error=f"{type(exc).__name__}: {str(exc)[:200]}")
    return out


def process_file(task: FileTask, rules: Rules | None, limits: Limits, outdir: Path,
                 report_template: Path | None = None) -> dict[str, Any]:
    """Check and score one file (by ``rules``, or None: by the rule set its template names), with
    the task's findings across the batch, and write its scored copy; the result object of
    results.json, and under ``_extras`` what the checks across the batch need of it."""
    from selfeval_xl.batch.across import extras_of
    from selfeval_xl.check.assess import assess, with_findings
    from selfeval_xl.outputs.scored_copy import scored_copy_bytes

    a = assess(task.path, rules, limits)
    if task.extra and not a.failed:
        a = with_findings(a, [Finding.of(f) for f in task.extra])
    result = a.to_dict()
    result["file"] = task.rel
    result["sha256"] = task.sha256
    result["copy"] = ""
    if not a.failed:
        with writing(outdir / task.copy_rel):
            write_output(outdir, task.copy_rel, scored_copy_bytes(a), durable=False)  # synced at the batch's end
        result["copy"] = task.copy_rel
        if task.report_rel:
            from selfeval_xl.outputs.word_report import ReportTemplateError, write_report

            tmp = outdir / SCRATCH / f".tmp-draft-{os.getpid()}.docx"
            try:
                with writing(outdir / task.report_rel):
                    write_report(a, a.rules or load_rules(), tmp, report_template)
                    install(outdir, tmp, task.report_rel, durable=False)
                result["report"] = task.report_rel
            except ReportTemplateError as exc:  # the bureau's template, not the file: the file stays audited
                tmp.unlink(missing_ok=True)
                result["report_error"] = str(exc)
    result["_extras"] = extras_of(a.submission) if a.submission is not None and not a.failed else {}
    result["_cross"] = task.cross
    return result


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


def _packed(result: dict[str, Any]) -> Packed:
    trace = result.pop("traceback", "")
    extras = result.pop("_extras", {})
    cross = result.pop("_cross", "")
    payload = json.dumps(result, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(payload) > MAX_RESULT_BYTES:  # results.json is read back a result at a time, each within this bound
        result = _too_large(result, len(payload))
        payload = json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        extras = {}
    code = result["findings"][0]["code"] if result["findings"] else ""
    return Packed(result["status"], result.get("copy", ""), code, result["sha256"], payload, trace,
                  json.dumps(extras, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), cross,
                  result.get("rules", "") if result["status"] in ("ok", "errors") else "")


def _too_large(result: dict[str, Any], size: int) -> dict[str, Any]:
    """The result of a file whose result is larger than results.json holds: F006, nothing else."""
    task = FileTask(0, "", result["file"], result["sha256"], "")
    return _failure(task, "F006", f"审核结果有 {size / (1 << 20):.0f} MiB（指标行或问题过多），超过每个文件 "
                                  f"{MAX_RESULT_BYTES >> 20} MiB 的限制", result.get("rules_version", ""))


def _worker_setup(log_path: Path, memory_mb: int) -> None:
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


def _worker(conn: Connection, rules_path: str | None, limits: Limits, memory_mb: int, outdir: str,
            report_template: str | None = None) -> None:
    import traceback

    _worker_setup(Path(outdir) / ERROR_LOG, memory_mb)
    given, rules = rules_for_files(rules_path)
    out = Path(outdir)

    def handle(task: FileTask) -> Packed | OutputError:
        try:
            result = process_file(task, given, limits, out, Path(report_template) if report_template else None)
        except OutputError as exc:  # not the file's fault, nor ours: the batch stops and says so
            return exc
        except MemoryError:
            result = _failure(task, "F009", f"内存超出每个文件 {memory_mb} MB 的限制", rules.version)
        except Exception as exc:
            result = _internal(task, exc, rules.version)
            result["traceback"] = f"{task.rel}\n{traceback.format_exc()}"
        written = [result.get("copy"), result.get("report")]
        packed = _packed(result)
        if packed.code == "F006" and written[0]:  # a result too large to keep (_too_large): nor are its outputs
            for rel in filter(None, written):
                (out / rel).unlink(missing_ok=True)
        return packed

    _serve(conn, handle)


def _serve(conn: Connection, handle: Callable[[FileTask], Any]) -> None:
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
# The pool: one task per worker at a time, a deadline per task, replaced workers


@dataclass
class _Worker:
    proc: Any
    conn: Connection
    task: FileTask | None = None
    started: float = 0.0


class _Pool:
    """Worker processes running ``target(conn, *args)``: a task sent, an answer received."""

    def __init__(self, jobs: int, timeout: float, args: tuple, target: Callable[..., None] = _worker):
        self.ctx: Any = context()
        self.jobs = jobs
        self.timeout = timeout
        self.args = args
        self.target = target
        self.workers: list[_Worker] = []

    def _spawn(self) -> _Worker:
        proc, conn = start(self.ctx, self.target, self.args)
        w = _Worker(proc, conn)
        self.workers.append(w)
        return w

    def _retire(self, w: _Worker, kill: bool) -> None:
        if kill and w.proc.is_alive():
            w.proc.kill()
        w.proc.join(timeout=5)
        if w.proc.is_alive():  # it did not take its None in time
            w.proc.kill()
            w.proc.join()
        close_end(w.conn)
        self.workers.remove(w)

    def run(self, tasks: Iterable[FileTask], on_result: Callable[[FileTask, Any], None],
            on_lost: Callable[[FileTask, str, str], Any]) -> None:
        pending = deque(tasks)
        idle = [self._spawn() for _ in range(min(self.jobs, len(pending)))]
        busy: dict[Connection, _Worker] = {}
        try:
            while pending or busy:
                while pending and idle:
                    w = idle.pop()
                    w.task, w.started = pending.popleft(), time.monotonic()
                    try:
                        w.conn.send(w.task)
                        busy[w.conn] = w
                    except (OSError, ValueError):  # the worker died while idle
                        pending.appendleft(w.task)
                        self._retire(w, kill=True)
                        idle.append(self._spawn())
                now = time.monotonic()
                deadline = min(w.started + self.timeout for w in busy.values())
                for ready in wait(list(busy), timeout=max(0.0, deadline - now)):
                    conn = cast(Connection, ready)
                    w = busy.pop(conn)
                    task = w.task
                    assert task is not None
                    try:
                        result = conn.recv()
                    except (EOFError, OSError):
                        w.proc.join(timeout=5)  # the exit code is known once the process is joined
                        code = w.proc.exitcode
                        self._retire(w, kill=True)
                        how = f"被信号 {-code} 终止" if code is not None and code < 0 else f"退出码 {code}"
                        on_result(task, on_lost(task, "F009", f"读取该文件的进程意外退出（{how}）"))
                        if pending or busy:
                            idle.append(self._spawn())
                        continue
                    on_result(task, result)
                    w.task = None
                    idle.append(w)
                now = time.monotonic()
                for conn, w in list(busy.items()):
                    if now - w.started >= self.timeout:
                        busy.pop(conn)
                        task = w.task
                        assert task is not None
                        self._retire(w, kill=True)
                        on_result(task, on_lost(task, "F008", f"处理超过 {self.timeout:g} 秒"))
                        if pending or busy:
                            idle.append(self._spawn())
        finally:
            for w in list(self.workers):
                try:
                    w.conn.send(None)
                except (OSError, ValueError):
                    pass
            for w in list(self.workers):
                self._retire(w, kill=w.task is not None)


# ---------------------------------------------------------------------------------------------
# check of many files, in workers (`check --jobs`)


@dataclass(frozen=True)
class Checked:
    """One file's part of ``check``'s output, and what its exit code needs of it."""

    rendered: str  # '' after an error of ours
    errors: bool
    traceback: str = ""  # an error of ours: for the log


def _check_worker(conn: Connection, rules_path: str | None, limits: Limits, memory_mb: int, fmt: str,
                  log: str) -> None:
    import traceback

    from selfeval_xl.check.assess import assess
    from selfeval_xl.outputs.console import render_one

    _worker_setup(Path(log), memory_mb)
    given, rules = rules_for_files(rules_path)

    def handle(task: FileTask) -> Checked:
        try:
            a = assess(task.path, given, limits)
            return Checked(render_one(a, fmt), bool(a.errors))
        except MemoryError:
            return _failed_check(task, "F009", f"内存超出每个文件 {memory_mb} MB 的限制", rules, fmt)
        except Exception:
            return Checked("", False, f"--- {task.path}\n{traceback.format_exc()}")

    _serve(conn, handle)


def _failed_check(task: FileTask, code: str, detail: str, rules: Rules, fmt: str) -> Checked:
    from selfeval_xl.check.assess import Assessment
    from selfeval_xl.outputs.console import render_one

    a = Assessment(Path(task.path), findings=[file_finding(code, detail)], rules_version=rules.version)
    return Checked(render_one(a, fmt), True)


def check_in_workers(paths: list[Path], rules_path: Path | None, fmt: str, jobs: int, log: Path,
                     emit: Callable[[Checked], None], options: BatchOptions | None = None) -> None:
    """``check`` of many files in ``jobs`` worker processes, each file with the batch's time and
    memory limits (a file that hangs or crashes its worker is F008/F009, and only that file is
    lost); ``emit`` gets each file's part in the order of ``paths``."""
    options = options or BatchOptions()
    rules = load_rules(rules_path)
    waiting: dict[int, Checked] = {}
    next_index = 0

    def on_result(task: FileTask, answer: Checked) -> None:
        nonlocal next_index
        waiting[task.index] = answer
        while next_index in waiting:
            emit(waiting.pop(next_index))
            next_index += 1

    def on_lost(task: FileTask, code: str, detail: str) -> Checked:
        return _failed_check(task, code, detail, rules, fmt)

    tasks = [FileTask(i, str(p), str(p), "", "") for i, p in enumerate(paths)]
    args = (str(rules_path) if rules_path else None, options.limits, options.memory_mb, fmt, str(log))
    _Pool(jobs or os.cpu_count() or 1, options.timeout, args, target=_check_worker).run(tasks, on_result, on_lost)


# ---------------------------------------------------------------------------------------------
# The journal: what is complete


@dataclass(frozen=True, slots=True)
class _Entry:
    """A finished file in the journal: where its result's JSON and its extras are, and what the
    batch needs of it."""

    offset: int
    length: int
    status: str
    copy: str
    code: str
    sha256: str
    extras_offset: int = 0
    extras_length: int = 0
    cross: str = ""
    scored_by: str = ""


_TOOL_DIGEST: str = ""


def tool_digest() -> str:
    """A digest of the tool's own files (its code and bundled data): a batch resumed by another
    version of the tool redoes every file."""
    global _TOOL_DIGEST
    if not _TOOL_DIGEST:
        h = hashlib.sha256()
        package = Path(__file__).resolve().parent.parent  # selfeval_xl/, every stage's code and data
        for f in sorted(package.rglob("*")):
            if f.suffix in (".py", ".yaml", ".yml", ".docx", ".json") and "__pycache__" not in f.parts:
                h.update(f.relative_to(package).as_posix().encode() + b"\0" + f.read_bytes())
        _TOOL_DIGEST = h.hexdigest()
    return _TOOL_DIGEST


def journal_rules_key(rules_path: Path | None, rules: Rules) -> str:
    """What a journal entry's results depend on besides the tool: the digest of the rule file
    --rules gives, or (without it) the choice of each file's rule set by its template version."""
    return rules.digest if rules_path else "by-template-version"


#: a journal line's header: each key and the type of its value (a line with another header is not ours)
_HEADER = {"rel": str, "rules": str, "tool": str, "status": str, "copy": str, "code": str, "sha256": str,
           "cross": str, "set": str, "crc": int}
_STATUSES = frozenset({"ok", "errors", "failed", INTERNAL})


def _journal_line(task: FileTask, rules_key: str, packed: Packed) -> tuple[bytes, int]:
    """A journal line for a finished file, and where its result's JSON starts in the line."""
    crc = zlib.crc32(packed.payload + b"\t" + packed.extras)
    head = json.dumps({"rel": task.rel, "rules": rules_key, "tool": tool_digest(), "status": packed.status,
                       "copy": packed.copy, "code": packed.code, "sha256": packed.sha256, "cross": packed.cross,
                       "set": packed.scored_by, "crc": crc}, ensure_ascii=False).encode("utf-8")
    return head + b"\t" + packed.payload + b"\t" + packed.extras + b"\n", len(head) + 1


def _header(head: bytes) -> dict[str, Any] | None:
    """A journal line's header if it is one of ours (every key, of its type), else None."""
    try:
        meta = json.loads(head)
    except ValueError:  # not JSON, or not UTF-8
        return None
    if not isinstance(meta, dict) or meta.get("status") not in _STATUSES:
        return None
    if not all(type(meta.get(k)) is t for k, t in _HEADER.items()):
        return None
    return meta


def _load_journal(path: Path, rules_key: str) -> dict[str, _Entry]:
    """rel path -> the latest entry of every file finished under the same rules, by the same tool.

    A journal line is the entry's small JSON header, a tab, the result's JSON, a tab and the
    extras' JSON (JSON holds no raw tab), and a newline. A line that is not whole and ours (cut by an
    interruption, edited, damaged: a header not as written, a checksum that does not match what
    follows) is ignored: its file is done again. Raises OutputError when the journal is there but is
    not a file we can read."""
    done: dict[str, _Entry] = {}
    with writing(path):
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return done
        if not stat.S_ISREG(st.st_mode):  # a folder, a FIFO (opening it would wait forever), a link
            raise IsADirectoryError(errno.EISDIR, "不是文件", str(path))
        fh = open(path, "rb")
    with fh:
        offset = 0
        for line in fh:
            start = offset
            offset += len(line)
            parts = line.split(b"\t")
            if len(parts) != 3 or not line.endswith(b"\n"):
                continue
            head, payload, extras = parts
            meta = _header(head)
            if meta is None or meta["crc"] != zlib.crc32(payload + b"\t" + extras[:-1]):
                continue
            if meta["rules"] != rules_key or meta["tool"] != tool_digest():
                continue
            at = start + len(head) + 1
            done[meta["rel"]] = _Entry(at, len(payload), meta["status"], meta["copy"], meta["code"], meta["sha256"],
                                       at + len(payload) + 1, len(extras) - 1, meta["cross"], meta["set"])
    return done


def _complete(task: FileTask, entry: _Entry | None, outdir: Path) -> bool:
    if entry is None or entry.sha256 != task.sha256:
        return False
    if entry.status == INTERNAL or (entry.status == "failed" and entry.code in ("F008", "F009")):
        return False  # a timeout, a crash or an error of ours is tried again
    if entry.status == "failed":
        return entry.copy == ""
    return (entry.copy == task.copy_rel and (outdir / entry.copy).exists()
            and (not task.report_rel or (outdir / task.report_rel).exists()))


# ---------------------------------------------------------------------------------------------
# The batch


def run_batch(indir: str | Path, outdir: str | Path, options: BatchOptions | None = None,
              progress: Progress | None = None) -> BatchResult:
    """Raises PreviousResultsError (before any work), OutputError (the output folder cannot be
    written), OutputBusy (another batch is writing there) and Stopped (SIGTERM or SIGHUP: the
    workers are stopped, what is finished stays in the journal)."""
    started = time.monotonic()
    options = options or BatchOptions()
    indir, outdir = Path(indir).resolve(), Path(outdir).resolve()
    rules = load_rules(options.rules_path)
    if options.previous:
        read_previous(options.previous)  # before any work: a bad one is refused (the checks across read it again)
    inventory, tasks = _survey(indir, outdir, options)  # nothing is written before it
    with writing(outdir):
        outdir.mkdir(parents=True, exist_ok=True)
    with output_lock(outdir), stopped_by_signals():
        try:
            return _run(outdir, options, rules, inventory, tasks, progress, started)
        finally:
            _remove_empty_log(outdir)


def _run(outdir: Path, options: BatchOptions, rules: Rules, inventory: Inventory, tasks: list[FileTask],
         progress: Progress | None, started: float) -> BatchResult:
    with writing(outdir):
        try:
            prepare(outdir)  # the manifest, and the scratch folder emptied of what a killed run left
        except OutputPathError as exc:
            raise BatchRefused(str(exc)) from None
    journal_path = outdir / JOURNAL
    rules_key = journal_rules_key(options.rules_path, rules)
    journal = _load_journal(journal_path, rules_key)
    entries: dict[int, _Entry] = {}
    todo = []
    for t in tasks:
        prev = journal.get(t.rel)
        if _complete(t, prev, outdir):
            entries[t.index] = prev  # type: ignore[assignment]
        else:
            todo.append(t)
    del journal
    skipped = len(entries)
    failed = sum(e.status in ("failed", INTERNAL) for e in entries.values())
    total = len(tasks)
    if progress:
        progress(len(entries), failed, total)

    with writing(journal_path):
        jfh = _open_journal(journal_path)
    try:
        def on_result(task: FileTask, packed: Packed | OutputError) -> None:
            nonlocal failed
            if isinstance(packed, OutputError):  # a worker could not write its copy
                raise packed
            if packed.traceback:
                with writing(outdir / ERROR_LOG):
                    _log_error(outdir / ERROR_LOG, task.rel, packed.traceback.removeprefix(task.rel + "\n"))
            line, at = _journal_line(task, rules_key, packed)
            with writing(journal_path):
                at += jfh.tell()
                jfh.write(line)
                jfh.flush()
            was = entries.get(task.index)
            entries[task.index] = _Entry(at, len(packed.payload), packed.status, packed.copy, packed.code, packed.sha256,
                                         at + len(packed.payload) + 1, len(packed.extras), packed.cross, packed.scored_by)
            if was is None:
                failed += packed.status in ("failed", INTERNAL)
                if progress:
                    progress(len(entries), failed, total)

        def on_lost(task: FileTask, code: str, detail: str) -> Packed:
            return _packed(_failure(task, code, detail, rules.version))

        jobs = options.jobs or os.cpu_count() or 1
        pool_args = (str(options.rules_path) if options.rules_path else None, options.limits, options.memory_mb,
                     str(outdir), str(options.report_template) if options.report_template else None)
        if todo:
            _Pool(jobs, options.timeout, pool_args).run(todo, on_result, on_lost)
        with writing(journal_path):
            jfh.flush()
        # the checks across the batch; a file whose findings across it changed is scored again with them
        again, not_made = _across_in_child(journal_path, tasks, entries, options)
        if not_made.startswith("Traceback"):  # a bug of ours: the log has it, the auditor a sentence
            with writing(outdir / ERROR_LOG):
                _log_error(outdir / ERROR_LOG, ACROSS_CHECKS, not_made)
            not_made = f"程序内部错误，详情见 {outdir / ERROR_LOG}"
        if again:
            _Pool(jobs, options.timeout, pool_args).run(again, on_result, on_lost)
    except BaseException:
        with suppress(OSError):
            jfh.close()  # what it still buffers cannot be written either: the error on its way says why
        raise
    with writing(journal_path):
        jfh.close()

    _remove_empty_log(outdir)
    if hasattr(os, "sync"):
        os.sync()  # the scored copies, written without a sync each, are on disk before the outputs say so
    outputs_started = time.monotonic()
    ordered = [entries[t.index] for t in tasks]
    across_note = _not_made(not_made) if not_made else ""
    with writing(outdir):
        written = _write_outputs(journal_path, ordered, outdir, rules, options.summary, inventory.unaudited,
                                 across_note)
        _finish(outdir)
    now = time.monotonic()
    return BatchResult(outdir, [e.status for e in ordered], skipped, len(todo), now - started,
                       now - outputs_started, written.summary_seconds, inventory.unaudited, across_note,
                       written.reports_missing, written.missing_reports)


def _survey(indir: Path, outdir: Path, options: BatchOptions) -> tuple[Inventory, list[FileTask]]:
    """What a batch does before it writes anything: what to audit (and what not), the names of its
    outputs, and every path it will write checked (``manifest.guard``). Raises BatchRefused, with
    nothing written, when there is nothing to audit or an output cannot be written safely."""
    _refuse_overlap(indir, outdir, options.reports)
    inventory = take_inventory(indir, outdir)
    if not inventory.inputs:
        raise NothingToAudit(_nothing_to_audit(indir, inventory))
    tasks = _plan_tasks(indir, inventory.inputs, options.reports)
    written = [RESULTS_JSON, FINDINGS_CSV, NOT_AUDITED_JSON, *([SUMMARY_XLSX] if options.summary else []),
               *(t.copy_rel for t in tasks), *(t.report_rel for t in tasks if t.report_rel)]
    try:
        guard(outdir, written, appended=(JOURNAL, ERROR_LOG))
    except BatchRefused:
        raise
    except OutputPathError as exc:
        raise BatchRefused(str(exc)) from None
    return inventory, tasks


def _refuse_overlap(indir: Path, outdir: Path, reports: bool) -> None:
    """The batch writes into no folder that is, or holds, its input folder."""
    from selfeval_xl.outputs.word_report import REPORTS_DIR

    if indir == outdir:
        raise BatchRefused("输出文件夹不能与输入文件夹相同。")
    for name in (COPIES_DIR, SCRATCH, *([REPORTS_DIR] if reports else [])):
        if indir.is_relative_to(outdir / name):
            raise BatchRefused(f"输入文件夹 {display_name(str(indir))} 在输出文件夹的“{name}”里：批量审核会把文件写进输入文件夹。"
                               "请换一个输出文件夹。")


def _nothing_to_audit(indir: Path, inventory: Inventory) -> str:
    text = f"文件夹 {display_name(str(indir))} 中没有可审核的文件。"
    if inventory.unaudited:
        shown = "；".join(f"{display_name(u.file)}（{u.label}）" for u in inventory.unaudited[:5])
        more = f"等 {len(inventory.unaudited)} 项" if len(inventory.unaudited) > 5 else ""
        text += f"其中没有审核的：{shown}{more}。"
    return text


def _append(path: Path) -> io.BufferedWriter:
    """``path`` opened for appending, never through a link."""
    from selfeval_xl.batch.manifest import BINARY, NOFOLLOW

    return os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | NOFOLLOW | BINARY, 0o666), "ab")


def _log_error(log: Path, rel: str, trace: str) -> None:
    """An error of ours in the log, as one entry whatever the file's name holds (``log_entry``)."""
    append_to(log, log_entry(rel, trace))


def _finish(outdir: Path) -> None:
    """The error log claimed (it was appended in place), the manifest left with the claims of the
    files there, the scratch folder removed."""
    from selfeval_xl.batch.manifest import claim_file

    log = outdir / ERROR_LOG
    if log.is_file() and not log.is_symlink():
        st = log.stat()
        claim_file(outdir, ERROR_LOG, st.st_size, st.st_mtime_ns, sha256_file(log))
    compact(outdir)


def _remove_empty_log(outdir: Path) -> None:
    log = outdir / ERROR_LOG
    with suppress(OSError):
        if log.stat().st_size == 0:  # the workers opened it; nothing went wrong
            log.unlink()


def _open_journal(path: Path) -> Any:
    """The journal, open for appending; a line an interruption cut is ended first, so that the next
    line stays whole (the cut one is ignored when read)."""
    jfh = _append(path)
    if jfh.tell():
        with open(path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                jfh.write(b"\n")
    return jfh


# ---------------------------------------------------------------------------------------------
# The checks across the batch (C601, C603), in a process of their own


#: what the console, the summary and results.json call them
ACROSS_CHECKS = "跨单位检查（C601 文字雷同、C603 指标值低于上年）"


def _not_made(reason: str) -> str:
    """What the auditor is told when the checks across the batch could not be made."""
    return (f"{ACROSS_CHECKS}本次未能进行：{reason}。各单位的审核结果不受影响，但其中没有这两项检查"
            "（或只有以前运行时得出的）；处理后再次运行同一命令，已完成的文件不会重做。")


#: seconds the checks across may take: the per-file time limit once for every this many files
_ACROSS_FILES_PER_TIMEOUT = 1000


def _across_in_child(journal: Path, tasks: list[FileTask], entries: dict[int, _Entry],
                     options: BatchOptions) -> tuple[list[FileTask], str]:
    """``_across`` in a process of its own, under the batch's memory limit and a time limit: the
    texts of every file, their MinHash signatures and numpy live and die there, so the batch's own
    memory does not grow with them. The child is given the journal's path and, through its pipe in
    chunks, where each finished file's result and extras are in it (nothing else of the batch: a
    spawned child would get a pickled copy of whatever it is given); it answers with the files
    whose findings across the batch changed.

    Returns their tasks, with those findings, and '' or why the checks could not be made (then no
    task: the batch goes on without them and says so). A traceback is a bug of ours."""
    import threading

    limit = options.timeout * (1 + len(tasks) // _ACROSS_FILES_PER_TIMEOUT)
    args = (str(journal), str(options.rules_path) if options.rules_path else None,
            str(options.previous) if options.previous else None, options.memory_mb)
    proc, conn = start(context(), _across_child, args)
    located = ((t.index, t.rel, e.offset, e.length, e.extras_offset, e.extras_length, e.cross)
               for t in tasks if (e := entries[t.index]).status not in ("failed", INTERNAL))
    sender = threading.Thread(target=_send_in_chunks, args=(conn, located), daemon=True)
    sender.start()
    answer: Any = None
    timed_out = False
    try:
        if not wait([conn, proc.sentinel], timeout=limit):
            timed_out = True
        elif conn.poll():
            answer = conn.recv()
    except (EOFError, OSError):  # it died while answering
        pass
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        sender.join()
        close_end(conn)
    if answer is None:
        return [], (f"超过 {limit:g} 秒的时间限制" if timed_out else exit_text(proc.exitcode))
    ok, found = answer
    if not ok:
        return [], found
    by_index = {t.index: t for t in tasks}
    return [replace(by_index[i], extra=tuple(extra), cross=digest) for i, extra, digest in found], ""


def _send_in_chunks(conn: Connection, items: Iterable[tuple], size: int = 1000) -> None:
    """The items in lists of ``size``, then None; a child gone away ends it."""
    chunk: list[tuple] = []
    try:
        for item in items:
            chunk.append(item)
            if len(chunk) == size:
                conn.send(chunk)
                chunk = []
        conn.send(chunk)
        conn.send(None)
    except (OSError, ValueError):
        pass


def _across_child(conn: Connection, journal: str, rules_path: str | None, previous: str | None,
                  memory_mb: int) -> None:
    import traceback

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch handles Ctrl-C and stops us
    process_setup(memory_mb)
    answer: tuple[bool, Any]
    try:
        located: list[tuple] = []
        while (chunk := conn.recv()) is not None:
            located += chunk
        answer = (True, _across(Path(journal), located, rules_path, previous))
    except MemoryError:
        located = []
        answer = (False, f"所需内存超出 {memory_mb} MB 的限制（可用 --memory 调大）")
    except PreviousResultsError as exc:
        answer = (False, str(exc))
    except Exception:  # a bug of ours: the batch logs it
        answer = (False, traceback.format_exc())
    conn.send(answer)
    conn.close()


def _across(journal: Path, located: list[tuple], rules_path: str | None,
            previous: str | None) -> list[tuple[int, list[dict[str, str]], str]]:
    """C601 and C603 over every finished file (``located``: index, rel and where its result and
    extras are in the journal, and the digest of the findings across it was scored with); for each
    file whose findings across the batch changed: its index, the findings and their digest."""
    from selfeval_xl.batch.across import Text, copied_texts, file_texts, lowered_targets, uncompared

    rules = load_rules(rules_path)
    last = read_previous(Path(previous)) if previous else {}
    texts: list[Text] = []
    units: dict[int, tuple[str, list]] = {}
    left: dict[int, list[dict[str, str]]] = {}  # C604: a file whose texts were not all kept for comparing
    with open(journal, "rb") as src:
        for index, rel, offset, length, extras_offset, extras_length, _cross in located:
            if not extras_length:
                continue
            src.seek(extras_offset)
            extras = json.loads(src.read(extras_length) or b"{}")
            texts += file_texts(rel, extras)
            if extras.get("uncompared"):
                left[index] = uncompared(extras)
            if last:
                src.seek(offset)
                code = str(json.loads(src.read(length)).get("unit_code") or "")
                units[index] = (code, extras.get("targets", []))
    copied = copied_texts(texts)
    del texts
    changed = []
    for index, rel, _offset, _length, _eo, _el, cross in located:
        code, targets = units.get(index, ("", []))
        found = [*copied.get(rel, []), *lowered_targets(code, targets, last, rules), *left.get(index, [])]
        digest = hashlib.sha256(json.dumps(found, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16] \
            if found else ""
        if digest != cross:
            changed.append((index, found, digest))
    return changed


class PreviousResultsError(ValueError):
    """Last year's results (``--previous``) cannot be read; the message is in Chinese."""


class ResultsFileError(ValueError):
    """A results.json that cannot be read as a batch wrote it; the message is in Chinese and names
    the file (and the result and line where one is to blame)."""


#: the largest result object (one line of results.json) read back, and written: a batch records a
#: file whose result would be larger as F006. 20,000 indicator rows make about 17 MiB; parsing a
#: line costs at most about 24 times its size (a line of empty lists), so this bounds the memory.
MAX_RESULT_BYTES = 32 << 20
_RESULTS = f"审核结果（{RESULTS_JSON}）"


def read_previous(path: Path) -> Previous:
    """What C603 needs of last year's batch (its output folder or its results.json), read one result
    at a time: unit code -> (year, targets). Raises PreviousResultsError."""
    from selfeval_xl.batch.across import previous_targets
    from selfeval_xl.outputs.results import PreviousResult

    file = path / RESULTS_JSON if path.is_dir() else path
    try:
        return previous_targets(read_results(file, PreviousResult))
    except ResultsFileError as exc:
        raise PreviousResultsError(f"上年的审核结果：{exc}") from None


def read_results(file: Path, model: Any = None) -> Iterator[Any]:
    """The result objects of a results.json validated one at a time against ``model`` (a model of
    results_schema, by default ``Result``). Every way it can fail, from an absent file to a wrong
    value in the 3,000th result, raises ResultsFileError in Chinese naming the file."""
    from selfeval_xl.core.inputs import InputError, LineTooLong
    from selfeval_xl.outputs.results import Result, ValidationError, problem

    model = model or Result
    position = "", 0
    try:
        for index, line, obj in _numbered_results(file):
            position = f"第 {index} 个结果（第 {line} 行）", line
            yield model.model_validate(obj)
    except FileNotFoundError:
        raise ResultsFileError(f"找不到 {file}（应是 batch 的输出文件夹或其中的 {RESULTS_JSON}）") from None
    except PermissionError:
        raise ResultsFileError(f"没有权限读取 {file}") from None
    except IsADirectoryError:
        raise ResultsFileError(f"{file} 是文件夹，其中没有 {RESULTS_JSON}") from None
    except InputError as exc:
        raise ResultsFileError(str(exc)) from None
    except OSError as exc:
        raise ResultsFileError(f"无法读取 {file}（{exc.strerror or '读取出错'}）") from None
    except LineTooLong as exc:
        raise ResultsFileError(f"{file} 第 {exc.line} 行超过 {MAX_RESULT_BYTES >> 20} MiB（batch 写出的每个结果都小于此），"
                               f"不是 batch 写出的 {RESULTS_JSON}") from None
    except UnicodeDecodeError:
        raise ResultsFileError(f"{file} 不是 UTF-8 编码的文本，不是 batch 写出的 {RESULTS_JSON}") from None
    except _NotJSON as exc:
        raise ResultsFileError(f"{file} 第 {exc.line} 行{exc.reason}，不是 batch 写出的 {RESULTS_JSON}") from None
    except ValidationError as exc:
        raise ResultsFileError(f"{file} {position[0]}：{problem(exc)}，不是 batch 写出的 {RESULTS_JSON}") from None
    except MemoryError:
        raise ResultsFileError(f"{file} {position[0]}的内容过多，内存不足，无法读取") from None


class _NotJSON(ValueError):
    def __init__(self, line: int, reason: str):
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a batch writes")


def loads_strict(text: str | bytes) -> Any:
    """Strict JSON: NaN and Infinity are refused, as the batch never writes them. Raises ValueError
    (RecursionError for nesting deeper than Python's recursion limit lets json follow)."""
    return json.loads(text, parse_constant=_no_constant)


def _parsed(data: bytes, line: int) -> Any:
    """One piece of JSON in UTF-8; _NotJSON with the line it starts on and why, for anything that
    is not (UnicodeDecodeError for what is not UTF-8)."""
    text = data.decode("utf-8")  # UnicodeDecodeError: json.loads would guess UTF-16 from bytes
    try:
        return loads_strict(text)
    except RecursionError:
        raise _NotJSON(line, "嵌套过深") from None
    except json.JSONDecodeError as exc:
        raise _NotJSON(line + exc.lineno - 1, "不是有效的 JSON") from None
    except ValueError:  # NaN, Infinity, an integer of thousands of digits
        raise _NotJSON(line, "有 batch 不会写出的数值（NaN、Infinity 或过长的整数）") from None


def iter_results(file: Path) -> Iterator[Any]:
    """The objects of a results.json, one at a time, never the whole file (see _numbered_results)."""
    return (obj for _index, _line, obj in _numbered_results(file))


def _numbered_results(file: Path) -> Iterator[tuple[int, int, Any]]:
    """(position from 1, line, object) of each result of a results.json. A batch writes one object
    a line inside the array, which is read line by line, each line at most MAX_RESULT_BYTES; any
    other layout is parsed whole, when the file is no larger than that. Only a regular file is
    opened (a FIFO or a device is refused before it is read). Raises OSError, InputError,
    LineTooLong, UnicodeDecodeError or _NotJSON; what each object holds is the caller's to check."""
    from selfeval_xl.core.inputs import InputError, iter_lines, open_regular

    with open_regular(file, _RESULTS) as fh:
        lines = iter_lines(fh, MAX_RESULT_BYTES)
        first = next(lines, (1, b""))[1].removeprefix(b"\xef\xbb\xbf")
        if first.strip() == b"[":
            index = 0
            for number, line in lines:
                line = line.strip().rstrip(b",")
                if line and line != b"]":
                    index += 1
                    yield index, number, _parsed(line, number)
            return
        rest = fh.read(MAX_RESULT_BYTES + 1 - len(first))
        if len(first) + len(rest) > MAX_RESULT_BYTES:
            raise InputError(f"{file} 不是每行一个结果的格式，又超过 {MAX_RESULT_BYTES >> 20} MiB，"
                             f"不是 batch 写出的 {RESULTS_JSON}")
        data = _parsed(first + rest, 1)
    if not isinstance(data, list):
        raise _NotJSON(1, "不是结果的列表（[…]）")
    for index, obj in enumerate(data, start=1):
        yield index, 1, obj


def summary_rules(rules: Rules, entries: Iterable[_Entry]) -> Rules:
    """The rule set the summary's columns are made for (指标明细's indicators and categories, 总览's
    grades): the one most files were scored by (without --rules each file is scored by its own
    template's set), ``rules`` (the batch's: --rules, or the default) on a tie or when none was."""
    counts = Counter(e.scored_by for e in entries if e.scored_by)
    if not counts:
        return rules
    ours = rules_name(rules)
    best = max(counts, key=lambda name: (counts[name], name == ours))
    return rules if best == ours else load_rules(best)


#: how many of the units without their 自评报告 a BatchResult names (all are in the summary and results.json)
SHOWN_MISSING_REPORTS = 20


@dataclass
class _Written:
    """What writing the outputs found out on the way."""

    summary_seconds: float = 0.0
    reports_missing: int = 0
    missing_reports: list[tuple[str, str]] = field(default_factory=list)  # the first SHOWN_MISSING_REPORTS

    def saw(self, r: dict[str, Any]) -> None:
        if r.get("report_error"):
            self.reports_missing += 1
            if len(self.missing_reports) < SHOWN_MISSING_REPORTS:
                self.missing_reports.append((display_name(r["file"]), str(r["report_error"])))


def _write_outputs(journal: Path, ordered: list[_Entry], outdir: Path, rules: Rules, summary: bool,
                   unaudited: Iterable[Unaudited] = (), across_note: str = "") -> _Written:
    """One pass over the finished files in input order, streaming each result from the journal:
    its JSON into results.json as it is, its findings into findings.csv and the summary. Nothing is
    held for the whole batch but a small record per unit. What was not audited goes to
    not_audited.json and the summary's 未审核文件. Each output is made in the scratch folder and
    moved into place claimed (``manifest.install``). Returns the seconds the summary took and the
    units whose 自评报告 could not be written.

    ``across_note``: the checks across the batch were not made, and why: 总览 says so, and every
    result in results.json under "across_checks"."""
    from selfeval_xl.outputs.summary import SummaryWriter

    scratch = outdir / SCRATCH
    results_tmp = scratch / f".tmp-{RESULTS_JSON}"
    csv_tmp = scratch / f".tmp-{FINDINGS_CSV}"
    sw = SummaryWriter(scratch / SUMMARY_XLSX, summary_rules(rules, ordered), across_note) if summary else None
    tail = b"," + json.dumps({"across_checks": across_note}, ensure_ascii=False, separators=(",", ":"))[1:].encode() if across_note else b""
    written = _Written()
    try:
        with open(journal, "rb") as src, open(results_tmp, "xb") as rj, open(csv_tmp, "x", encoding="utf-8-sig",
                                                                           newline="") as cf:
            writer = csv.writer(cf, lineterminator="\r\n")
            writer.writerow(FINDINGS_COLUMNS)
            rj.write(b"[")
            for i, e in enumerate(ordered):
                src.seek(e.offset)
                payload = src.read(e.length)
                if tail:
                    payload = payload[:-1] + tail  # the object's last "}" and the key added
                rj.write((b"\n" if i == 0 else b",\n") + payload)
                r = json.loads(payload)
                _csv_rows(writer, r)
                written.saw(r)
                if sw:
                    t = time.monotonic()
                    sw.add(r)
                    written.summary_seconds += time.monotonic() - t
            rj.write(b"\n]\n" if ordered else b"]\n")
        if sw:
            t = time.monotonic()
            for u in unaudited:
                sw.add_unaudited(display_name(u.file), u.label, u.reason, u.blocking)
            sw.finish()
            written.summary_seconds += time.monotonic() - t
    except BaseException:
        if sw:
            sw.abort()
        results_tmp.unlink(missing_ok=True)
        csv_tmp.unlink(missing_ok=True)
        raise
    install(outdir, results_tmp, RESULTS_JSON)
    install(outdir, csv_tmp, FINDINGS_CSV)
    if sw:
        install(outdir, sw.path, SUMMARY_XLSX)
    record = [u.to_dict() for u in unaudited]
    write_output(outdir, NOT_AUDITED_JSON, json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8", "surrogateescape"))
    return written


FINDINGS_COLUMNS = ("文件", "单位编码", "部门(单位)名称", "级别", "代码", "工作表", "单元格", "说明", "期望值", "实际值")


def _csv_rows(writer: Any, r: dict) -> None:
    """The findings of one result as CSV rows; no cell a spreadsheet would read as a formula."""
    file = display_name(r["file"])  # one line, whatever the name holds
    for f in r["findings"]:
        writer.writerow([csv_cell(x) for x in (file, r["unit_code"], r["unit_name"], f["level_label"], f["code"],
                                               f["sheet"], f["cell"], f["message"], f["expected"], f["actual"])])


def write_findings_csv(results: Iterable[dict], path: Path) -> None:
    """findings.csv of results (UTF-8 with BOM, so Excel shows the Chinese)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(FINDINGS_COLUMNS)
    for r in results:
        _csv_rows(w, r)
    atomic_write(path, ("\ufeff" + buf.getvalue()).encode("utf-8"))

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
import hashlib
import io
import json
import multiprocessing as mp
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, cast

from .findings import Finding, file_finding
from .intake import Limits
from .rules import Rules, load_rules
from .safe import atomic_write, csv_cell, safe_filename

__all__ = [
    "COPIES_DIR",
    "ERROR_LOG",
    "FINDINGS_CSV",
    "INTERNAL",
    "JOURNAL",
    "RESULTS_JSON",
    "SUMMARY_XLSX",
    "BatchOptions",
    "BatchResult",
    "Checked",
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
_SKIP_NAMES = {"thumbs.db", "desktop.ini"}


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
        """intake.md: 1 when some file failed or has errors, 0 when all are clean."""
        return 1 if any(s != "ok" for s in self.statuses) else 0


Progress = Callable[[int, int, int], None]  # (done, failed, total)
#: what C603 needs of last year's results: unit code -> (year, {三级指标: 指标值})
Previous = dict[str, tuple[Any, dict[str, str]]]


# ---------------------------------------------------------------------------------------------
# Finding the inputs


#: what a batch writes: never read as a submission, wherever it lies
OUR_OUTPUTS = frozenset({RESULTS_JSON, FINDINGS_CSV, SUMMARY_XLSX, ERROR_LOG})


def is_our_output(folder: Path) -> bool:
    """A batch's output folder (it has our journal), or its folder of scored copies or reports."""
    return folder.name in (COPIES_DIR, "自评报告") or (folder / JOURNAL).exists()


def find_inputs(indir: Path, outdir: Path | None = None) -> list[Path]:
    """Every file under ``indir``, sorted; hidden files, Office lock files (~$…), ``outdir`` and
    every output of an earlier batch (a folder with our journal, 审核副本, results.json,
    findings.csv, 审核汇总.xlsx) are left out."""
    indir = indir.resolve()
    out = outdir.resolve() if outdir else None
    found = []
    for root, dirs, files in os.walk(indir):
        root_path = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not is_our_output(root_path / d)
                         and (out is None or (root_path / d).resolve() != out))
        for name in files:
            if name.startswith((".", "~$")) or name.lower() in _SKIP_NAMES or name in OUR_OUTPUTS:
                continue
            p = root_path / name
            if p.is_file() and not p.is_symlink():
                found.append(p)
    return sorted(found, key=lambda p: p.relative_to(indir).as_posix())


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _plan_tasks(indir: Path, files: list[Path], reports: bool = False) -> list[FileTask]:
    """Tasks in input order; scored-copy (and report) names mirror the input folders and never collide."""
    from .scored_copy import scored_copy_name

    used: set[str] = set()
    tasks = []
    for i, p in enumerate(files):
        rel = p.relative_to(indir).as_posix()
        folder = "/".join(safe_filename(part) for part in rel.split("/")[:-1])
        name = scored_copy_name(p)
        candidate = f"{COPIES_DIR}/{folder}/{name}" if folder else f"{COPIES_DIR}/{name}"
        n = 2
        while candidate.lower() in used:
            stem = name[: -len("_审核.xlsx")]
            alt = f"{stem}_{n}_审核.xlsx"
            candidate = f"{COPIES_DIR}/{folder}/{alt}" if folder else f"{COPIES_DIR}/{alt}"
            n += 1
        used.add(candidate.lower())
        report = ""
        if reports:
            from .selfreport import REPORTS_DIR

            report = REPORTS_DIR + candidate[len(COPIES_DIR):].removesuffix("_审核.xlsx") + "_自评报告.docx"
        tasks.append(FileTask(i, str(p), rel, _sha256(p), candidate, report))
    return tasks


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


def process_file(task: FileTask, rules: Rules, limits: Limits, outdir: Path,
                 report_template: Path | None = None) -> dict[str, Any]:
    """Check and score one file, with the task's findings across the batch, and write its scored
    copy; the result object of results.json, and under ``_extras`` what the checks across the batch
    need of it."""
    from .across import extras_of
    from .assess import assess, with_findings
    from .scored_copy import scored_copy_bytes

    a = assess(task.path, rules, limits)
    if task.extra and not a.failed:
        a = with_findings(a, [Finding.of(f) for f in task.extra])
    result = a.to_dict()
    result["file"] = task.rel
    result["sha256"] = task.sha256
    result["copy"] = ""
    if not a.failed:
        atomic_write(outdir / task.copy_rel, scored_copy_bytes(a), durable=False)  # synced at the batch's end
        result["copy"] = task.copy_rel
        if task.report_rel:
            from .selfreport import ReportTemplateError, write_report

            try:
                write_report(a, rules, outdir / task.report_rel, report_template)
                result["report"] = task.report_rel
            except ReportTemplateError as exc:  # the bureau's template, not the file: the file stays audited
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


def _packed(result: dict[str, Any]) -> Packed:
    trace = result.pop("traceback", "")
    extras = result.pop("_extras", {})
    cross = result.pop("_cross", "")
    payload = json.dumps(result, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    code = result["findings"][0]["code"] if result["findings"] else ""
    return Packed(result["status"], result.get("copy", ""), code, result["sha256"], payload, trace,
                  json.dumps(extras, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), cross)


def _limit_memory(memory_mb: int) -> None:
    if memory_mb <= 0:
        return
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this platform: the time limit still holds
        pass


def _worker_setup(log_path: Path, memory_mb: int) -> None:
    """What every worker process does first: its stderr to the log, Ctrl-C left to the parent, its
    memory limited, the XML defences proved."""
    import faulthandler

    faulthandler.disable()  # a crash is reported as F009; no traceback dump on the console
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    os.dup2(log, 2)  # whatever a library prints goes to the log, not the user's console
    os.close(log)
    sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False, buffering=1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    _limit_memory(memory_mb)
    from .intake import check_xml_defences

    check_xml_defences()  # the parser every part goes through refuses DTDs


def _worker(conn: Connection, rules_path: str | None, limits: Limits, memory_mb: int, outdir: str,
            report_template: str | None = None) -> None:
    import traceback

    _worker_setup(Path(outdir) / ERROR_LOG, memory_mb)
    rules = load_rules(rules_path)
    out = Path(outdir)

    def handle(task: FileTask) -> Packed:
        try:
            result = process_file(task, rules, limits, out, Path(report_template) if report_template else None)
        except MemoryError:
            result = _failure(task, "F009", f"内存超出每个文件 {memory_mb} MB 的限制", rules.version)
        except Exception as exc:
            result = _internal(task, exc, rules.version)
            result["traceback"] = f"{task.rel}\n{traceback.format_exc()}"
        return _packed(result)

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
        self.ctx: Any = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        self.jobs = jobs
        self.timeout = timeout
        self.args = args
        self.target = target
        self.workers: list[_Worker] = []

    def _spawn(self) -> _Worker:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=self.target, args=(child, *self.args), daemon=True)
        proc.start()
        child.close()
        w = _Worker(proc, parent)
        self.workers.append(w)
        return w

    def _retire(self, w: _Worker, kill: bool) -> None:
        if kill and w.proc.is_alive():
            w.proc.kill()
        w.proc.join(timeout=5)
        w.conn.close()
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

    from .assess import assess
    from .report import render_one

    _worker_setup(Path(log), memory_mb)
    rules = load_rules(rules_path)

    def handle(task: FileTask) -> Checked:
        try:
            a = assess(task.path, rules, limits)
            return Checked(render_one(a, fmt), bool(a.errors))
        except MemoryError:
            return _failed_check(task, "F009", f"内存超出每个文件 {memory_mb} MB 的限制", rules, fmt)
        except Exception:
            return Checked("", False, f"--- {task.path}\n{traceback.format_exc()}")

    _serve(conn, handle)


def _failed_check(task: FileTask, code: str, detail: str, rules: Rules, fmt: str) -> Checked:
    from .assess import Assessment
    from .report import render_one

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


_TOOL_DIGEST: str = ""


def tool_digest() -> str:
    """A digest of the tool's own files (its code and bundled data): a batch resumed by another
    version of the tool redoes every file."""
    global _TOOL_DIGEST
    if not _TOOL_DIGEST:
        h = hashlib.sha256()
        package = Path(__file__).resolve().parent
        for f in sorted(package.rglob("*")):
            if f.suffix in (".py", ".yaml", ".yml", ".docx", ".json") and "__pycache__" not in f.parts:
                h.update(f.relative_to(package).as_posix().encode() + b"\0" + f.read_bytes())
        _TOOL_DIGEST = h.hexdigest()
    return _TOOL_DIGEST


def _load_journal(path: Path, rules: Rules) -> dict[str, _Entry]:
    """rel path -> the latest entry of every file finished under the same rules, by the same tool.

    A journal line is the entry's small JSON header, a tab, the result's JSON, a tab and the
    extras' JSON (JSON holds no raw tab); a line cut by an interruption is ignored."""
    done: dict[str, _Entry] = {}
    if not path.exists():
        return done
    with open(path, "rb") as fh:
        offset = 0
        for line in fh:
            start = offset
            offset += len(line)
            parts = line.split(b"\t")
            if len(parts) != 3 or not line.endswith(b"\n"):
                continue
            head, payload, extras = parts
            try:
                meta = json.loads(head)
            except json.JSONDecodeError:
                continue
            if meta.get("rules") != rules.digest or meta.get("tool") != tool_digest():
                continue
            at = start + len(head) + 1
            done[meta["rel"]] = _Entry(at, len(payload), meta["status"], meta["copy"], meta["code"], meta["sha256"],
                                       at + len(payload) + 1, len(extras) - 1, meta.get("cross", ""))
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
    started = time.monotonic()
    options = options or BatchOptions()
    indir, outdir = Path(indir).resolve(), Path(outdir).resolve()
    rules = load_rules(options.rules_path)
    last_year = read_previous(options.previous) if options.previous else {}  # before any work: a bad one is refused
    outdir.mkdir(parents=True, exist_ok=True)
    for stale in outdir.rglob(".tmp-*"):  # left by a run killed while writing a file
        stale.unlink(missing_ok=True)
    tasks = _plan_tasks(indir, find_inputs(indir, outdir), options.reports)
    journal_path = outdir / JOURNAL
    journal = _load_journal(journal_path, rules)
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

    with open(journal_path, "ab") as jfh:
        def on_result(task: FileTask, packed: Packed) -> None:
            nonlocal failed
            if packed.traceback:
                with open(outdir / ERROR_LOG, "a", encoding="utf-8") as log:
                    log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {packed.traceback}\n")
            head = json.dumps({"rel": task.rel, "rules": rules.digest, "tool": tool_digest(), "status": packed.status,
                               "copy": packed.copy, "code": packed.code, "sha256": packed.sha256, "cross": packed.cross},
                              ensure_ascii=False).encode("utf-8")
            start = jfh.tell()
            jfh.write(head + b"\t" + packed.payload + b"\t" + packed.extras + b"\n")
            jfh.flush()
            at = start + len(head) + 1
            was = entries.get(task.index)
            entries[task.index] = _Entry(at, len(packed.payload), packed.status, packed.copy, packed.code, packed.sha256,
                                         at + len(packed.payload) + 1, len(packed.extras), packed.cross)
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
        jfh.flush()
        # the checks across the batch; a file whose findings across it changed is scored again with them
        again = _across_in_child(journal_path, tasks, entries, rules, last_year)
        if again:
            _Pool(jobs, options.timeout, pool_args).run(again, on_result, on_lost)

    log = outdir / ERROR_LOG
    if log.exists() and log.stat().st_size == 0:  # the workers opened it; nothing went wrong
        log.unlink()
    if hasattr(os, "sync"):
        os.sync()  # the scored copies, written without a sync each, are on disk before the outputs say so
    outputs_started = time.monotonic()
    ordered = [entries[t.index] for t in tasks]
    summary_seconds = _write_outputs(journal_path, ordered, outdir, rules, options.summary)
    now = time.monotonic()
    return BatchResult(outdir, [e.status for e in ordered], skipped, len(todo), now - started,
                       now - outputs_started, summary_seconds)


def _across_in_child(journal: Path, tasks: list[FileTask], entries: dict[int, _Entry], rules: Rules,
                     last_year: Previous) -> list[FileTask]:
    """``_across`` in a process of its own: the texts of every file, their MinHash signatures and
    numpy live and die there, so the batch's own memory does not grow with them. A forked child
    inherits the tasks (a pool would pickle them, a copy the size of the batch); only its answer
    comes back. An error there is raised here."""
    ctx: Any = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_across_child, args=(child, journal, tasks, entries, rules, last_year), daemon=True)
    proc.start()
    child.close()
    try:
        ok, answer = parent.recv()
    except EOFError:
        raise RuntimeError(f"查重的进程意外退出（退出码 {proc.exitcode}）") from None
    finally:
        proc.join()
        parent.close()
    if not ok:
        raise RuntimeError(f"查重的进程出错：\n{answer}")
    return answer


def _across_child(conn: Connection, *args: Any) -> None:
    import traceback

    answer: tuple[bool, Any]
    try:
        answer = (True, _across(*args))
    except Exception:  # raised again in the batch, with its traceback
        answer = (False, traceback.format_exc())
    conn.send(answer)
    conn.close()


def _across(journal: Path, tasks: list[FileTask], entries: dict[int, _Entry], rules: Rules,
            last_year: Previous) -> list[FileTask]:
    """C601 and C603 over every finished file; the tasks of the files to score again, with them."""
    from dataclasses import replace

    from .across import Text, copied_texts, lowered_targets

    last = last_year
    texts: list[Text] = []
    units: dict[int, tuple[str, list]] = {}
    with open(journal, "rb") as src:
        for t in tasks:
            e = entries[t.index]
            if e.status in ("failed", INTERNAL) or not e.extras_length:
                continue
            src.seek(e.extras_offset)
            extras = json.loads(src.read(e.extras_length) or b"{}")
            texts += [Text(t.rel, sheet, cell, text) for sheet, cell, text in extras.get("texts", [])]
            if last:
                src.seek(e.offset)
                code = str(json.loads(src.read(e.length)).get("unit_code") or "")
                units[t.index] = (code, extras.get("targets", []))
    copied = copied_texts(texts)
    again = []
    for t in tasks:
        e = entries[t.index]
        if e.status in ("failed", INTERNAL):
            continue
        code, targets = units.get(t.index, ("", []))
        found = [*copied.get(t.rel, []), *lowered_targets(code, targets, last, rules)]
        digest = hashlib.sha256(json.dumps(found, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16] \
            if found else ""
        if digest != e.cross:
            again.append(replace(t, extra=tuple(found), cross=digest))
    return again


class PreviousResultsError(ValueError):
    """Last year's results (``--previous``) cannot be read; the message is in Chinese."""


def read_previous(path: Path) -> Previous:
    """What C603 needs of last year's batch (its output folder or its results.json), read one result
    at a time: unit code -> (year, targets). Raises PreviousResultsError."""
    from .across import previous_targets

    file = path / RESULTS_JSON if path.is_dir() else path
    try:
        return previous_targets(_checked(iter_results(file)))
    except FileNotFoundError:
        raise PreviousResultsError(f"找不到上年的审核结果 {file}（应是上年 batch 的输出文件夹或其中的 {RESULTS_JSON}）") from None
    except (OSError, UnicodeDecodeError, ValueError, TypeError):
        raise PreviousResultsError(f"{file} 不是 batch 写出的 {RESULTS_JSON}，无法读取") from None


def _checked(results: Iterable[Any]) -> Iterator[dict[str, Any]]:
    for r in results:
        if not isinstance(r, dict):
            raise PreviousResultsError("不是审核结果的列表")
        yield r


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a batch writes")


def loads_strict(text: str) -> Any:
    """Strict JSON: NaN and Infinity are refused, as the batch never writes them."""
    return json.loads(text, parse_constant=_no_constant)


def iter_results(file: Path) -> Iterator[Any]:
    """The objects of a results.json, one at a time, never the whole file: a batch writes one object
    a line inside the array, which is read line by line; any other layout is parsed whole. Raises
    OSError, UnicodeDecodeError or ValueError (json.JSONDecodeError for JSON that is not)."""
    with open(file, encoding="utf-8-sig") as fh:
        first = fh.readline()
        if first.strip() == "[":
            for line in fh:
                line = line.strip().rstrip(",")
                if line and line != "]":
                    yield loads_strict(line)
            return
        data = loads_strict(first + fh.read())
    if not isinstance(data, list):
        raise ValueError("not a list")
    yield from data


def _write_outputs(journal: Path, ordered: list[_Entry], outdir: Path, rules: Rules, summary: bool) -> float:
    """One pass over the finished files in input order, streaming each result from the journal:
    its JSON into results.json as it is, its findings into findings.csv and the summary. Nothing is
    held for the whole batch but a small record per unit. Returns the seconds the summary took."""
    from .summary import SummaryWriter

    results_tmp = outdir / f".tmp-{RESULTS_JSON}"
    csv_tmp = outdir / f".tmp-{FINDINGS_CSV}"
    sw = SummaryWriter(outdir / SUMMARY_XLSX, rules) if summary else None
    spent = 0.0
    try:
        with open(journal, "rb") as src, open(results_tmp, "wb") as rj, open(csv_tmp, "w", encoding="utf-8-sig",
                                                                           newline="") as cf:
            writer = csv.writer(cf, lineterminator="\r\n")
            writer.writerow(FINDINGS_COLUMNS)
            rj.write(b"[")
            for i, e in enumerate(ordered):
                src.seek(e.offset)
                payload = src.read(e.length)
                rj.write((b"\n" if i == 0 else b",\n") + payload)
                r = json.loads(payload)
                _csv_rows(writer, r)
                if sw:
                    t = time.monotonic()
                    sw.add(r)
                    spent += time.monotonic() - t
            rj.write(b"\n]\n" if ordered else b"]\n")
            rj.flush()
            os.fsync(rj.fileno())
        if sw:
            t = time.monotonic()
            sw.finish()
            spent += time.monotonic() - t
    except BaseException:
        if sw:
            sw.abort()
        raise
    os.replace(results_tmp, outdir / RESULTS_JSON)
    os.replace(csv_tmp, outdir / FINDINGS_CSV)
    return spent


FINDINGS_COLUMNS = ("文件", "单位编码", "部门(单位)名称", "级别", "代码", "工作表", "单元格", "说明", "期望值", "实际值")


def _csv_rows(writer: Any, r: dict) -> None:
    """The findings of one result as CSV rows; no cell a spreadsheet would read as a formula."""
    for f in r["findings"]:
        writer.writerow([csv_cell(x) for x in (r["file"], r["unit_code"], r["unit_name"], f["level_label"], f["code"],
                                               f["sheet"], f["cell"], f["message"], f["expected"], f["actual"])])


def write_findings_csv(results: Iterable[dict], path: Path) -> None:
    """findings.csv of results (UTF-8 with BOM, so Excel shows the Chinese)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(FINDINGS_COLUMNS)
    for r in results:
        _csv_rows(w, r)
    atomic_write(path, ("\ufeff" + buf.getvalue()).encode("utf-8"))

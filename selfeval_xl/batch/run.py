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
import io
import json
import os
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selfeval_xl.batch.across_process import ACROSS_CHECKS, across_in_child, not_made_note, read_previous
from selfeval_xl.batch.children import stopped_by_signals
from selfeval_xl.batch.inventory import Inventory, Unaudited, take_inventory
from selfeval_xl.batch.journal import Entry, complete, journal_line, journal_rules_key, load_journal
from selfeval_xl.batch.manifest import SCRATCH, OutputPathError, compact, guard, install, prepare, sha256_file, write_output
from selfeval_xl.batch.output_folder import OutputError, output_lock, writing
from selfeval_xl.batch.pool import Pool
from selfeval_xl.batch.tasks import (
    COPIES_DIR,
    ERROR_LOG,
    INTERNAL,
    JOURNAL,
    NOT_AUDITED_JSON,
    SUMMARY_XLSX,
    BatchOptions,
    BatchRefused,
    FileTask,
    NothingToAudit,
    Progress,
    plan_tasks,
)
from selfeval_xl.batch.worker import Packed, Processed, failure, pack
from selfeval_xl.core.sanitize import append_to, display_name, log_entry
from selfeval_xl.outputs.results import UnitResult
from selfeval_xl.outputs.results_file import FINDINGS_COLUMNS, FINDINGS_CSV, RESULTS_JSON, csv_rows
from selfeval_xl.rules.model import Rules, load_rules, rules_name

__all__ = ["BatchResult", "run_batch", "summary_rules"]

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
    journal = load_journal(journal_path, rules_key)
    entries: dict[int, Entry] = {}
    todo = []
    for t in tasks:
        prev = journal.get(t.rel)
        if complete(t, prev, outdir):
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
            line, at = journal_line(task, rules_key, packed)
            with writing(journal_path):
                at += jfh.tell()
                jfh.write(line)
                jfh.flush()
            was = entries.get(task.index)
            entries[task.index] = Entry(at, len(packed.payload), packed.status, packed.copy, packed.code, packed.sha256,
                                         at + len(packed.payload) + 1, len(packed.extras), packed.cross, packed.scored_by)
            if was is None:
                failed += packed.status in ("failed", INTERNAL)
                if progress:
                    progress(len(entries), failed, total)

        def on_lost(task: FileTask, code: str, detail: str) -> Packed:
            return pack(Processed(failure(task, code, detail, rules.version)))

        jobs = options.jobs or os.cpu_count() or 1
        pool_args = (str(options.rules_path) if options.rules_path else None, options.limits, options.memory_mb,
                     str(outdir), str(options.report_template) if options.report_template else None)
        if todo:
            Pool(jobs, options.timeout, pool_args).run(todo, on_result, on_lost)
        with writing(journal_path):
            jfh.flush()
        # the checks across the batch; a file whose findings across it changed is scored again with them
        again, not_made = across_in_child(journal_path, tasks, entries, options)
        if not_made.startswith("Traceback"):  # a bug of ours: the log has it, the auditor a sentence
            with writing(outdir / ERROR_LOG):
                _log_error(outdir / ERROR_LOG, ACROSS_CHECKS, not_made)
            not_made = f"程序内部错误，详情见 {outdir / ERROR_LOG}"
        if again:
            Pool(jobs, options.timeout, pool_args).run(again, on_result, on_lost)
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
    across_note = not_made_note(not_made) if not_made else ""
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
    tasks = plan_tasks(indir, inventory.inputs, options.reports)
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


def summary_rules(rules: Rules, entries: Iterable[Entry]) -> Rules:
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

    def saw(self, r: UnitResult) -> None:
        if r.report_error:
            self.reports_missing += 1
            if len(self.missing_reports) < SHOWN_MISSING_REPORTS:
                self.missing_reports.append((display_name(r.file), r.report_error))


def _write_outputs(journal: Path, ordered: list[Entry], outdir: Path, rules: Rules, summary: bool,
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
                r = UnitResult.from_json_dict(json.loads(payload))  # our own, as the worker wrote it
                csv_rows(writer, r)
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

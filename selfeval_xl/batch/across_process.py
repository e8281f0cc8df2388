"""The checks across the batch (C601, C603), run in a process of their own with its own limits."""

from __future__ import annotations

import hashlib
import json
import signal
from collections.abc import Iterable
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from selfeval_xl.batch.children import close_end, context, exit_text, process_setup, start
from selfeval_xl.batch.journal import Entry
from selfeval_xl.batch.tasks import INTERNAL, BatchOptions, FileTask
from selfeval_xl.outputs.results_file import RESULTS_JSON, ResultsFileError, read_results
from selfeval_xl.rules.model import load_rules

#: what C603 needs of last year's results: unit code -> (year, {三级指标: 指标值})
Previous = dict[str, tuple[Any, dict[str, str]]]


class PreviousResultsError(ValueError):
    """Last year's results (``--previous``) cannot be read; the message is in Chinese."""


def read_previous(path: Path) -> Previous:
    """What C603 needs of last year's batch (its output folder or its results.json), read one result
    at a time: unit code -> (year, targets). Raises PreviousResultsError."""
    from selfeval_xl.batch.across import previous_targets
    from selfeval_xl.outputs.results_validation import PreviousResult

    file = path / RESULTS_JSON if path.is_dir() else path
    try:
        return previous_targets(read_results(file, PreviousResult))
    except ResultsFileError as exc:
        raise PreviousResultsError(f"上年的审核结果：{exc}") from None


#: what the console, the summary and results.json call them
ACROSS_CHECKS = "跨单位检查（C601 文字雷同、C603 指标值低于上年）"


def not_made_note(reason: str) -> str:
    """What the auditor is told when the checks across the batch could not be made."""
    return (f"{ACROSS_CHECKS}本次未能进行：{reason}。各单位的审核结果不受影响，但其中没有这两项检查"
            "（或只有以前运行时得出的）；处理后再次运行同一命令，已完成的文件不会重做。")


#: seconds the checks across may take: the per-file time limit once for every this many files
_ACROSS_FILES_PER_TIMEOUT = 1000


def across_in_child(journal: Path, tasks: list[FileTask], entries: dict[int, Entry],
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

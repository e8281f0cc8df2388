"""``check --jobs``: many files checked in worker processes, the output the same as one by one."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from selfeval_xl.batch.pool import Pool
from selfeval_xl.batch.tasks import BatchOptions, FileTask
from selfeval_xl.batch.worker import rules_for_files, serve, worker_setup
from selfeval_xl.check.intake import Limits
from selfeval_xl.core.findings import file_finding
from selfeval_xl.rules.model import Rules, load_rules

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

    worker_setup(Path(log), memory_mb)
    given, rules = rules_for_files(rules_path)

    def handle(task: FileTask) -> Checked:
        try:
            a = assess(task.path, given, limits)
            return Checked(render_one(a, fmt), bool(a.errors))
        except MemoryError:
            return _failed_check(task, "F009", f"内存超出每个文件 {memory_mb} MB 的限制", rules, fmt)
        except Exception:
            return Checked("", False, f"--- {task.path}\n{traceback.format_exc()}")

    serve(conn, handle)


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
    Pool(jobs or os.cpu_count() or 1, options.timeout, args, target=_check_worker).run(tasks, on_result, on_lost)


# ---------------------------------------------------------------------------------------------

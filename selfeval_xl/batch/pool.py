"""The pool of worker processes: one task per worker at a time, a deadline per task, a dead or
hung worker killed and replaced.

Not ``concurrent.futures.ProcessPoolExecutor``: it cannot kill the one worker whose file runs
past its deadline (``cancel`` does not stop a running task), and a worker that dies (a crash,
the memory limit) breaks the whole executor (``BrokenProcessPool``) and every file still
queued in it; here a lost worker costs its own file (F008/F009) and a new one takes its place.
``multiprocessing.Pool`` has the same two gaps (a killed worker's task is never answered)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, cast

from selfeval_xl.batch.children import close_end, context, start
from selfeval_xl.batch.tasks import FileTask
from selfeval_xl.batch.worker import worker

# The pool: one task per worker at a time, a deadline per task, replaced workers


@dataclass
class _Worker:
    proc: Any
    conn: Connection
    task: FileTask | None = None
    started: float = 0.0


class Pool:
    """Worker processes running ``target(conn, *args)``: a task sent, an answer received."""

    def __init__(self, jobs: int, timeout: float, args: tuple, target: Callable[..., None] = worker):
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

"""The child processes of a batch and of ``check --jobs``, and how the batch stops.

A child is started by the start method of the platform (fork on Linux: a worker starts in
milliseconds; spawn on Windows and macOS, where it is the only one or the default) or the one
SELFEVAL_START_METHOD names, so that the tests run every path. It closes what a fork made it
inherit from the parent (the parent's ends of the pipes, the output folder's lock), ends when its
parent ends however the parent ends, and limits its own memory where the platform can. SIGTERM and
SIGHUP stop the batch as Ctrl-C does: its workers are stopped, what is finished is kept.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["START_METHOD_ENV", "Stopped", "close_end", "context", "exit_text", "limit_memory", "not_for_children",
           "process_setup", "start", "stopped_by_signals"]


def limit_memory(memory_mb: int) -> None:
    """The process's address space limited to ``memory_mb`` (RLIMIT_AS; where the platform has none,
    Windows, the time limit and intake's limits hold: see README, "On Windows")."""
    if memory_mb <= 0:
        return
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this platform: the time limit still holds
        pass


#: the start method of the batch's processes, when set: fork, spawn or forkserver (tests run the
#: batch under spawn, the only one Windows has and macOS's default)
START_METHOD_ENV = "SELFEVAL_START_METHOD"


def context() -> Any:
    """The multiprocessing context of the batch's processes: fork on Linux (a worker starts in
    milliseconds), spawn elsewhere, or what SELFEVAL_START_METHOD names."""
    method = os.environ.get(START_METHOD_ENV, "")
    if method not in mp.get_all_start_methods():
        method = "fork" if sys.platform.startswith("linux") else "spawn"
    return mp.get_context(method)


def start(ctx: Any, target: Callable[..., None], args: tuple) -> tuple[Any, Connection]:
    """A child process running ``target(conn, *args)``, and the parent's end of its pipe.

    A forked child inherits every descriptor the parent holds, among them the parent's end of its
    own pipe and of every other child's: it would never see the parent go. So it closes them first
    (``_child``), and watches its parent (``_die_with_parent``)."""
    parent, child = ctx.Pipe()
    _PARENT_ENDS.add(parent)  # before the fork: the child's copy of the set has it
    proc = ctx.Process(target=_child, args=(child, ctx.get_start_method(), target, *args), daemon=True)
    try:
        proc.start()
    except BaseException:
        close_end(parent)
        raise
    finally:
        child.close()
    return proc, parent


#: the parent's ends of the pipes of its children, and descriptors such as the output folder's lock:
#: a forked child closes its copies of them
_PARENT_ENDS: set[Connection] = set()
_CHILD_CLOSES: set[int] = set()


def not_for_children(fd: int) -> Callable[[], None]:
    """``fd`` closed in every child forked from now on (a worker holding the output folder's lock
    would keep it after the batch is killed); returns what closes it here."""
    _CHILD_CLOSES.add(fd)

    def close() -> None:
        _CHILD_CLOSES.discard(fd)
        os.close(fd)

    return close


def close_end(conn: Connection) -> None:
    _PARENT_ENDS.discard(conn)
    conn.close()


def _child(conn: Connection, method: str, target: Callable[..., None], *args: Any) -> None:
    """Every child's start: the parent's pipe ends it inherited by a fork closed (a spawned child
    has none), its life tied to the parent's (``method``: how it was started)."""
    for end in list(_PARENT_ENDS):
        end.close()
    _PARENT_ENDS.clear()
    for fd in list(_CHILD_CLOSES):
        os.close(fd)
    _CHILD_CLOSES.clear()
    for signum in _stopping_signals():  # a forked child is ended by them, not stopped like the batch
        if signal.getsignal(signum) is _stop:
            signal.signal(signum, signal.SIG_DFL)
    _die_with_parent(by_pid=os.name == "posix" and method in ("fork", "spawn"))
    target(conn, *args)


_PR_SET_PDEATHSIG = 1


def _die_with_parent(by_pid: bool) -> None:
    """The process ends when its parent does, however the parent ends (SIGKILL included): on Linux
    the kernel kills it (PR_SET_PDEATHSIG); everywhere a thread watches the parent (its process
    handle on Windows, its pipe under spawn and forkserver) and, ``by_pid`` (POSIX, its parent's
    own child: fork, spawn), whether its parent is still its parent."""
    parent = mp.parent_process()
    if parent is None:
        return
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
        except (OSError, AttributeError, ValueError):  # no prctl here: the thread below still watches
            pass
    if by_pid and os.getppid() != parent.pid:  # the parent went before the line above
        os._exit(1)
    import threading

    threading.Thread(target=_watch_parent, args=(parent, by_pid), daemon=True, name="parent-watch").start()


def _watch_parent(parent: Any, by_pid: bool) -> None:
    from multiprocessing.connection import wait as wait_for

    sentinel = getattr(parent, "sentinel", None)
    while True:
        if sentinel is not None:
            if wait_for([sentinel], timeout=1.0):
                os._exit(1)
        else:
            time.sleep(1.0)
        if by_pid and os.getppid() != parent.pid:  # a forked child's sentinel is shared with its siblings
            os._exit(1)


def process_setup(memory_mb: int) -> None:
    """What a worker and the checks across do first: one thread for numpy's libraries, the memory
    limited."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    limit_memory(memory_mb)


def exit_text(code: int | None) -> str:
    """How a child process that did not answer ended, in words."""
    if code is not None and code < 0:
        return f"进程被信号 {-code} 终止（可能是内存不足）"
    return f"进程意外退出（退出码 {code}）"


class Stopped(BaseException):
    """The batch was asked to stop (SIGTERM, SIGHUP); what is finished stays in the journal. Like
    KeyboardInterrupt, not an Exception: no handler of an error stops it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """SIGTERM, SIGHUP and (Windows) SIGBREAK raise Stopped in the batch, as Ctrl-C raises
    KeyboardInterrupt: the pool stops its workers, the journal keeps what is finished. Only the
    main thread can have handlers: called from another, nothing changes."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {}
    for signum in _stopping_signals():
        if signal.getsignal(signum) != signal.SIG_IGN:  # nohup's SIGHUP stays ignored
            old[signum] = signal.signal(signum, _stop)
    try:
        yield
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _stopping_signals() -> list[int]:
    return [getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGBREAK") if hasattr(signal, name)]


def _stop(signum: int, frame: Any) -> None:
    raise Stopped(signum)

"""The output folder of a batch: written by one batch at a time, or refused in words.

``output_lock`` keeps a second batch out of a folder a batch is writing (their journal lines would
interleave); ``writing`` turns an OSError while writing there (read-only, no permission, a file in
the path, a full disk) into OutputError, whose message says in Chinese which path and what to do.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from selfeval_xl.batch.children import not_for_children

__all__ = ["LOCK", "OutputBusy", "OutputError", "output_lock", "why_not", "writing"]

#: held by the batch writing an output folder (a second one refuses: OutputBusy)
LOCK = ".selfeval-lock"


class OutputError(Exception):
    """The output folder cannot be written (read-only, no permission, a file in its path, a full
    disk); the message, in Chinese, says which path and what to do."""


class OutputBusy(Exception):
    """Another batch is writing the output folder; the message, in Chinese, names it."""


#: why a path cannot be written, by the name of its errno
_CANNOT_WRITE = {"ENOSPC": "磁盘已满", "EDQUOT": "超出了磁盘配额", "EROFS": "所在的磁盘是只读的",
                 "EACCES": "没有写入权限，或文件正被其他程序（如 Excel、WPS）打开",
                 "EPERM": "没有写入权限，或文件正被其他程序（如 Excel、WPS）打开", "EFBIG": "文件超出了允许的大小",
                 "ENOTDIR": "路径中有一个同名的文件", "EEXIST": "已有一个同名的文件",
                 "EISDIR": "那里有一个同名的文件夹或不是普通文件的东西", "ELOOP": "那里是一个符号链接"}


def why_not(exc: OSError) -> str:
    """Why a path cannot be opened or written, in Chinese (the system's own words only for an
    error not in the table)."""
    return _CANNOT_WRITE.get(errno.errorcode.get(exc.errno or 0, ""), exc.strerror or type(exc).__name__)


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """An OSError inside is OutputError, saying what cannot be written and why."""
    try:
        yield
    except OSError as exc:
        why = why_not(exc)
        raise OutputError(f"无法写入 {path}：{why}。请换一个可以写入、有足够空间的输出文件夹（-o），"
                          "或处理后再次运行同一命令（已完成的文件不会重做）。") from None


@contextmanager
def output_lock(outdir: Path) -> Iterator[None]:
    """The output folder for this batch alone while it runs: a second batch into it (whose journal
    lines would interleave with ours) refuses with OutputBusy. The lock is the operating system's
    on LOCK (fcntl on POSIX, msvcrt on Windows), released when the process ends however it ends:
    a killed batch leaves no stale lock. Where neither exists (or the file system refuses it), LOCK
    is created exclusively and holds pid and host; a lock whose process is gone (same host) is
    taken over."""
    import socket

    me = f"{os.getpid()} {socket.gethostname()} {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
    release = _lock(outdir / LOCK, me)
    try:
        yield
    finally:
        release()


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # a link planted at LOCK is not followed
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def _lock(path: Path, me: str) -> Callable[[], None]:
    try:
        import fcntl
    except ImportError:
        pass
    else:
        release = _flock(fcntl, path, me)
        if release is not None:
            return release
    try:
        import msvcrt
    except ImportError:
        return _exclusive_file(path, me)
    return _msvcrt_lock(msvcrt, path, me)


def _flock(fcntl: Any, path: Path, me: str) -> Callable[[], None] | None:
    """flock on LOCK; None where the file system has no such locks."""
    with writing(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = _holder(fd, 0)
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise OutputBusy(_busy(path.parent, holder)) from None
        return None  # ENOLCK, EOPNOTSUPP: a network file system without flock
    with writing(path):  # and the output folder proved writable
        os.ftruncate(fd, 0)
        os.write(fd, me.encode())
    return not_for_children(fd)  # never removed: another batch may hold it open, waiting to lock it


def _msvcrt_lock(msvcrt: Any, path: Path, me: str) -> Callable[[], None]:
    """Windows: its first byte locked; who holds it written after that byte (a locked byte cannot
    be read by another process)."""
    with writing(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _BINARY, 0o666)
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        holder = _holder(fd, 1)
        os.close(fd)
        raise OutputBusy(_busy(path.parent, holder)) from None
    with writing(path):
        os.lseek(fd, 1, os.SEEK_SET)
        os.write(fd, me.encode())
        os.ftruncate(fd, 1 + len(me.encode()))

    def release() -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
        os.close(fd)

    return release


def _exclusive_file(path: Path, me: str) -> Callable[[], None]:
    """LOCK created exclusively, holding pid and host, removed at the end; one left by a process
    that is gone (on this host) is taken over."""
    for attempt in (1, 2):
        with writing(path):
            fd = _create_new(path)
        if fd < 0:
            try:
                holder = path.read_text(encoding="utf-8", errors="replace").strip()
            except OSError:
                holder = ""
            if attempt == 1 and _stale(holder):
                with writing(path):
                    path.unlink(missing_ok=True)
                continue
            raise OutputBusy(_busy(path.parent, holder))
        with writing(path):
            os.write(fd, me.encode())
        return _closing_and_removing(fd, path)
    raise AssertionError("unreachable")  # pragma: no cover


def _closing_and_removing(fd: int, path: Path) -> Callable[[], None]:
    def release() -> None:
        os.close(fd)
        path.unlink(missing_ok=True)

    return release


def _create_new(path: Path) -> int:
    """A descriptor of ``path`` created now, or -1 when it exists."""
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o666)
    except FileExistsError:
        return -1


def _stale(holder: str) -> bool:
    """A lock written by a process of this host that no longer runs (or not written at all: a
    batch writes it as it creates it, so an empty one was cut by a crash)."""
    import socket

    parts = holder.split()
    if len(parts) < 2 or not parts[0].isdigit():
        return True
    if parts[1] != socket.gethostname() or os.name != "posix":  # os.kill(pid, 0) on Windows ends the process
        return False
    try:
        os.kill(int(parts[0]), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _holder(fd: int, at: int) -> str:
    try:
        os.lseek(fd, at, os.SEEK_SET)
        return os.read(fd, 300).decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _busy(outdir: Path, holder: str) -> str:
    parts = holder.split(maxsplit=2)
    who = f"（进程 {parts[0]}，计算机 {parts[1]}，开始于 {parts[2]}）" if len(parts) == 3 else ""
    return (f"输出文件夹 {outdir} 正由另一个 batch 使用{who}。两个 batch 不能同时写同一个输出文件夹："
            "请等它结束后再运行，或换一个输出文件夹（-o）。")

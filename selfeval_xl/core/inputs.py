"""Reading the files that are not submissions, within bounds.

A rule file (``--rules``), last year's results (``--previous``), the consolidation's inputs and a
report template (``--template``) are read through here: each must be a regular file, opened
without waiting (a FIFO would block ``open`` until someone writes to it) and checked again once
open, and each is read within a size limit, so a FIFO, a device such as /dev/zero or a huge file is
a clear error naming the file, in bounded time and memory, never a hang. Submissions have their own,
stricter intake (``intake.py``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["InputError", "LineTooLong", "iter_lines", "not_a_file", "open_regular", "read_limited", "size_text"]


class InputError(ValueError):
    """A file the tool cannot read as asked: the message is in Chinese and names the file."""


_KINDS = ((stat.S_ISDIR, "文件夹"), (stat.S_ISFIFO, "命名管道（FIFO）"), (stat.S_ISCHR, "设备"),
          (stat.S_ISBLK, "设备"), (stat.S_ISSOCK, "套接字"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "特殊文件")


def _refuse(path: Path, mode: int, what: str) -> InputError:
    if stat.S_ISDIR(mode):
        return InputError(f"{path} 是文件夹，不是{what}")
    return InputError(f"{path} 是{_kind(mode)}，不是普通文件，不能作为{what}读取")


def not_a_file(path: Path, what: str = "文件") -> str:
    """Why ``path`` is not a regular file when it exists as something else (a folder, a FIFO, a
    device); '' when it is one, or is not there at all."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return ""
    return "" if stat.S_ISREG(mode) else str(_refuse(path, mode, what))


def open_regular(path: str | Path, what: str) -> BinaryIO:
    """``path`` opened for reading in binary. Anything but a regular file (after symbolic links)
    is refused with InputError before a byte is read; OSError (absent, no permission) is raised
    as it is, for the caller's own message."""
    path = Path(path)
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise _refuse(path, mode, what)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode  # what was opened, had it been swapped since the stat
        if not stat.S_ISREG(mode):
            raise _refuse(path, mode, what)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def size_text(n: int) -> str:
    """A byte count as a person reads it (the limits are round figures)."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} 字节"


def read_limited(path: str | Path, limit: int, what: str) -> bytes:
    """The whole of a regular file of at most ``limit`` bytes; InputError for a larger one (only
    ``limit`` + 1 bytes are ever read)."""
    with open_regular(path, what) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"{path} 超过{what}的大小上限 {size_text(limit)}，不是{what}")
    return data


def iter_lines(fh: BinaryIO, limit: int) -> Iterator[tuple[int, bytes]]:
    """(line number from 1, line) of a binary file, each line read with at most ``limit`` + 1
    bytes held: a longer one raises ValueError with its number (a file of zeros, a line without
    end, never fills the memory)."""
    number = 0
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit:
            raise LineTooLong(number, limit)
        yield number, line


class LineTooLong(ValueError):
    def __init__(self, line: int, limit: int):
        self.line = line
        self.limit = limit
        super().__init__(f"line {line} is longer than {limit} bytes")

"""Making submitted text safe to write into what the bureau opens (intake.md).

Text from a submission is always written as a string (never a formula or a link), with the
control characters Excel cannot store removed and cut at Excel's 32,767 characters. File and
sheet names derived from submissions are made safe. CSV cells that a spreadsheet would read as a
formula are prefixed with ``'``.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = ["EXCEL_MAX_TEXT", "atomic_write", "clean_text", "csv_cell", "safe_filename", "xml_text"]

EXCEL_MAX_TEXT = 32767
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width


def clean_text(value: object) -> str:
    """Text Excel can store: no control characters, at most 32,767 characters."""
    text = value if isinstance(value, str) else str(value)
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    return text if len(text) <= EXCEL_MAX_TEXT else text[:EXCEL_MAX_TEXT]


def xml_text(value: object) -> str:
    """Cleaned text escaped for an XML text node or attribute."""
    return escape(clean_text(value), {'"': "&quot;"})


def csv_cell(value: object) -> str:
    """A CSV field that no spreadsheet reads as a formula."""
    text = clean_text("" if value is None else value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


_UNSAFE_NAME = re.compile(r'[\x00-\x1f<>:"/\\|?*\[\]#%&{}$!`\'@+=]')


def safe_filename(name: str, limit: int = 120) -> str:
    """A file name without path separators, traversal, or characters that break links."""
    name = _UNSAFE_NAME.sub("_", clean_text(name)).strip(" .")
    name = re.sub(r"_+", "_", name)
    return (name or "file")[:limit]


def umask() -> int:
    """The process's umask (read by setting it, then putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to a temporary file in ``path``'s folder and rename it into place, so a
    reader never sees a half-written file. The file gets the permissions any file the user writes
    gets (0666 less the umask), not mkstemp's private 0600: colleagues on a shared drive open it.
    ``durable``: fsync before the rename; a batch writing thousands of copies syncs once at its end
    instead (a crash of the process loses nothing either way: the page cache outlives it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        if hasattr(os, "fchmod"):  # not on Windows before Python 3.13 (where mkstemp's file is writable anyway)
            os.fchmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise

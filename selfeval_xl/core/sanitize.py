"""Making submitted text safe to write into what the bureau opens (intake.md).

Text from a submission is always written as a string (never a formula or a link), with the
control characters Excel cannot store removed and cut at Excel's 32,767 characters with a mark of
the cut (``cut_text``). File and
sheet names derived from submissions are made safe. CSV cells that a spreadsheet would read as a
formula are prefixed with ``'``.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["EXCEL_MAX_TEXT", "NAME_BYTES", "append_to", "atomic_write", "clean_text", "csv_cell", "cut_text", "cut_texts",
           "display_name", "fit_bytes",
           "fit_chars",
           "is_windows_reserved", "log_entry", "safe_filename", "text_name", "xml_text"]

EXCEL_MAX_TEXT = 32767
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width


def cut_text(text: str) -> str:
    """A text of at most 32,767 characters (what one cell of Excel or WPS holds): a longer one is
    its start and a mark saying it was cut and how long it was ("…（全文共 100,000 字，以下略去）"),
    within the 32,767. Every output that carries submitted text cuts it so (results.json and the
    journal through ``Assessment.to_dict``, every workbook cell and CSV field through ``clean_text``):
    the same text reads the same everywhere."""
    if len(text) <= EXCEL_MAX_TEXT:
        return text
    mark = f"…（全文共 {len(text):,} 字，以下略去）"
    return text[:EXCEL_MAX_TEXT - len(mark)] + mark


def cut_texts(value: Any) -> Any:
    """``cut_text`` on every string of a JSON-like value (dicts, lists, tuples), keys included."""
    if isinstance(value, str):
        return cut_text(value)
    if isinstance(value, dict):
        return {cut_text(k) if isinstance(k, str) else k: cut_texts(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [cut_texts(v) for v in value]
    return value


def clean_text(value: object) -> str:
    """Text Excel can store: no control characters, at most 32,767 characters (``cut_text``)."""
    text = value if isinstance(value, str) else str(value)
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    return cut_text(text)


def xml_text(value: object) -> str:
    """Cleaned text escaped for an XML text node or attribute."""
    return escape(clean_text(value), {'"': "&quot;"})


def csv_cell(value: object) -> str:
    """A CSV field that no spreadsheet reads as a formula."""
    text = clean_text("" if value is None else value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


#: characters a file name never keeps: path separators, what Windows forbids (<>:"|?*), control
#: characters (C0, DEL, C1), invisible direction overrides that can disguise a name, and what breaks
#: a link or a formula ([]#%&{}$!`'@+=)
_UNSAFE_NAME = re.compile('[\x00-\x1f\x7f-\x9f<>:"/\\\\|?*\\[\\]#%&{}$!`\'@+=\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff]')
_REPEATS = re.compile("_{2,}")
#: names Windows gives to devices, whatever the extension ("CON.xlsx" is the console)
WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                              *(f"{d}{n}" for d in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3")})
#: bytes of one path component (ext4, XFS, APFS; NTFS counts 255 UTF-16 units, never more than these bytes)
NAME_BYTES = 255


def is_windows_reserved(name: str) -> bool:
    """``name`` is a device on Windows: CON, NUL, COM1 … with any extension, any case, trailing spaces."""
    return name.split(".", 1)[0].rstrip(" ").upper() in WINDOWS_RESERVED


def short_hash(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def fit_bytes(name: str, max_bytes: int, key: str | None = None) -> str:
    """``name`` in at most ``max_bytes`` UTF-8 bytes: cut at a character and ended by ``~`` and a
    short hash of ``key`` (the name before it was made safe), so two long names that begin alike stay
    two names."""
    if len(name.encode("utf-8")) <= max_bytes:
        return name
    tail = "~" + short_hash(name if key is None else key)
    head = name.encode("utf-8")[: max(0, max_bytes - len(tail))].decode("utf-8", "ignore").rstrip(" ._")
    return head + tail


def fit_chars(name: str, max_chars: int, key: str | None = None) -> str:
    """``name`` in at most ``max_chars`` characters, shortened as ``fit_bytes`` does."""
    if len(name) <= max_chars:
        return name
    tail = "~" + short_hash(name if key is None else key)
    return name[: max(0, max_chars - len(tail))].rstrip(" ._") + tail


def safe_filename(name: str, max_bytes: int = NAME_BYTES) -> str:
    """One path component that every file system the bureau uses accepts: no separators, control
    or invisible characters, nothing Windows forbids (<>:"|?*, a device name like CON or COM1, a
    trailing dot or space), no leading dot (hidden), at most ``max_bytes`` bytes (a longer name is
    cut and given a short hash of the whole name)."""
    text = _REPEATS.sub("_", _UNSAFE_NAME.sub("_", _readable(name[:EXCEL_MAX_TEXT]))).strip(" .")
    text = text or "file"
    if is_windows_reserved(text):
        text = "_" + text
    return fit_bytes(text, max_bytes, key=name)


def _readable(name: str) -> str:
    """A name whose bytes are not UTF-8 (a zip from Chinese Windows unpacked on Linux keeps its GBK
    bytes; Python holds them as surrogates) read as GB18030 when they are that."""
    if not _SURROGATE.search(name):
        return name
    try:
        return name.encode("utf-8", "surrogateescape").decode("gb18030")
    except UnicodeError:
        return name


def text_name(name: str) -> str:
    """A file name as text that any UTF-8 writer takes: the bytes of a name that is not UTF-8 shown
    as ``\\xNN`` (every other character kept)."""
    return _SURROGATE.sub(lambda m: _escape(m.group()), name) if _SURROGATE.search(name) else name


_SURROGATE = re.compile("[\ud800-\udfff]")
_SHOWN_AS = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: what display_name shows as an escape: control characters (C0, DEL, C1), the invisible ones (soft
#: hyphen, zero-width spaces and joiners, word joiner and the invisible operators, tag characters),
#: every direction mark, embedding, override and isolate (U+061C, U+200E/F, U+202A-E, U+2066-9), the
#: deprecated format controls, interlinear annotations, line and paragraph separators, the BOM, and a
#: byte of a name that is not UTF-8
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
                          "\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]")


def display_name(name: str) -> str:
    """A file name as one line of a console, a log or a CSV cell: a control or invisible character
    shown as its escape (``\\n``, ``\\x07``, ``\\u202e``), so a name cannot add a line or hide its end."""
    return _UNPRINTABLE.sub(lambda m: _SHOWN_AS.get(m.group(), _escape(m.group())), name)


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a name that is not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code > 0xFFFF:
        return f"\\U{code:08x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def log_entry(name: str, trace: str) -> bytes:
    """An entry of an error log: a header line naming the file (one line, whatever the name holds)
    and the traceback indented, so nothing a file name holds can pass for an entry of its own."""
    import time

    body = "".join(f"    {line}\n" for line in trace.rstrip("\n").splitlines())
    return f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {display_name(name)}\n{body}".encode("utf-8", "replace")


def append_to(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` (made if missing), never through a link (O_NOFOLLOW)."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o666)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


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

"""The journal: one line per finished file, what a resumed batch trusts as complete."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selfeval_xl.batch.output_folder import writing
from selfeval_xl.batch.tasks import INTERNAL, FileTask
from selfeval_xl.batch.worker import Packed
from selfeval_xl.rules.model import Rules

# The journal: what is complete


@dataclass(frozen=True, slots=True)
class Entry:
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
    scored_by: str = ""


_TOOL_DIGEST: str = ""


def tool_digest() -> str:
    """A digest of the tool's own files (its code and bundled data): a batch resumed by another
    version of the tool redoes every file."""
    global _TOOL_DIGEST
    if not _TOOL_DIGEST:
        h = hashlib.sha256()
        package = Path(__file__).resolve().parent.parent  # selfeval_xl/, every stage's code and data
        for f in sorted(package.rglob("*")):
            if f.suffix in (".py", ".yaml", ".yml", ".docx", ".json") and "__pycache__" not in f.parts:
                h.update(f.relative_to(package).as_posix().encode() + b"\0" + f.read_bytes())
        _TOOL_DIGEST = h.hexdigest()
    return _TOOL_DIGEST


def journal_rules_key(rules_path: Path | None, rules: Rules) -> str:
    """What a journal entry's results depend on besides the tool: the digest of the rule file
    --rules gives, or (without it) the choice of each file's rule set by its template version."""
    return rules.digest if rules_path else "by-template-version"


#: a journal line's header: each key and the type of its value (a line with another header is not ours)
_HEADER = {"rel": str, "rules": str, "tool": str, "status": str, "copy": str, "code": str, "sha256": str,
           "cross": str, "set": str, "crc": int}
_STATUSES = frozenset({"ok", "errors", "failed", INTERNAL})


def journal_line(task: FileTask, rules_key: str, packed: Packed) -> tuple[bytes, int]:
    """A journal line for a finished file, and where its result's JSON starts in the line."""
    crc = zlib.crc32(packed.payload + b"\t" + packed.extras)
    head = json.dumps({"rel": task.rel, "rules": rules_key, "tool": tool_digest(), "status": packed.status,
                       "copy": packed.copy, "code": packed.code, "sha256": packed.sha256, "cross": packed.cross,
                       "set": packed.scored_by, "crc": crc}, ensure_ascii=False).encode("utf-8")
    return head + b"\t" + packed.payload + b"\t" + packed.extras + b"\n", len(head) + 1


def _header(head: bytes) -> dict[str, Any] | None:
    """A journal line's header if it is one of ours (every key, of its type), else None."""
    try:
        meta = json.loads(head)
    except ValueError:  # not JSON, or not UTF-8
        return None
    if not isinstance(meta, dict) or meta.get("status") not in _STATUSES:
        return None
    if not all(type(meta.get(k)) is t for k, t in _HEADER.items()):
        return None
    return meta


def load_journal(path: Path, rules_key: str) -> dict[str, Entry]:
    """rel path -> the latest entry of every file finished under the same rules, by the same tool.

    A journal line is the entry's small JSON header, a tab, the result's JSON, a tab and the
    extras' JSON (JSON holds no raw tab), and a newline. A line that is not whole and ours (cut by an
    interruption, edited, damaged: a header not as written, a checksum that does not match what
    follows) is ignored: its file is done again. Raises OutputError when the journal is there but is
    not a file we can read."""
    done: dict[str, Entry] = {}
    with writing(path):
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return done
        if not stat.S_ISREG(st.st_mode):  # a folder, a FIFO (opening it would wait forever), a link
            raise IsADirectoryError(errno.EISDIR, "不是文件", str(path))
        fh = open(path, "rb")
    with fh:
        offset = 0
        for line in fh:
            start = offset
            offset += len(line)
            parts = line.split(b"\t")
            if len(parts) != 3 or not line.endswith(b"\n"):
                continue
            head, payload, extras = parts
            meta = _header(head)
            if meta is None or meta["crc"] != zlib.crc32(payload + b"\t" + extras[:-1]):
                continue
            if meta["rules"] != rules_key or meta["tool"] != tool_digest():
                continue
            at = start + len(head) + 1
            done[meta["rel"]] = Entry(at, len(payload), meta["status"], meta["copy"], meta["code"], meta["sha256"],
                                       at + len(payload) + 1, len(extras) - 1, meta["cross"], meta["set"])
    return done


def complete(task: FileTask, entry: Entry | None, outdir: Path) -> bool:
    if entry is None or entry.sha256 != task.sha256:
        return False
    if entry.status == INTERNAL or (entry.status == "failed" and entry.code in ("F008", "F009")):
        return False  # a timeout, a crash or an error of ours is tried again
    if entry.status == "failed":
        return entry.copy == ""
    return (entry.copy == task.copy_rel and (outdir / entry.copy).exists()
            and (not task.report_rel or (outdir / task.report_rel).exists()))


# ---------------------------------------------------------------------------------------------

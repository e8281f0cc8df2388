"""Small readers of OOXML package parts, shared by intake and the scored copy.

Relationships and the workbook's sheet list are read with regular expressions: the parts are
tiny, have already been checked for DTDs by intake, and a full XML parser costs more than the
rest of reading them. Attribute values are unescaped; either quote style is accepted; elements may
carry any namespace prefix, and Strict OOXML's relationship namespace is understood.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zlib
from html import unescape
from typing import BinaryIO, Iterable

__all__ = ["Rel", "rels_name", "parse_rels", "parse_sheets", "attrs", "ZipWriter"]

_ATTR = re.compile(r"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REL = re.compile(r"<(?:\w+:)?Relationship\b([^>]*?)/?>")
_SHEET = re.compile(r"<(?:\w+:)?sheet\b([^>]*?)/?>")


def attrs(text: str) -> dict[str, str]:
    """An element's attributes (names with their prefix), values unescaped."""
    return {k: unescape(a if a or not b else b) for k, a, b in _ATTR.findall(text)}


class Rel(tuple):
    """(id, type, target as written, resolved part name, or '' for an external target)."""

    __slots__ = ()

    def __new__(cls, rid: str, typ: str, target: str, part: str):
        return super().__new__(cls, (rid, typ, target, part))

    @property
    def id(self) -> str:
        return self[0]

    @property
    def type(self) -> str:
        return self[1]

    @property
    def part(self) -> str:
        return self[3]


def rels_name(part: str) -> str:
    """The relationships part of ``part`` ('' for the package's own)."""
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def parse_rels(text: str, part: str) -> list[Rel]:
    """The relationships of ``part`` from its .rels text."""
    base = posixpath.dirname(part)
    out = []
    for m in _REL.finditer(text):
        a = attrs(m.group(1))
        target = a.get("Target", "")
        if a.get("TargetMode") == "External":
            resolved = ""
        elif target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = posixpath.normpath(posixpath.join(base, target))
        out.append(Rel(a.get("Id", ""), a.get("Type", ""), target, resolved))
    return out


def parse_sheets(workbook_xml: str) -> list[tuple[str, str]]:
    """(sheet name, relationship id) of every <sheet> in workbook.xml, in order."""
    out = []
    for m in _SHEET.finditer(workbook_xml):
        a = attrs(m.group(1))
        rid = next((v for k, v in a.items() if k.endswith(":id")), "") or a.get("id", "")
        out.append((a.get("name", ""), rid))
    return out


class ZipWriter:
    """A minimal ZIP writer: parts that did not change are copied as their compressed bytes (no
    inflating and deflating again); new or changed parts are deflated, a large one streamed in
    chunks. No ZIP64 (intake limits a package to 100 MiB and 5,000 parts; a summary's parts stay
    under 4 GiB), no encryption, UTF-8 names. Writes to ``fh`` (a file opened for writing and
    seeking), or to memory."""

    def __init__(self, fh: BinaryIO | None = None, level: int = 6):
        self.out = fh if fh is not None else io.BytesIO()
        self.central: list[bytes] = []
        self.level = level
        self.count = 0

    def _header(self, name: str, method: int, crc: int, csize: int, usize: int, date_time) -> tuple[bytes, int, int]:
        raw_name = name.encode("utf-8")
        flags = 0x800 if not raw_name.isascii() else 0
        y, mo, d, h, mi, s = date_time
        dostime = (h << 11) | (mi << 5) | (s // 2)
        dosdate = (max(y - 1980, 0) << 9) | (mo << 5) | d
        head = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, flags, method, dostime, dosdate, crc, csize, usize,
                           len(raw_name), 0) + raw_name
        return head, dostime, dosdate

    def _central(self, name: str, method: int, crc: int, csize: int, usize: int, dostime: int, dosdate: int,
                 offset: int, external_attr: int = 0) -> None:
        raw_name = name.encode("utf-8")
        flags = 0x800 if not raw_name.isascii() else 0
        self.central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, flags, method, dostime, dosdate,
                                        crc, csize, usize, len(raw_name), 0, 0, 0, 0, external_attr, offset) + raw_name)
        self.count += 1

    def _entry(self, name: str, method: int, crc: int, csize: int, usize: int, date_time, payload: bytes,
               external_attr: int = 0) -> None:
        offset = self.out.tell()
        head, dostime, dosdate = self._header(name, method, crc, csize, usize, date_time)
        self.out.write(head)
        self.out.write(payload)
        self._central(name, method, crc, csize, usize, dostime, dosdate, offset, external_attr)

    def copy(self, info, source: bytes, data_start: int) -> None:
        """Copy a part of ``source`` as it is compressed (``data_start``: where its data begins)."""
        payload = source[data_start: data_start + info.compress_size]
        self._entry(info.filename, info.compress_type, info.CRC, info.compress_size, info.file_size, info.date_time,
                    payload, info.external_attr)

    def add(self, name: str, data: bytes, date_time=(1980, 1, 1, 0, 0, 0)) -> None:
        c = zlib.compressobj(self.level, zlib.DEFLATED, -15)
        payload = c.compress(data) + c.flush()
        self._entry(name, 8, zlib.crc32(data), len(payload), len(data), date_time, payload)

    def add_stream(self, name: str, chunks: Iterable[bytes], level: int = 1,
                   date_time=(1980, 1, 1, 0, 0, 0)) -> None:
        """Deflate a part from ``chunks`` without holding it; the local header is written again
        once the sizes are known."""
        offset = self.out.tell()
        head, dostime, dosdate = self._header(name, 8, 0, 0, 0, date_time)
        self.out.write(head)
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
        crc = usize = csize = 0
        for chunk in chunks:
            crc = zlib.crc32(chunk, crc)
            usize += len(chunk)
            out = c.compress(chunk)
            csize += len(out)
            self.out.write(out)
        out = c.flush()
        csize += len(out)
        self.out.write(out)
        end = self.out.tell()
        self.out.seek(offset)
        self.out.write(self._header(name, 8, crc, csize, usize, date_time)[0])
        self.out.seek(end)
        self._central(name, 8, crc, csize, usize, dostime, dosdate, offset)

    def finish(self) -> bytes:
        start = self.out.tell()
        for rec in self.central:
            self.out.write(rec)
        size = self.out.tell() - start
        self.out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, self.count, self.count, size, start, 0))
        return self.out.getvalue() if isinstance(self.out, io.BytesIO) else b""

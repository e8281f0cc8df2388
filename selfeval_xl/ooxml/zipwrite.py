"""A minimal ZIP writer for the packages we write (scored copies, summaries).

Parts that did not change are copied as their compressed bytes (no inflating and deflating
again); new or changed parts are deflated, a large one streamed in chunks. No ZIP64 (intake limits a
package to 100 MiB and 5,000 parts; a summary's parts stay under 4 GiB), no encryption, UTF-8 names.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterable
from typing import BinaryIO

__all__ = ["ZipWriter"]

DateTime = tuple[int, int, int, int, int, int]


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

    def _header(self, name: str, method: int, crc: int, csize: int, usize: int, date_time: DateTime) -> tuple[bytes, int, int]:
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

    def _entry(self, name: str, method: int, crc: int, csize: int, usize: int, date_time: DateTime, payload: bytes,
               external_attr: int = 0) -> None:
        offset = self.out.tell()
        head, dostime, dosdate = self._header(name, method, crc, csize, usize, date_time)
        self.out.write(head)
        self.out.write(payload)
        self._central(name, method, crc, csize, usize, dostime, dosdate, offset, external_attr)

    def copy(self, name: str, method: int, crc: int, size: int, date_time: DateTime, payload: bytes,
             external_attr: int = 0) -> None:
        """Copy a part as it is compressed (``payload``: its compressed bytes)."""
        self._entry(name, method, crc, len(payload), size, date_time, payload, external_attr)

    def add(self, name: str, data: bytes, date_time: DateTime = (1980, 1, 1, 0, 0, 0)) -> None:
        c = zlib.compressobj(self.level, zlib.DEFLATED, -15)
        payload = c.compress(data) + c.flush()
        self._entry(name, 8, zlib.crc32(data), len(payload), len(data), date_time, payload)

    def add_stream(self, name: str, chunks: Iterable[bytes], level: int = 1,
                   date_time: DateTime = (1980, 1, 1, 0, 0, 0)) -> None:
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

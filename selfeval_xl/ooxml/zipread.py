"""Reading the parts of a zip package strictly, within limits.

The central directory is read by our own code (ZIP64 included; no version number refused: Excel
ignores it too); each entry is checked against the limits before anything is inflated, its local
header must agree with the directory (name and method), only the two methods Excel writes are
accepted (stored, deflate), encrypted entries are F004, and a part is inflated straight from the
file's bytes with its size and CRC checked. Part names compare case-insensitively, as OPC says.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from .errors import Limits, MiB, Rejected

__all__ = ["EMPTY_ZIP_MAGIC", "ZIP_MAGIC", "Entry", "ZipReader", "check_directory", "read_directory"]

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_STORED, _DEFLATED, _AES = 0, 8, 99
_ENCRYPTED, _STRONG_ENCRYPTION, _UTF8 = 0x1, 0x40, 0x800


@dataclass(frozen=True, slots=True)
class Entry:
    """One part of the package as its directory describes it."""

    name: str  # '/'-separated, no leading '/'
    method: int
    flags: int
    crc: int
    compressed: int
    size: int
    header_offset: int
    date_time: tuple[int, int, int, int, int, int]
    external_attr: int


class ZipReader:
    """The parts of a zip file held in memory, read only after the directory passed the limits."""

    def __init__(self, data: bytes, limits: Limits):
        self.data = data
        self.limits = limits
        entries = [e for e in read_directory(data, limits) if not e.name.endswith("/")]  # no folder entries
        check_directory(entries, limits)
        self.entries: dict[str, Entry] = {e.name: e for e in entries}
        self._by_lower: dict[str, str] = {e.name.lower(): e.name for e in entries}
        self._data_offsets: dict[str, int] = {}

    # names ----------------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return list(self.entries)

    def find(self, name: str) -> str | None:
        """The entry's name as stored, for a part name in any letter case; None when absent."""
        return self._by_lower.get(name.lower())

    # contents -------------------------------------------------------------------------------------
    def data_offset(self, name: str) -> int:
        """Where the entry's compressed bytes begin, after its local header was checked."""
        hit = self._data_offsets.get(name)
        if hit is None:
            hit = self._data_offsets[name] = self._check_local_header(self.entries[name])
        return hit

    def compressed(self, name: str) -> bytes:
        start = self.data_offset(name)
        return self.data[start: start + self.entries[name].compressed]

    def read(self, name: str, limit: int | None = None) -> bytes:
        """The inflated part; its size and CRC are checked. ``limit``: refuse a part larger than
        this (F006) before inflating it."""
        entry = self.entries[name]
        if limit is not None and entry.size > limit:
            raise Rejected("F006", f"部件 {name} 解压后 {entry.size / MiB:,.1f} MiB，超过 {limit / MiB:g} MiB 的限制")
        raw = self.compressed(name)
        if entry.method == _STORED:
            out = raw
        else:
            try:
                d = zlib.decompressobj(-15)
                out = d.decompress(raw, entry.size + 1)
            except zlib.error:
                raise Rejected("F003", f"部件 {name} 无法解压（数据损坏）") from None
        if len(out) != entry.size or zlib.crc32(out) != entry.crc:
            raise Rejected("F003", f"部件 {name} 已损坏（长度或校验和不符）")
        return out

    def verify(self, name: str) -> None:
        """Inflate a part in pieces, checking its size and CRC, keeping nothing."""
        entry = self.entries[name]
        raw = self.compressed(name)
        if entry.method == _STORED:
            crc, size = zlib.crc32(raw), len(raw)
        else:
            d = zlib.decompressobj(-15)
            crc = size = 0
            try:
                for i in range(0, len(raw), 1 << 20):
                    piece = d.decompress(raw[i: i + (1 << 20)], entry.size + 1 - size)
                    crc, size = zlib.crc32(piece, crc), size + len(piece)
                    while d.unconsumed_tail and size <= entry.size:
                        piece = d.decompress(d.unconsumed_tail, entry.size + 1 - size)
                        crc, size = zlib.crc32(piece, crc), size + len(piece)
                piece = d.flush()
                crc, size = zlib.crc32(piece, crc), size + len(piece)
            except zlib.error:
                raise Rejected("F003", f"部件 {name} 无法解压（数据损坏）") from None
        if size != entry.size or crc != entry.crc:
            raise Rejected("F003", f"部件 {name} 已损坏（长度或校验和不符）")

    def head(self, name: str, size: int) -> bytes:
        """The first ``size`` bytes of a part (or all of it), without inflating the rest."""
        entry = self.entries[name]
        start = self.data_offset(name)
        if entry.method == _STORED:
            return self.data[start: start + min(size, entry.compressed)]
        raw = self.data[start: start + min(entry.compressed, size + 4096)]
        try:
            return zlib.decompressobj(-15).decompress(raw, size)
        except zlib.error:
            raise Rejected("F003", f"部件 {name} 无法解压（数据损坏）") from None

    def _check_local_header(self, entry: Entry) -> int:
        off = entry.header_offset
        head = self.data[off: off + 30]
        if len(head) < 30 or head[:4] != ZIP_MAGIC:
            raise Rejected("F003", f"部件 {entry.name} 的文件头损坏")
        flags, method = struct.unpack("<HH", head[6:10])
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        raw_name = self.data[off + 30: off + 30 + name_len]
        local = raw_name.decode("utf-8" if flags & _UTF8 else "cp437", "replace").replace("\\", "/").lstrip("/")
        if local != entry.name:
            raise Rejected("F003", f"部件 {entry.name} 的文件头与目录不一致（名称）")
        if method != entry.method:
            raise Rejected("F003", f"部件 {entry.name} 的文件头与目录不一致（压缩方式）")
        start = off + 30 + name_len + extra_len
        if start + entry.compressed > len(self.data):
            raise Rejected("F003", f"部件 {entry.name} 不完整（文件被截断）")
        return start


_EOCD, _EOCD64, _LOCATOR64, _CENTRAL = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07", b"PK\x01\x02"


def read_directory(data: bytes, limits: Limits) -> list[Entry]:
    """The central directory's entries (ZIP64 included). The number of entries is checked against
    the limits before any entry is read."""
    end = data.rfind(_EOCD, max(0, len(data) - 22 - 65535))
    if end < 0 or end + 22 > len(data):
        raise Rejected("F003", "压缩结构损坏（找不到目录）")
    count, size, offset = struct.unpack_from("<HII", data, end + 10)
    if (count == 0xFFFF or size == 0xFFFFFFFF or offset == 0xFFFFFFFF) and end >= 20 \
            and data[end - 20: end - 16] == _LOCATOR64:
        at = struct.unpack_from("<Q", data, end - 12)[0]
        if data[at: at + 4] != _EOCD64 or at + 56 > len(data):
            raise Rejected("F003", "压缩结构损坏（ZIP64 目录）")
        count, size, offset = struct.unpack_from("<QQQ", data, at + 32)
    if count > limits.max_entries:  # before any entry is looked at
        raise Rejected("F006", f"压缩包有 {count:,} 个部件，超过 {limits.max_entries:,} 个的限制")
    if offset + size > len(data):
        raise Rejected("F003", "压缩结构损坏（目录超出文件）")
    entries = []
    at = offset
    for _ in range(count):
        if data[at: at + 4] != _CENTRAL or at + 46 > len(data):
            raise Rejected("F003", "压缩结构损坏（目录记录）")
        (flags, method, time, date, crc, compressed, size_, n_name, n_extra, n_comment, attr,
         header) = struct.unpack_from("<8xHHHHIIIHHH4xII", data, at)
        raw_name = data[at + 46: at + 46 + n_name]
        extra = data[at + 46 + n_name: at + 46 + n_name + n_extra]
        size_, compressed, header = _zip64(extra, size_, compressed, header)
        name = raw_name.decode("utf-8" if flags & _UTF8 else "cp437", "replace").replace("\\", "/").lstrip("/")
        dt = ((date >> 9) + 1980, (date >> 5) & 15, date & 31, time >> 11, (time >> 5) & 63, (time & 31) * 2)
        entries.append(_entry(Entry(name, method, flags, crc, compressed, size_, header, dt, attr)))
        at += 46 + n_name + n_extra + n_comment
    return entries


def _zip64(extra: bytes, size: int, compressed: int, header: int) -> tuple[int, int, int]:
    """Sizes and offset from a ZIP64 extra field, for those the record marks 0xFFFFFFFF."""
    i = 0
    while i + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, i)
        if kind == 1:
            body = extra[i + 4: i + 4 + length]
            values = [struct.unpack_from("<Q", body, j)[0] for j in range(0, len(body) - 7, 8)]
            for field in ("size", "compressed", "header"):
                current = {"size": size, "compressed": compressed, "header": header}[field]
                if current == 0xFFFFFFFF and values:
                    v = values.pop(0)
                    size, compressed, header = (v if field == "size" else size,
                                                v if field == "compressed" else compressed,
                                                v if field == "header" else header)
            break
        i += 4 + length
    return size, compressed, header


def _entry(e: Entry) -> Entry:
    if e.flags & (_ENCRYPTED | _STRONG_ENCRYPTION) or e.method == _AES:
        raise Rejected("F004", "压缩包中的部件已加密")
    if e.method not in (_STORED, _DEFLATED):
        raise Rejected("F003", f"部件 {e.name} 使用了 Excel 不支持的压缩方式（{e.method}）")
    if e.method == _STORED and e.compressed != e.size:
        raise Rejected("F003", f"部件 {e.name} 的长度不一致")
    return e


def check_directory(entries: list[Entry], limits: Limits) -> None:
    """The zip's directory against the limits, and part names unique in any letter case."""
    if len(entries) > limits.max_entries:
        raise Rejected("F006", f"压缩包有 {len(entries):,} 个部件，超过 {limits.max_entries:,} 个的限制")
    total = 0
    seen: set[str] = set()
    for entry in entries:
        _check_limits(entry, limits)
        total += entry.size
        key = entry.name.lower()
        if key in seen:
            raise Rejected("F003", f"压缩包中有两个同名部件 {entry.name}")
        seen.add(key)
    if total > limits.max_total_bytes:
        raise Rejected("F006", f"解压后共 {total / MiB:,.0f} MiB，超过 {limits.max_total_bytes // MiB} MiB 的限制")


def _check_limits(entry: Entry, limits: Limits) -> None:
    if entry.size > limits.max_entry_bytes:
        raise Rejected("F006", f"部件 {entry.name} 解压后 {entry.size / MiB:,.0f} MiB，超过 {limits.max_entry_bytes // MiB} MiB 的限制")
    if entry.size > limits.ratio_min_bytes:
        ratio = entry.size / max(entry.compressed, 1)
        if ratio > limits.max_ratio:
            raise Rejected("F006", f"部件 {entry.name} 的压缩比为 {ratio:,.0f} 倍，超过 {limits.max_ratio:g} 倍的限制（疑似压缩炸弹）")

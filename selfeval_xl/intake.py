"""Taking in an untrusted file (spec/intake.md): decide what it is before any parser runs.

``open_package(path)`` reads the file once, decides its format from its first bytes, inspects the
zip directory against the limits before inflating anything, refuses DTDs in every XML part (so no
parser downstream can expand an entity or fetch an external one), and maps sheet names to their
parts. A file that cannot be taken in raises ``Rejected`` with its F-code and a Chinese
explanation of what the department should do.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .package import parse_rels, parse_sheets, rels_name
from .standard import SHEETS as _ALL_SHEETS
from .sheetxml import SheetScan, scan_sheet

__all__ = ["Limits", "Rejected", "Package", "open_package", "check_xml_defences", "F_CODES"]

STANDARD_SHEETS = _ALL_SHEETS[1:]  # the sheets the reader inflates whole (and checks then)
KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits:
    """Safety limits (Apache POI's ZipSecureFile defaults are the model)."""

    max_file_bytes: int = 100 * MiB
    max_entries: int = 5000
    max_entry_bytes: int = 256 * MiB
    max_total_bytes: int = 1 * GiB
    max_ratio: float = 100.0
    ratio_min_bytes: int = 100 * KiB
    max_cells: int = 2_000_000  # real cells in one sheet
    max_span: int = 2_000_000  # rows x columns between a sheet's first and last real cell


#: F-codes and what the department is told to do (findings.md)
F_CODES = {
    "F001": "文件是空的（0 字节）。请重新保存申报表后再提交。",
    "F002": "不是 Excel 工作簿。请用 Excel 或 WPS 打开申报表，另存为 .xlsx 格式后再提交。",
    "F003": "文件已损坏，无法打开。请重新保存或从原始文件重新导出后再提交。",
    "F004": "文件已加密（设有打开密码）。请取消密码保护后重新提交。",
    "F005": "这是旧版 .xls（或 WPS .et）格式。请用 Excel 或 WPS 另存为 .xlsx 格式后再提交。",
    "F006": "文件超出了安全限制（大小、部件数量、压缩比或单元格数量）。请只保留申报表的内容，另存为新的 .xlsx 后再提交。",
    "F007": "文件含有不安全的 XML 内容（实体定义或外部引用），已拒绝读取。请用 Excel 或 WPS 另存为新的 .xlsx 后再提交。",
    "F008": "处理时间超过了限制。请检查文件是否含有大量无关数据，另存为新的 .xlsx 后再提交。",
    "F009": "读取该文件时程序意外退出（其余文件不受影响）。请另存为新的 .xlsx 后再提交，如仍有问题请联系财政部门。",
}


class Rejected(Exception):
    """A file that cannot be taken in as a workbook."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {self.message}")

    @property
    def message(self) -> str:
        what_to_do = F_CODES[self.code]
        return f"{self.detail}。{what_to_do}" if self.detail else what_to_do


_ZIP = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOC = _REL_NS + "/officeDocument"
_WORKSHEET = _REL_NS + "/worksheet"


@dataclass
class Package:
    """A workbook file taken in: its bytes (read once), its zip, and where its sheets are."""

    path: Path
    data: bytes
    sha256: str
    limits: Limits
    zip: zipfile.ZipFile
    workbook_part: str
    sheets: dict[str, str]  # sheet name -> part name, in workbook order
    macro_enabled: bool = False
    _scans: dict[str, SheetScan] = field(default_factory=dict)

    def read_part(self, name: str) -> bytes:
        """Inflate one part; its declared size was checked against the limits."""
        try:
            try:
                info = self.zip.getinfo(name)
                data = self.zip.selfeval_raw.read(info, self.limits.max_entry_bytes)  # type: ignore[attr-defined]
            except NotImplementedError:  # another compression method: let zipfile do it
                with self.zip.open(name) as fh:
                    data = fh.read(self.limits.max_entry_bytes + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as exc:
            raise Rejected("F003", f"部件 {name} 无法解压（{type(exc).__name__}）") from None
        if len(data) > self.limits.max_entry_bytes:
            raise Rejected("F006", f"部件 {name} 解压后超过 {self.limits.max_entry_bytes // MiB} MiB")
        return data

    def scan(self, sheet: str) -> SheetScan:
        """The real cells, formulas and error values of a sheet, checked against the cell limits
        before anything allocates by them."""
        if sheet not in self._scans:
            part = self.sheets[sheet]
            xml = self.read_part(part)
            problem = _prolog_problem(xml[:_PROLOG_MAX])
            if problem:
                raise Rejected(problem, f"部件 {part} 含有 DTD 定义" if problem == "F007" else f"部件 {part} 不是有效的 XML")
            s = scan_sheet(xml)
            if s.cells > self.limits.max_cells:
                raise Rejected("F006", f"工作表“{sheet}”有 {s.cells:,} 个单元格，超过 {self.limits.max_cells:,} 个的限制")
            if s.span > self.limits.max_span:
                raise Rejected("F006", f"工作表“{sheet}”的数据分布在 {s.extent} 的范围内（{s.span:,} 个单元格），超过限制")
            self._scans[sheet] = s
        return self._scans[sheet]


class _Raw:
    """Parts read straight from the file's bytes: a stored or deflated part is located by its
    local header and inflated with zlib (CRC checked), without a zipfile stream per part."""

    def __init__(self, data: bytes, infos: list[zipfile.ZipInfo]):
        self.data = data
        self.infos = {i.filename: i for i in infos}

    def _start(self, info: zipfile.ZipInfo) -> int:
        off = info.header_offset
        head = self.data[off: off + 30]
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad local header for {info.filename}")
        name_len, extra_len = int.from_bytes(head[26:28], "little"), int.from_bytes(head[28:30], "little")
        return off + 30 + name_len + extra_len

    def head(self, info: zipfile.ZipInfo, size: int) -> bytes:
        """The first ``size`` bytes of a part, or fewer."""
        start = self._start(info)
        if info.compress_type == zipfile.ZIP_STORED:
            return self.data[start: start + min(size, info.compress_size)]
        if info.compress_type != zipfile.ZIP_DEFLATED:
            raise NotImplementedError
        # deflate never needs much more input than the output asked for (plus its code tables)
        raw = self.data[start: start + min(info.compress_size, size + 2048)]
        return zlib.decompressobj(-15).decompress(raw, size)

    def read(self, info: zipfile.ZipInfo, limit: int) -> bytes:
        start = self._start(info)
        raw = self.data[start: start + info.compress_size]
        if info.compress_type == zipfile.ZIP_STORED:
            out = raw
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            d = zlib.decompressobj(-15)
            out = d.decompress(raw, limit + 1)
            if len(out) > limit:
                return out
        else:
            raise NotImplementedError
        if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
            raise zipfile.BadZipFile(f"bad CRC or size for {info.filename}")
        return out


def open_package(path: str | Path, limits: Limits | None = None) -> Package:
    """Take in one file; raise ``Rejected`` (with an F-code) for anything that is not a readable,
    safe .xlsx/.xlsm workbook. The file itself is only read."""
    limits = limits or Limits()
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise Rejected("F003", f"无法读取文件（{exc.strerror or exc}）") from None
    if size == 0:
        raise Rejected("F001")
    if size > limits.max_file_bytes:
        raise Rejected("F006", f"文件大小 {size / MiB:.1f} MiB，超过 {limits.max_file_bytes // MiB} MiB 的限制")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Rejected("F003", f"无法读取文件（{exc.strerror or exc}）") from None
    return open_bytes(data, path, limits)


def open_bytes(data: bytes, path: Path, limits: Limits) -> Package:
    sha = hashlib.sha256(data).hexdigest()
    head = data[:8]
    if head.startswith(_OLE):
        raise _ole_rejection(data)
    if head.startswith(_EMPTY_ZIP):
        raise Rejected("F002", "这是一个空的压缩包")
    if not head.startswith(_ZIP):
        raise Rejected("F002", _describe_unknown(data))
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
        raise Rejected("F003", f"压缩结构损坏（{type(exc).__name__}）") from None
    _check_zip_directory(infos, limits)
    if any("\\" in i.filename for i in infos):
        zf, infos = _normalized(zf, infos)
    names = {i.filename for i in infos}
    if any(i.flag_bits & 0x1 for i in infos):
        raise Rejected("F004", "压缩包中的部件已加密")
    if "[Content_Types].xml" not in names:
        raise Rejected("F002", _describe_zip(names, zf))
    raw = _Raw(zf.fp.getvalue() if isinstance(zf.fp, io.BytesIO) else data, infos)
    zf.selfeval_raw = raw  # type: ignore[attr-defined]
    by_name = {i.filename: i for i in infos}
    checked: set[str] = set()

    def prolog(name: str) -> None:
        if name in by_name and name not in checked:
            _check_prolog(zf, by_name[name], limits, raw)
            checked.add(name)

    for name in ("[Content_Types].xml", "_rels/.rels"):
        prolog(name)
    workbook_part = _workbook_part(zf, names, prolog)
    if workbook_part is None or workbook_part not in names:
        raise Rejected("F002", _describe_zip(names, zf))
    if workbook_part.endswith(".bin"):
        raise Rejected("F002", "这是二进制工作簿（.xlsb）")
    sheets = _sheet_parts(zf, workbook_part, names, prolog)
    # every other XML part now; a sheet the reader reads is checked when it is inflated whole
    # (Package.scan), before any parser sees it
    standard = {sheets[n] for n in STANDARD_SHEETS if n in sheets}
    for info in infos:
        if info.filename.lower().endswith((".xml", ".rels", ".vml")) and info.filename not in standard:
            prolog(info.filename)
    content_types = _read_small(zf, "[Content_Types].xml", limits)
    macro = b"macroEnabled" in content_types or any(n.lower().endswith("vbaproject.bin") for n in names)
    if zf.fp is not None and isinstance(zf.fp, io.BytesIO) and zf.fp.getbuffer().nbytes != len(data):
        data = zf.fp.getvalue()  # the normalized package
    return Package(path, data, sha, limits, zf, workbook_part, sheets, macro)


def _normalized(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """A zip written with Windows path separators (``xl\\workbook.xml``, as .NET Framework's zip
    writer does) rebuilt in memory with standard names, so every later stage reads it alike.
    Called after the directory passed the limits."""
    out = io.BytesIO()
    try:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
            for info in infos:
                with zf.open(info) as fh:
                    zout.writestr(info.filename.replace("\\", "/").lstrip("/"), fh.read(info.file_size + 1))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise Rejected("F003", f"压缩结构损坏（{type(exc).__name__}）") from None
    zf = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    return zf, zf.infolist()


def _check_zip_directory(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > limits.max_entries:
        raise Rejected("F006", f"压缩包有 {len(infos):,} 个部件，超过 {limits.max_entries:,} 个的限制")
    total = 0
    for i in infos:
        if i.file_size > limits.max_entry_bytes:
            raise Rejected("F006", f"部件 {i.filename} 解压后 {i.file_size / MiB:.0f} MiB，超过限制")
        total += i.file_size
        if i.file_size > limits.ratio_min_bytes:
            ratio = i.file_size / max(i.compress_size, 1)
            if ratio > limits.max_ratio:
                raise Rejected("F006", f"部件 {i.filename} 的压缩比为 {ratio:,.0f} 倍，超过 {limits.max_ratio:g} 倍的限制（疑似压缩炸弹）")
    if total > limits.max_total_bytes:
        raise Rejected("F006", f"解压后共 {total / MiB:,.0f} MiB，超过 {limits.max_total_bytes // MiB} MiB 的限制")


_PROLOG_PEEK = 512
_PROLOG_MAX = 256 * KiB
_ELEMENT_START = re.compile(rb"<[A-Za-z_]")


def _check_prolog(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, raw: "_Raw | None" = None) -> None:
    """Refuse a DTD (entity definitions, external entities) anywhere before the root element.
    Office parts never carry one. The first 512 bytes decide the common case; a part whose start
    holds a comment or a declaration is read further, up to 256 KiB."""
    try:
        if raw is not None and info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            head = raw.head(info, _PROLOG_PEEK)
            if b"<!" not in _as_utf8(head) and (_ELEMENT_START.search(_as_utf8(head)) or len(head) < _PROLOG_PEEK):
                problem = _prolog_problem(head)
                if problem:
                    raise Rejected(problem, f"部件 {info.filename} 不是有效的 XML")
                return
            head = raw.head(info, _PROLOG_MAX)
        else:
            with zf.open(info) as fh:
                head = fh.read(_PROLOG_MAX)
    except Rejected:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
            raise Rejected("F004", "压缩包中的部件已加密") from None
        raise Rejected("F003", f"部件 {info.filename} 无法解压（{type(exc).__name__}）") from None
    problem = _prolog_problem(head)
    if problem:
        raise Rejected(problem, f"部件 {info.filename} 含有 DTD 定义" if problem == "F007"
                       else f"部件 {info.filename} 不是有效的 XML")


def _as_utf8(buf: bytes) -> bytes:
    """The start of a part as UTF-8: XML parts may be UTF-16 (customXml items often are)."""
    if buf.startswith((b"\xff\xfe", b"\xfe\xff")) or buf[1:2] == b"\x00" or buf[:1] == b"\x00":
        enc = "utf-16-be" if buf.startswith(b"\xfe\xff") or buf[:1] == b"\x00" else "utf-16-le"
        body = buf[2:] if buf[:2] in (b"\xff\xfe", b"\xfe\xff") else buf
        return body[: len(body) // 2 * 2].decode(enc, "replace").encode("utf-8")
    return buf


def _prolog_problem(head: bytes) -> str:
    """'F007' for a DTD before the root element, 'F003' for no root element, '' when fine."""
    text = _strip_comments(_as_utf8(head))
    m = _ELEMENT_START.search(text)
    before = text[: m.start()] if m else text
    if b"<!DOCTYPE" in before.upper() or b"<!ENTITY" in before.upper():
        return "F007"
    return "" if m or not head.strip() else "F003"


def _strip_comments(buf: bytes) -> bytes:
    return re.sub(rb"<!--.*?-->", b"", buf, flags=re.S)


def _read_small(zf: zipfile.ZipFile, name: str, limits: Limits) -> bytes:
    try:
        raw = getattr(zf, "selfeval_raw", None)
        if raw is not None and name in raw.infos and raw.infos[name].compress_type in (0, 8):
            return raw.read(raw.infos[name], min(limits.max_entry_bytes, 64 * MiB))
        with zf.open(name) as fh:
            return fh.read(min(limits.max_entry_bytes, 64 * MiB) + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as exc:
        raise Rejected("F003", f"部件 {name} 无法解压（{type(exc).__name__}）") from None


def _text(zf: zipfile.ZipFile, name: str) -> str:
    data = _read_small(zf, name, Limits())
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return _as_utf8(data).decode("utf-8", "replace")
        except UnicodeDecodeError:
            raise Rejected("F003", f"部件 {name} 不是有效的 XML（编码）") from None


def _rels(zf: zipfile.ZipFile, part: str, names: set[str], prolog=None) -> dict[str, tuple[str, str, str]]:
    """Relationships of a part: id -> (type, target part, target mode)."""
    name = rels_name(part)
    if name not in names:
        return {}
    if prolog:
        prolog(name)
    return {r.id: (r.type, r.part or r[2], "External" if not r.part else "Internal")
            for r in parse_rels(_text(zf, name), part)}


def _workbook_part(zf: zipfile.ZipFile, names: set[str], prolog=None) -> str | None:
    for _id, (typ, target, _mode) in _rels(zf, "", names, prolog).items():
        if typ.endswith("/officeDocument"):
            return target
    return "xl/workbook.xml" if "xl/workbook.xml" in names else None


def _sheet_parts(zf: zipfile.ZipFile, workbook_part: str, names: set[str], prolog=None) -> dict[str, str]:
    rels = _rels(zf, workbook_part, names, prolog)
    if prolog:
        prolog(workbook_part)
    out: dict[str, str] = {}
    for name, rid in parse_sheets(_text(zf, workbook_part)):
        typ, target, mode = rels.get(rid, ("", "", ""))
        if typ.endswith("/worksheet") and mode == "Internal" and target in names:
            out[name] = target
    return out


def _ole_rejection(data: bytes) -> Rejected:
    """An OLE compound file: an encrypted xlsx, or a legacy .xls/.et workbook."""
    low = data.lower()  # stream names are UTF-16; some writers capitalise them ("WORKBOOK")

    def has(name: str) -> bool:
        return name.lower().encode("utf-16-le") in low

    if has("EncryptedPackage") or has("EncryptionInfo"):
        return Rejected("F004")
    if has("WordDocument"):
        return Rejected("F002", "这是 Word 文档（.doc）")
    if has("PowerPoint Document"):
        return Rejected("F002", "这是 PowerPoint 演示文稿（.ppt）")
    return Rejected("F005")


def _describe_unknown(data: bytes) -> str:
    head = data[:512].lstrip().lower()
    if head.startswith(b"%pdf"):
        return "这是 PDF 文件"
    if head.startswith((b"<html", b"<!doctype html")) or b"<table" in head:
        return "这是网页（HTML）文件"
    if head.startswith(b"<?xml"):
        return "这是 XML 文件（可能是 Excel 2003 XML 表格）"
    if head.startswith(b"rar!") or data[:4] == b"Rar!":
        return "这是 RAR 压缩包"
    try:
        data[:4096].decode("utf-8")
        return "这是文本文件（如 CSV）"
    except UnicodeDecodeError:
        pass
    return "无法识别的文件格式"


def _describe_zip(names: set[str], zf: zipfile.ZipFile) -> str:
    if "word/document.xml" in names:
        return "这是 Word 文档（.docx）改了扩展名"
    if "ppt/presentation.xml" in names:
        return "这是 PowerPoint 演示文稿"
    if "mimetype" in names:
        try:
            mt = zf.read("mimetype")[:100]
        except Exception:  # noqa: BLE001 - any failure just means "unknown"
            mt = b""
        if b"spreadsheet" in mt:
            return "这是 ODS（OpenDocument）表格"
        if b"opendocument" in mt:
            return "这是 OpenDocument 文档"
    if "xl/workbook.bin" in names:
        return "这是二进制工作簿（.xlsb）"
    return "这是一个不含 Excel 工作簿的压缩包"


def check_xml_defences() -> None:
    """At start-up: openpyxl must parse with defusedxml (intake.md). Raises RuntimeError if not."""
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:
        raise RuntimeError("openpyxl is not using defusedxml; install defusedxml")

"""Taking in an untrusted file (spec/intake.md): decide what it is before any parser runs.

``open_package(path)`` reads the file once and decides its format from its first bytes: a zip goes
to the OOXML layer (``ooxml``: the directory checked against the limits before anything is
inflated, every XML part refused if it declares a DTD, the workbook and its sheets found through
the package's relationships, every part it reaches verified, and its XML parsed); an OLE file is
an encrypted workbook (F004) or a legacy one (F005);
anything else is F002, with what it looks like. A file that cannot be taken in raises ``Rejected``
with its F-code; what the department should do is in the findings registry.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from selfeval_xl.ooxml import Limits, MiB, Package, Rejected, Workbook
from selfeval_xl.ooxml.xml import parse
from selfeval_xl.ooxml.zipread import EMPTY_ZIP_MAGIC, ZIP_MAGIC

__all__ = ["Limits", "Received", "Rejected", "check_xml_defences", "open_bytes", "open_package"]

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Received:
    """A file taken in: where it came from, its digest, and the workbook inside it."""

    path: Path
    sha256: str
    workbook: Workbook

    @property
    def data(self) -> bytes:
        return self.workbook.package.data


def open_package(path: str | Path, limits: Limits | None = None) -> Received:
    """Take in one file; raise ``Rejected`` (with an F-code) for anything that is not a readable,
    safe .xlsx/.xlsm workbook. The file itself is only read."""
    from selfeval_xl.core.inputs import InputError, open_regular

    limits = limits or Limits()
    path = Path(path)
    try:
        with open_regular(path, "申报表") as fh:  # a FIFO or a device is refused before it is read
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                raise Rejected("F001")
            if size > limits.max_file_bytes:
                raise Rejected("F006", f"文件大小 {size / MiB:.1f} MiB，超过 {limits.max_file_bytes // MiB} MiB 的限制")
            data = fh.read(limits.max_file_bytes + 1)  # the file may grow while it is read
    except InputError as exc:
        raise Rejected("F002", str(exc)) from None
    except OSError as exc:
        raise Rejected("F003", f"无法读取文件（{exc.strerror or type(exc).__name__}）") from None
    if len(data) > limits.max_file_bytes:
        raise Rejected("F006", f"文件大小超过 {limits.max_file_bytes // MiB} MiB 的限制")
    return open_bytes(data, path, limits)


def open_bytes(data: bytes, path: Path, limits: Limits | None = None) -> Received:
    limits = limits or Limits()
    if not data:
        raise Rejected("F001")
    sha = hashlib.sha256(data).hexdigest()
    head = data[:8]
    if head.startswith(_OLE):
        raise _ole_rejection(data, path)
    if head.startswith(EMPTY_ZIP_MAGIC):
        raise Rejected("F002", "这是一个空的压缩包")
    if not head.startswith(ZIP_MAGIC):
        raise Rejected("F002", _describe_unknown(data))
    try:
        package = Package(data, limits)
    except Rejected as rej:
        if rej.code == "F002":  # a zip, but no OPC package: say what it is
            raise Rejected("F002", _describe_zip(data, path)) from None
        raise
    try:
        workbook = Workbook(package)
    except Rejected as rej:
        if rej.code == "F002" and "xlsb" not in rej.detail:
            raise Rejected("F002", _describe_zip(data, path)) from None
        raise
    package.verify_reachable_parts(also=(workbook.part,))
    return Received(path, sha, workbook)


def _ole_rejection(data: bytes, path: Path) -> Rejected:
    """An OLE compound file: an encrypted xlsx, or a legacy .xls/.et workbook."""
    low = data.lower()  # stream names are UTF-16; some writers capitalise them ("WORKBOOK")

    def has(name: str) -> bool:
        return name.lower().encode("utf-16-le") in low

    if has("EncryptedPackage") or has("EncryptionInfo"):
        return Rejected("F004")
    if has("WordDocument"):
        return Rejected("F002", _not_the_form("Word 文档", (".doc", ".wps", ".dot"), path))
    if has("PowerPoint Document"):
        return Rejected("F002", _not_the_form("PowerPoint 演示文稿", (".ppt", ".dps", ".pps"), path))
    return Rejected("F005")


def _describe_unknown(data: bytes) -> str:
    head = data[:512].lstrip().lower()
    if head.startswith(b"%pdf"):
        return "这是 PDF 文件"
    if head.startswith((b"<html", b"<!doctype html")) or b"<table" in head:
        return "这是网页（HTML）文件"
    if head.startswith(b"<?xml"):
        return "这是 XML 文件（可能是 Excel 2003 XML 表格）"
    if data[:4].lower() == b"rar!":
        return "这是 RAR 压缩包"
    try:
        data[:4096].decode("utf-8")
        return "这是文本文件（如 CSV）"
    except UnicodeDecodeError:
        pass
    return "无法识别的文件格式"


def _not_the_form(what: str, suffixes: tuple[str, ...], path: Path) -> str:
    """What a document of another program is, and nothing more: a Word document named .docx is a
    Word document (not "renamed"); one named .xlsx is said to be named so."""
    name = path.suffix.lower()
    if not name or name in suffixes:
        return f"这是 {what}（{suffixes[0]}）"
    return f"这是 {what}（{suffixes[0]}），文件名却以“{name}”结尾"


def _describe_zip(data: bytes, path: Path = Path()) -> str:
    """What a zip without a workbook is, from its part names (nothing is inflated but 'mimetype')."""
    import io
    import zipfile

    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        names = {i.filename.replace("\\", "/").lstrip("/").lower() for i in z.infolist()}
    except Exception:
        return "这是一个不含 Excel 工作簿的压缩包"
    if "word/document.xml" in names:
        return _not_the_form("Word 文档", (".docx", ".docm", ".dotx", ".wps"), path)
    if "ppt/presentation.xml" in names:
        return _not_the_form("PowerPoint 演示文稿", (".pptx", ".pptm", ".ppsx", ".dps"), path)
    if "mimetype" in names:
        try:
            info = z.getinfo("mimetype")
            mt = z.read(info)[:100] if info.file_size <= 200 else b""
        except Exception:
            mt = b""
        if b"spreadsheet" in mt:
            return "这是 ODS（OpenDocument）表格"
        if b"opendocument" in mt:
            return "这是 OpenDocument 文档"
    if "xl/workbook.bin" in names:
        return "这是二进制工作簿（.xlsb）"
    return "这是一个不含 Excel 工作簿的压缩包"


_ENTITY_PROBE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'


def check_xml_defences() -> None:
    """At start-up: the parser every part goes through refuses a DTD (and so every entity).
    Raises RuntimeError if it does not."""
    try:
        parse(_ENTITY_PROBE, "probe")
    except Rejected as rej:
        if rej.code == "F007":
            return
    raise RuntimeError("the XML parser accepted a DTD; the lxml build is not the one selfeval-xl expects")

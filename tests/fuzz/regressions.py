"""One file per failure class of issue 13 (fuzzing and foreign corpora found them), kept as regressions.

    python -m tests.fuzz.regressions        # rewrites tests/fuzz/regressions/*.xlsx

Each is the clean sample (02) with one change, and an expectation: ``SAME`` (read exactly as the
sample), an F-code, or ``SCORED`` (read and scored; its checks below say what must hold).
tests/test_fuzz.py runs every file through check, score and batch.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
FOLDER = HERE / "regressions"
SOURCE = HERE.parent.parent / "samples" / "02_市场监督管理局_2023.xlsx"
SAME, SCORED = "same", "scored"
BASIC, BUDGET, IND, SUMMARY = ("xl/worksheets/sheet2.xml", "xl/worksheets/sheet5.xml", "xl/worksheets/sheet6.xml",
                               "xl/worksheets/sheet7.xml")
WB_RELS = "xl/_rels/workbook.xml.rels"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

Parts = dict[str, bytes]


@dataclass(frozen=True)
class Case:
    name: str
    what: str  # the failure class, as issue 13 names it
    expect: str  # SAME, SCORED or an F-code
    build: Callable[[Parts], Parts | bytes]


def _parts(path: Path) -> Parts:
    z = zipfile.ZipFile(path)
    return {i.filename: z.read(i.filename) for i in z.infolist()}


def _zip(parts: Parts) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def _sub(parts: Parts, part: str, old: bytes, new: bytes, count: int = 1) -> Parts:
    assert old in parts[part], (part, old)
    parts[part] = parts[part].replace(old, new, count)
    return parts


def _re(parts: Parts, part: str, pattern: bytes, repl, count: int = 0) -> Parts:
    new, n = re.subn(pattern, repl, parts[part], count=count)
    assert n, (part, pattern)
    parts[part] = new
    return parts


def _single_quotes(parts: Parts, part: str) -> Parts:
    return _re(parts, part, rb'(\s[\w:]+)="([^"]*)"', rb"\1='\2'")


def _zip_field(data: bytes, name: str, offset_in_local: int, offset_in_central: int, fmt: str, value: int) -> bytes:
    """Set a field of one entry's local header and central directory record."""
    raw = bytearray(data)
    enc = name.encode()
    local = raw.index(b"PK\x03\x04")
    while True:
        n_len = struct.unpack_from("<H", raw, local + 26)[0]
        if raw[local + 30: local + 30 + n_len] == enc:
            break
        local = raw.index(b"PK\x03\x04", local + 4)
    struct.pack_into(fmt, raw, local + offset_in_local, value)
    central = raw.index(b"PK\x01\x02")
    while True:
        n_len = struct.unpack_from("<H", raw, central + 28)[0]
        if raw[central + 46: central + 46 + n_len] == enc:
            break
        central = raw.index(b"PK\x01\x02", central + 4)
    struct.pack_into(fmt, raw, central + offset_in_central, value)
    return bytes(raw)


def _local_name(data: bytes, name: str, new: str) -> bytes:
    raw = bytearray(data)
    at = raw.index(b"PK\x03\x04")
    while raw[at + 30: at + 30 + len(name.encode())] != name.encode():
        at = raw.index(b"PK\x03\x04", at + 4)
    raw[at + 30: at + 30 + len(new.encode())] = new.encode()
    return bytes(raw)


_CALC_CHAIN = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<calcChain xmlns="' + MAIN.encode() + b'"><c r="C7" i="7"/></calcChain>')
_COMMENTS = ("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
             f"<comments xmlns='{MAIN}'><authors><author>张三</author></authors><commentList>"
             "<comment ref='B3' authorId='0'><text><t>全称以公章为准</t></text></comment></commentList></comments>").encode()
_ALTERNATE = (b'<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
              b'<mc:Choice xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" Requires="x14">'
              b'<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0"/></mc:Choice>'
              b'<mc:Fallback><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></mc:Fallback>'
              b"</mc:AlternateContent>")


def _with_comments(parts: Parts) -> Parts:
    """The department's comments on 基本信息, single-quoted, and a finding there (主管部门 emptied)."""
    _re(parts, BASIC, rb'(<c r="B5" s="\d+") t="s"><v>\d+</v></c>', rb"\1/>")
    parts["xl/comments9.xml"] = _COMMENTS
    parts["xl/worksheets/_rels/sheet2.xml.rels"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxml'
        b'formats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/comments" Target="../comments9.xml"/></Relationships>')
    return _sub(parts, "[Content_Types].xml", b"</Types>", b'<Override PartName="/xl/comments9.xml" ContentType='
                b'"application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"/></Types>')


def _calc_chain_end_tag(parts: Parts) -> Parts:
    parts["xl/calcChain.xml"] = _CALC_CHAIN
    _sub(parts, WB_RELS, b"</Relationships>", b'<Relationship Id="rId90" Type="http://schemas.openxmlformats.org/'
         b'officeDocument/2006/relationships/calcChain" Target="calcChain.xml"></Relationship></Relationships>')
    return _sub(parts, "[Content_Types].xml", b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType='
                b'"application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>')


def _orphan_macro(parts: Parts) -> Parts:
    """A macro project no relationship reaches, and the workbook typed as macro-enabled."""
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 not really a macro project"
    _sub(parts, "[Content_Types].xml", b"</Types>",
         b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    return _sub(parts, "[Content_Types].xml", b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")


CASES = [
    # native aborts in calamine: our extent guard and calamine read these bytes differently
    Case("lowercase_ref", "a lowercase cell reference", SAME, lambda p: _sub(p, IND, b'<c r="C5"', b'<c r="c5"')),
    Case("four_letter_column", "a 4-letter column", "F003",
         lambda p: _sub(p, IND, b"</sheetData>", b'<row r="40000"><c r="AAAA40000"><v>1</v></c></row></sheetData>')),
    Case("eight_digit_row", "an 8-digit row number (8.5 s and 1.46 GB, F009 in a batch)", "F003",
         lambda p: _sub(p, IND, b"</sheetData>", b'<row r="12345678"><c r="A12345678"><v>1</v></c></row></sheetData>')),
    Case("zero_padded_row", "a zero-padded row number (here of a far cell the old guard refused)", SAME,
         lambda p: _sub(_re(p, IND, rb'(<row r=")5(")|(<c r="[A-K])5(")', lambda m: (m.group(1) or m.group(3))
                            + b"0000000005" + (m.group(2) or m.group(4))), IND, b"</sheetData>",
                        b'<row r="01048576"><c r="A01048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')),
    Case("single_quoted_attributes", "single-quoted attributes", SAME, lambda p: _single_quotes(p, IND)),
    Case("dot_slash_target", "a relationship target written ./sheet1.xml", SAME,
         lambda p: _sub(p, WB_RELS, b'Target="worksheets/sheet6.xml"', b'Target="./worksheets/sheet6.xml"')),
    Case("duplicate_sheet_name", "two sheets of the same name", "F003",
         lambda p: _sub(p, "xl/workbook.xml", "name=\"填报说明\"".encode(), "name=\"绩效指标\"".encode())),
    Case("comment_shadows_relationship", "an XML comment that shadows a relationship", SAME,
         lambda p: _sub(p, WB_RELS, b"</Relationships>", b'<!--<Relationship Id="rId6" Type="http://schemas.'
                        b'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"'
                        b"/>--></Relationships>")),
    Case("comment_shadows_sheet", "an XML comment that shadows a <sheet> element", SAME,
         lambda p: _sub(p, "xl/workbook.xml", b"</sheets>", "<!--<sheet name=\"绩效指标\" sheetId=\"99\" "
                        "r:id=\"rId1\"/>--></sheets>".encode())),
    # panics and tracebacks
    Case("negative_date_serial", "a negative date serial (TimeDelta out of bounds)", SCORED,
         lambda p: _re(p, BASIC, rb'<c r="B9" s="(\d+)" t="s"><v>\d+</v></c>', rb'<c r="B9" s="\1"><v>-1e15</v></c>')),
    Case("single_quoted_last_cell", "a single-quoted last cell (chunk size must be non-zero)", SAME,
         lambda p: {**p, IND: _last_cell_single_quoted(p[IND])}),
    Case("zip_method_99", "zip compression method 99 (NotImplementedError)", "F004",
         lambda p: _zip_field(_zip(p), IND, 8, 10, "<H", 99)),
    Case("zip_version_64", "zip version 6.4 (NotImplementedError)", SAME,
         lambda p: _zip_field(_zip(p), IND, 4, 6, "<H", 64)),
    Case("zip_flag_bit_6", "zip flag bit 6 (strong encryption)", "F004",
         lambda p: _zip_field(_zip(p), IND, 6, 8, "<H", 0x40)),
    Case("local_name_differs", "a local header name that differs from the directory", "F003",
         lambda p: _local_name(_zip(p), IND, "xl/worksheets/sheetX.xml")),
    Case("content_types_invalid_utf8", "invalid UTF-8 in [Content_Types].xml", "F003",
         lambda p: _sub(p, "[Content_Types].xml", b"<Types", b"<!-- \xff\xfe -->\n<Types")),
    Case("truncated_sheet", "a truncated sheet (cut after its cells: the old reader scored it, the copy broke)",
         "F003", lambda p: {**p, IND: p[IND][: p[IND].index(b"<dataValidation ") + 40]}),
    Case("styles_rel_to_workbook", "a styles relationship that points at the workbook", SCORED,
         lambda p: _sub(p, WB_RELS, b'Target="styles.xml"', b'Target="workbook.xml"')),
    # hangs: regular expressions that backtrack
    Case("unclosed_prolog_comment", "an unclosed comment in a part's prolog (_strip_comments)", "F003",
         lambda p: {**p, "docProps/app.xml": b'<?xml version="1.0"?>' + b"".join(
             b"<!--" + _noise(3, i) for i in range(40_000))}),
    Case("unclosed_cells", "unclosed cells in sheet XML (_scan_walk, _scan_errors)", "F003",
         lambda p: _sub(p, IND, b"</sheetData>", b'<row r="60">' + b"".join(
             b'<c r="B%d" t="e"><v>#N/A %s' % (i, _noise(8, i)) for i in range(20_000)) + b"</sheetData>")),
    # an injection
    Case("comment_injection", "text inside an XML comment became a live HYPERLINK formula in the copy", SAME,
         lambda p: _sub(p, IND, b'<row r="10"', b'<!--<row r="10"><c r="Z10" t="str"><f>HYPERLINK("http://evil",'
                        b'"click")</f><v>click</v></c>--><row r="10"')),
    # misreadings of valid XML
    Case("cdata_formulas", "formulas in CDATA (false X302)", SAME,
         lambda p: {**p, SUMMARY: _cdata_formulas(p[SUMMARY])}),
    Case("comment_in_sheetdata", "an XML comment inside sheetData (false X302, or F006)", SAME,
         lambda p: _sub(p, IND, b'<row r="10"', b'<!-- <c r="XFD1048576"><v>1</v></c> --><row r="10"')),
    Case("hyphen_prefix", "a hyphenated namespace prefix (an empty sheet: total 0, 差)", SAME,
         lambda p: {**p, IND: _prefixed(p[IND], b"x-y")}),
    Case("single_quotes_v207", "single quotes on a sparse sheet miss a V207", SCORED,
         lambda p: _re(p, BASIC, rb'<c r="B3"[^>]*>.*?</c>', b"<c r='B3' t='e'><v>#N/A</v></c>", 1)),
    # broken copies
    Case("spaces_around_eq", "spaces around '=' (a copy that is not well-formed)", SAME,
         lambda p: _re(p, IND, rb'(\s[\w:]+)="', rb'\1 = "')),
    Case("calc_chain_end_tag", "a relationship written with an end tag left a dangling calcChain link", SAME,
         _calc_chain_end_tag),
    Case("comments_single_quoted", "a department's comments with single-quoted attributes crashed score", SCORED,
         _with_comments),
    # a batch that dies
    Case("nan_budget", "a NaN budget figure (JSON NaN; the summary writer died)", SCORED,
         lambda p: _re(p, BUDGET, rb'(<c r="B3" s="\d+")><v>[^<]*</v>', rb"\1><v>NaN</v>", 1)),
    # smaller faults of the same family
    Case("alternate_content_styles", "mc:AlternateContent in styles.xml flattened into a malformed copy", SAME,
         lambda p: _re(p, "xl/styles.xml", rb"(</cellXfs>)", _ALTERNATE + rb"\1", 1)),
    Case("commented_sheetdata", "<!--<sheetData/>--> before the real data (S102)", SAME,
         lambda p: _sub(p, IND, b"<sheetData>", b"<!--<sheetData/>--><sheetData>")),
    Case("external_styles_rel", "an external styles relationship: the copy overwrote styles.xml", SCORED,
         lambda p: _sub(p, WB_RELS, b'Target="styles.xml"', b'Target="http://example.com/styles.xml" TargetMode="External"')),
    Case("orphan_macro", "an orphan xl/vbaProject.bin with a macro content type survived into the copy", SAME,
         _orphan_macro),
    Case("missing_worksheet_end", "a missing </worksheet> (check scored what score could not write)", "F003",
         lambda p: {**p, IND: p[IND].replace(b"</worksheet>", b"")}),
    Case("self_closing_stylesheet", "a self-closing <styleSheet/> (score failed)", SCORED,
         lambda p: {**p, "xl/styles.xml": b'<?xml version="1.0"?><styleSheet xmlns="' + MAIN.encode() + b'"/>'}),
    Case("utf16_part", "a UTF-16 part (score failed)", SAME,
         lambda p: {**p, BASIC: p[BASIC].decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")}),
    Case("invalid_utf8_sheet", "invalid UTF-8 in a sheet (check read it, score failed)", "F003",
         lambda p: _sub(p, IND, b'prompt="', b'prompt="\xc3\x28')),
]


def _noise(n: int, seed: int = 0) -> bytes:
    """Letters that do not compress well (a reproducer must not trip the compression-ratio limit)."""
    import random

    rnd = random.Random(seed)
    return bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(n))


def _cdata_formulas(xml: bytes) -> bytes:
    from lxml import etree

    root = etree.fromstring(xml)
    for f in root.iter(f"{{{MAIN}}}f"):
        if f.text:
            f.text = etree.CDATA(f.text)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _last_cell_single_quoted(xml: bytes) -> bytes:
    """A far cell with content, written with single quotes, as the sheet's last cell."""
    return xml.replace(b"</sheetData>", b"<row r='1048576'><c r='XFD1048576' t='inlineStr'><is><t>x</t></is></c>"
                                        b"</row></sheetData>")


def _prefixed(xml: bytes, prefix: bytes) -> bytes:
    xml = xml.replace(b'xmlns="' + MAIN.encode() + b'"', b"xmlns:" + prefix + b'="' + MAIN.encode() + b'"', 1)
    return re.sub(rb"<(/?)(?![?!])([A-Za-z]+)(?=[\s/>])", lambda m: b"<" + m.group(1) + prefix + b":" + m.group(2), xml)


def build(case: Case) -> bytes:
    out = case.build(_parts(SOURCE))
    return out if isinstance(out, bytes) else _zip(out)


def main() -> None:
    FOLDER.mkdir(exist_ok=True)
    for old in FOLDER.glob("*.xlsx"):
        old.unlink()
    for case in CASES:
        (FOLDER / f"{case.name}.xlsx").write_bytes(build(case))
    print(f"{len(CASES)} regression files in {FOLDER}")


if __name__ == "__main__":
    main()

"""A seeded, reproducible mutator of workbooks: at the zip, the XML and the value level.

``case(seed, sources) -> (name, bytes)`` picks a sample and applies one to three mutations chosen by
the seed; the same seed always gives the same bytes. The mutations are the kinds of damage and
oddity real files carry: broken or unusual zip records, XML that is malformed or written in another
valid form, and cell values no template expects.
"""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

from lxml import etree

Parts = dict[str, bytes]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEETS = [f"xl/worksheets/sheet{i}.xml" for i in range(1, 9)]

# --- values a cell may be given -------------------------------------------------------------------
WEIRD_NUMBERS = ["NaN", "INF", "-INF", "1e308", "-1e308", "1e-320", "4.9e-324", "99999999999999999999", "-0",
                 "0x10", "1_000", " 12 ", "", "١٢٣", "1e400", "-99999999999", "2958466", "60"]
WEIRD_TEXT = ['=HYPERLINK("http://x","点我")', "+1", "-1+1", "@SUM(A1)", "=cmd|' /C calc'!A0", "\x01\x02\x1f",
              "x" * 40_000, "≥", "≥90%%", "不适用", "", "&amp;", "]]>", "<![CDATA[x]]>", "\ud7ff", "达成年度指标",
              "95", "1e5%", "--", "90%以上", "≤-5%", "=100%%"]
ERRORS = ["#DIV/0!", "#N/A", "#REF!", "#VALUE!", "#NAME?", "#NULL!", "#NUM!", "#GETTING_DATA", "#SPILL!", "junk"]
REFS = ["a1", "XFD1048576", "A0000000001", "AAAA1", "A99999999", "A0", "$A$1", "R1C1", "", "B", "1"]


def _parts(data: bytes) -> Parts:
    z = zipfile.ZipFile(io.BytesIO(data))
    return {i.filename: z.read(i.filename) for i in z.infolist()}


def _zip(parts: Parts, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, data)
    return buf.getvalue()


# --- XML level --------------------------------------------------------------------------------------

def _tree_mutation(rnd: random.Random, xml: bytes) -> bytes:
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError:
        return _byte_mutation(rnd, xml)
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    if not elements:
        return xml
    el = rnd.choice(elements)
    kind = rnd.randrange(10)
    parent = el.getparent()
    if kind == 0 and parent is not None:
        parent.remove(el)
    elif kind == 1 and parent is not None:
        parent.insert(parent.index(el), etree.fromstring(etree.tostring(el)))
    elif kind == 2 and el.attrib:
        key = rnd.choice(list(el.attrib))
        el.set(key, rnd.choice(REFS + WEIRD_NUMBERS + ERRORS + ["s", "str", "e", "inlineStr", "b", "n", "d", "shared"]))
    elif kind == 3:
        text = rnd.choice(WEIRD_NUMBERS + WEIRD_TEXT + ERRORS)
        try:
            el.text = text
        except ValueError:  # control characters: in as bytes (not XML 1.0)
            el.text = "@@RAW@@"
            return etree.tostring(root, xml_declaration=True, encoding="UTF-8").replace(b"@@RAW@@", text.encode())
    elif kind == 4 and parent is not None:
        parent.insert(parent.index(el), etree.Comment(etree.tostring(el).decode("utf-8", "replace").replace("--", "")))
    elif kind == 5:
        el.append(etree.ProcessingInstruction("x", "y"))
    elif kind == 6 and parent is not None and len(parent) > 1:
        parent.remove(el)
        parent.insert(rnd.randrange(len(parent) + 1), el)
    elif kind == 7:
        el.tag = el.tag.split("}")[0] + "}" + rnd.choice(["c", "row", "v", "f", "is", "t", "sheetData", "x"]) \
            if el.tag.startswith("{") else "x"
    elif kind == 8 and el.text:
        el.text = etree.CDATA(el.text.replace("]]>", "")) if rnd.random() < 0.5 else el.text[: len(el.text) // 2]
    else:
        for _ in range(rnd.randrange(1, 30)):
            el.append(etree.fromstring(etree.tostring(el)) if rnd.random() < 0.1 else etree.Element(el.tag))
    return etree.tostring(root, xml_declaration=rnd.random() < 0.8, encoding="UTF-8")


def _byte_mutation(rnd: random.Random, data: bytes) -> bytes:
    if not data:
        return b"<"
    raw = bytearray(data)
    kind = rnd.randrange(6)
    at = rnd.randrange(len(raw))
    if kind == 0:
        del raw[at: at + rnd.randrange(1, 40)]
    elif kind == 1:
        raw[at: at] = rnd.choice([b"<", b">", b"&", b'"', b"'", b"<!--", b"]]>", b"\xff", b"\x00", b"<![CDATA[",
                                  b"<!DOCTYPE x>", b"&#0;", b"&#xD800;", b"&lol;"])
    elif kind == 2:
        raw[at] ^= 1 << rnd.randrange(8)
    elif kind == 3:
        return bytes(raw[:at])
    elif kind == 4:
        piece = raw[at: at + rnd.randrange(1, 200)]
        raw[at: at] = piece * rnd.randrange(2, 50)
    else:
        text = raw.replace(b'"', b"'") if rnd.random() < 0.5 else raw.replace(b"=", b" = ")
        return bytes(text)
    return bytes(raw)


def _value_mutation(rnd: random.Random, xml: bytes) -> bytes:
    """A cell of a sheet given a value no template expects."""
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError:
        return xml
    cells = list(root.iter(f"{{{MAIN}}}c"))
    if not cells:
        return xml
    c = rnd.choice(cells)
    for child in list(c):
        c.remove(child)
    kind = rnd.randrange(5)
    if kind == 0:
        c.attrib.pop("t", None)
        etree.SubElement(c, f"{{{MAIN}}}v").text = rnd.choice(WEIRD_NUMBERS)
    elif kind == 1:
        c.set("t", "inlineStr")
        text = rnd.choice(WEIRD_TEXT)
        t = etree.SubElement(etree.SubElement(c, f"{{{MAIN}}}is"), f"{{{MAIN}}}t")
        try:
            t.text = text
        except ValueError:  # control characters lxml will not write: put them in as bytes (not XML 1.0)
            t.text = "@@RAW@@"
            return etree.tostring(root, xml_declaration=True, encoding="UTF-8").replace(b"@@RAW@@", text.encode())
    elif kind == 2:
        c.set("t", "e")
        etree.SubElement(c, f"{{{MAIN}}}v").text = rnd.choice(ERRORS)
    elif kind == 3:
        c.set("t", rnd.choice(["s", "b", "d", "str", "n"]))
        etree.SubElement(c, f"{{{MAIN}}}v").text = rnd.choice([*WEIRD_NUMBERS, "999999", "-1", "true"])
    else:
        f = etree.SubElement(c, f"{{{MAIN}}}f")
        f.text = rnd.choice(["1/0", "SUM(A:A)", 'HYPERLINK("http://x")', "A1", ""])
        if rnd.random() < 0.5:
            f.set("t", "shared")
            f.set("si", str(rnd.randrange(3)))
        etree.SubElement(c, f"{{{MAIN}}}v").text = rnd.choice(WEIRD_NUMBERS + ERRORS)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- zip level ----------------------------------------------------------------------------------------

def _zip_mutation(rnd: random.Random, data: bytes) -> bytes:
    raw = bytearray(data)
    kind = rnd.randrange(8)
    headers = [m.start() for m in re.finditer(rb"PK\x03\x04", data)]
    central = [m.start() for m in re.finditer(rb"PK\x01\x02", data)]
    if kind == 0 and central:  # method, flags or version of one entry
        at = rnd.choice(central)
        field, value = rnd.choice([(10, rnd.choice([1, 6, 9, 12, 14, 99, 0])), (8, rnd.choice([1, 8, 0x40, 0x800, 0xFFFF])),
                                   (6, rnd.choice([64, 99, 0xFFFF]))])
        struct.pack_into("<H", raw, at + field, value)
    elif kind == 1 and headers:  # a local header's name
        at = rnd.choice(headers)
        n = struct.unpack_from("<H", raw, at + 26)[0]
        if n:
            raw[at + 30 + rnd.randrange(n)] = rnd.choice(b"Xx/\\.\x00")
    elif kind == 2 and central:  # sizes, CRC or offset in the directory
        at = rnd.choice(central)
        struct.pack_into("<I", raw, at + rnd.choice([16, 20, 24, 42]), rnd.choice([0, 1, 0xFFFFFFFF, rnd.getrandbits(32)]))
    elif kind == 3:
        return bytes(raw[: rnd.randrange(len(raw))])
    elif kind == 4:
        for _ in range(rnd.randrange(1, 20)):
            raw[rnd.randrange(len(raw))] = rnd.randrange(256)
    elif kind == 5:  # the end record's counts
        end = data.rfind(b"PK\x05\x06")
        if end >= 0:
            struct.pack_into("<H", raw, end + rnd.choice([8, 10]), rnd.choice([0, 1, 0xFFFF, 6000]))
    elif kind == 6:
        return data + b"trailing junk" * rnd.randrange(1, 100)
    else:
        return b"garbage before the zip" + data
    return bytes(raw)


def _parts_mutation(rnd: random.Random, parts: Parts) -> Parts:
    """Parts dropped, renamed, duplicated in another letter case, or added."""
    names = list(parts)
    kind = rnd.randrange(5)
    name = rnd.choice(names)
    if kind == 0:
        parts.pop(name)
    elif kind == 1:
        parts[name.upper() if rnd.random() < 0.5 else name.replace("/", "\\")] = parts.pop(name)
    elif kind == 2:
        parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 not a macro"
    elif kind == 3:
        parts[f"customXml/item{rnd.randrange(9)}.xml"] = rnd.choice(
            [b"<a/>", b'<?xml version="1.0" encoding="utf-16"?><a/>'.decode().encode("utf-16"),
             b"<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", b"\xff\xfe"])
    else:
        rels = "xl/_rels/workbook.xml.rels"
        if rels in parts:
            parts[rels] = parts[rels].replace(b'Target="', rnd.choice([b'Target="./', b'Target="/xl/', b'Target="../', b'Target="%20']), 1)
    return parts


MUTATIONS: list[tuple[str, Callable]] = [
    ("xml", _tree_mutation), ("bytes", _byte_mutation), ("value", _value_mutation),
]


def case(seed: int, sources: list[Path]) -> tuple[str, bytes]:
    """The file of fuzz case ``seed``: a sample with one to three mutations."""
    rnd = random.Random(seed)
    source = rnd.choice(sources)
    parts = _parts(source.read_bytes())
    applied = []
    for _ in range(rnd.randint(1, 3)):
        level = rnd.random()
        if level < 0.55:
            name = rnd.choice([n for n in parts if n.endswith((".xml", ".rels"))] + SHEETS[4:7] * 3)
            if name not in parts:
                continue
            kind, fn = rnd.choice(MUTATIONS)
            if kind == "value" and name not in SHEETS:
                kind, fn = "xml", _tree_mutation
            parts[name] = fn(rnd, parts[name])
            applied.append(f"{kind}:{name.rsplit('/', 1)[-1]}")
        elif level < 0.75:
            parts = _parts_mutation(rnd, parts)
            applied.append("parts")
        else:
            applied.append("zip")
    data = _zip(parts, zipfile.ZIP_STORED if rnd.random() < 0.1 else zipfile.ZIP_DEFLATED)
    if "zip" in applied:
        data = _zip_mutation(rnd, data)
    return f"{seed:06d}_{'+'.join(applied) or 'none'}"[:120].replace("/", "_") + ".xlsx", data

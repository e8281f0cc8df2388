"""Every valid way of writing a package's XML: the conformance generator.

``variants(path)`` rewrites a workbook the way other programs write the same content:

- ``Form``: how a part is serialized: quote character, spaces around '=', a namespace prefix
  (hyphenated too) instead of the default namespace or declarations repeated on every element,
  comments and processing instructions between and inside elements, CDATA, character references,
  pretty-printing, end-tagged empty elements, UTF-16;
- sheet rewrites that keep the meaning: inline strings instead of shared ones, shared and array
  formulas, rich-text runs, references in lowercase or zero-padded, rows and cells without ``r``,
  and Strict OOXML's namespaces and relationship types.

Each variant is the same workbook to any conforming reader, so it must get the same scores and
findings, and a scored copy whose every part is well-formed (tests/test_conformance.py).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

XML_NS = "http://www.w3.org/XML/1998/namespace"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT = {
    MAIN: "http://purl.oclc.org/ooxml/spreadsheetml/main",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships":
        "http://purl.oclc.org/ooxml/officeDocument/relationships",
}


@dataclass(frozen=True)
class Form:
    quote: str = '"'
    eq_space: bool = False
    prefix: str = ""  # write the default namespace with this prefix
    redeclare: bool = False  # declare the namespace on every element
    comments: bool = False  # between elements and inside text
    pis: bool = False
    cdata: bool = False
    charrefs: bool = False
    pretty: bool = False
    end_tags: bool = False  # <a></a> for empty elements
    encoding: str = "UTF-8"


def write(root: etree._Element, form: Form) -> bytes:
    """Serialize a parsed part in ``form`` (same infoset, other bytes)."""
    out: list[str] = []
    default_ns = root.nsmap.get(None)
    prefixes: dict[str, str] = {}  # every namespace of the document, with its own prefix (mc:Ignorable names them)
    for el in root.iter():
        if isinstance(el.tag, str):
            for p, ns in el.nsmap.items():
                if p and ns not in prefixes and ns != XML_NS:
                    prefixes[ns] = p
    if form.prefix and default_ns:
        prefixes[default_ns] = form.prefix

    def qname(tag: str) -> str:
        if not tag.startswith("{"):
            return tag
        ns, local = tag[1:].split("}", 1)
        if ns == XML_NS:
            return "xml:" + local
        p = prefixes.get(ns)
        if p is None and ns == default_ns:
            return local
        if p is None:
            p = prefixes[ns] = f"ns{len(prefixes)}"
        return f"{p}:{local}"

    def attr(value: str) -> str:
        text = escape(value, {'"': "&quot;", "'": "&apos;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
        return _charrefs(text) if form.charrefs else text

    def text(value: str) -> str:
        if form.cdata and value and "]]>" not in value and "\r" not in value:
            return f"<![CDATA[{value}]]>"
        t = escape(value, {"\r": "&#13;"})
        if form.comments and len(t) > 1 and not t.startswith("&") and "&" not in t[:2]:
            t = t[:1] + "<!-- - -->" + t[1:]
        return _charrefs(t) if form.charrefs else t

    eq = " = " if form.eq_space else "="
    q = form.quote

    def declarations(el: etree._Element, is_root: bool) -> str:
        decl = []
        if is_root or form.redeclare:
            for ns, p in prefixes.items():
                if is_root or form.redeclare:
                    decl.append(f" xmlns:{p}{eq}{q}{attr(ns)}{q}")
            if default_ns and not (form.prefix and default_ns in prefixes):
                decl.append(f" xmlns{eq}{q}{attr(default_ns)}{q}")
        return "".join(decl)

    def walk(el: etree._Element, depth: int, is_root: bool = False) -> None:
        if isinstance(el, etree._Comment):
            out.append(f"<!--{el.text or ''}-->")
            return
        if isinstance(el, etree._ProcessingInstruction):
            out.append(f"<?{el.target} {el.text or ''}?>")
            return
        name = qname(el.tag)
        attrs = "".join(f" {qname(k)}{eq}{q}{attr(v)}{q}" for k, v in el.attrib.items())
        head = f"<{name}{declarations(el, is_root)}{attrs}"
        children = list(el)
        body_text = el.text or ""
        if not children and not body_text:
            out.append(f"{head}></{name}>" if form.end_tags else f"{head}/>")
            return
        out.append(head + ">")
        if body_text:
            out.append(text(body_text))
        for child in children:
            if form.pretty and not body_text:
                out.append("\n" + "  " * (depth + 1))
            if form.comments and not body_text:
                out.append("<!-- between -->")
            if form.pis and not body_text:
                out.append("<?selfeval test?>")
            walk(child, depth + 1)
            if child.tail:
                out.append(text(child.tail))
        if form.pretty and children and not body_text:
            out.append("\n" + "  " * depth)
        out.append(f"</{name}>")

    prolog = f"<?xml version={q}1.0{q} encoding={q}{form.encoding}{q} standalone={q}yes{q}?>\n"
    if form.comments:
        prolog += "<!-- written by the conformance generator -->\n"
    if form.pis:
        prolog += "<?selfeval prolog?>\n"
    walk(root, 0, True)
    doc = prolog + "".join(out)
    if form.encoding.upper() == "UTF-16":
        return doc.encode("utf-16")  # with its byte-order mark
    return doc.encode("utf-8")


def _charrefs(text: str) -> str:
    return "".join(f"&#{ord(c)};" if ord(c) > 127 else c for c in text)


# ---------------------------------------------------------------------------------------------
# Sheet rewrites (on parsed parts, before serializing)

Parts = dict[str, bytes]
SHEET = re.compile(r"xl/worksheets/sheet\d+\.xml")


def _tree(parts: Parts, name: str) -> etree._Element:
    return etree.fromstring(parts[name])


def _put(parts: Parts, name: str, root: etree._Element) -> None:
    parts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _sheets(parts: Parts) -> list[str]:
    return [n for n in parts if SHEET.fullmatch(n)]


def inline_strings(parts: Parts) -> None:
    sst = _tree(parts, "xl/sharedStrings.xml")
    items = [si for si in sst]
    for name in _sheets(parts):
        root = _tree(parts, name)
        for c in root.iter(f"{{{MAIN}}}c"):
            if c.get("t") == "s":
                v = c.find(f"{{{MAIN}}}v")
                si = items[int(v.text)]
                c.remove(v)
                c.set("t", "inlineStr")
                is_ = etree.SubElement(c, f"{{{MAIN}}}is")
                for child in si:
                    is_.append(etree.fromstring(etree.tostring(child)))
        _put(parts, name, root)


def rich_text(parts: Parts) -> None:
    sst = _tree(parts, "xl/sharedStrings.xml")
    for si in sst:
        t = si.find(f"{{{MAIN}}}t")
        if t is None or not t.text or len(t.text) < 2:
            continue
        value = t.text
        si.remove(t)
        for i, piece in enumerate((value[:1], value[1:])):
            r = etree.SubElement(si, f"{{{MAIN}}}r")
            if i:
                pr = etree.SubElement(r, f"{{{MAIN}}}rPr")
                etree.SubElement(pr, f"{{{MAIN}}}b")
            rt = etree.SubElement(r, f"{{{MAIN}}}t")
            rt.set(f"{{{XML_NS}}}space", "preserve")
            rt.text = piece
        ph = etree.SubElement(si, f"{{{MAIN}}}rPh", sb="0", eb="1")
        etree.SubElement(ph, f"{{{MAIN}}}t").text = "ふりがな"  # phonetic text: not part of the value
    _put(parts, "xl/sharedStrings.xml", sst)


def shared_formulas(parts: Parts) -> None:
    """Formulas that equal an earlier formula of their column moved by the offset become shared
    followers of it (as Excel writes a filled-down formula)."""
    from openpyxl.formula.translate import Translator

    for name in _sheets(parts):
        root = _tree(parts, name)
        masters: dict[int, list[tuple[etree._Element, str, int]]] = {}
        si = 0
        for c in root.iter(f"{{{MAIN}}}c"):
            f = c.find(f"{{{MAIN}}}f")
            if f is None or f.get("t") or not f.text:
                continue
            col = re.match(r"[A-Z]+", c.get("r")).group(0)
            for master, text, msi in masters.get(col, []):
                moved = Translator("=" + text, origin=master.get("r")).translate_formula(c.get("r"))[1:]
                if moved == f.text:
                    f.text = None
                    f.set("t", "shared")
                    f.set("si", str(msi))
                    mf = master.find(f"{{{MAIN}}}f")
                    first = mf.get("ref", master.get("r")).split(":")[0]
                    mf.set("ref", f"{first}:{c.get('r')}")
                    break
            else:
                f.set("t", "shared")
                f.set("si", str(si))
                f.set("ref", c.get("r"))
                masters.setdefault(col, []).append((c, f.text, si))
                si += 1
        _put(parts, name, root)


def array_formulas(parts: Parts) -> None:
    for name in _sheets(parts):
        root = _tree(parts, name)
        for c in root.iter(f"{{{MAIN}}}c"):
            f = c.find(f"{{{MAIN}}}f")
            if f is not None and not f.get("t"):
                f.set("t", "array")
                f.set("ref", c.get("r"))
        _put(parts, name, root)


def refs(style: str) -> Callable[[Parts], None]:
    def change(parts: Parts) -> None:
        for name in _sheets(parts):
            root = _tree(parts, name)
            for c in root.iter(f"{{{MAIN}}}c"):
                if c.get("r"):
                    col, row = re.fullmatch(r"([A-Z]+)(\d+)", c.get("r")).groups()
                    c.set("r", col.lower() + row if style == "lower" else col + row.zfill(7))
            _put(parts, name, root)
    return change


def no_addresses(parts: Parts) -> None:
    """Rows and cells without ``r`` wherever their position follows from the one before."""
    for name in _sheets(parts):
        root = _tree(parts, name)
        last_row = 0
        for row in root.iter(f"{{{MAIN}}}row"):
            r = int(row.get("r"))
            if r == last_row + 1:
                del row.attrib["r"]
            last_row = r
            last_col = 0
            for c in row:
                col = _col(re.match(r"[A-Z]+", c.get("r")).group(0))
                if col == last_col + 1:
                    del c.attrib["r"]
                last_col = col
        _put(parts, name, root)


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def strict(parts: Parts) -> None:
    """Strict OOXML: its namespaces and relationship types."""
    rel_t = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    rel_s = "http://purl.oclc.org/ooxml/officeDocument/relationships/"
    for name, data in list(parts.items()):
        if not name.endswith((".xml", ".rels")) or name == "[Content_Types].xml":
            continue
        text = data.decode("utf-8")
        if name.endswith(".rels"):
            text = text.replace(rel_t, rel_s)
        for old, new in STRICT.items():
            text = text.replace(f'"{old}"', f'"{new}"')
        parts[name] = text.encode("utf-8")


# ---------------------------------------------------------------------------------------------
# The variants

SERIAL_FORMS: dict[str, Form] = {
    "single_quotes": Form(quote="'"),
    "spaces_around_eq": Form(eq_space=True),
    "prefix": Form(prefix="x"),
    "hyphen_prefix": Form(prefix="x-y"),
    "declared_everywhere": Form(prefix="s", redeclare=True),
    "comments": Form(comments=True),
    "processing_instructions": Form(pis=True),
    "cdata": Form(cdata=True),
    "character_references": Form(charrefs=True),
    "pretty": Form(pretty=True),
    "end_tags": Form(end_tags=True),
    "utf16": Form(encoding="UTF-16"),
    "everything": Form(quote="'", eq_space=True, prefix="x-y", comments=True, pis=True, charrefs=True,
                       pretty=True, end_tags=True),
}
REWRITES: dict[str, Callable[[Parts], None]] = {
    "inline_strings": inline_strings,
    "rich_text": rich_text,
    "shared_formulas": shared_formulas,
    "array_formulas": array_formulas,
    "lowercase_refs": refs("lower"),
    "zero_padded_refs": refs("padded"),
    "no_addresses": no_addresses,
    "strict": strict,
}


def read_parts(path: Path) -> Parts:
    z = zipfile.ZipFile(path)
    return {i.filename: z.read(i.filename) for i in z.infolist()}


def zip_parts(parts: Parts) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def serialize_all(parts: Parts, form: Form) -> None:
    for name, data in list(parts.items()):
        if name.endswith((".xml", ".rels")):
            root = etree.fromstring(data)
            f = form
            if name == "[Content_Types].xml" or name.endswith(".rels"):
                f = replace(form, prefix="", redeclare=False)  # OPC's own parts: no prefixes (Excel is strict there)
            parts[name] = write(root, f)


def variants(path: Path) -> dict[str, bytes]:
    """name -> the workbook at ``path`` written that way."""
    out = {}
    for name, form in SERIAL_FORMS.items():
        parts = read_parts(path)
        serialize_all(parts, form)
        out[name] = zip_parts(parts)
    for name, change in REWRITES.items():
        parts = read_parts(path)
        change(parts)
        out[name] = zip_parts(parts)
    parts = read_parts(path)  # several at once
    for change in (inline_strings, shared_formulas, no_addresses, refs("lower")):
        change(parts)
    serialize_all(parts, SERIAL_FORMS["everything"])
    out["rewrites_and_forms"] = zip_parts(parts)
    return out

"""Workbooks nobody here wrote, made to reach the reader.

A foreign workbook has none of the template's sheets, so the tool answers it with S101 and reads no
further. ``with_template_names(data)`` renames its sheets (in workbook.xml, by the parser) to the
template's, the indicator sheet first (a workbook without one is not scored), so that the reader,
the checks, the scoring and the scored copy all run on cells, styles, comments and parts written by
other programs. None when the file has no workbook part this can rename.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from selfeval_xl.core import names as S


def with_template_names(data: bytes) -> bytes | None:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        parts = {i.filename: z.read(i) for i in z.infolist()}
    except Exception:
        return None
    name = next((n for n in parts if n.lower() == "xl/workbook.xml"), None)
    if name is None:
        return None
    try:
        root = etree.fromstring(parts[name])
    except etree.XMLSyntaxError:
        return None
    sheets = [el for el in root.iter("{*}sheet")]
    if not sheets:
        return None
    names = [S.INDICATORS, *(n for n in S.SHEETS[1:] if n != S.INDICATORS)]
    for el, new in zip(sheets, names, strict=False):
        el.set("name", new)
    parts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for n, d in parts.items():
            out.writestr(n, d)
    return buf.getvalue()

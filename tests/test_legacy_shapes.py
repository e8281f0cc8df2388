"""Legacy drawing objects over the verdict (the loose end of issue 17 item 7): VML form controls,
VML shapes, OLE objects and shown notes laid over the 核定得分/审核意见 cells of a scored copy.

LibreOffice shows what a department could lay over the verdict this way (seen by printing a crafted
file, tests/test_rendering.py does it again): a VML form control (a button or a label with any
text) and a VML shape without client data (positioned by its style) print over the cells, and so
does an OLE object's picture; Excel draws form controls, OLE pictures and shown notes from the same
VML. A VML "Text" or "Rect" object LibreOffice ignores; Excel 97-2003 drew them. The copy removes
every such shape over a verdict cell, with the sheet's <control> or <oleObject> of the same shape
id and the relationships only they used, and hides a department's note whose shown box lies over
one (the note stays, as notes elsewhere do). What lies elsewhere stays as the department left it.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from lxml import etree

from selfeval_xl.check.assess import assess
from selfeval_xl.core import names as S
from selfeval_xl.outputs.scored_copy import write_scored_copy

from .conftest import rezip

SAMPLE = "01_杜岭街道办事处_2021.xlsx"
V, OFFICE, X = "urn:schemas-microsoft-com:vml", "urn:schemas-microsoft-com:office:office", "urn:schemas-microsoft-com:office:excel"
XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _png(rgb=(255, 0, 0), w=40, h=20) -> bytes:
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))

    def chunk(t: bytes, d: bytes) -> bytes:
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _control(sid: int, kind: str, anchor: str, text: str) -> str:
    """A form control as Excel writes it in VML (a button's or a label's text shows)."""
    return (f'<v:shape id="_x0000_s{sid}" type="#_x0000_t201" style="position:absolute;margin-left:96pt;margin-top:15pt;'
            f'width:48pt;height:15pt;z-index:{sid - 1024}" o:button="t" fillcolor="buttonFace [67]" strokecolor="windowText [64]">'
            f'<v:textbox><div style="text-align:center"><font face="宋体" size="280" color="#000000">{text}</font></div></v:textbox>'
            f'<x:ClientData ObjectType="{kind}"><x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill>'
            '<x:TextHAlign>Center</x:TextHAlign><x:TextVAlign>Center</x:TextVAlign></x:ClientData></v:shape>')


def _anchor(c1: int, r1: int, c2: int, r2: int) -> str:
    """A <control>'s or <oleObject>'s anchor (0-based columns and rows)."""
    def marker(tag: str, c: int, r: int) -> str:
        return f"<{tag}><xdr:col>{c}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r}</xdr:row><xdr:rowOff>0</xdr:rowOff></{tag}>"
    return f'<anchor moveWithCells="1">{marker("from", c1, r1)}{marker("to", c2, r2)}</anchor>'


#: 0-based: column 9 is J (核定得分), 10 is K (审核意见)
SHAPES = {
    "button": _control(1025, "Button", "9, 2, 4, 2, 11, 0, 6, 0", "COVER满分"),
    "label": _control(1026, "Label", "10, 2, 8, 2, 10, 60, 9, 10", "LABEL满分"),
    "keep": _control(1027, "Button", "7, 2, 40, 2, 8, 0, 42, 0", "KEEP"),  # over H41:I43, the department's
    # no client data: a shape Excel 97 drew, placed by its style (see OVER_J)
    "bare": ('<v:rect id="_x0000_s1028" style="position:absolute;margin-left:{left}pt;margin-top:{top}pt;'
             'width:150pt;height:40pt;z-index:4" fillcolor="#ffff00"><v:textbox><div><font size="280">BARE满分</font>'
             "</div></v:textbox></v:rect>"),
    "ole": ('<v:shape id="_x0000_s1029" type="#_x0000_t75" style="position:absolute;width:120pt;height:40pt;z-index:5" '
            'filled="t" stroked="t" o:insetmode="auto"><v:imagedata o:relid="rId1" o:title=""/>'
            '<x:ClientData ObjectType="Pict"><x:SizeWithCells/><x:Anchor>9, 2, 23, 2, 11, 0, 26, 0</x:Anchor><x:CF>Pict</x:CF>'
            "<x:AutoPict/></x:ClientData></v:shape>"),
    # a note on I20 (the department's), shown, its box over J20:K23
    "note": ('<v:shape id="_x0000_s1030" type="#_x0000_t202" style="position:absolute;margin-left:400pt;margin-top:300pt;'
             'width:150pt;height:60pt;z-index:6;visibility:visible" fillcolor="#ffffe1"><v:textbox><div></div></v:textbox>'
             '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:Anchor>9, 2, 19, 2, 11, 0, 22, 0</x:Anchor>'
             "<x:AutoFill>False</x:AutoFill><x:Row>19</x:Row><x:Column>8</x:Column><x:Visible/></x:ClientData></v:shape>"),
}


def _vml(shapes: list[str], broken: bool = False) -> bytes:
    body = "".join(shapes)
    if broken:  # Excel writes HTML line breaks in a control's text: <br>, never closed
        body = body.replace("COVER满分", "COVER<br>满分")
    return (f'<xml xmlns:v="{V}" xmlns:o="{OFFICE}" xmlns:x="{X}"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/>'
            '</o:shapelayout><v:shapetype id="_x0000_t201" coordsize="21600,21600" o:spt="201" path="m,l,21600r21600,l21600,xe">'
            '<v:stroke joinstyle="miter"/><v:path shadowok="f" o:extrusionok="f" strokeok="f" fillok="f" o:connecttype="rect"/>'
            '</v:shapetype><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
            f'<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>{body}</xml>').encode()


def legacy_shapes(src: Path, dst: Path, *, broken: bool = False, bare_at: tuple[float, float] = (0, 0),
                  extra: str = "") -> Path:
    """``src`` with form controls, a VML shape, an OLE object and a shown note over its verdict
    columns (J, K of 绩效指标) and a button over the department's own cells; ``broken``: the VML is not XML (a
    <br> as Excel writes it). ``bare_at``: the VML rect's place (points); ``extra``: more VML."""
    def change(parts: dict[str, bytes]) -> None:
        sheet = parts["xl/worksheets/sheet6.xml"].decode()
        controls = "".join(
            f'<mc:AlternateContent><mc:Choice Requires="x14"><control shapeId="{sid}" r:id="rIdC{sid}" name="{name}">'
            f'<controlPr defaultSize="0" print="1" autoFill="0" autoPict="0">{_anchor(*where)}</controlPr></control>'
            "</mc:Choice></mc:AlternateContent>"
            for sid, name, where in ((1025, "Button 1", (9, 4, 11, 6)), (1026, "Label 2", (10, 8, 10, 9)),
                                     (1027, "Button 3", (7, 40, 8, 42))))
        tail = ('<legacyDrawing r:id="rIdV"/>'
                '<oleObjects><mc:AlternateContent><mc:Choice Requires="x14"><oleObject progId="Package" shapeId="1029" r:id="rIdO">'
                f'<objectPr defaultSize="0" autoPict="0" r:id="rIdOI">{_anchor(9, 23, 11, 26)}</objectPr></oleObject></mc:Choice>'
                '<mc:Fallback><oleObject progId="Package" shapeId="1029" r:id="rIdO"/></mc:Fallback></mc:AlternateContent></oleObjects>'
                f'<mc:AlternateContent><mc:Choice Requires="x14"><controls>{controls}</controls></mc:Choice></mc:AlternateContent>')
        sheet = sheet.replace("</headerFooter></worksheet>", "</headerFooter>" + tail + "</worksheet>").replace(
            "<worksheet ", f'<worksheet xmlns:mc="{MC}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" '
            f'xmlns:xdr="{XDR}" mc:Ignorable="x14" ', 1)
        parts["xl/worksheets/sheet6.xml"] = sheet.encode()
        rels = [("rIdV", "vmlDrawing", "../drawings/vmlDrawing1.vml"), ("rIdO", "oleObject", "../embeddings/oleObject1.bin"),
                ("rIdOI", "image", "../media/image1.png"), ("rIdN", "comments", "../comments1.xml"),
                *((f"rIdC{sid}", "ctrlProp", f"../ctrlProps/ctrlProp{sid}.xml") for sid in (1025, 1026, 1027))]
        parts["xl/worksheets/_rels/sheet6.xml.rels"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="{i}" Type="{REL}/{t}" Target="{p}"/>' for i, t, p in rels) + "</Relationships>").encode()
        left, top = bare_at
        shapes = [SHAPES[k].replace("{left}", f"{left:g}").replace("{top}", f"{top:g}") for k in SHAPES] + [extra]
        parts["xl/drawings/vmlDrawing1.vml"] = _vml(shapes, broken)
        parts["xl/drawings/_rels/vmlDrawing1.vml.rels"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/image" Target="../media/image1.png"/></Relationships>').encode()
        parts["xl/embeddings/oleObject1.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
        parts["xl/media/image1.png"] = _png()
        parts["xl/comments1.xml"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<authors><author>单位</author></authors><commentList><comment ref="I20" authorId="0"><text><t>已核定满分</t></text></comment>'
            "</commentList></comments>").encode()
        for sid, kind in ((1025, "Button"), (1026, "Label"), (1027, "Button")):
            parts[f"xl/ctrlProps/ctrlProp{sid}.xml"] = (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><formControlPr '
                f'xmlns="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" objectType="{kind}" lockText="1"/>').encode()
        types = parts["[Content_Types].xml"].decode().replace("</Types>", (
            '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>'
            '<Default Extension="png" ContentType="image/png"/>'
            '<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.oleObject"/>'
            '<Override PartName="/xl/comments1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"/>'
            + "".join(f'<Override PartName="/xl/ctrlProps/ctrlProp{sid}.xml" ContentType="application/vnd.ms-excel.controlproperties+xml"/>'
                      for sid in (1025, 1026, 1027)) + "</Types>"))
        parts["[Content_Types].xml"] = types.encode()

    return rezip(src, dst, change)


#: the rect's place: over J (the template's columns A–I take 902 points)
OVER_J = (910.0, 200.0)


@pytest.fixture(scope="module")
def legacy_copy(sample_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("legacy")
    path = legacy_shapes(sample_files[SAMPLE], out / "legacy.xlsx", bare_at=OVER_J)
    return path, write_scored_copy(assess(path), out / "copy")


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_legacy_shapes_over_the_verdict_are_removed_and_the_rest_kept(legacy_copy):
    src, copy = legacy_copy
    parts = _parts(copy)
    vml = etree.fromstring(parts["xl/drawings/vmlDrawing1.vml"])
    theirs = {el.get("id") for el in vml} & {f"_x0000_s{sid}" for sid in range(1025, 1031)}  # not the tool's notes
    assert theirs == {"_x0000_s1027", "_x0000_s1030"}  # the button over the department's cells; the note, hidden
    note = next(el for el in vml if el.get("id") == "_x0000_s1030")
    assert note.find(f"{{{X}}}ClientData/{{{X}}}Visible") is None and "visibility:hidden" in note.get("style")
    sheet = parts["xl/worksheets/sheet6.xml"].decode()
    assert re.findall(r'<control shapeId="(\d+)"', sheet) == ["1027"] and "oleObject" not in sheet
    rels = parts["xl/worksheets/_rels/sheet6.xml.rels"].decode()
    assert "ctrlProp1027" in rels and "ctrlProp1025" not in rels and "oleObject1.bin" not in rels
    assert "xl/embeddings/oleObject1.bin" not in parts and "xl/ctrlProps/ctrlProp1025.xml" not in parts
    assert "已核定满分" in parts["xl/comments1.xml"].decode()  # the note is the department's: kept
    assert _parts(src)["xl/drawings/vmlDrawing1.vml"] == _vml(
        [SHAPES[k].replace("{left}", "910").replace("{top}", "200") for k in SHAPES] + [""])  # the submission is only read


def test_a_legacy_drawing_that_is_not_xml_is_read_as_excel_writes_it(sample_files, tmp_path):
    """Excel writes a control's line break as <br> (HTML, not closed): the VML is not XML. It is
    read leniently, the shapes over the verdict removed, the rest kept, and the copy's VML is XML."""
    path = legacy_shapes(sample_files[SAMPLE], tmp_path / "br.xlsx", broken=True, bare_at=OVER_J)
    parts = _parts(write_scored_copy(assess(path), tmp_path / "copy"))
    vml = parts["xl/drawings/vmlDrawing1.vml"]
    etree.fromstring(vml)  # XML now
    text = vml.decode()
    assert "KEEP" in text and not re.search("COVER|LABEL|BARE|imagedata", text)  # the department's other button stays
    assert 'ObjectType="Note"' in text and "<x:Row>19</x:Row>" in text  # the department's note, hidden
    assert re.findall(r'<control shapeId="(\d+)"', parts["xl/worksheets/sheet6.xml"].decode()) == ["1027"]


@pytest.mark.parametrize(("style", "over"), [
    ("margin-left:910pt;margin-top:200pt;width:150pt;height:40pt", True),  # over J
    ("left:10pt;top:10pt;width:100pt;height:40pt", False),  # over A1:B3
    ("margin-left:0;margin-top:0;width:2000px;height:20px", False),  # across row 1, whose J1 is a header
    ("margin-left:1200;margin-top:400;width:100;height:60", True),  # pixels: J from 1203 px
])
def test_a_vml_shape_without_an_anchor_is_placed_by_its_style(sample_files, tmp_path, style, over):
    """A shape without client data is where its style puts it (points, pixels, a bare number as
    pixels), measured in the sheet's column widths and row heights."""
    from selfeval_xl.ooxml.legacy import vml_area

    el = etree.fromstring(f'<v:rect xmlns:v="{V}" style="position:absolute;{style}"/>')
    sheet = etree.fromstring(_parts(sample_files[SAMPLE])["xl/worksheets/sheet6.xml"])
    area = vml_area(el, sheet)
    assert area is not None
    verified = 1 + S.INDICATOR_HEADERS.index(S.VERIFIED)
    assert (area[1] <= verified <= area[3] and area[2] >= 3) == over, area


@pytest.mark.slow
def test_the_copy_with_legacy_shapes_is_valid(legacy_copy):
    openxml_audit = pytest.importorskip("openxml_audit")
    result = openxml_audit.OpenXmlValidator(max_errors=0).validate(legacy_copy[1])
    assert [str(e) for e in result.errors if e.severity == openxml_audit.ValidationSeverity.ERROR] == []


def test_a_control_grouped_with_other_shapes_is_found_by_its_anchor(sample_files, tmp_path):
    """A group places its shapes in its own coordinates, but a control in it is anchored to cells:
    the control over the verdict goes, the group (and what else it holds) stays."""
    group = ('<v:group id="_x0000_s1040" style="position:absolute;margin-left:0;margin-top:0;width:20pt;height:10pt" '
             'coordsize="21600,21600"><v:rect id="_x0000_s1042" style="position:absolute;left:0;top:0;width:21600;height:21600">'
             '<v:textbox><div>INGROUP</div></v:textbox></v:rect>'
             + _control(1041, "Button", "9, 2, 30, 2, 11, 0, 32, 0", "GROUPED满分") + "</v:group>")
    path = legacy_shapes(sample_files[SAMPLE], tmp_path / "group.xlsx", bare_at=OVER_J, extra=group)
    vml = _parts(write_scored_copy(assess(path), tmp_path / "copy"))["xl/drawings/vmlDrawing1.vml"].decode()
    assert "INGROUP" in vml and "_x0000_s1040" in vml and "GROUPED" not in vml

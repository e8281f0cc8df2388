"""Workbook-level changes of a copy: what it does not keep, a sheet of our own, calculation on load.

- ``drop_not_kept``: the calculation chain (Excel rebuilds it), the macro project (a copy is a plain
  .xlsx), external links, data connections and the query tables that use them. Formulas that read
  another workbook keep their last value, as Excel's "break link" does.
- ``add_sheet_first``: a new worksheet at the front of the tab order, opened on (every sheet-indexed
  reference, such as a print area's ``localSheetId``, moves along).
- ``full_calc_on_load``: a spreadsheet program recalculates the copy when it opens it.
- ``show_sheets``: sheets made visible (a hidden or "very hidden" sheet, a hidden window, hidden tabs).
- ``define_name``: a sheet's print titles or print area (``_xlnm.Print_Titles``, ``_xlnm.Print_Area``).
"""

from __future__ import annotations

from lxml import etree

from .edit import WORKBOOK_ORDER, Editor, insert_in_order
from .workbook import Workbook
from .xml import XMLElement, local

__all__ = ["add_sheet_first", "define_name", "drop_not_kept", "full_calc_on_load", "remove_names", "show_sheets"]

_CT_WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_CT_MACRO_WORKBOOK = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_EXTERNAL = ("externalLink", "connections")


def drop_not_kept(editor: Editor, wb: Workbook) -> None:
    part = wb.part
    if not any(r.kind == "officeDocument" and r.part == part for r in editor.rels("")):
        # a package whose root does not name the workbook we read (found by its usual name):
        # the copy names it, so that everything reachable from it is kept
        editor.remove_rels("", lambda r: r.kind != "officeDocument")
        editor.add_rel("", wb.names.rel + "/officeDocument", part)
    editor.remove_rels(part, lambda r: r.kind not in ("calcChain", "vbaProject"))
    editor.replace_content_type(_CT_MACRO_WORKBOOK, _CT_WORKBOOK)
    gone = editor.remove_rels(part, lambda r: r.kind not in _EXTERNAL)
    if not gone:
        return
    n = wb.names
    root = editor.tree(part)
    for el in list(root):
        if el.tag == n("externalReferences"):
            root.remove(el)
    names = root.find(n("definedNames"))
    for el in list(names if names is not None else ()):
        if "[" in (el.text or ""):
            names.remove(el)  # type: ignore[union-attr]
    for sheet in wb.sheets:
        if not sheet.part:
            continue
        editor.remove_rels(sheet.part, lambda r: r.kind != "queryTable")
        tree = wb.package.xml(sheet.part)
        if any("[" in (f.text or "") for f in tree.iter(n("f"))):
            for f in list(editor.tree(sheet.part).iter(n("f"))):
                if "[" in (f.text or ""):
                    f.getparent().remove(f)  # type: ignore[union-attr]


def add_sheet_first(editor: Editor, wb: Workbook, name: str, tree: XMLElement) -> str:
    """Add the worksheet ``tree`` as the first tab, named ``name``, and open the workbook on it;
    a sheet of that name (a copy of a copy) is replaced. Returns its part."""
    n = wb.names
    root = editor.tree(wb.part)
    sheets = root.find(n("sheets"))
    if sheets is None:
        sheets = insert_in_order(root, etree.Element(n("sheets")), WORKBOOK_ORDER)
    listed = [s for s in sheets if s.tag == n("sheet")]
    existing = next((s for s in wb.sheets if s.name == name and s.part), None)
    if existing is not None:  # a copy of a copy, or a submission's own sheet of that name (hidden, last …)
        editor.replace_part(existing.part, etree.tostring(tree.getroottree(), xml_declaration=True,
                                                          encoding="UTF-8", standalone=True))
        part = existing.part
        el = next(s for s in listed if s.get("name") == name)
        was = listed.index(el)
        sheets.remove(el)
        if "state" in el.attrib:  # ours is shown, whatever the submission's was
            del el.attrib["state"]
    else:
        was = len(listed)
        part = editor.new_part_name("xl/worksheets/sheet%d.xml")
        editor.add_part(part, _CT_WORKSHEET, tree=tree)
        rid = editor.add_rel(wb.part, n.rel + "/worksheet", part)
        ids = [int(s.get("sheetId") or 0) for s in listed if (s.get("sheetId") or "").isdigit()]
        el = etree.Element(n("sheet"), nsmap={"r": n.rel})
        el.set("name", name)
        el.set("sheetId", str(max(ids, default=0) + 1))
        el.set(n.r("id"), rid)
    sheets.insert(0, el)
    defined = root.find(n("definedNames"))
    for d in (defined if defined is not None else ()):  # names scoped to a sheet follow it to its new place
        local_id = d.get("localSheetId")
        if local_id is not None and local_id.isdigit():
            index = int(local_id)
            d.set("localSheetId", str(0 if index == was else index + 1 if index < was else index))
    views = root.find(n("bookViews"))
    if views is None:
        views = insert_in_order(root, etree.Element(n("bookViews")), WORKBOOK_ORDER)
    view = next((v for v in views if v.tag == n("workbookView")), None)
    if view is None:
        view = etree.SubElement(views, n("workbookView"))
    for view in views.iter(n("workbookView")):  # every window opens on it
        view.set("activeTab", "0")
        view.set("firstSheet", "0")
    for sheet in wb.sheets:  # one selected tab: several would be edited together (a group)
        if sheet.part and sheet.part != part:
            _unselect(editor, wb, sheet.name)
    return part


def remove_names(editor: Editor, wb: Workbook, name: str, sheets: set[str]) -> None:
    """Remove the defined names ``name`` scoped to any of ``sheets`` (after the sheet list's last edit)."""
    n = wb.names
    root = editor.tree(wb.part)
    listed = [el.get("name") for el in root.iter(n("sheet"))]
    ids = {str(i) for i, sheet in enumerate(listed) if sheet in sheets}
    defined = root.find(n("definedNames"))
    if defined is None:
        return
    for el in list(defined):
        if (el.get("name") or "").casefold() == name.casefold() and el.get("localSheetId") in ids:
            defined.remove(el)


def _unselect(editor: Editor, wb: Workbook, name: str) -> None:
    """The sheet ``name`` is not selected (two selected tabs would be edited together)."""
    part = next((s.part for s in wb.sheets if s.name == name and s.part), "")
    if not part:
        return
    n = wb.names
    source = wb.package.xml(part)
    if not any((v.get("tabSelected") or "") in ("1", "true") for v in source.iter(n("sheetView"))):
        return
    for v in editor.tree(part).iter(n("sheetView")):
        if "tabSelected" in v.attrib:
            del v.attrib["tabSelected"]


def full_calc_on_load(editor: Editor, wb: Workbook) -> None:
    n = wb.names
    root = editor.tree(wb.part)
    calc = root.find(n("calcPr"))
    if calc is None:
        calc = insert_in_order(root, etree.Element(n("calcPr")), WORKBOOK_ORDER)
    calc.set("fullCalcOnLoad", "1")


def show_sheets(editor: Editor, wb: Workbook, names: set[str]) -> list[str]:
    """Make the sheets ``names`` visible, and the workbook's window and its sheet tabs; returns the
    sheets that were hidden."""
    n = wb.names
    root = editor.tree(wb.part)
    shown = []
    for el in root.iter(n("sheet")):
        if el.get("name") in names and el.get("state") not in (None, "visible"):
            del el.attrib["state"]
            shown.append(el.get("name") or "")
    for view in root.iter(n("workbookView")):
        if view.get("visibility") not in (None, "visible"):
            del view.attrib["visibility"]
        if (view.get("showSheetTabs") or "").strip().lower() in ("0", "false"):
            del view.attrib["showSheetTabs"]
    return shown


def define_name(editor: Editor, wb: Workbook, name: str, sheet: str, text: str) -> None:
    """The sheet-scoped defined name ``name`` of ``sheet`` (as the edited sheet list orders it)
    set to ``text``, replacing any it had."""
    n = wb.names
    root = editor.tree(wb.part)
    sheets = [el.get("name") for el in root.iter(n("sheet"))]
    if sheet not in sheets:
        return
    index = str(sheets.index(sheet))
    defined = root.find(n("definedNames"))
    if defined is None:
        defined = insert_in_order(root, etree.Element(n("definedNames")), WORKBOOK_ORDER)
    for el in list(defined):
        if (el.get("name") or "").casefold() == name.casefold() and el.get("localSheetId") == index:
            defined.remove(el)
    el = etree.SubElement(defined, n("definedName"))
    el.set("name", name)
    el.set("localSheetId", index)
    el.text = text


def is_sheet(el: XMLElement) -> bool:
    return local(el.tag) == "sheet"

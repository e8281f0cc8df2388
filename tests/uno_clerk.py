"""A clerk at LibreOffice Calc, driven through its UNO API (run by the system python3, which has
the ``uno`` module; see tests/clerk.py, which starts it).

Reads a JSON list of jobs on stdin; for each, opens ``src``, does its ``steps`` as a clerk would,
recalculates, saves as .xlsx to ``dst``, and prints one JSON line with what happened. A step is

    {"insert": "G30", "sheet": "绩效指标", "rows": 2, "where": "above"}   # select, Insert Rows Above/Below
    {"type": "C30", "sheet": "绩效指标", "value": "新指标"}              # type into a cell

    {"invalid": true, "sheet": "绩效指标"}                           # Tools > Detective > Mark Invalid Data

The last reports the cells Calc's own data validity finds invalid (``showInvalid``: the circles it
draws, which are then cleared). A job with ``"jump": "'绩效指标'!F12"`` instead opens ``src`` at that hyperlink mark and reports the
sheet and cell the cursor lands on.

Insert Rows is LibreOffice's own command (.uno:InsertRowsBefore / .uno:InsertRowsAfter) on the
selected cells, so the sheet protection decides as it does for a person: a locked selection is
refused. Typing respects protection too: a locked cell on a protected sheet is reported, not typed.
Numbers are typed as numbers, text as text, and text starting with "=" as a formula.
"""

import json
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(port, profile):
    proc = subprocess.Popen(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--invisible", "--nologo", "--norestore",
         f"--accept=socket,host=127.0.0.1,port={port};urp;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(300):
        try:
            ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("LibreOffice did not start")
    smgr = ctx.ServiceManager
    desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    dispatcher = smgr.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)
    return proc, desktop, dispatcher


def url(path):
    return uno.systemPathToFileUrl(path)


def used_rows(sheet):
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    return cursor.getRangeAddress().EndRow + 1


def a1(row0, col0):
    name = ""
    col = col0
    while True:
        name = chr(65 + col % 26) + name
        col = col // 26 - 1
        if col < 0:
            break
    return f"{name}{row0 + 1}"


def invalid_cells(sheet):
    """The cells Calc marks as violating their validity (Mark Invalid Data), as A1; the marks cleared."""
    sheet.clearArrows()
    sheet.showInvalid()
    page = sheet.DrawPage
    out = set()
    for i in range(page.getCount()):
        shape = page.getByIndex(i)
        anchor = getattr(shape, "Anchor", None)
        if shape.ShapeType.endswith("EllipseShape") and anchor is not None and hasattr(anchor, "getCellAddress"):
            address = anchor.getCellAddress()
            out.add(a1(address.Row, address.Column))
    sheet.clearArrows()
    return sorted(out)


def jump(desktop, job):
    """Open ``src`` at a hyperlink's mark (what a click on "file.xlsx#mark" does) and report where
    the cursor is: [sheet, A1]."""
    doc = desktop.loadComponentFromURL(url(job["src"]), "_blank", 0, (prop("Hidden", True), prop("JumpMark", job["jump"])))
    try:
        ctrl = doc.getCurrentController()
        sel = ctrl.getSelection()
        addr = sel.getCellAddress() if hasattr(sel, "getCellAddress") else sel.getRangeAddress()
        col = addr.Column if hasattr(addr, "Column") else addr.StartColumn
        row = addr.Row if hasattr(addr, "Row") else addr.StartRow
        name = ""
        while True:
            name = chr(65 + col % 26) + name
            col = col // 26 - 1
            if col < 0:
                break
        return [ctrl.getActiveSheet().getName(), f"{name}{row + 1}"]
    finally:
        doc.close(True)


def run_job(desktop, dispatcher, job):
    if "jump" in job:
        return jump(desktop, job)
    doc = desktop.loadComponentFromURL(url(job["src"]), "_blank", 0, (prop("Hidden", True),))
    ctrl = doc.getCurrentController()
    frame = ctrl.getFrame()
    done = []
    try:
        for step in job["steps"]:
            sheet = doc.Sheets.getByName(step["sheet"])
            ctrl.setActiveSheet(sheet)
            if "invalid" in step:
                doc.calculateAll()
                done.append({"invalid": invalid_cells(sheet)})
            elif "insert" in step:
                rows = step.get("rows", 1)
                cell = sheet.getCellRangeByName(step["insert"])
                col, row = cell.getCellAddress().Column, cell.getCellAddress().Row
                before = used_rows(sheet)
                ctrl.select(sheet.getCellRangeByPosition(col, row, col, row + rows - 1))
                command = ".uno:InsertRowsBefore" if step.get("where", "above") == "above" else ".uno:InsertRowsAfter"
                dispatcher.executeDispatch(frame, command, "", 0, ())
                done.append({"insert": step["insert"], "inserted": used_rows(sheet) - before})
            else:
                cell = sheet.getCellRangeByName(step["type"])
                locked = bool(cell.CellProtection.IsLocked and sheet.isProtected())
                if not locked:
                    value = step["value"]
                    if value is None:
                        cell.setString("")
                    elif isinstance(value, (int, float)) and not isinstance(value, bool):
                        cell.setValue(value)
                    elif str(value).startswith("="):
                        cell.setFormula(str(value))
                    else:
                        cell.setString(str(value))
                done.append({"type": step["type"], "locked": locked})
        doc.calculateAll()
        doc.storeToURL(url(job["dst"]), (prop("FilterName", "Calc MS Excel 2007 XML"), prop("Overwrite", True)))
    finally:
        doc.close(True)
    return done


def main():
    port, profile = sys.argv[1], sys.argv[2]
    jobs = json.load(sys.stdin)
    proc, desktop, dispatcher = connect(port, profile)
    try:
        for job in jobs:
            try:
                print(json.dumps({"dst": job["dst"], "steps": run_job(desktop, dispatcher, job)}, ensure_ascii=False),
                      flush=True)
            except Exception as exc:  # one failed job does not stop the others
                print(json.dumps({"dst": job["dst"], "error": repr(exc)}, ensure_ascii=False), flush=True)
    finally:
        try:
            desktop.terminate()
        except Exception:
            pass
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()

"""The scored copy written by patching the package is the workbook a full openpyxl rewrite gives,
and it keeps what openpyxl would lose."""

from __future__ import annotations

import openpyxl
import pytest
from openpyxl.worksheet.formula import ArrayFormula

from selfeval_xl.check.assess import assess
from selfeval_xl.core import names as S
from selfeval_xl.outputs.scored_copy import write_scored_copy

from .conftest import make_samples
from .reference_writer import cells_of, write_reference


def _style(c):
    f, fill, b, al, pr = c.font, c.fill, c.border, c.alignment, c.protection
    return (f.name, f.sz, f.b, bool(f.i), f.u, f.color.rgb if f.color is not None else None,
            fill.fill_type, fill.fgColor.rgb if fill.fill_type else None,
            tuple((getattr(b, s).style, getattr(b, s).color.rgb if getattr(b, s).color else None)
                  for s in ("left", "right", "top", "bottom")),
            al.horizontal, al.vertical, al.wrap_text, pr.locked, c.number_format)


def _formatted_cells(ws):
    """Each cell a conditional format covers, with its rules' formulas (however the ranges are cut)."""
    out: dict[str, set] = {}
    for cf in ws.conditional_formatting:
        for area in str(cf.sqref).split():
            for c in cells_of(area):
                out.setdefault(c, set()).update(str((r.type, *(r.formula or ()))) for r in cf.rules)
    return {k: sorted(v) for k, v in out.items()}


def _sheet(ws, ours: bool = False):
    """What a sheet holds. ``ours``: the 审核结果 sheet, whose styling is the tool's own choice:
    compared on values, types, links and the level fills."""
    cells = {}
    for row in ws.iter_rows():
        for c in row:
            if c.value is None and (ours or not c.has_style):
                continue
            style = (c.fill.fgColor.rgb if c.fill.fill_type else None) if ours else _style(c)
            value = ("array", c.value.ref, c.value.text) if isinstance(c.value, ArrayFormula) else c.value
            cells[c.coordinate] = (value, c.data_type, style, c.comment.text if c.comment else None,
                                   c.hyperlink.location if c.hyperlink else None)
    return {
        "cells": cells,
        "merged": sorted(map(str, ws.merged_cells.ranges)),
        "validations": sorted((str(d.sqref), d.type, d.formula1, d.formula2, d.errorStyle) for d in ws.data_validations.dataValidation),
        "widths": {k: v.width for k, v in ws.column_dimensions.items() if v.width},
        "heights": {k: v.height for k, v in ws.row_dimensions.items() if v.height},
        "protection": (ws.protection.sheet, ws.protection.insertRows),
        "print": (ws.print_title_rows, ws.page_setup.orientation, ws.page_setup.paperSize),
        "panes": ws.freeze_panes,
        "cf": _formatted_cells(ws),
    }


# the first sample in the fast loop, every sample with --run-slow
@pytest.mark.parametrize("name", [n if i == 0 else pytest.param(n, marks=pytest.mark.slow)
                                  for i, n in enumerate(make_samples.SAMPLES)])
def test_patched_copy_equals_a_full_rewrite(sample_files, tmp_path, name):
    a = assess(sample_files[name])
    fast = write_scored_copy(a, tmp_path / "fast")
    slow = tmp_path / "slow.xlsx"
    write_reference(a, slow)
    wf, ws_ = openpyxl.load_workbook(fast), openpyxl.load_workbook(slow)
    assert wf.sheetnames == ws_.sheetnames
    for sheet in wf.sheetnames:
        got, want = _sheet(wf[sheet], sheet == S.RESULTS), _sheet(ws_[sheet], sheet == S.RESULTS)
        if sheet == S.RESULTS:  # widths, heights and panes of the result sheet are ours to choose
            for k in ("widths", "heights", "panes", "print"):
                got.pop(k), want.pop(k)
        for key in want:
            if key == "cells":
                diff = {c: (got["cells"].get(c), v) for c, v in want["cells"].items() if got["cells"].get(c) != v}
                diff.update({c: (v, None) for c, v in got["cells"].items() if c not in want["cells"]})
                assert not diff, f"{sheet}: {list(diff.items())[:3]}"
            else:
                assert got[key] == want[key], (sheet, key)

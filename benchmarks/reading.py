"""Reading time per workbook: selfeval-xl's reader (lxml, every reachable part checked, the standard
sheets read whole) against python-calamine's bare read of every cell and against openpyxl.

    python benchmarks/reading.py [FILES...]      # default: samples/*.xlsx

openpyxl alone has to load a workbook twice to get both the formula text and the saved values
(once with data_only=True); the read-only mode gives neither styles nor reliable dimensions.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import openpyxl
import python_calamine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from selfeval_xl.check.read import read_submission  # noqa: E402
from selfeval_xl.rules.model import load_rules  # noqa: E402


def per_file_ms(fn, files, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for f in files:
            fn(f)
        times.append((time.perf_counter() - t) / len(files) * 1000)
    return statistics.median(times)


def calamine_all(path):
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    for name in wb.sheet_names:
        wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    wb.close()


def openpyxl_twice(path):
    openpyxl.load_workbook(path)  # formulas
    openpyxl.load_workbook(path, data_only=True)  # saved values


def openpyxl_read_only(path):
    for data_only in (False, True):
        wb = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
        for ws in wb:
            ws.reset_dimensions()
            for _ in ws.iter_rows(values_only=True):
                pass
        wb.close()


def main(argv: list[str]) -> None:
    files = [Path(a) for a in argv] or sorted((ROOT / "samples").glob("*.xlsx"))
    rules = load_rules()
    read_submission(files[0], rules)  # warm up imports and caches
    rows = [
        ("calamine, every cell of every sheet (the floor)", per_file_ms(calamine_all, files, 20)),
        ("read_submission (lxml: parts verified, sheets read, frames built)",
         per_file_ms(lambda f: (s := read_submission(f, rules), s.indicators, s.budget, s.summary), files, 20)),
        ("read_submission (records only, frames not built)", per_file_ms(lambda f: read_submission(f, rules), files, 20)),
        ("openpyxl, load twice (formulas + data_only)", per_file_ms(openpyxl_twice, files, 5)),
        ("openpyxl read-only, twice", per_file_ms(openpyxl_read_only, files, 5)),
    ]
    print(f"{len(files)} workbooks, median of repeats, milliseconds per workbook")
    for label, ms in rows:
        print(f"  {label:<55} {ms:8.2f} ms   {ms / rows[0][1]:5.1f}× floor")


if __name__ == "__main__":
    main(sys.argv[1:])

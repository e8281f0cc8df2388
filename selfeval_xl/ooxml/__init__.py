"""The OOXML layer: a spreadsheet package read by real parsers, and written back.

Everything that touches the bytes of a submitted workbook lives here, and nothing here knows the
domain (the template, the rules, the findings):

- ``zipread``: the zip's parts, checked against the limits, inflated with size and CRC checked;
- ``xml``: the hardened parser (lxml; expat for prologs), namespaces;
- ``opc``: content types and relationships, resolved; which parts are reachable;
- ``workbook`` and ``sheet``: the sheet list, shared strings, date styles, each sheet's cells,
  formulas and error values;
- ``refs``: A1 references and shared-formula translation;
- ``edit`` and ``zipwrite``: a copy of a package with cells, styles, comments and sheets changed
  through the parsed trees, holding only the parts reachable from its root.

A file that cannot be read raises ``Rejected`` with its F-code.
"""

from .errors import GiB, KiB, Limits, MiB, Rejected
from .opc import Package
from .sheet import ExcelError, FormulaCell, Sheet, Value
from .workbook import SheetRef, Workbook

__all__ = [
           "ExcelError",
           "FormulaCell",
           "GiB",
           "KiB",
           "Limits",
           "MiB",
           "Package",
           "Rejected",
           "Sheet",
           "SheetRef",
           "Value",
           "Workbook",
]

"""What the OOXML layer refuses, and the limits it refuses by.

A file that cannot be read as a workbook raises ``Rejected`` with an F-code of spec/findings.md and
a short Chinese detail of what is wrong with it. The message the department reads (what to do) is
the findings registry's business, not this layer's.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GiB", "KiB", "Limits", "MiB", "Rejected"]

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


class Rejected(Exception):
    """A file that cannot be taken in: an F-code and a Chinese detail ("部件 xl/workbook.xml 不是有效的 XML")."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}")


@dataclass(frozen=True)
class Limits:
    """Safety limits (spec/intake.md; Apache POI's ZipSecureFile defaults are the model)."""

    max_file_bytes: int = 100 * MiB
    max_entries: int = 5000
    max_entry_bytes: int = 256 * MiB
    max_total_bytes: int = 1 * GiB
    max_ratio: float = 100.0
    ratio_min_bytes: int = 100 * KiB
    #: an XML part we parse whole (sheets we read, shared strings, styles, ...): a parsed tree
    #: takes about ten times its text, so this bounds a worker's memory
    max_xml_bytes: int = 32 * MiB
    max_cells: int = 2_000_000  # real cells in one sheet

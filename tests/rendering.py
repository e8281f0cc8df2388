"""Pages as a user sees them: a workbook printed to PDF by LibreOffice, each page's words with
their boxes (pdftotext -bbox) and its pixels (pdftoppm), to look at a cell's colour on paper.

``Page.color_at(x, y)`` is the most common colour of a small square around a point given in the
PDF's points (a glyph drawn there does not count: the cell's background is what most of the
square shows).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .libreoffice import convert
from .tools import missing

DPI = 100
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
_PAGE = re.compile(r"<page [^>]*>(.*?)</page>", re.S)


@dataclass
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def center(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2


@dataclass
class Page:
    number: int
    words: list[Word] = field(repr=False)
    width: int
    height: int
    pixels: bytes = field(repr=False)  # RGB rows

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def word(self, text: str) -> Word | None:
        return next((w for w in self.words if w.text == text), None)

    def color_at(self, x: float, y: float, radius: int = 3) -> str:
        """The commonest colour (RRGGBB) of the square of ``radius`` pixels around (x, y) in points."""
        px, py = round(x * DPI / 72), round(y * DPI / 72)
        seen: Counter[str] = Counter()
        for j in range(max(py - radius, 0), min(py + radius + 1, self.height)):
            for i in range(max(px - radius, 0), min(px + radius + 1, self.width)):
                k = (j * self.width + i) * 3
                seen[self.pixels[k:k + 3].hex().upper()] += 1
        return seen.most_common(1)[0][0]


def available() -> bool:
    there = all(shutil.which(t) for t in ("pdftoppm", "pdftotext")) and bool(shutil.which("soffice") or shutil.which("libreoffice"))
    return not missing(None if there else "LibreOffice and poppler-utils are needed (apt-get install -y libreoffice-calc poppler-utils)")


def render(workbook: Path, outdir: Path) -> list[Page]:
    """Every page of ``workbook`` as LibreOffice prints it (formulas recalculated on opening, as
    the copies ask)."""
    pdf = convert([workbook], outdir, "pdf")[0]
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    prefix = outdir / pdf.stem
    subprocess.run(["pdftoppm", "-r", str(DPI), str(pdf), str(prefix)], check=True)
    images = sorted(outdir.glob(f"{pdf.stem}-*.ppm"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    pages = []
    for i, (body, image) in enumerate(zip(_PAGE.findall(boxes), images, strict=True), start=1):
        words = [Word(html.unescape(m[4]), float(m[0]), float(m[1]), float(m[2]), float(m[3])) for m in _WORD.findall(body)]
        width, height, pixels = _ppm(image.read_bytes())
        pages.append(Page(i, words, width, height, pixels))
    return pages


def _ppm(data: bytes) -> tuple[int, int, bytes]:
    """A binary PPM (P6, 8 bits) read: width, height, RGB bytes."""
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P6" and fields[3] == b"255", fields
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[pos + 1:pos + 1 + width * height * 3]

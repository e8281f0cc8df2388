"""Gnumeric (``ssconvert --recalc``) as a third spreadsheet engine in tests, beside LibreOffice and
our own evaluator: it evaluates some formulas differently from Excel and LibreOffice (ISNUMBER or
ISERROR of a range inside SUMPRODUCT reads one cell), so a formula all three agree on is not one
that happens to work in one program."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .tools import missing


def available() -> str | None:
    """Why Gnumeric cannot run here, or None."""
    return None if shutil.which("ssconvert") else missing("Gnumeric is not installed (apt-get install -y gnumeric)")


def recalc(files: list[Path], outdir: Path, timeout: int = 120) -> list[Path]:
    """Open each file in Gnumeric, recalculate every formula and save it as .xlsx into ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    outs = []
    for i, src in enumerate(files):
        dst = outdir / f"{i:03d}_{Path(src).name}"
        proc = subprocess.run(["ssconvert", "--recalc", str(src), str(dst)], capture_output=True, text=True,
                              timeout=timeout)
        if proc.returncode != 0 or not dst.exists():
            raise RuntimeError(f"Gnumeric failed on {src} ({proc.returncode}): {proc.stderr[-2000:]}")
        outs.append(dst)
    return outs

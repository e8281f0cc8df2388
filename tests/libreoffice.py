"""LibreOffice headless as the real spreadsheet program in tests.

``soffice --convert-to`` keeps saved formula values unless the profile says "recalculate on load:
always" (pitfalls.md), so each run uses its own profile with OOXMLRecalcMode = 0.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        raise RuntimeError("LibreOffice is needed for this test: apt-get install -y libreoffice-calc")
    return exe


def convert(files: list[Path], outdir: Path, fmt: str = "xlsx", *, recalc: bool = True, timeout: int = 300) -> list[Path]:
    """Open ``files`` in LibreOffice and save them as ``fmt`` into ``outdir`` (recalculating every
    formula when ``recalc``). Returns the output paths, in order."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / ".lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    if recalc:
        (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
    cmd = [soffice(), f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore",
           "--convert-to", fmt, "--outdir", str(outdir), *map(str, files)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    outs = [outdir / (Path(f).stem + "." + fmt.split(":")[0]) for f in files]
    missing = [o for o in outs if not o.exists()]
    if proc.returncode != 0 or missing:
        raise RuntimeError(f"LibreOffice failed ({proc.returncode}): {proc.stdout}\n{proc.stderr}\nmissing: {missing}")
    return outs

"""Drive LibreOffice as a clerk would (tests/uno_clerk.py under the system python3, which has
LibreOffice's ``uno`` module): insert rows with its own command, type, recalculate, save.

    results = clerk([Job(src, dst, [Insert("绩效指标", "G30", 2), Type("绩效指标", "C30", "新指标")])])

Each result lists what each step did: rows inserted (0 when the protection refused), or whether
the cell typed into was locked (then nothing was typed).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .tools import missing

HERE = Path(__file__).resolve().parent
SYSTEM_PYTHON = "/usr/bin/python3"


@dataclass(frozen=True)
class Insert:
    sheet: str
    cell: str  # the cell selected (its row, and ``rows`` rows below it)
    rows: int = 1
    where: str = "above"  # "above" (Insert Rows Above) or "below"

    def step(self) -> dict:
        return {"sheet": self.sheet, "insert": self.cell, "rows": self.rows, "where": self.where}


@dataclass(frozen=True)
class Type:
    sheet: str
    cell: str
    value: Any

    def step(self) -> dict:
        return {"sheet": self.sheet, "type": self.cell, "value": self.value}


@dataclass(frozen=True)
class Invalid:
    """Calc's Mark Invalid Data on a sheet: the step reports the cells its validity refuses."""

    sheet: str

    def step(self) -> dict:
        return {"sheet": self.sheet, "invalid": True}


@dataclass
class Job:
    src: Path
    dst: Path
    steps: list[Insert | Type | Invalid] = field(default_factory=list)
    jump: str = ""  # instead: open src at this hyperlink mark, report where the cursor lands


def available() -> str | None:
    """Why the clerk cannot run here, or None."""
    if not shutil.which("soffice"):
        return missing("LibreOffice is not installed (apt-get install -y libreoffice-calc)")
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True)
    if probe.returncode != 0:
        return missing(f"{SYSTEM_PYTHON} has no uno module (apt-get install -y python3-uno)")
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clerk(jobs: list[Job], timeout: float = 600) -> list[dict]:
    """Run the jobs in one LibreOffice; one result per job, in order."""
    payload = [{"src": str(j.src.resolve()), "dst": str(j.dst.resolve()), "steps": [s.step() for s in j.steps],
                **({"jump": j.jump} if j.jump else {})} for j in jobs]
    with tempfile.TemporaryDirectory(prefix="lo-clerk-") as profile:
        proc = subprocess.run([SYSTEM_PYTHON, str(HERE / "uno_clerk.py"), str(_free_port()), Path(profile).as_uri()],
                              input=json.dumps(payload, ensure_ascii=False), capture_output=True, text=True,
                              timeout=timeout)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or len(lines) != len(jobs):
        raise RuntimeError(f"the LibreOffice clerk failed ({proc.returncode}): {proc.stderr[-2000:]}")
    failed = [r for r in lines if isinstance(r, dict) and "error" in r]
    if failed:
        raise RuntimeError(f"LibreOffice could not do: {failed}")
    return lines

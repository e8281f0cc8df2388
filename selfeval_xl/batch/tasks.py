"""What a batch is asked to do: its options, the names of what it writes, one task per file, and
the files under the input folder planned as tasks (each output's path made safe and unique)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from selfeval_xl.batch.inventory import Input, take_inventory
from selfeval_xl.batch.manifest import OutputPathError
from selfeval_xl.check.intake import Limits
from selfeval_xl.core.sanitize import NAME_BYTES, fit_chars, safe_filename

COPIES_DIR = "审核副本"
JOURNAL = ".selfeval-journal.jsonl"
#: where a batch writes the tracebacks of its own errors (a bug of ours, never the department's)
ERROR_LOG = "内部错误.log"
INTERNAL: Final = "internal"
SUMMARY_XLSX = "审核汇总.xlsx"
#: what under the input folder was not audited, and why (the summary's 未审核文件 sheet shows it too)
NOT_AUDITED_JSON = "not_audited.json"
#: a scored copy's or report's path under the output folder stays within this many characters (for
#: input folders nested up to nine deep), and a mirrored folder's name within FOLDER_CHARS, so that the
#: whole path stays under Windows' 260 (Excel opens no path over 218) with an output folder of up to
#: about 50 characters
REL_CHARS = 160
FOLDER_CHARS = 40


class BatchRefused(OutputPathError):
    """A batch that cannot start (outputs that would land among the inputs, a path in the way, or
    nothing to audit): nothing was written; the message is in Chinese."""


class NothingToAudit(BatchRefused):
    """The input folder holds no file to audit."""


@dataclass(frozen=True)
class BatchOptions:
    jobs: int = 0  # worker processes; 0: one per core
    timeout: float = 60.0  # seconds per file
    memory_mb: int = 1024  # address space per worker
    limits: Limits = field(default_factory=Limits)
    rules_path: Path | None = None
    summary: bool = True
    previous: Path | None = None  # last year's results (a batch's output folder or its results.json): C603
    reports: bool = False  # a 自评报告 draft of every scored unit, under REPORTS_DIR
    report_template: Path | None = None


@dataclass(slots=True)
class FileTask:
    index: int
    path: str  # absolute
    rel: str  # relative to the input folder, '/'-separated
    sha256: str
    copy_rel: str  # the scored copy, relative to the output folder
    report_rel: str = ""  # the 自评报告 draft, relative to the output folder ('' for none)
    extra: tuple[dict[str, str], ...] = ()  # findings across the batch (C601, C603) to add
    cross: str = ""  # their digest, kept in the journal



Progress = Callable[[int, int, int], None]  # (done, failed, total)


# ---------------------------------------------------------------------------------------------
# Finding the inputs


def find_inputs(indir: Path, outdir: Path | None = None) -> list[Path]:
    """The files under ``indir`` a batch audits, sorted (see ``inventory.take_inventory``)."""
    return [i.path for i in take_inventory(Path(indir).resolve(), outdir).inputs]


def plan_tasks(indir: Path, inputs: list[Input], reports: bool = False) -> list[FileTask]:
    """Tasks in input order. A scored copy (and report) mirrors its input's folders under 审核副本
    (自评报告); every name is one every file system takes (``safe_filename``: Windows' forbidden
    characters and device names, 255 bytes), a mirrored folder's name at most FOLDER_CHARS
    characters and the whole path at most REL_CHARS, shortened with a short hash where needed; no two
    outputs share a path, compared as Windows and macOS compare names (case and Unicode form)."""
    from selfeval_xl.outputs.scored_copy import COPY_SUFFIX
    from selfeval_xl.outputs.word_report import REPORT_SUFFIX, REPORTS_DIR

    real = [i.path.relative_to(indir).as_posix() for i in inputs]  # the names on disk, not as text
    folders = _mirrored_folders(real)
    suffix_chars = max(len(COPY_SUFFIX), len(REPORT_SUFFIX))
    suffix_bytes = max(len(COPY_SUFFIX.encode()), len(REPORT_SUFFIX.encode()))
    used = {_key(f) for f in folders.values() if f}  # a copy never takes a mirrored folder's path
    tasks = []
    for index, (i, rel) in enumerate(zip(inputs, real, strict=True)):
        folder = folders[rel.rpartition("/")[0]]
        room = max(24, REL_CHARS - len(COPIES_DIR) - 1 - (len(folder) + 1 if folder else 0) - suffix_chars)
        stem = i.path.stem if i.path.suffix else i.path.name
        base = fit_chars(safe_filename(stem, NAME_BYTES - suffix_bytes - 4), room, key=stem)
        n = 1
        while True:
            tag = f"_{n}" if n > 1 else ""
            name = (fit_chars(base, room - len(tag), key=stem) if tag else base) + tag
            within = f"{folder}/{name}" if folder else name
            if _key(within + COPY_SUFFIX) not in used and _key(within + REPORT_SUFFIX) not in used:
                break
            n += 1
        used.update((_key(within + COPY_SUFFIX), _key(within + REPORT_SUFFIX)))
        copy = f"{COPIES_DIR}/{within}{COPY_SUFFIX}"
        report = f"{REPORTS_DIR}/{within}{REPORT_SUFFIX}" if reports else ""
        tasks.append(FileTask(index, str(i.path), i.rel, i.sha256, copy, report))
    return tasks


#: the characters a mirrored folder path may take, leaving a file name of 24 and the longest suffix
_FOLDERS_CHARS = REL_CHARS - len(COPIES_DIR) - 1 - 24 - len("_自评报告.docx") - 1


def _mirrored_folders(rels: list[str]) -> dict[str, str]:
    """Each input folder (relative, '/'-separated; '' the input folder) -> its mirror under the
    output's folders: every name made safe, at most FOLDER_CHARS characters and shorter where the
    folders nest deep (down to 12, so that nine levels fit in REL_CHARS); folders whose mirrors a
    case-insensitive file system would take for one are one folder, spelt as the first."""
    levels: dict[str, int] = {}  # folder -> how many folders deep its deepest file lies, from it
    for rel in rels:
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/".join(parts[:i])
            levels[folder] = max(levels.get(folder, 0), len(parts) - i + 1)
    out: dict[str, str] = {"": ""}
    spelt: dict[str, str] = {}
    for rel in rels:
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/".join(parts[:i])
            if folder in out:
                continue
            parent = out["/".join(parts[:i - 1])]
            room = min(FOLDER_CHARS, max(12, (_FOLDERS_CHARS - len(parent)) // levels[folder] - 1))
            name = fit_chars(safe_filename(parts[i - 1]), room, key=parts[i - 1])
            mirror = f"{parent}/{name}".lstrip("/")
            out[folder] = spelt.setdefault(_key(mirror), mirror)
    return out


def _key(path: str) -> str:
    """A path as Windows and macOS compare names: case and Unicode normal form ignored."""
    import unicodedata

    return unicodedata.normalize("NFC", path).casefold()


# ---------------------------------------------------------------------------------------------

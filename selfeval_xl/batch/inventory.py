"""What is under a batch's input folder: the files it audits, and every other thing with the reason.

``take_inventory(indir)`` walks the folder (never following a link) and sorts each entry into the
submissions to audit and the things it does not audit, each with a kind and a reason an auditor can
act on. Nothing is left out because of its name alone:

- a regular file is audited, whatever its name or folder (审核汇总.xlsx, a folder 审核副本 or
  自评报告, a folder holding a file named like our journal: all audited);
- a file of an earlier batch's output is left out only when that output folder's manifest proves it
  (``manifest.py``: path, size and content hash); each such folder is one entry;
- a file whose name marks it as not a submission (hidden ``.…``, an Office/WPS lock file ``~$…``,
  Thumbs.db, desktop.ini) is left out only when its first bytes are not a workbook's (a zip or an
  OLE file): a workbook named ``.x.xlsx`` or ``~$x.xlsx`` is audited;
- a link (to a file or a folder, inside the folder or not), a named pipe, a device or a socket is
  never opened, and a file or folder that cannot be read is not audited; each is listed.

Entries that might be or hide a submission (links, pipes, devices, unreadable files and folders,
hidden folders) are *blocking*: the batch's exit code is not 0 while there is one. Lock files,
hidden or system files that are no workbook and our own earlier outputs are listed but not blocking.
"""

from __future__ import annotations

import os
import stat
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from selfeval_xl.batch.manifest import MANIFEST, NOFOLLOW, SCRATCH, Manifest, sha256_file
from selfeval_xl.core.sanitize import display_name, text_name

__all__ = ["KINDS", "Input", "Inventory", "Unaudited", "take_inventory"]

#: kind -> (what the auditor sees in the 类别 column, blocking: might be or hide a submission)
KINDS: dict[str, tuple[str, bool]] = {
    "link": ("符号链接", True),
    "special": ("特殊文件", True),
    "unreadable": ("无法读取", True),
    "unreadable_dir": ("无法打开的文件夹", True),
    "hidden_dir": ("隐藏文件夹", True),
    "deep_dir": ("层级过深的文件夹", True),
    "lock": ("锁定文件", False),
    "hidden": ("隐藏文件或系统文件", False),
    "output": ("此前的输出", False),
}
#: folders nested deeper than this under the input folder are not entered (each is listed): no
#: department nests its files so deep, and a tree thousands deep would exhaust the walk and the
#: mirrored output paths (a path of more than about 4,000 bytes cannot be opened)
MAX_DEPTH = 32
_SYSTEM_NAMES = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini"})
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True, slots=True)
class Input:
    """A file to audit."""

    path: Path
    rel: str  # relative to the input folder, '/'-separated, as text (``sanitize.text_name``)
    sha256: str


@dataclass(frozen=True, slots=True)
class Unaudited:
    """A thing under the input folder that is not audited, and why."""

    file: str  # relative to the input folder, '/'-separated, as text; a folder ends with '/'
    kind: str  # a key of KINDS
    reason: str  # in Chinese: what it is and what to do
    files: int = 1  # how many files it stands for (an earlier output folder: every file it proves)

    @property
    def label(self) -> str:
        return KINDS[self.kind][0]

    @property
    def blocking(self) -> bool:
        return KINDS[self.kind][1]

    def to_dict(self) -> dict:
        return {**asdict(self), "label": self.label, "blocking": self.blocking}


@dataclass
class Inventory:
    inputs: list[Input] = field(default_factory=list)
    unaudited: list[Unaudited] = field(default_factory=list)

    @property
    def unaudited_files(self) -> int:
        return sum(u.files for u in self.unaudited)

    @property
    def blocking(self) -> list[Unaudited]:
        return [u for u in self.unaudited if u.blocking]


def take_inventory(indir: Path, outdir: Path | None = None) -> Inventory:
    """Every entry under ``indir``, audited or not: the inputs sorted by path, what is not audited
    with what might be a submission first; ``outdir``, when it lies inside ``indir``, is named as
    this batch's output folder."""
    inv = Inventory()
    outputs: dict[str, _OutputFolder] = {}
    _walk(Path(indir), "", inv, [], outputs, Path(outdir) if outdir else None, 0)
    for rel, o in outputs.items():
        if o.files:
            inv.unaudited.append(Unaudited(rel + "/", "output", o.reason(), o.files))
    inv.unaudited = sorted((replace(u, file=text_name(u.file)) for u in inv.unaudited),
                           key=lambda u: (not u.blocking, u.file))  # what might be a submission first
    return inv


@dataclass
class _OutputFolder:
    manifest: Manifest
    current: bool  # this batch's own output folder
    files: int = 0

    def reason(self) -> str:
        what = "本次批量审核的输出文件夹" if self.current else "此前一次批量审核的输出文件夹"
        return (f"{what}：其中 {self.files} 个文件与它的清单 {MANIFEST} 相符，是本程序写出的审核副本、汇总等，"
                "不作为申报表审核；清单以外的文件照常审核")


def _walk(folder: Path, rel: str, inv: Inventory, above: list[tuple[str, _OutputFolder]],
          outputs: dict[str, _OutputFolder], outdir: Path | None, depth: int) -> None:
    """One folder: its entries in name order, folders entered as they come (``depth`` folders
    below the input folder)."""
    manifest = Manifest.read(folder)
    here = None
    if manifest is not None:
        here = _OutputFolder(manifest, outdir is not None and _same(folder, outdir))
        outputs[rel] = here
        above = [*above, (rel, here)]
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        inv.unaudited.append(Unaudited(rel + "/" if rel else "./", "unreadable_dir",
                                       f"无法打开这个文件夹（{exc.strerror}），其中的文件都没有审核。请检查权限后重新运行"))
        return
    for entry in entries:
        name = entry.name
        path = folder / name
        erel = f"{rel}/{name}" if rel else name
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError as exc:
            inv.unaudited.append(Unaudited(erel, "unreadable", f"无法读取（{exc.strerror}）。请检查权限后重新运行"))
            continue
        if stat.S_ISLNK(mode):
            inv.unaudited.append(Unaudited(erel, "link", _link_reason(path)))
        elif stat.S_ISDIR(mode):
            if name == SCRATCH and here is not None and here.current:  # this batch's own, emptied when it starts
                here.files += _count(path)
                continue
            if name.startswith("."):
                inv.unaudited.append(Unaudited(erel + "/", "hidden_dir",
                                               "隐藏文件夹，没有打开，其中的文件都没有审核。如果其中有申报表，请移到普通文件夹后重新运行"))
                continue
            if depth >= MAX_DEPTH:
                inv.unaudited.append(Unaudited(erel + "/", "deep_dir",
                                               f"文件夹嵌套超过 {MAX_DEPTH} 层，没有打开，其中的文件都没有审核。"
                                               "如果其中有申报表，请移到层级较浅的文件夹后重新运行"))
                continue
            _walk(path, erel, inv, above, outputs, outdir, depth + 1)
        elif stat.S_ISREG(mode):
            _file(path, erel, name, inv, above)
        else:
            inv.unaudited.append(Unaudited(erel, "special", f"{_special(mode)}，不是普通文件，没有打开"))


def _file(path: Path, rel: str, name: str, inv: Inventory, above: list[tuple[str, _OutputFolder]]) -> None:
    marked = name.startswith((".", "~$")) or name.lower() in _SYSTEM_NAMES
    try:
        if marked:
            head = _head(path)
            if not _workbook_like(head, name):
                inv.unaudited.append(_marked(rel, name))
                return
        sha = sha256_file(path)
    except OSError as exc:
        inv.unaudited.append(Unaudited(rel, "unreadable", f"无法读取（{exc.strerror}），没有审核。请检查权限后重新运行"))
        return
    for at, output in reversed(above):
        if output.manifest.proves(rel[len(at) + 1:] if at else rel, sha):
            output.files += 1
            return
    inv.inputs.append(Input(path, text_name(rel), sha))


def _count(folder: Path) -> int:
    """How many entries a folder holds (0 when it cannot be read)."""
    try:
        with os.scandir(folder) as it:
            return sum(1 for _ in it)
    except OSError:
        return 0


def _marked(rel: str, name: str) -> Unaudited:
    if name.startswith(("~$", ".~lock.")):
        return Unaudited(rel, "lock", "Office/WPS 打开文件时留下的锁定文件（不是工作簿），不是申报表；"
                                      "它说明有人正打开同名的文件，请确认该文件已保存并关闭")
    return Unaudited(rel, "hidden", "隐藏文件或系统文件（不是工作簿），不是申报表")


def _workbook_like(head: bytes, name: str) -> bool:
    """The first bytes of a workbook (a zip, or an OLE file: .xls, .et, an encrypted .xlsx); a
    thumbnail cache is an OLE file that never is one."""
    return head.startswith(_ZIP) or (head.startswith(_OLE) and name.lower() not in _SYSTEM_NAMES)


def _head(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        return os.read(fd, 8)
    finally:
        os.close(fd)


def _link_reason(path: Path) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return (f"符号链接（指向 {display_name(target)}），没有跟随，没有审核。"
            "如果它指向一份申报表，请把文件本身（而不是链接）放进文件夹后重新运行")


def _special(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "命名管道（FIFO）"
    if stat.S_ISSOCK(mode):
        return "套接字"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    return "特殊文件"


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False

"""What a batch wrote in its output folder, and the proof of it: the manifest.

Every file a batch writes (a scored copy, a report, results.json, findings.csv, the summary,
not_audited.json, the error log) is claimed in ``.selfeval-manifest.jsonl`` before it is renamed
into place: its path, size, modification time and SHA-256. The manifest's first line is our header.
A file is *ours* when a claim for its path matches it (size and time, or else its content hash);
nothing else is: a name proves nothing. So

- a later batch whose input folder holds an earlier output folder leaves out only the files that
  folder's manifest proves (a department's workbook named 审核汇总.xlsx, or a folder named 审核副本,
  is audited like any other);
- a batch overwrites only files it can prove it wrote: a file in the way that is not ours (or that
  was changed since, e.g. saved in Excel) stops the batch before it starts, with a Chinese message
  (``OutputPathError``, exit 2);
- temporary files are made only in the output folder's scratch folder ``.selfeval-tmp``, which the
  manifest's header claims; a new run empties it (regular files directly in it, never following a
  link) and nothing else is ever deleted;
- no link is followed: a symbolic link at any path the batch writes, or at any folder on the way to
  one, stops the batch; files are opened with O_NOFOLLOW where the platform has it.

Workers claim the files they write themselves (one appended line each), so a batch killed at any
moment leaves no file of its own unproven.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from selfeval_xl.core.sanitize import display_name, umask

__all__ = ["MANIFEST", "SCRATCH", "Manifest", "OutputPathError", "claim_file", "compact", "guard", "install",
           "make_dirs", "opened_folder", "prepare", "sha256_file", "write_output"]

MANIFEST = ".selfeval-manifest.jsonl"
SCRATCH = ".selfeval-tmp"
_HEADER = {"selfeval-xl": "batch-manifest", "version": 1, "scratch": SCRATCH}
#: a manifest larger than this is not one of ours (30,000 files make about 10 MB)
MAX_MANIFEST_BYTES = 64 << 20
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
BINARY = getattr(os, "O_BINARY", 0)


class OutputPathError(ValueError):
    """A path the batch would write is not safe to write; the message is in Chinese."""


@dataclass(frozen=True, slots=True)
class Claim:
    size: int
    mtime_ns: int
    sha256: str


def sha256_file(path: Path) -> str:
    """The SHA-256 of a regular file, opened without following a link (OSError otherwise)."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | NOFOLLOW | BINARY)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Manifest:
    """The claims of one output folder: path (relative, '/'-separated) -> every claim made for it."""

    def __init__(self, folder: Path, claims: dict[str, list[Claim]]):
        self.folder = folder
        self.claims = claims

    @classmethod
    def read(cls, folder: Path) -> Manifest | None:
        """The folder's manifest; None when there is none or it is not ours (no header of ours, a
        link, not a regular file, too large). A line cut by an interruption, or any line that is
        not a claim, is ignored."""
        path = folder / MANIFEST
        try:
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_MANIFEST_BYTES:
                return None
            fd = os.open(path, os.O_RDONLY | NOFOLLOW | BINARY)
        except OSError:
            return None
        claims: dict[str, list[Claim]] = {}
        with os.fdopen(fd, "rb") as fh:
            if _json(fh.readline()) != _HEADER:
                return None
            for line in fh:
                c = _json(line)
                if isinstance(c, dict) and _is_claim(c):
                    claims.setdefault(c["path"], []).append(Claim(c["size"], c["mtime_ns"], c["sha256"]))
        return cls(folder, claims)

    def proves(self, rel: str, sha256: str | None = None) -> bool:
        """The file at ``rel`` is one we wrote: a regular file (never a link) matching a claim for
        its path, by size and modification time, or else by its content (``sha256`` if known)."""
        claims = self.claims.get(rel)
        if not claims:
            return False
        try:
            st = os.lstat(self.folder / rel)
        except OSError:
            return False
        if not stat.S_ISREG(st.st_mode):
            return False
        sized = [c for c in claims if c.size == st.st_size]
        if sha256 is None and any(c.mtime_ns == st.st_mtime_ns for c in sized):
            return True
        if not sized:
            return False
        try:
            sha256 = sha256 or sha256_file(self.folder / rel)
        except OSError:
            return False
        return any(c.sha256 == sha256 for c in sized)


def _json(line: bytes) -> object:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None


def _is_claim(c: dict) -> bool:
    return (isinstance(c.get("path"), str) and type(c.get("size")) is int and type(c.get("mtime_ns")) is int
            and isinstance(c.get("sha256"), str) and len(c["sha256"]) == 64)


# ---------------------------------------------------------------------------------------------
# Before a batch writes anything


#: why a path cannot be written, by what is there
_LINK = "是一个符号链接（快捷方式），批量审核不会通过链接写入"
_NOT_DIR = "已存在，但不是文件夹"
_NOT_FILE = "已存在，但不是普通文件"
_NOT_OURS = "已存在，但不是本程序写出的，或写出后被改动过（例如在 Excel 或 WPS 中保存过）"
_NO_MANIFEST = "已存在，但输出文件夹中没有本程序的清单（.selfeval-manifest.jsonl）可以证明它是本程序的"


def guard(outdir: Path, replaced: Iterable[str], appended: Iterable[str] = ()) -> None:
    """Raise OutputPathError (naming every problem) unless every path the batch will write under
    ``outdir`` is safe: no folder on the way is a link or a file; a file it replaces (``replaced``)
    is absent or proven ours by the manifest; a file it appends to (``appended``: the journal, the
    log) is absent or a regular file; the manifest and the scratch folder, if there, are ours."""
    try:
        st = os.stat(outdir)
    except FileNotFoundError:
        return  # nothing there yet: nothing in the way
    except OSError as exc:
        from selfeval_xl.batch.output_folder import why_not

        raise OutputPathError(f"无法打开输出文件夹 {outdir}：{why_not(exc)}。请换一个输出文件夹（-o）。") from None
    if not stat.S_ISDIR(st.st_mode):
        raise OutputPathError(f"输出文件夹 {outdir} 已存在，但不是文件夹。请换一个输出文件夹。")
    manifest = Manifest.read(outdir)
    problems: list[tuple[str, str]] = []
    seen_dirs: set[str] = set()

    def folders_on_the_way(rel: str) -> None:
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d in seen_dirs:
                continue
            seen_dirs.add(d)
            kind = _kind(outdir / d)
            if kind == "link":
                problems.append((d + "/", _LINK))
            elif kind not in ("", "dir"):
                problems.append((d + "/", _NOT_DIR))

    for rel in replaced:
        folders_on_the_way(rel)
        kind = _kind(outdir / rel)
        if kind == "link":
            problems.append((rel, _LINK))
        elif kind == "file":
            if manifest is None:
                problems.append((rel, _NO_MANIFEST))
            elif not manifest.proves(rel):
                problems.append((rel, _NOT_OURS))
        elif kind:
            problems.append((rel, _NOT_FILE))
    for rel in appended:
        folders_on_the_way(rel)
        kind = _kind(outdir / rel)
        if kind == "link":
            problems.append((rel, _LINK))
        elif kind not in ("", "file"):
            problems.append((rel, _NOT_FILE))
        elif kind == "file" and os.lstat(outdir / rel).st_nlink > 1:
            problems.append((rel, "是另一个文件的硬链接，批量审核不会向它追加内容"))
    kind = _kind(outdir / MANIFEST)
    if kind == "link":
        problems.append((MANIFEST, _LINK))
    elif kind and manifest is None:
        problems.append((MANIFEST, "已存在，但不是本程序写出的清单"))
    kind = _kind(outdir / SCRATCH)
    if kind == "link":
        problems.append((SCRATCH + "/", _LINK))
    elif kind == "dir" and manifest is None:
        problems.append((SCRATCH + "/", "已存在，但输出文件夹中没有本程序的清单证明它是本程序的临时文件夹"))
    elif kind not in ("", "dir"):
        problems.append((SCRATCH, _NOT_DIR))
    if problems:
        raise OutputPathError(_refusal(outdir, problems))


def _kind(path: Path) -> str:
    """'' (nothing there), 'link', 'dir', 'file' (regular) or 'other', never following a link."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return ""
    except OSError:
        return "other"
    if stat.S_ISLNK(mode):
        return "link"
    return "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"


def _refusal(outdir: Path, problems: list[tuple[str, str]]) -> str:
    shown = [f"  {display_name(rel)}：{why}" for rel, why in problems[:10]]
    if len(problems) > 10:
        shown.append(f"  ……另有 {len(problems) - 10} 处")
    return (f"输出文件夹 {display_name(str(outdir))} 中有批量审核要写入的位置不能安全写入，为免改动不属于本程序的文件，"
            "批量审核没有开始：\n" + "\n".join(shown) +
            "\n请把这些文件或链接移到别处（或删除），或者换一个新的输出文件夹，然后重新运行。")


def prepare(outdir: Path) -> None:
    """Start writing into ``outdir`` (after ``guard``): the folder, the manifest with our header
    (claiming the scratch folder), and an empty scratch folder: what a killed run left in it is
    removed (the regular files directly in it; a link, a folder or anything else there stops the
    batch). Nothing else is ever deleted."""
    outdir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(outdir / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | BINARY, 0o666)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as fh:
            fh.write(json.dumps(_HEADER).encode() + b"\n")
    with opened_folder(outdir, SCRATCH) as folder:  # a link swapped in for it is never followed
        for entry in os.scandir(outdir / SCRATCH if folder is None else folder):  # every file in it is ours
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path if folder is None else entry.name, dir_fd=folder)
            else:
                raise OutputPathError(_refusal(outdir, [(f"{SCRATCH}/{entry.name}", "不是本程序的临时文件")]))


#: folders are opened by descriptor, each from the one above it and never through a link, where the
#: platform can (POSIX); elsewhere they are checked by path (make_dirs)
_BY_DESCRIPTOR = (NOFOLLOW != 0 and hasattr(os, "O_DIRECTORY") and os.open in os.supports_dir_fd
                  and os.mkdir in os.supports_dir_fd and os.rename in os.supports_dir_fd
                  and os.unlink in os.supports_dir_fd and os.scandir in os.supports_fd)


@contextmanager
def opened_folder(outdir: Path, rel_dir: str) -> Iterator[int | None]:
    """``outdir/rel_dir``, every folder on the way made if missing, open as a descriptor: each
    folder is opened from the one above it and never through a link (OSError ELOOP, ENOTDIR), so a
    link put in a folder's place after ``guard`` looked (a race) is refused, not followed. None
    where the platform has no such calls: then each folder is checked by its path (make_dirs)."""
    if not _BY_DESCRIPTOR:
        make_dirs(outdir, rel_dir)
        yield None
        return
    fd = os.open(outdir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in filter(None, rel_dir.split("/")):
            with suppress(FileExistsError):
                os.mkdir(part, dir_fd=fd)
            sub = os.open(part, os.O_RDONLY | os.O_DIRECTORY | NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = sub
        yield fd
    finally:
        os.close(fd)


def make_dirs(outdir: Path, rel_dir: str) -> Path:
    """``outdir/rel_dir``, every folder on the way made if missing and never a link (OutputPathError)."""
    path = outdir
    for part in rel_dir.split("/"):
        if not part:
            continue
        path = path / part
        try:
            os.mkdir(path)
            continue
        except FileExistsError:
            pass
        kind = _kind(path)
        if kind != "dir":
            raise OutputPathError(_refusal(outdir, [(path.relative_to(outdir).as_posix() + "/",
                                                     _LINK if kind == "link" else _NOT_DIR)]))
    return path


# ---------------------------------------------------------------------------------------------
# Writing


def claim_file(outdir: Path, rel: str, size: int, mtime_ns: int, sha256: str) -> None:
    """Append a claim to the manifest (one write of one line: claims of workers do not mix)."""
    line = _claim_line(rel, Claim(size, mtime_ns, sha256))
    fd = os.open(outdir / MANIFEST, os.O_WRONLY | os.O_APPEND | NOFOLLOW | BINARY)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _claim_line(rel: str, c: Claim) -> bytes:
    """A claim as one line of ASCII (a name that is not UTF-8 survives as its JSON escapes)."""
    return json.dumps({"path": rel, "size": c.size, "mtime_ns": c.mtime_ns, "sha256": c.sha256}).encode() + b"\n"


def _private_to_shared(fd: int) -> None:
    """mkstemp makes a file only its owner reads; ours get what any file the user writes gets."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, 0o666 & ~umask())


def install(outdir: Path, tmp: Path, rel: str, sha256: str | None = None, *, durable: bool = True) -> None:
    """Move the finished temporary file ``tmp`` (in the scratch folder) to ``outdir/rel``, claimed
    first: the folders on the way made (never through a link), the claim appended, then the rename
    (which replaces whatever is at ``rel``, a link included, and never writes through it)."""
    fd = os.open(tmp, os.O_RDONLY | NOFOLLOW | BINARY)
    try:
        if durable:
            os.fsync(fd)
        st = os.fstat(fd)
    finally:
        os.close(fd)
    sha256 = sha256 or sha256_file(tmp)
    parent, _, name = rel.rpartition("/")
    with opened_folder(outdir, parent) as folder:
        claim_file(outdir, rel, st.st_size, st.st_mtime_ns, sha256)
        os.replace(tmp, outdir / rel if folder is None else name, dst_dir_fd=folder)


def write_output(outdir: Path, rel: str, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``outdir/rel`` atomically and claimed (see ``install``). The file gets the
    permissions any file the user writes gets (0666 less the umask)."""
    fd, name = tempfile.mkstemp(prefix=".tmp-", dir=outdir / SCRATCH)
    tmp = Path(name)
    try:
        _private_to_shared(fd)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        install(outdir, tmp, rel, hashlib.sha256(data).hexdigest(), durable=durable)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def compact(outdir: Path) -> None:
    """Rewrite the manifest with only the claims that match a file still there (the last batch's
    view), and remove the scratch folder when it is empty."""
    manifest = Manifest.read(outdir)
    if manifest is None:
        return
    lines = [json.dumps(_HEADER).encode() + b"\n"]
    for rel, claims in manifest.claims.items():
        try:
            st = os.lstat(outdir / rel)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        keep = [c for c in claims if c.size == st.st_size and c.mtime_ns == st.st_mtime_ns]
        if not keep and any(c.size == st.st_size for c in claims):
            sha = sha256_file(outdir / rel)
            keep = [c for c in claims if c.size == st.st_size and c.sha256 == sha]
        if keep:
            lines.append(_claim_line(rel, keep[-1]))
    fd, name = tempfile.mkstemp(prefix=".tmp-", dir=outdir / SCRATCH)
    _private_to_shared(fd)
    with os.fdopen(fd, "wb") as fh:
        fh.write(b"".join(lines))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(name, outdir / MANIFEST)
    try:
        os.rmdir(outdir / SCRATCH)
    except OSError:
        pass

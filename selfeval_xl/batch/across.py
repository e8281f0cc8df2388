"""Checks across the submissions of a batch (spec/findings.md, "Across submissions").

A worker reads what these checks need from each file (``extras``: the texts a department wrote,
with their cells, and the targets of its own indicators); after every file is done the batch runs:

- C601 ``copied_texts``: a text of 30 characters or more the same as, or nearly the same as,
  another unit's. Texts are compared by their character 3-grams (after folding full-width forms and
  dropping spaces and punctuation, so those hide nothing); candidate pairs come from MinHash
  signatures in LSH bands, and each candidate is confirmed by the exact Jaccard similarity of its
  3-gram sets. No pair of texts is compared unless they share a band, so 30,000 texts take seconds.
  A text is compared on its first MAX_CHARS characters (what a cell of Excel or WPS holds; only
  another program writes more), so what one text costs is bounded whatever a file holds.
- C603 ``lowered_targets``: a target lower than the same unit's for the same indicator last year.

Why our own MinHash and not datasketch: datasketch needs scipy (tens of MB) for its LSH
parameters, keeps a stateful index, and is slower per text than the 40 lines of numpy below (numpy
comes with pandas already). The brute-force comparison in the tests proves the two agree.
"""

from __future__ import annotations

import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from selfeval_xl.check.read import Submission
from selfeval_xl.core import names as S
from selfeval_xl.core.findings import finding
from selfeval_xl.core.names import label_key
from selfeval_xl.core.numbers import fmt_percent
from selfeval_xl.core.sanitize import EXCEL_MAX_TEXT
from selfeval_xl.core.units import unit_key
from selfeval_xl.rules.model import Rules
from selfeval_xl.rules.targets import parse_target

if TYPE_CHECKING:
    from selfeval_xl.outputs.results import UnitResult

__all__ = ["MAX_CHARS", "MAX_FILE_CHARS", "MIN_CHARS", "SIMILAR", "Text", "copied_texts", "extras_of", "file_texts",
           "lowered_targets", "similar_pairs", "uncompared"]

#: texts shorter than this (after folding) are not compared: short phrases are common to everyone
MIN_CHARS = 30
#: a text is compared on its first MAX_CHARS characters: what a cell holds in Excel and WPS (a longer
#: one comes from another program, or from a hostile file); kept so, it costs at most ~100 KB
MAX_CHARS = EXCEL_MAX_TEXT
#: the characters of one file's distinct texts that C601 compares (a form's own texts hold a few
#: tens of thousands; a file holding more, e.g. a thousand cells of 32,767 characters that cost it
#: 82 KB as one shared string, made the checks across the batch run out of time for every unit):
#: texts after it are not compared, and C604 says so; a text repeated in a file is compared once
MAX_FILE_CHARS = 300_000
#: Jaccard similarity of 3-gram sets from which two texts count as copied
SIMILAR = 0.6
_SHINGLE = 3
_BANDS, _ROWS = 32, 4  # 128 hash functions; a pair of similarity 0.6 shares a band with probability 0.99
_PRIME = 4294967291  # the largest prime below 2^32
_BUCKET_PARTNERS = 4  # in a bucket, each text is paired with at most this many others (a text everyone copied)
_CHUNK = 4096  # 3-grams hashed at once: 128 × 4096 × 8 bytes = 4 MB, whatever the text's length
_SETS_KEPT = 1_000_000  # 3-grams of the texts a candidate pair names, kept for the next pair (~60 MB)


@dataclass(frozen=True, slots=True)
class Text:
    """A text a department wrote, and where."""

    file: str
    sheet: str
    cell: str
    text: str


# ---------------------------------------------------------------------------------------------
# What a worker keeps of each file


_TEXT_COLUMNS = {S.GOALS: ("年度履职目标",), S.TASKS: ("主要内容", "完成情况"), S.PROBLEMS: S.PROBLEMS_HEADERS}


def extras_of(sub: Submission) -> dict[str, Any]:
    """The texts (of at least MIN_CHARS, folded; each cut at MAX_CHARS, all that is compared) and
    the own rows' targets of one submission. A text met again in the file is [sheet, cell, the
    index of its first], its characters kept once; distinct texts past MAX_FILE_CHARS in all are
    left out, and "uncompared" says how many and from which cell."""
    from selfeval_xl.core.formulas import a1

    found: list[tuple[str, str, str]] = []
    for sheet, records, header_row in ((S.GOALS, sub.goal_records, sub.layout.goals_header_row),
                                       (S.TASKS, sub.task_records, sub.layout.tasks_header_row),
                                       (S.PROBLEMS, sub.problem_records, sub.layout.problems_header_row)):
        grid = sub.sheets.get(sheet)
        cols = _columns(grid, header_row) if grid is not None else {}
        for rec in records:
            for h in _TEXT_COLUMNS[sheet]:
                v = _compared(rec.get(h))
                if v and h in cols:
                    found.append((sheet, a1(rec["行号"], cols[h]), v))
    cols = sub.layout.ind_cols
    common = set(sub.layout.ind_rows.values())
    targets: list[list[Any]] = []
    for rec in sub.indicator_records:
        v = _compared(rec.get(S.REASON))
        if v and S.REASON in cols:
            found.append((S.INDICATORS, a1(rec["行号"], cols[S.REASON]), v))
        t, name = rec.get(S.TARGET), rec.get(S.NAME)
        if rec["行号"] not in common and isinstance(t, str) and isinstance(name, str) and S.TARGET in cols:
            targets.append([name, t, a1(rec["行号"], cols[S.TARGET])])
    left: dict[str, Any] = {}
    out: dict[str, Any] = {"texts": _kept_texts(found, left), "targets": targets}
    if left:
        out["uncompared"] = left
    return out


def _kept_texts(found: list[tuple[str, str, str]], left: dict[str, Any]) -> list[list[Any]]:
    """The texts a file's extras keep: each distinct text once (a repeat refers to its first), up to
    MAX_FILE_CHARS characters; what is left out is counted in ``left`` (count, sheet, cell of the first)."""
    texts: list[list[Any]] = []
    first: dict[str, int] = {}
    chars = 0
    for sheet, cell, text in found:
        if text in first:
            texts.append([sheet, cell, first[text]])
        elif chars + len(text) <= MAX_FILE_CHARS:
            first[text] = len(texts)
            chars += len(text)
            texts.append([sheet, cell, text])
        elif left:
            left["count"] += 1
        else:
            left.update(count=1, sheet=sheet, cell=cell)
    return texts


def file_texts(file: str, extras: Mapping[str, Any]) -> list[Text]:
    """The texts a file's extras hold, a repeat as its first text (one string for both)."""
    texts: list[Text] = []
    for sheet, cell, text in extras.get("texts", []):
        texts.append(Text(file, sheet, cell, texts[text].text if isinstance(text, int) else text))
    return texts


def uncompared(extras: Mapping[str, Any]) -> list[dict[str, str]]:
    """C604 for a file whose texts were not all kept for comparing (``extras_of``)."""
    left = extras.get("uncompared")
    if not left:
        return []
    return [finding("C604", limit=f"{MAX_FILE_CHARS:,}", count=left["count"], sheet=left["sheet"],
                    cell=left["cell"], expected=f"不超过 {MAX_FILE_CHARS:,} 字", actual=f"{left['count']} 段未比较").to_dict()]


def _compared(value: Any) -> str:
    """What C601 compares of a cell's value: its first MAX_CHARS characters, if they hold at least
    MIN_CHARS letters and digits ('' otherwise), counted only as far as needed (folding every text
    whole cost a file of 2,000 long cells 48 s)."""
    if not isinstance(value, str):
        return ""
    text = value[:MAX_CHARS]
    count = 0
    for ch in unicodedata.normalize("NFKC", text).casefold():
        if unicodedata.category(ch)[0] in "LN":
            count += 1
            if count >= MIN_CHARS:
                return text
    return ""


def _columns(grid: Any, header_row: int) -> dict[str, int]:
    line = grid.rows.get(header_row, {})
    return {label_key(v): c for c, v in line.items() if isinstance(v, str)}


# ---------------------------------------------------------------------------------------------
# C601


def fold(text: str) -> str:
    """A text as compared: full-width folded, lower case, letters and digits only."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold()
                   if unicodedata.category(ch)[0] in "LN")


def shingles(text: str) -> set[int]:
    """The CRC-32s of the 3-grams of the text's first MAX_CHARS characters, folded."""
    s = fold(text[:MAX_CHARS])
    return {zlib.crc32(s[i:i + _SHINGLE].encode("utf-8")) for i in range(max(1, len(s) - _SHINGLE + 1))}


def jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def similar_pairs(texts: list[Text], threshold: float = SIMILAR) -> list[tuple[int, int, float]]:
    """(i, j, similarity) for the texts of different files whose 3-gram Jaccard similarity is at
    least ``threshold``, i < j. Candidates from MinHash/LSH, confirmed exactly.

    What is kept for the whole batch is an array of band keys (256 bytes a text); the 3-gram sets
    are made again for the few texts a candidate pair names, and kept while they are few."""
    if len({t.file for t in texts}) < 2:
        return []
    keys = _band_keys(texts)
    candidates: set[tuple[int, int]] = set()
    for band in range(_BANDS):
        for members in _buckets(keys[:, band]):
            for k, i in enumerate(members):
                for j in members[k + 1:k + 1 + _BUCKET_PARTNERS]:
                    if texts[i].file != texts[j].file:
                        candidates.add((i, j))
    sets = _SetsOf(texts)
    out = []
    for i, j in sorted(candidates):
        sim = jaccard(sets(i), sets(j))
        if sim >= threshold:
            out.append((i, j, sim))
    return out


def _band_keys(texts: list[Text]) -> Any:
    """The MinHash signature of each text, as one 64-bit key per LSH band: an array (texts × bands)."""
    import numpy as np

    rng = np.random.default_rng(20261125)
    a = rng.integers(1, 1 << 31, size=(_BANDS * _ROWS, 1), dtype=np.uint64)
    b = rng.integers(0, 1 << 31, size=(_BANDS * _ROWS, 1), dtype=np.uint64)
    mix = rng.integers(1, 1 << 63, size=_ROWS, dtype=np.uint64) | np.uint64(1)  # a band's rows -> one 64-bit key
    keys = np.empty((len(texts), _BANDS), dtype=np.uint64)
    with np.errstate(over="ignore"):  # the band keys wrap around 2^64 on purpose
        done: dict[str, int] = {}  # a text met before (a repeat, another unit's same words): its row
        for i, t in enumerate(texts):
            if t.text in done:
                keys[i] = keys[done[t.text]]
                continue
            done[t.text] = i
            sh = shingles(t.text)
            x = np.fromiter(sh, dtype=np.uint64, count=len(sh))
            sig = ((a * x[None, :_CHUNK] + b) % _PRIME).min(axis=1)
            for at in range(_CHUNK, len(x), _CHUNK):  # the minimum over chunks: the same signature, bounded memory
                np.minimum(sig, ((a * x[None, at:at + _CHUNK] + b) % _PRIME).min(axis=1), out=sig)
            keys[i] = (sig.reshape(_BANDS, _ROWS) * mix).sum(axis=1, dtype=np.uint64)
    return keys


class _SetsOf:
    """The 3-gram set of text i, made on demand; the latest ones are kept, up to _SETS_KEPT 3-grams
    in all (candidate pairs come sorted, so the first text of a pair is asked for many times)."""

    def __init__(self, texts: list[Text]):
        self.texts = texts
        self.kept: dict[int, set[int]] = {}
        self.size = 0

    def __call__(self, i: int) -> set[int]:
        found = self.kept.pop(i, None)
        if found is None:
            found = shingles(self.texts[i].text)
            self.size += len(found)
        self.kept[i] = found  # the most recent last
        while self.size > _SETS_KEPT and len(self.kept) > 2:
            self.size -= len(self.kept.pop(next(iter(self.kept))))
        return found


def _buckets(column: Any) -> Iterator[list[int]]:
    """The indices of the texts that share a key in one band, in ascending order, for every key
    two or more texts share."""
    import numpy as np

    order = np.argsort(column, kind="stable")
    ordered = column[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(ordered)]
    shared = ends - starts >= 2
    for s, e in zip(starts[shared].tolist(), ends[shared].tolist(), strict=True):
        yield order[s:e].tolist()


def copied_texts(texts: list[Text], threshold: float = SIMILAR) -> dict[str, list[dict[str, str]]]:
    """file -> its C601 findings (as result dicts): each text that another unit's matches, naming
    the others (up to three)."""
    partners: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for i, j, sim in similar_pairs(texts, threshold):
        partners[i].append((sim, j))
        partners[j].append((sim, i))
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for i, found in sorted(partners.items()):
        found.sort(key=lambda p: (-p[0], p[1]))
        t = texts[i]
        named = "、".join(f"“{texts[j].file}”的 {texts[j].sheet}!{texts[j].cell}" for _, j in found[:3])
        more = f"等 {len(found)} 处" if len(found) > 3 else ""
        out[t.file].append(finding(
            "C601", others=named + more, similarity=fmt_percent(found[0][0], 0), sheet=t.sheet, cell=t.cell,
            expected="本单位自己的表述", actual=f"与 {len(found)} 处雷同").to_dict())
    return dict(out)


# ---------------------------------------------------------------------------------------------
# C603


def previous_targets(results: Iterable[UnitResult]) -> dict[str, tuple[Any, dict[str, str]]]:
    """unit code (its normal form) -> (year, {三级指标 folded: 指标值}) from last year's results
    (``parse_result`` by ``PreviousResult``)."""
    out: dict[str, tuple[Any, dict[str, str]]] = {}
    for r in results:
        code = unit_key(r.unit_code)
        if not code or r.failed:
            continue
        out[code] = (r.year, {label_key(row.name): row.target for row in r.rows})
    return out


def lowered_targets(unit_code: str, targets: list[list[Any]], previous: Mapping[str, tuple[Any, dict[str, str]]],
                    rules: Rules) -> list[dict[str, str]]:
    """C603 findings of one submission: an own row whose target asks less than last year's for
    the same indicator (≥ a lower value, ≤ a higher one), in the same unit of measure."""
    year, before = previous.get(unit_key(unit_code), (None, None))
    if before is None:
        return []
    out = []
    for name, text, cell in targets:
        last_text = before.get(label_key(name))
        now, last = parse_target(text, rules), parse_target(last_text, rules) if last_text else None
        if (now is None or last is None or now.kind != last.kind or now.value is None or last.value is None
                or (now.percent, now.unit) != (last.percent, last.unit)):
            continue
        lower = now.value < last.value - 1e-9 if now.kind == "at_least" else (
            now.value > last.value + 1e-9 if now.kind == "at_most" else False)
        if lower:
            out.append(finding("C603", name=name, target=text, previous=last_text, previous_year=year or "上年",
                               sheet=S.INDICATORS, cell=cell, expected=f"不低于“{last_text}”", actual=text).to_dict())
    return out

"""The rule set (评分细则) as data: load a YAML rule file, check it, and expose it typed.

``load_rules()`` gives the default rules shipped with the package (spec/scoring.md);
``load_rules("four-part")`` a bundled rule set by name (``bundled()`` lists them);
``load_rules(path)`` a bureau's own file. The file is checked against the schema
(``rules/schema.py``: unknown keys and wrong types refused at every level) and then for what a
schema cannot say (references between keys, weights that roll up, bands in order). A bad file
raises ``RulesError`` listing every problem, each with its path in the file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from selfeval_xl.core.formulas import Expr, parse_expression
from selfeval_xl.rules.methods import METHODS
from selfeval_xl.rules.targets import parse_target

if TYPE_CHECKING:
    from selfeval_xl.rules.schema import RuleFile

__all__ = [
    "METHODS",
    "Adjustment",
    "BudgetCheck",
    "BudgetItem",
    "Category",
    "CommonIndicator",
    "FormExample",
    "FreeRows",
    "Grade",
    "OverAchievement",
    "Rate",
    "RowExample",
    "Rules",
    "RulesError",
    "Tier",
    "TotalCap",
    "Veto",
    "bundled",
    "bundled_by_version",
    "default_rules_path",
    "load_rules",
    "rules_name",
]



class RulesError(ValueError):
    """A rule file that cannot be used; ``problems`` lists each thing wrong with it."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"评分细则文件 {source} 有 {len(problems)} 处问题：\n{lines}")


@dataclass(frozen=True, slots=True)
class Grade:
    grade: str
    min: float


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    weight: float
    level1: str  # 一级指标
    only: tuple[str, ...] = ()  # 三级指标 names; empty: every other row of level1
    level2: tuple[tuple[str, float], ...] = ()  # (二级指标, weight), when the rules weigh them

    def claims(self, level1: str, name: str) -> bool:
        return level1 == self.level1 and (not self.only or name in self.only)


@dataclass(frozen=True, slots=True)
class BudgetItem:
    key: str
    label: str
    required: bool = True
    note: str = ""
    unit: str = "万元"


@dataclass(frozen=True, slots=True)
class Rate:
    key: str
    label: str
    numerator: Expr
    denominator: Expr
    zero_over_zero: float
    inputs: tuple[str, ...]  # budget keys it reads
    numerator_text: str = ""  # the expression in 预算情况 labels, for people
    denominator_text: str = ""


def _expr_text(e: Expr, labels: dict[str, str]) -> str:
    return e.bind(lambda n: _Label(labels.get(n, n))).excel()


class _Label(Expr):
    def __init__(self, name: str):
        self.name = name

    def excel(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class BudgetCheck:
    code: str
    parts: tuple[str, ...] = ()
    total: str = ""
    left: str = ""
    right: str = ""


@dataclass(frozen=True, slots=True)
class CommonIndicator:
    level1: str  # 一级指标
    level2: str  # 二级指标
    name: str  # 三级指标
    weight: float  # 分值
    target: str  # 指标值
    method: str
    rate: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)  # the method's keys (step, bands, per_case, ...)
    note: str = ""  # 指标说明

    @property
    def step(self) -> float | None:
        return self.params.get("step")


@dataclass(frozen=True, slots=True)
class FreeRows:
    level1: str
    rows: int
    level2: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    low: float
    high: float
    closed: bool
    score_if_blank: float
    answers: tuple[str, ...]
    prefixes: tuple[str, ...]

    def band(self, weight: float) -> tuple[float, float]:
        return self.low * weight, self.high * weight

    def contains(self, score: float, weight: float, tol: float = 1e-9) -> bool:
        lo, hi = self.band(weight)
        if score < lo - tol:
            return False
        return score <= hi + tol if self.closed else score < hi - tol


@dataclass(frozen=True, slots=True)
class OverAchievement:
    policy: str  # none | flag | deduct
    at: float
    points: float = 0.0


@dataclass(frozen=True, slots=True)
class TotalCap:
    """The total is at most ``max_total`` of the first band whose ``below`` the rate is under
    (bands from the highest ``below`` down; the lowest applicable cap wins)."""

    rate: str
    bands: tuple[tuple[float, float], ...]  # (below, max_total)

    def cap(self, rate: float) -> tuple[float, float] | None:
        hits = [(below, top) for below, top in self.bands if rate < below - 1e-12]
        return min(hits, key=lambda b: b[1]) if hits else None


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A 加分项 (points > 0) or 扣分项 (points < 0) outside the categories: the department types how
    many times it happened on 基本信息, in the row labelled ``item``."""

    item: str
    points: float  # per time
    note: str = ""

    @property
    def bonus(self) -> bool:
        return self.points > 0


@dataclass(frozen=True, slots=True)
class Veto:
    """一票否决: a yes/no row on 基本信息; "是" caps the total at ``max_total`` and/or fixes the grade."""

    item: str
    max_total: float | None = None
    grade: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class RowExample:
    """A worked example of one row: its inputs and the 核定得分 the published rules give it."""

    name: str
    source: str
    indicator: str  # a common 三级指标, or "" for an own row (``weight`` and ``target``)
    expected: float
    actual: Any = None
    self_score: float | None = None
    reason: str = ""
    budget: tuple[tuple[str, float], ...] = ()
    weight: float | None = None
    target: str = ""


@dataclass(frozen=True, slots=True)
class FormExample:
    """A whole filled form and the total (and grade, categories) the published rules give it."""

    name: str
    source: str
    total: float
    grade: str | None = None
    categories: tuple[tuple[str, float], ...] = ()
    budget: tuple[tuple[str, float], ...] = ()
    answers: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()  # 三级指标 -> ((column, value), ...)
    own: tuple[tuple[str, tuple[tuple[tuple[str, Any], ...], ...]], ...] = ()  # 一级指标 -> rows
    declared: tuple[tuple[str, Any], ...] = ()  # 基本信息 item -> typed


@dataclass(frozen=True)
class Rules:
    version: str
    title: str
    decimals: int
    tolerance: float
    grades: tuple[Grade, ...]
    categories: tuple[Category, ...]
    budget: tuple[BudgetItem, ...]
    rates: tuple[Rate, ...]
    budget_checks: tuple[BudgetCheck, ...]
    indicators: tuple[CommonIndicator, ...]
    free_rows: tuple[FreeRows, ...]
    operator_words: tuple[tuple[str, str], ...]  # (kind, word), longest word first
    suffix_words: tuple[tuple[str, str], ...]
    methods_for_own_rows: dict[str, str]
    not_applicable: str
    percent_typed_as_number: tuple[float, float]
    tiers: tuple[Tier, ...]
    over_achievement: OverAchievement
    execution_reason_below: float
    total_cap: TotalCap | None = None
    adjustments: tuple[Adjustment, ...] = ()
    bonus_max: float = 0.0  # the 加分项 together add at most this
    deduction_max: float = 100.0  # the 扣分项 together take at most this
    vetoes: tuple[Veto, ...] = ()
    examples: tuple[RowExample, ...] = ()
    forms: tuple[FormExample, ...] = ()
    about: str = ""  # where the rule set comes from (its ``source`` key)
    previous_versions: tuple[str, ...] = ()  # earlier templates of this set, checked and scored by it
    source: str = "default"  # the file it was read from
    digest: str = ""
    _by_name: dict[str, CommonIndicator] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({i.name: i for i in self.indicators})

    # lookups -------------------------------------------------------------------------------
    def common(self, name: str) -> CommonIndicator | None:
        """The common indicator of that 三级指标, if it is one."""
        return self._by_name.get(name)

    def rate(self, key: str) -> Rate:
        return next(r for r in self.rates if r.key == key)

    def budget_item(self, key: str) -> BudgetItem:
        return next(b for b in self.budget if b.key == key)

    def category_of(self, level1: str, name: str) -> Category | None:
        return next((c for c in self.categories if c.claims(level1, name)), None)

    def grade(self, total: float) -> str:
        for g in self.grades:
            if total >= g.min - 1e-9:
                return g.grade
        return self.grades[-1].grade

    @property
    def level1_names(self) -> tuple[str, ...]:
        """The 一级指标 of the categories, in order, without repeats."""
        return tuple(dict.fromkeys(c.level1 for c in self.categories))

    @property
    def total_weight(self) -> float:
        return sum(c.weight for c in self.categories)

    @property
    def explain_above(self) -> float:
        """The over-achievement threshold (a multiple of the target)."""
        return self.over_achievement.at

    @property
    def declared_items(self) -> tuple[str, ...]:
        """The rows 基本信息 adds for the rules over the total: 加分、扣分 then 一票否决 items."""
        return tuple(a.item for a in self.adjustments) + tuple(v.item for v in self.vetoes)

    @property
    def execution(self) -> CommonIndicator | None:
        """The 预算执行率 row (method ``execution``), if the rules have one."""
        return next((i for i in self.indicators if i.method == "execution"), None)


BUNDLED = "rules"  # the folder of bundled rule sets in the package's data


def bundled() -> dict[str, Path]:
    """name -> file of every bundled rule set, the default first."""
    folder = Path(str(resources.files("selfeval_xl").joinpath("data", BUNDLED)))
    files = sorted(folder.glob("*.yaml"), key=lambda p: (p.stem != "default", p.stem))
    return {p.stem: p for p in files}


@lru_cache(maxsize=1)
def bundled_by_version() -> dict[str, Rules]:
    """模板版本 -> the bundled rule set that writes it into its templates, the default first (it
    wins a version two sets share). Each set is loaded once in a process (and its checked form is
    cached on disk, as every rule file's)."""
    out: dict[str, Rules] = {}
    for name in bundled():
        rules = load_rules(name)
        out.setdefault(rules.version, rules)
    return out


def rules_name(rules: Rules) -> str:
    """How a person knows a rule set: a bundled set's name (four-part), else its file's name."""
    source = Path(rules.source)
    for name, path in bundled().items():
        if path.resolve() == source:
            return name
    return source.name


def default_rules_path() -> Path:
    return bundled()["default"]


def rules_path(name_or_path: str | Path | None) -> Path:
    """A bundled rule set's file by name, or the path as given (the default when None)."""
    if name_or_path is None:
        return default_rules_path()
    text = str(name_or_path)
    found = bundled().get(text)
    return found if found is not None and not Path(text).exists() else Path(text)


def load_rules(path: str | Path | None = None) -> Rules:
    """Load and check a rule file: a bundled name, a path, or the default when None."""
    p = rules_path(path)
    return _load_cached(str(p.resolve()), p.stat().st_mtime_ns if p.exists() else 0)


#: a rule file is hand-written text (the bundled ones are 4 to 16 KiB)
MAX_RULE_FILE_BYTES = 1 << 20
#: how deep a rule file nests (the bundled ones: 6) and how many values it holds once every alias
#: (``*name``) is read as the value it stands for (the bundled ones: about 1,000)
MAX_DEPTH = 50
MAX_NODES = 100_000


@lru_cache(maxsize=8)
def _load_cached(path: str, _mtime: int) -> Rules:
    from selfeval_xl.core.inputs import InputError, read_limited

    source = path
    try:
        raw_bytes = read_limited(path, MAX_RULE_FILE_BYTES, "评分细则文件")
    except InputError as exc:
        raise RulesError(source, [str(exc)]) from None
    except OSError as exc:
        raise RulesError(source, [f"无法读取文件：{exc.strerror or exc}"]) from None
    compiled = _compiled_path(raw_bytes, path)
    rules = _read_compiled(compiled)
    if rules is None:
        rules = _parse(raw_bytes, source)
        _write_compiled(compiled, rules)
    return rules


def _code_key() -> bytes:
    """What a compiled rule set depends on besides its file: the code that builds and reads it."""
    package = Path(__file__).resolve().parent.parent
    parts = [f"{f.name}:{f.stat().st_mtime_ns}:{f.stat().st_size}" for f in
             (package / "rules" / "model.py", package / "rules" / "schema.py", package / "rules" / "methods.py",
              package / "core" / "formulas.py", package / "rules" / "targets.py", package / "rules" / "deadlines.py")]
    return "|".join(parts).encode()


def _compiled_path(raw: bytes, source: str) -> Path | None:
    """Where a rule file's checked form is kept: the user's cache, keyed by the file's content, its
    path and the code (a rule file is checked once, not at every `check`: that took pydantic and YAML
    ~100 ms of a clerk's 0.3 s). The checked form is data (JSON, see _to_data), never code."""
    base = os.environ.get("SELFEVAL_CACHE") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    if not base:
        return None
    key = hashlib.sha256(raw + b"\0" + source.encode() + b"\0" + _code_key()).hexdigest()[:32]
    return Path(base) / "selfeval-xl" / f"rules-{key}.json"


def _private(st: os.stat_result) -> bool:
    """A cache folder or file only this user can change: owned by them, writable by no one else.
    (Windows has no such modes; there the cache is the user's own profile folder.)"""
    if not hasattr(os, "getuid"):
        return True
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read_compiled(path: Path | None) -> Rules | None:
    """The cached rule set, when there is one this user wrote: a folder or a file someone else can
    write is not read (they could otherwise choose the rules of the next check). Anything but the
    data _to_data writes is ignored: the rules are checked again."""
    from selfeval_xl.core.inputs import open_regular

    if path is None:
        return None
    try:
        if not _private(os.stat(path.parent)):
            return None
        with open_regular(path, "缓存") as fh:  # a FIFO planted there is not waited on
            st = os.fstat(fh.fileno())
            if not _private(st) or st.st_size > MAX_RULE_FILE_BYTES * 8:
                return None
            return _from_data(json.loads(fh.read()))
    except Exception:  # absent, unreadable, not our data: check the file again
        return None


def _write_compiled(path: Path | None, rules: Rules) -> None:
    if path is None:
        return
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        data = json.dumps(_to_data(rules), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(os.stat(path.parent)):
            return  # a folder others can write: nothing of ours goes there
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
        os.replace(tmp, path)
        _prune_cache(path)
    except (OSError, ValueError):  # a read-only or full home: the rules are checked each time, nothing else changes
        with contextlib.suppress(OSError):
            tmp.unlink()


#: how many checked rule sets the cache keeps (each a few tens of KB): a changed rule file or a new
#: version of the tool makes a new entry, and the oldest go
CACHE_ENTRIES = 32


def _prune_cache(kept: Path) -> None:
    """The cache folder holds at most CACHE_ENTRIES of our entries, the newest; entries of the
    earlier pickle format (never read again) are removed. Only our own names, never through a link."""
    entries = []
    for entry in os.scandir(kept.parent):
        if not entry.name.startswith("rules-") or not entry.is_file(follow_symlinks=False) or entry.path == str(kept):
            continue
        if entry.name.endswith(".pickle"):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
        elif entry.name.endswith(".json"):
            entries.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
    for _mtime, old in sorted(entries, reverse=True)[CACHE_ENTRIES - 1:]:
        with contextlib.suppress(OSError):
            os.unlink(old)


# The cached form: JSON of the checked rule set. A dataclass is {"$": its name, "=": its fields},
# a tuple {"()": items}, a dict {"{}": items}; nothing else is tagged. Reading it back builds only
# the classes named here, by their fields: JSON carries no code, and neither does this.


def _cached_classes() -> dict[str, type]:
    from selfeval_xl.core import formulas as F

    # every dataclass of the rule set defined here (a field added to Rules is kept without a list to
    # mend), and the formula nodes a rate is made of
    ours = [c for c in globals().values() if isinstance(c, type) and dataclasses.is_dataclass(c)
            and c.__module__ == __name__ and not c.__name__.startswith("_")]
    classes: list[type] = [*ours, F.Num, F.Str, F.Name, F.Ref, F.Area, F.Call, F.BinOp, F.Neg]
    return {c.__name__: c for c in classes}


def _to_data(x: Any) -> Any:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        name = type(x).__name__
        if _cached_classes().get(name) is not type(x):
            raise ValueError(f"{name} is not kept in the cache")
        return {"$": name, "=": {f.name: _to_data(getattr(x, f.name)) for f in dataclasses.fields(x)
                                 if not f.name.startswith("_")}}
    if isinstance(x, tuple):
        return {"()": [_to_data(v) for v in x]}
    if isinstance(x, Mapping):
        return {"{}": {str(k): _to_data(v) for k, v in x.items()}}
    if isinstance(x, list):
        return [_to_data(v) for v in x]
    if x is None or isinstance(x, (str, int, float, bool)):
        return x
    raise ValueError(f"{type(x).__name__} is not kept in the cache")


def _from_data(data: Any) -> Rules | None:
    classes = _cached_classes()

    def build(x: Any) -> Any:
        if isinstance(x, list):
            return [build(v) for v in x]
        if not isinstance(x, dict):
            return x
        if x.keys() == {"()"}:
            return tuple(build(v) for v in x["()"])
        if x.keys() == {"{}"}:
            return {k: build(v) for k, v in x["{}"].items()}
        if x.keys() == {"$", "="} and x["$"] in classes:
            return classes[x["$"]](**{k: build(v) for k, v in x["="].items()})
        raise ValueError("not the cache's data")

    rules = build(data)
    return rules if isinstance(rules, Rules) else None


def _parse(raw_bytes: bytes, source: str) -> Rules:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        text = raw_bytes.decode("utf-8")
        _check_shape(yaml.parse(text, Loader=loader), source)
        data = yaml.load(text, Loader=loader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RulesError(source, [_yaml_problem(exc)]) from None
    except RulesError:
        raise
    except ValueError:  # what PyYAML's constructors raise, e.g. for an integer of thousands of digits
        raise RulesError(source, ["有无法读取的数值（如位数过多的整数），不是评分细则文件"]) from None
    rules = build_rules(data, source)
    object.__setattr__(rules, "digest", hashlib.sha256(raw_bytes).hexdigest())
    return rules


def _yaml_problem(exc: Exception) -> str:
    """What is wrong with a file that is no YAML, in Chinese, where the parser says (its own words
    kept after them for whoever knows YAML); a file nested too deep for the parser itself (PyYAML
    6.0.4 stops at flow level 1,000 before our count of events sees it) says so as our count would."""
    problem = str(getattr(exc, "problem", "") or "")
    mark = getattr(exc, "problem_mark", None)
    where = f"（第 {mark.line + 1} 行第 {mark.column + 1} 列）" if mark is not None else ""
    if "nesting depth" in problem:
        return f"嵌套超过 {MAX_DEPTH} 层，不是评分细则文件{where}"
    if isinstance(exc, UnicodeDecodeError):
        return "不是 UTF-8 编码的文本文件，不是评分细则文件（请用 UTF-8 保存）"
    return f"不是有效的 YAML 文件{where}（{problem or exc}）"


def _check_shape(events: Iterable[Any], source: str) -> None:
    """A YAML document's depth and its size with every alias expanded, from its events (libyaml's
    parser keeps no C stack per level, the composer does): a file nested thousands deep, or a small
    file of aliases of aliases that stand for billions of values (an alias bomb), is refused before
    anything is built from it."""
    import yaml

    total = 0  # values, each alias counted as the values it stands for
    sizes: dict[str, int] = {}  # anchor -> the values it stands for
    open_: list[tuple[int, str | None]] = []  # each open collection: the total before it, its anchor
    for ev in events:
        if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            open_.append((total, ev.anchor))
            total += 1
            if len(open_) > MAX_DEPTH:
                raise RulesError(source, [f"嵌套超过 {MAX_DEPTH} 层，不是评分细则文件（第 {_line(ev)} 行）"])
        elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            before, anchor = open_.pop()
            if anchor is not None:
                sizes[anchor] = total - before
        elif isinstance(ev, yaml.ScalarEvent):
            total += 1
            if ev.anchor is not None:
                sizes[ev.anchor] = 1
        elif isinstance(ev, yaml.AliasEvent):
            total += sizes.get(ev.anchor or "", 1)
        if total > MAX_NODES:
            raise RulesError(source, [f"别名（*…）展开后超过 {MAX_NODES:,} 个值，不是评分细则文件"
                                      f"（第 {_line(ev)} 行；疑似“别名炸弹”）"])


def _line(event: Any) -> int:
    return event.start_mark.line + 1 if event.start_mark else 0


# ---------------------------------------------------------------------------------------------
# Building and checking what the schema cannot say


class _Problems(list):
    def need(self, cond: bool, where: str, text: str) -> bool:
        if not cond:
            self.append(f"{where}: {text}")
        return cond


def build_rules(data: Any, source: str = "（内存）") -> Rules:
    """A checked ``Rules`` from a loaded YAML document; ``RulesError`` lists every problem."""
    from selfeval_xl.rules.schema import validate

    if not isinstance(data, dict):
        raise RulesError(source, ["文件内容应是一个映射（键: 值），而不是 " + type(data).__name__])
    doc, problems = validate(data)
    if doc is None:
        raise RulesError(source, [f"{p.path}: {p.text}" for p in problems])
    P = _Problems()
    grades = _grades(doc, P)
    categories = [Category(c.name, c.weight, c.level1, tuple(c.only), tuple((x.name, x.weight) for x in c.level2))
                  for c in doc.categories]
    _check_categories(categories, doc.tolerance, P)
    budget = [BudgetItem(b.key, b.label, b.required, b.note, b.unit) for b in doc.budget]
    known = {b.key for b in budget}
    P.need(len(known) == len(budget), "budget", "key 重复")
    P.need(len({b.label for b in budget}) == len(budget), "budget", "label 重复")
    rates = _rates(doc, budget, P)
    rate_keys = {r.key for r in rates}
    checks = _budget_checks(doc, known, P)
    tiers = _tiers(doc, P)
    operator_words = sorted(((k, w) for k in ("at_least", "at_most", "equal") for w in getattr(doc.operators, k)),
                            key=lambda kw: -len(kw[1]))
    suffix_words = sorted(((k, w) for k in ("at_least", "at_most", "equal") for w in getattr(doc.suffix_operators, k)),
                          key=lambda kw: -len(kw[1]))
    pct = doc.percent_typed_as_number
    P.need(pct.above < pct.at_most, "percent_typed_as_number", "above 应小于 at_most")
    cap = None
    if doc.total_cap:
        P.need(doc.total_cap.rate in rate_keys, "total_cap.rate", f"rates 中没有比率 {doc.total_cap.rate!r}")
        cap = TotalCap(doc.total_cap.rate, tuple((b.below, b.max_total) for b in doc.total_cap.bands))
    oa = doc.over_achievement
    partial = Rules(
        version=doc.version, title=doc.title, decimals=doc.decimals, tolerance=doc.tolerance, grades=tuple(grades),
        categories=tuple(categories), budget=tuple(budget), rates=tuple(rates), budget_checks=tuple(checks),
        indicators=(), free_rows=(), operator_words=tuple(operator_words), suffix_words=tuple(suffix_words),
        methods_for_own_rows=doc.methods_for_own_rows.model_dump(), not_applicable=doc.not_applicable,
        percent_typed_as_number=(pct.above, pct.at_most), tiers=tuple(tiers),
        over_achievement=OverAchievement(oa.policy, oa.at, oa.points),
        execution_reason_below=doc.checks.execution_reason_below, total_cap=cap, about=doc.source, source=source,
        previous_versions=tuple(v for v in doc.previous_versions if v != doc.version),
        **_over_the_total(doc, [g.grade for g in grades], P), **_examples(doc))
    indicators = _indicators(doc, partial, categories, rate_keys, P)
    free = [FreeRows(f.level1, f.rows, tuple(f.level2)) for f in doc.free_rows]
    for i, f in enumerate(free):
        P.need(any(c.level1 == f.level1 for c in categories), f"free_rows[{i}].一级指标",
               f"没有类别的一级指标是 {f.level1!r}")
    _check_weights(categories, indicators, free, doc.tolerance, P)
    if P:
        raise RulesError(source, P)
    return Rules(**{**partial.__dict__, "indicators": tuple(indicators), "free_rows": tuple(free), "_by_name": {}})


def _over_the_total(doc: RuleFile, grades: list[str], P: _Problems) -> dict[str, Any]:
    """加分、扣分 and 一票否决: their 基本信息 rows are new labels, each once, and a veto's grade is one
    of the grades."""
    from selfeval_xl.core.names import BASIC_FIELDS, label_key

    adj = doc.adjustments
    items = [Adjustment(a.item, a.points, a.note) for a in adj.items] if adj else []
    vetoes = [Veto(v.item, v.max_total, v.grade, v.note) for v in doc.vetoes]
    labels = [label_key(x) for x in [*(a.item for a in items), *(v.item for v in vetoes)]]
    P.need(len(set(labels)) == len(labels), "adjustments/vetoes", "事项（item）重复")
    taken = {label_key(f.label) for f in BASIC_FIELDS}
    for i, key in enumerate(labels):
        P.need(bool(key) and key not in taken, "adjustments/vetoes",
               f"第 {i + 1} 个事项的文字为空或与基本信息的标准项目重复")
    for i, v in enumerate(vetoes):
        P.need(v.grade is None or v.grade in grades, f"vetoes[{i}].grade", f"应是 grades 中的等级（{'、'.join(grades)}）")
    if adj is not None:
        P.need(adj.bonus_max > 0 or not any(a.bonus for a in items), "adjustments.bonus_max",
               "有加分项时应写加分最多加几分（大于 0）")
    return {"adjustments": tuple(items), "bonus_max": adj.bonus_max if adj else 0.0,
            "deduction_max": adj.deduction_max if adj else 100.0, "vetoes": tuple(vetoes)}


def _pairs(d: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple((str(k), v) for k, v in d.items())


def _examples(doc: RuleFile) -> dict[str, Any]:
    """The file's worked examples as plain data (checked by ``selfeval-xl rules test``, not here:
    an example that disagrees with its own file is what that command reports)."""
    rows = []
    for e in doc.examples:
        common, weight, target = (e.indicator, None, "") if isinstance(e.indicator, str) else \
            ("", e.indicator.weight, e.indicator.target)
        rows.append(RowExample(e.name, e.source, common, e.expected, e.actual, e.self_score, e.reason, _pairs(e.budget),
                               weight, target))
    forms = [FormExample(
        f.name, f.source, f.total, f.grade, _pairs(f.categories), _pairs(f.budget),
        tuple((k, _pairs(v)) for k, v in f.answers.items()),
        tuple((k, tuple(_pairs(r) for r in v)) for k, v in f.own.items()), _pairs(f.declared)) for f in doc.forms]
    return {"examples": tuple(rows), "forms": tuple(forms)}


def _grades(doc: RuleFile, P: _Problems) -> list[Grade]:
    grades = [Grade(g.grade, g.min) for g in doc.grades]
    mins = [g.min for g in grades]
    P.need(all(a > b for a, b in pairwise(mins)), "grades", "等级下限应从高到低排列且不重复")
    P.need(mins[-1] <= 0, "grades", f"最后一个等级的下限应为 0，使任何得分都有等级（现为 {mins[-1]:g}）")
    P.need(len({g.grade for g in grades}) == len(grades), "grades", "等级名称重复")
    return grades


def _check_categories(categories: list[Category], tolerance: float, P: _Problems) -> None:
    total = sum(c.weight for c in categories)
    P.need(abs(total - 100) <= tolerance + 1e-9, "categories", f"各类别权重分值之和应为 100，现为 {total:g}")
    names = [c.name for c in categories]
    P.need(len(set(names)) == len(names), "categories", "类别名称重复")
    for i, c in enumerate(categories):
        if c.level2:
            s = sum(w for _, w in c.level2)
            P.need(abs(s - c.weight) <= tolerance + 1e-9, f"categories[{i}].二级指标",
                   f"各二级指标权重之和应等于类别权重 {c.weight:g}，现为 {s:g}")


def _rates(doc: RuleFile, budget: list[BudgetItem], P: _Problems) -> list[Rate]:
    known = {b.key for b in budget}
    labels = {b.key: b.label.removeprefix("其中：") for b in budget}
    rates: list[Rate] = []
    for i, r in enumerate(doc.rates):
        exprs = []
        for part in ("numerator", "denominator"):
            try:
                e = parse_expression(getattr(r, part))
            except ValueError as exc:
                P.append(f"rates[{i}].{part}: {exc}")
                continue
            unknown = [n for n in e.names() if n not in known]
            P.need(not unknown, f"rates[{i}].{part}", f"引用了预算情况中没有的项目：{'、'.join(unknown)}")
            exprs.append(e)
        if len(exprs) == 2:
            inputs = tuple(dict.fromkeys([*exprs[0].names(), *exprs[1].names()]))
            rates.append(Rate(r.key, r.label or r.key, exprs[0], exprs[1], r.zero_over_zero, inputs,
                              _expr_text(exprs[0], labels), _expr_text(exprs[1], labels)))
    keys = [r.key for r in rates]
    P.need(len(set(keys)) == len(keys), "rates", "key 重复")
    P.need(not (set(keys) & known), "rates", "比率的 key 与预算情况的 key 重复")
    return rates


def _budget_checks(doc: RuleFile, known: set[str], P: _Problems) -> list[BudgetCheck]:
    checks = []
    for i, c in enumerate(doc.budget_checks):
        where = f"budget_checks[{i}]"
        if c.at_most:
            if P.need(c.at_most.left in known and c.at_most.right in known, where + ".at_most",
                      "left 和 right 应是预算情况的 key"):
                checks.append(BudgetCheck(c.code, left=c.at_most.left, right=c.at_most.right))
        elif P.need(all(p in known for p in c.parts), where + ".parts", "应是预算情况 key 的列表") & \
                P.need(c.total in known, where + ".total", "应是预算情况的 key"):
            checks.append(BudgetCheck(c.code, parts=tuple(c.parts), total=c.total))
    return checks


def _tiers(doc: RuleFile, P: _Problems) -> list[Tier]:
    tiers = []
    for i, t in enumerate(doc.qualitative):
        lo, hi = t.band
        ok = P.need(lo <= hi, f"qualitative[{i}].band", "下限不应大于上限")
        ok &= P.need(lo <= t.score_if_blank <= hi, f"qualitative[{i}].score_if_blank", "应在本档的分值区间内")
        if ok:
            tiers.append(Tier(t.tier, lo, hi, t.closed, t.score_if_blank, tuple(t.answers), tuple(t.prefixes)))
    P.need(all(a.low == b.high for a, b in pairwise(tiers)), "qualitative",
           "各档的分值区间应从高到低首尾相接（上一档的下限 = 下一档的上限）")
    return tiers


def _indicators(doc: RuleFile, partial: Rules, categories: list[Category], rate_keys: set[str],
                P: _Problems) -> list[CommonIndicator]:
    out: list[CommonIndicator] = []
    for i, ind in enumerate(doc.indicators):
        where = f"indicators[{i}]（{ind.name}）"
        method = METHODS[ind.method]
        params = {p.name: _plain(getattr(ind, p.name)) for p in method.params if getattr(ind, p.name) is not None}
        ok = True
        if ind.rate is not None:
            ok &= P.need(ind.rate in rate_keys, f"{where}.rate", f"预算情况中没有比率 {ind.rate!r}")
        if method.reads == "rate":
            ok &= P.need(ind.rate is not None, f"{where}.rate", f"{method.title}指标需要 rate（取自预算情况的比率）")
        if method.reads in ("count", "qualitative"):
            ok &= P.need(ind.rate is None, f"{where}.rate", f"{method.title}指标的实际完成值由单位填写，不能取自比率")
        t = parse_target(ind.target, partial)
        if "any" not in method.targets:
            kind = t.kind if t else None
            ok &= P.need(kind in method.targets, f"{where}.指标值",
                         f"{method.title}的指标值应是 {_target_forms(method.targets)}（现为 {ind.target!r}）")
        if ind.method == "per_point" and t is not None and t.kind in method.targets:
            ok &= P.need(t.percent, f"{where}.指标值",
                         f"按百分点扣分的指标值应是百分比，如 ≥95%、≤100%（现为 {ind.target!r}）")
        ok &= _check_params(ind.method, params, ind.weight, f"{where}", P)
        ok &= P.need(any(c.level1 == ind.level1 for c in categories), f"{where}.一级指标",
                     f"没有类别的一级指标是 {ind.level1!r}")
        if ok:
            out.append(CommonIndicator(ind.level1, ind.level2, ind.name, ind.weight, ind.target, ind.method,
                                       ind.rate, params, ind.note))
    names = [i.name for i in out]
    P.need(len(set(names)) == len(names), "indicators", "三级指标名称重复")
    P.need(sum(i.method == "execution" for i in out) <= 1, "indicators", "只能有一个 execution（预算执行率）指标")
    for c in categories:
        for n in c.only:
            P.need(n in names, f"categories（{c.name}）.三级指标", f"indicators 中没有 {n!r}")
    return out


_TARGET_FORMS = {"at_least": "≥90%", "at_most": "≤5%", "equal": "=100%", "qualitative": "文字（如 相关）"}


def _target_forms(kinds: frozenset[str]) -> str:
    """What a method's 指标值 may look like: '≥90%、=100% 这样的形式'."""
    forms = [_TARGET_FORMS[k] for k in ("at_least", "at_most", "equal") if k in kinds]
    return ("、".join(forms) + " 这样的写法") if forms else _TARGET_FORMS["qualitative"]


def _plain(v: Any) -> Any:
    """A parameter as plain data (bands as dicts without their unset bound)."""
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if hasattr(v, "model_dump"):
        return {k: x for k, x in v.model_dump().items() if x is not None}
    return v


def _check_params(method: str, params: dict[str, Any], weight: float, where: str, P: _Problems) -> bool:
    ok = True
    if "bands" in params:
        bands = params["bands"]
        sides = {("min" if "min" in b else "max") for b in bands}
        ok &= P.need(len(sides) == 1, where + ".bands", "各档应同为 min（不低于）或同为 max（不高于）")
        bounds = [b.get("min", b.get("max")) for b in bands]
        if sides == {"min"}:
            ok &= P.need(all(a > b for a, b in pairwise(bounds)), where + ".bands", "min 应从高到低排列（从好到差）")
        elif sides == {"max"}:
            ok &= P.need(all(a < b for a, b in pairwise(bounds)), where + ".bands", "max 应从低到高排列（从好到差）")
        points = [b["points"] for b in bands]
        ok &= P.need(all(p <= weight + 1e-9 for p in points), where + ".bands", f"各档得分不能超过分值 {weight:g}")
        ok &= P.need(all(a >= b for a, b in pairwise(points)), where + ".bands", "各档得分应从高到低")
    if "items" in params and "points" in params:  # more than the 分值 is "最高 分值 分"; less could never reach it
        total = len(params["items"]) * params["points"]
        ok &= P.need(total >= weight - 1e-9, where,
                     f"项数 × 每项分值（{total:g}）小于分值 {weight:g}：全部具备也得不到满分")
    if "per_case" in params:
        ok &= P.need(params["per_case"] <= weight + 1e-9, where + ".per_case", f"每起扣分不应超过分值 {weight:g}")
    return ok


def _check_weights(categories: list[Category], indicators: list[CommonIndicator], free: list[FreeRows],
                   tolerance: float, P: _Problems) -> None:
    """Rows roll up into their 二级指标 and category: a category without free rows adds up exactly,
    one with free rows leaves room; weighed 二级指标 likewise, and common rows name one of them."""
    free_level1 = {f.level1 for f in free}
    for c in categories:
        members = [i for i in indicators if next((k for k in categories if k.claims(i.level1, i.name)), None) is c]
        s = sum(i.weight for i in members)
        open_ = c.level1 in free_level1 and not c.only
        if open_:
            P.need(s <= c.weight + tolerance, f"categories（{c.name}）", f"固定指标的分值之和 {s:g} 超过了类别权重分值 {c.weight:g}")
        else:
            P.need(abs(s - c.weight) <= tolerance + 1e-9, f"categories（{c.name}）",
                   f"指标分值之和应等于类别权重分值 {c.weight:g}，现为 {s:g}")
        for name, weight in c.level2:
            s2 = sum(i.weight for i in members if i.level2 == name)
            if open_:
                P.need(s2 <= weight + tolerance, f"categories（{c.name}）.二级指标（{name}）",
                       f"固定指标的分值之和 {s2:g} 超过了二级指标权重 {weight:g}")
            else:
                P.need(abs(s2 - weight) <= tolerance + 1e-9, f"categories（{c.name}）.二级指标（{name}）",
                       f"指标分值之和应等于二级指标权重 {weight:g}，现为 {s2:g}")
        if c.level2:
            names = {n for n, _ in c.level2}
            for i in members:
                P.need(i.level2 in names, f"indicators（{i.name}）.二级指标", f"不是类别“{c.name}”规定的二级指标（{'、'.join(names)}）")

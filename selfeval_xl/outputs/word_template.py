"""A bureau's report template, taken in as untrusted and rendered in a sandbox with bounds.

A report template (``--template``) is meant to be shared between bureaus, so it is treated like a
submission: nothing in it may run code, and nothing in it may make a render hang or eat memory.

- **The file** is vetted like a workbook before python-docx sees it (``ooxml.Package``: zip
  directory limits, no DTD in any part it reaches, every part's size and CRC), and must be a Word
  document (.docx) whose tags pair up.
- **The language** is the part of Jinja a report needs and no more (``ALLOWED``): ``{{ … }}`` with
  names, attributes, items, literals, comparisons, arithmetic and the filters in ``FILTERS``;
  ``{% if %}`` and ``{% for %}``. Calls (``cycler.__init__.__globals__.os.system(…)``, ``range``,
  methods), ``set``, macros, includes, imports, ``autoescape`` and attributes starting with ``_``
  are refused before anything runs, and the render itself is Jinja's
  ``ImmutableSandboxedEnvironment`` with no globals.
- **The work** is bounded: every loop charges its body's size per iteration to a budget, every
  arithmetic operation and filter that could build a large value is checked first, and the
  rendered text of each part is counted as it is produced.

A template that breaks any of this raises ``ReportTemplateError``, whose message (Chinese, naming
the file and where) is what the bureau's clerk reads.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import markup_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.tests import TESTS as JINJA_TESTS
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from selfeval_xl.ooxml import Limits, MiB, Rejected

__all__ = ["FILTERS", "ReportTemplateError", "Run", "TemplateLimits", "render_docx", "vet_template"]

#: the Word document's main part, the only kind of template we take
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


class ReportTemplateError(Exception):
    """A report template that cannot be used: the message says which file, where and why (Chinese)."""


class TemplateLimits:
    """The bounds of one render (a report of 10,000 indicator rows, every one with a deviation and
    its reason, stays inside them: 0.6 million loop steps, 28 million characters; one of 20,000 such
    rows, 56 million characters, does not)."""

    max_file_bytes = 20 * MiB
    package = Limits(max_file_bytes=20 * MiB, max_entries=1000, max_entry_bytes=64 * MiB,
                     max_total_bytes=256 * MiB, max_xml_bytes=8 * MiB)
    max_tags = 20_000  # {{ … }} / {% … %} / {# … #} in one part
    work = 10_000_000  # loop iterations, each weighted by the size of its body
    text = 1_000_000  # characters of one value the template builds (+, *, filters)
    output = 32_000_000  # characters of one rendered part
    built = 64_000_000  # characters (or items) of every value the render builds, in all: filters, operators, ~
    number = 1_000  # an integer argument of a filter (a width, a count), applied to each of many rows maybe


# ---------------------------------------------------------------------------------------------
# What a template may say

#: the statements and expressions a template may use (anything else is refused before rendering)
ALLOWED: tuple[type[nodes.Node], ...] = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.For, nodes.If,
    nodes.Name, nodes.Const, nodes.Tuple, nodes.List, nodes.Dict, nodes.Pair, nodes.Keyword,
    nodes.CondExpr, nodes.Filter, nodes.Test, nodes.Getattr, nodes.Getitem, nodes.Slice, nodes.Concat,
    nodes.Compare, nodes.Operand, nodes.BinExpr, nodes.UnaryExpr,
)
#: filters whose result is no larger than their input (or bounded by ``TemplateLimits.number``)
FILTERS = ("abs", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
           "filesizeformat", "first", "float", "forceescape", "groupby", "int", "items", "join", "last", "length",
           "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "select",
           "selectattr", "slice", "sort", "string", "striptags", "sum", "title", "trim", "truncate", "unique",
           "upper", "wordcount")
TESTS = tuple(t for t in JINJA_TESTS if t not in ("callable", "test", "filter"))
#: what a refused statement is called in the message
_STATEMENTS: dict[type[nodes.Node], str] = {nodes.Assign: "set", nodes.AssignBlock: "set", nodes.Macro: "macro", nodes.CallBlock: "call",
               nodes.FilterBlock: "filter", nodes.With: "with", nodes.Block: "block", nodes.Extends: "extends",
               nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "from … import",
               nodes.Scope: "autoescape", nodes.ScopedEvalContextModifier: "autoescape",
               nodes.EvalContextModifier: "autoescape"}
_HOW = "报告模板只能使用 {{ 名称 }}、{% if %} 和 {% for %}（见 README“自评报告”一节）"


class Forbidden(TemplateSyntaxError):
    """A construct a report template may not use (found before anything runs)."""


class OverBudget(TemplateError):
    """A render that went past one of ``TemplateLimits``."""


def _vet(tree: nodes.Template) -> None:
    for node in tree.find_all(nodes.Node):
        line = getattr(node, "lineno", None) or 1
        if isinstance(node, nodes.Call):
            raise Forbidden(f"模板不能调用函数或方法（{_call_name(node)}(…)）；{_HOW}", line)
        if not isinstance(node, ALLOWED):
            what = _STATEMENTS.get(type(node), type(node).__name__)
            raise Forbidden(f"模板不能使用 {{% {what} %}}；{_HOW}", line)
        if isinstance(node, nodes.For) and node.recursive:
            raise Forbidden(f"模板不能使用递归循环（recursive）；{_HOW}", line)
        if isinstance(node, nodes.Filter) and node.name not in FILTERS and node.name != "as_run":
            raise Forbidden(f"模板不能使用过滤器“{node.name}”（可用：{'、'.join(FILTERS)}）", line)
        if isinstance(node, nodes.Test) and node.name not in TESTS:
            raise Forbidden(f"模板不能使用检验“{node.name}”", line)
        name = _private_name(node)
        if name:
            raise Forbidden(f"模板不能读取以下划线开头的名称（“{name}”）", line)


def _call_name(node: nodes.Call) -> str:
    f = node.node
    parts = []
    while isinstance(f, nodes.Getattr):
        parts.append(f.attr)
        f = f.node
    if isinstance(f, nodes.Name):
        parts.append(f.name)
    return ".".join(reversed(parts)) or "…"


def _private_name(node: nodes.Node) -> str:
    if isinstance(node, nodes.Getattr):
        name = node.attr
    elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        name = node.arg.value
    elif isinstance(node, nodes.Name):
        name = node.name
    else:
        return ""
    return name if name.startswith("_") else ""


def _charge_loops(tree: nodes.Template) -> None:
    """Every loop's iterable passes through the budget filter, charged its body's size per item;
    every ``~`` joins its parts through a filter that charges what it builds before building it."""
    for loop in list(tree.find_all(nodes.For)):
        cost = 1 + sum(1 for part in (*loop.body, *loop.else_) for _ in part.find_all(nodes.Node))
        loop.iter = nodes.Filter(loop.iter, "_charged", [nodes.Const(cost)], [], None, None, lineno=loop.lineno)
    _JoinedConcat().visit(tree)


class _JoinedConcat(NodeTransformer):
    """``a ~ b`` joined by ``_concat``, and a literal list, tuple or dict checked by ``_literal``, each
    measuring what it would write out before anything is built from it."""

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)  # a ~ inside a part is replaced in place
        parts = node.nodes
        return nodes.Filter(nodes.List(parts, lineno=node.lineno), "_concat", [], [], None, None, lineno=node.lineno)

    def _literal(self, node: nodes.Expr) -> nodes.Node:
        self.generic_visit(node)
        if isinstance(node, nodes.Tuple) and node.ctx != "load":  # a loop's target: {% for a, b in … %}
            return node
        return nodes.Filter(node, "_literal", [], [], None, None, lineno=node.lineno)

    visit_List = visit_Tuple = visit_Dict = _literal


# ---------------------------------------------------------------------------------------------
# The environment


def _size(value: object) -> int:
    return len(value) if isinstance(value, (str, list, tuple, dict)) else 0


def _expanded(value: object, cap: int) -> int:
    """How many characters and items ``value`` stands for written out (a list of lists as text): a
    list multiplied, or one holding a long text a thousand times, is small in memory but not on
    the page. Counting stops past ``cap``; a list met again is counted again, from memory."""
    known: dict[int, int] = {}

    def size(v: object) -> int:
        if isinstance(v, str):
            return len(v)
        if not isinstance(v, (list, tuple, dict)):
            return 1
        if id(v) in known:
            return known[id(v)]
        total = len(v)
        for item in (v.items() if isinstance(v, dict) else v):
            total += size(item)
            if total > cap:
                break
        known[id(v)] = total
        return total

    return size(value)


class ReportEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with no globals, the filters and tests above, and bounds."""

    intercepted_binops = frozenset(("+", "-", "*", "/", "//", "%", "**"))

    def __init__(self, limits: type[TemplateLimits] = TemplateLimits) -> None:
        super().__init__(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True,
                         finalize=self._written)
        self.limits = limits
        self.spent = 0  # loop steps
        self.built = 0  # characters (or items) of the values built
        self.globals.clear()
        self.filters = {name: _bounded_filter(name, JINJA_FILTERS[name], limits, self.charge) for name in FILTERS}
        self.filters["replace"] = _bounded_replace(limits)
        self.filters["join"] = _bounded_join(self.filters["join"], limits)
        self.filters["sum"] = _bounded_sum(self.filters["sum"])
        self.filters["as_run"] = as_run
        # reachable by name through map('…') too: what they charge can only grow the budgets spent
        self.filters["_charged"] = self._charged
        self.filters["_concat"] = self._concat
        self.filters["_literal"] = self._literal
        self.tests = {name: JINJA_TESTS[name] for name in TESTS}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        _vet(tree)
        _charge_loops(tree)
        return tree

    def charge(self, value: Any, steps: int = 0) -> Any:
        """``value``, its size added to what the render has built and ``steps`` to its work: a value
        built over and over (a long text in a loop, a filter mapped over many items) is bounded in
        all, not one at a time."""
        self.built += _size(value) + 1
        if self.built > self.limits.built:
            raise OverBudget(f"模板生成的内容总计超过 {self.limits.built:,} 个字符，可能是在循环或过滤器中反复生成长文字")
        self._spend(steps)
        return value

    def _spend(self, steps: int) -> None:
        self.spent += steps
        if self.spent > self.limits.work:
            raise OverBudget(f"模板的循环次数过多（超过 {self.limits.work:,} 步），可能是循环嵌套了循环，"
                             "或用过滤器处理了过多的项")

    def _charged(self, iterable: Iterable[Any], cost: Any = 1) -> Iterator[Any]:
        cost = max(cost, 1) if type(cost) is int else 1  # never a credit (map('_charged', -1000) can reach it)
        for item in iterable:
            self._spend(cost)
            yield item

    def concat(self, parts: Iterable[str]) -> str:
        out, size = [], 0
        for part in parts:
            size += len(part)
            if size > self.limits.output:
                raise OverBudget(f"模板生成的内容超过 {self.limits.output:,} 个字符")
            out.append(part)
        return "".join(out)

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        _check_binop(operator_, left, right, self.limits)
        return self.charge(self.binop_table[operator_](left, right))

    def _concat(self, parts: Iterable[Any]) -> Any:
        """``a ~ b ~ …``: its length charged before the text is built."""
        parts = list(parts)
        if _expanded(parts, self.limits.text) > self.limits.text:
            raise OverBudget(f"模板生成的文字超过 {self.limits.text:,} 个字符")
        return self.charge(markup_join(parts))

    def _literal(self, value: Any) -> Any:
        """A list, tuple or dict written in the template, measured as written out."""
        if _expanded(value, self.limits.text) > self.limits.text:
            raise OverBudget(f"模板生成的文字超过 {self.limits.text:,} 个字符")
        return self.charge(value)

    def _written(self, value: Any) -> Any:
        """What ``{{ … }}`` writes, measured before it is made text; a text's {_{ }_} {_% %_} kept
        from docxtpl (``kept``)."""
        if isinstance(value, (list, tuple, dict)) and _expanded(value, self.limits.output) > self.limits.output:
            raise OverBudget(f"模板生成的内容超过 {self.limits.output:,} 个字符")
        return kept(value) if isinstance(value, str) else value


#: docxtpl turns {_{ }_} {_% %_} into {{ }} {% %} in everything rendered, a department's text
#: included: in what a template writes, the "_" after { } % stands as this (no text of a
#: department's holds it: it is no XML character) until docxtpl is done, then is "_" again
_KEPT = "\x00"
_DOCXTPL_ESCAPES = re.compile(r"(?<=[{}%])_")


def kept(text: str) -> str:
    """``text`` (Markup stays Markup: a run of as_run) with the "_" of {_{ }_} {_% %_} kept."""
    if "_" not in text:
        return text
    out = _DOCXTPL_ESCAPES.sub(_KEPT, text)
    return Markup(out) if isinstance(text, Markup) else out


def _check_binop(op: str, left: Any, right: Any, limits: type[TemplateLimits]) -> None:
    numbers = (int, float)
    if op == "%" and isinstance(left, str):
        raise OverBudget("模板不能用 % 格式化文字")
    if op == "**" and isinstance(left, numbers) and isinstance(right, numbers) and abs(left) > 1 and (
            right > 64 or (isinstance(left, int) and left.bit_length() * right > 1024)):
        raise OverBudget("模板中的乘方过大")
    if op == "*":
        seq, n = (left, right) if isinstance(right, int) else (right, left)
        if isinstance(n, int) and _size(seq) and _expanded(seq, limits.text) * max(n, 0) > limits.text:
            raise OverBudget(f"模板生成的文字超过 {limits.text:,} 个字符")
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > 128:
            raise OverBudget("模板中的乘积过大")
    if op == "+" and (_size(left) or _size(right)) and (
            _expanded(left, limits.text) + _expanded(right, limits.text) > limits.text):
        raise OverBudget(f"模板生成的文字超过 {limits.text:,} 个字符")


#: the loop steps (TemplateLimits.work) an item made by a filter applied item by item costs: map('f')
#: calls the filter through the sandbox, about ten times a loop step's time
FILTERED_ITEM_STEPS = 10


def _bounded_filter(name: str, f: Callable[..., Any], limits: type[TemplateLimits],
                    charge: Callable[[Any, int], Any]) -> Callable[..., Any]:
    """A filter whose integer arguments (widths, counts) are bounded and whose result is checked and
    charged (``charge``): a result made item by item (map, select, batch …) as each item is made."""
    if name in ("d", "default"):
        return f
    passed = getattr(f, "jinja_pass_arg", None)  # a context, eval context or environment comes first
    skip = 2 if passed else 1  # ... then the value filtered, then the filter's arguments

    def bounded(*args: Any, **kwargs: Any) -> Any:
        for a in (*args[skip:], *kwargs.values()):
            if isinstance(a, (int, float)) and not isinstance(a, bool) and abs(a) > limits.number:
                raise OverBudget(f"过滤器“{name}”的参数 {a} 过大（最大 {limits.number:,}）")
        if name in _WRITING and isinstance(args[skip - 1], (list, tuple, dict)) and (
                _expanded(args[skip - 1], limits.output) > limits.output):  # a list of lists made text
            raise OverBudget(f"过滤器“{name}”生成的内容过大")
        out = f(*args, **kwargs)
        if _size(out) > limits.output:
            raise OverBudget(f"过滤器“{name}”生成的内容过大")
        if isinstance(out, Iterator):  # each item it makes costs what a loop's step with a filter in it costs
            return (charge(item, FILTERED_ITEM_STEPS) for item in out)
        return charge(out, len(out) if isinstance(out, (list, tuple, dict)) else 0)

    if passed:
        bounded.jinja_pass_arg = passed  # type: ignore[attr-defined]
    return bounded


#: filters that write their value out as text (a list given to them is made text whole)
_WRITING = frozenset(("capitalize", "center", "e", "escape", "forceescape", "lower", "string", "striptags", "title",
                      "trim", "truncate", "upper", "wordcount"))


def _bounded_join(join: Callable[..., Any], limits: type[TemplateLimits]) -> Callable[..., Any]:
    """``join`` that measures what it joins and its separators before joining (a long separator
    between many rows, a list of lists)."""

    def bounded(eval_ctx: Any, value: Any, d: Any = "", attribute: Any = None) -> Any:
        if isinstance(value, (list, tuple, str)) and (
                len(str(d)) * len(value) + _expanded(value, limits.text) > limits.text):
            raise OverBudget(f"过滤器“join”生成的文字超过 {limits.text:,} 个字符")
        return join(eval_ctx, value, d, attribute)

    bounded.jinja_pass_arg = join.jinja_pass_arg  # type: ignore[attr-defined]
    return bounded


def _bounded_sum(total: Callable[..., Any]) -> Callable[..., Any]:
    """``sum`` of numbers only: summing lists (``sum(start=[])``) copies the growing list at each
    item, which is quadratic."""

    def bounded(environment: Any, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
        if not isinstance(start, (int, float)) or isinstance(start, bool):
            raise OverBudget("过滤器“sum”只能对数字求和")
        return total(environment, iterable, attribute, start)

    bounded.jinja_pass_arg = total.jinja_pass_arg  # type: ignore[attr-defined]
    return bounded


def _bounded_replace(limits: type[TemplateLimits]) -> Callable[..., Any]:
    """``replace`` that measures its result before building it (``""`` replaced by a long text
    would multiply the input)."""
    from jinja2.filters import do_replace

    def replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: int | None = None) -> Any:
        text, old, new = str(s), str(old), str(new)
        hits = text.count(old) if old else len(text) + 1
        if count is not None and count >= 0:
            hits = min(hits, count)
        if len(text) + hits * (len(new) - len(old)) > limits.text:
            raise OverBudget(f"过滤器“replace”生成的文字超过 {limits.text:,} 个字符")
        return do_replace(eval_ctx, s, old, new, count)

    replace.jinja_pass_arg = do_replace.jinja_pass_arg  # type: ignore[attr-defined]
    return replace


# ---------------------------------------------------------------------------------------------
# Runs: what {{r … }} inserts


class Run(str):
    """Text that, inserted with ``{{r … }}``, is a run of its own with these properties (a
    highlighted placeholder, the bold notice); inserted with ``{{ … }}`` it is plain text."""

    bold: bool = False
    highlight: str = ""  # a named highlight colour (ST_HighlightColor): "yellow"

    def __new__(cls, text: str, *, bold: bool = False, highlight: str = "") -> Run:
        run = super().__new__(cls, text)
        run.bold, run.highlight = bold, highlight
        return run


def as_run(value: Any) -> Markup:
    """The XML of a run holding ``value`` as text (``{{r … }}`` places its value between runs: a
    plain string there would be text outside any <w:t>, which Word and LibreOffice do not show).
    Run properties are written in the schema's order (ECMA-376 CT_RPr: b, bCs, …, highlight)."""
    text = "" if value is None else str(value)
    props = ""
    if isinstance(value, Run):
        props = ("<w:b/><w:bCs/>" if value.bold else "") + (
            f'<w:highlight w:val="{escape(value.highlight)}"/>' if value.highlight else "")
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    lines = [escape(line, quote=False) for line in text.split("\n")]
    body = '</w:t><w:br/><w:t xml:space="preserve">'.join(lines)
    return Markup(f'<w:r>{rpr}<w:t xml:space="preserve">{body}</w:t></w:r>')


# ---------------------------------------------------------------------------------------------
# The file


_TAG = re.compile(r"\{[{%#]|[}%#]\}")
# docxtpl's first step: a tag's braces split by run boundaries ({<w:t>…</w:t>{ ) brought together
_SPLIT_OPEN = re.compile(r"(?<={)(<[^>]*>)+(?=[\{%\#])|(?<=[%\}\#])(<[^>]*>)+(?=\})", re.DOTALL)
_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_R_TAG = re.compile(r"(?<=</w:r>)\{\{ (.*?)\}\}(?=<w:r[ >])", re.DOTALL)


def vet_template(path: Path) -> bytes:
    """The template's bytes, if it is a Word document within the limits whose tags pair up."""
    from selfeval_xl.core.inputs import InputError, read_limited
    from selfeval_xl.ooxml import Package

    limits = TemplateLimits
    try:
        data = read_limited(path, limits.max_file_bytes, "报告模板")  # a regular file, never a FIFO or device
    except InputError as exc:
        raise ReportTemplateError(str(exc)) from None
    except OSError as exc:
        raise _error(path, f"无法读取（{exc.strerror or type(exc).__name__}）") from None
    if not data.startswith(b"PK\x03\x04"):
        raise _error(path, "不是 Word 文档（.docx）")
    try:
        package = Package(data, limits.package)
        package.verify_reachable_parts()
        main = next((r.part for r in package.rels("") if r.kind == "officeDocument" and r.part), "")
    except Rejected as rej:
        raise _error(path, _REJECTED.get(rej.code, "文件已损坏") + (f"（{rej.detail}）" if rej.detail else "")) from None
    kind = package.content_type(main) if main else ""
    if kind != WORD_MAIN:
        word = "wordprocessingml" in kind or "ms-word" in kind  # a .dotx or .docm under another name
        raise _error(path, ("是 Word 模板（.dotx）或启用宏的文档（.docm）" if word else "不是 Word 文档（.docx）")
                     + "；请用 Word 或 WPS 另存为 .docx")
    for part in package.reachable():
        if any(kind in package.content_type(part) for kind in _RENDERED):
            _check_tags(path, part, package.read(part).decode("utf-8", "replace"), limits)
    return data


#: the parts docxtpl renders (by content type): the body, headers, footers, footnotes, core properties
_RENDERED = ("document.main+xml", "header+xml", "footer+xml", "footnotes+xml", "core-properties+xml")
_REJECTED = {"F002": "不是 Word 文档（.docx）", "F003": "文件已损坏", "F004": "文件已加密",
             "F006": "文件超出了安全限制（大小、部件数量或压缩比）", "F007": "文件含有不安全的 XML 内容（实体定义或外部引用）"}


def _check_tags(path: Path, part: str, xml: str, limits: type[TemplateLimits]) -> None:
    """Every {{ / {% / {# is closed before the next one opens, and there are not too many: docxtpl's
    regular expressions scan from each opening to its closing, so unclosed tags would cost the
    square of the part's length."""
    xml = _SPLIT_OPEN.sub("", xml)
    opened = ""
    count = 0
    for m in _TAG.finditer(xml):
        tok = m.group()
        if tok[0] == "{":
            if opened:
                raise _error(path, f"{_part_name(part)}中的模板标记“{opened}”没有闭合就开始了下一个“{tok}”")
            opened = tok
            count += 1
            if count > limits.max_tags:
                raise _error(path, f"{_part_name(part)}中的模板标记超过 {limits.max_tags:,} 个")
        elif opened and tok[0] == _CLOSES[opened[1]]:
            opened = ""
    if opened:
        raise _error(path, f"{_part_name(part)}中的模板标记“{opened}”没有闭合")


_CLOSES = {"{": "}", "%": "%", "#": "#"}


def _part_name(part: str) -> str:
    if "header" in part:
        return "页眉"
    if "footer" in part:
        return "页脚"
    if "footnote" in part:
        return "脚注"
    if part.startswith("docProps/"):
        return "文档属性"
    return "正文"


def _error(path: Path, why: str) -> ReportTemplateError:
    return ReportTemplateError(f"报告模板“{path.name}”无法使用：{why}。文件位置：{path}")


def render_docx(path: Path, data: bytes, context: dict[str, Any]) -> bytes:
    """The report: the vetted template ``data`` (from ``path``, for messages) rendered with
    ``context`` in a fresh sandbox. Raises ReportTemplateError for anything the template does."""
    from docxtpl import DocxTemplate
    from lxml import etree

    env = ReportEnvironment()

    class Document(DocxTemplate):
        def patch_xml(self, src_xml: str) -> str:
            # {{r x }} with any value (a plain string included) becomes a run of its own
            return _R_TAG.sub(lambda m: "{{ (" + m.group(1).strip() + ")|as_run }}", super().patch_xml(src_xml))

        def render_xml_part(self, src_xml: str, part: Any, context: dict[str, Any], jinja_env: Any = None) -> str:
            return super().render_xml_part(src_xml, part, context, jinja_env).replace(_KEPT, "_")

        def render_properties(self, context: dict[str, Any], jinja_env: Any = None) -> None:
            super().render_properties(context, jinja_env)
            props = self.docx.core_properties
            for name in ("author", "comments", "identifier", "language", "subject", "title"):
                value = getattr(props, name)
                if isinstance(value, str) and _KEPT in value:
                    setattr(props, name, value.replace(_KEPT, "_"))

        def map_tree(self, tree: Any) -> None:
            # lxml moves the rendered body (parsed as a document of its own) into the template's node
            # by node, and looks the xml: namespace of each xml:space up again: the time grew with the
            # square of the runs (a report of 10,000 rows spent 11 of its 18 s there). The attributes
            # are taken off for the move and put back after it.
            spaced = [(el, el.get(_SPACE)) for el in tree.xpath("//*[@xml:space]")]
            for el, _value in spaced:
                del el.attrib[_SPACE]
            super().map_tree(tree)
            for el, value in spaced:
                el.set(_SPACE, value)

        def build_xml(self, context: dict[str, Any], jinja_env: Any = None) -> str:
            xml = super().build_xml(context, jinja_env)
            try:  # docxtpl parses it with recover=True, which would quietly drop what does not nest
                etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, huge_tree=False))
            except etree.XMLSyntaxError as exc:
                if "limit" in str(exc).lower():  # libxml2's bounds on one text node or the depth
                    raise _error(path, "模板生成的一段文字过长或嵌套过深") from None
                raise _error(path, f"模板的标记把 Word 的段落或表格拆开了（{{%p … %}} 与 {{%tr … %}} 要成对放在同一层）：{exc}") from None
            return xml

    try:
        doc = Document(io.BytesIO(data))
        doc.render(context, env, autoescape=True)
        out = io.BytesIO()
        doc.save(out)
    except ReportTemplateError:
        raise
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError, RecursionError, SyntaxError,
            AttributeError, etree.LxmlError, MemoryError) as exc:
        raise _error(path, _explain(exc, list(context))) from None
    return out.getvalue()


def _explain(exc: BaseException, names: list[str]) -> str:
    """What went wrong, in the clerk's words, with where (docxtpl puts a line per paragraph)."""
    where = ""
    context = getattr(exc, "docx_context", None)
    if context is not None:
        text = " ".join(s.strip() for s in context if s.strip())
        where = f"（位置：{text[:120]}）" if text else ""
    elif isinstance(exc, TemplateSyntaxError) and exc.lineno:
        where = f"（第 {exc.lineno} 段附近）"
    if isinstance(exc, (Forbidden, OverBudget)):
        return f"{exc.message}{where}"
    if isinstance(exc, UndefinedError):
        return f"模板使用了报告数据中没有的名称或属性（{exc.message}；报告数据的名称：{'、'.join(names)}）{where}"
    if isinstance(exc, TemplateSyntaxError):
        return f"模板标记的写法有误：{exc.message}{where}"
    if isinstance(exc, MemoryError):
        return f"生成报告所需的内存超出了限制（报告过大，或模板反复生成长文字）{where}"
    if isinstance(exc, (RecursionError, SyntaxError)):  # SyntaxError: Python's own limit on nested blocks
        return f"模板嵌套过深{where}"
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"模板在生成报告时出错：{message}{where}"


"""The command line in Chinese: click's own texts translated, and console streams that never lose a
report to an encoding error.

click marks its texts for gettext (``_`` and ``ngettext`` in each of its modules); ``speak_chinese``
puts a translation of them in their place. ``safe_streams`` makes stdout and stderr replace a
character the console's encoding lacks (a GBK console on Chinese Windows, or ``PYTHONIOENCODING=gbk``)
instead of ending the program with UnicodeEncodeError.
"""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click

__all__ = ["TEXTS", "safe_streams", "speak_chinese"]

TEXTS = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Path": "路径",
    "File": "文件",
    "Directory": "文件夹",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "输入“{command} {option}”查看帮助。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "Missing command.": "缺少命令。",
    "No such command {name!r}.": "没有“{name}”这个命令。",
    "No such option {name!r}.": "没有“{name}”这个选项。",
    "Option {name!r} does not take a value.": "选项“{name}”不接受值。",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Aborted!": "已中止。",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name}“{filename}”不存在。",
    "{name} {filename!r} is a directory.": "{name}“{filename}”是文件夹，这里要给一个文件。",
    "{name} {filename!r} is a file.": "{name}“{filename}”是文件，这里要给一个文件夹。",
    "{name} {filename!r} is not readable.": "{name}“{filename}”无法读取。",
    "{name} {filename!r} is not writable.": "{name}“{filename}”无法写入。",
    "{name} {filename!r} is not executable.": "{name}“{filename}”无法执行。",
    "Could not open file {filename!r}: {message}": "无法打开文件“{filename}”：{message}",
    "{value!r} is not a valid {number_type}.": "“{value}”不是有效的数字。",
    "{value} is not in the range {range}.": "{value} 不在 {range} 的范围内。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Option {name!r} requires an argument.": "选项“{name}”需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项“{name}”需要 {nargs} 个值。",
    "{value!r} is not {choice}.": "“{value}”不是 {choice}。",
    "{value!r} is not one of {choices}.": "“{value}”不是 {choices} 之一。",
    "Did you mean {possibility}?": "是不是 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是不是以下之一：{possibilities}？）",
}


def _(message: str) -> str:
    return TEXTS.get(message, message)


def _n(singular: str, plural: str, n: int) -> str:
    return _(singular if n == 1 else plural)


def speak_chinese() -> None:
    """Put the translations in place of click's gettext in each of its modules, and Chinese
    punctuation in place of the English that click adds around them (``'文件...'.``, the space
    before a suggestion)."""
    import importlib

    import click

    for name in ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils"):
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = _  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _n  # type: ignore[attr-defined]
    setattr(click.MissingParameter, "format_message", _missing)  # noqa: B010 (a method replaced, on purpose)
    setattr(click.BadParameter, "format_message", _bad_value)  # noqa: B010
    setattr(click.Choice, "get_invalid_choice_message", _not_a_choice)  # noqa: B010
    for cls in (click.NoSuchOption, click.exceptions.NoSuchCommand):
        setattr(cls, "format_message", _suggesting)  # noqa: B010

    class ChineseHelp(click.HelpFormatter):
        """click's help, its headings ended by a full-width colon (选项：, 命令：) as 用法： is."""

        def write_heading(self, heading: str) -> None:
            self.write(f"{'':>{self.current_indent}}{heading}：\n")

    click.Context.formatter_class = ChineseHelp


#: what click calls a parameter, in the message of a missing one
_PARAM_TYPES = {"argument": "参数", "option": "选项"}


def _hint(self: click.BadParameter) -> str:
    """The parameter an error is about, without click's English quotes: '-o / --output-dir'."""
    if self.param_hint is not None:
        hint = self.param_hint if isinstance(self.param_hint, str) else " / ".join(self.param_hint)
    else:
        hint = self.param.get_error_hint(self.ctx) if self.param is not None else ""
    return hint.replace("'", "")


def _bad_value(self: click.BadParameter) -> str:
    """"“--format”的值无效：…" (click writes "'--format' 的值无效")."""
    hint = _hint(self)
    return f"“{hint}”的值无效：{self.message}" if hint else f"值无效：{self.message}"


def _not_a_choice(self: click.Choice, value: object, ctx: object) -> str:
    """"“xml”不是可选的值（可选：“text”、“json”）。"."""
    return f"“{value}”不是可选的值（可选：{'、'.join(f'“{c}”' for c in self.choices)}）。"


def _missing(self: click.MissingParameter) -> str:
    """"缺少参数“文件...”。" (click writes "Missing argument '文件...'.")."""
    hint = _hint(self)
    kind = self.param_type or (self.param.param_type_name if self.param is not None else "")
    text = f"缺少{_PARAM_TYPES.get(kind, '参数')}" + (f"“{hint}”" if hint else "") + "。"
    extra = self.param.type.get_missing_message(param=self.param, ctx=self.ctx) if self.param is not None else None
    return text + "".join(x for x in (self.message, extra) if x)


def _suggesting(self: click.NoSuchOption | click.exceptions.NoSuchCommand) -> str:
    """"没有“chek”这个命令。是不是“check”？" (click puts a space and English quotes between)."""
    if not self.possibilities:
        return self.message
    names = "、".join(f"“{p}”" for p in sorted(self.possibilities))
    return self.message + (f"是不是{names}？" if len(self.possibilities) == 1 else f"是不是以下之一：{names}？")


def safe_streams() -> None:
    """stdout and stderr replace what their encoding cannot write, instead of raising."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, io.TextIOWrapper) and (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(errors="replace")

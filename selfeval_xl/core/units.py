"""One unit is one unit: 单位编码 and 主管部门 compared in one normal form.

A Chinese input method types full-width digits (４１０１０５), a paste from a web page or a chat
brings zero-width spaces, a byte-order mark or no-break spaces; none of them shows in a cell. Two
submissions of one unit must still meet as one unit wherever units are matched (the consolidation's
duplicates and groups, ``--units`` and ``--dept``, ``--previous``, the summary's 主管部门合计).
``unit_key`` is that normal form: Unicode NFKC (full-width forms folded to ASCII), the digits of
other scripts as ASCII digits, every invisible character and every space removed, letters in upper
case (统一社会信用代码 are written so).
"""

from __future__ import annotations

import unicodedata

__all__ = ["as_written", "how_name_typed", "how_typed", "unit_key", "visible"]

#: Unicode categories that never show: format characters (zero-width space, zero-width joiners, the
#: byte-order mark, the soft hyphen, direction marks), controls, stray combining marks, every space
_INVISIBLE_CATEGORIES = frozenset(("Cf", "Cc", "Mn", "Me", "Zs", "Zl", "Zp"))
#: letters that are drawn as nothing (Hangul fillers, the braille blank)
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _invisible(ch: str) -> bool:
    return ch in _BLANK_LETTERS or unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def _ascii_digit(ch: str) -> str:
    """A decimal digit of another script (Arabic-Indic ٤, Devanagari ४ …, which NFKC keeps) as the
    digit it is; every other character as it is."""
    if ch.isascii():
        return ch
    value = unicodedata.decimal(ch, None)
    return ch if value is None else str(value)


def unit_key(text: str) -> str:
    """A 单位编码 or a 主管部门 as compared ('４１０１０５\u200b０２１ ' -> '410105021')."""
    return "".join(_ascii_digit(ch) for ch in unicodedata.normalize("NFKC", text) if not _invisible(ch)).upper()


def how_typed(text: str) -> list[str]:
    """What makes ``text`` differ from its normal form, as a clerk would name it; empty when it
    is typed in the normal form."""
    found = []
    if any(_invisible(ch) and ch != " " and not unicodedata.category(ch).startswith("Z") for ch in text):
        found.append("不可见字符")
    if any(unicodedata.category(ch).startswith("Z") for ch in text):
        found.append("空格")
    if any(unicodedata.normalize("NFKC", ch) != ch for ch in text if not _invisible(ch)):
        found.append("全角字符")
    if any(_ascii_digit(ch) != ch for ch in unicodedata.normalize("NFKC", text)):
        found.append("其他文字的数字")
    if any(ch != ch.upper() for ch in unicodedata.normalize("NFKC", text)):
        found.append("小写字母")
    return found


def as_written(name: str) -> str:
    """A name (主管部门) as it should be typed, and as it is shown for all the ways it was typed: no
    invisible characters or spaces, full-width letters and digits half-width; Chinese punctuation
    (full-width brackets) as typed, as names are written. Its ``unit_key`` is the name's."""
    out = []
    for ch in name:
        if _invisible(ch):
            continue
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if folded.isascii() and folded.isalnum() else ch)
    return "".join(out)


def how_name_typed(name: str) -> list[str]:
    """What makes a name differ from ``as_written``, as a clerk would name it."""
    found = []
    if any(_invisible(ch) and not unicodedata.category(ch).startswith("Z") for ch in name):
        found.append("不可见字符")
    if any(unicodedata.category(ch).startswith("Z") for ch in name):
        found.append("空格")
    if any(as_written(ch) != ch and not _invisible(ch) for ch in name):
        found.append("全角字母或数字")
    return found


def visible(text: str) -> str:
    """``text`` with each invisible character written out ('410105[U+200B]021'), so a message can
    show what was typed."""
    return "".join(f"[U+{ord(ch):04X}]" if _invisible(ch) and ch != " " else ch for ch in text)

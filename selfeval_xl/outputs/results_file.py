"""results.json read back (bounded, validated line by line) and findings.csv written: what the
consolidation, a resumed batch and a bureau's own scripts read of a batch."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from selfeval_xl.core.sanitize import atomic_write, csv_cell, display_name
from selfeval_xl.outputs.results import UnitResult

if TYPE_CHECKING:
    from selfeval_xl.outputs.results_validation import Result

RESULTS_JSON = "results.json"
FINDINGS_CSV = "findings.csv"



class ResultsFileError(ValueError):
    """A results.json that cannot be read as a batch wrote it; the message is in Chinese and names
    the file (and the result and line where one is to blame)."""


#: the largest result object (one line of results.json) read back, and written: a batch records a
#: file whose result would be larger as F006. 20,000 indicator rows make about 17 MiB; parsing a
#: line costs at most about 24 times its size (a line of empty lists), so this bounds the memory.
MAX_RESULT_BYTES = 32 << 20
_RESULTS = f"审核结果（{RESULTS_JSON}）"


def read_results(file: Path, model: type[Result] | None = None) -> Iterator[UnitResult]:
    """The results of a results.json, each validated against ``model`` (``Result``, what the
    consolidation reads, by default; ``PreviousResult`` for ``--previous``) and read into the typed
    result (``results_validation.parse_result``), one at a time. Every way it can fail, from an absent file to
    a wrong value in the 3,000th result, raises ResultsFileError in Chinese naming the file."""
    from selfeval_xl.core.inputs import InputError, LineTooLong
    from selfeval_xl.outputs.results_validation import ValidationError, parse_result, problem

    position = "", 0
    try:
        for index, line, obj in _numbered_results(file):
            position = f"第 {index} 个结果（第 {line} 行）", line
            yield parse_result(obj, model)
    except FileNotFoundError:
        raise ResultsFileError(f"找不到 {file}（应是 batch 的输出文件夹或其中的 {RESULTS_JSON}）") from None
    except PermissionError:
        raise ResultsFileError(f"没有权限读取 {file}") from None
    except IsADirectoryError:
        raise ResultsFileError(f"{file} 是文件夹，其中没有 {RESULTS_JSON}") from None
    except InputError as exc:
        raise ResultsFileError(str(exc)) from None
    except OSError as exc:
        raise ResultsFileError(f"无法读取 {file}（{exc.strerror or '读取出错'}）") from None
    except LineTooLong as exc:
        raise ResultsFileError(f"{file} 第 {exc.line} 行超过 {MAX_RESULT_BYTES >> 20} MiB（batch 写出的每个结果都小于此），"
                               f"不是 batch 写出的 {RESULTS_JSON}") from None
    except UnicodeDecodeError:
        raise ResultsFileError(f"{file} 不是 UTF-8 编码的文本，不是 batch 写出的 {RESULTS_JSON}") from None
    except _NotJSON as exc:
        raise ResultsFileError(f"{file} 第 {exc.line} 行{exc.reason}，不是 batch 写出的 {RESULTS_JSON}") from None
    except ValidationError as exc:
        raise ResultsFileError(f"{file} {position[0]}：{problem(exc)}，不是 batch 写出的 {RESULTS_JSON}") from None
    except MemoryError:
        raise ResultsFileError(f"{file} {position[0]}的内容过多，内存不足，无法读取") from None


class _NotJSON(ValueError):
    def __init__(self, line: int, reason: str):
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a batch writes")


def loads_strict(text: str | bytes) -> Any:
    """Strict JSON: NaN and Infinity are refused, as the batch never writes them. Raises ValueError
    (RecursionError for nesting deeper than Python's recursion limit lets json follow)."""
    return json.loads(text, parse_constant=_no_constant)


def _parsed(data: bytes, line: int) -> Any:
    """One piece of JSON in UTF-8; _NotJSON with the line it starts on and why, for anything that
    is not (UnicodeDecodeError for what is not UTF-8)."""
    text = data.decode("utf-8")  # UnicodeDecodeError: json.loads would guess UTF-16 from bytes
    try:
        return loads_strict(text)
    except RecursionError:
        raise _NotJSON(line, "嵌套过深") from None
    except json.JSONDecodeError as exc:
        raise _NotJSON(line + exc.lineno - 1, "不是有效的 JSON") from None
    except ValueError:  # NaN, Infinity, an integer of thousands of digits
        raise _NotJSON(line, "有 batch 不会写出的数值（NaN、Infinity 或过长的整数）") from None


def iter_results(file: Path) -> Iterator[Any]:
    """The objects of a results.json, one at a time, never the whole file (see _numbered_results)."""
    return (obj for _index, _line, obj in _numbered_results(file))


def _numbered_results(file: Path) -> Iterator[tuple[int, int, Any]]:
    """(position from 1, line, object) of each result of a results.json. A batch writes one object
    a line inside the array, which is read line by line, each line at most MAX_RESULT_BYTES; any
    other layout is parsed whole, when the file is no larger than that. Only a regular file is
    opened (a FIFO or a device is refused before it is read). Raises OSError, InputError,
    LineTooLong, UnicodeDecodeError or _NotJSON; what each object holds is the caller's to check."""
    from selfeval_xl.core.inputs import InputError, iter_lines, open_regular

    with open_regular(file, _RESULTS) as fh:
        lines = iter_lines(fh, MAX_RESULT_BYTES)
        first = next(lines, (1, b""))[1].removeprefix(b"\xef\xbb\xbf")
        if first.strip() == b"[":
            index = 0
            for number, line in lines:
                line = line.strip().rstrip(b",")
                if line and line != b"]":
                    index += 1
                    yield index, number, _parsed(line, number)
            return
        rest = fh.read(MAX_RESULT_BYTES + 1 - len(first))
        if len(first) + len(rest) > MAX_RESULT_BYTES:
            raise InputError(f"{file} 不是每行一个结果的格式，又超过 {MAX_RESULT_BYTES >> 20} MiB，"
                             f"不是 batch 写出的 {RESULTS_JSON}")
        data = _parsed(first + rest, 1)
    if not isinstance(data, list):
        raise _NotJSON(1, "不是结果的列表（[…]）")
    for index, obj in enumerate(data, start=1):
        yield index, 1, obj




FINDINGS_COLUMNS = ("文件", "单位编码", "部门(单位)名称", "级别", "代码", "工作表", "单元格", "说明", "期望值", "实际值")


def csv_rows(writer: Any, r: UnitResult) -> None:
    """The findings of one result as CSV rows; no cell a spreadsheet would read as a formula."""
    file = display_name(r.file)  # one line, whatever the name holds
    for f in r.findings:
        writer.writerow([csv_cell(x) for x in (file, r.unit_code, r.unit_name, f.level_label, f.code, f.sheet, f.cell,
                                               f.message, f.expected, f.actual)])


def write_findings_csv(results: Iterable[UnitResult], path: Path) -> None:
    """findings.csv of results (UTF-8 with BOM, so Excel shows the Chinese)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(FINDINGS_COLUMNS)
    for r in results:
        csv_rows(w, r)
    atomic_write(path, ("\ufeff" + buf.getvalue()).encode("utf-8"))

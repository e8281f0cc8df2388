"""A submission with one huge text: the template filled as a department would, then one 履职目标
cell given far more characters than Excel holds (XlsxWriter, like Excel, stops at 32,767; another
program need not). The characters are random CJK, so the package is not a compression bomb."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

from selfeval_xl.form.template import write_template

from .conftest import make_samples

_ALPHABET = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 3000))
_MARK = "巨长的履职目标"


def huge_text(chars: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    return "".join(rng.choices(_ALPHABET, k=chars))


#: where the huge text goes: the first 履职目标, or one own row's 三级指标 or 实际完成值 (效益指标's last)
PLACES = ("goal", "name", "actual")


def make_huge_submission(path: Path, chars: int, seed: int = 1, where: str = "goal") -> Path:
    """The bureau sample with one text ``chars`` characters long (``where``: one of PLACES)."""
    import dataclasses

    f = make_samples.bureau()
    if where == "goal":
        f.goals = [_MARK, *f.goals[1:]]
    else:
        rows = f.own["效益指标"]
        rows[-1] = dataclasses.replace(rows[-1], **{where: _MARK})
    tmp = path.with_name(f".{path.name}.small")
    write_template(tmp, filling=f)
    text = huge_text(chars, seed)
    with zipfile.ZipFile(tmp) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/sharedStrings.xml":
                assert _MARK.encode() in data
                data = data.replace(_MARK.encode(), text.encode(), 1)
            dst.writestr(info.filename, data)
    tmp.unlink()
    return path

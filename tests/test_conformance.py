"""Every valid way of writing OOXML reads the same (issue 13.3).

Each sample is rewritten in every form of tests/conformance.py; each variant must give exactly the
assessment of the original (scores, rows, findings with their messages), and a scored copy whose
every XML part is well-formed, which LibreOffice opens. Files LibreOffice re-saved read the same too.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from selfeval_xl.check.assess import assess
from selfeval_xl.check.read import read_submission
from selfeval_xl.core import names as S
from selfeval_xl.outputs.results import unit_result
from selfeval_xl.outputs.scored_copy import write_scored_copy

from .conformance import REWRITES, SERIAL_FORMS, variants
from .conftest import make_samples
from .libreoffice import convert

pytestmark = pytest.mark.slow  # every sample written every way: some 110 files, each assessed and copied

NAMES = [*SERIAL_FORMS, *REWRITES, "rewrites_and_forms"]


def _key(a) -> dict:
    d = unit_result(a).to_json_dict()
    d.pop("file"), d.pop("sha256")
    return d


@pytest.fixture(scope="module")
def written(sample_files, tmp_path_factory):
    """sample -> variant -> path."""
    out = tmp_path_factory.mktemp("conformance")
    files: dict[str, dict[str, Path]] = {}
    for sample, path in sample_files.items():
        folder = out / Path(sample).stem
        folder.mkdir()
        files[sample] = {}
        for name, data in variants(path).items():
            p = folder / f"{name}.xlsx"
            p.write_bytes(data)
            files[sample][name] = p
    return files


def test_every_form_is_generated(written):
    assert set(next(iter(written.values()))) == set(NAMES)


@pytest.mark.parametrize("sample", list(make_samples.SAMPLES))
def test_every_form_reads_the_same(written, sample_files, sample):
    want = _key(assess(sample_files[sample]))
    for name, path in written[sample].items():
        assert _key(assess(path)) == want, name


def _well_formed(data: bytes) -> list[str]:
    bad = []
    z = zipfile.ZipFile(io.BytesIO(data))
    for name in z.namelist():
        if name.endswith((".xml", ".rels", ".vml")):
            try:
                root = etree.fromstring(z.read(name))
            except etree.XMLSyntaxError as exc:
                bad.append(f"{name}: {exc}")
                continue
            if root.getroottree().docinfo.doctype:
                bad.append(f"{name}: DTD")
    return bad


@pytest.fixture(scope="module")
def copies(written, tmp_path_factory):
    out = tmp_path_factory.mktemp("conformance-copies")
    made = {}
    for sample, files in written.items():
        for name, path in files.items():
            a = assess(path)
            folder = out / f"{Path(sample).stem}-{name}"
            made[(sample, name)] = (a, write_scored_copy(a, folder))
    return made


def test_every_copy_is_well_formed_and_reads_back(copies):
    for (sample, name), (a, copy) in copies.items():
        assert not _well_formed(copy.read_bytes()), (sample, name, _well_formed(copy.read_bytes()))
        back = read_submission(copy)
        assert back.sheet_names[0] == S.RESULTS, (sample, name)
        verified = {r.row: r.verified for r in a.scores.rows}
        col = back.layout.ind_cols[S.VERIFIED]
        for row, v in verified.items():
            assert back.value(S.INDICATORS, f"{chr(64 + col)}{row}") == v, (sample, name, row)


@pytest.mark.libreoffice
def test_libreoffice_opens_every_copy(copies, tmp_path):
    chosen = [(k, v) for k, v in copies.items() if k[0] in ("01_杜岭街道办事处_2021.xlsx", "04_金水区人民医院_2023.xlsx")]
    inputs = []
    for (sample, name), (_a, copy) in chosen:  # unique names: LibreOffice names its output by the input's
        inputs.append(tmp_path / "in" / f"{sample[:2]}-{name}.xlsx")
        inputs[-1].parent.mkdir(exist_ok=True)
        inputs[-1].write_bytes(copy.read_bytes())
    outs = convert(inputs, tmp_path / "lo", recalc=False)
    for ((sample, name), (a, _copy)), out in zip(chosen, outs, strict=True):
        back = read_submission(out)
        assert back.sheet_names[0] == S.RESULTS, (sample, name)
        assert back.workbook.sheet(S.RESULTS).cells >= 3 + len(a.findings), (sample, name)


@pytest.mark.libreoffice
def test_files_libreoffice_saved_read_the_same(sample_files, tmp_path):
    """LibreOffice opens each sample and saves it as .xlsx (its own writer: other shared strings,
    styles, attributes). Scores and every finding's code and cell are the same; a message may quote
    a saved formula value LibreOffice recalculated on saving."""
    files = list(sample_files.values())
    outs = convert(files, tmp_path / "resaved", recalc=False)
    for src, out in zip(files, outs, strict=True):
        a, b = assess(src), assess(out)
        assert (b.scores.total, b.scores.grade) == (a.scores.total, a.scores.grade), src.name
        assert [(r.row, r.verified) for r in b.scores.rows] == [(r.row, r.verified) for r in a.scores.rows]
        assert [(f.code, f.sheet, f.cell) for f in b.findings] == [(f.code, f.sheet, f.cell) for f in a.findings]
        assert not _well_formed(write_scored_copy(b, tmp_path / "copies").read_bytes())

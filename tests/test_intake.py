"""Untrusted files (intake.md): every bad file gets its F-code and a Chinese explanation."""

from __future__ import annotations

import zipfile

import pytest

from selfeval_xl.check.assess import assess
from selfeval_xl.check.intake import Limits, Rejected, check_xml_defences, open_package
from selfeval_xl.core.findings import FILE_ADVICE as F_CODES
from selfeval_xl.ooxml.zipread import Entry, check_directory

from .badfiles import make_bad_files
from .conftest import rezip

GOOD = "02_市场监督管理局_2023.xlsx"


@pytest.fixture(scope="module")
def bad_files(sample_files, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    return folder, make_bad_files(sample_files[GOOD], folder)


@pytest.mark.slow
def test_every_bad_file_gets_its_code(bad_files, sample_files):
    folder, expected = bad_files
    good = assess(sample_files[GOOD])
    for name, code in expected.items():
        a = assess(folder / name)
        if code is None:
            assert not a.failed and a.scores.total == good.scores.total, name
            continue
        assert a.failed, name
        f = a.findings[0]
        assert f.code == code, (name, f.code, f.message)
        assert F_CODES[code] in f.message  # what to do, in Chinese
        assert f.level == "错误"


def test_messages_say_what_the_file_is(bad_files):
    folder, _ = bad_files
    said = {name: assess(folder / name).findings[0].message for name in
            ("renamed_docx.xlsx", "renamed_ods.xlsx", "web_page.xls", "text.xlsx", "encrypted.xlsx", "zip_bomb.xlsx")}
    assert "Word" in said["renamed_docx.xlsx"]
    assert "ODS" in said["renamed_ods.xlsx"]
    assert "网页" in said["web_page.xls"]
    assert "文本文件" in said["text.xlsx"]
    assert "取消密码保护" in said["encrypted.xlsx"]
    assert "压缩比" in said["zip_bomb.xlsx"]


@pytest.mark.slow
def test_the_real_corpus_gets_an_answer_for_every_file():
    """The odd files of calamine's test suite: an F-code, or S101 for a workbook that is not ours."""
    from .conftest import CORPUS

    corpus = sorted((CORPUS).iterdir())
    assert len(corpus) > 100
    for path in corpus:
        a = assess(path)
        assert a.failed and a.findings, path.name
        assert a.findings[0].code in F_CODES or a.findings[0].code == "S101", path.name


def test_zip_directory_limits():
    def info(name, size, compressed):
        return Entry(name, 8, 0, 0, compressed, size, 0, (1980, 1, 1, 0, 0, 0), 0)

    limits = Limits()
    check_directory([info("a.xml", 50_000, 100)], limits)  # small parts may compress well
    for infos, words in (
        ([info("a.xml", 200_000, 1_000)], "压缩比"),
        ([info("a.xml", 300 << 20, 200 << 20)], "解压后"),
        ([info(f"p{i}.xml", 300 << 20, 200 << 20) for i in range(4)], "解压后"),
        ([info(f"p{i}.xml", 10, 10) for i in range(5001)], "部件"),
    ):
        with pytest.raises(Rejected) as exc:
            check_directory(infos, limits)
        assert exc.value.code == "F006" and words in exc.value.detail
    with pytest.raises(Rejected) as exc:  # OPC part names are case-insensitive: two of one name
        check_directory([info("xl/a.xml", 10, 10), info("xl/A.xml", 10, 10)], limits)
    assert exc.value.code == "F003"


def test_cell_limit_is_a_setting(sample_files):
    with pytest.raises(Rejected) as exc:
        open_package(sample_files[GOOD], Limits(max_cells=100)).workbook.sheet("绩效指标")
    assert exc.value.code == "F006" and "单元格" in exc.value.detail
    a = assess(sample_files[GOOD], limits=Limits(max_cells=100))
    assert a.failed and a.findings[0].code == "F006"


def test_file_size_limit_is_a_setting(sample_files):
    a = assess(sample_files[GOOD], limits=Limits(max_file_bytes=1000))
    assert a.findings[0].code == "F006"


def test_utf16_parts_are_fine_and_checked(sample_files, tmp_path):
    """A customXml part (UTF-16, as SharePoint writes them) related to the workbook is read and
    checked; a part no relationship reaches is never read (and never copied)."""
    rel = (b'<Relationship Id="rId77" Target="../customXml/item1.xml" Type="http://schemas.openxmlformats.org/'
           b'officeDocument/2006/relationships/customXml"/></Relationships>')

    def change(parts, xml, related):
        parts["customXml/item1.xml"] = xml.encode("utf-16")
        if related:
            parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(b"</Relationships>", rel)

    dtd = '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE r [<!ENTITY a "b">]><r/>'
    for name, xml, related in (("ok.xlsx", '<?xml version="1.0" encoding="utf-16"?><root/>', True),
                               ("bad.xlsx", dtd, True), ("orphan.xlsx", dtd, False)):
        rezip(sample_files[GOOD], tmp_path / name, lambda parts, x=xml, r=related: change(parts, x, r))
    assert not assess(tmp_path / "ok.xlsx").failed
    assert assess(tmp_path / "bad.xlsx").findings[0].code == "F007"
    orphan = assess(tmp_path / "orphan.xlsx")
    assert not orphan.failed
    from selfeval_xl.outputs.scored_copy import scored_copy_bytes

    assert "customXml/item1.xml" not in zipfile.ZipFile(__import__("io").BytesIO(scored_copy_bytes(orphan))).namelist()


def test_xml_defences_are_on():
    check_xml_defences()  # raises unless the parser refuses a DTD


def test_the_input_is_never_written(bad_files):
    import hashlib

    folder, expected = bad_files
    before = {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in expected}
    for n in expected:
        assess(folder / n)
    assert before == {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in expected}
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected)


@pytest.mark.slow
def test_a_cell_text_over_the_parsers_limit_is_f006_saying_so(tmp_path):
    """A text of millions of characters in one cell is well-formed XML over libxml2's 10,000,000-byte
    limit for one text node (huge_tree stays off): F006 that says the cell's text is too long, not
    F003 "not valid XML" (as before). 3,400,000 CJK characters are 10.2 MB; the file is made and
    checked in a child under a 1.5 GB address-space limit."""
    import json
    import subprocess
    import sys

    from .conftest import ROOT

    path = tmp_path / "huge.xlsx"
    make = f"from pathlib import Path; from tests.hugefile import make_huge_submission; " \
           f"make_huge_submission(Path({str(path)!r}), 3_400_000)"
    limit = ["prlimit", "--as=1500000000"]
    subprocess.run([*limit, sys.executable, "-c", make], cwd=ROOT, check=True, timeout=300)
    out = subprocess.run([*limit, sys.executable, "-m", "selfeval_xl", "check", "--format", "json", str(path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    f = json.loads(out.stdout)[0]["findings"][0]
    assert f["code"] == "F006", f
    assert f["message"].startswith("单元格文字过长：部件 xl/sharedStrings.xml 中有一段文字 3,400,000 个字符"), f
    assert "32,767" in f["message"] and F_CODES["F006"] in f["message"]


@pytest.mark.parametrize("xml, code, words", [
    (b'<sst xmlns="x"><si><t>' + b"a" * 10_000_001 + b"</t></si></sst>", "F006", "一段文字 10,000,001 个字符"),
    (b'<sst xmlns="x"><si><t>' + "目".encode() * 3_333_334 + b"</t></si></sst>", "F006", "3,333,334 个字符（10.0 MB）"),
    (b'<sst xmlns="x"><si><t a="' + b"a" * 10_000_001 + b'"/></si></sst>', "F006", "10,000,001 个字符"),
    (b'<sst xmlns="x"><si><t>' + b"a" * 9_999_000 + b"</t></si></sst>", None, ""),
    (b'<sst xmlns="x"><si><t>' + b"a" * 10_000_001 + b"</t></si>", "F003", "不是有效的 XML"),  # cut short
    (b'<sst xmlns="x"><si><t>' + b"a" * 10_000_001 + b"</x></si></sst>", "F003", "不是有效的 XML"),
    (b"<a>" * 300 + b"</a>" * 300, "F006", "嵌套 300 层"),
    (b"<a>" * 300 + b"</a>" * 299, "F003", "不是有效的 XML"),
], ids=["text", "cjk-bytes", "attribute", "under", "cut", "mismatched", "depth", "depth-cut"])
@pytest.mark.slow
def test_a_part_over_the_parsers_limits_is_told_from_a_broken_one(xml, code, words):
    """F006 only for well-formed XML over libxml2's limits (expat reads it through), saying which;
    a part that is also broken stays F003."""
    from selfeval_xl.ooxml.xml import parse

    if code is None:
        assert parse(xml, "xl/sharedStrings.xml") is not None
        return
    with pytest.raises(Rejected) as exc:
        parse(xml, "xl/sharedStrings.xml")
    assert exc.value.code == code and words in exc.value.detail, exc.value.detail

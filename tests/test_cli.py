"""The command line: check's text and JSON, exit codes, help."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from selfeval_xl.cli.commands import main

from .conftest import ROOT

SEED = "01_杜岭街道办事处_2021.xlsx"
CLEAN = "02_市场监督管理局_2023.xlsx"


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def test_check_json_has_the_contract_fields(sample_files):
    r = run("check", "--format", "json", sample_files[SEED], sample_files[CLEAN])
    assert r.exit_code == 1, r.output  # the seed has errors
    data = json.loads(r.output)
    assert len(data) == 2
    seed = data[0]
    for key in ("file", "unit_code", "unit_name", "self_total", "total", "grade", "categories", "rows", "findings"):
        assert key in seed
    assert seed["unit_name"] == "郑州市金水区杜岭街道办事处" and seed["unit_code"] == ""
    assert (seed["self_total"], seed["total"], seed["grade"]) == (96.0, 91.54, "优")
    assert seed["categories"] == {"预算执行": 10.0, "投入管理": 15.04, "产出指标": 36.5, "效益指标": 30.0}
    row = next(x for x in seed["rows"] if x["三级指标"] == "预算调整率")
    assert {k: row[k] for k in ("一级指标", "二级指标", "分值", "核定得分")} == \
        {"一级指标": "投入管理指标", "二级指标": "预算和财务管理", "分值": 2.0, "核定得分": 0.0}
    f = seed["findings"][0]
    assert set(f) >= {"code", "level", "sheet", "cell", "message", "expected", "actual"}
    assert data[1]["findings"] == []


def test_check_exit_codes(sample_files, tmp_path):
    assert run("check", sample_files[CLEAN]).exit_code == 0
    assert run("check", sample_files[SEED]).exit_code == 1
    assert run("check").exit_code == 2  # no file
    assert run("check", tmp_path / "missing.xlsx").exit_code == 2
    assert run("check", "--format", "xml", sample_files[CLEAN]).exit_code == 2
    bad = tmp_path / "rules.yaml"
    bad.write_text("version: 1\n", encoding="utf-8")
    r = run("check", "--rules", bad, sample_files[CLEAN])
    assert r.exit_code == 2 and "评分细则文件" in r.output


def test_check_text_report(sample_files):
    r = run("check", sample_files[SEED])
    out = r.output
    assert "郑州市金水区杜岭街道办事处" in out and "91.54" in out and "96.00" in out
    assert out.index("【错误】") < out.index("【警告】") < out.index("【提示】")
    assert "基本信息!B4" in out and "“单位编码”未填写" in out


def test_check_a_file_that_is_no_workbook(tmp_path):
    p = tmp_path / "empty.xlsx"
    p.write_bytes(b"")
    r = run("check", "--format", "json", p)
    assert r.exit_code == 1
    res = json.loads(r.output)[0]
    assert res["status"] == "failed" and res["findings"][0]["code"] == "F001" and res["total"] is None


def test_check_folder_expands_to_spreadsheets(sample_files):
    folder = next(iter(sample_files.values())).parent
    r = run("check", "--format", "json", folder)
    assert len(json.loads(r.output)) == len(sample_files)


def test_help_is_chinese_with_english_options():
    r = run("--help")
    assert r.exit_code == 0 and "生成申报表模板" in r.output
    r = run("check", "--help")
    assert "--format" in r.output and "--rules" in r.output and "审核" in r.output
    r = run("template", "--help")
    assert "--unit-name" in r.output and "--unit-code" in r.output and "--year" in r.output


def test_usage_and_errors_are_chinese(tmp_path):
    r = run("check")
    assert r.exit_code == 2
    assert "用法：" in r.output and "[选项]" in r.output and "缺少参数" in r.output and "文件..." in r.output
    assert "Usage" not in r.output and "Missing" not in r.output
    r = run("check", tmp_path / "无此文件.xlsx")
    assert "不存在" in r.output and "does not exist" not in r.output
    r = run("check", "--format", "xml", tmp_path)
    assert "xml" in r.output and "不是" in r.output
    r = run("nosuch")
    assert "没有" in r.output and "No such" not in r.output
    r = run("batch", tmp_path)
    assert "缺少选项" in r.output and "-o" in r.output


def test_help_has_no_english_click_texts():
    for cmd in ((), ("check",), ("score",), ("batch",), ("consolidate",), ("template",)):
        out = run(*cmd, "--help").output
        for english in ("Usage:", "Options:", "Commands:", "[OPTIONS]", "Show this message", "default:", "required]"):
            assert english not in out, (cmd, english)
    assert "必填" in run("batch", "--help").output


@pytest.mark.slow
def test_template_output_may_be_a_folder(tmp_path):
    r = run("template", "-o", tmp_path)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "申报表模板.xlsx").is_file()
    sub = tmp_path / "新文件夹"
    r = run("template", "-o", f"{sub}/")
    assert r.exit_code == 0 and (sub / "申报表模板.xlsx").is_file()


def test_template_refuses_a_name_that_is_not_xlsx(tmp_path):
    for name in ("模板.xls", "模板.xlsm", "模板"):
        r = run("template", "-o", tmp_path / name)
        assert r.exit_code == 2 and ".xlsx" in r.output, name
        assert not (tmp_path / name).exists()


@pytest.mark.slow
def test_report_survives_a_gbk_console(sample_files):
    """A Chinese Windows console is GBK: the whole report is printed, none lost to UnicodeEncodeError."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONIOENCODING="gbk")
    folder = next(iter(sample_files.values())).parent
    p = subprocess.run([sys.executable, "-m", "selfeval_xl", "check", str(folder)], capture_output=True, env=env,
                       timeout=120)
    assert p.returncode == 1, p.stderr.decode("gbk", "replace")
    out = p.stdout.decode("gbk")
    assert out.count("文件：") == len(sample_files) and "市场监督管理局" in out
    assert "郑州市金水区杜岭街道办事处" in out and "Traceback" not in p.stderr.decode("gbk", "replace")


def test_a_bug_of_ours_is_logged_and_the_other_files_checked(sample_files, monkeypatch, tmp_path):
    import importlib

    from selfeval_xl.cli import commands as cli

    assess_module = importlib.import_module("selfeval_xl.check.assess")  # the package exports a function of that name

    real = assess_module.assess

    def buggy(path, rules):
        if path.name == SEED:
            raise ZeroDivisionError("a bug")
        return real(path, rules)

    monkeypatch.setattr(assess_module, "assess", buggy)
    monkeypatch.setattr(cli, "ERROR_LOG", tmp_path / "log.txt")
    r = CliRunner().invoke(main, ["check", "--format", "json", str(sample_files[SEED]), str(sample_files[CLEAN])])
    assert r.exit_code == 3
    assert "程序内部错误" in r.stderr and "不是文件的问题" in r.stderr
    assert [x["unit_name"] for x in json.loads(r.stdout)] == ["郑州市金水区市场监督管理局"]
    log = (tmp_path / "log.txt").read_text(encoding="utf-8")
    assert "ZeroDivisionError" in log and SEED in log


@pytest.mark.slow
def test_check_imports_nothing_it_does_not_use(sample_files, tmp_path):
    """A clerk's `check` starts fast: no openpyxl, numpy, pandas, XlsxWriter, pydantic or YAML parser
    (the rules come checked from the cache after the first run)."""
    import subprocess
    import sys

    env = {**__import__("os").environ, "SELFEVAL_CACHE": str(tmp_path / "cache")}
    code = ("import sys, runpy\n"
            "sys.argv = ['selfeval-xl', 'check', sys.argv[1]]\n"
            "try:\n    runpy.run_module('selfeval_xl', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in ('openpyxl', 'numpy', 'pandas', 'xlsxwriter', 'pydantic', 'yaml', 'docx') "
            "if m in sys.modules), file=sys.stderr)\n")
    path = str(sample_files[CLEAN])
    first = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, env=env, timeout=60)
    assert "numpy" not in first.stderr and "pandas" not in first.stderr and "xlsxwriter" not in first.stderr
    again = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, env=env, timeout=60)
    assert again.stderr.strip().splitlines()[-1] == "[]", again.stderr
    assert again.stdout == first.stdout and "市场监督管理局" in again.stdout


def test_a_changed_rule_file_is_checked_again_not_taken_from_the_cache(tmp_path, sample_files, monkeypatch):
    from selfeval_xl.rules.model import RulesError, _load_cached, load_rules

    monkeypatch.setenv("SELFEVAL_CACHE", str(tmp_path / "cache"))
    rules_file = tmp_path / "r.yaml"
    text = load_rules().source and open(load_rules().source, encoding="utf-8").read()
    rules_file.write_text(text, encoding="utf-8")
    _load_cached.cache_clear()
    assert load_rules(rules_file).version == "2026.3"
    assert list((tmp_path / "cache" / "selfeval-xl").glob("rules-*.json"))
    rules_file.write_text(text.replace("categories:", "categoriez:"), encoding="utf-8")
    _load_cached.cache_clear()
    with pytest.raises(RulesError):
        load_rules(rules_file)


def test_the_cache_keeps_its_newest_entries_and_drops_the_old_format(tmp_path, monkeypatch):
    """Each changed rule file or tool version made an entry and nothing pruned them (a newcomer's
    cache held 219 pickles of the old format and 119 entries): a write keeps the newest
    CACHE_ENTRIES, removes the old pickles, and leaves what is not ours (and links) alone."""
    import os

    from selfeval_xl.rules.model import CACHE_ENTRIES, _load_cached, load_rules

    folder = tmp_path / "cache" / "selfeval-xl"
    folder.mkdir(parents=True, mode=0o700)
    for i in range(CACHE_ENTRIES + 10):
        entry = folder / f"rules-{i:032d}.json"
        entry.write_text("{}", encoding="utf-8")
        os.utime(entry, ns=(i * 10**9, i * 10**9))
    (folder / "rules-old.pickle").write_bytes(b"x")
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "elsewhere.json").write_text("{}", encoding="utf-8")
    (folder / "rules-link.json").symlink_to(tmp_path / "elsewhere.json")
    monkeypatch.setenv("SELFEVAL_CACHE", str(tmp_path / "cache"))
    _load_cached.cache_clear()
    rules_file = tmp_path / "r.yaml"
    rules_file.write_text(open(load_rules().source, encoding="utf-8").read(), encoding="utf-8")
    load_rules(rules_file)
    regular = [p for p in folder.glob("rules-*.json") if not p.is_symlink()]
    assert len(regular) == CACHE_ENTRIES
    assert not (folder / f"rules-{0:032d}.json").exists() and (folder / f"rules-{CACHE_ENTRIES + 9:032d}.json").exists()
    assert not (folder / "rules-old.pickle").exists()
    assert (folder / "notes.txt").exists() and (folder / "rules-link.json").is_symlink()
    assert (tmp_path / "elsewhere.json").exists()


def test_a_cache_that_cannot_be_written_changes_nothing(tmp_path, monkeypatch):
    """A read-only or odd home: the rules are checked each time, no temporary file is left."""
    from selfeval_xl.rules.model import _load_cached, load_rules

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("SELFEVAL_CACHE", str(blocker))  # its 'selfeval-xl' folder cannot be made
    _load_cached.cache_clear()
    assert load_rules().version == "2026.3"
    assert [p.name for p in tmp_path.iterdir()] == ["not-a-folder"]


def test_score_and_report_take_a_name_of_254_bytes(sample_files, tmp_path):
    src = tmp_path / ("郑" * 83 + ".xlsx")  # 254 bytes, legal on Linux: its copy's name was 261 bytes
    src.write_bytes(sample_files[CLEAN].read_bytes())
    r = run("score", src, "-o", tmp_path / "out")
    assert r.exit_code == 0, r.output
    [copy] = (tmp_path / "out").iterdir()
    assert len(copy.name.encode()) <= 255 and copy.name.endswith("_审核.xlsx") and copy.name.startswith("郑" * 60)
    r = run("report", src)
    assert r.exit_code == 0, r.output
    [report] = tmp_path.glob("*_自评报告.docx")
    assert len(report.name.encode()) <= 255


def test_click_messages_have_chinese_punctuation(tmp_path):
    """What click adds around the translated texts: "'文件...'." and a space before 是不是."""
    cases = [(("check",), "缺少参数“文件...”。"), (("batch", tmp_path), "缺少选项“-o / --output-dir”。"),
             (("chek",), "没有“chek”这个命令。是不是“check”？"), (("check", "--formt", "x"), "没有“--formt”这个选项。是不是“--format”？"),
             (("check", "--format", "xml", tmp_path), "“--format”的值无效：“xml”不是可选的值（可选：“text”、“json”）。"),
             (("check", "--rules"), "选项“--rules”需要一个值。")]
    for args, said in cases:
        r = run(*args)
        assert r.exit_code == 2 and said in r.output, r.output
        last = r.output.strip().splitlines()[-1]
        assert "'" not in last and " 是不是" not in last and not last.endswith("'."), last


def test_a_word_document_is_called_what_it_is(tmp_path):
    """F002 for a genuine .docx says it is a Word document, not that its extension was changed; a
    .docx named .xlsx is said to be so named."""
    import docx

    doc = docx.Document()
    doc.add_paragraph("部门整体支出绩效自评报告")
    doc.save(tmp_path / "自评报告.docx")
    (tmp_path / "申报表.xlsx").write_bytes((tmp_path / "自评报告.docx").read_bytes())
    for name, said in (("自评报告.docx", "这是 Word 文档（.docx）。"), ("申报表.xlsx", "文件名却以“.xlsx”结尾")):
        r = run("check", "--format", "json", tmp_path / name)
        message = json.loads(r.output)[0]["findings"][0]["message"]
        assert said in message and "改了扩展名" not in message, message


@pytest.mark.parametrize("jobs", [[], ["--jobs", "2"]], ids=["one by one", "in workers"])
def test_check_logs_a_bug_of_ours_as_one_entry_and_never_through_a_link(sample_files, monkeypatch, tmp_path, jobs):
    """check's log lies in the shared temporary folder: a link planted there is not written
    through, and a file name with a newline cannot forge an entry (with --jobs too: it wrote the
    name raw and opened the log through a link)."""
    import importlib

    from selfeval_xl.cli import commands as cli

    assess_module = importlib.import_module("selfeval_xl.check.assess")
    monkeypatch.setattr(assess_module, "assess", lambda path, rules: 1 / 0)
    src = tmp_path / "a\n--- 2024-01-01 00:00:00 forged.xlsx"
    src.write_bytes(sample_files[CLEAN].read_bytes())
    files = [str(src)]
    if jobs:  # workers check two files or more
        (tmp_path / "b.xlsx").write_bytes(sample_files[CLEAN].read_bytes())
        files.append(str(tmp_path / "b.xlsx"))
    log = tmp_path / "log.txt"
    monkeypatch.setattr(cli, "ERROR_LOG", log)
    r = CliRunner().invoke(main, ["check", *jobs, *files])
    assert r.exit_code == 3
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len([x for x in lines if x.startswith("---")]) == len(files) and all(x.startswith(("---", "    ")) for x in lines)
    assert "a\\n--- 2024-01-01 00:00:00 forged.xlsx" in r.stderr
    victim = tmp_path / "victim.txt"
    victim.write_text("原样", encoding="utf-8")
    log.unlink()
    log.symlink_to(victim)
    r = CliRunner().invoke(main, ["check", *jobs, *files])
    assert r.exit_code == 3 and victim.read_text(encoding="utf-8") == "原样" and "无法记入" in r.stderr


class _Evil:
    """A pickle that runs code when it is loaded: what whoever can write the cache folder could plant."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('ran')",)


def _check_with_cache(cache, path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "SELFEVAL_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-m", "selfeval_xl", "check", "--format", "json", str(path)],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("planted", ["pickle", "fifo"])
@pytest.mark.slow
def test_a_file_planted_in_the_rule_cache_runs_nothing(tmp_path, sample_files, planted):
    """Issue 17, item 6: the compiled-rules cache sits at a path anyone can compute; a file planted
    there is never code, and a FIFO there is not waited on. The next check ignores it, runs
    nothing, and reports the same."""
    import os
    import pickle

    cache, marker = tmp_path / "cache", tmp_path / "ran"
    first = _check_with_cache(cache, sample_files[CLEAN])
    entries = [p for p in (cache / "selfeval-xl").iterdir() if not p.name.startswith(".")]
    assert entries
    for p in entries:
        if planted == "pickle":
            p.write_bytes(pickle.dumps(_Evil(marker)))
        else:
            p.unlink()
            os.mkfifo(p)
    again = _check_with_cache(cache, sample_files[CLEAN])
    assert not marker.exists()
    assert again.returncode == first.returncode and again.stdout == first.stdout


@pytest.mark.parametrize("what", ["folder", "file"])
@pytest.mark.slow
def test_a_cache_others_can_write_is_not_read(tmp_path, sample_files, what):
    """A cache entry is data, but data that chooses the rules: one in a folder (or a file) another
    user can write is not used; the rule file is checked again."""
    import os
    import stat

    cache = tmp_path / "cache"
    first = _check_with_cache(cache, sample_files[CLEAN])
    folder = cache / "selfeval-xl"
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]  # one per rule set check loads
    assert entries
    for entry in entries:
        data = json.loads(entry.read_text(encoding="utf-8"))
        data["="]["version"] = "PLANTED"
        entry.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for target in [folder] if what == "folder" else entries:
        os.chmod(target, os.stat(target).st_mode | stat.S_IWGRP | stat.S_IWOTH)
    again = _check_with_cache(cache, sample_files[CLEAN])
    assert "PLANTED" not in again.stdout and again.stdout == first.stdout


def test_the_cached_rules_are_the_checked_rules():
    """The cache's data form gives back every bundled rule set exactly (its expressions included)."""
    from selfeval_xl.rules.model import _from_data, _to_data, bundled, load_rules

    for path in bundled().values():
        rules = load_rules(path)
        assert _from_data(json.loads(json.dumps(_to_data(rules), allow_nan=False))) == rules
    with pytest.raises(ValueError):
        _from_data({"$": "system", "=": {"command": "echo"}})


def test_the_cli_reference_is_what_the_help_says():
    """docs/cli.md is every command's --help (sqlite-utils' way): a changed option or text makes
    it stale, and this test says how to make it again."""
    from selfeval_xl.cli.commands import reference

    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == reference(), \
        "docs/cli.md is stale: run `python scripts/make_docs.py`"


def test_help_headings_end_in_a_chinese_colon():
    r = run("--help")
    assert "选项：" in r.output and "命令：" in r.output and "选项:" not in r.output, r.output

"""The command line: check's text and JSON, exit codes, help."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from selfeval_xl.cli import main

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

    from selfeval_xl import cli

    assess_module = importlib.import_module("selfeval_xl.assess")  # the package exports a function of that name

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
    from selfeval_xl.rules import RulesError, _load_cached, load_rules

    monkeypatch.setenv("SELFEVAL_CACHE", str(tmp_path / "cache"))
    rules_file = tmp_path / "r.yaml"
    text = load_rules().source and open(load_rules().source, encoding="utf-8").read()
    rules_file.write_text(text, encoding="utf-8")
    _load_cached.cache_clear()
    assert load_rules(rules_file).version == "2026.3"
    assert list((tmp_path / "cache" / "selfeval-xl").glob("rules-*.pickle"))
    rules_file.write_text(text.replace("categories:", "categoriez:"), encoding="utf-8")
    _load_cached.cache_clear()
    with pytest.raises(RulesError):
        load_rules(rules_file)


def test_a_cache_that_cannot_be_written_changes_nothing(tmp_path, monkeypatch):
    """A read-only or odd home: the rules are checked each time, no temporary file is left."""
    from selfeval_xl.rules import _load_cached, load_rules

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("SELFEVAL_CACHE", str(blocker))  # its 'selfeval-xl' folder cannot be made
    _load_cached.cache_clear()
    assert load_rules().version == "2026.3"
    assert [p.name for p in tmp_path.iterdir()] == ["not-a-folder"]

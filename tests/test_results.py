"""The typed result (outputs/results.py): its JSON is the JSON the check always wrote, key for key
and byte for byte; it reads back to itself; docs/results.schema.json is made from it and every
result of the bundled samples and examples validates against that schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from selfeval_xl.check.assess import Assessment, assess
from selfeval_xl.core.findings import ERROR, INFO, WARNING
from selfeval_xl.core.numbers import read_number
from selfeval_xl.core.sanitize import cut_texts
from selfeval_xl.outputs.results import UnitResult, json_schema, schema_text, unit_result
from selfeval_xl.outputs.results_validation import parse_result
from selfeval_xl.rules.model import rules_name

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted([*(ROOT / "samples").glob("*.xlsx"), *(ROOT / "examples").glob("*/*.xlsx")])


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _before(a: Assessment) -> dict[str, Any]:
    """``Assessment.to_dict()`` as it was before the typed result (commit 60b3ce1), kept here as the
    reference the typed result's JSON must equal: a change to the JSON is a change to this too."""
    sub, sc = a.submission, a.scores
    basic = sub.basic if sub else None
    budget: dict[str, Any] = {}
    for rec in sub.budget_records if sub else []:
        if rec["key"] not in a.rates:
            v, ok = read_number(rec["数值"])
            budget[rec["key"]] = v if ok else None
    out: dict[str, Any] = {
        "file": str(a.file), "sha256": a.sha256,
        "unit_code": basic.unit_code if basic else "", "unit_name": basic.unit_name if basic else "",
        "competent_dept": basic.competent_dept if basic else "", "year": basic.year if basic else None,
        "rules_version": a.rules_version, "rules": rules_name(a.rules) if a.rules is not None else "",
        "status": "failed" if a.failed else ("errors" if a.errors else "ok"),
        "self_total": sc.self_total if sc else None, "total": sc.total if sc else None,
        "self_grade": sc.self_grade if sc else "", "grade": sc.grade if sc else "",
        "rescaled": sc.rescaled if sc else False, "provisional": sc.provisional if sc else [],
        "limits": sc.limits if sc else [],
        "categories": {c.name: c.verified for c in sc.categories} if sc else {},
        "self_categories": {c.name: c.self_score for c in sc.categories} if sc else {},
        "counts": {ERROR: a.errors, WARNING: a.warnings, INFO: a.infos},
        "budget": budget if sub else {}, "rates": dict(a.rates),
        "rows": [{"一级指标": r.level1, "二级指标": r.level2, "三级指标": r.name, "分值": r.weight, "指标值": r.target,
                  "实际完成值": r.actual, "自评得分": r.self_score, "核定得分": r.verified, "审核意见": r.opinion,
                  "行号": r.row} for r in (sc.rows if sc else [])],
        "findings": [f.to_dict() for f in a.findings],
    }
    if basic and basic.unit_code_typed != basic.unit_code:
        out["unit_code_typed"] = basic.unit_code_typed
    return cut_texts(out)


@pytest.fixture(scope="module")
def bundled() -> list[Assessment]:
    assert len(BUNDLED) >= 8  # the five samples and the examples
    return [assess(p) for p in BUNDLED]


def test_the_json_is_byte_for_byte_what_it_was(bundled, tmp_path):
    rejected = tmp_path / "不是表格.xlsx"
    rejected.write_bytes(b"not a zip")
    for a in [*bundled, assess(rejected)]:
        r = unit_result(a)
        assert _dumps(r.to_json_dict()) == _dumps(_before(a)), a.file


def test_a_result_reads_back_to_itself(bundled):
    for a in bundled:
        text = _dumps(unit_result(a).to_json_dict())
        back = UnitResult.from_json_dict(json.loads(text))
        assert back == UnitResult.from_json_dict(json.loads(text))
        assert _dumps(back.to_json_dict()) == text


def test_a_batch_failure_keeps_its_keys_and_their_order():
    """A file that failed in a batch has no "rules" nor "limits", and the batch's own keys at the end:
    None is left out, never written as null."""
    d = {"file": "a.xlsx", "sha256": "", "unit_code": "", "unit_name": "", "competent_dept": "", "year": None,
         "rules_version": "2.0", "status": "internal", "self_total": None, "total": None, "self_grade": "", "grade": "",
         "rescaled": False, "provisional": [], "categories": {}, "self_categories": {},
         "counts": {"错误": 0, "警告": 0, "提示": 0}, "budget": {}, "rates": {}, "rows": [], "findings": [], "copy": "",
         "internal_error": "KeyError: 'x'", "across_checks": "未比较"}
    r = UnitResult.from_json_dict(d)
    assert (r.rules, r.limits, r.copy, r.internal_error, r.failed, r.scored) == (None, None, "", "KeyError: 'x'", True, False)
    assert _dumps(r.to_json_dict()) == _dumps(d)


def test_the_result_is_read_by_attribute_never_by_key(bundled):
    r = unit_result(bundled[0])
    assert r.total is not None and r.rows[0].name and r.counts.errors == r.to_json_dict()["counts"]["错误"]
    with pytest.raises(TypeError):
        r["total"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        r.get("total")  # type: ignore[attr-defined]


def test_the_schema_document_is_made_from_the_typed_result():
    assert (ROOT / "docs" / "results.schema.json").read_text(encoding="utf-8") == schema_text(), \
        "docs/results.schema.json is stale: run `python scripts/make_docs.py`"


def test_the_bundled_results_validate_against_the_schema(bundled):
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    results = json.loads(_dumps([unit_result(a).to_json_dict() for a in bundled]))
    jsonschema.validate(results, schema)
    bad = json.loads(_dumps([unit_result(bundled[0]).to_json_dict()]))
    bad[0]["total"] = "99"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    bad[0]["total"] = 100.5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_a_given_result_is_validated_into_the_typed_result():
    r = parse_result({"file": "a.xlsx", "status": "ok", "total": 91, "unit_code": "001", "counts": {"错误": 2},
                      "budget": {"年初预算数": 10.5}, "rows": "not read"})
    assert (r.total, r.unit_code, r.counts.errors, r.budget["年初预算数"], r.rows, r.scored) == (91, "001", 2, 10.5, (), True)
    from selfeval_xl.outputs.results_validation import PreviousResult, ValidationError, problem

    p = parse_result({"file": "a.xlsx", "status": "ok", "rows": [{"三级指标": "x", "指标值": "≥90%"}]}, PreviousResult)
    assert (p.rows[0].name, p.rows[0].target) == ("x", "≥90%")
    with pytest.raises(ValidationError) as exc:
        parse_result({"file": "a.xlsx", "status": "ok", "total": "99"})
    assert problem(exc.value) == "total 应是数字（现为 “99”）"


#: the keys of a result's JSON, its rows', findings' and counts'
_RESULT_KEYS = {*UnitResult.__dataclass_fields__, "code", "level", "level_label", "sheet", "cell", "message", "expected",
                "actual", "一级指标", "二级指标", "三级指标", "分值", "指标值", "实际完成值", "自评得分", "核定得分", "审核意见",
                "行号", "错误", "警告", "提示"}
#: the stages after the check, and the names they give a result, a row or a finding
_STAGES = ("outputs/summary.py", "outputs/consolidation.py", "outputs/console.py", "outputs/results_file.py",
           "batch/across.py", "batch/across_process.py", "batch/worker.py", "batch/run.py", "batch/journal.py",
           "batch/pool.py", "batch/tasks.py", "batch/check_jobs.py")
_NAMES = {"r", "x", "result", "row", "res", "d"}


def test_no_stage_reads_a_result_by_key():
    """The stages read the typed result by attribute: no ``r["total"]`` nor ``r.get("copy")`` on a
    name they give a result (a dict of something else, a format or a sheet by name, is fine)."""
    import ast

    found = []
    for rel in _STAGES:
        tree = ast.parse((ROOT / "selfeval_xl" / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
                key, name = node.slice, node.value.id
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                  and isinstance(node.func.value, ast.Name) and node.args):
                key, name = node.args[0], node.func.value.id
            else:
                continue
            if name in _NAMES and isinstance(key, ast.Constant) and key.value in _RESULT_KEYS:
                found.append(f"{rel}:{node.lineno} {ast.unparse(node)}")
    assert not found, found

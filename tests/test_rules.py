"""The rule set: the default file is scoring.md, and a bad file says what is wrong with it."""

from pathlib import Path

import pytest
import yaml

from selfeval_xl.rules.model import METHODS, RulesError, default_rules_path, load_rules


def test_default_rules_are_scoring_md(rules):
    assert [(c.name, c.weight) for c in rules.categories] == [
        ("预算执行", 10), ("投入管理", 20), ("产出指标", 40), ("效益指标", 30)]
    assert [(g.grade, g.min) for g in rules.grades] == [("优", 90), ("良", 80), ("中", 60), ("差", 0)]
    common = [i for i in rules.indicators if i.level1 == "投入管理指标"]
    assert len(common) == 19
    assert sum(i.weight for i in common) == 30  # 预算执行 10 + 投入管理 20
    by_name = {i.name: i for i in rules.indicators}
    assert (by_name["预算调整率"].weight, by_name["预算调整率"].target, by_name["预算调整率"].method) == (2, "≤5%", "reverse")
    assert by_name['"三公经费"控制率'].method == "per_point" and by_name['"三公经费"控制率'].step == 0.2
    assert by_name["预算执行率"].method == "execution"
    assert {i.name for i in rules.indicators if i.level1 == "效益指标"} == {"社会公众满意度", "服务对象满意度"}
    assert len(rules.rates) == 10
    assert rules.decimals == 2


def _write(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(default_rules_path().read_text(encoding="utf-8"))
    mutate(data)
    p = tmp_path / "rules.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["categories"][2].update(weight=45), "之和应为 100"),
    (lambda d: d["indicators"][0].update(分值=2), "指标分值之和应等于类别权重分值 20"),
    (lambda d: d["indicators"][6].update(method="reverso"), "未知的评分方法 'reverso'"),
    (lambda d: d["indicators"][8].pop("step"), "indicators[8].step: 缺少此项"),
    (lambda d: d["indicators"][4].update(指标值="很多"), "正向指标（≥）的指标值应是"),
    (lambda d: d["indicators"][0].update(指标值="≥90%"), "定性指标的指标值应是 文字"),
    (lambda d: d["indicators"][3].update(分值x=1), "indicators[3].分值x: 未知的项目“分值x”，是不是“分值”？"),
    (lambda d: d["qualitative"][1].update(answers="部分达成"), "qualitative[1].answers: 应是列表"),
    (lambda d: d["categories"][1].update(weight="20"), "categories[1].weight: 应是数字"),
    (lambda d: d["indicators"][8].update(bands=[{"min": 0.9, "points": 1}]), "indicators[8].bands: 未知的项目"),
    (lambda d: d.update(over_achievement={"policy": "deduct", "at": 0.9}), "over_achievement.at: 应 > 1"),
    (lambda d: d["rates"][0].update(denominator="调整预算"), "引用了预算情况中没有的项目：调整预算"),
    (lambda d: d["rates"][0].update(numerator="__import__('os')"), "不支持的写法"),
    (lambda d: d.update(grades=[{"grade": "优", "min": 90}, {"grade": "良", "min": 95}, {"grade": "差", "min": 0}]), "从高到低"),
    (lambda d: d.update(gradez=[]), "未知的项目"),
    (lambda d: d["indicators"][5].update(rate="不存在的比率"), "没有比率"),
    (lambda d: d["qualitative"][1].update(band=[0.5, 0.8]), "首尾相接"),
])
@pytest.mark.slow
def test_bad_rule_file_says_what_is_wrong(tmp_path, mutate, expected):
    with pytest.raises(RulesError) as exc:
        load_rules(_write(tmp_path, mutate))
    assert expected in str(exc.value)
    assert str(tmp_path / "rules.yaml") in str(exc.value)


def test_every_problem_is_listed_at_once(tmp_path):
    def three(d):
        d["indicators"][6]["method"] = "nope"
        d["categories"][0]["weight"] = "十"
        d["budget"][2]["lable"] = "x"
    with pytest.raises(RulesError) as exc:
        load_rules(_write(tmp_path, three))
    text = "\n".join(exc.value.problems)
    assert len(exc.value.problems) == 3, text
    assert "indicators[6]" in text and "categories[0].weight" in text and "budget[2].lable" in text


def test_what_the_schema_cannot_say_is_listed_together(tmp_path):
    def two(d):
        d["categories"][0]["weight"] = 11
        d["rates"][0]["denominator"] = "调整预算"
    with pytest.raises(RulesError) as exc:
        load_rules(_write(tmp_path, two))
    assert len(exc.value.problems) >= 2


def test_a_bureau_can_change_numbers(tmp_path):
    def mutate(d):
        d["grades"] = [{"grade": "优", "min": 80}, {"grade": "良", "min": 70}, {"grade": "中", "min": 60}, {"grade": "差", "min": 0}]
        d["version"] = "2027.1"
    r = load_rules(_write(tmp_path, mutate))
    assert r.grade(85) == "优" and r.grade(75) == "良" and r.version == "2027.1"


def test_not_yaml(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(RulesError, match="不是有效的 YAML"):
        load_rules(p)


def test_methods_are_registered():
    assert set(METHODS) == {"execution", "positive", "equal", "reverse", "reverse_ratio", "per_point", "bands",
                            "deduction", "checklist", "qualitative", "deadline"}


def test_a_yaml_error_is_told_in_chinese_with_its_place():
    """PyYAML 6.0.4's scanner stops a file nested 1,000 deep itself, with English words; the rule
    writer reads the same Chinese sentence as for our own depth limit, with the place."""
    import yaml

    from selfeval_xl.rules.model import MAX_DEPTH, _yaml_problem

    mark = yaml.Mark("r.yaml", 0, 0, 1000, None, None)
    deep = yaml.scanner.ScannerError("while increasing flow level", mark, "exceeded maximum nesting depth", mark)
    assert _yaml_problem(deep) == f"嵌套超过 {MAX_DEPTH} 层，不是评分细则文件（第 1 行第 1001 列）"
    with pytest.raises(RulesError, match="不是有效的 YAML 文件（第 3 行第 1 列）（did not find expected node content）"):
        load_rules_text("a: 1\nb: [\n")


def load_rules_text(text: str):
    from selfeval_xl.rules.model import _parse

    return _parse(text.encode("utf-8"), "r.yaml")

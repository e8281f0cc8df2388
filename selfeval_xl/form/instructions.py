"""The 填报说明 sheet's text, made from the rule set: its categories and weights, the blocks a
department fills, its budget items, the methods it scores by (each method's own 填报说明 text with
the indicator's figures), its thresholds, its cap and its grades. A bureau that changes a figure in
its rule file sees it here; nothing is written for rules it does not have.

``sections(rules)`` is plain data (heading, [(key, text)]); ``template.py`` lays it out.
"""

from __future__ import annotations

from selfeval_xl.core.numbers import fmt_number, fmt_percent
from selfeval_xl.rules.methods import METHODS, Terms
from selfeval_xl.rules.model import CommonIndicator, Rules, Tier, Veto
from selfeval_xl.rules.targets import parse_target

__all__ = ["declared_help", "explain", "over_the_total", "qualitative_answers", "qualitative_prompt", "sections",
           "tier_forms"]

Section = tuple[str, list[tuple[str, str]]]


def explain(ind: CommonIndicator, rules: Rules) -> str:
    """A common indicator's 填报说明 sentence: its method's, with the indicator's own figures."""
    return METHODS[ind.method].explain(Terms(ind.params, ind.weight, parse_target(ind.target, rules)))


#: Excel keeps a drop-down written as a list to 255 characters
_LIST_LIMIT = 255


def qualitative_answers(word: str, rules: Rules) -> list[tuple[Tier, list[str]]]:
    """What a qualitative row with 指标值 ``word`` may be answered, tier by tier, as the reader takes
    it (targets.read_actual): the word itself (the first tier) or a tier's first prefix and the word,
    then the tier's own answers (达成年度指标, 是 …). A drop-down of them all, with the
    not-applicable word, stays within Excel's 255 characters: the tiers' own answers are left out
    from the last while it would not (the word forms always stay), and so is an answer with a comma."""
    forms = [(t, [word if not t.prefixes else t.prefixes[0] + word]) for t in rules.tiers]
    extra = [(k, a) for k, t in enumerate(rules.tiers) for a in t.answers if "," not in a]
    size = sum(len(x[0]) + 1 for _, x in forms) + len(rules.not_applicable)
    for k, answer in extra:
        taken = {a for _, answers in forms for a in answers}
        if answer not in taken and size + len(answer) + 1 <= _LIST_LIMIT:
            forms[k][1].append(answer)
            size += len(answer) + 1
    return forms


def tier_forms(rules: Rules) -> list[str]:
    """How a department writes each tier in its own rows: '“基本/部分/较”加在指标值前（部分达成）'."""
    return [f"“{'/'.join(t.prefixes)}”加在指标值前（{t.name}）" if t.prefixes else f"指标值本身（如“达标”，表示{t.name}）"
            for t in rules.tiers]


def qualitative_prompt(word: str, rules: Rules) -> str:
    """The prompt of a qualitative row's drop-down: which answer is which tier."""
    parts = [f"{tier.name}选“{answers[0]}”" for tier, answers in qualitative_answers(word, rules)]
    return "，".join(parts) + f"；不适用选“{rules.not_applicable}”"


def declared_help(rules: Rules, item: str) -> str:
    """What a clerk reads beside a 加分、扣分 or 一票否决 row of 基本信息: how to fill it, and the rule."""
    for a in rules.adjustments:
        if a.item == item:
            most = (f"加分项合计最多加 {fmt_number(rules.bonus_max)} 分" if a.bonus
                    else f"扣分项合计最多扣 {fmt_number(rules.deduction_max)} 分")
            rule = a.note or f"每次{'加' if a.bonus else '扣'} {fmt_number(abs(a.points))} 分，{most}。"
            return f"必填。填写发生的次数，没有填 0。{rule}"
    v = next(v for v in rules.vetoes if v.item == item)
    return f"必填。从下拉列表选择“是”或“否”。{v.note or _veto_rule(v)}"


def _clauses(texts: list[str], limit: str) -> str:
    """The rule file's sentences as written (each ends with its own 。), with the limit said once."""
    body = "".join(t if t.endswith("。") else t + "。" for t in texts)
    return body + ("" if limit in body else limit + "。") + "在“基本信息”中填写次数。"


def _veto_rule(v: Veto) -> str:
    effects = [f"总分最高 {fmt_number(v.max_total)} 分" if v.max_total is not None else "",
               f"评价等级定为{v.grade}" if v.grade else ""]
    return "填“是”的，" + "、".join(e for e in effects if e) + "（一票否决）。"


def over_the_total(rules: Rules) -> list[tuple[str, str]]:
    """The rules over the total, for 填报说明: 加分项、扣分项, the cap by a rate, 一票否决."""
    out = []
    bonus = [a for a in rules.adjustments if a.bonus]
    taken = [a for a in rules.adjustments if not a.bonus]
    if bonus:
        out.append(("加分项", _clauses([a.note or f"{a.item}每次加 {fmt_number(a.points)} 分" for a in bonus],
                                      f"加分项合计最多加 {fmt_number(rules.bonus_max)} 分")))
    if taken:
        out.append(("扣分项", _clauses([a.note or f"{a.item}每次扣 {fmt_number(-a.points)} 分" for a in taken],
                                      f"扣分项合计最多扣 {fmt_number(rules.deduction_max)} 分"
                                      if rules.deduction_max < 100 else "扣完为止")))
    if rules.adjustments:
        out.append(("加减后的总分", "各类别得分之和加上加分、减去扣分，最高 100 分，最低 0 分。"))
    if rules.total_cap:
        rate = next((r.label for r in rules.rates if r.key == rules.total_cap.rate), rules.total_cap.rate)
        bands = "；".join(f"低于 {fmt_percent(b, 0)} 的，总分最高 {fmt_number(t)} 分" for b, t in rules.total_cap.bands)
        out.append(("总分封顶", f"{rate}{bands}。"))
    if rules.vetoes:
        out.append(("一票否决", "；".join(f"{v.item}：{v.note or _veto_rule(v)}" for v in rules.vetoes)
                    + "在“基本信息”中选择“是”或“否”。"))
    if (rules.total_cap and rules.vetoes) or len(rules.vetoes) > 1:
        out.append(("多个上限", "同时有几个总分上限的，按最低的一个计。"))
    return out


def sections(rules: Rules) -> list[Section]:
    return [("二、填写步骤", _steps(rules)), ("三、指标值和实际完成值的写法", _writing(rules)),
            ("四、评分规则（摘要）", _scoring(rules)), ("五、常见退回原因", _returned(rules))]


def _join(names: list[str]) -> str:
    return "、".join(names)


def _steps(rules: Rules) -> list[tuple[str, str]]:
    cats = _join([f"{c.name} {fmt_number(c.weight)} 分" for c in rules.categories])
    units = sorted({b.unit for b in rules.budget if b.unit != "万元"})
    optional = [b.label for b in rules.budget if not b.required]
    counted = f"，计数的项目单位见各行说明（{'、'.join(units)}）" if units else ""
    budget = ("金额单位为万元" + counted + "。所有浅黄色单元格都要填写，没有的填 0"
              + (f"（只有“{'”“'.join(optional)}”没有时可以不填）" if optional else "")
              + "。" + ("下方各项比率自动计算，不要改动。" if rules.rates else ""))
    common = list(dict.fromkeys(i.level1 for i in rules.indicators))
    free = [fr.level1 for fr in rules.free_rows]
    reads = {METHODS[i.method].reads for i in rules.indicators}
    common_text = (f"{_join(common)}中的共性指标由模板统一给出，指标名称、分值、指标值已锁定。"
                   + ("定性指标的实际完成值从下拉列表中选择；" if "qualitative" in reads else "")
                   + ("比率类指标的实际完成值自动取自“预算情况”；" if "rate" in reads else "")
                   + ("扣分类、清单类指标的实际完成值填写发生的起数或具备的项数（整数，见指标说明）；" if "count" in reads else "")
                   + "每行填写自评得分。")
    steps = [
        ("1. 基本信息", "填写部门(单位)名称、单位编码、主管部门和评价年度（均为必填）。单位编码按文本填写，保留开头的 0。"),
        ("2. 履职目标", "每行一条年度履职目标。"),
        ("3. 主要任务", "每行一项主要任务，写明任务名称、主要内容和完成情况。"),
        ("4. 预算情况", budget),
    ]
    n = 5
    if common:
        steps.append((f"{n}. 绩效指标（共性指标）", common_text))
        n += 1
    if free:
        steps.append((f"{n}. 绩效指标（本单位指标）", f"{_join(free)}由本单位设置：填写二级指标、三级指标、分值、指标值、实际完成值和"
                      f"自评得分。{_free_weights(rules)}。行数不够时，选中该类的浅蓝灰色标题行或任一本单位指标行（整行浅黄色），"
                      "在其上方或下方插入行（Excel、WPS 右键“插入”或“在上方/下方插入行”，LibreOffice “在上方/下方插入行”），"
                      "插入的行自动计入该类；不要选共性指标行或“小计”“合计”行来插入。不用的空行留空即可。"
                      "每类下方的“小计”行显示分值合计和自评合计。"))
        n += 1
    steps += [
        (f"{n}. 偏差说明", _reasons(rules)),
        (f"{n + 1}. 得分汇总", f"按类别自动汇总，无需填写：{cats}，满分 {fmt_number(rules.total_weight)} 分。"),
        (f"{n + 2}. 问题与改进", "写明发现的主要问题、原因分析和改进措施。"),
        (f"{n + 3}. 提交前自查", "看“得分汇总”下方的“填报自查”：它随填写自动更新，列出还须改正的问题和位置（有问题的单元格已标红或标橙）。"
                               "结论显示“未发现问题”后再提交。财政部门收到后还会用审核工具检查指标值、实际完成值的写法等表格看不出的问题，"
                               "需要提前检查的，可请财政部门或本单位信息技术人员代为运行审核工具。请保存为 .xlsx 格式，不要加密码。"),
    ]
    return steps


def _free_weights(rules: Rules) -> str:
    parts = []
    for fr in rules.free_rows:
        total = sum(c.weight for c in rules.categories if c.level1 == fr.level1)
        common = sum(i.weight for i in rules.indicators if i.level1 == fr.level1)
        level2 = [f"{n} {fmt_number(w)} 分" for c in rules.categories if c.level1 == fr.level1 for n, w in c.level2]
        text = f"{fr.level1}合计 {fmt_number(total)} 分"
        if common:
            text += f"（其中共性指标 {fmt_number(common)} 分，本单位指标 {fmt_number(total - common)} 分）"
        if level2:
            text += f"，按二级指标：{_join(level2)}"
        parts.append(text)
    return "；".join(parts)


def _reasons(rules: Rules) -> str:
    cases = ["自评得分低于分值"]
    oa = rules.over_achievement
    if oa.policy != "none":
        cases.append(f"实际完成值达到指标值 {fmt_percent(oa.at, 0)} 及以上")
    execution = rules.execution
    if execution is not None:
        cases.append(f"{execution.name}低于 {fmt_percent(rules.execution_reason_below, 0)}")
    cases.append(f"标为“{rules.not_applicable}”")
    text = "、".join(cases) + "的指标，都要在“偏差原因分析及改进措施”中写明原因。"
    if oa.policy == "deduct" and oa.points:
        text += f"超额完成未说明原因的，该指标扣 {fmt_number(oa.points)} 分。"
    return text


def _writing(rules: Rules) -> list[tuple[str, str]]:
    forms = tier_forms(rules)
    answers = [a for t in rules.tiers for a in t.answers if len(a) > 1]
    qualitative = (f"定性指标填：{'、'.join(forms)}，较长的指标值也可加在谓语前（如“效果较明显”“效果不明显”）"
                   + (f"，或“{'”“'.join(answers)}”" if answers else "") + "。")
    return [
        ("指标值", "数量指标写运算符和数值：≥90%、≤5%、=100%、≥50个、不低于90%、不超过5%、90%以上、5%以内。"
                  "定性指标写一个词：相关、科学、合理、完整、达标、提升、提高等。"
                  "时效指标写完成时限：9月底前、年底前、三季度前、2024年10月31日前，或“按时完成”。"),
        ("实际完成值", "数量指标填数字或百分比，单位与指标值一致（如 96%、52个）。" + qualitative
                      + "时效指标填完成的月份或日期（如 7月、7月15日），或“按时完成”“提前完成”“未按时完成”："
                        "按时或提前完成得满分，逾期完成不得分。"),
        ("不适用", f"确实不适用的指标，实际完成值填“{rules.not_applicable}”，并在偏差原因栏说明理由；"
                  "该指标不计分，总分按其余指标折算为百分制。"),
    ]


def _scoring(rules: Rules) -> list[tuple[str, str]]:
    out = [("得分类别", _join([f"{c.name} {fmt_number(c.weight)} 分" for c in rules.categories]) + "。")]
    for c in rules.categories:
        if c.level2:
            out.append((c.name, "二级指标：" + _join([f"{n} {fmt_number(w)} 分" for n, w in c.level2]) + "。"))
    used = list(dict.fromkeys([i.method for i in rules.indicators] + list(rules.methods_for_own_rows.values())))
    for name in used:
        m = METHODS[name]
        if name == "qualitative":
            tiers = "；".join(f"{t.name}：{fmt_number(t.low * 100)}%–{fmt_number(t.high * 100)}% 的分值" for t in rules.tiers)
            out.append((m.title, f"分 {len(rules.tiers)} 档：{tiers}。自评得分须在所选档次的区间内。"))
        elif not m.params:
            out.append((m.title, m.explain(Terms())))
    for i in rules.indicators:  # each indicator scored with its own figures
        if METHODS[i.method].params:
            out.append((i.name, f"{i.weight:g} 分。{explain(i, rules)}"))
    out += over_the_total(rules)
    out.append(("取整", f"每项核定得分四舍五入保留 {rules.decimals} 位小数，且不超过该项分值"
                      f"（{_band_example(rules)}）；类别得分为各项之和，不超过类别权重分值。"))
    grades = "；".join(
        f"{g.grade}：{fmt_number(g.min)} 分及以上" if k < len(rules.grades) - 1
        else f"{g.grade}：{fmt_number(rules.grades[k - 1].min)} 分以下"
        for k, g in enumerate(rules.grades))
    out.append(("评价等级", grades + "。"))
    return out


def _band_example(rules: Rules) -> str:
    """How a half-open qualitative band reads at the rule set's precision, on a 5-point row."""
    from selfeval_xl.core.numbers import band_at, fmt_points

    tier = next((t for t in rules.tiers if not t.closed), rules.tiers[0])
    first, last = band_at(tier.low * 5, tier.high * 5, tier.closed, rules.decimals)
    return (f"如 5 分的定性指标，{tier.name}档为 {fmt_points(first, rules.decimals)}–{fmt_points(last, rules.decimals)} 分，"
            "自评得分超出所选档次的，按该档内最接近的分数核定")


def _returned(rules: Rules) -> list[tuple[str, str]]:
    labels = {b.key: b.label.removeprefix("其中：") for b in rules.budget}
    sums = [" + ".join(labels[p] for p in c.parts) + f" 应等于{labels[c.total]}" for c in rules.budget_checks if c.parts]
    limits = [f"{labels[c.left]}不应大于{labels[c.right]}" for c in rules.budget_checks if not c.parts]
    out = [("必填项为空", "基本信息必填项、预算情况任一金额、指标的分值或实际完成值没有填写。"),
           ("覆盖了公式", "在浅蓝色单元格中直接输入了数字。请恢复模板原有公式（可从空白模板复制）。")]
    if sums or limits:
        out.append(("金额不平衡", "；".join(sums + limits) + "。"))
    free = [fr.level1 for fr in rules.free_rows]
    if free:
        out.append(("分值合计不对", f"{_join(free)}各行分值之和应等于类别权重分值。"))
    out.append(("自评得分超出", "自评得分不能高于分值，定性指标的自评得分应在所选档次区间内。"))
    return out

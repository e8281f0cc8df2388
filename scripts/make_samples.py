"""Regenerate the sample submissions in samples/ by filling the generated template.

    python scripts/make_samples.py            # writes samples/*.xlsx and examples/<rule set>/*.xlsx

Each sample is the standard template (selfeval_xl.form.template, default rules) with what a department's
clerk would type. ``SAMPLES`` maps a file name to a function giving its ``Filling``; the tests
read every sample back and compare it with these inputs.

1. 杜岭街道办事处 2021: the seed report (../shared/seed), transcribed faithfully: every figure the
   report gives, blank where it gives none. Its score table (预算执行 10, 投入管理 20, 产出 36,
   效益 30 = 96) is kept; the report gives only category scores, so the per-row 自评得分 that add
   up to them are illustrative (marked ILLUSTRATIVE below).
2. 市场监督管理局 2023: a bureau, a clean submission (no findings).
3. 文化路第一小学 2022: a school with rows inserted in 产出指标 and the typical mistakes of a
   first-time filler (a formula typed over, a percentage typed as 95, components that do not add
   up, a shortfall without a reason).
4. 金水区人民医院 2023: a hospital with 不适用, a changed and a stale formula, self scores out of
   range, an unreadable target and an overshoot without explanation.
5. 花园路街道办事处 2022: a sub-district with low budget execution and a list of value mistakes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from selfeval_xl.core import names as S  # noqa: E402
from selfeval_xl.form.layout import Layout  # noqa: E402
from selfeval_xl.form.template import (  # noqa: E402
    CommonAnswer,
    Filling,
    FormulaText,
    OwnIndicator,
    SavedValue,
    Typed,
    write_template,
)
from selfeval_xl.rules.model import load_rules  # noqa: E402

OUT = ROOT / "samples"

# ---------------------------------------------------------------------------------------------
# 1. The seed: 2021 年度郑州市金水区杜岭街道办事处 部门整体绩效自评报告

SEED_GOALS = [
    "贯彻执行党的路线、方针、政策和国家的法律、法规，落实上级党委和政府的决议、决定。",
    "落实基层党建工作责任制，履行全面从严治党主体责任，推进街道社区党建与单位党建、行业系统党建、区域化党建共建互联互通，"
    "统筹抓好辖区内新领域新业态新群体党建工作，强化党的政治建设、思想建设、组织建设、作风建设、纪律建设，把制度建设贯穿其中，"
    "深入推进反腐败斗争，加强基层意识形态、精神文明、统一战线、民族宗教等工作。",
    "组织实施与居民生活密切相关的各项公共服务，开展社区服务、拥军优属工作，负责社区优抚、社会救济、社会福利等工作，"
    "负责社区文化、科普、卫生健康、教育体育等工作；维护老年人、妇女、未成年人和残疾人等合法权益。",
    "按照职责权限统筹落实辖区发展的重大决策和辖区建设规划，参与辖区公共服务设施建设规划，配合做好城市有机更新工作，"
    "承担辖区市容环境卫生、绿化美化等管理工作。",
    "负责辖区内的社会治安综合治理、平安建设、人民调解、法律服务等工作，处理群众来信来访等工作，依照有关规定管理外来流动人口。",
    "统筹协调区域内各类专业执法力量，组织开展群众监督和社会监督等工作。",
    "配合有关部门做好安全生产、食品安全、环境保护、劳动保障、应急、防汛、防震、抢险和防灾减灾等工作。",
    "统筹做好高品质现代化城区建设等工作；统筹做好服务驻区企业、优化营商环境、做好税源培植、组织管理辖区第二产业和公共资产管理等工作，"
    "因地制宜发展特色经济。",
    "服务指导社区（村委会）居民委员会建设，发挥社区党组织在居民（村民）委员会等自治组织建设中的领导核心作用，完善党领导下的基层社会治理体系。"
    "动员指导辖区内各类单位、社会组织和社区居民等社会力量参与社区治理，整合区域内各种社会力量为街道社区发展服务。",
    "完成区委、区政府交办的其他任务。",
]
SEED_DONE = "已全部完成并全部达成预期指标。"  # 四、(二)2 of the report
SEED_TASKS = [
    ("加大环境保护力度，提升城市管理水平。",
     "加大对辖区企业环境监控、污染减排力度，大力开展环境整治。继续保持高压态势控违，做好辖区施工工地管控，确保违法建设零增长，努力提升城市管理水平。",
     SEED_DONE),
    ("持续抓好招商引资。", "加强服务企业，积极为企业排忧解难，为企业发展营造宽松和谐外部经营环境，促进招商引资。", SEED_DONE),
    ("夯实综合治理工作，提升社会治理水平。",
     "积极推进全面创新社会治理，全方位做好公共安全管理，确保生产、消防、食品药品安全，积极做好平安创建和治安维稳工作，为区域发展提供良好环境。",
     SEED_DONE),
    ("切实加强民生保护，致力发展社会事业。",
     "认真落实各项民生工程，积极开展困难救助帮扶，推进就业指导和服务，不断完善社会保障体系，提高居民满意度。", SEED_DONE),
]
# 预算情况: the report's figures (万元, 个). None: the report gives no figure.
SEED_BUDGET = {
    "年初预算数": 2181.72, "财政性资金": 2181.72, "其他资金": 0, "基本支出": 2001.72, "项目支出": 180,
    "调整预算数": 4259.4, "预算执行数": 4259.4,
    "政策性调整剔除数": None,  # not given: empty means 0
    "结转结余总额": 0,  # the report gives 结转结余率 0% of 4259.4, so the amount is 0
    "三公经费预算数": 0, "三公经费实际支出数": 0,  # “三公经费”年初预算 0 万元，实际支出 0 万元
    "政府采购预算数": None, "实际政府采购金额": None,  # not given
    "专项资金分配总数": None, "已细化专项资金数": None,  # only the rate (99%) is given, not the amounts
    "项目总数": 1, "已实施绩效监控项目数": 1, "已完成绩效自评项目数": 1,  # 共有项目 1 个，监控 1 个，自评 1 个
    "重点绩效评价项目数": 1, "已完成重点绩效评价项目数": 1,  # 部门绩效评价 1 个，完成率 100%
    "评价提出意见建议数": None, "已采纳意见建议数": None,  # not given
}
# 投入管理: the 实际完成值 of the qualitative rows, from the report's text. The report claims 20/20
# (so the target word, i.e. 达成) except where its own words qualify it.
SEED_QUALITATIVE = {
    "年度履职目标相关性": "相关", "工作任务科学性": "科学", "绩效指标合理性": "合理", "预算编制完整性": "完整",
    "决算真实性": "真实",  # "会计信息资料真实、准确、完整"
    "资金使用合规性": "合规",  # "不存在截留、挤占、挪用、虚列开支的情况"
    "管理制度健全性": "基本健全",  # "部门内部控制制度基本健全" (the report's own word: 基本)
    "预决算信息公开性": "及时完整", "资产管理规范性": "规范",
}
SEED_NOTE_WORK = "反映本部门负责的重点工作任务进展情况。分项具体列示本部门重点工作任务推进情况，相关情况应予以细化、量化表述。"
SEED_NOTE_GOAL = "反映本部门制定的年度工作目标达成情况。分项具体列示本部门年度工作目标达成情况，相关情况应予以细化、量化表述。"
SEED_NOTE_EFFECT = ("反映部门履职对经济社会发展等所带来的直接或间接影响。"
                    "可根据部门实际情况有选择的进行设置，并将三级指标细化为相应的个性化指标。")


def seed() -> Filling:
    common = {name: CommonAnswer(actual=word, self_score=None) for name, word in SEED_QUALITATIVE.items()}
    # ILLUSTRATIVE: the report scores 投入管理 20/20 and 预算执行 10/10: every row at its 分值
    for ind in load_rules().indicators:
        if ind.level1 == "投入管理指标":
            common.setdefault(ind.name, CommonAnswer())
            common[ind.name].self_score = ind.weight
    # "满意度均在90%左右" -> 90%; ILLUSTRATIVE: 8 each (效益 30/30)
    common["社会公众满意度"] = CommonAnswer(actual="90%", self_score=8)
    common["服务对象满意度"] = CommonAnswer(actual="90%", self_score=8)
    # 产出指标: the report's 8 rows; "已全部完成并全部达成预期指标"; ILLUSTRATIVE: 分值 5 each,
    # 自评 4.5 each = 36 (the report's 36 of 40)
    output = [
        ("重点工作完成", "环境综合整治完成率", "达标", "达标", SEED_NOTE_WORK),
        ("重点工作完成", "信访维稳工作完成率", "达标", "达标", SEED_NOTE_WORK),
        ("重点工作完成", "平安建设工作完成率", "达标", "达标", SEED_NOTE_WORK),
        ("重点工作完成", "党建工作完成率", "=100%", "100%", SEED_NOTE_WORK),
        ("履职目标实现", "加大环境保护力度,提升城市管理水平实现率", "达标", "达标", SEED_NOTE_GOAL),
        ("履职目标实现", "持续抓好招商引资实现率", "达标", "达标", SEED_NOTE_GOAL),
        ("履职目标实现", "夯实综合治理工作,提升社会治理水平实现率", "提升", "提升", SEED_NOTE_GOAL),
        ("履职目标实现", "切实加强民生保护,致力发展社会事业实现率", "提高", "提高", SEED_NOTE_GOAL),
    ]
    effect = [  # ILLUSTRATIVE: 7 + 7 (the satisfaction rows hold 16 of 30)
        ("履职效益", "经济效益", "提高", "提高", 7, 7, SEED_NOTE_EFFECT),
        ("履职效益", "社会效益", "提高", "提高", 7, 7, SEED_NOTE_EFFECT),
    ]
    return Filling(
        basic={"部门(单位)名称": "郑州市金水区杜岭街道办事处", "评价年度": 2021},
        goals=list(SEED_GOALS),
        tasks=list(SEED_TASKS),
        budget=dict(SEED_BUDGET),  # a fresh copy: callers may change their filling
        common=common,
        own={
            "产出指标": [OwnIndicator(l2, name, 5, target, actual, 4.5, note=note)
                       for l2, name, target, actual, note in output],
            "效益指标": [OwnIndicator(l2, name, w, target, actual, s, note=note)
                       for l2, name, target, actual, w, s, note in effect],
        },
        problems=[
            ("个别部门不重视绩效工作，绩效理念还未牢固树立，还存在“重投入轻管理，重资金轻绩效”的思想，绩效评价的公信力和权威性有待提高。",
             "绩效管理意识不强，业务知识不足。",
             "邀请绩效评价相关专业人士对单位各科室及各项目负责人进行预算绩效管理工作的业务知识培训，强化绩效管理意识，提高绩效管理水平。"),
            ("绩效约束能力需进一步加强，评价结果与预算安排还需要进一步衔接和优化，促进预算管理的作用尚未充分体现。",
             "评价结果应用机制尚不完善。",
             "加强项目跟踪督促和验收评价，及时做好项目实施的结算支付，加快支付进度，降低预算资金结余率；对各科室进行绩效考核，建立考核结果应用机制。"),
        ],
    )


# ---------------------------------------------------------------------------------------------
# 2. A bureau: clean


def full_marks(**answers: object) -> dict[str, CommonAnswer]:
    """Every common row answered at its target with full self score; ``answers`` overrides."""
    out = {}
    for ind in load_rules().indicators:
        actual = None if ind.rate else (ind.target if ind.method == "qualitative" else None)
        out[ind.name] = CommonAnswer(actual=actual, self_score=ind.weight)
    for name, ans in answers.items():
        out[name] = ans  # type: ignore[assignment]
    return out


def bureau() -> Filling:
    return Filling(
        basic={"部门(单位)名称": "郑州市金水区市场监督管理局", "单位编码": "410105021", "主管部门": "郑州市金水区人民政府",
               "评价年度": 2023, "填报人": "王丽", "联系电话": "0371-63912345", "填报日期": "2024-03-18"},
        goals=["强化食品、药品、特种设备安全监管，守住不发生重大安全事故的底线。",
               "深化商事制度改革，优化市场主体登记服务，持续改善营商环境。",
               "加强消费者权益保护，及时处置投诉举报，维护公平竞争的市场秩序。"],
        tasks=[("食品安全监管", "完成食品安全监督抽检 3000 批次以上，不合格产品核查处置率 100%。",
                "完成抽检 3216 批次，不合格产品全部核查处置。"),
               ("特种设备安全", "特种设备定期检验覆盖率达到 95% 以上。", "检验覆盖率 97.3%。"),
               ("优化营商环境", "市场主体登记全程电子化，平均办理时限不超过 5 个工作日。", "平均办理时限 3.2 天，办理登记 13450 件。"),
               ("投诉举报处置", "12315 投诉举报 24 小时内响应，按时办结率 98% 以上。", "响应率 100%，按时办结率 99.1%。")],
        budget={"年初预算数": 3856.4, "财政性资金": 3756.4, "其他资金": 100, "基本支出": 3120.4, "项目支出": 736,
                "调整预算数": 3902.15, "预算执行数": 3790.62, "政策性调整剔除数": 40, "结转结余总额": 111.53,
                "三公经费预算数": 12.5, "三公经费实际支出数": 10.83, "政府采购预算数": 420, "实际政府采购金额": 401.2,
                "专项资金分配总数": 600, "已细化专项资金数": 600, "项目总数": 8, "已实施绩效监控项目数": 8,
                "已完成绩效自评项目数": 8, "重点绩效评价项目数": 2, "已完成重点绩效评价项目数": 2,
                "评价提出意见建议数": 12, "已采纳意见建议数": 11},
        common=full_marks(
            预算执行率=CommonAnswer(None, 9.71, "年末两个政府采购项目未完成验收，相应资金未支付；已督促供应商次年一季度完成验收付款。"),
            社会公众满意度=CommonAnswer("93.5%", 8), 服务对象满意度=CommonAnswer("95.2%", 8)),
        own={
            "产出指标": [
                OwnIndicator("数量指标", "食品安全监督抽检批次", 6, "≥3000批", "3216批", 6),
                OwnIndicator("数量指标", "特种设备定期检验覆盖率", 5, "≥95%", "97.3%", 5),
                OwnIndicator("数量指标", "市场主体登记办理件数", 5, "≥12000件", "13450件", 5),
                OwnIndicator("质量指标", "抽检不合格产品核查处置率", 6, "=100%", "100%", 6),
                OwnIndicator("质量指标", "投诉举报按时办结率", 6, "≥98%", "99.1%", 6),
                OwnIndicator("时效指标", "市场主体登记平均办理时限", 4, "≤5天", "3.2天", 4),
                OwnIndicator("时效指标", "12315投诉举报24小时响应率", 4, "=100%", "100%", 4),
                OwnIndicator("成本指标", "专项经费支出控制率", 4, "≤100%", "96.4%", 4),
            ],
            "效益指标": [
                OwnIndicator("社会效益", "食品安全抽检合格率", 5, "≥95%", "96.8%", 5),
                OwnIndicator("社会效益", "重大食品安全事故发生数", 5, "=0起", "0起", 5),
                OwnIndicator("可持续影响", "市场主体活跃度", 4, "提升", "提升", 4),
            ],
        },
        problems=[("个别项目支出进度偏慢。", "部分采购项目招标周期较长。", "提前启动采购程序，按月通报支出进度。")],
    )


# ---------------------------------------------------------------------------------------------
# 3. A school: inserted rows in 产出指标, first-time-filler mistakes


def school() -> Filling:
    output = [  # 15 rows: three more than the template's 12 (rows inserted)
        ("数量指标", "在校学生人数", 3, "≥1800人", "1856人", 3),
        ("数量指标", "开设国家课程门数", 3, "≥12门", "12门", 3),
        ("数量指标", "开设校本课程门数", 2, "≥8门", "9门", 2),
        ("数量指标", "教师培训人次", 3, "≥300人次", "328人次", 3),
        ("数量指标", "课后服务覆盖率", 3, "≥95%", 95, 3),  # typed 95 for 95% (V206)
        ("数量指标", "校园安全演练次数", 2, "≥4次", "4次", 2),
        ("质量指标", "学业水平考试合格率", 3, "≥98%", "99.2%", 3),
        ("质量指标", "学生体质健康达标率", 3, "≥95%", "96.1%", 3),
        ("质量指标", "教学事故发生数", 2, "=0起", "0起", 2),
        ("质量指标", "校舍安全隐患整改率", 3, "=100%", "100%", 3),
        ("时效指标", "营养餐按时供应率", 3, "=100%", "100%", 3),
        ("时效指标", "资助资金按时发放率", 3, "=100%", "100%", 3),
        ("成本指标", "生均公用经费执行率", 3, "≥95%", "97.0%", 3),
        ("成本指标", "校舍维修项目成本控制率", 2, "≤100%", "98.5%", 2),
        ("成本指标", "教辅资料采购成本控制率", 2, "≤100%", "96.0%", 2),
    ]
    return Filling(
        basic={"部门(单位)名称": "郑州市金水区文化路第一小学", "单位编码": "410105305", "主管部门": "郑州市金水区教育局",
               "评价年度": 2022, "填报人": "李强", "联系电话": "13800138000"},
        goals=["全面贯彻党的教育方针，落实立德树人根本任务。", "推进“双减”政策落地，提供优质课后服务。",
               "加强校园安全管理，保障师生安全。"],
        tasks=[("课后服务", "为有需要的学生提供课后服务。", "覆盖率 95%。"), ("教师培训", "组织教师参加各级培训。", "培训 328 人次。")],
        budget={"年初预算数": 1265.8, "财政性资金": 1205.8, "其他资金": 50, "基本支出": 1089.3, "项目支出": 176.5,
                "调整预算数": 1298.6, "预算执行数": 1276.35, "政策性调整剔除数": 0, "结转结余总额": 22.25,
                "三公经费预算数": 2, "三公经费实际支出数": 1.6, "政府采购预算数": 85, "实际政府采购金额": 82.3,
                "专项资金分配总数": 120, "已细化专项资金数": 117, "项目总数": 5, "已实施绩效监控项目数": 5,
                "已完成绩效自评项目数": 5, "重点绩效评价项目数": 1, "已完成重点绩效评价项目数": 1,
                "评价提出意见建议数": 6, "已采纳意见建议数": 5},
        common=full_marks(
            社会公众满意度=CommonAnswer("94%", 8), 服务对象满意度=CommonAnswer("96.5%", 8)),
        own={
            "产出指标": [OwnIndicator(l2, n, w, t, a, s) for l2, n, w, t, a, s in output],
            "效益指标": [
                OwnIndicator("社会效益", "义务教育巩固率", 7, "=100%", "100%", 7),
                OwnIndicator("可持续影响", "教育教学质量", 7, "提升", "基本提升", 5,
                             reason="新课标实施时间较短，课堂教学改革成效尚未完全显现；下一年度加强教研，推进课堂改革。"),
            ],
        },
        problems=[("专项资金细化不够及时。", "部分项目资金下达较晚。", "年初即细化到具体项目。")],
        # the clerk typed the execution rate over its formula (X301)
        edits=lambda lay: {(S.BUDGET, lay.budget_cell("预算执行率")): Typed(0.98)},
    )


# ---------------------------------------------------------------------------------------------
# 4. A hospital: 不适用, formulas changed and stale, scores out of range


def hospital() -> Filling:
    def edits(lay: Layout) -> dict:
        b = lay.budget_cell
        return {
            # the 预算调整率 formula "simplified" to leave out ABS and the policy adjustment (X302)
            (S.BUDGET, b("预算调整率")): FormulaText(f"={b('调整预算数')}/{b('年初预算数')}-1"),
            # 结转结余总额 changed after the file was last calculated: a stale 结转结余率 (X303)
            (S.BUDGET, b("结转结余率")): SavedValue(0.0412),
        }

    return Filling(
        basic={"部门(单位)名称": "郑州市金水区人民医院", "单位编码": "410105401", "主管部门": "郑州市金水区卫生健康委员会",
               "评价年度": 2023, "填报人": "张敏", "联系电话": "0371-65551234", "填报日期": "2024-03-20"},
        goals=["提供基本医疗服务，提高医疗质量和服务能力。", "落实公立医院综合改革，控制医疗费用不合理增长。"],
        tasks=[("医疗服务", "完成门急诊、住院诊疗任务。", "门急诊 92.6 万人次，出院 3.41 万人次。"),
               ("医联体建设", "推进分级诊疗，加强基层转诊。", "基层转诊完成率 85%。")],
        budget={"年初预算数": 15620, "财政性资金": 6820, "其他资金": 8800, "基本支出": 11230, "项目支出": 4390,
                "调整预算数": 16980.5, "预算执行数": 16102.3, "政策性调整剔除数": 900, "结转结余总额": 878.2,
                "三公经费预算数": 45, "三公经费实际支出数": 48.6, "政府采购预算数": 3200, "实际政府采购金额": 3350,
                "专项资金分配总数": 1500, "已细化专项资金数": 1500, "项目总数": 12, "已实施绩效监控项目数": 12,
                "已完成绩效自评项目数": 12, "重点绩效评价项目数": 3, "已完成重点绩效评价项目数": 2,
                "评价提出意见建议数": 20, "已采纳意见建议数": 18},
        common=full_marks(**{
            '"三公经费"控制率': CommonAnswer(None, 0, "新增公务接待任务，超支 3.6 万元；已压减下年预算。"),
            "部门绩效评价完成率": CommonAnswer(None, 0.5, "一个重点评价项目跨年度实施，预计次年一季度完成。"),
            "社会公众满意度": CommonAnswer("91.5%", 8), "服务对象满意度": CommonAnswer("92.3%", 8),
        }),
        own={
            "产出指标": [
                OwnIndicator("数量指标", "门急诊人次", 6, "≥85万人次", "92.6万人次", 6),
                OwnIndicator("数量指标", "出院人次", 5, "≥3.2万人次", "3.41万人次", 5),
                OwnIndicator("数量指标", "家庭医生签约服务人数", 4, "≥5000人", "不适用", None),  # no reason (P509)
                OwnIndicator("质量指标", "甲级病案率", 5, "≥90%", "93.2%", 5),
                OwnIndicator("质量指标", "院内感染发生率", 5, "≤3%", "2.1%", 5),
                OwnIndicator("质量指标", "药占比", 5, "≤30%", "28.7%", 6),  # self above 分值 (P504)
                OwnIndicator("时效指标", "平均住院日", 5, "≤9天", "8.6天", 5),
                OwnIndicator("成本指标", "次均门诊费用增幅", 5, "≤5%", "3.8%", 5),
            ],
            "效益指标": [
                OwnIndicator("社会效益", "基层转诊完成率", 5, "≥60%", "85%", 5),  # 142% of target, no note (P503)
                OwnIndicator("社会效益", "医疗服务能力", 5, "提升", "基本提升", 5),  # 部分达成 but 5 (P505)
                OwnIndicator("可持续影响", "重点专科建设", 4, "2-3个", "3个", 4),  # unreadable target (V203)
            ],
        },
        problems=[("三公经费超预算。", "临时公务接待任务增加。", "严格执行公务接待标准，压减下年度预算。")],
        edits=edits,
    )


# ---------------------------------------------------------------------------------------------
# 5. A sub-district: low execution and value mistakes


def subdistrict() -> Filling:
    def edits(lay: Layout) -> dict:
        # the clerk wrote a formula into a 自评得分 cell that divides its 指标值 by zero: the text
        # "≥40%" in arithmetic gives #VALUE! before any division (V207), and the file carries last
        # year's template version (S103)
        own_effect = [r for r, p in lay.ind_plan.items() if not p.common and p.level1 == "效益指标"]
        self_cell = lay.ind_cell(S.SELF_SCORE, own_effect[2])  # the third own 效益指标 row
        return {
            (S.INDICATORS, self_cell): FormulaText(f"={lay.ind_cell(S.TARGET, own_effect[2])}/0"),
            (S.BASIC, f"B{lay.basic_rows['模板版本']}"): Typed("2025.1"),
        }

    output = [  # 分值 add up to 38, not 40 (P501)
        ("数量指标", "老旧小区改造户数", 6, "≥1200户", "1260户", 6),
        ("数量指标", "城市管理问题处置件数", 6, "≥3000件", "3412件", 6),
        ("质量指标", "矛盾纠纷调解成功率", 6, "≥95%", "较好", 6),  # not a number (V204)
        ("质量指标", "违法建设查处率", 6, "=100%", "100%", 6),
        ("时效指标", "12345热线按时办结率", 7, "≥98%", "96.5%", 7),  # below target, no reason (P502)
        ("成本指标", "环卫作业成本控制率", 7, "≤100%", "99.2%", 7),
    ]
    return Filling(
        basic={"部门(单位)名称": "郑州市金水区花园路街道办事处", "单位编码": "410105003", "主管部门": "郑州市金水区人民政府",
               "评价年度": 2022, "填报人": "赵磊", "联系电话": "0371-63871122", "填报日期": "2023-03-10"},
        goals=["加强基层党建，推进基层治理现代化。", "做好城市精细化管理和老旧小区改造。", "化解矛盾纠纷，维护辖区稳定。"],
        tasks=[("老旧小区改造", "完成 1200 户老旧小区改造。", "完成 1260 户。"), ("城市管理", "处置城市管理问题。", "处置 3412 件。")],
        budget={"年初预算数": 3420, "财政性资金": 3420, "其他资金": 0, "基本支出": 2890, "项目支出": 560,  # 3450 (B402)
                "调整预算数": 3650, "预算执行数": 3102.5, "政策性调整剔除数": None, "结转结余总额": -12.5,  # negative (V205)
                "三公经费预算数": 8, "三公经费实际支出数": 7.2, "政府采购预算数": 260, "实际政府采购金额": 248,
                "专项资金分配总数": 300, "已细化专项资金数": 300, "项目总数": 6, "已实施绩效监控项目数": 6,
                "已完成绩效自评项目数": 6, "重点绩效评价项目数": 1, "已完成重点绩效评价项目数": 1,
                "评价提出意见建议数": 9, "已采纳意见建议数": 7},
        common=full_marks(**{
            "预算执行率": CommonAnswer(None, 10),  # 85%: no reason given (P508)
            "社会公众满意度": CommonAnswer("92%", 8), "服务对象满意度": CommonAnswer("93%", 8),
        }),
        own={
            "产出指标": [OwnIndicator(l2, n, w, t, a, s) for l2, n, w, t, a, s in output],
            "效益指标": [
                OwnIndicator("社会效益", "辖区刑事案件下降率", 5, "≥5%", "6.2%", 5),
                OwnIndicator("社会效益", "群众安全感", 5, "提升", "提升", 5),
                OwnIndicator("生态效益", "辖区绿化覆盖率", 4, "≥40%", "41.5%", None),
            ],
        },
        problems=[("预算执行进度偏慢。", "老旧小区改造项目结算滞后。", "加快工程结算，按月调度支出进度。")],
        edits=edits,
    )


SAMPLES: dict[str, Callable[[], Filling]] = {
    "01_杜岭街道办事处_2021.xlsx": seed,
    "02_市场监督管理局_2023.xlsx": bureau,
    "03_文化路第一小学_2022.xlsx": school,
    "04_金水区人民医院_2023.xlsx": hospital,
    "05_花园路街道办事处_2022.xlsx": subdistrict,
}


# ---------------------------------------------------------------------------------------------
# Samples of the other bundled rule sets (examples/<rule set>/), scored in tests/test_rule_sets.py
# by figures computed by hand


def education_bureau() -> Filling:
    """four-part (投入/过程/产出/效益): an education bureau with a 表彰 (+1), whose 预算执行率 of 65% caps its
    total at 79; 3 of the 4 items of a checklist capped at 3, an asset rate 2 points under its "≥" target."""
    common = {
        "绩效目标合理性": CommonAnswer("合理", 2),
        "绩效指标明确性": CommonAnswer(3, 3),  # 3 of 4 items, 1 each, at most 3
        "在职人员控制率": CommonAnswer(None, 1.58, "年中接收军转干部 1 人。"),
        '"三公经费"变动率': CommonAnswer(None, 3),
        "重点支出安排率": CommonAnswer(None, 4, "部分重点项目下年实施。"),
        "预算执行率": CommonAnswer(None, 6.5, "两所学校改扩建工程延期，资金未支付。"),
        "预算调整率": CommonAnswer(None, 2, "追加教师培训经费。"),
        "专项资金拨付及时性": CommonAnswer("1起", 2.5, "一笔专项资金拨付晚于规定时限。"),
        "结转结余率": CommonAnswer(None, 2),
        "公用经费控制率": CommonAnswer(None, 1.5, "取暖费上涨。"),
        "管理制度健全性": CommonAnswer(3, 3),
        "资金使用合规性": CommonAnswer(0, 3),
        "预决算信息公开性": CommonAnswer("基本及时完整", 1.4, "决算公开晚于规定时限 3 天。"),
        "基础信息完善性": CommonAnswer("完善", 2),
        "资产管理规范性": CommonAnswer("规范", 4.5, "个别资产登记不及时。"),
        "固定资产利用率": CommonAnswer(None, 4, "部分闲置教学设备待调剂。"),  # 88%: 2 points under 90% x 0.5
        "社会公众或服务对象满意度": CommonAnswer("86%", 4, "家长对课后服务时长意见较多。"),
    }
    return Filling(
        basic={"部门(单位)名称": "某区教育局", "单位编码": "430102001", "主管部门": "某区人民政府", "评价年度": 2024,
               "填报人": "刘洋", "联系电话": "0731-84000000", "填报日期": "2025-03-20"},
        goals=["保障义务教育均衡发展。", "提升教师队伍素质。"],
        tasks=[("校舍维修改造", "完成义务教育学校维修改造 20000 平方米。", "完成 25000 平方米。")],
        budget={"年初预算数": 5000, "财政性资金": 4800, "其他资金": 200, "调整预算数": 5200, "预算执行数": 3380,
                "结转结余总额": 130, "项目支出": 2000, "重点支出安排数": 1700, "公用经费预算数": 300,
                "公用经费实际支出数": 301.5, "本年三公经费支出": 48, "上年三公经费支出": 50, "在职人员编制数": 120,
                "实有在职人数": 121, "固定资产总额": 800, "在用固定资产总额": 704},
        common=common,
        declared={"获得市级及以上表彰（次）": 1, "被上级部门通报批评（次）": 0, "审计发现重大违规违纪问题": "否",
                  "发生重大安全责任事故": "否"},
        own={
            "产出指标": [
                OwnIndicator("数量指标", "义务教育学校维修改造面积", 5, "≥20000平方米", "25000平方米", 5),  # 125%: 扣 1 分
                OwnIndicator("数量指标", "教师培训人次", 5, "≥3000人次", "2700人次", 4.5, "部分培训因故延期。"),
                OwnIndicator("质量指标", "义务教育巩固率", 5, "≥99%", "99.6%", 5),
                OwnIndicator("时效指标", "教材按时发放率", 5, "=100%", "100%", 5),
                OwnIndicator("成本指标", "生均公用经费支出增幅", 5, "≤5%", "6%", 4, "物价上涨。"),
            ],
            "效益指标": [
                OwnIndicator("社会效益", "家长满意度", 5, "≥90%", "93%", 5),
                OwnIndicator("社会效益", "适龄儿童入学率", 5, "=100%", "100%", 5),
                OwnIndicator("可持续影响", "教育信息化水平", 5, "提升", "提升", 5),
            ],
        },
        problems=[("预算执行率偏低。", "改扩建工程延期。", "加强项目前期工作。")],
    )


def health_commission() -> Filling:
    """four-part: the rule set's own worked example (its ``forms``: 审计发现重大违规, a 通报批评) as a
    department's workbook: the total capped at 59 by the veto, the grade 不合格."""
    from selfeval_xl.check.examples import example_filling

    rules = load_rules("four-part")
    f = example_filling(rules, next(x for x in rules.forms if "卫生健康" in x.name))
    f.basic = {"部门(单位)名称": "某区卫生健康委员会", "单位编码": "430102015", "主管部门": "某区人民政府", "评价年度": 2024,
               "填报人": "陈静", "联系电话": "0731-84000001", "填报日期": "2025-03-21"}
    f.goals = ["完善基层医疗卫生服务体系。", "做好基本公共卫生服务。"]
    f.tasks = [("基层医疗机构标准化建设", "完成 10 个基层医疗机构标准化建设。", "完成 9 个。")]
    f.problems = [("审计发现违规发放补贴。", "内部控制执行不严。", "追回资金，完善内部控制。")]
    return f


def road_project() -> Filling:
    """mof-project (财预〔2020〕10号 项目支出绩效自评表): a county road project."""
    return Filling(
        basic={"部门(单位)名称": "某县交通运输局", "单位编码": "520122003", "主管部门": "某县人民政府", "评价年度": 2024,
               "填报人": "张敏", "联系电话": "0851-86000000", "填报日期": "2025-02-28"},
        goals=["建成农村公路 30 公里，改造危桥 8 座，改善沿线群众出行条件。"],
        tasks=[("农村公路建设", "新建农村公路 30 公里。", "完成 31.5 公里。")],
        budget={"年初预算数": 800, "全年预算数": 1000, "全年执行数": 920, "财政拨款": 900, "其他资金": 100},
        common={"预算执行率": CommonAnswer(None, 9.2, "部分工程款待审计后支付。")},
        own={
            "产出指标": [
                OwnIndicator("数量指标", "新建农村公路里程", 15, "≥30公里", "31.5公里", 15),
                OwnIndicator("数量指标", "改造危桥座数", 10, "≥8座", "6座", 7.5, "2 座危桥因汛期顺延至次年。"),
                OwnIndicator("质量指标", "工程验收合格率", 10, "=100%", "100%", 10),
                OwnIndicator("时效指标", "按期完工率", 10, "≥95%", "90%", 9.47, "汛期停工。"),
                OwnIndicator("成本指标", "单位里程造价", 5, "≤120万元", "118万元", 5),
            ],
            "效益指标": [
                OwnIndicator("社会效益指标", "沿线群众出行时间缩短率", 10, "≥20%", "25%", 10),  # 125%, no reason: P503
                OwnIndicator("社会效益指标", "道路安全事故发生数", 10, "=0起", "0起", 10),
                OwnIndicator("经济效益指标", "带动农产品运输量增长", 10, "提升", "基本提升", 7, "部分路段年底才通车。"),
            ],
            "满意度指标": [
                OwnIndicator("服务对象满意度指标", "沿线群众满意度", 10, "≥90%", "88%", 9.78, "施工期间出行不便。"),
            ],
        },
        problems=[("危桥改造滞后。", "汛期影响施工。", "合理安排施工期。")],
    )


#: rule set -> sample file -> its filling
RULE_SET_SAMPLES: dict[str, dict[str, Callable[[], Filling]]] = {
    "four-part": {"01_某区教育局_2024.xlsx": education_bureau, "02_某区卫生健康委员会_2024.xlsx": health_commission},
    "mof-project": {"01_某县农村公路建设项目_2024.xlsx": road_project},
}
EXAMPLES = ROOT / "examples"


def main(out: Path = OUT, examples: Path | None = EXAMPLES) -> list[Path]:
    written = []
    for name, make in SAMPLES.items():
        path = out / name
        write_template(path, filling=make())
        written.append(path)
    for rule_set, samples in RULE_SET_SAMPLES.items() if examples else ():
        rules = load_rules(rule_set)
        for name, make in samples.items():
            path = examples / rule_set / name  # type: ignore[operator]
            path.parent.mkdir(parents=True, exist_ok=True)
            write_template(path, rules, filling=make())
            written.append(path)
    return written


if __name__ == "__main__":
    for p in main():
        print(p.relative_to(ROOT))

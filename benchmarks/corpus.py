"""N varied, realistic submissions made by filling the generated template (for the benchmark).

Units differ in name, code, 主管部门, year, budget, the number of their own indicator rows (4 to 24
产出指标 rows, so some have rows inserted) and their mistakes (a random mix of the typical ones);
about 1% are bad files (empty, random bytes, truncated, legacy .xls, text). Seeded: the same N gives
the same files. Generated in parallel and cached under benchmarks/cache/N/.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))

CACHE = Path(__file__).resolve().parent / "cache"

KINDS = [("街道办事处", "郑州市金水区人民政府"), ("市场监督管理局", "郑州市金水区人民政府"), ("第一小学", "郑州市金水区教育局"),
         ("人民医院", "郑州市金水区卫生健康委员会"), ("文化馆", "郑州市金水区文化广电旅游局"), ("财政所", "郑州市金水区财政局"),
         ("卫生服务中心", "郑州市金水区卫生健康委员会"), ("实验中学", "郑州市金水区教育局")]
PLACES = ["杜岭", "花园路", "文化路", "经八路", "大石桥", "南阳路", "丰产路", "东风路", "北林路", "未来路", "国基路", "凤凰台"]
OUTPUTS = [("数量指标", "服务人次", "≥{n}人次", "{a}人次"), ("数量指标", "完成项目数", "≥{n}个", "{a}个"),
           ("质量指标", "验收合格率", "≥95%", "{p}%"), ("质量指标", "群众投诉办结率", "=100%", "100%"),
           ("时效指标", "按时完成率", "≥98%", "{p}%"), ("时效指标", "平均办理时限", "≤{d}天", "{e}天"),
           ("成本指标", "成本控制率", "≤100%", "{q}%"), ("质量指标", "工作规范性", "达标", "达标")]


def _filling(i: int):
    from make_samples import full_marks

    from selfeval_xl.form.filling import CommonAnswer, Filling, OwnIndicator, SavedValue, Typed

    rng = random.Random(i)
    kind, dept = rng.choice(KINDS)
    place = rng.choice(PLACES)
    base = round(rng.uniform(300, 20000), 2)
    fiscal = round(base * rng.uniform(0.6, 1.0), 2)
    basic_exp = round(base * rng.uniform(0.5, 0.9), 2)
    adjusted = round(base * rng.uniform(0.97, 1.2), 2)
    executed = round(adjusted * rng.uniform(0.82, 1.0), 2)
    projects = rng.randint(1, 20)
    budget = {"年初预算数": base, "财政性资金": fiscal, "其他资金": round(base - fiscal, 2), "基本支出": basic_exp,
              "项目支出": round(base - basic_exp, 2), "调整预算数": adjusted, "预算执行数": executed,
              "政策性调整剔除数": round((adjusted - base) * rng.uniform(0, 1), 2) if adjusted > base else 0,
              "结转结余总额": round(adjusted - executed, 2), "三公经费预算数": round(rng.uniform(0, 30), 2),
              "政府采购预算数": round(base * 0.1, 2), "专项资金分配总数": round(base * 0.2, 2),
              "项目总数": projects, "已实施绩效监控项目数": projects, "已完成绩效自评项目数": projects,
              "重点绩效评价项目数": rng.randint(0, 3), "评价提出意见建议数": rng.randint(0, 20)}
    budget["三公经费实际支出数"] = round(budget["三公经费预算数"] * rng.uniform(0.7, 1.05), 2)
    budget["实际政府采购金额"] = round(budget["政府采购预算数"] * rng.uniform(0.8, 1.0), 2)
    budget["已细化专项资金数"] = round(budget["专项资金分配总数"] * rng.uniform(0.95, 1.0), 2)
    budget["已完成重点绩效评价项目数"] = budget["重点绩效评价项目数"]
    budget["已采纳意见建议数"] = rng.randint(0, budget["评价提出意见建议数"])
    n_out = rng.choice([4, 6, 8, 8, 10, 12, 12, 16, 24])
    weights = [40 // n_out] * n_out
    weights[-1] += 40 - sum(weights)
    own_out = []
    for j in range(n_out):
        l2, name, tgt, act = OUTPUTS[j % len(OUTPUTS)]
        n = rng.randint(50, 5000)
        p = round(rng.uniform(90, 100), 1)
        d = rng.randint(3, 15)
        own_out.append(OwnIndicator(l2, f"{name}{j + 1}", weights[j], tgt.format(n=n, d=d),
                                    act.format(a=int(n * rng.uniform(0.9, 1.2)), p=p, e=round(d * rng.uniform(0.6, 1.1), 1),
                                               q=round(rng.uniform(90, 100), 1)), weights[j]))
    own_eff = [OwnIndicator("社会效益", "社会效益指标", 7, "提升", rng.choice(["提升", "提升", "基本提升"]), 7),
               OwnIndicator("可持续影响", "长效机制", 7, "≥90%", f"{round(rng.uniform(85, 100), 1)}%", 7)]
    f = Filling(
        basic={"部门(单位)名称": f"郑州市金水区{place}{kind}{i}", "单位编码": f"4101{i:06d}", "主管部门": dept,
               "评价年度": rng.choice([2022, 2023]), "填报人": "张三", "联系电话": "0371-60000000"},
        goals=[f"年度履职目标 {k + 1}：依法履行职责，提升服务质量。" for k in range(rng.randint(2, 10))],
        tasks=[(f"任务{k + 1}", "完成年度重点工作任务。", "已完成。") for k in range(rng.randint(1, 6))],
        budget=budget,
        common=full_marks(社会公众满意度=CommonAnswer(f"{round(rng.uniform(85, 99), 1)}%", 8),
                          服务对象满意度=CommonAnswer(f"{round(rng.uniform(85, 99), 1)}%", 8)),
        own={"产出指标": own_out, "效益指标": own_eff},
        problems=[("预算执行进度偏慢。", "项目结算滞后。", "加快结算。")],
    )
    # the typical mistakes, each with its own chance
    edits = {}
    if rng.random() < 0.1:
        edits["x301"] = lambda lay: {("预算情况", lay.budget_cell("预算执行率")): Typed(0.99)}
    if rng.random() < 0.05:
        edits["x303"] = lambda lay: {("预算情况", lay.budget_cell("结转结余率")): SavedValue(0.5)}
    if rng.random() < 0.1:
        own_out[0].actual = 95
        own_out[0].target = "≥90%"
    if rng.random() < 0.1:
        budget["其他资金"] = round(budget["其他资金"] + 10, 2)
    if rng.random() < 0.1:
        own_out[1].actual = "不适用"
    if rng.random() < 0.08:
        budget["项目总数"] = None
    if rng.random() < 0.05:
        own_out[-1].weight = weights[-1] + 2
    if edits:
        parts = list(edits.values())
        f.edits = lambda lay: {k: v for part in parts for k, v in part(lay).items()}
    return f


def _write(args: tuple[int, str]) -> str:
    i, folder = args
    from badfiles import ole

    from selfeval_xl.form.template import write_template

    rng = random.Random(10_000_000 + i)
    path = Path(folder) / f"{i // 1000:02d}" / f"submission_{i:05d}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    if rng.random() < 0.01:  # a bad file
        kind = rng.choice(["empty", "random", "truncated", "legacy", "text"])
        if kind == "truncated":
            write_template(path, filling=_filling(i))
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 3])
        else:
            blob = {"empty": b"", "random": random.Random(i).randbytes(30_000), "legacy": ole(["Workbook"]),
                    "text": "单位,得分\n".encode() * 50}[kind]
            path.write_bytes(blob)
        return str(path)
    write_template(path, filling=_filling(i))
    return str(path)


def corpus(n: int, jobs: int | None = None) -> Path:
    """The folder of N submissions, generated once."""
    folder = CACHE / str(n)
    done = folder / ".complete"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with mp.get_context("fork").Pool(jobs or os.cpu_count()) as pool:
        for _ in pool.imap_unordered(_write, [(i, str(folder)) for i in range(n)], chunksize=16):
            pass
    done.write_text(str(n))
    return folder

"""C601 at the scale of a province: 30,000 paragraphs of 40-80 characters, 1 in 20 a near copy of
another unit's (3 characters changed). Prints the seconds the MinHash/LSH pass takes, the pairs found, and what comparing every
pair would take (measured on a sample and scaled).

    python benchmarks/across.py [N]
"""

from __future__ import annotations

import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selfeval_xl.batch.across import SIMILAR, Text, copied_texts, jaccard, shingles, similar_pairs

WORDS = ("预算", "执行", "项目", "资金", "绩效", "目标", "完成", "改造", "社区", "服务", "监管", "培训", "采购", "工程",
         "进度", "年度", "考核", "管理", "制度", "群众", "满意", "街道", "治理", "安全", "检查", "整改", "落实", "推进")


def texts(n: int, seed: int = 1) -> list[Text]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 20 == 19:  # a near copy of an earlier unit's text, a few characters changed
            base = list(out[rng.randrange(len(out))].text)
            for k in rng.sample(range(len(base)), 3):
                base[k] = rng.choice("的了和在是")
            out.append(Text(f"unit{i}.xlsx", "问题与改进", "B5", "".join(base)))
        else:
            out.append(Text(f"unit{i}.xlsx", "问题与改进", "B5",
                            "，".join("".join(rng.choice(WORDS) for _ in range(rng.randint(3, 6))) for _ in range(6))))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30_000
    data = texts(n)
    t = time.perf_counter()
    pairs = similar_pairs(data)
    lsh = time.perf_counter() - t
    t = time.perf_counter()
    findings = copied_texts(data)
    full = time.perf_counter() - t
    sample = data[:600]
    sets = [shingles(x.text) for x in sample]
    t = time.perf_counter()
    for i in range(len(sample)):
        for j in range(i + 1, len(sample)):
            jaccard(sets[i], sets[j]) >= SIMILAR  # noqa: B015
    per_pair = (time.perf_counter() - t) / (len(sample) * (len(sample) - 1) / 2)
    all_pairs = per_pair * n * (n - 1) / 2
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"C601 on {n:,} texts: MinHash/LSH pairs {lsh:.2f} s ({len(pairs):,} similar pairs), "
          f"with the findings {full:.2f} s ({sum(map(len, findings.values())):,} findings); "
          f"comparing every pair would take about {all_pairs / 60:.0f} min; peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()

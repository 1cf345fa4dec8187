"""Demo rows of the 三轮营商环境评估 in ``dept_supervision``: rounds, the 21 营商环境提升指标, their
scores and the 问题清单 each round found (``assessment_rounds`` … ``assessment_findings``).

- **Indicators**: the national assessment's 18 categories the plan aims at and three of the zone's
  own (``L01``–``L03``), each owned by a unit of the demo's directory (:data:`gxq.demo.vocab.UNITS`).
  The three local ones have no city rank (the city does not rank them): ``city_rank`` and
  ``districts`` are NULL, so their 全市前列 is unknown.
- **Rounds**: in the demo year the plan's three, ``2021-03``, ``2021-06`` and ``2021-09``, whose
  reports came out on 04-02, 07-02 and 10-08. In a rolling window the rounds are placed back from
  the extraction day (the last published 5 weeks before it, the others 13 weeks apart; the key is
  the month assessed, 25 days before publication), so that a new installation's ledger is live:
  the latest round's findings are mostly open, some due next week, some rectified this week.
- **Scores** rise from round to round for most indicators (some fall), ranks among 10 districts.
- **Findings**: 20–40 a round, due 30–90 days after publication, each with a fate: rectified on
  time and verified, rectified late, rectified and still waiting for 验收销号, never rectified, and
  one a round verified without a rectified date. A date on or after the extraction day has not
  happened yet (NULL).

Nothing depends on the seed: the rows are the same for a given window.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from .window import DEMO_YEAR, Window

# (code, name, unit)
INDICATORS: list[tuple[str, str, str]] = [
    ("A01", "开办企业", "U03"),
    ("A02", "办理建筑许可", "U01"),
    ("A03", "获得电力", "U14"),
    ("A04", "获得用水用气", "U12"),
    ("A05", "登记财产", "U09"),
    ("A06", "获得信贷", "U22"),
    ("A07", "保护中小投资者", "U03"),
    ("A08", "纳税", "U22"),
    ("A09", "跨境贸易", "U14"),
    ("A10", "执行合同", "U13"),
    ("A11", "办理破产", "U13"),
    ("A12", "政府采购", "U22"),
    ("A13", "招标投标", "U01"),
    ("A14", "政务服务", "U13"),
    ("A15", "知识产权创造保护和运用", "U14"),
    ("A16", "市场监管", "U03"),
    ("A17", "包容普惠创新", "U14"),
    ("A18", "劳动力市场监管", "U04"),
    ("L01", "惠企政策兑现", "U22"),
    ("L02", "市民服务平台诉求办理", "U13"),
    ("L03", "重大项目服务保障", "U14"),
]
LOCAL = {"L01", "L02", "L03"}
DISTRICTS = 10

# The demo year's rounds: (round, published_on)
ROUNDS_2021 = [("2021-03", date(2021, 4, 2)), ("2021-06", date(2021, 7, 2)), ("2021-09", date(2021, 10, 8))]
FINDINGS_PER_ROUND = (32, 27, 24)

PROBLEMS = [
    "办事指南与窗口实际要求不一致，企业多次补正材料",
    "网上办理深度不足，仍需现场提交纸质材料",
    "办理时限长于全市平均水平",
    "部门间数据共享不畅，企业重复提交材料",
    "惠企政策宣传不到位，企业知晓率偏低",
    "窗口人员业务不熟练，一次性告知落实不到位",
    "线上平台功能不完善，进度查询不及时",
    "承诺时限内未办结事项较多",
    "收费项目和标准公示不全",
    "企业评价渠道不畅，差评整改反馈不及时",
]

# Fates of findings (weights): on time and verified, late and verified, waiting for 验收销号,
# never rectified, verified without a rectified date.
FATES = (("on_time", 12), ("late", 5), ("awaiting", 2), ("never", 2), ("verified_only", 0))


def rounds(window: Window) -> list[tuple[str, date]]:
    """The rounds and their publication days in ``window``."""
    if not window.rolling:
        return [(key, window.shift(day)) for key, day in ROUNDS_2021]
    last = window.last_day - timedelta(days=35)
    days = [last - timedelta(days=91 * i) for i in (2, 1, 0)]
    out = []
    for day in days:
        assessed = day - timedelta(days=25)
        out.append((f"{assessed.year}-{assessed.month:02d}", day))
    return out


def _scores(index: int, code: str) -> list[tuple[float, int | None]]:
    """Three rounds of (score, rank) for the ``index``-th indicator: most rise, a few fall."""
    rng = random.Random(f"assessment-score-{code}")
    score = rng.uniform(62, 84)
    rank = rng.randint(3, 8)
    out = []
    for r in range(3):
        if r:
            trend = -rng.uniform(0.5, 4) if index % 6 == 4 else rng.uniform(1, 8)
            score = min(98.0, score + trend)
            rank = max(1, min(DISTRICTS, rank - (1 if trend > 3 else 0) + (1 if trend < 0 else 0)))
        out.append((round(score, 1), None if code in LOCAL else rank))
    return out


def _findings(window: Window, key: str, published: date, count: int) -> Iterator[tuple]:
    rng = random.Random(f"assessment-findings-{key}")
    fates = [f for f, w in FATES for _ in range(w)]
    for n in range(1, count + 1):
        code, _name, unit = INDICATORS[(n * 7 + len(key)) % len(INDICATORS)]
        if n % 9 == 0:  # a street shares the rectification (属地整改)
            unit = ("U15", "U16", "U17", "U18", "U19")[n % 5]
        due = published + timedelta(days=(30, 45, 60, 90)[n % 4])
        fate = "verified_only" if n == 5 else fates[rng.randrange(len(fates))]
        rectified = verified = None
        if fate == "on_time":
            rectified = due - timedelta(days=rng.randint(1, 20))
            verified = rectified + timedelta(days=rng.randint(3, 15))
        elif fate == "late":
            rectified = due + timedelta(days=rng.randint(3, 40))
            verified = rectified + timedelta(days=rng.randint(3, 10))
        elif fate == "awaiting":
            rectified = due - timedelta(days=rng.randint(0, 10))
        elif fate == "verified_only":
            verified = due - timedelta(days=2)
        extracted = window.snapshot.date()
        rectified = rectified if rectified and rectified < extracted else None
        verified = verified if verified and verified < extracted else None
        problem = PROBLEMS[rng.randrange(len(PROBLEMS))]
        yield (f"F{key.replace('-', '')}-{n:02d}", key, code, unit, problem, due.isoformat(),
               rectified.isoformat() if rectified else None, verified.isoformat() if verified else None)


def generate(window: Window = DEMO_YEAR) -> Iterator[tuple[str, tuple]]:
    for code, name, unit in INDICATORS:
        yield "assessment_indicators", (code, name, unit)
    extracted = window.snapshot.date()
    placed = [(key, day) for key, day in rounds(window) if day < extracted]
    for key, day in placed:
        yield "assessment_rounds", (key, day.isoformat())
    for r, (key, day) in enumerate(placed):
        for index, (code, _name, _unit) in enumerate(INDICATORS):
            score, rank = _scores(index, code)[r]
            yield "assessment_scores", (key, code, score, rank, None if rank is None else DISTRICTS)
        yield from (("assessment_findings", row) for row in _findings(window, key, day, FINDINGS_PER_ROUND[r]))

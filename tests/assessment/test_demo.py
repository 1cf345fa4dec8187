"""The demo's 三轮评估 rows look like the real thing: the plan's three rounds with the 21 indicators,
20–40 findings a round with every fate, and in a rolling window a live ledger."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from gxq.assessment import weekly
from gxq.assessment.rules import AssessmentData, Finding, Indicator, Round, Score
from gxq.demo import assessment, window
from gxq.periods import week_containing

NATIONAL = ["开办企业", "办理建筑许可", "获得电力", "获得用水用气", "登记财产", "获得信贷", "保护中小投资者", "纳税",
            "跨境贸易", "执行合同", "办理破产", "政府采购", "招标投标", "政务服务", "知识产权创造保护和运用", "市场监管",
            "包容普惠创新", "劳动力市场监管"]


def _rows(w):
    out: dict[str, list[tuple]] = {}
    for table, row in assessment.generate(w):
        out.setdefault(table, []).append(row)
    return out


def _data(rows) -> AssessmentData:
    day = lambda v: dt.date.fromisoformat(v) if v else None
    return AssessmentData([Round(k, day(p)) for k, p in rows["assessment_rounds"]],
                          [Indicator(*r) for r in rows["assessment_indicators"]],
                          [Score(r, c, float(s), k, d) for r, c, s, k, d in rows["assessment_scores"]],
                          [Finding(f, r, c, u, p, day(a), day(b), day(v)) for f, r, c, u, p, a, b, v in
                           rows["assessment_findings"]])


def test_demo_year_rounds_indicators_and_findings():
    from gxq.demo.vocab import UNITS

    rows = _rows(window.DEMO_YEAR)
    assert [r for r, _ in rows["assessment_rounds"]] == ["2021-03", "2021-06", "2021-09"]
    names = [n for _, n, _ in rows["assessment_indicators"]]
    assert len(names) == 21 and names[:18] == NATIONAL
    codes = {u for u, _ in UNITS}
    assert {u for *_, u in rows["assessment_indicators"]} <= codes
    per_round = Counter(f[1] for f in rows["assessment_findings"])
    assert set(per_round) == {"2021-03", "2021-06", "2021-09"} and all(20 <= n <= 40 for n in per_round.values())
    assert {f[3] for f in rows["assessment_findings"]} <= codes
    assert len(rows["assessment_scores"]) == 63
    assert any(rank is None for *_, rank, _d in rows["assessment_scores"])  # the local indicators
    # at the end of the year: closed on time, closed late, never closed, verified without a rectified date
    report = weekly.build_report(week_containing(dt.date(2021, 12, 26)), _data(rows))
    details = report["finding_details"]
    assert any(d["on_time"] for d in details) and any(d["on_time"] is False for d in details)
    assert any(d["state"] == "overdue" for d in details) and report["escalated"]
    raw = {f[0]: f for f in rows["assessment_findings"]}
    assert any(raw[d["finding_id"]][6] is None and d["state"] == "verified" for d in details)


def test_rolling_window_shows_a_live_ledger():
    today = dt.date(2026, 12, 3)
    w = window.rolling(today)
    rows = _rows(w)
    dates = [dt.date.fromisoformat(v) for f in rows["assessment_findings"] for v in f[6:] if v]
    dates += [dt.date.fromisoformat(p) for _, p in rows["assessment_rounds"]]
    assert max(dates) <= today
    report = weekly.build_report(week_containing(today - dt.timedelta(days=7)), _data(rows))
    assert len(report["rounds"]) == 3
    latest = report["rounds"][-1]
    assert latest["findings"] >= 20 and latest["verified"] < latest["findings"]
    assert report["findings_overdue"] and report["awaiting_verification"]
    assert any(d["state"] == "open" for d in report["finding_details"])  # not due yet

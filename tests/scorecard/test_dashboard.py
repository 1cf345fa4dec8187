"""The 看板's 绩效考核 section: the latest month's ranking, change, points lost per source and each
unit's score trend, from the scorecards kept in gxq_ops (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from gxq import store
from gxq.dashboard import queries, render
from gxq.scorecard import compute

from tests.scorecard.conftest import publish_month

pytestmark = pytest.mark.usefixtures("registered_inputs")


def test_ranking_change_and_trend(ops):
    assert queries.scorecard_section(ops).data is None  # nothing issued yet: a note, not an error
    store.record_report(ops, compute.dag_id(), "2021-05", {"period": "2021-05", "units": [
        {"unit": "U01", "score": 90.0, "rank": 1, "deductions": []}]})
    publish_month(ops, tasks_lights={"T01": ("U01", "red"), "T02": ("U02", "yellow")}, skip=("2021-W24",))
    june = compute.compute("2021-06", ops)
    store.record_report(ops, compute.dag_id(), "2021-06", june)
    section = queries.scorecard_section(ops)
    assert section.data["period"] == "2021-06" and section.data["complete"] is False
    assert section.data["trend_keys"] == ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05", "2021-06"]
    rows = {r["unit"]: r for r in section.rows}
    assert [r["unit"] for r in section.rows] == ["U03", "U02", "U01"]
    assert rows["U01"]["score"] == 98.0 and rows["U01"]["change"] == 8.0 and rows["U01"]["lost"]["tasks"] == 2.0
    assert rows["U01"]["trend"] == [None, None, None, None, 90.0, 98.0]
    page = render.render_dashboard(queries.dashboard_data(ops), now=dt.datetime(2021, 7, 9, 10),
                                   unit_names={"U01": "建设局"})
    block = page[page.index('<section id="scorecard">'):]
    assert "营商环境建设绩效考核" in block and "建设局" in block and "+8.0" in block
    assert "缺少输入" in block and "2021-W24" in block and "<svg" in block

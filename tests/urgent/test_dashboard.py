"""The 看板's 急险 section: the urgent petitions open as of the watch's latest run and their stages,
read from gxq_ops only (the stored report and the notified table), refreshed by each run."""

from __future__ import annotations

import datetime as dt

from gxq.dashboard import queries, render
from gxq.urgent import pipeline


def test_the_section_follows_the_latest_run(dept, ops, output_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("GXQ_APPRISE_CONFIG", str(tmp_path / "none.yml"))  # nothing routed: still notified once
    dept.add("P1", urgent=True, received="2021-03-23 07:00:00", dispatch_due="2021-03-23 07:30:00", lead=None,
             topic="燃气泄漏", street="黄泥川街道")
    dept.add("P2", urgent=True, received="2021-03-23 09:00:00", dispatch_due="2021-03-23 09:10:00",
             dispatched="2021-03-23 09:05:00", feedback_due="2021-03-23 15:00:00", lead="U02", topic="积水")
    assert queries.urgent_section(ops).available is False
    pipeline.run("2021-03-23T0940", dept=dept.engine, ops=ops, send=False)
    now = dt.datetime(2021, 3, 23, 9, 45, tzinfo=queries.TZ)
    sec = queries.urgent_section(ops, now=now)
    assert [(r["petition_id"], r["stage"], r["escalated"], r["notified"]) for r in sec.rows] == [
        ("P1", "dispatch_overdue", True, False), ("P2", "in_time", False, False)]
    assert sec.data["counts"]["dispatch_overdue"] == 1 and sec.data["stale"] is False
    # a later run refreshes it (and its notices mark what was told)
    pipeline.run("2021-03-23T1000", dept=dept.engine, ops=ops)
    sec = queries.urgent_section(ops, now=now + dt.timedelta(minutes=20))
    assert sec.data["period"] == "2021-03-23T1000" and sec.rows[0]["notified"] is True
    html = render.render_dashboard(queries.dashboard_data(ops, now=now + dt.timedelta(minutes=20)),
                                   now=now + dt.timedelta(minutes=20))
    part = html[html.index('id="urgent"'):html.index('id="supervised"')]
    assert "P1" in part and "黄泥川街道" in part and "分拨超时" in part and "督办" in part and "超 150" in part
    assert "已通知" in part
    # an hour without a run: the 看板 says so
    late = queries.urgent_section(ops, now=now + dt.timedelta(hours=1))
    assert late.data["stale"] is True

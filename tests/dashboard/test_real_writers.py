"""The dashboard over rows written by the real writers (the notify outbox), not hand-shaped ones."""

from __future__ import annotations

import sqlalchemy as sa

from tests.dashboard import seeding


def test_notices_section_over_a_real_delivery(tmp_path, monkeypatch):
    from gxq import store
    from gxq.connections import dispose_all
    from gxq.dashboard import queries
    from gxq.notify import DeliveryFailed, Notice, deliver

    ops = tmp_path / "gxq_ops.db"
    config = tmp_path / "apprise.yml"
    # office: the demo file channel (works); finance: a port nothing listens on (fails);
    # U99: no URL at all (unrouted).
    config.write_text(
        "version: 1\nurls:\n  - gxqfile://:\n      - tag: office\n  - json://127.0.0.1:9/:\n      - tag: finance\n"
    )
    monkeypatch.setenv("AIRFLOW_CONN_GXQ_OPS", seeding.sqlite_conn_json(ops))
    monkeypatch.setenv("GXQ_APPRISE_CONFIG", str(config))
    monkeypatch.setenv("GXQ_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("GXQ_NOTIFY_ATTEMPTS", "1")
    monkeypatch.setenv("GXQ_NOTIFY_RETRY_DELAY", "0")
    try:
        engine = store.ops_engine()
        notices = [
            Notice("office", "bulletin", "市民服务平台情况通报（2021-W09）", "全文"),
            Notice("finance", "batch", "政策兑现批次 2021-03", f"请联系 {seeding.PHONE} 确认"),
            Notice("U99", "unit_notice", "承办单位通报 U99（2021-W09）", "本单位部分"),
        ]
        try:
            deliver("petition_weekly_bulletin", "2021-W09", notices, engine=engine, run_id="manual__test")
        except DeliveryFailed:
            pass  # the finance channel is down: recorded as failed, the others still went

        section = queries.notices_section(engine)
        by_recipient = {r["recipient"]: r for r in section.rows}
        assert by_recipient["finance"]["status"] == "failed"
        assert by_recipient["finance"]["status_label"] == "发送失败"
        assert by_recipient["finance"]["attempts"] >= 1
        assert by_recipient["U99"]["status"] == "unrouted"
        assert "office" not in by_recipient  # sent: not in the attention list
        counts = {c["status"]: c["count"] for c in section.data["summary"]}
        assert counts["sent"] >= 1 and counts["failed"] == 1
        with engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT COUNT(*) FROM gxq_notify_outbox")).scalar()
        assert section.data["attention"] + counts.get("sent", 0) + counts.get("dry_run", 0) == stored
        assert section.rows[0]["status"] == "failed"  # failures first
    finally:
        dispose_all()

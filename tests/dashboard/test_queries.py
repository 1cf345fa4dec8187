"""营商环境看板: the gxq_ops queries and the rendered page, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from tests.dashboard import seeding


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def seeded(request, tmp_path_factory):
    """A migrated gxq_ops filled by :func:`seeding.seed_ops`: (engine, expectations)."""
    from gxq import store

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("ops") / "gxq_ops.db"
        engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    else:
        pg = request.getfixturevalue("pg")
        engine = sa.create_engine(seeding.pg_url(pg, pg.create("dash_ops")), poolclass=sa.pool.NullPool)
    store.ensure_schema(engine)
    expected = seeding.seed_ops(engine)
    yield engine, expected
    engine.dispose()


@pytest.fixture(scope="module")
def sections(seeded):
    from gxq.dashboard import queries

    engine, _ = seeded
    return queries.dashboard_data(engine, dt.datetime(2021, 3, 10, 9, 0, tzinfo=queries.TZ))


# --- 情况通报 ------------------------------------------------------------------------------


def test_bulletin_latest_figures_against_targets(sections, seeded):
    _, expected = seeded
    b = sections["bulletin"].data
    assert b["period"] == expected["period"] == "2021-W09"
    assert (b["start"], b["end"]) == ("2021-03-01", "2021-03-07")
    assert b["received"] == expected["received"] and b["received_prev"] == seeding.RECEIVED["2021-W08"]
    metrics = {m["key"]: m for m in b["metrics"]}
    assert metrics["dispatch"]["value"] == 1.0 and metrics["dispatch"]["meets"] is True
    assert metrics["feedback"]["value"] == expected["feedback_rate"] == 0.9455
    assert metrics["feedback"]["meets"] is False
    assert (metrics["feedback"]["numerator"], metrics["feedback"]["denominator"]) == (104, 110)
    assert metrics["satisfaction"]["value"] == expected["satisfaction_rate"] == 0.9625
    assert metrics["satisfaction"]["meets"] is True  # ≥ 95%
    assert [m["label"] for m in b["metrics"]] == ["按时分拨率", "按时反馈率", "满意率"]
    assert b["overdue_open"] == 3


def test_bulletin_trend_covers_eight_consecutive_weeks_with_gaps(sections):
    b = sections["bulletin"].data
    assert b["trend_keys"] == [f"2021-W0{i}" for i in range(2, 10)]
    feedback = next(m for m in b["metrics"] if m["key"] == "feedback")["trend"]
    assert len(feedback) == 8
    assert feedback[3] is None  # 2021-W05: no bulletin, a gap rather than a zero
    assert feedback[0] == round(88 / 90, 4) and feedback[-1] == 0.9455
    assert b["received_trend"][3] is None and b["received_trend"][-1] == 132


def test_bulletin_names_units_below_target(sections):
    below = sections["bulletin"].data["units_below"]
    assert [u["unit"] for u in below] == ["U03"]
    assert below[0]["feedback_rate"] == round(26 / 32, 4)
    assert "满意率未达标" in below[0]["reasons"] and "有超期未反馈" in below[0]["reasons"]


# --- 督办 ---------------------------------------------------------------------------------


def test_open_supervised_items_and_their_age(sections, seeded):
    _, expected = seeded
    sv = sections["supervised"]
    assert sv.data["as_of"] == "2021-W09" and sv.data["resolved"] == 1
    topics = [r["topic"] for r in sv.rows]
    assert sorted(topics) == sorted(t[0] for t in expected["open_items"])
    assert "占道经营" not in topics  # resolved (已销号) in the latest week
    # Oldest first; age counted to the end of 2021-W09 (Sunday 2021-03-07 inclusive).
    assert topics == ["供暖", "物业管理", "噪音扰民"]
    heating = sv.rows[0]
    assert heating["opened_week"] == "2021-W06" and heating["age_days"] == 28
    assert heating["escalated"] is True and heating["state_label"] == "仍在榜"
    assert heating["weeks_open"] == 4 and heating["lead_unit"] == "U01"
    assert sv.rows[-1]["age_days"] == 7 and sv.rows[-1]["state_label"] == "新增挂牌"


# --- 政策兑现批次 ---------------------------------------------------------------------------


def test_last_batches_with_totals_newest_first(sections, seeded):
    _, expected = seeded
    rows = sections["batches"].rows
    assert [r["batch_id"] for r in rows] == ["B-2021-Q1-Q", "B-2021-03-M", "B-2021-02-M"]
    for r in rows:
        assert r["total_amount"] == pytest.approx(expected["batch_totals"][r["batch_id"]])
    q1 = rows[0]
    assert q1["cadence_label"] == "季兑现" and q1["item_count"] == 3 and q1["enterprises"] == 2
    assert q1["withheld"] == 1 and q1["withheld_reasons"] == {"经营异常": 1} and q1["shortfalls"] == 1
    assert rows[1]["withheld_reasons"] == {"严重失信": 1}


def test_batches_from_reports_agree_with_the_batch_table(seeded):
    from gxq.dashboard import queries

    engine, _ = seeded
    from_table = queries._batches_from_table(engine, 6).rows
    from_reports = queries._batches_from_reports(engine, 6).rows
    key = lambda r: r["batch_id"]
    assert sorted((r["batch_id"], r["total_amount"], r["item_count"]) for r in from_table) == sorted(
        (r["batch_id"], r["total_amount"], r["item_count"]) for r in from_reports
    )
    assert {key(r): r["withheld_reasons"] for r in from_table} == {
        key(r): r["withheld_reasons"] for r in from_reports
    }


def test_batch_limit(seeded):
    from gxq.dashboard import queries

    engine, _ = seeded
    assert [r["batch_id"] for r in queries.batches_section(engine, limit=1).rows] == ["B-2021-Q1-Q"]


# --- 月评价 ---------------------------------------------------------------------------------


def test_latest_evaluation_traffic_lights(sections):
    iv = sections["innovation"].data
    assert iv["period"] == "2021-02"
    assert iv["counts"] == {"green": 2, "yellow": 1, "red": 1, "unreported": 1} and iv["total"] == 5
    assert iv["composite_score"] == 93.21
    # Worst first: red, unreported, yellow, then green.
    assert [p["project_id"] for p in iv["projects"]] == ["XM003", "XM004", "XM002", "XM001", "XM005"]
    assert iv["projects"][0]["label"] == "红灯"


# --- 通知 ------------------------------------------------------------------------------------


def test_failed_and_pending_notices_masked(sections, seeded):
    from gxq.masking import find_unmasked

    _, expected = seeded
    nt = sections["notices"]
    assert [r["status"] for r in nt.rows] == ["failed", "unrouted", "pending"]
    assert nt.rows[0]["subject"] == expected["failed_subject"]
    assert nt.data["attention"] == len(expected["attention"]) == 3
    assert {c["status"]: c["count"] for c in nt.data["summary"]} == {
        "failed": 1,
        "unrouted": 1,
        "pending": 1,
        "sent": 1,
        "dry_run": 1,
    }
    failed = nt.rows[0]
    assert seeding.PHONE not in failed["last_error"] and "136****0546" in failed["last_error"]
    assert seeding.ID_NUMBER not in nt.rows[2]["subject"] and "210203********1234" in nt.rows[2]["subject"]
    for r in nt.rows:
        assert not find_unmasked(r["subject"]) and not find_unmasked(r["last_error"])
    # Stored UTC, shown in Asia/Shanghai.
    assert failed["updated_at"] == dt.datetime(2021, 3, 8, 9, 5)


def test_publicity_latest_reminder(sections):
    pu = sections["publicity"]
    assert pu.data["period"] == "2021-W09-fri"
    # 公众号更新 is the week's updates (days with a post) against 1; the posts are a note
    assert [(r["label"], r["value"], r["target"], r["unit"], r["behind"]) for r in pu.rows] == [
        ("公众号更新", 0, 1, "次", True),
        ("工作信息报送", 3, 2, "篇", False),
    ]
    assert pu.rows[0]["note"] == "本周发文 0 篇（同一天发布算一次更新）"


# --- the page --------------------------------------------------------------------------------


def test_rendered_page_shows_figures_in_chinese_and_masks(sections):
    from gxq.dashboard import render
    from gxq.masking import find_unmasked

    html = render.render_dashboard(sections, now=dt.datetime(2021, 3, 10, 9, 0), user="admin")
    for text in (
        "营商环境看板",
        "市民服务平台情况通报",
        "按时分拨率",
        "按时反馈率",
        "满意率",
        "94.5%",
        "96.2%",
        "未达标",
        "挂牌督办事项",
        "供暖",
        "提级督办",
        "政策兑现批次",
        "1,087,500.50",
        "600,000",
        "自创区重大项目月评价",
        "红灯",
        "93.21",
        "通知发送",
        "发送失败",
        "136****0546",
        "宣传报送",
    ):
        assert text in html, text
    assert seeding.PHONE not in html and seeding.ID_NUMBER not in html
    assert find_unmasked(html) == []
    assert html.count("<svg") >= 4  # received + three rates
    assert "http://" not in html and "https://" not in html  # nothing fetched from outside


def test_sparkline_gap_target_and_below_target_dot():
    from gxq.dashboard.svg import sparkline

    svg = str(sparkline([1.0, 0.97, None, 0.99, 1.0], target=1.0, labels=list("abcde")))
    assert svg.count("<polyline") == 2  # the gap splits the line
    assert "stroke-dasharray" in svg  # the target line
    assert svg.count('fill="#c0392b"') == 2  # 97% and 99% are below 100%
    assert "b: 97.0%" in svg
    assert "无数据" in str(sparkline([None, None]))


# --- defensive: missing tables, empty store, bad rows ------------------------------------------


def test_empty_store_shows_notes_not_errors(tmp_path):
    from gxq import store
    from gxq.dashboard import queries, render

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}", poolclass=sa.pool.NullPool)
    store.ensure_schema(engine)
    s = queries.dashboard_data(engine)
    assert s["bulletin"].data is None and "尚无情况通报" in s["bulletin"].note
    assert s["supervised"].rows == [] and s["batches"].rows == [] and s["notices"].rows == []
    assert s["notices"].note == "没有失败或待发送的通知"
    html = render.render_dashboard(s, now=dt.datetime(2021, 3, 10))
    assert "尚无情况通报" in html and "当前无在办督办事项" in html


def test_missing_tables_give_empty_sections(tmp_path):
    """A gxq_ops with only the reports table (the other branches not migrated yet)."""
    from gxq.dashboard import queries, render

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}", poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE gxq_reports (dag_id TEXT, period_key TEXT, run_id TEXT, report_json TEXT,"
                " report_hash TEXT, issued_at TIMESTAMP, updated_at TIMESTAMP)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO gxq_reports VALUES (:d, :p, NULL, :j, 'x', '2021-03-08 01:00:00', '2021-03-08 01:00:00')"
            ),
            [
                {
                    "d": "petition_weekly_bulletin",
                    "p": "2021-W09",
                    "j": json.dumps(seeding.bulletin_report("2021-W09")),
                },
                {"d": "petition_weekly_bulletin", "p": "2021-W08", "j": "{not json"},
                {
                    "d": "policy_redemption_monthly",
                    "p": "2021-03",
                    "j": json.dumps(
                        {
                            "period": "2021-03",
                            "cadence": "monthly",
                            "batch_id": "B1",
                            "items": [{"credit_code": "X", "amount": 300000}],
                            "withheld": [],
                            "total_amount": 300000,
                        }
                    ),
                },
            ],
        )
    s = queries.dashboard_data(engine)
    assert s["bulletin"].data["period"] == "2021-W09"
    assert s["bulletin"].data["metrics"][1]["trend"][-2] is None  # the unreadable W08 is skipped
    assert s["supervised"].available is False and s["supervised"].note == "督办事项表尚未建立"
    assert s["notices"].available is False and s["notices"].note == "通知发件箱尚未建立"
    assert [(r["batch_id"], r["total_amount"]) for r in s["batches"].rows] == [("B1", 300000.0)]
    html = render.render_dashboard(s, now=dt.datetime(2021, 3, 10))
    assert "督办事项表尚未建立" in html and "通知发件箱尚未建立" in html


def test_a_failing_section_does_not_take_the_page_down(tmp_path, monkeypatch):
    from gxq.dashboard import queries

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}", poolclass=sa.pool.NullPool)

    def boom(engine):
        raise sa.exc.OperationalError("SELECT", {}, Exception("connection lost"))

    monkeypatch.setitem(queries.SECTIONS, "innovation", lambda e, today: boom(e))
    s = queries.dashboard_data(engine)
    assert s["innovation"].available is False and "读取失败" in s["innovation"].note
    assert s["bulletin"].note  # the others still answered


def test_units_are_named_by_the_latest_bulletins_directory(tmp_path):
    """The 看板 names units by the unit directory the latest bulletin carried (short names, the
    code in a tooltip) in every section; a code the directory lacks shows as it is."""
    from gxq import store
    from gxq.dashboard import queries, render

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'gxq_ops.db'}", poolclass=sa.pool.NullPool)
    store.ensure_schema(engine)
    assert queries.unit_names(engine) == {}  # before any bulletin: codes stand in
    report = seeding.bulletin_report("2021-W09")
    report["unit_names"] = {"U01": "高新区科技和工业信息化局", "U05": "高新区城市管理局"}
    store.record_report(engine, queries.BULLETIN_DAG, "2021-W09", report)
    names = queries.unit_names(engine)
    assert names == {"U01": "科技和工业信息化局", "U05": "城市管理局"}

    sections = queries.dashboard_data(engine, dt.datetime(2021, 3, 10, 9, 0, tzinfo=queries.TZ))
    html = render.render_dashboard(sections, now=dt.datetime(2021, 3, 10, 9, 0), user="admin", unit_names=names)
    assert '<span class="unit" title="U01">科技和工业信息化局</span>' in html  # 高频投诉 lead and units
    assert '<span class="unit" title="U05">城市管理局</span>' in html
    assert "<td>U03</td>" in html  # below target, not in the directory: its code
    assert ">U01<" not in html

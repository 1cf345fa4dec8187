"""The rolling demo window: seeded for a fixed "today", the runs of the current week, month and
quarter find real figures, and the first policy batch is one period's, not a backlog."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

import pytest
import sqlalchemy as sa
from gxq import cadences, periods
from gxq.demo import generate, window

TODAY = dt.date(2026, 12, 3)  # a Thursday: the week so far has Monday to Wednesday
NOW = dt.datetime(2026, 12, 3, 15, 0, tzinfo=periods.TZ)
SCALE = 0.2


@pytest.fixture(scope="module")
def rolling_dbs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rolling")
    urls = {cid: f"sqlite:///{folder / (cid + '.db')}" for cid in generate.CONN_IDS}
    generate.seed(urls, scale=SCALE, window=window.rolling(TODAY))
    engines = {cid: sa.create_engine(url) for cid, url in urls.items()}
    yield folder, engines
    for engine in engines.values():
        engine.dispose()


def _digest(path) -> str:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT * FROM petitions ORDER BY petition_id").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_window_ends_today_and_is_deterministic(rolling_dbs, tmp_path):
    folder, engines = rolling_dbs
    w = window.rolling(TODAY)
    assert (w.year, w.first_day, w.last_day) == (2026, dt.date(2025, 12, 1), TODAY)
    with engines["dept_petitions"].connect() as conn:
        last = conn.execute(sa.text("SELECT MAX(received_at) FROM petitions")).scalar()
        latest_any = conn.execute(sa.text(
            "SELECT MAX(MAX(COALESCE(dispatched_at, '')), MAX(COALESCE(feedback_at, '')), "
            "MAX(COALESCE(closed_at, '')), MAX(COALESCE(revisited_at, ''))) FROM petitions")).scalar()
    assert last.startswith("2026-12-03"), last
    assert latest_any < "2026-12-04", latest_any  # nothing after the end of today
    again = tmp_path / "again.db"
    generate.seed({"dept_petitions": f"sqlite:///{again}"}, scale=SCALE, window=window.rolling(TODAY))
    assert _digest(again) == _digest(folder / "dept_petitions.db")
    other = tmp_path / "other.db"
    generate.seed({"dept_petitions": f"sqlite:///{other}"}, scale=SCALE,
                  window=window.rolling(TODAY + dt.timedelta(days=7)))
    assert _digest(other) != _digest(again)


def test_current_week_bulletin_is_filled(rolling_dbs):
    from gxq.petitions import compute

    week = cadences.covers("petition_weekly_bulletin", NOW)
    assert week.key == "2026-W48"
    report = compute.compute_week(rolling_dbs[1]["dept_petitions"], week)["report"]
    assert report["received"] > 50 and report["received_prev"] > 50, report["received"]
    for block in ("dispatch", "feedback", "satisfaction"):
        assert report[block]["rate"] is not None and report[block]["rate"] > 0.5, (block, report[block])
    assert report["top_topics"] and report["units"]


def test_current_month_evaluation_is_filled(rolling_dbs, monkeypatch):
    from gxq.innovation import monthly

    month = cadences.covers("innovation_monthly_evaluation", NOW)
    assert month.key == "2026-11"
    report = monthly.evaluate(month, rolling_dbs[1]["dept_innovation"])
    counts = report["counts"]
    reported = counts["green"] + counts["yellow"] + counts["red"]
    assert reported > 2 * counts["unreported"], counts
    assert report["indicators"] and report["composite_score"] is not None


def test_current_week_publicity_is_filled(rolling_dbs):
    week, bound = periods.week_so_far(dt.datetime.combine(TODAY, dt.time(23, 59), tzinfo=periods.TZ))
    engine = rolling_dbs[1]["dept_publicity"]
    with engine.connect() as conn:
        posts = conn.execute(sa.text("SELECT COUNT(*) FROM wechat_posts WHERE published_at >= :a AND published_at < :b"),
                             {"a": week.start.strftime("%Y-%m-%d %H:%M:%S"), "b": bound.strftime("%Y-%m-%d %H:%M:%S")}).scalar()
        infos = conn.execute(sa.text(
            "SELECT COUNT(*) FROM info_submissions WHERE submitted_at >= :a AND submitted_at < :b"),
            {"a": week.start.strftime("%Y-%m-%d %H:%M:%S"), "b": bound.strftime("%Y-%m-%d %H:%M:%S")}).scalar()
    assert posts + infos > 0, (posts, infos)


def test_policy_bases_start_with_the_demo_ledger(rolling_dbs):
    """Every award basis falls from the previous month (monthly policies) or quarter (quarterly
    ones) on: the first batch of a new installation is one period's batch."""
    w = window.rolling(TODAY)
    monthly, quarterly = w.base_start("monthly"), w.base_start("quarterly")
    assert (monthly, quarterly) == (dt.date(2026, 11, 1), dt.date(2026, 7, 1))
    with rolling_dbs[1]["dept_policy"].connect() as conn:
        certs = conn.execute(sa.text("SELECT cert_type, certified_on FROM certifications")).all()
        approved = conn.execute(sa.text(
            "SELECT policy_id, approved_at FROM applications WHERE status = 'approved' AND approved_at <> ''")).all()
    in_programme = [(t, d) for t, d in certs if d >= "2021-01-01"]
    assert {t for t, _ in in_programme} >= {"高新技术企业", "专精特新中小企业", "科技型中小企业"}
    assert any(d < "2021-01-01" for _, d in certs)  # earlier certifications still decide "first"
    for cert_type, day in in_programme:
        start = monthly if cert_type in ("高新技术企业", "科技型中小企业") else quarterly
        assert start.isoformat() <= day <= TODAY.isoformat(), (cert_type, day)
    assert approved
    for policy_id, at in approved:
        start = monthly if policy_id == "employment_subsidy" else quarterly
        assert start.isoformat() <= at[:10] <= TODAY.isoformat(), (policy_id, at)


def test_first_monthly_batch_is_one_months(rolling_dbs):
    from gxq.policy import catalogue
    from gxq.policy.evaluate import evaluate

    month = cadences.covers("policy_redemption_monthly", NOW)
    result = evaluate(rolling_dbs[1]["dept_policy"], month, catalogue.for_cadence("monthly"), False)
    hte = [c for c in result.candidates if c.policy_id == "hte_first_certification"]
    assert hte, "no 高新技术企业 award in the month"
    # the demo year's 2021 pays about 18% of 2,000 enterprises (x scale) over 14 months in all;
    # one month is a small share of that, not the whole history
    assert len(hte) < 0.18 * 2000 * SCALE / 3, len(hte)

"""On the demo publicity data (gxq.demo.generate, the same rows as the demo fixtures), SQLite and
PostgreSQL: every reminder run of 2021 against an independent count in Python, and one
``dag.test()`` per backend of a run the calendar moved (Wednesday 2021-02-17 -> Thursday 02-18)."""

from __future__ import annotations

import datetime as dt
import json

import pendulum
import pytest
from gxq import sql
from gxq.cadences import timetable_for
from gxq.publicity import reminder, source
from gxq.run import Run

from tests.conftest import pg_conn_json, pg_url, run_dag, sqlite_conn_json

DAG_ID = "publicity_cadence_reminder"


@pytest.fixture(scope="module")
def demo_publicity(pg, tmp_path_factory):
    import sqlalchemy as sa
    from gxq.demo import generate
    from gxq.demo.window import DEMO_YEAR

    folder = tmp_path_factory.mktemp("demo-publicity")
    dept, ops = pg.create("pub_demo"), pg.create("pub_demo_ops")
    urls = {"sqlite": f"sqlite:///{folder / 'dept_publicity.db'}", "pg": pg_url(dept)}
    rows = {}
    for backend, url in urls.items():
        generate.seed({"dept_publicity": url}, window=DEMO_YEAR)
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            posts = [sql.to_dt(r[0]) for r in conn.execute(sa.text("SELECT published_at FROM wechat_posts"))]
            subs = [sql.to_dt(r[0]) for r in conn.execute(sa.text("SELECT submitted_at FROM info_submissions"))]
        engine.dispose()
        rows[backend] = (posts, subs)
    assert rows["sqlite"] == rows["pg"] and len(rows["sqlite"][0]) > 50
    return {
        "rows": rows["sqlite"],
        "conns": {
            "sqlite": {"dept_publicity": sqlite_conn_json(folder / "dept_publicity.db"),
                       "gxq_ops": sqlite_conn_json(folder / "gxq_ops.db")},
            "pg": {"dept_publicity": pg_conn_json(dept), "gxq_ops": pg_conn_json(ops)},
        },
    }


def _expected(rows, start, end):
    """(updates, posts, submissions) in [start, end): updates are the distinct days with a post."""
    posts, subs = rows
    inside = [t for t in posts if t and start <= t < end]
    return (len({t.date() for t in inside}), len(inside), sum(1 for t in subs if t and start <= t < end))


@pytest.mark.parametrize("backend", ["sqlite", "pg"])
def test_every_2021_reminder_matches_an_independent_count(backend, demo_publicity, use_conns, monkeypatch):
    monkeypatch.delenv("GXQ_WECHAT_SOURCE", raising=False)
    use_conns(demo_publicity["conns"][backend])
    slots = timetable_for(DAG_ID).run_times(dt.date(2021, 1, 1), dt.date(2022, 1, 1))
    assert len(slots) == 101
    behind_runs = 0
    keys = set()
    for slot in slots:
        as_of = Run.at(DAG_ID, slot.run_at.replace(tzinfo=reminder.periods.TZ))
        (start, bound), key = reminder.bounds(as_of), as_of.key
        got = source.counts(start, bound, source="table")
        expected = _expected(demo_publicity["rows"], start, bound)
        assert (got.wechat_updates, got.wechat_posts, got.info_submissions) == expected, key
        report = reminder.build_report(as_of, got.to_dict())
        expected_behind = [k for k, n, target in (("wechat_updates", expected[0], 1), ("info_submissions", expected[2], 2))
                           if n < target]
        assert report["behind"] == expected_behind
        assert (reminder.reminder_notice(report) is not None) == bool(expected_behind)
        behind_runs += bool(expected_behind)
        keys.add(key)
    assert len(keys) == len(slots)  # no two runs share a report
    assert "2021-W07-thu" in keys and "2021-W06-fri" not in keys  # moved Wednesday; Friday 02-12 skipped
    assert 0 < behind_runs < len(slots)  # the demo year has weeks on and off target


@pytest.fixture(scope="module")
def moved_runs(dagbag, demo_publicity, tmp_path_factory):
    from gxq.connections import dispose_all

    root = tmp_path_factory.mktemp("demo-publicity-dag")
    out = {}
    when = pendulum.datetime(2021, 2, 18, 10, tz="Asia/Shanghai")  # the Wednesday reminder, moved
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GXQ_APPRISE_CONFIG", str(root / "none.yml"))  # no channel: notices wait unrouted
        mp.delenv("GXQ_WECHAT_SOURCE", raising=False)
        for backend, conns in demo_publicity["conns"].items():
            mp.setenv("GXQ_OUTPUT_DIR", str(root / backend))
            for cid, value in conns.items():
                mp.setenv(f"AIRFLOW_CONN_{cid.upper()}", value)
            dispose_all()
            dr = run_dag(dagbag, DAG_ID, when)
            path = root / backend / DAG_ID / "2021-W07-thu" / "report.json"
            out[backend] = (str(dr.state), json.loads(path.read_text(encoding="utf-8")) if path.exists() else None)
        dispose_all()
    return out


def test_moved_run_on_demo_data(moved_runs, demo_publicity):
    expected = _expected(demo_publicity["rows"], dt.datetime(2021, 2, 15), dt.datetime(2021, 2, 18, 10))
    for backend, (state, report) in moved_runs.items():
        assert state == "success", backend
        assert report["period"] == "2021-W07" and report["as_of"] == "2021-02-18T10:00:00+08:00"
        assert (report["wechat_updates"], report["wechat_posts"], report["info_submissions"]) == expected
    assert moved_runs["sqlite"][1] == moved_runs["pg"][1]  # same data, same report

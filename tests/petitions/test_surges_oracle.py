"""突增 against an independent reading of the department table: every petition row read plainly
(no project SQL, no stored counts), validity and ISO weeks decided in Python, μ and σ by the
``statistics`` module. The bulletin's ``surges`` (and its street surges) must be the same, on the
demo data, on SQLite and PostgreSQL, for weeks across the year (including the first weeks, whose
baselines reach before the data, and a backfill that jumps back)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter

import pytest
import sqlalchemy as sa
from gxq.petitions import pipeline

WEEKS = ["2021-W44", "2021-W01", "2021-W27", "2021-W45", "2021-W09", "2022-W01"]
SATISFACTION = {"满意", "基本满意", "不满意"}


def _ts(value) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def read_complaints(engine) -> list[tuple[dt.date, str, str | None]]:
    """(received day, topic, street) of every counted complaint of the department table."""
    out = []
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT received_at, kind, topic, street, dispatched_at, feedback_at, status, satisfaction"
            " FROM petitions")).all()
    for received, kind, topic, street, dispatched, feedback, status, satisfaction in rows:
        if status == "已撤销":
            continue
        received, dispatched, feedback = _ts(received), _ts(dispatched), _ts(feedback)
        if received is None or (dispatched is not None and dispatched < received) \
                or (feedback is not None and feedback < received) \
                or (satisfaction not in (None, "") and satisfaction not in SATISFACTION):
            continue
        if kind != "投诉" or topic in (None, ""):
            continue
        out.append((received.date(), topic, street or None))
    return out


def oracle_surges(complaints, week_key: str, by_street: bool = False) -> list[dict]:
    year, week = week_key.split("-W")
    monday = dt.date.fromisocalendar(int(year), int(week), 1)
    counts: Counter = Counter()  # (key, weeks before W: 0 = W, 1..8 the baseline)
    for day, topic, street in complaints:
        back = (monday - (day - dt.timedelta(days=day.weekday()))).days // 7
        if 0 <= back <= 8 and (street is not None or not by_street):
            counts[((topic, street) if by_street else topic, back)] += 1
    found = []
    for (key, back), n in counts.items():
        if back != 0:
            continue
        history = [counts[(key, b)] for b in range(8, 0, -1)]  # weeks without complaints: 0
        mu, sd = statistics.fmean(history), statistics.pstdev(history)
        if n >= 5 and n > mu + 3 * max(sd, 1):
            ident = {"topic": key[0], "street": key[1]} if by_street else {"topic": key}
            found.append((n - mu, key, {**ident, "complaints": n, "baseline_mean": round(mu, 2),
                                        "threshold": round(mu + 3 * max(sd, 1), 2)}))
    found.sort(key=lambda x: (-x[0], x[1]))
    return [f[2] for f in found]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_surges_equal_an_independent_reading_of_the_department(backend, request, tmp_path, monkeypatch):
    from gxq import store
    from gxq.connections import engine_for, parse_conn_value

    conns = request.getfixturevalue("demo_sqlite" if backend == "sqlite" else "demo_pg")
    monkeypatch.setenv("AIRFLOW_CONN_DEPT_PUBLICITY", conns["dept_publicity"])
    monkeypatch.delenv("GXQ_PETITIONS_RECOUNT_WEEKS", raising=False)
    engine = engine_for("dept_petitions", parse_conn_value("dept_petitions", conns["dept_petitions"]))
    ops = store.ensure_schema(sa.create_engine(f"sqlite:///{tmp_path / 'ops.db'}", poolclass=sa.pool.NullPool))
    complaints = read_complaints(engine)
    seen = 0
    for week in WEEKS:
        computed = pipeline.compute_all(week, engine=engine, ops=ops)
        assert computed["report"]["surges"] == oracle_surges(complaints, week), week
        assert computed["extras"]["street_surges"] == oracle_surges(complaints, week, by_street=True), week
        seen += len(computed["report"]["surges"])
    assert seen >= 3  # the comparison is not only of empty lists

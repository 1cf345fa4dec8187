"""Demo department data (演示数据): deterministic, realistic in volume and rhythm, with the bad rows
the DAGs must cope with, and written with COPY on PostgreSQL."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from gxq.demo import generate, schema, vocab
from gxq.demo.window import DEMO_YEAR

from tests.conftest import pg_url

SCALE = 0.2
DEPTS = generate.CONN_IDS
WEEKS = (date(2022, 1, 31) - date(2020, 12, 1)).days / 7 + 1 / 7


def _urls(folder: Path) -> dict[str, str]:
    return {cid: f"sqlite:///{folder / (cid + '.db')}" for cid in DEPTS}


def _content_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for cid in DEPTS:
        with sqlite3.connect(folder / f"{cid}.db") as conn:
            for table in schema.TABLES[cid]:
                for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid"):
                    digest.update(repr(row).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("demo")
    counts = generate.seed(_urls(folder), scale=SCALE, window=DEMO_YEAR)
    return folder, counts


def _db(demo, cid: str) -> sqlite3.Connection:
    return sqlite3.connect(demo[0] / f"{cid}.db")


def test_same_seed_same_rows_other_seed_other_rows(demo, tmp_path):
    generate.seed(_urls(tmp_path / "again"), scale=SCALE, window=DEMO_YEAR)
    assert _content_hash(tmp_path / "again") == _content_hash(demo[0])
    generate.seed(_urls(tmp_path / "other"), scale=SCALE, seed=7, window=DEMO_YEAR)
    assert _content_hash(tmp_path / "other") != _content_hash(demo[0])


def test_subset_is_the_same_as_in_the_full_seed(demo, tmp_path):
    counts = generate.seed({"dept_innovation": f"sqlite:///{tmp_path / 'inno.db'}"}, scale=SCALE, window=DEMO_YEAR)
    assert set(counts) == set(schema.TABLES["dept_innovation"])
    a = sqlite3.connect(tmp_path / "inno.db").execute("SELECT * FROM project_monthly ORDER BY 1, 2, 5").fetchall()
    b = _db(demo, "dept_innovation").execute("SELECT * FROM project_monthly ORDER BY 1, 2, 5").fetchall()
    assert a == b


def test_counts_at_scale(demo):
    _folder, counts = demo
    assert set(counts) == {t for cid in DEPTS for t in schema.TABLES[cid]}
    assert counts["units"] == 23
    per_week = counts["petitions"] / WEEKS / SCALE
    assert 300 <= per_week <= 500, per_week
    assert counts["petitions"] <= counts["petition_units"] <= 1.3 * counts["petitions"]
    assert counts["enterprises"] == round(2000 * SCALE)
    assert 0.3 * counts["enterprises"] < counts["certifications"] < counts["enterprises"]
    assert counts["applications"] > 50 and counts["commitments"] > 50
    assert counts["projects"] == 60 and counts["indicators"] == 12
    assert 500 < counts["project_monthly"] < 60 * 14
    assert 1 <= counts["wechat_posts"] / WEEKS <= 3
    assert 1.5 <= counts["info_submissions"] / WEEKS <= 4
    db = _db(demo, "dept_petitions")
    first, last = db.execute("SELECT min(received_at), max(received_at) FROM petitions WHERE received_at <> ''").fetchone()
    assert first.startswith("2020-12-01") and last.startswith("2022-01-31")


def test_units_and_streets(demo):
    db = _db(demo, "dept_petitions")
    units = dict(db.execute("SELECT unit_code, unit_name FROM units"))
    assert sorted(units) == [f"U{i:02d}" for i in range(1, 24)]
    assert "七贤岭街道办事处" in units.values() and "高新区建设局" in units.values()
    streets = {s for (s,) in db.execute("SELECT DISTINCT street FROM petitions")}
    assert streets == {"凌水街道", "七贤岭街道", "黄泥川街道", "龙王塘街道", "大连湾街道"}


def test_weekly_and_seasonal_rhythm(demo):
    db = _db(demo, "dept_petitions")
    by_weekday = Counter()
    for (ts,) in db.execute("SELECT received_at FROM petitions WHERE received_at LIKE '2021-%'"):
        by_weekday[datetime.fromisoformat(ts).weekday()] += 1
    assert min(by_weekday[d] for d in range(5)) > 1.3 * max(by_weekday[5], by_weekday[6])

    def topic_in(topic: str, month: str) -> int:
        return db.execute("SELECT count(*) FROM petitions WHERE topic = ? AND received_at LIKE ?",
                          (topic, month + "%")).fetchone()[0]

    assert topic_in("供暖", "2021-01") > 10 * max(1, topic_in("供暖", "2021-07"))
    assert topic_in("暴雨积水", "2021-07") > 10 * max(1, topic_in("暴雨积水", "2021-01"))
    topics = {t for (t,) in db.execute("SELECT DISTINCT topic FROM petitions")}
    assert {"供暖", "暴雨积水", "噪音扰民", "道路交通", "物业管理", "环境卫生", "劳动保障", "市场监管"} <= topics


def test_every_invalid_reason_is_present(demo):
    db = _db(demo, "dept_petitions")
    reasons = Counter()
    n = 0
    for received, dispatched, feedback, satisfaction in db.execute(
            "SELECT received_at, dispatched_at, feedback_at, satisfaction FROM petitions WHERE status <> '已撤销'"):
        n += 1
        if not received:
            reasons["missing_received_at"] += 1
        elif dispatched and dispatched < received:
            reasons["dispatched_before_received"] += 1
        elif feedback and feedback < received:
            reasons["feedback_before_received"] += 1
        elif satisfaction and satisfaction not in ("满意", "基本满意", "不满意"):
            reasons["bad_satisfaction"] += 1
    assert set(reasons) == {"missing_received_at", "dispatched_before_received", "feedback_before_received",
                            "bad_satisfaction"}
    for reason, count in reasons.items():
        assert 0.001 * n < count < 0.012 * n, (reason, count)
    # the SQLite spelling of NULL: some empty strings in nullable timestamp and text columns
    assert db.execute("SELECT count(*) FROM petitions WHERE received_at = ''").fetchone()[0] > 0
    assert db.execute("SELECT count(*) FROM petitions WHERE feedback_at = ''").fetchone()[0] > 0
    assert db.execute("SELECT count(*) FROM petitions WHERE satisfaction = ''").fetchone()[0] > 0


def test_petition_timings_statuses_and_satisfaction(demo):
    db = _db(demo, "dept_petitions")
    rows = db.execute("SELECT received_at, dispatch_due_at, dispatched_at, feedback_due_at, feedback_at, closed_at,"
                      " status, satisfaction, revisited_at, is_urgent FROM petitions WHERE received_at <> ''"
                      " AND status <> '已撤销'").fetchall()
    statuses = Counter(s for (s,) in db.execute("SELECT status FROM petitions"))
    total = sum(statuses.values())
    assert 0.005 < statuses["已撤销"] / total < 0.02
    assert statuses["办理中"] > 0 and statuses["待分拨"] > 0 and statuses["已办结"] > 0.9 * total
    late_dispatch = late_feedback = open_feedback = 0
    for rec, d_due, disp, f_due, fb, closed, status, sat, rev, urgent in rows:
        r, dd, fd = (datetime.fromisoformat(x) for x in (rec, d_due, f_due))
        hours = (dd - r).total_seconds() / 3600
        assert 2 <= hours <= 24 and (hours == 2) == bool(urgent)
        workdays = [d for d in (r.date().fromordinal(r.date().toordinal() + i) for i in range(1, 40))
                    if vocab.is_working_day(d) and d <= fd.date()]
        assert 3 <= len(workdays) <= 15 and fd.time() == r.time()
        late_dispatch += bool(disp) and disp > d_due
        late_feedback += bool(fb) and fb > f_due
        open_feedback += not fb
        if rev:
            assert closed and rev > closed
        if status == "已办结":
            assert closed
    n = len(rows)
    assert 0.01 < late_dispatch / n < 0.08
    assert 0.01 < late_feedback / n < 0.08
    assert open_feedback > 0
    sats = Counter(s for (s,) in db.execute("SELECT satisfaction FROM petitions WHERE satisfaction IN "
                                            "('满意', '基本满意', '不满意')"))
    satisfied = (sats["满意"] + sats["基本满意"]) / sum(sats.values())
    assert 0.93 <= satisfied <= 0.97


def test_personal_data_to_mask(demo):
    db = _db(demo, "dept_petitions")
    phones = [p for (p,) in db.execute("SELECT citizen_phone FROM petitions") if p]
    mobiles = [p for p in phones if re.fullmatch(r"1[358]\d{9}", p)]
    landlines = [p for p in phones if re.fullmatch(r"0411-8\d{7}", p)]
    assert len(mobiles) + len(landlines) == len(phones) and len(landlines) > 0.03 * len(phones)
    texts = [c for (c,) in db.execute("SELECT content FROM petitions")]
    with_mobile = [t for t in texts if re.search(r"(?<!\d)1[358]\d{9}(?!\d)", t)]
    ids = [m for t in texts for m in re.findall(r"(?<![0-9])\d{17}[\dX](?![0-9])", t)]
    assert len(with_mobile) > 0.03 * len(texts) and len(ids) > 0.01 * len(texts)
    for number in ids:
        assert vocab.id_number(number[:6], date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                               int(number[14:17])) == number
    names = [n for (n,) in db.execute("SELECT citizen_name FROM petitions")]
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n) for n in names)


def test_lead_units(demo):
    db = _db(demo, "dept_petitions")
    leads = Counter(pid for (pid,) in db.execute("SELECT petition_id FROM petition_units WHERE role = 'lead'"))
    dispatched = {pid for (pid,) in db.execute("SELECT petition_id FROM petitions WHERE dispatched_at <> ''")}
    assert set(leads) == dispatched
    assert sum(1 for c in leads.values() if c == 2) <= 0.005 * len(leads)
    assert db.execute("SELECT count(DISTINCT petition_id) FROM petition_units WHERE role = 'co'").fetchone()[0] > 0
    units = {u for (u,) in db.execute("SELECT DISTINCT unit_code FROM petition_units")}
    assert units <= {f"U{i:02d}" for i in range(1, 21)} and len(units) >= 15


def test_policy_data(demo):
    db = _db(demo, "dept_policy")
    codes = [c for (c,) in db.execute("SELECT credit_code FROM enterprises")]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert len(code) == 18 and vocab.credit_code(code[:17]) == code
    abnormal, dishonest = db.execute("SELECT sum(abnormal), sum(dishonest) FROM enterprises").fetchone()
    assert 0 < abnormal < 0.08 * len(codes) and 0 < dishonest < 0.05 * len(codes)
    # 高新技术企业 certified in the programme: first ones and repeats of an earlier one
    hte = db.execute("SELECT c.credit_code, c.certified_on, (SELECT count(*) FROM certifications e WHERE"
                     " e.credit_code = c.credit_code AND e.cert_type = c.cert_type AND (e.certified_on <"
                     " c.certified_on OR (e.certified_on = c.certified_on AND e.cert_id < c.cert_id)))"
                     " FROM certifications c WHERE cert_type = '高新技术企业' AND certified_on >= '2021-01-01'"
                     " AND certified_on < '2022-01-01'").fetchall()
    assert sum(1 for *_, earlier in hte if earlier == 0) > 10
    assert sum(1 for *_, earlier in hte if earlier > 0) > 5
    flagged = db.execute("SELECT sum(e.abnormal), sum(e.dishonest) FROM enterprises e JOIN certifications c"
                         " USING (credit_code) WHERE c.cert_type = '高新技术企业' AND c.certified_on >= '2021-01-01'"
                         ).fetchone()
    assert flagged[0] > 0 and flagged[1] > 0  # awards to withhold
    types = {t for (t,) in db.execute("SELECT DISTINCT cert_type FROM certifications")}
    assert types == {"高新技术企业", "专精特新中小企业", "科技型中小企业"}
    unknown = db.execute("SELECT count(*) FROM certifications WHERE credit_code NOT IN"
                         " (SELECT credit_code FROM enterprises)").fetchone()[0]
    assert unknown >= 2
    # 知识产权质押贴息: some above the cap, some pending or rejected, two approved without a date
    ip = db.execute("SELECT status, amount_requested, approved_at FROM applications"
                    " WHERE policy_id = 'ip_pledge_interest'").fetchall()
    assert {s for s, *_ in ip} == {"submitted", "approved", "rejected"}
    assert any(a and a > 500000 for s, a, _ in ip if s == "approved")
    assert sum(1 for s, _, at in ip if s == "approved" and not at) == 2
    assert len({p for (p,) in db.execute("SELECT DISTINCT policy_id FROM applications")}) >= 4
    shortfalls = db.execute("SELECT count(*) FROM commitments WHERE coalesce(fulfilled_amount, 0) < promised_amount"
                            " AND due_on BETWEEN '2021-01-01' AND '2021-12-31'").fetchone()[0]
    assert shortfalls > 5


def test_innovation_data(demo):
    db = _db(demo, "dept_innovation")
    starts = [date.fromisoformat(s) for (s,) in db.execute("SELECT start_on FROM projects")]
    assert sum(s.year == 2021 for s in starts) >= 8 and sum(s.year == 2022 for s in starts) >= 3
    status = Counter()
    for plan, actual in db.execute("SELECT plan_progress_pct, actual_progress_pct FROM project_monthly"
                                   " WHERE month BETWEEN '2021-01' AND '2021-12'"):
        gap = round(plan - actual, 2)
        status["green" if gap <= 10 else "yellow" if gap <= 30 else "red"] += 1
    assert status["green"] > status["yellow"] > 0 and status["red"] > 0
    twice = db.execute("SELECT count(*) FROM (SELECT 1 FROM project_monthly GROUP BY project_id, month"
                       " HAVING count(*) > 1)").fetchone()[0]
    assert twice > 0
    assert db.execute("SELECT count(*) FROM project_monthly WHERE actual_progress_pct > 100").fetchone()[0] > 0
    # some active months unreported
    active_months = sum(len([m for m in range(1, 13) if (s.year, s.month) <= (2021, m)]) for s in starts)
    reported = db.execute("SELECT count(DISTINCT project_id || month) FROM project_monthly"
                          " WHERE month LIKE '2021-%'").fetchone()[0]
    assert 0.8 * active_months < reported < active_months
    targets = dict(db.execute("SELECT indicator_code, annual_target FROM indicators"))
    assert len(targets) == 12 and sum(1 for t in targets.values() if t == 0) == 1
    assert db.execute("SELECT sum(weight) FROM indicators").fetchone()[0] == 100
    values = db.execute("SELECT indicator_code, month, value_ytd FROM indicator_monthly"
                        " WHERE month LIKE '2021-%' ORDER BY 1, 2").fetchall()
    assert len(values) < 12 * 12  # some months missing
    for code in targets:
        series = [v for c, _, v in values if c == code]
        assert series == sorted(series), code  # year to date: never decreases within the year


def test_publicity_cadence(demo):
    db = _db(demo, "dept_publicity")
    weeks = Counter()
    for (ts,) in db.execute("SELECT published_at FROM wechat_posts WHERE published_at LIKE '2021-%'"):
        weeks[datetime.fromisoformat(ts).isocalendar()[:2]] += 1
    all_weeks = {date(2021, 1, 4).fromordinal(date(2021, 1, 4).toordinal() + 7 * i).isocalendar()[:2]
                 for i in range(52)}
    behind = [w for w in all_weeks if weeks[w] < 2]
    assert 5 < len(behind) < 40
    agencies = {a for (a,) in db.execute("SELECT DISTINCT agency FROM info_submissions")}
    assert "大连市营商环境建设局" in agencies


def test_cli_writes_sqlite_files(tmp_path, capsys):
    assert generate.main(["--data-dir", str(tmp_path), "--only", "dept_publicity", "--scale", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "wechat_posts" in out and "total" in out
    assert (tmp_path / "dept_publicity.db").exists() and not (tmp_path / "dept_petitions.db").exists()
    # one database for several conn ids: the contract's table names do not clash
    one = tmp_path / "all.db"
    assert generate.main(["--url", f"sqlite:///{one}", "--only", "dept_publicity", "--only", "dept_innovation"]) == 0
    tables = {t for (t,) in sqlite3.connect(one).execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == set(schema.TABLES["dept_publicity"]) | set(schema.TABLES["dept_innovation"])


def test_copy_lines_escape_and_null():
    fmt = generate.copy_line_formatter(["TEXT", "TS", "BOOL", "NUM", "TEXT", "TEXT"])
    assert fmt(("a\tb\\c\nd", "", True, 0, None, "")) == "a\\tb\\\\c\\nd\t\\N\tt\t0\t\\N\t\n"
    assert fmt(("中文", "2021-01-01 00:00:00", False, 12.5, "x", "y")) == "中文\t2021-01-01 00:00:00\tf\t12.5\tx\ty\n"


@pytest.mark.postgres
def test_postgres_seed_uses_copy_and_matches_sqlite(pg, demo, monkeypatch):
    copies: Counter = Counter()
    calls: Counter = Counter()
    original = generate.PostgresWriter.write

    def spy(self, table, rows):
        copies[table] += len(rows)
        calls[table] += 1
        assert len(rows) <= 1000  # bounded chunks, whatever the scale
        return original(self, table, rows)

    monkeypatch.setattr(generate.PostgresWriter, "write", spy)
    monkeypatch.setattr(generate.PostgresWriter, "chunk", 1000)
    monkeypatch.setattr(generate.SqliteWriter, "write", lambda *a: pytest.fail("executemany on PostgreSQL"))
    names = {cid: pg.create(f"demo_{cid}") for cid in DEPTS}
    counts = generate.seed({cid: pg_url(name) for cid, name in names.items()}, scale=SCALE, window=DEMO_YEAR)
    assert counts == demo[1]
    assert dict(copies) == counts
    assert calls["petitions"] > 3 and calls["units"] == 1
    assert set(generate.last_methods.values()) == {"copy"}

    import sqlalchemy as sa

    engine = sa.create_engine(pg_url(names["dept_petitions"]), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        # '' in a timestamp column becomes NULL on PostgreSQL; text keeps its value
        pg_rows = conn.execute(sa.text("SELECT petition_id, received_at, dispatched_at, satisfaction, is_urgent"
                                       " FROM petitions ORDER BY petition_id")).fetchall()
        types = dict(conn.execute(sa.text("SELECT column_name, data_type FROM information_schema.columns"
                                          " WHERE table_name = 'petitions'")).fetchall())
    engine.dispose()
    assert types["received_at"] == "timestamp without time zone" and types["is_urgent"] == "boolean"
    lite = _db(demo, "dept_petitions").execute("SELECT petition_id, received_at, dispatched_at, satisfaction,"
                                               " is_urgent FROM petitions ORDER BY petition_id").fetchall()

    def norm(v):
        if isinstance(v, datetime):
            return v.isoformat(" ")
        return None if v == "" else v

    assert [tuple(norm(v) for v in r[:4]) + (bool(r[4]),) for r in pg_rows] == \
        [tuple(norm(v) for v in r[:4]) + (bool(r[4]),) for r in lite]

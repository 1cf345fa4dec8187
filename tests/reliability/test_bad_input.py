"""Department rows of the wrong shape, generated with Hypothesis, through each capability's
pure compute functions on SQLite department databases (gxq.demo.schema.create_all).

Each example must give a result that accounts for every row (counted, or quarantined as
``excluded`` / a data problem / withheld), or fail with a clear, named error: never a crash
deep inside, never a silent drop. Example counts are modest so the tier stays fast; the counts
tried are printed in the closing figures.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import sqlite_conn_json
from tests.reliability import figures

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate], database=None,
                    print_blob=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])

W_START = dt.datetime(2021, 3, 1)
W_END = dt.datetime(2021, 3, 8)
FMT = "%Y-%m-%d %H:%M:%S"

# --- nasty values ----------------------------------------------------------------------------

CONTROL = "".join(chr(c) for c in range(1, 32)) + "\x7f\u200b\u202e\ufeff"
nasty_text = st.one_of(
    st.none(),
    st.just(""),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
    st.text(alphabet=CONTROL + "ab供暖'\";--%_\\", min_size=1, max_size=30),
    st.just("x" * 10_000),
    st.just("供暖" * 5_000),
    st.just("13612340546 身份证210203199001011234"),
)
# timestamps around the week, out of order, far past and far future, or missing
moments = st.one_of(
    st.none(),
    st.just(""),
    st.datetimes(min_value=dt.datetime(2021, 2, 20), max_value=dt.datetime(2021, 3, 16)).map(
        lambda d: d.replace(microsecond=0).strftime(FMT)),
    st.sampled_from(["9999-12-31 23:59:59", "2100-01-01 00:00:00", "1900-01-01 00:00:00",
                     "2021-03-01 00:00:00", "2021-03-08 00:00:00", "2021-03-07 23:59:59"]),
)
unit_codes = st.one_of(st.sampled_from(["U01", "U02", "U03"]), st.sampled_from(["ZZ9", "", "u01", "U01 "]),
                       nasty_text)
amounts = st.one_of(
    st.none(),
    st.integers(min_value=-10**12, max_value=10**12),
    st.sampled_from([0, -1, 499_999.99, 500_000, 500_001, 10**15, -0.01]),
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False).map(lambda f: round(f, 2)),
)


def _sqlite(tmp_path, conn_id):
    from gxq.demo import schema

    path = tmp_path / f"{conn_id}.db"
    rw = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    schema.create_all(rw, conn_id)
    return path, rw


def _reset(rw, conn_id):
    from gxq.demo import schema

    schema.create_all(rw, conn_id)


def _insert(rw, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    with rw.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"),
                     rows)  # test-only: fixed table and column names


@pytest.fixture
def dept(tmp_path, use_conns):
    """A SQLite department database per conn id, pointed at by AIRFLOW_CONN_<ID>."""
    made = {}

    def get(conn_id):
        if conn_id not in made:
            path, rw = _sqlite(tmp_path, conn_id)
            use_conns({conn_id: sqlite_conn_json(path)})
            made[conn_id] = rw
        return made[conn_id]

    yield get
    for rw in made.values():
        rw.dispose()


# --- petitions -------------------------------------------------------------------------------

STATUSES = ["待分拨", "办理中", "已办结", "已撤销", "", None, "未知状态"]
SATISFACTION = [None, "", "满意", "基本满意", "不满意", "很满意", "满意 "]
KINDS = ["投诉", "求助", "咨询", "建议", "举报", None, "", "投诉\x00"]


@st.composite
def petition_rows(draw):
    n = draw(st.integers(min_value=0, max_value=25))
    ids = [f"P{i:04d}" for i in range(n)]
    rows = []
    for pid in ids:
        rows.append({
            "petition_id": pid, "received_at": draw(moments), "channel": draw(nasty_text),
            "kind": draw(st.sampled_from(KINDS)), "topic": draw(st.one_of(st.sampled_from(["供暖", "噪音扰民"]), nasty_text)),
            "street": draw(nasty_text), "is_urgent": draw(st.sampled_from([0, 1, None, "yes", "t"])),
            "citizen_name": draw(nasty_text), "citizen_phone": draw(st.sampled_from(["13612340546", None, "", "x" * 10_000])),
            "content": draw(nasty_text), "dispatch_due_at": draw(moments), "dispatched_at": draw(moments),
            "feedback_due_at": draw(moments), "feedback_at": draw(moments), "closed_at": draw(moments),
            "status": draw(st.sampled_from(STATUSES)), "satisfaction": draw(st.sampled_from(SATISFACTION)),
            "revisited_at": draw(moments),
        })
    links = []
    for pid in ids + ["P9999"]:  # P9999: a unit link to a petition that does not exist
        for _ in range(draw(st.integers(min_value=0, max_value=3))):  # duplicates allowed
            links.append({"petition_id": pid, "unit_code": draw(unit_codes),
                          "role": draw(st.sampled_from(["lead", "co", "", None, "LEAD"]))})
    units = [{"unit_code": c, "unit_name": draw(nasty_text)} for c in ("U01", "U02")]
    return rows, links, units


def _ts(value):
    return dt.datetime.strptime(value, FMT) if value else None


def petitions_oracle(rows):
    """The contract's received / excluded counts, computed independently in Python."""
    received, excluded, kinds = 0, Counter(), Counter()
    for r in rows:
        if r["status"] == "已撤销":
            continue
        rec, disp, fb = _ts(r["received_at"]), _ts(r["dispatched_at"]), _ts(r["feedback_at"])
        reason = None
        if rec is None:
            reason = "missing_received_at"
        elif disp is not None and disp < rec:
            reason = "dispatched_before_received"
        elif fb is not None and fb < rec:
            reason = "feedback_before_received"
        elif r["satisfaction"] not in (None, "", "满意", "基本满意", "不满意"):
            reason = "bad_satisfaction"
        relevant = any(W_START <= t < W_END for t in (
            _ts(r["received_at"]), _ts(r["dispatch_due_at"]), _ts(r["feedback_due_at"]), _ts(r["revisited_at"]))
            if t is not None)
        if reason:
            if relevant:
                excluded[reason] += 1
        elif rec is not None and W_START <= rec < W_END:
            received += 1
            if r["kind"] not in (None, ""):
                kinds[r["kind"]] += 1
    return received, dict(excluded), dict(kinds)


def test_petitions_rows_of_the_wrong_shape(dept):
    from gxq import periods
    from gxq.connections import engine_for
    from gxq.petitions import compute

    rw = dept("dept_petitions")
    period = periods.parse_key("2021-W09")
    tried = Counter()

    @SETTINGS
    @given(petition_rows())
    def run(data):
        rows, links, units = data
        _reset(rw, "dept_petitions")
        _insert(rw, "petitions", rows)
        _insert(rw, "petition_units", links)
        _insert(rw, "units", units)
        result = compute.compute_week(engine_for("dept_petitions"), period)
        report = result["report"]
        json.dumps(report, ensure_ascii=False)  # serialisable (XCom, report.json)
        received, excluded, kinds = petitions_oracle(rows)
        assert report["received"] == received, "a valid petition received in the week was dropped or doubled"
        assert report["excluded"] == excluded, "an invalid relevant row was not quarantined by its first reason"
        # a petition without a kind is received but in no by_kind bucket (rules.by_kind, by design)
        assert report["by_kind"] == kinds
        ids = {r["petition_id"] for r in rows}
        assert set(report["overdue_open"]) <= ids and report["overdue_open"] == sorted(report["overdue_open"])
        assert [u["unit"] for u in report["units"]] == sorted(u["unit"] for u in report["units"])
        tried["examples"] += 1
        tried["rows"] += len(rows) + len(links)

    run()
    figures.add("bad_input", "petitions_examples", tried["examples"])
    figures.add("bad_input", "rows_tried", tried["rows"])
    assert tried["examples"] >= 20


# --- policy ----------------------------------------------------------------------------------

days = st.one_of(st.none(), st.just(""), st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2021, 6, 30)).map(
    dt.date.isoformat), st.sampled_from(["9999-12-31", "2021-03-31", "2021-01-01", "2020-12-31"]))


@st.composite
def policy_rows(draw):
    codes = [f"91210231MA0{i:07d}" for i in range(draw(st.integers(min_value=1, max_value=6)))]
    enterprises = [{"credit_code": c, "name": draw(nasty_text), "street": draw(nasty_text),
                    "abnormal": draw(st.sampled_from([0, 1, None, "", "true"])),
                    "dishonest": draw(st.sampled_from([0, 1, None, "", "f"]))} for c in codes]
    pick_code = st.one_of(st.sampled_from(codes), st.sampled_from(["UNKNOWN0000000000X", ""]), nasty_text)
    certs = [{"cert_id": f"C{i:03d}", "credit_code": draw(pick_code),
              "cert_type": draw(st.sampled_from(["高新技术企业", "专精特新中小企业", "科技型中小企业", "", None, "高新技术企业 "])),
              "certified_on": draw(days), "expires_on": draw(days)}
             for i in range(draw(st.integers(min_value=0, max_value=12)))]
    apps = [{"application_id": f"A{i:03d}", "credit_code": draw(pick_code),
             "policy_id": draw(st.sampled_from(["ip_pledge_interest", "other", "", None])),
             "submitted_at": draw(moments), "amount_requested": draw(amounts),
             "status": draw(st.sampled_from(["approved", "submitted", "rejected", "", None, "APPROVED"])),
             "approved_at": draw(st.one_of(moments, st.just("2021-02-15 10:00:00")))}
            for i in range(draw(st.integers(min_value=0, max_value=12)))]
    commitments = [{"commitment_id": f"K{i:03d}", "credit_code": draw(pick_code), "kind": draw(nasty_text),
                    "promised_amount": draw(amounts), "due_on": draw(days), "fulfilled_amount": draw(amounts)}
                   for i in range(draw(st.integers(min_value=0, max_value=6)))]
    return enterprises, certs, apps, commitments


def test_policy_rows_of_the_wrong_shape(dept):
    from gxq import periods
    from gxq.connections import engine_for
    from gxq.policy import catalogue
    from gxq.policy.evaluate import evaluate

    rw = dept("dept_policy")
    period = periods.parse_key("2021-Q1")
    policies = [catalogue.get(pid) for pid in ("hte_first_certification", "specialized_sme_certification",
                                               "ip_pledge_interest")]
    tried = Counter()

    @SETTINGS
    @given(policy_rows())
    def run(data):
        enterprises, certs, apps, commitments = data
        _reset(rw, "dept_policy")
        for table, rows in (("enterprises", enterprises), ("certifications", certs), ("applications", apps),
                            ("commitments", commitments)):
            _insert(rw, table, rows)
        ev = evaluate(engine_for("dept_policy"), period, policies, with_commitments=True)
        json.dumps(ev.to_json(), ensure_ascii=False)
        known = {e["credit_code"] for e in enterprises}
        keys = [c.key for c in ev.candidates]
        assert len(keys) == len(set(keys)), "the same award twice in one evaluation"
        for c in ev.candidates:
            assert c.amount >= 0, f"a negative award {c.key}: {c.amount}"
            if c.credit_code not in known:
                assert c.withhold_reason == "unknown_enterprise", c.key
        # no silent drop: every approved ip_pledge application up to the quarter's end is paid or reported
        end = dt.datetime(2021, 4, 1)
        problems = {d["application_id"] for d in ev.data_problems}
        paid = {c.basis_id for c in ev.candidates if c.policy_id == "ip_pledge_interest"}
        for a in apps:
            if a["policy_id"] != "ip_pledge_interest" or a["status"] != "approved":
                continue
            at = _ts(a["approved_at"])
            if at is None:
                # reported once it can belong to the period: submitted before its end, or undated
                sub = _ts(a["submitted_at"])
                if sub is None or sub < end:
                    assert a["application_id"] in problems, f"approved without approved_at, not reported: {a!r}"
            elif dt.datetime(2021, 1, 1) <= at < end:
                assert a["application_id"] in paid | problems, f"approved application dropped: {a!r}"
        # 双承诺: every commitment due in the quarter with fulfilled < promised is listed
        due = {k["commitment_id"] for k in commitments
               if k["due_on"] and "2021-01-01" <= k["due_on"] <= "2021-03-31"
               and (k["fulfilled_amount"] or 0) < (k["promised_amount"] or 0)}
        assert {s["commitment_id"] for s in ev.shortfalls} == due
        tried["examples"] += 1
        tried["rows"] += len(enterprises) + len(certs) + len(apps) + len(commitments)

    run()
    figures.add("bad_input", "policy_examples", tried["examples"])
    figures.add("bad_input", "rows_tried", tried["rows"])
    assert tried["examples"] >= 20


# --- innovation ------------------------------------------------------------------------------

progress = st.one_of(st.none(), st.just(""), st.sampled_from(["abc", "12%", "1e400", "NaN", " 50 "]),
                     st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda f: round(f, 2)))


@st.composite
def innovation_rows(draw):
    n = draw(st.integers(min_value=0, max_value=8))
    projects = [{"project_id": f"J{i:02d}", "name": draw(nasty_text), "responsible_unit": draw(unit_codes),
                 "start_on": draw(days)} for i in range(n)]
    months = st.sampled_from(["2021-01", "2021-02", "2021-03", "2021-3", "", None, "9999-12"])
    monthly = []
    for p in projects + [{"project_id": "GHOST"}]:
        for _ in range(draw(st.integers(min_value=0, max_value=3))):  # duplicates for a month allowed
            monthly.append({"project_id": p["project_id"], "month": draw(months),
                            "plan_progress_pct": draw(progress), "actual_progress_pct": draw(progress),
                            "reported_at": draw(moments)})
    indicators = [{"indicator_code": f"I{i}", "name": draw(nasty_text), "weight": draw(amounts),
                   "annual_target": draw(amounts)} for i in range(draw(st.integers(min_value=0, max_value=4)))]
    values = [{"indicator_code": draw(st.sampled_from([i["indicator_code"] for i in indicators] + ["GHOST"])),
               "month": draw(months), "value_ytd": draw(amounts)}
              for _ in range(draw(st.integers(min_value=0, max_value=6)))]
    return projects, monthly, indicators, values


def test_innovation_rows_of_the_wrong_shape(dept):
    from gxq import periods
    from gxq.connections import engine_for
    from gxq.innovation import monthly, quarterly

    rw = dept("dept_innovation")
    month, quarter = periods.parse_key("2021-03"), periods.parse_key("2021-Q1")
    tried = Counter()

    @SETTINGS
    @given(innovation_rows())
    def run(data):
        projects, rows, indicators, values = data
        _reset(rw, "dept_innovation")
        for table, r in (("projects", projects), ("project_monthly", rows), ("indicators", indicators),
                         ("indicator_monthly", values)):
            _insert(rw, table, r)
        engine = engine_for("dept_innovation")
        try:
            report = monthly.evaluate(month, engine)
            qreport = quarterly.evaluate(quarter, engine)
        except ValueError as exc:  # a clear error must name what is wrong
            msg = str(exc)
            assert any(w in msg for w in ("project_monthly", "indicator", "progress", "month", "projects")), msg
            tried["clear_errors"] += 1
            return
        json.dumps(report, ensure_ascii=False, allow_nan=False)
        json.dumps(qreport, ensure_ascii=False, allow_nan=False)
        active = {p["project_id"] for p in projects if p["start_on"] and p["start_on"] <= "2021-03-31"}
        listed = [p["project_id"] for p in report["projects"]]
        assert len(listed) == len(set(listed)), "a project listed twice"
        assert set(listed) == active, "an active project dropped (or an inactive one listed)"
        assert sum(report["counts"].values()) == len(listed)
        for p in report["projects"]:
            assert p["gap"] is None or math.isfinite(p["gap"])
        score = report["composite_score"]
        assert score is None or math.isfinite(score)
        tried["examples"] += 1
        tried["rows"] += len(projects) + len(rows) + len(indicators) + len(values)

    run()
    figures.add("bad_input", "innovation_examples", tried["examples"] + tried["clear_errors"])
    figures.add("bad_input", "innovation_clear_errors", tried["clear_errors"])
    figures.add("bad_input", "rows_tried", tried["rows"])
    assert tried["examples"] >= 15


# --- publicity -------------------------------------------------------------------------------


@st.composite
def publicity_rows(draw):
    posts = [{"post_id": f"W{i}", "published_at": draw(moments), "title": draw(nasty_text), "unit_code": draw(unit_codes)}
             for i in range(draw(st.integers(min_value=0, max_value=12)))]
    subs = [{"submission_id": f"S{i}", "submitted_at": draw(moments), "title": draw(nasty_text),
             "agency": draw(nasty_text), "unit_code": draw(unit_codes)}
            for i in range(draw(st.integers(min_value=0, max_value=12)))]
    return posts, subs


def test_publicity_rows_of_the_wrong_shape(dept, monkeypatch):
    from gxq.publicity import source

    rw = dept("dept_publicity")
    monkeypatch.delenv("GXQ_WECHAT_SOURCE", raising=False)
    start, end = dt.datetime(2021, 3, 1), dt.datetime(2021, 3, 5, 15)
    tried = Counter()

    @SETTINGS
    @given(publicity_rows())
    def run(data):
        posts, subs = data
        _reset(rw, "dept_publicity")
        _insert(rw, "wechat_posts", posts)
        _insert(rw, "info_submissions", subs)
        counts = source.counts(start, end, source="table")
        in_window = lambda v: v and start <= _ts(v) < end
        assert counts.wechat_posts == sum(1 for p in posts if in_window(p["published_at"]))
        assert counts.wechat_updates == len({_ts(p["published_at"]).date() for p in posts if in_window(p["published_at"])})
        assert counts.info_submissions == sum(1 for s in subs if in_window(s["submitted_at"]))
        tried["examples"] += 1
        tried["rows"] += len(posts) + len(subs)

    run()
    figures.add("bad_input", "publicity_examples", tried["examples"])
    figures.add("bad_input", "rows_tried", tried["rows"])
    assert tried["examples"] >= 20

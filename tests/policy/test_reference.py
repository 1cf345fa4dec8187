"""The SQL rules of the three contract policies against an independent, plain-Python reading of
docs/reference.md, over the whole demo dept_policy (SQLite and PostgreSQL), for every period of 2021."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from gxq.periods import parse_key
from gxq.policy import catalogue
from gxq.policy.evaluate import evaluate


def _rows(engine, table):
    with engine.connect() as conn:
        result = conn.execute(sa.text(f"SELECT * FROM {table}"))
        return [dict(r._mapping) for r in result]


def _day(v):
    if v in (None, ""):
        return None
    return v if isinstance(v, dt.date) and not isinstance(v, dt.datetime) else dt.date.fromisoformat(str(v)[:10])


def _ts(v):
    if v in (None, ""):
        return None
    return v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))


def _bool(v):
    return str(v).lower() in ("1", "true", "t") if v is not None else False


def reference(engine, period_key):
    """{(policy, code, basis): (amount, withheld reason)} as docs/reference.md words it."""
    period = parse_key(period_key, ("month", "quarter"))
    last, start = period.end.date(), dt.date(2021, 1, 1)
    ents = {e["credit_code"]: e for e in _rows(engine, "enterprises")}
    certs = _rows(engine, "certifications")
    apps = _rows(engine, "applications")

    def reason(code):
        if code not in ents:
            return "unknown_enterprise"
        if _bool(ents[code]["dishonest"]):
            return "dishonest"
        if _bool(ents[code]["abnormal"]):
            return "abnormal"
        return None

    out = {}
    for c in certs:
        day = _day(c["certified_on"])
        if day is None or not (start <= day < last) or not c["credit_code"]:
            continue
        if c["cert_type"] == "高新技术企业":
            earlier = [o for o in certs if o["credit_code"] == c["credit_code"] and o["cert_type"] == "高新技术企业"
                       and _day(o["certified_on"]) is not None
                       and (_day(o["certified_on"]), o["cert_id"]) < (day, c["cert_id"])]
            if not earlier:
                out[("hte_first_certification", c["credit_code"], c["cert_id"])] = (Decimal(300000), reason(c["credit_code"]))
        if c["cert_type"] == "专精特新中小企业":
            out[("specialized_sme_certification", c["credit_code"], c["cert_id"])] = (Decimal(100000), reason(c["credit_code"]))
    for a in apps:
        at = _ts(a["approved_at"])
        if (a["policy_id"] != "ip_pledge_interest" or a["status"] != "approved" or at is None
                or not (dt.datetime(2021, 1, 1) <= at < period.end)):
            continue
        amount = Decimal(str(a["amount_requested"] or 0))
        out[("ip_pledge_interest", a["credit_code"], a["application_id"])] = (min(amount, Decimal(500000)), reason(a["credit_code"]))
    return out


@pytest.mark.parametrize("fixture", ["demo_sqlite", "demo_pg"])
def test_sql_rules_match_the_reference_reading(request, fixture):
    from gxq.connections import dispose_all, engine_for, parse_conn_value

    conns = request.getfixturevalue(fixture)
    engine = engine_for("dept_policy", parse_conn_value("dept_policy", conns["dept_policy"]))
    policies = [catalogue.get(p) for p in ("hte_first_certification", "specialized_sme_certification", "ip_pledge_interest")]
    seen = 0
    for key in ["2021-01", "2021-02", "2021-06", "2021-Q1", "2021-Q3", "2021-12", "2021-Q4"]:
        ev = evaluate(engine, parse_key(key, ("month", "quarter")), policies, with_commitments=False)
        got = {c.key: (c.amount, c.withhold_reason) for c in ev.candidates}
        want = reference(engine, key)
        assert got == want, key
        seen += len(got)
    assert seen > 100  # the demo data exercises the rules
    dispose_all()

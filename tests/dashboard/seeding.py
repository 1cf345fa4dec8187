"""A realistic ``gxq_ops`` for the dashboard tests, written the way the DAGs write it.

Reports go through ``store.record_report``, supervised items through the petitions capability's
``supervision.save_states``, batches as rows of the policy capability's tables, notices as outbox
rows. ``seed_ops`` returns what the dashboard must show, so the tests assert on the seeded inputs.
"""

from __future__ import annotations

import datetime as dt
import json

# The weekly bulletins of 2021-W02 .. 2021-W09, with W05 missing (春节: no bulletin issued).
WEEKS = ["2021-W02", "2021-W03", "2021-W04", "2021-W06", "2021-W07", "2021-W08", "2021-W09"]
DISPATCH = {  # week -> (due, on_time)
    "2021-W02": (96, 96),
    "2021-W03": (104, 103),
    "2021-W04": (99, 99),
    "2021-W06": (88, 88),
    "2021-W07": (101, 100),
    "2021-W08": (112, 112),
    "2021-W09": (120, 120),
}
FEEDBACK = {
    "2021-W02": (90, 88),
    "2021-W03": (95, 95),
    "2021-W04": (97, 93),
    "2021-W06": (80, 80),
    "2021-W07": (99, 96),
    "2021-W08": (105, 101),
    "2021-W09": (110, 104),
}
SATISFACTION = {
    "2021-W02": (70, 68),
    "2021-W03": (72, 70),
    "2021-W04": (75, 73),
    "2021-W06": (60, 59),
    "2021-W07": (78, 74),
    "2021-W08": (81, 78),
    "2021-W09": (80, 77),
}
RECEIVED = {
    "2021-W02": 98,
    "2021-W03": 110,
    "2021-W04": 105,
    "2021-W06": 91,
    "2021-W07": 107,
    "2021-W08": 118,
    "2021-W09": 132,
}
WEEK_DAYS = {"2021-W09": ("2021-03-01", "2021-03-07")}


def _rate(n, d):
    return round(n / d, 4) if d else None


def bulletin_report(week: str) -> dict:
    from gxq import periods

    p = periods.parse_key(week)
    prev = p.previous().key
    dd, do = DISPATCH[week]
    fd, fo = FEEDBACK[week]
    ss, sy = SATISFACTION[week]
    return {
        "period": week,
        "start": p.first_day.isoformat(),
        "end": p.last_day.isoformat(),
        "received": RECEIVED[week],
        "received_prev": RECEIVED.get(prev, 0),
        "by_kind": {"投诉": RECEIVED[week] // 2, "咨询": RECEIVED[week] - RECEIVED[week] // 2},
        "dispatch": {"due": dd, "on_time": do, "rate": _rate(do, dd)},
        "feedback": {"due": fd, "on_time": fo, "rate": _rate(fo, fd)},
        "satisfaction": {"surveyed": ss, "satisfied": sy, "rate": _rate(sy, ss)},
        "top_topics": [
            {"topic": "供暖", "complaints": 14, "lead_unit": "U01", "units": ["U01", "U04"]},
            {"topic": "噪音扰民", "complaints": 9, "lead_unit": "U03", "units": ["U03"]},
            {"topic": "道路交通", "complaints": 7, "lead_unit": "U02", "units": ["U02", "U05"]},
        ],
        "overdue_open": ["P210215003", "P210222017", "P210301044"],
        "units": [
            {
                "unit": "U01",
                "led": 40,
                "feedback_due": 38,
                "feedback_on_time": 38,
                "overdue_open": 0,
                "surveyed": 30,
                "satisfied": 30,
            },
            {
                "unit": "U03",
                "led": 35,
                "feedback_due": 32,
                "feedback_on_time": 26,
                "overdue_open": 2,
                "surveyed": 20,
                "satisfied": 18,
            },
            {
                "unit": "U05",
                "led": 20,
                "feedback_due": 20,
                "feedback_on_time": 20,
                "overdue_open": 0,
                "surveyed": 15,
                "satisfied": 15,
            },
        ],
        "excluded": {"missing_received_at": 2},
    }


SUPERVISED = [  # (topic, opened_week, state, weeks_open, complaints, rank, lead_unit, escalated)
    ("供暖", "2021-W06", "listed", 4, 14, 1, "U01", True),
    ("噪音扰民", "2021-W09", "new", 1, 9, 2, "U03", False),
    ("物业管理", "2021-W07", "falling", 3, 3, None, "U06", False),
    ("占道经营", "2021-W05", "resolved", 5, 0, None, "U02", False),
]

BATCHES = [  # batch_id, dag_id, cadence, period, issued_at (UTC), items[(policy, code, basis, amount)], withheld
    (
        "B-2021-02-M",
        "policy_redemption_monthly",
        "monthly",
        "2021-02",
        dt.datetime(2021, 3, 1, 1, 0),
        [
            ("hte_first_certification", "91210231MA0A000001", "C0001", 300000),
            ("hte_first_certification", "91210231MA0A000002", "C0002", 300000),
            ("hte_first_certification", "91210231MA0A000003", "C0003", 300000),
        ],
        [],
    ),
    (
        "B-2021-03-M",
        "policy_redemption_monthly",
        "monthly",
        "2021-03",
        dt.datetime(2021, 4, 1, 1, 0),
        [
            ("hte_first_certification", "91210231MA0A000004", "C0010", 300000),
            ("hte_first_certification", "91210231MA0A000005", "C0011", 300000),
        ],
        [("hte_first_certification", "91210231MA0A000009", "C0012", 300000, "dishonest")],
    ),
    (
        "B-2021-Q1-Q",
        "policy_redemption_quarterly",
        "quarterly",
        "2021-Q1",
        dt.datetime(2021, 4, 1, 2, 0),
        [
            ("specialized_sme_certification", "91210231MA0A000006", "C0020", 100000),
            ("ip_pledge_interest", "91210231MA0A000007", "A0100", 487500.5),
            ("ip_pledge_interest", "91210231MA0A000006", "A0101", 500000),
        ],
        [("ip_pledge_interest", "91210231MA0A000008", "A0102", 200000, "abnormal")],
    ),
]

INNOVATION = {
    "period": "2021-02",
    "projects": [
        {"project_id": "XM001", "responsible_unit": "U11", "status": "green", "gap": 4.5},
        {"project_id": "XM002", "responsible_unit": "U11", "status": "yellow", "gap": 18.0},
        {"project_id": "XM003", "responsible_unit": "U12", "status": "red", "gap": 35.25},
        {"project_id": "XM004", "responsible_unit": "U12", "status": "unreported", "gap": None},
        {"project_id": "XM005", "responsible_unit": "U13", "status": "green", "gap": 0.0},
    ],
    "counts": {"green": 2, "yellow": 1, "red": 1, "unreported": 1},
    "indicators": [{"indicator_code": "ZB01", "completion": 0.9321}],
    "composite_score": 93.21,
    "units": [
        {"unit": "U11", "green": 1, "yellow": 1, "red": 0, "unreported": 0},
        {"unit": "U12", "green": 0, "yellow": 0, "red": 1, "unreported": 1},
        {"unit": "U13", "green": 1, "yellow": 0, "red": 0, "unreported": 0},
    ],
}

PUBLICITY = {
    "period": "2021-W09",
    "as_of": "2021-03-05T15:00:00+08:00",
    "wechat_updates": 0,
    "wechat_posts": 0,
    "info_submissions": 3,
    "targets": {"wechat_updates": 1, "info_submissions": 2},
    "behind": ["wechat_updates"],
}

# A phone number and an ID number in a notice: the dashboard must show them masked.
PHONE = "13612340546"
ID_NUMBER = "210203199001011234"
NOTICES = [  # recipient, dag, period, kind, status, subject, last_error, attempts
    (
        "office",
        "petition_weekly_bulletin",
        "2021-W09",
        "bulletin",
        "failed",
        "市民服务平台情况通报（2021-W09）",
        f"SMTP 550 mailbox unavailable; 联系人 {PHONE}",
        3,
    ),
    (
        "U07",
        "petition_weekly_bulletin",
        "2021-W09",
        "unit_notice",
        "unrouted",
        "承办单位通报 U07（2021-W09）",
        "no Apprise URL for tag U07",
        1,
    ),
    (
        "finance",
        "policy_redemption_monthly",
        "2021-03",
        "batch",
        "pending",
        f"政策兑现批次 2021-03 待财务确认 身份证 {ID_NUMBER}",
        None,
        0,
    ),
    (
        "publicity",
        "publicity_cadence_reminder",
        "2021-W09-fri",
        "reminder",
        "sent",
        "本周公众号更新滞后提醒",
        None,
        1,
    ),
    ("ops", "policy_redemption_monthly", "2021-02", "batch", "dry_run", "演练：兑现批次 2021-02", None, 0),
]


def seed_ops(engine) -> dict:
    """Fill a migrated ``gxq_ops`` (``store.ensure_schema(engine)`` first); returns expectations."""

    from gxq import store
    from gxq.notify.tables import outbox
    from gxq.petitions import supervision
    from gxq.policy import batches as pb

    for week in WEEKS:
        store.record_report(
            engine, "petition_weekly_bulletin", week, bulletin_report(week), run_id=f"scheduled__{week}"
        )

    states = [
        supervision.ItemState(
            f"{topic}@{opened}", topic, opened, state, weeks_open, complaints, rank, lead, esc
        )
        for topic, opened, state, weeks_open, complaints, rank, lead, esc in SUPERVISED
    ]
    # An older week's states: must not count, the latest week decides what is open.
    supervision.save_states(engine, "2021-W08", states[:1] + states[3:])
    supervision.save_states(engine, "2021-W09", states)

    policy_reports = []
    with engine.begin() as conn:
        for batch_id, dag_id, cadence, period, issued_at, items, withheld in BATCHES:
            total = sum(a for *_, a in items)
            conn.execute(
                pb.batches.insert().values(
                    batch_id=batch_id,
                    batch_key=f"{cadence}:{period}",
                    dag_id=dag_id,
                    cadence=cadence,
                    period_key=period,
                    policy_ids="",
                    status="issued",
                    issued_at=issued_at,
                    run_id=None,
                    item_count=len(items),
                    withheld_count=len(withheld),
                    total_amount=total,
                    withheld_amount=sum(w[3] for w in withheld),
                    shortfalls_json=json.dumps([{"commitment_id": "CM01"}] if cadence == "quarterly" else []),
                    data_problems_json="[]",
                )
            )
            for policy_id, code, basis, amount in items:
                conn.execute(
                    pb.items.insert().values(
                        batch_id=batch_id,
                        policy_id=policy_id,
                        credit_code=code,
                        basis_id=basis,
                        basis_on="2021-02-15",
                        enterprise_name="大连某科技有限公司",
                        amount=amount,
                        trace_json="{}",
                    )
                )
            for policy_id, code, basis, amount, reason in withheld:
                conn.execute(
                    pb.withheld.insert().values(
                        batch_id=batch_id,
                        policy_id=policy_id,
                        credit_code=code,
                        basis_id=basis,
                        basis_on="2021-02-20",
                        enterprise_name="大连某贸易有限公司",
                        reason=reason,
                        amount=amount,
                        trace_json="{}",
                    )
                )
            report = {
                "period": period,
                "cadence": cadence,
                "batch_id": batch_id,
                "items": [
                    {"policy_id": p, "credit_code": c, "basis_id": b, "amount": a} for p, c, b, a in items
                ],
                "withheld": [
                    {"policy_id": p, "credit_code": c, "basis_id": b, "reason": r}
                    for p, c, b, _a, r in withheld
                ],
                "total_amount": total,
                "commitment_shortfalls": [],
            }
            policy_reports.append((dag_id, period, report))

        now = dt.datetime(2021, 3, 8, 1, 5)
        for i, (recipient, dag_id, period, kind, status, subject, error, attempts) in enumerate(NOTICES):
            conn.execute(
                outbox.insert().values(
                    dag_id=dag_id,
                    period_key=period,
                    recipient=recipient,
                    kind=kind,
                    subject=subject,
                    body=f"{subject}\n联系电话 {PHONE}",
                    link=None,
                    attachments_json="[]",
                    payload_hash=f"h{i}",
                    status=status,
                    attempts=attempts,
                    last_error=error,
                    channels_json="[]",
                    created_at=now,
                    updated_at=now + dt.timedelta(minutes=i),
                    sent_at=now if status == "sent" else None,
                )
            )

    for dag_id, period, report in policy_reports:
        store.record_report(engine, dag_id, period, report)
    store.record_report(engine, "innovation_monthly_evaluation", "2021-02", INNOVATION)
    store.record_report(engine, "publicity_cadence_reminder", "2021-W09-fri", PUBLICITY)

    latest_batch = max(BATCHES, key=lambda b: (b[4], b[3]))
    return {
        "period": "2021-W09",
        "received": RECEIVED["2021-W09"],
        "feedback_rate": _rate(*reversed(FEEDBACK["2021-W09"])),
        "satisfaction_rate": _rate(*reversed(SATISFACTION["2021-W09"])),
        "open_items": [s for s in SUPERVISED if s[2] != "resolved"],
        "batch_totals": {b[0]: sum(a for *_, a in b[5]) for b in BATCHES},
        "latest_batch": latest_batch[0],
        "failed_subject": NOTICES[0][5],
        "attention": [n for n in NOTICES if n[4] in ("failed", "unrouted", "pending", "sending")],
    }


def sqlite_conn_json(path) -> str:
    """``AIRFLOW_CONN_<ID>`` JSON for a SQLite file (the sqlite provider keeps the path in host)."""
    return json.dumps({"conn_type": "sqlite", "host": str(path)})


def pg_url(pg, database: str) -> str:
    """The SQLAlchemy URL of a database made by the suite's ``pg`` fixture.

    Taken from the root conftest's own ``pg_url`` through the fixture object: ``import conftest``
    would give whichever conftest.py pytest imported last (tests/*/conftest.py share the name).
    """
    return type(pg).create.__globals__["pg_url"](database)

"""Read-only queries behind the 营商环境看板 (business-environment dashboard).

Every section reads ``gxq_ops`` only (never a ``dept_*`` database, never Airflow's metadata DB)
and is defensive: a table another capability has not created yet, or a report that is not there,
gives an empty section with a note instead of an error, so one missing piece never takes the whole
page down. Nothing here writes.

Sections (板块):
- :func:`bulletin_section`   市民服务平台情况通报: latest figures vs the plan's targets + 8-week trend,
                             the week's 突增 (surging topics, and by 街道) marked
- :func:`supervised_section` 挂牌督办事项: open supervised items and their age in days
- :func:`batches_section`    政策兑现批次: the last batches with totals
- :func:`innovation_section` 自创区重大项目月评价: the latest evaluation's traffic lights
- :func:`notices_section`    通知发送: failed or pending notices in the outbox, and the chat
                             platforms' refused or waiting messages with the platform's reason
- :func:`publicity_section`  宣传报送: the latest cadence reminder's counts
- :func:`tasks_section`      任务清单督查: lights by unit, escalations, the month's reminders, 督办事项
- :func:`urgent_section`     急险工单: the urgent petitions open as of the watch's latest run, their
                             stages, and what was notified (督办 included)
- :func:`scorecard_section`  绩效考核: the latest month's ranking, each unit's change and its score trend
- :func:`assessment_section` 三轮评估整改: closure per round, overdue findings by unit, indicators
                             below 全市前列
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from gxq import cadences, periods
from gxq.masking import mask_text
from gxq.petitions.rules import METRIC_LABELS, TARGETS, target_text
from gxq.units import short_name

log = logging.getLogger(__name__)

TZ = ZoneInfo("Asia/Shanghai")

# The DAGs whose reports the 看板 shows (gxq.cadences).
BULLETIN_DAG = cadences.dag_of("petitions")
POLICY_DAGS = cadences.redemption_dags()
INNOVATION_MONTHLY_DAG = cadences.dag_of("innovation", "monthly")
INNOVATION_QUARTERLY_DAG = cadences.dag_of("innovation", "quarterly")
PUBLICITY_DAG = cadences.dag_of("publicity")
TASKS_DAG = cadences.dag_of("tracking")
URGENT_DAGS = tuple(c.dag_id for c in cadences.in_area("urgent"))
URGENT_STAGES = ("dispatch_overdue", "feedback_overdue", "dispatch_due_soon", "feedback_due_soon", "in_time")
URGENT_STAGE_LABELS = {"dispatch_overdue": "分拨超时", "feedback_overdue": "反馈超时", "dispatch_due_soon": "即将分拨到期",
                       "feedback_due_soon": "即将反馈到期", "in_time": "时限内"}
URGENT_STALE_MINUTES = 30  # the watch runs every 10 minutes: older than this, the 看板 says so
ASSESSMENT_DAGS = tuple(c.dag_id for c in cadences.in_area("assessment"))

REPORTS_TABLE = "gxq_reports"
OUTBOX_TABLE = "gxq_notify_outbox"
DELIVERY_TABLE = "gxq_notify_delivery"

TREND_WEEKS = 8


LIGHT_LABELS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "unreported": "未报送"}
NOTICE_STATUS_LABELS = {
    "failed": "发送失败",
    "pending": "待发送",
    "sending": "发送中",
    "unrouted": "无接收地址",
    "refused": "平台拒收",
    "dry_run": "演练未发送",
    "sent": "已发送",
}
MESSAGE_STATUS_LABELS = {"refused": "平台拒收", "waiting": "等待重发"}
PLATFORM_LABELS = {"wecombot": "企业微信", "dingtalk": "钉钉", "feishu": "飞书"}
# "Failed or pending": everything that has not reached its recipient (dry runs excepted:
# they were never meant to be sent).
ATTENTION_STATUSES = ("refused", "failed", "unrouted", "pending", "sending")
WITHHELD_LABELS = {"unknown_enterprise": "企业不在名录", "dishonest": "严重失信", "abnormal": "经营异常",
                   "held_by_review": "审核暂缓"}


@dataclass
class Section:
    """One panel of the dashboard: its data, plus a note when it has nothing to show."""

    data: Any = None
    rows: list = field(default_factory=list)
    note: str | None = None  # shown instead of the content when set and nothing else is there
    available: bool = True  # False: the table or report is not there (yet)


# --- helpers ---------------------------------------------------------------------------------


def has_table(engine, name: str) -> bool:
    try:
        return sa.inspect(engine).has_table(name)
    except sa.exc.SQLAlchemyError:
        log.exception("dashboard: cannot inspect %s", name)
        return False


def table_columns(engine, name: str) -> set[str]:
    try:
        return {c["name"] for c in sa.inspect(engine).get_columns(name)}
    except sa.exc.SQLAlchemyError:
        return set()


def to_local(value) -> dt.datetime | None:
    """A stored UTC timestamp (naive or aware, or its text) as Asia/Shanghai wall clock."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(TZ).replace(tzinfo=None)


def to_date(value) -> dt.date | None:
    """A date, datetime or their text (local dates, as stored by the capability tables)."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def _reports(engine, dag_ids: tuple[str, ...], limit: int, order: str = "period") -> list[dict]:
    """The stored reports of some DAGs, newest first, each as {dag_id, period_key, report, ...}."""
    if not has_table(engine, REPORTS_TABLE):
        return []
    t = sa.table(
        REPORTS_TABLE,
        sa.column("dag_id"),
        sa.column("period_key"),
        sa.column("report_json"),
        sa.column("issued_at"),
        sa.column("updated_at"),
        sa.column("run_id"),
    )
    ordering = (
        [t.c.period_key.desc()]
        if order == "period"
        else [t.c.issued_at.desc(), t.c.period_key.desc(), t.c.dag_id]
    )
    stmt = sa.select(t).where(t.c.dag_id.in_(dag_ids)).order_by(*ordering).limit(limit)
    out = []
    with engine.connect() as conn:
        for row in conn.execute(stmt).mappings():
            try:
                report = json.loads(row["report_json"])
            except (TypeError, ValueError):
                log.warning("dashboard: unreadable report %s %s", row["dag_id"], row["period_key"])
                continue
            out.append(
                {
                    "dag_id": row["dag_id"],
                    "period_key": row["period_key"],
                    "report": report if isinstance(report, dict) else {},
                    "issued_at": to_local(row["issued_at"]),
                    "updated_at": to_local(row["updated_at"]),
                    "run_id": row["run_id"],
                }
            )
    return out


def _rate(part: dict | None) -> float | None:
    value = (part or {}).get("rate")
    return float(value) if isinstance(value, (int, float)) else None


def _num(value, default=0):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


# --- 市民服务平台情况通报 ----------------------------------------------------------------------


def bulletin_section(engine, weeks: int = TREND_WEEKS) -> Section:
    """The latest weekly bulletin against the targets, with an ``weeks``-week trend.

    The trend covers the ``weeks`` consecutive ISO weeks ending at the latest bulletin; a week
    without a stored bulletin shows as a gap (None), never as 0.
    """
    stored = _reports(engine, (BULLETIN_DAG,), limit=max(weeks * 4, 60))
    stored = [r for r in stored if periods.WEEK_RE.match(r["period_key"])]
    if not stored:
        return Section(note=f"尚无情况通报（{BULLETIN_DAG} 未运行）", available=False)
    latest = stored[0]
    by_key = {r["period_key"]: r["report"] for r in stored}
    keys = [latest["period_key"]]
    period = periods.parse_key(latest["period_key"], ("week",))
    for _ in range(weeks - 1):
        period = period.previous()
        keys.append(period.key)
    keys.reverse()

    rep = latest["report"]
    metrics = []
    for name in ("dispatch", "feedback", "satisfaction"):
        part = rep.get(name) or {}
        value = _rate(part)
        target = TARGETS[name]
        if name == "satisfaction":
            num, den = part.get("satisfied"), part.get("surveyed")
        else:
            num, den = part.get("on_time"), part.get("due")
        metrics.append(
            {
                "key": name,
                "label": METRIC_LABELS[name],
                "value": value,
                "target": target,
                "target_text": target_text(name),
                "meets": None if value is None else value >= target - 1e-9,
                "numerator": num,
                "denominator": den,
                "trend": [_rate((by_key.get(k) or {}).get(name)) if k in by_key else None for k in keys],
            }
        )
    received_trend = [(_num(by_key[k].get("received"), None) if k in by_key else None) for k in keys]

    # Units below a target (the bulletin names them): 按时反馈率 < 100% or 满意率 < 95%.
    below = []
    for u in rep.get("units") or []:
        fb_due, fb_ok = _num(u.get("feedback_due")), _num(u.get("feedback_on_time"))
        surveyed, satisfied = _num(u.get("surveyed")), _num(u.get("satisfied"))
        fb_rate = round(fb_ok / fb_due, 4) if fb_due else None
        sat_rate = round(satisfied / surveyed, 4) if surveyed else None
        reasons = []
        if fb_rate is not None and fb_rate < TARGETS["feedback"]:
            reasons.append(f"{METRIC_LABELS['feedback']}未达标")
        if sat_rate is not None and sat_rate < TARGETS["satisfaction"]:
            reasons.append(f"{METRIC_LABELS['satisfaction']}未达标")
        if _num(u.get("overdue_open")):
            reasons.append("有超期未反馈")
        if reasons:
            below.append(
                {
                    "unit": u.get("unit"),
                    "feedback_rate": fb_rate,
                    "satisfaction_rate": sat_rate,
                    "overdue_open": _num(u.get("overdue_open")),
                    "reasons": reasons,
                }
            )

    # 突增: topics jumping above their own 8-week level (a report stored before surges has none).
    top = [t for t in rep.get("top_topics") or [] if isinstance(t, dict)]
    top_names = {t.get("topic") for t in top}
    surges = [s for s in rep.get("surges") or [] if isinstance(s, dict)]
    surging = {s.get("topic") for s in surges}

    data = {
        "period": latest["period_key"],
        "start": rep.get("start"),
        "end": rep.get("end"),
        "issued_at": latest["updated_at"],
        "received": rep.get("received"),
        "received_prev": rep.get("received_prev"),
        "by_kind": rep.get("by_kind") or {},
        "metrics": metrics,
        "trend_keys": keys,
        "received_trend": received_trend,
        "overdue_open": len(rep.get("overdue_open") or []),
        "top_topics": [{**t, "surge": t.get("topic") in surging} for t in top],
        "surges": [{**s, "in_top": s.get("topic") in top_names} for s in surges],
        "street_surges": [s for s in rep.get("street_surges") or [] if isinstance(s, dict)],
        "units_below": below,
        "excluded": rep.get("excluded") or {},
    }
    return Section(data=data)


# --- 挂牌督办事项 -----------------------------------------------------------------------------

SUPERVISED_ITEMS_TABLE = "petition_supervised_items"
SUPERVISED_STATES_TABLE = "petition_supervised_states"
SUPERVISED_STATE_LABELS = {"new": "新增挂牌", "listed": "仍在榜", "falling": "回落", "resolved": "已销号"}


def supervised_section(engine, today: dt.date | None = None) -> Section:
    """Supervised items (挂牌督办) open as of the latest bulletin week, oldest first.

    The petitions capability records each item's state as of every bulletin week
    (``petition_supervised_states``); the open items are those of the latest week whose state is
    not ``resolved`` (已销号). Their age is counted to the end of that week (the state is only
    known up to then): ``age_days`` from the Monday of the week it was opened, and ``weeks_open``.
    """
    if not (has_table(engine, SUPERVISED_ITEMS_TABLE) and has_table(engine, SUPERVISED_STATES_TABLE)):
        return Section(note="督办事项表尚未建立", available=False)
    # 突增 marks (petitions_0003): states.surge (surging that week), items.opened_as (top / surge)
    has_surge = "surge" in table_columns(engine, SUPERVISED_STATES_TABLE)
    has_opened_as = "opened_as" in table_columns(engine, SUPERVISED_ITEMS_TABLE)
    items = sa.table(
        SUPERVISED_ITEMS_TABLE,
        sa.column("item_id"),
        sa.column("topic"),
        sa.column("opened_week"),
        sa.column("lead_unit"),
        *([sa.column("opened_as")] if has_opened_as else []),
    )
    states = sa.table(
        SUPERVISED_STATES_TABLE,
        sa.column("item_id"),
        sa.column("week_key"),
        sa.column("state"),
        sa.column("weeks_open"),
        sa.column("complaints"),
        sa.column("rank"),
        sa.column("lead_unit"),
        sa.column("escalated"),
        *([sa.column("surge")] if has_surge else []),
    )
    surge_cols = [*([states.c.surge] if has_surge else []), *([items.c.opened_as] if has_opened_as else [])]
    with engine.connect() as conn:
        week_key = conn.execute(sa.select(sa.func.max(states.c.week_key))).scalar()
        if not week_key:
            return Section(note="当前无在办督办事项", data={"as_of": None, "resolved": 0})
        stmt = (
            sa.select(
                states.c.item_id,
                states.c.state,
                states.c.weeks_open,
                states.c.complaints,
                states.c.rank,
                states.c.escalated,
                sa.func.coalesce(states.c.lead_unit, items.c.lead_unit).label("lead_unit"),
                items.c.topic,
                items.c.opened_week,
                *surge_cols,
            )
            .select_from(states.outerjoin(items, items.c.item_id == states.c.item_id))
            .where(states.c.week_key == week_key)
        )
        found = [dict(r) for r in conn.execute(stmt).mappings()]
    as_of = periods.parse_key(week_key, ("week",))
    rows, resolved = [], 0
    for r in found:
        if r["state"] == "resolved":
            resolved += 1
            continue
        opened = None
        try:
            opened = periods.parse_key(str(r["opened_week"]), ("week",)).first_day
        except (periods.PeriodError, TypeError):
            pass
        rows.append(
            {
                **r,
                "escalated": bool(r["escalated"]),
                "surge": bool(r.get("surge")),
                "opened_as_surge": r.get("opened_as") == "surge",
                "state_label": SUPERVISED_STATE_LABELS.get(r["state"], r["state"]),
                "opened_on": opened,
                "age_days": (as_of.end.date() - opened).days if opened else None,
            }
        )
    rows.sort(
        key=lambda x: (
            -(x["age_days"] if x["age_days"] is not None else -1),
            x["rank"] or 99,
            str(x["topic"] or ""),
        )
    )
    return Section(
        rows=rows,
        data={"as_of": week_key, "as_of_end": as_of.last_day, "resolved": resolved},
        note=None if rows else "当前无在办督办事项",
    )


# --- 政策兑现批次 -----------------------------------------------------------------------------

BATCHES_TABLE = "policy_batches"
BATCH_ITEMS_TABLE = "policy_batch_items"
BATCH_WITHHELD_TABLE = "policy_batch_withheld"


def batches_section(engine, limit: int = 6) -> Section:
    """The last ``limit`` policy batches (月兑现 / 季兑现 / 随时兑现) with totals, newest first.

    Read from the policy capability's ``policy_batches`` (frozen as issued); where that table is
    not there, from the issued reports, which carry the same batch id, items and total.
    """
    if has_table(engine, BATCHES_TABLE):
        return _batches_from_table(engine, limit)
    return _batches_from_reports(engine, limit)


def _dag_label(dag_id: str, fallback):
    """The DAG's short 中文 label (月兑现, 季兑现, 随时兑现 ...) from gxq.cadences."""
    cadence = cadences.BY_ID.get(dag_id)
    return cadence.label if cadence else fallback


def _withheld_label(reason) -> str:
    return WITHHELD_LABELS.get(reason, reason or "其他")


def _batches_from_table(engine, limit: int) -> Section:
    b = sa.table(
        BATCHES_TABLE,
        sa.column("batch_id"),
        sa.column("dag_id"),
        sa.column("cadence"),
        sa.column("period_key"),
        sa.column("status"),
        sa.column("issued_at"),
        sa.column("item_count"),
        sa.column("withheld_count"),
        sa.column("total_amount"),
        sa.column("withheld_amount"),
        sa.column("shortfalls_json"),
        sa.column("policy_ids"),
    )
    with engine.connect() as conn:
        found = [
            dict(r)
            for r in conn.execute(
                sa.select(b).order_by(b.c.issued_at.desc(), b.c.period_key.desc(), b.c.batch_id).limit(limit)
            ).mappings()
        ]
        ids = [r["batch_id"] for r in found]
        enterprises: dict[str, int] = {}
        reasons: dict[str, dict[str, int]] = {}
        if ids and has_table(engine, BATCH_ITEMS_TABLE):
            it = sa.table(BATCH_ITEMS_TABLE, sa.column("batch_id"), sa.column("credit_code"))
            q = (
                sa.select(it.c.batch_id, sa.func.count(sa.distinct(it.c.credit_code)))
                .where(it.c.batch_id.in_(ids))
                .group_by(it.c.batch_id)
            )
            enterprises = {k: n for k, n in conn.execute(q)}
        if ids and has_table(engine, BATCH_WITHHELD_TABLE):
            wh = sa.table(BATCH_WITHHELD_TABLE, sa.column("batch_id"), sa.column("reason"))
            q = (
                sa.select(wh.c.batch_id, wh.c.reason, sa.func.count())
                .where(wh.c.batch_id.in_(ids))
                .group_by(wh.c.batch_id, wh.c.reason)
            )
            for batch_id, reason, n in conn.execute(q):
                label = _withheld_label(reason)
                reasons.setdefault(batch_id, {})[label] = reasons.get(batch_id, {}).get(label, 0) + n
    rows = []
    for r in found:
        try:
            shortfalls = len(json.loads(r["shortfalls_json"] or "[]"))
        except ValueError:
            shortfalls = 0
        cadence = r["cadence"]
        rows.append(
            {
                "dag_id": r["dag_id"],
                "period": r["period_key"],
                "cadence": cadence,
                "cadence_label": _dag_label(r["dag_id"], cadence),
                "batch_id": r["batch_id"],
                "status": r["status"],
                "item_count": _num(r["item_count"]),
                "enterprises": enterprises.get(r["batch_id"], 0),
                "total_amount": float(_num(r["total_amount"])),
                "withheld": _num(r["withheld_count"]),
                "withheld_amount": float(_num(r["withheld_amount"])),
                "withheld_reasons": reasons.get(r["batch_id"], {}),
                "shortfalls": shortfalls,
                "issued_at": to_local(r["issued_at"]),
                **_batch_rules(cadence, r["period_key"], (r["policy_ids"] or "").split(",")),
            }
        )
    return Section(rows=rows, note=None if rows else "尚无兑现批次")


def _batch_rules(cadence: str, period_key: str, policy_ids) -> dict:
    """The rules a batch evaluated and the examples it skipped, by name (gxq.policy.catalogue)."""
    from gxq.policy import catalogue

    try:
        rules = catalogue.rules_of(cadence, periods.parse_key(period_key), [p for p in policy_ids if p])
    except (periods.PeriodError, ValueError):
        return {"rules_evaluated": [], "rules_skipped": []}
    name = lambda pid: catalogue.CATALOGUE[pid].name if pid in catalogue.CATALOGUE else pid
    return {"rules_evaluated": [name(p) for p in rules["evaluated"]],
            "rules_skipped": [name(p) for p in rules["skipped_examples"]]}


def _batches_from_reports(engine, limit: int) -> Section:
    stored = _reports(engine, POLICY_DAGS, limit=limit, order="issued")
    if not stored:
        return Section(note="尚无兑现批次", available=has_table(engine, REPORTS_TABLE))
    rows = []
    for r in stored:
        rep = r["report"]
        items = rep.get("items") or []
        withheld = rep.get("withheld") or []
        reasons: dict[str, int] = {}
        for w in withheld:
            label = _withheld_label(w.get("reason"))
            reasons[label] = reasons.get(label, 0) + 1
        cadence = rep.get("cadence") or r["dag_id"].rsplit("_", 1)[-1]
        rows.append(
            {
                "dag_id": r["dag_id"],
                "period": rep.get("period") or r["period_key"],
                "cadence": cadence,
                "cadence_label": _dag_label(r["dag_id"], cadence),
                "batch_id": rep.get("batch_id"),
                "status": None,
                "item_count": len(items),
                "enterprises": len({i.get("credit_code") for i in items}),
                "total_amount": float(
                    _num(rep.get("total_amount"), sum(_num(i.get("amount")) for i in items))
                ),
                "withheld": len(withheld),
                "withheld_amount": None,
                "withheld_reasons": reasons,
                "shortfalls": len(rep.get("commitment_shortfalls") or []),
                "issued_at": r["issued_at"],
                **_batch_rules(cadence, rep.get("period") or r["period_key"], rep.get("policy_ids") or []),
            }
        )
    return Section(rows=rows)


# --- 自创区重大项目月评价 ---------------------------------------------------------------------


def innovation_section(engine) -> Section:
    """The latest monthly evaluation: 红黄绿灯 counts, each project's light, composite score."""
    stored = _reports(engine, (INNOVATION_MONTHLY_DAG,), limit=1)
    if not stored:
        return Section(note="尚无月评价", available=has_table(engine, REPORTS_TABLE))
    rep = stored[0]["report"]
    projects = sorted(
        rep.get("projects") or [],
        key=lambda p: (
            ["red", "unreported", "yellow", "green"].index(p.get("status"))
            if p.get("status") in LIGHT_LABELS
            else 9,
            str(p.get("project_id")),
        ),
    )
    counts = {k: _num((rep.get("counts") or {}).get(k)) for k in LIGHT_LABELS}
    dispatch = _reports(engine, (INNOVATION_QUARTERLY_DAG,), limit=1)
    data = {
        "period": rep.get("period") or stored[0]["period_key"],
        "issued_at": stored[0]["updated_at"],
        "counts": counts,
        "total": sum(counts.values()),
        "composite_score": rep.get("composite_score"),
        "projects": [{**p, "label": LIGHT_LABELS.get(p.get("status"), p.get("status"))} for p in projects],
        "units": rep.get("units") or [],
        "dispatch_period": dispatch[0]["period_key"] if dispatch else None,
        "dispatch_count": len(dispatch[0]["report"].get("dispatch") or []) if dispatch else None,
    }
    return Section(data=data)


# --- 通知发送 -------------------------------------------------------------------------------


def notices_section(engine, limit: int = 50) -> Section:
    """Notices that have not reached their recipient (failed, unrouted, pending), worst first.

    Subject and error text pass through :func:`gxq.masking.mask_text`: nothing personal leaves
    unmasked, even if a body or an error message quoted a phone number.
    """
    if not has_table(engine, OUTBOX_TABLE):
        return Section(note="通知发件箱尚未建立", available=False)
    cols = table_columns(engine, OUTBOX_TABLE)
    wanted = [
        c
        for c in (
            "id",
            "dag_id",
            "period_key",
            "recipient",
            "kind",
            "subject",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "updated_at",
            "resend_count",
        )
        if c in cols
    ]
    t = sa.table(OUTBOX_TABLE, *[sa.column(c) for c in cols])
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for status, n in conn.execute(sa.select(t.c.status, sa.func.count()).group_by(t.c.status)):
            counts[status] = n
        severity = sa.case(
            {s: i for i, s in enumerate(ATTENTION_STATUSES)}, value=t.c.status, else_=len(ATTENTION_STATUSES)
        )
        stmt = (
            sa.select(*[t.c[c] for c in wanted])
            .where(t.c.status.in_(ATTENTION_STATUSES))
            .order_by(severity, t.c.updated_at.desc() if "updated_at" in cols else t.c.id.desc())
            .limit(limit)
        )
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
    for r in rows:
        r["subject"] = mask_text(r.get("subject"))
        r["last_error"] = mask_text(r.get("last_error"))
        if r.get("last_error") and len(r["last_error"]) > 300:
            r["last_error"] = r["last_error"][:300] + "…"
        r["status_label"] = NOTICE_STATUS_LABELS.get(r.get("status"), r.get("status"))
        r["dag_label"] = _dag_label(r.get("dag_id"), r.get("dag_id"))
        r["kind_label"] = cadences.notice_label(r.get("dag_id") or "", r.get("kind") or "") or r.get("kind")
        r["updated_at"] = to_local(r.get("updated_at"))
        r["created_at"] = to_local(r.get("created_at"))
    summary = [
        {"status": s, "label": NOTICE_STATUS_LABELS.get(s, s), "count": counts[s]}
        for s in sorted(
            counts,
            key=lambda s: (list(NOTICE_STATUS_LABELS).index(s) if s in NOTICE_STATUS_LABELS else 99, s),
        )
    ]
    return Section(
        rows=rows,
        data={"summary": summary, "attention": sum(counts.get(s, 0) for s in ATTENTION_STATUSES),
              "messages": platform_messages(engine, limit)},
        note=None if rows else "没有失败或待发送的通知",
    )


def platform_messages(engine, limit: int = 50) -> list[dict]:
    """Chat-bot messages refused for good or waiting to be sent again, with the platform's own
    code and reason (``gxq_notify_delivery``), refused first. Only messages of notices not yet
    delivered: a waiting part whose notice went out since is history, not work."""
    if not has_table(engine, DELIVERY_TABLE):
        return []
    d = sa.table(DELIVERY_TABLE, *[sa.column(c) for c in table_columns(engine, DELIVERY_TABLE)])
    o = sa.table(OUTBOX_TABLE, *[sa.column(c) for c in ("id", "dag_id", "period_key", "recipient", "kind",
                                                         "status")])
    severity = sa.case({"refused": 0, "waiting": 1}, value=d.c.status, else_=2)
    stmt = (
        sa.select(o.c.dag_id, o.c.period_key, o.c.recipient, o.c.kind, d.c.platform, d.c.part, d.c.parts,
                  d.c.status, d.c.platform_code, d.c.platform_message, d.c.attempts, d.c.too_fast,
                  d.c.last_attempt_at)
        .select_from(d.join(o, o.c.id == d.c.outbox_id))
        .where(d.c.status.in_(tuple(MESSAGE_STATUS_LABELS)), o.c.status != "sent")
        .order_by(severity, d.c.last_attempt_at.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        out = [dict(r) for r in conn.execute(stmt).mappings()]
    for r in out:
        r["status_label"] = MESSAGE_STATUS_LABELS[r["status"]]
        r["platform_label"] = PLATFORM_LABELS.get(r["platform"], r["platform"])
        reason = mask_text(r.get("platform_message") or "") or ""
        r["reason"] = reason[:200] + ("…" if len(reason) > 200 else "")
        r["last_attempt_at"] = to_local(r.get("last_attempt_at"))
    return out


# --- 宣传报送 -------------------------------------------------------------------------------


def publicity_section(engine) -> Section:
    """The latest cadence reminder: 公众号更新 (days with a post, against 1) and 工作信息报送 (against
    2) this week, with the week's posts for information (no target)."""
    stored = _reports(engine, (PUBLICITY_DAG,), limit=1)
    if not stored:
        return Section(note="尚无宣传报送提醒", available=has_table(engine, REPORTS_TABLE))
    rep = stored[0]["report"]
    targets = rep.get("targets") or {}
    behind = rep.get("behind") or []
    rows = [
        {
            "label": "公众号更新",
            "value": rep.get("wechat_updates"),
            "target": targets.get("wechat_updates"),
            "unit": "次",
            "behind": "wechat_updates" in behind,
            "note": f"本周发文 {rep['wechat_posts']} 篇（同一天发布算一次更新）" if rep.get("wechat_posts") is not None else "",
        },
        {
            "label": "工作信息报送",
            "value": rep.get("info_submissions"),
            "target": targets.get("info_submissions"),
            "unit": "篇",
            "behind": "info_submissions" in behind,
            "note": "",
        },
    ]
    return Section(rows=rows, data={"period": stored[0]["period_key"], "as_of": rep.get("as_of")})


# --- 任务清单督查 ---------------------------------------------------------------------------


def tasks_section(engine) -> Section:
    """The latest 任务清单督查: counts and lights by unit, the escalated targets, the units reminded,
    and the 督办 items (opened, followed, closed) with their month-by-month lights."""
    stored = _reports(engine, (TASKS_DAG,), limit=1)
    if not stored:
        return Section(note="尚无任务清单督查", available=has_table(engine, REPORTS_TABLE))
    rep = stored[0]["report"]
    details = {d.get("target_id"): d for d in rep.get("target_details") or []}
    counts = {k: _num((rep.get("counts") or {}).get(k)) for k in ("green", "yellow", "red")}
    escalated = [{"target_id": t, "unit": (details.get(t) or {}).get("unit"),
                  "title": (details.get(t) or {}).get("title"),
                  "expected": (details.get(t) or {}).get("expected"), "actual": (details.get(t) or {}).get("actual")}
                 for t in rep.get("escalated") or []]
    supervision = [{**item, "title": (details.get(item.get("target_id")) or {}).get("title"),
                    "lights": [h.get("light") for h in item.get("history") or []]}
                   for item in rep.get("supervision") or []]
    data = {
        "period": rep.get("period") or stored[0]["period_key"],
        "as_of": rep.get("as_of"),
        "counts": counts,
        "total": sum(counts.values()),
        "units": rep.get("units") or [],
        "reminders": rep.get("reminders") or [],
        "escalated": escalated,
        "supervision": supervision,
        "problems": len(rep.get("data_problems") or []),
    }
    return Section(data=data)


# --- 急险工单 ----------------------------------------------------------------------------------


def urgent_section(engine, now: dt.datetime | None = None) -> Section:
    """The urgent petitions open as of the watch's latest run (its stored report), the ones not in
    time first (the alerts' order), with what was notified (``petition_urgent_notified``)."""
    stored = _reports(engine, URGENT_DAGS, limit=1)
    if not stored:
        return Section(note=f"尚无急险监测（{'、'.join(URGENT_DAGS) or '急险监测'} 未运行）", available=False)
    rep = stored[0]["report"]
    watched = [w for w in rep.get("watched_petitions") or [] if isinstance(w, dict)]
    order = {stage: i for i, stage in enumerate(URGENT_STAGES)}
    told: dict[str, set] = {}
    if watched and has_table(engine, "petition_urgent_notified"):
        t = sa.table("petition_urgent_notified", sa.column("petition_id"), sa.column("stage"))
        ids = [w.get("petition_id") for w in watched]
        with engine.connect() as conn:
            for i in range(0, len(ids), 500):
                for r in conn.execute(sa.select(t.c.petition_id, t.c.stage).where(t.c.petition_id.in_(ids[i:i + 500]))):
                    told.setdefault(r.petition_id, set()).add(r.stage)
    escalated = set(rep.get("escalated") or [])
    rows = []
    for w in sorted(watched, key=lambda w: (order.get(w.get("stage"), 99), str(w.get("petition_id")))):
        stage = w.get("stage")
        rows.append({**w, "stage_label": URGENT_STAGE_LABELS.get(stage, stage), "alert": stage != "in_time",
                     "overdue": stage in ("dispatch_overdue", "feedback_overdue"),
                     "escalated": w.get("petition_id") in escalated,
                     "notified": stage in told.get(w.get("petition_id"), set()),
                     "due_local": to_local(w.get("due_at")), "received_local": to_local(w.get("received_at"))})
    as_of = to_local(rep.get("as_of"))
    now_local = (now or dt.datetime.now(TZ)).astimezone(TZ).replace(tzinfo=None)
    stale = as_of is not None and (now_local - as_of) > dt.timedelta(minutes=URGENT_STALE_MINUTES)
    counts = {stage: sum(1 for r in rows if r["stage"] == stage) for stage in URGENT_STAGES}
    data = {"period": rep.get("period"), "as_of": as_of, "stale": stale, "watched": rep.get("watched"),
            "counts": counts, "labels": URGENT_STAGE_LABELS, "escalated": len(escalated),
            "excluded": sum(_num(v) for v in (rep.get("excluded") or {}).values())}
    return Section(data=data, rows=rows, note=None if rows else "当前没有监测中的急险工单")


# --- 绩效考核 ----------------------------------------------------------------------------------


SCORECARD_DAG = cadences.in_area("scorecard")[0].dag_id
SCORECARD_TREND_MONTHS = 6


def scorecard_section(engine) -> Section:
    """The latest 绩效考核: the ranking with each unit's score, change against the month before and
    the points lost per source, its score over the last months (a gap where a month has no
    scorecard), and the inputs missing when the month is incomplete."""
    stored = [r for r in _reports(engine, (SCORECARD_DAG,), limit=24) if periods.MONTH_RE.match(r["period_key"])]
    if not stored:
        return Section(note=f"尚无绩效考核（{SCORECARD_DAG} 未运行）", available=has_table(engine, REPORTS_TABLE))
    latest = stored[0]
    rep = latest["report"]
    by_key = {r["period_key"]: r["report"] for r in stored}
    month = periods.parse_key(latest["period_key"], ("month",))
    keys = [month.key]
    for _ in range(SCORECARD_TREND_MONTHS - 1):
        month = month.previous()
        keys.insert(0, month.key)
    scores = {k: {u.get("unit"): u.get("score") for u in (by_key.get(k) or {}).get("units") or []} for k in keys}
    sources = ((rep.get("weights") or {}).get("sources")) or {}
    changes = rep.get("changes") or {}
    rows = []
    for u in rep.get("units") or []:
        lost = {s: round(sum(_num(d.get("points")) for d in u.get("deductions") or [] if d.get("source") == s), 2)
                for s in sources}
        rows.append({"unit": u.get("unit"), "score": u.get("score"), "rank": u.get("rank"),
                     "change": (changes.get(u.get("unit")) or {}).get("score_change"), "lost": lost,
                     "trend": [scores[k].get(u.get("unit")) for k in keys]})
    data = {"period": latest["period_key"], "dag_id": SCORECARD_DAG, "complete": rep.get("complete", True),
            "missing": rep.get("missing_inputs") or [], "sources": {k: v.get("label", k) for k, v in sources.items()},
            "weights_version": (rep.get("weights") or {}).get("version"), "trend_keys": keys,
            "rollups": [{"period": r.get("period"), "complete": r.get("complete"), "top": (r.get("units") or [])[:3]}
                        for r in rep.get("rollups") or []]}
    return Section(data=data, rows=rows)


# --- 三轮评估 整改 ---------------------------------------------------------------------------


def assessment_section(engine) -> Section:
    """The latest 三轮评估 整改跟踪 week: closure (验收销号) per round, the overdue findings by unit
    (催办, and 督办 at 30 days), and the indicators whose latest city rank is below 全市前列."""
    from gxq.assessment.render import round_label
    from gxq.assessment.rules import TARGET_RANK

    stored = _reports(engine, ASSESSMENT_DAGS, limit=1)
    if not stored:
        return Section(note="尚无评估整改跟踪", available=has_table(engine, REPORTS_TABLE))
    rep = stored[0]["report"]
    order = [r.get("round") for r in rep.get("rounds") or []]
    rounds = [{**r, "label": round_label(r.get("round"), order)} for r in rep.get("rounds") or []]
    details = {d.get("finding_id"): d for d in rep.get("finding_details") or []}
    reminded = set(rep.get("reminders") or [])
    units = sorted(({**u, "reminded": u.get("unit") in reminded} for u in rep.get("units") or [] if _num(u.get("overdue"))),
                   key=lambda u: (-_num(u.get("overdue")), -_num(u.get("escalated")), str(u.get("unit"))))
    trends = {t.get("indicator_code"): t for t in rep.get("indicator_trends") or []}
    below = []
    for i in rep.get("indicators") or []:
        if i.get("target_met") is False:
            t = trends.get(i.get("indicator_code")) or {}
            scores = i.get("scores") or {}
            below.append({**i, "name": t.get("name"), "districts": t.get("districts"),
                          "score": scores[max(scores)] if scores else None})
    below.sort(key=lambda i: (-_num(i.get("city_rank")), str(i.get("indicator_code"))))
    escalated = [details.get(f) or {"finding_id": f} for f in rep.get("escalated") or []]
    data = {
        "period": rep.get("period") or stored[0]["period_key"],
        "dag_id": stored[0]["dag_id"],
        "as_of": rep.get("as_of"),
        "rounds": rounds,
        "units": units,
        "overdue": len(rep.get("findings_overdue") or []),
        "escalated": escalated,
        "awaiting": len(rep.get("awaiting_verification") or []),
        "due_soon": len(rep.get("due_soon") or []),
        "below": below,
        "ranked": sum(1 for i in rep.get("indicators") or [] if i.get("target_met") is not None),
        "met": sum(1 for i in rep.get("indicators") or [] if i.get("target_met") is True),
        "target_rank": TARGET_RANK,
        "problems": len(rep.get("data_problems") or []),
    }
    return Section(data=data)


# --- the whole page -------------------------------------------------------------------------

def reviews_section(engine, today: dt.date | None = None) -> Section:
    """政策兑现批次待审核: batches waiting for approval in Required Actions, oldest first, with their
    age in working days (gxq.calendar) and whether the reminder / escalation went out."""
    from gxq.calendar.workdays import working_days

    if not has_table(engine, "policy_reviews"):
        return Section(note="尚无审核记录", available=False)
    from gxq.policy import review

    today = today or dt.datetime.now(TZ).date()
    rows = []
    for r in review.waiting(engine):
        asked = to_local(r["requested_at"])
        summary = r["summary"] or {}
        rows.append({
            "batch_id": r["batch_id"], "period": r["period_key"], "cadence_label": _dag_label(r["dag_id"], r["cadence"]),
            "dag_id": r["dag_id"], "run_id": r["run_id"], "requested_at": asked,
            "age_working_days": len(working_days(asked.date(), today)) if asked else None,
            "age_days": (today - asked.date()).days if asked else None,
            "items": summary.get("items"), "total_amount": summary.get("total_amount"),
            "approvers": r["approvers"] or "", "reminded": r["reminded_at"] is not None,
            "escalated": r["escalated_at"] is not None,
        })
    note = None if rows else "没有待审核的兑现批次"
    return Section(rows=rows, note=note)


SECTIONS = {
    "bulletin": lambda e, today: bulletin_section(e),
    "urgent": lambda e, today: urgent_section(e),
    "reviews": reviews_section,
    "supervised": supervised_section,
    "batches": lambda e, today: batches_section(e),
    "innovation": lambda e, today: innovation_section(e),
    "notices": lambda e, today: notices_section(e),
    "publicity": lambda e, today: publicity_section(e),
    "tasks": lambda e, today: tasks_section(e),
    "scorecard": lambda e, today: scorecard_section(e),
    "assessment": lambda e, today: assessment_section(e),
}


def unit_names(engine) -> dict[str, str]:
    """``{unit code: short name}`` from the latest weekly bulletin's ``unit_names`` (the unit
    directory, ``dept_petitions.units``, as that run read it): the 看板 reads only gxq_ops, never a
    department database. ``{}`` before any bulletin (codes stand in)."""
    stored = _reports(engine, (BULLETIN_DAG,), limit=1)
    names = (stored[0]["report"].get("unit_names") if stored else None) or {}
    if not isinstance(names, dict):
        return {}
    return {str(code): short_name(str(name)) for code, name in names.items() if name}


def dashboard_data(engine, now: dt.datetime | None = None) -> dict[str, Section]:
    """Every section; one that fails shows its error note, the others still show."""
    now = now or dt.datetime.now(TZ)
    today = now.astimezone(TZ).date() if now.tzinfo else now.date()
    out: dict[str, Section] = {}
    for name, fn in SECTIONS.items():
        try:
            out[name] = fn(engine, today)
        except Exception:
            log.exception("dashboard: section %s failed", name)
            out[name] = Section(note="本板块读取失败，请查看 api-server 日志", available=False)
    return out

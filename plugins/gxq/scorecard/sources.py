"""What each input says against a unit (扣分依据): the issued reports of the other DAGs read as
charges, each traced to the item behind it (a petition figure, a target id, a finding id, a
project id, a petition id) and to the report it comes from.

Pure functions over the reports' contract keys (plus the bulletin's ``unit_rates`` and
``supervised_items``); nothing here reads a database. A charge counts things (petitions, weeks,
targets ...) or, for the satisfaction rule, percentage points below the target; the weights turn
it into points (gxq.scorecard.scoring).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass

from gxq.petitions.rules import METRIC_LABELS, TARGETS
from gxq.rates import rate


@dataclass(frozen=True)
class Charge:
    """One thing a rule counts against a unit."""

    unit: str
    rule: str
    item: str  # what lost the points: an id or a figure
    quantity: float  # how many counted things (or percentage points below target)
    detail: str  # 中文: the figure behind it
    dag_id: str  # the report it comes from
    period: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Gathered:
    """A source's charges and the units it names (a unit named with nothing against it scores full)."""

    charges: list[Charge]
    units: set[str]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def _unit(value) -> str | None:
    return None if value in (None, "") else str(value)


# --- 市民服务平台 (the weekly bulletins of the month) ----------------------------------------------


def petitions(bulletins: dict[str, dict], month: str, dag_id: str) -> Gathered:
    """The month's weekly bulletins (week key -> report): each week's on-time dispatch and feedback
    of the units' led petitions, the month's satisfaction against the plan's 95%, and, as of the
    month's last bulletin, the overdue backlog and the 挂牌督办 items the unit leads."""
    charges: list[Charge] = []
    units: set[str] = set()
    surveyed: dict[str, int] = defaultdict(int)
    satisfied: dict[str, int] = defaultdict(int)
    weeks = sorted(bulletins)
    for week in weeks:
        report = bulletins[week]
        for code, rates in sorted((report.get("unit_rates") or {}).items()):
            dispatch = (rates or {}).get("dispatch")
            if dispatch is not None and dispatch < TARGETS["dispatch"]:
                charges.append(Charge(code, "petitions.dispatch_below_target", f"{week} {METRIC_LABELS['dispatch']}", 1,
                                      f"{week} {METRIC_LABELS['dispatch']} {_pct(dispatch)}，目标100%", dag_id, week))
        for row in report.get("units") or []:
            code = _unit(row.get("unit"))
            if code is None:
                continue
            units.add(code)
            late = int(row.get("feedback_due") or 0) - int(row.get("feedback_on_time") or 0)
            if late > 0:
                charges.append(Charge(code, "petitions.feedback_late", f"{week} 按时反馈 {row['feedback_on_time']}/{row['feedback_due']}",
                                      late, f"{week} 反馈到期 {row['feedback_due']} 件，按时 {row['feedback_on_time']} 件，"
                                      f"逾期 {late} 件", dag_id, week))
            surveyed[code] += int(row.get("surveyed") or 0)
            satisfied[code] += int(row.get("satisfied") or 0)
    target = TARGETS["satisfaction"]
    for code in sorted(surveyed):
        value = rate(satisfied[code], surveyed[code])
        if value is not None and value < target:
            below = round((target - value) * 100, 2)
            charges.append(Charge(code, "petitions.satisfaction_below_target",
                                  f"{month} {METRIC_LABELS['satisfaction']} {_pct(value)}",
                                  below, f"{month} 回访 {surveyed[code]} 件，满意 {satisfied[code]} 件，"
                                  f"{METRIC_LABELS['satisfaction']} {_pct(value)}，低于{target * 100:g}% {below:g} 个百分点",
                                  dag_id, ",".join(weeks)))
    if weeks:
        last_week = weeks[-1]
        last = bulletins[last_week]
        for row in last.get("units") or []:
            code = _unit(row.get("unit"))
            n = int(row.get("overdue_open") or 0)
            if code and n > 0:
                charges.append(Charge(code, "petitions.overdue_backlog", f"{last_week} 超期未反馈 {n} 件", n,
                                      f"截至 {last_week} 末超期未反馈的主办工单 {n} 件", dag_id, last_week))
        for item in last.get("supervised_items") or []:
            code = _unit(item.get("lead_unit"))
            if code is None or item.get("state") == "resolved":
                continue
            units.add(code)
            label = f"挂牌督办 {item['topic']}"
            charges.append(Charge(code, "petitions.supervised_open", label, 1,
                                  f"{item['topic']}：{item.get('opened_week')} 挂牌，截至 {last_week} 已 {item.get('weeks_open')} 周未销号",
                                  dag_id, last_week))
            if item.get("escalated"):
                charges.append(Charge(code, "petitions.supervised_escalated", label, 1,
                                      f"{item['topic']}：挂牌满3周未销号，已提级督办", dag_id, last_week))
    return Gathered(charges, units)


# --- 急险工单 (the urgent watch's runs of the month) -----------------------------------------------


def urgent(reports: dict[str, dict], dag_id: str) -> Gathered:
    """Every urgent petition past its feedback deadline in a watch run of the month (stage
    ``feedback_overdue``: dispatched, so it has a lead unit), once per petition, and those escalated
    (overdue 120 minutes or more). A petition not dispatched in time (``dispatch_overdue``) has no
    unit yet: it is the platform's, not a unit's, and scores nowhere."""
    overdue: dict[tuple[str, str], tuple[str, int]] = {}  # (unit, petition) -> (first run, max minutes)
    escalated: dict[tuple[str, str], str] = {}
    units: set[str] = set()
    for key in sorted(reports):
        report = reports[key]
        lead = {}
        for alert in report.get("alerts") or []:
            code = _unit(alert.get("unit"))
            if code is None:
                continue
            units.add(code)
            lead[alert["petition_id"]] = code
            if alert.get("stage") == "feedback_overdue":
                k = (code, alert["petition_id"])
                first, minutes = overdue.get(k, (key, 0))
                overdue[k] = (first, max(minutes, int(alert.get("minutes") or 0)))
        for pid in report.get("escalated") or []:
            if pid in lead:
                escalated.setdefault((lead[pid], pid), key)
    charges = [Charge(code, "urgent.feedback_overdue", pid, 1,
                      f"急险工单 {pid} 超过反馈时限（{first} 起，最长超时 {minutes} 分钟）", dag_id, first)
               for (code, pid), (first, minutes) in sorted(overdue.items())]
    charges += [Charge(code, "urgent.escalated", pid, 1, f"急险工单 {pid} 超时120分钟以上，提级督办（{first}）", dag_id, first)
                for (code, pid), first in sorted(escalated.items())]
    return Gathered(charges, units)


# --- 任务清单 (the month's task tracking) ---------------------------------------------------------


def tasks(report: dict, key: str, dag_id: str) -> Gathered:
    """The 任务清单 lights as of the month's end: every red and yellow target, and the escalated ones
    (red two months running)."""
    charges: list[Charge] = []
    unit_of = {}
    for t in report.get("targets") or []:
        code = _unit(t.get("unit"))
        unit_of[t["target_id"]] = code
        if code and t.get("light") in ("red", "yellow"):
            label = "红灯" if t["light"] == "red" else "黄灯"
            charges.append(Charge(code, f"tasks.{t['light']}", t["target_id"], 1,
                                  f"任务 {t['target_id']} {label}（应完成 {t.get('expected')}，实际 {t.get('actual')}）",
                                  dag_id, key))
    for tid in report.get("escalated") or []:
        if unit_of.get(tid):
            charges.append(Charge(unit_of[tid], "tasks.escalated", tid, 1, f"任务 {tid} 连续两个月红灯，报督办", dag_id, key))
    units = {u for u in (_unit(r.get("unit")) for r in report.get("units") or []) if u}
    return Gathered(charges, units)


# --- 评估问题整改 (the rectification report of the month's last week) -------------------------------


def rectification(report: dict, key: str, dag_id: str) -> Gathered:
    """The 整改 findings overdue as of the month's last weekly report, and those escalated (overdue
    30 days or more)."""
    charges: list[Charge] = []
    unit_of = {}
    for f in report.get("findings_overdue") or []:
        code = _unit(f.get("unit"))
        unit_of[f["finding_id"]] = code
        if code:
            charges.append(Charge(code, "rectification.overdue", f["finding_id"], 1,
                                  f"问题 {f['finding_id']}（{f.get('round')} 轮）整改期限 {f.get('due_on')}，已逾期 {f.get('days_overdue')} 天",
                                  dag_id, key))
    for fid in report.get("escalated") or []:
        if unit_of.get(fid):
            charges.append(Charge(unit_of[fid], "rectification.escalated", fid, 1, f"问题 {fid} 逾期30天以上，报督办", dag_id, key))
    return Gathered(charges, {c.unit for c in charges})


# --- 自创区重大项目 (the month's evaluation) ------------------------------------------------------


def innovation(report: dict, key: str, dag_id: str) -> Gathered:
    """The month's project lights: every red, yellow or unreported project of the unit."""
    labels = {"red": "红灯", "yellow": "黄灯", "unreported": "未报送"}
    charges = []
    for p in report.get("projects") or []:
        code = _unit(p.get("responsible_unit"))
        status = p.get("status")
        if code and status in labels:
            gap = "" if p.get("gap") is None else f"，进度差 {p['gap']:g}"
            charges.append(Charge(code, f"innovation.{status}", p["project_id"], 1,
                                  f"项目 {p['project_id']} {labels[status]}{gap}", dag_id, key))
    units = {u for u in (_unit(r.get("unit")) for r in report.get("units") or []) if u}
    return Gathered(charges, units)

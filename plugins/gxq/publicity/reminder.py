"""宣传工作提醒: 公众号每周更新1–2次, 每周报送工作信息2篇以上 (publicity cadence reminder).

A run with logical date D (Asia/Shanghai) counts its own ISO week so far, [Monday 00:00, D):
the account's updates (公众号更新: the distinct calendar days, Asia/Shanghai, with at least one post;
one update, 群发, may carry several articles) and work-information submissions (工作信息报送),
against the plan's weekly targets (1 and 2); the posts themselves (公众号文章) are reported for
information, without a target. ``behind`` lists, in that order, each of ``wechat_updates`` and
``info_submissions`` below its target, with no pro-rating by weekday. A reminder goes to ``publicity`` only when something is behind and can
still be done: a 服务号 that has used its four mass sends of the month is not urged to post.
The Friday reminder (or any run on the week's last working days) is the urgent one.

Report key: ``<ISO week>-<weekday>`` (``2021-W09-wed``, ``2021-W09-fri``; a Wednesday reminder
moved to Thursday by a holiday is ``-thu``), so both runs of a week keep their report.
"""

from __future__ import annotations

import datetime as dt

from gxq import periods
from gxq.calendar import workdays
from gxq.notify import Notice
from gxq.publicity import source as sources
from gxq.publicity.texts import render_notice, render_text
from gxq.run import Run

# 实施方案: 营商公众号每周更新1–2次 (at least one update); 每周向上报送工作信息2篇以上 (targets per
# ISO week). The posts (articles) have no target: one update may carry several.
TARGETS = {"wechat_updates": 1, "info_submissions": 2}
TARGET_KEYS = tuple(TARGETS)  # the contract's order of ``behind``
LABELS = {"wechat_updates": "公众号更新", "info_submissions": "工作信息报送"}
UNITS = {"wechat_updates": "次", "info_submissions": "篇"}
URGENT_FROM_WEEKDAY = 4  # Friday (or a make-up Saturday): the week's last reminder


def bounds(run: Run) -> tuple[dt.datetime, dt.datetime]:
    """[Monday 00:00, D) of a run, as naive local datetimes (how the department databases store time)."""
    return run.period.start, run.as_of.astimezone(periods.TZ).replace(tzinfo=None)


def behind(counts: dict[str, int], targets: dict[str, int] = TARGETS) -> list[str]:
    return [key for key in TARGET_KEYS if counts[key] < targets[key]]


def not_urged(counts: dict, behind_keys: list[str]) -> dict[str, str]:
    """What is behind but cannot be done this week, with the reason (shown in the notice)."""
    out = {}
    limit = counts.get("monthly_send_limit")
    if "wechat_updates" in behind_keys and limit is not None and counts.get("sends_this_month", 0) >= limit:
        out["wechat_updates"] = f"服务号本月 {limit} 次群发已用完"
    return out


def build_report(run: Run, counts: dict) -> dict:
    """report.json of a run (docs/reference.md keys first, then what explains them)."""
    as_of = run.as_of
    late = behind(counts)
    skipped = not_urged(counts, late)
    return {
        "period": run.period.key,
        "as_of": as_of.astimezone(periods.TZ).isoformat(timespec="seconds"),
        "wechat_updates": int(counts["wechat_updates"]),
        "wechat_posts": int(counts["wechat_posts"]),
        "info_submissions": int(counts["info_submissions"]),
        "targets": dict(TARGETS),
        "behind": late,
        "report_key": run.key,
        "urged": [k for k in late if k not in skipped],
        "not_urged": skipped,
        "urgent": as_of.astimezone(periods.TZ).weekday() >= URGENT_FROM_WEEKDAY,
        "source": counts.get("source", "table"),
        "account": {
            "type": counts.get("account_type"),
            "sends_this_month": counts.get("sends_this_month"),
            "monthly_send_limit": counts.get("monthly_send_limit"),
            "sends_left": counts.get("sends_left"),
        },
        "data_problems": counts.get("bad_timestamps") or [],
    }


def reminder_notice(report: dict):
    """The notice to ``publicity``, or None when nothing is behind that can still be done."""
    if not report["urged"]:
        return None

    as_of = dt.datetime.fromisoformat(report["as_of"])
    week = periods.parse_key(report["period"], ("week",))
    rows = []
    for key in TARGET_KEYS:
        count, target = report[key], report["targets"][key]
        rows.append({
            "key": key, "label": LABELS[key], "unit": UNITS[key], "count": count, "target": target,
            "missing": max(target - count, 0), "behind": key in report["behind"],
            "urged": key in report["urged"], "reason": report["not_urged"].get(key, ""),
        })
    next_day = workdays.next_working_day(as_of.date(), include=False)
    subject, body = render_notice(
        "reminder",
        urgent=report["urgent"], period=report["period"], week_first=week.first_day.isoformat(),
        as_of_text=as_of.strftime("%Y-%m-%d %H:%M"), rows=rows,
        wechat_posts=report["wechat_posts"], sends_left=report["account"].get("sends_left"),
        next_working_day=next_day.isoformat() if next_day < week.end.date() else None,
        source_label="微信公众平台接口" if report.get("source") == "api" else "宣传发布记录库",
    )
    kind = "reminder_urgent" if report["urgent"] else "reminder"
    return Notice(recipient="publicity", kind=kind, subject=subject, body=body)


def weekly_line(week_period: periods.Period | str, *, source: str | None = None) -> dict:
    """Last week's publicity in one line, for the Monday bulletin (周通报中的宣传工作一行).

    ``week_period``: the bulletin's week (a Period or a key such as ``2021-W09``); counts cover
    the whole ISO week [Monday 00:00, next Monday 00:00). Returns ``{"period", "wechat_updates",
    "wechat_posts", "info_submissions", "targets", "behind", "text"}``; ``text`` is the Chinese line.
    """
    week = periods.parse_key(week_period, ("week",)) if isinstance(week_period, str) else week_period
    got = sources.counts(week.start, week.end, source=source)
    counts = {"wechat_updates": got.wechat_updates, "wechat_posts": got.wechat_posts,
              "info_submissions": got.info_submissions}
    late = behind(counts)
    text = render_text(
        "weekly_line.txt.j2", period=week.key, targets=TARGETS, behind=late,
        behind_labels=[LABELS[k] for k in late], **counts,
    ).strip()
    return {"period": week.key, **counts, "targets": dict(TARGETS), "behind": late, "text": text}


PROBLEM_TABLES = {"wechat_posts": "公众号文章 wechat_posts.published_at", "info_submissions": "工作信息 info_submissions.submitted_at"}


def data_problems_notice(run_dag_id: str, report: dict):
    """数据质量提示 to ``ops``: the rows whose time is not a time (counted nowhere), or None."""
    problems = report.get("data_problems") or []
    if not problems:
        return None
    rows = [{**p, "column": PROBLEM_TABLES.get(p["table"], p["table"])} for p in problems]
    subject, body = render_notice("data_problems_ops", dag_id=run_dag_id, period_key=report["report_key"],
                                  problems=rows)
    return Notice(recipient="ops", kind="data_problems", subject=subject, body=body)

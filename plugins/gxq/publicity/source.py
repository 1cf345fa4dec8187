"""Where the publicity counts come from (数据来源).

- ``info_submissions`` (工作信息报送): always the ``dept_publicity`` table.
- WeChat posts (公众号文章): the ``wechat_posts`` table (default) or the Official Account API
  (:mod:`gxq.publicity.wechat`), chosen by ``GXQ_WECHAT_SOURCE=table|api`` in the environment, else
  the Airflow Variable ``gxq_wechat_source`` (``AIRFLOW_VAR_GXQ_WECHAT_SOURCE`` or the UI).
- The account type (订阅号 / 服务号), which caps a 服务号 at four mass sends a month: the
  ``wechat_mp`` connection's extra ``account_type`` with the API source, else
  ``GXQ_WECHAT_ACCOUNT_TYPE`` / Variable ``gxq_wechat_account_type`` (default 订阅号).

All windows are half-open [start, end) in naive Asia/Shanghai wall-clock time.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import asdict, dataclass, field

from gxq import connections, sql
from gxq.publicity import wechat

log = logging.getLogger(__name__)

CONN_ID = "dept_publicity"
SOURCES = ("table", "api")


class PublicityConfigError(ValueError):
    """A configuration value that is not one of the allowed ones."""


def _in_task() -> bool:
    """True inside an Airflow task (the only place Airflow Variables can be read quickly)."""
    try:  # deferred: the package runs without Airflow too
        from airflow.sdk.execution_time import task_runner
    except Exception:  # noqa: BLE001 - Airflow absent
        return False
    return getattr(task_runner, "SUPERVISOR_COMMS", None) is not None


def _setting(env_name: str, variable: str) -> str | None:
    """A setting: our env var, else the Airflow Variable (``AIRFLOW_VAR_<NAME>`` or the UI)."""
    value = os.environ.get(env_name) or os.environ.get(f"AIRFLOW_VAR_{variable.upper()}")
    if value and value.strip():
        return value.strip()
    if os.environ.get("GXQ_NO_AIRFLOW_CONNECTIONS") or not _in_task():
        return None
    try:  # deferred: the package runs without Airflow too
        from airflow.sdk import Variable

        value = Variable.get(variable, default=None)
    except Exception:  # noqa: BLE001 - not reachable: the default applies
        value = None
    return value.strip() if isinstance(value, str) and value.strip() else None


def wechat_source() -> str:
    value = (_setting("GXQ_WECHAT_SOURCE", "gxq_wechat_source") or "table").lower()
    if value not in SOURCES:
        raise PublicityConfigError(f"GXQ_WECHAT_SOURCE / Variable gxq_wechat_source must be table or api, got {value!r}")
    return value


def account_type(source: str) -> str:
    if source == "api":
        return wechat.account_from_connection().account_type
    return wechat.normalise_account_type(_setting("GXQ_WECHAT_ACCOUNT_TYPE", "gxq_wechat_account_type"))


@dataclass
class PublicityCounts:
    wechat_updates: int  # 公众号更新: distinct days (Asia/Shanghai) with at least one post
    wechat_posts: int  # the articles themselves (one update may carry several)
    info_submissions: int
    source: str
    account_type: str
    sends_this_month: int  # publications (群发) since the 1st of the month, up to as_of
    monthly_send_limit: int | None
    # 数据质量: rows whose time is not a time ({"table", "id", "value"}), counted nowhere
    bad_timestamps: list[dict] = field(default_factory=list)

    @property
    def sends_left(self) -> int | None:
        if self.monthly_send_limit is None:
            return None
        return max(self.monthly_send_limit - self.sends_this_month, 0)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sends_left"] = self.sends_left
        return d


def _table_posts(engine, start: dt.datetime, end: dt.datetime) -> dict:
    row = sql.query(engine, "publicity/wechat_posts_count", {"start": sql.ts_text(start), "end": sql.ts_text(end)})[0]
    return {"posts": int(row["posts"] or 0), "update_days": int(row["update_days"] or 0),
            "sends": int(row["sends"] or 0)}


def _table_submissions(engine, start: dt.datetime, end: dt.datetime) -> int:
    row = sql.query(engine, "publicity/info_submissions_count", {"start": sql.ts_text(start), "end": sql.ts_text(end)})[0]
    return int(row["submissions"] or 0)


def counts(start: dt.datetime, end: dt.datetime, *, source: str | None = None, client=None) -> PublicityCounts:
    """Counts over [start, end), plus the month's sends up to ``end`` for the send cap."""
    source = source or wechat_source()
    engine = connections.engine_for(CONN_ID)
    sql.require_columns(engine, "info_submissions", ["submission_id", "submitted_at"])
    submissions = _table_submissions(engine, start, end)
    month_start = dt.datetime(end.year, end.month, 1) if end.day != 1 or end.time() != dt.time() else \
        dt.datetime((end - dt.timedelta(days=1)).year, (end - dt.timedelta(days=1)).month, 1)
    if source == "api":
        if client is None:
            client = wechat.WeChatClient(wechat.account_from_connection())
        articles = client.published_articles(since=min(start, month_start))
        week = wechat.counts_between(articles, start, end)
        month = wechat.counts_between(articles, month_start, end)
        kind = client.account.account_type
    else:
        sql.require_columns(engine, "wechat_posts", ["post_id", "published_at"])
        week = _table_posts(engine, start, end)
        month = _table_posts(engine, month_start, end)
        kind = account_type("table")
    bad = [{"table": r["source_table"], "id": str(r["row_id"]), "value": str(r["value"])}
           for r in sql.query(engine, "publicity/bad_timestamps", with_posts=source == "table")]
    return PublicityCounts(
        bad_timestamps=bad,
        wechat_updates=week["update_days"],
        wechat_posts=week["posts"],
        info_submissions=submissions,
        source=source,
        account_type=kind,
        sends_this_month=month["sends"],
        monthly_send_limit=wechat.MONTHLY_SEND_LIMIT[kind],
    )

"""
### 市民服务平台情况通报 — weekly petition bulletin (8890) with 挂牌督办

**中文**: 每周一 09:00(北京时间)发布上一个完整自然周(ISO 周, 周一 00:00 至下周一 00:00)的
《市民服务平台情况通报》: 受理量及环比、诉求类型、按时分拨率、按时反馈率、满意率(目标 100% / 100% /
95% 以上, 并列出未达目标的单位, 含年度累计)、高频投诉事项(前 10 项, 第 6 位起须 2 件以上)纳入挂牌督办
并跟踪(新增挂牌、仍在榜、回落、已销号; 挂牌满 3 周未销号提级至营商环境建设局)、超期未反馈工单、各承办
单位办理情况、数据质量问题(隔离并通知平台数据管理员)。每月第一期附上月办件质量排名。产出
`report.json`、通报网页、Word、Excel; 营商环境建设局收到全文, 各承办单位收到本单位部分。

**English**: every Monday 09:00 Asia/Shanghai, the bulletin of the last complete ISO week before
the logical date's week (the `period` param overrides it, e.g. `2021-W09`). Steps: `compute`
(period validated, `gxq_ops` migrated, department columns checked before any query; then the SQL
of `include/sql/petitions`, the year to date from per-day counts in `gxq_ops`) → `supervise` (挂牌督办 items in `gxq_ops`, state as of the week) →
`render` (HTML, docx, xlsx, charts) → `publish` (`report.json` last) → `notify`
(outbox: office, each unit, escalations, data-quality notice to `ops`). Params: `period`, `dry_run`,
`resend`. Reruns and backfills of a week reproduce its report and send nothing twice.
"""

from __future__ import annotations

from airflow.sdk import dag
from gxq import dagkit
from gxq.flow import compute, notify, publish, render, supervise

DAG_ID = "petition_weekly_bulletin"

# The bulletin's deadline (Monday 12:00) is checked by petition_bulletin_deadline_watch, not by
# ``deadline=`` here: in Airflow 3.3.2 a DAG with ``deadline=`` makes ``dag.test()`` -- and so
# ``airflow dags test``, the zone's acceptance path -- crash when the run succeeds.


@dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)
def petition_weekly_bulletin():
    computed = compute(DAG_ID)
    rendered = render(computed, supervise(computed))
    publish(computed, rendered) >> notify(computed, rendered)


petition_weekly_bulletin()

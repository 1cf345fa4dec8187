"""
### 宣传工作提醒 · Publicity cadence reminder (`publicity_cadence_reminder`)

**中文**：落实《大连高新区2021年优化营商环境工作实施方案》“营商公众号每周更新1–2次、每周报送工作信息2篇以上”。
每周三 10:00、周五 15:00（上海时间）核对本周（周一 0 时至本次运行时刻）公众号更新次数（有发文的日数，同一天发布的
多篇图文算一次更新，目标1次；发文篇数仅供参考）和工作信息报送篇数（目标2篇）；
未达标的，向宣传部门（`publicity`）发送提醒，周五为紧急提醒；均已达标则不发送。按法定工作日历调度：节假日不提醒，
遇节假日顺延至本周下一个工作日（调休上班日算工作日），本周再无工作日则不提醒。服务号每月只能群发4次，本月已用完时
不再催促公众号更新。公众号文章可从宣传发布记录库（`wechat_posts` 表）读取，也可直接从微信公众平台接口读取
（`GXQ_WECHAT_SOURCE=api`，连接 `wechat_mp`）。

**English**: runs Wednesday 10:00 and Friday 15:00 Asia/Shanghai on China's working calendar (never on a
holiday; moved to the next working day of the same week, else skipped). A logical date D covers its own ISO week
so far, [Monday 00:00, D): the WeChat account's updates (distinct Asia/Shanghai days with a post; target 1; the
posts themselves are reported without a target) and work-information submissions (target 2). `behind`
lists the counts below target; a reminder goes to `publicity` only when something is behind (the Friday one is
urgent), and a 服务号 that has used its four monthly mass sends is not urged to update. Output:
`$GXQ_OUTPUT_DIR/publicity_cadence_reminder/<week>-<wed|fri|...>/report.json` (+ `reminder.md` when one is due).

Params: `as_of` (manual runs: the moment to count up to, ISO date-time, Asia/Shanghai if no zone; empty: the
logical date, else the trigger time), `dry_run`, `resend`. WeChat source: env `GXQ_WECHAT_SOURCE` or Variable
`gxq_wechat_source` = `table` | `api`; account type: connection `wechat_mp` extra `account_type`, or
`GXQ_WECHAT_ACCOUNT_TYPE` (订阅号 / 服务号).
"""

from __future__ import annotations

from airflow.sdk import dag
from gxq import dagkit
from gxq.flow import compute, notify, publish

DAG_ID = "publicity_cadence_reminder"


@dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)
def publicity_cadence_reminder():
    counted = compute(DAG_ID)  # D (as_of), its week, report key 2021-W09-wed; counts over [Monday 00:00, D)
    report = publish(counted)  # report.json, and reminder.md when a reminder is due
    notify(counted, report)  # 提醒 when behind (Friday's urgent)


publicity_cadence_reminder()

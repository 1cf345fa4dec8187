"""
### 任务清单督查 · Plan task tracking (`plan_task_tracking`)

**中文**：落实《大连高新区2021年优化营商环境工作实施方案》任务清单和督查考核机制（跟踪督导推进落实情况，
形成发现问题—研究问题—解决问题的工作闭环）。每月第2个工作日09:00（上海时间；GXQ_PLAIN_SCHEDULES=1 时为
每月3日）督查上一个自然月：任务清单中每项量化任务（dept_supervision）按序时进度（按日均匀推进、按节点或一次性
完成）计算截至月末应完成数，与责任单位报送的累计完成数比较，亮红黄绿灯，并按当前完成速度预测到期能否完成。
营商局收到督查月报（Word、网页，含各单位红黄绿灯、红黄灯任务、红灯任务进度图）和全部任务的Excel清单；
有红黄灯任务的单位收到催办通知；连续两个月红灯的任务报营商局督办；红灯任务纳入督办事项，转绿后销号；
数据问题（曲线类型不明、目标值不大于0、截止早于开始、缺少考核节点、报送了不存在的任务、累计值减少）
该任务本月不计入统计并通知运维。

**English**: the plan's task list followed every month against 序时进度. Run on the month's 2nd working
day at 09:00 Asia/Shanghai (the 3rd with GXQ_PLAIN_SCHEDULES=1), a logical date D covers the previous
calendar month M (as_of = M's last day). Every target started by as_of gets its expected amount (linear,
milestones or once), its latest cumulative report, a status (completed, overdue, unreported, on_track,
behind), a light and a run-rate forecast. Outputs in `$GXQ_OUTPUT_DIR/plan_task_tracking/<YYYY-MM>/`:
`tracking.html`, `tracking.docx`, `targets.xlsx`, one burn-up chart PNG per red target and `report.json`
(written last). Notices: the report to `office`, a reminder (催办) to each unit with a red or yellow
target, the escalated targets (red two months running) to `office` (督办), data problems to `ops`. Red
targets become supervised items in `gxq_ops`, closed when green again.

Params: `period` (a month key such as `2021-06`, for manual runs; anything else fails with a clear error),
`dry_run` (record notices, send nothing), `resend` (send this month's notices again). A rerun of a month
reproduces its report. Rules and data-problem handling: `plugins/gxq/tracking/rules.py`.
"""

from airflow.sdk import dag
from gxq import dagkit, flow

DAG_ID = "plan_task_tracking"
plan_task_tracking = dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)(flow.report(DAG_ID))()

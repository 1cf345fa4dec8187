"""
### 自创区重大项目季调度 · Innovation zone quarterly dispatch (`innovation_quarterly_dispatch`)

**中文**：落实自创区重大项目“季调度”。每季首月第8个工作日09:00（上海时间；GXQ_PLAIN_SCHEDULES=1 时为12日）调度上一季度：季度末月为红灯或未报送，
或季度内两个及以上月份为红灯或未报送的重大项目列入调度（项目启动前的月份不列、不计）。按责任单位分组生成
调度会议程（Word、HTML），列出每个项目三个月的红黄绿灯轨迹；全季度红灯的项目生成督办函。营商局收到议程，
各责任单位收到本单位列入调度的项目，督办函发送责任单位；数据问题按既定规则处理并通知运维。

**English**: the innovation zone's quarterly dispatch meeting. Run on the 8th working day of each quarter's first
month at 09:00 Asia/Shanghai (the 12th with GXQ_PLAIN_SCHEDULES=1),
a logical date D covers the previous calendar quarter Q. Each month of Q is evaluated with
the monthly rules; a project is dispatched when it is red or unreported in Q's last month or in at least two of
its months (months before its start are neither listed nor counted). Outputs in
`$GXQ_OUTPUT_DIR/innovation_quarterly_dispatch/<YYYY-Qn>/`: `agenda.docx`, `agenda.html` (grouped by responsible
unit with each project's three-month trail), `letters/督办函_<project>.docx` for projects red all quarter, and
`report.json` (written last). Notices: the agenda to `office`, each unit its dispatched projects, each
supervision letter to its unit, data problems to `ops`.

Params: `period` (a quarter key such as `2021-Q1`, for manual runs; anything else fails with a clear error),
`dry_run`, `resend`. A rerun of a quarter reproduces its report.
"""

from airflow.sdk import dag
from gxq import dagkit, flow

DAG_ID = "innovation_quarterly_dispatch"
innovation_quarterly_dispatch = dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)(flow.report(DAG_ID))()

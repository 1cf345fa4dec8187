"""
### 自创区重大项目月评价 · Innovation zone monthly evaluation (`innovation_monthly_evaluation`)

**中文**：落实《大连高新区2021年优化营商环境工作实施方案》自创区重大项目“月评价”。每月第4个工作日09:00（上海时间；GXQ_PLAIN_SCHEDULES=1 时为每月6日）
评价上一个自然月：在建重大项目按进度差（计划进度 − 实际进度）亮红黄绿灯（≤10 绿灯，10–30 黄灯，>30 红灯，
当月未报送为“未报送”）；发展评价指标按序时进度计算完成率与加权综合得分（单项完成率计入综合得分时封顶1.2）；
责任单位排名，并与上月比较（转好、转差、新增红灯）。生成中文记分卡（HTML、Excel，含综合得分走势图和各单位
红黄绿灯图），营商局收到记分卡，各责任单位收到本单位项目情况；数据问题（同月重复报送、进度超过100、
项目无责任单位等）按既定规则处理并通知运维。

**English**: the innovation zone's monthly evaluation of major projects. Run on the month's 4th working day at
09:00 Asia/Shanghai (the 6th with GXQ_PLAIN_SCHEDULES=1), a logical date D covers the previous calendar
month M. Every project active in M (start_on ≤ M's last day) gets
a traffic light from its progress gap (green ≤ 10 < yellow ≤ 30 < red; unreported without a row for M; the
latest reported_at counts when a month was reported twice). Indicators get their completion against the
time-proportional target and a weighted composite score (completion capped at 1.2 in the score only). Units are
ranked and compared with the previous month. Outputs in `$GXQ_OUTPUT_DIR/innovation_monthly_evaluation/<YYYY-MM>/`:
`scorecard.html`, `scorecard.xlsx`, two chart PNGs and `report.json` (written last). Notices: the scorecard to
`office`, each unit its own projects, data problems to `ops`.

Params: `period` (a month key such as `2021-03`, for manual runs; anything else fails with a clear error),
`dry_run` (record notices, send nothing), `resend` (send this month's notices again). A rerun of a month
reproduces its report. Rules and data-problem handling: `plugins/gxq/innovation/rules.py`.
"""

from airflow.sdk import dag
from gxq import dagkit, flow

DAG_ID = "innovation_monthly_evaluation"
innovation_monthly_evaluation = dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)(flow.report(DAG_ID))()

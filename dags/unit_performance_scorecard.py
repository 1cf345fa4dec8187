"""
### 营商环境建设绩效考核 · Unit performance scorecard (`unit_performance_scorecard`)

**中文**：落实《大连高新区2021年优化营商环境工作实施方案》“将营商环境建设工作作为关键业绩指标纳入绩效考核体系”
“办件质量作为KPI指标纳入绩效考核”。每月为每个责任单位出具一页考核：汇总其他DAG本月已发布的结果（不再读取
部门数据库）——市民服务平台情况通报（本月各周按时分拨、按时反馈、满意率对照95%目标、月末超期未反馈、牵头的
挂牌督办事项）、急险工单监测（超时未反馈、提级督办）、任务清单督查（月末红黄灯、连续红灯）、三轮评估整改跟踪
（逾期未整改问题）、自创区重大项目月评价（红黄灯、未报送），按营商局审定的扣分标准
（`plugins/gxq/scorecard/weights.yaml`，注明考核办法原文，按施行日期分版本）计分（满分100），每一分扣分
都注明扣分事项（工单数据、任务编号、问题编号、项目编号、急险工单编号），排名并与上月比较。季末、年末月份同时
出具季度、年度考核（各月平均）。营商局收到考核月报（Word、网页）和Excel（每单位一页扣分明细），各单位收到
本单位考核页。由上述DAG发布的报告（Airflow 资产，按月分区）触发；缺少输入时在报告中列明并通知运维，
本次运行失败（或经营商局同意以 allow_missing 出具不完整考核）。

**English**: each responsible unit's month on one page. The run for month M is created by Airflow when
every input DAG has published a report of M (a partitioned asset schedule: each producer's publish step
updates its report asset under the partition of its period, mapped to the month by `StartOfMonthMapper`);
`airflow backfill create` scores each month of its window (the run's partition key), and
`airflow dags test unit_performance_scorecard D` scores the month before D. The inputs are the reports
kept in `gxq_ops` (weekly bulletins of the weeks whose Thursday falls in M, the urgent watch's runs in M,
the task tracking and the project evaluation of M, the rectification report of M's last week). Weights:
the office's reviewed file, checked when this file is parsed, in dated versions (a month is scored
under the version in force on its first day, so a rerun scores it as it was scored). Outputs in
`$GXQ_OUTPUT_DIR/unit_performance_scorecard/<YYYY-MM>/`: `scorecard.html`, `scorecard.docx`,
`scorecard.xlsx`, `scores.png`, `units/<code>.html` and `report.json` (written last; `missing_inputs`,
`trace` of every point, `changes`, `rollups` for 季度/年度考核). A missing input is named in the report
and to `ops`, and the run fails (param `allow_missing` issues it anyway, marked incomplete).

Params: `period` (a month key such as `2021-06`), `allow_missing`, `dry_run`, `resend`.
"""

from __future__ import annotations

from airflow.sdk import dag
from gxq import dagkit, flow
from gxq.scorecard import weights

DAG_ID = "unit_performance_scorecard"

# The office's weights are checked when the file is parsed: a bad file is this DAG's import error,
# naming the version and the entry.
weights.load()


# compute → render → publish → notify (missing inputs: ops told, the run fails)
unit_performance_scorecard = dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)(flow.report(DAG_ID))()

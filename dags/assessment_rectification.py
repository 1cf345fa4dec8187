"""
### 三轮评估 整改跟踪 · Assessment rectification (`assessment_rectification`)

**中文**：落实《大连高新区2021年优化营商环境工作实施方案》"三轮再提升"：第三方营商环境评估（2021年3月、6月、
9月三轮）发现的问题逐项整改、验收销号，21项营商环境提升指标力争进入全市前列（发现问题—研究问题—解决问题）。
每周二10:00（上海时间；遇节假日顺延至下一工作日，周一情况通报之后）跟踪上一个ISO周（截至周日）：各轮问题数、
已整改、已验收销号、逾期未整改和销号率；逾期问题（按逾期天数）；已整改待验收销号的问题；各指标历轮得分、变化
和全市排名（前3名为全市前列）。营商局收到整改通报（Word、网页，含各指标得分和排名走势图）和整改台账（Excel，
每个问题一行，可按轮次、单位、指标筛选）；有逾期问题的单位收到催办；逾期30天以上的问题报营商局督办；一周内
到期未整改的问题提前提醒责任单位；单位本周报送整改完成的问题通知营商局验收销号；数据问题（轮次或指标不存在、
日期无法识别、缺少整改时限）该行本周不计入并通知运维。

**English**: every finding of the assessment rounds followed to 验收销号, weekly. Run on Tuesday at 10:00
Asia/Shanghai (the next working day when that is a holiday; with GXQ_PLAIN_SCHEDULES=1 every Tuesday), a
logical date D covers the last complete ISO week W before D's week; `as_of` is W's Sunday. Outputs in
`$GXQ_OUTPUT_DIR/assessment_rectification/<YYYY-Www>/`: `rectification.html`, `rectification.docx`,
`indicators.png` (score and rank of every indicator across rounds), `ledger.xlsx` (整改台账) and
`report.json` (written last). Notices: the 通报 to `office`, 催办 to each unit with an overdue finding,
督办 to `office` for findings overdue 30 days or more, a 临期 warning to units a week before a deadline,
the week's newly rectified findings to `office` for 验收销号, data problems to `ops`.

Params: `period` (a week key such as `2021-W27`, for manual runs; anything else fails with a clear error),
`dry_run` (record notices, send nothing), `resend` (send this week's notices again). A rerun of a week
reproduces its report and sends nothing twice. Rules: `plugins/gxq/assessment/rules.py`.
"""

from airflow.sdk import dag
from gxq import dagkit, flow

DAG_ID = "assessment_rectification"
assessment_rectification = dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)(flow.report(DAG_ID))()

"""
### 政策兑现 · 随时兑现 (policy_redemption_adhoc)

**中文**: 随时兑现,手动触发(无调度)。参数 `period`:兑现期间,月份(如 `2021-03`)或季度(如 `2021-Q1`),
为空时取逻辑日期(或触发时间)的上一自然月;`policy_ids`:要兑现的政策编号列表,为空时为全部认定类政策。
参数在任何查询之前校验,未知政策编号、格式错误的期间一律报错并说明原因。
同一期间 + 同一组政策(排序后)即同一批次:重复触发得到同一冻结批次;与月兑现/季兑现共用兑现台账,
任何奖励只付一次。`dry_run` 只计算和生成文件(dry_run/ 目录),不出具批次。

**English**: Adhoc (随时兑现) batch, triggered by hand (schedule None). Params: `period` (a month
key `2021-03` or a quarter key `2021-Q1`; empty: the month before the logical date or run time) and
`policy_ids` (a list, or comma-separated text; empty: every 认定类 policy), validated with clear
errors before any query. An adhoc batch is identified by its period and sorted policy_ids: the same
params again reproduce it. It shares the payment ledger with the scheduled batches, so nothing is
ever paid twice. Steps: compute → review (审核, Required Actions) → issue_batch → render → publish →
notify.
"""

from airflow.sdk import dag
from gxq import dagkit
from gxq.policy import steps

DAG_ID = "policy_redemption_adhoc"
policy_redemption_adhoc = dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)(steps.redeem(DAG_ID))()

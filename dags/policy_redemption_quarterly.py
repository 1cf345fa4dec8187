"""
### 政策兑现 · 季兑现 (policy_redemption_quarterly)

**中文**: 每季首月第 6 个工作日 09:00(上海时间;GXQ_PLAIN_SCHEDULES=1 时为 10 日)兑现上一自然季度的季兑现政策(专精特新中小企业认定奖励、
知识产权质押贴息等),并核查“双承诺、双兑现”:本季度到期且实际完成低于承诺的企业承诺,通知责任单位。
批次规则同月兑现:取所有截至季末符合条件且未兑现的奖励(迟到数据补兑),失信/异常/未登记企业暂缓兑现,
批次出具即冻结,重跑得到同一批次,兑现台账保证每项只付一次。

**English**: Quarterly redemption batch of the quarterly policies for the previous calendar
quarter (logical date D in Asia/Shanghai → previous quarter; a manual run may set `period`, e.g.
`2021-Q1`), plus the 双承诺 check: commitments due in the quarter with fulfilled < promised,
listed in the report and notified to the responsible unit. Same batch rules as the monthly DAG.
Steps: compute → review (审核, Required Actions) → issue_batch → render → publish →
notify.
"""

from airflow.sdk import dag
from gxq import dagkit
from gxq.policy import steps

DAG_ID = "policy_redemption_quarterly"
policy_redemption_quarterly = dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)(steps.redeem(DAG_ID))()

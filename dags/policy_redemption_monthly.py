"""
### 政策兑现 · 月兑现 (policy_redemption_monthly)

**中文**: 每月第 3 个工作日 09:00(上海时间,节假日顺延;GXQ_PLAIN_SCHEDULES=1 时为每月 5 日)兑现上一自然月的月兑现政策(如高新技术企业首次认定奖励)。
认定类政策“企业不申报,资金及时到”。一次运行出具一个兑现批次:取所有截至本月末符合条件、
且从未兑现过的奖励(迟到数据自动补兑),经营异常/严重失信/未登记企业暂缓兑现并列入暂缓名单,
待清除后在后续批次兑现。批次一经出具即冻结,重跑同一月份得到同一批次,兑现台账保证每项奖励只付一次。
审核后报财政:新批次须经审核人在 Airflow“待办操作”(Required Actions)中批准(可暂缓单项、可整批驳回),
或以运行参数 approved_by + approval_ref 记录线下签批,方可出具并报送财政;超时不视为同意。
产出:财政拨付明细表(xlsx)、兑现公示(HTML)、report.json;通知财政(finance)和各主管部门。

**English**: Monthly redemption batch of the monthly policies for the previous calendar month
(logical date D in Asia/Shanghai → previous month; a manual run may set `period`, e.g. `2021-03`).
A batch takes every eligible award not yet paid (late data is caught up); withheld awards
(unknown_enterprise / dishonest / abnormal) come back until cleared. Batches are frozen once issued
and the payment ledger's unique key pays each award at most once. `dry_run` computes and renders
under `dry_run/` without issuing. Steps: compute → review (审核, Required Actions) → issue_batch →
render → publish → notify. Rules: `plugins/gxq/policy/catalogue/`.
"""

from airflow.sdk import dag
from gxq import dagkit
from gxq.policy import steps

DAG_ID = "policy_redemption_monthly"
policy_redemption_monthly = dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)(steps.redeem(DAG_ID))()

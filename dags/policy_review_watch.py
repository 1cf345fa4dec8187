"""
### 兑现批次待审核提醒 · Review watch (`policy_review_watch`)

**中文**:政策兑现批次须经审核后报财政(审核后报财政)。本 DAG 每个工作日 09:30 检查 `gxq_ops` 中仍在
Airflow“待办操作”(Required Actions)里等待审核的兑现批次:等待满 2 个工作日,通过通知发件箱提醒审核人
(`GXQ_APPROVERS_TAG`,默认 `finance`);满 5 个工作日,升级督办至 `office`。每个审核请求各提醒、督办一次。
工作日按 `gxq.calendar` 的节假日日历计算。等待中的批次及其等待时长也列在营商环境看板上。
若某批次在等待期间已由其他运行出具(如带签批参数的运行),本 DAG 先通过 Airflow REST API(连接 `gxq_airflow_api`)
以“已由其他运行出具”答复该审核请求并写明出具批次,该运行不出具、不拨付,直接结束;未配置连接时通知 `ops` 手工关闭。

**English**: every working day at 09:30 this DAG looks at the redemption batches still waiting for
approval in Required Actions (`policy_reviews` in `gxq_ops`). A batch waiting 2 working days or more
gets a reminder to the approvers (tag `GXQ_APPROVERS_TAG`, default `finance`), at 5 an escalation
to `office`; each once per request, through the outbox. First, a request whose batch was issued
meanwhile by another run is answered `已由其他运行出具` through the REST API (connection
`gxq_airflow_api`, a user allowed to answer), naming the issued batch: that run issues nothing and
ends; without the connection `ops` is told once to close it by hand. Steps: check_waiting.
Params: `dry_run`, `resend`.
"""

from __future__ import annotations

from airflow.sdk import dag, get_current_context
from gxq import dagkit

DAG_ID = "policy_review_watch"


@dag(**dagkit.dag_args(DAG_ID), doc_md=__doc__)
def policy_review_watch():
    @dagkit.step
    def check_waiting() -> dict:
        """Remind the approvers after 2 working days, escalate to office after 5 (提醒 / 督办)."""
        from airflow.configuration import conf
        from gxq import airflow_api, store
        from gxq.policy import review
        from gxq.run import Run

        run = Run.from_context(get_current_context(), DAG_ID)
        return review.check_waiting(store.ops_engine(), run.moment.date(),
                                    base_url=conf.get("api", "base_url", fallback=None), dry_run=run.dry_run,
                                    resend=run.resend, run_id=run.run_id, dag_id=DAG_ID,
                                    api=airflow_api.from_connection())

    check_waiting()


policy_review_watch()

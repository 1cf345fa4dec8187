"""The graph of every 政策兑现 DAG (月兑现, 季兑现, 随时兑现), on the project's step contract
(:mod:`gxq.flow`), with the policy's own two steps between compute and render::

    compute (the run's batch plan, then 资格核定) → review (审核) → issue_batch (出具批次) → render →
    publish → notify

:class:`BatchReview` is the review step: a human-in-the-loop request (standard provider's
``HITLOperator``; on Airflow 3.3 the task waits in the ``awaiting_input`` state, no triggerer, no
worker slot) that is only made when nobody has approved the batch yet. A rejected batch issues
nothing: ``issue_batch`` and the later steps are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import Param
from airflow.sdk.exceptions import AirflowSkipException

from gxq import flow
from gxq.dagkit import fail_at_once, step
from gxq.policy import HOLD_FIELD, OPTIONS


class BatchReview(HITLOperator):
    """审核: asks a person to approve the batch in Required Actions, or passes at once when the
    batch needs nobody (dry run, issued before, approved by param or earlier). Returns the decision."""

    template_fields = ("computed",)
    ui_color = "#ffe8b0"

    def __init__(self, *, computed: Any, **kwargs) -> None:
        kwargs.pop("params", None)  # the DAG's params (apply_defaults): the form has its own fields
        super().__init__(
            subject="政策兑现批次待审核",
            options=list(OPTIONS),
            multiple=False,
            params={
                HOLD_FIELD: Param(
                    None, type=["null", "string"], title="暂缓奖励",
                    description="每行一项: 政策编号 | 统一社会信用代码 | 依据编号 | 备注", format="multiline",
                ),
                "note": Param(None, type=["null", "string"], title="意见", description="审核意见; 驳回时必填理由"),
                "ref": Param(None, type=["null", "string"], title="审批文号", description="签批或文件编号 (可空)"),
            },
            response_timeout=None,  # no approval on timeout: the batch waits (reminders, escalation)
            **kwargs,
        )
        self.computed = computed  # {"run": the run's plan, "result": the evaluation's path}

    @fail_at_once
    def execute(self, context):
        from gxq.policy import pipeline

        ti = context["task_instance"]
        start = pipeline.review_start(
            self.computed["run"], self.computed["result"], run_id=ti.run_id, task_id=ti.task_id, map_index=ti.map_index,
            base_url=_base_url())
        if "decision" in start:
            return start["decision"]
        ask = start["ask"]
        self.subject = ask["subject"]
        self.body = ask["body"]
        self.assigned_users = [{"id": u, "name": u} for u in ask["approvers"]] or None
        if ask["hold_text"]:
            self.params[HOLD_FIELD] = ask["hold_text"]
        return super().execute(context)  # records the request and waits (awaiting_input)

    @fail_at_once
    def execute_complete(self, context, event: dict[str, Any]) -> Any:
        from gxq.policy import pipeline

        answer = super().execute_complete(context, event)  # validates the options and the form
        ti = context["task_instance"]
        return pipeline.review_answer(
            self.computed["run"], self.computed["result"], run_id=ti.run_id, chosen=list(answer["chosen_options"]),
            params_input=dict(answer["params_input"] or {}), responded_by=answer["responded_by_user"],
            responded_at=answer["responded_at"])


def _base_url() -> str | None:
    """Where the UI is (``[api] base_url``): the review body links its drafts there."""
    from airflow.configuration import conf

    return conf.get("api", "base_url", fallback=None)


def review(computed):
    """The review step (task id ``review``) of the batch; its XComArg is the decision."""
    return BatchReview(task_id="review", computed=computed).output


@step
def issue_batch(computed: dict, decision: dict) -> str:
    """出具批次: the approved batch into gxq_ops and the payment ledger (each award paid once);
    a rejected batch issues nothing (this and the later steps are skipped)."""
    from gxq.policy import pipeline

    try:
        return pipeline.issue_batch(computed["run"], computed["result"], decision)
    except pipeline.BatchRejected as exc:
        raise AirflowSkipException(str(exc)) from None


def redeem(dag_id: str) -> Callable[[], None]:
    """The graph of a 政策兑现 DAG, as the function ``@dag`` makes the DAG of."""

    def graph() -> None:
        computed = flow.compute(dag_id)  # the run's batch plan, then 资格核定
        decision = review(computed)  # 审核: waits in Required Actions unless approved by param
        batch = issue_batch(computed, decision)  # 出具批次 (skipped when rejected)
        rendered = flow.render(computed, batch)  # 明细表 + 公示
        flow.publish(computed, batch, rendered) >> flow.notify(computed, rendered)  # report.json, then notices

    return graph

"""The steps every 政策兑现 DAG wires after its own ``check_schema`` (月兑现, 季兑现, 随时兑现), each
a thin task over :mod:`gxq.policy.pipeline` (imported when the task runs, so parsing stays cheap).
The DAG files name them in order::

    evaluation = evaluate(plan)                    # 资格核定
    decision = review(plan, evaluation)            # 审核: Required Actions, unless approved by param
    batch = issue_batch(plan, evaluation, decision)  # 出具批次 (nothing when rejected)
    rendered = render(plan, batch)
    notify(plan, rendered, publish_report(plan, batch, rendered))

:class:`BatchReview` is the review step: a human-in-the-loop request (standard provider's
``HITLOperator``; on Airflow 3.3 the task waits in the ``awaiting_input`` state, no triggerer, no
worker slot) that is only made when nobody has approved the batch yet.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import Param, task

from gxq.policy import HOLD_FIELD, OPTIONS


def review_params(context: dict) -> dict:
    """The run's review params, validated (raises ``pipeline.PolicyRunError``), with who triggered it."""
    from gxq.policy import pipeline

    dag_run = context.get("dag_run")
    triggered_by = getattr(dag_run, "triggering_user_name", None) or getattr(dag_run, "run_type", None)
    return pipeline.review_params(context.get("params"), str(triggered_by) if triggered_by else None)


def _fail(exc: Exception):
    from airflow.sdk.exceptions import AirflowFailException

    return AirflowFailException(str(exc))


@task
def evaluate(plan: dict) -> str:
    """资格核定: every candidate award of the run's policies (set-wise SQL over dept_policy)."""
    from gxq.policy import pipeline

    return pipeline.evaluate(plan)


class BatchReview(HITLOperator):
    """审核: asks a person to approve the batch in Required Actions, or passes at once when the
    batch needs nobody (dry run, issued before, approved by param or earlier). Returns the decision."""

    template_fields = ("plan", "evaluation_path")
    ui_color = "#ffe8b0"

    def __init__(self, *, plan: Any, evaluation_path: Any, **kwargs) -> None:
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
        self.plan = plan
        self.evaluation_path = evaluation_path

    def execute(self, context):
        from gxq.policy import pipeline

        ti = context["task_instance"]
        try:
            start = pipeline.review_start(
                self.plan, self.evaluation_path, run_id=ti.run_id, task_id=ti.task_id, map_index=ti.map_index,
                base_url=_base_url())
        except pipeline.PolicyRunError as exc:
            raise _fail(exc) from None
        if "decision" in start:
            return start["decision"]
        ask = start["ask"]
        self.subject = ask["subject"]
        self.body = ask["body"]
        self.assigned_users = [{"id": u, "name": u} for u in ask["approvers"]] or None
        if ask["hold_text"]:
            self.params[HOLD_FIELD] = ask["hold_text"]
        return super().execute(context)  # records the request and waits (awaiting_input)

    def execute_complete(self, context, event: dict[str, Any]) -> Any:
        from gxq.policy import pipeline

        answer = super().execute_complete(context, event)  # validates the options and the form
        ti = context["task_instance"]
        try:
            return pipeline.review_answer(
                self.plan, self.evaluation_path, run_id=ti.run_id, chosen=list(answer["chosen_options"]),
                params_input=dict(answer["params_input"] or {}), responded_by=answer["responded_by_user"],
                responded_at=answer["responded_at"])
        except pipeline.PolicyRunError as exc:
            raise _fail(exc) from None


def _base_url() -> str | None:
    """Where the UI is (``[api] base_url``): the review body links its drafts there."""
    from airflow.configuration import conf

    return conf.get("api", "base_url", fallback=None)


def review(plan, evaluation):
    """The review step (task id ``review``) of the batch; its XComArg is the decision."""
    return BatchReview(task_id="review", plan=plan, evaluation_path=evaluation).output


@task
def issue_batch(plan: dict, evaluation_path: str, decision: dict) -> str:
    """出具批次: the approved batch into gxq_ops and the payment ledger (each award paid once);
    a rejected batch issues nothing (this and the later steps are skipped)."""
    from airflow.sdk.exceptions import AirflowSkipException

    from gxq.policy import pipeline

    try:
        return pipeline.issue_batch(plan, evaluation_path, decision)
    except pipeline.BatchRejected as exc:
        raise AirflowSkipException(str(exc)) from None
    except pipeline.PolicyRunError as exc:
        raise _fail(exc) from None


@task
def render(plan: dict, batch_path: str) -> dict:
    """财政拨付明细表 (xlsx), 兑现公示 (HTML) and the notices' texts."""
    from gxq.policy import pipeline

    return pipeline.render(plan, batch_path)


@task
def publish_report(plan: dict, batch_path: str, rendered: dict) -> str:
    """report.json (after the files people read) and its copy in gxq_ops."""
    from gxq.policy import pipeline

    return pipeline.publish_report(plan, batch_path, rendered)


@task
def notify(plan: dict, rendered: dict, report_path: str) -> dict:
    """通知: the batch to finance, each competent unit its awards, 双承诺 to responsible units."""
    from gxq.policy import pipeline

    return pipeline.notify(plan, rendered)

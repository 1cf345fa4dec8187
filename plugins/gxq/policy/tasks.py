"""The steps every 政策兑现 DAG shares after its own ``check_schema`` (月兑现, 季兑现, 随时兑现):
evaluate → issue_batch → render → publish_report → notify. Called inside a ``@dag`` function;
each step is a thin TaskFlow task over :mod:`gxq.policy.pipeline` (imported inside each task,
when it runs: this module is imported when the policy DAG files are parsed, and the pipeline
brings SQLAlchemy, Alembic and the renderers)."""

from __future__ import annotations

from airflow.sdk import task


def redemption_steps(plan):
    """Wire the batch steps after ``plan`` (the XComArg of the DAG's ``check_schema``)."""

    @task
    def evaluate(plan: dict) -> str:
        """资格核定: every candidate award of the run's policies (set-wise SQL over dept_policy)."""
        from gxq.policy import pipeline

        return pipeline.evaluate(plan)

    @task
    def issue_batch(plan: dict, evaluation_path: str) -> str:
        """出具批次: new awards into one frozen batch and the payment ledger (each paid once)."""
        from gxq.policy import pipeline

        return pipeline.issue_batch(plan, evaluation_path)

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

    batch = issue_batch(plan, evaluate(plan))
    rendered = render(plan, batch)
    return notify(plan, rendered, publish_report(plan, batch, rendered))

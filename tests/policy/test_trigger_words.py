"""Who triggered a batch's run is said in words in the workbook, 公示 and finance notice (issue 22.4):
new runs carry :func:`gxq.run.triggered_by`'s words, batches issued before stored Airflow's repr."""

from __future__ import annotations


def test_who_triggered_a_batch_is_said_in_words():
    """The finance notice once read 运行触发人 DagRunType.SCHEDULED: batches stored that repr."""
    from gxq.policy import render
    from gxq.policy.batches import Batch

    def line(triggered_by):
        batch = Batch("monthly-2021-03", "monthly|2021-03", "policy_redemption_monthly", "monthly", "2021-03",
                      ["hte_first_certification"], "issued", "2021-04-06T09:00:00+08:00",
                      approval={"by": "王某某", "ref": "高新财审〔2021〕12号", "via": "param", "decided_at": "2021-04-06",
                                "triggered_by": triggered_by})
        return dict(render.approval_lines(batch))["运行触发"]

    assert line("DagRunType.SCHEDULED") == "定时调度"
    assert line("DagRunType.BACKFILL_JOB") == "回填"
    assert line("backfill") == "回填"
    assert line("ops_li") == "手动触发（ops_li）"
    assert line("手动触发（ops_li）") == "手动触发（ops_li）"
    assert line("命令行") == "命令行"

"""The year benchmark ends (issue 22.8): the policy DAGs' backfills carry the approval in their
run conf, a run waiting for a person fails the benchmark at once with the runs named, and the
sub-daily watch is not backfilled over a year (52,560 runs)."""

from __future__ import annotations

import pytest

from bench import year


def test_policy_backfills_carry_the_approval_the_others_nothing():
    for dag_id in ("policy_redemption_monthly", "policy_redemption_quarterly"):
        conf = year.run_conf(dag_id)
        assert conf and conf["approved_by"] and conf["approval_ref"]
    assert year.run_conf("petition_weekly_bulletin") is None
    assert year.run_conf("policy_review_watch") is None


def test_the_sub_daily_watch_and_the_scorecard_are_left_out_of_the_year():
    kept, left = year.year_dags(["petition_weekly_bulletin", "petition_urgent_watch", "policy_redemption_monthly",
                                 "unit_performance_scorecard"])
    assert kept == ["petition_weekly_bulletin", "policy_redemption_monthly"]
    assert left == ["petition_urgent_watch", "unit_performance_scorecard"]


class _Api:
    """What the bench reads through the REST API: task instances by state."""

    def __init__(self, tis):
        self.tis = tis

    def get_all(self, path, key, **params):
        assert path == "dags/~/dagRuns/~/taskInstances" and key == "task_instances"
        return [t for t in self.tis if t["state"] == params.get("state")]


def test_a_run_waiting_for_a_person_fails_the_year_at_once():
    runs = [{"dag_id": "policy_redemption_monthly", "dag_run_id": "backfill__2021-02-03", "state": "running"}]
    waiting = {"dag_id": "policy_redemption_monthly", "dag_run_id": "backfill__2021-02-03", "task_id": "review",
               "state": "awaiting_input"}
    with pytest.raises(RuntimeError, match=r"wait for a person \(awaiting_input\): policy_redemption_monthly "
                                           r"backfill__2021-02-03 review"):
        year._fail_if_stuck(_Api([waiting]), {"policy_redemption_monthly"}, runs, 0)
    year._fail_if_stuck(_Api([{**waiting, "state": "running"}]), {"policy_redemption_monthly"}, runs, 0)

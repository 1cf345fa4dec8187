"""Every notice and every file for people, rendered over the demo data: no unmasked mobile or ID.

Runs each contract DAG once on the demo SQLite data with the demo Apprise configuration (notices
land as files under ``$GXQ_OUTPUT_DIR/_notices``), then scans the whole output tree (HTML, Markdown,
CSV, JSON, docx, xlsx) and every outbox row.
"""

from __future__ import annotations

import pendulum
import pytest
from gxq.connections import REPO_ROOT
from gxq.masking import find_unmasked, scan_tree

from tests.conftest import run_dag
from tests.notify.conftest import record_scenario

RUNS = {
    "petition_weekly_bulletin": pendulum.datetime(2021, 3, 8, 9, tz="Asia/Shanghai"),
    "policy_redemption_monthly": pendulum.datetime(2021, 3, 5, 9, tz="Asia/Shanghai"),
    "policy_redemption_quarterly": pendulum.datetime(2021, 4, 12, 9, tz="Asia/Shanghai"),
    "innovation_monthly_evaluation": pendulum.datetime(2021, 3, 6, 9, tz="Asia/Shanghai"),
    "innovation_quarterly_dispatch": pendulum.datetime(2021, 4, 13, 9, tz="Asia/Shanghai"),
    "publicity_cadence_reminder": pendulum.datetime(2021, 3, 5, 15, tz="Asia/Shanghai"),
    "policy_redemption_adhoc": pendulum.datetime(2021, 3, 20, 10, tz="Asia/Shanghai"),
}
APPROVED = {"approved_by": "王某某", "approval_ref": "高新财审〔2021〕12号"}  # 审核后报财政: no wait in dag.test()
CONF = {"policy_redemption_adhoc": {"period": "2021-Q1", **APPROVED},
        "policy_redemption_monthly": {"period": None, **APPROVED}, "policy_redemption_quarterly": {"period": None, **APPROVED}}


@pytest.mark.slow
def test_no_unmasked_personal_data_in_any_output(dagbag, demo_sqlite, use_conns, output_dir, monkeypatch, tmp_path):
    import json

    conns = dict(demo_sqlite)
    conns["gxq_ops"] = json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "gxq_ops.db")})
    use_conns(conns)
    monkeypatch.setenv("GXQ_APPRISE_CONFIG", str(REPO_ROOT / "include" / "apprise" / "demo.yml"))
    present = [d for d in RUNS if d in dagbag.dags]
    assert present, "no contract DAG in the bag"
    states = {}
    for dag_id in present:
        dr = run_dag(dagbag, dag_id, RUNS[dag_id], CONF.get(dag_id))
        states[dag_id] = str(dr.state)
    found = scan_tree(output_dir)

    from gxq import store
    from gxq.notify.outbox import rows

    engine = store.ops_engine()
    outbox = rows(engine)
    leaks = {f"outbox:{r['id']}": find_unmasked(r["subject"] + "\n" + r["body"]) for r in outbox}
    leaks = {k: v for k, v in leaks.items() if v}
    files = [p for p in output_dir.rglob("*") if p.is_file()]
    notices = [p for p in (output_dir / "_notices").rglob("*.md")] if (output_dir / "_notices").exists() else []
    record_scenario("demo-scan", dags=len(present), files=len(files), notice_files=len(notices),
                    outbox_rows=len(outbox), unmasked_in_files=sum(len(v) for v in found.values()),
                    unmasked_in_outbox=sum(len(v) for v in leaks.values()), states=states)
    assert found == {} and leaks == {}, (found, leaks)
    assert notices, "no notice was delivered to the demo channel"

"""The documented ``hold`` (docs/reference.md, runbook §3a) as an operator passes it: ``airflow dags
test … -c '{…, "hold": [{…}]}'`` in a process of its own, with the demo year as department data.

The run issues the batch with the held award withheld as ``held_by_review``. (The review step's
form field was once also called ``hold``: its string schema replaced the DAG param's and every run
with the list failed before review.) The same list through the REST API on a running scheduler is
tested in ``tests/policy/test_review_stack.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import conftest as root

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

Q = "policy_redemption_quarterly"
APPROVED = {"approved_by": "王某某", "approval_ref": "高新财审〔2021〕12号"}


def first_award(conns: dict, tmp: Path) -> dict:
    """An award the quarter would pay (a dry run of it, on a gxq_ops of its own)."""
    env = _env(conns, tmp / "preview", tmp / "preview_ops.db")
    code = ("import json, sys; from gxq.policy import pipeline; "
            f"r = pipeline.run({Q!r}, '2021-Q1', dry_run=True, send=False); print('ITEMS' + json.dumps(r['items']))")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, check=False)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("ITEMS")), None)
    assert line, proc.stdout[-2000:] + proc.stderr[-3000:]
    items = json.loads(line[5:])
    assert items, "the demo quarter 2021-Q1 pays nothing: no award to hold"
    return items[0]


def _env(conns: dict, root_dir: Path, ops_db: Path) -> dict:
    root_dir.mkdir(parents=True, exist_ok=True)
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("AIRFLOW_CONN_", "PYTEST_")) and k not in ("GXQ_OUTPUT_DIR",)}
    env = {**keep, "GXQ_OUTPUT_DIR": str(root_dir / "output"), "PYTHONPATH": str(root.REPO / "plugins")}
    for cid, value in conns.items():
        env[f"AIRFLOW_CONN_{cid.upper()}"] = value
    env["AIRFLOW_CONN_GXQ_OPS"] = root.sqlite_conn_json(ops_db)
    return env


def test_airflow_dags_test_with_the_documented_hold_list(airflow_db, demo_sqlite, tmp_path):
    award = first_award(demo_sqlite, tmp_path)
    hold = {"policy_id": award["policy_id"], "credit_code": award["credit_code"], "basis_id": award["basis_id"],
            "note": "待核实认定证书"}
    home = tmp_path / "airflow_home"
    home.mkdir()
    shutil.copy(airflow_db, home / "airflow.db")
    env = _env(demo_sqlite, tmp_path / "run", tmp_path / "ops.db")
    env.update({"AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}"})
    conf = {"period": "2021-Q1", **APPROVED, "hold": [hold]}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "dags", "test", Q, "2021-04-01T01:00:00+00:00",
         "-c", json.dumps(conf, ensure_ascii=False)],
        env=env, cwd=root.REPO, capture_output=True, text=True, timeout=480, check=False)
    log = proc.stdout[-3000:] + proc.stderr[-4000:]
    assert "ParamValidationError" not in log, log
    assert proc.returncode == 0, log
    report_path = tmp_path / "run" / "output" / Q / "2021-Q1" / "report.json"
    assert report_path.exists(), log
    report = json.loads(report_path.read_text(encoding="utf-8"))
    key = (hold["policy_id"], hold["credit_code"], hold["basis_id"])
    assert report["batch_id"] == "quarterly-2021-Q1" and report["items"], report
    assert key not in {(i["policy_id"], i["credit_code"], i["basis_id"]) for i in report["items"]}
    held = [w for w in report["withheld"] if (w["policy_id"], w["credit_code"], w["basis_id"]) == key]
    assert [w["reason"] for w in held] == ["held_by_review"], report["withheld"]
    assert report["approval"]["by"] == APPROVED["approved_by"]

"""Faults injected on purpose, on PostgreSQL: a department connection killed mid-read, the
worker SIGKILLed mid-batch and mid-send, gxq_ops unavailable at the start of a run, a
notification channel down for a whole run. Each must end with nothing lost and nothing doubled.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import REPO, _admin_engine, pg_conn_json, pg_url
from tests.reliability import figures
from tests.reliability.sink import NoticeSink, free_port, write_config

pytestmark = pytest.mark.slow

WEEK = "2021-W09"
MONTH = "2021-03"


def _normal(value):
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _fresh_ops(pg, label: str) -> str:
    return pg_conn_json(pg.create(f"ops_{label}"))


@pytest.fixture
def env(demo_pg, use_conns, output_dir, tmp_path, monkeypatch):
    """Demo department databases on PostgreSQL; a fresh gxq_ops per test (set by the test)."""
    from gxq.connections import dispose_all

    conns = {k: v for k, v in demo_pg.items() if k != "gxq_ops"}
    use_conns(conns)
    monkeypatch.setenv("GXQ_NOTIFY_RETRY_DELAY", "0.05")
    monkeypatch.setenv("GXQ_NOTIFY_MAX_DELAY", "0.1")
    monkeypatch.setenv("GXQ_NOTIFY_ATTEMPTS", "2")
    yield {"conns": conns, "out": output_dir, "tmp": tmp_path, "use": use_conns, "mp": monkeypatch}
    dispose_all()


# --- 1. a department connection killed in the middle of a read --------------------------------


class BackendKiller(threading.Thread):
    """Holds an ACCESS EXCLUSIVE lock on a department table so the project's read of it blocks
    *inside* PostgreSQL, terminates that backend (pg_terminate_backend) while the query runs,
    then releases the lock."""

    def __init__(self, database: str, table: str, conn_id: str):
        super().__init__(daemon=True)
        self.database, self.table, self.app = database, table, f"gxq:{conn_id}"
        self.killed = 0
        self.locked = threading.Event()
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            admin = sa.create_engine(pg_url(self.database), poolclass=sa.pool.NullPool)
            with admin.connect() as conn:
                conn.execute(sa.text(f"LOCK TABLE {self.table} IN ACCESS EXCLUSIVE MODE"))  # test-only, fixed name
                self.locked.set()
                deadline = time.monotonic() + 60
                with _admin_engine().connect() as watcher:
                    while time.monotonic() < deadline and not self.killed:
                        pids = watcher.execute(sa.text(
                            "SELECT pid FROM pg_stat_activity WHERE datname = :db AND application_name = :app "
                            "AND state = 'active' AND wait_event_type = 'Lock'"), {"db": self.database, "app": self.app},
                        ).scalars().all()
                        for pid in pids:
                            if watcher.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar():
                                self.killed += 1
                        time.sleep(0.01)
                conn.rollback()
            admin.dispose()
        except Exception as exc:  # noqa: BLE001
            self.error = exc
            self.locked.set()


def _compute(capability: str):
    from gxq import periods

    if capability == "petitions":
        from gxq.petitions import pipeline

        return lambda: pipeline.compute_all(WEEK)
    if capability == "policy":
        from gxq.connections import engine_for
        from gxq.policy import catalogue
        from gxq.policy.evaluate import evaluate

        def run():
            policies = list(catalogue.for_cadence("quarterly")) + list(catalogue.for_cadence("monthly"))
            return evaluate(engine_for("dept_policy"), periods.parse_key("2021-Q1"), policies,
                            with_commitments=True).to_json()

        return run
    if capability == "innovation":
        from gxq.innovation import monthly

        return lambda: monthly.evaluate(periods.parse_key(MONTH))
    raise AssertionError(capability)


KILL_TARGETS = {
    "petitions": ("dept_petitions", "petitions"),
    "policy": ("dept_policy", "certifications"),
    "innovation": ("dept_innovation", "project_monthly"),
}


@pytest.mark.parametrize("capability", sorted(KILL_TARGETS))
def test_dept_connection_killed_mid_read_retry_gives_the_undisturbed_report(env, pg, capability):
    env["use"]({"gxq_ops": _fresh_ops(pg, f"kill_{capability}")})
    conn_id, table = KILL_TARGETS[capability]
    database = json.loads(env["conns"][conn_id])["schema"]
    compute = _compute(capability)
    undisturbed = _normal(compute())

    killer = BackendKiller(database, table, conn_id)
    killer.start()
    assert killer.locked.wait(30)
    assert killer.error is None, killer.error
    outcome = None
    try:
        outcome = _normal(compute())  # the read blocks on the lock and its backend is terminated
    except sa.exc.DBAPIError as exc:
        # Airflow marks the try failed and retries the task: the error is a connection error
        assert "terminat" in str(exc).lower() or "closed" in str(exc).lower(), exc
    killer.join(70)
    assert killer.killed >= 1, "the read never reached the database"
    # a try that did not raise must not have returned a partial result
    assert outcome is None or outcome == undisturbed
    retried = _normal(compute())  # the retry, in the same worker (pool_pre_ping heals the pool)
    assert retried == undisturbed
    figures.add("faults", "dept_connection_killed_mid_read")
    figures.add("faults", "survived")


# --- 2. the worker SIGKILLed mid-batch and mid-send -------------------------------------------


def _worker_env(env, ops_json: str, config: str, **extra) -> dict:
    e = os.environ.copy()
    for cid, value in env["conns"].items():
        e[f"AIRFLOW_CONN_{cid.upper()}"] = value
    e["AIRFLOW_CONN_GXQ_OPS"] = ops_json
    e["GXQ_OUTPUT_DIR"] = str(env["out"] / "worker")
    e["GXQ_APPRISE_CONFIG"] = config
    e["PYTHONPATH"] = os.pathsep.join([str(REPO / "plugins"), str(REPO)])
    e.update({k: str(v) for k, v in extra.items()})
    return e


def _spawn(args: list[str], e: dict, log_path: Path) -> subprocess.Popen:
    with open(log_path, "ab") as fh:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "tests.reliability._worker", *args], cwd=REPO, env=e,
                                stdout=fh, stderr=subprocess.STDOUT)


def _wait_for(predicate, proc: subprocess.Popen, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise AssertionError(f"worker ended (rc {proc.returncode}) before the kill point:\n"
                                 + log_path.read_text(errors="replace")[-3000:])
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("kill point not reached in time:\n" + log_path.read_text(errors="replace")[-3000:])


def _sigkill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL


def _run_to_end(args, e, log_path) -> None:
    proc = _spawn(args, e, log_path)
    rc = proc.wait(300)
    assert rc == 0, log_path.read_text(errors="replace")[-4000:]


def _ledger(ops_url: str):
    eng = sa.create_engine(ops_url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as conn:
            ledger = conn.execute(sa.text(
                "SELECT policy_id, credit_code, basis_id, batch_id FROM policy_payment_ledger")).all()
            batches = conn.execute(sa.text("SELECT batch_key, batch_id FROM policy_batches")).all()
            items = conn.execute(sa.text(
                "SELECT policy_id, credit_code, basis_id, batch_id FROM policy_batch_items")).all()
    finally:
        eng.dispose()
    return ledger, batches, items


@pytest.mark.parametrize("point", ["ledger_insert", "after_issue"])
def test_worker_killed_while_issuing_a_batch(env, pg, point):
    from gxq.policy import pipeline

    cfg_sink = NoticeSink().start()
    try:
        config = write_config(env["tmp"] / "apprise.yml", cfg_sink.url)
        # the undisturbed reference: same department data, its own gxq_ops
        env["mp"].setenv("GXQ_APPRISE_CONFIG", config)
        env["use"]({"gxq_ops": _fresh_ops(pg, f"batch_ref_{point}")})
        reference = pipeline.run("policy_redemption_monthly", MONTH, send=False, approved_by="测试审核人", approval_ref="测试〔2021〕1号")
        assert reference["items"], "the demo month must pay something for this test to mean anything"

        ops_name = pg.create(f"ops_batch_{point}")
        pause = env["tmp"] / "paused"
        log_path = env["tmp"] / "worker.log"
        e = _worker_env(env, pg_conn_json(ops_name), config, GXQ_TEST_PAUSE_AT=point, GXQ_TEST_PAUSE_FILE=pause)
        proc = _spawn(["policy", "policy_redemption_monthly", MONTH], e, log_path)
        _wait_for(pause.exists, proc, 240, log_path)
        _sigkill(proc)
        ledger, batches, _ = _ledger(pg_url(ops_name))
        if point == "ledger_insert":  # killed inside the transaction: nothing of it may remain
            assert ledger == [] and batches == []
        else:  # killed after the commit: the batch is issued, frozen
            assert len(batches) == 1
        report_path = env["out"] / "worker" / "policy_redemption_monthly" / MONTH / "report.json"
        assert not report_path.exists(), "no report may be published by a killed run"

        # Airflow's retry: the same task again, in a new worker process
        e.pop("GXQ_TEST_PAUSE_AT")
        _run_to_end(["policy", "policy_redemption_monthly", MONTH], e, log_path)
        _run_to_end(["policy", "policy_redemption_monthly", MONTH], e, log_path)  # and a rerun on top
        ledger, batches, items = _ledger(pg_url(ops_name))
        keys = [(p, c, b) for p, c, b, _ in ledger]
        assert len(batches) == 1
        assert len(keys) == len(set(keys)), "an award paid twice"
        expected = {(i["policy_id"], i["credit_code"], i["basis_id"]) for i in reference["items"]}
        assert set(keys) == expected, "an award lost"
        assert {(p, c, b) for p, c, b, _ in items} == expected
        report = json.loads(report_path.read_text(encoding="utf-8"))
        assert report["items"] == reference["items"]
        assert report["total_amount"] == reference["total_amount"]
        assert cfg_sink.duplicates() == 0
        figures.add("faults", f"worker_sigkill_batch_{point}")
        figures.add("faults", "survived")
        figures.add("rows", "awards_checked", len(expected))
        figures.add("rows", "awards_lost", len(expected - set(keys)))
        figures.add("rows", "awards_duplicated", len(keys) - len(set(keys)))
    finally:
        cfg_sink.stop()


def _outbox(ops_url: str) -> list[dict]:
    eng = sa.create_engine(ops_url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(
                "SELECT recipient, kind, status, channels_json, subject FROM gxq_notify_outbox"))]
    finally:
        eng.dispose()


def test_worker_killed_while_sending_notices(env, pg):
    sink = NoticeSink(hold_at=3).start()  # the third message is held open: the worker is mid-send
    try:
        config = write_config(env["tmp"] / "apprise.yml", sink.url)
        ops_name = pg.create("ops_notice_kill")
        log_path = env["tmp"] / "worker.log"
        e = _worker_env(env, pg_conn_json(ops_name), config, GXQ_NOTIFY_ATTEMPTS=1)
        proc = _spawn(["petitions", WEEK], e, log_path)
        _wait_for(sink.held.is_set, proc, 240, log_path)
        _sigkill(proc)
        before = len(sink.accepted)
        assert before == 2
        rows = _outbox(pg_url(ops_name))
        assert any(r["status"] == "sending" for r in rows), "the killed sender held a claim"

        # the retry: a dead sender's claim is taken over once stale (GXQ_NOTIFY_CLAIM_TTL)
        e["GXQ_NOTIFY_CLAIM_TTL"] = "1"
        time.sleep(1.5)
        _run_to_end(["petitions", WEEK], e, log_path)
        _run_to_end(["petitions", WEEK], e, log_path)  # a rerun sends nothing again
        rows = _outbox(pg_url(ops_name))
        assert rows and all(r["status"] == "sent" for r in rows), [(r["recipient"], r["kind"], r["status"]) for r in rows]
        sent_parts = sum(len(json.loads(r["channels_json"] or "[]")) for r in rows)
        assert sink.duplicates() == 0, "a notice delivered twice"
        assert len(sink.accepted) == sent_parts, "a notice lost or doubled"
        titles = {m.get("title") for m in sink.accepted}
        assert {r["subject"] for r in rows} <= titles
        figures.add("faults", "worker_sigkill_mid_send")
        figures.add("faults", "survived")
        figures.add("rows", "notices_checked", len(rows))
        figures.add("rows", "notices_duplicated", sink.duplicates())
        figures.add("rows", "notices_lost", len({r["subject"] for r in rows} - titles))
    finally:
        sink.stop()


# --- 3. gxq_ops unavailable at the start of a run ---------------------------------------------


class _TI:
    def __init__(self, dag_id, task_id):
        self.dag_id, self.task_id, self.try_number, self.map_index = dag_id, task_id, 1, -1
        self.run_id = "manual__2021-03-08T01:00:00+00:00"


@pytest.mark.parametrize("broken", ["closed_port", "missing_database"])
def test_ops_unavailable_at_start_fails_clearly_alerts_and_publishes_nothing(env, pg, broken):
    from gxq import dagkit
    from gxq.connections import dispose_all
    from gxq.petitions import pipeline

    sink = NoticeSink().start()
    try:
        env["mp"].setenv("GXQ_APPRISE_CONFIG", write_config(env["tmp"] / "apprise.yml", sink.url))
        if broken == "closed_port":
            bad = json.dumps({"conn_type": "postgres", "host": "127.0.0.1", "port": free_port(),
                              "login": "postgres", "schema": "gxq_ops"})
        else:
            bad = pg_conn_json(f"gxqt_no_such_db_{os.getpid()}")
        env["use"]({"gxq_ops": bad})
        records: list[str] = []
        handler = logging.Handler(logging.INFO)
        handler.emit = lambda rec: records.append(rec.getMessage())
        logging.getLogger("gxq.notify.alerts").addHandler(handler)
        with pytest.raises(sa.exc.OperationalError) as err:
            key = pipeline.check_schema(WEEK)  # the DAG's first task, compute: checks, then computes
            pipeline.compute_all(key)
        message = str(err.value)
        assert ("refused" in message) or ("does not exist" in message), message
        # Airflow runs the task's on_failure_callback: the ops alert
        dagkit.on_task_failure({"ti": _TI(pipeline.DAG_ID, "compute"), "exception": err.value,
                                "params": {"period": WEEK}, "logical_date": None})
        logging.getLogger("gxq.notify.alerts").removeHandler(handler)
        alerts = [m for m in sink.accepted if "compute" in (m.get("title", "") + m.get("message", ""))]
        assert len(alerts) == 1, sink.accepted
        assert any("cannot use the outbox in gxq_ops" in m for m in records), records
        assert any("sent directly to ops" in m for m in records), records
        assert not (env["out"] / pipeline.DAG_ID / WEEK / "report.json").exists()

        # gxq_ops back: the next run completes (and migrates the empty store itself)
        dispose_all()
        env["use"]({"gxq_ops": _fresh_ops(pg, f"back_{broken}")})
        report = pipeline.run_week(WEEK, dry_run=False)
        assert report["period"] == WEEK
        assert (env["out"] / pipeline.DAG_ID / WEEK / "report.json").exists()
        figures.add("faults", f"gxq_ops_unavailable_{broken}")
        figures.add("faults", "survived")
    finally:
        sink.stop()


# --- 4. a notification channel down for a whole run, then back ------------------------------


def test_channel_down_for_a_whole_run_then_back(env, pg):
    from gxq.notify import DeliveryFailed
    from gxq.notify.outbox import rows as outbox_rows
    from gxq.petitions import pipeline
    from gxq.store import ops_engine

    port = free_port()
    sink = NoticeSink(port=port)  # not started: connection refused for the whole run
    env["mp"].setenv("GXQ_APPRISE_CONFIG", write_config(env["tmp"] / "apprise.yml", sink.url))
    env["use"]({"gxq_ops": _fresh_ops(pg, "channel_down")})
    with pytest.raises(DeliveryFailed):
        pipeline.run_week(WEEK, dry_run=False)
    rows = outbox_rows(ops_engine(), pipeline.DAG_ID, WEEK)
    assert rows and all(r["status"] == "failed" for r in rows)
    pending = len(rows)
    try:
        sink.start()
        pipeline.run_week(WEEK, dry_run=False)  # the next run
        pipeline.run_week(WEEK, dry_run=False)  # and one more: nothing twice
        rows = outbox_rows(ops_engine(), pipeline.DAG_ID, WEEK)
        assert all(r["status"] == "sent" for r in rows)
        assert len(rows) == pending
        assert sink.duplicates() == 0
        assert len(sink.accepted) == sum(len(json.loads(r["channels_json"] or "[]")) for r in rows)
        figures.add("faults", "channel_down_whole_run")
        figures.add("faults", "survived")
        figures.add("rows", "notices_checked", pending)
        figures.add("rows", "notices_lost", pending - sum(1 for r in rows if r["status"] == "sent"))
    finally:
        sink.stop()

"""A send cut short on a real scheduler (发送中断): the ``notify`` task's process is SIGKILLed while
a notice is on the wire, and the run still ends green, every notice delivered exactly once.

Airflow 3.3 runs here as an operator runs it: ``airflow db migrate``, api-server, scheduler (with
the LocalExecutor: the scheduler's own worker processes supervise each task process),
dag-processor and triggerer (see ``tests/integration/stack.py``), PostgreSQL for the metadata,
``gxq_ops`` and the demo department databases. The weekly bulletin is triggered through the REST
API; every notice goes to one local HTTP receiver, which holds the third message open without
answering; the test finds the task process holding that connection, kills it with SIGKILL and
lets Airflow do the rest. The claim's lifetime (``GXQ_NOTIFY_CLAIM_TTL``) keeps its default of
10 minutes: the retry 30 s later must take over its own dead try's claim, not wait for it.

    .venv/bin/pytest tests/reliability/test_notify_killed_on_scheduler.py -q
"""

from __future__ import annotations

import json
import shutil
import signal
import time

import psutil
import pytest
import sqlalchemy as sa

from tests import conftest
from tests.integration.stack import REPO, AirflowStack
from tests.reliability import figures
from tests.reliability.sink import NoticeSink, write_config

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(900)]

DAG_ID = "petition_weekly_bulletin"
LOGICAL = "2021-03-08T09:00:00+08:00"  # week 2021-W09
WEEK = "2021-W09"


def _sender_process(stack: AirflowStack, port: int) -> psutil.Process | None:
    """The process under the scheduler with a connection open to the receiver: the task sending."""
    scheduler = next(p for p in stack.procs if p.name == "scheduler")
    root = psutil.Process(scheduler.pid)
    for proc in [root, *root.children(recursive=True)]:
        try:
            if any(c.raddr and c.raddr.port == port for c in proc.net_connections(kind="tcp")):
                return proc
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return None


def _outbox(url: str) -> list[dict]:
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(
                "SELECT recipient, kind, status, subject, channels_json, claim_try FROM gxq_notify_outbox "
                "WHERE dag_id = :d ORDER BY id"), {"d": DAG_ID})]
    finally:
        eng.dispose()


def test_notify_killed_mid_send_ends_green_with_every_notice_once(pg, demo_pg, tmp_path):
    sink = NoticeSink(hold_at=3).start()  # the third message is held open, never answered
    ops_db = pg.create("kill_notify_ops")
    conns = {f"AIRFLOW_CONN_{cid.upper()}": value for cid, value in demo_pg.items() if cid != "gxq_ops"}
    conns["AIRFLOW_CONN_GXQ_OPS"] = conftest.pg_conn_json(ops_db)
    # rto: Apprise waits for the held answer (its default read timeout, 4 s, would retry first)
    config = write_config(tmp_path / "apprise.yml", sink.url + "?rto=300")
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(REPO / "dags" / f"{DAG_ID}.py", dags)  # the one DAG: parsed fast
    stack = AirflowStack(
        workdir=tmp_path / "stack", metadata_url=conftest.pg_url(pg.create("kill_notify_meta")), dags_folder=dags,
        workers=0,
        extra_env={**conns, "AIRFLOW__CORE__EXECUTOR": "LocalExecutor", "AIRFLOW__CORE__PARALLELISM": "2",
                   "GXQ_APPRISE_CONFIG": config,
                   # a claim held by someone else is waited for 20 s, not 120 s: without the
                   # takeover the retries would fail fast instead of running into the test's timeout
                   "GXQ_NOTIFY_WAIT_IN_PROGRESS": "20"},
    )
    killed = None
    try:
        stack.migrate()
        stack.start()
        stack.wait_ready(workers=False)
        stack.wait_for_dags({DAG_ID})
        stack.unpause(DAG_ID)
        run_id = stack.trigger(DAG_ID, LOGICAL)

        deadline = time.monotonic() + 420
        while not sink.held.is_set():
            stack.check_alive()
            assert time.monotonic() < deadline, "the notify task never reached its third message\n" + stack.tails()
            time.sleep(0.2)
        proc = None
        while proc is None and time.monotonic() < deadline:
            proc = _sender_process(stack, sink.port)
        assert proc is not None, "no process holds the connection to the receiver"
        killed = proc.pid
        assert len(sink.accepted) == 2  # two delivered, the third on the wire
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)

        runs = stack.wait_runs(lambda rs: any(r["dag_run_id"] == run_id and r["state"] in ("success", "failed")
                                              for r in rs), timeout=480)
        (run,) = [r for r in runs if r["dag_run_id"] == run_id]
        tis = {t["task_id"]: t for t in stack.task_instances(DAG_ID, run_id)}
        assert run["state"] == "success", (run, {k: (t["state"], t["try_number"]) for k, t in tis.items()},
                                           stack.tails(40))
        assert tis["notify"]["state"] == "success"
        assert tis["notify"]["try_number"] == 2  # the killed try, then the one that finished it

        rows = _outbox(conftest.pg_url(ops_db))
        assert rows and all(r["status"] == "sent" for r in rows), [(r["recipient"], r["kind"], r["status"])
                                                                     for r in rows]
        titles = [m.get("title") for m in sink.accepted]
        # every notice delivered exactly once: the receiver's count is the outbox's, nothing twice
        assert sink.duplicates() == 0, "a notice delivered twice"
        assert len(sink.accepted) == sum(len(json.loads(r["channels_json"] or "[]")) for r in rows)
        assert {r["subject"] for r in rows} <= set(titles), "a notice lost"
        # ops was told which notice may have reached its group twice, and by whom it was taken over
        (alert,) = [r for r in rows if r["kind"].startswith("interrupted:")]
        (message,) = [m for m in sink.accepted if m.get("title") == alert["subject"]]
        (taken,) = [r for r in rows if r["claim_try"] == 2 and not r["kind"].startswith("interrupted:")
                    and f"`{r['kind']}`" in message["message"] and f"`{r['recipient']}`" in message["message"]]
        assert "an earlier try (1) of this task" in message["message"]
        assert "try 2 of task notify" in message["message"]
        assert "another run" not in message["message"]
        assert taken["subject"] in message["message"]
        figures.add("faults", "notify_sigkill_on_scheduler")
        figures.add("faults", "survived")
        figures.add("rows", "notices_checked", len(rows))
        figures.add("rows", "notices_duplicated", sink.duplicates())
    finally:
        if killed is None:
            print(stack.tails(30))
        stack.stop()
        sink.stop()

"""Two runs of the same period at the same moment issue ONE batch; nothing is paid twice.

Threads on both backends (BEGIN IMMEDIATE on SQLite, the advisory lock on PostgreSQL), and real
separate processes on PostgreSQL (the pipeline's command line, as two workers would run it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import sqlalchemy as sa
from gxq.periods import parse_key
from gxq.policy import batches, catalogue
from gxq.policy.evaluate import evaluate
from gxq.policy.testing import build_dept_policy

from .test_batches import cert, ent, ledger_rows

REPO = Path(__file__).resolve().parents[2]


def _data(dept):
    build_dept_policy(dept, {
        "enterprises": [ent(f"E{i:03d}") for i in range(40)],
        "certifications": [cert(f"H{i:03d}", f"E{i:03d}", f"2021-03-{1 + i % 28:02d}") for i in range(40)],
    })


def _race(ops, specs_and_evs, n_threads=6):
    barrier = threading.Barrier(n_threads)
    results, errors = [], []

    def worker(i):
        spec, ev = specs_and_evs[i % len(specs_and_evs)]
        engine = sa.create_engine(ops.url, poolclass=sa.pool.NullPool)
        try:
            barrier.wait()
            results.append(batches.issue(engine, spec, ev))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return results


def test_concurrent_issue_of_one_period_gives_one_batch(dbs):
    from gxq import store

    dept, ops = dbs
    _data(dept)
    store.ensure_schema(ops)
    ev = evaluate(dept, parse_key("2021-03"), [catalogue.get("hte_first_certification")], False)
    spec = batches.BatchSpec("policy_redemption_monthly", "monthly", "2021-03", ("hte_first_certification",))
    results = _race(ops, [(spec, ev)])
    assert sum(r.newly_issued for r in results) == 1
    assert len({r.batch_id for r in results}) == 1
    assert all(r.items == results[0].items and len(r.items) == 40 for r in results)
    with ops.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(batches.batches)).scalar_one() == 1
    assert len(ledger_rows(ops)) == 40 and batches.ledger_duplicates(ops) == 0


def test_concurrent_batches_of_different_periods_never_pay_an_award_twice(dbs):
    from gxq import store

    dept, ops = dbs
    _data(dept)
    store.ensure_schema(ops)
    hte = catalogue.get("hte_first_certification")
    specs = []
    for dag_id, cadence, key in (("policy_redemption_monthly", "monthly", "2021-03"),
                                 ("policy_redemption_monthly", "monthly", "2021-04"),
                                 ("policy_redemption_adhoc", "adhoc", "2021-Q1")):
        ev = evaluate(dept, parse_key(key), [hte], False)
        specs.append((batches.BatchSpec(dag_id, cadence, key, (hte.id,)), ev))
    results = _race(ops, specs)
    paid = [(i["policy_id"], i["credit_code"], i["basis_id"]) for r in {r.batch_id: r for r in results}.values()
            for i in r.items]
    assert len(paid) == len(set(paid)) == 40  # every award paid, once, by exactly one batch
    assert len(ledger_rows(ops)) == 40 and batches.ledger_duplicates(ops) == 0


def test_two_processes_on_postgresql_issue_one_batch(pg, output_dir):
    from tests.conftest import pg_conn_json, pg_url

    dept_name, ops_name = pg.create("pol_proc_dept"), pg.create("pol_proc_ops")
    dept = sa.create_engine(pg_url(dept_name), poolclass=sa.pool.NullPool)
    _data(dept)
    env = dict(os.environ, AIRFLOW_CONN_DEPT_POLICY=pg_conn_json(dept_name), AIRFLOW_CONN_GXQ_OPS=pg_conn_json(ops_name),
               PYTHONPATH=f"{REPO / 'plugins'}{os.pathsep}{REPO}", GXQ_OUTPUT_DIR=str(output_dir))
    cmd = [sys.executable, "-m", "gxq.policy.pipeline", "--dag", "policy_redemption_monthly", "--period", "2021-03",
           "--no-send", "--approved-by", "测试审核人", "--approval-ref", "测试〔2021〕1号"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    ops = sa.create_engine(pg_url(ops_name), poolclass=sa.pool.NullPool)
    with ops.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM policy_batches")).scalar_one() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM policy_payment_ledger")).scalar_one() == 40
        assert conn.execute(sa.text("SELECT count(*) FROM policy_batch_items")).scalar_one() == 40
    assert batches.ledger_duplicates(ops) == 0
    assert all('"batch_id": "monthly-2021-03"' in o for o, _ in outs)
    dept.dispose()
    ops.dispose()

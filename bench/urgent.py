"""The urgent-petition watch (急险, ``petition_urgent_watch``): cheap enough to run 144 times a day.

``python -m bench.urgent query [--sizes 1,5,26]``: the watch's one statement
(``include/sql/petitions/urgent.sql``) on the petitions databases of 1M, 5M (and 26M) rows at as_of
2021-03-23 09:40 (the same week in each; only the history grows): its PostgreSQL plan (EXPLAIN
ANALYZE, BUFFERS) and the median of 20 executions through ``gxq.sql.query``, each in one process
after one warm-up. It reads the databases ``bash bench/run.sh --only petitions --sizes ...`` built
and stops, naming the command, at a size not built (it never builds or drops one).

``python -m bench.urgent day``: a day of watch runs, ``airflow backfill create`` over 2021-03-23
(144 runs) with the LocalExecutor on a PostgreSQL metadata database (the stack of ``bench.year``,
over the scale-1 demo databases), then a no-op DAG of one task on the same schedule backfilled the
same way: the engine's floor. The goal is watch ≤ 1.3 × floor.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from bench import common

AS_OF = "2021-03-23 09:40:00"
SINCE = "2021-03-16 09:40:00"
DAY_FROM = "2021-03-23T00:00:00+08:00"
DAY_TO = "2021-03-23T23:59:59+08:00"
FLOOR_DAG_ID = "gxqbench_urgent_floor"
FLOOR_DAG = f'''"""The engine's floor for the urgent watch: the same schedule, one task that does nothing."""
import pendulum
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable


@dag(dag_id="{FLOOR_DAG_ID}", schedule=CronTriggerTimetable("*/10 * * * *", timezone="Asia/Shanghai"),
     start_date=pendulum.datetime(2021, 1, 1, tz="Asia/Shanghai"), catchup=False, max_active_runs=1)
def floor():
    @task
    def noop():
        return None

    noop()


floor()
'''


def log(msg: str) -> None:
    print(f"[urgent {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def query(sizes: list[int], repeat: int = 20) -> list[dict]:
    sys.path.insert(0, str(common.PLUGINS))
    import sqlalchemy as sa
    from gxq import sql

    from bench import data

    out = []
    for size in sizes:
        db = data.built_petitions(size)  # never built here (26M takes long); the watch's index ensured
        engine = sa.create_engine(common.url(db))
        params = {"since": SINCE, "as_of": AS_OF}
        text = sql.render("petitions/urgent", "postgresql")
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE petitions"))
            rows = conn.execute(sa.text("SELECT count(*) FROM petitions")).scalar()
            plan = [r[0] for r in conn.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + text), params)]
        sql.query(engine, "petitions/urgent", params)  # warm-up
        times, found = [], 0
        for _ in range(repeat):
            start = time.perf_counter()
            found = len(sql.query(engine, "petitions/urgent", params))
            times.append(time.perf_counter() - start)
        engine.dispose()
        result = {"size": f"{size}M", "petitions": rows, "rows_read": found, "median_ms": 1000 * statistics.median(times),
                  "min_ms": 1000 * min(times), "max_ms": 1000 * max(times), "plan": plan}
        log(f"{size}M ({rows:,} petitions): {found} rows, median {result['median_ms']:.2f} ms "
            f"(min {result['min_ms']:.2f}, max {result['max_ms']:.2f})")
        print("\n".join(plan), flush=True)
        out.append(result)
    (common.WORK / "urgent-query.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return out


def day() -> dict:
    sys.path.insert(0, str(common.PLUGINS))
    from bench import data, year

    demo = data.build_demo()
    data.ensure_backlog_index(demo["dept_petitions"])  # the watch's index on the demo database
    airflow_db, ops_db = f"{common.DB_PREFIX}urgent_airflow", f"{common.DB_PREFIX}urgent_ops"  # its own
    for db in (airflow_db, ops_db):
        common.drop_database(db)
        common.admin_exec(f'CREATE DATABASE "{db}"')
    stack = year.Stack(common.WORK / "urgent-day", demo)
    stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = common.url(airflow_db)
    stack.env["AIRFLOW_CONN_GXQ_OPS"] = common.conn_json(ops_db)
    folder = stack.workdir / "dags"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "petition_urgent_watch.py").symlink_to(common.REPO / "dags" / "petition_urgent_watch.py")
    (folder / f"{FLOOR_DAG_ID}.py").write_text(FLOOR_DAG)
    stack.env["AIRFLOW__CORE__DAGS_FOLDER"] = str(folder)
    log("airflow db migrate")
    stack.airflow("db", "migrate", timeout=1200)
    result: dict = {}
    try:
        stack.spawn("api-server", "api-server", "--host", "127.0.0.1", "--port", str(stack.port), "--workers", "1")
        stack.spawn("scheduler", "scheduler")
        stack.spawn("dag-processor", "dag-processor")
        stack.wait_api()
        dag_ids = ["petition_urgent_watch", FLOOR_DAG_ID]
        deadline = time.monotonic() + 600
        while {d["dag_id"] for d in stack.get_all("dags", "dags")} < set(dag_ids):
            if time.monotonic() > deadline:
                raise RuntimeError("the DAGs were not parsed in 10 minutes")
            time.sleep(3)
        for dag_id in dag_ids:
            stack.airflow("dags", "unpause", dag_id)
        year.FROM_DATE, year.TO_DATE = DAY_FROM, DAY_TO
        # the floor first, then the watch: each alone on the machine's slots
        for dag_id in (FLOOR_DAG_ID, "petition_urgent_watch"):
            result[dag_id] = year._backfill(stack, [dag_id], max_active_runs=1)
            log(f"{dag_id}: {json.dumps(result[dag_id])}")
        result["ratio"] = result["petition_urgent_watch"]["wall_seconds"] / result[FLOOR_DAG_ID]["wall_seconds"]
        log(f"watch / floor = {result['ratio']:.2f}")
        (common.WORK / "urgent-day.json").write_text(json.dumps(result, indent=1))
        return result
    finally:
        stack.stop()
        log(f"stopped; process logs in {stack.logs}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.urgent", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    q = sub.add_parser("query", help="the watch's statement at 1M, 5M (26M) petitions: plan and median")
    q.add_argument("--sizes", default="1,5", help="million rows, comma-separated (1,5,26)")
    q.add_argument("--repeat", type=int, default=20)
    sub.add_parser("day", help="a day of watch runs (144) against a no-op DAG on the same schedule")
    args = parser.parse_args(argv)
    if args.what == "query":
        query([int(s) for s in args.sizes.split(",")], args.repeat)
    else:
        day()


if __name__ == "__main__":
    main()

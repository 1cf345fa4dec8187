"""A full year of every scheduled DAG, run by ``airflow backfill create`` with the LocalExecutor.

Airflow gets its own PostgreSQL metadata database (``gxqbench_airflow``, dropped and migrated
anew each time), its own ``gxq_ops`` (``gxqbench_ops``, dropped too), the scale-1 demo
department databases and its own AIRFLOW_HOME and output folder under the bench work folder.
The bench starts the api-server, the scheduler and the dag-processor, each in its own process
group, waits until every DAG is parsed, unpauses them (with ``use_job_schedule`` off, so no run of
"today" is created), creates one backfill per DAG over 2021 from the command line (the seven
calls at once), waits until every run of every backfill has finished, reads the task instances through the REST API
(``/api/v2/dags/~/dagRuns/~/taskInstances``) and stops every process group it started.

Result: wall time from the first ``backfill create`` to the last finished run, and the sum of the
task instances' own durations (the work the tasks did, without scheduling and start-up overhead).
Then the floor: a DAG of 7 chained tasks that do nothing, Mon/Wed/Fri over 2021 (156 runs, 1,092
task instances, about the year's count), backfilled the same way with as many runs at once as
the year's backfills together: what the engine alone costs per task instance on this machine.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from bench import common

FROM_DATE = "2021-01-01T00:00:00+08:00"
TO_DATE = "2021-12-31T23:59:59+08:00"
PARALLELISM = int(os.environ.get("GXQBENCH_PARALLELISM", "4"))
MAX_ACTIVE_RUNS = int(os.environ.get("GXQBENCH_BACKFILL_MAX_ACTIVE_RUNS", "4"))
TIMEOUT = float(os.environ.get("GXQBENCH_YEAR_TIMEOUT", "5400"))
# No run finished for this long: the year cannot finish (a run waits for something), fail clearly.
STALL = float(os.environ.get("GXQBENCH_YEAR_STALL", "600"))
# 审核后报财政: the policy DAGs' backfills carry the approval in the run conf (docs/runbook.md §3a),
# as an operator's backfill does; without it every batch waits in Required Actions for ever.
APPROVAL = {"approved_by": "基准测试", "approval_ref": "基准测试〔2021〕1号"}


def run_conf(dag_id: str) -> dict | None:
    """The conf of a DAG's backfilled runs: the approval for a DAG that asks for one."""
    from gxq import cadences

    names = {p.name for p in cadences.get(dag_id).params} if dag_id in {c.dag_id for c in cadences.CADENCES} else set()
    return dict(APPROVAL) if {"approved_by", "approval_ref"} <= names else None


def year_dags(dag_ids: list[str]) -> tuple[list[str], list[str]]:
    """The DAGs the year backfills, and those left out: a sub-daily watch (period rule ``minute``,
    e.g. every 10 minutes: 52,560 runs a year) is not a year of batches; its cost is per run. A DAG
    built from other DAGs' reports (the 绩效考核, backfillable by month) is left out too: each of its
    months needs the urgent watch's runs of that month, which the year leaves out, so every month
    would fail as incomplete, and it could only start once its inputs' backfills are done."""
    from gxq import cadences

    out = {c.dag_id for c in cadences.CADENCES if c.period_rule == "minute" or c.inputs}
    return [d for d in dag_ids if d not in out], [d for d in dag_ids if d in out]


def log(msg: str) -> None:
    print(f"[year {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, workdir: Path, demo: dict[str, str]) -> None:
        from cryptography.fernet import Fernet

        self.workdir = workdir
        self.home = workdir / "airflow_home"
        self.logs = workdir / "process-logs"
        self.output = workdir / "output"
        shutil.rmtree(workdir, ignore_errors=True)
        for d in (self.home, self.logs, self.output):
            d.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "GXQ_")) and k != "AIRFLOW_HOME"}
        env.update({
            "AIRFLOW_HOME": str(self.home),
            "PATH": f"{Path(common.PYTHON).parent}:{env.get('PATH', '')}",
            "PYTHONPATH": str(common.PLUGINS),
            "PYTHONUNBUFFERED": "1",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(PARALLELISM),
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(PARALLELISM),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": common.url(common.AIRFLOW_DB),
            "AIRFLOW__CORE__DAGS_FOLDER": str(common.REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(common.PLUGINS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base}/execution/",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.base,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__CORE__AUTH_MANAGER":
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the backfills' runs
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "900",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "3600",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
            "AIRFLOW__WORKERS__EXECUTION_API_RETRIES": "8",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
            "GXQ_OUTPUT_DIR": str(self.output),
            "GXQ_DATA_DIR": str(workdir / "data"),
            "GXQ_APPRISE_CONFIG": str(common.REPO / "include" / "apprise" / "demo.yml"),
            "AIRFLOW_CONN_GXQ_OPS": common.conn_json(common.OPS_DB),
        })
        for conn_id, db in demo.items():
            env[f"AIRFLOW_CONN_{conn_id.upper()}"] = common.conn_json(db)
        self.env = env

    def airflow(self, *args: str, timeout: float = 900) -> str:
        proc = subprocess.run(["airflow", *args], env=self.env, cwd=self.workdir, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
        return proc.stdout

    def spawn(self, name: str, *args: str) -> None:
        with open(self.logs / f"{name}.log", "ab") as fh:
            self.procs.append(subprocess.Popen(["airflow", *args], env=self.env, cwd=self.workdir,
                                               stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                               start_new_session=True))

    def stop(self) -> None:
        """SIGTERM to each process group started here, SIGKILL to what is left after 30 s."""
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 30
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def check_alive(self) -> None:
        dead = [p for p in self.procs if p.poll() is not None]
        if dead:
            raise RuntimeError(f"Airflow process(es) exited: {[p.args[1] for p in dead]}; logs in {self.logs}")

    # --- REST --------------------------------------------------------------------------------
    def token(self) -> str:
        import requests

        r = requests.get(f"{self.base}/auth/token", timeout=60)  # all admins: no credentials
        r.raise_for_status()
        return r.json()["access_token"]

    def get(self, path: str, **params) -> dict:
        import requests

        for attempt in range(4):
            try:
                r = requests.get(f"{self.base}/api/v2/{path}", params=params, timeout=120,
                                 headers={"Authorization": f"Bearer {self._token}"})
                if r.status_code == 401:
                    self._token = self.token()
                    continue
                r.raise_for_status()
                return r.json()
            except requests.ConnectionError:
                self.check_alive()
                time.sleep(3)
        raise RuntimeError(f"GET {path} kept failing")

    def get_all(self, path: str, key: str, **params) -> list[dict]:
        out, offset = [], 0
        while True:
            page = self.get(path, limit=100, offset=offset, **params)
            out += page[key]
            offset += len(page[key])
            if not page[key] or offset >= page["total_entries"]:
                return out

    def wait_api(self, timeout: float = 600) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                health = requests.get(f"{self.base}/api/v2/monitor/health", timeout=10).json()
                if all(health.get(c, {}).get("status") == "healthy" for c in ("metadatabase", "scheduler", "dag_processor")):
                    self._token = self.token()
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(2)
        raise RuntimeError("Airflow did not come up")


def scheduled_dags() -> list[str]:
    """The DAG ids of dags/ that can be backfilled (a periodic schedule), but the minute watches."""
    from gxq import cadences  # bench/__main__ put the domain package on the path

    out = subprocess.run(
        [common.PYTHON, "-c", ("from airflow.dag_processing.dagbag import DagBag;"
                               "b = DagBag(dag_folder='dags');"
                               "print('GXQBENCH_DAGS=' + ','.join(sorted(d for d, dag in b.dags.items()"
                               " if dag.timetable.can_be_scheduled and getattr(dag.timetable, 'periodic', False))))")],
        env=common.base_env(AIRFLOW__CORE__LOAD_EXAMPLES="False", AIRFLOW_HOME=str(common.WORK / "parse_airflow_home")),
        cwd=common.REPO, capture_output=True, text=True, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("GXQBENCH_DAGS="))
    # the 急险 watch runs every 10 minutes (52,560 runs a year): it has its own day (bench.urgent)
    every_minutes = {c.dag_id for c in cadences.CADENCES if c.period_rule == "minute"}
    return [d for d in line.split("=", 1)[1].split(",") if d and d not in every_minutes]


FLOOR_DAG_ID = "gxqbench_floor"
FLOOR_TASKS = 7  # chained no-op tasks per run; Mon/Wed/Fri runs of 2021: 156 runs, 1,092 task instances
FLOOR_DAG = f'''"""The engine's floor: the same executor, slots and backfill, tasks that do nothing."""
import pendulum
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable


@dag(dag_id="{FLOOR_DAG_ID}", schedule=CronTriggerTimetable("0 9 * * 1,3,5", timezone="Asia/Shanghai"),
     start_date=pendulum.datetime(2020, 1, 1, tz="Asia/Shanghai"), catchup=False)
def floor():
    previous = None
    for i in range({FLOOR_TASKS}):
        @task(task_id=f"noop_{{i}}")
        def noop():
            return None

        current = noop()
        if previous is not None:
            previous >> current
        previous = current


floor()
'''


def _dags_folder(workdir: Path) -> Path:
    """The project's DAG files (symlinked) and the floor DAG, in one folder."""
    folder = workdir / "dags"
    folder.mkdir(parents=True, exist_ok=True)
    for f in sorted((common.REPO / "dags").glob("*.py")):
        (folder / f.name).symlink_to(f)
    (folder / f"{FLOOR_DAG_ID}.py").write_text(FLOOR_DAG)
    return folder


def _backfill(stack: Stack, dag_ids: list[str], max_active_runs: int = MAX_ACTIVE_RUNS) -> dict:
    """Create one backfill per DAG over 2021, all CLI calls at once (each is an Airflow start-up),
    and wait until every run has finished; the clock starts before the first call."""
    log(f"backfill create x{len(dag_ids)} ({FROM_DATE} .. {TO_DATE}), max_active_runs {max_active_runs}, "
        f"parallelism {PARALLELISM}")
    started = time.monotonic()
    def conf_args(dag_id: str) -> list[str]:
        conf = run_conf(dag_id) if dag_id != FLOOR_DAG_ID else None
        return ["--dag-run-conf", json.dumps(conf, ensure_ascii=False)] if conf else []

    calls = [subprocess.Popen(["airflow", "backfill", "create", "--dag-id", dag_id, "--from-date", FROM_DATE,
                               "--to-date", TO_DATE, "--max-active-runs", str(max_active_runs),
                               "--reprocess-behavior", "none", *conf_args(dag_id)],
                              env=stack.env, cwd=stack.workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for dag_id in dag_ids]
    for dag_id, call in zip(dag_ids, calls, strict=True):
        out, _ = call.communicate(timeout=900)
        if call.returncode != 0:
            raise RuntimeError(f"airflow backfill create --dag-id {dag_id} failed:\n{out[-3000:]}")
    log(f"backfills created in {time.monotonic() - started:.0f} s")
    ids = set(dag_ids)
    from gxq.progress import Progress  # bench/__main__ put the domain package on the path

    last_done, last_progress = -1, time.monotonic()
    with Progress("year: runs finished", unit="runs", every=30) as bar:
        while True:
            stack.check_alive()
            runs = [r for r in stack.get_all("dags/~/dagRuns", "dag_runs") if r["dag_id"] in ids]
            done = sum(r["state"] in ("success", "failed") for r in runs)
            bar.total = len(runs)
            bar.update(done - bar.done)
            backfills = [b for d in dag_ids for b in stack.get("backfills", dag_id=d)["backfills"]]
            if backfills and all(b["completed_at"] for b in backfills) and done == len(runs):
                break
            _fail_if_stuck(stack, ids, runs, done)
            if done != last_done:
                last_done, last_progress = done, time.monotonic()
            elif time.monotonic() - last_progress > STALL:
                raise RuntimeError(f"year stalled: no run finished for {STALL:.0f} s ({done}/{len(runs)} finished); "
                                   f"unfinished: {_unfinished(runs)}")
            if time.monotonic() - started > TIMEOUT:
                raise RuntimeError(f"year not done after {TIMEOUT:.0f} s: {done}/{len(runs)} runs finished; "
                                   f"unfinished: {_unfinished(runs)}")
            time.sleep(10)
    wall = time.monotonic() - started
    tis = [ti for ti in stack.get_all("dags/~/dagRuns/~/taskInstances", "task_instances") if ti["dag_id"] in ids]
    per_dag: dict[str, dict] = {}
    for r in runs:
        d = per_dag.setdefault(r["dag_id"], {"runs": 0, "failed": 0, "task_seconds": 0.0, "tasks": 0})
        d["runs"] += 1
        d["failed"] += r["state"] == "failed"
    for ti in tis:
        d = per_dag[ti["dag_id"]]
        d["task_seconds"] += ti["duration"] or 0
        d["tasks"] += 1
    failed = sum(d["failed"] for d in per_dag.values())
    return {"wall_seconds": wall, "task_seconds": sum(ti["duration"] or 0 for ti in tis), "runs": len(runs),
            "task_instances": len(tis), "failed": failed, "per_dag": per_dag,
            "label": f"{len(runs)} runs, {len(tis)} tasks, {failed} failed"}


def _unfinished(runs: list[dict], limit: int = 8) -> str:
    rest = [r for r in runs if r["state"] not in ("success", "failed")]
    shown = ", ".join(f"{r['dag_id']} {r['dag_run_id']} ({r['state']})" for r in rest[:limit])
    return shown + (f" and {len(rest) - limit} more" if len(rest) > limit else "") if rest else "none"


def _fail_if_stuck(stack: Stack, ids: set[str], runs: list[dict], done: int) -> None:
    """A task waiting for a person (Required Actions, ``awaiting_input``) never finishes by itself:
    the year cannot end, so it fails at once, naming the runs."""
    waiting = [ti for ti in stack.get_all("dags/~/dagRuns/~/taskInstances", "task_instances", state="awaiting_input")
               if ti["dag_id"] in ids]
    if waiting:
        shown = ", ".join(f"{ti['dag_id']} {ti['dag_run_id']} {ti['task_id']}" for ti in waiting[:8])
        raise RuntimeError(f"year cannot finish: {len(waiting)} task(s) wait for a person (awaiting_input): {shown}; "
                           f"{done}/{len(runs)} runs finished. A backfill of a policy DAG needs the approval "
                           "in --dag-run-conf (docs/runbook.md §3a).")


def run(floor: bool = True) -> dict:
    """The year of every scheduled DAG; then (``floor``) the same number of no-op task instances
    through the same engine, which is what the engine alone costs."""
    from bench import data

    demo = data.build_demo()
    for db in (common.AIRFLOW_DB, common.OPS_DB):
        common.drop_database(db)
        common.admin_exec(f'CREATE DATABASE "{db}"')
    dag_ids, left_out = year_dags(scheduled_dags())
    log(f"DAGs with a schedule: {', '.join(dag_ids)}"
        + (f"; left out (sub-daily, or built from the others' reports): {', '.join(left_out)}" if left_out else ""))
    stack = Stack(common.WORK / "year", demo)
    stack.env["AIRFLOW__CORE__DAGS_FOLDER"] = str(_dags_folder(stack.workdir))
    log("airflow db migrate")
    stack.airflow("db", "migrate", timeout=1200)
    try:
        stack.spawn("api-server", "api-server", "--host", "127.0.0.1", "--port", str(stack.port), "--workers", "1")
        stack.spawn("scheduler", "scheduler")
        stack.spawn("dag-processor", "dag-processor")
        stack.wait_api()
        deadline = time.monotonic() + 600
        while {d["dag_id"] for d in stack.get_all("dags", "dags")} < {*dag_ids, FLOOR_DAG_ID}:
            if time.monotonic() > deadline:
                raise RuntimeError("the DAGs were not parsed in 10 minutes")
            time.sleep(3)
        for dag_id in (*dag_ids, FLOOR_DAG_ID):
            stack.airflow("dags", "unpause", dag_id)
        result = _backfill(stack, dag_ids)
        log(json.dumps(result))
        if floor:
            # as many runs at once as the year had (its backfills together), so the slots stay full
            result["floor"] = _backfill(stack, [FLOOR_DAG_ID], MAX_ACTIVE_RUNS * len(dag_ids))
            log(json.dumps(result["floor"]))
        (common.WORK / "year-result.json").write_text(json.dumps(result, indent=1))
        return result
    finally:
        stack.stop()
        log(f"stopped; process logs in {stack.logs}")

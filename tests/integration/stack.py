"""A real distributed Airflow (分布式部署) for the integration tier, as separate processes.

``AirflowStack`` starts Airflow 3.3 with the CeleryExecutor against the PostgreSQL and Redis
already running on this machine: api-server, scheduler, dag-processor, triggerer and N Celery
workers, each in its own process group, with its own metadata database (created and dropped by
the caller), its own Redis queue and its own ports. It talks to Airflow only through the public
REST API (``/api/v2`` with a JWT from ``POST /auth/token``), like an operator would, and
``stop()`` ends every process it started, children included, even after a failure.

Tuned for a 2-core machine: small parallelism, short dag-processor and scheduler intervals,
workers with concurrency 2 and a prefetch of 1 (so tasks spread over the workers).

Each worker imports the tasks' heavy libraries once at start-up (``sitecustomize.py``), so the
task processes forked from it do not import them again.

Each worker reports its own host name on the task instances it runs (``[core] hostname_callable``
pointing at :mod:`gxq_worker_identity` with ``GXQ_WORKER_HOSTNAME`` per worker): on one machine
every worker would otherwise report the same FQDN, and the test could not tell them apart.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
AIRFLOW_BIN = str(Path(sys.executable).parent / "airflow")

# Environment of the test process that must not leak into the stack (the suite's own set-up).
_DROP_ENV_PREFIXES = ("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_", "GXQ_", "PYTEST_")
_DROP_ENV = {"AIRFLOW_HOME", "AIRFLOW_CONFIG"}


class StackError(RuntimeError):
    """The stack did not come up, or a run did not finish as it should."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class AirflowStack:
    """Airflow with CeleryExecutor as separate processes; see the module docstring."""

    workdir: Path
    metadata_url: str  # postgresql+psycopg2://... of a database the caller created
    dags_folder: Path = REPO / "dags"
    plugins_folder: Path = REPO / "plugins"
    workers: int = 2
    worker_concurrency: int = 2
    redis_url: str = "redis://127.0.0.1:6379/11"  # a DB number of its own
    extra_env: dict[str, str] = field(default_factory=dict)
    username: str = "gxq_admin"
    # >0 makes tasks yield the CPU to the control plane (api-server, scheduler) of this stack;
    # on a machine shared with other loads it also slows the tasks down against everything else.
    worker_nice: int = 0

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir)
        self.home = self.workdir / "airflow_home"
        self.logs = self.workdir / "process-logs"
        self.output_dir = self.workdir / "output"
        for d in (self.home, self.logs, self.output_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        # Its own Celery queue: two stacks (or another tool) on the same Redis never share tasks.
        self.queue = f"gxq_it_{uuid.uuid4().hex[:8]}"
        self.password = secrets.token_urlsafe(18)
        self.password_file = self.home / "passwords.json"
        self.password_file.write_text(json.dumps({self.username: self.password}) + "\n")
        self.password_file.chmod(0o600)
        self.worker_names = [f"w{i}" for i in range(1, self.workers + 1)]
        self.procs: list[Proc] = []
        self._token: str | None = None
        self._session = requests.Session()
        self.timings: dict[str, float] = {}

    # --- environment -----------------------------------------------------------------------
    def env(self, **more: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in _DROP_ENV and not k.startswith(_DROP_ENV_PREFIXES)
        }
        result_backend = "db+" + self.metadata_url.replace("postgresql+psycopg2://", "postgresql://", 1)
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
                # plugins/ for the domain package in every process; HERE for gxq_worker_identity.
                "PYTHONPATH": os.pathsep.join([str(self.plugins_folder), str(HERE)]),
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.metadata_url,
                "AIRFLOW__CELERY__BROKER_URL": self.redis_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": result_backend,
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.worker_concurrency),
                "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
                "AIRFLOW__CELERY__SYNC_PARALLELISM": "1",
                # Generous timeouts: on a loaded 2-core machine a 5 s client timeout makes every
                # slow answer a retry, and the retries pile up on the api-server.
                "AIRFLOW__CELERY__OPERATION_TIMEOUT": "30",
                "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
                "AIRFLOW__WORKERS__EXECUTION_API_RETRIES": "8",
                "AIRFLOW__WORKERS__EXECUTION_API_RETRY_WAIT_MAX": "20",
                "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(self.plugins_folder),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
                "AIRFLOW__CORE__FERNET_KEY": self._fernet,
                "AIRFLOW__CORE__PARALLELISM": "6",
                "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "4",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__API__BASE_URL": self.base_url,
                "AIRFLOW__API__WORKERS": "1",
                # One secret for the api-server that signs and the workers that present tokens:
                # otherwise tasks fail with "Signature verification failed".
                "AIRFLOW__API_AUTH__JWT_SECRET": self._jwt_secret,
                "AIRFLOW__CORE__AUTH_MANAGER": (
                    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
                ),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{self.username}:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.password_file),
                # The tier runs exactly the runs it asks for: no scheduled "latest tick" run on
                # unpause (catchup=False would create one for today); manual runs and backfills run.
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
                "AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC": "2",
                "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "1",
                "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "300",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                # New files are found within 5 s; a file is parsed again only when it changes
                # (re-parsing every DAG each minute would cost a third of a core here).
                "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
                "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "2",
                "AIRFLOW__DAG_PROCESSOR__STALE_DAG_THRESHOLD": "120",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__WEBSERVER__EXPOSE_CONFIG": "False",
                "GXQ_OUTPUT_DIR": str(self.output_dir),
                "GXQ_DATA_DIR": str(self.workdir / "data"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        env.update(more)
        return env

    @property
    def _fernet(self) -> str:
        if not hasattr(self, "_fernet_key"):
            self._fernet_key = fernet_key()
        return self._fernet_key

    @property
    def _jwt_secret(self) -> str:
        if not hasattr(self, "_jwt"):
            self._jwt = secrets.token_urlsafe(32)
        return self._jwt

    # --- processes ---------------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str], nice: int = 0, **env: str) -> Proc:
        log = self.logs / f"{name}.log"
        fh = open(log, "ab")  # noqa: SIM115 - owned by the child
        prefix = ["nice", "-n", str(nice)] if nice else []
        popen = subprocess.Popen(
            [*prefix, AIRFLOW_BIN, *args],
            cwd=self.workdir,
            env=self.env(**env),
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() signals the whole group
        )
        fh.close()
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def begin_migrate(self) -> None:
        """Start ``airflow db migrate`` in the background (see finish_migrate)."""
        self._t_migrate = time.monotonic()
        self._migrate_log = self.logs / "db-migrate.log"
        with open(self._migrate_log, "wb") as fh:
            self._migrate = subprocess.Popen(
                [AIRFLOW_BIN, "db", "migrate"], cwd=self.workdir, env=self.env(), stdout=fh,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )

    def finish_migrate(self, timeout: float = 600) -> None:
        try:
            rc = self._migrate.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self._migrate.pid, signal.SIGKILL)
            raise StackError(f"airflow db migrate did not finish in {timeout:.0f}s") from None
        if rc != 0:
            tail = "\n".join(self._migrate_log.read_text(errors="replace").splitlines()[-40:])
            raise StackError(f"airflow db migrate failed ({rc}):\n{tail}")
        self.timings["migrate"] = time.monotonic() - self._t_migrate

    def migrate(self) -> None:
        self.begin_migrate()
        self.finish_migrate()

    def start(self) -> None:
        """Start every component; returns at once (see wait_ready)."""
        self._t_start = time.monotonic()
        self._spawn("api-server", ["api-server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"])
        self._spawn("scheduler", ["scheduler", "--skip-serve-logs"])
        self._spawn("dag-processor", ["dag-processor"])
        self._spawn("triggerer", ["triggerer", "--skip-serve-logs"])
        self.start_workers()

    def start_workers(self) -> None:
        """Start the Celery workers (idempotent). They need the broker, not the metadata DB, so
        they may start while ``airflow db migrate`` still runs."""
        started = {p.name for p in self.procs}
        for name in self.worker_names:
            if f"worker-{name}" in started:
                continue
            self._spawn(
                f"worker-{name}",
                [
                    "celery", "worker",
                    "--celery-hostname", f"{name}@%h",
                    "--concurrency", str(self.worker_concurrency),
                    "--queues", self.queue,
                    "--skip-serve-logs",
                    "--without-gossip",
                    "--without-mingle",
                ],
                nice=self.worker_nice,
                GXQ_WORKER_HOSTNAME=self.worker_hostname(name),
                GXQ_WORKER_PRELOAD="1",  # sitecustomize.py: heavy imports once per worker
                AIRFLOW__CORE__HOSTNAME_CALLABLE="gxq_worker_identity.hostname",
            )

    def worker_hostname(self, name: str) -> str:
        """The host name a worker reports on its task instances."""
        return f"{name}.{socket.gethostname()}"

    def check_alive(self) -> None:
        dead = [p for p in self.procs if not p.alive()]
        if dead:
            raise StackError(
                "Airflow process(es) exited: "
                + "; ".join(f"{p.name} rc={p.popen.returncode}\n{p.tail()}" for p in dead)
            )

    def wait_ready(self, timeout: float = 360, workers: bool = True) -> None:
        """The api-server answers, every component reports healthy, every worker is ready
        (``workers=False``: enough to accept runs; the workers may still be starting)."""
        deadline = time.monotonic() + timeout
        last: object = None
        while True:
            self.check_alive()
            try:
                health = requests.get(f"{self.base_url}/api/v2/monitor/health", timeout=5).json()
                last = health
                states = {k: v.get("status") for k, v in health.items() if isinstance(v, dict)}
                workers_ready = not workers or all(self._worker_ready(n) for n in self.worker_names)
                needed = {"metadatabase", "scheduler", "dag_processor"} | ({"triggerer"} if workers else set())
                if all(states.get(c) == "healthy" for c in needed) and workers_ready:
                    break
            except (requests.RequestException, ValueError) as exc:
                last = exc
            if time.monotonic() > deadline:
                raise StackError(f"stack not ready after {timeout:.0f}s; last health: {last}\n{self.tails()}")
            time.sleep(1.5)
        self.timings["ready" if workers else "accepting"] = time.monotonic() - self._t_start

    def _worker_ready(self, name: str) -> bool:
        proc = next(p for p in self.procs if p.name == f"worker-{name}")
        try:
            return " ready." in proc.log.read_text(errors="replace")
        except OSError:
            return False

    def tails(self, lines: int = 30) -> str:
        return "\n".join(f"----- {p.name} (pid {p.pid}) -----\n{p.tail(lines)}" for p in self.procs)

    def stop(self, grace: float = 20) -> None:
        """End every process started here, with its children: SIGTERM to each process group,
        then SIGKILL to whatever is left (group members and stray descendants)."""
        family: dict[int, psutil.Process] = {}
        for p in self.procs:
            try:
                root = psutil.Process(p.pid)
                family[root.pid] = root
                for child in root.children(recursive=True):
                    family[child.pid] = child
            except psutil.NoSuchProcess:
                pass
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
        _, alive = psutil.wait_procs(list(family.values()), timeout=grace)
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for proc in alive:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(alive, timeout=5)
        for p in self.procs:
            try:
                p.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._session.close()
        self._purge_redis()

    def leftover_pids(self) -> list[int]:
        """Processes of this stack still running (for the test that stop() leaves nothing)."""
        left = []
        for p in self.procs:
            try:
                os.killpg(p.pid, 0)
                left.append(p.pid)
            except (ProcessLookupError, PermissionError):
                pass
        return left

    def _purge_redis(self) -> None:
        """Remove this stack's queue from Redis (only its own keys)."""
        try:
            import redis

            r = redis.Redis.from_url(self.redis_url, socket_connect_timeout=3)
            keys = list(r.scan_iter(match=f"*{self.queue}*"))
            if keys:
                r.delete(*keys)
        except Exception:  # noqa: BLE001, S110 - best effort clean-up
            pass

    # --- REST API ----------------------------------------------------------------------------
    def token(self, refresh: bool = False) -> str:
        if self._token is None or refresh:
            r = requests.post(
                f"{self.base_url}/auth/token",
                json={"username": self.username, "password": self.password},
                timeout=60,
            )
            if r.status_code not in (200, 201):
                raise StackError(f"POST /auth/token: {r.status_code} {r.text[:300]}")
            self._token = r.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, expect: tuple[int, ...] = (200,), **kwargs) -> dict:
        url = f"{self.base_url}/api/v2/{path.lstrip('/')}"
        kwargs.setdefault("timeout", 60)
        # Reads are retried when the (busy) api-server is slow; writes are not (not idempotent).
        tries = 3 if method == "GET" else 1
        refresh = False
        for attempt in range(tries + 1):
            headers = {"Authorization": f"Bearer {self.token(refresh=refresh)}"}
            try:
                r = self._session.request(method, url, headers=headers, **kwargs)
            except (requests.Timeout, requests.ConnectionError):
                if attempt + 1 >= tries:
                    raise
                self.check_alive()
                time.sleep(2)
                continue
            if r.status_code == 401 and not refresh:
                refresh = True
                continue
            break
        if r.status_code not in expect:
            raise StackError(f"{method} {path}: {r.status_code} {r.text[:500]}")
        return r.json() if r.content else {}

    def paged(self, path: str, key: str, params: dict | None = None, page: int = 100) -> list[dict]:
        items: list[dict] = []
        offset = 0
        while True:
            data = self.api("GET", path, params={**(params or {}), "limit": page, "offset": offset})
            batch = data.get(key) or []
            items.extend(batch)
            offset += len(batch)
            if not batch or offset >= data.get("total_entries", 0):
                return items

    def wait_for_dags(self, dag_ids: set[str], timeout: float = 180) -> dict[str, dict]:
        """Wait until the dag-processor has serialised every DAG; fail on import errors."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            errors = self.paged("importErrors", "import_errors")
            if errors:
                raise StackError(
                    "DAG import errors: "
                    + "; ".join(f"{e.get('filename')}: {str(e.get('stack_trace'))[-600:]}" for e in errors)
                )
            dags = {d["dag_id"]: d for d in self.paged("dags", "dags")}
            if dag_ids <= set(dags):
                return dags
            if time.monotonic() > deadline:
                raise StackError(f"DAGs not loaded after {timeout:.0f}s: {sorted(dag_ids - set(dags))}")
            time.sleep(2)

    def unpause(self, dag_id: str) -> None:
        self.api("PATCH", f"dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, logical_date: str | None, conf: dict | None = None, run_id: str | None = None) -> str:
        body: dict = {"logical_date": logical_date, "conf": conf or {}}
        if run_id:
            body["dag_run_id"] = run_id
        return self.api("POST", f"dags/{dag_id}/dagRuns", json=body)["dag_run_id"]

    def create_backfill(self, dag_id: str, from_date: str, to_date: str, **options) -> dict:
        body = {"dag_id": dag_id, "from_date": from_date, "to_date": to_date, **options}
        return self.api("POST", "backfills", json=body)

    def dag_runs(self, dag_id: str = "~") -> list[dict]:
        return self.paged(f"dags/{dag_id}/dagRuns", "dag_runs")

    def task_instances(self, dag_id: str = "~", run_id: str = "~") -> list[dict]:
        return self.paged(f"dags/{dag_id}/dagRuns/{run_id}/taskInstances", "task_instances")

    def wait_runs(self, predicate, timeout: float, poll: float = 3.0) -> list[dict]:
        """Poll every DAG run until ``predicate(runs)`` is true; returns the runs.

        Fails early when a process dies, so a broken stack never costs the whole timeout."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            runs = self.dag_runs()
            if predicate(runs):
                return runs
            if time.monotonic() > deadline:
                summary = sorted((r["dag_id"], r["dag_run_id"], r["state"]) for r in runs)
                raise StackError(f"runs not finished after {timeout:.0f}s: {summary}\n{self.tails(15)}")
            time.sleep(poll)

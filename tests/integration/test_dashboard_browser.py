"""营商环境看板 in a real Airflow UI, driven by headless Chromium (browser tier).

Starts ``airflow api-server`` (its own AIRFLOW_HOME, a migrated SQLite metadata DB, the simple
auth manager with a known admin password, the repository's plugins) over a ``gxq_ops`` seeded with
realistic reports, supervised items, batches and notices; logs in through the UI's login page;
opens the dashboard through its navigation link (the page inside the UI's iframe) and directly at
``/gxq/``; checks the figures, the Chinese labels, a supervised item, a batch total and a failed
notice (masked); checks that an anonymous request is refused; saves screenshots under
``test-output/``. Every process started is stopped (its whole process group).

Chromium is Debian's (``apt-get install -y chromium``, done by ``scripts/setup.sh --test``), driven
by Playwright through ``executable_path``; nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from gxq.petitions import rules

from tests.dashboard import seeding

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("GXQ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = REPO / "test-output"
USERNAME, PASSWORD = "admin", "gxq-ops-Passw0rd"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env() -> dict[str, str]:
    """The test process's environment without the suite's own Airflow / gxq settings."""
    drop_prefixes = ("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_", "GXQ_", "PYTEST_")
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(drop_prefixes) and k not in ("AIRFLOW_HOME", "AIRFLOW_CONFIG")
    }


def _api_env(home, name: str, ops_conn: str, data_dir, **extra: str) -> dict[str, str]:
    """An api-server's environment over ``home`` (metadata DB, passwords file, output), serving the
    project's DAGs and plugin with ``gxq_ops`` = ``ops_conn``; ``name`` keys its secrets."""
    return _clean_env() | {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USERNAME}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__API_AUTH__JWT_SECRET": f"gxq-dashboard-{name}-test-" + "0123456789abcdef" * 4,
        "AIRFLOW__API__SECRET_KEY": f"gxq-dashboard-{name}-test-session-key",
        "AIRFLOW_CONN_GXQ_OPS": ops_conn,
        "GXQ_NO_AIRFLOW_CONNECTIONS": "1",
        "GXQ_OUTPUT_DIR": str(home / "output"),
        "GXQ_DATA_DIR": str(data_dir),
    } | extra


class ApiServer:
    """``airflow api-server`` in its own process group; ``stop()`` ends the whole group."""

    def __init__(self, home: Path, env: dict[str, str], port: int) -> None:
        self.home, self.env, self.port = home, env, port
        self.base = f"http://127.0.0.1:{port}"
        self.log = home / "api-server.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 240) -> None:
        airflow = str(Path(sys.executable).parent / "airflow")
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [airflow, "api-server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"],
                env=self.env,
                cwd=self.home,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches the uvicorn workers too
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"api-server exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if requests.get(f"{self.base}/api/v2/monitor/health", timeout=3).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise RuntimeError(f"api-server not ready after {timeout}s:\n{self.tail()}")

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, grace: float = 20) -> None:
        if self.proc is None:
            return
        try:
            pgid = os.getpgid(self.proc.pid)
        except ProcessLookupError:
            return
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            return
        # Whatever is left of the group (a uvicorn worker that ignored SIGTERM).
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=10)

    def group_alive(self) -> bool:
        try:
            os.killpg(self.proc.pid, 0)
            return True
        except ProcessLookupError:
            return False


@pytest.fixture(scope="module")
def server(airflow_db, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh --test does)")
    home = tmp_path_factory.mktemp("dash_airflow_home")
    shutil.copy(airflow_db, home / "airflow.db")  # the suite's migrated metadata DB
    (home / "passwords.json").write_text(json.dumps({USERNAME: PASSWORD}))

    ops = home / "gxq_ops.db"
    from gxq import store

    engine = sa.create_engine(f"sqlite:///{ops}", poolclass=sa.pool.NullPool)
    store.ensure_schema(engine)
    expected = seeding.seed_ops(engine)
    engine.dispose()

    env = _api_env(home, "browser", seeding.sqlite_conn_json(ops), home / "data",
                   AIRFLOW__CORE__LAZY_LOAD_PLUGINS="False", AIRFLOW__LOGGING__LOGGING_LEVEL="INFO")
    api = ApiServer(home, env, _free_port())
    try:
        api.start()
        yield api, expected
    finally:
        api.stop()
        assert not api.group_alive(), "api-server processes left behind"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _screenshot(page, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    path = SCREENSHOT_DIR / name
    page.screenshot(path=str(path), full_page=True)
    print(f"\n[dashboard] screenshot: {path}")
    return path


def _check_dashboard_text(text: str, expected: dict) -> None:
    """What the ops team must see, checked on the page's visible text."""
    for label in (
        "营商环境看板",
        "市民服务平台情况通报",
        "按时分拨率",
        "按时反馈率",
        "满意率",
        "挂牌督办事项",
        "政策兑现批次",
        "自创区重大项目月评价",
        "通知发送",
    ):
        assert label in text, label
    assert expected["period"] in text
    assert f"{expected['feedback_rate'] * 100:.1f}%" in text  # 94.5%, below the 100% target
    assert "未达标" in text
    assert "供暖" in text and "提级督办" in text  # an open supervised item, escalated
    assert "1,087,500.50" in text  # the 2021-Q1 batch total
    assert "发送失败" in text and expected["failed_subject"] in text  # the failed notice
    assert "136****0546" in text and seeding.PHONE not in text  # masked
    assert seeding.ID_NUMBER not in text


def test_anonymous_request_is_refused(server):
    api, _ = server
    assert requests.get(f"{api.base}/gxq/", timeout=30).status_code == 401
    r = requests.get(f"{api.base}/gxq/", headers={"Cookie": "_token=forged"}, timeout=30)
    assert r.status_code == 403


def test_login_open_dashboard_from_nav_and_directly(server, browser):
    api, expected = server
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    # Nothing leaves the machine: any request to another host fails the test.
    outside: list[str] = []

    def guard(route):
        if not route.request.url.startswith(api.base) and not route.request.url.startswith("data:"):
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    try:
        # The dashboard before login: the browser is told to log in, nothing is shown.
        resp = page.goto(f"{api.base}/gxq/")
        assert resp.status == 401 and "请先登录" in page.inner_text("body")

        # Log in through the UI's login page.
        page.goto(f"{api.base}/")
        page.wait_for_url(re.compile(r".*/auth/login.*"), timeout=60_000)
        page.fill("input[name=username]", USERNAME)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/auth/login" not in url, timeout=60_000)
        assert any(c["name"] == "_token" for c in context.cookies())

        # Through the UI: the navigation link opens the page inside the UI.
        link = page.locator("a[href$='plugin/gxq-dashboard']").first
        link.wait_for(timeout=60_000)
        link.click()
        page.wait_for_url(re.compile(r".*/plugin/gxq-dashboard$"), timeout=60_000)
        frame_el = page.wait_for_selector("iframe[title='营商环境看板']", timeout=60_000)
        frame = frame_el.content_frame()
        frame.wait_for_selector("#bulletin", timeout=60_000)
        assert frame.url.rstrip("/").endswith("/gxq")
        _check_dashboard_text(frame.inner_text("body"), expected)
        ui_shot = _screenshot(page, "dashboard-in-airflow-ui.png")

        # A link of the dashboard opens Airflow's own page in the UI window, not in the frame.
        frame.click("#bulletin a[data-airflow-link]")
        page.wait_for_url(re.compile(r".*/dags/petition_weekly_bulletin$"), timeout=60_000)

        # Directly, as a page of its own.
        resp = page.goto(f"{api.base}/gxq/")
        assert resp.status == 200
        text = page.inner_text("body")
        _check_dashboard_text(text, expected)
        assert "当前用户 admin" in text
        # The 8-week sparklines are there, one per figure.
        assert page.locator("#bulletin svg.spark").count() == 4
        lights = {
            el.get_attribute("data-light"): el.inner_text() for el in page.locator("[data-light]").all()
        }
        assert lights["red"].endswith("1") and lights["green"].endswith("2")
        shot = _screenshot(page, "dashboard.png")
        assert shot.stat().st_size > 20_000 and ui_shot.stat().st_size > 20_000
        assert outside == [], f"requests left the machine: {outside}"
    finally:
        context.close()


def test_logout_refuses_again(server, browser):
    """Without the UI's cookie (a new browser context), the page is refused again."""
    api, _ = server
    context = browser.new_context()
    try:
        page = context.new_page()
        resp = page.goto(f"{api.base}/gxq/api/dashboard")
        assert resp.status == 401
    finally:
        context.close()


# --- after scripts/run.sh-style seeding: the current week is filled ----------------------------


@pytest.fixture(scope="module")
def rolling_server(airflow_db, tmp_path_factory):
    """An api-server over what ``scripts/run.sh`` makes: the rolling demo data ending today and the
    bulletin and publicity runs of the current week (``dag.test``, the DAGs' own tasks)."""
    import datetime as dt

    from gxq import cadences, periods
    from gxq.connections import dispose_all
    from gxq.demo import generate, window

    now = dt.datetime.now(periods.TZ)
    home = tmp_path_factory.mktemp("rolling_airflow_home")
    shutil.copy(airflow_db, home / "airflow.db")
    (home / "passwords.json").write_text(json.dumps({USERNAME: PASSWORD}))
    data = home / "data"
    urls = {cid: f"sqlite:///{data / (cid + '.db')}" for cid in generate.CONN_IDS}
    generate.seed(urls, scale=0.2, window=window.rolling(now.date()))
    conns = {cid: seeding.sqlite_conn_json(data / f"{cid}.db") for cid in (*generate.CONN_IDS, "gxq_ops")}
    # A DagBag of its own: an in-process dag.test leaves a run's conf in the DAG's params, so the
    # session's DAGs may carry another test's period.
    from airflow.dag_processing.dagbag import DagBag

    dagbag = DagBag(dag_folder=str(REPO / "dags"))
    with pytest.MonkeyPatch.context() as mp:
        for cid, value in conns.items():
            mp.setenv(f"AIRFLOW_CONN_{cid.upper()}", value)
        mp.setenv("GXQ_OUTPUT_DIR", str(home / "output"))
        for dag_id in ("petition_weekly_bulletin", "publicity_cadence_reminder"):
            run = dagbag.dags[dag_id].test(logical_date=now)
            assert run.state == "success", dag_id
        dispose_all()

    env = _api_env(home, "rolling", conns["gxq_ops"], data)
    api = ApiServer(home, env, _free_port())
    try:
        api.start()
        yield api, cadences.covers("petition_weekly_bulletin", now)
    finally:
        api.stop()
        assert not api.group_alive(), "api-server processes left behind"


def test_current_week_is_filled_after_run_sh_style_seeding(rolling_server, browser):
    api, week = rolling_server
    token = requests.post(f"{api.base}/auth/token", json={"username": USERNAME, "password": PASSWORD},
                          timeout=30).json()["access_token"]
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.add_cookies([{"name": "_token", "value": token, "domain": "127.0.0.1", "path": "/"}])
    page = context.new_page()
    try:
        assert page.goto(f"{api.base}/gxq/").status == 200
        bulletin = page.inner_text("#bulletin")
        assert week.key in bulletin, bulletin[:300]  # the week before this one: this week's bulletin
        received = int(re.search(r"本周受理\s*([\d,]+)", bulletin).group(1).replace(",", ""))
        assert received > 0
        assert "无数据" not in bulletin
        for label in rules.METRIC_LABELS.values():  # 按时分拨率, 按时反馈率, 满意率: the labels the 看板 uses
            assert re.search(label + r"[^%]*?\d+\.\d%", bulletin), label
        publicity = page.inner_text("#publicity")
        assert re.search(r"\d{4}-W\d{2}", publicity), publicity
        _screenshot(page, "dashboard-rolling.png")
    finally:
        context.close()

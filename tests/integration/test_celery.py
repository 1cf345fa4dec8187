"""The distributed tier (分布式执行): every DAG of the project, run for real by Celery workers.

One Airflow 3.3 stack with the CeleryExecutor (see ``stack.py``) is started against the
PostgreSQL and Redis of this machine, with its own metadata database and its own ``gxq_ops``,
and the demo department databases on PostgreSQL. Through the REST API only, like an operator:

- every DAG found in ``dags/`` is unpaused and triggered once for a demo period of 2021
  (contract DAGs for the periods below; any other DAG for its first tick of March 2021);
- at the same time a backfill of three weeks of ``petition_weekly_bulletin`` is created with
  ``POST /api/v2/backfills`` (dates with ``+08:00``);
- the tier waits for every run to succeed, checks each run's ``report.json``, checks the
  backfilled weeks against counts taken straight from the department database, checks that
  task instances ran on both workers, and finally that stopping the stack leaves no process.

Run it alone with ``.venv/bin/pytest tests/integration/test_celery.py -q`` (needs PostgreSQL on
127.0.0.1:5432 and Redis on 127.0.0.1:6379). It prints its wall time and the task instances
per worker, and keeps the process logs and a summary under ``test-output/celery-tier/``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest

from tests import conftest
from tests.integration.stack import REPO, AirflowStack
from tests.notify.platform_servers import PlatformServer

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.timeout(720)]

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
REDIS_URL = os.environ.get("GXQ_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
ARTIFACTS = REPO / "test-output" / "celery-tier"
RUNS_TIMEOUT = float(os.environ.get("GXQ_TEST_CELERY_RUNS_TIMEOUT", "480"))


@dataclass(frozen=True)
class Planned:
    """One run of one DAG: its logical date (``None``: a manual run without one), conf, and the
    report it must leave (path key under ``<dag_id>/`` and the report's ``period``)."""

    logical_date: str | None
    conf: dict = field(default_factory=dict)
    report_key: str | None = None
    period: str | None = None


# 审核后报财政: a paper approval given with the run, so the batch does not wait for Required Actions.
APPROVED = {"approved_by": "王某某", "approval_ref": "高新财审〔2021〕12号"}

# The contract's DAGs, each for one demo period (docs/reference.md "DAGs, periods and reports").
CONTRACT_RUNS: dict[str, Planned] = {
    "petition_weekly_bulletin": Planned("2021-03-08T09:00:00+08:00", {}, "2021-W09", "2021-W09"),
    # no approval in the conf: waits in Required Actions, answered below through the REST API
    "policy_redemption_monthly": Planned("2021-04-05T09:00:00+08:00", {}, "2021-03", "2021-03"),
    "policy_redemption_quarterly": Planned("2021-04-10T09:00:00+08:00", APPROVED, "2021-Q1", "2021-Q1"),
    # a quarterly policy only: the monthly batch under review is not paid meanwhile by the adhoc one
    "policy_redemption_adhoc": Planned(
        None, {"period": "2021-Q1", "policy_ids": ["specialized_sme_certification"], **APPROVED}, "2021-Q1", "2021-Q1"
    ),
    "innovation_monthly_evaluation": Planned("2021-04-06T09:00:00+08:00", {}, "2021-03", "2021-03"),
    "innovation_quarterly_dispatch": Planned("2021-04-12T09:00:00+08:00", {}, "2021-Q1", "2021-Q1"),
    "publicity_cadence_reminder": Planned("2021-03-03T10:00:00+08:00", {}, "2021-W09-wed", "2021-W09"),
    "plan_task_tracking": Planned("2021-04-02T09:00:00+08:00", {}, "2021-03", "2021-03"),
    "petition_urgent_watch": Planned("2021-03-23T09:40:00+08:00", {}, "2021-03-23T0940", "2021-03-23T0940"),
    "assessment_rectification": Planned("2021-03-09T10:00:00+08:00", {}, "2021-W09", "2021-W09"),
    # on its inputs' assets (no clock): a manual run for March, its inputs partly run here
    "unit_performance_scorecard": Planned(None, {"period": "2021-03", "allow_missing": True}, "2021-03", "2021-03"),
}

# The backfill: Mondays 2021-03-15, 03-22 and 03-29, 09:00 Asia/Shanghai -> weeks W10, W11, W12.
BACKFILL_DAG = "petition_weekly_bulletin"
BACKFILL_FROM = "2021-03-15T00:00:00+08:00"
BACKFILL_TO = "2021-03-29T12:00:00+08:00"
BACKFILL_WEEKS = {  # week key -> (Monday, Sunday)
    "2021-W10": (dt.date(2021, 3, 8), dt.date(2021, 3, 14)),
    "2021-W11": (dt.date(2021, 3, 15), dt.date(2021, 3, 21)),
    "2021-W12": (dt.date(2021, 3, 22), dt.date(2021, 3, 28)),
}
TERMINAL = {"success", "failed"}

# The local 企业微信 bot every notice also goes to, and its window (the platform's 60 s, shortened).
CHAT_KEY = "tierbot"
CHAT_WINDOW = 5.0

# 审核后报财政: the monthly run waits for review and is approved with one award held; a second
# monthly run (May 2021) waits too and is rejected. Both answered through the REST API
# (scripts/approvals.py), after a browser looked at the request in the UI's Required Actions.
REVIEW_DAG = "policy_redemption_monthly"
REJECT_RUN = ("2021-06-07T09:00:00+08:00", "tier__review_reject", "2021-05")
REJECT_NOTE = "认定名单与科技局公告不一致,请核对后重新报送"

# The rerun: this DAG's demo run is cleared through the REST API once it has succeeded.
RERUN_DAG = "publicity_cadence_reminder"


def project_dags() -> dict:
    """The DAGs in dags/, parsed here (no metadata DB needed); fails on import errors."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert not bag.import_errors, f"DAG import errors: {bag.import_errors}"
    assert bag.dags, "no DAG found in dags/"
    return bag.dags


def plan_for(dag_id: str, dag) -> Planned:
    """The contract's demo run, or for any other DAG its first tick on or after 2021-03-01
    (a manual run without logical date when it has no schedule)."""
    if dag_id in CONTRACT_RUNS:
        return CONTRACT_RUNS[dag_id]
    import pendulum
    from airflow.timetables.base import TimeRestriction

    earliest = pendulum.datetime(2021, 3, 1, tz="Asia/Shanghai")  # Airflow's timetables take pendulum times
    info = dag.timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=earliest, latest=None, catchup=True),
    )
    if info is None or info.logical_date is None:
        return Planned(None)
    return Planned(info.logical_date.isoformat())


@dataclass
class Campaign:
    started: float
    plans: dict[str, Planned]
    run_ids: dict[str, str]  # dag_id -> run id of its demo run
    backfill: dict
    backfill_runs: list[dict]
    runs: dict[tuple[str, str], dict]  # (dag_id, run_id) -> run, for every run of the campaign
    task_instances: list[dict]
    elapsed: float
    rerun: dict = field(default_factory=dict)  # the cleared run: report and notices before/after
    review: dict = field(default_factory=dict)  # the review requests seen and answered


@pytest.fixture(scope="session")
def tier_clock() -> float:
    """When the tier started (requested first by ``stack``: the demo data it seeds count too)."""
    return time.monotonic()


@pytest.fixture(scope="module")
def stack(tier_clock, pg, demo_pg, tmp_path_factory):
    """The running stack; stopped (every process group) whatever happens."""
    meta_db = pg.create("celery_meta")
    ops_db = pg.create("celery_ops")  # the stack's own gxq_ops: batches and outbox of its runs only
    conns = {f"AIRFLOW_CONN_{cid.upper()}": value for cid, value in demo_pg.items()}
    conns["AIRFLOW_CONN_GXQ_OPS"] = conftest.pg_conn_json(ops_db)
    # Every notice goes to the demo files and, too, to one local 企业微信 bot (a shortened window):
    # the workers' notify tasks share that bot, and its limit must hold in total.
    chat = PlatformServer(window=CHAT_WINDOW).start()
    chat.wecom_keys.add(CHAT_KEY)
    apprise_config = tmp_path_factory.mktemp("celery-apprise") / "apprise.yml"
    demo = (REPO / "include" / "apprise" / "demo.yml").read_text(encoding="utf-8")
    bot = demo.split("urls:\n", 1)[1].replace("gxqfile://:", f"wecombot://{CHAT_KEY}:")
    apprise_config.write_text(demo.rstrip("\n") + "\n" + bot, encoding="utf-8")
    st = AirflowStack(
        workdir=tmp_path_factory.mktemp("celery-stack"),
        metadata_url=conftest.pg_url(meta_db),
        redis_url=REDIS_URL,
        extra_env={**conns, **chat.env(), "GXQ_APPRISE_CONFIG": str(apprise_config),
                   "GXQ_NOTIFY_RATE_WINDOW": str(CHAT_WINDOW)},
    )
    st.chat = chat
    st.ops_url = conftest.pg_url(ops_db)
    st.tier_started = tier_clock
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    try:
        st.begin_migrate()
        st.start_workers()  # their start-up overlaps the migration
        st.project_dags = project_dags()  # parsed here while the metadata DB migrates
        st.finish_migrate()
        st.start()
        st.wait_ready(workers=False)  # enough to trigger; the workers finish starting meanwhile
        yield st
    finally:
        st.stop()
        chat.stop()
        _keep_artifacts(st)


def _keep_artifacts(st: AirflowStack) -> None:
    """Process logs and outputs under test-output/ for a post-mortem."""
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copytree(st.logs, ARTIFACTS / "process-logs", dirs_exist_ok=True)
        if st.output_dir.exists():
            shutil.copytree(st.output_dir, ARTIFACTS / "output", dirs_exist_ok=True)
        task_logs = st.home / "logs"
        if task_logs.exists():
            shutil.copytree(task_logs, ARTIFACTS / "task-logs", dirs_exist_ok=True)
    except OSError:
        pass


@pytest.fixture(scope="module")
def campaign(stack) -> Campaign:
    st = stack
    dags = st.project_dags
    st.wait_for_dags(set(dags))
    plans = {dag_id: plan_for(dag_id, dag) for dag_id, dag in sorted(dags.items())}
    for dag_id in plans:
        st.unpause(dag_id)
    started = time.monotonic()
    run_ids = {}
    for dag_id, plan in plans.items():
        run_ids[dag_id] = st.trigger(dag_id, plan.logical_date, plan.conf, run_id=f"tier__{dag_id}")
    reject_run = st.trigger(REVIEW_DAG, REJECT_RUN[0], {}, run_id=REJECT_RUN[1])
    backfill = st.create_backfill(
        BACKFILL_DAG, BACKFILL_FROM, BACKFILL_TO, max_active_runs=3, reprocess_behavior="none"
    )
    st.wait_ready()  # every component, both workers included
    wanted = {(dag_id, run_id) for dag_id, run_id in run_ids.items()} | {(REVIEW_DAG, reject_run)}
    review: dict = {}
    approvals = _approvals_api(st)

    def review_step() -> bool:
        """Answer the two review requests once they wait; True when both are answered."""
        if REVIEW_DAG not in run_ids:
            return True
        pending = {d["task_instance"]["dag_run_id"]: d for d in approvals.pending(REVIEW_DAG)}
        approve_run = run_ids[REVIEW_DAG]
        if "approved" not in review and approve_run in pending:
            detail = pending[approve_run]
            review["approve_request"] = detail
            review["browser"] = _required_actions_in_browser(st, REVIEW_DAG, approve_run)
            review["hold"] = _first_top_award(detail["body"])
            review["approved"] = approvals.answer(
                REVIEW_DAG, approve_run, "批准(暂缓所填奖励)", hold=" | ".join(review["hold"]),
                note="其余无异议", ref="高新财审〔2021〕15号")
        if "rejected" not in review and reject_run in pending:
            review["reject_request"] = pending[reject_run]
            review["rejected"] = approvals.answer(REVIEW_DAG, reject_run, "驳回", note=REJECT_NOTE)
        return "approved" in review and "rejected" in review

    def campaign_runs(runs: list[dict]) -> list[dict]:
        return [
            r for r in runs
            if (r["dag_id"], r["dag_run_id"]) in wanted
            or (r["dag_id"] == BACKFILL_DAG and r.get("run_type") == "backfill")
        ]

    rerun: dict = {}

    def notice_files() -> list[str]:
        root = st.output_dir / "_notices"
        return sorted(str(p.relative_to(root)) for p in root.glob(f"*/{RERUN_DAG}/**/*") if p.is_file())

    def rerun_step(mine: list[dict]) -> bool:
        """Clear the RERUN_DAG run once it succeeded; True when its rerun is over (or none)."""
        if RERUN_DAG not in run_ids:
            return True
        run = next(r for r in mine if (r["dag_id"], r["dag_run_id"]) == (RERUN_DAG, run_ids[RERUN_DAG]))
        if not rerun:
            if run["state"] != "success":
                return run["state"] == "failed"
            plan = plans[RERUN_DAG]
            report = st.output_dir / RERUN_DAG / (plan.report_key or "") / "report.json"
            rerun.update(
                report_before=report.read_bytes() if report.is_file() else None,
                notices_before=notice_files(), end_before=run["end_date"], report_path=report,
            )
            rerun["cleared"] = st.api(
                "POST", f"dags/{RERUN_DAG}/clearTaskInstances",
                json={"dry_run": False, "only_failed": False, "reset_dag_runs": True, "dag_run_id": run["dag_run_id"]},
            )
            return False
        if run["state"] in TERMINAL and run["end_date"] != rerun["end_before"]:
            report = rerun["report_path"]
            rerun.update(
                state_after=run["state"], notices_after=notice_files(),
                report_after=report.read_bytes() if report.is_file() else None,
            )
            return True
        return False

    def finished(runs: list[dict]) -> bool:
        mine = campaign_runs(runs)
        backfilled = [r for r in mine if r.get("run_type") == "backfill"]
        seen = {(r["dag_id"], r["dag_run_id"]) for r in mine}
        if not wanted <= seen or len(backfilled) < len(BACKFILL_WEEKS):
            return False
        rerun_over = rerun_step(mine)
        reviewed = review_step()
        return rerun_over and reviewed and all(r["state"] in TERMINAL for r in mine)

    runs = campaign_runs(st.wait_runs(finished, timeout=RUNS_TIMEOUT))
    elapsed = time.monotonic() - started
    backfill = st.api("GET", f"backfills/{backfill['id']}")
    tis = [
        ti for ti in st.task_instances()
        if (ti["dag_id"], ti["dag_run_id"]) in {(r["dag_id"], r["dag_run_id"]) for r in runs}
    ]
    return Campaign(
        started=started,
        plans=plans,
        run_ids=run_ids,
        backfill=backfill,
        backfill_runs=[r for r in runs if r.get("run_type") == "backfill"],
        runs={(r["dag_id"], r["dag_run_id"]): r for r in runs},
        task_instances=tis,
        elapsed=elapsed,
        rerun=rerun,
        review={**review, "reject_run": reject_run},
    )


def _approvals_api(st: AirflowStack):
    """scripts/approvals.py's REST client, logged in as the stack's admin (an allowed approver)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gxq_approvals_script", REPO / "scripts" / "approvals.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Api(st.base_url, st.username, st.password)


def _first_top_award(body: str) -> tuple[str, str, str, str]:
    """The reviewer's pick: the first of the ten largest awards in the request's body, with a note."""
    table = body.split("### 金额最大的十项")[1].split("###")[0]
    row = next(line for line in table.splitlines() if line.startswith("| 1 |"))
    cells = [c.strip().strip("`") for c in row.strip("|").split("|")]
    return cells[1], cells[3], cells[4], "待核实认定证书"


def _required_actions_in_browser(st: AirflowStack, dag_id: str, run_id: str) -> dict:
    """Log in to the UI with Chromium and open the run's Required Actions: what the reviewer sees."""
    import re

    from playwright.sync_api import sync_playwright

    from tests.integration.test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS

    out: dict = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_context(viewport={"width": 1440, "height": 1100}, locale="zh-CN").new_page()
                page.goto(f"{st.base_url}/")
                page.wait_for_url(re.compile(r".*/auth/login.*"), timeout=60_000)
                page.fill("input[name=username]", st.username)
                page.fill("input[name=password]", st.password)
                page.click("button[type=submit]")
                page.wait_for_url(lambda url: "/auth/login" not in url, timeout=60_000)
                page.goto(f"{st.base_url}/dags/{dag_id}/runs/{run_id}/tasks/review/required_actions")
                page.get_by_text("金额最大的十项").first.wait_for(timeout=90_000)
                out["text"] = page.inner_text("body")
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "required-actions-review.png"), full_page=True)
                out["buttons"] = [b.inner_text() for b in page.locator("button").all()]
            finally:
                browser.close()
    except Exception as exc:  # noqa: BLE001 - reported by the test, not raised inside the campaign
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


def _failure_detail(stack: AirflowStack, campaign: Campaign, run: dict) -> str:
    bad = [
        f"{ti['task_id']}={ti['state']} (try {ti.get('try_number')}, host {ti.get('hostname')})"
        for ti in campaign.task_instances
        if ti["dag_run_id"] == run["dag_run_id"] and ti["dag_id"] == run["dag_id"]
        and ti["state"] not in ("success", "skipped")
    ]
    return f"{run['dag_id']} {run['dag_run_id']}: {run['state']}; tasks: {', '.join(bad) or '-'}"


# --- the tests ---------------------------------------------------------------------------------
def test_stack_is_celery_on_postgres_with_every_component_healthy(stack, campaign):
    health = stack.api("GET", "monitor/health")
    for component in ("metadatabase", "scheduler", "triggerer", "dag_processor"):
        assert health[component]["status"] == "healthy", health
    config_env = stack.env()
    assert config_env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert config_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert config_env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    names = sorted(p.name for p in stack.procs)
    assert names == sorted(
        ["api-server", "scheduler", "dag-processor", "triggerer", *(f"worker-{w}" for w in stack.worker_names)]
    )
    assert len({p.pid for p in stack.procs}) == len(stack.procs), "each component is its own process"


def test_every_dag_in_dags_folder_runs_successfully(stack, campaign):
    files = sorted(p.stem for p in (REPO / "dags").glob("*.py") if not p.name.startswith("_"))
    assert files, "no DAG file in dags/"
    assert set(campaign.plans), "no DAG triggered"
    failed = [
        _failure_detail(stack, campaign, campaign.runs[(dag_id, run_id)])
        for dag_id, run_id in campaign.run_ids.items()
        if campaign.runs[(dag_id, run_id)]["state"] != "success"
    ]
    assert not failed, "runs that did not succeed:\n" + "\n".join(failed)
    for dag_id, run_id in campaign.run_ids.items():
        run = campaign.runs[(dag_id, run_id)]
        plan = campaign.plans[dag_id]
        assert run["run_type"] == "manual" and run["triggered_by"] == "rest_api"
        if plan.logical_date:
            assert dt.datetime.fromisoformat(run["logical_date"]) == dt.datetime.fromisoformat(
                plan.logical_date
            )
        else:
            assert run["logical_date"] is None
        assert run["conf"] == plan.conf


def test_every_contract_dag_leaves_its_report(stack, campaign):
    checked = 0
    for dag_id, plan in campaign.plans.items():
        if not plan.report_key:
            continue
        path = stack.output_dir / dag_id / plan.report_key / "report.json"
        assert path.exists(), f"{dag_id}: no {path.relative_to(stack.output_dir)}"
        report = json.loads(path.read_text(encoding="utf-8"))
        assert report["period"] == plan.period, (dag_id, report.get("period"))
        checked += 1
    assert checked == len(set(campaign.plans) & set(CONTRACT_RUNS))


def test_tasks_ran_on_both_celery_workers(stack, campaign):
    tis = [ti for ti in campaign.task_instances if ti["state"] in ("success", "failed")]
    assert tis
    assert {ti["queue"] for ti in tis} == {stack.queue}, "every task went through the stack's Celery queue"
    per_host = Counter(ti["hostname"] for ti in tis)
    expected = {stack.worker_hostname(n) for n in stack.worker_names}
    assert set(per_host) == expected, per_host
    assert all(per_host[h] >= 1 for h in expected), per_host


def test_backfill_through_rest_api_reports_each_week(stack, campaign, demo_pg):
    backfill = campaign.backfill
    assert backfill["dag_id"] == BACKFILL_DAG
    # The scheduler stamps completed_at on its next loop after the last run ends: poll for it.
    deadline = time.monotonic() + 180
    while not backfill.get("completed_at") and time.monotonic() < deadline:
        time.sleep(3)
        backfill = stack.api("GET", f"backfills/{backfill['id']}")
    assert backfill["completed_at"], f"backfill not completed: {backfill}"
    runs = sorted(campaign.backfill_runs, key=lambda r: r["logical_date"])
    mondays = [
        dt.datetime.fromisoformat(r["logical_date"]).astimezone(SHANGHAI) for r in runs
    ]
    assert mondays == [dt.datetime(2021, 3, d, 9, tzinfo=SHANGHAI) for d in (15, 22, 29)]
    failed = [_failure_detail(stack, campaign, r) for r in runs if r["state"] != "success"]
    assert not failed, "backfill runs that did not succeed:\n" + "\n".join(failed)

    received = _received_per_week(demo_pg["dept_petitions"], ["2021-W09", *BACKFILL_WEEKS])
    previous = "2021-W09"
    for key, (monday, sunday) in BACKFILL_WEEKS.items():
        path = stack.output_dir / BACKFILL_DAG / key / "report.json"
        assert path.exists(), f"backfill left no report for {key}"
        report = json.loads(path.read_text(encoding="utf-8"))
        assert (report["period"], report["start"], report["end"]) == (key, monday.isoformat(), sunday.isoformat())
        assert report["received"] == received[key], key
        assert report["received_prev"] == received[previous], key
        previous = key


def test_rerun_through_rest_api_reproduces_the_report_and_sends_nothing_twice(stack, campaign):
    if RERUN_DAG not in campaign.plans:
        pytest.fail(f"{RERUN_DAG} is not in dags/: nothing to rerun")
    rerun = campaign.rerun
    assert rerun, f"{RERUN_DAG}'s first run did not succeed: nothing was rerun"
    cleared = rerun["cleared"]["task_instances"]
    assert cleared and {ti["dag_run_id"] for ti in cleared} == {campaign.run_ids[RERUN_DAG]}
    assert rerun["state_after"] == "success"
    tis = [ti for ti in campaign.task_instances if ti["dag_id"] == RERUN_DAG]
    assert tis and all(ti["try_number"] >= 2 for ti in tis if ti["state"] == "success"), "every task ran again"
    assert rerun["report_before"] is not None, "the first run left no report"
    assert rerun["report_after"] == rerun["report_before"], "same logical date, same data: same report"
    assert rerun["notices_before"], "the demo week is behind target: the first run sent a reminder"
    assert rerun["notices_after"] == rerun["notices_before"], "a rerun sends nothing twice"


def test_one_chat_bot_shared_by_both_workers_keeps_its_limit(stack, campaign):
    """Every notice of the campaign also went to one local 企业微信 bot: the notify tasks of both
    workers (the backfilled weeks' bulletins at once, 23 notices each) shared it. Its 20 messages
    per window held in total, nothing was refused, lost or sent twice."""
    import sqlalchemy as sa

    chat = stack.chat
    accepted = chat.accepted(CHAT_KEY)
    assert len(accepted) > 20, "the campaign's notices needed more than one window"
    assert chat.refused() == [], [(r.code, r.title) for r in chat.refused()][:5]
    assert chat.max_in_window(CHAT_KEY) <= 20
    assert chat.duplicates() == 0
    engine = sa.create_engine(stack.ops_url)
    try:
        with engine.connect() as conn:
            recorded = conn.execute(sa.text(
                "SELECT count(*) FROM gxq_notify_delivery WHERE platform = 'wecombot' AND status = 'accepted'"
            )).scalar()
            waiting = conn.execute(sa.text(
                "SELECT count(*) FROM gxq_notify_delivery WHERE platform = 'wecombot' AND status <> 'accepted'"
            )).scalar()
    finally:
        engine.dispose()
    assert (recorded, waiting) == (len(accepted), 0)  # every part the outbox planned arrived, once
    senders = Counter(ti["hostname"] for ti in campaign.task_instances
                      if ti["dag_id"] == BACKFILL_DAG and "notif" in ti["task_id"])
    print(f"[celery tier] one 企业微信 bot: {len(accepted)} messages accepted, 0 refused, max "
          f"{chat.max_in_window(CHAT_KEY)} in any {CHAT_WINDOW:g} s window, bulletin notify tasks per worker "
          f"{dict(senders)}")

def test_review_waits_in_required_actions_and_is_answered_through_the_rest_api(stack, campaign):
    """审核后报财政 on the Celery tier: the monthly batch waited in Required Actions (seen in the
    browser with its Chinese body), was approved with one award held; May's batch was rejected."""
    import sqlalchemy as sa

    review = campaign.review
    assert "approved" in review and "rejected" in review, f"review requests not answered: {sorted(review)}"
    request = review["approve_request"]
    assert request["subject"].startswith("【待审核】政策兑现月兑现批次 2021-03")
    assert "### 金额最大的十项" in request["body"] and "### 暂缓兑现名单" in request["body"]
    assert request["options"] == ["批准", "批准(暂缓所填奖励)", "驳回", "已由其他运行出具"]  # the last: the watch's, when another run issued it
    assert request["assigned_users"] == [{"id": stack.username, "name": stack.username}]  # role:admin
    browser = review["browser"]
    assert "error" not in browser, browser.get("error")
    assert "政策兑现批次待审核(月兑现 2021-03)" in browser["text"] and "金额最大的十项" in browser["text"]
    assert "批准(暂缓所填奖励)" in " ".join(browser["buttons"]) or "批准(暂缓所填奖励)" in browser["text"]
    assert review["approved"]["responded_by"]["name"] == stack.username

    runs = {run_id: r for (dag_id, run_id), r in campaign.runs.items() if dag_id == REVIEW_DAG}
    approve_run, reject_run = campaign.run_ids[REVIEW_DAG], review["reject_run"]
    assert runs[approve_run]["state"] == "success" and runs[reject_run]["state"] == "success"
    states = {(ti["dag_run_id"], ti["task_id"]): ti["state"] for ti in campaign.task_instances if ti["dag_id"] == REVIEW_DAG}
    assert states[(approve_run, "issue_batch")] == "success" and states[(approve_run, "notify")] == "success"
    assert states[(reject_run, "review")] == "success"
    assert states[(reject_run, "issue_batch")] == "skipped" and states[(reject_run, "notify")] == "skipped"

    policy_id, credit_code, basis_id, _note = review["hold"]
    held = {"policy_id": policy_id, "credit_code": credit_code, "basis_id": basis_id}
    report = json.loads((stack.output_dir / REVIEW_DAG / "2021-03" / "report.json").read_text(encoding="utf-8"))
    assert report["approval"] == {"by": stack.username, "ref": "高新财审〔2021〕15号", "via": "ui"}
    assert {**held, "reason": "held_by_review"} in report["withheld"]
    assert all((i["policy_id"], i["credit_code"], i["basis_id"]) != review["hold"][:3] for i in report["items"])
    assert report["review"]["note"] == "其余无异议" and report["review"]["holds"][0]["note"] == "待核实认定证书"
    assert not (stack.output_dir / REVIEW_DAG / REJECT_RUN[2] / "report.json").exists(), "a rejected batch reports nothing"

    ops = sa.create_engine(stack.ops_url, poolclass=sa.pool.NullPool)
    try:
        with ops.connect() as conn:
            ledger = conn.execute(sa.text(
                "SELECT policy_id, credit_code, basis_id FROM policy_payment_ledger WHERE batch_id = 'monthly-2021-03'")).all()
            batches_may = conn.execute(sa.text("SELECT count(*) FROM policy_batches WHERE batch_id = 'monthly-2021-05'")).scalar()
            reviews = {r.period_key: r for r in conn.execute(sa.text(
                "SELECT period_key, status, decided_by, via, note, open_key FROM policy_reviews WHERE dag_id = :d"),
                {"d": REVIEW_DAG})}
            outbox = conn.execute(sa.text(
                "SELECT period_key, recipient, kind, body FROM gxq_notify_outbox WHERE dag_id = :d"), {"d": REVIEW_DAG}).all()
    finally:
        ops.dispose()
    assert len(ledger) == len(report["items"]) and tuple(review["hold"][:3]) not in {tuple(r) for r in ledger}
    assert batches_may == 0, "nothing of a rejected batch is issued"
    assert (reviews["2021-03"].status, reviews["2021-03"].decided_by, reviews["2021-03"].via) == ("approved", stack.username, "ui")
    assert (reviews["2021-05"].status, reviews["2021-05"].note) == ("rejected", REJECT_NOTE)
    assert reviews["2021-03"].open_key is None and reviews["2021-05"].open_key is None
    finance = [b for period, rcpt, kind, b in outbox if period == "2021-03" and rcpt == "finance" and kind.startswith("policy_batch:")]
    assert len(finance) == 1 and "审核人" in finance[0] and stack.username in finance[0]
    told = sorted(rcpt for period, rcpt, kind, _b in outbox if period == "2021-05" and kind.startswith("policy_rejected:"))
    assert told == ["U14"]  # examples (U04 稳岗用工补贴) are not paid in acceptance runs
    assert not [k for period, _r, k, _b in outbox if period == "2021-05" and k.startswith("policy_batch:")]


def test_stopping_the_stack_leaves_no_process(stack):
    import psutil

    pids = [p.pid for p in stack.procs]
    stack.stop()
    assert stack.leftover_pids() == []
    assert not [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    import redis

    assert not list(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"*{stack.queue}*"))


def test_tier_summary(stack, campaign, capsys):
    per_host = Counter(ti["hostname"] for ti in campaign.task_instances)
    wall = time.monotonic() - stack.tier_started  # runs after the stack was stopped
    summary = {
        "tier_wall_time_s": round(wall, 1),
        "migrate_s": round(stack.timings.get("migrate", 0), 1),
        "stack_accepting_runs_s": round(stack.timings.get("accepting", 0), 1),
        "stack_ready_s": round(stack.timings.get("ready", 0), 1),
        "runs_s": round(campaign.elapsed, 1),
        "dags": sorted(campaign.plans),
        "dag_runs": len(campaign.runs),
        "task_instances": len(campaign.task_instances),
        "task_instances_per_worker": dict(sorted(per_host.items())),
        "task_states": dict(Counter(ti["state"] for ti in campaign.task_instances)),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    with capsys.disabled():
        print(
            f"\n[celery tier] wall time {summary['tier_wall_time_s']}s (migrate {summary['migrate_s']}s, "
            f"stack ready {summary['stack_ready_s']}s, runs {summary['runs_s']}s); "
            f"{summary['dag_runs']} DAG runs, {summary['task_instances']} task instances; per worker: "
            + ", ".join(f"{h}={n}" for h, n in summary["task_instances_per_worker"].items())
        )
    assert wall < 600, f"the tier must finish within 10 minutes, took {wall:.0f}s"


# --- an oracle independent of the project's code ------------------------------------------------
def _received_per_week(conn_json: str, keys: list[str]) -> dict[str, int]:
    """``received`` of the contract, counted straight from the petitions table: valid rows
    (not withdrawn, received_at set, not dispatched or fed back before receipt, satisfaction
    empty or one of the three values) received in the week."""
    import sqlalchemy as sa

    spec = json.loads(conn_json)
    engine = sa.create_engine(conftest.pg_url(spec["schema"]), poolclass=sa.pool.NullPool)
    sql = sa.text(
        """
        SELECT count(*) FROM petitions
        WHERE received_at >= :start AND received_at < :end
          AND status IS DISTINCT FROM '已撤销'
          AND (dispatched_at IS NULL OR dispatched_at >= received_at)
          AND (feedback_at IS NULL OR feedback_at >= received_at)
          AND (satisfaction IS NULL OR satisfaction = '' OR satisfaction IN ('满意', '基本满意', '不满意'))
        """
    )
    out = {}
    with engine.connect() as conn:
        for key in keys:
            year, week = int(key[:4]), int(key[6:])
            monday = dt.date.fromisocalendar(year, week, 1)
            start = dt.datetime.combine(monday, dt.time())
            out[key] = conn.execute(sql, {"start": start, "end": start + dt.timedelta(days=7)}).scalar_one()
    engine.dispose()
    return out

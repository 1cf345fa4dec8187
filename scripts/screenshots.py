"""The README's pictures: the 营商环境看板 and a weekly bulletin, from a running Airflow.

    bash scripts/run.sh &                                   # the demo, in another terminal
    .venv/bin/python scripts/screenshots.py --wait-full     # docs/img/dashboard.png, docs/img/bulletin.png
    .venv/bin/python scripts/screenshots.py --scorecard     # docs/img/scorecard.png, scorecard_unit.png,
                                                            # scorecard_assets.png (绩效考核, reference §5.8)

Logs in with the admin password that ``airflow standalone`` wrote
(``$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated``, or ``--user``/``--password``),
waits with ``--wait-full`` until every section of the 看板 has figures and the bulletin is the
current week's (printing how long that took), then drives Debian's headless Chromium
(``/usr/bin/chromium``, through Playwright, nothing downloaded) in Asia/Shanghai and zh-CN:
the 看板 page at ``/gxq/`` and the latest bulletin under ``$GXQ_OUTPUT_DIR``. With ``--scorecard``:
the latest complete 绩效考核月报, the page of the unit that lost points from the most sources, and
the scorecard's assets as the Airflow UI draws them (its DAG graph with every DAG dependency).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from gxq import cadences
from gxq.periods import TZ

CHROMIUM = os.environ.get("GXQ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
BULLETIN_DAG = "petition_weekly_bulletin"


def login(base: str, user: str | None, password: str | None, timeout: float) -> str:
    """A JWT for the API and the UI's ``_token`` cookie (waiting for Airflow to come up)."""
    passwords = Path(os.environ.get("AIRFLOW_HOME", REPO / "airflow_home")) / "simple_auth_manager_passwords.json.generated"
    deadline = time.monotonic() + timeout
    while True:
        try:
            if not user:
                user, password = next(iter(json.loads(passwords.read_text()).items()))
            r = requests.post(f"{base}/auth/token", json={"username": user, "password": password}, timeout=10)
            if r.ok:
                return r.json()["access_token"]
        except (OSError, ValueError, StopIteration, requests.RequestException):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"cannot log in to {base} (is Airflow up? {passwords})")
        time.sleep(2)


def missing(sections: dict, now: dt.datetime) -> list[str]:
    """What the 看板 still lacks: sections without figures, a bulletin or 月评价 not of the current
    week or month."""
    gaps = [name for name, s in sections.items() if name != "notices" and not (s.get("data") or s.get("rows"))]
    for section, dag_id in (("bulletin", BULLETIN_DAG), ("innovation", "innovation_monthly_evaluation")):
        data = (sections.get(section) or {}).get("data") or {}
        want = cadences.covers(dag_id, now).key
        if data and data.get("period") != want:
            gaps.append(f"{section} {data.get('period')} (want {want})")
    return gaps


def wait_full(base: str, token: str, timeout: float) -> float:
    """Seconds until every section of the 看板 has figures (the current week's bulletin among them)."""
    started = time.monotonic()
    gaps: list[str] = ["(not asked yet)"]
    while time.monotonic() - started < timeout:
        try:
            r = requests.get(f"{base}/gxq/api/dashboard", headers={"Authorization": f"Bearer {token}"}, timeout=30)
            if r.ok:
                gaps = missing(r.json()["sections"], dt.datetime.now(TZ))
                if not gaps:
                    return time.monotonic() - started
        except requests.RequestException as exc:
            gaps = [str(exc)]
        print(f"[screenshots] {time.monotonic() - started:4.0f} s: waiting for {', '.join(gaps)}", flush=True)
        time.sleep(5)
    raise SystemExit(f"the 看板 is not full after {timeout:.0f} s: {gaps}")


def latest_bulletin(output: Path) -> Path:
    pages = sorted((output / BULLETIN_DAG).glob("*/bulletin.html"))
    if not pages:
        raise SystemExit(f"no bulletin under {output / BULLETIN_DAG}: has the demo run finished?")
    return pages[-1]


def shoot(base: str, token: str, out: Path, bulletin: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    host = urlparse(base).hostname
    shots = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1360, "height": 900}, device_scale_factor=1,
                                          timezone_id="Asia/Shanghai", locale="zh-CN")
            context.add_cookies([{"name": "_token", "value": token, "domain": host, "path": "/"}])
            page = context.new_page()
            page.goto(f"{base}/gxq/", wait_until="networkidle")
            shots.append(out / "dashboard.png")
            page.screenshot(path=str(shots[-1]), full_page=True)
            page.set_viewport_size({"width": 1000, "height": 1400})
            page.goto(bulletin.resolve().as_uri(), wait_until="networkidle")
            shots.append(out / "bulletin.png")
            page.screenshot(path=str(shots[-1]), full_page=False)  # the first page: title, figures, trend
        finally:
            browser.close()
    return shots


SCORECARD_DAG = "unit_performance_scorecard"


def latest_scorecard(output: Path) -> tuple[Path, Path]:
    """The latest complete scorecard (its 月报) and the page of the unit whose points were lost in the
    most sources (then the most points)."""
    reports = [p for p in sorted((output / SCORECARD_DAG).glob("*/report.json"))
               if json.loads(p.read_text(encoding="utf-8")).get("complete")]
    if not reports:
        raise SystemExit(f"no complete scorecard under {output / SCORECARD_DAG}: has its run finished?")
    report = json.loads(reports[-1].read_text(encoding="utf-8"))
    unit = max(report["units"], key=lambda u: (len({d["source"] for d in u["deductions"]}),
                                               sum(d["points"] for d in u["deductions"])))["unit"]
    return reports[-1].parent / "scorecard.html", reports[-1].parent / "units" / f"{unit}.html"


def shoot_scorecard(base: str, token: str, out: Path, office: Path, unit: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1180, "height": 1900}, device_scale_factor=1,
                                          timezone_id="Asia/Shanghai", locale="zh-CN")
            context.add_cookies([{"name": "_token", "value": token, "domain": urlparse(base).hostname, "path": "/"}])
            page = context.new_page()
            for path, name in ((office, "scorecard.png"), (unit, "scorecard_unit.png")):
                page.goto(path.resolve().as_uri(), wait_until="networkidle")
                shots.append(out / name)
                page.screenshot(path=str(shots[-1]), full_page=name == "scorecard_unit.png")
            # the DAG's graph with every DAG dependency (the UI's own settings, kept in localStorage):
            # producers -> their report assets -> the scorecard
            page.set_viewport_size({"width": 1600, "height": 900})
            page.goto(f"{base}/dags/{SCORECARD_DAG}", wait_until="networkidle")
            page.evaluate(f"""() => {{
                localStorage.setItem('dependencies-{SCORECARD_DAG}', JSON.stringify('all'));
                localStorage.setItem('default_dag_view', JSON.stringify('graph')); }}""")
            page.goto(f"{base}/dags/{SCORECARD_DAG}", wait_until="networkidle")
            page.wait_for_timeout(8000)  # the graph's layout is computed after the data arrive
            shots.append(out / "scorecard_assets.png")
            page.screenshot(path=str(shots[-1]))
        finally:
            browser.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/screenshots.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--base-url", default=f"http://localhost:{os.environ.get('AIRFLOW__API__PORT', '8080')}")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    ap.add_argument("--output-dir", type=Path, default=Path(os.environ.get("GXQ_OUTPUT_DIR", REPO / "output")),
                    help="where the reports are (GXQ_OUTPUT_DIR)")
    ap.add_argument("--wait-full", action="store_true", help="wait until every section of the 看板 has figures")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--scorecard", action="store_true", help="the 绩效考核 pictures instead (reference §5.8)")
    args = ap.parse_args(argv)
    base = args.base_url.rstrip("/")
    token = login(base, args.user, args.password, args.timeout)
    if args.scorecard:
        for path in shoot_scorecard(base, token, args.out, *latest_scorecard(args.output_dir)):
            print(f"[screenshots] {path}")
        return 0
    if args.wait_full:
        print(f"[screenshots] 看板 full after {wait_full(base, token, args.timeout):.0f} s", flush=True)
    for path in shoot(base, token, args.out, latest_bulletin(args.output_dir)):
        print(f"[screenshots] {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

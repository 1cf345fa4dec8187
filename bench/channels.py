"""A demo year of every DAG's notices through local 企业微信 bots with the platforms' real window.

    .venv/bin/python -m bench.channels                  # collect the year, then both layouts at once
    .venv/bin/python -m bench.channels --collect-only   # only the year's notices (a few minutes)
    .venv/bin/python -m bench.channels --window 6       # a shortened window (a quick rehearsal)

1. **collect**: the scale-1 demo department data (SQLite, under ``$GXQBENCH_WORK/channels``), then
   every DAG's steps in-process for every 2021 period as dry runs (the bulletin's 52 weeks, the
   policy batches of the year, the innovation evaluations and dispatches, the publicity
   reminders Wednesday and Friday): the outbox records each rendered notice without sending.
   The notices are kept in ``year-notices.json``.
2. **send**: the notices, period by period in the year's order, through the outbox to a local
   server that behaves like 企业微信 (tests/notify/platform_servers.py: 2,048/4,096 bytes, 20
   messages per 60 s per key, HTTP 200 + errcode), each layout with its own fresh ``gxq_ops``:
   ``one bot`` (every tag on one key) and ``bot per unit`` (one key per tag). Both layouts run at
   the same time, in two processes, each against its own server.

Figures per layout: messages (parts) sent and accepted, wall time against the floor
⌈messages of the busiest bot / 20⌉ windows, messages refused as too fast and sent again, lost
(expected parts that never arrived: must be 0), doubled (parts accepted twice: must be 0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import time
from collections import Counter

from bench import common

WORK = common.WORK / "channels"
NOTICES = WORK / "year-notices.json"
YEAR = 2021


def log(msg: str) -> None:
    print(f"[channels {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _env_for(name: str) -> dict[str, str]:
    folder = WORK / name
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "GXQ_NO_AIRFLOW_CONNECTIONS": "1",
        "GXQ_DATA_DIR": str(WORK / "data"),
        "GXQ_OUTPUT_DIR": str(folder / "output"),
        "AIRFLOW_CONN_GXQ_OPS": json.dumps({"conn_type": "sqlite", "host": str(folder / "gxq_ops.db")}),
    }


# --- 1. collect ------------------------------------------------------------------------------


def collect() -> list[dict]:
    """Run every DAG's steps for every period of the year as dry runs; return the notices."""
    import shutil

    shutil.rmtree(WORK / "collect", ignore_errors=True)
    os.environ.update(_env_for("collect"))
    os.environ.pop("GXQ_APPRISE_CONFIG", None)
    if not (WORK / "data" / "dept_petitions.db").exists():
        log("generating the scale-1 demo department data")
        subprocess.run([common.PYTHON, "-m", "gxq.demo.generate", "--demo-year", "--data-dir", str(WORK / "data")],
                       check=True, env=common.base_env(GXQ_DATA_DIR=str(WORK / "data")))

    from gxq import periods
    from gxq.innovation import pipeline as innovation
    from gxq.petitions import pipeline as petitions
    from gxq.policy import pipeline as policy
    from gxq.publicity import pipeline as publicity

    failures: list[str] = []

    def attempt(label: str, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - one period's failure is reported, the year goes on
            failures.append(f"{label}: {type(exc).__name__}: {exc}"[:300])

    weeks = sorted({dt.date(YEAR, 1, 4) + dt.timedelta(weeks=i) for i in range(52)})
    for day in weeks:
        iso = day.isocalendar()
        attempt(f"bulletin {iso[0]}-W{iso[1]:02d}", lambda k=f"{iso[0]}-W{iso[1]:02d}": petitions.run_week(k, dry_run=True))
    log(f"bulletin: 52 weeks ({len(failures)} failed so far)")
    for dag_id, period_key in policy.year_periods(YEAR):
        attempt(f"{dag_id} {period_key}", lambda d=dag_id, p=period_key: policy.run(d, p, dry_run=True))
    log(f"policy batches done ({len(failures)} failed so far)")
    for m in range(1, 13):
        attempt(f"innovation {YEAR}-{m:02d}", lambda k=f"{YEAR}-{m:02d}": innovation.run("monthly", k, dry_run=True))
    for q in range(1, 5):
        attempt(f"dispatch {YEAR}-Q{q}", lambda k=f"{YEAR}-Q{q}": innovation.run("quarterly", k, dry_run=True))
    log(f"innovation done ({len(failures)} failed so far)")
    day = dt.date(YEAR, 1, 1)
    while day.year == YEAR:
        if day.weekday() in (2, 4):  # Wednesday, Friday at 16:00
            as_of = f"{day.isoformat()}T16:00:00+08:00"

            def reminder(as_of=as_of):
                run = publicity.resolve({"params": {"as_of": as_of}})
                report = publicity.publish(run, publicity.count(run))
                publicity.notify(report, dry_run=True)

            attempt(f"publicity {day}", reminder)
        day += dt.timedelta(days=1)
    log(f"publicity done ({len(failures)} failed)")
    for f in failures[:20]:
        log(f"  not collected: {f}")

    from gxq import store
    from gxq.notify.outbox import rows

    notices = [
        {k: r[k] for k in ("dag_id", "period_key", "recipient", "kind", "subject", "body", "body_format", "link")}
        | {"created_at": str(r["created_at"])}
        for r in rows(store.ops_engine())
        if r["status"] == "dry_run"
    ]
    WORK.mkdir(parents=True, exist_ok=True)
    NOTICES.write_text(json.dumps({"notices": notices, "failures": failures}, ensure_ascii=False), encoding="utf-8")
    by_dag = Counter(n["dag_id"] for n in notices)
    log(f"{len(notices)} notices of the year: {dict(by_dag)}; {len(failures)} period(s) failed")
    _ = periods  # imported so a broken periods module fails here, not halfway through
    return notices


# --- 2. send -----------------------------------------------------------------------------------


def period_start(period_key: str) -> dt.date:
    """The first day of a period key (``2021-W09``, ``2021-W09-wed``, ``2021-03``, ``2021-Q1``,
    ``calendar-2022``): the year's notices are sent in the order of their periods."""
    import re

    if m := re.match(r"^(\d{4})-W(\d{2})", period_key):
        return dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
    if m := re.match(r"^(\d{4})-Q(\d)", period_key):
        return dt.date(int(m[1]), 3 * int(m[2]) - 2, 1)
    if m := re.match(r"^(\d{4})-(\d{2})", period_key):
        return dt.date(int(m[1]), int(m[2]), 1)
    return dt.date(YEAR, 12, 31)


def send(layout: str, window: float, until: dt.date | None = None) -> dict:
    """Deliver the collected year (periods starting up to ``until``) through a local 企业微信
    server; returns the figures."""
    import shutil

    sys.path.insert(0, str(common.REPO))
    from tests.notify.platform_servers import PlatformServer

    name = f"send-{layout}"
    shutil.rmtree(WORK / name, ignore_errors=True)
    os.environ.update(_env_for(name))
    os.environ["GXQ_NOTIFY_RATE_WINDOW"] = str(window)
    data = json.loads(NOTICES.read_text(encoding="utf-8"))["notices"]
    if until:
        data = [n for n in data if period_start(n["period_key"]) <= until]
    tags = sorted({n["recipient"] for n in data} | {"ops"})
    key = {t: ("allunits" if layout == "one-bot" else f"bot{i:03d}") for i, t in enumerate(tags)}
    server = PlatformServer(window=window).start()
    server.wecom_keys.update(key.values())
    os.environ.update(server.env())
    config = WORK / name / "apprise.yml"
    lines = ["version: 1", "urls:"]
    for k in sorted(set(key.values())):
        lines += [f"  - wecombot://{k}:", f"      - tag: {', '.join(t for t in tags if key[t] == k)}"]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.environ["GXQ_APPRISE_CONFIG"] = str(config)

    from gxq import store
    from gxq.notify import DeliveryFailed, Notice, deliver
    from gxq.notify import channels as ch
    from gxq.notify.outbox import deliveries

    engine = store.ops_engine()
    groups: dict[tuple[str, str], list[dict]] = {}
    for n in sorted(data, key=lambda n: (period_start(n["period_key"]), n["created_at"])):
        groups.setdefault((n["dag_id"], n["period_key"]), []).append(n)
    expected: Counter = Counter()  # parts that must arrive, per bot
    apobj = ch.load()
    failed = 0
    started = time.monotonic()
    for (dag_id, period_key), group in groups.items():
        notices = [Notice(n["recipient"], n["kind"], n["subject"], n["body"], [], n["link"], n["body_format"])
                   for n in group]
        for n in notices:
            servers, _ = ch.routes(apobj, n.recipient)
            for s in servers:
                expected[key[n.recipient]] += len(ch.compose(s, n, []))
        try:
            deliver(dag_id, period_key, notices, report_unrouted=False)
        except DeliveryFailed as exc:
            failed += 1
            log(f"{layout}: {exc}"[:300])
    wall = time.monotonic() - started
    server.stop()
    rows = deliveries(engine)
    accepted = server.accepted()
    per_bot = Counter(r.bot for r in accepted)
    busiest = max(expected.values())
    floor = math.ceil(busiest / 20) * window
    # The floor counts windows: n messages need ceil(n/20) windows, the last one starting at
    # (ceil(n/20) - 1) windows; the time of a last, partly filled window is not waited.
    result = {
        "layout": layout,
        "until": str(until or f"{YEAR}-12-31"),
        "bots": len(set(key.values())),
        "notices": len(data),
        "messages_expected": sum(expected.values()),
        "requests": len(server.requests),
        "accepted": len(accepted),
        "refused_too_fast": len(server.refused(45009)),
        "refused_then_accepted": sum(1 for d in rows if d["too_fast"] and d["status"] == "accepted"),
        "refused_other": len([r for r in server.refused() if r.code != 45009]),
        "lost": sum(max(0, expected[b] - per_bot[b]) for b in expected),
        "doubled": server.duplicates(),
        "max_in_window": max(server.max_in_window(b) for b in per_bot) if per_bot else 0,
        "busiest_bot_messages": busiest,
        "wall_seconds": round(wall, 1),
        "floor_seconds": floor,
        "window_seconds": window,
        "deliveries_failed": failed,
    }
    (WORK / f"result-{layout}.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--collect-only", action="store_true")
    ap.add_argument("--skip-collect", action="store_true", help="reuse year-notices.json")
    ap.add_argument("--window", type=float, default=60.0, help="the platforms' window in seconds (60)")
    ap.add_argument("--until", type=dt.date.fromisoformat,
                    help="only periods starting up to this day (e.g. 2021-03-31: the first quarter)")
    ap.add_argument("--layout", choices=("one-bot", "per-unit"), help="one layout only, in this process")
    args = ap.parse_args(argv)
    if args.layout:
        print(json.dumps(send(args.layout, args.window, args.until)), flush=True)
        return 0
    if not args.skip_collect or not NOTICES.exists():
        env = common.base_env()
        subprocess.run([common.PYTHON, "-c", "from bench.channels import collect; collect()"], check=True,
                       env=env, cwd=common.REPO)
    if args.collect_only:
        return 0
    env = common.base_env()
    until = ["--until", args.until.isoformat()] if args.until else []
    procs = {layout: subprocess.Popen([common.PYTHON, "-m", "bench.channels", "--layout", layout,
                                       "--window", str(args.window), *until], env=env, cwd=common.REPO,
                                      stdout=subprocess.PIPE, text=True)
             for layout in ("one-bot", "per-unit")}
    results = {}
    for layout, p in procs.items():
        out, _ = p.communicate()
        if p.returncode != 0:
            log(f"{layout} failed ({p.returncode})")
            continue
        results[layout] = json.loads(out.strip().splitlines()[-1])
    for r in results.values():
        log(json.dumps(r, ensure_ascii=False))
    return 0 if all(r["lost"] == 0 and r["doubled"] == 0 for r in results.values()) and len(results) == 2 else 1


if __name__ == "__main__":
    sys.exit(main())

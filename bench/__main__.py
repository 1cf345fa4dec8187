"""``.venv/bin/python -m bench`` (or ``bash bench/run.sh``): build the data, run every benchmark
several times, each run in a fresh process, and print the table (median, min, max, peak RSS,
ratio to the baseline measured in the same run). See docs/benchmarks.md.

    .venv/bin/python -m bench                      # everything (data built or reused)
    .venv/bin/python -m bench --sizes 1,5 --repeat 5 --skip year
    .venv/bin/python -m bench --only parse --repeat 10
    .venv/bin/python -m bench --only start          # each task's own start (imports beyond airflow.sdk)
    .venv/bin/python -m bench --drop               # drop every gxqbench_* database and exit
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

from bench import common

sys.path.insert(0, str(common.PLUGINS))
from gxq.progress import Progress

GROUPS = ("petitions", "policy", "innovation", "parse", "start", "year")


@dataclass
class Series:
    name: str
    seconds: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    rows: object = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def run_measured(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS kB of that process, stdout) of one fresh process, reaped with
    os.wait4 so the RSS is this process's own (RUSAGE_CHILDREN would give the maximum over all)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=common.REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    run_measured.cpu = usage.ru_utime + usage.ru_stime  # CPU seconds of that process (parse times)
    return wall, usage.ru_maxrss, out


def measure(name: str, subject: str, db: str, env: dict[str, str], series: dict[str, Series]) -> None:
    _wall, rss, out = run_measured([common.PYTHON, "-m", "bench.measure", subject, db], env)
    result = json.loads(out.strip().splitlines()[-1])
    s = series.setdefault(name, Series(name))
    s.seconds.append(result["seconds"])
    s.rss_kb.append(rss)
    s.rows = result["rows"]


def dept_env(**conns: str) -> dict[str, str]:
    env = common.base_env()
    for conn_id, db in conns.items():
        env[f"AIRFLOW_CONN_{conn_id.upper()}"] = common.conn_json(db)
    return env


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- the benchmark groups ------------------------------------------------------------------------

def bench_petitions(sizes: list[int], repeat: int, rows: list[dict]) -> None:
    from bench import data

    demo_pub = f"{common.DEMO_PREFIX}dept_publicity"
    # The bulletin keeps per-unit, per-day counts in gxq_ops (YTD, trend and ranking are sums of
    # them): its own PostgreSQL store, empty at the start; the first compute_all of each size fills
    # the days before the week (measured once, its own row), the repeats measure the steady state.
    ops_db = f"{common.DB_PREFIX}ops_petitions"
    common.drop_database(ops_db)
    common.admin_exec(f'CREATE DATABASE "{ops_db}"')
    for millions in sizes:
        db = data.build_petitions(millions)
        conns = {"dept_petitions": db, "gxq_ops": ops_db}
        if demo_pub in common.databases():  # the bulletin's publicity line reads dept_publicity
            conns["dept_publicity"] = demo_pub
        env = dept_env(**conns)
        n = data.count(db, "petitions")
        series: dict[str, Series] = {}
        log(f"petitions {millions}M ({n:,} rows): {repeat} runs each")
        measure("warm-up", "petitions_baseline", db, env, {})
        measure("first", "petitions_compute_all", db, env, series)
        with Progress(f"petitions {millions}M", total=repeat, unit="runs") as bar:
            for _ in range(repeat):
                measure("baseline", "petitions_baseline", db, env, series)
                measure("statement", "petitions_statement", db, env, series)
                measure("compute_week", "petitions_compute_week", db, env, series)
                measure("compute_all", "petitions_compute_all", db, env, series)
                bar.update()
        base = series["baseline"]
        label = f"{n / 1e6:.1f}M rows"
        rows.append(row(f"petitions baseline COPY week {common.WEEK} ({base.rows:,} rows)", label, base, None, None))
        # what the database alone costs of the report: its goal's floor in this design (docs/benchmarks.md)
        rows.append(row("  week.sql alone, by COPY (no Python)", label, series["statement"], base, None))
        rows.append(row("bulletin contract report (compute.compute_week)", label, series["compute_week"], base, 1.5))
        # the task does more than the report (the year's days kept in gxq_ops, the windows): its goal is 2x
        rows.append(row("bulletin compute task (pipeline.compute_all: + YTD, 8-week trend, ranking)", label,
                        series["compute_all"], base, 2.0))
        rows.append(row("  the same, first run on an empty gxq_ops (counts the year's days once)", label,
                        series["first"], base, None))


def bench_policy(repeat: int, rows: list[dict]) -> None:
    from bench import data

    db = data.build_policy()
    env = dept_env(dept_policy=db)
    n = data.count(db, "enterprises")
    series: dict[str, Series] = {}
    log(f"policy ({n:,} enterprises): {repeat} runs each")
    measure("warm-up", "policy_baseline", db, env, {})
    with Progress("policy", total=repeat, unit="runs") as bar:
        for _ in range(repeat):
            measure("baseline", "policy_baseline", db, env, series)
            measure("statements", "policy_statements", db, env, series)
            measure("evaluate", "policy_evaluate", db, env, series)
            bar.update()
    base = series["baseline"]
    label = f"{n:,} enterprises"
    rows.append(row(f"policy baseline COPY 4 tables ({base.rows:,} rows)", label, base, None, None))
    # what the database alone costs of the evaluation: its goal's floor in this design (docs/benchmarks.md)
    rows.append(row(f"  the evaluation's {series['statements'].rows:,} rows alone, by COPY (no Python)", label,
                    series["statements"], base, None))
    rows.append(row(f"policy eligibility, every policy, {common.QUARTER} ({series['evaluate'].rows:,} candidates)",
                    label, series["evaluate"], base, 2.0, limit=10.0))


def bench_innovation(repeat: int, rows: list[dict]) -> None:
    from bench import data

    db = data.build_innovation()
    env = dept_env(dept_innovation=db)
    series: dict[str, Series] = {}
    log(f"innovation: {repeat} runs each")
    measure("warm-up", "innovation_baseline", db, env, {})
    with Progress("innovation", total=repeat, unit="runs") as bar:
        for _ in range(repeat):
            measure("baseline", "innovation_baseline", db, env, series)
            measure("monthly", "innovation_monthly", db, env, series)
            bar.update()
    base = series["baseline"]
    label = f"{common.INNOVATION_PROJECTS:,} projects, {common.INNOVATION_INDICATORS} indicators"
    rows.append(row(f"innovation baseline COPY month {common.MONTH} ({base.rows:,} rows)", label, base, None, None))
    rows.append(row(f"monthly evaluation {common.MONTH} (pipeline.evaluate)", label, series["monthly"], base, 5.0))


def bench_parse(repeat: int, rows: list[dict]) -> None:
    """Two measures of each DAG file. The goal's: what the file imports beyond a minimal TaskFlow
    DAG (``bench.importtime``: ``python -X importtime``, the self time of the modules only the file
    imports), in ms. For information: the CPU seconds of parsing the file in a fresh process
    against ``import airflow.sdk``, which on this 2-core machine swing by more than the 50 ms goal
    (one ``import airflow.sdk`` takes 2-3 s of CPU), so they carry no goal."""
    from bench import importtime

    home = common.WORK / "parse_airflow_home"
    home.mkdir(parents=True, exist_ok=True)
    env = common.base_env(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False",
                          AIRFLOW__CORE__DAGS_FOLDER=str(common.REPO / "dags"),
                          AIRFLOW__CORE__PLUGINS_FOLDER=str(common.PLUGINS))
    files = sorted((common.REPO / "dags").glob("*.py"))
    series: dict[str, Series] = {}
    imported: dict[str, Series] = {}
    log(f"parse: {len(files)} DAG files, {repeat} runs each")
    run_measured([common.PYTHON, "-c", "import airflow.sdk"], env)  # warm the page cache
    for _ in range(repeat):
        _wall, rss, _ = run_measured([common.PYTHON, "-c", "import airflow.sdk"], env)
        s = series.setdefault("baseline", Series("baseline"))
        s.seconds.append(run_measured.cpu)
        s.rss_kb.append(rss)
        base = importtime.imports(["-c", importtime.MINIMAL_DAG])
        for f in files:
            rel = str(f.relative_to(common.REPO))
            _wall, rss, _ = run_measured([common.PYTHON, rel], env)
            s = series.setdefault(f.name, Series(f.name))
            s.seconds.append(run_measured.cpu)
            s.rss_kb.append(rss)
            _n, total_ms, _own = importtime.extra(rel, base)
            i = imported.setdefault(f.name, Series(f.name))
            i.seconds.append(total_ms / 1000)
            i.rss_kb.append(rss)
    for f in files:
        i = imported[f.name]
        ok = i.median * 1000 <= 50
        rows.append({"name": f"parse dags/{f.name}: imports beyond a minimal TaskFlow DAG (python -X importtime, s)",
                     "size": "", "n": len(i.seconds), "median": i.median, "min": min(i.seconds),
                     "max": max(i.seconds), "rss_mb": None, "ratio": None,
                     "goal": f"<= 50 ms ({i.median * 1000:.0f} ms)", "ok": ok})
    base = series["baseline"]
    rows.append(row('baseline: python -c "import airflow.sdk" (CPU s)', "", base, None, None))
    for f in files:
        rows.append(row(f"parse dags/{f.name} (CPU s, for information)", "", series[f.name], base, None))


def bench_start(repeat: int, rows: list[dict]) -> None:
    """A task's own start (issue 24): for every task of every DAG in dags/, what its callable
    imports when the task starts (its capability's ``gxq.<area>.pipeline`` for a step of the step
    contract, else what the callable's body imports; ``bench.importtime.task_starts``), measured as
    the self time of the modules that import adds to ``import airflow.sdk`` under
    ``python -X importtime``, in fresh processes, median of the runs. Goal: <= 0.2 s each. Tasks
    importing the same modules share one measure."""
    from bench import importtime

    (common.WORK / "parse_airflow_home").mkdir(parents=True, exist_ok=True)
    tasks = importtime.task_starts()
    distinct = list(dict.fromkeys(tuple(t["modules"]) for t in tasks))
    log(f"task start: {len(tasks)} tasks of {len({t['dag_id'] for t in tasks})} DAGs, "
        f"{len(distinct)} distinct imports, {repeat} runs each")
    measured: dict[tuple[str, ...], Series] = {}
    with Progress("task start", total=repeat, unit="runs") as bar:
        for _ in range(repeat):
            sdk = importtime.imports(["-c", "import airflow.sdk"])
            for modules in distinct:
                _n, total_ms, _top = importtime.task_extra(list(modules), sdk)
                measured.setdefault(modules, Series(", ".join(modules))).seconds.append(total_ms / 1000)
            bar.update()
    for t in tasks:
        s = measured[tuple(t["modules"])]
        rows.append({"name": f"task start {t['dag_id']}.{t['task_id']}: import {', '.join(t['modules'])} "
                             "beyond airflow.sdk (python -X importtime, s)",
                     "size": "", "n": len(s.seconds), "median": s.median, "min": min(s.seconds),
                     "max": max(s.seconds), "rss_mb": None, "ratio": None,
                     "goal": f"<= 200 ms ({s.median * 1000:.0f} ms)",
                     "ok": s.median * 1000 <= importtime.TASK_GOAL_MS})


def bench_year(rows: list[dict]) -> None:
    from bench import year

    result = year.run()
    rows.append({"name": "year of every DAG: sum of task durations (REST API)", "size": result["label"],
                 "n": 1, "median": result["task_seconds"], "min": result["task_seconds"], "max": result["task_seconds"],
                 "rss_mb": None, "ratio": None, "goal": "", "ok": None})
    floor = result.get("floor")
    if floor:
        rows.append({"name": "engine floor: the same number of no-op tasks, same backfill and executor, wall",
                     "size": floor["label"], "n": 1, "median": floor["wall_seconds"], "min": floor["wall_seconds"],
                     "max": floor["wall_seconds"], "rss_mb": None, "ratio": None, "goal": "", "ok": None})
    ok = result["wall_seconds"] <= 600 and result["failed"] == 0
    rows.append({"name": "year of every DAG: airflow backfill create, LocalExecutor, wall", "size": result["label"],
                 "n": 1, "median": result["wall_seconds"], "min": result["wall_seconds"], "max": result["wall_seconds"],
                 "rss_mb": result.get("rss_mb"), "ratio": result["wall_seconds"] / max(result["task_seconds"], 1e-9),
                 "goal": "<= 600 s wall", "ok": ok})


# --- the table -----------------------------------------------------------------------------------

def row(name: str, size: str, s: Series, base: Series | None, goal: float | None, limit: float | None = None,
        above_ms: float | None = None) -> dict:
    out = {"name": name, "size": size, "n": len(s.seconds), "median": s.median, "min": min(s.seconds),
           "max": max(s.seconds), "rss_mb": max(s.rss_kb) / 1024, "ratio": None, "goal": "", "ok": None}
    if base is not None:
        out["ratio"] = s.median / base.median
    if goal is not None:
        out["goal"] = f"<= {goal:g}x" + (f", <= {limit:g} s" if limit else "")
        out["ok"] = out["ratio"] <= goal and (limit is None or s.median <= limit)
    if above_ms is not None:
        above = (s.median - base.median) * 1000
        out["goal"] = f"<= +{above_ms:g} ms (+{above:.0f} ms)"
        out["ok"] = above <= above_ms
    return out


def render(rows: list[dict]) -> str:
    head = "| benchmark | data | n | median s | min s | max s | peak RSS MB | ratio | goal | met |"
    lines = [head, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in rows:
        rss = "" if r["rss_mb"] is None else f"{r['rss_mb']:.0f}"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        ok = "" if r["ok"] is None else ("yes" if r["ok"] else "**no**")
        lines.append(f"| {r['name']} | {r['size']} | {r['n']} | {r['median']:.3f} | {r['min']:.3f} | {r['max']:.3f} "
                     f"| {rss} | {ratio} | {r['goal']} | {ok} |")
    return "\n".join(lines)


def machine() -> str:
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    conn = common.psycopg_connect("postgres")
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            pg = cur.fetchone()[0]
    finally:
        conn.close()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; nproc {os.cpu_count()}; "
            f"memory {mem_kb / 1024 / 1024:.1f} GiB; PostgreSQL {pg}; Python {platform.python_version()}; "
            f"load average {load}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,5,26", help="petition table sizes in million rows (default 1,5,26)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each benchmark (default 5)")
    parser.add_argument("--only", action="append", choices=GROUPS, help="run only this group (repeatable)")
    parser.add_argument("--skip", action="append", choices=GROUPS, default=[], help="skip this group (repeatable)")
    parser.add_argument("--drop", action="store_true", help="drop every gxqbench_* database and exit")
    args = parser.parse_args(argv)
    if args.drop:
        for db in sorted(d for d in common.databases() if d.startswith(common.DB_PREFIX)):
            log(f"drop {db}")
            common.drop_database(db)
        return 0
    groups = [g for g in (args.only or GROUPS) if g not in args.skip]
    common.WORK.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    rows: list[dict] = []
    started = machine()
    try:
        if "year" in groups or "petitions" in groups:
            from bench import data

            data.build_demo()
        if "petitions" in groups:
            bench_petitions(sizes, args.repeat, rows)
        if "policy" in groups:
            bench_policy(args.repeat, rows)
        if "innovation" in groups:
            bench_innovation(args.repeat, rows)
        if "parse" in groups:
            bench_parse(max(args.repeat, 5), rows)
        if "start" in groups:
            bench_start(max(args.repeat, 5), rows)
        if "year" in groups:
            bench_year(rows)
    finally:
        if rows:
            table = render(rows)
            text = f"Machine at start: {started}\nMachine at end:   {machine()}\n\n{table}\n"
            print("\n" + text)
            out = common.WORK / f"results-{time.strftime('%Y%m%dT%H%M%S')}.md"
            out.write_text(text, encoding="utf-8")
            (out.with_suffix(".json")).write_text(json.dumps(rows, indent=1), encoding="utf-8")
            log(f"table written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

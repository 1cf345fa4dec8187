"""突增 (surges) on the demo year: the bulletin's surge test, week after week, with and without
injected bursts. For engineers tuning or checking the rule; the bulletin itself never runs this.

- ``year``: the demo department data (``gxq.demo``) in a SQLite file, counted into a scratch
  ``gxq_ops`` by the bulletin's own statements (``gxq.petitions.daily``), and the surges of every
  week computed as the bulletin computes them (``pipeline.week_surges`` on the stored counts).
- ``backtest``: the same after a 3× burst of one quiet topic in 10 weeks drawn with a fixed seed
  (each burst week's complaints of that topic copied twice in the department data). A burst is
  *detected* when that topic surges in its week; a *false alarm* is that topic surging in one of
  the other weeks. Alarms of the other topics (the demo's seasons: 供暖 in November, 暴雨积水 in
  July) are counted too, on the data without bursts.

The weeks are the 52 whose 8-week baseline lies inside the demo data (its first week starts on a
Tuesday, so the first full baseline week is the one after).

    PYTHONPATH=plugins .venv/bin/python -m gxq.petitions.backtest            # detection, false alarms
    PYTHONPATH=plugins .venv/bin/python -m gxq.petitions.backtest surges     # those weeks' surges
    PYTHONPATH=plugins .venv/bin/python -m gxq.petitions.backtest surges --year 2021   # 2021-W01 … W52
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
from pathlib import Path

import sqlalchemy as sa

from gxq import periods, store
from gxq.demo import generate
from gxq.demo import petitions as demo
from gxq.petitions import daily, pipeline, rules

QUIET_TOPIC = "营商环境"  # the office's own topic: ~3.5 complaints a week at scale 1, flat all year
BURSTS = 10
BURST_FACTOR = 3
SEED = 16  # the number: any fixed seed; the draw is part of the result
YEAR_WEEKS = 52


def backtest_weeks(first_day: dt.date | None = None, last_day: dt.date | None = None) -> list[periods.Period]:
    """The ``YEAR_WEEKS`` weeks from the first one whose baseline weeks are all whole weeks of the
    demo data (``gxq.demo.petitions.FIRST_DAY`` … ``LAST_DAY``)."""
    first_day = first_day or demo.FIRST_DAY
    last_day = last_day or demo.LAST_DAY
    week = periods.week_containing(first_day)
    if week.first_day < first_day:
        week = week.next()
    for _ in range(rules.SURGE_BASELINE_WEEKS):
        week = week.next()
    weeks = [week]
    while len(weeks) < YEAR_WEEKS:
        weeks.append(weeks[-1].next())
    if weeks[-1].last_day > last_day:
        raise ValueError(f"the demo data ({first_day} … {last_day}) holds fewer than {YEAR_WEEKS} weeks with a baseline")
    return weeks


def iso_year_weeks(year: int) -> list[periods.Period]:
    """Every ISO week of ``year`` (52 or 53)."""
    week = periods.parse_key(f"{year}-W01", ("week",))
    weeks = []
    while week.key.startswith(f"{year}-"):
        weeks.append(week)
        week = week.next()
    return weeks


def seed_demo(folder: Path, scale: float = 1.0) -> str:
    """The demo ``dept_petitions`` as a SQLite file in ``folder``; returns its URL."""
    url = f"sqlite:///{folder / 'dept_petitions.db'}"
    generate.seed_one("dept_petitions", url, scale=scale)
    return url


def inject_bursts(engine, topic: str, weeks: list[periods.Period], factor: int = BURST_FACTOR) -> dict[str, int]:
    """Copy each complaint of ``topic`` received in each of ``weeks`` ``factor - 1`` times (new ids,
    same fields and units), so that the week has ``factor`` × its complaints of that topic.
    Returns the rows added per week."""
    added = {}
    with engine.begin() as conn:
        for w in weeks:
            window = {"topic": topic, "start": w.start.isoformat(" "), "end": w.end.isoformat(" ")}
            ids = [r[0] for r in conn.execute(sa.text(
                "SELECT petition_id FROM petitions WHERE topic = :topic AND kind = '投诉'"
                " AND received_at >= :start AND received_at < :end"), window)]
            for copy in range(1, factor):
                prefix = f"B{copy}"
                conn.execute(sa.text(
                    "INSERT INTO petitions SELECT :prefix || petition_id, received_at, channel, kind, topic, street,"
                    " is_urgent, citizen_name, citizen_phone, content, dispatch_due_at, dispatched_at, feedback_due_at,"
                    " feedback_at, closed_at, status, satisfaction, revisited_at FROM petitions"
                    " WHERE topic = :topic AND kind = '投诉' AND received_at >= :start AND received_at < :end"
                    " AND petition_id NOT LIKE 'B%'"), {**window, "prefix": prefix})
                conn.execute(sa.text(
                    "INSERT INTO petition_units SELECT :prefix || pu.petition_id, pu.unit_code, pu.role"
                    " FROM petition_units pu JOIN petitions p ON p.petition_id = pu.petition_id"
                    " WHERE p.topic = :topic AND p.kind = '投诉' AND p.received_at >= :start AND p.received_at < :end"
                    " AND p.petition_id NOT LIKE 'B%'"), {**window, "prefix": prefix})
            added[w.key] = len(ids) * (factor - 1)
    return added


def weekly_surges(engine, ops, weeks: list[periods.Period]) -> dict[str, dict]:
    """The surges of each week (``pipeline.week_surges``) from the per-day counts the bulletin
    stores, all days read in one pass per table: ``{week_key: {"surges", "street_surges", ...}}``."""
    source = daily.source_key(engine)
    first = pipeline.baseline_weeks(weeks[0])[0].first_day
    daily.recount(ops, engine, source, first, weeks[-1].end.date(), "backtest")
    rows = daily.load_topics(ops, source, first, weeks[-1].end.date())
    out = {}
    for w in weeks:
        base_first = pipeline.baseline_weeks(w)[0].first_day
        week_rows = [{**r, "lead_unit": None} for r in rows if w.first_day <= r["day"] < w.end.date()]
        base_rows = [r for r in rows if base_first <= r["day"] < w.first_day]
        counts: dict[str, int] = {}
        for r in week_rows:
            counts[r["topic"]] = counts.get(r["topic"], 0) + r["complaints"]
        found = pipeline.week_surges(week_rows, counts, base_rows, w)
        found["counts"] = counts
        found["baseline"] = daily.weekly_topic_counts(base_rows, pipeline.baseline_weeks(w))
        out[w.key] = found
    return out


def _scratch_ops(folder: Path):
    return store.ensure_schema(sa.create_engine(f"sqlite:///{folder / 'gxq_ops.db'}", poolclass=sa.pool.NullPool))


def _engine(url: str):
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def demo_year_surges(folder: Path, scale: float = 1.0, weeks: list[periods.Period] | None = None) -> dict[str, dict]:
    """The surges of each week of the demo data without bursts."""
    engine = _engine(seed_demo(folder, scale))
    return weekly_surges(engine, _scratch_ops(folder), weeks or backtest_weeks())


def backtest(folder: Path, scale: float = 1.0, topic: str = QUIET_TOPIC, bursts: int = BURSTS,
             seed: int = SEED, clean: dict[str, dict] | None = None) -> dict:
    """Inject ``bursts`` 3× bursts of ``topic`` and count what the surge test finds.

    ``clean``: the surges of the same data without bursts (computed when not given)."""
    weeks = backtest_weeks()
    if clean is None:
        sub = folder / "clean"
        sub.mkdir(exist_ok=True)
        clean = demo_year_surges(sub, scale, weeks)
    burst_weeks = sorted(random.Random(seed).sample(weeks, bursts), key=lambda w: w.start)
    sub = folder / "bursts"
    sub.mkdir(exist_ok=True)
    engine = _engine(seed_demo(sub, scale))
    added = inject_bursts(engine, topic, burst_weeks)
    found = weekly_surges(engine, _scratch_ops(sub), weeks)
    burst_keys = {w.key for w in burst_weeks}

    def hit(week_key: str, surges: dict) -> dict | None:
        return next((s for s in surges[week_key]["surges"] if s["topic"] == topic), None)

    detected = [k for k in sorted(burst_keys) if hit(k, found)]
    other = [w.key for w in weeks if w.key not in burst_keys]
    false_alarms = [k for k in other if hit(k, found)]
    other_topics = sorted((k, s["topic"]) for k in other for s in clean[k]["surges"] if s["topic"] != topic)
    return {
        "topic": topic, "weeks": [weeks[0].key, weeks[-1].key], "seed": seed, "factor": BURST_FACTOR,
        "bursts": [{"week": k, "before": clean[k]["counts"].get(topic, 0), "complaints": found[k]["counts"].get(topic, 0),
                    **rules.surge_baseline(_history(found[k], topic)), "detected": k in detected,
                    "detected_alone": rules.surge_test(BURST_FACTOR * clean[k]["counts"].get(topic, 0),
                                                       _history(clean[k], topic)) is not None}
                   for k in sorted(burst_keys)],
        "detected": len(detected),
        "detection_rate": round(len(detected) / bursts, 4),
        "rows_added": sum(added.values()),
        "other_weeks": len(other),
        "false_alarms": len(false_alarms),
        "false_alarm_weeks": false_alarms,
        "false_alarms_per_52_weeks": round(len(false_alarms) * 52 / len(other), 2),
        "clean_false_alarms": sum(1 for k in other if hit(k, clean)),
        "other_topic_alarms": len(other_topics),
        "other_topic_alarms_per_52_weeks": round(len(other_topics) * 52 / len(other), 2),
    }


def _history(week: dict, topic: str) -> list[int]:
    return week["baseline"].get(topic) or [0] * rules.SURGE_BASELINE_WEEKS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gxq.petitions.backtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("what", nargs="?", choices=("backtest", "surges"), default="backtest")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--topic", default=QUIET_TOPIC)
    parser.add_argument("--year", type=int, help="surges: the ISO weeks of this year (as its bulletins report"
                        " them; the first weeks' baselines may reach before the demo data)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gxq_surges_") as tmp:
        folder = Path(tmp)
        if args.what == "surges":
            weeks = iso_year_weeks(args.year) if args.year else backtest_weeks()
            print(f"突增 of the demo data (scale {args.scale}), {weeks[0].key} … {weeks[-1].key}")
            print("week\ttopic\tcomplaints\tbaseline_mean\tthreshold")
            for key, found in demo_year_surges(folder, args.scale, weeks).items():
                for s in found["surges"]:
                    print(f"{key}\t{s['topic']}\t{s['complaints']}\t{s['baseline_mean']}\t{s['threshold']}")
            return 0
        result = backtest(folder, args.scale, args.topic, BURSTS, args.seed)
    print(f"突增 backtest: {BURST_FACTOR}× bursts of {result['topic']} in {BURSTS} weeks (seed {result['seed']}),"
          f" {result['weeks'][0]} … {result['weeks'][1]}, demo scale {args.scale}")
    for b in result["bursts"]:
        mark = "detected" if b["detected"] else "missed"
        alone = "detected" if b["detected_alone"] else "missed"
        print(f"  {b['week']}: {b['before']} → {b['complaints']} complaints (baseline {b['baseline_mean']},"
              f" threshold {b['threshold']}) {mark}; alone (no other burst in its baseline): {alone}")
    alone = sum(b["detected_alone"] for b in result["bursts"])
    print(f"detection rate: {result['detected']}/{BURSTS} = {result['detection_rate']:.0%}"
          f" (each burst alone: {alone}/{BURSTS} = {alone / BURSTS:.0%})")
    print(f"false alarms of {result['topic']} in the other {result['other_weeks']} weeks: {result['false_alarms']}"
          f" ({result['false_alarms_per_52_weeks']} per 52 weeks; {result['clean_false_alarms']} without bursts)")
    print(f"surges of the other topics in those weeks (demo seasons, no bursts): {result['other_topic_alarms']}"
          f" ({result['other_topic_alarms_per_52_weeks']} per 52 weeks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

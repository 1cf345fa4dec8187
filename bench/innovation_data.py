"""dept_innovation at benchmark size: the demo generator's rules (gxq.demo.innovation) for any
number of projects and indicators, written with the demo generator's COPY writer.

The demo keeps 60 projects and 12 indicators whatever the scale; the benchmark needs 5,000
projects and 200 indicators. Project k follows demo project k mod 60's start category, the same
progress model (steady / lagging / troubled drift, 6% unreported months, 4% reported twice, 1% odd
values) and indicator j follows demo indicator j mod 12's weight, target and pace.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

from gxq.demo import innovation as demo
from gxq.demo.petitions import SNAPSHOT


def generate(rng: random.Random, n_projects: int, n_indicators: int) -> Iterator[tuple[str, tuple]]:
    kinds = [i % 60 for i in range(n_projects)]
    rng.shuffle(kinds)
    projects = []
    for i in range(n_projects):
        unit = rng.choices(*demo.RESPONSIBLE_UNITS)[0]
        name = demo.PROJECT_NAMES[i % len(demo.PROJECT_NAMES)] + f"项目{i // 60 + 1:03d}"
        projects.append((f"XM{i + 1:05d}", name, unit, demo._start_on(rng, kinds[i])))
    for pid, name, unit, start in projects:
        yield "projects", (pid, name, unit, start.isoformat())

    all_months = demo.months()
    for pid, _name, _unit, start in projects:
        duration = rng.randint(18, 48)
        profile = rng.choices(("steady", "lagging", "troubled"), (60, 25, 15))[0]
        target = {"steady": rng.gauss(3, 3), "lagging": rng.gauss(17, 4), "troubled": rng.gauss(36, 6)}[profile]
        gap = target
        for ym in all_months:
            if ym < (start.year, start.month):
                continue
            elapsed = (ym[0] - start.year) * 12 + ym[1] - start.month + 1
            plan = min(100.0, round(100.0 * elapsed / duration, 1))
            gap = max(-5.0, gap + 0.3 * (target - gap) + rng.gauss(0, 3.5))
            actual = round(min(100.0, max(0.0, plan - gap)), 1)
            if rng.random() < 0.01:
                actual = round(rng.uniform(101, 120), 1)
            if rng.random() < 0.06:
                continue
            reported = demo._reported_at(rng, ym)
            if reported >= SNAPSHOT:
                continue
            key = demo._month_key(ym)
            if rng.random() < 0.04:
                first_actual = round(min(100.0, actual + rng.uniform(-15, 15)), 1)
                yield "project_monthly", (pid, key, plan, max(0.0, first_actual), reported.isoformat(" "))
                reported = reported + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 5))
                if reported >= SNAPSHOT:
                    continue
            yield "project_monthly", (pid, key, plan, actual, reported.isoformat(" "))

    indicators = []
    for j in range(n_indicators):
        code, name, weight, target = demo.INDICATORS[j % len(demo.INDICATORS)]
        indicators.append((f"IND{j + 1:04d}", f"{name}#{j // 12 + 1}", weight, target, demo.INDICATOR_PACE[code]))
    for code, name, weight, target, _pace in indicators:
        yield "indicators", (code, name, weight, target)
    for code, _name, _weight, target, pace in indicators:
        base = target if target else 2
        ytd = 0.0
        for ym in all_months:
            if ym[1] == 1:
                ytd = 0.0
            year_pace = pace if ym[0] == 2021 else rng.uniform(0.85, 1.05)
            month_weight = {1: 0.6, 2: 0.5, 12: 1.5, 6: 1.2}.get(ym[1], 1.0)
            ytd += max(0.0, base * year_pace / 12 * month_weight * rng.uniform(0.8, 1.2))
            if rng.random() < 0.08:
                continue
            if ym == demo.LAST_MONTH and rng.random() < 0.5:
                continue
            value = float(int(ytd)) if target == 0 else round(ytd, 2)
            yield "indicator_monthly", (code, demo._month_key(ym), value)


def seed(url: str, n_projects: int, n_indicators: int, seed: int = 2021) -> dict[str, int]:
    """Drop, create and fill one PostgreSQL dept_innovation database through COPY."""
    from gxq.demo import generate as demo_generate
    from gxq.demo import schema

    engine = demo_generate._engine(url)
    try:
        schema.create_all(engine, "dept_innovation", drop=True, with_indexes=False)
        raw = engine.raw_connection()
        try:
            dbapi = raw.driver_connection
            writer = demo_generate.PostgresWriter(dbapi, "dept_innovation")
            for table, row in generate(random.Random(f"gxqbench:{seed}"), n_projects, n_indicators):
                writer.add(table, row)
            counts = writer.close()
            cur = dbapi.cursor()
            for stmt in schema.INDEXES["dept_innovation"]:
                cur.execute(stmt)
            cur.execute(f"ANALYZE {', '.join(schema.TABLES['dept_innovation'])}")
            dbapi.commit()
        finally:
            raw.close()
        return counts
    finally:
        engine.dispose()

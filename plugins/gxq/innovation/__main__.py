"""Command line for operators (运维命令), without Airflow:

    python -m gxq.innovation counts 2021            # 红黄绿灯 counts and composite score per month of a year
    python -m gxq.innovation monthly 2021-03        # build report, scorecard; notices recorded, not sent
    python -m gxq.innovation quarterly 2021-Q1 --send

Connections as everywhere (``AIRFLOW_CONN_DEPT_INNOVATION`` / ``AIRFLOW_CONN_GXQ_OPS`` or the SQLite
files in ``$GXQ_DATA_DIR``); files under ``$GXQ_OUTPUT_DIR``.
"""

from __future__ import annotations

import json
import sys

from gxq import output
from gxq.innovation import pipeline, rules
from gxq.innovation.source import load
from gxq.periods import month_period
from gxq.run import Run, command_line

KINDS = {"monthly": "month", "quarterly": "quarter"}  # command -> the period its DAG covers


def counts(year: int) -> list[dict]:
    data = load(f"{year}-01", f"{year}-12", f"{year}-01")
    projects = rules.ProjectBook(data.projects, data.progress)
    indicators = rules.IndicatorBook(data.indicators, data.indicator_values)
    out = []
    for m in range(1, 13):
        period = month_period(year, m)
        ev = rules.evaluate_books(period, projects, indicators, rules.Problems(enabled=False))
        out.append({"period": period.key, **ev.counts, "composite_score": ev.composite_score})
    return out


def main(argv: list[str] | None = None) -> int:
    args = command_line("python -m gxq.innovation", __doc__.splitlines()[0], "colour counts per month of a year",
                        {name: f"run the {name} flow for a period" for name in KINDS}).parse_args(argv)
    if args.command == "counts":
        rows = counts(args.year)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            print(f"{'month':8} {'green':>6} {'yellow':>6} {'red':>6} {'unrep.':>6} {'composite':>9}")
            for r in rows:
                score = "" if r["composite_score"] is None else f"{r['composite_score']:.2f}"
                print(f"{r['period']:8} {r['green']:>6} {r['yellow']:>6} {r['red']:>6} {r['unreported']:>6} {score:>9}")
        return 0

    run = Run.from_args(pipeline.dag_for(KINDS[args.command]), args)
    pipeline.run_all(run)
    print(output.output_root() / run.dag_id / run.key)
    return 0


if __name__ == "__main__":
    sys.exit(main())

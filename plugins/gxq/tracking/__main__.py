"""Command line for operators (运维命令), without Airflow:

    python -m gxq.tracking counts 2021          # targets by light (and status) for each month of a year
    python -m gxq.tracking run 2021-06          # report, documents; notices recorded, not sent
    python -m gxq.tracking run 2021-06 --send

Connections as everywhere (``AIRFLOW_CONN_DEPT_SUPERVISION`` / ``AIRFLOW_CONN_GXQ_OPS`` or the SQLite
files in ``$GXQ_DATA_DIR``); files under ``$GXQ_OUTPUT_DIR``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter

from gxq import cadences, output
from gxq.periods import month_period
from gxq.run import Run, command_line
from gxq.tracking import pipeline, rules
from gxq.tracking.source import load


def counts(year: int) -> list[dict]:
    """Counts by light and status of each month of ``year`` (read only: nothing written)."""
    book = rules.Book(load())
    out = []
    for m in range(1, 13):
        period = month_period(year, m)
        result = book.month(period.first_day, period.last_day)
        statuses = Counter(r.status for r in result.results)
        out.append({"period": period.key, **rules.count_lights(result.results),
                    "statuses": {s: statuses[s] for s in rules.STATUSES}, "data_problems": len(result.problems)})
    return out


def main(argv: list[str] | None = None) -> int:
    args = command_line("python -m gxq.tracking", __doc__.splitlines()[0], "targets by light for each month of a year",
                        {"run": "run the month's flow"}).parse_args(argv)
    if args.command == "counts":
        rows = counts(args.year)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return 0
        print(f"{'month':8} {'green':>6} {'yellow':>6} {'red':>6}   statuses")
        for row in rows:
            statuses = ", ".join(f"{k} {v}" for k, v in row["statuses"].items() if v)
            print(f"{row['period']:8} {row['green']:>6} {row['yellow']:>6} {row['red']:>6}   {statuses}")
        return 0
    run = Run.from_args(cadences.dag_of("tracking"), args)
    pipeline.run_all(run)
    print(output.output_root() / run.dag_id / run.key)
    return 0


if __name__ == "__main__":
    sys.exit(main())

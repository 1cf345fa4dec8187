"""A worker process for the SIGKILL fault tests: runs one pipeline the way an Airflow task
would, optionally pausing at a named point so the test can kill it there.

    python -m tests.reliability._worker policy <dag_id> <period>
    python -m tests.reliability._worker petitions <week>

GXQ_TEST_PAUSE_AT names the point (``ledger_insert``: inside the batch transaction, just before
the ledger rows are written; ``after_issue``: the batch committed, before its files); on reaching
it the worker touches GXQ_TEST_PAUSE_FILE and sleeps until killed. Notices are paused by the
receiving HTTP server instead (it holds a request open).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "plugins"), str(REPO)]


def _pause(point: str) -> None:
    if os.environ.get("GXQ_TEST_PAUSE_AT") == point:
        Path(os.environ["GXQ_TEST_PAUSE_FILE"]).write_text(str(os.getpid()))
        time.sleep(600)


def _install_hooks() -> None:
    import sqlalchemy as sa

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO POLICY_PAYMENT_LEDGER"):
            _pause("ledger_insert")

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", before)

    from gxq.policy import render

    original = render.workbook

    def workbook(*args, **kwargs):
        _pause("after_issue")
        return original(*args, **kwargs)

    render.workbook = workbook


def main(argv: list[str]) -> int:
    import json
    import logging

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    _install_hooks()
    if argv[0] == "policy":
        from gxq.policy import pipeline

        report = pipeline.run(argv[1], argv[2], send=True, approved_by="测试审核人", approval_ref="测试〔2021〕1号")
    elif argv[0] == "petitions":
        from gxq.petitions import pipeline

        report = pipeline.run_week(argv[1], dry_run=False, send=True)
    else:
        raise SystemExit(f"unknown worker {argv[0]!r}")
    print(json.dumps({"period": report.get("period"), "batch_id": report.get("batch_id")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

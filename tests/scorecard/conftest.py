"""gxq_ops stores (SQLite and PostgreSQL) holding hand-built reports of the producing DAGs, in the
shapes of docs/reference.md, for the scorecard's tests."""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import pg_url

_counter = itertools.count()

BULLETIN, URGENT, TASKS, RECTIFY, INNOVATION = ("petition_weekly_bulletin", "petition_urgent_watch", "plan_task_tracking",
                                                "assessment_rectification", "innovation_monthly_evaluation")
JUNE_WEEKS = ("2021-W22", "2021-W23", "2021-W24", "2021-W25")


@pytest.fixture(params=["sqlite", "postgresql"])
def ops(request, tmp_path):
    """A migrated gxq_ops of each kind."""
    import sqlalchemy as sa
    from gxq import store

    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / f'gxq_ops_{next(_counter)}.db'}", poolclass=sa.pool.NullPool)
    else:
        pg = request.getfixturevalue("pg")
        engine = sa.create_engine(pg_url(pg.create(f"sc_ops_{next(_counter)}")), poolclass=sa.pool.NullPool)
    store.ensure_schema(engine)
    yield engine
    engine.dispose()


def bulletin(week: str, units: list[dict], unit_rates: dict | None = None, supervised: list | None = None) -> dict:
    rows = [{"unit": u["unit"], "led": 5, "feedback_due": u.get("due", 0), "feedback_on_time": u.get("on_time", 0),
             "overdue_open": u.get("overdue", 0), "surveyed": u.get("surveyed", 0), "satisfied": u.get("satisfied", 0)}
            for u in units]
    return {"period": week, "units": rows, "unit_rates": unit_rates or {}, "supervised_items": supervised or [],
            "unit_names": {"U01": "高新区建设局", "U02": "高新区科技和工业信息化局", "U03": "高新区人力资源和社会保障局"}}


def publish_month(ops, month: str = "2021-06", weeks=JUNE_WEEKS, *, skip: tuple[str, ...] = (), tasks_lights=None,
                  urgent_runs: dict | None = None):
    """Every input of June 2021 (unless skipped): clean bulletins, one watch run, tasks, rectification,
    innovation; each with something against U01 or U02 (U03 has nothing against it)."""
    from gxq import store

    def put(dag, key, report):
        if dag not in skip and key not in skip:
            store.record_report(ops, dag, key, report)

    for week in weeks:
        put(BULLETIN, week, bulletin(week, [{"unit": "U01", "due": 4, "on_time": 4, "surveyed": 10, "satisfied": 10},
                                            {"unit": "U02", "due": 2, "on_time": 2, "surveyed": 5, "satisfied": 5},
                                            {"unit": "U03", "due": 1, "on_time": 1}]))
    for key, report in (urgent_runs or {f"{month}-15T0940": {"period": f"{month}-15T0940", "alerts": [], "escalated": []}}).items():
        put(URGENT, key, report)
    lights = tasks_lights or {"T01": ("U01", "green"), "T02": ("U02", "green")}
    put(TASKS, month, {"period": month, "as_of": "2021-06-30",
                       "targets": [{"target_id": t, "unit": u, "light": light, "status": "on_track", "expected": 1, "actual": 1}
                                   for t, (u, light) in sorted(lights.items())],
                       "counts": {k: sum(light == k for _, light in lights.values()) for k in ("green", "yellow", "red")},
                       "units": [{"unit": u, **{k: sum(v == (u, k) for v in lights.values()) for k in ("green", "yellow", "red")}}
                                 for u in sorted({u for u, _ in lights.values()})],
                       "reminders": [], "escalated": []})
    put(RECTIFY, weeks[-1], {"period": weeks[-1], "findings_overdue": [], "escalated": []})
    put(INNOVATION, month, {"period": month, "projects": [], "units": [{"unit": "U03"}]})


@pytest.fixture
def registered_inputs(monkeypatch):
    """The registry as it is once the urgent watch and the rectification DAG are deployed (their
    entries stand in until they are on main)."""
    from gxq import cadences

    by_id = dict(cadences.BY_ID)
    for dag_id in (URGENT, RECTIFY):
        if dag_id not in by_id:
            by_id[dag_id] = cadences.Cadence(dag_id=dag_id, name=dag_id, label=dag_id, area="stand_in",
                                             frequency="weekly", when="", timetable=None, cron=None,
                                             period_rule="previous_week")
    monkeypatch.setattr(cadences, "BY_ID", by_id)
    return by_id

"""The step contract (步骤约定): the named steps every capability's DAG is made of, as Airflow tasks.

Each capability's ``gxq.<area>.pipeline`` (``area`` from the DAG's registry entry) has one plain
function per step. ``plan`` and ``compute`` run in the first task, the others each in their own::

    computed = compute(DAG_ID)                 # plan(run): the run value, params checked, gxq_ops migrated,
                                               # department columns checked; then compute(run): the report
    supervised = supervise(computed)           # 挂牌督办 (where it exists)
    rendered = render(computed, ...)           # the files people read
    publish(computed, rendered) >> notify(computed, rendered)   # report.json last, then the outbox

The first task returns ``{"run": <the run value as a dict>, "result": <what compute made>}``; every
later step calls ``pipeline.<step>(run, result, *what the graph hands it)``. Policy's review
(审核, :mod:`gxq.policy.steps`) sits between compute and render under the same names around it.
:func:`report` wires the common case, compute → render → publish → notify.

Planning is not a task of its own: it is a cheap read, and each task instance is a process
(~0.6 s of engine overhead each, docs/benchmarks.md "A year of every DAG").
Every step is a :func:`gxq.dagkit.step`: a :class:`gxq.run.RunError` fails it at once, without retries.
Imported at DAG-parse time: the pipelines are imported when a step runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from airflow.sdk import get_current_context

from gxq import cadences, carried
from gxq.dagkit import publishes, step
from gxq.run import Run


def pipeline_name(dag_id: str) -> str:
    """The name of the steps' module of a DAG's capability: ``gxq.<area>.pipeline`` (what each of
    its steps imports when it starts; ``bench.importtime`` measures it)."""
    return f"gxq.{cadences.get(dag_id).area}.pipeline"


def pipeline(dag_id: str):
    """The steps' module of a DAG's capability: ``gxq.<area>.pipeline``."""
    # Deferred on purpose: a pipeline imports SQLAlchemy, pandas or Office libraries, and the DAG
    # files import this module at parse time.
    return importlib.import_module(pipeline_name(dag_id))


def _call(name: str, computed: dict, *upstream: Any) -> Any:
    run = computed["run"]
    return getattr(pipeline(run["dag_id"]), name)(run, computed["result"], *upstream)


@step
def compute(dag_id: str) -> dict:
    """The run value (period, report key, flags, who triggered it), checked before any query; then
    the department database read and the report built, with the lines of other capabilities its
    registry entry carries (:mod:`gxq.carried`)."""
    steps = pipeline(dag_id)
    run = steps.plan(Run.from_context(get_current_context(), dag_id))
    if cadences.get(dag_id).carries:  # other capabilities' lines its report carries (gxq.carried)
        return {"run": run, "result": steps.compute(run, carried.lines(dag_id, Run.from_dict(run).period))}
    return {"run": run, "result": steps.compute(run)}


@step
def supervise(computed: dict, *upstream: Any) -> Any:
    """挂牌督办: the items under supervision, as of the period."""
    return _call("supervise", computed, *upstream)


@step
def render(computed: dict, *upstream: Any) -> Any:
    """The files people read (HTML, Word, Excel, charts)."""
    return _call("render", computed, *upstream)


@step(task_id="publish")
def _publish(computed: dict, *upstream: Any) -> Any:
    """report.json, after the files people read, and its copy in gxq_ops."""
    return _call("publish", computed, *upstream)


def publish(computed, *upstream: Any):
    """The publish step of the DAG that ``computed`` (the compute step's output) belongs to; when
    another DAG is built from its reports, the step also updates the report's Airflow asset under
    the partition of the period it issued (:func:`gxq.dagkit.publishes`)."""
    return _publish.override(**publishes(computed.operator.dag_id))(computed, *upstream)


@step
def notify(computed: dict, *upstream: Any) -> Any:
    """The notices, through the outbox (sent once per period unless ``resend``)."""
    return _call("notify", computed, *upstream)


def report(dag_id: str) -> Callable[[], None]:
    """The graph compute → render → publish → notify, as the function ``@dag`` makes the DAG of."""

    def graph() -> None:
        computed = compute(dag_id)
        rendered = render(computed)
        publish(computed, rendered) >> notify(computed, rendered)

    return graph

"""Lines one capability's report carries from another (携带的他项工作一行), handed over at the step layer.

The weekly bulletin ends with the publicity team's line of its week (附: 宣传工作). The bulletin
(``gxq.petitions``) and publicity (``gxq.publicity``) are capabilities on the same floor, and a
capability imports no other (docs/ARCHITECTURE.md, "Layers"; ``tests/foundation/test_layers.py``).
So the carrying DAG's registry entry names the capabilities it carries (``Cadence.carries``), each
of those offers ``gxq.<area>.pipeline.line(period) -> dict | None`` (``{"text": ..., ...}``), and
this module, beside :mod:`gxq.flow`, asks them and hands the lines to the carrying pipeline's
``compute(run, lines)``, which puts each under its area's key. A line that fails is left out with a
warning: the report goes without it.

Plain Python (no Airflow): :mod:`gxq.flow`'s compute step, the in-process runs and the bench call it.
"""

from __future__ import annotations

import importlib
import logging

from gxq import cadences, periods

log = logging.getLogger(__name__)


def lines(dag_id: str, period: periods.Period) -> dict[str, dict]:
    """``{area: line}`` of the capabilities ``dag_id``'s entry carries, for ``period``, in the
    entry's order; an area without a line for the period, or whose line fails, is left out."""
    out = {}
    for area in cadences.get(dag_id).carries:
        # By name, as gxq.flow finds a DAG's steps: the step layer composes the capabilities.
        steps = importlib.import_module(f"gxq.{area}.pipeline")
        try:
            line = steps.line(period)
        except Exception:
            log.warning(
                "gxq.%s.pipeline.line(%s) failed; %s goes without it", area, period.key, dag_id, exc_info=True
            )
            continue
        if line:
            out[area] = dict(line)
    return out

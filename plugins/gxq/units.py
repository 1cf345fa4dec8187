"""The zone's unit directory (单位名录): unit code -> name, for what people read.

The directory is the contract's ``dept_petitions.units`` (承办单位), whose codes the other
departments use too (自创区 responsible units, 宣传 units, 任务清单 owners). A document shows the
unit's name where a reader expects it; when the directory cannot be read the code stands in
(logged), and nothing else fails.
"""

from __future__ import annotations

import logging

from gxq import sql
from gxq.connections import engine_for

log = logging.getLogger(__name__)


def directory(engine) -> dict[str, str]:
    """``{code: name}`` from ``dept_petitions.units`` (a unit without a name: its code); raises when
    the table cannot be read (the bulletin, which requires the table, fails then)."""
    return as_directory(sql.query(engine, "petitions/units"))


def as_directory(rows) -> dict[str, str]:
    """``{code: name}`` of ``units`` rows (``unit_code``, ``unit_name``); a unit without a name: its code.
    The bulletin reads the rows with its week (``week.sql``)."""
    return {str(r["unit_code"]): r["unit_name"] or str(r["unit_code"]) for r in rows}


def unit_names(engine=None) -> dict[str, str]:
    """:func:`directory` for documents that can do without it: ``{}`` when it cannot be read."""
    try:
        return directory(engine or engine_for("dept_petitions"))
    except Exception:
        log.warning("unit directory (dept_petitions.units) not readable: documents show unit codes", exc_info=True)
        return {}


def short_name(name: str) -> str:
    """高新区科技和工业信息化局 -> 科技和工业信息化局: the zone's prefix, obvious in its own documents."""
    for prefix in ("大连高新技术产业园区", "大连高新区", "高新区"):
        if name.startswith(prefix) and len(name) > len(prefix) + 1:
            return name[len(prefix):]
    return name

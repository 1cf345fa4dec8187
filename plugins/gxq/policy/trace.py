"""The trace of an award (兑现依据): why it is granted, kept as data and rendered in one place.

The data are columns of an award: its basis (``basis_id``, ``basis_on``, ``basis_at``,
``cert_type``, ``requested`` in fen), the status that withholds it (``withhold_reason``) and, per
key the formula used, ``<key>.value`` and ``<key>.from`` (a dated parameter: its value as text and
the day it starts) or ``<key>.base`` and ``<key>.limit`` (a minimum, fen). How a policy's trace
reads them is its *header*: ``{policy, rule, basis, used: [(key, label, unit)]}`` (label None: a
minimum), in the order the sentences are shown.

The evaluation (:mod:`gxq.policy.evaluate`) and an issued batch (:mod:`gxq.policy.batches`, whose
tables in ``gxq_ops`` hold the same columns) both render with :func:`sentences`: the words a
person reads in the workbook are written here only.
"""

from __future__ import annotations

from gxq.policy.model import yuan

# The basis columns of an award's trace (beside basis_id and basis_on, which every award has).
BASIS = ("basis_at", "cert_type", "requested", "withhold_reason")


def used_columns(header: dict) -> list[str]:
    """The columns of the keys a policy's formula used, in the header's order."""
    return [f"{key}.{part}" for key, label, _unit in header["used"]
            for part in (("base", "limit") if label is None else ("value", "from"))]


def columns(header: dict) -> list[str]:
    """Every column an award's trace is rendered from, beyond basis_id and basis_on."""
    return [*BASIS, *used_columns(header)]


def sentences(header: dict, a: dict) -> dict[str, str]:
    """The trace's sentences of award ``a`` (its columns, :func:`columns`) under its policy's
    ``header``: policy, rule, basis, one per key used, and withheld when a status withholds it."""
    if header["basis"] == "certification":
        basis = f"认定 {a['basis_id']}: {a['cert_type'] or ''} 认定日期 {a['basis_on']}"
    else:
        basis = f"申请 {a['basis_id']}: 批准时间 {a['basis_at'] or a['basis_on']}, 申请金额 {yuan(a['requested'])} 元"
    trace = {"policy": header["policy"], "rule": header["rule"], "basis": basis}
    for key, label, unit in header["used"]:
        if label is None:  # a minimum
            base, limit = a[f"{key}.base"], a[f"{key}.limit"]
            trace[key] = (f"min({yuan(base)}, {yuan(limit)}) = {yuan(min(base, limit))} 元"
                          + (" (封顶)" if base > limit else ""))
        else:
            trace[key] = f"{label} = {a[f'{key}.value']} {unit} (自 {a[f'{key}.from']} 起施行)"
    if a["withhold_reason"]:
        trace["withheld"] = a["withhold_reason"]
    return trace

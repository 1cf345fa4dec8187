"""The policy catalogue (政策目录), reviewed in the repository: one module per policy, each with
its YAML test cases beside it (``<policy_id>.yaml``: period, input rows, expected awards).

A policy module defines ``POLICY`` (a :class:`gxq.policy.model.Policy`). Adding a policy is adding
a module here and its YAML; nothing else changes.

Which rules a run pays (:func:`select`): a real rule (its official document's 文号, in force over the
period) always; an example (``invented``: its source says 虚构, written to show one of the plan's
kinds) only where the deployment turns examples on with ``GXQ_POLICY_EXAMPLES=1`` (the demo does;
a plain deployment and acceptance runs do not). Every batch names the rules it evaluated and the
ones it skipped (:func:`rules_of`).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
from pathlib import Path

from gxq.policy.model import Policy

HERE = Path(__file__).resolve().parent
POLICY_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class PolicyParamError(ValueError):
    """An operator-supplied policy id list that is not valid (named in the message)."""


def _load() -> dict[str, Policy]:
    found: dict[str, Policy] = {}
    for info in sorted(pkgutil.iter_modules([str(HERE)]), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        policy = getattr(module, "POLICY", None)
        if policy is None:
            continue
        if policy.id != info.name:
            raise RuntimeError(f"catalogue module {info.name} defines policy {policy.id!r}: names must match")
        found[policy.id] = policy
    return found


CATALOGUE: dict[str, Policy] = _load()


EXAMPLES_ENV = "GXQ_POLICY_EXAMPLES"
# Why a rule of the cadence is not in a batch (report.json ``rules``; 明细表, 公示 and 看板 in words).
SKIP_REASONS = {"example": "示例规则(虚构, 未启用)", "not_in_force": "文件不在有效期内"}


def examples_enabled() -> bool:
    """Whether this deployment pays the example rules (``GXQ_POLICY_EXAMPLES=1``; default off)."""
    return os.environ.get(EXAMPLES_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def skip_reason(policy: Policy, period) -> str | None:
    """Why a run over ``period`` (a :class:`gxq.periods.Period`) does not pay ``policy`` (None: it does)."""
    if policy.invented:
        return None if examples_enabled() else "example"
    until = policy.in_force_until
    if policy.in_force_from > period.last_day.isoformat() or (until and until < period.first_day.isoformat()):
        return "not_in_force"
    return None


def select(policies: list[Policy], period) -> tuple[list[Policy], dict[str, str]]:
    """The policies a run over the period pays, and {policy_id: reason} of those it skips."""
    paid, skipped = [], {}
    for p in policies:
        reason = skip_reason(p, period)
        if reason:
            skipped[p.id] = reason
        else:
            paid.append(p)
    return paid, skipped


def rules_of(cadence: str, period, policy_ids) -> dict:
    """What a batch says about its rules: those it evaluated (its own policy ids) and the cadence's
    others it skipped: ``skipped_examples`` (examples it did not evaluate) and ``skipped_not_in_force``.
    Derived from the batch's ids, so that a frozen batch says the same on every rerun."""
    ids = set(policy_ids)
    pool = recognition_policies() if cadence == "adhoc" else for_cadence(cadence)
    out = {"evaluated": sorted(ids), "skipped_examples": [], "skipped_not_in_force": []}
    for p in pool:
        if p.id in ids:
            continue
        if p.invented:
            out["skipped_examples"].append(p.id)
        elif skip_reason(p, period) == "not_in_force":
            out["skipped_not_in_force"].append(p.id)
    return out


def get(policy_id: str) -> Policy:
    return CATALOGUE[policy_id]


def for_cadence(cadence: str) -> list[Policy]:
    """The policies a scheduled run pays: monthly or quarterly, sorted by id."""
    return [p for pid, p in sorted(CATALOGUE.items()) if p.cadence == cadence]


def recognition_policies() -> list[Policy]:
    """Every 认定类 policy (paid without application): the adhoc default."""
    return [p for pid, p in sorted(CATALOGUE.items()) if p.kind == "认定类"]


def yaml_cases_path(policy_id: str) -> Path:
    return HERE / f"{policy_id}.yaml"


def parse_policy_ids(value) -> list[str]:
    """Validate an operator's ``policy_ids`` (list or comma-separated text); sorted, unique.

    Empty / None means every 认定类 policy. Anything that is not a known catalogue id fails with
    a clear message before any query runs.
    """
    if value is None or value == "" or value == []:
        return [p.id for p in recognition_policies()]
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",")]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise PolicyParamError(f"policy_ids must be a list of policy ids, got {type(value).__name__}")
    ids: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise PolicyParamError(f"policy_ids: {item!r} is not a policy id (text expected)")
        item = item.strip()
        if not item:
            raise PolicyParamError("policy_ids: an empty policy id")
        if not POLICY_ID_RE.match(item):
            raise PolicyParamError(
                f"policy_ids: {item[:80]!r} is not a policy id (lower-case letters, digits and _ only)"
            )
        ids.append(item)
    unknown = sorted(set(ids) - set(CATALOGUE))
    if unknown:
        raise PolicyParamError(
            f"policy_ids: unknown policy id(s) {', '.join(unknown)}; known: {', '.join(sorted(CATALOGUE))}"
        )
    return sorted(set(ids))

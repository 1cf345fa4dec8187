"""The policy model (政策模型), after OpenFisca: a policy is a named rule with a reference to its
source document, dated parameters (金额/上限/比例 as values in force from a date on) and an
eligibility rule evaluated set-wise in SQL, plus the test cases that define it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Money = decimal.Decimal
CENT = decimal.Decimal("0.01")
NOTHING = Money(0)

LEVELS = ("国家", "省", "市", "区")
KINDS = ("认定类", "申报类")  # 认定类: paid without application (免申即享); 申报类: on approved application
PAYMENT_CYCLES = ("monthly", "quarterly")  # how often a policy is paid (Policy.cadence)
CATEGORIES = ("科技创新", "金融支持", "税收优惠", "用工补贴", "知识产权质押贴息", "人才")


def money(value: Any) -> Money:
    """An amount in yuan as a Decimal rounded to the cent; NULL / '' is 0 (docs/reference.md)."""
    if value is None or value == "":
        return NOTHING
    if isinstance(value, Money):
        d = value
    elif isinstance(value, int) and not isinstance(value, bool):  # the catalogue's amounts
        d = Money(value)
    elif isinstance(value, float):
        d = Money(repr(value))
    else:
        d = Money(str(value).strip())
    return d.quantize(CENT, rounding=decimal.ROUND_HALF_UP)


def money_json(value: Money) -> int | float:
    """A Decimal amount as a JSON number: int when whole yuan, else float."""
    value = money(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def fen(value: Any) -> int:
    """An amount in yuan as integer fen (分), rounded half up as :func:`money` rounds."""
    return int(money(value).scaleb(2))


def yuan(fen_value: int) -> Money:
    """Integer fen as a Decimal amount in yuan with two places (what the batches store)."""
    return Money(int(fen_value)).scaleb(-2)


@dataclass(frozen=True)
class DatedParameter:
    """A parameter whose value changes from dates on (a change is a new dated value, never an edit).

    ``values`` maps the first day a value is in force to the value. :meth:`at` looks the value in
    force up for a whole column of days at once (the latest start on or before each day); before
    the first start there is no value.
    """

    label: str
    values: dict[str, Any]
    unit: str = "元"
    reference: str = ""

    def __post_init__(self):
        if not self.values:
            raise ValueError(f"parameter {self.label!r} has no values")
        for start in self.values:
            _date(start)

    @functools.cached_property
    def starts(self) -> np.ndarray:
        """The days a value starts, sorted (ISO text: sorts as the days do)."""
        return np.array(sorted(_date(k).isoformat() for k in self.values))

    @functools.cached_property
    def entries(self) -> list[Any]:
        """The values, in the order of :attr:`starts`."""
        by_day = {_date(k).isoformat(): v for k, v in self.values.items()}
        return [by_day[s] for s in self.starts]

    def at(self, days: np.ndarray) -> np.ndarray:
        """For each day, the index (into :attr:`starts` / :attr:`entries`) of the value in force."""
        index = np.searchsorted(self.starts, days, side="right") - 1
        if len(index) and index.min() < 0:
            first = days[int(np.argmin(index))]
            raise LookupError(f"parameter {self.label!r} has no value in force on {first}")
        return index

    def value_at(self, day: str | dt.date) -> Any:
        return self.entries[int(self.at(np.array([_date(day).isoformat()]))[0])]


@dataclass(frozen=True)
class Policy:
    """One reviewed policy of the catalogue (政策目录条目)."""

    id: str
    name: str  # Chinese name
    level: str  # 国家 / 省 / 市 / 区
    kind: str  # 认定类 / 申报类
    category: str  # 金融支持, 税收优惠, ...
    cadence: str  # monthly / quarterly
    source: str  # the document it comes from (文件依据)
    competent_unit: str  # 主管部门 unit code: the notify tag of its notice
    competent_unit_name: str
    parameters: dict[str, DatedParameter]
    sql: str  # include/sql/<sql>.sql: the set-wise eligibility rule
    award: Callable  # the award formula over the candidates' columns (rules.py)
    sql_params: dict[str, Any] = field(default_factory=dict)
    pays_from: str = "2021-01-01"  # the programme starts: only bases on or after this day pay
    basis: str = "certification"  # certification | application
    # An example (虚构): written to show one of the plan's kinds, not an official document in force.
    # Paid only where the deployment turns examples on (gxq.policy.catalogue.examples_enabled).
    invented: bool = False
    description: str = ""
    # A real rule's official document: its 文号 and the days it is in force (until None: in force
    # until repealed). An example has none.
    document_no: str = ""
    in_force_from: str | None = None
    in_force_until: str | None = None

    def __post_init__(self):
        if not self.invented and not (self.document_no and self.in_force_from):
            raise ValueError(f"policy {self.id}: a rule that is not an example names its document's 文号 "
                             "(document_no) and the day it is in force from (in_force_from)")
        if self.invented and "虚构" not in self.source:
            raise ValueError(f"policy {self.id}: an example's source says 虚构")
        assert self.level in LEVELS, self.level
        assert self.kind in KINDS, self.kind
        assert self.cadence in PAYMENT_CYCLES, self.cadence
        assert self.category in CATEGORIES, self.category
        assert self.basis in ("certification", "application"), self.basis

    def param(self, name: str, day: str | dt.date) -> Any:
        return self.parameters[name].value_at(day)


@dataclass
class Candidate:
    """An eligible award before the ledger decides whether it is new (候选兑现项), with the
    trace of why it is granted: one row of an evaluation's columns, its trace rendered."""

    policy_id: str
    credit_code: str
    basis_id: str
    basis_on: str  # YYYY-MM-DD of the certification / approval
    amount: Money
    enterprise_name: str | None
    withhold_reason: str | None  # unknown_enterprise | dishonest | abnormal | None
    trace: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.policy_id, self.credit_code, self.basis_id)

    def to_json(self) -> dict:
        return {
            "policy_id": self.policy_id, "credit_code": self.credit_code, "basis_id": self.basis_id,
            "basis_on": self.basis_on, "amount": str(self.amount), "enterprise_name": self.enterprise_name,
            "withhold_reason": self.withhold_reason, "trace": self.trace,
        }

    @classmethod
    def from_json(cls, d: dict) -> Candidate:
        return cls(d["policy_id"], d["credit_code"], d["basis_id"], d["basis_on"], money(d["amount"]),
                   d.get("enterprise_name"), d.get("withhold_reason"), d.get("trace") or {})

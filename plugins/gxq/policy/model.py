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

Money = decimal.Decimal
CENT = decimal.Decimal("0.01")

LEVELS = ("国家", "省", "市", "区")
KINDS = ("认定类", "申报类")  # 认定类: paid without application (免申即享); 申报类: on approved application
CADENCES = ("monthly", "quarterly")
CATEGORIES = ("科技创新", "金融支持", "税收优惠", "用工补贴", "知识产权质押贴息", "人才")


def money(value: Any) -> Money:
    """An amount in yuan as a Decimal rounded to the cent; NULL / '' is 0 (docs/reference.md)."""
    if value is None or value == "":
        return Money(0)
    if isinstance(value, Money):
        d = value
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


@dataclass(frozen=True)
class DatedParameter:
    """A parameter whose value changes from dates on (a change is a new dated value, never an edit).

    ``values`` maps the first day a value is in force to the value; ``value_at(d)`` is the value
    in force on day d (the latest start on or before d). Before the first start: no value.
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
    def _entries(self) -> tuple[tuple[dt.date, Any], ...]:
        # parsed and sorted once: value_at runs for every candidate award (200,000 enterprises)
        return tuple(sorted((_date(k), v) for k, v in self.values.items()))

    def entries(self) -> list[tuple[dt.date, Any]]:
        return list(self._entries)

    @functools.cached_property
    def _memo(self) -> dict:
        # (what, day) -> value: the same few days come back for every candidate award
        return {}

    def _cached(self, what: str, day: str | dt.date, make: Callable[[str | dt.date], Any]) -> Any:
        """``make(day)``, once per (what, day): the same few days come back for every candidate."""
        memo = self._memo
        try:
            return memo[what, day]
        except KeyError:
            value = memo[what, day] = make(day)
            return value

    def value_at(self, day: str | dt.date) -> Any:
        return self._cached("value", day, self._value_at)

    def _value_at(self, day: str | dt.date) -> Any:
        parsed = _date(day)
        found = None
        for start, value in self._entries:
            if start <= parsed:
                found = (start, value)
        if found is None:
            raise LookupError(f"parameter {self.label!r} has no value in force on {parsed}")
        return found[1]

    def in_force_since(self, day: str | dt.date) -> dt.date:
        return self._cached("since", day, lambda d: max(start for start, _ in self._entries if start <= _date(d)))

    def money_at(self, day: str | dt.date) -> Money:
        """``money(value_at(day))``: an amount in force on ``day``, rounded to the cent."""
        return self._cached("money", day, lambda d: money(self.value_at(d)))

    def decimal_at(self, day: str | dt.date) -> Money:
        """``Decimal(str(value_at(day)))``: a ratio in force on ``day``, exact (not rounded)."""
        return self._cached("decimal", day, lambda d: Money(str(self.value_at(d))))

    def trace(self, day: str | dt.date) -> str:
        """The text of a trace line: the value in force on ``day`` and since when."""
        return self._cached("trace", day, lambda d: f"{self.label} = {self.value_at(d)} {self.unit} "
                                                    f"(自 {self.in_force_since(d)} 起施行)")


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
    award: Callable[[dict, Policy], tuple[Money, dict]]  # row -> (amount, trace)
    sql_params: dict[str, Any] = field(default_factory=dict)
    pays_from: str = "2021-01-01"  # the programme starts: only bases on or after this day pay
    basis: str = "certification"  # certification | application
    invented: bool = False  # an invented rule (not one of the contract's three)
    description: str = ""

    def __post_init__(self):
        assert self.level in LEVELS, self.level
        assert self.kind in KINDS, self.kind
        assert self.cadence in CADENCES, self.cadence
        assert self.category in CATEGORIES, self.category
        assert self.basis in ("certification", "application"), self.basis

    def param(self, name: str, day: str | dt.date) -> Any:
        return self.parameters[name].value_at(day)

    def param_trace(self, name: str, day: str | dt.date) -> str:
        return self.parameters[name].trace(day)


class Candidate:
    """An eligible award before the ledger decides whether it is new (候选兑现项).

    ``trace`` (why it is granted) is built when first read: an evaluation makes one candidate per
    basis (~110,000 at 200,000 enterprises) and formatting every trace up front was most of its
    time. ``explain(candidate, source)`` builds it from what the evaluation kept (``source``).
    """

    __slots__ = (
        "_explain",
        "_source",
        "_trace",
        "amount",
        "basis_id",
        "basis_on",
        "credit_code",
        "enterprise_name",
        "policy_id",
        "withhold_reason",
    )

    def __init__(self, policy_id: str, credit_code: str, basis_id: str, basis_on: str, amount: Money,
                 enterprise_name: str | None, withhold_reason: str | None, trace: dict | None = None,
                 explain: Callable[[Candidate, Any], dict] | None = None, source: Any = None):
        self.policy_id = policy_id
        self.credit_code = credit_code
        self.basis_id = basis_id
        self.basis_on = basis_on  # YYYY-MM-DD of the certification / approval
        self.amount = amount
        self.enterprise_name = enterprise_name
        self.withhold_reason = withhold_reason  # unknown_enterprise | dishonest | abnormal | None
        self._trace = trace
        self._explain = explain
        self._source = source
        if trace is None and explain is None:
            self._trace = {}

    @property
    def trace(self) -> dict:
        trace = self._trace
        if trace is None:
            trace = self._trace = self._explain(self, self._source)
            self._explain = self._source = None
        return trace

    @trace.setter
    def trace(self, value: dict) -> None:
        self._trace, self._explain, self._source = value, None, None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.policy_id, self.credit_code, self.basis_id)

    def _fields(self) -> tuple:
        return (self.policy_id, self.credit_code, self.basis_id, self.basis_on, self.amount, self.enterprise_name,
                self.withhold_reason, self.trace)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # mutable, as the dataclass it replaces

    def __repr__(self) -> str:
        return "Candidate(" + ", ".join(f"{n}={v!r}" for n, v in zip(
            ("policy_id", "credit_code", "basis_id", "basis_on", "amount", "enterprise_name", "withhold_reason",
             "trace"), self._fields())) + ")"

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

"""Set-wise eligibility (资格核定) over dept_policy: one SQL statement per rule over every
enterprise (include/sql/policy/), never a query per enterprise. Policies sharing a rule file
(each_certification, first_certification, approved_applications) are evaluated by one statement
that binds their cert types / policy ids as a list; the enterprises' run-time statuses are read
once per evaluation (enterprise_names.sql, enterprise_withheld.sql) rather than joined into
every statement. The statements run on two connections while the candidates are made.

The result is every *candidate* award whose basis (certification day, approval time) lies in
[programme start, end of the period): the ledger later decides which are new. Each candidate
carries the enterprise's status at run time and the reason it is withheld, if any (the first of
``unknown_enterprise``, ``dishonest``, ``abnormal``), and a trace of why it was granted.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import decimal
import gc
import itertools
import operator
from dataclasses import dataclass, field

from gxq import sql as gsql
from gxq.periods import Period
from gxq.policy.model import CENT, Candidate, Policy, money
from gxq.policy.rules import Award

WITHHOLD_REASONS = ("unknown_enterprise", "dishonest", "abnormal")  # checked in this order

# What the project reads from dept_policy (checked by name before any query).
REQUIRED_COLUMNS = {
    "enterprises": ("credit_code", "name", "abnormal", "dishonest"),
    "certifications": ("cert_id", "credit_code", "cert_type", "certified_on"),
    "applications": ("application_id", "credit_code", "policy_id", "submitted_at", "amount_requested",
                     "status", "approved_at"),
    "commitments": ("commitment_id", "credit_code", "kind", "promised_amount", "due_on", "fulfilled_amount"),
}


@dataclass
class Evaluation:
    period_key: str
    policy_ids: list[str]
    candidates: list[Candidate] = field(default_factory=list)
    data_problems: list[dict] = field(default_factory=list)
    shortfalls: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"period_key": self.period_key, "policy_ids": self.policy_ids,
                "candidates": [c.to_json() for c in self.candidates],
                "data_problems": self.data_problems, "shortfalls": self.shortfalls}

    @classmethod
    def from_json(cls, d: dict) -> Evaluation:
        return cls(d["period_key"], list(d["policy_ids"]), [Candidate.from_json(c) for c in d["candidates"]],
                   list(d["data_problems"]), list(d["shortfalls"]))


def check_columns(engine) -> None:
    for table, columns in REQUIRED_COLUMNS.items():
        gsql.require_columns(engine, table, columns)


def _bounds(policy: Policy, period: Period) -> dict:
    pays_from = dt.date.fromisoformat(policy.pays_from)
    return {
        "pays_from_day": pays_from.isoformat(),
        "pays_from_ts": f"{pays_from.isoformat()} 00:00:00",
        "period_end_day": period.end.date().isoformat(),
        "period_end_ts": period.end_s,
    }


# The data problems of 申报类 policies: approved applications that cannot be paid, reported
# instead of dropped. Label of each ``problem`` code in the outputs.
PROBLEMS = {
    "approved_without_approved_at": "已批准但无批准时间",
    "approved_without_credit_code": "已批准但无统一社会信用代码",
    "negative_amount_requested": "申请金额为负数",
}
# Order of the problems of one application id in the outputs (as they were first reported).
_PROBLEM_ORDER = {"negative_amount_requested": 0, "approved_without_approved_at": 1,
                  "approved_without_credit_code": 2}

# Rule files that evaluate every policy using them in one statement: the sql_params key that
# selects a policy's rows, bound as a list named ``<key>s`` (``IN :cert_types``), and returned
# as a column of that name so each row goes to its policies. Other rule files run per policy.
GROUPED_RULES = {
    "policy/each_certification": "cert_type",
    "policy/first_certification": "cert_type",
    "policy/approved_applications": "policy_id",
}

_HALF_UP = decimal.ROUND_HALF_UP
_WORKERS = 2  # connections to dept_policy during an evaluation
_ZERO = money(0)
_CANDIDATE_KEY = operator.attrgetter("policy_id", "credit_code", "basis_id")


@dataclass
class _Statement:
    """One statement of the evaluation and the policies its rows go to."""

    sql: str
    params: dict
    basis: str
    selector: str | None = None  # the column naming each row's policy (None: one policy)
    targets: dict = field(default_factory=dict)  # selector value (or None) -> [Policy]


def _statements(policies: list[Policy], period: Period) -> list[_Statement]:
    out: dict[tuple, _Statement] = {}
    for policy in sorted(policies, key=lambda p: p.id):
        selector = GROUPED_RULES.get(policy.sql)
        if selector is None or selector not in policy.sql_params:
            out[("single", policy.id)] = _Statement(policy.sql, {**policy.sql_params, **_bounds(policy, period)},
                                                    policy.basis, None, {None: [policy]})
            continue
        others = tuple(sorted((k, repr(v)) for k, v in policy.sql_params.items() if k != selector))
        key = ("grouped", policy.sql, policy.basis, policy.pays_from, others)
        stmt = out.get(key)
        if stmt is None:
            params = {k: v for k, v in policy.sql_params.items() if k != selector}
            stmt = out[key] = _Statement(policy.sql, {**params, **_bounds(policy, period), selector + "s": []},
                                         policy.basis, selector)
        value = policy.sql_params[selector]
        if value not in stmt.targets:
            stmt.params[selector + "s"].append(value)
        stmt.targets.setdefault(value, []).append(policy)
    return list(out.values())


def _select(conn, name: str, params: dict, lists=()) -> tuple[tuple[str, ...], list]:
    """(column names, rows as tuples) of include/sql/<name>.sql with bound params; ``lists``
    names the params bound as lists (``IN :name``)."""
    import sqlalchemy as sa

    stmt = sa.text(gsql.render(name, conn.dialect.name))
    if lists:
        stmt = stmt.bindparams(*(sa.bindparam(n, expanding=True) for n in lists))
    result = conn.execute(stmt, params)
    try:
        columns = tuple(result.keys())
        cursor = getattr(result, "cursor", None)
        # the DBAPI's own tuples: SQLAlchemy Row objects cost ~1 µs a row, the read's whole cost again
        rows = cursor.fetchall() if cursor is not None else [tuple(r) for r in result]
    finally:
        result.close()
    return columns, rows


def _problem(policy: Policy, application_id, credit_code, problem: str) -> dict:
    return {"policy_id": policy.id, "application_id": str(application_id), "credit_code": gsql.to_text(credit_code),
            "problem": problem}


def _explainer(policy: Policy, columns: tuple[str, ...]):
    """The trace of a candidate of ``policy`` from its statement row, built when first read."""
    head = f"{policy.id} {policy.name}"
    application = policy.basis == "application"

    def explain(candidate: Candidate, row: tuple) -> dict:
        values = dict(zip(columns, row))
        values["basis_on"] = candidate.basis_on
        if application:
            values["basis_at"] = gsql.to_dt(values["basis_at"]).strftime("%Y-%m-%d %H:%M:%S")
        trace = {"policy": head, **policy.award.explain(values, policy)}
        if candidate.withhold_reason:
            trace["withheld"] = candidate.withhold_reason
        return trace

    return explain


class _Target:
    """A policy that the rows of a statement go to, and how its candidates are made."""

    __slots__ = ("columns", "explain", "formulas", "id", "lazy", "out", "policy")

    def __init__(self, policy: Policy, columns: tuple[str, ...], out: list):
        self.policy, self.id, self.columns, self.out = policy, policy.id, columns, out
        self.lazy = isinstance(policy.award, Award)  # amount now, trace when read
        self.explain = _explainer(policy, columns) if self.lazy else None
        self.formulas: dict = {}  # basis day -> the award formula in force (Award.at)

    def formula(self, day: str):
        found = self.formulas[day] = self.policy.award.at(self.policy, day)
        return found

    def eager(self, row, code, basis_id, basis_on, name, reason) -> Candidate:
        """Any ``award(row, policy) -> (amount, trace)`` that is not an :class:`Award`."""
        policy = self.policy
        values = dict(zip(self.columns, row))
        values["basis_on"] = basis_on
        if policy.basis == "application":
            values["basis_at"] = gsql.to_dt(values["basis_at"]).strftime("%Y-%m-%d %H:%M:%S")
        amount, trace = policy.award(values, policy)
        trace = {"policy": f"{policy.id} {policy.name}", **trace}
        if reason:
            trace["withheld"] = reason
        return Candidate(policy.id, code, basis_id, basis_on, money(amount), name, reason, trace)


class _Statuses:
    """The enterprises' run-time statuses, read once per evaluation: ``names`` (credit_code ->
    name, every enterprise) and ``reasons`` (credit_code -> dishonest / abnormal, only the few
    enterprises withheld for either)."""

    def __init__(self, conn):
        _, rows = _select(conn, "policy/enterprise_names", {})
        self.names = dict(rows)
        self.duplicated = set()
        if len(self.names) != len(rows):  # the contract's primary key is missing
            counts = collections.Counter(r[0] for r in rows)
            self.duplicated = {code for code, n in counts.items() if n > 1}
        if conn.dialect.name != "postgresql":  # text as the contract reads it (PostgreSQL gives str)
            self.names = {code: gsql.to_text(name) for code, name in self.names.items()}
        _, rows = _select(conn, "policy/enterprise_withheld", {})
        self.reasons = {}
        for code, abnormal, dishonest in rows:  # the first reason that applies (docs/reference.md)
            if gsql.to_bool(dishonest):
                self.reasons[code] = "dishonest"
            elif gsql.to_bool(abnormal):
                self.reasons[code] = "abnormal"

    def get(self, code) -> tuple[str | None, str | None]:
        """(name, withheld reason) of the enterprise with ``code``."""
        name = self.names.get(code, _MISSING)
        if name is _MISSING:
            return None, "unknown_enterprise"
        return name, self.reasons.get(code)

    def name(self, code) -> str | None:
        return self.names.get(code) if code is not None else None


_MISSING = object()


def _evaluate_statement(stmt: _Statement, columns, rows, statuses: _Statuses, iso_days: bool,
                        candidates: dict[str, list], problems: list) -> None:
    """The candidates (and, for applications, data problems) of one statement's rows.

    Runs once per basis (~110,000 at 200,000 enterprises): kept to a few lookups and one
    Candidate each; the trace is formatted when read (Candidate.trace). Each policy's candidates
    go to ``candidates[policy_id]`` in the order of the rows. ``iso_days``: the statement gives
    basis days (certifications) and approval times (applications) as ISO text (PostgreSQL's
    to_char), else they are normalised here."""
    index = {c: i for i, c in enumerate(columns)}
    targets = {value: [_Target(p, columns, candidates.setdefault(p.id, [])) for p in ps]
               for value, ps in stmt.targets.items()}
    if stmt.basis == "application":
        rows = _application_rows(stmt, index, rows, targets, iso_days, problems)
    else:
        rows = _certification_rows(index, rows, iso_days)
    # rows: (row, credit_code, basis day, amount requested) of the candidates
    i_id = index["basis_id"]
    i_sel = index[stmt.selector] if stmt.selector else None
    names_get, reasons_get = statuses.names.get, statuses.reasons.get
    missing, unknown = _MISSING, "unknown_enterprise"
    if all(len(ts) == 1 and ts[0].lazy for ts in targets.values()):  # one policy per row, an Award each
        single = {value: ts[0] for value, ts in targets.items()}
        for row, code, basis_on, requested in rows:
            t = single[row[i_sel] if i_sel is not None else None]
            name = names_get(code, missing)  # the enterprise's run-time status (docs/reference.md order)
            formula = t.formulas.get(basis_on) or t.formula(basis_on)
            t.out.append(Candidate(t.id, str(code), str(row[i_id]), basis_on, formula(requested),
                                   None if name is missing else name,
                                   unknown if name is missing else reasons_get(code), None, t.explain, row))
        return
    for row, code, basis_on, requested in rows:
        name = names_get(code, missing)
        name, reason = (None, unknown) if name is missing else (name, reasons_get(code))
        code, basis_id = str(code), str(row[i_id])
        for t in targets[row[i_sel] if i_sel is not None else None]:
            if t.lazy:
                formula = t.formulas.get(basis_on) or t.formula(basis_on)
                t.out.append(Candidate(t.id, code, basis_id, basis_on, formula(requested), name, reason,
                                       None, t.explain, row))
            else:
                t.out.append(t.eager(row, code, basis_id, basis_on, name, reason))


def _certification_rows(index: dict, rows, iso_days: bool):
    i_code, i_day = index["credit_code"], index["basis_on"]
    if iso_days:
        return ((row, row[i_code], row[i_day], _ZERO) for row in rows)
    to_date = gsql.to_date
    return ((row, row[i_code], to_date(row[i_day]).isoformat(), _ZERO) for row in rows)


def _application_rows(stmt: _Statement, index: dict, rows, targets: dict, iso_days: bool, problems: list):
    """The approved applications that are candidates; the others are data problems (PROBLEMS)."""
    i_id, i_code, i_at = index["basis_id"], index["credit_code"], index["basis_at"]
    i_amount = index.get("amount_requested")
    i_sel = index[stmt.selector] if stmt.selector else None
    to_dt, decimal_type, zero = gsql.to_dt, decimal.Decimal, _ZERO
    for row in rows:
        code, at = row[i_code], row[i_at]
        problem = None
        if at is None or at == "":
            problem = "approved_without_approved_at"
        elif code is None or code == "":
            problem = "approved_without_credit_code"
        else:
            amount = row[i_amount] if i_amount is not None else None
            requested = amount.quantize(CENT, _HALF_UP) if amount.__class__ is decimal_type else money(amount)
            if requested < zero:
                problem = "negative_amount_requested"
        if problem is None:
            yield row, code, at[:10] if iso_days else to_dt(at).date().isoformat(), requested
        else:
            problems.extend(_problem(t.policy, row[i_id], code, problem)
                            for t in targets[row[i_sel] if i_sel is not None else None])


def candidates_for(engine, policy: Policy, period: Period) -> tuple[list[Candidate], list[dict]]:
    """Every candidate award of one policy with a basis up to the end of ``period``, and the
    rows found that cannot be paid (data problems, :data:`PROBLEMS`)."""
    ev = evaluate(engine, period, [policy], with_commitments=False)
    return ev.candidates, ev.data_problems


def _shortfall_params(period: Period) -> dict:
    return {"start_day": period.start.date().isoformat(), "end_day": period.end.date().isoformat()}


def _shortfalls(columns, rows, statuses: _Statuses) -> list[dict]:
    from gxq.policy.model import money_json

    out = []
    for row in rows:
        r = dict(zip(columns, row))
        out.append({
            "commitment_id": str(r["commitment_id"]), "credit_code": gsql.to_text(r["credit_code"]),
            "promised_amount": money_json(money(r["promised_amount"])),
            "fulfilled_amount": money_json(money(r["fulfilled_amount"])),
            "kind": gsql.to_text(r["kind"]), "due_on": gsql.to_date(r["due_on"]).isoformat(),
            "enterprise_name": statuses.name(r["credit_code"]),
        })
    return sorted(out, key=lambda r: r["commitment_id"])


def commitment_shortfalls(engine, period: Period) -> list[dict]:
    """双承诺: commitments due in the period with fulfilled < promised, by commitment_id."""
    with engine.connect() as conn:
        columns, rows = _select(conn, "policy/commitment_shortfalls", _shortfall_params(period))
        return _shortfalls(columns, rows, _Statuses(conn) if rows else None)


@contextlib.contextmanager
def _without_gc():
    """The cyclic GC paused while an evaluation builds its ~10^5 candidates and rows (none in a
    cycle): collections walking them again and again were ~20 % of the evaluation's time. When it
    resumes they are moved to the oldest generation (gc.freeze then gc.unfreeze: a list splice),
    not walked by the next young collection; unless the process froze objects itself."""
    was_enabled = gc.isenabled()
    frozen_before = gc.get_freeze_count()
    gc.disable()
    try:
        yield
    finally:
        if frozen_before == 0:
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()


def evaluate(engine, period: Period, policies: list[Policy], with_commitments: bool) -> Evaluation:
    with _without_gc():
        return _evaluate(engine, period, policies, with_commitments)


def _evaluate(engine, period: Period, policies: list[Policy], with_commitments: bool) -> Evaluation:
    from concurrent.futures import ThreadPoolExecutor, as_completed

    ev = Evaluation(period.key, sorted(p.id for p in policies))
    by_policy: dict[str, list[Candidate]] = {}
    problems: list[dict] = []
    statements = _statements(policies, period)
    iso_days = engine.dialect.name == "postgresql"

    def select(name: str, params: dict, lists=()):
        with engine.connect() as conn:
            return _select(conn, name, params, lists)

    def statuses():
        with engine.connect() as conn:
            return _Statuses(conn)

    # Two connections: the database runs the next statement while this process makes the
    # candidates of the last one. The enterprises' statuses come first: every candidate needs them.
    with ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="gxq-policy") as pool:
        status_future = pool.submit(statuses) if statements or with_commitments else None
        futures = {pool.submit(select, stmt.sql, stmt.params, (stmt.selector + "s",) if stmt.selector else ()): stmt
                   for stmt in statements}
        shortfall_future = pool.submit(select, "policy/commitment_shortfalls", _shortfall_params(period)) \
            if with_commitments else None
        found = status_future.result() if status_future is not None else None
        for future in as_completed(futures):
            columns, rows = future.result()
            if rows:
                _evaluate_statement(futures[future], columns, rows, found, iso_days, by_policy, problems)
        if shortfall_future is not None:
            ev.shortfalls = _shortfalls(*shortfall_future.result(), found)
    ev.candidates = _sorted_unique([c for pid in sorted(by_policy) for c in by_policy[pid]])
    problems.sort(key=lambda d: (d["policy_id"], d["application_id"], _PROBLEM_ORDER[d["problem"]]))
    ev.data_problems = problems
    if found is not None and found.duplicated:
        dupes = sorted(c.key for c in ev.candidates if c.credit_code in found.duplicated)
        if dupes:  # which of its statuses would it be paid under?
            raise ValueError(f"duplicate award identities in dept_policy (credit_code not unique in enterprises): "
                             f"{dupes[:5]}")
    return ev


def _sorted_unique(candidates: list[Candidate]) -> list[Candidate]:
    """The candidates sorted by key; a key twice (a cert_id / application_id that is not unique in
    dept_policy: the same award would be paid twice) raises. The statements return their rows in
    key order, so this is one pass over the keys unless something came out of order."""
    keys = list(map(_CANDIDATE_KEY, candidates))
    if all(map(operator.lt, keys, itertools.islice(keys, 1, None))):  # strictly increasing: sorted, unique
        return candidates
    candidates.sort(key=_CANDIDATE_KEY)
    keys = list(map(_CANDIDATE_KEY, candidates))
    if any(map(operator.eq, keys, itertools.islice(keys, 1, None))):
        dupes = sorted(k for k, n in collections.Counter(keys).items() if n > 1)
        raise ValueError(f"duplicate award identities in dept_policy (basis ids not unique): {dupes[:5]}")
    return candidates

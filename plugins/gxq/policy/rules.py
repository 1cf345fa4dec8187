"""Award formulas shared by catalogue entries (兑现金额计算), written over columns as OpenFisca
writes them: a formula runs once per policy over all its candidates (:class:`Candidates`: the
columns of its rule statement's rows) and returns each one's amount in integer fen (分) with what
it used (:class:`Award`). Parameters are looked up at each candidate's basis date, so a new dated
value applies to bases from its start on. What a formula used is kept as data; the evaluation
renders the sentences a person reads from it (:mod:`gxq.policy.evaluate`)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from gxq.policy.model import DatedParameter, fen


@dataclass
class Param:
    """A dated parameter as the candidates see it: per candidate, the index of the value in force."""

    parameter: DatedParameter
    index: np.ndarray

    @property
    def start(self) -> np.ndarray:
        return self.parameter.starts[self.index]

    @property
    def fen(self) -> np.ndarray:
        """An amount in yuan, per candidate, in fen."""
        return np.array([fen(v) for v in self.parameter.entries], dtype=np.int64)[self.index]

    def times(self, amount: np.ndarray) -> np.ndarray:
        """``amount`` (fen) × this ratio, rounded half up to the fen (amounts are never negative here)."""
        ratios = [Fraction(str(v)) for v in self.parameter.entries]
        num = np.array([r.numerator for r in ratios], dtype=np.int64)[self.index]
        den = np.array([r.denominator for r in ratios], dtype=np.int64)[self.index]
        return (2 * amount * num + den) // (2 * den)


@dataclass
class Min:
    """``min(base, limit)``, per candidate, in fen (the trace shows both and whether it capped)."""

    base: np.ndarray
    limit: np.ndarray


@dataclass
class Award:
    """What a formula computed: the amounts (fen), the rule's sentence and, by trace key, the
    parameters and the minimum it used, in the order the trace shows them."""

    amount: np.ndarray
    rule: str
    used: dict[str, Param | Min]


@dataclass
class Candidates:
    """The candidates of one policy as columns (rows of its rule statement)."""

    policy: object  # gxq.policy.model.Policy
    basis_on: np.ndarray  # YYYY-MM-DD
    requested: np.ndarray  # amount_requested in fen (applications; 0 for certifications)

    def param(self, name: str) -> Param:
        parameter = self.policy.parameters[name]
        return Param(parameter, parameter.at(self.basis_on))


def fixed_amount(param: str, rule: str):
    """A fixed amount per basis (每项认定奖励 N 元)."""

    def award(c: Candidates) -> Award:
        amount = c.param(param)
        return Award(amount.fen, rule, {"amount": amount})

    return award


def capped_request(cap: str, rule: str, ratio: str | None = None):
    """min(amount_requested × ratio, cap) per approved application (按比例, 最高 cap 元)."""

    def award(c: Candidates) -> Award:
        used = {}
        base = c.requested
        if ratio:
            used["ratio"] = c.param(ratio)
            base = used["ratio"].times(base)
        used["cap"] = c.param(cap)
        limit = used["cap"].fen
        return Award(np.minimum(base, limit), rule, {**used, "amount": Min(base, limit)})

    return award

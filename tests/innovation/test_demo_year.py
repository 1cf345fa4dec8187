"""The evaluation over columns gives, byte for byte, the reports the code before it gave (issue 24).

The demo year's ``dept_innovation`` (``gxq.demo.generate``, seed 2021, scale 1, the fixed 2021
window) is seeded on SQLite and on PostgreSQL, and a few months' and quarters' reports are hashed
as ``json.dumps(report, ensure_ascii=False, indent=1)``. The hashes were taken from the per-row code
before the frame (2026-12-06), and the frame gave the same for every month and quarter of 2021 on
both databases, with the scorecards, agendas, letters and notices. The two databases differ in one
data-problem detail (SQLite stores an annual target 0 as ``0``, PostgreSQL's numeric reads ``0.0``).
A change of the demo generator changes these hashes: re-take them from the code before the change.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from gxq.innovation import monthly, quarterly
from gxq.periods import parse_key

BEFORE = {
    "sqlite": {
        "2021-03": "9bbe2338b8fdccc7a029d342a9f978d7b4f3b904a7a6a12ada40fcf94274596c",
        "2021-10": "7283844affba65c28f4832833854c1df4f745227ed14c6b17981ab2ed4704fe9",
        "2021-12": "e22e0f813aee43b21d04072941e761d6a4e767082103fbba8a37509ed90e6b1f",
        "2021-Q4": "9932b2891954ddb7cd3a9c49ae6a6e4ee08f10a4739e4b8fb1c1415e9f27ccde",
    },
    "postgresql": {
        "2021-03": "584d4caddfeef8a96bf978747ee759d4d6b910443eab088a848e4253d3cef709",
        "2021-10": "0355655e6f7dc62357e51074fe1c4ae2a9b876862e21815557bd833054f79f86",
        "2021-12": "ac72414a8c76e8c874e36f4866a6b0f0257b87a7d181a3cd9a36b4cdcef4c639",
        "2021-Q4": "9932b2891954ddb7cd3a9c49ae6a6e4ee08f10a4739e4b8fb1c1415e9f27ccde",
    },
}


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_year(request, tmp_path):
    import sqlalchemy as sa
    from gxq.demo.generate import seed_one

    from tests.conftest import pg_url

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dept_innovation.db'}"
    else:
        url = pg_url(request.getfixturevalue("pg").create("inno_demo_year"))
    seed_one("dept_innovation", url)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    yield request.param, engine
    engine.dispose()


def test_demo_year_reports_are_those_of_the_code_before(demo_year):
    dialect, engine = demo_year
    got = {}
    for key in BEFORE[dialect]:
        period = parse_key(key)
        report = (quarterly if period.kind == "quarter" else monthly).evaluate(period, engine)
        got[key] = hashlib.sha256(json.dumps(report, ensure_ascii=False, indent=1).encode()).hexdigest()
    assert got == BEFORE[dialect]

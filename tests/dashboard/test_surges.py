"""营商环境看板: the bulletin section marks the week's 突增 (surging topics, street surges) and the
supervised items opened as 突增, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.dashboard import seeding


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def surging(request, tmp_path_factory):
    from gxq import store
    from gxq.petitions import supervision

    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('ops') / 'gxq_ops.db'}",
                                  poolclass=sa.pool.NullPool)
    else:
        pg = request.getfixturevalue("pg")
        engine = sa.create_engine(seeding.pg_url(pg, pg.create("dash_surge")), poolclass=sa.pool.NullPool)
    store.ensure_schema(engine)
    report = seeding.bulletin_report("2021-W09")
    report["surges"] = [{"topic": "燃气", "complaints": 6, "baseline_mean": 0.38, "threshold": 3.38},
                        {"topic": "供暖", "complaints": 14, "baseline_mean": 5.0, "threshold": 11.0}]
    report["street_surges"] = [{"topic": "噪音扰民", "street": "凌水街道", "complaints": 6, "baseline_mean": 0.0,
                                "threshold": 3.0}]
    store.record_report(engine, "petition_weekly_bulletin", "2021-W09", report, run_id="scheduled__2021-W09")
    supervision.save_states(engine, "2021-W09", [
        supervision.ItemState("2021-W09:燃气", "燃气", "2021-W09", "new", 0, 6, None, "U10", False,
                              opened_as="surge", surge=True),
        supervision.ItemState("2021-W06:供暖", "供暖", "2021-W06", "listed", 3, 14, 1, "U01", True,
                              opened_as="top", surge=True),
        supervision.ItemState("2021-W08:物业管理", "物业管理", "2021-W08", "falling", 1, 3, None, "U06", False),
    ])
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def sections(surging):
    from gxq.dashboard import queries

    return queries.dashboard_data(surging, dt.datetime(2021, 3, 10, 9, 0, tzinfo=queries.TZ))


def test_bulletin_section_marks_surges(sections):
    b = sections["bulletin"].data
    assert [(s["topic"], s["in_top"]) for s in b["surges"]] == [("燃气", False), ("供暖", True)]
    assert {t["topic"]: t["surge"] for t in b["top_topics"]} == {"供暖": True, "噪音扰民": False, "道路交通": False}
    assert b["street_surges"][0]["street"] == "凌水街道"


def test_supervised_items_opened_as_surge(sections):
    rows = {r["topic"]: r for r in sections["supervised"].rows}
    assert (rows["燃气"]["opened_as_surge"], rows["燃气"]["surge"]) == (True, True)
    assert (rows["供暖"]["opened_as_surge"], rows["供暖"]["surge"]) == (False, True)
    assert (rows["物业管理"]["opened_as_surge"], rows["物业管理"]["surge"]) == (False, False)


def test_page_shows_the_surges(sections):
    from gxq.dashboard import render

    html = render.render_dashboard(sections, now=dt.datetime(2021, 3, 10, 9, 0), user="admin")
    assert "本周突增事项" in html and "突增挂牌" in html and "高频榜内" in html
    assert html.count("data-surge-topic") == 2
    assert html.count("data-surge>") == 3  # 供暖 in the top list, 燃气 and 供暖 among the supervised items
    assert "凌水街道 · 噪音扰民 6件（阈值 3.0）" in html


def test_a_bulletin_without_surges_shows_none(tmp_path):
    from gxq import store
    from gxq.dashboard import queries, render

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ops.db'}", poolclass=sa.pool.NullPool)
    store.ensure_schema(engine)
    store.record_report(engine, "petition_weekly_bulletin", "2021-W09", seeding.bulletin_report("2021-W09"))
    s = queries.dashboard_data(engine, dt.datetime(2021, 3, 10, 9, 0, tzinfo=queries.TZ))
    assert s["bulletin"].data["surges"] == [] and not any(t["surge"] for t in s["bulletin"].data["top_topics"])
    assert "本周无突增事项" in render.render_dashboard(s, now=dt.datetime(2021, 3, 10, 9, 0), user="admin")

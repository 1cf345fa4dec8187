"""突增 (surges): the contract's test at its edges, the bulletin's surges from the stored per-topic
day counts on SQLite and PostgreSQL, surging topics under 挂牌督办 as 突增, and the store upgraded
from before the per-topic counts."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from gxq import periods
from gxq.petitions import daily, pipeline, rules, supervision
from gxq.petitions.tables import petition_days, petition_topic_days

ZERO = [0] * 8


# --- the rule at its edges (pure) ------------------------------------------------------------


def test_exactly_five_complaints_is_enough_four_is_not():
    # a topic without history: threshold 0 + 3 × max(0, 1) = 3
    assert rules.surge_test(4, ZERO) is None  # above the threshold, below the minimum
    assert rules.surge_test(5, ZERO) == {"complaints": 5, "baseline_mean": 0.0, "threshold": 3.0, "excess": 5.0}


@pytest.mark.parametrize("history, threshold", [
    ([2] * 8, 5.0),                      # σ = 0: μ + 3
    ([2, 4] * 4, 6.0),                   # σ = 1 exactly: μ + 3σ
    ([0, 4] * 4, 8.0),                   # σ = 2: μ + 3σ = 2 + 6
    ([3, 9] * 4, 15.0),                  # σ = 3: 6 + 9
])
def test_a_count_exactly_at_the_threshold_does_not_surge_one_more_does(history, threshold):
    at = int(threshold)
    assert rules.surge_baseline(history)["threshold"] == threshold
    assert rules.surge_test(at, history) is None
    hit = rules.surge_test(at + 1, history)
    assert hit is not None and hit["threshold"] == threshold


def test_sigma_below_one_counts_as_one():
    history = [3, 3, 3, 3, 3, 3, 3, 4]  # μ = 3.125, σ = √7 / 8 ≈ 0.33: threshold μ + 3 = 6.125
    assert rules.surge_test(6, history) is None
    hit = rules.surge_test(7, history)
    # Python's round(): 3.125 and 6.125 are exact binary fractions, rounded half to even
    assert hit == {"complaints": 7, "baseline_mean": 3.12, "threshold": 6.12, "excess": 3.875}
    # with σ taken as it is (0.33) the threshold would be 4.12 and 5 would surge: it does not
    assert rules.surge_test(5, history) is None


def test_a_topic_new_in_the_week_surges_from_five():
    got = rules.surges({"新话题": 5, "另一个": 4}, {})
    assert got == [{"topic": "新话题", "complaints": 5, "baseline_mean": 0.0, "threshold": 3.0}]


def test_weeks_without_complaints_count_zero():
    """Complaints in only two of the eight weeks: the six others are zeros, not missing weeks."""
    weeks = [periods.parse_key(f"2021-W{n:02d}") for n in range(1, 9)]
    rows = [{"day": weeks[0].first_day, "topic": "燃气", "street": None, "complaints": 3},
            {"day": weeks[5].first_day + dt.timedelta(days=6), "topic": "燃气", "street": "凌水街道", "complaints": 3}]
    baseline = daily.weekly_topic_counts(rows, weeks)
    assert baseline == {"燃气": [3, 0, 0, 0, 0, 3, 0, 0]}
    # μ = 0.75, σ = 1.30: threshold 4.65; over the two weeks with complaints alone it would be μ = 3, σ = 0 → 6
    assert rules.surges({"燃气": 6}, baseline) == [
        {"topic": "燃气", "complaints": 6, "baseline_mean": 0.75, "threshold": 4.65}]
    assert daily.weekly_topic_counts(rows, weeks, by_street=True) == {("燃气", "凌水街道"): [0, 0, 0, 0, 0, 3, 0, 0]}


def test_sorted_by_excess_then_code_point_and_no_topic_is_no_topic():
    week = {"b": 9, "a": 9, "c": 12, None: 50}
    base = {"a": [1] * 8, "b": [1] * 8, "c": [5] * 8}  # excess 8, 8, 7
    assert [s["topic"] for s in rules.surges(week, base)] == ["a", "b", "c"]
    street = rules.surges({("供暖", "凌水街道"): 6}, {})
    assert street == [{"topic": "供暖", "street": "凌水街道", "complaints": 6, "baseline_mean": 0.0, "threshold": 3.0}]


def test_baseline_must_be_eight_weeks():
    with pytest.raises(ValueError):
        rules.surges({"a": 6}, {"a": [0] * 9})
    with pytest.raises(ValueError):
        rules.surge_test(6, [])


# --- supervision: a surging topic outside the top list is a supervised item, marked 突增 --------


def _weeks(spec: dict[str, tuple[dict, list[str], list[str]]]):
    """{week: (counts, top topics, surging topics)} → get_week."""
    out = {}
    for key, (counts, top, surging) in spec.items():
        out[key] = supervision.WeekTopics(
            key, counts, [{"topic": t, "complaints": counts[t], "lead_unit": "U01", "units": ["U01"]} for t in top],
            [{"topic": t, "complaints": counts[t], "baseline_mean": 0.0, "threshold": 3.0, "lead_unit": "U12"}
             for t in surging])

    def get(key):
        return out.get(key) or supervision.WeekTopics(key, {}, [], [])

    return get


def test_surge_outside_the_top_list_is_opened_as_surge_and_followed():
    get = _weeks({
        "2021-W09": ({"供暖": 30, "燃气": 6}, ["供暖"], ["燃气"]),
        "2021-W10": ({"供暖": 30, "燃气": 3}, ["供暖"], []),
        "2021-W11": ({"供暖": 30}, ["供暖"], []),
    })
    w9 = {s.topic: s for s in supervision.states_as_of("2021-W09", get)}
    assert (w9["燃气"].state, w9["燃气"].opened_as, w9["燃气"].surge, w9["燃气"].rank) == ("new", "surge", True, None)
    assert w9["燃气"].lead_unit == "U12"  # the surge's lead: the topic has no top-list entry
    assert (w9["供暖"].opened_as, w9["供暖"].surge) == ("top", False)
    assert w9["燃气"].as_dict()["opened_as_label"] == "突增"
    w10 = {s.topic: s for s in supervision.states_as_of("2021-W10", get)}
    assert (w10["燃气"].state, w10["燃气"].opened_as, w10["燃气"].surge) == ("falling", "surge", False)
    w11 = {s.topic: s for s in supervision.states_as_of("2021-W11", get)}
    assert w11["燃气"].state == "resolved"


def test_a_topic_surging_week_after_week_stays_listed_and_is_escalated():
    get = _weeks({f"2021-W{n:02d}": ({"燃气": 6 + n}, [], ["燃气"]) for n in range(9, 13)})
    got = supervision.states_as_of("2021-W12", get)
    assert [(s.topic, s.state, s.opened_week, s.weeks_open, s.escalated, s.surge) for s in got] == [
        ("燃气", "listed", "2021-W09", 3, True, True)]


# --- the bulletin: surges computed with the week's reads, on SQLite and PostgreSQL --------------


def _complaints(db, topic: str, n: int, day: str, street: str = "凌水街道", lead: str = "U12"):
    for i in range(n):
        db.add(kind="投诉", topic=topic, received=f"{day} {8 + i % 10:02d}:00:00", street=street, lead=lead)


def _scenario(db):
    """2021-W09 (03-01 … 03-07) and the 8 weeks before it (2021-W01 … W08)."""
    base = periods.parse_key("2021-W01").first_day
    for k in range(8):
        monday = (base + dt.timedelta(weeks=k)).isoformat()
        _complaints(db, "噪音扰民", 4, monday, street="黄泥川街道", lead="U07")  # steady 4 a week
    _complaints(db, "燃气", 3, base.isoformat(), lead="U10")  # 燃气: 3 in W01 only
    # W09
    _complaints(db, "燃气", 4, "2021-03-02", lead="U10")
    _complaints(db, "燃气", 2, "2021-03-03", street="七贤岭街道", lead="U01")  # 6 in W09: μ 0.375, σ 0.99
    _complaints(db, "噪音扰民", 6, "2021-03-04", street="凌水街道", lead="U07")  # 6 vs μ 4, σ 0: no surge
    _complaints(db, "供水", 5, "2021-03-05", street=None, lead="U12")  # new topic: exactly 5
    db.add(kind="投诉", topic="供水", received="2021-03-05 20:00:00", status="已撤销")  # withdrawn: counts nowhere
    db.add(kind="求助", topic="燃气", received="2021-03-05 21:00:00")  # not a complaint


def test_bulletin_surges_streets_and_supervision(dept, ops, monkeypatch):
    monkeypatch.delenv("GXQ_PETITIONS_RECOUNT_WEEKS", raising=False)
    _scenario(dept)
    computed = pipeline.compute_all("2021-W09", engine=dept.engine, ops=ops)
    report = computed["report"]
    assert list(report)[-1] == "surges"  # a contract key, after excluded
    assert report["surges"] == [
        {"topic": "燃气", "complaints": 6, "baseline_mean": 0.38, "threshold": 3.38},
        {"topic": "供水", "complaints": 5, "baseline_mean": 0.0, "threshold": 3.0},
    ]
    assert {t["topic"] for t in report["top_topics"]} == {"噪音扰民", "燃气", "供水"}
    # the same test per topic × street: 噪音扰民 jumped in 凌水街道 (0 before), not as a whole
    assert computed["extras"]["street_surges"] == [
        {"topic": "噪音扰民", "street": "凌水街道", "complaints": 6, "baseline_mean": 0.0, "threshold": 3.0}]
    details = {d["topic"]: d for d in computed["extras"]["surge_details"]}
    assert details["燃气"]["streets"] == [{"street": "凌水街道", "complaints": 4}, {"street": "七贤岭街道", "complaints": 2}]
    assert details["燃气"]["lead_units"] == [{"unit": "U10", "complaints": 4}, {"unit": "U01", "complaints": 2}]
    assert details["燃气"]["lead_unit"] == "U10"
    assert [w["complaints"] for w in details["燃气"]["weeks"]] == [3, 0, 0, 0, 0, 0, 0, 0, 6]
    assert details["燃气"]["weeks"][-1]["period"] == "2021-W09"
    assert details["供水"]["streets"] == [{"street": None, "complaints": 5}]

    supervised = {s["topic"]: s for s in pipeline.supervise_week("2021-W09", computed, ops=ops, engine=dept.engine)}
    assert supervised["燃气"]["surge"] is True and supervised["燃气"]["opened_as"] == "top"  # in the top list too
    assert supervised["噪音扰民"]["surge"] is False
    with ops.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT item_id, surge FROM petition_supervised_states")).all())
    assert stored["2021-W09:燃气"] in (True, 1)


def test_surging_topic_outside_the_top_list_is_supervised_as_surge(dept, ops):
    """Ten topics with more complaints fill the top list; 燃气 surges below them."""
    base = periods.parse_key("2021-W01").first_day
    big = ["道路交通", "物业管理", "环境卫生", "市场监管", "教育", "医疗卫生", "停车管理", "劳动保障", "违章建筑", "园林绿化"]
    with dept.engine.begin() as conn:
        rows = []
        for k in range(10):  # W01 … W10, 8 complaints each week: steady, no surge
            day = base + dt.timedelta(weeks=k, days=1)
            for t in big:
                for i in range(8):
                    rows.append({"id": f"X{k}{big.index(t):02d}{i}", "r": f"{day} 09:{i:02d}:00", "t": t})
        conn.execute(sa.text(
            "INSERT INTO petitions (petition_id, received_at, channel, kind, topic, street, is_urgent, citizen_name,"
            " citizen_phone, content, status) VALUES (:id, :r, '8890热线', '投诉', :t, '凌水街道', false, '张三',"
            " '13612340546', '反映问题', '办理中')"), rows)
    _complaints(dept, "燃气", 6, "2021-03-02", lead="U10")
    computed = pipeline.compute_all("2021-W09", engine=dept.engine, ops=ops)
    assert "燃气" not in {t["topic"] for t in computed["report"]["top_topics"]}
    assert computed["report"]["surges"] == [{"topic": "燃气", "complaints": 6, "baseline_mean": 0.0, "threshold": 3.0}]
    supervised = {s["topic"]: s for s in pipeline.supervise_week("2021-W09", computed, ops=ops, engine=dept.engine)}
    gas = supervised["燃气"]
    assert (gas["state"], gas["opened_as"], gas["opened_as_label"], gas["surge"], gas["rank"], gas["lead_unit"]) == (
        "new", "surge", "突增", True, None, "U10")
    # the next week, a backfill: W10 is computed from the department, W09's list (with its surge) from the store
    _complaints(dept, "燃气", 2, "2021-03-09", lead="U10")
    w10 = pipeline.compute_all("2021-W10", engine=dept.engine, ops=ops)
    states = {s["topic"]: s for s in pipeline.supervise_week("2021-W10", w10, ops=ops, engine=dept.engine)}
    assert (states["燃气"]["state"], states["燃气"]["opened_week"], states["燃气"]["opened_as"]) == (
        "falling", "2021-W09", "surge")
    with ops.connect() as conn:
        opened_as = conn.execute(sa.text(
            "SELECT opened_as FROM petition_supervised_items WHERE item_id = '2021-W09:燃气'")).scalar()
    assert opened_as == "surge"


def test_days_stored_before_the_topic_counts_are_read_again_once(dept, ops, monkeypatch):
    """A store migrated from petitions_0002 holds days without topic counts (has_topics false):
    the next run reads them again (both tables), then never again."""
    from gxq.petitions import compute

    monkeypatch.delenv("GXQ_PETITIONS_RECOUNT_WEEKS", raising=False)
    _scenario(dept)
    pipeline.compute_all("2021-W09", engine=dept.engine, ops=ops)
    source = daily.source_key(dept.engine)
    with ops.begin() as conn:  # what petitions_0003 finds: days stored, no topic rows, has_topics false
        conn.execute(petition_topic_days.delete())
        conn.execute(petition_days.update().values(has_topics=False))
    reads = []
    real, real_week = compute.window_days, compute.read_week

    def spy(engine, first, end):
        reads.append((first, end))
        return real(engine, first, end)

    def spy_week(engine, period):
        reads.append((period.first_day, period.end.date()))
        return real_week(engine, period)

    monkeypatch.setattr(compute, "window_days", spy)
    monkeypatch.setattr(compute, "read_week", spy_week)
    again = pipeline.compute_all("2021-W09", engine=dept.engine, ops=ops)
    # the week itself (its own read, week.sql), then every day of the window before it, once
    assert reads == [(dt.date(2021, 3, 1), dt.date(2021, 3, 8)), (dt.date(2021, 1, 1), dt.date(2021, 3, 1))]
    assert [s["topic"] for s in again["report"]["surges"]] == ["燃气", "供水"]
    reads.clear()
    pipeline.compute_all("2021-W09", engine=dept.engine, ops=ops)
    assert reads == [(dt.date(2021, 3, 1), dt.date(2021, 3, 8))]  # the week only
    with ops.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(petition_days).where(
            petition_days.c.source == source, petition_days.c.has_topics.is_(False))).scalar() == 0


def test_migration_petitions_0003_from_a_0002_store(tmp_path):
    """A real upgrade: a store at petitions_0002 with stored days gets has_topics false and the
    new table; the downgrade removes them again."""
    from alembic import command
    from gxq import store

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ops.db'}", poolclass=sa.pool.NullPool)
    store.ensure_schema(engine)
    with engine.begin() as conn:
        command.downgrade(store._alembic_config(conn), "petitions_0002")
    assert "petition_topic_days" not in sa.inspect(engine).get_table_names()
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO petition_days (source, day, week_key, computed_at)"
                             " VALUES ('s', '2021-03-01', '2021-W09', '2021-03-08 00:00:00')"))
    store._migrated.clear()
    store.ensure_schema(engine)
    assert daily.stored_days(engine, "s", dt.date(2021, 3, 1), dt.date(2021, 3, 2)) == set()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT has_topics FROM petition_days")).scalar() in (False, 0)


# --- the bulletin's 突增事项 section, charts and street table ------------------------------------


def _surge_report():
    from tests.petitions.test_pipeline import _report

    report = _report()
    report["surges"] = [{"topic": "燃气", "complaints": 6, "baseline_mean": 0.38, "threshold": 3.38},
                        {"topic": "供暖", "complaints": 5, "baseline_mean": 0.0, "threshold": 3.0}]
    weeks = [f"2021-W{n:02d}" for n in range(1, 10)]
    report["surge_details"] = [
        {"topic": "燃气", "lead_unit": "U10",
         "streets": [{"street": "凌水街道", "complaints": 4}, {"street": None, "complaints": 2}],
         "lead_units": [{"unit": "U10", "complaints": 4}, {"unit": "U01", "complaints": 2}],
         "weeks": [{"period": k, "complaints": n} for k, n in zip(weeks, [3, 0, 0, 0, 0, 0, 0, 0, 6])]},
        {"topic": "供暖", "lead_unit": "U01", "streets": [{"street": "七贤岭街道", "complaints": 5}],
         "lead_units": [{"unit": "U01", "complaints": 5}],
         "weeks": [{"period": k, "complaints": n} for k, n in zip(weeks, [0] * 8 + [5])]},
    ]
    report["street_surges"] = [{"topic": "噪音扰民", "street": "凌水街道", "complaints": 6, "baseline_mean": 0.0,
                                "threshold": 3.0}]
    report["supervised_items"].append({
        "item_id": "2021-W09:燃气", "topic": "燃气", "opened_week": "2021-W09", "state": "new",
        "state_label": "新增挂牌", "weeks_open": 0, "complaints": 6, "rank": None, "lead_unit": "U10",
        "escalated": False, "opened_as": "surge", "opened_as_label": "突增", "surge": True})
    return report


def test_bulletin_files_have_the_surge_section_charts_and_street_table(tmp_path):
    import zipfile

    from docx import Document
    from gxq.petitions import render
    from openpyxl import load_workbook

    report = _surge_report()
    ctx = render.build_context(report, [], [], {"U10": "应急管理局", "U01": "建设局"})
    rows = ctx["tables"]["surges"]["rows"]
    assert rows[0] == [1, "燃气", 6, 0.38, 3.38, "凌水街道4件、未注明街道2件", "应急管理局(U10)4件、建设局(U01)2件",
                       "突增挂牌"]  # 燃气 is not in the top list (供暖 is)
    assert rows[1][-1] == "高频榜内"
    assert ctx["tables"]["street_surges"]["rows"] == [["噪音扰民", "凌水街道", 6, 0.0, 3.0]]
    assert ctx["tables"]["supervised"]["rows"][-1][:2] == ["燃气", "突增(本周突增)"]
    summary = "\n".join(ctx["summary_lines"])
    assert "突增事项2项(燃气6件、供暖5件), 其中1项不在高频榜, 以突增纳入挂牌督办" in summary
    files = render.write_files(tmp_path, ctx)
    assert {"surge_1", "surge_2"} <= set(files)
    assert files["surge_1"].read_bytes()[:4] == b"\x89PNG"
    html = files["html"].read_text(encoding="utf-8")
    assert "五、突增事项" in html and 'src="surge_1.png"' in html and "街道突增" in html and "凌水街道4件" in html
    doc = Document(str(files["docx"]))
    assert len(doc.inline_shapes) == 4  # two trend charts, two surge charts
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "五、突增事项" in text and "六、超期未反馈工单" in text
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert "突增挂牌" in cells and "噪音扰民" in cells
    wb = load_workbook(files["xlsx"])
    assert wb["突增事项"].max_row == 3 and wb["街道突增"]["B2"].value == "凌水街道"
    with zipfile.ZipFile(files["docx"]) as z:
        assert "本周无突增事项" not in z.read("word/document.xml").decode("utf-8")


def test_bulletin_without_surges_says_so(tmp_path):
    from gxq.petitions import render

    from tests.petitions.test_pipeline import _report

    ctx = render.build_context(_report(), [], [], {})  # a report stored before surges: no key at all
    assert ctx["tables"]["surges"]["rows"] == [] and ctx["surge_charts"] == []
    html = render.html(ctx, {"trend_received": b"png", "trend_rates": b"png"})
    assert "本周无突增事项" in html and "本周无街道突增" in html
    assert "突增事项" not in "\n".join(ctx["summary_lines"])


def test_surge_chart_is_nine_weeks_against_the_threshold():
    from gxq.office import pyplot
    from gxq.petitions import render

    plt = pyplot()
    report = _surge_report()
    png = render.surge_chart(plt, report["surges"][0], report["surge_details"][0]["weeks"])
    assert png[:4] == b"\x89PNG" and len(png) > 5000

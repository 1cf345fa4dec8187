"""The reminder's counts, report and notice on SQLite and PostgreSQL (hand-built dept_publicity)."""

from __future__ import annotations

import datetime as dt

import pytest
from gxq import cadences, carried, periods
from gxq.connections import dispose_all
from gxq.periods import TZ
from gxq.publicity import reminder, source, weekly_line
from gxq.run import Run, RunError

from tests.conftest import sqlite_conn_json

DAG_ID = "publicity_cadence_reminder"


def _run(as_of) -> Run:
    return Run.build(DAG_ID, None, as_of=as_of)


def counts_at(when: str, **kwargs):
    run = _run(when)
    return run, run.key, source.counts(*reminder.bounds(run), **kwargs)


def test_as_of_boundaries(backend):
    # Wednesday run: W1 at Monday 00:00 counted, W2 exactly at D not; S2 one second before D counted
    _as_of, key, got = counts_at("2021-03-03T10:00:00+08:00")
    assert key == "2021-W09-wed"
    assert (got.wechat_updates, got.wechat_posts, got.info_submissions) == (1, 1, 2)
    # one second later W2 is in
    _, _, later = counts_at("2021-03-03T10:00:01+08:00")
    assert (later.wechat_updates, later.wechat_posts) == (2, 2)
    # Friday run: W2 now counted, W3 exactly at D not
    _, key, fri = counts_at("2021-03-05T15:00:00+08:00")
    assert key == "2021-W09-fri"
    assert (fri.wechat_updates, fri.wechat_posts, fri.info_submissions) == (2, 2, 2)


def test_report_behind_in_contract_order(backend):
    as_of, _, got = counts_at("2021-03-10T10:00")  # W10: no post, S4 at Monday 00:00
    report = reminder.build_report(as_of, got.to_dict())
    assert report["period"] == "2021-W10" and report["as_of"] == "2021-03-10T10:00:00+08:00"
    assert (report["wechat_updates"], report["wechat_posts"], report["info_submissions"]) == (0, 0, 1)
    assert report["targets"] == {"wechat_updates": 1, "info_submissions": 2}
    assert report["behind"] == ["wechat_updates", "info_submissions"]
    notice = reminder.reminder_notice(report)
    assert notice.recipient == "publicity" and notice.kind == "reminder"
    assert "公众号更新还差 1 次" in notice.body and "工作信息报送还差 1 篇" in notice.body
    assert "紧急" not in notice.subject


def test_no_reminder_when_on_target(backend):
    as_of, _, got = counts_at("2021-03-05T15:00")
    report = reminder.build_report(as_of, got.to_dict())
    assert report["behind"] == [] and report["urgent"] is True
    assert reminder.reminder_notice(report) is None


def test_friday_reminder_is_urgent(backend):
    as_of, key, got = counts_at("2021-03-12T15:00")  # W10 Friday: still 0 posts, 1 submission
    report = reminder.build_report(as_of, got.to_dict())
    notice = reminder.reminder_notice(report)
    assert key == "2021-W10-fri" and report["behind"] == ["wechat_updates", "info_submissions"]
    assert notice.kind == "reminder_urgent" and "紧急提醒" in notice.subject


def test_service_account_with_its_four_sends_used_is_not_urged_to_post(backend, monkeypatch):
    # W12 Wednesday: no post this week, 2 submissions; March had 4 sends (W1, W2, W3, W5a+b... W6)
    as_of, _, sub = counts_at("2021-03-24T10:00")
    assert sub.account_type == "订阅号" and sub.monthly_send_limit is None
    report = reminder.build_report(as_of, sub.to_dict())
    assert report["behind"] == ["wechat_updates"] and reminder.reminder_notice(report) is not None

    monkeypatch.setenv("GXQ_WECHAT_ACCOUNT_TYPE", "服务号")
    _, _, svc = counts_at("2021-03-24T10:00")
    # distinct publish times in March before D: 03-01, 03-03, 03-05, 03-18 (two articles), 03-19
    assert svc.sends_this_month == 5 and svc.sends_left == 0 and svc.monthly_send_limit == 4
    report = reminder.build_report(as_of, svc.to_dict())
    assert report["behind"] == ["wechat_updates"]  # the contract's list is unchanged ...
    assert report["urged"] == [] and "服务号" in report["not_urged"]["wechat_updates"]
    assert reminder.reminder_notice(report) is None  # ... but nobody is urged to do the impossible


def test_service_account_with_sends_left_is_urged_and_told_how_many():
    counts = {"wechat_updates": 0, "wechat_posts": 0, "info_submissions": 0, "source": "table", "account_type": "服务号",
              "sends_this_month": 1, "monthly_send_limit": 4, "sends_left": 3}
    report = reminder.build_report(_run("2021-03-10T10:00"), counts)
    notice = reminder.reminder_notice(report)
    assert report["urged"] == ["wechat_updates", "info_submissions"]
    assert "还剩 3 次" in notice.body
    counts.update(sends_this_month=4, sends_left=0)
    report = reminder.build_report(_run("2021-03-10T10:00"), counts)
    notice = reminder.reminder_notice(report)
    assert report["urged"] == ["info_submissions"]
    assert "工作信息报送还差 2 篇" in notice.body and "本周不再催办" in notice.body


def test_weekly_line_for_the_bulletin(backend):
    line = weekly_line("2021-W09")
    # the whole week: W1, W2, W3 (W0 is the Sunday before); S1, S2, S3 (S4 is next Monday 00:00)
    assert (line["wechat_updates"], line["wechat_posts"], line["info_submissions"]) == (3, 3, 3)
    assert line["targets"] == {"wechat_updates": 1, "info_submissions": 2}
    assert line["behind"] == [] and "均已达标" in line["text"] and "2021-W09" in line["text"]
    assert "公众号更新 3 次（目标 1 次，发文 3 篇）" in line["text"]
    line = weekly_line("2021-W10")
    assert (line["wechat_updates"], line["wechat_posts"], line["info_submissions"]) == (0, 0, 1)
    assert line["behind"] == ["wechat_updates", "info_submissions"] and "未达标" in line["text"]
    line = weekly_line("2021-W18")  # one update of three articles: on target
    assert (line["wechat_updates"], line["wechat_posts"], line["behind"]) == (1, 3, ["info_submissions"])


@pytest.mark.parametrize(
    ("week", "updates", "posts", "behind"),
    [
        ("2021-W18", 1, 3, []),  # one update (群发) of three articles is compliant
        ("2021-W19", 1, 1, []),  # a single single-article update is compliant
        ("2021-W20", 0, 0, ["wechat_updates"]),  # no update is behind
        ("2021-W21", 1, 2, []),  # two posts on one day, at two times: one update
        ("2021-W22", 2, 2, []),  # 23:59:59 and the next day's 00:00:00: two days, two updates
    ],
)
def test_updates_are_days_with_a_post(backend, week, updates, posts, behind):
    # the week's Friday 15:00 reminder (every post of these weeks lies before it)
    from gxq import periods

    friday = periods.parse_key(week, ("week",)).first_day + dt.timedelta(days=4)
    as_of, _, got = counts_at(f"{friday.isoformat()}T15:00")
    assert (got.wechat_updates, got.wechat_posts, got.info_submissions) == (updates, posts, 0)
    report = reminder.build_report(as_of, got.to_dict())
    assert report["behind"] == [*behind, "info_submissions"]  # no submissions in these weeks
    notice = reminder.reminder_notice(report)
    assert ("公众号更新还差 1 次" in notice.body) == bool(behind)
    assert f"本周已发文章 {posts} 篇" in notice.body


@pytest.mark.parametrize(
    ("value", "key", "iso"),
    [
        ("2021-03-03T10:00", "2021-W09-wed", "2021-03-03T10:00:00+08:00"),
        ("2021-03-03T02:00:00Z", "2021-W09-wed", "2021-03-03T10:00:00+08:00"),
        ("2021-03-04T10:00:00+08:00", "2021-W09-thu", "2021-03-04T10:00:00+08:00"),  # a moved Wednesday
        ("2021-02-20T15:00", "2021-W07-sat", "2021-02-20T15:00:00+08:00"),  # make-up Saturday
        ("2021-03-07", "2021-W09-sun", "2021-03-07T00:00:00+08:00"),
    ],
)
def test_as_of_param_and_report_key(value, key, iso):
    run = _run(value)
    assert run.key == key and run.period.key == key[:8]
    assert run.as_of.isoformat() == iso


@pytest.mark.parametrize("value", ["yesterday", "2021-W09", 42, ""])
def test_bad_as_of_is_refused(value):
    with pytest.raises(periods.PeriodError):
        periods.parse_moment(value)
    if value != "":  # an empty param means "not given": the logical date
        with pytest.raises(RunError, match="invalid as_of param"):
            _run(value)


def test_as_of_prefers_param_then_logical_date_then_run_time():
    logical = dt.datetime(2021, 3, 5, 7, 0, tzinfo=dt.UTC)  # Friday 15:00 Shanghai
    run = Run.from_context({"logical_date": logical, "params": {}}, DAG_ID)
    assert run.as_of == dt.datetime(2021, 3, 5, 15, tzinfo=TZ) and run.key == "2021-W09-fri"
    got = Run.from_context({"logical_date": logical, "params": {"as_of": "2021-03-03T10:00"}}, DAG_ID)
    assert got.as_of == dt.datetime(2021, 3, 3, 10, tzinfo=TZ) and got.key == "2021-W09-wed"

    class DagRun:
        run_after = dt.datetime(2021, 3, 3, 2, 0, 30, 123456, tzinfo=dt.UTC)

    got = Run.from_context({"logical_date": None, "dag_run": DagRun(), "params": {}}, DAG_ID)
    assert got.as_of == dt.datetime(2021, 3, 3, 10, 0, 30, tzinfo=TZ)


def test_bad_source_setting(monkeypatch):
    monkeypatch.setenv("GXQ_WECHAT_SOURCE", "spreadsheet")
    with pytest.raises(source.PublicityConfigError):
        source.wechat_source()
    monkeypatch.setenv("GXQ_WECHAT_SOURCE", "API")
    assert source.wechat_source() == "api"


def test_times_that_are_not_on_sqlite(tmp_path, use_conns, output_dir, monkeypatch):
    """SQLite text that is no time (issue 22.6): counted in no week (even where its text sorts inside
    the window), listed in the report's data_problems and to ops; no crash."""
    import sqlalchemy as sa

    from tests.conftest import sqlite_conn_json
    from tests.publicity.conftest import fill

    path = tmp_path / "dept_publicity_text.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    fill(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO wechat_posts VALUES ('WBAD', '2021-03-02 1x:00:00', '坏', 'U01')"))
        conn.execute(sa.text("INSERT INTO info_submissions VALUES ('SBAD', '2021-03-0x', '坏', '市政府办', 'U01')"))
    engine.dispose()
    use_conns({"dept_publicity": sqlite_conn_json(path), "gxq_ops": sqlite_conn_json(tmp_path / "ops.db")})
    monkeypatch.delenv("GXQ_WECHAT_SOURCE", raising=False)
    monkeypatch.delenv("GXQ_APPRISE_CONFIG", raising=False)  # demo channel: notices as files
    from gxq.publicity import pipeline

    report = pipeline.run_all(Run.build(DAG_ID, None, as_of="2021-03-03T10:00", dry_run=False))
    # the same counts as without the two bad rows (test_as_of_boundaries)
    assert (report["wechat_updates"], report["wechat_posts"], report["info_submissions"]) == (1, 1, 2)
    assert report["data_problems"] == [
        {"table": "info_submissions", "id": "SBAD", "value": "2021-03-0x"},
        {"table": "wechat_posts", "id": "WBAD", "value": "2021-03-02 1x:00:00"}]
    [ops] = list((output_dir / "_notices" / "ops" / DAG_ID / "2021-W09-wed").glob("data_problems*.md"))
    text = ops.read_text(encoding="utf-8")
    assert "SBAD" in text and "WBAD" in text and "2021-03-0x" in text


def test_the_bulletin_carries_the_weekly_line_through_the_step_layer(backend, tmp_path, monkeypatch, caplog):
    """gxq.carried: the bulletin's registry entry carries publicity; its line is weekly_line of the
    bulletin's week; a line that fails is left out (the bulletin goes without it), with a warning."""
    bulletin = cadences.dag_of("petitions")
    week = periods.parse_key("2021-W09", ("week",))
    assert carried.lines(bulletin, week) == {"publicity": weekly_line(week)}
    assert carried.lines(DAG_ID, week) == {}  # the reminder carries nothing
    monkeypatch.setenv("AIRFLOW_CONN_DEPT_PUBLICITY", sqlite_conn_json(tmp_path / "empty.db"))  # no tables
    dispose_all()
    assert carried.lines(bulletin, week) == {}
    assert "gxq.publicity.pipeline.line(2021-W09) failed" in caplog.text

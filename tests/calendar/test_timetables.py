"""The working-day timetables as Airflow sees them: next run, catchup=False, manual runs,
serialisation through Airflow's encoders and a whole serialised DAG, plugin registration."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from airflow.timetables.base import DataInterval, TimeRestriction
from gxq import cadences
from gxq.calendar import timetables as tts
from gxq.calendar import workdays

TZ = "Asia/Shanghai"
START = pendulum.datetime(2021, 1, 1, tz=TZ)


def local(*args) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=TZ)


def _next(tt, last=None, *, catchup=True, earliest=START, latest=None):
    return tt.next_dagrun_info(
        last_automated_data_interval=last, restriction=TimeRestriction(earliest, latest, catchup)
    )


@pytest.fixture
def now(monkeypatch):
    def set_now(when):
        monkeypatch.setattr(tts, "_utcnow", lambda: when.in_timezone("UTC"))

    return set_now


def test_bulletin_first_and_moved_runs_with_catchup():
    tt = tts.WeekdayOrNextWorkingDayTimetable(0, "09:00")
    first = _next(tt)
    assert first.run_after == local(2021, 1, 4, 9) and first.logical_date == local(2021, 1, 4, 9)
    assert first.data_interval.start == first.data_interval.end
    after_feb8 = _next(tt, DataInterval.exact(local(2021, 2, 8, 9)))
    assert after_feb8.run_after == local(2021, 2, 18, 9)  # 2-15 is 春节
    assert after_feb8.logical_date == local(2021, 2, 18, 9)
    assert _next(tt, DataInterval.exact(local(2021, 9, 27, 9))).run_after == local(2021, 10, 8, 9)
    assert _next(tt, DataInterval.exact(local(2021, 2, 8, 9)), latest=local(2021, 2, 17)) is None


def test_pushed_run_keeps_nominal_logical_date_and_unique_run_id():
    tt = tts.WeekdayOrNextWorkingDayTimetable(0, "09:00")
    pushed = _next(tt, DataInterval.exact(local(2026, 2, 9, 9)))
    assert pushed.run_after == local(2026, 2, 24, 9)
    assert pushed.logical_date == local(2026, 2, 16, 9)
    regular = _next(tt, pushed.data_interval)
    assert regular.run_after == local(2026, 2, 24, 9) == regular.logical_date
    assert _next(tt, regular.data_interval).run_after == local(2026, 3, 2, 9)
    from airflow.utils.types import DagRunType

    ids = {
        tt.generate_run_id(run_type=DagRunType.SCHEDULED, run_after=i.run_after, data_interval=i.data_interval)
        for i in (pushed, regular)
    }
    assert len(ids) == 2


def test_catchup_false_starts_from_most_recent_scheduled_time(now):
    tt = tts.WeekdayOrNextWorkingDayTimetable(0, "09:00")
    now(local(2021, 2, 16, 12))  # in the Spring Festival
    info = _next(tt, catchup=False)
    assert info.run_after == local(2021, 2, 8, 9)  # the latest due run, not every week since January
    assert _next(tt, info.data_interval, catchup=False).run_after == local(2021, 2, 18, 9)
    # an old last run is not caught up
    assert _next(tt, DataInterval.exact(local(2021, 1, 4, 9)), catchup=False).run_after == local(2021, 2, 8, 9)
    # start_date in the future wins
    assert _next(tt, catchup=False, earliest=local(2021, 3, 2)).run_after == local(2021, 3, 8, 9)


def test_reminder_timetable_moves_within_week(now):
    tt = tts.WorkingWeekdaysTimetable(((2, "10:00"), (4, "15:00")))
    runs = []
    info = _next(tt, DataInterval.exact(local(2021, 2, 5, 15)))
    while info.run_after < local(2021, 2, 27):
        runs.append(info.run_after)
        info = _next(tt, info.data_interval)
    assert runs == [
        local(2021, 2, 10, 10),  # Friday 2-12 is a holiday and the week has no working day after it
        local(2021, 2, 18, 10),  # Wednesday 2-17 holiday -> Thursday
        local(2021, 2, 19, 15),
        local(2021, 2, 24, 10),
        local(2021, 2, 26, 15),
    ]
    now(local(2021, 10, 5, 12))
    assert _next(tt, catchup=False).run_after == local(2021, 9, 29, 10)


def test_nth_working_day_timetable():
    tt = tts.NthWorkingDayTimetable(3, "09:00", "month")
    assert _next(tt).run_after == local(2021, 1, 6, 9)
    assert _next(tt, DataInterval.exact(local(2021, 9, 3, 9))).run_after == local(2021, 10, 11, 9)
    q = tts.NthWorkingDayTimetable(6, "09:00", "quarter")
    assert _next(q, DataInterval.exact(local(2021, 7, 8, 9))).run_after == local(2021, 10, 14, 9)


def test_manual_runs_take_their_trigger_time():
    tt = tts.WeekdayOrNextWorkingDayTimetable(0, "09:00")
    at = local(2021, 2, 16, 11, 30)  # a holiday: manual runs are the operator's call
    interval = tt.infer_manual_data_interval(run_after=at)
    assert interval.start == interval.end == at


@pytest.mark.parametrize("dag_id", [c.dag_id for c in cadences.CADENCES if c.timetable and c.timetable[0] != "cron"])
def test_serialisation_round_trip(dag_id):
    from airflow.serialization.decoders import decode_timetable
    from airflow.serialization.encoders import encode_timetable

    tt = cadences.schedule_for(dag_id)
    assert isinstance(tt, tts.WorkingDayTimetable)
    encoded = encode_timetable(tt)
    assert encoded["__type"] == f"gxq.calendar.timetables.{type(tt).__name__}"
    back = decode_timetable(encoded)
    assert back == tt and type(back) is type(tt)
    assert back.summary == tt.summary and back.description == tt.description
    assert _next(back) == _next(tt)


def test_every_day_watches_are_plain_crons():
    """The urgent watch runs on holidays too: Airflow's own cron trigger, not the working calendar."""
    tt = cadences.schedule_for("petition_urgent_watch")
    assert type(tt).__name__ == "CronTriggerTimetable" and tt.summary == "*/10 * * * *"
    spring_festival = local(2021, 2, 12, 9, 35)  # 春节, a holiday
    nxt = tt.next_dagrun_info(last_automated_data_interval=None,
                              restriction=TimeRestriction(earliest=spring_festival, latest=None, catchup=True))
    assert nxt.logical_date == local(2021, 2, 12, 9, 40)


def test_whole_dag_serialises_with_the_timetable():
    from airflow.sdk import DAG
    from airflow.serialization.serialized_objects import DagSerialization

    with DAG("calendar_probe", schedule=cadences.schedule_for("publicity_cadence_reminder"),
             start_date=START, catchup=False) as dag:
        pass
    data = DagSerialization.to_dict(dag)
    restored = DagSerialization.from_dict(data)
    assert isinstance(restored.timetable, tts.WorkingWeekdaysTimetable)
    assert restored.timetable.summary == "Wed 10:00, Fri 15:00 on working days, moved within the week (CN)"
    assert "周三 10:00" in restored.timetable.description
    first, last = workdays.known_years()
    assert f"holidays: chinesecalendar {first}-{last}, other years from the holiday file " \
           "include/calendar/holidays.yaml;" in restored.timetable.description
    assert "节假日文件 include/calendar/holidays.yaml" in restored.timetable.description


def test_plugin_registers_every_timetable():
    from airflow import plugins_manager

    registered = plugins_manager.get_timetables_plugins()
    for cls in tts.TIMETABLES:
        assert registered[f"gxq.calendar.timetables.{cls.__name__}"] is cls
    from gxq.calendar.partitioned import MonthlyInputsTimetable

    assert registered["gxq.calendar.partitioned.MonthlyInputsTimetable"] is MonthlyInputsTimetable


def test_the_working_calendar_does_not_import_airflows_partitioned_timetables():
    """Parsing a working-calendar DAG file stays light: airflow.timetables.simple (serialization,
    models: ~70 ms) is imported only by the scorecard's timetable module."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, airflow.sdk; import gxq.calendar.timetables; "
            "print('airflow.timetables.simple' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": "plugins"}, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "False"


def test_unknown_year_falls_back_to_plain_weekdays(caplog):
    last = workdays.known_years()[1]
    tt = tts.WeekdayOrNextWorkingDayTimetable(0, "09:00")
    # New Year's Day of the unknown year, if a Monday, would be a holiday; here it is not known
    jan = dt.date(last + 1, 1, 1)
    monday = jan + dt.timedelta(days=(7 - jan.weekday()) % 7)
    info = _next(tt, DataInterval.exact(local(monday.year, monday.month, monday.day, 9).subtract(weeks=1)))
    assert info.run_after == local(monday.year, monday.month, monday.day, 9)
    nth = tts.NthWorkingDayTimetable(1, "09:00")
    first_weekday = jan + dt.timedelta(days={5: 2, 6: 1}.get(jan.weekday(), 0))  # 1 January itself, if a weekday
    assert _next(nth, DataInterval.exact(local(last, 12, 1, 9))).run_after.date() == first_weekday

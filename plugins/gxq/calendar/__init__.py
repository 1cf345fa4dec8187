"""The statutory working calendar of China (法定工作日历: 节假日与调休) and the project's
working-day timetables.

- :mod:`gxq.calendar.workdays` answers "is this day a working day?" from the maintained
  ``chinesecalendar`` package (holidays and 调休 make-up working days such as Sunday 2021-02-07),
  then from the office's holiday file (``include/calendar/holidays.yaml``, :mod:`gxq.calendar.holidays`),
  and falls back to plain weekdays, with a logged warning, for a year neither knows.
- :mod:`gxq.calendar.rules` turns a cadence ("Monday 09:00 or the next working day", "the 3rd
  working day of the month at 09:00") into concrete run times; no Airflow import.
- :mod:`gxq.calendar.timetables` wraps the rules as Airflow timetables, registered by
  ``plugins/gxq_calendar_plugin.py``.
- :mod:`gxq.calendar.moved` lists the runs the calendar moves (``python -m gxq.cadences moved``).

The ``ops`` warning ahead of a missing year is :mod:`gxq.notify.coverage` (``calendar_coverage_watch``).
"""

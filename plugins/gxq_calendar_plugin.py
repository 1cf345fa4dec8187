"""Registers the working-calendar timetables (工作日时间表) with Airflow.

Airflow only deserialises custom timetables that a plugin registers; the classes live in the
domain package (``gxq.calendar.timetables``, and the scorecard's ``gxq.calendar.partitioned``), which ``plugins/.airflowignore`` keeps out of plugin
discovery, so the registration is here, in a top-level plugin module.
"""

from __future__ import annotations

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin
from gxq.calendar.partitioned import MonthlyInputsTimetable
from gxq.calendar.timetables import TIMETABLES


class GxqCalendarPlugin(AirflowPlugin):
    name = "gxq_calendar"
    timetables: ClassVar[list] = [*TIMETABLES, MonthlyInputsTimetable]

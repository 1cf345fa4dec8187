"""The scorecard's timetable (按月资产分区时间表): Airflow's partitioned asset timetable that can
also be backfilled, one run per month (docs/reference.md §5.8).

Its own module because Airflow's ``PartitionedAssetTimetable`` lives in
``airflow.timetables.simple``, whose import pulls Airflow's serialization and models (~70 ms
measured with ``python -X importtime`` after ``airflow.sdk``): the working-calendar DAGs, which
import :mod:`gxq.calendar.timetables`, do not pay it at every parse; only the scorecard's file does.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pendulum
from airflow.timetables.base import DagRunInfo
from airflow.timetables.simple import PartitionedAssetTimetable

from gxq.calendar import timetables
from gxq.calendar.timetables import TIMEZONE

if TYPE_CHECKING:
    from pendulum import DateTime


class MonthlyInputsTimetable(PartitionedAssetTimetable):
    """Airflow's partitioned asset timetable (a run for month M once every input asset has a
    partition of M, mapped by ``StartOfMonthMapper``) that can also be backfilled, one run per month.

    Airflow 3.3.2 refuses ``backfill create`` for a timetable that is not ``periodic``, and its
    ``PartitionedAssetTimetable`` is not; an ``AssetOrTimeSchedule`` is, but it is not partitioned,
    and 3.3.2 never queues an unpartitioned consumer for an event that carries a partition key, so
    the producers' events would not trigger it. This class is the partitioned asset timetable with
    ``periodic`` set and the months of a backfill window as its partitions: a backfill run carries
    the partition key of its month, like a run the assets created, and it is never on the clock
    (``next_dagrun_info`` stays None). docs/reference.md §5.8.
    """

    periodic = True
    description = "上月各项输入齐备时 (资产分区按月) · when every input has published the month"

    def __init__(self, *, assets, partition_mapper_config=None, default_partition_mapper=None) -> None:
        if default_partition_mapper is None:
            from airflow.partition_mappers.temporal import StartOfMonthMapper

            default_partition_mapper = StartOfMonthMapper(timezone=TIMEZONE)
        super().__init__(assets=assets, partition_mapper_config=partition_mapper_config,
                         default_partition_mapper=default_partition_mapper)

    @property
    def summary(self) -> str:
        return "Partitioned Asset (monthly, backfillable)"

    def localize_partition_datetime(self, when: dt.datetime) -> DateTime:
        """A bound's wall clock read in Asia/Shanghai (as ``CronPartitionTimetable`` does)."""
        return pendulum.datetime(*when.timetuple()[:6], tz=TIMEZONE).in_timezone("UTC")

    def iter_partition_dagrun_infos(self, *, earliest: dt.datetime, latest: dt.datetime):
        """One run per month whose first day (00:00 in Asia/Shanghai) lies in [earliest, latest] and
        which is over: ``--from-date 2021-01-01 --to-date 2021-12-01`` scores January … December."""
        first = self.localize_partition_datetime(earliest).in_timezone(TIMEZONE)
        month = first.start_of("month")
        if month < first:
            month = month.add(months=1)
        last = self.localize_partition_datetime(latest)
        now = timetables._utcnow()
        while month <= last and month.add(months=1) <= now:
            start = month.in_timezone("UTC")
            yield DagRunInfo(run_after=start, data_interval=None, partition_date=start,
                             partition_key=month.strftime("%Y-%m"))
            month = month.add(months=1)

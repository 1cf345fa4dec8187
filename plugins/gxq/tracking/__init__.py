"""任务清单 督查 (``plan_task_tracking``): the plan's quantified tasks followed every month against
序时进度, from ``dept_supervision``.

- :mod:`gxq.tracking.rules` - expected, actual, status, light, forecast, data problems (plain functions);
- :mod:`gxq.tracking.source` - reads the three tables of ``dept_supervision``;
- :mod:`gxq.tracking.monthly` - the month's report (contract keys and extras);
- :mod:`gxq.tracking.supervision` - red targets under 督办, opened and closed (销号), kept in ``gxq_ops``;
- :mod:`gxq.tracking.render` / :mod:`gxq.tracking.notices` - the office report, workbook, charts, notices;
- :mod:`gxq.tracking.pipeline` - what the DAG's tasks call.
"""

"""自创区重大项目 "月评价、季调度" — the innovation zone's monthly evaluation and quarterly dispatch.

Glossary (术语):

- 重大项目 major project (``projects``), 责任单位 responsible unit, 开工/启动日期 ``start_on``;
- 计划进度 / 实际进度 plan / actual progress in percent (``project_monthly``), 进度差 gap;
- 红黄绿灯 traffic light: 绿灯 green (gap ≤ 10), 黄灯 yellow (10 < gap ≤ 30), 红灯 red (gap > 30),
  未报送 unreported (no row for the month);
- 发展评价指标 indicator (``indicators``), 序时进度 time-proportional target
  (annual_target × m / 12), 完成率 completion, 综合得分 composite score;
- 月评价 monthly evaluation (:mod:`gxq.innovation.monthly`), 季调度 quarterly dispatch
  (:mod:`gxq.innovation.quarterly`), 调度会议程 dispatch meeting agenda, 督办函 supervision letter;
- 数据问题 data problems (:mod:`gxq.innovation.rules`, ``DATA_PROBLEM_RULES``).

Modules: ``rules`` (the contract's rules as pure functions), ``source`` (reads ``dept_innovation``),
``monthly`` / ``quarterly`` (the reports), ``render`` (scorecard, agenda, letters, charts),
``notices`` (who is told what), ``pipeline`` (what the DAG tasks call).
"""

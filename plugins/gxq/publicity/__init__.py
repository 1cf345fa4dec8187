"""宣传 (publicity): the WeChat account's weekly updates (公众号每周更新1–2次) and the weekly work
information reported upward (每周报送工作信息2篇以上).

- :mod:`gxq.publicity.reminder` - the report and reminder of ``publicity_cadence_reminder``;
- :mod:`gxq.publicity.source` - counts from ``dept_publicity`` or the WeChat API;
- :mod:`gxq.publicity.wechat` - the Official Account API client (freepublish/batchget);
- :mod:`gxq.publicity.pipeline` - the DAG's task bodies.

For the Monday bulletin: ``gxq.publicity.weekly_line(week_period)`` gives last week's counts and
a one-line Chinese summary; the bulletin carries it as ``pipeline.line`` (:mod:`gxq.carried`), and
no other capability imports this package.
"""

from __future__ import annotations

from gxq.publicity.reminder import weekly_line

__all__ = ["weekly_line"]

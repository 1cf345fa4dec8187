"""市民服务平台情况通报 (weekly petition bulletin of the 8890 citizen-service platform) with
挂牌督办 (supervised high-frequency complaint topics) follow-up.

Glossary (术语):
- received 受理量, received_prev 上周受理量 (环比), by_kind 诉求类型
- dispatch on time 按时分拨 (dispatched_at <= dispatch_due_at), feedback on time 按时反馈
- satisfaction 满意度 (回访: 满意 / 基本满意 count as satisfied)
- top_topics 高频投诉事项 → 挂牌督办 supervised items (``supervision``)
- surges 突增: a topic whose complaints in the week jump above its own 8 weeks before (``rules.surges``);
  outside the top list it is put under 挂牌督办 too, as 突增; street_surges 街道突增 (the same per 街道)
- overdue_open 超期未反馈 (the whole backlog as of the week's end)
- lead 主办单位, co 协办单位 (联应联办); excluded 数据质量问题 (quarantined rows)

Modules: ``rules`` (the contract's rules as pure functions), ``compute`` (SQL in
``include/sql/petitions``), ``supervision`` (the closed loop in ``gxq_ops``), ``render`` (HTML,
docx, xlsx, charts), ``notices`` (who gets what), ``pipeline`` (the DAG's task bodies),
``daily`` (per-day counts in ``gxq_ops``), ``backtest`` (the 突增 test on the demo year, for engineers).
"""

from gxq import cadences

DAG_ID = cadences.dag_of("petitions")  # the bulletin's DAG (gxq.cadences)

"""急险工单即时监测 (urgent-petition watch): 先予处置 (act first, settle responsibility later) and
即时响应 (respond at once) for the 8890 petitions the department marks urgent (``is_urgent``).

Every 10 minutes, every day (holidays included), each urgent petition of the last 7 days that is
not fed back yet gets a stage; those not in time are alerts, and the late ones 督办.

Glossary (术语):
- watched 监测中: valid, not withdrawn, urgent, received in (as_of − 7 days, as_of], not fed back as of as_of
- stage 阶段: dispatch_overdue 分拨超时, feedback_overdue 反馈超时, dispatch_due_soon 即将分拨到期 (30 min),
  feedback_due_soon 即将反馈到期 (60 min), in_time 正常
- escalated 督办: overdue by 120 minutes or more
- 先予处置: a dispatch alert names the 街道 (street), which may act before the petition is dispatched

Modules: ``watch`` (the contract's rules and the one statement, ``include/sql/petitions/urgent.sql``),
``notices`` (who is told what, once ever: ``gxq_ops`` table ``petition_urgent_notified``),
``pipeline`` (the DAG's task bodies).
"""

-- 申报类: every application for a policy in the policy_ids list (one statement for every policy of this
-- rule; policy_id names the policy) with status approved, and either
--   approved_at in [pays_from_ts, period_end_ts)  (a candidate award, or a data problem when it
--                                                  has no credit_code or a negative amount), or
--   no approved_at, submitted before period_end_ts or never  (a data problem: no basis date).
-- An approved_at or submitted_at that is not a time (SQLite text) is read as NULL (ts_value): such an
-- application is a data problem without a usable approval time, never paid.
-- The caller sorts them out (evaluate.PROBLEMS); none is dropped. The amount is in fen; NULL is 0.
-- With the enterprise's name and withheld reason at run time (_enterprise.sql).
-- Ordered as the candidates are (code-point order, as Python compares text), so that sorting
-- them afterwards finds them sorted.
{% import 'policy/_enterprise.sql' as r with context %}
SELECT a.application_id AS basis_id,
       a.credit_code AS credit_code,
       a.policy_id AS policy_id,
       {% if dialect == 'postgresql' %}to_char(a.approved_at, 'YYYY-MM-DD HH24:MI:SS'){% else %}{{ ts_value('a.approved_at') }}{% endif %} AS basis_at,
       {{ fen('a.amount_requested') }} AS requested_fen,
       {{ r.columns() }}
FROM applications a
LEFT JOIN enterprises e ON e.credit_code = a.credit_code
WHERE a.policy_id IN :policy_ids
  AND a.status = 'approved'
  AND (({{ ts_value('a.approved_at') }} >= :pays_from_ts AND {{ ts_value('a.approved_at') }} < :period_end_ts)
       OR ({{ ts_value('a.approved_at') }} IS NULL
           AND ({{ ts_value('a.submitted_at') }} IS NULL OR {{ ts_value('a.submitted_at') }} < :period_end_ts)))
ORDER BY a.credit_code{% if dialect == 'postgresql' %} COLLATE "C"{% endif %}, a.application_id{% if dialect == 'postgresql' %} COLLATE "C"{% endif %}

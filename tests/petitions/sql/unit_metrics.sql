-- Test reference (tests/petitions/test_daily.py): 分单位办件指标 (per lead unit) over one window
-- [start, end), read directly, as the bulletin did before the per-day counts of unit_days.sql.
-- Valid, not withdrawn petitions with any of received_at, dispatch_due_at, feedback_due_at,
-- revisited_at in the window; the lead (主办) is the smallest lead code (others count as 协办).
-- On SQLite a row with a time column that is not a time (bad_timestamp) is left out as well.
-- The NULL unit row holds petitions without a lead, so the totals are the sum of all rows.
-- Range predicates use the raw columns so the department's indexes serve them ('' is never in range).
WITH rel AS (
    SELECT p.petition_id,
           {{ ts('p.received_at') }} AS received_at,
           {{ ts('p.dispatch_due_at') }} AS dispatch_due_at,
           {{ ts('p.dispatched_at') }} AS dispatched_at,
           {{ ts('p.feedback_due_at') }} AS feedback_due_at,
           {{ ts('p.feedback_at') }} AS feedback_at,
           {{ ts('p.revisited_at') }} AS revisited_at,
           {{ txt('p.satisfaction') }} AS satisfaction
    FROM petitions p
    WHERE ((p.received_at >= :start AND p.received_at < :end)
        OR (p.dispatch_due_at >= :start AND p.dispatch_due_at < :end)
        OR (p.feedback_due_at >= :start AND p.feedback_due_at < :end)
        OR (p.revisited_at >= :start AND p.revisited_at < :end))
      AND COALESCE(p.status, '') <> '已撤销'
{%- if dialect == 'sqlite' %}
{%- for col in ['received_at', 'dispatch_due_at', 'dispatched_at', 'feedback_due_at', 'feedback_at', 'revisited_at'] %}
      AND (COALESCE(p.{{ col }}, '') = '' OR (length(p.{{ col }}) = 19 AND datetime(p.{{ col }}, '+0 days') = p.{{ col }})
           OR (length(p.{{ col }}) = 10 AND date(p.{{ col }}, '+0 days') = p.{{ col }}))
{%- endfor %}
{%- endif %}
      AND {{ ts('p.received_at') }} IS NOT NULL
      AND ({{ ts('p.dispatched_at') }} IS NULL OR {{ ts('p.dispatched_at') }} >= {{ ts('p.received_at') }})
      AND ({{ ts('p.feedback_at') }} IS NULL OR {{ ts('p.feedback_at') }} >= {{ ts('p.received_at') }})
      AND ({{ txt('p.satisfaction') }} IS NULL OR p.satisfaction IN ('满意', '基本满意', '不满意'))
),
lead AS (
    SELECT pu.petition_id, MIN(pu.unit_code) AS unit_code
    FROM petition_units pu
    WHERE pu.role = 'lead' AND pu.petition_id IN (SELECT petition_id FROM rel)
    GROUP BY pu.petition_id
)
SELECT l.unit_code AS unit,
       SUM(CASE WHEN r.received_at >= :start AND r.received_at < :end THEN 1 ELSE 0 END) AS received,
       SUM(CASE WHEN r.dispatch_due_at >= :start AND r.dispatch_due_at < :end THEN 1 ELSE 0 END) AS dispatch_due,
       SUM(CASE WHEN r.dispatch_due_at >= :start AND r.dispatch_due_at < :end
                 AND r.dispatched_at <= r.dispatch_due_at THEN 1 ELSE 0 END) AS dispatch_on_time,
       SUM(CASE WHEN r.feedback_due_at >= :start AND r.feedback_due_at < :end THEN 1 ELSE 0 END) AS feedback_due,
       SUM(CASE WHEN r.feedback_due_at >= :start AND r.feedback_due_at < :end
                 AND r.feedback_at <= r.feedback_due_at THEN 1 ELSE 0 END) AS feedback_on_time,
       SUM(CASE WHEN r.revisited_at >= :start AND r.revisited_at < :end
                 AND r.satisfaction IS NOT NULL THEN 1 ELSE 0 END) AS surveyed,
       SUM(CASE WHEN r.revisited_at >= :start AND r.revisited_at < :end
                 AND r.satisfaction IN ('满意', '基本满意') THEN 1 ELSE 0 END) AS satisfied
FROM rel r
LEFT JOIN lead l ON l.petition_id = r.petition_id
GROUP BY l.unit_code

-- 分单位办件指标 per lead unit and per day over [start, end) (whole days): the figures of
-- unit_metrics.sql, each counted on the day of its own timestamp (受理 on received_at's day, 分拨
-- on dispatch_due_at's, 反馈 on feedback_due_at's, 回访 on revisited_at's). Each figure counts a
-- petition at most once, by one timestamp, so the figures of any window of whole days are the sums
-- of its days: the year to date, the trend weeks and the ranking month are summed in gxq_ops from
-- these rows (gxq.petitions.daily). Same rows, lead and validity rules as unit_metrics.sql; the
-- NULL unit rows hold petitions without a lead.
-- The lead is joined (not looked up with IN (SELECT ... FROM a CTE)), so that the planner sees
-- the window's size: index lookups for a week, a hash join when a long window is backfilled.
-- day(): the calendar day of a timestamp (gxq.sql: on SQLite a bare date counts in the day before).
WITH rl AS (
    SELECT p.petition_id,
           MIN(pu.unit_code) AS unit,
           {{ ts('p.received_at') }} AS received_at,
           {{ ts('p.dispatch_due_at') }} AS dispatch_due_at,
           {{ ts('p.dispatched_at') }} AS dispatched_at,
           {{ ts('p.feedback_due_at') }} AS feedback_due_at,
           {{ ts('p.feedback_at') }} AS feedback_at,
           {{ ts('p.revisited_at') }} AS revisited_at,
           {{ txt('p.satisfaction') }} AS satisfaction
    FROM petitions p
    LEFT JOIN petition_units pu ON pu.petition_id = p.petition_id AND pu.role = 'lead'
    WHERE ((p.received_at >= :start AND p.received_at < :end)
        OR (p.dispatch_due_at >= :start AND p.dispatch_due_at < :end)
        OR (p.feedback_due_at >= :start AND p.feedback_due_at < :end)
        OR (p.revisited_at >= :start AND p.revisited_at < :end))
      AND COALESCE(p.status, '') <> '已撤销'
      AND {{ ts('p.received_at') }} IS NOT NULL
      AND ({{ ts('p.dispatched_at') }} IS NULL OR {{ ts('p.dispatched_at') }} >= {{ ts('p.received_at') }})
      AND ({{ ts('p.feedback_at') }} IS NULL OR {{ ts('p.feedback_at') }} >= {{ ts('p.received_at') }})
      AND ({{ txt('p.satisfaction') }} IS NULL OR p.satisfaction IN ('满意', '基本满意', '不满意'))
    GROUP BY p.petition_id, p.received_at, p.dispatch_due_at, p.dispatched_at, p.feedback_due_at, p.feedback_at,
             p.revisited_at, p.satisfaction
)

-- one aggregate per figure family, each on its own timestamp's day (the caller adds up the rows
-- of a (unit, day) that several families share)
SELECT unit, {{ day('received_at') }} AS day, COUNT(*) AS received, 0 AS dispatch_due, 0 AS dispatch_on_time,
       0 AS feedback_due, 0 AS feedback_on_time, 0 AS surveyed, 0 AS satisfied
FROM rl WHERE received_at >= :start AND received_at < :end
GROUP BY unit, {{ day('received_at') }}
UNION ALL
SELECT unit, {{ day('dispatch_due_at') }}, 0, COUNT(*), SUM(CASE WHEN dispatched_at <= dispatch_due_at THEN 1 ELSE 0 END),
       0, 0, 0, 0
FROM rl WHERE dispatch_due_at >= :start AND dispatch_due_at < :end
GROUP BY unit, {{ day('dispatch_due_at') }}
UNION ALL
SELECT unit, {{ day('feedback_due_at') }}, 0, 0, 0, COUNT(*), SUM(CASE WHEN feedback_at <= feedback_due_at THEN 1 ELSE 0 END),
       0, 0
FROM rl WHERE feedback_due_at >= :start AND feedback_due_at < :end
GROUP BY unit, {{ day('feedback_due_at') }}
UNION ALL
SELECT unit, {{ day('revisited_at') }}, 0, 0, 0, 0, 0, SUM(CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN satisfaction IN ('满意', '基本满意') THEN 1 ELSE 0 END)
FROM rl WHERE revisited_at >= :start AND revisited_at < :end
GROUP BY unit, {{ day('revisited_at') }}

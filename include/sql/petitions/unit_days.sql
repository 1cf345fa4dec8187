{% import 'petitions/_rules.sql' as r with context -%}
-- The days of a window [start, end) (whole days) in one statement, for the days gxq_ops has not
-- stored yet (gxq.petitions.daily: the year to date, the trend weeks, the ranking month and the
-- 突增 baselines are summed from stored days). The counted petitions relevant to the window
-- (_rules.sql) are found once, with their lead unit (主办: the smallest lead code; NULL without
-- one), and two parts come out of them:
--   days    grouped by lead unit and the days they count on (r.figures(): each figure on the day
--           of its own timestamp; n petitions, the flags summed): 分单位办件指标 per unit and day,
--           added up by gxq.petitions.compute.window_days
--   topics  the complaints (kind 投诉) received in the window per topic, 街道, lead unit and day
--           (n): the per-topic day counts of the 突增 baselines
-- The lead is joined (not looked up with IN (SELECT ... FROM a CTE)), so that the planner sees
-- the window's size: index lookups for a week, a hash join when a long window is backfilled.
WITH rl AS (
    SELECT p.petition_id,
           MIN(pu.unit_code) AS unit,
           {{ r.columns() }}
    FROM petitions p
    LEFT JOIN petition_units pu ON pu.petition_id = p.petition_id AND pu.role = 'lead'
    WHERE {{ r.relevant() }}
      AND {{ r.counted() }}
    GROUP BY p.petition_id, p.kind, p.topic, p.street, p.received_at, p.dispatch_due_at, p.dispatched_at,
             p.feedback_due_at, p.feedback_at, p.revisited_at, p.satisfaction
)
SELECT 'days' AS part, unit, received_day, dispatch_day, SUM(dispatch_on_time) AS dispatch_on_time, feedback_day,
       SUM(feedback_on_time) AS feedback_on_time, revisit_day, SUM(surveyed) AS surveyed, SUM(satisfied) AS satisfied,
       COUNT(*) AS n, NULL AS topic, NULL AS street
FROM (
    SELECT unit,
           {{ r.figures() }}
    FROM rl
) f
GROUP BY unit, received_day, dispatch_day, feedback_day, revisit_day
UNION ALL
SELECT 'topics', unit, {{ day('received_at') }}, NULL, 0, NULL, 0, NULL, 0, 0, COUNT(*), topic, street
FROM rl
WHERE kind = '投诉' AND received_at >= :start AND received_at < :end
GROUP BY unit, {{ day('received_at') }}, topic, street

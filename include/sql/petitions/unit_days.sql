{% import 'petitions/_rules.sql' as r with context -%}
-- 分单位办件指标 per lead unit and per day over [start, end) (whole days): the counted petitions
-- relevant to the window (_rules.sql), grouped by lead unit and the days they count on
-- (r.figures(): each figure on the day of its own timestamp; n petitions, the flags summed);
-- gxq.petitions.compute.unit_days adds them up per unit and day.
-- The year to date, the trend weeks and the ranking month are summed in gxq_ops from these days
-- (gxq.petitions.daily). NULL unit rows hold petitions without a lead.
-- The lead is joined (not looked up with IN (SELECT ... FROM a CTE)), so that the planner sees
-- the window's size: index lookups for a week, a hash join when a long window is backfilled.
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
    WHERE {{ r.relevant() }}
      AND {{ r.counted() }}
    GROUP BY p.petition_id, p.received_at, p.dispatch_due_at, p.dispatched_at, p.feedback_due_at, p.feedback_at,
             p.revisited_at, p.satisfaction
)
SELECT unit, received_day, dispatch_day, SUM(dispatch_on_time) AS dispatch_on_time, feedback_day,
       SUM(feedback_on_time) AS feedback_on_time, revisit_day, SUM(surveyed) AS surveyed, SUM(satisfied) AS satisfied,
       COUNT(*) AS n
FROM (
    SELECT unit,
           {{ r.figures() }}
    FROM rl
) f
GROUP BY unit, received_day, dispatch_day, feedback_day, revisit_day

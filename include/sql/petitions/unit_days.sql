{% import 'petitions/_rules.sql' as r with context -%}
-- The days of a window [start, end) (whole days) in one statement, for the days gxq_ops has not
-- stored yet (gxq.petitions.daily: the year to date, the trend weeks, the ranking month and the
-- 突增 baselines are summed from stored days); one row, one JSON column per question (json_columns).
-- The lead is joined (not looked up with IN (SELECT ... FROM a CTE)), so that the planner sees
-- the window's size: index lookups for a week, a hash join when a long window is backfilled.
WITH window_rows AS (
    -- the counted petitions relevant to the window (_rules.sql), each with its lead unit (主办: the
    -- smallest lead code; NULL without one)
    SELECT p.petition_id,
           MIN(pu.unit_code) AS unit,
           {{ r.columns() }}
    FROM petitions p
    LEFT JOIN petition_units pu ON pu.petition_id = p.petition_id AND pu.role = 'lead'
    WHERE {{ r.relevant() }}
      AND {{ r.counted() }}
    GROUP BY p.petition_id, p.kind, p.topic, p.street, p.received_at, p.dispatch_due_at, p.dispatched_at,
             p.feedback_due_at, p.feedback_at, p.revisited_at, p.satisfaction
),
unit_days AS (
    -- 分单位办件指标 per unit and day: the rows by lead unit and the days they count on (r.figures():
    -- each figure on the day of its own timestamp), n rows and the flags summed
    SELECT unit, received_day, dispatch_day, SUM(dispatch_on_time) AS dispatch_on_time, feedback_day,
           SUM(feedback_on_time) AS feedback_on_time, revisit_day, SUM(surveyed) AS surveyed,
           SUM(satisfied) AS satisfied, COUNT(*) AS n
    FROM (SELECT unit, {{ r.figures() }} FROM window_rows) f
    GROUP BY unit, received_day, dispatch_day, feedback_day, revisit_day
),
complaints AS (
    -- the per-topic day counts of the 突增 baselines: the complaints (投诉) received in the window
    -- by topic, 街道, lead unit and day
    SELECT topic, street, unit, {{ day('received_at') }} AS received_day, COUNT(*) AS n
    FROM window_rows
    WHERE kind = '投诉' AND received_at >= :start AND received_at < :end
    GROUP BY topic, street, unit, {{ day('received_at') }}
)
SELECT {{ json_columns('unit_days', 'unit', 'received_day', 'dispatch_day', 'dispatch_on_time', 'feedback_day',
                    'feedback_on_time', 'revisit_day', 'surveyed', 'satisfied', 'n') }} AS unit_days,
       {{ json_columns('complaints', 'topic', 'street', 'unit', 'received_day', 'n') }} AS complaints

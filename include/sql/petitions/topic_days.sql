{% import 'petitions/_rules.sql' as r with context -%}
-- 高频投诉事项 and 突增: complaints (kind 投诉) received in [start, end) (whole days), counted (valid,
-- not withdrawn), per (topic, 街道, lead unit, day); the lead is the smallest lead code of each
-- petition. The week's top list sums them over streets and days (rules.top_topics), the 突增 section
-- names the streets and leads of a surging topic, and the rows summed over leads are the per-day
-- topic counts gxq_ops keeps for the surges' 8-week baselines (gxq.petitions.daily), so a baseline
-- is a sum of stored days, never a re-read of the department.
-- The lead is joined (as in unit_days.sql) so that the planner sees the window's size: index
-- lookups for a week, a hash join when a long window of never-stored days is read.
WITH c AS (
    SELECT p.petition_id,
           MIN(pu.unit_code) AS lead_unit,
           {{ txt('p.topic') }} AS topic,
           {{ txt('p.street') }} AS street,
           {{ ts('p.received_at') }} AS received_at
    FROM petitions p
    LEFT JOIN petition_units pu ON pu.petition_id = p.petition_id AND pu.role = 'lead'
    WHERE p.received_at >= :start AND p.received_at < :end
      AND p.kind = '投诉'
      AND {{ r.counted() }}
    GROUP BY p.petition_id, p.topic, p.street, p.received_at
)
SELECT topic, street, lead_unit, {{ day('received_at') }} AS day, COUNT(*) AS complaints
FROM c
GROUP BY topic, street, lead_unit, {{ day('received_at') }}

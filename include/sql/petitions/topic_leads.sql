{% import 'petitions/_rules.sql' as r with context -%}
-- 高频投诉事项: complaints (kind 投诉) received in [start, end), counted (valid, not withdrawn),
-- per (topic, lead unit); the lead is the smallest lead code of each petition.
WITH c AS (
    SELECT p.petition_id, {{ txt('p.topic') }} AS topic
    FROM petitions p
    WHERE p.received_at >= :start AND p.received_at < :end
      AND p.kind = '投诉'
      AND {{ r.counted() }}
),
lead AS (
    SELECT pu.petition_id, MIN(pu.unit_code) AS unit_code
    FROM petition_units pu
    WHERE pu.role = 'lead' AND pu.petition_id IN (SELECT petition_id FROM c)
    GROUP BY pu.petition_id
)
SELECT c.topic, l.unit_code AS lead_unit, COUNT(*) AS complaints
FROM c
LEFT JOIN lead l ON l.petition_id = c.petition_id
GROUP BY c.topic, l.unit_code

{% import 'petitions/_rules.sql' as r with context -%}
-- Units (主办 and 协办) on the complaints of each topic received in [start, end).
WITH c AS (
    SELECT p.petition_id, {{ txt('p.topic') }} AS topic
    FROM petitions p
    WHERE p.received_at >= :start AND p.received_at < :end
      AND p.kind = '投诉'
      AND {{ r.counted() }}
)
SELECT DISTINCT c.topic, pu.unit_code
FROM c
JOIN petition_units pu ON pu.petition_id = c.petition_id
WHERE pu.role IN ('lead', 'co') AND {{ txt('pu.unit_code') }} IS NOT NULL

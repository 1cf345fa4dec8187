-- 高频投诉事项: complaints (kind 投诉) received in [start, end), valid and not withdrawn,
-- counted per (topic, lead unit); the lead is the smallest lead code of each petition.
WITH c AS (
    SELECT p.petition_id, {{ txt('p.topic') }} AS topic
    FROM petitions p
    WHERE p.received_at >= :start AND p.received_at < :end
      AND p.kind = '投诉'
      AND COALESCE(p.status, '') <> '已撤销'
      AND ({{ ts('p.dispatched_at') }} IS NULL OR {{ ts('p.dispatched_at') }} >= {{ ts('p.received_at') }})
      AND ({{ ts('p.feedback_at') }} IS NULL OR {{ ts('p.feedback_at') }} >= {{ ts('p.received_at') }})
      AND ({{ txt('p.satisfaction') }} IS NULL OR p.satisfaction IN ('满意', '基本满意', '不满意'))
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

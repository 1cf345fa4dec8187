-- Units (主办 and 协办) on the complaints of each topic received in [start, end).
WITH c AS (
    SELECT p.petition_id, {{ txt('p.topic') }} AS topic
    FROM petitions p
    WHERE p.received_at >= :start AND p.received_at < :end
      AND p.kind = '投诉'
      AND COALESCE(p.status, '') <> '已撤销'
      AND ({{ ts('p.dispatched_at') }} IS NULL OR {{ ts('p.dispatched_at') }} >= {{ ts('p.received_at') }})
      AND ({{ ts('p.feedback_at') }} IS NULL OR {{ ts('p.feedback_at') }} >= {{ ts('p.received_at') }})
      AND ({{ txt('p.satisfaction') }} IS NULL OR p.satisfaction IN ('满意', '基本满意', '不满意'))
)
SELECT DISTINCT c.topic, pu.unit_code
FROM c
JOIN petition_units pu ON pu.petition_id = c.petition_id
WHERE pu.role IN ('lead', 'co') AND {{ txt('pu.unit_code') }} IS NOT NULL

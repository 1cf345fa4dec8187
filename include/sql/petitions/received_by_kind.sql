-- 受理量 by kind (诉求类型): valid, not withdrawn petitions received in [start, end).
SELECT {{ txt('p.kind') }} AS kind, COUNT(*) AS received
FROM petitions p
WHERE p.received_at >= :start AND p.received_at < :end
  AND COALESCE(p.status, '') <> '已撤销'
  AND ({{ ts('p.dispatched_at') }} IS NULL OR {{ ts('p.dispatched_at') }} >= {{ ts('p.received_at') }})
  AND ({{ ts('p.feedback_at') }} IS NULL OR {{ ts('p.feedback_at') }} >= {{ ts('p.received_at') }})
  AND ({{ txt('p.satisfaction') }} IS NULL OR p.satisfaction IN ('满意', '基本满意', '不满意'))
GROUP BY {{ txt('p.kind') }}

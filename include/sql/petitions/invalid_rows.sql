-- 数据质量隔离 (quarantine): not withdrawn petitions relevant to [start, end) that fail a check,
-- with the first failing reason in the contract's order.
SELECT q.petition_id, q.reason, q.received_at
FROM (
    SELECT p.petition_id,
           {{ ts('p.received_at') }} AS received_at,
           CASE
               WHEN {{ ts('p.received_at') }} IS NULL THEN 'missing_received_at'
               WHEN {{ ts('p.dispatched_at') }} < {{ ts('p.received_at') }} THEN 'dispatched_before_received'
               WHEN {{ ts('p.feedback_at') }} < {{ ts('p.received_at') }} THEN 'feedback_before_received'
               WHEN {{ txt('p.satisfaction') }} IS NOT NULL
                    AND p.satisfaction NOT IN ('满意', '基本满意', '不满意') THEN 'bad_satisfaction'
           END AS reason
    FROM petitions p
    WHERE ((p.received_at >= :start AND p.received_at < :end)
        OR (p.dispatch_due_at >= :start AND p.dispatch_due_at < :end)
        OR (p.feedback_due_at >= :start AND p.feedback_due_at < :end)
        OR (p.revisited_at >= :start AND p.revisited_at < :end))
      AND COALESCE(p.status, '') <> '已撤销'
) q
WHERE q.reason IS NOT NULL

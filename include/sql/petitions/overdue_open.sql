-- 超期未反馈 backlog as of end: valid, not withdrawn petitions whose feedback was due before
-- end and not given before end, whatever week they were received in. floor ('1900-01-01')
-- keeps '' and NULL due times out (a NULL due time is never due) and lets the index serve.
WITH o AS (
    SELECT p.petition_id,
           {{ txt('p.topic') }} AS topic,
           {{ txt('p.street') }} AS street,
           {{ ts('p.received_at') }} AS received_at,
           {{ ts('p.feedback_due_at') }} AS feedback_due_at
    FROM petitions p
    WHERE p.feedback_due_at >= :floor AND p.feedback_due_at < :end
      -- implied by the next line (feedback at or after end > due), spelled out so that the partial
      -- index ix_petitions_feedback_open (include/sql/README.md) serves it: the backlog is then read
      -- from the late and never-fed-back rows only, not from every petition of the history
      AND ({{ ts('p.feedback_at') }} IS NULL OR p.feedback_at > p.feedback_due_at)
      AND ({{ ts('p.feedback_at') }} IS NULL OR p.feedback_at >= :end)
      AND COALESCE(p.status, '') <> '已撤销'
      AND {{ ts('p.received_at') }} IS NOT NULL
      AND ({{ ts('p.dispatched_at') }} IS NULL OR {{ ts('p.dispatched_at') }} >= {{ ts('p.received_at') }})
      AND ({{ ts('p.feedback_at') }} IS NULL OR {{ ts('p.feedback_at') }} >= {{ ts('p.received_at') }})
      AND ({{ txt('p.satisfaction') }} IS NULL OR p.satisfaction IN ('满意', '基本满意', '不满意'))
),
lead AS (
    SELECT pu.petition_id, MIN(pu.unit_code) AS unit_code
    FROM petition_units pu
    WHERE pu.role = 'lead' AND pu.petition_id IN (SELECT petition_id FROM o)
    GROUP BY pu.petition_id
)
SELECT o.petition_id, o.topic, o.street, o.received_at, o.feedback_due_at, l.unit_code AS lead_unit
FROM o
LEFT JOIN lead l ON l.petition_id = o.petition_id

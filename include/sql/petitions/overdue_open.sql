-- 超期未反馈 backlog as of end: valid, not withdrawn petitions whose feedback was due before
-- end and not given before end, whatever week they were received in. floor ('1900-01-01')
-- keeps '' and NULL due times out (a NULL due time is never due).
-- On PostgreSQL the same condition is also stated as "end lies in (feedback_due_at, feedback_at]"
-- (an open upper bound while never fed back): the department's GiST index
-- ix_petitions_feedback_backlog (include/sql/README.md) then finds exactly the petitions open at
-- end, however many years of late-but-fed-back history precede it and however many later weeks
-- follow. The CASE keeps the range valid on rows fed back on time (it is then empty). Without
-- that index, "feedback_at IS NULL OR feedback_at > feedback_due_at" (implied by the line before
-- it) lets the partial index ix_petitions_feedback_open serve: late or never fed back rows only.
WITH o AS (
    SELECT p.petition_id,
           {{ txt('p.topic') }} AS topic,
           {{ txt('p.street') }} AS street,
           {{ ts('p.received_at') }} AS received_at,
           {{ ts('p.feedback_due_at') }} AS feedback_due_at
    FROM petitions p
    WHERE p.feedback_due_at >= :floor AND p.feedback_due_at < :end
      AND ({{ ts('p.feedback_at') }} IS NULL OR p.feedback_at >= :end)
      AND ({{ ts('p.feedback_at') }} IS NULL OR p.feedback_at > p.feedback_due_at)
{%- if dialect == 'postgresql' %}
      AND tsrange(p.feedback_due_at,
                  CASE WHEN p.feedback_at < p.feedback_due_at THEN p.feedback_due_at ELSE p.feedback_at END,
                  '(]') @> CAST(:end AS timestamp)
{%- endif %}
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

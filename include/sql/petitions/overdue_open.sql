{% import 'petitions/_rules.sql' as r with context -%}
-- 超期未反馈 backlog as of end: counted petitions (valid, not withdrawn) whose feedback was due
-- before end and not given before end, whatever week they were received in (_rules.sql).
WITH o AS (
    SELECT p.petition_id,
           {{ txt('p.topic') }} AS topic,
           {{ txt('p.street') }} AS street,
           {{ ts('p.received_at') }} AS received_at,
           {{ ts('p.feedback_due_at') }} AS feedback_due_at
    FROM petitions p
    WHERE {{ r.overdue_at_end() }}
      AND {{ r.counted() }}
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

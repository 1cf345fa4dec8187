{% import 'petitions/_rules.sql' as r with context -%}
-- 数据质量隔离 (quarantine): not withdrawn petitions relevant to [start, end) that fail a check,
-- with the first failing reason in the contract's order (_rules.sql).
SELECT q.petition_id, q.reason, q.received_at
FROM (
    SELECT p.petition_id,
           {{ ts('p.received_at') }} AS received_at,
           {{ r.invalid_reason() }} AS reason
    FROM petitions p
    WHERE {{ r.relevant() }}
      AND {{ r.not_withdrawn() }}
) q
WHERE q.reason IS NOT NULL

{% import 'petitions/_rules.sql' as r with context -%}
-- 急险 watch (gxq.urgent.watch): the urgent petitions received in (since, as_of] and not fed back
-- as of as_of, withdrawn ones left out, each with its quarantine reason (the bulletin's validity
-- rules, _rules.sql; NULL when valid) and its lead unit (主办: the smallest lead code). Python gives
-- each valid one its stage. Only the 7-day window is read: "is_urgent = TRUE" and the range on the raw
-- received_at match the partial index ix_petitions_urgent_received (include/sql/README.md), a few
-- thousand rows whatever the history.
SELECT p.petition_id,
       {{ r.invalid_reason() }} AS reason,
       {{ r.columns() }},
       (SELECT MIN(u.unit_code) FROM petition_units u
        WHERE u.petition_id = p.petition_id AND u.role = 'lead') AS unit
FROM petitions p
WHERE p.is_urgent = TRUE
  AND p.received_at > :since AND p.received_at <= :as_of
  AND {{ r.not_withdrawn() }}
  AND ({{ ts('p.feedback_at') }} IS NULL OR p.feedback_at > :as_of)
ORDER BY p.petition_id

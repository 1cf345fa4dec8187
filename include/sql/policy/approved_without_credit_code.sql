-- Data problem (数据问题): applications for policy_id approved in [pays_from_ts, period_end_ts)
-- with no credit_code (NULL or empty). approved_applications.sql cannot pay them (no enterprise
-- to pay), so they are reported here rather than dropped.
SELECT a.application_id AS application_id,
       a.credit_code AS credit_code,
       a.policy_id AS policy_id,
       {{ ts('a.approved_at') }} AS approved_at
FROM applications a
WHERE a.policy_id = :policy_id
  AND a.status = 'approved'
  AND {{ txt('a.credit_code') }} IS NULL
  AND {{ ts('a.approved_at') }} >= :pays_from_ts
  AND {{ ts('a.approved_at') }} < :period_end_ts

-- Data problem (数据问题): applications for policy_id approved but without approved_at, submitted
-- before the period's end (or without submitted_at). They are not paid.
SELECT a.application_id AS application_id,
       a.credit_code AS credit_code,
       a.policy_id AS policy_id,
       {{ ts('a.submitted_at') }} AS submitted_at
FROM applications a
WHERE a.policy_id = :policy_id
  AND a.status = 'approved'
  AND {{ ts('a.approved_at') }} IS NULL
  AND ({{ ts('a.submitted_at') }} IS NULL OR {{ ts('a.submitted_at') }} < :period_end_ts)

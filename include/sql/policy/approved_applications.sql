-- 申报类: every application for policy_id with status approved and approved_at in
-- [pays_from_ts, period_end_ts); a NULL amount_requested is 0. Approved rows without
-- approved_at are not here: approved_without_date.sql reports them as data problems.
SELECT a.application_id AS basis_id,
       a.credit_code AS credit_code,
       {{ ts('a.approved_at') }} AS basis_at,
       {{ ts('a.submitted_at') }} AS submitted_at,
       {{ num('a.amount_requested') }} AS amount_requested,
       e.credit_code AS known_code,
       e.name AS enterprise_name,
       e.abnormal AS abnormal,
       e.dishonest AS dishonest
FROM applications a
LEFT JOIN enterprises e ON e.credit_code = a.credit_code
WHERE a.policy_id = :policy_id
  AND a.status = 'approved'
  AND {{ txt('a.credit_code') }} IS NOT NULL
  AND {{ ts('a.approved_at') }} >= :pays_from_ts
  AND {{ ts('a.approved_at') }} < :period_end_ts

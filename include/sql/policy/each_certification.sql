-- 每次认定 (each certification): every certification of cert_type certified on a day in
-- [pays_from_day, period_end_day), with the enterprise's run-time status.
SELECT c.cert_id AS basis_id,
       c.credit_code AS credit_code,
       {{ ts('c.certified_on') }} AS basis_on,
       c.cert_type AS cert_type,
       e.credit_code AS known_code,
       e.name AS enterprise_name,
       e.abnormal AS abnormal,
       e.dishonest AS dishonest
FROM certifications c
LEFT JOIN enterprises e ON e.credit_code = c.credit_code
WHERE c.cert_type = :cert_type
  AND {{ txt('c.credit_code') }} IS NOT NULL
  AND {{ ts('c.certified_on') }} >= :pays_from_day
  AND {{ ts('c.certified_on') }} < :period_end_day

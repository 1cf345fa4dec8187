-- 首次认定 (first certification): every certification of cert_type certified on a day in
-- [pays_from_day, period_end_day) for which the enterprise has no EARLIER certification of the
-- same type. Earlier = an earlier certified_on, or the same day and a smaller cert_id (code-point
-- order); earlier certifications from before the programme start still count. expires_on plays
-- no part. The enterprise's run-time status comes along for the withheld check.
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
  AND NOT EXISTS (
      SELECT 1
      FROM certifications p
      WHERE p.credit_code = c.credit_code
        AND p.cert_type = c.cert_type
        AND p.cert_id <> c.cert_id
        AND ({{ ts('p.certified_on') }} < {{ ts('c.certified_on') }}
             OR ({{ ts('p.certified_on') }} = {{ ts('c.certified_on') }}
                 AND p.cert_id{% if dialect == 'postgresql' %} COLLATE "C"{% endif %}
                     < c.cert_id{% if dialect == 'postgresql' %} COLLATE "C"{% endif %}))
  )

-- 首次认定 (first certification): every certification of a type in the cert_types list (one statement for
-- every policy of this rule; cert_type names the policy) certified on a day in
-- [pays_from_day, period_end_day) for which the enterprise has no EARLIER certification of the
-- same type. Earlier = an earlier certified_on, or the same day and a smaller cert_id (code-point
-- order); earlier certifications from before the programme start still count. expires_on plays
-- no part. With the enterprise's name and withheld reason at run time (_enterprise.sql).
-- A certified_on that is not a date (SQLite text, gxq.sql bad_date) comes out with basis_on NULL
-- in every period (a data problem, never paid), and counts as an earlier certification of its
-- enterprise and type: nobody is paid "first" until the office has corrected it.
-- An anti-join, not row_number() over (credit_code, cert_type): EXPLAIN ANALYZE on 118,000
-- certifications shows the window's sort (text keys) costs more than the hash anti-join. The NOT
-- EXISTS stands alone in the WHERE's AND list (the bad-date case is inside it): under an OR,
-- PostgreSQL cannot turn it into a join and probes the index once per row (2x the statement's time).
-- Ordered as the candidates are (code-point order, as Python compares text), so that sorting
-- them afterwards finds them sorted.
{% import 'policy/_enterprise.sql' as r with context %}
SELECT c.cert_id AS basis_id,
       c.credit_code AS credit_code,
       {% if dialect == 'postgresql' %}to_char(c.certified_on, 'YYYY-MM-DD'){% else %}CASE WHEN NOT {{ bad_date('c.certified_on') }} THEN {{ ts('c.certified_on') }} END{% endif %} AS basis_on,
       c.cert_type AS cert_type,
       {{ r.columns() }}
FROM certifications c
LEFT JOIN enterprises e ON e.credit_code = c.credit_code
WHERE c.cert_type IN :cert_types
  AND {{ txt('c.credit_code') }} IS NOT NULL
  AND ({{ bad_date('c.certified_on') }}
       OR ({{ ts('c.certified_on') }} >= :pays_from_day AND {{ ts('c.certified_on') }} < :period_end_day))
  AND NOT EXISTS (
      SELECT 1
      FROM certifications p
      WHERE p.credit_code = c.credit_code
        AND p.cert_type = c.cert_type
        AND p.cert_id <> c.cert_id
        AND NOT {{ bad_date('c.certified_on') }}
        AND ({{ bad_date('p.certified_on') }} OR {{ ts('p.certified_on') }} < {{ ts('c.certified_on') }}
             OR ({{ ts('p.certified_on') }} = {{ ts('c.certified_on') }}
                 AND p.cert_id{% if dialect == 'postgresql' %} COLLATE "C"{% endif %}
                     < c.cert_id{% if dialect == 'postgresql' %} COLLATE "C"{% endif %}))
  )
ORDER BY c.credit_code{% if dialect == 'postgresql' %} COLLATE "C"{% endif %}, c.cert_id{% if dialect == 'postgresql' %} COLLATE "C"{% endif %}

-- 每次认定 (each certification): every certification of a type in the cert_types list (one statement for
-- every policy of this rule; cert_type names the policy) certified on a day in
-- [pays_from_day, period_end_day), with the enterprise's name and withheld reason (_enterprise.sql).
-- A certified_on that is not a date (SQLite text, gxq.sql bad_date) comes out with basis_on NULL
-- in every period: a data problem, never paid, never compared as text.
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
  AND (({{ ts('c.certified_on') }} >= :pays_from_day AND {{ ts('c.certified_on') }} < :period_end_day
        AND NOT {{ bad_date('c.certified_on') }})
       OR {{ bad_date('c.certified_on') }})
ORDER BY c.credit_code{% if dialect == 'postgresql' %} COLLATE "C"{% endif %}, c.cert_id{% if dialect == 'postgresql' %} COLLATE "C"{% endif %}

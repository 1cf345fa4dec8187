{#- The enterprise of a candidate award at run time, written once for the rule statements of
    include/sql/policy, which import this file (with the dialect helpers in scope) and join
    enterprises as e on their rows' credit_code (LEFT JOIN: no row is unknown_enterprise). The
    contract's primary key makes it one row at most; a department table without it gives a row per
    listing, which the caller reports (gxq.policy.evaluate). Not a statement itself. -#}

{#- Its name ('' is NULL) and the reason its award is withheld, the first that applies
    (docs/reference.md): unknown_enterprise, dishonest, abnormal; NULL when it is paid. The flags
    as the contract reads them: PostgreSQL's booleans; on SQLite 1 / t / true / y / yes (any case)
    or a non-zero number, as gxq.sql.to_bool reads them. -#}
{% macro columns() -%}
{{ txt('e.name') }} AS enterprise_name,
       CASE WHEN e.credit_code IS NULL THEN 'unknown_enterprise'
{% if dialect == 'postgresql' %}
            WHEN COALESCE(e.dishonest, false) THEN 'dishonest'
            WHEN COALESCE(e.abnormal, false) THEN 'abnormal'
{%- else %}
            WHEN lower(trim(CAST(e.dishonest AS TEXT))) IN ('1', 't', 'true', 'y', 'yes')
                 OR (typeof(e.dishonest) IN ('integer', 'real') AND e.dishonest <> 0) THEN 'dishonest'
            WHEN lower(trim(CAST(e.abnormal AS TEXT))) IN ('1', 't', 'true', 'y', 'yes')
                 OR (typeof(e.abnormal) IN ('integer', 'real') AND e.abnormal <> 0) THEN 'abnormal'
{%- endif %} END AS withhold_reason
{%- endmacro %}

-- The enterprises withheld at run time: 失信 (dishonest) or 经营异常 (abnormal), read once per
-- evaluation. On PostgreSQL (boolean columns) only those; elsewhere every enterprise, the caller
-- reads the flags as the contract does (1 / t / true / y / yes).
SELECT e.credit_code AS credit_code,
       e.abnormal AS abnormal,
       e.dishonest AS dishonest
FROM enterprises e
{% if dialect == 'postgresql' %}WHERE e.dishonest OR e.abnormal
{% endif %}
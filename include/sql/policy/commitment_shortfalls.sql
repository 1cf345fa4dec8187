-- 双承诺: commitments due on a day in [start_day, end_day) whose fulfilled amount is below the
-- promised amount (NULL amounts are 0), with the enterprise's name ('' is NULL). A due_on that is
-- not a date (SQLite text) comes out NULL in every quarter: a data problem, not a shortfall.
SELECT c.commitment_id AS commitment_id,
       c.credit_code AS credit_code,
       c.kind AS kind,
       CASE WHEN NOT {{ bad_date('c.due_on') }} THEN {{ ts('c.due_on') }} END AS due_on,
       {{ num('c.promised_amount') }} AS promised_amount,
       {{ num('c.fulfilled_amount') }} AS fulfilled_amount,
       (SELECT MIN({{ txt('e.name') }}) FROM enterprises e WHERE e.credit_code = c.credit_code) AS enterprise_name
FROM commitments c
WHERE (({{ ts('c.due_on') }} >= :start_day AND {{ ts('c.due_on') }} < :end_day AND NOT {{ bad_date('c.due_on') }})
       OR {{ bad_date('c.due_on') }})
  AND {{ num('c.fulfilled_amount') }} < {{ num('c.promised_amount') }}

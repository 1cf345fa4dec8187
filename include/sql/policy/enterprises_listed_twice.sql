-- The credit codes listed more than once in enterprises (a department table without the contract's
-- primary key): asked only when an evaluation finds an award twice, to tell the two causes apart.
SELECT e.credit_code AS credit_code
FROM enterprises e
GROUP BY e.credit_code
HAVING COUNT(*) > 1

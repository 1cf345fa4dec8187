-- The run-time status of every enterprise (name, 经营异常 abnormal, 失信 dishonest), read once per
-- evaluation: the award statements look an enterprise up here by credit_code instead of each
-- joining the whole table.
SELECT e.credit_code AS credit_code,
       e.name AS name,
       e.abnormal AS abnormal,
       e.dishonest AS dishonest
FROM enterprises e

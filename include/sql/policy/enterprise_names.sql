-- The name of every enterprise ('' read as NULL), read once per evaluation: the award statements
-- look an enterprise up by credit_code here instead of each joining the whole table. No row:
-- unknown_enterprise (withheld).
SELECT e.credit_code AS credit_code,
       {{ txt('e.name') }} AS name
FROM enterprises e

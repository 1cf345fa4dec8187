-- 重大项目库: every registered major project (the registry is small; activity is decided in Python).
-- start_on as ISO text when it is a date, and in start_on_other what SQLite stores that is not a date in its own
-- form, read value by value (gxq.innovation.rules.Projects).
SELECT project_id, name, {{ txt('responsible_unit') }} AS responsible_unit,
       {% if dialect == 'postgresql' %}CAST(start_on AS text){% else %}{{ ts_value('start_on') }}{% endif %} AS start_on,
       {% if dialect == 'postgresql' %}CAST(NULL AS text){% else %}CASE WHEN {{ ts_value('start_on') }} IS NULL THEN NULLIF(start_on, '') END{% endif %} AS start_on_other
FROM projects
ORDER BY project_id

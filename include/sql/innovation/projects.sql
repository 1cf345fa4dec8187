-- 重大项目库: every registered major project (the registry is small; activity is decided in Python).
SELECT project_id, name, {{ txt('responsible_unit') }} AS responsible_unit, {{ ts('start_on') }} AS start_on
FROM projects
ORDER BY project_id

-- 项目月度进度: only the rows of the months a report needs (first_month .. last_month; 'YYYY-MM' text sorts in order).
-- Each column comes as the month's frame takes it in one step (gxq.innovation.rules.Progress): progress values
-- as doubles on PostgreSQL (SQLite: as stored, text judged value by value); reported_at as ISO text when it is
-- a time (on PostgreSQL its own text, ISO under psycopg2's DateStyle; to_char cost ~1.3x the whole read), and
-- in reported_at_other what SQLite stores that is not a time in its own form ('T' forms, fractions, anything
-- else), read value by value: a time, or a data problem.
-- In the table's order: the month's frame groups the rows by project itself (gxq.innovation.rules.ProjectBook), and
-- sorting them here cost PostgreSQL ~2 ms of CPU of its ~8.5 for the bench's 8,624 rows (the monthly evaluation,
-- docs/benchmarks.md); a tie between two reports of a month that agree in reported_at and gap goes to the first read.
SELECT project_id, month, {{ real('plan_progress_pct') }} AS plan_progress_pct,
       {{ real('actual_progress_pct') }} AS actual_progress_pct,
       {% if dialect == 'postgresql' %}CAST(reported_at AS text){% else %}{{ ts_value('reported_at') }}{% endif %} AS reported_at,
       {% if dialect == 'postgresql' %}CAST(NULL AS text){% else %}CASE WHEN {{ ts_value('reported_at') }} IS NULL THEN NULLIF(reported_at, '') END{% endif %} AS reported_at_other
FROM project_monthly
WHERE month >= :first_month AND month <= :last_month

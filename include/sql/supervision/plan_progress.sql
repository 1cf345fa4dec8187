-- 进度报送: the units' cumulative reports (one a month per target; read whole, filtered by date in Python
-- so that a date stored with a time on SQLite still compares as a day).
SELECT target_id, reported_on, {{ num('value_cumulative') }} AS value_cumulative, {{ txt('note') }} AS note
FROM plan_progress
ORDER BY target_id, reported_on

-- 工作信息报送: submissions in [start, end). Bound params start and end, as
-- 'YYYY-MM-DD HH:MM:SS' local wall-clock text. A submitted_at that is not a time counts nowhere
-- (bad_timestamps.sql lists it).
SELECT COUNT(*) AS submissions
FROM info_submissions
WHERE {{ ts('submitted_at') }} >= :start
  AND {{ ts('submitted_at') }} < :end
  AND NOT {{ bad_ts('submitted_at') }}

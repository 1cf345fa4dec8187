-- 工作信息报送: submissions in [start, end). Bound params start and end, as
-- 'YYYY-MM-DD HH:MM:SS' local wall-clock text.
SELECT COUNT(*) AS submissions
FROM info_submissions
WHERE {{ ts('submitted_at') }} >= :start
  AND {{ ts('submitted_at') }} < :end

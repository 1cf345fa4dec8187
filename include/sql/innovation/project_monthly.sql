-- 项目月度进度: only the rows of the months a report needs (first_month .. last_month; 'YYYY-MM' text sorts in order).
SELECT project_id, month, plan_progress_pct, actual_progress_pct, {{ ts('reported_at') }} AS reported_at
FROM project_monthly
WHERE month >= :first_month AND month <= :last_month
ORDER BY project_id, month

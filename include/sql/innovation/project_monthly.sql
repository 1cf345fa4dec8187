-- 项目月度进度: the rows of the months [:first_month, :last_month] only ('YYYY-MM' text compares in order).
SELECT project_id, month, plan_progress_pct, actual_progress_pct, {{ ts('reported_at') }} AS reported_at
FROM project_monthly
WHERE month >= :first_month AND month <= :last_month
ORDER BY project_id, month

-- 指标月度累计值: only the months a report needs (first_month .. last_month: the year so far, for the trend).
SELECT indicator_code, month, {{ real('value_ytd') }} AS value_ytd
FROM indicator_monthly
WHERE month >= :first_month AND month <= :last_month
ORDER BY indicator_code, month

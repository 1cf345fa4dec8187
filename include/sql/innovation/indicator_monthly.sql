-- 指标月度累计值: the values of the months [:first_month, :last_month] only (the year so far, for the trend).
SELECT indicator_code, month, value_ytd
FROM indicator_monthly
WHERE month >= :first_month AND month <= :last_month
ORDER BY indicator_code, month

-- 发展评价指标库: every indicator with its weight and annual target (doubles on PostgreSQL, see real()).
SELECT indicator_code, name, {{ real('weight') }} AS weight, {{ real('annual_target') }} AS annual_target
FROM indicators
ORDER BY indicator_code

-- 发展评价指标库: every indicator with its weight and annual target.
SELECT indicator_code, name, weight, annual_target
FROM indicators
ORDER BY indicator_code

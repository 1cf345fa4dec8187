-- 营商环境提升指标 and the unit responsible for each (21 rows, read whole).
SELECT indicator_code, {{ txt('name') }} AS name, {{ txt('unit_code') }} AS unit_code
FROM assessment_indicators
ORDER BY indicator_code

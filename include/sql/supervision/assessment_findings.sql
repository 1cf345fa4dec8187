-- 问题清单: every finding of the rounds and its rectification dates (tens of rows a round, read whole).
SELECT finding_id, {{ txt('round') }} AS round, {{ txt('indicator_code') }} AS indicator_code,
       {{ txt('unit_code') }} AS unit_code, {{ txt('problem') }} AS problem,
       {{ ts('due_on') }} AS due_on, {{ ts('rectified_on') }} AS rectified_on, {{ ts('verified_on') }} AS verified_on
FROM assessment_findings
ORDER BY finding_id

-- 任务清单: every quantified task of the plan (a few dozen rows, read whole).
SELECT target_id, {{ txt('item') }} AS item, {{ txt('title') }} AS title, {{ txt('unit_code') }} AS unit_code,
       {{ txt('measure') }} AS measure, target_value, start_on, due_on, {{ txt('curve') }} AS curve
FROM plan_targets
ORDER BY target_id

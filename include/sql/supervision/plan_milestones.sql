-- 考核节点 of the milestones targets: the cumulative amount due by each date.
SELECT target_id, due_on, {{ num('value') }} AS value
FROM plan_milestones
ORDER BY target_id, due_on

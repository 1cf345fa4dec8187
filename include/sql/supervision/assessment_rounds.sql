-- 三轮营商环境评估: every round and the day its report came out (a handful of rows, read whole).
SELECT {{ txt('round') }} AS round, {{ ts('published_on') }} AS published_on
FROM assessment_rounds
ORDER BY round

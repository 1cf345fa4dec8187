-- Each round's score and city rank of each indicator (rounds × indicators rows, read whole).
SELECT {{ txt('round') }} AS round, {{ txt('indicator_code') }} AS indicator_code, score, city_rank, districts
FROM assessment_scores
ORDER BY round, indicator_code

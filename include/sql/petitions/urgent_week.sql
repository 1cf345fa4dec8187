{% import 'petitions/_rules.sql' as r with context -%}
-- 急险 in the bulletin's week (gxq.petitions.compute.urgent_week): the counted urgent petitions
-- received in the week, with their four time columns; Python counts the on-time ones and those
-- late by two hours or more (督办) as of the week's end. The partial index ix_petitions_urgent_received
-- serves it, as it serves the watch.
SELECT p.petition_id, {{ r.columns() }}
FROM petitions p
WHERE p.is_urgent = TRUE
  AND p.received_at >= :start AND p.received_at < :end
  AND {{ r.counted() }}

{% import 'petitions/_rules.sql' as r with context -%}
-- 受理量 by kind (诉求类型): counted petitions (valid, not withdrawn) received in [start, end).
SELECT {{ txt('p.kind') }} AS kind, COUNT(*) AS received
FROM petitions p
WHERE p.received_at >= :start AND p.received_at < :end
  AND {{ r.counted() }}
GROUP BY {{ txt('p.kind') }}

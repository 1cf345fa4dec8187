{% import 'petitions/_rules.sql' as r with context -%}
-- The bulletin's week W = [start, end) in one statement (gxq.petitions.compute.read_week). The rows
-- W needs are found once — on PostgreSQL one bitmap OR over the time-column indexes and the
-- backlog's GiST index, like the benchmark's COPY baseline: every not withdrawn petition relevant
-- to W, received in the week before ([prev_start, start), 受理量环比) or in the 超期未反馈 backlog at
-- W's end (_rules.sql) — and the lead unit (主办: the smallest lead code; NULL without one) of
-- each counted one is looked up by the index on petition_units. Three parts come out of them:
--   days        the counted rows grouped by lead unit and the days of r.figures() (flags summed)
--   kinds       the counted rows grouped by kind, week ('this': received in W, 'prev': the week
--               before) and, for complaints received in W, topic, street, lead unit and day
--               (received_day; for W, the per-topic rows unit_days.sql gives for other days)
--               (both n petitions each; part 'quarantined': the same of the quarantined rows, which
--               count nowhere, grouped with the others so that w is read whole, see below)
--   invalid /   one row per quarantined petition relevant to W (reason, received_at) / per petition
--   overdue     in the backlog (topic, street, received_at, feedback_due_at, unit)
--   topic_unit  each (topic, unit) of a unit (主办 or 协办) on a complaint received in W
-- gxq.petitions.compute adds the counts up into the report's parts.
WITH w AS (
    SELECT q.*,
           CASE WHEN q.reason IS NULL AND (q.relevant = 1 OR q.overdue = 1)
                THEN (SELECT MIN(u.unit_code) FROM petition_units u
                      WHERE u.petition_id = q.petition_id AND u.role = 'lead') END AS unit
    FROM (
        SELECT p.petition_id,
               {{ r.invalid_reason() }} AS reason,
               CASE WHEN {{ r.relevant() }} THEN 1 ELSE 0 END AS relevant,
               CASE WHEN {{ r.overdue_at_end() }} THEN 1 ELSE 0 END AS overdue,
               {{ r.columns() }}
        FROM petitions p
        WHERE ({{ r.relevant() }}
            OR (p.received_at >= :prev_start AND p.received_at < :start)
            OR {{ r.overdue_at_end() }})
          AND {{ r.not_withdrawn() }}
    ) q
)
-- (the rows first, then the counts: PostgreSQL types each column of a UNION from its first two
-- branches, and these two give every column its type)
SELECT CASE WHEN reason IS NULL THEN 'overdue' ELSE 'invalid' END AS part, unit, NULL AS kind, topic,
       NULL AS week, NULL AS received_day, NULL AS dispatch_day, 0 AS dispatch_on_time, NULL AS feedback_day,
       0 AS feedback_on_time, NULL AS revisit_day, 0 AS surveyed, 0 AS satisfied, 0 AS n,
       petition_id, reason, street, received_at, feedback_due_at
FROM w
WHERE (reason IS NOT NULL AND relevant = 1) OR (reason IS NULL AND overdue = 1)
UNION ALL
-- the aggregates read all of w (no WHERE), so that PostgreSQL sees w's size and aggregates by hashing
SELECT part, unit, NULL, NULL, NULL, received_day, dispatch_day, SUM(dispatch_on_time), feedback_day,
       SUM(feedback_on_time), revisit_day, SUM(surveyed), SUM(satisfied), COUNT(*), NULL, NULL, NULL, NULL, NULL
FROM (
    SELECT CASE WHEN reason IS NULL THEN 'days' ELSE 'quarantined' END AS part, unit,
           {{ r.figures() }}
    FROM w
) f
GROUP BY part, unit, received_day, dispatch_day, feedback_day, revisit_day
UNION ALL
SELECT part, unit, kind, topic, week, received_day, NULL, 0, NULL, 0, NULL, 0, 0, COUNT(*), NULL, NULL, street,
       NULL, NULL
FROM (
    SELECT CASE WHEN reason IS NULL THEN 'kinds' ELSE 'quarantined' END AS part, kind,
           CASE WHEN received_at >= :start AND received_at < :end THEN 'this'
                WHEN received_at >= :prev_start AND received_at < :start THEN 'prev' END AS week,
           -- complaints received in W: topic, street, lead unit and day (高频投诉事项, 突增)
           CASE WHEN kind = '投诉' AND received_at >= :start AND received_at < :end THEN unit END AS unit,
           CASE WHEN kind = '投诉' AND received_at >= :start AND received_at < :end THEN topic END AS topic,
           CASE WHEN kind = '投诉' AND received_at >= :start AND received_at < :end THEN street END AS street,
           CASE WHEN kind = '投诉' AND received_at >= :start AND received_at < :end
                THEN {{ day('received_at') }} END AS received_day
    FROM w
) k
GROUP BY part, unit, kind, topic, week, street, received_day
UNION ALL
SELECT 'topic_unit', t.unit_code, NULL, t.topic, NULL, NULL, NULL, 0, NULL, 0, NULL, 0, 0, 0,
       NULL, NULL, NULL, NULL, NULL
FROM (SELECT DISTINCT w.topic, u.unit_code
      FROM w
      JOIN petition_units u ON u.petition_id = w.petition_id
      WHERE w.reason IS NULL AND w.kind = '投诉' AND w.received_at >= :start AND w.received_at < :end
        AND u.role IN ('lead', 'co') AND {{ txt('u.unit_code') }} IS NOT NULL) t

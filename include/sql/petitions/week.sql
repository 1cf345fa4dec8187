{% import 'petitions/_rules.sql' as r with context -%}
-- The bulletin's week W = [start, end) in one statement (gxq.petitions.compute.read_week): the rows
-- W needs are found once (week_rows), then each question the bulletin asks of them is one named
-- CTE, and the statement returns one row with one column per question: its rows column by column
-- (json_columns: one JSON object of arrays, cheaper than an object per row for the backlog's
-- thousands), or a number. The unit directory (unit_directory) comes with it: the week is the
-- bulletin's only read of the department.
WITH week_rows AS (
    -- Every not withdrawn petition relevant to W (_rules.sql) or in the 超期未反馈 backlog at W's end.
    -- On PostgreSQL one bitmap OR over the time-column indexes and the backlog's GiST index, like the
    -- benchmark's COPY baseline. Each counted row gets its lead unit (主办: the smallest lead code;
    -- NULL without one), looked up by the index on petition_units.
    SELECT q.*,
           CASE WHEN q.reason IS NULL
                THEN (SELECT MIN(u.unit_code) FROM petition_units u
                      WHERE u.petition_id = q.petition_id AND u.role = 'lead') END AS unit
    FROM (
        SELECT p.petition_id,
               {{ r.invalid_reason() }} AS reason,
               CASE WHEN {{ r.relevant() }} THEN 1 ELSE 0 END AS relevant,
               CASE WHEN {{ r.overdue_at_end() }} THEN 1 ELSE 0 END AS overdue,
               CASE WHEN p.is_urgent = TRUE THEN 1 ELSE 0 END AS urgent,
               {{ r.columns() }}
        FROM petitions p
        WHERE ({{ r.relevant() }} OR {{ r.overdue_at_end() }})
          AND {{ r.not_withdrawn() }}
    ) q
),
unit_days AS (
    -- 分单位办件指标: the counted rows by lead unit and the days they count on (r.figures(): each
    -- figure on the day of its own timestamp), n rows and the flags summed
    SELECT unit, received_day, dispatch_day, SUM(dispatch_on_time) AS dispatch_on_time, feedback_day,
           SUM(feedback_on_time) AS feedback_on_time, revisit_day, SUM(surveyed) AS surveyed,
           SUM(satisfied) AS satisfied, COUNT(*) AS n
    FROM (SELECT unit, {{ r.figures() }} FROM week_rows WHERE reason IS NULL) f
    GROUP BY unit, received_day, dispatch_day, feedback_day, revisit_day
),
kinds AS (
    -- 诉求类型: the counted petitions received in W, by kind
    SELECT kind, COUNT(*) AS n
    FROM week_rows
    WHERE reason IS NULL AND received_at >= :start AND received_at < :end
    GROUP BY kind
),
complaints AS (
    -- 高频投诉事项, 突增: the counted complaints (投诉) received in W by topic, 街道, lead unit and day
    SELECT topic, street, unit, {{ day('received_at') }} AS received_day, COUNT(*) AS n
    FROM week_rows
    WHERE reason IS NULL AND kind = '投诉' AND received_at >= :start AND received_at < :end
    GROUP BY topic, street, unit, {{ day('received_at') }}
),
topic_units AS (
    -- 高频投诉事项's units: each (topic, unit) of a unit (主办 or 协办) on those complaints
    SELECT DISTINCT w.topic, u.unit_code
    FROM week_rows w
    JOIN petition_units u ON u.petition_id = w.petition_id
    WHERE w.reason IS NULL AND w.kind = '投诉' AND w.received_at >= :start AND w.received_at < :end
      AND u.role IN ('lead', 'co') AND {{ txt('u.unit_code') }} IS NOT NULL
),
invalid AS (
    -- 数据质量: the quarantined petitions relevant to W, with their first failed check
    SELECT petition_id, reason, received_at FROM week_rows WHERE reason IS NOT NULL AND relevant = 1
),
overdue AS (
    -- 超期未反馈: the counted petitions in the backlog at W's end, whatever week they were received in
    SELECT petition_id, topic, street, received_at, feedback_due_at, unit
    FROM week_rows WHERE reason IS NULL AND overdue = 1
),
urgent AS (
    -- 急险: the counted urgent petitions received in W, with their four time columns (Python counts
    -- the on-time ones and those late by two hours or more as of W's end, as the 急险 watch does)
    SELECT dispatch_due_at, dispatched_at, feedback_due_at, feedback_at
    FROM week_rows WHERE reason IS NULL AND urgent = 1 AND received_at >= :start AND received_at < :end
),
unit_directory AS (
    -- 承办单位 directory: the names the bulletin shows (gxq.units.directory reads the same table)
    SELECT u.unit_code, {{ txt('u.unit_name') }} AS unit_name FROM units u
)
SELECT {{ json_columns('unit_days', 'unit', 'received_day', 'dispatch_day', 'dispatch_on_time', 'feedback_day',
                    'feedback_on_time', 'revisit_day', 'surveyed', 'satisfied', 'n') }} AS unit_days,
       {{ json_columns('kinds', 'kind', 'n') }} AS kinds,
       -- 受理量环比: the counted petitions received in the week before, a count of their own (the index
       -- on received_at finds them). Carried through week_rows, the week before's rows that are not
       -- relevant to W (3,892 of the 1M bench database's 2021-W22) were fetched, checked and
       -- materialised with the week's, and counted by one more pass over all 42,432: 17-23 ms more of
       -- the server's CPU at 1M and 5M (docs/benchmarks.md)
       (SELECT COUNT(*) FROM petitions p
        WHERE p.received_at >= :prev_start AND p.received_at < :start AND {{ r.counted() }}) AS received_prev,
       {{ json_columns('complaints', 'topic', 'street', 'unit', 'received_day', 'n') }} AS complaints,
       {{ json_columns('topic_units', 'topic', 'unit_code') }} AS topic_units,
       {{ json_columns('invalid', 'petition_id', 'reason', 'received_at') }} AS invalid,
       {{ json_columns('overdue', 'petition_id', 'topic', 'street', 'received_at', 'feedback_due_at', 'unit') }} AS overdue,
       {{ json_columns('urgent', 'dispatch_due_at', 'dispatched_at', 'feedback_due_at', 'feedback_at') }} AS urgent,
       {{ json_columns('unit_directory', 'unit_code', 'unit_name') }} AS unit_directory

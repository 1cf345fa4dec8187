{#- The bulletin's rules on one petitions row (alias p), written once for the statements of
    include/sql/petitions, which import this file (with the dialect helpers in scope) and call
    the macros, e.g. r.counted(). Not a statement itself. The macros take no values (only
    column names); values are the statement's bound parameters (:start, :end, :floor). -#}

{#- The columns the rules read from one petitions row (alias p), normalised by the dialect helpers
    ('' is NULL on SQLite), under their own names: the row source r.figures() and gxq.petitions.compute expect. -#}
{#- A timestamp that is not a time comes out NULL (ts_value), so that nothing downstream compares or
    parses it; the row is quarantined as bad_timestamp all the same (invalid_reason). -#}
{% macro columns() -%}
{{ txt('p.kind') }} AS kind, {{ txt('p.topic') }} AS topic, {{ txt('p.street') }} AS street,
               {{ ts_value('p.received_at') }} AS received_at, {{ ts_value('p.dispatch_due_at') }} AS dispatch_due_at,
               {{ ts_value('p.dispatched_at') }} AS dispatched_at, {{ ts_value('p.feedback_due_at') }} AS feedback_due_at,
               {{ ts_value('p.feedback_at') }} AS feedback_at, {{ ts_value('p.revisited_at') }} AS revisited_at,
               {{ txt('p.satisfaction') }} AS satisfaction
{%- endmacro %}

{#- bad_timestamp: one of the six timestamp columns the rules read holds text that is not a time
    (gxq.sql: only SQLite stores text; on PostgreSQL the columns are typed and this is never true).
    closed_at is read by no rule and not checked. -#}
{% macro bad_timestamp() -%}
({{ bad_ts('p.received_at') }} OR {{ bad_ts('p.dispatch_due_at') }} OR {{ bad_ts('p.dispatched_at') }}
         OR {{ bad_ts('p.feedback_due_at') }} OR {{ bad_ts('p.feedback_at') }} OR {{ bad_ts('p.revisited_at') }})
{%- endmacro %}

{#- 已撤销: a withdrawn petition counts nowhere, neither in the figures nor in the quarantine. -#}
{% macro not_withdrawn() %}COALESCE(p.status, '') <> '已撤销'{% endmacro %}

{#- 数据质量: the first check a row fails, in the contract's order (gxq.petitions.rules.INVALID_REASONS);
    NULL when it passes every check. -#}
{% macro invalid_reason() -%}
CASE
{%- if dialect == 'sqlite' %}
    WHEN {{ bad_timestamp() }} THEN 'bad_timestamp'
{%- endif %}
    WHEN {{ ts('p.received_at') }} IS NULL THEN 'missing_received_at'
    WHEN {{ ts('p.dispatched_at') }} < {{ ts('p.received_at') }} THEN 'dispatched_before_received'
    WHEN {{ ts('p.feedback_at') }} < {{ ts('p.received_at') }} THEN 'feedback_before_received'
    WHEN {{ txt('p.satisfaction') }} IS NOT NULL
         AND p.satisfaction NOT IN ('满意', '基本满意', '不满意') THEN 'bad_satisfaction'
END
{%- endmacro %}

{#- Counted in the figures: not withdrawn and valid. -#}
{% macro counted() %}{{ not_withdrawn() }} AND {{ invalid_reason() }} IS NULL{% endmacro %}

{#- Relevant to the window [:start, :end): any of the four time columns in it. The raw columns, so
    that the department's indexes serve each arm ('' is never in range). A column that is not a time
    falls in no window, whatever its text sorts like (on SQLite, in_time() checks it on the rows the
    range found): a row with a bad timestamp is relevant by its other, parseable columns. -#}
{% macro in_time(col) %}{% if dialect == 'sqlite' %} AND NOT {{ bad_ts(col) }}{% endif %}{% endmacro %}
{% macro relevant() -%}
((p.received_at >= :start AND p.received_at < :end{{ in_time('p.received_at') }})
        OR (p.dispatch_due_at >= :start AND p.dispatch_due_at < :end{{ in_time('p.dispatch_due_at') }})
        OR (p.feedback_due_at >= :start AND p.feedback_due_at < :end{{ in_time('p.feedback_due_at') }})
        OR (p.revisited_at >= :start AND p.revisited_at < :end{{ in_time('p.revisited_at') }}))
{%- endmacro %}

{#- 超期未反馈 at :end (with counted()): feedback due before :end and not given before :end, whatever
    week the petition was received in. :floor ('1900-01-01') keeps '' and NULL due times out (a
    NULL due time is never due). "feedback_at IS NULL OR feedback_at > feedback_due_at" (implied by
    the line before it) lets the partial index ix_petitions_feedback_open serve. On PostgreSQL the
    same condition is also stated as ":end lies in (feedback_due_at, feedback_at]" (an open upper
    bound while never fed back): the department's GiST index ix_petitions_feedback_backlog
    (include/sql/README.md) then finds exactly the petitions open at :end, however many years of
    late-but-fed-back history precede it and however many later weeks follow. The CASE keeps the
    range valid on rows fed back on time (it is then empty); the index's own predicate repeats
    not_withdrawn(), so a statement using this states it as well. -#}
{% macro overdue_at_end() -%}
(p.feedback_due_at >= :floor AND p.feedback_due_at < :end
         AND ({{ ts('p.feedback_at') }} IS NULL OR p.feedback_at >= :end)
         AND ({{ ts('p.feedback_at') }} IS NULL OR p.feedback_at > p.feedback_due_at)
{%- if dialect == 'postgresql' %}
         AND tsrange(p.feedback_due_at,
                     CASE WHEN p.feedback_at < p.feedback_due_at THEN p.feedback_due_at ELSE p.feedback_at END,
                     '(]') @> CAST(:end AS timestamp)
{%- endif %})
{%- endmacro %}

{#- 分单位办件指标: what one counted row counts for in the window [:start, :end), over a row source with
    the columns received_at, dispatch_due_at, dispatched_at, feedback_due_at, feedback_at,
    revisited_at, satisfaction (the timestamps through ts()). Each figure family counts a petition
    at most once, on the day of its own timestamp when that lies in the window (受理 on
    received_at's day, 分拨 on dispatch_due_at's, 反馈 on feedback_due_at's, 回访 on revisited_at's),
    so the figures of any window of whole days are the sums of its days. A day column is NULL when
    the row does not count in that family; its flags are 0 then. Statements group the rows by unit
    and the four days (n rows, the flags summed); gxq.petitions.compute adds each group to the
    (unit, day) of each of its families. day(): the calendar day of a timestamp (gxq.sql: on
    SQLite a bare date counts in the day before). -#}
{% macro figures() -%}
CASE WHEN received_at >= :start AND received_at < :end THEN {{ day('received_at') }} END AS received_day,
           CASE WHEN dispatch_due_at >= :start AND dispatch_due_at < :end
                THEN {{ day('dispatch_due_at') }} END AS dispatch_day,
           CASE WHEN dispatch_due_at >= :start AND dispatch_due_at < :end
                     AND dispatched_at <= dispatch_due_at THEN 1 ELSE 0 END AS dispatch_on_time,
           CASE WHEN feedback_due_at >= :start AND feedback_due_at < :end
                THEN {{ day('feedback_due_at') }} END AS feedback_day,
           CASE WHEN feedback_due_at >= :start AND feedback_due_at < :end
                     AND feedback_at <= feedback_due_at THEN 1 ELSE 0 END AS feedback_on_time,
           CASE WHEN revisited_at >= :start AND revisited_at < :end THEN {{ day('revisited_at') }} END AS revisit_day,
           CASE WHEN revisited_at >= :start AND revisited_at < :end
                     AND satisfaction IS NOT NULL THEN 1 ELSE 0 END AS surveyed,
           CASE WHEN revisited_at >= :start AND revisited_at < :end
                     AND satisfaction IN ('满意', '基本满意') THEN 1 ELSE 0 END AS satisfied
{%- endmacro %}

-- 数据质量: the rows whose time is not a time (SQLite text such as '2021-06-0x'; gxq.sql bad_ts, never
-- true on PostgreSQL's typed columns). They count in no week; every run lists them to ops until the
-- department corrects them. wechat_posts only when the table is the WeChat source (with_posts).
SELECT 'info_submissions' AS source_table, submission_id AS row_id, submitted_at AS value
FROM info_submissions
WHERE {{ bad_ts('submitted_at') }}
{%- if with_posts | default(false) %}
UNION ALL
SELECT 'wechat_posts', post_id, published_at
FROM wechat_posts
WHERE {{ bad_ts('published_at') }}
{%- endif +%}
ORDER BY 1, 2

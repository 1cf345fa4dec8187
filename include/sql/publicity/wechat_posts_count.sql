-- 公众号更新: posts published in [start, end), the updates among them (distinct calendar days with a
-- post: one update, 群发, may carry several articles; the timestamps are Asia/Shanghai wall clock, so
-- the day is the column's own date), and the number of distinct publish times (articles of one mass
-- send share its publish time; the 服务号's monthly send cap counts these). Bound params start and
-- end, as 'YYYY-MM-DD HH:MM:SS' local wall-clock text. A published_at that is not a time counts nowhere
-- (bad_timestamps.sql lists it).
SELECT COUNT(*) AS posts,
       COUNT(DISTINCT {{ day('published_at') }}) AS update_days,
       COUNT(DISTINCT {{ ts('published_at') }}) AS sends
FROM wechat_posts
WHERE {{ ts('published_at') }} >= :start
  AND {{ ts('published_at') }} < :end
  AND NOT {{ bad_ts('published_at') }}

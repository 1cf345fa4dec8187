-- 公众号文章: posts published in [start, end), and the number of distinct publish times
-- (articles of one mass send share its publish time). Bound params start and end, as
-- 'YYYY-MM-DD HH:MM:SS' local wall-clock text.
SELECT COUNT(*) AS posts,
       COUNT(DISTINCT {{ ts('published_at') }}) AS sends
FROM wechat_posts
WHERE {{ ts('published_at') }} >= :start
  AND {{ ts('published_at') }} < :end

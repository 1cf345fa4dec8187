"""Demo rows of ``dept_publicity`` (宣传): WeChat posts of the 营商 account and work information reported upward.

The plan asks for the account to be updated 1–2 times a week and at least 2 pieces of work
information a week: most weeks meet it, some do not (0 or 1), so the reminder has work to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from .window import DEMO_YEAR, Window

FIRST_DAY = DEMO_YEAR.first_day
LAST_DAY = DEMO_YEAR.last_day

POST_TITLES = (
    "高新区“万人进万企”服务专员走进{x}", "一图读懂:高新区{y}年优化营商环境工作实施方案", "{x}企业开办实现“一网通办”",
    "高新区召开优化营商环境工作推进会", "政策直达快享:{x}惠企资金兑现到位", "8890热线办理情况通报(第{n}期)",
    "“办事不求人”:{x}政务服务大厅再提速", "高新区举办{x}政策宣讲会", "营商环境“好差评”:{x}收获群众点赞",
    "自创区重大项目建设现场会在{x}召开", "科技型中小企业评价入库工作启动", "高新技术企业认定奖励政策解读",
)
INFO_TITLES = (
    "高新区多措并举推进{x}政务服务提质增效", "关于{x}优化营商环境工作进展情况的报告", "高新区推行惠企政策“免申即享”",
    "{x}市民服务平台诉求办理情况", "高新区以“双承诺、双兑现”推动政策落地", "高新区自创区重大项目第{n}次调度情况",
    "{x}“放管服”改革典型经验做法", "高新区扎实推进供暖季民生保障工作", "高新区开展知识产权质押融资贴息工作",
)
PLACES = ("凌水街道", "七贤岭街道", "黄泥川街道", "龙王塘街道", "大连湾街道", "腾飞软件园", "英歌石科学城",
          "市场监管局", "建设局", "人社局", "城市管理局")
AGENCIES = (["大连市营商环境建设局", "中共大连市委办公室信息处", "大连市人民政府办公室", "辽宁省营商环境建设局",
             "大连高新区党政办公室"], [40, 20, 20, 8, 12])
UNITS = (["U13", "U01", "U02", "U03", "U04", "U14", "U15", "U16", "U17", "U18", "U19"],
         [40, 5, 5, 6, 5, 8, 6, 6, 4, 3, 3])

POSTS_PER_WEEK = ([0, 1, 2, 3], [6, 22, 47, 25])
SUBMISSIONS_PER_WEEK = ([0, 1, 2, 3, 4], [4, 14, 36, 30, 16])


def _moments(rng, monday: date, n: int, weekend_share: float, window: Window) -> list[datetime]:
    out = []
    # A rolling window ends today: the current week's pieces fall on the days so far.
    days_so_far = (window.last_day - monday).days if window.rolling else 6
    for _ in range(n):
        day = rng.randrange(7) if rng.random() < weekend_share else rng.randrange(5)
        d = monday + timedelta(days=min(day, days_so_far))
        out.append(datetime(d.year, d.month, d.day, rng.randint(8, 20), rng.randrange(60), rng.randrange(60)))
    first, last = window.first_day, window.last_day
    return sorted(t for t in out if first <= t.date() <= last and t < window.snapshot)


def generate(rng, scale: float = 1.0, window: Window = DEMO_YEAR) -> Iterator[tuple[str, tuple]]:
    del scale  # one account and one office, whatever the volume
    posts: list[tuple] = []
    infos: list[tuple] = []
    monday = window.first_day - timedelta(days=window.first_day.weekday())
    week_no = 0
    while monday <= window.last_day:
        week_no += 1
        for t in _moments(rng, monday, rng.choices(*POSTS_PER_WEEK)[0], 0.15, window):
            title = rng.choice(POST_TITLES).format(x=rng.choice(PLACES), n=week_no, y=window.year)
            posts.append((f"WX{len(posts) + 1:06d}", t.isoformat(" "), title, rng.choices(*UNITS)[0]))
        for t in _moments(rng, monday, rng.choices(*SUBMISSIONS_PER_WEEK)[0], 0.05, window):
            title = rng.choice(INFO_TITLES).format(x=rng.choice(PLACES), n=week_no)
            infos.append((f"XX{len(infos) + 1:06d}", t.isoformat(" "), title, rng.choices(*AGENCIES)[0],
                          rng.choices(*UNITS)[0]))
        monday += timedelta(days=7)
    for row in posts:
        yield "wechat_posts", row
    for row in infos:
        yield "info_submissions", row

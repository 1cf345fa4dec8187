"""Demo rows of ``dept_innovation`` (自创区重大项目): projects, project_monthly, indicators, indicator_monthly.

60 major projects (most started before 2021, some mid-2021, a few in 2022), each reporting its
planned and actual progress monthly: mostly on track, some lagging (yellow) or far behind (red),
some months unreported, a few reported twice (the later report wins) and a few odd values (over
100%). Twelve cumulative indicators with weights and annual targets (one target is 0), with
year-to-date values per month and some months missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from .window import DEMO_YEAR, Window

FIRST_MONTH = (2020, 12)
LAST_MONTH = (2022, 1)

PROJECT_NAMES = (
    "英歌石科学城核心区建设", "大连洁净能源创新研究院", "中科院大连化物所能源研究中心", "华录大数据产业园",
    "腾飞软件园三期", "大连国际数据港", "星海湾金融商务区科技楼宇", "高新区人工智能产业园",
    "集成电路设计产业基地", "生物医药创新孵化中心", "大连理工大学科技园扩建", "海事大学海洋科技园",
    "七贤岭智慧产业园", "黄泥川生态科技小镇", "龙王塘科创社区", "凌水湾总部基地", "氢能产业示范园",
    "工业互联网标识解析节点", "5G应用创新中心", "数字孪生城市示范", "新能源汽车电控研发基地",
    "精细化工中试基地", "海洋装备研发中心", "智能制造公共服务平台", "信创适配中心", "动漫游戏产业园",
    "软件和信息服务出口基地", "科技金融服务中心", "院士专家工作站集群", "国际人才社区", "双创示范基地二期",
    "高端医疗器械产业园", "储能技术研发中心", "半导体材料中试线", "区块链创新应用中心", "北斗导航应用产业园",
    "工业软件研发中心", "智慧港航大数据中心", "绿色建筑科技示范区", "海水淡化技术中心",
    "腾飞软件园四期", "大连先进光源装置配套园区", "催化剂中试基地", "智能网联汽车测试场", "跨境电商产业园",
    "文化科技融合示范基地", "高新区人才公寓", "科技企业加速器", "国家级检验检测中心", "数字经济产业园",
    "海洋生物医药中试平台", "燃料电池关键材料产业化", "低碳技术创新中心", "量子信息实验室配套",
    "智慧社区示范工程", "东软医疗影像研发基地", "软件园道路与管网改造", "黄泥川综合管廊", "凌水河综合治理",
    "七贤岭产业化基地改造",
)
# 重大项目 responsible units (the zone's bureaus and street offices)
RESPONSIBLE_UNITS = (["U14", "U01", "U13", "U12", "U08", "U05", "U06", "U09", "U15", "U16", "U17", "U18", "U19"],
                     [12, 8, 5, 2, 2, 1, 1, 1, 2, 2, 2, 1, 1])

INDICATORS = [
    # code, name, weight, annual target
    ("IND01", "规模以上工业总产值(亿元)", 12, 160),
    ("IND02", "固定资产投资(亿元)", 12, 120),
    ("IND03", "高新技术企业数量(家)", 10, 900),
    ("IND04", "科技型中小企业评价入库数(家)", 8, 1300),
    ("IND05", "全社会研发经费投入(亿元)", 10, 45),
    ("IND06", "技术合同成交额(亿元)", 8, 90),
    ("IND07", "新增上市企业(家)", 4, 0),
    ("IND08", "发明专利授权量(件)", 8, 2400),
    ("IND09", "实际利用外资(亿美元)", 6, 3.5),
    ("IND10", "一般公共预算收入(亿元)", 10, 36),
    ("IND11", "新增市场主体(户)", 6, 9000),
    ("IND12", "招商引资到位资金(亿元)", 6, 150),
]
# completion of the year by indicator (some lag, one runs far ahead)
INDICATOR_PACE = {"IND01": 1.02, "IND02": 0.86, "IND03": 1.08, "IND04": 1.15, "IND05": 0.95, "IND06": 1.4,
                  "IND07": 1.0, "IND08": 0.78, "IND09": 0.65, "IND10": 0.98, "IND11": 1.05, "IND12": 0.9}


def months(first=FIRST_MONTH, last=LAST_MONTH) -> list[tuple[int, int]]:
    out, (y, m) = [], first
    while (y, m) <= last:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _month_key(ym: tuple[int, int]) -> str:
    return f"{ym[0]}-{ym[1]:02d}"


def _next_month_first(ym: tuple[int, int]) -> date:
    y, m = ym
    return date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)


def _reported_at(rng, ym, late_days: int = 0) -> datetime:
    d = _next_month_first(ym) + timedelta(days=rng.randint(-3, 6) + late_days)
    return datetime(d.year, d.month, d.day, rng.randint(8, 18), rng.randrange(60), rng.randrange(60))


def _start_on(rng, i: int) -> date:
    """A start date in the generators' calendar (the plan's year 2021; moved with the window)."""
    if i < 42:  # under way before the plan's year
        return date(2018, 1, 1) + timedelta(days=rng.randrange(365 * 3))
    if i < 52:  # started during 2021
        return date(2021, rng.randint(3, 10), rng.randint(1, 28))
    if i < 55:  # December 2021 and January 2022
        return (date(2021, 12, rng.randint(1, 28)), date(2022, 1, 10), date(2021, 12, 15))[i - 52]
    return date(2022, rng.randint(3, 9), 1)  # not started within the data


def generate(rng, scale: float = 1.0, window: Window = DEMO_YEAR, projects: int = 60,
             indicators: int = 12) -> Iterator[tuple[str, tuple]]:
    """The department's rows. ``scale`` does not apply: 60 major projects whatever the volume of
    the rest. The benchmark asks for more (``projects``, ``indicators``): project k then follows
    project k mod 60's name and start category, indicator j indicator j mod 12's weight, target
    and pace, and the ids are numbered wider (XM00001, IND0001); 60 and 12 give the demo."""
    del scale
    snapshot = window.snapshot
    last_month = (window.last_day.year, window.last_day.month)
    repeat = projects > len(PROJECT_NAMES)
    names = [PROJECT_NAMES[i % len(PROJECT_NAMES)] + "项目" + (f"{i // len(PROJECT_NAMES) + 1:03d}" if repeat else "")
             for i in range(projects)]
    rng.shuffle(names)
    kinds = [i % 60 for i in range(projects)]  # start category, shuffled so ids do not follow start dates
    rng.shuffle(kinds)
    width = max(3, len(str(projects)))
    rows = []
    for i in range(projects):
        unit = rng.choices(*RESPONSIBLE_UNITS)[0]
        rows.append((f"XM{i + 1:0{width}d}", names[i], unit, window.shift(_start_on(rng, kinds[i]))))
    for pid, name, unit, start in rows:
        yield "projects", (pid, name, unit, start.isoformat())

    all_months = months((window.year - 1, 12), last_month)
    for pid, _name, _unit, start in rows:
        duration = rng.randint(18, 48)
        profile = rng.choices(("steady", "lagging", "troubled"), (60, 25, 15))[0]
        target = {"steady": rng.gauss(3, 3), "lagging": rng.gauss(17, 4), "troubled": rng.gauss(36, 6)}[profile]
        gap = target
        for ym in all_months:
            if (ym[0], ym[1]) < (start.year, start.month):
                continue
            elapsed = (ym[0] - start.year) * 12 + ym[1] - start.month + 1
            plan = min(100.0, round(100.0 * elapsed / duration, 1))
            gap = max(-5.0, gap + 0.3 * (target - gap) + rng.gauss(0, 3.5))  # drifts, pulled back to its profile
            actual = round(min(100.0, max(0.0, plan - gap)), 1)
            if rng.random() < 0.01:
                actual = round(rng.uniform(101, 120), 1)  # odd value the department let through
            if rng.random() < 0.06:
                continue  # not reported this month
            # A rolling window ends today: its units report by the 2nd of the next month, so that the
            # evaluation run (4th working day) finds the month reported.
            reported = _reported_at(rng, ym, -5 if window.rolling else 0)
            if reported >= snapshot:
                continue
            key = _month_key(ym)
            if rng.random() < 0.04:
                # reported twice: a first figure, corrected days later (the later report wins)
                first_actual = round(min(100.0, actual + rng.uniform(-15, 15)), 1)
                yield "project_monthly", (pid, key, plan, max(0.0, first_actual), reported.isoformat(" "))
                reported = reported + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 5))
                if reported >= snapshot:
                    continue
            yield "project_monthly", (pid, key, plan, actual, reported.isoformat(" "))

    listed = []  # code, name, weight, annual target, pace
    for j in range(indicators):
        code, name, weight, target = INDICATORS[j % len(INDICATORS)]
        pace = INDICATOR_PACE[code]
        if indicators > len(INDICATORS):
            code, name = f"IND{j + 1:04d}", f"{name}#{j // len(INDICATORS) + 1}"
        listed.append((code, name, weight, target, pace))
    for code, name, weight, target, _pace in listed:
        yield "indicators", (code, name, weight, target)
    for code, _name, _weight, target, pace in listed:
        base = target if target else 2  # 新增上市企业: target 0, a couple anyway
        ytd = 0.0
        for ym in all_months:
            if ym[1] == 1:
                ytd = 0.0
            year_pace = pace if ym[0] == window.year else rng.uniform(0.85, 1.05)
            # uneven months: slow around the Spring Festival, fast at year end
            weight = {1: 0.6, 2: 0.5, 12: 1.5, 6: 1.2}.get(ym[1], 1.0)
            ytd += max(0.0, base * year_pace / 12 * weight * rng.uniform(0.8, 1.2))
            if rng.random() < 0.08:
                continue  # not reported this month
            if ym == last_month and rng.random() < 0.5:
                continue
            value = float(int(ytd)) if target == 0 else round(ytd, 2)  # a count of listed companies
            yield "indicator_monthly", (code, _month_key(ym), value)

"""Vocabulary of the demo data (演示数据词表): units, streets, topics, names, the 2021 work calendar.

Everything here is fixed data: the generators draw from it with a seeded ``random.Random`` so the
demo databases are identical from one run to the next.
"""

from __future__ import annotations

from datetime import date, timedelta

from gxq.calendar import workdays

# The zone's units (单位目录): 承办单位 of the 8890 platform and the plan's task owners. Written to
# dept_petitions.units, the one directory the other demo databases' unit codes refer to.
UNITS: list[tuple[str, str]] = [
    ("U01", "高新区建设局"),
    ("U02", "高新区城市管理局"),
    ("U03", "高新区市场监督管理局"),
    ("U04", "高新区人力资源和社会保障局"),
    ("U05", "高新区教育文化体育局"),
    ("U06", "高新区卫生健康局"),
    ("U07", "高新区生态环境分局"),
    ("U08", "高新区交通运输局"),
    ("U09", "高新区房产管理局"),
    ("U10", "高新区应急管理局"),
    ("U11", "高新区供热管理办公室"),
    ("U12", "高新区水务局"),
    ("U13", "高新区营商环境建设局"),
    ("U14", "高新区科技和工业信息化局"),
    ("U15", "凌水街道办事处"),
    ("U16", "七贤岭街道办事处"),
    ("U17", "黄泥川街道办事处"),
    ("U18", "龙王塘街道办事处"),
    ("U19", "大连湾街道办事处"),
    ("U20", "大连市公安局高新园区分局"),
    # Owners named by the plan's 任务清单 (dept_supervision) that handle no petitions.
    ("U21", "高新区党群工作部（人才工作办公室）"),
    ("U22", "高新区财政局"),
    ("U23", "高新区妇女联合会"),
]

# 街道 -> (weight of petitions, 街道办事处 unit code, places used in petition texts)
STREETS: dict[str, tuple[float, str, list[str]]] = {
    "凌水街道": (35, "U15", ["凌水社区", "小平岛", "河口社区", "软件园路", "学苑社区", "红星海小区", "万科城"]),
    "七贤岭街道": (25, "U16", ["七贤岭社区", "黄浦路", "腾飞软件园", "天河路", "高新万达广场", "山水华庭"]),
    "黄泥川街道": (15, "U17", ["黄泥川村", "旅顺南路", "英歌石", "泉水社区", "龙湖滟澜海岸"]),
    "龙王塘街道": (10, "U18", ["龙王塘村", "塔河湾", "黑石礁", "南部滨海大道", "鹿岛路"]),
    "大连湾街道": (15, "U19", ["大连湾社区", "前关村", "土城子", "大连湾新区", "海达北岸"]),
}
STREET_NAMES = list(STREETS)
STREET_WEIGHTS = [STREETS[s][0] for s in STREET_NAMES]

CHANNELS = (["8890热线", "微信", "APP", "网站", "信件"], [62, 16, 10, 9, 3])
KINDS = (["投诉", "求助", "咨询", "建议", "举报"], [46, 20, 20, 7, 7])
# 反馈时限 in working days, per kind (求助 and 咨询 answered faster).
FEEDBACK_WORKDAYS = {"投诉": (5, 10, 15), "求助": (3, 5, 7), "咨询": (3, 3, 5), "建议": (10, 15, 15),
                     "举报": (7, 10, 15)}

# 诉求事项: base weight, monthly multipliers (Jan..Dec), (lead units and weights), share led by the
# street office, urgent share, content templates ({place}, {n}, {t}).
_ALL = [1.0] * 12
TOPICS: dict[str, dict] = {
    "供暖": {
        "w": 18, "m": [1.5, 1.1, 0.8, 0.25, 0.03, 0.02, 0.02, 0.02, 0.05, 0.35, 1.9, 1.7],
        "units": (["U11"], [1]), "street": 0.2, "urgent": 0.06,
        "texts": ["{place}{n}号楼室内温度只有{t}度,家中有老人孩子,要求供热单位尽快处理。",
                  "{place}暖气不热,已多次联系物业和热源厂未解决。",
                  "{place}供热管网漏水,单元楼道结冰,请尽快维修。",
                  "咨询今年供暖费缴费标准及办理停供手续的流程。",
                  "{place}{n}号楼暖气片不热,回水管冰凉,请求上门测温。"],
    },
    "暴雨积水": {
        "w": 6, "m": [0.01, 0.01, 0.05, 0.1, 0.3, 0.8, 3.2, 2.8, 0.6, 0.1, 0.02, 0.01],
        "units": (["U12", "U02", "U10"], [5, 3, 1]), "street": 0.25, "urgent": 0.25,
        "texts": ["{place}路段暴雨后严重积水,车辆无法通行,请尽快排水。",
                  "{place}地下车库进水,请求紧急处置。",
                  "{place}雨水井堵塞,每逢下雨路面积水{n}公分以上。"],
    },
    "排水管网": {
        "w": 3, "m": [0.5, 0.5, 0.7, 0.9, 1, 1.3, 2.0, 1.8, 1.1, 0.9, 0.7, 0.6],
        "units": (["U12", "U02"], [3, 1]), "street": 0.2, "urgent": 0.05,
        "texts": ["{place}污水井冒溢,气味难闻,请求疏通。", "{place}化粪池满溢,影响居民出行。"],
    },
    "噪音扰民": {
        "w": 9, "m": [0.6, 0.6, 0.8, 1.0, 1.2, 1.5, 1.6, 1.5, 1.1, 0.9, 0.7, 0.6],
        "units": (["U07", "U02", "U20"], [4, 3, 3]), "street": 0.15, "urgent": 0.01,
        "texts": ["{place}附近工地夜间施工至凌晨{n}点,噪音扰民严重。",
                  "{place}楼下烧烤店深夜喧哗,影响休息。",
                  "{place}广场舞音响声音过大,请求管理。"],
    },
    "道路交通": {
        "w": 8, "m": _ALL,
        "units": (["U08", "U20", "U01"], [4, 4, 2]), "street": 0.05, "urgent": 0.03,
        "texts": ["{place}路口红绿灯损坏,早晚高峰拥堵。", "{place}道路坑洼不平,存在安全隐患。",
                  "建议在{place}增设人行横道和减速带。", "{place}公交站点设置不合理,换乘不便。"],
    },
    "停车管理": {
        "w": 4, "m": _ALL,
        "units": (["U20", "U02", "U08"], [4, 3, 2]), "street": 0.2, "urgent": 0.0,
        "texts": ["{place}小区门口车辆乱停乱放,堵塞消防通道。", "{place}停车场收费标准不明确。"],
    },
    "物业管理": {
        "w": 10, "m": [1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.1],
        "units": (["U09"], [1]), "street": 0.35, "urgent": 0.01,
        "texts": ["{place}物业不作为,电梯停运{n}天无人维修。", "{place}物业费上涨未经业主大会同意。",
                  "{place}小区楼道照明损坏,物业拖延不修。"],
    },
    "环境卫生": {
        "w": 8, "m": [0.8, 0.9, 1.0, 1.1, 1.1, 1.2, 1.3, 1.3, 1.0, 0.9, 0.8, 0.8],
        "units": (["U02", "U07"], [4, 1]), "street": 0.4, "urgent": 0.0,
        "texts": ["{place}垃圾清运不及时,堆积发臭。", "{place}路边有大量建筑垃圾无人清理。",
                  "{place}公厕卫生条件差,请求整改。"],
    },
    "违章建筑": {
        "w": 3, "m": _ALL,
        "units": (["U02", "U01"], [3, 1]), "street": 0.4, "urgent": 0.0,
        "texts": ["举报{place}{n}号楼一楼住户私搭乱建。", "{place}楼顶加盖违章建筑。"],
    },
    "劳动保障": {
        "w": 7, "m": [1.8, 1.3, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.1, 1.6],
        "units": (["U04"], [1]), "street": 0.05, "urgent": 0.02,
        "texts": ["{place}某项目拖欠农民工工资{n}万元,要求尽快支付。", "咨询灵活就业人员社保缴费办法。",
                  "公司未依法缴纳社会保险,要求查处。", "离职后单位拒不出具离职证明。"],
    },
    "市场监管": {
        "w": 6, "m": _ALL,
        "units": (["U03"], [1]), "street": 0.0, "urgent": 0.0,
        "texts": ["{place}超市销售过期食品。", "{place}健身房收取预付费后关门跑路。",
                  "{place}餐饮店无证经营,卫生条件差。", "购买的商品存在质量问题,商家拒绝退换。"],
    },
    "教育": {
        "w": 4, "m": [0.7, 0.6, 1.0, 1.0, 1.2, 1.5, 1.6, 1.9, 1.6, 0.9, 0.8, 0.7],
        "units": (["U05"], [1]), "street": 0.0, "urgent": 0.0,
        "texts": ["咨询{place}学区划分及入学报名条件。", "反映校外培训机构违规收费。",
                  "建议{place}增设幼儿园学位。"],
    },
    "医疗卫生": {
        "w": 3, "m": _ALL,
        "units": (["U06"], [1]), "street": 0.0, "urgent": 0.02,
        "texts": ["{place}社区卫生服务中心服务态度差。", "咨询疫苗接种的时间和地点。"],
    },
    "疫情防控": {
        "w": 2, "m": [1.2, 0.8, 0.4, 0.3, 0.3, 0.3, 1.5, 3.0, 0.6, 0.6, 4.0, 2.5],
        "units": (["U06", "U10"], [3, 1]), "street": 0.5, "urgent": 0.1,
        "texts": ["咨询从外地返连的隔离和核酸检测要求。", "{place}核酸检测点排队时间过长。",
                  "反映{place}有人未落实居家健康监测。"],
    },
    "供水": {
        "w": 3, "m": [1.3, 1.2, 1.0, 0.9, 0.9, 1.0, 1.1, 1.1, 0.9, 0.9, 1.0, 1.3],
        "units": (["U12"], [1]), "street": 0.1, "urgent": 0.08,
        "texts": ["{place}突然停水,未提前通知。", "{place}自来水发黄有异味。", "{place}水管冻裂漏水。"],
    },
    "燃气": {
        "w": 2, "m": [1.3, 1.2, 1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.9, 1.0, 1.2, 1.3],
        "units": (["U10", "U01"], [2, 1]), "street": 0.1, "urgent": 0.2,
        "texts": ["{place}楼道有燃气泄漏气味,请尽快排查。", "{place}燃气表计量异常。"],
    },
    "园林绿化": {
        "w": 2, "m": [0.3, 0.3, 0.8, 1.8, 2.0, 1.6, 1.2, 1.0, 1.0, 1.0, 0.6, 0.3],
        "units": (["U02"], [1]), "street": 0.4, "urgent": 0.0,
        "texts": ["{place}绿化带树木枯死无人补种。", "{place}行道树遮挡路灯,请修剪。"],
    },
    "房屋不动产": {
        "w": 3, "m": _ALL,
        "units": (["U09", "U01"], [3, 1]), "street": 0.05, "urgent": 0.0,
        "texts": ["{place}回迁房迟迟不能办理不动产证。", "{place}新房交付存在质量问题,开发商推诿。"],
    },
    "营商环境": {
        "w": 2, "m": _ALL,
        "units": (["U13", "U14", "U03"], [3, 1, 1]), "street": 0.0, "urgent": 0.0,
        "texts": ["企业开办办理时间过长,希望简化流程。", "反映惠企政策兑现资金迟迟未到账。",
                  "咨询高新技术企业认定奖励的申请条件。"],
    },
}
TOPIC_NAMES = list(TOPICS)


# Petition volume by month (hotline load follows the heating season and the summer rain).
MONTH_VOLUME = [1.2, 0.95, 1.0, 0.9, 0.9, 0.95, 1.1, 1.1, 0.95, 0.9, 1.2, 1.2]

SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
            "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰萍鹏辉建国红梅春燕志强海波丹宇浩然欣怡子涵雨泽"
         "思远晨曦佳琪梓萱博文嘉怡一鸣俊杰雪松立新凤霞淑珍桂芝文斌永刚")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "156", "157", "158", "159", "180", "181", "182", "183", "186", "187", "188", "189")
# 大连 district codes for 身份证号 (中山, 西岗, 沙河口, 甘井子, 旅顺口, 金州) and a few from elsewhere.
ID_REGIONS = ("210202", "210203", "210204", "210211", "210212", "210213", "210281", "210682", "220102", "370202")
ID_WEIGHTS = (7, 9, 10, 8, 4, 10, 1, 2, 1, 2, 5, 8, 4, 1, 6, 3, 7)
ID_CHECK = "10X98765432"


def id_number(region: str, born: date, seq: int) -> str:
    """An 18-character resident ID number with a valid GB 11643 check character."""
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS)) % 11]


# 统一社会信用代码 (GB 32100-2015) check character.
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code(body17: str) -> str:
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(body17, CREDIT_WEIGHTS))
    check = (31 - total % 31) % 31
    return body17 + CREDIT_CHARS[check]


# --- work calendar (国务院办公厅 holiday notices for 2020–2022) ------------------------------------
HOLIDAYS = set()
for _start, _days in [("2021-01-01", 3), ("2021-02-11", 7), ("2021-04-03", 3), ("2021-05-01", 5),
                      ("2021-06-12", 3), ("2021-09-19", 3), ("2021-10-01", 7), ("2022-01-01", 3),
                      ("2022-01-31", 7), ("2022-04-03", 3)]:
    _d0 = date.fromisoformat(_start)
    HOLIDAYS.update(_d0 + timedelta(days=i) for i in range(_days))
WORKING_WEEKENDS = {date.fromisoformat(d) for d in (
    "2021-02-07", "2021-02-20", "2021-04-25", "2021-05-08", "2021-09-18", "2021-09-26", "2021-10-09",
    "2022-01-29", "2022-01-30", "2022-04-02")}


# The demo year's calendar above is written out (fixed rows whatever the installed calendar
# package; earlier days count Monday to Friday); later days (rolling windows) ask the statutory
# calendar of gxq.calendar.workdays.
_WRITTEN_UNTIL = date(2022, 4, 30)


def is_working_day(d: date) -> bool:
    if d > _WRITTEN_UNTIL:
        return workdays.is_working_day(d)
    if d in WORKING_WEEKENDS:
        return True
    return d.weekday() < 5 and d not in HOLIDAYS


class WorkCalendar:
    """Adds working days quickly: ``add(d, n)`` is the n-th working day after ``d``."""

    def __init__(self, first: date, last: date) -> None:
        self.first = first
        self.days: list[date] = []
        d = first
        while d <= last:
            if is_working_day(d):
                self.days.append(d)
            d += timedelta(days=1)
        # per calendar day: index in self.days of the first working day strictly after it
        self.next_index: list[int] = []
        j = 0
        d = first
        while d <= last:
            while j < len(self.days) and self.days[j] <= d:
                j += 1
            self.next_index.append(j)
            d += timedelta(days=1)

    def add(self, d: date, n: int) -> date:
        return self.days[self.next_index[(d - self.first).days] + n - 1]

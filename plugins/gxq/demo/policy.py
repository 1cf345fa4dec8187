"""Demo rows of ``dept_policy`` (政策兑现): enterprises, certifications, applications, commitments.

About 2,000 enterprises at scale 1 (a few per cent 经营异常 or 严重失信), certifications of
高新技术企业 (first ones and repeats of a 2017–2020 certification), 专精特新中小企业 and
科技型中小企业; applications for application-based policies (知识产权质押贴息 and others); and
the enterprises' commitments (双承诺) with some shortfalls. A handful of fixed edge cases are
always present: awards for unknown enterprises, a same-day duplicate certification, approved
applications without approved_at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from . import vocab
from .window import DEMO_YEAR, Window

SNAPSHOT = DEMO_YEAR.snapshot
# The cadence of the policy each award basis belongs to (certification type or application policy):
# a rolling window keeps bases only from the start of the previous month or quarter (gxq.demo.window).
BASIS_CADENCE = {"高新技术企业": "monthly", "科技型中小企业": "monthly", "专精特新中小企业": "quarterly",
                 "employment_subsidy": "monthly"}  # the other 申报类 policies are quarterly

ENTERPRISES = 2000
FIRST_DAY = date(2020, 12, 1)
LAST_DAY = date(2022, 1, 31)

BRANDS = ("华信", "东软", "海创", "亿达", "英歌", "星海", "七贤", "凌水", "腾飞", "光洋", "融科", "睿智", "中科",
          "恒达", "新源", "启明", "鲲鹏", "蓝海", "博涛", "辽海", "宏远", "天健", "金石", "瑞泰", "汇智", "易思",
          "德泰", "海川", "鼎信", "联创", "云帆", "智远", "万邦", "汉诺", "长兴", "思源", "北辰", "诺亚", "康桥",
          "卓越")
INDUSTRIES = ("软件技术", "信息技术", "生物科技", "智能装备", "新材料科技", "网络科技", "电子科技", "医疗器械",
              "新能源科技", "数据科技", "环保科技", "检测技术", "化工科技", "海洋科技", "动漫科技", "光电科技",
              "集成电路", "人工智能科技")
SUFFIXES = (("有限公司", 85), ("股份有限公司", 10), ("有限责任公司", 5))

HTE, SSME, TSME = "高新技术企业", "专精特新中小企业", "科技型中小企业"

# application-based policies (申报类) present in the department's table
POLICIES = {
    # policy_id: (share of enterprises applying, amount range, rounding)
    "ip_pledge_interest": (0.04, (50_000, 500_000), 100),     # 知识产权质押贴息 (some above the 500,000 cap)
    "loan_interest_subsidy": (0.04, (20_000, 300_000), 100),  # 金融支持: 贷款贴息
    "talent_housing_subsidy": (0.06, (24_000, 120_000), 6000),  # 人才: 住房补贴
    "employment_subsidy": (0.08, (2_000, 80_000), 1000),      # 用工补贴
    "rd_expense_subsidy": (0.05, (50_000, 1_000_000), 1000),  # 研发费用补助
}
COMMITMENT_KINDS = {"产值": (5_000_000, 100_000_000), "税收": (200_000, 5_000_000), "就业": (10, 300),
                    "研发投入": (500_000, 10_000_000)}
QUARTER_ENDS = [date(2020, 12, 31), date(2021, 3, 31), date(2021, 6, 30), date(2021, 9, 30), date(2021, 12, 31),
                date(2022, 3, 31)]


def _day_between(rng, first: date, last: date, working: bool = True) -> date:
    for _ in range(20):
        d = first + timedelta(days=rng.randrange((last - first).days + 1))
        if not working or vocab.is_working_day(d):
            return d
    return d


def _office_time(rng, d: date) -> datetime:
    return datetime(d.year, d.month, d.day, rng.randint(8, 17), rng.randrange(60), rng.randrange(60))


def _plus_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


class _Ids:
    def __init__(self) -> None:
        self.n = {"C": 0, "A": 0, "CM": 0}

    def __call__(self, prefix: str) -> str:
        self.n[prefix] += 1
        return f"{prefix}{self.n[prefix]:07d}"


def credit_code(rng, taken: set[str]) -> str:
    while True:
        if rng.random() < 0.75:  # registered since 2015 in the zone
            body = "91210231MA0" + "".join(rng.choice(vocab.CREDIT_CHARS) for _ in range(6))
        else:  # older companies: Dalian-wide division code and a numeric organisation code
            body = "91210200" + f"{rng.randrange(10**9):09d}"
        code = vocab.credit_code(body)
        if code not in taken:
            taken.add(code)
            return code


def enterprise_name(rng) -> str:
    suffix = rng.choices([s for s, _ in SUFFIXES], [w for _, w in SUFFIXES])[0]
    return f"大连{rng.choice(BRANDS)}{rng.choice(INDUSTRIES)}{suffix}"


def generate(rng, scale: float = 1.0, window: Window = DEMO_YEAR) -> Iterator[tuple[str, tuple]]:
    """The demo year's rows; for another window, moved there by :func:`_moved`."""
    rows = _generate(rng, scale, window)
    if window == DEMO_YEAR:
        yield from rows
        return
    for table, row in rows:
        moved = _moved(table, row, window)
        if moved is not None:
            yield table, moved


def _moved(table: str, row: tuple, window: Window) -> tuple | None:
    """A demo-year row in ``window``: dates moved to its plan year, nothing at or after its snapshot,
    and (rolling) no award basis before the demo ledger's start. None: the row is left out."""
    today = window.snapshot.date()

    def day(text):
        return date.fromisoformat(text) if text else None

    def moment(value):
        return datetime.fromisoformat(value) if value else None

    if table == "enterprises":
        return row
    if table == "certifications":
        cert_id, code, cert_type, certified_text, expires_text = row
        certified = day(certified_text)
        if certified < DEMO_YEAR.first_day:  # history before the programme: stays where it is
            return row
        certified, expires = window.shift(certified), window.shift(day(expires_text))
        start = window.base_start(BASIS_CADENCE.get(cert_type, "quarterly"))
        if certified >= today or (start and certified < start):
            return None
        return (cert_id, code, cert_type, certified.isoformat(), expires.isoformat())
    if table == "applications":
        app_id, code, policy_id, submitted_text, amount, status, approved_value = row
        submitted = window.shift(moment(submitted_text))
        if submitted >= window.snapshot:
            return None
        approved = window.shift(moment(approved_value)) if approved_value else approved_value
        if isinstance(approved, datetime):
            if approved >= window.snapshot:
                status, approved = "submitted", None
            else:
                start = window.base_start(BASIS_CADENCE.get(policy_id, "quarterly"))
                if start and approved.date() < start:
                    return None  # paid before the demo ledger starts
        approved_out = approved.isoformat(" ") if isinstance(approved, datetime) else approved
        return (app_id, code, policy_id, submitted.isoformat(" "), amount, status, approved_out)
    if table == "commitments":
        commitment_id, code, kind, promised, due_text, fulfilled = row
        due = window.shift(day(due_text))
        return (commitment_id, code, kind, promised, due.isoformat(), None if due >= today else fulfilled)
    raise ValueError(f"unknown dept_policy table {table!r}")


def _generate(rng, scale: float = 1.0, window: Window = DEMO_YEAR) -> Iterator[tuple[str, tuple]]:
    n = max(60, round(ENTERPRISES * scale))
    ids = _Ids()
    taken: set[str] = set()
    street_cum = vocab.STREET_WEIGHTS
    forced = {"abnormal": False, "dishonest": False}
    without_hte: str | None = None  # an enterprise never certified 高新技术企业 (for the twin edge case)
    first_application_edge = {"approved_no_date": 0}

    for _ in range(n):
        code = credit_code(rng, taken)
        street = rng.choices(vocab.STREET_NAMES, street_cum)[0]
        abnormal = rng.random() < 0.03
        dishonest = rng.random() < 0.01
        rows: list[tuple[str, tuple]] = []

        # 高新技术企业: a 2021 certification (a first one, or the renewal of a 2018 one), or an older one only
        r = rng.random()
        awarded = False
        if r < 0.18:
            certified = _hte_day(rng)
            if rng.random() < 0.35:  # renewal: the earlier certification three years before
                earlier = _plus_years(certified, -3) + timedelta(days=rng.randint(-20, 20))
                earlier_row = ("certifications", (None, code, HTE, earlier.isoformat(),
                                                  _plus_years(earlier, 3).isoformat()))
            else:
                earlier_row = None
            row = ("certifications", (None, code, HTE, certified.isoformat(), _plus_years(certified, 3).isoformat()))
            # the department keys historical records later than new ones, sometimes
            pair = [row, earlier_row] if earlier_row and rng.random() < 0.5 else [earlier_row, row]
            rows += [p for p in pair if p]
            awarded = FIRST_DAY <= certified
            if awarded and not forced["abnormal"]:
                abnormal, forced["abnormal"] = True, True
            elif awarded and not forced["dishonest"]:
                dishonest, forced["dishonest"] = True, True
        elif r < 0.26:
            earlier = _day_between(rng, date(2017, 1, 1), date(2020, 11, 30))
            rows.append(("certifications", (None, code, HTE, earlier.isoformat(), _plus_years(earlier, 3).isoformat())))

        if rng.random() < 0.05:
            certified = _day_between(rng, date(2020, 12, 1), date(2022, 1, 31))
            rows.append(("certifications", (None, code, SSME, certified.isoformat(),
                                            _plus_years(certified, 3).isoformat())))
            awarded = True
        if rng.random() < 0.22:
            certified = _day_between(rng, date(2020, 12, 1), date(2022, 1, 31))
            rows.append(("certifications", (None, code, TSME, certified.isoformat(),
                                            date(certified.year, 12, 31).isoformat())))

        for policy_id, (share, (lo, hi), step) in POLICIES.items():
            if rng.random() >= share:
                continue
            for _ in range(1 if rng.random() < 0.8 else 2):
                submitted = _office_time(rng, _day_between(rng, FIRST_DAY, LAST_DAY))
                amount = round(rng.uniform(lo, hi) / step) * step
                if policy_id == "ip_pledge_interest" and rng.random() < 0.15:
                    amount = round(rng.uniform(500_100, 1_200_000) / step) * step
                if rng.random() < 0.005:
                    amount = None  # the department left it empty: counts as 0
                s = rng.random()
                approved_at = None
                if s < 0.12:
                    status = "rejected"
                elif s < 0.2:
                    status = "submitted"
                else:
                    approved_at = _office_time(rng, submitted.date() + timedelta(days=rng.randint(7, 60)))
                    status = "approved" if approved_at < SNAPSHOT else "submitted"
                    if status == "submitted":
                        approved_at = None
                    elif policy_id == "ip_pledge_interest" and first_application_edge["approved_no_date"] < 2:
                        # approved without a date: a data problem the policy DAG reports
                        approved_at = "" if first_application_edge["approved_no_date"] else None
                        first_application_edge["approved_no_date"] += 1
                    if status == "approved":
                        awarded = True
                rows.append(("applications", (None, code, policy_id, submitted.isoformat(" "), amount, status,
                                              approved_at.isoformat(" ") if isinstance(approved_at, datetime)
                                              else approved_at)))

        if rng.random() < (0.6 if awarded else 0.03):
            for _ in range(rng.choice((1, 1, 2))):
                kind = rng.choice(list(COMMITMENT_KINDS))
                lo, hi = COMMITMENT_KINDS[kind]
                promised = round(rng.uniform(lo, hi), -1 if kind != "就业" else 0)
                due = rng.choices(QUARTER_ENDS, (1, 3, 3, 3, 4, 1))[0]
                f = rng.random()
                if due >= SNAPSHOT.date():
                    fulfilled = None  # not reported yet
                elif f < 0.15:
                    fulfilled = round(promised * rng.uniform(0.4, 0.98), -1 if kind != "就业" else 0)
                elif f < 0.18:
                    fulfilled = None
                else:
                    fulfilled = round(promised * rng.uniform(1.0, 1.4), -1 if kind != "就业" else 0)
                rows.append(("commitments", (None, code, kind, promised, due.isoformat(), fulfilled)))

        if without_hte is None and not abnormal and not dishonest and not any(
                r[1][2] == HTE for r in rows if r[0] == "certifications"):
            without_hte = code
        yield "enterprises", (code, enterprise_name(rng), street, abnormal, dishonest)
        for table, row in rows:
            yield table, _with_id(table, row, ids)

    # Fixed edge cases, present at every scale.
    yield from _edge_cases(ids, without_hte or min(taken), window)


def _edge_cases(ids: _Ids, twin: str, window: Window = DEMO_YEAR) -> Iterator[tuple[str, tuple]]:
    """Awards for unknown enterprises and a same-day duplicate certification (the smaller cert_id
    is the first). In a rolling window they fall inside the ledger's first periods: written here
    in the demo year's calendar, which :func:`_moved` moves to the window's."""
    ghost_a = vocab.credit_code("91210231MA0UNKN01")
    ghost_b = vocab.credit_code("91210231MA0UNKN02")
    days = {"hte": date(2021, 4, 15), "ssme": date(2021, 5, 20), "submitted": date(2021, 3, 2),
            "approved": date(2021, 4, 12), "twin": date(2021, 6, 18)}
    if window.rolling:
        monthly, quarterly = window.base_start("monthly"), window.base_start("quarterly")
        days = {"hte": monthly + timedelta(days=14), "ssme": quarterly + timedelta(days=19),
                "submitted": quarterly - timedelta(days=30), "approved": quarterly + timedelta(days=11),
                "twin": monthly + timedelta(days=17)}
        days = {k: window.unshift(d) for k, d in days.items()}

    def until(d: date) -> str:
        return _plus_years(d, 3).isoformat()

    yield "certifications", (ids("C"), ghost_a, HTE, days["hte"].isoformat(), until(days["hte"]))  # unknown_enterprise
    yield "certifications", (ids("C"), ghost_b, SSME, days["ssme"].isoformat(), until(days["ssme"]))
    yield "applications", (ids("A"), ghost_a, "ip_pledge_interest", f"{days['submitted']} 10:15:00", 200000,
                           "approved", f"{days['approved']} 15:30:00")
    yield "certifications", (ids("C"), twin, HTE, days["twin"].isoformat(), until(days["twin"]))
    yield "certifications", (ids("C"), twin, HTE, days["twin"].isoformat(), until(days["twin"]))


def _with_id(table: str, row: tuple, ids: _Ids) -> tuple:
    prefix = {"certifications": "C", "applications": "A", "commitments": "CM"}[table]
    return (ids(prefix), *row[1:])


def _hte_day(rng) -> date:
    """高新技术企业 certificates come in batches; the demo spreads them over the months."""
    r = rng.random()
    if r < 0.04:
        return _day_between(rng, date(2020, 12, 1), date(2020, 12, 31))
    if r < 0.08:
        return _day_between(rng, date(2022, 1, 1), date(2022, 1, 31))
    month = rng.choices(range(1, 13), (2, 1, 2, 2, 3, 3, 3, 2, 3, 4, 6, 8))[0]
    return _day_between(rng, date(2021, month, 1), date(2021, month, 28))

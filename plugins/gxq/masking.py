"""Masking of personal data (个人信息脱敏) in every text meant for people.

docs/reference.md "Notifications": personal data is masked in every notice and every file meant for
people. One function, :func:`mask_text`, does it for free text; :func:`mask_name` masks a
citizen's name (姓名) when the caller knows it is one; :func:`find_unmasked` is the check the
scanning tests run over every rendered notice and output file.

What is masked, and how:

- mobile numbers (手机号) ``13612340546`` -> ``136****0546`` (also ``+86``/``86`` prefixed and
  ``136-1234-0546`` / ``136 1234 0546`` spellings, separators kept);
- landlines (固定电话) with an area code ``0411-84751234`` -> ``0411-****1234``
  (``(0411)84751234``, ``0411 8475 1234``, an extension is kept);
- 18-digit resident ID numbers (身份证号) keep the first 6 and the last 4 characters:
  ``210203199001011234`` -> ``210203********1234``. An ID number is 17 digits plus a digit or
  ``X`` that starts with a real province code and carries a valid birth date (positions 7-14),
  which is what keeps unified social credit codes (统一社会信用代码, ``91210231MA0XXXXXXX``),
  petition ids, amounts, dates and times out of it.

Runs without Airflow; no third-party import.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["COMPOUND_SURNAMES", "find_unmasked", "mask_name", "mask_names", "mask_text", "scan_file", "scan_tree"]

# 复姓: a compound surname keeps both characters (欧阳娜娜 -> 欧阳**).
COMPOUND_SURNAMES = frozenset(
    (
        "欧阳", "太史", "端木", "上官", "司马", "东方", "独孤", "南宫", "万俟", "闻人", "夏侯", "诸葛", "尉迟", "公羊", "赫连",
        "澹台", "皇甫", "宗政", "濮阳", "公冶", "太叔", "申屠", "公孙", "慕容", "仲孙", "钟离", "长孙", "宇文", "司徒", "鲜于",
        "司空", "闾丘", "子车", "亓官", "司寇", "巫马", "公西", "颛孙", "壤驷", "公良", "漆雕", "乐正", "宰父", "谷梁", "拓跋",
        "夹谷", "轩辕", "令狐", "段干", "百里", "呼延", "东郭", "南门", "羊舌", "微生", "公户", "公玉", "公仪", "梁丘", "公仲",
        "公上", "公门", "公山", "公坚", "左丘", "公伯", "西门", "公祖", "第五", "公乘", "贯丘", "公皙", "南荣", "东里", "东宫",
        "仲长", "子书", "子桑", "即墨", "达奚", "褚师", "单于", "淳于", "叱干", "纳兰", "完颜", "爱新", "耶律", "司城", "东野",
        "相里", "胡母", "段木",
    )
)

# Province codes (省级行政区划代码) an ID number can start with; credit codes start 1x/5x/9x/Yx.
_PROVINCES = frozenset(
    (
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
        "65", "71", "81", "82", "83",
    )
)

# No letter, digit or decimal point glued on either side: a longer code or an amount is not a
# phone or ID number. (``\w`` would also match CJK, which legitimately touches numbers.)
_LEFT = r"(?<![0-9A-Za-z.])(?<![0-9A-Za-z]-)"
_RIGHT = r"(?![0-9A-Za-z])(?!\.\d)(?!-\d)"

_ID_RE = re.compile(_LEFT + r"(?P<id>(?P<prov>\d{2})\d{4}(?P<birth>\d{8})\d{3}[0-9Xx])" + _RIGHT)
_MOBILE_RE = re.compile(
    _LEFT.replace("(?<![0-9A-Za-z.])", "(?<![0-9A-Za-z.+])")
    + r"(?P<prefix>(?:\+|00)?86[- ]?)?"
    + r"(?P<head>1[3-9]\d)(?P<s1>[- ]?)(?P<mid>\d{4})(?P<s2>[- ]?)(?P<tail>\d{4})"
    + _RIGHT
)
_LANDLINE_RE = re.compile(
    _LEFT
    + r"(?P<area>\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}(?:-| - | ))"
    + r"(?P<local>[2-9]\d{2,3}[- ]?\d{4})"
    + r"(?P<ext>(?:-|转|ext\.?|#)\d{1,5})?"
    + _RIGHT
)


def _valid_birth(birth: str) -> bool:
    try:
        day = dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= day <= dt.date(2100, 1, 1)


def _is_id_number(m: re.Match) -> bool:
    return m.group("prov") in _PROVINCES and _valid_birth(m.group("birth"))


def _mask_id(m: re.Match) -> str:
    if not _is_id_number(m):
        return m.group(0)
    s = m.group("id")
    return s[:6] + "*" * 8 + s[-4:]


def _mask_mobile(m: re.Match) -> str:
    return (m.group("prefix") or "") + m.group("head") + m.group("s1") + "****" + m.group("s2") + m.group("tail")


def _mask_landline(m: re.Match) -> str:
    local = m.group("local")
    digits = re.sub(r"\D", "", local)
    masked = "*" * (len(digits) - 4) + digits[-4:]
    return m.group("area") + masked + (m.group("ext") or "")


def mask_name(name: str | None) -> str | None:
    """张三 -> 张*, 张三丰 -> 张**, 欧阳娜娜 -> 欧阳** (复姓 kept whole); empty stays empty."""
    if not name:
        return name
    name = name.strip()
    if len(name) <= 1:
        return "*" if name else name
    if not re.search(r"[\u3400-\u9fff]", name):
        # Latin name: keep the first letter of each word ("Zhang San" -> "Z*** S**").
        return " ".join(w[:1] + "*" * (len(w) - 1) for w in name.split())
    keep = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:keep] + "*" * (len(name) - keep)


def mask_names(text: str, names: Iterable[str]) -> str:
    """Replace every occurrence of the given (known) personal names in ``text``."""
    for name in sorted({n.strip() for n in names if n and n.strip() and len(n.strip()) > 1}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return text


def mask_text(text: str | None, names: Iterable[str] = ()) -> str | None:
    """Mask mobile numbers, landlines and ID numbers in ``text`` (and the given ``names``).

    Idempotent: masking masked text changes nothing. Dates (``2021-03-01 09:00:00``), amounts,
    credit codes (``91210231MA0XXXXXXX``) and petition ids are left alone.
    """
    if not text:
        return text
    text = _ID_RE.sub(_mask_id, text)
    text = _MOBILE_RE.sub(_mask_mobile, text)
    text = _LANDLINE_RE.sub(_mask_landline, text)
    if names:
        text = mask_names(text, names)
    return text


def find_unmasked(text: str | None) -> list[str]:
    """Personal data still readable in ``text``: unmasked mobile, landline and ID numbers."""
    if not text:
        return []
    found = [m.group("id") for m in _ID_RE.finditer(text) if _is_id_number(m)]
    found += [m.group(0) for m in _MOBILE_RE.finditer(text)]
    found += [m.group(0) for m in _LANDLINE_RE.finditer(text)]
    return found


# --- scanning files meant for people (tests, and a pre-publish check) ----------------------------

TEXT_SUFFIXES = (".html", ".htm", ".txt", ".csv", ".md", ".json", ".xml", ".tsv", ".svg")
ZIPPED_XML_SUFFIXES = (".docx", ".xlsx", ".pptx")


def _zipped_xml_text(path) -> str:
    """The text of an Office Open XML file (docx/xlsx): its XML parts with tags dropped."""
    parts = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith(".xml"):
                xml = zf.read(name).decode("utf-8", errors="replace")
                # Cell values and text runs sit between tags; keep them apart with spaces.
                parts.append(re.sub(r"<[^>]+>", " ", xml))
    return "\n".join(parts)


def scan_file(path) -> list[str]:
    """Unmasked personal data in one file (text files, docx/xlsx/pptx); other files: []."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return find_unmasked(p.read_text(encoding="utf-8", errors="replace"))
    if suffix in ZIPPED_XML_SUFFIXES:
        return find_unmasked(_zipped_xml_text(p))
    return []


def scan_tree(root) -> dict[str, list[str]]:
    """{file: unmasked items} for every file under ``root`` that holds any."""
    found = {}
    for p in sorted(Path(root).rglob("*")):
        if p.is_file():
            items = scan_file(p)
            if items:
                found[str(p)] = items
    return found

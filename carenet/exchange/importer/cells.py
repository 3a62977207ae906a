"""Reading cells: text, codes and dates as registers spell them, the words of the
choice columns, work places, grades and classes; and the per-column memo that reads
each distinct cell once."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from operator import itemgetter
from typing import Any

# ---------------------------------------------------------------------------- values


def cell_text(value: object) -> str:
    """A cell as trimmed text: 13812345678.0 → '13812345678', a date → ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\u3000", " ").replace("\xa0", " ").strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def cell_code(value: object) -> str:
    """Text for matching against a list of words: half-width, no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", cell_text(value)).split()).lower()


_DATE_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_DATE_YEAR = re.compile(r"^(\d{4})\s*年?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: object) -> tuple[dt.date, str]:
    """A date cell or text in any common spelling, with its precision (day/month/year).

    Raises ValueError when the text is not a date.
    """
    if isinstance(value, dt.datetime):
        return value.date(), "day"
    if isinstance(value, dt.date):
        return value, "day"
    if isinstance(value, float | int) and not isinstance(value, bool):
        if 1 <= value < 80000 and float(value).is_integer():  # an Excel serial number
            return _EXCEL_EPOCH + dt.timedelta(days=int(value)), "day"
    text = unicodedata.normalize("NFKC", cell_text(value))
    text = re.split(r"[ T]\d{1,2}:\d{2}", text)[0].strip()
    for pattern, precision in (
        (_DATE_FULL, "day"),
        (_DATE_COMPACT, "day"),
        (_DATE_MONTH, "month"),
        (_DATE_YEAR, "year"),
    ):
        match = pattern.match(text)
        if match:
            parts = [int(p) for p in match.groups()] + [1, 1]
            return dt.date(parts[0], parts[1], parts[2]), precision
    raise ValueError(text)


def _words(mapping: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {cell_code(word): value for value, words in mapping.items() for word in words}


GENDERS = _words(
    {"M": ("男", "男性", "男生", "m", "male"), "F": ("女", "女性", "女生", "f", "female")}
)
YES_NO = _words(
    {
        "1": ("是", "寄宿", "住校", "寄宿生", "y", "yes", "1", "√", "✓", "true", "有"),
        "": ("否", "走读", "不寄宿", "非寄宿", "走读生", "n", "no", "0", "×", "false", "无"),
    }
)
SCHOOLING = _words(
    {
        "enrolled": ("在校", "在读", "就读", "正常", "在籍", "在校就读", "enrolled"),
        "suspended": ("休学", "suspended"),
        "dropped_out": ("辍学", "失学", "dropped_out"),
        "transferred": ("转出", "转学", "已转出", "transferred"),
        "graduated": ("毕业", "已毕业", "graduated"),
        "preschool": ("未到学龄", "学龄前", "未入学", "preschool"),
    }
)
IMMUNIZATION = _words(
    {
        "complete": ("已全程接种", "全程接种", "已接种", "是", "完成", "已完成", "complete"),
        "incomplete": ("未全程接种", "未完成", "部分接种", "否", "未接种", "incomplete"),
        "unknown": ("不详", "不清楚", "未知", "unknown"),
    }
)
EDUCATION = _words(
    {
        "none": ("文盲或半文盲", "文盲", "半文盲", "无"),
        "primary": ("小学",),
        "junior": ("初中",),
        "senior": ("高中或中专", "高中", "中专", "职高", "技校", "中职"),
        "college": ("大专及以上", "大专", "本科", "大学", "研究生", "专科"),
    }
)
QUALITY = _words(
    {
        "good": ("较好", "好", "良好"),
        "fair": ("一般",),
        "poor": ("差", "较差"),
        "none": ("无人监护", "无"),
    }
)
CATEGORIES = _words(
    {
        "poor": ("特困", "特困生", "困难", "poor"),
        "gifted": ("特长", "特长生", "gifted"),
        "special": ("特殊", "特殊儿童", "special"),
        "single_parent": ("单亲", "单亲家庭", "single_parent"),
        "potential": ("潜能生", "潜能", "potential"),
    }
)
HEALTH = _words(
    {
        "healthy": ("健康", "良好", "好", "正常", "健康良好"),
        "fair": ("一般",),
        "poor": ("较差", "差", "体弱"),
        "chronic": ("慢性病",),
        "disabled": ("残疾",),
    }
)
LEFT_BEHIND = _words(
    {
        "both": ("双亲", "双亲留守", "2", "父母均外出", "父母外出"),
        "one": ("单亲", "单亲留守", "1", "父亲外出", "母亲外出"),
        "none": ("非留守", "否", "0", "无", "不是"),
    }
)
CATEGORY_SPLIT = re.compile(r"[、,，/;；\s]+")
FOOTER = re.compile(
    r"^(填表人|填报人|审核人|审核|制表人|制表|负责人|校长签字|联系人|注[:：]|注\s|备注[:：]|"
    r"说明[:：]|合计|总计|填表日期|填报日期|统计人|经办人)"
)
_MUNICIPALITIES = ("北京", "天津", "上海", "重庆")
_PROVINCES = {
    **{
        p: p + "省"
        for p in "河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 "
        "湖北 湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾".split()
    },
    **{m: m + "市" for m in _MUNICIPALITIES},
    "内蒙古": "内蒙古自治区",
    "广西": "广西壮族自治区",
    "西藏": "西藏自治区",
    "宁夏": "宁夏回族自治区",
    "新疆": "新疆维吾尔自治区",
    "香港": "香港特别行政区",
    "澳门": "澳门特别行政区",
}
_PROVINCE_PREFIXES = sorted(
    [(full, full) for full in _PROVINCES.values()] + [(s, f) for s, f in _PROVINCES.items()],
    key=lambda pair: -len(pair[0]),
)


def split_work_place(text: str) -> tuple[str, str]:
    """'广东省深圳市' / '广东/深圳' / '广东 深圳市' → ('广东省', '深圳市' | '深圳')."""
    text = text.strip()
    parts = [p for p in re.split(r"[/\\\s,，、-]+", text) if p]
    if len(parts) >= 2:
        first = _PROVINCES.get(parts[0], parts[0])
        return first[:20], "".join(parts[1:])[:30]
    for prefix, full in _PROVINCE_PREFIXES:
        if text.startswith(prefix):
            rest = text[len(prefix) :].strip()
            if full[:2] in _MUNICIPALITIES and not rest:
                return full, full
            return full, rest[:30]
    return "", text[:30]


_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS.update({"七": 7, "八": 8, "九": 9, "十": 10})
NUMERALS = ("零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text in ("十一", "十二"):
        return 10 + _CN_DIGITS[text[1]]
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    return None


_GRADE = re.compile(r"^(初|高)?([一二三四五六七八九十]{1,2}|\d{1,2})(年级|年)?")
_CLASS_IN_BRACKETS = re.compile(r"[(（]\s*(\d{1,2}|[一二三四五六七八九十]{1,2})\s*[)）]")
_CLASS_NUMBER = re.compile(r"(\d{1,2}|[一二三四五六七八九十]{1,2})\s*班")


def _grade_name(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace(" ", "")
    match = _GRADE.match(text)
    if match and (match.group(3) or match.group(1) or text == match.group(0)):
        number = _number(match.group(2))
        if number is not None:
            if match.group(1) == "初":
                number += 6
            if match.group(1) != "高" and 1 <= number <= 12:
                return f"{NUMERALS[number]}年级"
    return text


def placement(grade_text: str, class_text: str) -> tuple[str, str] | None:
    """(grade name, class name) as the org tree names them: ('三年级', '三(2)班')."""
    grade_text, class_text = grade_text.strip(), class_text.strip()
    if not class_text:
        return None
    normal = unicodedata.normalize("NFKC", class_text).replace(" ", "")
    number = None
    match = _CLASS_IN_BRACKETS.search(normal) or _CLASS_NUMBER.search(normal)
    if match:
        number = _number(match.group(1))
    elif normal.isdigit():
        number = int(normal)
    if not grade_text:
        head = re.split(r"[(（]", normal)[0]
        if match and head and head != normal:
            grade_text = head
        elif match and match.start() > 0:
            grade_text = normal[: match.start()]
    if not grade_text:
        return None
    grade = _grade_name(grade_text)
    if number is None:
        return grade, normal
    prefix = grade[:-2] if grade.endswith("年级") else grade
    return grade, f"{prefix}({number})班"


def memo_key(value: object) -> object:
    """A cell as a dict key: 1 == 1.0 == True as keys, but not as cells (``cell_text`` gives
    '1', '1', '是'), so the type goes with the value (with each value of a tuple)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is tuple:
        return tuple(map(memo_key, value))
    return (kind, value)


MEMO_LIMIT = 5_000


def picker(indexes: list[int]) -> Callable[[list[object]], tuple]:
    """The cells at ``indexes`` of a row, as a tuple, in one call."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    return lambda cells: tuple(cells[c] for c in indexes)


_MISSING = object()


def recall(memo: dict[object, Any], value: object, compute: Callable[[object], Any]) -> Any:
    """``compute(value)``, remembered in ``memo`` (up to ``MEMO_LIMIT`` values)."""
    key = value if type(value) is str else memo_key(value)
    result = memo.get(key, _MISSING)
    if result is _MISSING:
        result = compute(value)
        if len(memo) < MEMO_LIMIT:
            memo[key] = result
    return result

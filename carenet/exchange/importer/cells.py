"""Reading cells: text, codes and dates as registers spell them, the words of the
choice columns, work places, grades and classes; and the per-column memo that reads
each distinct cell once."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from operator import itemgetter
from typing import Any, cast

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
_DATE_COMPACT_MONTH = re.compile(r"^(\d{4})(\d{2})$")  # 201409: the 学籍 入学年月
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
        (_DATE_COMPACT_MONTH, "month"),
        (_DATE_YEAR, "year"),
    ):
        match = pattern.match(text)
        if match:
            parts = [int(p) for p in match.groups()] + [1, 1]
            return dt.date(parts[0], parts[1], parts[2]), precision
    raise ValueError(text)


def _words(mapping: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {cell_code(word): value for value, words in mapping.items() for word in words}


GENDERS = _words(  # with the codes of GB/T 2261.1 that the 学籍 table uses: 1 男, 2 女
    {
        "M": ("男", "男性", "男生", "m", "male", "1"),
        "F": ("女", "女性", "女生", "f", "female", "2"),
    }
)
YES_NO = _words(
    {
        "1": ("是", "寄宿", "住校", "寄宿生", "y", "yes", "1", "√", "✓", "✔", "true", "有"),
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
        # The 2016 survey form's 就学情况 (幼儿园/未入园/小学/初中/高中/中职/辍学/不在学).
        "kindergarten": ("幼儿园", "在园", "入园", "kindergarten"),
        "not_in_kindergarten": ("未入园", "not_in_kindergarten"),
        "out_of_school": ("不在学", "未在学", "out_of_school"),
    }
)
# 就学情况 words that also say the stage of schooling (Child.stage); schooling: enrolled.
STAGES = _words(
    {
        "primary": ("小学", "在读小学", "小学在读"),
        "junior": ("初中", "在读初中", "初中在读"),
        "senior": ("高中", "普通高中", "在读高中", "高中在读"),
        "vocational": ("中职", "职高", "中专", "技校", "职业高中"),
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
        "good": ("较好", "好", "良好", "监护情况较好", "监情况较好"),
        "fair": ("一般", "监护情况一般"),
        # The 2016 form's 监护类型: both kinds of 差 (its 监护情况评估).
        "poor": ("差", "较差", "父或母无监护能力", "受委托监护人监护能力不足", "监护能力不足"),
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
        # The 学籍 健康状况 codes (GB/T 2261.3: 1 健康或良好, 2 一般或较弱, 3 有慢性病,
        # 6 残疾), as one or two digits; the 学籍 forms that print 40 有生理缺陷 and
        # 50 残疾; and the 2016 form's 身体情况 (健康/残疾/患病).
        "healthy": ("健康", "良好", "好", "正常", "健康良好", "健康或良好", "1", "10"),
        "fair": ("一般", "一般或较弱", "较弱", "2", "20"),
        "poor": ("较差", "差", "体弱"),
        "chronic": ("慢性病", "有慢性病", "患病", "3", "30"),
        "disabled": ("残疾", "有生理缺陷", "4", "40", "5", "50", "6", "60"),
    }
)
LEFT_BEHIND = _words(
    {
        # The 学籍 是否留守儿童: 0 非留守儿童 / 1 单亲留守儿童 / 2 双亲留守儿童.
        "both": ("双亲", "双亲留守", "2", "父母均外出", "父母外出", "双亲留守儿童"),
        "one": ("单亲", "单亲留守", "1", "父亲外出", "母亲外出", "单亲留守儿童"),
        "none": ("非留守", "否", "0", "无", "不是", "非留守儿童"),
    }
)
CATEGORY_SPLIT = re.compile(r"[、,，/;；\s]+")
# Lines below the children: signatures (the 2016 form's 单位负责人（签名）/复核人（签名）/
# 填表人（签名）), notes (注：1. … and the numbered lines that follow it), totals.
FOOTER = re.compile(
    r"^(填表人|填报人|审核人|审核|制表人|制表|负责人|校长签字|联系人|注[:：]|注\s|备注[:：]|"
    r"说明[:：]|合计|总计|填表日期|填报日期|统计人|经办人|单位负责人|复核人|审批人|"
    r"[^\s(（]{0,8}(（|\()(签名|签字|盖章)|\d{1,2}\s*[.、．]\s*[^\d\s.、．])"
)
# A cell struck out (the 2016 form: "—" for a grandparent or parent who died).
DASHES = frozenset({"—", "——", "-", "--", "－", "/", "／", "\\", "无", "—/—"})

# ------------------------------------------------------------------ national codes

# The ethnic groups by their GB 3304 code (the 学籍 table's 民族: 01 汉族 …).
ETHNICITIES = dict(
    enumerate(
        (
            "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 "
            "土家族 哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 "
            "景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 "
            "阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 "
            "塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
        ).split(),
        start=1,
    )
)
ETHNICITIES.update({97: "其他", 98: "外国血统中国籍人士"})

# 身份证件类型: the documents whose number is a resident ID number (GB 11643): the
# resident ID card, the household register (户口簿) and the residence permits of Hong
# Kong, Macao and Taiwan residents (numbers beginning 81/82/83).
RESIDENT_ID_TYPES = frozenset(
    cell_code(word)
    for word in (
        "1",
        "01",
        "居民身份证",
        "中华人民共和国居民身份证",
        "身份证",
        "公民身份证",
        "居民身份证(户口簿)",
        "户口簿",
        "户口本",
        "户籍簿",
        "居民户口簿",
        "港澳台居民居住证",
        "港澳居民居住证",
        "台湾居民居住证",
    )
)
# The other types of the 学籍 table, by code (its 身份证件类型 code list).
OTHER_ID_TYPES = {
    "6": "香港特区护照/身份证明",
    "7": "澳门特区护照/身份证明",
    "8": "台湾居民来往大陆通行证",
    "9": "境外永久居住证",
    "a": "护照",
    "z": "其他",
}
# 户口性质 → Child.rural_hukou (学籍: 1 农业户口, 2 非农业户口).
HUKOU = _words(
    {
        "1": ("1", "农业", "农业户口", "农村", "农村户口", "农村户籍", "农业户籍"),
        "": ("2", "非农业", "非农业户口", "城镇", "城镇户口", "城市", "城市户口", "非农户口"),
    }
)
# 户口性质 values that say nothing of rural or urban (the unified 居民户口 since 2014).
HUKOU_UNSTATED = frozenset(cell_code(w) for w in ("居民户口", "居民", "统一居民户口", "家庭户"))
# 就读方式 → Child.boarding (学籍: 1 走读, 2 住校).
COMMUTE = _words({"": ("1", "走读", "走读生"), "1": ("2", "住校", "寄宿", "住读", "住校生")})
# A family member's relation (学籍 成员N关系) → FamilyMember.relation.
KINSHIP = _words(
    {
        "father": ("父亲", "父", "爸爸", "生父", "继父", "养父"),
        "mother": ("母亲", "母", "妈妈", "生母", "继母", "养母"),
        "grandfather": ("祖父", "爷爷"),
        "grandmother": ("祖母", "奶奶"),
        "m_grandfather": ("外祖父", "外公", "姥爷"),
        "m_grandmother": ("外祖母", "外婆", "姥姥"),
    }
)
# Multiple-choice cells (家庭经济来源 / 救助帮扶情况 / 困境类型): the code of each word, in
# the order the codes are stored (",a,b,").
INCOME_SOURCES = {
    "wages": ("打工收入", "打工", "务工收入", "务工", "外出务工", "工资", "工资收入"),
    "farming": ("种养殖业", "种养殖", "种植业", "养殖业", "种植", "养殖", "务农", "农业收入"),
    "government": ("政府救助", "政府补助", "政府补贴", "救助"),
    "relatives": ("亲朋接济", "亲友接济", "亲戚接济", "接济"),
    "other": ("其他", "其它", "其他收入"),
}
ASSISTANCE = {
    "subsistence": ("享受低保", "低保", "最低生活保障", "城乡低保", "农村低保", "低保户"),
    "temporary": ("临时救助",),
    "medical": ("医疗救助", "大病救助"),
    "housing": ("住房救助", "危房改造"),
    "extreme_poverty": ("特困供养", "特困人员供养", "特困人员救助供养", "特困"),
    "orphan_allowance": ("孤儿基本生活保障", "孤儿基本生活费", "孤儿保障", "孤儿津贴"),
    "unsupported_allowance": (
        "事实无人抚养儿童保障",
        "事实无人抚养儿童基本生活保障",
        "事实无人抚养儿童基本生活补贴",
        "事实无人抚养儿童生活补贴",
    ),
    "education": ("教育资助", "教育救助", "助学金", "学生资助", "资助"),
    "other": ("其他救助", "其他", "其它"),
}
DISTRESS_KINDS = {
    "poverty": ("家庭经济困难", "家庭贫困", "贫困", "经济困难", "家庭困难", "困难"),
    "disability": ("自身残疾", "残疾", "残疾儿童"),
    "illness": ("重病", "患重病", "重病儿童", "大病", "重特大疾病"),
    "unsupported": ("事实无人抚养", "事实无人抚养儿童"),
    "guardianship": (
        "监护缺失或不当",
        "监护缺失",
        "监护不当",
        "家庭监护缺失",
        "家庭监护缺失或监护不当",
        "受虐待",
    ),
    "other": ("其他", "其它"),
}
MULTI_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "income_sources": INCOME_SOURCES,
    "assistance": ASSISTANCE,
    "distress_kinds": DISTRESS_KINDS,
}
_CODE_LABEL = re.compile(r"^[0-9A-Za-z]{1,3}\s*[-－—:：.、]\s*(?=\D)")


def code_label(text: str) -> str:
    """The label of a coded value as code lists print them: '1-男' → '男', '01-汉族' →
    '汉族', 'A-护照' → '护照'; other text as it is."""
    return _CODE_LABEL.sub("", text, count=1)


def work_place_in(text: str) -> tuple[str, str] | None:
    """(province, city) when a text (an employer's) begins with one: '广东省东莞市某电子厂'
    → ('广东省', '东莞市'), '北京市朝阳区…' → ('北京市', '北京市'); else None."""
    text = unicodedata.normalize("NFKC", text).strip()
    for prefix, full in _PROVINCE_PREFIXES:
        if text.startswith(prefix):
            if full[:2] in _MUNICIPALITIES:
                return full, full
            city = re.match(r"^(.{1,8}?(市|自治州|州|地区|盟))", text[len(prefix) :])
            return (full, city.group(1)) if city else None
    return None


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


def memo_key(value: object) -> object:
    """A cell as a dict key: 1 == 1.0 == True as keys, but not as cells (``cell_text`` gives
    '1', '1', '是'), so the type goes with the value (with each value of a tuple)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is tuple:
        return tuple(map(memo_key, cast(tuple, value)))
    return (kind, value)


MEMO_LIMIT = 5_000


def picker(indexes: list[int]) -> Callable[[list[object]], tuple]:
    """The cells at ``indexes`` of a row, as a tuple, in one call."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    return lambda cells: tuple(cells[c] for c in indexes)


_MISSING = object()


def recall(memo: dict[object, Any], value: object, compute: Callable[[Any], Any]) -> Any:
    """``compute(value)``, remembered in ``memo`` (up to ``MEMO_LIMIT`` values)."""
    key = value if type(value) is str else memo_key(value)
    result = memo.get(key, _MISSING)
    if result is _MISSING:
        result = compute(value)
        if len(memo) < MEMO_LIMIT:
            memo[key] = result
    return result

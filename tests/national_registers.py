"""Registers in the national layouts, built in code from their published column lists:

- the 全国中小学生学籍信息管理系统 student table (学生基本信息), with its codes (性别 1/2,
  民族 GB 3304, 身份证件类型 1/6/7/8/9/A/Z, 户口性质 1/2, 就读方式 1/2, 是否… 1/0, dates
  as 20110101, 入学年月 as 201409) and the family as 成员1… / 成员2…;
- the 2016 survey form (农村留守儿童基本情况登记表 / 农村留守儿童花名册, 国发〔2016〕13号)
  as a register: a title, the 填报单位（盖章） line, a flat or two-level header, and the
  signature footer and notes below the children;
- the civil-affairs 困境儿童 register.

Each builder takes the children as dicts keyed by the layout's own header texts and
returns .xlsx bytes; what a child leaves out is a blank cell.
"""

from __future__ import annotations

from tests.import_files import xlsx

# ---------------------------------------------------------------------------- 学籍

XUEJI_HEADER = [
    "学校标识码",
    "姓名",
    "性别",
    "出生日期",
    "出生地行政区划代码",
    "籍贯",
    "民族",
    "国籍/地区",
    "身份证件类型",
    "港澳台侨外",
    "健康状况",
    "身份证件号",
    "户口所在地行政区划",
    "户口所在地",
    "户口性质",
    "入学年月",
    "入学方式",
    "就读方式",
    "现住址",
    "通信地址",
    "家庭地址",
    "联系电话",
    "邮政编码",
    "是否独生子女",
    "是否受过学前教育",
    "是否留守儿童",
    "是否进城务工人员随迁子女",
    "是否孤儿",
    "是否烈士或优抚子女",
    "随班就读",
    "是否需要申请资助",
    "全国学籍号",
    "学籍辅号",
    "班号",
]
for _n in (1, 2):
    XUEJI_HEADER += [
        f"成员{_n}姓名",
        f"成员{_n}关系",
        f"成员{_n}现住址",
        f"成员{_n}户口所在地",
        f"成员{_n}联系电话",
        f"成员{_n}是否监护人",
        f"成员{_n}身份证件类型",
        f"成员{_n}身份证件号",
        f"成员{_n}民族",
        f"成员{_n}工作单位",
        f"成员{_n}职务",
    ]

XUEJI_DEFAULTS = {
    "学校标识码": "3434000001",
    "出生地行政区划代码": "340827000000",
    "籍贯": "安徽省望江县",
    "民族": "01",
    "国籍/地区": "CHN",
    "身份证件类型": "1",
    "港澳台侨外": "00",
    "健康状况": "10",
    "户口所在地行政区划": "340827100201",
    "户口所在地": "安徽省望江县华阳镇红星村",
    "户口性质": "1",
    "入学方式": "11",
    "就读方式": "1",
    "现住址": "华阳镇红星村三组",
    "通信地址": "安徽省望江县华阳镇红星村",
    "家庭地址": "安徽省望江县华阳镇红星村",
    "邮政编码": "246200",
    "是否独生子女": "0",
    "是否受过学前教育": "1",
    "是否留守儿童": "0",
    "是否进城务工人员随迁子女": "0",
    "是否孤儿": "0",
    "是否烈士或优抚子女": "0",
    "随班就读": "0",
    "是否需要申请资助": "0",
    "成员1身份证件类型": "1",
    "成员2身份证件类型": "1",
}


def xueji_table(children: list[dict[str, object]]) -> bytes:
    """The 学籍 system's student table, as it exports (header on the first line)."""
    rows: list[list[object]] = [XUEJI_HEADER]
    for child in children:
        values = {**XUEJI_DEFAULTS, **child}
        rows.append([values.get(h) for h in XUEJI_HEADER])
    return xlsx(rows, dates=False)


# ---------------------------------------------------------------------------- 2016

_PEOPLE_2016 = ("祖父", "祖母", "外祖父", "外祖母")
# The form's fields in its order, as a flat header.
SURVEY_HEADER = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "公民身份证号码",
    "是否登记户口",
    "户籍所在地",
    "现居住地",
    "身体情况",
    "残疾类别及等级",
    "患病类型",
    "是否学校寄宿",
    "就学情况",
    *[f"{who}{what}" for who in _PEOPLE_2016 for what in ("姓名", "出生日期")],
    *[
        f"{who}{what}"
        for who in ("父亲", "母亲")
        for what in ("姓名", "出生日期", "当前务工地点", "联系电话", "公民身份证号码")
    ],
    "父母双方同时外出",
    "父母一方外出、另一方无监护能力",
    "无监护能力（父亲/母亲）",
    "父母外出有无委托其他监护人",
    "委托监护人姓名",
    "受委托监护人电话",
    "委托监护人公民身份证号码",
    "与被监护人关系",
    "居住地地址",
    "监护类型",
    "家庭经济来源",
    "救助帮扶情况",
]
INCOME_CHOICES = ("打工收入", "种养殖业", "政府救助", "亲朋接济", "其他")
AID_CHOICES = ("享受低保", "临时救助", "医疗救助", "住房救助", "其他救助")
_TITLE = "农村留守儿童花名册"
_FILLED_BY = "填报单位（盖章）：华阳镇红星村村民委员会"
_FILLED_ON = "填报日期：2026年10月10日"
_NOTES = [
    "注：1.农村留守儿童：因父母双方外出务工或一方外出务工另一方无监护能力，无法与父母正常"
    "共同生活的不满十六周岁农村户籍未成年人。",
    "2.各年龄段农村留守儿童按排查时实际年龄划分和填报；选择项目在（ ）中划“√”。",
    "3.祖父母、外祖父母去世或父母一方死亡的，在相应填报内容中划“—”。",
]


def _footer(width: int, id_column: int) -> list[list[object]]:
    """The form's signature line, the 复核人 cell in the ID column, then its notes."""
    signatures: list[object] = [None] * width
    signatures[0] = "单位负责人（签名）：张建国"
    signatures[id_column] = "复核人（签名）：李红"
    signatures[width - 3] = "填表人（签名）：王芳"
    return [[], signatures, *[[note] for note in _NOTES]]


def survey_register(children: list[dict[str, object]]) -> bytes:
    """The 2016 花名册 with a flat header: 父亲姓名, 父亲当前务工地点 …; 家庭经济来源 and
    救助帮扶情况 as text ("打工收入、种养殖业")."""
    width = len(SURVEY_HEADER)
    top: list[object] = [None] * width
    top[0], top[width - 6] = _FILLED_BY, _FILLED_ON
    rows: list[list[object]] = [[_TITLE], top, SURVEY_HEADER]
    for n, child in enumerate(children, 1):
        values = {"序号": n, **child}
        rows.append([values.get(h) for h in SURVEY_HEADER])
    rows += _footer(width, SURVEY_HEADER.index("公民身份证号码"))
    return xlsx(rows, dates=False)


def survey_register_two_level(children: list[dict[str, object]]) -> bytes:
    """The 2016 花名册 with a two-level header: a 父亲 cell merged over 姓名 / 出生日期 /
    当前务工地点 / 联系电话, 委托监护人 over its five columns, and 家庭经济来源 / 救助帮扶情况
    over one column per choice, ticked (√). The children's dicts use the flat names."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []  # (group, [(sub, flat name)])
    for head in SURVEY_HEADER[:14]:
        groups.append((head, [(head, head)]))
    for who in _PEOPLE_2016:
        groups.append((who, [(w, f"{who}{w}") for w in ("姓名", "出生日期")]))
    for who in ("父亲", "母亲"):
        subs = ("姓名", "出生日期", "当前务工地点", "联系电话")
        groups.append((who, [(w, f"{who}{w}") for w in subs]))
        groups.append((f"{who}公民身份证号码", [(f"{who}公民身份证号码",) * 2]))
    guardian = [
        ("姓名", "委托监护人姓名"),
        ("电话", "受委托监护人电话"),
        ("公民身份证号码", "委托监护人公民身份证号码"),
        ("与被监护人关系", "与被监护人关系"),
        ("居住地地址", "居住地地址"),
    ]
    groups.append(("委托监护人", guardian))
    groups.append(("监护类型", [("监护类型", "监护类型")]))
    groups.append(("家庭经济来源", [(w, f"家庭经济来源:{w}") for w in INCOME_CHOICES]))
    groups.append(("救助帮扶情况", [(w, f"救助帮扶情况:{w}") for w in AID_CHOICES]))
    top: list[object] = []
    sub: list[object] = []
    names: list[str] = []
    merges: list[tuple[int, int, int, int, object]] = []
    first = 2  # the title and the 填报单位 line above
    for group, columns in groups:
        start = len(names)
        for label, name in columns:
            top.append(group if len(top) == start else None)
            sub.append(None if len(columns) == 1 else label)
            names.append(name)
        if len(columns) == 1:
            merges.append((first, start, first + 1, start, group))
        else:
            merges.append((first, start, first, start + len(columns) - 1, group))
    width = len(names)
    filled: list[object] = [None] * width
    filled[0], filled[width - 6] = _FILLED_BY, _FILLED_ON
    rows: list[list[object]] = [[_TITLE], filled, top, sub]
    for n, child in enumerate(children, 1):
        values: dict[str, object] = {"序号": n, **child}
        for field, choices in (("家庭经济来源", INCOME_CHOICES), ("救助帮扶情况", AID_CHOICES)):
            ticked = str(values.get(field) or "").split("、")
            for choice in choices:
                values[f"{field}:{choice}"] = "√" if choice in ticked else None
        rows.append([values.get(name) for name in names])
    rows += _footer(width, names.index("公民身份证号码"))
    return xlsx(rows, merges=merges, dates=False)


# ---------------------------------------------------------------------------- 困境儿童

DISTRESS_HEADER = [
    "序号",
    "乡镇（街道）",
    "村（社区）",
    "儿童姓名",
    "性别",
    "民族",
    "出生日期",
    "身份证号码",
    "户籍所在地",
    "现居住地址",
    "困境类型",
    "残疾类别及等级",
    "患病类型",
    "就学情况",
    "保障情况",
    "监护人姓名",
    "与儿童关系",
    "监护人身份证号码",
    "监护人联系电话",
    "备注",
]


def distress_register(children: list[dict[str, object]]) -> bytes:
    """The civil-affairs 困境儿童 花名册 (a county's 儿童督导员 keeps it by village)."""
    width = len(DISTRESS_HEADER)
    rows: list[list[object]] = [
        ["望江县困境儿童信息登记花名册"],
        ["填报单位：华阳镇人民政府", *[None] * (width - 3), "填报时间：2026年10月"],
        DISTRESS_HEADER,
    ]
    for n, child in enumerate(children, 1):
        values = {"序号": n, "乡镇（街道）": "华阳镇", "村（社区）": "红星村", **child}
        rows.append([values.get(h) for h in DISTRESS_HEADER])
    rows += [[], ["审核人：赵明", None, None, None, None, None, "填表人：孙丽"]]
    return xlsx(rows, dates=False)

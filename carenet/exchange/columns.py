"""The register's columns: which header texts mean which field.

Real registers name a column in many ways (姓名 / 学生姓名 / 儿童姓名), wrap it across
lines, add a hint in brackets (留守类型（单亲/双亲）) or put it under a group cell of a
two-level header (父亲 over 姓名 / 联系电话). ``field_for_header`` maps such a header,
with its group if any, to one field key such as ``id_number`` or ``father.phone``.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

# Child columns: field key → the header texts that mean it (the first is canonical).
CHILD_COLUMNS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "序"),
    "name": ("姓名", "学生姓名", "儿童姓名", "幼儿姓名", "名字"),
    "gender": ("性别",),
    "ethnicity": ("民族",),
    "birth_date": ("出生日期", "出生年月", "生日", "出生年月日", "出生时间"),
    "id_number": (
        "身份证号",
        "身份证号码",
        "公民身份号码",
        "身份证",
        "儿童身份证号",
        "学生身份证号",
        "儿童身份证号码",
        "学生身份证号码",
        "身份证件号码",
        "证件号码",
        "身份证件号",  # the 学籍 table
        "公民身份证号码",  # the 2016 survey form
        "公民身份证号",
        "儿童公民身份证号码",
    ),
    # The 学籍 table's 身份证件类型: only a resident ID number files a child.
    "id_type": ("身份证件类型", "证件类型", "身份证类型"),
    "student_number": ("学籍号", "全国学籍号", "学籍号码", "学生学籍号", "学籍编号", "学籍辅号"),
    "school": ("学校", "学校名称", "就读学校", "所在学校"),
    "grade": ("年级", "所在年级"),
    "class": ("班级", "所在班级", "班", "班号", "班级名称"),
    # 入学年月 (学籍: 201409): the grade, where the file has no 年级 column.
    "enrolled": ("入学年月", "入学时间", "入学日期", "入学年份"),
    "boarding": (
        "是否寄宿",
        "寄宿",
        "是否住校",
        "住校",
        "是否寄宿生",
        "是否学校寄宿",
        "是否在校寄宿",
    ),
    "commute": ("就读方式",),  # 学籍: 1 走读, 2 住校
    "registered_residence": ("户籍地", "户籍所在地", "户口所在地", "户籍"),
    "hukou_type": ("户口性质", "户籍性质", "户口类型", "户籍类型"),
    "hukou_registered": ("是否登记户口", "是否有户口", "户口登记情况", "是否上户口"),
    "residence": ("现居住地", "家庭住址", "现住址", "居住地", "家庭地址", "现居住地址"),
    "health": ("健康状况", "身体状况", "健康情况", "身体情况"),
    "illness": ("患病类型", "疾病类型", "所患疾病", "患病情况", "疾病名称"),
    "disability": (
        "残疾类别等级",
        "残疾类别",
        "残疾等级",
        "残疾情况",
        "残疾类别及等级",
        "残疾类别和等级",
        "残疾类型",
    ),
    "schooling": ("就学情况", "就读状态", "在校情况", "就学状态"),
    "migrant_child": ("是否进城务工人员随迁子女", "是否随迁子女", "随迁子女"),
    "orphan": ("是否孤儿", "孤儿"),
    "needs_aid": ("是否需要申请资助", "是否需要资助", "是否申请资助"),
    "income_sources": ("家庭经济来源", "经济来源", "家庭主要经济来源", "家庭收入来源"),
    "assistance": (
        "救助帮扶情况",
        "救助帮扶",
        "保障情况",
        "享受政策",
        "享受政策情况",
        "救助情况",
        "享受救助情况",
        "帮扶情况",
        "保障类型",
        "享受保障情况",
    ),
    "distress_kinds": (
        "困境类型",
        "困境儿童类别",
        "困境儿童类型",
        "困境类别",
        "困境情形",
        "困境儿童分类",
    ),
    "left_behind_type": ("留守类型", "留守情况", "是否留守儿童", "留守儿童类型"),
    "immunization": ("计划免疫接种", "免疫接种", "预防接种", "是否接种疫苗"),
    "interests": ("兴趣爱好", "爱好", "特长爱好"),
    "personality": ("性格特征", "性格", "性格特点"),
    "categories": ("特殊类别", "学生类别"),
    "mentor": ("帮扶教师", "结对教师", "代理家长", "帮扶人"),
    "buddy": ("学习帮手", "学习伙伴"),
    "notes": ("备注", "说明"),
}

_PHONE = ("联系电话", "电话", "手机号", "手机号码", "手机", "联系方式", "电话号码")
_ID = (
    "身份证号",
    "身份证号码",
    "公民身份号码",
    "身份证",
    "公民身份证号码",
    "身份证件号",
    "身份证件号码",
)
_BIRTH = ("出生日期", "出生年月")

PARENT_SUBCOLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", ""),
    "id_number": _ID,
    "phone": _PHONE,
    "birth_date": _BIRTH,
    "work_place": (
        "务工地点",
        "务工地",
        "外出务工地点",
        "务工地址",
        "工作地点",
        "务工所在地",
        "当前务工地点",
    ),
    "employer": ("务工单位", "工作单位", "单位", "务工单位名称"),
    "away_since": ("外出时间", "外出务工时间", "外出日期", "离家时间"),
}
GUARDIAN_SUBCOLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", ""),
    "kinship": ("与儿童关系", "关系", "与学生关系", "与被监护人关系", "与儿童的关系"),
    "age": ("年龄",),
    "id_number": _ID,
    "health": ("身体状况", "健康状况"),
    "education": ("文化程度", "学历"),
    "occupation": ("职业",),
    "phone": _PHONE,
    "address": ("住址", "家庭住址", "地址", "现住址", "居住地地址", "居住地址", "现居住地"),
    "guardianship_quality": ("监护类型", "监护状况", "监护情况"),
}
# The grandparents (the 2016 form's 家庭情况: 祖父/祖母/外祖父/外祖母 each 姓名 + 出生日期).
GRANDPARENT_SUBCOLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", ""),
    "birth_date": _BIRTH,
    "id_number": _ID,
    "phone": _PHONE,
}
GROUPS: dict[str, tuple[str, ...]] = {
    "father": ("父亲",),
    "mother": ("母亲",),
    "guardian": ("监护人", "委托监护人", "临时监护人", "实际监护人", "受委托监护人"),
    "grandfather": ("祖父", "爷爷"),
    "grandmother": ("祖母", "奶奶"),
    "m_grandfather": ("外祖父", "外公", "姥爷"),
    "m_grandmother": ("外祖母", "外婆", "姥姥"),
}
_SUBCOLUMNS = {
    "father": PARENT_SUBCOLUMNS,
    "mother": PARENT_SUBCOLUMNS,
    "guardian": GUARDIAN_SUBCOLUMNS,
}
# The 学籍 table's family: 成员1姓名 / 成员1关系 / 成员1联系电话 / 成员1是否监护人 /
# 成员1工作单位 / 成员1身份证件类型 / 成员1身份证件号, 成员2…: whose they are is in the row
# (成员N关系), so they map to ``memberN.…`` and the row decides (``Validator``).
MEMBER_SUBCOLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名",),
    "kinship": ("关系", "与学生关系", "与本人关系", "家庭关系"),
    "phone": _PHONE,
    "is_guardian": ("是否监护人",),
    "employer": ("工作单位", "工作单位名称", "单位"),
    "address": ("现住址", "住址", "家庭住址"),
    "id_type": ("身份证件类型", "证件类型"),
    "id_number": _ID,
}
MEMBERS = 4  # 成员1 … 成员4
MEMBER_PREFIXES = ("成员", "家庭成员")
# Columns without a group that can only mean the guardian's.
_GUARDIAN_PLAIN = {
    "与儿童关系": "guardian.kinship",
    "与被监护人关系": "guardian.kinship",
    "居住地地址": "guardian.address",  # the 2016 form's: the child's is 现居住地
    "监护类型": "guardian.guardianship_quality",
    "监护状况": "guardian.guardianship_quality",
    "监护情况": "guardian.guardianship_quality",
    "家长联系电话": "guardian.phone",
    "家长电话": "guardian.phone",
    "家长手机号": "guardian.phone",
    "家长手机号码": "guardian.phone",
    "家长手机": "guardian.phone",
    "联系电话": "guardian.phone",
    "电话": "guardian.phone",
    "电话号码": "guardian.phone",
    "手机号": "guardian.phone",
    "手机号码": "guardian.phone",
    "手机": "guardian.phone",
    "联系方式": "guardian.phone",
}
# Where several columns mean one field, the most specific wins (``settle_columns``): a
# named person's (监护人联系电话, 家长联系电话) over a plain 联系电话 over a 手机号, which in a
# student list is as often the pupil's own. A column that loses is not used. The pupil's
# own phone (学生手机号, 本人电话) is no one's: it is not in the table at all.
SPECIFIC, PLAIN, VAGUE = 3, 2, 1
_RANKS = {
    **{text: SPECIFIC for text in _GUARDIAN_PLAIN if text.startswith("家长")},
    **{text: VAGUE for text in ("手机号", "手机号码", "手机", "联系方式")},
    # 现住址 over 家庭地址 (both in the 学籍 table); 全国学籍号 over 学籍辅号.
    **{text: SPECIFIC for text in ("现住址", "现居住地", "现居住地址", "全国学籍号")},
    "学籍辅号": VAGUE,
}
# Marks: a group cell over one column per choice, each ticked (√) or not — the 2016
# form's 家庭经济来源 / 救助帮扶情况 / 就学情况 / 身体情况 as a register prints them. Such a
# column maps to ``field:word``; the row's ticked words are read as the field's text.
_MARK_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "家庭经济来源": (
        "income_sources",
        ("打工收入", "种养殖业", "政府救助", "亲朋接济", "其他"),
    ),
    "救助帮扶情况": (
        "assistance",
        ("享受低保", "低保", "临时救助", "医疗救助", "住房救助", "其他救助", "其他"),
    ),
    "就学情况": (
        "schooling",
        ("幼儿园", "未入园", "小学", "初中", "高中", "中职", "辍学", "不在学"),
    ),
    "身体情况": ("health", ("健康", "残疾", "患病")),
    "困境类型": (
        "distress_kinds",
        ("家庭经济困难", "自身残疾", "重病", "事实无人抚养", "监护缺失或不当", "其他"),
    ),
}

# The 2016 national form's (国发〔2016〕13号 登记表) left-behind flags, cells read as
# 是/否/√/1/0 and the unable parent as 父亲/母亲 (``importer.leftbehind``): child columns.
LEFT_BEHIND_FLAGS: dict[str, tuple[str, ...]] = {
    "both_parents_away": (
        "父母双方同时外出",
        "父母双方外出",
        "父母是否同时外出",
        "父母双方是否同时外出",
        "父母均外出",
        "父母同时外出",
    ),
    "one_away_other_unable": (
        "父母一方外出、另一方无监护能力",
        "父母一方外出，另一方无监护能力",
        "父母一方外出,另一方无监护能力",
        "父母一方外出另一方无监护能力",
        "一方外出、另一方无监护能力",
        "一方外出另一方无监护能力",
    ),
    "unable_parent": ("无监护能力", "无监护能力一方", "无监护能力的一方", "无监护能力父母"),
    "guardian_entrusted": (
        "父母外出有无委托其他监护人",
        "父母外出有无委托监护人",
        "有无委托其他监护人",
        "有无委托监护人",
        "是否委托其他监护人",
        "是否委托监护人",
        "是否有委托监护人",
    ),
}
CHILD_COLUMNS.update(LEFT_BEHIND_FLAGS)

_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】")
_NOISE = re.compile(r"[\s*※:：#]")


def normalise_header(text: object) -> str:
    """``'父亲务工地点\\n（省/市）'`` → ``'父亲务工地点'``: no spaces, breaks or bracketed hints."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text))
    value = _NOISE.sub("", value)
    stripped = _BRACKETS.sub("", value)
    return stripped or value


def _build() -> tuple[dict[str, str], dict[str, int]]:
    table: dict[str, str] = {}
    ranks: dict[str, int] = {}
    for key, names in CHILD_COLUMNS.items():
        for name in names:
            table.setdefault(name, key)
    groups = dict(GROUPS)
    for n in range(1, MEMBERS + 1):
        groups[f"member{n}"] = tuple(f"{prefix}{n}" for prefix in MEMBER_PREFIXES)
    for relation, prefixes in groups.items():
        if relation.startswith("member"):
            subs = MEMBER_SUBCOLUMNS
        else:
            subs = _SUBCOLUMNS.get(relation, GRANDPARENT_SUBCOLUMNS)
        for prefix in prefixes:
            for key, names in subs.items():
                for name in names:
                    table[prefix + name] = f"{relation}.{key}"
                    ranks[prefix + name] = SPECIFIC
                    if name:
                        table[f"{prefix}的{name}"] = f"{relation}.{key}"
                        ranks[f"{prefix}的{name}"] = SPECIFIC
    for name, key in _GUARDIAN_PLAIN.items():
        table.setdefault(name, key)
    for group, (field, words) in _MARK_GROUPS.items():
        for word in words:
            table.setdefault(group + word, f"{field}:{word}")
    ranks.update(_RANKS)
    return table, ranks


HEADERS, RANKS = _build()
GROUP_WORDS = {prefix for prefixes in GROUPS.values() for prefix in prefixes} | {
    f"{prefix}{n}" for prefix in MEMBER_PREFIXES for n in range(1, MEMBERS + 1)
}


def field_for_header(text: object, group: object = None) -> str | None:
    """The field key a header cell means, given the group cell above it (if any)."""
    label = normalise_header(text)
    group_label = normalise_header(group)
    if group_label and label and group_label != label:
        key = HEADERS.get(group_label + label)
        if key:
            return key
        if group_label in GROUP_WORDS:
            return None  # 父亲 / 年龄: a column of the group we do not know
    return HEADERS.get(label) if label else None


def header_rank(text: object, group: object = None) -> int:
    """How specific a header is for its field (``settle_columns``): a column under a
    group cell (父亲 / 监护人 over 联系电话) names its person."""
    label, group_label = normalise_header(text), normalise_header(group)
    if group_label and label and group_label != label and group_label + label in HEADERS:
        return SPECIFIC
    return RANKS.get(label, PLAIN)


def settle_columns(found: list[tuple[int, str, int]]) -> dict[int, str]:
    """Column → field key from the (column, key, rank) of every header cell understood:
    one column per key, the most specific (``header_rank``), then the leftmost.

    A file with the 学籍 table's family (成员N联系电话) has a plain 联系电话 of the pupil's
    own: the guardian's phone is then a member's, never that column."""
    best: dict[str, tuple[int, int]] = {}
    for column, key, rank in found:
        held = best.get(key)
        if held is None or rank > held[1]:
            best[key] = (column, rank)
    held = best.get("guardian.phone")
    if held is not None and held[1] < SPECIFIC:
        if any(key.startswith("member") and key.endswith(".phone") for key in best):
            del best["guardian.phone"]
    return {column: key for key, (column, _rank) in sorted(best.items(), key=lambda i: i[1])}


# ---------------------------------------------------------------------------- labels


def _subcolumns(relation: str) -> dict[str, tuple[str, ...]]:
    if relation.startswith("member"):
        return MEMBER_SUBCOLUMNS
    return _SUBCOLUMNS.get(relation, GRANDPARENT_SUBCOLUMNS)


def _labels() -> dict[str, str]:
    """Every field key → the words a user reads for it, from the tables above: a child's
    key → its canonical header (身份证号), a family member's → group·field (父亲·联系电话),
    a 学籍 family member's → 成员1·姓名, a ticked choice's → 家庭经济来源·打工收入."""
    labels = {key: names[0] for key, names in CHILD_COLUMNS.items()}
    for relation, prefixes in GROUPS.items():
        for key, names in _subcolumns(relation).items():
            labels[f"{relation}.{key}"] = f"{prefixes[0]}·{names[0] or '姓名'}"
    for n in range(1, MEMBERS + 1):
        for key, names in MEMBER_SUBCOLUMNS.items():
            labels[f"member{n}.{key}"] = f"{MEMBER_PREFIXES[0]}{n}·{names[0]}"
    for group, (field, words) in _MARK_GROUPS.items():
        for word in words:
            labels.setdefault(f"{field}:{word}", f"{group}·{word}")
    for key in HEADERS.values():  # a key only a plain header names (none today)
        labels.setdefault(key, key)
    return labels


# The field keys a column can be mapped to, with their labels (the mapping's drop-down).
FIELD_LABELS: dict[str, str] = _labels()


def field_label(key: str | None) -> str:
    """'guardian.phone' → '监护人·联系电话'; None (a column not used) → ''."""
    return FIELD_LABELS.get(key, key) if key else ""


def field_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The keys by group, as the drop-down lists them: the child's first, then each
    family member's (group label, [(key, label)]); the child's group label is ''. Then
    the 学籍 table's 成员1… and the choices ticked under a group cell (家庭经济来源 over
    打工收入 …), each its own group."""
    groups: list[tuple[str, list[tuple[str, str]]]] = [
        ("", [(k, v) for k, v in FIELD_LABELS.items() if "." not in k and ":" not in k])
    ]
    for relation, prefixes in GROUPS.items():
        members = [(k, v) for k, v in FIELD_LABELS.items() if k.startswith(relation + ".")]
        groups.append((prefixes[0], members))
    for n in range(1, MEMBERS + 1):
        members = [(k, v) for k, v in FIELD_LABELS.items() if k.startswith(f"member{n}.")]
        groups.append((f"{MEMBER_PREFIXES[0]}{n}", members))
    for group, (field, _words) in _MARK_GROUPS.items():
        ticks = [(k, v) for k, v in FIELD_LABELS.items() if k.startswith(f"{field}:")]
        groups.append((_("%(group)s（勾选）") % {"group": group}, ticks))
    return groups

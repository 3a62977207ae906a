"""The register's columns: which header texts mean which field.

Real registers name a column in many ways (姓名 / 学生姓名 / 儿童姓名), wrap it across
lines, add a hint in brackets (留守类型（单亲/双亲）) or put it under a group cell of a
two-level header (父亲 over 姓名 / 联系电话). ``field_for_header`` maps such a header,
with its group if any, to one field key such as ``id_number`` or ``father.phone``.
"""

from __future__ import annotations

import re
import unicodedata

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
    ),
    "student_number": ("学籍号", "全国学籍号", "学籍号码", "学生学籍号", "学籍编号"),
    "school": ("学校", "学校名称", "就读学校", "所在学校"),
    "grade": ("年级", "所在年级"),
    "class": ("班级", "所在班级", "班"),
    "boarding": ("是否寄宿", "寄宿", "是否住校", "住校", "是否寄宿生"),
    "registered_residence": ("户籍地", "户籍所在地", "户口所在地", "户籍"),
    "residence": ("现居住地", "家庭住址", "现住址", "居住地", "家庭地址", "现居住地址"),
    "health": ("健康状况", "身体状况", "健康情况"),
    "disability": ("残疾类别等级", "残疾类别", "残疾等级", "残疾情况"),
    "schooling": ("就学情况", "就读状态", "在校情况", "就学状态"),
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
_ID = ("身份证号", "身份证号码", "公民身份号码", "身份证")

PARENT_SUBCOLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", ""),
    "id_number": _ID,
    "phone": _PHONE,
    "work_place": ("务工地点", "务工地", "外出务工地点", "务工地址", "工作地点", "务工所在地"),
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
    "address": ("住址", "家庭住址", "地址", "现住址"),
    "guardianship_quality": ("监护类型", "监护状况", "监护情况"),
}
GROUPS: dict[str, tuple[str, ...]] = {
    "father": ("父亲",),
    "mother": ("母亲",),
    "guardian": ("监护人", "委托监护人", "临时监护人", "实际监护人"),
}
# Columns without a group that can only mean the guardian's.
_GUARDIAN_PLAIN = {
    "与儿童关系": "guardian.kinship",
    "监护类型": "guardian.guardianship_quality",
    "监护状况": "guardian.guardianship_quality",
    "监护情况": "guardian.guardianship_quality",
    "家长联系电话": "guardian.phone",
    "联系电话": "guardian.phone",
    "电话": "guardian.phone",
    "手机号": "guardian.phone",
    "手机号码": "guardian.phone",
    "联系方式": "guardian.phone",
}

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


def _build() -> dict[str, str]:
    table: dict[str, str] = {}
    for key, names in CHILD_COLUMNS.items():
        for name in names:
            table.setdefault(name, key)
    for relation, prefixes in GROUPS.items():
        subs = GUARDIAN_SUBCOLUMNS if relation == "guardian" else PARENT_SUBCOLUMNS
        for prefix in prefixes:
            for key, names in subs.items():
                for name in names:
                    table[prefix + name] = f"{relation}.{key}"
                    if name:
                        table[f"{prefix}的{name}"] = f"{relation}.{key}"
    for name, key in _GUARDIAN_PLAIN.items():
        table.setdefault(name, key)
    return table


HEADERS: dict[str, str] = _build()
GROUP_WORDS = {prefix for prefixes in GROUPS.values() for prefix in prefixes}


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


# ---------------------------------------------------------------------------- labels


def _subcolumns(relation: str) -> dict[str, tuple[str, ...]]:
    return GUARDIAN_SUBCOLUMNS if relation == "guardian" else PARENT_SUBCOLUMNS


def _labels() -> dict[str, str]:
    """Every field key → the words a user reads for it, from the tables above: a child's
    key → its canonical header (身份证号), a family member's → group·field (父亲·联系电话)."""
    labels = {key: names[0] for key, names in CHILD_COLUMNS.items()}
    for relation, prefixes in GROUPS.items():
        for key, names in _subcolumns(relation).items():
            labels[f"{relation}.{key}"] = f"{prefixes[0]}·{names[0]}"
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
    family member's (group label, [(key, label)]); the child's group label is ''."""
    groups: list[tuple[str, list[tuple[str, str]]]] = [
        ("", [(key, label) for key, label in FIELD_LABELS.items() if "." not in key])
    ]
    for relation, prefixes in GROUPS.items():
        members = [(k, v) for k, v in FIELD_LABELS.items() if k.startswith(relation + ".")]
        groups.append((prefixes[0], members))
    return groups

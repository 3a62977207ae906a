"""Grade names and their years of schooling (年级序号): 一年级 = 1 … 六年级 = 6, 七年级 (初一)
= 7 … 九年级 (初三) = 9, 高一 = 10 … 高三 = 12."""

from __future__ import annotations

import re

NUMERALS = ("", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")
_SECONDARY = {"初": 6, "高": 9}
_NAMED = re.compile(r"^\s*(十[一二]?|[一二三四五六七八九]|\d{1,2})\s*年级\s*$")
_STAGED = re.compile(r"^\s*([初高])\s*([一二三123])\s*(年级)?\s*$")


def _number(text: str) -> int:
    return int(text) if text.isdigit() else NUMERALS.index(text)


def grade_level(name: str) -> int | None:
    """The year of schooling a grade's name gives (一年级 → 1, 初二 → 8, 高一 → 10, 7年级 →
    7), or None when the name is not a grade's."""
    match = _NAMED.match(name)
    if match:
        level = _number(match.group(1))
    else:
        match = _STAGED.match(name)
        if not match:
            return None
        level = _SECONDARY[match.group(1)] + _number(match.group(2))
    return level if 1 <= level <= 12 else None


def grade_name(level: int) -> str:
    """The usual name of a grade: 一年级 … 九年级, 高一 … 高三."""
    if not 1 <= level <= 12:
        raise ValueError(f"no grade {level}")
    if level >= 10:
        return f"高{NUMERALS[level - 9]}"
    return f"{NUMERALS[level]}年级"


def _class_prefixes(level: int) -> list[tuple[str, str]]:
    """The ways a class name may begin with its grade at ``level``, each with the same
    way for the next grade: 一 → 二, 1 → 2, 初一 → 初二, 高一 → 高二, 一年级 → 二年级."""
    up = level + 1
    found = [(NUMERALS[level], NUMERALS[up]), (str(level), str(up))]
    if 7 <= level <= 8:
        found.append((f"初{NUMERALS[level - 6]}", f"初{NUMERALS[up - 6]}"))
    if 10 <= level <= 11:
        found.append((f"高{NUMERALS[level - 9]}", f"高{NUMERALS[up - 9]}"))
    return sorted(found, key=lambda pair: -len(pair[0]))


def class_name_next(name: str, level: int) -> str:
    """A class's name one grade up: 一(2)班 → 二(2)班, 初一(3)班 → 初二(3)班, 1年级2班 → 2年级2班.
    A name that does not begin with its grade (2026级1班, 火箭班) is kept."""
    if not 1 <= level <= 11:
        return name
    for old, new in _class_prefixes(level):
        rest = name[len(old) :]
        if name.startswith(old) and re.match(r"\s*(年级|[(（])", rest):
            return new + rest
    return name

"""A school's grade and class as a register or a form writes them (三年级 / 2班, 3 / （2）班,
初一 / 3, or only 三(2)班), read into the names of the org tree: ('三年级', '三(2)班')."""

from __future__ import annotations

import re
import unicodedata

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

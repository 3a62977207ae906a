"""Chinese names: cleaning, and pinyin with the surname readings pypinyin gets wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Surnames read differently from the common reading of the character(s).
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "曾": ("zeng",),
    "单": ("shan",),
    "解": ("xie",),
    "查": ("zha",),
    "仇": ("qiu",),
    "区": ("ou",),
    "朴": ("piao",),
    "盖": ("ge",),
    "覃": ("qin",),
    "缪": ("miao",),
    "乐": ("yue",),
    "员": ("yun",),
    "召": ("shao",),
    "种": ("chong",),
    "秘": ("bi",),
    "繁": ("po",),
    "翟": ("zhai",),
    "尉迟": ("yu", "chi"),
    "万俟": ("mo", "qi"),
    "长孙": ("zhang", "sun"),
    "澹台": ("tan", "tai"),
    "单于": ("chan", "yu"),
}
_SURNAMES_LONGEST_FIRST = sorted(SURNAME_READINGS, key=len, reverse=True)
_SPACES = re.compile(r"[\s\u3000\u00a0]+")


def clean_name(raw: object) -> str:
    """Remove stray spaces (a Chinese name never contains one); keep the middle dot."""
    text = "" if raw is None else str(raw)
    text = _SPACES.sub("", text)
    return text.replace("•", "·").replace("．", "·")


def name_pinyin(name: str) -> tuple[str, str]:
    """Full pinyin and initials of a name, e.g. 王子涵 → ("wangzihan", "wzh")."""
    name = clean_name(name)
    syllables: list[str] = []
    rest = name
    for surname in _SURNAMES_LONGEST_FIRST:
        if name.startswith(surname):
            syllables.extend(SURNAME_READINGS[surname])
            rest = name[len(surname) :]
            break
    syllables.extend(_readings(rest))
    syllables = [s.lower() for s in syllables if s.isalpha() and s.isascii()]
    return "".join(syllables), "".join(s[0] for s in syllables)


@lru_cache(maxsize=65536)
def _readings(text: str) -> tuple[str, ...]:
    """pypinyin's reading of a given name (~15 µs a call); many children share one."""
    return tuple(lazy_pinyin(text, style=Style.NORMAL, errors="ignore"))


def person_name(first_name: str | None, last_name: str | None, username: str) -> str:
    """A person's name as every page, export and API answer prints it: the Chinese way,
    family name first and no space (``last_name`` + ``first_name``; CareNet keeps a name
    given whole in ``first_name``), else the username."""
    return f"{last_name or ''}{first_name or ''}".strip() or username


def user_name(user: AbstractBaseUser | None) -> str:
    """``person_name`` of a user object ("" for none)."""
    if user is None:
        return ""
    return person_name(
        getattr(user, "first_name", ""), getattr(user, "last_name", ""), user.get_username()
    )

"""The official division codes (统计用区划代码) shipped in ``carenet/orgs/data``.

A county (6 digits) has townships, towns and streets (乡、镇、街道, 9 digits) and villages
and communities (村委会、居委会, 12 digits); each code starts with its parent's. Read only
what one county needs: the county list is small, the places are streamed from the
compressed table until the county's codes are passed.
"""

from __future__ import annotations

import functools
import lzma
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

DATA = Path(__file__).resolve().parent / "data"
COUNTY_DIGITS = 6
TOWNSHIP_DIGITS = 9
VILLAGE_DIGITS = 12

# The table names a village by its committee (鹤庄村委会, 新北社区居委会); a register names
# the place (鹤庄村, 新北社区), and so does CareNet.
_COMMITTEE = re.compile(r"^(.+?(?:村|社区|嘎查))(?:村?民委员会|居民委员会|居委会|委会)$")


def place_name(official: str) -> str:
    """A village's name without its committee's suffix: 鹤庄村委会 → 鹤庄村, 新北社区居委会 →
    新北社区, 卜尔汉图嘎查委会 → 卜尔汉图嘎查; any other name as published."""
    match = _COMMITTEE.match(official)
    return match.group(1) if match else official


@dataclass(frozen=True)
class Place:
    code: str
    name: str


@dataclass
class Township:
    code: str
    name: str
    villages: list[Place] = field(default_factory=list)


@dataclass
class County:
    code: str
    name: str
    # Province and city, for a reader to know which 望江县 (安徽省安庆市).
    region: str = ""
    townships: list[Township] = field(default_factory=list)

    @property
    def village_count(self) -> int:
        return sum(len(t.villages) for t in self.townships)


class DivisionSource(Protocol):
    """Where county_setup reads the division codes from (tests pass their own)."""

    def county(self, code: str) -> County | None: ...

    def near(self, code: str, *, limit: int = 5) -> list[Place]: ...


class OfficialDivisions:
    """The shipped table (edition and source: ``data/README.md``)."""

    def county(self, code: str) -> County | None:
        names = _counties()
        if len(code) != COUNTY_DIGITS or code not in names:
            return None
        county = County(code=code, name=names[code], region=_region(code))
        for place_code, name in _places(code):
            if len(place_code) == TOWNSHIP_DIGITS:
                county.townships.append(Township(code=place_code, name=name))
            elif county.townships and place_code.startswith(county.townships[-1].code):
                county.townships[-1].villages.append(Place(place_code, place_name(name)))
        return county

    def near(self, code: str, *, limit: int = 5) -> list[Place]:
        return near_counties(code, limit=limit)


def near_counties(code: str, *, limit: int = 5) -> list[Place]:
    """Counties whose code is close to ``code``: one or two digits wrong or swapped, or
    the same city's; fewest differences first, then the nearest number. Each is named
    with its province and city (安徽省安庆市望江县)."""
    names = _counties()
    if not code.isdigit() or len(code) != COUNTY_DIGITS:
        return []
    ranked = []
    for other in names:
        distance = _digit_distance(code, other)
        if distance <= 2 or other[:4] == code[:4]:
            ranked.append((distance, abs(int(other) - int(code)), other))
    ranked.sort()
    return [Place(c, f"{_region(c)}{names[c]}") for _d, _n, c in ranked[:limit]]


def _digit_distance(a: str, b: str) -> int:
    """Digits that differ between two codes of one length; two neighbours swapped count
    as one."""
    wrong = [i for i in range(len(a)) if a[i] != b[i]]
    if len(wrong) == 2 and wrong[1] == wrong[0] + 1 and a[wrong[0]] == b[wrong[1]]:
        if a[wrong[1]] == b[wrong[0]]:
            return 1
    return len(wrong)


@functools.cache
def _table() -> dict[str, str]:
    """Every province, city and county code (2, 4, 6 digits) with its name."""
    names: dict[str, str] = {}
    with open(DATA / "counties.tsv", encoding="utf-8") as file:
        for line in file:
            code, _tab, name = line.rstrip("\n").partition("\t")
            names[code] = name
    return names


@functools.cache
def _counties() -> dict[str, str]:
    """Every county-level code with its name."""
    return {c: n for c, n in _table().items() if len(c) == COUNTY_DIGITS}


def county_code_known(code: str) -> bool:
    """Whether ``code`` is a county-level code of the shipped table (its edition: the
    mainland's counties in force in 2023). A dict lookup once the table is read (the first
    call reads it, 3,351 lines): fit for every row of a large import."""
    return code in _counties()


def _region(code: str) -> str:
    """Province and city of a county: 安徽省安庆市 (a municipality's 市辖区 left out)."""
    province = _table().get(code[:2], "")
    city = _table().get(code[:4], "")
    return province + ("" if city in ("", "市辖区", "县", "省直辖县级行政区划") else city)


def _places(county_code: str) -> Iterator[tuple[str, str]]:
    """The county's township and village lines, read until the table passes them."""
    with lzma.open(DATA / "places.tsv.xz", "rt", encoding="utf-8") as file:
        for line in file:
            if line[:COUNTY_DIGITS] < county_code:
                continue
            if not line.startswith(county_code):
                return
            code, _tab, name = line.rstrip("\n").partition("\t")
            yield code, name

"""Warnings on a valid child's ID number: a county code not in the division table, a
birth before 2000."""

import datetime as dt

import pytest

from carenet.children.idcheck import id_number_warnings
from carenet.lib.idcard import make_id_number, parse_id_number
from carenet.orgs.divisions import county_code_known

OLD_CODE_WARNING = "身份证号中的县级代码 342827 不在现行区划代码表中（旧代码也可能有效，请核对）"


def _warnings(division, birth):
    return id_number_warnings(parse_id_number(make_id_number(division, birth, 11, "M")))


def test_a_known_county_and_a_birth_from_2000_give_no_warning():
    assert _warnings("340827", dt.date(2015, 3, 4)) == []


def test_a_county_created_after_2014_is_known():
    assert county_code_known("340882")  # 潜山市, 2018
    assert _warnings("340882", dt.date(2019, 5, 6)) == []


def test_an_abolished_county_code_is_accepted_with_a_warning():
    # 342827: 望江县 while 安庆地区 existed (before 1988), today 340827.
    assert not county_code_known("342827")
    assert _warnings("342827", dt.date(2015, 3, 4)) == [OLD_CODE_WARNING]


def test_a_city_or_province_code_in_the_county_place_is_not_a_county():
    assert not county_code_known("340800") and not county_code_known("34")


@pytest.mark.parametrize("division", ["810000", "820000", "830000", "710000"])
def test_hong_kong_macao_taiwan_codes_are_outside_the_table_and_give_no_warning(division):
    assert _warnings(division, dt.date(2015, 3, 4)) == []


def test_born_on_the_last_day_of_1999_warns():
    assert _warnings("340827", dt.date(1999, 12, 31)) == [
        "身份证号显示出生于 1999 年（2000 年以前），请核对是否为儿童本人的身份证号"
    ]


def test_born_on_the_first_day_of_2000_does_not_warn():
    assert _warnings("340827", dt.date(2000, 1, 1)) == []


def test_both_warnings_together_county_first():
    warnings = _warnings("342827", dt.date(1985, 6, 1))
    assert warnings[0] == OLD_CODE_WARNING
    assert "出生于 1985 年" in warnings[1]

"""Phones, names and pinyin."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carenet.lib.names import clean_name, name_pinyin
from carenet.lib.phone import InvalidPhone, mask_id_number, mask_phone, parse_phone


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "+86 138 1234 5678",
        "138-1234-5678",
        13812345678.0,
        "１３８１２３４５６７８",
        "0086-13812345678",
    ],
)
def test_it_accepts_mobiles_in_every_common_spelling(raw):
    assert parse_phone(raw) == "13812345678"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0556-1234567", "0556-1234567"),
        ("05561234567", "0556-1234567"),
        ("010-12345678", "010-12345678"),
    ],
)
def test_it_accepts_landlines_with_an_area_code(raw, expected):
    assert parse_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "1234567", "电话", "138123456789"])
def test_it_refuses_what_is_not_a_phone(raw):
    with pytest.raises(InvalidPhone, match="电话号码格式不正确"):
        parse_phone(raw)


def test_blank_is_no_phone():
    assert parse_phone("  ") == ""
    assert parse_phone(None) == ""


@given(st.one_of(st.text(max_size=25), st.floats(allow_nan=True), st.integers()))
def test_any_input_gives_a_phone_or_a_message(raw):
    try:
        parse_phone(raw)
    except InvalidPhone as exc:
        assert str(exc)


def test_masks_hide_the_middle():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("11010519491231002X") == "110105********002X"


def test_clean_name_removes_spaces_but_keeps_the_middle_dot():
    assert clean_name(" 张 三　") == "张三"
    assert clean_name("买买提·艾力") == "买买提·艾力"


@pytest.mark.parametrize(
    "name, full, initials",
    [
        ("王子涵", "wangzihan", "wzh"),
        ("曾小明", "zengxiaoming", "zxm"),
        ("单田芳", "shantianfang", "stf"),
        ("解晓东", "xiexiaodong", "xxd"),
        ("查良镛", "zhaliangyong", "zly"),
        ("仇英", "qiuying", "qy"),
        ("区家明", "oujiaming", "ojm"),
        ("朴树", "piaoshu", "ps"),
        ("尉迟恭", "yuchigong", "ycg"),
    ],
)
def test_surnames_use_their_surname_reading(name, full, initials):
    assert name_pinyin(name) == (full, initials)

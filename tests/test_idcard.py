"""GB 11643 ID numbers: check digit, embedded birth date, normalisation."""

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carenet.lib.idcard import (
    PROVINCE_CODES,
    InvalidIdNumber,
    check_digit,
    make_id_number,
    parse_id_number,
)

VALID = "11010519491231002X"  # the example of GB 11643-1999


def test_it_accepts_the_standard_example():
    parsed = parse_id_number(VALID)
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.gender == "F"


def test_it_accepts_a_lower_case_x_and_stray_spaces():
    assert parse_id_number(" 11010519491231002x　").value == VALID


def test_it_accepts_full_width_digits():
    full = VALID.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    assert parse_id_number(full).value == VALID


def test_it_rejects_a_wrong_check_digit():
    with pytest.raises(InvalidIdNumber, match="校验位"):
        parse_id_number(VALID[:17] + "1")


def test_it_rejects_an_impossible_birth_date():
    first17 = "34082720150230001"
    with pytest.raises(InvalidIdNumber, match="出生日期"):
        parse_id_number(first17 + check_digit(first17))


def test_it_rejects_a_birth_date_in_the_future():
    value = make_id_number("340827", dt.date(2030, 1, 1), 1, "M")
    with pytest.raises(InvalidIdNumber, match="不合理"):
        parse_id_number(value, today=dt.date(2026, 11, 22))


def test_it_rejects_the_wrong_length():
    with pytest.raises(InvalidIdNumber, match="18位"):
        parse_id_number("34082720150304")


def test_it_explains_an_id_number_excel_turned_into_a_number():
    with pytest.raises(InvalidIdNumber, match="Excel"):
        parse_id_number("3.40827201503E+17")


def test_it_accepts_a_division_code_created_after_2014():
    # 340882 (潜山市) was created in 2018; we check structure, not the code list.
    parse_id_number(make_id_number("340882", dt.date(2019, 5, 6), 12, "F"))


@pytest.mark.parametrize(
    "code", ["00", "10", "16", "20", "24", "30", "38", "40", "47", "55", "66", "99"]
)
def test_it_rejects_a_province_code_that_does_not_exist(code):
    value = make_id_number(f"{code}0827", dt.date(2015, 3, 4), 1, "M")
    with pytest.raises(InvalidIdNumber) as raised:
        parse_id_number(value)
    assert str(raised.value) == f"身份证号前两位（{code}）不是有效的省级行政区划代码"


def test_the_province_is_checked_on_the_normalising_path_too():
    value = make_id_number("990827", dt.date(2015, 3, 4), 1, "M")
    with pytest.raises(InvalidIdNumber, match="省级行政区划代码"):
        parse_id_number(f" {value} ")


@pytest.mark.parametrize("division", ["110105", "150102", "230102", "650102", "460105"])
def test_it_accepts_the_first_and_last_provinces_of_each_region(division):
    parse_id_number(make_id_number(division, dt.date(2015, 3, 4), 1, "M"))


@pytest.mark.parametrize("division", ["710000", "810000", "820000", "830000"])
def test_it_accepts_taiwan_hong_kong_macao_and_the_residence_permits(division):
    parse_id_number(make_id_number(division, dt.date(2015, 3, 4), 1, "M"))


def test_the_province_codes_are_the_34_of_gb_2260_and_the_taiwan_residence_permits():
    assert len(PROVINCE_CODES) == 35
    table = Path(__file__).resolve().parents[1] / "carenet/orgs/data/counties.tsv"
    mainland = {line[:2] for line in table.read_text(encoding="utf-8").splitlines()}
    assert PROVINCE_CODES - {"71", "81", "82", "83"} == mainland


@given(
    birth=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2025, 12, 31)),
    seq=st.integers(0, 999),
    gender=st.sampled_from("MF"),
)
def test_every_built_number_parses_back(birth, seq, gender):
    parsed = parse_id_number(make_id_number("340827", birth, seq, gender))
    assert (parsed.birth_date, parsed.gender) == (birth, gender)


@given(st.text(max_size=30))
def test_arbitrary_text_is_refused_with_a_message_or_accepted_never_crashes(text):
    try:
        parse_id_number(text)
    except InvalidIdNumber as exc:
        assert str(exc)


@given(
    st.text(alphabet="0123456789", min_size=17, max_size=17),
    st.sampled_from("0123456789Xx"),
)
def test_the_fast_path_and_the_normalising_path_agree(first17, last):
    """An ID number already in normal form skips normalisation: the same outcome as the
    same number with a stray space (which takes the normalising path)."""

    def outcome(raw: str):
        try:
            return parse_id_number(raw, today=dt.date(2026, 12, 3))
        except InvalidIdNumber as exc:
            return str(exc)

    assert outcome(first17 + last) == outcome(f" {first17}{last}")

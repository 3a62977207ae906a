"""Grade names and their years of schooling (carenet.orgs.grades)."""

import pytest

from carenet.orgs.grades import grade_level, grade_name


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("一年级", 1),
        ("六年级", 6),
        ("七年级", 7),
        ("九年级", 9),
        ("初一", 7),
        ("初三年级", 9),
        ("高一", 10),
        ("高3", 12),
        ("7年级", 7),
        (" 二 年级 ", 2),
    ],
)
def test_a_grade_name_gives_its_year_of_schooling(name, level):
    assert grade_level(name) == level


@pytest.mark.parametrize("name", ["", "一(1)班", "十三年级", "0年级", "初四", "学前班"])
def test_other_names_are_not_grades(name):
    assert grade_level(name) is None


@pytest.mark.parametrize("level", range(1, 13))
def test_a_grade_name_reads_back_as_its_level(level):
    assert grade_level(grade_name(level)) == level


def test_there_is_no_grade_thirteen():
    with pytest.raises(ValueError):
        grade_name(13)

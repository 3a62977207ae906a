"""The statistics table (留守儿童基本情况统计表): counts, cross-checks, the .xlsx and the page."""

from __future__ import annotations

import copy
import datetime as dt
import io
import zipfile

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from python_calamine import CalamineWorkbook

from carenet.audit.models import AccessAction, AccessLog
from carenet.children.access import visible_children
from carenet.children.models import Child, ChildStatus, Schooling
from carenet.children.services import family_member_save
from carenet.orgs.selectors import visible_orgs
from carenet.reports import statistics, views_printables
from carenet.reports.statistics import (
    COLUMNS,
    TableCheckError,
    render_table_xlsx,
    statistics_table,
    table_check,
    table_orgs,
)
from tests.factories import child_add

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 1, 20)
ROLES = [
    "county_admin",
    "township_supervisor",
    "village_director",
    "principal",
    "teacher",
    "stranger_teacher",
    "nobody",
]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 1, 20, 12, 0), tick=False):
        yield


def kid(school_class, name, birth, *, father=None, mother=None, guardian=None, **data) -> Child:
    child = child_add(school_class, name=name, birth=birth, **data)
    for relation, member in (("father", father), ("mother", mother), ("guardian", guardian)):
        if member:
            family_member_save(actor=None, child=child, relation=relation, data=member)
    return child


AWAY = {"name": "外出", "away_since": dt.date(2025, 2, 1)}


@pytest.fixture
def county(world):
    """world_build's children and these, counted by hand on 2026-01-20 in the tests below.

    Counted (left-behind on the day, on the roll): own_child, mentee (华阳小学),
    villager_elsewhere, outsider (长岭中学), and A–E, I. Not counted: school_child (no
    parent away), F (father back), G (father away for less than 3 months), H (left).
    """
    c1, c2, other = world.class_1, world.class_2, world.other_class
    kid(  # A: 4 years old, both away, a grandmother, not of school age
        c1,
        "甲",
        dt.date(2021, 5, 1),
        father=AWAY,
        mother=AWAY,
        guardian={"name": "甲祖母", "kinship": "祖母"},
        schooling=Schooling.NOT_SCHOOL_AGE,
    )
    kid(  # B: 14 today, father away, an uncle, dropped out
        c2,
        "乙",
        dt.date(2012, 1, 20),
        father=AWAY,
        guardian={"name": "乙舅舅", "kinship": "舅舅"},
        schooling=Schooling.DROPPED_OUT,
    )
    kid(  # C: 17 today, mother away, a neighbour, suspended
        c1,
        "丙",
        dt.date(2009, 1, 20),
        mother=AWAY,
        guardian={"name": "丙邻居", "kinship": "邻居"},
        schooling=Schooling.SUSPENDED,
    )
    kid(  # D: 6 today, father away, a guardian who does not guard, transferred
        c1,
        "丁",
        dt.date(2020, 1, 20),
        father=AWAY,
        guardian={"name": "丁祖父", "kinship": "祖父", "guardianship_quality": "none"},
        schooling=Schooling.TRANSFERRED,
    )
    kid(  # E: 14 tomorrow, father away, the mother at home cannot guard, no guardian
        other,
        "戊",
        dt.date(2012, 1, 21),
        father=AWAY,
        mother={"name": "戊母亲", "can_guard": False},
    )
    kid(  # F: the father came back
        c1,
        "己",
        dt.date(2015, 1, 1),
        father={
            "name": "己父",
            "away_since": dt.date(2025, 1, 1),
            "back_since": dt.date(2025, 12, 1),
        },
    )
    kid(  # G: the father left less than 3 months ago
        c1, "庚", dt.date(2015, 1, 1), father={"name": "庚父", "away_since": dt.date(2025, 12, 1)}
    )
    gone = kid(c2, "辛", dt.date(2015, 1, 1), father=AWAY, mother=AWAY)  # H: left school
    Child.objects.filter(pk=gone.pk).update(status=ChildStatus.LEFT)
    kid(  # I: father away, the mother named as guardian
        c2,
        "壬",
        dt.date(2013, 9, 9),
        father=AWAY,
        guardian={"name": "壬母", "kinship": "母亲"},
    )
    return world


def counts(**given: int) -> dict[str, int]:
    return {key: given.get(key, 0) for key in COLUMNS}


# By hand, from the fixture's docstring and comments.
HUAYANG = counts(
    total=7,
    age_0_5=1,  # A
    age_6_13=4,  # own_child, mentee, D, I
    age_14_16=1,  # B
    age_17=1,  # C
    father_only=3,  # B, D, I
    mother_only=2,  # mentee, C
    both=2,  # own_child, A
    guard_parent=2,  # mentee (father at home), I (mother named)
    guard_grandparent=1,  # A
    guard_relative=1,  # B
    guard_other=1,  # C
    guard_none=1,  # D
    guard_unknown=1,  # own_child: both away, no guardian on file
    school_in=3,  # own_child, mentee, I
    school_pre=1,  # A
    school_suspended=1,  # C
    school_dropped=1,  # B
    school_other=1,  # D
)
CHANGLING = counts(
    total=3,
    age_6_13=3,  # villager_elsewhere, outsider, E
    father_only=3,
    guard_parent=2,  # villager_elsewhere, outsider: the mother at home
    guard_unknown=1,  # E: the mother at home cannot guard
    school_in=3,
)
GRADE_1 = counts(  # 一(1)班: own_child, A, C, D
    total=4,
    age_0_5=1,
    age_6_13=2,
    age_17=1,
    both=2,
    father_only=1,
    mother_only=1,
    guard_unknown=1,
    guard_grandparent=1,
    guard_other=1,
    guard_none=1,
    school_in=1,
    school_pre=1,
    school_suspended=1,
    school_other=1,
)
GRADE_2 = counts(  # 二(1)班: mentee, B, I
    total=3,
    age_6_13=2,
    age_14_16=1,
    mother_only=1,
    father_only=2,
    guard_parent=2,
    guard_relative=1,
    school_in=2,
    school_dropped=1,
)


def _sum(*rows: dict[str, int]) -> dict[str, int]:
    return {key: sum(row[key] for row in rows) for key in COLUMNS}


def test_the_county_table_equals_a_hand_count(county):
    user = county.user("county_admin")
    table = statistics_table(county.county, as_of=AS_OF, children=visible_children(user))
    assert [row.label for row in table.rows] == ["华阳镇", "长岭镇"]
    assert table.rows[0].counts == HUAYANG
    assert table.rows[1].counts == CHANGLING
    assert table.total.counts == _sum(HUAYANG, CHANGLING)
    assert table_check(table) == []


def test_a_schools_table_has_a_row_per_grade(county):
    user = county.user("principal")
    table = statistics_table(county.school, as_of=AS_OF, children=visible_children(user))
    assert [row.label for row in table.rows] == ["一年级", "二年级"]
    assert [row.counts for row in table.rows] == [GRADE_1, GRADE_2]
    assert table.total.counts == HUAYANG
    assert table_check(table) == []


def test_a_townships_table_has_a_row_per_school(county):
    user = county.user("township_supervisor")
    table = statistics_table(county.township, as_of=AS_OF, children=visible_children(user))
    assert [row.label for row in table.rows] == ["华阳小学"]  # not the village 红星村
    assert table.rows[0].counts == HUAYANG == table.total.counts


def test_the_table_counts_only_the_children_the_user_may_see(county):
    """Narrowed by ``visible_children``: the teacher's children are only part of 华阳镇."""
    teacher = county.user("teacher")
    table = statistics_table(county.county, as_of=AS_OF, children=visible_children(teacher))
    seen = visible_children(teacher).values_list("name", flat=True)
    assert table.total.counts["total"] == len({"王子涵", "甲", "丙", "丁", "曾小雨"} & set(seen))
    assert table.rows[1].counts["total"] == 0  # 长岭镇: nothing in sight, still a row
    assert table_check(table) == []


def test_the_day_decides_who_is_counted(county):
    """On 2025-03-01 the parents who left on 2025-02-01 were away for less than 3 months."""
    table = statistics_table(county.county, as_of=dt.date(2025, 3, 1), children=Child.objects.all())
    assert table.total.counts["total"] == 0
    assert table_check(table) == []


def test_the_counting_takes_a_fixed_number_of_queries(county):
    """One grouped query whatever the number of children (plus the org lookups, and on
    PostgreSQL the statement switching JIT off)."""

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            statistics_table(county.county, as_of=AS_OF, children=Child.objects.all())
        return len(captured.captured_queries)

    before = queries()
    for index in range(20):
        kid(county.class_1, f"多{index}", dt.date(2016, 1, 1), father=AWAY)
    assert queries() == before <= 8
    assert (
        statistics_table(county.county, as_of=AS_OF, children=Child.objects.all()).total.counts[
            "total"
        ]
        == 30
    )


# --------------------------------------------------------------------------- cross-checks


def test_a_broken_group_sum_is_refused_with_the_row_and_the_rule(county):
    table = statistics_table(county.county, as_of=AS_OF, children=Child.objects.all())
    broken = copy.deepcopy(table)
    broken.rows[1].counts["age_0_5"] += 1  # 长岭镇: its ages add up to 4, its total is 3
    errors = table_check(broken)
    assert "“长岭镇”行：按年龄段各项之和（4）不等于留守儿童总数（3）。" in errors
    assert "“按年龄段·0–5岁”列：各行之和（2）不等于合计行（1）。" in errors
    assert len(errors) == 2
    with pytest.raises(TableCheckError) as refused:
        render_table_xlsx(broken)
    assert refused.value.messages == errors


def test_a_total_row_that_is_not_the_sum_of_the_rows_is_refused(county):
    table = statistics_table(county.county, as_of=AS_OF, children=Child.objects.all())
    broken = copy.deepcopy(table)
    for key in ("total", "age_6_13", "father_only", "guard_parent", "school_in"):
        broken.total.counts[key] += 1  # the total row is consistent in itself …
    errors = table_check(broken)
    assert "“留守儿童总数”列：各行之和（10）不等于合计行（11）。" in errors  # … not with the rows
    assert not any("“合计”行" in e for e in errors)
    with pytest.raises(TableCheckError):
        render_table_xlsx(broken)


def test_a_row_that_lost_a_child_everywhere_breaks_the_column_checks(county):
    table = statistics_table(county.county, as_of=AS_OF, children=Child.objects.all())
    broken = copy.deepcopy(table)
    for key in ("total", "age_6_13", "father_only", "guard_parent", "school_in"):
        broken.rows[1].counts[key] -= 1
    errors = table_check(broken)
    assert len(errors) == 5 and all("列：" in e for e in errors)


def test_children_of_a_school_outside_every_row_make_the_table_refused(county, client):
    """A school hung under a village (not a row kind) leaves its pupils in the total only:
    the column checks catch it, and the page answers with the failed rules, no file."""
    from tests.factories import org_add

    odd = org_add(county.village, code="3434000009", name="红星村小", kind="school")
    grade = org_add(odd, code="3434000009-G1", name="一年级", kind="grade")
    school_class = org_add(grade, code="3434000009-G1-1", name="一(1)班", kind="class")
    kid(school_class, "村小学生", dt.date(2016, 1, 1), father=AWAY)
    table = statistics_table(county.township, as_of=AS_OF, children=Child.objects.all())
    assert [row.label for row in table.rows] == ["华阳小学"]
    assert table.total.counts["total"] == 8 and table.rows[0].counts["total"] == 7
    errors = table_check(table)
    assert "“留守儿童总数”列：各行之和（7）不等于合计行（8）。" in errors
    client.force_login(county.user("township_supervisor"))
    response = client.get("/reports/statistics.xlsx", {"org": county.township.code})
    assert response.status_code == 409
    assert "“留守儿童总数”列：各行之和（7）不等于合计行（8）。" in response.content.decode()
    assert not AccessLog.objects.exists()


# --------------------------------------------------------------------------- the workbook


def _sheet(content: bytes) -> list[list]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return book.get_sheet_by_index(0).to_python()


def test_the_workbook_reopens_with_the_figures_as_numbers(county):
    table = statistics_table(county.county, as_of=AS_OF, children=Child.objects.all())
    content = render_table_xlsx(table)
    rows = _sheet(content)
    assert rows[0][0] == "望江县留守儿童基本情况统计表"
    assert rows[1][0] == "填报单位：望江县" and "统计日期：2026-01-20" in rows[1]
    assert rows[2][:4] == ["序号", "乡镇（单位）", "留守儿童总数", "按年龄段"]
    assert rows[3][3:7] == ["0–5岁", "6–13岁", "14–16岁", "17岁及以上"]
    body = {row[1]: row for row in rows[4:6]}
    assert set(body) == {"华阳镇", "长岭镇"}
    for label, expected in (("华阳镇", HUAYANG), ("长岭镇", CHANGLING)):
        figures = body[label][2 : 2 + len(COLUMNS)]
        assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in figures)
        assert [int(v) for v in figures] == [expected[k] for k in COLUMNS]
    total = rows[6]
    assert total[0] == "合计"
    assert [int(v) for v in total[2 : 2 + len(COLUMNS)]] == [
        _sum(HUAYANG, CHANGLING)[k] for k in COLUMNS
    ]


def test_the_workbook_has_a_two_level_header_frozen_panes_and_a4_landscape(county):
    content = render_table_xlsx(
        statistics_table(county.county, as_of=AS_OF, children=Child.objects.all())
    )
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    merged = set(book.get_sheet_by_index(0).merged_cell_ranges)
    assert ((2, 0), (3, 0)) in merged  # 序号 over two header rows
    assert ((2, 3), (2, 6)) in merged  # 按年龄段 over its four bands
    assert ((0, 0), (0, 2 + len(COLUMNS) - 1)) in merged  # the title across the table
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert 'state="frozen"' in sheet and 'ySplit="4"' in sheet and 'xSplit="2"' in sheet
    assert 'orientation="landscape"' in sheet and 'paperSize="9"' in sheet


# --------------------------------------------------------------------------- the pages


def test_the_statistics_download_is_logged(county, client):
    client.force_login(county.user("county_admin"))
    response = client.get("/reports/statistics.xlsx", {"org": "340827", "as_of": "2026-01-20"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    rows = _sheet(response.content)
    assert int(rows[6][2]) == 10
    entry = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert entry.user == county.user("county_admin")
    assert entry.detail == "统计表 340827 2026-01-20 10 人"


def test_the_date_defaults_to_today(county, client):
    client.force_login(county.user("principal"))
    response = client.get("/reports/statistics.xlsx", {"org": county.school.code})
    assert response.status_code == 200
    assert "统计日期：2026-01-20" in _sheet(response.content)[1]


@pytest.mark.parametrize("as_of", ["2026-02-30", "yesterday", "2026-01-21"])
def test_a_bad_or_future_date_is_refused(county, client, as_of):
    client.force_login(county.user("county_admin"))
    response = client.get("/reports/statistics.xlsx", {"org": "340827", "as_of": as_of})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert not AccessLog.objects.exists()


def test_a_table_failing_its_checks_gives_no_file_but_the_message(county, client, monkeypatch):
    """The real count, then one figure broken on its way to the workbook."""

    def broken_table(org, **kwargs):
        table = statistics.statistics_table(org, **kwargs)
        table.rows[0].counts["guard_relative"] += 2
        return table

    monkeypatch.setattr(views_printables, "statistics_table", broken_table)
    client.force_login(county.user("county_admin"))
    response = client.get("/reports/statistics.xlsx", {"org": "340827", "as_of": "2026-01-20"})
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "未生成文件" in body
    assert "“华阳镇”行：按监护情况各项之和（9）不等于留守儿童总数（7）。" in body
    assert not AccessLog.objects.filter(action=AccessAction.EXPORT).exists()


def test_an_unknown_org_is_404(county, client):
    client.force_login(county.user("county_admin"))
    assert client.get("/reports/statistics.xlsx", {"org": "nope"}).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_tables_answer_only_for_orgs_the_user_makes_tables_for(county, client, role):
    """200 for a county, township or school under a table role; 403 for an org the user
    sees without one; 404 for an org out of sight."""
    user = county.user(role)
    client.force_login(user)
    allowed = set(table_orgs(user).values_list("code", flat=True))
    seen = set(visible_orgs(user).values_list("code", flat=True))
    page = client.get("/reports/statistics/")
    assert page.status_code == (200 if allowed else 403), role
    for org in (county.county, county.township, county.other_township, county.school):
        response = client.get("/reports/statistics.xlsx", {"org": org.code})
        expected = 200 if org.code in allowed else 403 if org.code in seen else 404
        assert response.status_code == expected, f"{role} {org}: {response.status_code}"
    logged = AccessLog.objects.filter(action=AccessAction.EXPORT).count()
    assert logged == len(allowed & {"340827", "340827100", "340827101", "3434000001"})


def test_roles_that_make_tables(county):
    assert table_orgs(county.user("county_admin")).count() == 5  # county, 2 townships, 2 schools
    assert set(table_orgs(county.user("township_supervisor")).values_list("name", flat=True)) == {
        "华阳镇",
        "华阳小学",
    }
    assert set(table_orgs(county.user("principal")).values_list("name", flat=True)) == {"华阳小学"}
    for role in ("teacher", "village_director", "stranger_teacher", "nobody"):
        assert not table_orgs(county.user(role)).exists(), role


def test_the_documents_index_links_the_printables(county, client):
    client.force_login(county.user("principal"))
    body = client.get("/reports/").content.decode()
    assert "/reports/cards/" in body and "/reports/statistics/" in body
    page = client.get("/reports/statistics/").content.decode()
    assert "华阳小学" in page and 'action="/reports/statistics.xlsx"' in page


def test_the_index_offers_the_table_only_to_who_may_make_one(county, client):
    # A village director writes documents but makes no statistics table: no link to a 403.
    client.force_login(county.user("village_director"))
    body = client.get("/reports/").content.decode()
    assert "/reports/cards/" in body and "/reports/statistics/" not in body
    assert client.get("/reports/statistics/").status_code == 403

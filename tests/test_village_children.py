"""Children not at a school (aged 0–5, out of school, taught at home): filed under their
village with no school, in the village director's care."""

import datetime as dt
import json
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from carenet.care.models import CareKind
from carenet.care.selectors import my_children, my_tasks, tasks_for
from carenet.care.services import record_create
from carenet.children.access import visible_children
from carenet.children.models import Child, Schooling
from carenet.cli import main
from carenet.indicators.kept import valid_units
from carenet.indicators.models import SchoolFigures
from carenet.lib.idcard import make_id_number
from tests.factories import child_add
from tests.import_files import SIMPLE_HEADER, an_id, simple_row, xlsx
from tests.test_export_cli import _sheet
from tests.test_indicators_speed import _figures, _from_scratch

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 10, 12)  # in the autumn term
AWAY = dt.date(2025, 2, 1)


@pytest.fixture
def monday():
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, 0, tzinfo=TZ), tick=False):
        yield MONDAY


@pytest.fixture
def toddler(world):
    """A left-behind child of four in 红星村, not at a school."""
    return child_add(
        None,
        name="刘小宝",
        village=world.village,
        birth=dt.date(2022, 5, 6),
        schooling=Schooling.NOT_SCHOOL_AGE,
        father_away=AWAY,
        mother_away=AWAY,
    )


def _kinds(tasks, child):
    return {t.kind for t in tasks if t.child.pk == child.pk}


# --- the file and its scope ---------------------------------------------------------


def test_a_child_not_at_a_school_is_filed_under_the_village(world, toddler):
    assert toddler.school is None and toddler.school_class is None
    assert toddler.county_code == world.village.county_code
    assert toddler.class_or_village == "红星村" and toddler.place_label == "红星村"


def test_the_village_director_sees_the_child_and_no_school_does(world, toddler):
    assert toddler in visible_children(world.user("village_director"))
    assert toddler in visible_children(world.user("county_admin"))
    for name in ("principal", "teacher", "stranger_teacher"):
        assert toddler not in visible_children(world.user(name)), name


def test_the_village_director_finds_the_child_in_the_list_and_opens_the_file(
    client, world, toddler
):
    client.force_login(world.user("village_director"))
    listed = client.get(reverse("child_list"))
    assert listed.status_code == 200 and "刘小宝" in listed.content.decode()
    page = client.get(reverse("child_detail", args=[toddler.pk]))
    assert page.status_code == 200 and "红星村" in page.content.decode()
    assert client.get(reverse("child_card", args=[toddler.pk])).status_code == 200


def test_a_principal_gets_404_for_the_village_childs_file(client, world, toddler):
    client.force_login(world.user("principal"))
    assert client.get(reverse("child_detail", args=[toddler.pk])).status_code == 404


# --- care work ----------------------------------------------------------------------


def test_home_visits_and_calls_fall_due_for_the_village_director(world, toddler, monday):
    record_create(
        actor=world.user("village_director"),
        child=toddler,
        kind=CareKind.HOME_VISIT,
        date=dt.date(2026, 6, 20),
        summary="家访，祖母照看良好",
    )
    director = world.user("village_director")
    assert toddler in my_children(director)
    tasks = my_tasks(director, as_of=monday, until=monday)
    assert _kinds(tasks, toddler) == {
        CareKind.HOME_VISIT,
        CareKind.PARENT_CALL,
        CareKind.GUARDIAN_CONTACT,
    }  # no talks or letters: those are the school's
    assert all(t.overdue and t.side == "village" for t in tasks if t.child.pk == toddler.pk)


def test_no_school_gets_the_village_childs_tasks(world, toddler, monday):
    principal = world.user("principal")
    assert not _kinds(tasks_for(visible_children(principal), as_of=monday), toddler)
    assert not _kinds(my_tasks(world.user("teacher"), as_of=monday), toddler)


def test_my_tasks_page_shows_the_village_directors_due_work(client, world, toddler, monday):
    client.force_login(world.user("village_director"))
    response = client.get(reverse("care_tasks"))
    assert response.status_code == 200
    names = {(t.child.name, t.kind) for t in response.context["tasks"]}
    assert ("刘小宝", CareKind.GUARDIAN_CONTACT) in names
    assert "联系监护人" in response.content.decode()


def test_the_api_lists_the_child_without_school_or_class(client, world, toddler):
    from carenet.accounts.tokens import token_issue

    token = token_issue(user=world.user("village_director"))[1]
    response = client.get("/api/v1/children", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    [item] = [i for i in response.json()["items"] if i["id"] == toddler.pk]
    assert item["school"] is None and item["class"] is None
    detail = client.get(f"/api/v1/children/{toddler.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert detail.status_code == 200


# --- creating and editing -------------------------------------------------------------

BIRTH = dt.date(2022, 8, 9)


def _form_data(world, **changes):
    data = {
        "name": "周小满",
        "id_number": make_id_number("340827", BIRTH, 377, "F"),
        "ethnicity": "汉族",
        "school_class": "",
        "rural_hukou": "on",
        "village": world.village.pk,
        "health": "healthy",
        "schooling": "preschool",
        "immunization": "complete",
        "risk_level": "low",
        "father-can_guard": "on",
        "mother-can_guard": "on",
    }
    data.update(changes)
    return data


def test_the_village_director_creates_a_child_with_a_village_and_no_school(client, world):
    client.force_login(world.user("village_director"))
    response = client.post(reverse("child_create"), _form_data(world))
    assert response.status_code == 302
    child = Child.objects.get(name="周小满")
    assert child.school_id is None and child.village == world.village


def test_the_county_admin_may_file_a_child_under_a_village(client, world):
    client.force_login(world.user("county_admin"))
    data = _form_data(world, village=world.other_village.pk)
    assert client.post(reverse("child_create"), data).status_code == 302
    assert Child.objects.get(name="周小满").village == world.other_village


def test_a_teacher_cannot_create_a_village_child(client, world):
    client.force_login(world.user("teacher"))
    response = client.post(reverse("child_create"), _form_data(world))
    assert response.status_code == 200
    assert response.context["form"].errors["school_class"]
    assert not Child.objects.filter(name="周小满").exists()


def test_a_child_needs_a_class_or_a_village(client, world):
    client.force_login(world.user("village_director"))
    response = client.post(reverse("child_create"), _form_data(world, village=""))
    assert response.status_code == 200 and response.context["form"].errors["school_class"]


def test_the_village_director_edits_village_children_but_not_school_children(
    client, world, toddler
):
    client.force_login(world.user("village_director"))
    assert client.get(reverse("child_edit", args=[toddler.pk])).status_code == 200
    assert client.get(reverse("child_edit", args=[world.own_child.pk])).status_code == 403


def test_someone_without_any_right_to_file_gets_403(client, world):
    client.force_login(world.user("township_supervisor"))
    assert client.get(reverse("child_create")).status_code == 403


# --- import into a village ----------------------------------------------------------


def _register(tmp_path, rows):
    path = tmp_path / "民政登记表.xlsx"
    path.write_bytes(xlsx([SIMPLE_HEADER, *rows]))
    return str(path)


def test_import_into_a_village_creates_children_without_a_school(world, tmp_path, capsys):
    born = dt.date(2021, 4, 5)
    path = _register(tmp_path, [simple_row(1, "甲", an_id(born), 出生日期=born.isoformat())])
    assert main(["import", "children", path, "--village", world.village.code, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 1
    child = Child.objects.get(name="甲")
    assert child.school_id is None and child.school_class_id is None
    assert child.village == world.village
    assert child in visible_children(world.user("village_director"))
    assert child.family.filter(relation="father", name="王大山").exists()


def test_import_into_a_village_updates_a_school_child_without_moving_them(world, tmp_path, capsys):
    child = world.villager_elsewhere  # at 长岭中学, living in 红星村
    row = simple_row(1, child.name, child.id_number, 父亲姓名="张父")
    path = _register(tmp_path, [row])
    main(["import", "children", path, "--village", world.other_village.code, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert (out["created"], out["updated"]) == (0, 1)
    child.refresh_from_db()
    assert child.school == world.other_school and child.school_class == world.other_class
    assert child.village == world.other_village  # only the residence is updated
    assert Child.objects.filter(id_number_hash=child.id_number_hash).count() == 1
    assert not child.family.filter(name="张父").exists()


def test_a_school_register_enrolls_a_child_filed_under_a_village(world, tmp_path, toddler):
    row = simple_row(1, toddler.name, toddler.id_number, 出生日期="2022-05-06")
    path = _register(tmp_path, [row])
    assert main(["import", "children", path, "--school", world.school.code]) == 0
    toddler.refresh_from_db()
    assert toddler.school == world.school and toddler.school_class.name == "三(2)班"


def test_import_into_an_unknown_village_exits_2(world, tmp_path, capsys):
    path = _register(tmp_path, [simple_row(1, "甲", an_id())])
    assert main(["import", "children", path, "--village", "340827999999"]) == 2
    assert "no village" in capsys.readouterr().err
    assert not Child.objects.filter(name="甲").exists()


def test_a_school_code_is_not_a_village(world, tmp_path):
    path = _register(tmp_path, [simple_row(1, "甲", an_id())])
    assert main(["import", "children", path, "--village", world.school.code]) == 2


def test_school_and_village_together_are_refused(world, tmp_path):
    path = _register(tmp_path, [simple_row(1, "甲", an_id())])
    args = ["import", "children", path, "--school", world.school.code]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--village", world.village.code])
    assert exit_info.value.code == 2


def test_the_import_page_offers_the_village_directors_village(client, world):
    client.force_login(world.user("village_director"))
    response = client.get(reverse("exchange_import"))
    assert response.status_code == 200
    assert list(response.context["form"].fields["school"].queryset) == [world.village]


# --- exports and figures ------------------------------------------------------------


def test_the_register_export_lists_the_village_child(world, toddler, tmp_path):
    out = tmp_path / "红星村.xlsx"
    assert main(["export", "children", "--org", world.village.code, "-o", str(out)]) == 0
    rows = _sheet(out)
    [row] = [r for r in rows if r[1] == "刘小宝"]
    assert row[7] in (None, "")  # 学校


def test_the_indicators_count_the_village_child_where_it_belongs(world, toddler):
    as_of = MONDAY
    with_child = _figures(world.county, as_of)
    assert with_child == _from_scratch(world.county, as_of)
    assert with_child["filing_rate"][1] == 5  # four left-behind pupils and the toddler
    township = _figures(world.township, as_of)
    assert township == _from_scratch(world.township, as_of)
    assert township["filing_rate"][1] == 3  # 华阳小学's two and the toddler of 红星村
    assert _figures(world.village, as_of) == _from_scratch(world.village, as_of)
    assert _figures(world.school, as_of)["filing_rate"][1] == 2  # not the toddler
    # no talks for a child not at a school; home visits and calls are due
    assert with_child["talk_completion"][1] == 4
    assert with_child["home_visit_completion"][1] == 5


def test_the_kept_counts_follow_a_change_to_a_village_child(world, toddler):
    as_of = MONDAY
    _figures(world.county, as_of)
    units = [world.village.pk, world.school.pk]
    assert valid_units(SchoolFigures, units, as_of=as_of) == set(units)
    record_create(
        actor=world.user("village_director"),
        child=toddler,
        kind=CareKind.GUARDIAN_CONTACT,
        date=as_of,
        summary="电话联系祖母",
    )
    assert valid_units(SchoolFigures, units, as_of=as_of) == {world.school.pk}
    assert _figures(world.county, as_of) == _from_scratch(world.county, as_of)


def test_the_statistics_tables_count_the_village_child_in_a_row(world, toddler):
    from carenet.reports.statistics import TOTAL, statistics_table, table_verify

    for org in (world.county, world.township):
        table = statistics_table(org, as_of=MONDAY, children=Child.objects.all())
        table_verify(table)  # every child in a row: the cross-checks hold
        assert sum(row.counts[TOTAL] for row in table.rows) == table.total.counts[TOTAL]
    township = statistics_table(world.township, as_of=MONDAY, children=Child.objects.all())
    [village_row] = [row for row in township.rows if row.code == world.village.code]
    assert village_row.counts[TOTAL] == 1


def test_the_dashboard_rows_add_up_to_the_county_with_the_village_child(world, toddler):
    from carenet.indicators.drill import sub_org_indicators, summed
    from carenet.indicators.selectors import indicators_for

    for org in (world.county, world.township):
        for level in ("school", None):
            rows = sub_org_indicators(org, as_of=MONDAY, level=level, children=Child.objects.all())
            whole = {
                i.key: (i.numerator, i.denominator)
                for i in indicators_for(org, as_of=MONDAY, children=Child.objects.all())
            }
            total = {i.key: (i.numerator, i.denominator) for i in summed(org, rows, as_of=MONDAY)}
            assert total == whole, (org, level)
    rows = sub_org_indicators(
        world.county, as_of=MONDAY, level="school", children=Child.objects.all()
    )
    assert world.village in [row.org for row in rows]


def test_the_dashboards_open_with_the_village_child(client, world, toddler):
    client.force_login(world.user("county_admin"))
    for code in (world.county.code, world.township.code, world.village.code):
        assert client.get(reverse("dashboard"), {"org": code}).status_code == 200, code
        url = reverse("dashboard_indicator_list", args=["filing_rate"])
        response = client.get(url, {"org": code})
        assert response.status_code == 200, code

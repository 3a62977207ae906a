"""``carenet setup county CODE``: a county with its townships and villages from the
official division codes, kept up to date by code, with a care plan; on an empty database."""

from __future__ import annotations

import copy
import datetime as dt
import json
import zoneinfo

import pytest
import time_machine

from carenet.care.models import CarePlan
from carenet.care.selectors import plan_in_force
from carenet.cli import main
from carenet.orgs.divisions import OfficialDivisions, Place, place_name
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.services import SetupError, county_setup

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 10, 12)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture(scope="module")
def wangjiang():
    return OfficialDivisions().county("340827")


class Edited:
    """The official codes with 望江县 changed, as a newer edition would change it."""

    def __init__(self, edit):
        self.edit = edit

    def county(self, code):
        county = copy.deepcopy(OfficialDivisions().county(code))
        if county is not None:
            self.edit(county)
        return county

    def near(self, code, *, limit=5):
        return OfficialDivisions().near(code, limit=limit)


def _places(kind):
    return Org.objects.filter(county_code="340827", kind=kind)


# --- the data --------------------------------------------------------------------------


def test_the_shipped_codes_have_wangjiang_with_its_townships_and_villages(wangjiang):
    assert (wangjiang.name, wangjiang.region) == ("望江县", "安徽省安庆市")
    names = {t.name: t for t in wangjiang.townships}
    assert {"华阳镇", "长岭镇", "雷阳街道", "凉泉乡"} <= set(names)
    assert names["华阳镇"].code == "340827100"
    assert all(t.villages for t in wangjiang.townships)
    assert all(v.code.startswith(t.code) for t in wangjiang.townships for v in t.villages)
    assert "鹤庄村" in {v.name for v in names["雷阳街道"].villages}


def test_a_village_is_named_by_its_place_not_its_committee():
    assert place_name("鹤庄村委会") == "鹤庄村"
    assert place_name("新北社区居委会") == "新北社区"
    assert place_name("小红门村民委员会") == "小红门村"
    assert place_name("大北家园社区居民委员会") == "大北家园社区"
    assert place_name("望江县经济开发区虚拟社区") == "望江县经济开发区虚拟社区"


# --- the service ---------------------------------------------------------------------------


def test_it_creates_the_county_with_every_township_and_village_of_the_codes(wangjiang):
    result = county_setup(code="340827", today=TODAY)
    county = Org.objects.get(code="340827")
    assert (county.name, county.kind, county.county_code, county.is_root()) == (
        "望江县",
        OrgKind.COUNTY,
        "340827",
        True,
    )
    assert result.townships == len(wangjiang.townships) == _places(OrgKind.TOWNSHIP).count()
    assert result.villages == wangjiang.village_count == _places(OrgKind.VILLAGE).count()
    assert result.created == 1 + result.townships + result.villages
    huayang = Org.objects.get(code="340827100")
    assert (huayang.name, huayang.kind, Org.objects.get_parent(huayang)) == (
        "华阳镇",
        "township",
        county,
    )
    village = Org.objects.get(code="340827001200")
    assert (village.name, village.kind, Org.objects.get_parent(village).name) == (
        "鹤庄村",
        "village",
        "雷阳街道",
    )


def test_running_it_twice_changes_nothing():
    first = county_setup(code="340827", today=TODAY)
    rows = list(Org.objects.order_by("pk").values_list("pk", "path", "name", "closed_on"))
    again = county_setup(code="340827", today=TODAY)
    assert not again.changed
    assert (again.townships, again.villages) == (first.townships, first.villages)
    assert list(Org.objects.order_by("pk").values_list("pk", "path", "name", "closed_on")) == rows


def test_a_newer_edition_adds_renames_and_closes_but_never_deletes():
    county_setup(code="340827", today=TODAY)
    gone = Org.objects.get(code="340827001200")  # 鹤庄村

    def edit(county):
        leiyang = county.townships[0]
        leiyang.villages = [v for v in leiyang.villages if v.code != gone.code]
        leiyang.villages.append(Place("340827001299", "新建村"))
        county.townships[1].name = "吉水镇"

    later = TODAY + dt.timedelta(days=400)
    result = county_setup(code="340827", today=later, source=Edited(edit))
    assert (result.created, result.renamed, result.closed, result.reopened) == (1, 1, 1, 0)
    gone.refresh_from_db()
    assert gone.closed_on == later
    new = Org.objects.get(code="340827001299")
    assert (new.name, new.kind, Org.objects.get_parent(new).code, new.closed_on) == (
        "新建村",
        "village",
        "340827001",
        None,
    )
    assert Org.objects.get(code="340827002").name == "吉水镇"
    assert Org.objects.find_problems() == ([], [], [], [], [])
    assert result.villages == _places(OrgKind.VILLAGE).filter(closed_on__isnull=True).count()


def test_a_closed_village_that_comes_back_is_reopened():
    county_setup(code="340827", today=TODAY)

    def drop(county):
        county.townships[0].villages.pop()

    county_setup(code="340827", today=TODAY, source=Edited(drop))
    assert _places(OrgKind.VILLAGE).exclude(closed_on=None).count() == 1
    result = county_setup(code="340827", today=TODAY)
    assert (result.created, result.closed, result.reopened) == (0, 0, 1)
    assert not _places(OrgKind.VILLAGE).exclude(closed_on=None).exists()


def test_a_new_township_comes_with_its_villages():
    county_setup(code="340827", today=TODAY)

    def add(county):
        from carenet.orgs.divisions import Township

        county.townships.append(
            Township(
                "340827201", "新乡", [Place("340827201200", "甲村"), Place("340827201201", "乙村")]
            )
        )

    result = county_setup(code="340827", today=TODAY, source=Edited(add))
    assert result.created == 3
    assert Org.objects.find_problems() == ([], [], [], [], [])
    assert [o.name for o in Org.objects.get_children(Org.objects.get(code="340827201"))] == [
        "甲村",
        "乙村",
    ]


def test_an_unknown_code_names_the_counties_near_it():
    with pytest.raises(SetupError) as error:
        county_setup(code="340829", today=TODAY)
    assert "340829" in str(error.value) and "340827 安徽省安庆市望江县" in str(error.value)
    assert "340827" in [place.code for place in error.value.near]
    assert not Org.objects.exists()


@pytest.mark.parametrize("code", ["34082", "3408270", "abcdef", "", "340827100"])
def test_a_code_that_is_not_six_digits_is_refused(code):
    with pytest.raises(SetupError, match="6 位数字"):
        county_setup(code=code, today=TODAY)


# --- the command ---------------------------------------------------------------------------


def test_the_command_prints_the_contract_json_and_starts_the_care_plan(capsys, wangjiang):
    assert main(["setup", "county", "340827", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "county": "340827",
        "townships": len(wangjiang.townships),
        "villages": wangjiang.village_count,
    }
    county = Org.objects.get(code="340827")
    plan = CarePlan.objects.get()
    assert (plan.org, plan.school_year, plan.preset) == (county, 2026, "weekly_talks")
    huayang = Org.objects.get(code="340827100")
    assert plan_in_force(huayang, TODAY) == plan


def test_the_command_run_twice_creates_no_rows_and_no_second_plan(capsys):
    assert main(["setup", "county", "340827"]) == 0
    out = capsys.readouterr().out
    assert "望江县（340827）" in out and "工作计划" in out and "/setup/" in out
    counts = (Org.objects.count(), CarePlan.objects.count())
    assert main(["setup", "county", "340827"]) == 0
    assert "未作改动" in capsys.readouterr().out
    assert (Org.objects.count(), CarePlan.objects.count()) == counts == (counts[0], 1)


def test_an_unknown_code_exits_2_with_one_line_of_suggestions(capsys):
    assert main(["setup", "county", "340829"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "340829" in err[0] and "340828" in err[0] and "340827" in err[0] and "望江县" in err[0]
    assert not Org.objects.exists() and not CarePlan.objects.exists()


@pytest.mark.parametrize("code", ["34082", "wangjiang"])
def test_a_bad_code_exits_2_with_one_line(capsys, code):
    assert main(["setup", "county", code]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "6 位数字" in err[0]
    assert not Org.objects.exists()


def test_the_command_has_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["setup", "county", "--help"])
    assert exit_info.value.code == 0
    assert "division code" in capsys.readouterr().out


def test_a_code_taken_by_another_org_stops_the_setup_and_changes_nothing():
    from tests.factories import org_add

    other = org_add(None, code="340826", name="宿松县", kind=OrgKind.COUNTY)
    org_add(other, code="340827100", name="错放的镇", kind=OrgKind.TOWNSHIP)
    with pytest.raises(SetupError, match="340827100"):
        county_setup(code="340827", today=TODAY)
    assert not Org.objects.filter(code="340827").exists()


def test_the_first_administrator_is_made_only_while_nobody_has_a_role():
    from carenet.orgs.services import county_admin_first_create

    county = county_setup(code="340827", today=TODAY).county
    user = county_admin_first_create(
        county=county, username="wj_admin", name="江主任", password="望江关爱2026-river"
    )
    assert user.memberships.get().role == "county_admin"
    with pytest.raises(SetupError):
        county_admin_first_create(
            county=county, username="second", name="第二人", password="望江关爱2026-river"
        )

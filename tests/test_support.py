"""Legal aid (法律援助) and the parent school (家长学校): the indicator filters against a
hand count, their date edges, and the pages for the roles allowed and refused."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from carenet.audit.models import AccessLog
from carenet.children.models import Child, FamilyMember, Relation
from carenet.children.services import family_member_save
from carenet.support import selectors, services
from carenet.support.models import LegalAidCase, ParentSchoolAttendance, ParentSchoolSession

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 16)  # a Monday of the autumn term


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(
        dt.datetime(2026, 11, 16, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        yield


def _names(q) -> set[str]:
    return set(Child.objects.filter(q).values_list("name", flat=True))


def _case(world, child, *, opened_on, **data) -> LegalAidCase:
    return services.legal_aid_case_create(
        actor=world.user("principal"), child=child, opened_on=opened_on, matter="抚养费纠纷", **data
    )


def _guardian(child, name="奶奶") -> FamilyMember:
    return family_member_save(
        actor=None, child=child, relation=Relation.GUARDIAN, data={"name": name, "kinship": "祖母"}
    )


def _session(world, org, held_on, attendees, *, actor="principal") -> ParentSchoolSession:
    return services.parent_session_create(
        actor=world.user(actor),
        org=org,
        held_on=held_on,
        topic="如何与孩子沟通",
        offered=attendees,
        attendees=attendees,
    )


# --- the indicator filters -------------------------------------------------------------


class TestLegalAidFilters:
    @pytest.fixture
    def cases(self, world):
        """- 王子涵 (own_child): eligible, opened 2026-03-01, aided 03-10, closed 05-01;
        - 曾小雨 (mentee): eligible, opened 2025-06-01, still open, not aided;
        - 李明 (school_child): eligible, opened 2025-06-01, closed 2025-12-01 (too old);
        - 张伟 (villager_elsewhere): not eligible, opened 2026-05-01, aided;
        - 赵强 (outsider): eligible, opened 2026-10-01, aided 2026-10-20, two cases.
        """
        _case(
            world,
            world.own_child,
            opened_on=dt.date(2026, 3, 1),
            aided=True,
            aided_on=dt.date(2026, 3, 10),
            provider="legal_aid_center",
            closed_on=dt.date(2026, 5, 1),
        )
        _case(world, world.mentee, opened_on=dt.date(2025, 6, 1))
        _case(
            world, world.school_child, opened_on=dt.date(2025, 6, 1), closed_on=dt.date(2025, 12, 1)
        )
        _case(
            world,
            world.villager_elsewhere,
            opened_on=dt.date(2026, 5, 1),
            eligible=False,
            aided=True,
            aided_on=dt.date(2026, 5, 2),
        )
        for _ in range(2):
            _case(
                world,
                world.outsider,
                opened_on=dt.date(2026, 10, 1),
                aided=True,
                aided_on=dt.date(2026, 10, 20),
            )

    def test_eligible_children_equal_the_hand_count(self, world, cases):
        assert _names(selectors.legal_aid_eligible(TODAY)) == {"王子涵", "曾小雨", "赵强"}
        # Two cases of one child count the child once.
        assert Child.objects.filter(selectors.legal_aid_eligible(TODAY)).count() == 3

    def test_aided_children_equal_the_hand_count(self, world, cases):
        assert _names(selectors.legal_aid_given(TODAY)) == {"王子涵", "赵强"}

    def test_aid_given_after_the_day_counted_does_not_count_yet(self, world, cases):
        day = dt.date(2026, 10, 10)
        assert "赵强" in _names(selectors.legal_aid_eligible(day))
        assert "赵强" not in _names(selectors.legal_aid_given(day))

    def test_a_case_opened_after_the_day_counted_does_not_count(self, world, cases):
        day = dt.date(2026, 2, 28)
        assert _names(selectors.legal_aid_eligible(day)) == {"曾小雨", "李明"}

    def test_the_twelve_month_window_ends_the_day_after_one_year(self, world):
        _case(
            world, world.own_child, opened_on=dt.date(2025, 11, 17), closed_on=dt.date(2025, 12, 1)
        )
        assert _names(selectors.legal_aid_eligible(dt.date(2026, 11, 16))) == {"王子涵"}
        assert _names(selectors.legal_aid_eligible(dt.date(2026, 11, 17))) == set()

    def test_an_old_case_counts_while_it_is_open(self, world):
        case = _case(world, world.own_child, opened_on=dt.date(2024, 1, 1))
        assert _names(selectors.legal_aid_eligible(TODAY)) == {"王子涵"}
        # Closed later than the day counted: still open on that day.
        LegalAidCase.objects.filter(pk=case.pk).update(closed_on=dt.date(2026, 12, 1))
        assert _names(selectors.legal_aid_eligible(TODAY)) == {"王子涵"}
        assert _names(selectors.legal_aid_eligible(dt.date(2026, 12, 1))) == set()

    def test_the_aid_must_belong_to_a_counted_case(self, world):
        # Aided but not eligible, and eligible but not aided: not given.
        _case(
            world,
            world.own_child,
            opened_on=dt.date(2026, 6, 1),
            eligible=False,
            aided=True,
            aided_on=dt.date(2026, 6, 2),
        )
        _case(world, world.own_child, opened_on=dt.date(2026, 7, 1))
        assert _names(selectors.legal_aid_eligible(TODAY)) == {"王子涵"}
        assert _names(selectors.legal_aid_given(TODAY)) == set()


class TestParentSchoolFilters:
    @pytest.fixture
    def sessions(self, world):
        """Guardians: 王子涵, 曾小雨, 李明 (张伟 and 赵强 have none; 张伟 has a father).

        - 2026-09-01 (first day of the school year) at 华阳小学: 王子涵's guardian;
        - 2026-08-31 (last day of the previous year) at 华阳小学: 曾小雨's guardian;
        - 2026-11-10 at 红星村: 张伟's father (a parent, not a guardian) and 李明's guardian.
        """
        own = _guardian(world.own_child)
        mentee = _guardian(world.mentee, "外婆")
        school_child = _guardian(world.school_child, "爷爷")
        father = FamilyMember.objects.get(child=world.villager_elsewhere, relation=Relation.FATHER)
        _session(world, world.school, dt.date(2026, 9, 1), [own])
        _session(world, world.school, dt.date(2026, 8, 31), [mentee])
        _session(
            world,
            world.village,
            dt.date(2026, 11, 10),
            [father, school_child],
            actor="village_director",
        )

    def test_children_with_a_guardian_equal_the_hand_count(self, world, sessions):
        assert _names(selectors.has_guardian()) == {"王子涵", "曾小雨", "李明"}

    def test_attending_guardians_equal_the_hand_count(self, world, sessions):
        assert _names(selectors.guardian_attended(TODAY)) == {"王子涵", "李明"}
        assert _names(selectors.guardian_attended(TODAY)) <= _names(selectors.has_guardian())

    def test_the_school_year_starts_on_the_first_of_september(self, world, sessions):
        assert _names(selectors.guardian_attended(dt.date(2026, 8, 31))) == {"曾小雨"}
        assert _names(selectors.guardian_attended(dt.date(2026, 9, 1))) == {"王子涵"}
        assert _names(selectors.guardian_attended(dt.date(2027, 8, 31))) == {"王子涵", "李明"}
        assert _names(selectors.guardian_attended(dt.date(2027, 9, 1))) == set()

    def test_a_session_after_the_day_counted_does_not_count(self, world, sessions):
        assert _names(selectors.guardian_attended(dt.date(2026, 11, 9))) == {"王子涵"}

    def test_only_schools_and_villages_hold_sessions(self, world):
        with pytest.raises(ValidationError):
            _session(world, world.township, dt.date(2026, 10, 9), [])
        assert not ParentSchoolSession.objects.exists()

    def test_the_school_year_start(self):
        assert selectors.school_year_start(dt.date(2026, 8, 31)) == dt.date(2025, 9, 1)
        assert selectors.school_year_start(dt.date(2026, 9, 1)) == dt.date(2026, 9, 1)
        assert selectors.school_year_start(dt.date(2027, 1, 5)) == dt.date(2026, 9, 1)


# --- legal aid pages -------------------------------------------------------------------


def _list_url(child):
    return f"/support/children/{child.pk}/legal-aid/"


def _case_form(**overrides):
    data = {
        "opened_on": "2026-11-02",
        "matter": "父母离异，抚养费未按时支付",
        "eligible": "on",
        "aided_on": "",
        "provider": "",
        "closed_on": "",
    }
    data.update(overrides)
    return data


class TestLegalAidPages:
    def test_a_reader_of_the_file_sees_the_cases_and_the_read_is_logged(self, world, client):
        _case(world, world.own_child, opened_on=dt.date(2026, 11, 2))
        client.force_login(world.user("township_supervisor"))
        response = client.get(_list_url(world.own_child))
        assert response.status_code == 200
        body = response.content.decode()
        assert "抚养费纠纷" in body and "登记案件" not in body and "结案" not in body
        entry = AccessLog.objects.filter(child=world.own_child).latest("pk")
        assert entry.user == world.user("township_supervisor") and entry.detail == "法律援助"

    def test_a_user_who_cannot_see_the_child_gets_not_found(self, world, client):
        case = _case(world, world.own_child, opened_on=dt.date(2026, 11, 2))
        client.force_login(world.user("stranger_teacher"))
        assert client.get(_list_url(world.own_child)).status_code == 404
        assert (
            client.post(f"/support/children/{world.own_child.pk}/legal-aid/new/").status_code == 404
        )
        assert client.get(f"/support/legal-aid/{case.pk}/edit/").status_code == 404
        assert client.post(f"/support/legal-aid/{case.pk}/close/").status_code == 404
        assert not AccessLog.objects.filter(child=world.own_child).exists()

    def test_a_reader_who_may_not_edit_is_refused(self, world, client):
        case = _case(world, world.own_child, opened_on=dt.date(2026, 11, 2))
        client.force_login(world.user("village_director"))
        new = f"/support/children/{world.own_child.pk}/legal-aid/new/"
        assert client.get(new).status_code == 403
        assert client.post(new, _case_form()).status_code == 403
        assert client.post(f"/support/legal-aid/{case.pk}/edit/", _case_form()).status_code == 403
        close = {"closed_on": "2026-11-16"}
        assert client.post(f"/support/legal-aid/{case.pk}/close/", close).status_code == 403
        case.refresh_from_db()
        assert LegalAidCase.objects.count() == 1 and case.closed_on is None

    def test_an_editor_records_a_case(self, world, client):
        client.force_login(world.user("teacher"))
        new = f"/support/children/{world.own_child.pk}/legal-aid/new/"
        assert client.get(new).status_code == 200
        data = _case_form(aided="on", aided_on="2026-11-10", provider="justice_office")
        response = client.post(new, data)
        assert response.status_code == 302 and response["Location"] == _list_url(world.own_child)
        case = LegalAidCase.objects.get()
        assert (case.child, case.recorded_by) == (world.own_child, world.user("teacher"))
        assert (
            case.aided and case.aided_on == dt.date(2026, 11, 10) and case.county_code == "340827"
        )
        assert case.history.get().history_user == world.user("teacher")

    def test_an_invalid_case_is_shown_again_with_what_was_typed(self, world, client):
        client.force_login(world.user("principal"))
        new = f"/support/children/{world.own_child.pk}/legal-aid/new/"
        response = client.post(new, _case_form(aided="on", matter="监护权确认"))
        assert response.status_code == 400
        body = response.content.decode()
        assert "已获得法律援助时，请填写援助日期。" in body and "监护权确认" in body
        response = client.post(new, _case_form(matter=""))
        assert response.status_code == 400 and "这个字段是必填项。" in response.content.decode()
        response = client.post(new, _case_form(opened_on="2026-12-01"))
        assert response.status_code == 400 and "立案日期不能晚于今天。" in response.content.decode()
        response = client.post(new, _case_form(closed_on="2026-10-01"))
        assert response.status_code == 400 and "不能早于立案日期。" in response.content.decode()
        assert not LegalAidCase.objects.exists()

    def test_an_editor_corrects_a_case_and_its_history_is_kept(self, world, client):
        case = _case(world, world.own_child, opened_on=dt.date(2026, 11, 2))
        client.force_login(world.user("principal"))
        url = f"/support/legal-aid/{case.pk}/edit/"
        assert "抚养费纠纷" in client.get(url).content.decode()
        response = client.post(url, _case_form(aided="on", aided_on="2026-11-12"))
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.aided and case.aided_on == dt.date(2026, 11, 12)
        assert case.history.count() == 2
        response = client.post(url, _case_form(aided_on="2026-11-12"))
        assert response.status_code == 400
        assert "请勾选“已获得法律援助”" in response.content.decode()

    def test_an_editor_closes_a_case(self, world, client):
        case = _case(world, world.own_child, opened_on=dt.date(2026, 11, 2))
        client.force_login(world.user("principal"))
        url = f"/support/legal-aid/{case.pk}/close/"
        assert client.get(url).status_code == 405
        response = client.post(url, {"closed_on": "2026-11-01"})
        assert response.status_code == 400 and "不能早于立案日期。" in response.content.decode()
        response = client.post(url, {"closed_on": "2026-11-15"})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.closed_on == dt.date(2026, 11, 15)
        response = client.post(url, {"closed_on": "2026-11-16"})
        assert response.status_code == 400 and "该案件已结案。" in response.content.decode()

    def test_the_child_file_links_to_legal_aid(self, world, client):
        client.force_login(world.user("teacher"))
        body = client.get(f"/children/{world.own_child.pk}/").content.decode()
        assert _list_url(world.own_child) in body and "legal-aid/new/" in body
        client.force_login(world.user("township_supervisor"))
        body = client.get(f"/children/{world.own_child.pk}/").content.decode()
        assert _list_url(world.own_child) in body and "legal-aid/new/" not in body


# --- parent-school pages ---------------------------------------------------------------


def _session_form(members=(), **overrides):
    data = {
        "held_on": "2026-11-14",
        "topic": "留守儿童的心理健康",
        "speaker": "县妇联 刘老师",
        "others_count": "3",
        "attendees": [str(m.pk) for m in members],
    }
    data.update(overrides)
    return data


class TestParentSchoolPages:
    def test_the_navbar_links_to_the_parent_school_for_staff_only(self, world, client):
        client.force_login(world.user("teacher"))
        assert 'href="/support/parent-school/"' in client.get("/").content.decode()
        client.force_login(world.user("nobody"))
        assert 'href="/support/parent-school/"' not in client.get("/").content.decode()

    def test_the_home_lists_the_schools_and_villages_in_view(self, world, client):
        client.force_login(world.user("county_admin"))
        body = client.get("/support/parent-school/").content.decode()
        for org in (world.school, world.other_school, world.village, world.other_village):
            assert f"/support/parent-school/orgs/{org.pk}/" in body
        client.force_login(world.user("principal"))
        response = client.get("/support/parent-school/")
        assert response.status_code == 302
        assert response["Location"] == f"/support/parent-school/orgs/{world.school.pk}/"
        client.force_login(world.user("nobody"))
        response = client.get("/support/parent-school/")
        assert (
            response.status_code == 200
            and "没有可查看的学校或村（社区）。" in response.content.decode()
        )

    def test_a_reader_sees_the_sessions_without_writing(self, world, client):
        _session(world, world.school, dt.date(2026, 10, 9), [_guardian(world.own_child)])
        client.force_login(world.user("township_supervisor"))
        response = client.get(f"/support/parent-school/orgs/{world.school.pk}/")
        body = response.content.decode()
        assert response.status_code == 200 and "如何与孩子沟通" in body and "登记活动" not in body
        new = f"/support/parent-school/orgs/{world.school.pk}/new/"
        assert client.get(new).status_code == 403
        assert client.post(new, _session_form()).status_code == 403
        session = ParentSchoolSession.objects.get()
        assert client.get(f"/support/parent-school/{session.pk}/edit/").status_code == 403
        assert ParentSchoolSession.objects.count() == 1

    @pytest.mark.parametrize("role", ["stranger_teacher", "village_director", "nobody"])
    def test_a_school_out_of_sight_is_not_found(self, world, client, role):
        _session(world, world.school, dt.date(2026, 10, 9), [])
        session = ParentSchoolSession.objects.get()
        client.force_login(world.user(role))
        assert client.get(f"/support/parent-school/orgs/{world.school.pk}/").status_code == 404
        new = f"/support/parent-school/orgs/{world.school.pk}/new/"
        assert client.post(new, _session_form()).status_code == 404
        assert (
            client.post(f"/support/parent-school/{session.pk}/edit/", _session_form()).status_code
            == 404
        )
        assert ParentSchoolSession.objects.count() == 1

    def test_a_principal_records_a_session_with_its_guardians(self, world, client):
        own, mentee = _guardian(world.own_child), _guardian(world.mentee, "外婆")
        outsider = _guardian(world.outsider, "舅舅")
        client.force_login(world.user("principal"))
        new = f"/support/parent-school/orgs/{world.school.pk}/new/"
        body = client.get(new).content.decode()
        assert "王子涵（一(1)班） · 委托监护人 奶奶" in body and "外婆" in body
        assert "舅舅" not in body  # another school's guardian is not offered
        response = client.post(new, _session_form([own, mentee]))
        assert response.status_code == 302
        session = ParentSchoolSession.objects.get()
        assert (session.org, session.others_count, session.county_code) == (
            world.school,
            3,
            "340827",
        )
        assert set(session.attendees.all()) == {own, mentee}
        response = client.post(new, _session_form([outsider]))
        assert response.status_code == 400
        assert ParentSchoolSession.objects.count() == 1

    def test_a_village_director_records_the_villages_session(self, world, client):
        guardian = _guardian(world.villager_elsewhere, "姑姑")
        client.force_login(world.user("village_director"))
        new = f"/support/parent-school/orgs/{world.village.pk}/new/"
        assert "姑姑" in client.get(new).content.decode()
        assert client.post(new, _session_form([guardian])).status_code == 302
        assert ParentSchoolAttendance.objects.get().member == guardian

    def test_an_invalid_session_is_shown_again_with_what_was_typed(self, world, client):
        client.force_login(world.user("teacher"))
        new = f"/support/parent-school/orgs/{world.school.pk}/new/"
        response = client.post(new, _session_form(held_on="2026-12-01", others_count="-1"))
        assert response.status_code == 400
        body = response.content.decode()
        assert "县妇联 刘老师" in body and "确保该值大于或等于0。" in body
        response = client.post(new, _session_form(held_on="2026-12-01"))
        assert response.status_code == 400 and "活动日期不能晚于今天。" in response.content.decode()
        response = client.post(new, _session_form(topic="", held_on="2026-11-14"))
        assert response.status_code == 400 and "这个字段是必填项。" in response.content.decode()
        assert not ParentSchoolSession.objects.exists()

    def test_a_class_teacher_editing_keeps_the_other_classes_attendance(self, world, client):
        """The teacher sees their class and their mentee, not 李明 of 二(1)班: their edit
        must not drop 李明's guardian, whom the principal ticked."""
        own, school_child = _guardian(world.own_child), _guardian(world.school_child, "爷爷")
        _session(world, world.school, dt.date(2026, 10, 9), [school_child])
        session = ParentSchoolSession.objects.get()
        client.force_login(world.user("teacher"))
        url = f"/support/parent-school/{session.pk}/edit/"
        body = client.get(url).content.decode()
        assert "奶奶" in body and "爷爷" not in body
        response = client.post(url, _session_form([own], topic="家庭教育讲座"))
        assert response.status_code == 302
        session.refresh_from_db()
        assert session.topic == "家庭教育讲座"
        assert set(session.attendees.all()) == {own, school_child}
        response = client.post(url, _session_form([], topic="家庭教育讲座"))
        assert set(session.attendees.all()) == {school_child}


def test_the_filters_count_in_one_aggregate_and_the_schools_add_up(world):
    """As ``indicators_for`` counts: one aggregate over the children in care, each filter a
    ``Count(filter=…)``; the two schools' figures sum to the county's."""
    from django.db.models import Count

    from carenet.indicators.selectors import children_in_care

    _case(world, world.own_child, opened_on=dt.date(2026, 3, 1))
    _case(world, world.outsider, opened_on=dt.date(2026, 3, 1))
    _case(world, world.outsider, opened_on=dt.date(2026, 4, 1), aided=True, aided_on=TODAY)
    guardians = [_guardian(world.mentee), _guardian(world.outsider, "舅舅")]
    _session(world, world.other_school, dt.date(2026, 10, 9), guardians[1:], actor="county_admin")
    filters = {
        "eligible": selectors.legal_aid_eligible(TODAY),
        "given": selectors.legal_aid_given(TODAY),
        "guardian": selectors.has_guardian(),
        "attended": selectors.guardian_attended(TODAY),
    }

    def counts(org):
        return children_in_care(org, as_of=TODAY, children=Child.objects.all()).aggregate(
            **{key: Count("pk", filter=q) for key, q in filters.items()}
        )

    county = counts(world.county)
    assert county == {"eligible": 2, "given": 1, "guardian": 2, "attended": 1}
    schools = [counts(world.school), counts(world.other_school)]
    assert schools[0] == {"eligible": 1, "given": 0, "guardian": 1, "attended": 0}
    assert {key: sum(s[key] for s in schools) for key in county} == county


def test_the_demo_county_has_sessions_and_cases_and_rebuilds():
    """The demo's guardians went to parent-school sessions and a few children got legal
    aid; a rebuild (which removes the demo's users before its orgs) still works."""
    from django.db.models import Count

    from carenet.demo.services import demo_build
    from carenet.indicators.selectors import children_in_care
    from carenet.orgs.models import Org

    demo_build(children=600, seed=3)
    county = Org.objects.get(kind="county")
    counts = children_in_care(county, as_of=TODAY, children=Child.objects.all()).aggregate(
        eligible=Count("pk", filter=selectors.legal_aid_eligible(TODAY)),
        given=Count("pk", filter=selectors.legal_aid_given(TODAY)),
        guardian=Count("pk", filter=selectors.has_guardian()),
        attended=Count("pk", filter=selectors.guardian_attended(TODAY)),
    )
    assert 0 < counts["attended"] < counts["guardian"]
    assert counts["given"] <= counts["eligible"]
    sessions = ParentSchoolSession.objects.filter(county_code=county.county_code)
    assert sessions.exists() and all(s.held_on <= TODAY for s in sessions)
    assert LegalAidCase.objects.filter(county_code=county.county_code).exists()
    demo_build(children=600, seed=3, reset=True)
    assert ParentSchoolSession.objects.filter(county_code=county.county_code).exists()

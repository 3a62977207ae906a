"""Activities (关爱活动) of schools, classes and villages: the rules of the services, the
pages for the roles allowed and refused, the child's timeline and the work summary's
counts against a hand count."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carenet.childplans.selectors import EntryKind, child_timeline
from carenet.children.access import visible_children
from carenet.children.models import Child
from carenet.reports.layout import summary_document
from carenet.reports.summary import work_summary_build
from carenet.support import selectors, services
from carenet.support.models import Activity, ActivityParticipation

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 16)  # a Monday of the autumn term


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(
        dt.datetime(2026, 11, 16, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        yield


def _activity(
    world,
    org,
    held_on,
    participants=(),
    *,
    kind="theme_meeting",
    title="感恩父母",
    actor="principal",
) -> Activity:
    return services.activity_create(
        actor=world.user(actor),
        org=org,
        held_on=held_on,
        kind=kind,
        title=title,
        offered=participants,
        participants=participants,
    )


def _form(children=(), **overrides):
    data = {
        "held_on": "2026-11-14",
        "kind": "festival",
        "title": "中秋节包月饼",
        "summary": "和留守儿童一起做月饼、给父母打电话",
        "others_count": "4",
        "participants": [str(c.pk) for c in children],
    }
    data.update(overrides)
    return data


def _list(org) -> str:
    return f"/support/activities/orgs/{org.pk}/"


def _new(org) -> str:
    return f"/support/activities/orgs/{org.pk}/new/"


def _edit(activity) -> str:
    return f"/support/activities/{activity.pk}/edit/"


# --- services ---------------------------------------------------------------------------


class TestServices:
    def test_an_activity_keeps_its_org_county_and_participants(self, world):
        activity = _activity(world, world.class_1, dt.date(2026, 10, 9), [world.own_child])
        assert (activity.org, activity.county_code, activity.recorded_by) == (
            world.class_1,
            "340827",
            world.user("principal"),
        )
        assert list(activity.participants.all()) == [world.own_child]
        assert ActivityParticipation.objects.get().county_code == "340827"

    def test_a_future_date_an_unknown_kind_and_an_empty_title_are_refused(self, world):
        with pytest.raises(ValidationError) as raised:
            services.activity_create(
                actor=world.user("principal"),
                org=world.school,
                held_on=TODAY + dt.timedelta(days=1),
                kind="picnic",
                title="  ",
            )
        assert raised.value.message_dict == {
            "held_on": ["活动日期不能晚于今天。"],
            "kind": ["请选择活动类型。"],
            "title": ["请填写活动主题。"],
        }
        assert not Activity.objects.exists()

    def test_today_is_not_in_the_future(self, world):
        assert _activity(world, world.school, TODAY).held_on == TODAY

    def test_a_participant_who_was_not_offered_is_refused_and_nothing_is_saved(self, world):
        with pytest.raises(ValidationError) as raised:
            services.activity_create(
                actor=world.user("principal"),
                org=world.school,
                held_on=TODAY,
                kind="safety",
                title="防溺水安全教育",
                offered=[world.own_child],
                participants=[world.own_child, world.outsider],
            )
        assert raised.value.message_dict == {"participants": ["只能勾选名单中的儿童。"]}
        assert not Activity.objects.exists() and not ActivityParticipation.objects.exists()

    def test_only_schools_classes_and_villages_hold_activities(self, world):
        with pytest.raises(ValidationError):
            _activity(world, world.township, dt.date(2026, 10, 9), actor="county_admin")

    def test_the_children_offered_are_those_in_sight_left_behind_first(self, world):
        """李明's parents are at home: he comes after the left-behind children. The
        teacher sees their class and their mentee, not 李明; nobody sees 赵强 of the
        other township from the school."""
        offered = selectors.offered_participants(world.user("principal"), world.school)
        assert [c.name for c in offered][-1] == "李明"
        assert {c.name for c in offered} == {"王子涵", "曾小雨", "李明"}
        assert [c.left_behind for c in offered] == [True, True, False]
        teacher = selectors.offered_participants(world.user("teacher"), world.school)
        assert {c.name for c in teacher} == {"王子涵", "曾小雨"}
        assert [
            c.name for c in selectors.offered_participants(world.user("teacher"), world.class_1)
        ] == ["王子涵"]
        village = selectors.offered_participants(world.user("village_director"), world.village)
        assert [c.name for c in village][-1] == "李明"
        assert {c.name for c in village} == {"王子涵", "曾小雨", "李明", "张伟"}

    def test_an_update_keeps_the_participants_the_writer_was_not_offered(self, world):
        activity = _activity(
            world, world.school, dt.date(2026, 10, 9), [world.school_child, world.own_child]
        )
        services.activity_update(
            actor=world.user("teacher"),
            activity=activity,
            held_on=dt.date(2026, 10, 8),
            kind="group",
            title="拔河比赛",
            summary="",
            others_count=2,
            offered=[world.own_child, world.mentee],
            participants=[world.mentee],
        )
        activity.refresh_from_db()
        assert (activity.held_on, activity.kind, activity.title, activity.others_count) == (
            dt.date(2026, 10, 8),
            "group",
            "拔河比赛",
            2,
        )
        assert set(activity.participants.all()) == {world.school_child, world.mentee}


# --- pages -----------------------------------------------------------------------------


class TestPages:
    def test_anonymous_users_are_sent_to_log_in(self, world, client):
        activity = _activity(world, world.school, dt.date(2026, 10, 9))
        urls = ["/support/activities/", _list(world.school), _new(world.school), _edit(activity)]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302 and "/login/" in response["Location"], url
        assert client.post(_new(world.school), _form()).status_code == 302
        assert Activity.objects.count() == 1

    def test_the_navbar_links_to_the_activities_for_staff_only(self, world, client):
        client.force_login(world.user("teacher"))
        assert 'href="/support/activities/"' in client.get("/").content.decode()
        client.force_login(world.user("nobody"))
        assert 'href="/support/activities/"' not in client.get("/").content.decode()

    def test_the_home_lists_the_schools_and_villages_in_view(self, world, client):
        client.force_login(world.user("county_admin"))
        body = client.get("/support/activities/").content.decode()
        for org in (world.school, world.other_school, world.village, world.other_village):
            assert _list(org) in body
        client.force_login(world.user("principal"))
        response = client.get("/support/activities/")
        assert response.status_code == 302 and response["Location"] == _list(world.school)
        client.force_login(world.user("nobody"))
        response = client.get("/support/activities/")
        assert response.status_code == 200
        assert "没有可查看的学校或村（社区）。" in response.content.decode()

    @pytest.mark.parametrize("role", ["township_supervisor", "county_admin"])
    def test_a_reader_sees_the_activities_without_writing(self, world, client, role):
        activity = _activity(world, world.school, dt.date(2026, 10, 9), [world.own_child])
        client.force_login(world.user(role))
        response = client.get(_list(world.school))
        body = response.content.decode()
        assert response.status_code == 200 and "感恩父母" in body and "登记活动" not in body
        assert client.get(_new(world.school)).status_code == 403
        assert client.post(_new(world.school), _form()).status_code == 403
        assert client.get(_edit(activity)).status_code == 403
        assert client.post(_edit(activity), _form()).status_code == 403
        assert client.get(_new(world.class_1)).status_code == 403
        activity.refresh_from_db()
        assert Activity.objects.count() == 1 and activity.title == "感恩父母"

    @pytest.mark.parametrize("role", ["stranger_teacher", "village_director", "nobody"])
    def test_a_school_out_of_sight_is_not_found(self, world, client, role):
        activity = _activity(world, world.class_1, dt.date(2026, 10, 9))
        client.force_login(world.user(role))
        for org in (world.school, world.class_1):
            assert client.get(_list(org)).status_code == 404
            assert client.get(_new(org)).status_code == 404
            assert client.post(_new(org), _form()).status_code == 404
        assert client.get(_edit(activity)).status_code == 404
        assert client.post(_edit(activity), _form()).status_code == 404
        assert Activity.objects.count() == 1

    def test_another_schools_class_is_not_found_for_a_principal(self, world, client):
        client.force_login(world.user("principal"))
        assert client.get(_new(world.other_class)).status_code == 404

    @pytest.mark.parametrize(
        "role, org",
        [
            ("principal", "school"),
            ("principal", "class_2"),
            ("teacher", "class_1"),
            ("teacher", "school"),
            ("village_director", "village"),
        ],
    )
    def test_a_writer_records_an_activity(self, world, client, role, org):
        org = getattr(world, org)
        client.force_login(world.user(role))
        assert client.get(_new(org)).status_code == 200
        response = client.post(_new(org), _form())
        assert response.status_code == 302 and response["Location"] == _list(org)
        activity = Activity.objects.get()
        assert (activity.org, activity.kind, activity.others_count, activity.recorded_by) == (
            org,
            "festival",
            4,
            world.user(role),
        )
        assert "中秋节包月饼" in client.get(_list(org)).content.decode()

    def test_the_form_offers_the_children_in_sight_and_saves_those_ticked(self, world, client):
        client.force_login(world.user("principal"))
        body = client.get(_new(world.school)).content.decode()
        assert "王子涵（一(1)班） · 留守" in body and "李明（二(1)班）" in body
        assert "赵强" not in body  # another school's child is not offered
        response = client.post(_new(world.school), _form([world.own_child, world.mentee]))
        assert response.status_code == 302
        assert set(Activity.objects.get().participants.all()) == {world.own_child, world.mentee}

    def test_a_child_out_of_scope_cannot_be_ticked(self, world, client):
        client.force_login(world.user("principal"))
        response = client.post(_new(world.school), _form([world.own_child, world.outsider]))
        assert response.status_code == 400
        assert "中秋节包月饼" in response.content.decode()
        assert not Activity.objects.exists() and not ActivityParticipation.objects.exists()

    def test_an_invalid_form_is_shown_again_with_what_was_typed(self, world, client):
        client.force_login(world.user("teacher"))
        new = _new(world.class_1)
        response = client.post(new, _form(held_on="2026-12-01", others_count="-1"))
        body = response.content.decode()
        assert response.status_code == 400
        assert "中秋节包月饼" in body and "和留守儿童一起做月饼" in body
        assert "确保该值大于或等于0。" in body
        response = client.post(new, _form(held_on="2026-12-01"))
        assert response.status_code == 400 and "活动日期不能晚于今天。" in response.content.decode()
        response = client.post(new, _form(title="", kind=""))
        assert response.status_code == 400
        assert response.content.decode().count("这个字段是必填项。") == 2
        assert not Activity.objects.exists()

    def test_a_writer_corrects_an_activity(self, world, client):
        activity = _activity(world, world.school, dt.date(2026, 10, 9), [world.school_child])
        client.force_login(world.user("teacher"))
        body = client.get(_edit(activity)).content.decode()
        assert "感恩父母" in body and "李明" not in body  # 李明 is not the teacher's
        assert 'value="2026-10-09"' in body  # ISO, as a browser's date input needs
        response = client.post(_edit(activity), _form([world.own_child], title="重阳节敬老"))
        assert response.status_code == 302
        activity.refresh_from_db()
        assert activity.title == "重阳节敬老" and activity.kind == "festival"
        assert set(activity.participants.all()) == {world.school_child, world.own_child}
        response = client.post(_edit(activity), _form(title=""))
        assert response.status_code == 400
        activity.refresh_from_db()
        assert activity.title == "重阳节敬老"

    def test_the_school_lists_its_classes_activities_and_links_the_classes(self, world, client):
        _activity(world, world.school, dt.date(2026, 9, 25), kind="festival", title="中秋游园")
        _activity(world, world.class_1, dt.date(2026, 10, 9), title="我的家乡")
        client.force_login(world.user("principal"))
        body = client.get(_list(world.school)).content.decode()
        assert "中秋游园" in body and "我的家乡" in body
        assert _list(world.class_1) in body and _list(world.class_2) in body
        body = client.get(_list(world.class_1)).content.decode()
        assert "我的家乡" in body and "中秋游园" not in body


# --- the child's timeline ---------------------------------------------------------------


def test_the_childs_timeline_shows_the_activities_taken_part_in(world, client):
    _activity(world, world.class_1, dt.date(2026, 10, 9), [world.own_child], title="我的家乡")
    _activity(world, world.school, dt.date(2026, 10, 10), [world.mentee], title="拔河比赛")
    entries = child_timeline(world.user("principal"), world.own_child)
    taken = [e for e in entries if e.kind == EntryKind.ACTIVITY]
    assert [(e.when, e.title, e.detail) for e in taken] == [
        (dt.date(2026, 10, 9), "参加活动：主题班会", "一(1)班 · 我的家乡")
    ]
    client.force_login(world.user("township_supervisor"))
    body = client.get(f"/children/{world.own_child.pk}/").content.decode()
    assert "参加活动：主题班会" in body and "我的家乡" in body and "拔河比赛" not in body


# --- the work summary -------------------------------------------------------------------

START, END = dt.date(2026, 9, 1), TODAY


@pytest.fixture
def activities(world):
    """In the autumn term 2026:
    - 华阳小学 festival 09-25: 王子涵, 曾小雨, 李明;
    - 一(1)班 theme meetings 10-09 and 11-05: 王子涵 both times;
    - 红星村 safety 10-20: 王子涵, 张伟 (who goes to 长岭中学);
    - 长岭中学 safety 10-21: 赵强;
    - and before the term: 华阳小学 group 08-20: 王子涵."""
    own, mentee, pupil = world.own_child, world.mentee, world.school_child
    _activity(world, world.school, dt.date(2026, 9, 25), [own, mentee, pupil], kind="festival")
    _activity(world, world.class_1, dt.date(2026, 10, 9), [own])
    _activity(world, world.class_1, dt.date(2026, 11, 5), [own])
    _activity(
        world, world.village, dt.date(2026, 10, 20), [own, world.villager_elsewhere], kind="safety"
    )
    _activity(
        world,
        world.other_school,
        dt.date(2026, 10, 21),
        [world.outsider],
        kind="safety",
        actor="county_admin",
    )
    _activity(world, world.school, dt.date(2026, 8, 20), [own], kind="group")


def _counts(summary) -> dict[str, tuple[int, int]]:
    return {
        row.kind: (row.activities, row.children) for row in summary.activities if row.activities
    }


def test_the_summary_counts_the_activities_like_a_hand_count(world, activities):
    school = work_summary_build(
        org=world.school, start=START, end=END, children=Child.objects.all()
    )
    assert _counts(school) == {"festival": (1, 3), "theme_meeting": (2, 1)}
    assert school.activities_total == 3
    assert [row.kind for row in school.activities][:3] == ["theme_meeting", "group", "festival"]
    klass = work_summary_build(
        org=world.class_1, start=START, end=END, children=Child.objects.all()
    )
    assert _counts(klass) == {"theme_meeting": (2, 1)}  # the school's festival is not the class's
    village = work_summary_build(
        org=world.village, start=START, end=END, children=Child.objects.all()
    )
    assert _counts(village) == {"safety": (1, 2)}
    county = work_summary_build(
        org=world.county, start=START, end=END, children=Child.objects.all()
    )
    assert _counts(county) == {"festival": (1, 3), "theme_meeting": (2, 1), "safety": (2, 3)}
    before = work_summary_build(
        org=world.school, start=dt.date(2026, 8, 1), end=END, children=Child.objects.all()
    )
    assert _counts(before)["group"] == (1, 1)


def test_the_summary_counts_only_the_children_in_scope(world, activities):
    """The principal sees 华阳小学's children: the safety activities still count, but
    only 王子涵 among their children (张伟 and 赵强 are another school's)."""
    summary = work_summary_build(
        org=world.county, start=START, end=END, children=visible_children(world.user("principal"))
    )
    assert _counts(summary)["safety"] == (2, 1)
    assert _counts(summary)["festival"] == (1, 3)


def test_the_summary_counts_activities_in_one_query(world, activities):
    with CaptureQueriesContext(connection) as captured:
        work_summary_build(org=world.county, start=START, end=END, children=Child.objects.all())
    reads = [q["sql"] for q in captured if "support_activity" in q["sql"]]
    assert len(reads) == 1 and "GROUP BY" in reads[0]


def test_the_summary_document_reports_the_activities(world, activities):
    text = summary_document(
        work_summary_build(org=world.school, start=START, end=END, children=Child.objects.all())
    ).text()
    assert "本期我校共开展关爱活动3次" in text
    assert "主题班会 2 1" in text and "节日活动 1 3" in text and "合计 3 —" in text
    empty = work_summary_build(
        org=world.school,
        start=dt.date(2026, 7, 1),
        end=dt.date(2026, 7, 31),
        children=Child.objects.all(),
    )
    assert "本期我校未登记关爱活动。" in summary_document(empty).text()


def test_the_demo_county_holds_activities_this_term_and_rebuilds():
    """Each demo school held a few activities this term and each class a theme class
    meeting, with left-behind children taking part; a rebuild still works."""
    from carenet.demo.services import demo_build
    from carenet.orgs.models import Org

    demo_build(children=600, seed=3)
    county = Org.objects.get(kind="county")
    held = Activity.objects.filter(county_code=county.county_code)
    assert held.exists() and all(dt.date(2026, 9, 1) <= a.held_on <= TODAY for a in held)
    assert held.filter(org__kind="class", kind="theme_meeting").exists()
    assert held.filter(org__kind="school", kind="festival").exists()  # 中秋节 2026-09-25
    assert ActivityParticipation.objects.filter(activity__in=held).exists()
    summary = work_summary_build(org=county, start=START, end=END, children=Child.objects.all())
    assert summary.activities_total == held.count()
    demo_build(children=600, seed=3, reset=True)
    assert Activity.objects.filter(county_code=county.county_code).exists()

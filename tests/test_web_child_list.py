"""The child list: scope, search, filters, pagination and the htmx fragment."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carenet.children.models import Child, RiskLevel
from tests.factories import child_add

pytestmark = pytest.mark.django_db


def _names(client, user, **query):
    client.force_login(user)
    response = client.get(reverse("child_list"), query)
    assert response.status_code == 200
    return {child.name for child in response.context["page"].object_list}


def test_teacher_lists_their_class_and_mentees_only(client, world):
    assert _names(client, world.user("teacher")) == {"王子涵", "曾小雨"}


def test_user_without_membership_lists_nobody(client, world):
    assert _names(client, world.user("nobody")) == set()


def test_search_by_initials_finds_the_child(client, world):
    assert _names(client, world.user("county_admin"), q="wzh") == {"王子涵"}


def test_search_by_pinyin_and_by_chinese_name(client, world):
    admin = world.user("county_admin")
    assert _names(client, admin, q="WangZi") == {"王子涵"}
    assert _names(client, admin, q="小雨") == {"曾小雨"}


def test_search_uses_the_surname_reading_of_zeng(client, world):
    assert _names(client, world.user("county_admin"), q="zxy") == {"曾小雨"}


def test_search_stays_within_scope(client, world):
    assert _names(client, world.user("teacher"), q="zq") == set()  # 赵强 is elsewhere


def test_filter_by_school(client, world):
    assert _names(client, world.user("county_admin"), school=world.other_school.pk) == {
        "张伟",
        "赵强",
    }


def test_filter_by_class(client, world):
    assert _names(client, world.user("principal"), school_class=world.class_2.pk) == {
        "曾小雨",
        "李明",
    }


def test_filter_by_a_school_outside_scope_is_ignored(client, world):
    names = _names(client, world.user("principal"), school=world.other_school.pk)
    assert names == {"王子涵", "曾小雨", "李明"}


def test_school_choices_are_the_schools_in_scope(client, world):
    client.force_login(world.user("principal"))
    response = client.get(reverse("child_list"))
    form = response.context["form"]
    assert [s.name for s in form.fields["school"].queryset] == ["华阳小学"]
    assert [c.name for c in form.fields["school_class"].queryset] == ["一(1)班", "二(1)班"]


@pytest.mark.parametrize(
    ("left_behind", "expected"),
    [
        ("both_parents", {"王子涵"}),
        ("one_parent", {"曾小雨", "张伟", "赵强"}),
        ("none", {"李明"}),
        ("any", {"王子涵", "曾小雨", "张伟", "赵强"}),
    ],
)
def test_filter_by_left_behind_type(client, world, left_behind, expected):
    assert _names(client, world.user("county_admin"), left_behind=left_behind) == expected


def test_filter_by_category(client, world):
    Child.objects.filter(pk=world.school_child.pk).update(categories=",poor,gifted,")
    Child.objects.filter(pk=world.mentee.pk).update(categories=",gifted,")
    assert _names(client, world.user("county_admin"), category="poor") == {"李明"}
    assert _names(client, world.user("county_admin"), category="gifted") == {"李明", "曾小雨"}


def test_filter_by_risk_level(client, world):
    Child.objects.filter(pk=world.outsider.pk).update(risk_level=RiskLevel.HIGH)
    assert _names(client, world.user("county_admin"), risk="high") == {"赵强"}


def test_children_who_left_are_listed_only_when_asked_for(client, world):
    Child.objects.filter(pk=world.school_child.pk).update(status="left")
    principal = world.user("principal")
    assert "李明" not in _names(client, principal)
    assert _names(client, principal, status="left") == {"李明"}


def test_filters_combine(client, world):
    names = _names(client, world.user("county_admin"), q="z", left_behind="one_parent")
    assert names == {"曾小雨", "张伟", "赵强"}


def test_rows_show_class_left_behind_type_and_mentor(client, world):
    world.user("teacher").last_name, world.user("teacher").first_name = "刘", "老师"
    world.user("teacher").save()
    client.force_login(world.user("principal"))
    html = client.get(reverse("child_list"), {"q": "曾小雨"}).content.decode()
    assert "二(1)班" in html and "单亲留守" in html and "刘老师" in html


def test_list_pages_by_fifty(client, world):
    for n in range(50):
        child_add(world.class_1, name=f"学生{n}")
    client.force_login(world.user("principal"))
    first = client.get(reverse("child_list"))
    second = client.get(reverse("child_list"), {"page": 2})
    assert first.context["page"].paginator.count == 53
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 3
    assert "?page=2" in first.content.decode()


def test_page_links_keep_the_filters(client, world):
    for n in range(51):
        child_add(world.class_1, name=f"学生{n}")
    client.force_login(world.user("principal"))
    html = client.get(reverse("child_list"), {"school_class": world.class_1.pk}).content.decode()
    assert f"?school_class={world.class_1.pk}&amp;page=2" in html


def test_list_queries_do_not_grow_with_the_rows(client, world):
    client.force_login(world.user("county_admin"))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("child_list"))
        return len(captured)

    before = queries()
    for n in range(10):
        child = child_add(world.class_1, name=f"学生{n}")
        child.pairings.create(
            kind="mentor",
            mentor=world.user("teacher"),
            county_code="340827",
            started_on="2025-09-01",
        )
    assert queries() == before


def test_htmx_search_returns_only_the_results_fragment(client, world):
    client.force_login(world.user("county_admin"))
    response = client.get(reverse("child_list"), {"q": "wzh"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and "王子涵" in html and "赵强" not in html
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(client, world):
    client.force_login(world.user("county_admin"))
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in client.get(reverse("child_list"), headers=headers).content.decode()


def test_search_box_works_without_javascript(client, world):
    client.force_login(world.user("teacher"))
    html = client.get(reverse("child_list")).content.decode()
    assert '<form method="get" action="/children/"' in html and 'name="q"' in html


def test_filters_fold_away_on_phones_unless_one_is_in_use(client, world):
    client.force_login(world.user("county_admin"))
    folded = client.get(reverse("child_list"), {"q": "wzh"}).content.decode()
    narrowed = client.get(reverse("child_list"), {"risk": "high"}).content.decode()
    assert 'collapse d-md-block" id="child-filters"' in folded
    assert 'collapse d-md-block show" id="child-filters"' in narrowed

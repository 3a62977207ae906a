"""Dashboards (工作看板) and the drill-down of the indicators: every role sees its own
scope, the charts equal hand counts, the lists behind a figure add up to it, the schools
add up to the county, and the pages show the numbers of GET /api/v1/kpis."""

import datetime as dt
import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Q

from carenet.accounts.tokens import token_issue
from carenet.care.selectors import SCHOOL, tasks_for, worklist_until
from carenet.care.services import record_create
from carenet.children.access import Permission, visible_children
from carenet.children.models import Child, FamilyMember, Relation
from carenet.children.services import family_member_save
from carenet.dashboards import selectors
from carenet.indicators.drill import drill_down, sub_org_indicators
from carenet.indicators.selectors import KEYS, children_in_care, indicators_for
from carenet.orgs.models import OrgKind
from carenet.orgs.selectors import primary_membership
from tests.factories import child_add

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 16)  # a Monday of the autumn term
ROLES = ["county_admin", "township_supervisor", "village_director", "principal", "teacher"]


@pytest.fixture
def frozen():
    with time_machine.travel(
        dt.datetime(2026, 11, 16, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        yield


def _guardian(child, **data):
    family_member_save(
        actor=None,
        child=child,
        relation=Relation.GUARDIAN,
        data={"name": "奶奶", "phone": "13700000000", **data},
    )


def _works_in(child, relation, province):
    FamilyMember.objects.filter(child=child, relation=relation).update(work_province=province)


@pytest.fixture
def data(world, frozen):
    """The world (own_child both parents away, mentee and villager_elsewhere and outsider
    one parent away, school_child not left-behind) plus:

    - guardians: own_child 65 years old, poor; mentee 45, good; outsider 72, not filled
      in; villager_elsewhere none;
    - parents working in 广东省 (own_child's father, mentee's mother), 浙江省 (own_child's
      mother), 江苏省 (villager_elsewhere's father);
    - records: own_child talks 2026-11-13 and 2026-10-05, home visit 2026-09-20; mentee
      parent call 2026-10-10; outsider talk 2025-12-01 (the first month shown) and
      2025-11-30 (before it).
    """
    _guardian(world.own_child, age=65, guardianship_quality="poor")
    _guardian(world.mentee, age=45, guardianship_quality="good")
    _guardian(world.outsider, age=72)
    _works_in(world.own_child, Relation.FATHER, "广东省")
    _works_in(world.own_child, Relation.MOTHER, "浙江省")
    _works_in(world.mentee, Relation.MOTHER, "广东省")
    _works_in(world.villager_elsewhere, Relation.FATHER, "江苏省")
    teacher, admin = world.user("teacher"), world.user("county_admin")
    for child, kind, day, actor in [
        (world.own_child, "talk", dt.date(2026, 11, 13), teacher),
        (world.own_child, "talk", dt.date(2026, 10, 5), teacher),
        (world.own_child, "home_visit", dt.date(2026, 9, 20), teacher),
        (world.mentee, "parent_call", dt.date(2026, 10, 10), teacher),
        (world.outsider, "talk", dt.date(2025, 12, 1), admin),
        (world.outsider, "talk", dt.date(2025, 11, 30), admin),
    ]:
        record_create(actor=actor, child=child, kind=kind, date=day, summary="记录")
    return world


def _figures(indicators):
    return {i.key: (i.numerator, i.denominator) for i in indicators}


def _bars(bars):
    return {bar.label: bar.value for bar in bars}


def _dashboard(client, world, role, **query):
    client.force_login(world.user(role))
    response = client.get("/dashboard/", {"as_of": AS_OF.isoformat(), **query})
    assert response.status_code == 200
    return response


# --- scope ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_the_dashboard_of_their_primary_org(data, client, role):
    user = data.user(role)
    response = _dashboard(client, data, role)
    board = response.context["board"]
    assert board.org == primary_membership(user).org
    body = response.content.decode()
    assert board.org.name in body
    visible = set(visible_children(user).values_list("name", flat=True))
    for attr in ("own_child", "mentee", "school_child", "villager_elsewhere", "outsider"):
        name = getattr(data, attr).name
        if name not in visible:
            assert name not in body, f"{role} sees {name}"
    # Every figure is over what the user may see.
    assert board.indicators == indicators_for(
        board.org, as_of=AS_OF, children=visible_children(user, Permission.VIEW_CHILDREN)
    )


def test_a_user_without_an_org_gets_a_message_not_an_error(data, client):
    client.force_login(data.user("nobody"))
    for url in ("/dashboard/", "/dashboard/indicators/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "尚未分配" in response.content.decode()
    assert client.get("/dashboard/indicators/filing_rate/").status_code == 404
    assert client.get("/dashboard/", {"org": data.county.code}).status_code == 404


@pytest.mark.parametrize(
    ("role", "outside"),
    [
        ("principal", "other_school"),
        ("principal", "county"),
        ("teacher", "other_class"),
        ("township_supervisor", "other_township"),
        ("village_director", "school"),
        ("stranger_teacher", "class_1"),
    ],
)
def test_an_org_out_of_scope_answers_404(data, client, role, outside):
    client.force_login(data.user(role))
    code = getattr(data, outside).code
    for url in (
        "/dashboard/",
        "/dashboard/indicators/",
        "/dashboard/indicators/filing_rate/",
        "/dashboard/indicators/talk_completion/",
    ):
        assert client.get(url, {"org": code}).status_code == 404, url
    assert client.get("/dashboard/", {"org": "no-such-org"}).status_code == 404


def test_anonymous_users_are_sent_to_log_in(data, client):
    for url in ("/dashboard/", "/dashboard/indicators/", "/dashboard/indicators/filing_rate/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_picker_offers_only_visible_orgs(data, client):
    response = _dashboard(client, data, "township_supervisor")
    codes = {org.code for org in response.context["picker"]}
    assert data.township.code in codes and data.school.code in codes
    assert data.other_township.code not in codes and data.other_school.code not in codes
    assert data.county.code not in codes


# --- the same numbers as the API ------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_dashboard_and_the_api_show_the_same_numbers(data, client, role):
    _, token = token_issue(user=data.user(role))
    api = client.get(
        "/api/v1/kpis", {"as_of": AS_OF.isoformat()}, HTTP_AUTHORIZATION=f"Bearer {token}"
    ).json()
    response = _dashboard(client, data, role)
    assert response.context["board"].org.code == api["org"]
    body = response.content.decode()
    table = body[body.index('id="org-indicators"') :]
    for item in api["indicators"]:
        row = table[table.index(f'data-key="{item["key"]}"') :]
        fraction = re.search(r"data-fraction>.*?(\d+)</span>/.*?(\d+)</span>", row)
        assert (int(fraction[1]), int(fraction[2])) == (item["numerator"], item["denominator"])
    # The indicators page of every visible org agrees with the API for that org.
    for org in selectors.picker_orgs(data.user(role), response.context["board"].org):
        page = client.get("/dashboard/indicators/", {"org": org.code, "as_of": AS_OF})
        figures = _figures(page.context["indicators"])
        kpis = client.get(
            "/api/v1/kpis",
            {"org": org.code, "as_of": AS_OF.isoformat()},
            HTTP_AUTHORIZATION=f"Bearer {token}",
        ).json()
        assert figures == {i["key"]: (i["numerator"], i["denominator"]) for i in kpis["indicators"]}


# --- adding up ------------------------------------------------------------------------


def _sum(rows):
    total = {key: [0, 0] for key in KEYS}
    for row in rows:
        for indicator in row.indicators:
            total[indicator.key][0] += indicator.numerator
            total[indicator.key][1] += indicator.denominator
    return {key: tuple(pair) for key, pair in total.items()}


@pytest.mark.parametrize(
    ("org", "level", "kinds"),
    [
        ("county", None, {OrgKind.TOWNSHIP}),
        ("county", OrgKind.SCHOOL, {OrgKind.SCHOOL}),
        ("township", None, {OrgKind.SCHOOL}),
        ("school", None, {OrgKind.CLASS}),
    ],
)
def test_the_orgs_below_add_up_to_their_org(data, org, level, kinds):
    org = getattr(data, org)
    rows = sub_org_indicators(org, as_of=AS_OF, level=level, children=Child.objects.all())
    assert rows and {row.org.kind for row in rows} == kinds
    assert _sum(rows) == _figures(indicators_for(org, as_of=AS_OF, children=Child.objects.all()))
    # Each row is the org's own figure.
    for row in rows:
        assert _figures(row.indicators) == _figures(
            indicators_for(row.org, as_of=AS_OF, children=Child.objects.all())
        )


def test_the_schools_add_up_to_the_county_for_a_restricted_user(data):
    children = visible_children(data.user("township_supervisor"))
    rows = sub_org_indicators(data.county, as_of=AS_OF, children=children, level="school")
    assert _sum(rows) == _figures(indicators_for(data.county, as_of=AS_OF, children=children))
    # The villager of 红星村 at 长岭中学 is the supervisor's: counted at their school.
    in_care = {r.org: r.get("retention_rate").denominator for r in rows}
    assert in_care == {data.school: 2, data.other_school: 1}


def test_villages_and_classes_have_no_rows(data):
    assert sub_org_indicators(data.village, as_of=AS_OF, children=Child.objects.all()) == []
    assert sub_org_indicators(data.class_1, as_of=AS_OF, children=Child.objects.all()) == []


# --- drill-down -----------------------------------------------------------------------


@pytest.mark.parametrize("org", ["county", "township", "village", "school", "class_2"])
@pytest.mark.parametrize("key", KEYS)
def test_counted_and_not_counted_make_the_denominator(data, org, key):
    org = getattr(data, org)
    children = visible_children(data.user("county_admin"))
    figure = next(i for i in indicators_for(org, as_of=AS_OF, children=children) if i.key == key)
    drill = drill_down(org, key, as_of=AS_OF, children=children)
    assert (drill.numerator, drill.denominator) == (figure.numerator, figure.denominator)
    assert not set(drill.counted) & set(drill.not_counted)
    base = set(
        children_in_care(org, as_of=AS_OF, children=Child.objects.all()).values_list(
            "pk", flat=True
        )
    )
    assert set(drill.counted) | set(drill.not_counted) <= base


def test_the_lists_hold_the_children_a_hand_count_finds(data):
    names = lambda ids: {c.name for c in visible_children(data.user("county_admin")) if c.pk in ids}  # noqa: E731
    drill = drill_down(data.county, "mentor_coverage", as_of=AS_OF, children=Child.objects.all())
    assert names(drill.counted) == {"曾小雨"}
    assert names(drill.not_counted) == {"王子涵", "张伟", "赵强"}
    talks = drill_down(data.school, "talk_completion", as_of=AS_OF, children=Child.objects.all())
    assert names(talks.counted) == {"王子涵"}  # talked on 11-13
    assert names(talks.not_counted) == {"曾小雨"}


def test_a_drill_list_is_restricted_to_what_the_user_sees(data):
    teacher = data.user("teacher")
    drill = drill_down(data.county, "filing_rate", as_of=AS_OF, children=visible_children(teacher))
    assert set(drill.counted + drill.not_counted) == {data.own_child.pk, data.mentee.pk}


def test_the_list_page_shows_counted_and_not_counted_children(data, client):
    client.force_login(data.user("principal"))
    url = "/dashboard/indicators/mentor_coverage/"
    counted = client.get(url, {"org": data.school.code, "as_of": AS_OF, "counted": 1})
    not_counted = client.get(url, {"org": data.school.code, "as_of": AS_OF, "counted": 0})
    assert counted.status_code == not_counted.status_code == 200
    assert [c.name for c in counted.context["children"]] == ["曾小雨"]
    assert [c.name for c in not_counted.context["children"]] == ["王子涵"]
    body = not_counted.content.decode()
    assert f'href="/children/{data.own_child.pk}/"' in body and "一(1)班" in body
    assert "曾小雨" not in body


def test_the_list_page_is_paginated(data, client, monkeypatch):
    from carenet.dashboards import views

    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 1)
    client.force_login(data.user("county_admin"))
    url = "/dashboard/indicators/mentor_coverage/"
    query = {"org": data.county.code, "as_of": AS_OF, "counted": 0}
    first = client.get(url, query)
    second = client.get(url, {**query, "page": 2})
    assert first.context["page"].paginator.num_pages == 3
    assert first.context["children"] != second.context["children"]
    assert "page=2" in first.content.decode()


# --- the charts -----------------------------------------------------------------------


def test_the_county_charts_equal_hand_counts(data, client):
    board = _dashboard(client, data, "county_admin").context["board"]
    assert _bars(board.left_behind) == {"双亲留守": 1, "单亲留守": 3, "非留守": 1}
    assert _bars(board.guardian_ages) == {
        "50岁以下": 1,
        "50–59岁": 0,
        "60–69岁": 1,
        "70岁及以上": 1,
        "未填写": 0,
    }
    assert _bars(board.guardian_capacity) == {
        "较好": 1,
        "一般": 0,
        "差": 1,
        "无人监护": 0,
        "未填写": 1,
    }
    assert _bars(board.provinces) == {"广东省": 2, "浙江省": 1, "江苏省": 1}
    assert board.provinces[0].label == "广东省"
    trend = board.trend
    assert trend.months[0] == "2025-12" and trend.months[-1] == "2026-11"
    series = {kind: values for kind, _label, values in trend.series}
    assert set(series) == {"talk", "parent_call", "home_visit"}
    month = trend.months.index
    assert series["talk"][month("2025-12")] == 1  # 2025-11-30 is before the window
    assert series["talk"][month("2026-10")] == 1 and series["talk"][month("2026-11")] == 1
    assert series["home_visit"][month("2026-09")] == 1
    assert series["parent_call"][month("2026-10")] == 1
    assert sum(trend.totals) == 5


def test_the_principal_sees_the_school_per_class(data, client):
    board = _dashboard(client, data, "principal").context["board"]
    assert board.row_kind == OrgKind.CLASS
    assert [row.org for row in board.rows] == [data.class_1, data.class_2]
    assert _bars(board.left_behind) == {"双亲留守": 1, "单亲留守": 1, "非留守": 1}
    assert _bars(board.provinces) == {"广东省": 2, "浙江省": 1}
    assert sum(board.trend.totals) == 4  # the outsider's talk is not the school's


def test_the_overdue_work_is_counted_per_mentor(data, client):
    """A mentor's row is their mentees' 待办: 已逾期 and 本周到期, not tasks due later."""
    principal = data.user("principal")
    board = _dashboard(client, data, "principal").context["board"]
    tasks = tasks_for(
        children_in_care(data.school, as_of=AS_OF, children=visible_children(principal)),
        as_of=AS_OF,
        until=worklist_until(AS_OF),
        side=SCHOOL,
    )
    by_teacher = {row.label: (row.tasks, row.overdue) for row in board.teachers}
    mentee_tasks = [t for t in tasks if t.child.pk == data.mentee.pk]
    others = [t for t in tasks if t.child.pk != data.mentee.pk]
    assert by_teacher["teacher"] == (len(mentee_tasks), sum(t.overdue for t in mentee_tasks))
    assert by_teacher["（未结对）"] == (len(others), sum(t.overdue for t in others))
    assert sum(tasks for tasks, _ in by_teacher.values()) == len(tasks)


def test_the_county_counts_overdue_work_per_school(data, client):
    board = _dashboard(client, data, "county_admin").context["board"]
    assert board.overdue_by == "school"
    keys = ("talk_completion", "home_visit_completion", "parent_call_completion")
    for school in (data.school, data.other_school):
        figures = {
            i.key: i for i in indicators_for(school, as_of=AS_OF, children=Child.objects.all())
        }
        due = sum(figures[k].denominator for k in keys)
        done = sum(figures[k].numerator for k in keys)
        row = next(row for row in board.teachers if row.label == school.name)
        assert (row.tasks, row.overdue) == (due, due - done)


def test_the_chart_data_reaches_the_page_as_json(data, client):
    response = _dashboard(client, data, "principal")
    body = response.content.decode()
    assert '<script id="dashboard-data" type="application/json">' in body
    assert "vendor/echarts/echarts.min.js" in body and "dashboards/dashboard.js" in body
    charts = response.context["charts"]
    assert charts["targets"]["orgs"] == ["一(1)班", "二(1)班"]
    assert len(charts["targets"]["drill"]["filing_rate"]) == 2
    assert charts["left_behind"]["values"] == [1, 1, 1]
    # No inline script or style (the Content-Security-Policy refuses them).
    assert not re.search(r'<script(?![^>]*(\bsrc=|type="application/json"))', body)
    assert 'style="' not in body


@pytest.mark.parametrize("chart", ["left_behind", "guardian_ages", "guardian_capacity"])
def test_each_bar_links_to_a_list_of_as_many_children(data, client, chart):
    board = _dashboard(client, data, "county_admin").context["board"]
    for bar in getattr(board, chart):
        response = client.get(bar.url)
        assert response.status_code == 200
        assert response.context["page"].paginator.count == bar.value, (chart, bar.label)


def test_the_province_and_trend_links_list_the_children_behind_them(data, client):
    board = _dashboard(client, data, "county_admin").context["board"]
    canton = next(bar for bar in board.provinces if bar.label == "广东省")
    listed = client.get(canton.url).context["page"].object_list
    assert {c.name for c in listed} == {"王子涵", "曾小雨"}
    october = board.trend.months.index("2026-10")
    listed = client.get(board.trend.urls["talk"][october]).context["page"].object_list
    assert [c.name for c in listed] == ["王子涵"]
    # Under a county, overdue work is per school, each leading to the school's dashboard.
    assert board.overdue_by == "school"
    school_row = next(row for row in board.teachers if row.label == "华阳小学")
    assert client.get(school_row.url).context["board"].org == data.school
    # Under a school, per mentor, each leading to the mentor's children.
    board = _dashboard(client, data, "principal").context["board"]
    unpaired = next(row for row in board.teachers if row.mentor_id is None)
    listed = client.get(unpaired.url).context["page"].object_list
    assert [c.name for c in listed] == ["王子涵"]
    teacher_row = next(row for row in board.teachers if row.mentor_id)
    listed = client.get(teacher_row.url).context["page"].object_list
    assert [c.name for c in listed] == [data.mentee.name]


def test_the_bars_of_the_targets_chart_lead_down_the_tree(data, client):
    charts = _dashboard(client, data, "county_admin").context["charts"]
    assert charts["targets"]["orgs"] == ["华阳小学", "长岭中学"]
    url = charts["targets"]["urls"][0]
    assert parse_qs(urlsplit(url).query)["org"] == [data.school.code]
    page = client.get(url)
    assert [row.org for row in page.context["rows"]] == [data.class_1, data.class_2]
    drill = client.get(charts["targets"]["drill"]["filing_rate"][1])
    assert drill.status_code == 200 and drill.context["org"] == data.other_school


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"as_of": "yesterday"}, "日期格式不正确"),
        ({"as_of": "2026-02-30"}, "日期格式不正确"),
        ({"as_of": "0001-01-01"}, "超出范围"),
        ({"as_of": "9999-12-31"}, "超出范围"),
        ({"counted": "maybe"}, "名单参数不正确"),
    ],
)
def test_bad_query_values_fall_back_with_a_message(data, client, query, message):
    client.force_login(data.user("principal"))
    for url in ("/dashboard/", "/dashboard/indicators/", "/dashboard/indicators/filing_rate/"):
        response = client.get(url, {"org": data.school.code, **query})
        assert response.status_code == 200, url
        if "as_of" in query:
            assert response.context["as_of"] == AS_OF
        if "counted" not in query or url.endswith("filing_rate/"):
            assert message in response.content.decode(), url


def test_other_bad_input_never_errors(data, client):
    client.force_login(data.user("county_admin"))
    list_url = "/dashboard/indicators/filing_rate/"
    assert client.get(list_url, {"page": "last"}).status_code == 200
    assert client.get(list_url, {"page": "-3"}).status_code == 200
    assert client.get("/dashboard/indicators/no_such_key/").status_code == 404
    assert client.get("/dashboard/", {"org": "x" * 500}).status_code == 404
    assert client.get("/dashboard/", {"org": ""}).status_code == 200
    for query in (
        {"org": "x" * 500},
        {"mentor": "abc"},
        {"month": "2026-13"},
        {"guardian_age": "old"},
        {"guardianship": "?"},
        {"record": "party"},
        {"work_province": "广" * 100},
    ):
        response = client.get("/children/", query)
        assert response.status_code == 200, query
        # An invalid value does not filter: every child the admin sees is listed.
        assert response.context["page"].paginator.count == 5, query


def test_the_child_list_filters_by_org_and_keeps_its_scope(data, client):
    client.force_login(data.user("principal"))
    listed = client.get("/children/", {"org": data.class_1.code}).context["page"].object_list
    assert [c.name for c in listed] == ["王子涵"]
    # An org out of sight is ignored, never a way out of the scope.
    listed = client.get("/children/", {"org": data.other_school.code}).context["page"]
    assert {c.name for c in listed.object_list} == {"王子涵", "曾小雨", "李明"}
    body = client.get("/children/", {"org": data.class_1.code}).content.decode()
    assert "看板筛选" in body and 'name="org"' in body


def test_the_navbar_and_the_home_page_link_the_dashboard(data, client):
    client.force_login(data.user("principal"))
    body = client.get("/").content.decode()
    assert 'href="/dashboard/"' in body and 'id="home-dashboard"' in body
    client.force_login(data.user("nobody"))
    assert 'href="/dashboard/"' not in client.get("/").content.decode()


# --- kept counts ----------------------------------------------------------------------


def _from_scratch(org, user):
    from carenet.dashboards.counts import counts_by_school
    from carenet.indicators.selectors import org_filter

    total = Counter()
    children = visible_children(user).filter(org_filter(org))
    for one in counts_by_school(children, as_of=AS_OF).values():
        total.update(one)
    return total


def test_kept_chart_counts_always_equal_a_count_from_scratch(data, client):
    """The county's chart counts are kept per school between requests; every change to
    what they count shows at the next request."""
    from carenet.dashboards.counts import chart_counts
    from carenet.dashboards.models import SchoolChartCounts
    from carenet.indicators.kept import valid_units

    admin = data.user("county_admin")

    def shown():
        _dashboard(client, data, "county_admin")  # keeps the schools' figures
        children = visible_children(admin)
        return chart_counts(data.county, as_of=AS_OF, children=children, whole=True)

    first = shown()
    assert first == _from_scratch(data.county, admin)
    schools = {data.school.pk, data.other_school.pk}
    assert valid_units(SchoolChartCounts, schools, as_of=AS_OF) == schools
    assert shown() == first
    # A home visit changes one school's rows: its kept counts stop being valid.
    record_create(
        actor=data.user("teacher"), child=data.mentee, kind="home_visit", date=AS_OF,
        summary="家访",
    )  # fmt: skip
    assert valid_units(SchoolChartCounts, schools, as_of=AS_OF) == schools - {data.mentee.school_id}
    first = shown()
    record_create(
        actor=data.user("teacher"),
        child=data.mentee,
        kind="talk",
        date=AS_OF,
        summary="记录",
    )
    _guardian(data.villager_elsewhere, age=55, guardianship_quality="fair")
    _works_in(data.outsider, Relation.FATHER, "广东省")
    child_add(
        data.other_class, name="新生", village=data.other_village, mother_away=dt.date(2025, 1, 1)
    )
    after = shown()
    assert after == _from_scratch(data.county, admin)
    assert after["trend:talk:2026-11"] == first["trend:talk:2026-11"] + 1
    assert after["age:50-59"] == first["age:50-59"] + 1
    assert after["province:广东省"] == first["province:广东省"] + 1
    assert after["lb:total"] == first["lb:total"] + 1
    board = _dashboard(client, data, "county_admin").context["board"]
    assert _bars(board.provinces)["广东省"] == 3
    # Counted again at the schools' new versions: valid again.
    assert valid_units(SchoolChartCounts, schools, as_of=AS_OF) == schools


def test_the_daily_job_keeps_every_county_and_purges_old_days(data):
    from carenet.dashboards.models import SchoolChartCounts
    from carenet.dashboards.tasks import dashboards_daily
    from carenet.indicators.kept import KEEP_DAYS, valid_units

    def kept_on(days_before: int) -> SchoolChartCounts:
        return SchoolChartCounts.objects.create(
            school=data.school,
            county_code=data.school.county_code,
            as_of=AS_OF - dt.timedelta(days=days_before),
            rules="x",
            counts={},
        )

    old, recent = kept_on(KEEP_DAYS + 1), kept_on(KEEP_DAYS)
    assert dashboards_daily.call_local() == 2
    assert not SchoolChartCounts.objects.filter(pk=old.pk).exists()
    assert SchoolChartCounts.objects.filter(pk=recent.pk).exists()
    schools = {data.school.pk, data.other_school.pk}
    assert valid_units(SchoolChartCounts, schools, as_of=AS_OF) == schools
    admin = data.user("county_admin")
    rows = {row.school_id: row.counts for row in SchoolChartCounts.objects.filter(as_of=AS_OF)}
    assert sum(rows[data.school.pk].get(k, 0) for k in ("lb:total",)) == 3
    assert Counter(rows[data.school.pk]) + Counter(rows[data.other_school.pk]) == _from_scratch(
        data.county, admin
    )


def test_a_partial_view_is_counted_from_scratch(data, client):
    from carenet.children.access import sees_whole
    from carenet.dashboards.counts import chart_counts

    supervisor = data.user("township_supervisor")
    _dashboard(client, data, "county_admin")
    assert not sees_whole(supervisor, data.county)
    counts = chart_counts(data.county, as_of=AS_OF, children=visible_children(supervisor))
    assert counts == _from_scratch(data.county, supervisor)
    assert counts["lb:total"] == 4  # not the outsider


@pytest.mark.parametrize("role", [*ROLES, "stranger_teacher", "nobody"])
def test_who_sees_an_org_whole_is_told_by_their_memberships(data, role):
    """``sees_whole`` (memberships) never claims more than counting the children shows."""
    from carenet.children.access import sees_whole
    from carenet.indicators.selectors import org_filter

    user = data.user(role)
    for org in (data.county, data.township, data.other_township, data.school, data.other_school):
        under = org_filter(org) & Q(status="active")
        whole = visible_children(user).filter(under).count() == Child.objects.filter(under).count()
        if sees_whole(user, org):
            assert whole, (role, org)
    expected = {"county_admin": 5, "township_supervisor": 2, "principal": 1}.get(role, 0)
    orgs = (data.county, data.township, data.other_township, data.school, data.other_school)
    assert sum(sees_whole(user, org) for org in orgs) == expected

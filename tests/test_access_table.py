"""The access table against what the pages and selectors allow.

For every user of the cast and every ``Permission``, what the table says
(``ROLE_PERMISSIONS``: the rows of the user's memberships and pairings, and where each
reaches) is worked out here from the org tree, without the access module's functions,
and compared with what the pages answer (200, 403, 404) or the selectors return. A row
changed in the table and not in behaviour — or a page deciding access by itself — fails
here, refused paths included. ``test_every_permission_is_checked`` keeps the list of
checks complete: a new permission needs a check.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from carenet.care.models import CareKind, CareRecord
from carenet.care.selectors import my_children, visible_records
from carenet.children.access import (
    MENTOR,
    OPERATOR_SCOPES,
    ROLE_PERMISSIONS,
    Permission,
    Reach,
    audited_children,
    class_schools,
    filing_villages,
    operator_scope,
    plan_orgs,
    scope_of,
)
from carenet.children.models import Child, ChildStatus, Pairing, PairingKind
from carenet.orgs.models import Membership, Org, OrgKind, Role
from carenet.orgs.selectors import visible_orgs
from carenet.web.selectors import org_breakdown
from tests.factories import school_staff_add, user_add

pytestmark = pytest.mark.django_db

P = Permission
CAST = [
    "county_admin",
    "township_supervisor",
    "village_director",
    "principal",
    "school_admin",
    "counselor",
    "teacher",
    "stranger_teacher",
    "nobody",
]
CHILDREN = ["own_child", "mentee", "school_child", "villager_elsewhere", "outsider"]
# A day in the summer break: the village director cares for every child of the village.
BREAK_DAY = dt.date(2026, 8, 3)
CHECKED: set[Permission] = set()


def checks(*permissions: Permission):
    CHECKED.update(permissions)
    return lambda test: test


@pytest.fixture
def cast(world):
    return school_staff_add(world)


# --------------------------------------------------------------------------- the table


def _within(path: str | None, org: Org) -> bool:
    return path is not None and path.startswith(org.path)


def _reaches(reach: Reach, org: Org, child: Child) -> bool:
    """Whether ``reach`` from ``org`` holds ``child``: the table's words, read here from
    the child's school, class and village."""
    school = child.school.path if child.school else None
    klass = child.school_class.path if child.school_class else None
    village = child.village.path if child.village else None
    return {
        Reach.SUBTREE: _within(school, org) or _within(village, org),
        Reach.SCHOOL: _within(school, org),
        Reach.CLASS: org.kind in (OrgKind.CLASS, OrgKind.GRADE) and _within(klass, org),
        Reach.VILLAGE: _within(village, org),
        Reach.VILLAGE_UNSCHOOLED: _within(village, org) and school is None,
        Reach.OWN_SCHOOL: school is not None and org.path.startswith(school),
    }[reach]


def table_children(user, permission: Permission) -> set[int]:
    """The children the table gives ``user`` for ``permission`` (archived ones too)."""
    found: set[int] = set()
    children = list(Child.objects.select_related("school", "school_class", "village"))
    for membership in Membership.objects.filter(user=user).select_related("org"):
        row = ROLE_PERMISSIONS[membership.role]
        if permission in row.permissions:
            reach = row.reach_of(permission)
            found |= {c.pk for c in children if _reaches(reach, membership.org, c)}
    if permission in ROLE_PERMISSIONS[MENTOR].permissions:
        found |= set(
            Pairing.objects.filter(
                mentor=user, kind=PairingKind.MENTOR, ended_on__isnull=True
            ).values_list("child_id", flat=True)
        )
    return found


def table_holds(user, permission: Permission) -> bool:
    return any(
        permission in ROLE_PERMISSIONS[m.role].permissions
        for m in Membership.objects.filter(user=user)
    )


def table_orgs(user, permission: Permission, kinds) -> set[int]:
    """The orgs of ``kinds`` under the memberships whose row holds ``permission``."""
    found: set[int] = set()
    for membership in Membership.objects.filter(user=user).select_related("org"):
        if permission in ROLE_PERMISSIONS[membership.role].permissions:
            found |= set(
                Org.objects.filter(
                    path__startswith=membership.org.path, kind__in=kinds
                ).values_list("pk", flat=True)
            )
    return found


def _status(client, url: str) -> int:
    return client.get(url).status_code


# --------------------------------------------------------------------------- one child


# Pages about one child: permission → URL. 200 within the permission's reach, 403 for a
# child the user sees otherwise, 404 for a child out of sight.
CHILD_PAGES = {
    P.VIEW_CHILDREN: "/children/{}/",
    P.EDIT_CHILDREN: "/children/{}/edit/",
    P.WRITE_CHILD_PLANS: "/plans/children/{}/study/new/",
    P.REQUEST_TRANSFER: "/children/{}/path/transfer/",
    P.RECORD_LEAVING: "/children/{}/path/transfer_out/",
    P.RECORD_DROPOUT: "/children/{}/path/drop_out/",
    P.MOVE_CHILDREN: "/children/{}/path/move/",
    # The risk raised by hand (预警): whoever handles the child's alerts.
    P.HANDLE_ALERTS: "/alerts/child/{}/risk/",
    # A mandatory report (强制报告) about the child.
    P.MAKE_REPORTS: "/safeguard/reports/new/?child={}",
    # The child's absences and results (缺勤与成绩).
    P.RECORD_ATTENDANCE: "/attendance/children/{}/",
}


@checks(*CHILD_PAGES)
@pytest.mark.parametrize("role", CAST)
def test_the_pages_about_a_child_follow_the_table(cast, client, role):
    user = cast.user(role)
    client.force_login(user)
    seen = table_children(user, P.VIEW_CHILDREN)
    for permission, url in CHILD_PAGES.items():
        allowed = table_children(user, permission)
        for attr in CHILDREN:
            child = getattr(cast, attr)
            expected = 200 if child.pk in allowed else 403 if child.pk in seen else 404
            status = _status(client, url.format(child.pk))
            assert status == expected, f"{role} {permission} {attr}: {status} != {expected}"


@checks(P.SEE_CONTACTS)
@pytest.mark.parametrize("role", CAST)
def test_phones_are_shown_in_full_as_the_table_says(cast, client, role):
    user = cast.user(role)
    client.force_login(user)
    seen = table_children(user, P.VIEW_CHILDREN)
    unmasked = table_children(user, P.SEE_CONTACTS)
    for attr in CHILDREN:
        child = getattr(cast, attr)
        status = client.post(f"/audit/children/{child.pk}/reveal/").status_code
        expected = 302 if child.pk in unmasked else 403 if child.pk in seen else 404
        assert status == expected, f"{role} reveal {attr}: {status} != {expected}"
        if child.pk in seen and attr != "school_child":  # the others have phones on file
            body = client.get(f"/children/{child.pk}/").content.decode()
            full = "13812345678" in body or "13912345678" in body
            assert full == (child.pk in unmasked), f"{role} {attr}"


@checks(P.AUDIT)
@pytest.mark.parametrize("role", CAST)
def test_the_audit_scope_is_the_table_with_archived_files(cast, client, role):
    user = cast.user(role)
    Child.objects.filter(pk=cast.school_child.pk).update(status=ChildStatus.ARCHIVED)
    client.force_login(user)
    audits = table_holds(user, P.AUDIT)
    assert _status(client, "/audit/log/") == (200 if audits else 403), role
    audited = set(audited_children(user).values_list("pk", flat=True))
    assert audited == table_children(user, P.AUDIT), role
    # The archived file stays auditable, and out of every working scope.
    assert _status(client, f"/children/{cast.school_child.pk}/") == 404


@checks(P.READ_CONFIDENTIAL)
@pytest.mark.parametrize("role", CAST)
def test_confidential_records_are_read_as_the_table_says(cast, role):
    user = cast.user(role)
    author = user_add("author")
    for attr in CHILDREN:
        CareRecord.objects.create(
            child=getattr(cast, attr),
            county_code=cast.county.code,
            kind=CareKind.COUNSELING,
            date=dt.date(2026, 1, 5),
            confidential=True,
            author=author,
        )
    seen = table_children(user, P.VIEW_CHILDREN)
    readers = table_children(user, P.READ_CONFIDENTIAL)
    for attr in CHILDREN:
        child = getattr(cast, attr)
        shown = visible_records(user, child).filter(confidential=True).exists()
        assert shown == (child.pk in seen and child.pk in readers), f"{role} {attr}"


@checks(P.CARE_FOR_CHILDREN)
@pytest.mark.parametrize("role", CAST)
def test_the_working_list_holds_the_children_the_table_gives(cast, role):
    user = cast.user(role)
    mine = set(my_children(user, BREAK_DAY).values_list("pk", flat=True))
    expected = table_children(user, P.CARE_FOR_CHILDREN) & table_children(user, P.VIEW_CHILDREN)
    assert mine == expected, role


# --------------------------------------------------------------------------- pages and orgs


# Pages answering whoever holds the permission (200, or a redirect to their own org's
# page) and refusing everyone else (403).
ROLE_PAGES = {
    P.RUN_PAIRING: "/pairing/",
    P.IMPORT_REGISTERS: "/exchange/import/",
    P.WRITE_DOCUMENTS: "/reports/summary/",
    P.MAKE_STATISTICS_TABLES: "/reports/statistics/",
    P.MANAGE_PEOPLE: "/people/",
    P.ADMINISTER_SCHOOLS: "/orgs/schools/",
    P.TWO_FACTOR: "/account/two-factor/",
    P.DECIDE_TRANSFERS: "/transfers/",
    # The county's figures of mandatory reports: counts and hours, no content.
    P.SEE_REPORT_FIGURES: "/safeguard/figures/",
}


@checks(*ROLE_PAGES)
@pytest.mark.parametrize("role", CAST)
def test_the_pages_of_a_permission_answer_its_holders_only(cast, client, role):
    user = cast.user(role)
    client.force_login(user)
    for permission, url in ROLE_PAGES.items():
        status = _status(client, url)
        if table_holds(user, permission):  # the page, or a redirect to the user's one org
            assert status in (200, 302), f"{role} {permission} {url}: {status}"
        else:
            assert status == 403, f"{role} {permission} {url}: {status} != 403"


@checks(P.START_SCHOOL_YEAR)
@pytest.mark.parametrize("role", CAST)
def test_the_school_year_answers_the_table(cast, client, role):
    user = cast.user(role)
    client.force_login(user)
    status = _status(client, f"/school-year/{cast.county.pk}/")
    if table_holds(user, P.START_SCHOOL_YEAR):
        assert status == 200, role
    else:
        assert status in (403, 404), role


@checks(P.RECORD_SESSIONS)
@pytest.mark.parametrize("role", CAST)
def test_parent_school_sessions_are_recorded_as_the_table_says(cast, client, role):
    user = cast.user(role)
    client.force_login(user)
    writes: set[int] = set()
    for m in Membership.objects.filter(user=user).select_related("org"):
        row = ROLE_PERMISSIONS[m.role]
        if P.RECORD_SESSIONS not in row.permissions:
            continue
        if row.reach_of(P.RECORD_SESSIONS) == Reach.OWN_SCHOOL:
            schools = Org.objects.filter(kind=OrgKind.SCHOOL)
            writes |= {s.pk for s in schools if m.org.path.startswith(s.path)}
        else:
            writes |= table_orgs(user, P.RECORD_SESSIONS, (OrgKind.SCHOOL, OrgKind.VILLAGE))
    for org in (cast.school, cast.other_school, cast.village):
        status = _status(client, f"/support/parent-school/orgs/{org.pk}/new/")
        if org.pk in writes:
            assert status == 200, f"{role} {org.name}"
        else:
            assert status in (403, 404), f"{role} {org.name}: {status}"


@checks(P.EXPORT_REGISTERS)
@pytest.mark.parametrize("role", CAST)
def test_the_export_answers_the_table(cast, client, role):
    user = cast.user(role)
    client.force_login(user)
    in_sight = visible_orgs(user).filter(pk=cast.school.pk).exists()
    status = _status(client, f"/exchange/export/?org={cast.school.pk}&format=csv")
    expected = 200 if table_holds(user, P.EXPORT_REGISTERS) and in_sight else 404
    assert status == expected, f"{role}: {status} != {expected}"


@checks(P.FILE_VILLAGE_CHILDREN, P.SET_UP_CLASSES, P.MANAGE_PLANS)
@pytest.mark.parametrize("role", CAST)
def test_the_orgs_of_a_permission_are_those_under_its_memberships(cast, role):
    user = cast.user(role)
    assert set(filing_villages(user).values_list("pk", flat=True)) == table_orgs(
        user, P.FILE_VILLAGE_CHILDREN, (OrgKind.VILLAGE,)
    ), role
    assert set(class_schools(user).values_list("pk", flat=True)) == table_orgs(
        user, P.SET_UP_CLASSES, (OrgKind.SCHOOL,)
    ), role
    kinds = (OrgKind.COUNTY, OrgKind.TOWNSHIP, OrgKind.SCHOOL)
    assert set(plan_orgs(user).values_list("pk", flat=True)) == table_orgs(
        user, P.MANAGE_PLANS, kinds
    ), role


@checks(P.LEAD_SCHOOL_CARE)
@pytest.mark.parametrize("role", CAST)
def test_the_school_view_of_the_working_list_is_the_tables(cast, client, role):
    user = cast.user(role)
    client.force_login(user)
    response = client.get("/care/tasks/")
    assert response.status_code == 200
    assert response.context["school_view"] == table_holds(user, P.LEAD_SCHOOL_CARE), role


@checks(P.MENTOR_CHILDREN)
def test_the_pairing_page_offers_as_mentors_the_school_staff_the_table_lets_mentor(cast, client):
    """Issue 17: the principal and the school administrator mentor children too."""
    from carenet.pairing.selectors import school_mentors

    school = cast.school
    staff = {
        m.user.username
        for m in Membership.objects.filter(org__path__startswith=school.path)
        if table_holds(m.user, P.MENTOR_CHILDREN)
    }
    assert staff >= {"principal", "school_admin", "teacher", "counselor"}
    assert {u.username for u in school_mentors(school)} == staff
    client.force_login(cast.user("principal"))
    response = client.get(f"/pairing/{school.pk}/")
    offered = {u.username for u in response.context["assign_form"].fields["mentor"].queryset}
    assert offered == staff
    body = response.content.decode()
    for name in staff:
        assert f'data-mentor="{cast.user(name).pk}"' in body, name


@checks(P.SEE_BREAKDOWN)
@pytest.mark.parametrize("role", CAST)
def test_the_home_breakdown_is_the_tables(cast, role):
    user = cast.user(role)
    membership = Membership.objects.filter(user=user).select_related("org").first()
    rows = org_breakdown(user, membership)
    assert bool(rows) == table_holds(user, P.SEE_BREAKDOWN), role


@checks(P.HANDLE_ALERTS, P.RECEIVE_ESCALATIONS)
@pytest.mark.parametrize("role", CAST)
def test_alerts_and_escalations_follow_the_table(cast, client, role):
    """An alert is seen by those who handle the child's alerts (404 for anyone else);
    an escalated alert owned by someone else waits in the inbox of those who receive
    the child's escalations, an alert not escalated in nobody's but its owner's."""
    from carenet.alerts.models import Alert, AlertRule, Severity
    from carenet.alerts.services import alert_escalate, alert_raise

    Alert.objects.all().delete()  # those the files raised through the rules
    owner = user_add("owner")
    user = cast.user(role)
    escalated, quiet = {}, {}
    for attr in CHILDREN:
        child = getattr(cast, attr)
        for key, found in (("escalated", escalated), ("quiet", quiet)):
            alert = alert_raise(
                child=child, rule=AlertRule.ABSENCE, key=key, severity=Severity.SERIOUS, evidence={}
            )
            assert alert is not None
            Alert.objects.filter(pk=alert.pk).update(owner=owner, escalated_at=None)
            found[attr] = alert
        alert_escalate(actor=owner, alert=escalated[attr])
    handles = table_children(user, P.HANDLE_ALERTS)
    receives = table_children(user, P.RECEIVE_ESCALATIONS) & handles
    client.force_login(user)
    for attr in CHILDREN:
        child = getattr(cast, attr)
        status = _status(client, f"/alerts/{quiet[attr].pk}/")
        assert status == (200 if child.pk in handles else 404), f"{role} {attr}: {status}"
    response = client.get("/alerts/")
    if not table_holds(user, P.HANDLE_ALERTS):
        assert response.status_code == 403, role
        return
    inbox = {row.alert.pk for row in response.context["rows"]}
    expected = {escalated[a].pk for a in CHILDREN if getattr(cast, a).pk in receives}
    assert inbox == expected, role


def test_the_operator_scopes_are_found_by_name(cast):
    sources = "".join(p.read_text(encoding="utf-8") for p in Path("carenet").rglob("*.py"))
    for name in OPERATOR_SCOPES:
        assert f'operator_scope("{name}")' in sources, name
    with pytest.raises(ValueError):
        operator_scope("whatever I like")
    Child.objects.filter(pk=cast.outsider.pk).update(status=ChildStatus.ARCHIVED)
    scope = operator_scope("carenet export")
    assert scope.name == "operator: carenet export"
    assert set(scope.children()) == {
        cast.own_child,
        cast.mentee,
        cast.school_child,
        cast.villager_elsewhere,
    }


def test_a_users_scope_is_named_and_is_the_pages(cast):
    principal = cast.user("principal")
    scope = scope_of(principal, P.EDIT_CHILDREN)
    assert scope.name == f"user {principal.pk}: edit"
    assert set(scope.children().values_list("pk", flat=True)) == table_children(
        principal, P.EDIT_CHILDREN
    )
    assert not scope_of(cast.user("nobody")).children().exists()


def test_every_permission_is_checked():
    assert set(Permission) == CHECKED, sorted(set(Permission) - CHECKED)


def test_every_role_has_a_row_and_the_mentor_one_more():
    assert set(ROLE_PERMISSIONS) == set(Role.values) | {MENTOR}

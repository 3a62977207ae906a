"""Every role against children inside and outside its scope, on every route.

The route lists below must name every URL the project has: a new page or API path that is
not classified here fails ``test_every_route_is_classified`` until it is added to the matrix.
"""

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from carenet.accounts.tokens import token_issue
from carenet.childplans.models import IndividualPlan, PlanReview, StudyCheck, StudyPlan
from carenet.childplans.services import individual_plan_open, study_plan_create
from carenet.children.access import Permission, pairing_schools, visible_children
from carenet.children.models import Pairing
from carenet.orgs.models import OrgKind
from carenet.orgs.selectors import visible_orgs

pytestmark = pytest.mark.django_db

ROLES = [
    "county_admin",
    "township_supervisor",
    "village_director",
    "principal",
    "teacher",
    "stranger_teacher",
    "nobody",
]
CHILDREN = ["own_child", "mentee", "school_child", "villager_elsewhere", "outsider"]

# Pages about one child: name → the action that decides access.
CHILD_PAGES = {
    "child_detail": Permission.VIEW_CHILDREN,
    "child_card": Permission.VIEW_CHILDREN,
    "child_edit": Permission.EDIT_CHILDREN,
    "care_record_new": Permission.VIEW_CHILDREN,
    "audit_child_changes": Permission.VIEW_CHILDREN,
    "audit_child_privacy": Permission.VIEW_CHILDREN,
    # Legal aid (法律援助, carenet.support): readers of the file read, its editors write.
    "support_legal_aid": Permission.VIEW_CHILDREN,
    "support_legal_aid_new": Permission.EDIT_CHILDREN,
    # The risk raised by hand (预警, carenet.alerts): those who handle the child's alerts.
    "alert_risk": Permission.HANDLE_ALERTS,
}
CHILD_URLS = {
    "child_detail": "/children/{}/",
    "child_card": "/children/{}/card/",
    "child_edit": "/children/{}/edit/",
    "care_record_new": "/care/children/{}/records/new/",
    "audit_child_changes": "/audit/children/{}/changes/",
    "audit_child_privacy": "/audit/children/{}/privacy/",
    # Legal aid (carenet.support)
    "support_legal_aid": "/support/children/{}/legal-aid/",
    "support_legal_aid_new": "/support/children/{}/legal-aid/new/",
    "alert_risk": "/alerts/child/{}/risk/",
}
# Access log and data requests: principals, school admins and county admins (others 403).
AUDITOR_PAGES = {"audit_log": "/audit/log/", "audit_requests": "/audit/requests/"}
# POST-only audit routes about one child or one consent/request (checked in their test).
AUDIT_POST_PAGES = {"audit_reveal", "audit_consent_withdraw", "audit_request_close"}
# Pages without a child: every signed-in user gets an answer (their own scope), never a 500.
SCOPED_PAGES = {"home", "child_list", "child_create", "care_tasks", "notify_inbox", "care_plans"}
# The phone's 记录 tab (issue 17): the user's own children, else their 待办.
SCOPED_PAGES |= {"record_pick"}
# POST-only pages about the user's own things (their notifications): another user's → 404.
OWN_PAGES = {
    "notify_read": "/inbox/{}/read/",
    "notify_read_all": "/inbox/read-all/",
    # The user's own API tokens and second factor (tests/test_security_accounts.py).
    "account_token_revoke": "/account/tokens/{}/revoke/",
    "account_otp_disable": "/account/two-factor/disable/",
}
# The signed-in user's own account pages: about nobody else (tests/test_security_accounts.py).
ACCOUNT_PAGES = {
    "account_me",
    "account_security",
    "password_change",
    "account_tokens",
    "account_otp_setup",
    "account_otp_verify",
}
# Plan pages about one child (帮扶方案): writers are the file's editors and the child's
# mentor; other readers get 403, a child out of sight 404.
PLAN_CHILD_PAGES = {
    "childplans_study_new": "/plans/children/{}/study/new/",
    "childplans_individual_new": "/plans/children/{}/individual/new/",
}
# Pages about one plan: name → (plan kind, method, path). GET detail pages follow the
# child's visibility; the others write, as above.
PLAN_PAGES = {
    "childplans_study_detail": ("study", "get", "/plans/study/{}/"),
    "childplans_study_edit": ("study", "get", "/plans/study/{}/edit/"),
    "childplans_study_check": ("study", "post", "/plans/study/{}/checks/"),
    "childplans_study_close": ("study", "post", "/plans/study/{}/close/"),
    "childplans_individual_detail": ("individual", "get", "/plans/individual/{}/"),
    "childplans_review_add": ("individual", "post", "/plans/individual/{}/reviews/"),
    "childplans_individual_close": ("individual", "post", "/plans/individual/{}/close/"),
}
PLAN_READ_PAGES = {"childplans_study_detail", "childplans_individual_detail"}
# Pages about one school's pairing (结对帮扶): name → (method, path under /pairing/{id}/).
SCHOOL_PAGES = {
    "pairing_school": ("get", ""),
    "pairing_assign": ("post", "assign/"),
    "pairing_auto": ("post", "auto/"),
    "pairing_handover": ("post", "handover/"),
    # Student buddies (学习帮手)
    "pairing_buddies": ("get", "buddies/"),
    "pairing_buddy_assign": ("post", "buddies/assign/"),
    "pairing_buddy_end": ("post", "buddies/end/"),
}
# Pages without a school that only school managers may open (others get 403).
MANAGER_PAGES = {"pairing_home"}
# Pages about one care plan (工作计划): readers are those working at, above or below its org;
# editors its org's managers (403 for other readers, 404 out of sight).
CARE_PLAN_PAGES = {"care_plan_detail": "/care/plans/{}/", "care_plan_edit": "/care/plans/{}/edit/"}
# carenet.support, checked role by role in tests/test_support.py: a legal-aid case's edit
# and close pages (404 out of sight, 403 for readers who may not edit the child's file);
# the parent-school (家长学校) pages of a school or village (404 for an org out of sight,
# 403 for its readers who may not record sessions); the list of orgs answers everyone.
SUPPORT_PAGES = {
    "support_legal_aid_edit",
    "support_legal_aid_close",
    "support_sessions_home",
    "support_sessions",
    "support_session_new",
    "support_session_edit",
    # Activities (关爱活动, tests/test_support_activities.py): the same rule by org.
    "support_activities_home",
    "support_activities",
    "support_activity_new",
    "support_activity_edit",
}
# Documents (文书, carenet.reports), checked role by role in tests/test_reports_summary.py
# and tests/test_reports_workplan.py: principals, school admins, township supervisors,
# village directors and county admins get 200 for the orgs they may use; others 403.
REPORT_PAGES = {"reports_index", "reports_summary", "reports_plan"}
PUBLIC = {"login", "logout", "healthz", "set_language", "privacy_notice", "activate"}
# The installed app (carenet.web.offline): the manifest, the service worker, the outbox
# page (filled from the phone's own store) and who is signed in (tests/test_offline.py).
PUBLIC |= {"pwa_manifest", "pwa_service_worker", "offline_outbox", "offline_session"}
# The setup page: anyone while nobody has a role anywhere (a new site), 404 for everyone
# after (tests/test_setup_web.py and the test at the end of this file).
PUBLIC |= {"setup"}
# People pages (人员管理, carenet.accounts.people_views; tests/test_people_pages.py): users
# who manage nobody get 403; a person the user does not manage answers 404.
PEOPLE_PAGES = {"people_list", "people_new", "people_activation_sheet"}
PEOPLE_PERSON_PAGES = {
    "people_detail": ("get", "/people/{}/"),
    "people_deactivate": ("get", "/people/{}/deactivate/"),
    "people_reactivate": ("post", "/people/{}/reactivate/"),
    "people_reset": ("post", "/people/{}/reset/"),
    "people_role_remove": ("post", "/people/{}/roles/0/remove/"),
}
# Spreadsheet pages (导入导出). The export takes an org: 404 outside visible_orgs. Import
# batches belong to a school: only its managers see them (404 for anyone else); the upload
# page answers 403 to users who manage no school.
EXCHANGE_SCOPED_PAGES = {"exchange_export", "exchange_template"}
# The register as PDF: the export's scope and masking (tests/test_export_pdf.py).
EXCHANGE_SCOPED_PAGES |= {"exchange_export_pdf"}
# Printables (打印件, carenet/reports/views_printables.py), checked role by role in
# tests/test_reports_cards.py and tests/test_reports_statistics.py: a class's cards answer
# 404 for a class out of sight (403 for full phones without the right); the statistics
# table 403 for users who make no tables, 404 for an org out of sight.
PRINTABLE_PAGES = {
    "reports_cards",
    "reports_contact_cards",
    "reports_talk_cards",
    "reports_statistics",
    "reports_statistics_xlsx",
}
EXCHANGE_BATCH_PAGES = {
    "exchange_batch": ("get", ""),
    "exchange_batch_status": ("get", "status/"),
    "exchange_batch_errors": ("get", "errors/"),
    "exchange_batch_mapping": ("post", "mapping/"),
    "exchange_batch_commit": ("post", "commit/"),
    "exchange_batch_cancel": ("post", "cancel/"),
}
EXCHANGE_PAGES = EXCHANGE_SCOPED_PAGES | set(EXCHANGE_BATCH_PAGES) | {"exchange_import"}
# Dashboards (carenet.dashboards): about an org given by ?org=CODE (default the user's
# primary org); 404 for an org out of visible_orgs, figures only over visible children.
DASHBOARD_PAGES = {
    "dashboard": "/dashboard/",
    "dashboard_indicators": "/dashboard/indicators/",
    "dashboard_indicator_list": "/dashboard/indicators/filing_rate/",
}
# School pages (carenet/orgs, tests/test_school_pages.py). The county's list of schools, a new
# school and the school-list import: county administrators only (403 for anyone else). A
# school's page and its changes (rename, move, merge, close): 404 for a school out of sight,
# 403 for a school seen without being its county's administrator. The classes screen
# (年级和班级): the same for principals and school admins of the school and the county.
COUNTY_SCHOOL_PAGES = {
    "org_schools": ("get", "/orgs/schools/"),
    "org_school_new": ("get", "/orgs/schools/new/"),
    "org_school_import": ("get", "/orgs/schools/import/"),
    "org_school_import_commit": ("post", "/orgs/schools/import/commit/"),
}
ORG_SCHOOL_PAGES = {
    "org_school": ("get", ""),
    "org_school_rename": ("post", "rename/"),
    "org_school_move": ("post", "move/"),
    "org_school_merge": ("post", "merge/"),
    "org_school_close": ("post", "close/"),
    "org_school_classes": ("post", "classes/"),
}
# The school year (学年升级, tests/test_school_year.py): a county's pages answer its county
# admins (404 for a county out of sight, 403 for others who see it); 请确认各班班主任
# answers school managers and county admins (403 for others, 404 for a class out of reach).
SCHOOL_YEAR_PAGES = {
    "schoolyear_home",
    "schoolyear_county",
    "schoolyear_start",
    "schoolyear_undo",
    "schoolyear_enrol",
    "schoolyear_teachers",
    "schoolyear_teacher_confirm",
}
# A child's path (carenet/web/views_path.py), checked role by role in
# tests/test_child_transfer.py and tests/test_child_dropout.py: a step on a child out of
# sight 404, a step the role may not take 403; the transfers pages answer school managers,
# county admins (and a teacher with requests of their own), 403 for others; a transfer out
# of sight 404.
PATH_PAGES = {"child_path", "transfer_list", "transfer_claim", "transfer_decide"}
# Alerts (预警, carenet.alerts; tests/test_alert_pages.py): the inbox answers those who
# handle alerts (403 for others) with the alerts of the children they handle; an alert of
# a child out of that scope (HANDLE_ALERTS) is 404 on every page and action.
ALERT_INBOX = {"alert_inbox"}
ALERT_PAGES = {
    "alert_detail": ("get", ""),
    "alert_acknowledge": ("post", "acknowledge/"),
    "alert_assign": ("post", "assign/"),
    "alert_escalate": ("post", "escalate/"),
    "alert_note": ("post", "note/"),
    "alert_resolve": ("post", "resolve/"),
    "alert_reopen": ("post", "reopen/"),
}
# The plan's alert rules (预警规则, namespace alert_rules; tests/test_alert_settings.py): a
# plan's managers edit (404 out of sight, 403 for readers). Absences and results (缺勤与
# 成绩, namespace attendance; tests/test_attendance.py): who records attendance for the
# class or child (404 out of sight, 403 for others).
ALERT_SETTINGS_PAGES = {"edit"}
ATTENDANCE_PAGES = {"classes", "class", "class_scores", "child", "absence", "absence_delete"}
# The mandatory report and urgent handling (强制报告, 应急处置, namespace safeguard;
# tests/test_safeguard.py): reports and cases of the children one may report on (404 out
# of sight, 403 for a child seen but not reportable); the figures (counts and hours, no
# content) to SEE_REPORT_FIGURES only.
SAFEGUARD_PAGES = {
    "index",
    "figures",
    "report_new",
    "report_detail",
    "report_make",
    "report_receipt",
    "follow_up_add",
    "report_close",
    "report_form_pdf",
    "report_form_docx",
    "emergency_new",
    "emergency_detail",
    "emergency_step",
    "emergency_close",
}
API_CHILD_PATHS = {"/api/v1/children/{id}"}
API_SCOPED_PATHS = {"/api/v1/orgs", "/api/v1/children", "/api/v1/tasks/due", "/api/v1/kpis"}
# Child-scoped paths that only take POST: 404 outside scope, never a record written there.
API_CHILD_POST_PATHS = {"/api/v1/children/{id}/records"}
API_PUBLIC_PATHS = {"/api/v1/auth/token", "/api/v1/auth/activate"}


def _named_patterns(resolver: URLResolver, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = pattern.namespace or ""
            if namespace in ("admin", "api"):
                continue
            names |= _named_patterns(pattern, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_route_is_classified(client):
    assert (
        _named_patterns(get_resolver())
        == set(CHILD_PAGES)
        | SCOPED_PAGES
        | PUBLIC
        | set(SCHOOL_PAGES)
        | MANAGER_PAGES
        | set(OWN_PAGES)
        | set(PLAN_CHILD_PAGES)
        | set(PLAN_PAGES)
        | set(CARE_PLAN_PAGES)
        | {"care_record_photo"}
        | ACCOUNT_PAGES
        | EXCHANGE_PAGES
        | set(AUDITOR_PAGES)
        | AUDIT_POST_PAGES
        | PRINTABLE_PAGES
        | REPORT_PAGES
        | SUPPORT_PAGES
        | set(DASHBOARD_PAGES)
        | set(COUNTY_SCHOOL_PAGES)
        | set(ORG_SCHOOL_PAGES)
        | PEOPLE_PAGES
        | set(PEOPLE_PERSON_PAGES)
        | SCHOOL_YEAR_PAGES
        | PATH_PAGES
        | ALERT_INBOX
        | set(ALERT_PAGES)
        | ALERT_SETTINGS_PAGES
        | ATTENDANCE_PAGES
        | SAFEGUARD_PAGES
    )
    paths = set(client.get("/api/v1/openapi.json").json()["paths"])
    assert paths == API_CHILD_PATHS | API_CHILD_POST_PATHS | API_SCOPED_PATHS | API_PUBLIC_PATHS


@pytest.mark.parametrize("role", ROLES)
def test_child_pages_answer_only_within_scope(world, client, role):
    user = world.user(role)
    client.force_login(user)
    visible = set(visible_children(user).values_list("pk", flat=True))
    for name, action in CHILD_PAGES.items():
        allowed = set(visible_children(user, action).values_list("pk", flat=True))
        for attr in CHILDREN:
            child = getattr(world, attr)
            url = CHILD_URLS[name].format(child.pk)
            status = client.get(url).status_code
            expected = 200 if child.pk in allowed else 403 if child.pk in visible else 404
            assert status == expected, f"{role} {name} {attr}: {status} != {expected}"
            if child.pk not in visible:
                post = client.post(url, {"name": "改名"}).status_code
                assert post in (404, 405), f"{role} POST {name} {attr}: {post}"


@pytest.mark.parametrize("role", ROLES)
def test_scoped_pages_never_show_a_child_outside_scope(world, client, role):
    user = world.user(role)
    client.force_login(user)
    visible = set(visible_children(user).values_list("name", flat=True))
    for path in (
        "/",
        "/children/",
        "/children/?status=all",
        "/care/tasks/",
        "/inbox/",
        "/record/",
        "/alerts/?tab=open",
    ):
        body = client.get(path, follow=True).content.decode()
        for attr in CHILDREN:
            name = getattr(world, attr).name
            if name not in visible:
                assert name not in body, f"{role} sees {name} on {path}"
    assert client.get("/children/new/").status_code in (200, 403)


@pytest.mark.parametrize("role", ROLES)
def test_alert_pages_answer_only_within_the_alerts_scope(world, client, role):
    from carenet.alerts.models import AlertEvent, AlertRule, Severity
    from carenet.alerts.services import alert_raise

    user = world.user(role)
    client.force_login(user)
    handled = set(visible_children(user, Permission.HANDLE_ALERTS).values_list("pk", flat=True))
    for attr in CHILDREN:
        child = getattr(world, attr)
        alert = alert_raise(
            child=child, rule=AlertRule.ABSENCE, key="k", severity=Severity.SERIOUS, evidence={}
        )
        assert alert is not None
        events = AlertEvent.objects.filter(alert=alert).count()
        for name, (method, tail) in ALERT_PAGES.items():
            url = f"/alerts/{alert.pk}/{tail}"
            status = getattr(client, method)(url, {"note-note": "x"}).status_code
            if child.pk in handled:
                assert status in (200, 302), f"{role} {name} {attr}: {status}"
            else:
                assert status == 404, f"{role} {name} {attr}: {status}"
        if child.pk not in handled:
            assert AlertEvent.objects.filter(alert=alert).count() == events


def test_anonymous_users_are_sent_to_log_in(world, client):
    for path in (
        "/",
        "/children/",
        "/children/new/",
        f"/children/{world.own_child.pk}/",
        f"/children/{world.own_child.pk}/card/",
        f"/children/{world.own_child.pk}/edit/",
        "/care/tasks/",
        f"/care/children/{world.own_child.pk}/records/new/",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login/" in response["Location"], path


@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_only_within_scope(world, client, role):
    user = world.user(role)
    _, token = token_issue(user=user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    visible = set(visible_children(user).values_list("pk", flat=True))
    for attr in CHILDREN:
        child = getattr(world, attr)
        status = client.get(f"/api/v1/children/{child.pk}", **auth).status_code
        assert status == (200 if child.pk in visible else 404), f"{role} {attr}: {status}"
    listed = {item["id"] for item in client.get("/api/v1/children", **auth).json()["items"]}
    assert listed == visible
    due = client.get("/api/v1/tasks/due?scope=org", **auth).json()["items"]
    assert {item["child"] for item in due} <= visible
    record = {"kind": "talk", "date": "2026-01-05", "summary": "谈心"}
    for attr in CHILDREN:
        child = getattr(world, attr)
        for path in API_CHILD_POST_PATHS:
            url = path.replace("{id}", str(child.pk))
            status = client.post(url, record, content_type="application/json", **auth).status_code
            assert status == (201 if child.pk in visible else 404), f"{role} POST {path} {attr}"
            assert client.post(url, record, content_type="application/json").status_code == 401
    for path in API_SCOPED_PATHS | API_CHILD_PATHS:
        anonymous = client.get(path.replace("{id}", str(world.own_child.pk)))
        assert anonymous.status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_school_pages_answer_only_to_school_managers(world, client, role):
    """Pairing pages: 200 for a manager of the school, 403 for a school the user can see
    without the right role, 404 for a school out of sight. Refused POSTs change nothing."""
    user = world.user(role)
    client.force_login(user)
    managed = set(pairing_schools(user).values_list("pk", flat=True))
    seen = set(visible_orgs(user, kind=OrgKind.SCHOOL).values_list("pk", flat=True))
    pairings = Pairing.objects.count()
    for school in (world.school, world.other_school):
        for name, (method, tail) in SCHOOL_PAGES.items():
            status = getattr(client, method)(f"/pairing/{school.pk}/{tail}").status_code
            if school.pk in managed:
                assert status in (200, 302, 400), f"{role} {name} {school}: {status}"
            else:
                expected = 403 if school.pk in seen else 404
                assert status == expected, f"{role} {name} {school}: {status} != {expected}"
    if not managed:
        assert Pairing.objects.count() == pairings
    assert client.get("/pairing/").status_code in ((302, 200) if managed else (403,))


@pytest.mark.parametrize("role", ROLES)
def test_own_pages_refuse_another_users_items(world, client, role):
    """Notifications belong to one user: anyone else's answers 404 and stays unread."""
    from carenet.notify.models import Notification

    owner = world.user("teacher" if role != "teacher" else "principal")
    note = Notification.objects.create(
        user=owner, county_code="340827", kind="task_overdue", title="t", dedupe_key="k"
    )
    client.force_login(world.user(role))
    assert client.post(OWN_PAGES["notify_read"].format(note.pk)).status_code == 404
    assert client.post(OWN_PAGES["notify_read_all"]).status_code == 302
    note.refresh_from_db()
    assert note.read_at is None


def _plan_writers(user) -> set[int]:
    """Children whose plans a user may write: the files they may edit, and their mentees."""
    mentees = Pairing.objects.filter(mentor=user, kind="mentor", ended_on__isnull=True)
    visible = set(visible_children(user).values_list("pk", flat=True))
    editable = set(visible_children(user, Permission.EDIT_CHILDREN).values_list("pk", flat=True))
    return editable | (set(mentees.values_list("child_id", flat=True)) & visible)


@pytest.mark.parametrize("role", ROLES)
def test_plan_pages_answer_only_within_scope(world, client, role):
    """Plan pages: reads for whoever sees the child, writes for its editors and mentor,
    403 for other readers, 404 out of sight. Refused (and empty) POSTs write nothing."""
    author = world.user("county_admin")
    day = dt.date(2025, 10, 1)
    plans = {}
    for attr in CHILDREN:
        child = getattr(world, attr)
        study = study_plan_create(
            actor=author, child=child, subjects=["math"], goals="g", measures="m", start_date=day
        )
        individual = individual_plan_open(
            actor=author,
            child=child,
            reason="behavior",
            goals="g",
            measures="m",
            responsible=author,
            opened_on=day,
        )
        plans[attr] = {"study": study, "individual": individual}
    user = world.user(role)
    client.force_login(user)
    visible = set(visible_children(user).values_list("pk", flat=True))
    writers = _plan_writers(user)
    counts = (StudyPlan.objects.count(), IndividualPlan.objects.count())
    for attr in CHILDREN:
        child = getattr(world, attr)
        expected = 200 if child.pk in writers else 403 if child.pk in visible else 404
        for name, path in PLAN_CHILD_PAGES.items():
            url = path.format(child.pk)
            status = client.get(url).status_code
            assert status == expected, f"{role} {name} {attr}: {status} != {expected}"
            assert client.post(url, {}).status_code == expected, f"{role} POST {name} {attr}"
        for name, (kind, method, path) in PLAN_PAGES.items():
            status = getattr(client, method)(path.format(plans[attr][kind].pk)).status_code
            read = 200 if child.pk in visible else 404
            want = read if name in PLAN_READ_PAGES else expected
            assert status == want, f"{role} {name} {attr}: {status} != {want}"
    assert (StudyPlan.objects.count(), IndividualPlan.objects.count()) == counts
    assert not StudyCheck.objects.exists() and not PlanReview.objects.exists()
    assert all(plan.is_open for pair in plans.values() for plan in pair.values())


@pytest.mark.parametrize("role", ROLES)
def test_care_plan_pages_answer_only_within_scope(world, client, role):
    from carenet.care.presets import preset_plan
    from carenet.care.selectors import visible_plans
    from carenet.children.access import plan_orgs

    plans = [
        preset_plan("weekly_talks", org=org, school_year=2026)
        for org in (world.county, world.school, world.other_school)
    ]
    for plan in plans:
        plan.save()
    user = world.user(role)
    client.force_login(user)
    readable = set(visible_plans(user).values_list("pk", flat=True))
    editable = set(plan_orgs(user).values_list("pk", flat=True))
    for plan in plans:
        for name, path in CARE_PLAN_PAGES.items():
            status = client.get(path.format(plan.pk)).status_code
            if plan.pk not in readable:
                expected = 404
            elif name == "care_plan_edit" and plan.org_id not in editable:
                expected = 403
            else:
                expected = 200
            assert status == expected, f"{role} {name} {plan.org}: {status} != {expected}"


@pytest.mark.parametrize("role", ROLES)
def test_record_photos_answer_only_to_readers_of_the_record(world, client, role, settings):
    from django.core.files.base import ContentFile

    from carenet.care.models import CarePhoto
    from carenet.care.selectors import visible_records
    from carenet.care.services import record_create

    photos = {}
    for attr in CHILDREN:
        child = getattr(world, attr)
        record = record_create(
            actor=world.user("county_admin"),
            child=child,
            kind="home_visit",
            date=dt.date(2026, 1, 5),
            summary="家访",
        )
        photo = CarePhoto(record=record, county_code=child.county_code)
        photo.image.save("p.png", ContentFile(b"\x89PNG fake"), save=True)
        photos[attr] = photo
    user = world.user(role)
    client.force_login(user)
    for attr, photo in photos.items():
        child = getattr(world, attr)
        readable = visible_records(user, child).filter(pk=photo.record_id).exists()
        status = client.get(f"/care/photos/{photo.pk}/").status_code
        assert status == (200 if readable else 404), f"{role} {attr}: {status}"


@pytest.mark.parametrize("role", ROLES)
def test_the_register_export_answers_only_for_visible_orgs(world, client, role):
    """An org out of sight answers 404; a visible org's register holds only the children
    the user may see."""
    import io

    from python_calamine import CalamineWorkbook

    user = world.user(role)
    client.force_login(user)
    assert client.get("/exchange/export/").status_code == 200
    visible = set(visible_children(user).values_list("name", flat=True))
    seen = set(visible_orgs(user).values_list("pk", flat=True))
    orgs = [world.county, world.township, world.other_township, world.village, world.school]
    for org in [*orgs, world.other_school, world.class_1, world.other_class]:
        response = client.get("/exchange/export/", {"org": org.pk})
        expected = 200 if org.pk in seen else 404
        assert response.status_code == expected, f"{role} export {org}: {response.status_code}"
        if expected == 200:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
            names = {row[1] for row in sheet.get_sheet_by_index(0).to_python()[1:]}
            assert names <= visible, f"{role} exports {names - visible} from {org}"


@pytest.mark.parametrize("role", ROLES)
def test_import_batches_answer_only_to_school_managers(world, client, role):
    from django.core.files.base import ContentFile

    from carenet.children.access import filing_villages
    from carenet.exchange.models import ImportBatch, ImportStatus

    batches = []
    # A register is imported into a school, or (children not at a school) into a village.
    for school in (world.school, world.other_school, world.village):
        batch = ImportBatch(school=school, county_code=school.county_code, filename="r.csv")
        batch.file.save("r.csv", ContentFile("姓名,身份证号\n".encode()), save=True)
        batches.append(batch)
    user = world.user(role)
    client.force_login(user)
    managed = set(pairing_schools(user).values_list("pk", flat=True))
    managed |= set(filing_villages(user).values_list("pk", flat=True))
    for batch in batches:
        for name, (method, tail) in EXCHANGE_BATCH_PAGES.items():
            status = getattr(client, method)(f"/exchange/import/{batch.pk}/{tail}").status_code
            if batch.school_id in managed:
                assert status in (200, 302), f"{role} {name} {batch.school}: {status}"
            else:
                assert status == 404, f"{role} {name} {batch.school}: {status}"
    assert client.get("/exchange/import/").status_code == (200 if managed else 403)
    others = ImportBatch.objects.exclude(school__in=managed)
    assert set(others.values_list("status", flat=True)) <= {ImportStatus.PENDING}


@pytest.mark.parametrize("role", ROLES)
def test_audit_pages_answer_only_to_auditors_within_scope(world, client, role):
    """Access log and requests: 200 for principals and the county, 403 for the others.
    Reveal: 302 with CONTACTS, 403 for other readers, 404 out of sight; consents and
    requests out of the user's scope are 404 and stay unchanged."""
    from carenet.audit.models import AccessLog, Consent, DataRequest
    from carenet.audit.selectors import audited_children, may_audit

    user = world.user(role)
    client.force_login(user)
    for name, path in AUDITOR_PAGES.items():
        status = client.get(path).status_code
        assert status == (200 if may_audit(user) else 403), f"{role} {name}: {status}"
    visible = set(visible_children(user).values_list("pk", flat=True))
    contacts = set(visible_children(user, Permission.SEE_CONTACTS).values_list("pk", flat=True))
    editable = set(visible_children(user, Permission.EDIT_CHILDREN).values_list("pk", flat=True))
    audited = set(audited_children(user).values_list("pk", flat=True))
    for attr in CHILDREN:
        child = getattr(world, attr)
        before = AccessLog.objects.filter(action="reveal_contacts").count()
        status = client.post(f"/audit/children/{child.pk}/reveal/").status_code
        expected = 302 if child.pk in contacts else 403 if child.pk in visible else 404
        assert status == expected, f"{role} reveal {attr}: {status} != {expected}"
        after = AccessLog.objects.filter(action="reveal_contacts").count()
        assert after == before + (1 if expected == 302 else 0)
        consent = Consent.objects.create(
            child=child, county_code="340827", basis="statutory_duty", given_on="2026-01-01"
        )
        status = client.post(f"/audit/consents/{consent.pk}/withdraw/").status_code
        expected = 302 if child.pk in editable else 403 if child.pk in visible else 404
        assert status == expected, f"{role} withdraw {attr}: {status} != {expected}"
        item = DataRequest.objects.create(
            child=child,
            county_code="340827",
            kind="delete",
            requester_name="x",
            received_on="2026-01-01",
        )
        status = client.post(
            f"/audit/requests/{item.pk}/close/", {"status": "done", "response": "r"}
        ).status_code
        assert status == (302 if child.pk in audited else 404), f"{role} close {attr}"
        item.refresh_from_db()
        assert (item.status == "done") == (child.pk in audited)


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_pages_answer_only_for_visible_orgs(world, client, role):
    """Dashboards: 200 for an org the user may see, 404 for any other; a child out of
    scope is never named, whatever the org or list asked for."""
    user = world.user(role)
    client.force_login(user)
    seen = set(visible_orgs(user).values_list("pk", flat=True))
    hidden = {getattr(world, a).name for a in CHILDREN} - set(
        visible_children(user).values_list("name", flat=True)
    )
    orgs = [world.county, world.township, world.other_township, world.village, world.school]
    for org in [*orgs, world.other_school, world.class_1, world.other_class]:
        for name, path in DASHBOARD_PAGES.items():
            for counted in ("1", "0"):
                response = client.get(path, {"org": org.code, "counted": counted})
                expected = 200 if org.pk in seen else 404
                assert response.status_code == expected, f"{role} {name} {org}"
                body = response.content.decode()
                assert not [n for n in hidden if n in body], f"{role} {name} {org}"


@pytest.mark.parametrize("role", ROLES)
def test_school_pages_answer_only_to_the_county_administrator(world, client, role):
    """County school pages: 200 (or a form's 400/302) for the county administrator, 403 for
    anyone else; a school's pages 404 out of sight, 403 seen without the role. The classes
    screen also answers the school's principal. Refused POSTs change nothing."""
    from carenet.children.access import administered_schools, class_schools
    from carenet.orgs.models import Org

    user = world.user(role)
    client.force_login(user)
    before = list(Org.objects.order_by("pk").values_list("pk", "path", "name", "closed_on"))
    administered = set(administered_schools(user).values_list("pk", flat=True))
    classes = set(class_schools(user).values_list("pk", flat=True))
    seen = set(visible_orgs(user, kind=OrgKind.SCHOOL).values_list("pk", flat=True))
    for name, (method, path) in COUNTY_SCHOOL_PAGES.items():
        status = getattr(client, method)(path).status_code
        allowed = (200, 302, 400) if administered else (403,)
        assert status in allowed, f"{role} {name}: {status}"
    for school in (world.school, world.other_school):
        for name, (method, tail) in ORG_SCHOOL_PAGES.items():
            url = f"/orgs/schools/{school.pk}/{tail}"
            status = getattr(client, method)(url).status_code
            managers = classes if name == "org_school_classes" else administered
            if school.pk in managers:
                assert status in (200, 302, 400), f"{role} {name} {school}: {status}"
            else:
                expected = 403 if school.pk in seen else 404
                assert status == expected, f"{role} {name} {school}: {status} != {expected}"
    if not administered:
        after = list(Org.objects.order_by("pk").values_list("pk", "path", "name", "closed_on"))
        assert after == before


@pytest.mark.parametrize("role", ROLES)
def test_people_pages_answer_only_to_managers_of_the_person(world, client, role):
    """People pages: 403 for a user who manages nobody; for a manager 200 (or a redirect)
    on the people they manage, 404 on everyone else. Refused POSTs change nothing."""
    from django.contrib.auth.models import User

    from carenet.accounts.access import is_manager, managed_people

    user = world.user(role)
    client.force_login(user)
    manager = is_manager(user)
    managed = set(managed_people(user).values_list("pk", flat=True))
    for path in ("/people/", "/people/new/"):
        assert client.get(path).status_code == (200 if manager else 403), f"{role} {path}"
    assert client.post("/people/activation-sheet/").status_code == (302 if manager else 403)
    before = list(User.objects.order_by("pk").values_list("pk", "is_active", "password"))
    for target in world.users.values():
        for name, (method, path) in PEOPLE_PERSON_PAGES.items():
            if target.pk in managed and method == "post":
                continue  # these write: checked in tests/test_people_pages.py
            status = getattr(client, method)(path.format(target.pk)).status_code
            if not manager:
                expected = 403
            elif target.pk in managed:
                expected = 200
            else:
                expected = 404
            assert status == expected, f"{role} {name} {target}: {status} != {expected}"
    after = list(User.objects.order_by("pk").values_list("pk", "is_active", "password"))
    assert after == before


@pytest.mark.parametrize("role", ROLES)
def test_the_setup_page_is_gone_for_everyone_once_someone_has_a_role(world, client, role):
    client.force_login(world.user(role))
    assert client.get("/setup/").status_code == 404
    assert client.post("/setup/", {"code": "340827", "step": "preview"}).status_code == 404

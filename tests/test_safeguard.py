"""The mandatory report (强制报告): opened from an alert or by hand, due within the plan's
hours, made to an agency, receipted, followed up and closed — its whole timeline shown;
overdue flagged to the principal and the township supervisor; the county's figures
without a name or a fact; the printable form (PDF, .docx); the urgent case's checklist."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from docx import Document

from carenet.alerts.models import OPEN_STATUSES, Alert, AlertAction, AlertRule, Severity
from carenet.alerts.services import alert_raise, alert_resolve
from carenet.audit.models import AccessAction, AccessLog
from carenet.care import calendar
from carenet.care.models import CarePlan
from carenet.children.access import Permission, children_scope
from carenet.children.models import Child, FamilyMember, Relation
from carenet.orgs.models import Membership, Role
from carenet.safeguard import selectors, services
from carenet.safeguard.models import (
    EmergencyKind,
    EmergencyStep,
    MandatoryReport,
    ReportCategory,
    ReportStatus,
)
from tests.factories import world_build

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 10, 9, 0, tzinfo=TZ)
FACTS = "孩子说继父用皮带打他，手臂有淤青"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(clock):
    """The cast, built at START; each test starts with no report due (an alert of a
    legal category the rules raise on the cast is handled by the class teacher first)."""
    built = world_build()
    for alert in Alert.objects.filter(report_due=True, status__in=OPEN_STATUSES):
        alert_resolve(actor=built.user("teacher"), alert=alert, note="已核实")
    return built


def test_a_child_living_alone_makes_a_report_due(world, clock):
    alone = alert_raise(
        child=world.own_child,
        rule=AlertRule.LIVING_ALONE,
        key="family",
        severity=Severity.SEVERE,
        evidence={},
        report_due=True,
    )
    [due] = selectors.reports_due(children_scope(world.user("teacher"), Permission.MAKE_REPORTS))
    assert (due.alert, due.category, due.due_by) == (
        alone,
        ReportCategory.UNATTENDED,
        START + dt.timedelta(hours=24),  # the default hours
    )
    alert_resolve(actor=world.user("teacher"), alert=alone, note="祖母已回家")
    assert (
        selectors.reports_due(children_scope(world.user("teacher"), Permission.MAKE_REPORTS)) == []
    )


def _hours(world, hours: int) -> None:
    CarePlan.objects.create(
        org=world.school,
        school_year=calendar.school_year_of(START.date()),
        name="关爱计划",
        alert_rules={"hours": {"report": hours}},
    )


def _alert(child, category="abuse") -> Alert:
    alert = alert_raise(
        child=child,
        rule=AlertRule.TEXT_SIGNAL,
        key=f"talk:1:{category}",
        severity=Severity.SEVERE,
        evidence={"phrase": "打我"},
        category=category,
        report_due=True,
    )
    assert alert is not None
    return alert


def _made(world, child=None, *, hours_later: float = 2) -> MandatoryReport:
    report = services.report_open(
        actor=world.user("teacher"),
        child=child or world.own_child,
        category=ReportCategory.ABUSE,
        facts=FACTS,
        found_at=START - dt.timedelta(hours=hours_later),
    )
    return services.report_make(
        actor=world.user("teacher"),
        report=report,
        agency="police",
        agency_name="华阳派出所",
        reported_at=START,
        facts=FACTS,
        measures="已通知班主任和村儿童主任",
    )


# --- the timeline ---------------------------------------------------------------------


def test_a_report_shows_its_whole_timeline_in_order(client, world, clock):
    _hours(world, 12)
    alert = _alert(world.own_child)
    client.force_login(world.user("teacher"))
    response = client.post(
        reverse("safeguard:report_new") + f"?alert={alert.pk}",
        {"category": "abuse", "found_at": "2026-03-10T09:00", "facts": FACTS},
    )
    report = MandatoryReport.objects.get()
    assert response.url == reverse("safeguard:report_detail", args=[report.pk])
    assert report.due_by == START + dt.timedelta(hours=12) and report.alert == alert
    clock.shift(dt.timedelta(hours=3))
    response = client.post(
        reverse("safeguard:report_make", args=[report.pk]),
        {
            "agency": "police",
            "agency_name": "华阳派出所",
            "reported_at": "2026-03-10T11:30",
            "facts": FACTS,
            "measures": "已安排祖母接回",
        },
    )
    assert response.status_code == 302
    clock.shift(dt.timedelta(hours=1))
    client.post(
        reverse("safeguard:report_receipt", args=[report.pk]),
        {"receipt_number": "HY-2026-031", "receiver": "刘警官"},
    )
    clock.shift(dt.timedelta(days=1))
    client.force_login(world.user("teacher"))  # a new day, a new session
    client.post(reverse("safeguard:follow_up_add", args=[report.pk]), {"note": "派出所已立案"})
    clock.shift(dt.timedelta(days=2))
    client.force_login(world.user("teacher"))
    client.post(reverse("safeguard:report_close", args=[report.pk]), {"note": "孩子由祖母监护"})
    report.refresh_from_db()
    assert report.status == ReportStatus.CLOSED
    html = client.get(reverse("safeguard:report_detail", args=[report.pk])).content.decode()
    timeline = html[html.index('id="timeline"') :]
    kinds = ["found", "made", "receipt", "due", "follow_up", "closed"]
    # made at 11:30 and receipted at 13:00, before the due time (21:00): in time order
    positions = [timeline.index(f'data-kind="{kind}"') for kind in kinds]
    assert positions == sorted(positions)
    for text in ("华阳派出所", "HY-2026-031", "刘警官", "派出所已立案", "孩子由祖母监护"):
        assert text in timeline
    assert "2026-03-10 11:30" in timeline and "2026-03-10 21:00" in timeline
    assert alert.events.filter(action=AlertAction.REPORTED).exists()


def test_a_report_from_an_alert_is_prefilled_with_its_category(client, world, clock):
    cases = {
        "self_harm": ReportCategory.SELF_HARM,
        "domestic_violence": ReportCategory.ABUSE,
        "sexual_harm": ReportCategory.SEXUAL_HARM,
        "running_away": ReportCategory.MISSING,
    }
    client.force_login(world.user("teacher"))
    for signal, category in cases.items():
        alert = _alert(world.own_child, signal)
        response = client.get(reverse("safeguard:report_new") + f"?alert={alert.pk}")
        assert response.context["form"].initial["category"] == category
    alone = alert_raise(
        child=world.own_child,
        rule=AlertRule.LIVING_ALONE,
        key="alone",
        severity=Severity.SEVERE,
        evidence={},
        report_due=True,
    )
    assert selectors.category_of_alert(alone) == ReportCategory.UNATTENDED


# --- due and overdue ------------------------------------------------------------------


def test_an_unreported_alert_is_overdue_after_the_plans_hours_and_not_before(client, world, clock):
    _hours(world, 6)
    alert = _alert(world.own_child)
    due = selectors.reports_due(children_scope(world.user("principal"), Permission.MAKE_REPORTS))
    assert [(d.alert, d.due_by, d.overdue) for d in due] == [
        (alert, START + dt.timedelta(hours=6), False)
    ]
    clock.shift(dt.timedelta(hours=5, minutes=59))
    assert selectors.overdue_reports(world.user("principal")) == []
    client.force_login(world.user("principal"))
    card = render_to_string(
        "safeguard/_overdue_card.html",
        {"overdue_reports": selectors.overdue_reports(world.user("principal"))},
    )
    assert "逾期" not in card
    clock.shift(dt.timedelta(minutes=2))
    for name in ("principal", "township_supervisor"):
        overdue = selectors.overdue_reports(world.user(name))
        assert [d.alert for d in overdue] == [alert]
    assert selectors.overdue_reports(world.user("teacher")) == []  # receives no escalations
    card = render_to_string(
        "safeguard/_overdue_card.html",
        {"overdue_reports": selectors.overdue_reports(world.user("principal"))},
    )
    assert "1 份强制报告逾期未报" in card and world.own_child.name in card
    html = client.get(reverse("safeguard:index")).content.decode()
    assert "list-group-item-danger" in html and "逾期" in html


def test_a_registered_report_is_overdue_until_it_is_made(world, clock):
    _hours(world, 24)
    report = services.report_open(
        actor=world.user("teacher"), child=world.own_child, category=ReportCategory.UNATTENDED
    )
    clock.shift(dt.timedelta(hours=25))
    assert [d.report for d in selectors.overdue_reports(world.user("principal"))] == [report]
    services.report_make(
        actor=world.user("teacher"),
        report=report,
        agency="civil_affairs",
        agency_name="",
        reported_at=START + dt.timedelta(hours=25),
        facts="独自在家",
        measures="",
    )
    assert selectors.overdue_reports(world.user("principal")) == []
    [row] = selectors.report_figures(world.user("county_admin"))
    assert (row.made, row.late, row.median_hours) == (1, 1, 25.0)


# --- refusals -------------------------------------------------------------------------


def test_a_report_is_refused_without_an_agency_in_the_future_or_closed_before_made(
    client, world, clock
):
    report = services.report_open(
        actor=world.user("teacher"), child=world.own_child, category=ReportCategory.ABUSE
    )
    make = dict(
        actor=world.user("teacher"), report=report, agency_name="", facts=FACTS, measures=""
    )
    with pytest.raises(ValidationError) as no_agency:
        services.report_make(agency="", reported_at=START, **make)
    assert "agency" in no_agency.value.message_dict
    with pytest.raises(ValidationError) as future:
        services.report_make(agency="police", reported_at=START + dt.timedelta(hours=1), **make)
    assert "reported_at" in future.value.message_dict
    with pytest.raises(ValidationError) as early:
        services.report_open(
            actor=world.user("teacher"),
            child=world.own_child,
            category=ReportCategory.ABUSE,
            found_at=START + dt.timedelta(days=1),
        )
    assert "found_at" in early.value.message_dict
    with pytest.raises(ValidationError):
        services.report_close(actor=world.user("teacher"), report=report, note="误报")
    with pytest.raises(ValidationError):
        services.follow_up_add(actor=world.user("teacher"), report=report, note="跟进")
    client.force_login(world.user("teacher"))
    response = client.post(
        reverse("safeguard:report_make", args=[report.pk]),
        {"agency": "", "reported_at": "2026-03-10T08:00", "facts": "写下的经过"},
    )
    assert response.status_code == 200 and "请选择受理单位" in response.content.decode()
    assert "写下的经过" in response.content.decode()  # what was typed is kept
    response = client.post(reverse("safeguard:report_close", args=[report.pk]), {"note": "误报"})
    assert "尚未报告，不能结案" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.DUE


def test_an_alert_gets_one_report(world, clock):
    alert = _alert(world.own_child)
    services.report_open(
        actor=world.user("teacher"), child=world.own_child, category="abuse", alert=alert
    )
    with pytest.raises(ValidationError):
        services.report_open(
            actor=world.user("teacher"), child=world.own_child, category="abuse", alert=alert
        )
    with pytest.raises(ValidationError):
        services.report_open(
            actor=world.user("teacher"), child=world.mentee, category="abuse", alert=alert
        )


# --- county figures and scope ---------------------------------------------------------


def test_the_county_sees_counts_and_hours_but_never_a_name_or_the_facts(client, world, clock):
    _made(world, hours_later=2)
    _made(world, world.school_child, hours_later=4)
    _alert(world.outsider)
    client.force_login(world.user("county_admin"))
    response = client.get(reverse("safeguard:figures"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "华阳小学" in html and "长岭中学" in html
    assert "3.0" in html  # median hours of 2 and 4
    for secret in (world.own_child.name, world.school_child.name, world.outsider.name, FACTS):
        assert secret not in html
    report = MandatoryReport.objects.first()
    for url in (
        reverse("safeguard:report_detail", args=[report.pk]),
        reverse("safeguard:report_form_pdf", args=[report.pk]),
        reverse("safeguard:report_form_docx", args=[report.pk]),
    ):
        assert client.get(url).status_code == 404
    assert client.get(reverse("safeguard:index")).url == reverse("safeguard:figures")
    for url in (
        reverse("safeguard:report_new"),
        reverse("safeguard:report_new") + f"?child={world.own_child.pk}",
        reverse("safeguard:emergency_new") + f"?child={world.own_child.pk}",
    ):
        assert client.get(url).status_code == 403  # sees the file, may not report
    rows = selectors.report_figures(world.user("county_admin"))
    by_unit = {(r.unit, r.category): r for r in rows}
    assert by_unit[("华阳小学", "abuse")].made == 2
    assert by_unit[("长岭中学", "abuse")].due == 1


def test_reports_are_out_of_reach_of_another_class_and_another_village(client, world, clock):
    report = _made(world)
    alert = _alert(world.own_child)
    other_director = Membership.objects.create(
        user=world.user("nobody"), org=world.other_village, role=Role.VILLAGE_DIRECTOR
    ).user
    child = world.own_child
    for user in (world.user("stranger_teacher"), other_director):
        client.force_login(user)
        for url in (
            reverse("safeguard:report_detail", args=[report.pk]),
            reverse("safeguard:report_form_pdf", args=[report.pk]),
            reverse("safeguard:report_form_docx", args=[report.pk]),
            reverse("safeguard:report_new") + f"?alert={alert.pk}",
            reverse("safeguard:report_new") + f"?child={child.pk}",
            reverse("safeguard:emergency_new") + f"?child={child.pk}",
        ):
            assert client.get(url).status_code == 404, (user, url)
        assert child.name not in client.get(reverse("safeguard:index")).content.decode()
    for name in ("teacher", "village_director", "principal", "township_supervisor"):
        client.force_login(world.user(name))
        assert client.get(reverse("safeguard:report_detail", args=[report.pk])).status_code == 200


# --- the printable form ---------------------------------------------------------------


def test_the_form_prints_as_pdf_and_docx_and_is_logged(client, world, clock):
    FamilyMember.objects.filter(child=world.own_child, relation=Relation.FATHER).update(
        name="王大军"
    )
    report = _made(world)
    client.force_login(world.user("teacher"))
    response = client.get(reverse("safeguard:report_form_pdf", args=[report.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert "侵害未成年人案件强制报告登记表" in text
    assert world.own_child.name in text and "华阳派出所" in text and "王大军" in text
    assert world.own_child.id_number in text  # the class teacher sees contacts
    response = client.get(reverse("safeguard:report_form_docx", args=[report.pk]))
    document = Document(io.BytesIO(response.content))
    assert document.paragraphs[0].text == "侵害未成年人案件强制报告登记表"
    cells = [cell.text for row in document.tables[0].rows for cell in row.cells]
    assert world.own_child.name in cells and FACTS in cells and "华阳小学" in cells
    logged = AccessLog.objects.filter(action=AccessAction.DOCUMENT, child=world.own_child)
    assert logged.count() == 2


def test_the_form_masks_the_id_number_for_a_user_without_contacts(world, clock):
    report = _made(world)
    form = selectors.report_form(world.user("township_supervisor"), report)
    assert form.id_number != world.own_child.id_number and "********" in form.id_number
    assert selectors.report_form(world.user("teacher"), report).id_number == (
        world.own_child.id_number
    )


# --- urgent case ----------------------------------------------------------------------


def test_an_urgent_case_lists_the_people_to_call_from_the_file(client, world, clock):
    FamilyMember.objects.create(
        child=world.own_child,
        relation=Relation.GRANDMOTHER,
        county_code=world.own_child.county_code,
        name="李桂兰",
        phone="13700001111",
    )
    client.force_login(world.user("teacher"))
    response = client.post(
        reverse("safeguard:emergency_new") + f"?child={world.own_child.pk}",
        {"kind": EmergencyKind.MISSING, "description": "放学后没有回家"},
    )
    case = world.own_child.emergencies.get()
    assert response.url == reverse("safeguard:emergency_detail", args=[case.pk])
    steps = {s.step: s for s in case.steps.all()}
    assert steps["guardian"].contact_name == "李桂兰"
    assert steps["guardian"].contact_phone == "13700001111"
    assert steps["father"].contact_phone == "13812345678"
    assert steps["police"].contact_phone == "110" and "ambulance" not in steps
    assert {"search_home", "search_places", "found"} <= set(steps)
    assert steps["village_director"].contact_name == world.user("village_director").first_name
    assert steps["class_teacher"].contact_name == world.user("teacher").first_name
    assert steps["principal"].contact_name == world.user("principal").first_name
    hurt = services.emergency_open(
        actor=world.user("teacher"), child=world.own_child, kind=EmergencyKind.HURT
    )
    assert hurt.steps.get(step="ambulance").contact_phone == "120"


def test_an_urgent_step_is_timestamped_once_and_never_undone(client, world, clock):
    case = services.emergency_open(
        actor=world.user("teacher"), child=world.own_child, kind=EmergencyKind.ALONE
    )
    police = case.steps.get(step="police")
    client.force_login(world.user("village_director"))
    url = reverse("safeguard:emergency_step", args=[case.pk, police.pk])
    client.post(url, {"done": "1"})
    police.refresh_from_db()
    assert police.done_at == START and police.done_by == world.user("village_director")
    clock.shift(dt.timedelta(minutes=10))
    response = client.post(url, {"done": "1"})
    assert "不能撤销" in response.content.decode()
    police.refresh_from_db()
    assert police.done_at == START
    client.post(url, {"note": "民警已到场"})
    police.refresh_from_db()
    assert "民警已到场" in police.note and police.done_at == START
    html = client.get(reverse("safeguard:emergency_detail", args=[case.pk])).content.decode()
    assert "已完成 03-10 09:00" in html
    response = client.post(reverse("safeguard:emergency_close", args=[case.pk]), {"note": ""})
    assert response.status_code == 200
    client.post(reverse("safeguard:emergency_close", args=[case.pk]), {"note": "已由祖母接回"})
    case.refresh_from_db()
    assert case.closed_at is not None
    other = case.steps.exclude(done_at__isnull=False).first()
    with pytest.raises(ValidationError):
        services.emergency_step_done(actor=world.user("teacher"), case=case, step=other)
    assert EmergencyStep.objects.filter(case=case, done_at__isnull=False).count() == 1


def test_an_urgent_case_out_of_reach_is_404(client, world, clock):
    case = services.emergency_open(
        actor=world.user("stranger_teacher"), child=world.outsider, kind=EmergencyKind.HURT
    )
    step = case.steps.first()
    for name in ("teacher", "village_director", "county_admin"):
        client.force_login(world.user(name))
        assert client.get(reverse("safeguard:emergency_detail", args=[case.pk])).status_code == 404
        url = reverse("safeguard:emergency_step", args=[case.pk, step.pk])
        assert client.post(url, {"done": "1"}).status_code == 404


ROLES = ["county_admin", "township_supervisor", "village_director", "principal", "teacher"]
ROLES += ["stranger_teacher", "nobody"]
CHILDREN = ["own_child", "mentee", "school_child", "villager_elsewhere", "outsider"]


@pytest.mark.parametrize("role", ROLES)
def test_a_report_and_a_case_answer_only_those_who_may_report_on_the_child(
    client, world, clock, role
):
    user = world.user(role)
    allowed = set(
        Child.objects.filter(children_scope(user, Permission.MAKE_REPORTS)).values_list(
            "pk", flat=True
        )
    )
    client.force_login(user)
    for attr in CHILDREN:
        child = getattr(world, attr)
        report = services.report_open(
            actor=None, child=child, category=ReportCategory.OTHER, facts=f"{attr}的情况"
        )
        case = services.emergency_open(
            actor=world.user("principal"), child=child, kind=EmergencyKind.HURT
        )
        expected = 200 if child.pk in allowed else 404
        for url in (
            reverse("safeguard:report_detail", args=[report.pk]),
            reverse("safeguard:emergency_detail", args=[case.pk]),
        ):
            assert client.get(url).status_code == expected, (role, attr, url)
        index = client.get(reverse("safeguard:index"))
        if index.status_code == 200:
            assert f"{attr}的情况" not in index.content.decode()  # no facts in the list


def test_the_picker_finds_only_children_the_user_may_report_on(client, world):
    client.force_login(world.user("teacher"))
    html = client.get(reverse("safeguard:report_new") + "?q=wang").content.decode()
    assert world.own_child.name in html
    html = client.get(reverse("safeguard:emergency_new") + "?q=赵").content.decode()
    assert world.outsider.name not in html and "没有找到" in html

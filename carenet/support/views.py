"""Support pages: a child's legal-aid cases (法律援助), the parent school (家长学校) and
the activities (关爱活动) of schools, classes and villages.

Legal aid follows the child file: readers of the file read the cases (each read is
written to the access log), its editors (``Action.EDIT``) write them. Parent-school
sessions belong to a school or a village: whoever sees the org reads its sessions, its
principals, school admins, teachers and village directors write them; activities follow
the same rule (a class's activities are written by its school's writers). Out of sight
is 404, in sight but read-only 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carenet.audit.models import AccessAction
from carenet.audit.services import audit_log
from carenet.children.models import Child
from carenet.children.selectors import Action, user_may, visible_children
from carenet.lib.http import AuthenticatedRequest
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import school_of
from carenet.support import selectors, services
from carenet.support.forms import (
    ActivityForm,
    LegalAidCaseForm,
    LegalAidCloseForm,
    ParentSessionForm,
)
from carenet.support.models import Activity, LegalAidCase, ParentSchoolSession

LEGAL_AID_READ = "法律援助"


def _service_error(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        form.add_service_errors(error.message_dict)
    else:
        form.add_service_errors({"__all__": error.messages})


# --- legal aid ------------------------------------------------------------------------


def _require_editor(request: HttpRequest, child: Child) -> None:
    if not user_may(request.user, Action.EDIT, child):
        raise PermissionDenied(_("您可以查看该儿童的档案，但无权登记法律援助。"))


def _child(request: HttpRequest, pk: int) -> Child:
    return get_object_or_404(visible_children(request.user).select_related("school"), pk=pk)


def _case(request: HttpRequest, pk: int) -> LegalAidCase:
    case = get_object_or_404(selectors.visible_cases(request.user).select_related("child"), pk=pk)
    _require_editor(request, case.child)
    return case


def _cases_page(
    request: HttpRequest,
    child: Child,
    *,
    close_form: LegalAidCloseForm | None = None,
    closing: LegalAidCase | None = None,
    status: int = 200,
) -> HttpResponse:
    audit_log(
        request=request,
        user=request.user,
        action=AccessAction.VIEW_FILE,
        child=child,
        detail=LEGAL_AID_READ,
    )
    context = {
        "child": child,
        "cases": selectors.legal_aid_cases_of(child),
        "may_edit": user_may(request.user, Action.EDIT, child),
        # The form of the case being closed keeps its input and errors; the others are blank.
        "close_form": close_form,
        "blank_close_form": LegalAidCloseForm(initial={"closed_on": timezone.localdate()}),
        "closing": closing,
    }
    return render(request, "support/legal_aid_list.html", context, status=status)


@login_required
@require_GET
def legal_aid_list(request: HttpRequest, pk: int) -> HttpResponse:
    return _cases_page(request, _child(request, pk))


def _case_kwargs(form: LegalAidCaseForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "opened_on": data["opened_on"],
        "matter": data["matter"],
        "eligible": data["eligible"],
        "aided": data["aided"],
        "aided_on": data["aided_on"],
        "provider": data["provider"],
        "closed_on": data["closed_on"],
    }


def _case_form_page(
    request: HttpRequest, *, child: Child, form: LegalAidCaseForm, case: LegalAidCase | None
) -> HttpResponse:
    status = 400 if form.is_bound else 200
    context = {"child": child, "form": form, "case": case}
    return render(request, "support/legal_aid_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def legal_aid_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    child = _child(request, pk)
    _require_editor(request, child)
    if request.method != "POST":
        form = LegalAidCaseForm(initial={"opened_on": timezone.localdate(), "eligible": True})
        return _case_form_page(request, child=child, form=form, case=None)
    form = LegalAidCaseForm(request.POST)
    if form.is_valid():
        try:
            services.legal_aid_case_create(actor=request.user, child=child, **_case_kwargs(form))
        except ValidationError as error:
            _service_error(form, error)
        else:
            messages.success(request, _("法律援助案件已登记。"))
            return redirect("support_legal_aid", pk=child.pk)
    return _case_form_page(request, child=child, form=form, case=None)


@login_required
@require_http_methods(["GET", "POST"])
def legal_aid_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    if request.method != "POST":
        initial = {
            "opened_on": case.opened_on,
            "matter": case.matter,
            "eligible": case.eligible,
            "aided": case.aided,
            "aided_on": case.aided_on,
            "provider": case.provider,
            "closed_on": case.closed_on,
        }
        form = LegalAidCaseForm(initial=initial)
        return _case_form_page(request, child=case.child, form=form, case=case)
    form = LegalAidCaseForm(request.POST)
    if form.is_valid():
        try:
            services.legal_aid_case_update(actor=request.user, case=case, **_case_kwargs(form))
        except ValidationError as error:
            _service_error(form, error)
        else:
            messages.success(request, _("法律援助案件已保存。"))
            return redirect("support_legal_aid", pk=case.child_id)
    return _case_form_page(request, child=case.child, form=form, case=case)


@login_required
@require_POST
def legal_aid_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = LegalAidCloseForm(request.POST)
    if form.is_valid():
        try:
            services.legal_aid_case_close(
                actor=request.user, case=case, on=form.cleaned_data["closed_on"]
            )
        except ValidationError as error:
            _service_error(form, error)
        else:
            messages.success(request, _("案件已结案。"))
            return redirect("support_legal_aid", pk=case.child_id)
    return _cases_page(request, case.child, close_form=form, closing=case, status=400)


# --- parent school --------------------------------------------------------------------


def _org_in_view(request: HttpRequest, pk: int) -> Org:
    return get_object_or_404(selectors.session_orgs_in_view(request.user), pk=pk)


def _require_session_writer(request: HttpRequest, org: Org) -> None:
    if not selectors.may_write_sessions(request.user, org):
        raise PermissionDenied(
            _("只有本校校长、德育主任、教师或本村儿童主任可以登记家长学校活动。")
        )


def _org_chooser(request: HttpRequest, *, target: str, template: str) -> HttpResponse:
    """The schools and villages in view, or straight to the ``target`` page of the only
    one."""
    orgs = list(selectors.session_orgs_in_view(request.user))
    writable = set(selectors.session_writer_orgs(request.user).values_list("pk", flat=True))
    if len(orgs) == 1:
        return redirect(target, pk=orgs[0].pk)
    return render(request, template, {"orgs": orgs, "writable": writable})


@login_required
@require_GET
def sessions_home(request: HttpRequest) -> HttpResponse:
    return _org_chooser(request, target="support_sessions", template="support/session_orgs.html")


@login_required
@require_GET
def sessions(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org_in_view(request, pk)
    context = {
        "org": org,
        "sessions": selectors.sessions_of(org),
        "may_write": selectors.may_write_sessions(request.user, org),
    }
    return render(request, "support/sessions.html", context)


def _session_kwargs(form: ParentSessionForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "held_on": data["held_on"],
        "topic": data["topic"],
        "speaker": data["speaker"],
        "others_count": data["others_count"],
        "attendees": data["attendees"],
    }


def _session_form_page(
    request: HttpRequest, *, org: Org, form: ParentSessionForm, session: ParentSchoolSession | None
) -> HttpResponse:
    status = 400 if form.is_bound else 200
    context = {"org": org, "form": form, "session": session}
    return render(request, "support/session_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    org = _org_in_view(request, pk)
    _require_session_writer(request, org)
    offered = selectors.offered_members(request.user, org)
    if request.method != "POST":
        form = ParentSessionForm(
            initial={"held_on": timezone.localdate(), "others_count": 0}, offered=offered
        )
        return _session_form_page(request, org=org, form=form, session=None)
    form = ParentSessionForm(request.POST, offered=offered)
    if form.is_valid():
        try:
            services.parent_session_create(
                actor=request.user, org=org, offered=offered, **_session_kwargs(form)
            )
        except ValidationError as error:
            _service_error(form, error)
        else:
            messages.success(request, _("家长学校活动已登记。"))
            return redirect("support_sessions", pk=org.pk)
    return _session_form_page(request, org=org, form=form, session=None)


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(
        ParentSchoolSession.objects.filter(org__in=selectors.session_orgs_in_view(request.user)),
        pk=pk,
    )
    org = session.org
    _require_session_writer(request, org)
    offered = selectors.offered_members(request.user, org)
    if request.method != "POST":
        initial = {
            "held_on": session.held_on,
            "topic": session.topic,
            "speaker": session.speaker,
            "others_count": session.others_count,
            "attendees": list(
                session.attendance.filter(member__in=offered).values_list("member_id", flat=True)
            ),
        }
        form = ParentSessionForm(initial=initial, offered=offered)
        return _session_form_page(request, org=org, form=form, session=session)
    form = ParentSessionForm(request.POST, offered=offered)
    if form.is_valid():
        try:
            services.parent_session_update(
                actor=request.user, session=session, offered=offered, **_session_kwargs(form)
            )
        except ValidationError as error:
            _service_error(form, error)
        else:
            messages.success(request, _("家长学校活动已保存。"))
            return redirect("support_sessions", pk=org.pk)
    return _session_form_page(request, org=org, form=form, session=session)


# --- activities -----------------------------------------------------------------------


def _activity_org(request: HttpRequest, pk: int) -> Org:
    return get_object_or_404(selectors.activity_orgs_in_view(request.user), pk=pk)


def _require_activity_writer(request: HttpRequest, org: Org) -> None:
    if not selectors.may_write_activities(request.user, org):
        raise PermissionDenied(_("只有本校校长、德育主任、教师或本村儿童主任可以登记活动。"))


@login_required
@require_GET
def activities_home(request: HttpRequest) -> HttpResponse:
    return _org_chooser(request, target="support_activities", template="support/activity_orgs.html")


@login_required
@require_GET
def activities(request: HttpRequest, pk: int) -> HttpResponse:
    org = _activity_org(request, pk)
    classes = (
        selectors.activity_orgs_in_view(request.user).filter(
            kind=OrgKind.CLASS, path__startswith=org.path
        )
        if org.kind == OrgKind.SCHOOL
        else Org.objects.none()
    )
    context = {
        "org": org,
        "activities": selectors.activities_of(org),
        "classes": classes,
        # A class's page leads back to its school's (in view: visible_orgs shows it).
        "school": school_of(org) if org.kind == OrgKind.CLASS else None,
        "may_write": selectors.may_write_activities(request.user, org),
    }
    return render(request, "support/activities.html", context)


def _activity_kwargs(form: ActivityForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "held_on": data["held_on"],
        "kind": data["kind"],
        "title": data["title"],
        "summary": data["summary"],
        "others_count": data["others_count"],
        "participants": data["participants"],
    }


def _activity_form_page(
    request: HttpRequest, *, org: Org, form: ActivityForm, activity: Activity | None
) -> HttpResponse:
    status = 400 if form.is_bound else 200
    context = {"org": org, "form": form, "activity": activity}
    return render(request, "support/activity_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def activity_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    org = _activity_org(request, pk)
    _require_activity_writer(request, org)
    offered = selectors.offered_participants(request.user, org)
    if request.method != "POST":
        form = ActivityForm(
            initial={"held_on": timezone.localdate(), "others_count": 0}, offered=offered
        )
        return _activity_form_page(request, org=org, form=form, activity=None)
    form = ActivityForm(request.POST, offered=offered)
    if form.is_valid():
        try:
            services.activity_create(
                actor=request.user, org=org, offered=offered, **_activity_kwargs(form)
            )
        except ValidationError as error:
            _service_error(form, error)
        else:
            messages.success(request, _("活动已登记。"))
            return redirect("support_activities", pk=org.pk)
    return _activity_form_page(request, org=org, form=form, activity=None)


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(
        selectors.visible_activities(request.user).select_related("org"), pk=pk
    )
    org = activity.org
    _require_activity_writer(request, org)
    offered = selectors.offered_participants(request.user, org)
    if request.method != "POST":
        initial = {
            "held_on": activity.held_on,
            "kind": activity.kind,
            "title": activity.title,
            "summary": activity.summary,
            "others_count": activity.others_count,
            "participants": list(
                activity.participation.filter(child__in=offered.values("pk")).values_list(
                    "child_id", flat=True
                )
            ),
        }
        form = ActivityForm(initial=initial, offered=offered)
        return _activity_form_page(request, org=org, form=form, activity=activity)
    form = ActivityForm(request.POST, offered=offered)
    if form.is_valid():
        try:
            services.activity_update(
                actor=request.user, activity=activity, offered=offered, **_activity_kwargs(form)
            )
        except ValidationError as error:
            _service_error(form, error)
        else:
            messages.success(request, _("活动已保存。"))
            return redirect("support_activities", pk=org.pk)
    return _activity_form_page(request, org=org, form=form, activity=activity)

"""The school pairing pages (结对帮扶: mentors and student buddies) for principals, school
admins and county admins."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from carenet.children.access import pairing_schools
from carenet.lib.http import AuthenticatedRequest
from carenet.lib.names import user_name
from carenet.orgs.models import Org
from carenet.pairing import selectors, services
from carenet.pairing.forms import AssignForm, BuddyAssignForm, BuddyEndForm, HandoverForm


def _school_for_pairing(request: HttpRequest, pk: int) -> Org:
    """A school whose pairing the user may run: 404 outside their view, 403 without the role."""
    school = selectors.school_in_view(request.user, pk)
    if school is None:
        raise Http404
    if not pairing_schools(request.user).filter(pk=school.pk).exists():
        raise PermissionDenied(_("只有校长、德育主任或县级管理员可以安排结对帮扶。"))
    return school


def _page(
    request: HttpRequest,
    school: Org,
    *,
    assign_form: AssignForm | None = None,
    handover_form: HandoverForm | None = None,
    result: services.AutoAssignResult | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = selectors.mentor_rows(school)
    unpaired = list(selectors.unpaired_left_behind(school))
    context: dict[str, Any] = {
        "school": school,
        "rows": rows,
        "capacity": selectors.mentor_capacity(school),
        "free_places": sum(row.free for row in rows),
        "unpaired": unpaired,
        "assign_form": assign_form or AssignForm(school=school),
        "handover_form": handover_form or HandoverForm(school=school),
        "result": result,
    }
    return render(request, "pairing/school.html", context, status=status)


@login_required
@require_GET
def pairing_home(request: HttpRequest) -> HttpResponse:
    schools = list(pairing_schools(request.user))
    if not schools:
        raise PermissionDenied(_("只有校长、德育主任或县级管理员可以安排结对帮扶。"))
    if len(schools) == 1:
        return redirect("pairing_school", pk=schools[0].pk)
    return render(request, "pairing/schools.html", {"schools": schools})


@login_required
@require_GET
def pairing_school(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _school_for_pairing(request, pk))


@login_required
@require_POST
def pairing_assign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    school = _school_for_pairing(request, pk)
    form = AssignForm(request.POST, school=school)
    if form.is_valid():
        child, mentor = form.cleaned_data["child"], form.cleaned_data["mentor"]
        try:
            services.pairing_assign(
                actor=request.user, child=child, mentor=mentor, on=timezone.localdate()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("已安排 %(mentor)s 为 %(child)s 的代理家长。")
                % {"mentor": user_name(mentor), "child": child.name},
            )
            return redirect("pairing_school", pk=school.pk)
    return _page(request, school, assign_form=form, status=400)


@login_required
@require_POST
def pairing_auto(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    school = _school_for_pairing(request, pk)
    result = services.pairing_auto_assign(
        actor=request.user, school=school, on=timezone.localdate()
    )
    return _page(request, school, result=result)


@login_required
@require_POST
def pairing_handover(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    school = _school_for_pairing(request, pk)
    form = HandoverForm(request.POST, school=school)
    if form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.pairing_handover(
                actor=request.user,
                from_mentor=data["from_mentor"],
                to_mentor=data["to_mentor"],
                school=school,
                on=timezone.localdate(),
                reason=data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(from)s 的 %(n)d 名结对儿童已移交给 %(to)s。")
                % {
                    "from": user_name(data["from_mentor"]),
                    "n": len(moved),
                    "to": user_name(data["to_mentor"]),
                },
            )
            return redirect("pairing_school", pk=school.pk)
    return _page(request, school, handover_form=form, status=400)


# --- student buddies (学习帮手, 手拉手) ---------------------------------------------------


def _buddy_page(
    request: HttpRequest,
    school: Org,
    *,
    assign_form: BuddyAssignForm | None = None,
    end_form: BuddyEndForm | None = None,
    status: int = 200,
) -> HttpResponse:
    classes = list(selectors.school_classes(school))
    chosen = _chosen_class(request.GET, classes)
    context: dict[str, Any] = {
        "school": school,
        "classes": classes,
        "chosen_class": chosen,
        "rows": selectors.buddy_rows(school, chosen),
        "assign_form": assign_form or BuddyAssignForm(school=school),
        "end_form": end_form,
    }
    return render(request, "pairing/buddies.html", context, status=status)


def _chosen_class(query: QueryDict, classes: list[Org]) -> Org | None:
    """The class picked in ``?class=`` among the school's classes (else the whole school)."""
    wanted = query.get("class", "")
    return next((c for c in classes if str(c.pk) == wanted), None)


@login_required
@require_GET
def pairing_buddies(request: HttpRequest, pk: int) -> HttpResponse:
    return _buddy_page(request, _school_for_pairing(request, pk))


@login_required
@require_POST
def pairing_buddy_assign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    school = _school_for_pairing(request, pk)
    form = BuddyAssignForm(request.POST, school=school)
    if form.is_valid():
        child, buddy = form.cleaned_data["child"], form.cleaned_data["buddy"]
        try:
            services.buddy_assign(
                actor=request.user, child=child, buddy=buddy, on=timezone.localdate()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("已安排 %(buddy)s 为 %(child)s 的学习帮手。")
                % {"buddy": buddy.name, "child": child.name},
            )
            return redirect("pairing_buddies", pk=school.pk)
    return _buddy_page(request, school, assign_form=form, status=400)


@login_required
@require_POST
def pairing_buddy_end(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    school = _school_for_pairing(request, pk)
    form = BuddyEndForm(request.POST, school=school)
    if form.is_valid():
        pairing = form.cleaned_data["pairing"]
        try:
            services.buddy_end(
                actor=request.user,
                pairing=pairing,
                on=timezone.localdate(),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(child)s 与学习帮手 %(buddy)s 的结对已结束。")
                % {"child": pairing.child.name, "buddy": pairing.buddy_name},
            )
            return redirect("pairing_buddies", pk=school.pk)
    return _buddy_page(request, school, end_form=form, status=400)

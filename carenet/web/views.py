"""The web pages. Each view parses the request, asks a selector or a service, renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carenet.alerts.selectors import child_alerts, risk_reasons
from carenet.audit.models import AccessAction
from carenet.audit.refusals import id_checks_allowed, id_refusal_record
from carenet.audit.reveal import is_revealed
from carenet.audit.services import audit_log
from carenet.childplans.selectors import child_timeline, may_write_plans, plans_for_child
from carenet.children.access import (
    Permission,
    editable_classes,
    filing_villages,
    holds,
    mentee_ids,
    user_may,
)
from carenet.children.forms import ChildForm, family_forms
from carenet.children.models import GRANDPARENT_RELATIONS, Child, Relation
from carenet.children.selectors import left_behind_history, selectable_villages
from carenet.children.services import child_save, latest_away_period
from carenet.lib.forms import label_choices, model_choice
from carenet.lib.http import AuthenticatedRequest
from carenet.orgs.models import Membership, Org, OrgKind
from carenet.orgs.selectors import (
    AnyUser,
    class_label,
    primary_membership,
    user_memberships,
    with_school_names,
)
from carenet.safeguard.selectors import overdue_reports
from carenet.web import home_selectors, selectors
from carenet.web.forms import (
    ChildFilterForm,
    child_sections,
    family_layout,
    form_errors,
)
from carenet.web.views_path import path_context

PAGE_SIZE = 50
HOME_LIST_LENGTH = 12


def _is_htmx(request: HttpRequest) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    return "HX-Request" in request.headers and "HX-History-Restore-Request" not in request.headers


def _child_or_404(request: HttpRequest, pk: int) -> Child:
    """A child the user may see, else 404: a child out of scope does not exist for them."""
    return get_object_or_404(selectors.child_file(request.user), pk=pk)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The first screen: the day's work of the user's role first (``home_selectors``),
    then their children, then the counters of their scope."""
    user = request.user
    membership = primary_membership(user)
    class_children = selectors.class_children(user)
    breakdown = selectors.org_breakdown(user, membership)
    context: dict[str, Any] = {
        "membership": membership,
        "counts": selectors.home_counts(user),
        "populations": selectors.home_populations(user, membership),
        "breakdown": breakdown,
        "class_children": class_children[:HOME_LIST_LENGTH],
        "class_children_count": class_children.count(),
        "mentees": selectors.mentees(user),
    }
    context.update(_day_work(user, membership, breakdown))
    return render(request, "web/home.html", context)


def _day_work(
    user: Any, membership: Membership | None, breakdown: list[selectors.BreakdownRow]
) -> dict[str, Any]:
    """The sections of the day's work: 待办 for whoever has a working list; a school's,
    a village's, a township's or a county's work by the org of the primary membership."""
    today = timezone.localdate()
    found: dict[str, Any] = {"today": today}
    found["alert_work"] = home_selectors.alert_work(user)
    # Mandatory reports not made in time: red, first, for the principal and the township
    # supervisor (an empty list for everyone else).
    found["overdue_reports"] = overdue_reports(user)
    if holds(user, Permission.CARE_FOR_CHILDREN) or mentee_ids(user):
        found["work"] = home_selectors.my_work(user, today)
    if membership is None:
        return found
    org = membership.org
    if home_selectors.leads_school(user, membership) and org.kind == OrgKind.SCHOOL:
        found["school_work"] = home_selectors.school_work(user, org, today)
    elif org.kind == OrgKind.VILLAGE:
        found["village_work"] = home_selectors.village_work(user, org, today, found.get("work"))
    elif org.kind == OrgKind.TOWNSHIP:
        found["township_work"] = home_selectors.township_work(user, org, today)
        own, elsewhere = home_selectors.split_by_township(breakdown, org)
        found.update(own_schools=own, elsewhere_schools=elsewhere)
    elif org.kind == OrgKind.COUNTY:
        found["county_work"] = home_selectors.county_work(user, org, today)
    return found


@login_required
def record_pick(request: HttpRequest) -> HttpResponse:
    """The 记录 tab: the user's children, each with 记录 (their 待办 first); a user with no
    children of their own (a principal, a supervisor) goes to their 待办."""
    today = timezone.localdate()
    children = home_selectors.recordable_children(request.user, today)
    if not children.exists():
        return redirect("care_tasks")
    context = {
        "work": home_selectors.my_work(request.user, today),
        "children": children,
    }
    return render(request, "web/record_pick.html", context)


@login_required
def account_me(request: HttpRequest) -> HttpResponse:
    """我的: the user's account pages, language and logout in one place on a phone."""
    return render(request, "web/me.html", {"memberships": user_memberships(request.user)})


@login_required
def child_list(request: HttpRequest) -> HttpResponse:
    form = ChildFilterForm(request.GET, user=request.user)
    children = selectors.child_list(request.user, form.filters())
    page = Paginator(children, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "web/children/_results.html" if _is_htmx(request) else "web/children/list.html"
    response = render(request, template, {"form": form, "page": page})
    patch_vary_headers(response, ["HX-Request"])
    return response


def _file_context(request: HttpRequest, child: Child) -> dict[str, Any]:
    """What the file page and the contact card show, with the viewer's rights."""
    family = {member.relation: member for member in child.family.all()}
    return {
        "child": child,
        "father": family.get(Relation.FATHER),
        "mother": family.get(Relation.MOTHER),
        "guardian": family.get(Relation.GUARDIAN),
        "grandparents": [family[r] for r in GRANDPARENT_RELATIONS if r in family],
        "father_away": latest_away_period(child, Relation.FATHER),
        "mother_away": latest_away_period(child, Relation.MOTHER),
        "mentor": next(iter(child.active_mentors), None),  # type: ignore[attr-defined]  # prefetched
        "buddy": next(iter(child.active_buddies), None),  # type: ignore[attr-defined]  # prefetched
        **_masking(request, child),
    }


def _masking(request: HttpRequest, child: Child) -> dict[str, bool]:
    """Contacts are masked until a user whose role needs them presses 显示 (logged)."""
    may_reveal = user_may(request.user, Permission.SEE_CONTACTS, child)
    return {"may_reveal": may_reveal, "unmasked": may_reveal and is_revealed(request, child)}


@login_required
def child_detail(request: HttpRequest, pk: int) -> HttpResponse:
    child = _child_or_404(request, pk)
    audit_log(request=request, user=request.user, action=AccessAction.VIEW_FILE, child=child)
    context = _file_context(request, child)
    context.update(
        may_edit=user_may(request.user, Permission.EDIT_CHILDREN, child),
        left_behind_history=left_behind_history(child),
        timeline=child_timeline(request.user, child),
        plans=plans_for_child(request.user, child),
        may_write_plans=may_write_plans(request.user, child),
    )
    context.update(path_context(request.user, child))  # a child's path (views_path)
    context.update(_risk_context(request.user, child))
    context["child_alerts"] = child_alerts(request.user, child)  # 预警 (alerts/_child_alerts)
    # 强制报告 and 应急处置 for this child, for whoever may report on them.
    context["may_report"] = user_may(request.user, Permission.MAKE_REPORTS, child)
    return render(request, "web/children/detail.html", context)


def _risk_context(user: AnyUser, child: Child) -> dict[str, Any]:
    """The derived risk's reasons, and the link to raise it by hand for those who handle
    the child's alerts."""
    raise_url = None
    if user_may(user, Permission.HANDLE_ALERTS, child):
        raise_url = reverse("alerts:alert_risk", args=[child.pk])
    return {"risk_reasons": risk_reasons(child), "risk_raise_url": raise_url}


@login_required
def child_card(request: HttpRequest, pk: int) -> HttpResponse:
    child = _child_or_404(request, pk)
    audit_log(request=request, user=request.user, action=AccessAction.VIEW_CARD, child=child)
    context = _file_context(request, child)
    context["parents"] = [
        (Relation.FATHER.label, context["father"]),
        (Relation.MOTHER.label, context["mother"]),
    ]
    return render(request, "web/children/card.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def child_create(request: AuthenticatedRequest) -> HttpResponse:
    classes = editable_classes(request.user)
    if not classes.exists() and not filing_villages(request.user).exists():
        raise PermissionDenied(_("您没有新建儿童档案的权限。"))
    return _child_form_page(request, child=None, classes=classes)


@login_required
@require_http_methods(["GET", "POST"])
def child_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    child = _child_or_404(request, pk)
    if not user_may(request.user, Permission.EDIT_CHILDREN, child):
        raise PermissionDenied(_("您可以查看该儿童的档案，但无权修改。"))
    return _child_form_page(request, child=child, classes=editable_classes(request.user))


def _child_form_page(
    request: AuthenticatedRequest, *, child: Child | None, classes: QuerySet[Org]
) -> HttpResponse:
    """The create/edit form: all-or-nothing save, or the form again with every error.

    Opening a file's edit form is a read of the file (logged); its ID numbers and phones
    are masked as on the file page, and left masked they keep their stored values."""
    data = request.POST if request.method == "POST" else None
    masking = _masking(request, child) if child else {"may_reveal": False, "unmasked": True}
    masked = not masking["unmasked"]
    if child is not None and data is None:
        audit_log(
            request=request, user=request.user, action=AccessAction.VIEW_EDIT_FORM, child=child
        )
    form = ChildForm(
        data,
        instance=child,
        classes=with_school_names(classes),
        villages=selectable_villages(request.user),
        masked=masked,
        user=request.user,
        id_checks_allowed=id_checks_allowed(user=request.user),
        filing_villages=filing_villages(request.user),
    )
    label_choices(model_choice(form, "school_class"), class_label)
    family = family_forms(data, child=child, masked=masked)
    if data is not None:
        valid = [form.is_valid(), *(member.is_valid() for member in family.values())]
        if form.id_refused:
            id_refusal_record(request=request, user=request.user, details=[_("档案表单")])
        if all(valid):
            saved = child_save(
                actor=request.user,
                child=child,
                data=form.cleaned_data,
                family={relation: member.cleaned_data for relation, member in family.items()},
            )
            if form.id_warnings:
                messages.warning(
                    request,
                    _("%(name)s 的档案已保存。请核对：%(warnings)s")
                    % {"name": saved.name, "warnings": "；".join(form.id_warnings)},
                )
            else:
                messages.success(request, _("%(name)s 的档案已保存。") % {"name": saved.name})
            return redirect("child_detail", pk=saved.pk)
    layout = family_layout(family)
    context = {
        "child": child,
        "form": form,
        "sections": child_sections(form),
        "family_sections": layout.sections,
        "grandparent_sections": layout.grandparents,
        "grandparents_open": layout.grandparents_open,
        "errors": form_errors([(_("儿童"), form), *layout.all]) if data is not None else [],
        "masked": masked and child is not None,
        **masking,
    }
    return render(request, "web/children/form.html", context)

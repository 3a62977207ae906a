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
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carenet.audit.models import AccessAction
from carenet.audit.refusals import id_checks_allowed, id_refusal_record
from carenet.audit.reveal import is_revealed
from carenet.audit.services import audit_log
from carenet.childplans.selectors import child_timeline, may_write_plans, plans_for_child
from carenet.children.access import Permission, editable_classes, filing_villages, user_may
from carenet.children.forms import ChildForm, family_forms
from carenet.children.models import GRANDPARENT_RELATIONS, Child, Relation
from carenet.children.selectors import left_behind_history, selectable_villages
from carenet.children.services import child_save, latest_away_period
from carenet.lib.forms import label_choices, model_choice
from carenet.lib.http import AuthenticatedRequest
from carenet.orgs.models import Org
from carenet.orgs.selectors import class_label, primary_membership, with_school_names
from carenet.web import selectors
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
    user = request.user
    membership = primary_membership(user)
    class_children = selectors.class_children(user)
    context = {
        "membership": membership,
        "counts": selectors.home_counts(user),
        "populations": selectors.home_populations(user, membership),
        "breakdown": selectors.org_breakdown(user, membership),
        "class_children": class_children[:HOME_LIST_LENGTH],
        "class_children_count": class_children.count(),
        "mentees": selectors.mentees(user),
    }
    return render(request, "web/home.html", context)


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
    return render(request, "web/children/detail.html", context)


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

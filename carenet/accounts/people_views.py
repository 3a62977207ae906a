"""The people pages (人员管理): list, add, roles, stop, restore, reset; and /activate/.

A user who manages nobody gets 403; a person the user does not manage answers 404, as if
they did not exist. Activation codes are shown once, on the page that made them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carenet.accounts.access import is_manager, managed_people, may_grant
from carenet.accounts.lockout import attempt_failed, attempt_locked, lockout_message
from carenet.accounts.people import (
    account_activate,
    activation_sheet_issue,
    person_add,
    person_deactivate,
    person_grants_add,
    person_membership_remove,
    person_reactivate,
    person_reset,
)
from carenet.accounts.people_forms import ActivateForm, DeactivateForm, GrantForm, PersonForm
from carenet.accounts.services import ActivationError, IssuedCode
from carenet.lib.http import AuthenticatedRequest
from carenet.lib.phone import mask_phone
from carenet.orgs.models import Membership, Role
from carenet.orgs.selectors import school_of
from carenet.pairing.selectors import school_mentors


def _manager(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise PermissionDenied


def _managed(request: HttpRequest, pk: int):
    _manager(request)
    return get_object_or_404(managed_people(request.user).select_related("person"), pk=pk)


def _issued_page(request: HttpRequest, issued: list[IssuedCode], *, status: int = 200):
    """The codes just made, shown this once, printable as an activation sheet."""
    context = {"issued": issued, "activate_url": request.build_absolute_uri(reverse("activate"))}
    return render(request, "accounts/people_issued.html", context, status=status)


@login_required
def people_list(request: HttpRequest) -> HttpResponse:
    _manager(request)
    people = managed_people(request.user).select_related("person")
    query = request.GET.get("q", "").strip()[:50]
    if query:
        people = people.filter(Q(person__name__contains=query) | Q(username__icontains=query))
    people = list(people[:500])
    roles: dict[int, list[Membership]] = {}
    for membership in Membership.objects.filter(user__in=people).select_related("org"):
        roles.setdefault(membership.user_id, []).append(membership)
    rows = [
        {
            "user": user,
            "memberships": roles.get(user.pk, []),
            "phone": mask_phone(getattr(getattr(user, "person", None), "phone", "") or ""),
        }
        for user in people
    ]
    return render(request, "accounts/people_list.html", {"rows": rows, "q": query})


@login_required
def people_new(request: AuthenticatedRequest) -> HttpResponse:
    _manager(request)
    form = PersonForm(request.POST or None, manager=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = person_add(
                request=request,
                actor=request.user,
                name=data["name"],
                phone=data["phone"],
                grants=data["grants"],
            )
        except ValidationError as exc:
            form.add_error("phone", exc.messages[0])
        else:
            return _issued_page(request, [issued], status=201)
    status = 400 if form.errors else 200
    return render(request, "accounts/people_form.html", {"form": form}, status=status)


@login_required
def people_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    person_user = _managed(request, pk)
    form = GrantForm(request.POST or None, manager=request.user, prefix="grant")
    if request.method == "POST" and form.is_valid():
        added = person_grants_add(
            request=request,
            actor=request.user,
            user=person_user,
            grants=form.cleaned_data["grants"],
        )
        messages.success(request, _("已增加 %(n)d 个角色。") % {"n": added})
        return redirect("people_detail", pk=person_user.pk)
    memberships = [
        (m, may_grant(request.user, role=m.role, org=m.org))
        for m in Membership.objects.filter(user=person_user)
        .select_related("org")
        .order_by("org__path")
    ]
    person = getattr(person_user, "person", None)
    context = {
        "person_user": person_user,
        "person": person,
        "memberships": memberships,
        "form": form,
    }
    return render(
        request, "accounts/people_detail.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def people_role_remove(request: AuthenticatedRequest, pk: int, membership_pk: int) -> HttpResponse:
    person_user = _managed(request, pk)
    membership = get_object_or_404(Membership, pk=membership_pk, user=person_user)
    try:
        person_membership_remove(request=request, actor=request.user, membership=membership)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("角色已删除。"))
    return redirect("people_detail", pk=person_user.pk)


def _successors(person_user):
    """Active teachers of the schools where the person is a teacher or mentor."""
    schools = {
        school_of(m.org)
        for m in Membership.objects.filter(user=person_user, role=Role.TEACHER).select_related(
            "org"
        )
    }
    users = get_user_model().objects.none()
    for school in filter(None, schools):
        users = users | school_mentors(school)
    return users.exclude(pk=person_user.pk).distinct()


@login_required
def people_deactivate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    person_user = _managed(request, pk)
    form = DeactivateForm(request.POST or None, candidates=_successors(person_user))
    if request.method == "POST" and form.is_valid():
        try:
            moved = person_deactivate(
                request=request,
                actor=request.user,
                user=person_user,
                successor=form.cleaned_data["successor"],
            )
        except ValidationError as exc:
            form.add_error("successor", exc.messages[0])
        else:
            messages.success(request, _("账户已停用；%(n)d 名结对儿童已处理。") % {"n": moved})
            return redirect("people_detail", pk=person_user.pk)
    context = {"person_user": person_user, "form": form}
    return render(
        request, "accounts/people_deactivate.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def people_reactivate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    person_user = _managed(request, pk)
    person_reactivate(request=request, actor=request.user, user=person_user)
    messages.success(request, _("账户已恢复。"))
    return redirect("people_detail", pk=person_user.pk)


@login_required
@require_POST
def people_reset(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    person_user = _managed(request, pk)
    try:
        issued = person_reset(request=request, actor=request.user, user=person_user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("people_detail", pk=person_user.pk)
    return _issued_page(request, [issued])


@login_required
@require_POST
def people_activation_sheet(request: AuthenticatedRequest) -> HttpResponse:
    """New codes for the chosen people who have not activated yet, as a printable sheet."""
    _manager(request)
    ids = [int(v) for v in request.POST.getlist("user") if v.isdigit()][:500]
    users = list(managed_people(request.user).filter(pk__in=ids))
    issued = activation_sheet_issue(request=request, actor=request.user, users=users)
    if not issued:
        messages.info(request, _("所选人员都已激活，无需打印激活单。"))
        return redirect("people_list")
    return _issued_page(request, issued)


def activate(request: HttpRequest) -> HttpResponse:
    """A new (or reset) user chooses their own password with their one-time code."""
    initial = {"username": request.GET.get("username", ""), "code": request.GET.get("code", "")}
    form = ActivateForm(request.POST or None, initial=initial)
    context = {"form": form, "help_html": ActivateForm.help_html()}
    if request.method != "POST" or not form.is_valid():
        return render(
            request, "accounts/activate.html", context, status=400 if form.errors else 200
        )
    data = form.cleaned_data
    if attempt_locked(request, data["username"]):
        context["lockout_message"] = lockout_message(request)
        return render(request, "accounts/activate.html", context, status=429)
    try:
        account_activate(
            request=request,
            username=data["username"],
            code=data["code"],
            password=data["password1"],
        )
    except ActivationError as exc:
        attempt_failed(request, data["username"])
        if attempt_locked(request, data["username"]):
            context["lockout_message"] = lockout_message(request)
            return render(request, "accounts/activate.html", context, status=429)
        form.add_error("code", str(exc))
        return render(request, "accounts/activate.html", context, status=400)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error("password1", message)
        return render(request, "accounts/activate.html", context, status=400)
    messages.success(request, _("账户已激活，请用新密码登录。"))
    return redirect("login")

"""The setup page (/setup/): the way in for a new site's first county administrator.

Open only while nobody has a role anywhere (``setup_open``); 404 after, so nobody can take
over a county in use. With no county yet: enter the division code, see the county's name
and counts, then create the administrator's account (and so the county, its places and its
care plan). With counties set up from the command line (``carenet setup county``): create
the administrator of one of them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carenet.care.services import county_plan_start
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import county_place_counts, setup_open
from carenet.orgs.services import SetupError, county_admin_first_create, county_setup
from carenet.web.forms_setup import CountyCodeForm, FirstAdminForm

BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    if not setup_open():
        raise Http404
    counties = _counties()
    if counties:
        return _admin_step(request, counties)
    post = request.POST if request.method == "POST" else None
    code_form = CountyCodeForm(post)
    if post is None or not code_form.is_valid():
        return render(request, "web/setup.html", {"code_form": code_form})
    creating = post.get("step") == "create"
    form = FirstAdminForm(post if creating else None)
    if creating and form.is_valid():
        try:
            user = _county_with_admin(code_form.division.code, form)
        except ValidationError as exc:
            form.errors_from(exc)
        except SetupError as exc:
            _refused(form, exc)
        else:
            return _signed_in(request, user)
    context = {"code_form": code_form, "division": code_form.division, "form": form}
    return render(request, "web/setup.html", context)


def _admin_step(request: HttpRequest, counties: QuerySet[Org]) -> HttpResponse:
    """Counties exist (set up from the command line): make the first administrator."""
    post = request.POST if request.method == "POST" else None
    form = FirstAdminForm(post, counties=counties, initial={"county": counties[0]})
    if post is not None and form.is_valid():
        try:
            with transaction.atomic():
                user = _admin_create(form.cleaned_data["county"], form)
        except ValidationError as exc:
            form.errors_from(exc)
        except SetupError as exc:
            _refused(form, exc)
        else:
            return _signed_in(request, user)
    context = {"form": form, "counties": county_place_counts(counties)}
    return render(request, "web/setup.html", context)


def _counties() -> QuerySet[Org]:
    return Org.objects.filter(kind=OrgKind.COUNTY, closed_on__isnull=True).order_by("code")


def _refused(form: FirstAdminForm, exc: SetupError) -> None:
    """Someone else finished the setup meanwhile (404), or the county cannot be made."""
    if not setup_open():
        raise Http404
    form.add_error(None, str(exc))


def _county_with_admin(code: str, form: FirstAdminForm) -> User:
    today = timezone.localdate()
    with transaction.atomic():
        result = county_setup(code=code, today=today)
        county_plan_start(county=result.county, today=today)
        return _admin_create(result.county, form)


def _admin_create(county: Org, form: FirstAdminForm) -> User:
    data = form.cleaned_data
    return county_admin_first_create(
        county=county, username=data["username"], name=data["name"], password=data["password1"]
    )


def _signed_in(request: HttpRequest, user: User) -> HttpResponse:
    login(request, user, backend=BACKEND)
    messages.success(
        request,
        _("县级管理员账号已建立并已登录。下一步：导入学校名单和教职工名单，核对本学年工作计划。"),
    )
    return redirect("home")

"""The school-year pages: the county administrator's preview, start, undo and batch
enrolment of primary graduates; the principal's 请确认各班班主任. Thin: parse, call,
render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from carenet.lib.http import AuthenticatedRequest
from carenet.orgs.models import Membership, Org, OrgKind, Role
from carenet.orgs.selectors import visible_orgs
from carenet.pairing.selectors import pairing_schools
from carenet.schoolyear import selectors, services
from carenet.schoolyear.forms import EnrolForm, YearForm
from carenet.schoolyear.models import ClassTeacherCheck, SchoolYearStart

REFUSED = _("只有县级管理员可以进行学年升级。")


def _county(request: HttpRequest, pk: int) -> Org:
    """A county whose school year the user may run: 404 out of sight, 403 without the role."""
    county = visible_orgs(request.user, kind=OrgKind.COUNTY).filter(pk=pk).first()
    if county is None:
        raise Http404
    if not selectors.school_year_counties(request.user).filter(pk=pk).exists():
        raise PermissionDenied(REFUSED)
    return county


def _waiting(county: Org) -> tuple[list[tuple[Org, int]], SchoolYearStart | None]:
    step = selectors.school_year_latest(county=county)
    if step is None:
        return [], None
    primaries = Org.objects.filter(
        path__startswith=county.path, kind=OrgKind.SCHOOL, stage__in=selectors.PRIMARY_STAGES
    ).order_by("path")
    rows = [(s, selectors.graduates_waiting(step=step, school=s).count()) for s in primaries]
    return [(s, n) for s, n in rows if n], step


@login_required
@require_GET
def school_year_home(request: HttpRequest) -> HttpResponse:
    counties = list(selectors.school_year_counties(request.user))
    if len(counties) == 1:
        return redirect("schoolyear_county", pk=counties[0].pk)
    if counties:
        return render(request, "schoolyear/counties.html", {"counties": counties})
    if pairing_schools(request.user).exists():
        return redirect("schoolyear_teachers")
    raise PermissionDenied(REFUSED)


@login_required
@require_GET
def school_year_county(request: HttpRequest, pk: int) -> HttpResponse:
    county = _county(request, pk)
    latest = selectors.school_year_latest(county=county)
    default = latest.year + 1 if latest else timezone.localdate().year
    form = YearForm(request.GET if "year" in request.GET else None, initial={"year": default})
    year = form.cleaned_data["year"] if form.is_bound and form.is_valid() else default
    try:
        services.school_year_refusal(county=county, year=year)
        refusal = ""
    except services.SchoolYearError as exc:
        refusal = str(exc)
    waiting, step = _waiting(county)
    context = {
        "county": county,
        "year": year,
        "form": form,
        "plans": selectors.school_year_preview(county=county),
        "refusal": refusal,
        "latest": latest,
        "undoable": latest is not None and services.school_year_undoable(latest),
        "waiting": waiting,
        "enrol_form": EnrolForm(county=county, primaries=[s for s, _n in waiting]),
    }
    return render(request, "schoolyear/county.html", context)


def _run(request: HttpRequest, pk: int, action) -> HttpResponse:
    county = _county(request, pk)
    form = YearForm(request.POST)
    if not form.is_valid() or request.POST.get("confirm") != "yes":
        messages.error(request, _("请填写学年并勾选确认。"))
        return redirect("schoolyear_county", pk=county.pk)
    try:
        message = action(county, form.cleaned_data["year"])
    except services.SchoolYearError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect("schoolyear_county", pk=county.pk)


@login_required
@require_POST
def school_year_start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def start(county: Org, year: int) -> str:
        step = services.school_year_start(county=county, year=year, actor=request.user)
        return _("%(year)s 学年升级完成：%(classes)s 个班升级，%(children)s 名毕业生离开在册。") % {
            "year": year,
            "classes": len(step.changes["moved"]),
            "children": len(step.changes["left"]),
        }

    return _run(request, pk, start)


@login_required
@require_POST
def school_year_undo(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def undo(county: Org, year: int) -> str:
        services.school_year_undo(county=county, year=year, actor=request.user)
        return _("已撤销 %(year)s 学年升级。") % {"year": year}

    return _run(request, pk, undo)


@login_required
@require_POST
def school_year_enrol(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    county = _county(request, pk)
    waiting, step = _waiting(county)
    form = EnrolForm(request.POST, county=county, primaries=[s for s, _n in waiting])
    if step is None or not form.is_valid():
        messages.error(request, _("请选择有待升学毕业生的小学和要升入的初中。"))
        return redirect("schoolyear_county", pk=county.pk)
    primary, middle = form.cleaned_data["primary"], form.cleaned_data["middle"]
    try:
        count = services.graduates_enrol(
            step=step, primary=primary, middle=middle, actor=request.user
        )
    except services.SchoolYearError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(primary)s %(count)s 名毕业生已升入%(middle)s七年级。")
            % {"primary": primary.name, "count": count, "middle": middle.name},
        )
    return redirect("schoolyear_county", pk=county.pk)


@login_required
@require_GET
def teacher_checks(request: HttpRequest) -> HttpResponse:
    schools = pairing_schools(request.user)
    if not schools.exists():
        raise PermissionDenied(_("只有校长、德育主任或县级管理员可以确认班主任。"))
    checks = list(selectors.teacher_checks_pending(schools=schools))
    teachers: dict[int, list] = {}
    for membership in Membership.objects.filter(
        org__in=[c.school_class_id for c in checks], role=Role.TEACHER
    ).select_related("user"):
        teachers.setdefault(membership.org_id, []).append(membership.user)
    rows = [(check, teachers.get(check.school_class_id, [])) for check in checks]
    return render(request, "schoolyear/teachers.html", {"rows": rows})


@login_required
@require_POST
def teacher_confirm(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    check = ClassTeacherCheck.objects.filter(
        pk=pk, school__in=pairing_schools(request.user)
    ).first()
    if check is None:
        raise Http404
    services.teacher_check_confirm(check=check, actor=request.user)
    messages.success(request, _("已确认 %(name)s 的班主任。") % {"name": check.school_class.name})
    return redirect("schoolyear_teachers")

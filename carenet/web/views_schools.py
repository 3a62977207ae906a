"""School pages: the county administrator's list of schools (add, import, rename, move,
merge, close) and the classes screen of a school (principal, school admin, county)."""

from __future__ import annotations

import base64
import secrets
from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carenet.audit.models import AccessAction
from carenet.audit.services import audit_log
from carenet.children.access import administered_counties, administered_schools, class_schools
from carenet.exchange.schools import RegisterError, schools_commit, schools_preview
from carenet.orgs.models import Org, OrgKind
from carenet.orgs.selectors import visible_orgs
from carenet.schoolyear import schools as services
from carenet.schoolyear.school_selectors import county_schools, county_townships
from carenet.web.forms_schools import (
    ClassesForm,
    MergeForm,
    MergeTargetForm,
    MoveForm,
    RenameForm,
    SchoolForm,
    SchoolImportForm,
)

SESSION_KEY = "school_list_uploads"
_REFUSED = _("只有县级管理员可以管理全县的学校。")


def _log(request: HttpRequest, org: Org, detail: str) -> None:
    audit_log(
        request=request,
        user=request.user,
        action=AccessAction.ORG_CHANGE,
        detail=detail,
        county_code=org.county_code,
    )


def _county(request: HttpRequest) -> Org:
    """The county of the page (``?county=CODE``, else the first one the user administers)."""
    counties = administered_counties(request.user)
    if not counties.exists():
        raise PermissionDenied(_REFUSED)
    code = request.GET.get("county") or request.POST.get("county_code")
    if code:
        return get_object_or_404(counties, code=code)
    first = counties.first()
    assert first is not None  # there is one: checked above
    return first


def _county_school(request: HttpRequest, pk: int) -> Org:
    """A school of a county the user administers: 404 out of sight, 403 without the role."""
    school = visible_orgs(request.user, kind=OrgKind.SCHOOL).filter(pk=pk).first()
    if school is None:
        raise Http404
    if not administered_schools(request.user).filter(pk=pk).exists():
        raise PermissionDenied(_REFUSED)
    return school


def _county_of(school: Org) -> Org:
    return Org.objects.get(kind=OrgKind.COUNTY, code=school.county_code)


@login_required
@require_GET
def schools(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    context = {
        "county": county,
        "counties": administered_counties(request.user),
        "groups": county_schools(county, closed=request.GET.get("closed") == "1"),
        "show_closed": request.GET.get("closed") == "1",
    }
    return render(request, "orgs/schools.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def school_new(request: HttpRequest) -> HttpResponse:
    county = _county(request)
    townships = county_townships(county)
    form = SchoolForm(request.POST or None, townships=townships)
    if request.method == "POST" and form.is_valid():
        try:
            school = services.school_create(**form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            _log(request, school, f"新建学校 {school.code} {school.name}")
            messages.success(request, _("已新建%(school)s。") % {"school": school.name})
            return redirect("org_school_classes", pk=school.pk)
    status = 400 if form.errors else 200
    context = {"county": county, "form": form}
    return render(request, "orgs/school_new.html", context, status=status)


def _detail(request: HttpRequest, school: Org, status: int = 200, **forms: Any) -> HttpResponse:
    county = _county_of(school)
    others = administered_schools(request.user).filter(
        path__startswith=county.path, closed_on__isnull=True
    )
    others = others.exclude(pk=school.pk)
    merge_form = forms.get("merge_form")
    merge_target = forms.get("merge_target")
    target_form = MergeTargetForm(request.GET or None, schools=others)
    if merge_form is None and "into" in request.GET and target_form.is_valid():
        merge_target = target_form.cleaned_data["into"]
        merge_form = MergeForm(
            initial={"target": merge_target},
            schools=others,
            classes=_open_classes(merge_target),
        )
    context = {
        "school": school,
        "county": county,
        "township": Org.objects.get(path=services.parent_path(school)),
        "on_roll": services.children_on_roll(school),
        "counts": services.class_counts(school),
        "rename_form": forms.get("rename_form") or RenameForm(initial={"name": school.name}),
        "move_form": forms.get("move_form") or MoveForm(townships=county_townships(county)),
        "target_form": target_form,
        "merge_form": merge_form,
        "merge_target": merge_target,
        "close_error": forms.get("close_error"),
    }
    return render(request, "orgs/school_detail.html", context, status=status)


def _open_classes(school: Org):
    return Org.objects.filter(
        path__startswith=school.path, kind=OrgKind.CLASS, closed_on__isnull=True
    ).order_by("path")


@login_required
@require_GET
def school_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _county_school(request, pk))


@login_required
@require_POST
def school_rename(request: HttpRequest, pk: int) -> HttpResponse:
    school = _county_school(request, pk)
    form = RenameForm(request.POST)
    if form.is_valid():
        old = school.name
        try:
            services.school_rename(school=school, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            _log(request, school, f"学校改名 {school.code} {old} → {school.name}")
            messages.success(request, _("已改名为%(name)s。") % {"name": school.name})
            return redirect("org_school", pk=school.pk)
    return _detail(request, school, status=400, rename_form=form)


@login_required
@require_POST
def school_move(request: HttpRequest, pk: int) -> HttpResponse:
    school = _county_school(request, pk)
    form = MoveForm(request.POST, townships=county_townships(_county_of(school)))
    if form.is_valid():
        township = form.cleaned_data["township"]
        try:
            services.school_move(school=school, township=township)
        except ValidationError as exc:
            form.add_error("township", exc)
        else:
            _log(request, school, f"学校移至 {township.code} {township.name}：{school.code}")
            messages.success(
                request,
                _("%(school)s已移至%(township)s。")
                % {"school": school.name, "township": township.name},
            )
            return redirect("org_school", pk=school.pk)
    return _detail(request, school, status=400, move_form=form)


@login_required
@require_POST
def school_merge(request: HttpRequest, pk: int) -> HttpResponse:
    school = _county_school(request, pk)
    others = administered_schools(request.user).filter(closed_on__isnull=True).exclude(pk=pk)
    target = others.filter(pk=request.POST.get("target") or 0).first()
    classes = _open_classes(target) if target else Org.objects.none()
    form = MergeForm(request.POST, schools=others, classes=classes)
    if form.is_valid():
        target = form.cleaned_data["target"]
        try:
            result = services.school_merge(
                source=school,
                target=target,
                actor=request.user,
                target_class=form.cleaned_data["target_class"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            _log(
                request,
                school,
                f"学校合并 {school.code} {school.name} → {target.code} {target.name}："
                f"{result.children} 名儿童",
            )
            messages.success(
                request,
                _("%(source)s已并入%(target)s：%(n)d 名儿童及其档案、关爱记录一并转入。")
                % {"source": school.name, "target": target.name, "n": result.children},
            )
            return redirect("org_school", pk=target.pk)
    return _detail(request, school, status=400, merge_form=form, merge_target=target)


@login_required
@require_POST
def school_close(request: HttpRequest, pk: int) -> HttpResponse:
    school = _county_school(request, pk)
    try:
        services.school_close(school=school)
    except ValidationError as exc:
        return _detail(request, school, status=400, close_error="；".join(exc.messages))
    _log(request, school, f"关闭学校 {school.code} {school.name}")
    messages.success(request, _("已关闭%(school)s。") % {"school": school.name})
    return redirect(f"{reverse('org_schools')}?county={school.county_code}")


# --------------------------------------------------------------------------- school list


def _uploads(request: HttpRequest) -> dict[str, dict[str, str]]:
    return request.session.get(SESSION_KEY, {})


@login_required
@require_http_methods(["GET", "POST"])
def school_import(request: HttpRequest) -> HttpResponse:
    """Upload the county's school list; a file that reads as one is previewed (nothing is
    written) and kept in the session until 确认导入."""
    counties = administered_counties(request.user)
    if not counties.exists():
        raise PermissionDenied(_REFUSED)
    post = request.method == "POST"
    form = SchoolImportForm(
        request.POST if post else None,
        request.FILES if post else None,
        counties=counties,
        initial={"county": _county(request)},
    )
    if post and form.is_valid():
        county, upload = form.cleaned_data["county"], form.cleaned_data["file"]
        data, filename = upload.read(), PurePath(upload.name).name
        try:
            preview = schools_preview(data=data, filename=filename, county=county)
        except RegisterError as exc:
            form.add_error("file", str(exc))
        else:
            token = secrets.token_urlsafe(16)
            request.session[SESSION_KEY] = {
                token: {
                    "county": county.code,
                    "filename": filename,
                    "data": base64.b64encode(data).decode(),
                }
            }
            context = {"county": county, "preview": preview, "token": token}
            context["changes"] = preview.created + preview.updated
            context["plans"] = [r for r in preview.rows if r.action in ("create", "update")]
            return render(request, "orgs/school_import_preview.html", context)
    status = 400 if form.errors else 200
    return render(request, "orgs/school_import.html", {"form": form}, status=status)


@login_required
@require_POST
def school_import_commit(request: HttpRequest) -> HttpResponse:
    """确认导入: validate the kept file again against the database as it is now, then
    write its good rows in one transaction."""
    counties = administered_counties(request.user)
    if not counties.exists():
        raise PermissionDenied(_REFUSED)
    upload = _uploads(request).get(request.POST.get("token", ""))
    if upload is None:
        messages.error(request, _("上传的文件已过期，请重新上传。"))
        return redirect("org_school_import")
    county = get_object_or_404(counties, code=upload["county"])
    data = base64.b64decode(upload["data"])
    try:
        preview = schools_commit(
            preview=schools_preview(data=data, filename=upload["filename"], county=county)
        )
    except RegisterError as exc:
        messages.error(request, str(exc))
        return redirect("org_school_import")
    request.session.pop(SESSION_KEY, None)
    _log(
        request,
        county,
        f"导入学校名单 {upload['filename']}：新建 {preview.created} 所，"
        f"更新 {preview.updated} 所，拒绝 {preview.rejected} 行",
    )
    messages.success(
        request,
        _("学校名单已导入：新建 %(created)d 所，更新 %(updated)d 所，拒绝 %(rejected)d 行。")
        % {"created": preview.created, "updated": preview.updated, "rejected": preview.rejected},
    )
    return redirect(f"{reverse('org_schools')}?county={county.code}")


# --------------------------------------------------------------------------- classes


@login_required
@require_http_methods(["GET", "POST"])
def school_classes(request: HttpRequest, pk: int) -> HttpResponse:
    """The grades of a school with a number of classes each (一年级 [3] 个班)."""
    school = visible_orgs(request.user, kind=OrgKind.SCHOOL).filter(pk=pk).first()
    if school is None:
        raise Http404
    if not class_schools(request.user).filter(pk=pk).exists():
        raise PermissionDenied(_("只有校长、德育主任或县级管理员可以设置班级。"))
    counts = services.class_counts(school)
    form = ClassesForm(request.POST or None, school=school, counts=counts)
    if request.method == "POST" and school.is_open and form.is_valid():
        try:
            result = services.classes_set(school=school, counts=form.counts())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if result.changed:
                parts = [
                    f"新增 {'、'.join(result.added)}" if result.added else "",
                    f"恢复 {'、'.join(result.reopened)}" if result.reopened else "",
                    f"撤销 {'、'.join(result.closed)}" if result.closed else "",
                ]
                _log(
                    request, school, f"设置班级 {school.code}：" + "；".join(p for p in parts if p)
                )
                messages.success(request, _("班级设置已保存。"))
            else:
                messages.info(request, _("班级没有变化。"))
            return redirect("org_school_classes", pk=school.pk)
    context = {
        "school": school,
        "form": form,
        "may_administer": administered_schools(request.user).filter(pk=pk).exists(),
    }
    return render(request, "orgs/school_classes.html", context, status=400 if form.errors else 200)

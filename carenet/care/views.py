"""Care pages: the working list (我的待办) and the record card form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carenet.care import selectors
from carenet.care.forms import RecordForm
from carenet.care.models import CareKind
from carenet.care.services import record_create
from carenet.children.selectors import visible_children

SCHOOL_LIST_LENGTH = 100


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """Overdue tasks first, then those due this week, high risk first."""
    today = timezone.localdate()
    until = selectors.week_end(today)
    user = request.user
    tasks = selectors.tasks_for(selectors.my_children(user), as_of=today, until=until)
    context = {"tasks": tasks, "today": today, "until": until, "school_view": False}
    if selectors.leads_schools(user):
        school_tasks = selectors.tasks_for(visible_children(user), as_of=today, until=until)
        by_class, by_mentor = selectors.group_tasks(school_tasks)
        context.update(
            school_view=True,
            school_tasks=school_tasks[:SCHOOL_LIST_LENGTH],
            school_total=len(school_tasks),
            school_overdue=sum(t.overdue for t in school_tasks),
            by_class=by_class,
            by_mentor=by_mentor,
        )
    return render(request, "care/tasks.html", context)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("care_tasks")


@login_required
@require_http_methods(["GET", "POST"])
def record_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The record card: a failed form comes back with what was typed and the errors."""
    child = get_object_or_404(visible_children(request.user), pk=pk)
    kind = request.GET.get("kind")
    form = RecordForm(
        request.POST if request.method == "POST" else None,
        kind=kind if kind in CareKind.values else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record_create(
                actor=request.user,
                child=child,
                kind=data["kind"],
                date=data["date"],
                summary=data["summary"],
                details=form.details(),
                confidential=data["confidential"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("已保存%(child)s的记录。") % {"child": child.name})
            return redirect(_next_url(request))
    context = {"child": child, "form": form, "next": _next_url(request)}
    return render(request, "care/record_form.html", context)

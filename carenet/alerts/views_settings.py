"""The care plan's early-warning settings (预警规则): on/off and thresholds of each rule,
and the hours before escalation and before a mandatory report is overdue.

Plans out of sight are 404; in sight but not configured by the user, 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carenet.alerts.forms_settings import RuleSettingsForm
from carenet.alerts.rules import config_of
from carenet.alerts.settings import may_manage_rules, plan_rules_save
from carenet.care.selectors import visible_plans
from carenet.lib.http import AuthenticatedRequest


@login_required
@require_http_methods(["GET", "POST"])
def plan_rules(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(visible_plans(request.user), pk=pk)
    if not may_manage_rules(request.user, plan):
        raise PermissionDenied(_("只有县级管理员和学校领导可以修改预警规则"))
    form = RuleSettingsForm(
        request.POST if request.method == "POST" else None, config=config_of(plan)
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan_rules_save(actor=request.user, plan=plan, data=form.settings_data())
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("预警规则已保存。"))
            return redirect("alert_rules:edit", pk=plan.pk)
    return render(request, "alerts/settings.html", {"plan": plan, "form": form})

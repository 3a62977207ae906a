"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest

from carenet.accounts.access import is_manager
from carenet.alerts.selectors import inbox_counts, may_handle_alerts
from carenet.children.access import (
    Permission,
    editable_classes,
    filing_villages,
    holds,
    may_administer_schools,
    own_school,
    pairing_schools,
)
from carenet.orgs.selectors import primary_membership


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    handles_alerts = may_handle_alerts(user)
    return {
        "handles_alerts": handles_alerts,
        # 预警 in the menu, with how many wait in the user's inbox.
        "alert_inbox_count": inbox_counts(user)[0] if handles_alerts else 0,
        # 强制报告 (reports and urgent cases, or the county's figures) and 缺勤与成绩.
        "reports_menu": holds(user, Permission.MAKE_REPORTS)
        or holds(user, Permission.SEE_REPORT_FIGURES),
        "attendance_menu": holds(user, Permission.RECORD_ATTENDANCE),
        "primary_membership": primary_membership(user),
        "can_create_child": editable_classes(user).exists() or filing_villages(user).exists(),
        "can_manage_pairing": pairing_schools(user).exists(),
        "may_manage_schools": may_administer_schools(user),
        "class_school": own_school(user),
        "may_manage_people": is_manager(user),
    }

"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest

from carenet.accounts.access import is_manager
from carenet.children.selectors import editable_classes, filing_villages
from carenet.orgs.selectors import primary_membership
from carenet.pairing.selectors import pairing_schools
from carenet.schoolyear.school_selectors import may_administer_schools, own_school


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "primary_membership": primary_membership(user),
        "can_create_child": editable_classes(user).exists() or filing_villages(user).exists(),
        "can_manage_pairing": pairing_schools(user).exists(),
        "may_manage_schools": may_administer_schools(user),
        "class_school": own_school(user),
        "may_manage_people": is_manager(user),
    }

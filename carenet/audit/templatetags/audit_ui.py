from django import template

from carenet.audit.selectors import may_audit

register = template.Library()


@register.simple_tag
def can_audit(user) -> bool:
    """Whether the user may open the access log (principals, school and county admins)."""
    return bool(user and user.is_authenticated and may_audit(user))

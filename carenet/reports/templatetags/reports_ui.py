"""Template helpers of the documents pages (the navbar link)."""

from django import template

from carenet.reports.selectors import may_write_documents as _may_write_documents

register = template.Library()


@register.simple_tag
def may_write_documents(user) -> bool:
    return _may_write_documents(user)

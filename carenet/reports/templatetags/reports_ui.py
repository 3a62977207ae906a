"""Template helpers of the documents pages (the navbar link, the summary's cases)."""

from django import template

from carenet.care.models import CareRecord
from carenet.reports.forms import case_label as _case_label
from carenet.reports.selectors import may_write_documents as _may_write_documents

register = template.Library()


@register.simple_tag
def may_write_documents(user) -> bool:
    return _may_write_documents(user)


@register.filter
def case_label(record: CareRecord) -> str:
    """A typical case as the summary form lists it: date, kind, child, the record's start."""
    return _case_label(record)

"""Who may write documents, and for which orgs: ``Permission.WRITE_DOCUMENTS`` of the
access table (``carenet.children.access``)."""

from __future__ import annotations

from django.db.models import QuerySet

from carenet.children.access import Permission, default_document_org, holds
from carenet.orgs.models import Org
from carenet.orgs.selectors import AnyUser


def may_write_documents(user: AnyUser) -> bool:
    return holds(user, Permission.WRITE_DOCUMENTS)


def default_org(user: AnyUser, orgs: QuerySet[Org]) -> Org | None:
    """The widest org of the user's document roles (else the first one they may use)."""
    return default_document_org(user) or orgs.first()

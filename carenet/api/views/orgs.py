from __future__ import annotations

from ninja import Router

from carenet.api.schemas import ErrorOut, OrgKindName, OrgListOut, ValidationErrorOut
from carenet.api.selectors import orgs_with_parents
from carenet.api.serializers import org_item
from carenet.lib.http import AuthenticatedRequest

router = Router()


@router.get(
    "",
    response={200: OrgListOut, 401: ErrorOut, 422: ValidationErrorOut},
    summary="List orgs",
)
def org_list(request: AuthenticatedRequest, kind: OrgKindName | None = None) -> dict:
    """The orgs the caller may see, in tree order; ``parent`` is the parent's code."""
    items = [org_item(org, parent) for org, parent in orgs_with_parents(request.user, kind=kind)]
    return {"count": len(items), "items": items}

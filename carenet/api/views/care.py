"""Care records and due tasks (CONTRACT.md): ``POST /children/{id}/records``,
``GET /tasks/due``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Status

from carenet.api.errors import FieldErrors
from carenet.api.schemas import (
    MAX_ID,
    ErrorOut,
    RecordIn,
    RecordOut,
    TaskFilters,
    TaskListOut,
    ValidationErrorOut,
)
from carenet.care.models import DETAIL_FIELDS, CareRecord
from carenet.care.selectors import my_tasks, tasks_for, week_end
from carenet.care.services import record_create
from carenet.children.selectors import visible_children
from carenet.lib.http import AuthenticatedRequest
from carenet.lib.names import user_name

router = Router()


def record_item(record: CareRecord) -> dict:
    author = record.author
    return {
        "id": record.pk,
        "child": record.child_id,
        "kind": record.kind,
        "date": record.date,
        "summary": record.summary,
        "details": record.details,
        "confidential": record.confidential,
        "author": user_name(author),
        "created_at": record.created_at,
    }


@router.post(
    "/children/{id}/records",
    response={201: RecordOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    by_alias=True,
    summary="Log a care record",
    tags=["care"],
)
def records_create(
    request: AuthenticatedRequest,
    payload: RecordIn,
    child_id: int = Path(..., alias="id", ge=1, le=MAX_ID),
) -> Status:
    """Log a talk, call, home visit, … for a child the caller may see (else 404)."""
    child = visible_children(request.user).filter(pk=child_id).first()
    if child is None:
        raise Http404
    data = payload.model_dump(by_alias=True)
    details = {key: data.get(key) for key in DETAIL_FIELDS.get(payload.kind, ())}
    try:
        record = record_create(
            actor=request.user,
            child=child,
            kind=payload.kind,
            date=payload.date,
            summary=payload.summary,
            details=details,
            confidential=payload.confidential,
        )
    except ValidationError as exc:
        raise FieldErrors(
            [
                {"field": field, "message": message}
                for field, messages in exc.message_dict.items()
                for message in messages
            ]
        ) from None
    return Status(201, record_item(record))


@router.get(
    "/tasks/due",
    response={200: TaskListOut, 401: ErrorOut, 422: ValidationErrorOut},
    summary="Due and overdue care tasks",
    tags=["care"],
)
def tasks_due(request: HttpRequest, filters: Query[TaskFilters]) -> dict:
    """Tasks due by the end of the week of ``as_of`` (overdue ones included), overdue
    first, then by the child's risk."""
    as_of = filters.as_of or timezone.localdate()
    if filters.scope == "mine":
        tasks = my_tasks(request.user, as_of=as_of, until=week_end(as_of))
    else:
        tasks = tasks_for(visible_children(request.user), as_of=as_of, until=week_end(as_of))
    items = [
        {"child": t.child.pk, "kind": t.kind, "due_date": t.due_date, "overdue": t.overdue}
        for t in tasks
    ]
    return {"count": len(items), "items": items}

"""Care records and due tasks (CONTRACT.md): ``POST /children/{id}/records``,
``GET /tasks/due``."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header, Path, Query, Router, Status

from carenet.api.auth import BearerAuth, BrowserSessionAuth
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
from carenet.care.selectors import my_tasks, task_counts, tasks_for, worklist_until
from carenet.care.services import KeyReused, record_create, record_create_once
from carenet.children.access import visible_children
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


IDEMPOTENCY_HEADER = "Idempotency-Key"


def _field_errors(exc: ValidationError) -> FieldErrors:
    return FieldErrors(
        [
            {"field": field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    )


def _client_key(value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise FieldErrors([{"field": IDEMPOTENCY_HEADER, "message": _("应为 UUID")}]) from None


def request_digest(child_id: int, payload: RecordIn) -> str:
    """What a record's sending says, as a digest: a replay under the same key must say
    the same."""
    body = {"child": child_id, **payload.model_dump(by_alias=True, mode="json")}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@router.post(
    "/children/{id}/records",
    response={
        200: RecordOut,
        201: RecordOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
    },
    by_alias=True,
    summary="Log a care record",
    tags=["care"],
    auth=[BearerAuth(), BrowserSessionAuth()],
)
def records_create(
    request: AuthenticatedRequest,
    payload: RecordIn,
    child_id: int = Path(..., alias="id", ge=1, le=MAX_ID),
    idempotency_key: str | None = Header(
        None,
        alias=IDEMPOTENCY_HEADER,
        description="a UUID the client makes once per record: sent again with the same "
        "body, the record of the first sending is returned (200) and nothing is logged; "
        "with another body, 422",
    ),
) -> Status:
    """Log a talk, call, home visit, … for a child the caller may see (else 404). Also
    open to the signed-in web session with its CSRF token (the phone's offline queue)."""
    client_key = _client_key(idempotency_key)
    child = visible_children(request.user).filter(pk=child_id).first()
    if child is None:
        raise Http404
    data = payload.model_dump(by_alias=True)
    fields: dict[str, Any] = {
        "kind": payload.kind,
        "date": payload.date,
        "summary": payload.summary,
        "details": {key: data.get(key) for key in DETAIL_FIELDS.get(payload.kind, ())},
        "confidential": payload.confidential,
    }
    try:
        if client_key is None:
            return Status(
                201, record_item(record_create(actor=request.user, child=child, **fields))
            )
        keyed = record_create_once(
            actor=request.user,
            child=child,
            client_key=client_key,
            digest=request_digest(child.pk, payload),
            **fields,
        )
    except ValidationError as exc:
        raise _field_errors(exc) from None
    except KeyReused:
        raise FieldErrors(
            [{"field": IDEMPOTENCY_HEADER, "message": _("此幂等键已用于另一条不同的记录")}]
        ) from None
    return Status(201 if keyed.created else 200, record_item(keyed.record))


@router.get(
    "/tasks/due",
    response={200: TaskListOut, 401: ErrorOut, 422: ValidationErrorOut},
    summary="Due and overdue care tasks",
    tags=["care"],
)
def tasks_due(request: HttpRequest, filters: Query[TaskFilters]) -> dict:
    """待办 on ``as_of``: tasks overdue (已逾期) and due by the end of its week (本周到期),
    as 我的待办 shows them (``scope=mine``) — by the child's risk, then overdue first —
    with the two counts."""
    as_of = filters.as_of or timezone.localdate()
    until = worklist_until(as_of)
    if filters.scope == "mine":
        tasks = my_tasks(request.user, as_of=as_of, until=until)
    else:
        tasks = tasks_for(visible_children(request.user), as_of=as_of, until=until)
    items = [
        {"child": t.child.pk, "kind": t.kind, "due_date": t.due_date, "overdue": t.overdue}
        for t in tasks
    ]
    counts = task_counts(tasks, as_of)
    return {
        "count": len(items),
        "overdue": counts.overdue,
        "due_this_week": counts.due_this_week,
        "items": items,
    }

"""The early warning hears every change of a child's file (``carenet.lib.events``) and
runs the rules on the child at once, in the writer's transaction."""

from __future__ import annotations

from django.utils import timezone

from carenet.alerts.evaluate import child_review
from carenet.alerts.rule_selectors import child_for_review
from carenet.lib.events import ChildChange


def on_child_changed(change: ChildChange) -> None:
    """Review the child whose file changed; a care record just saved is read for text
    signals too."""
    child = child_for_review(change.child_id)
    if child is None:
        return
    record = change.obj if change.cause == "record" else None
    child_review(child, today=timezone.localdate(), now=timezone.now(), record=record)

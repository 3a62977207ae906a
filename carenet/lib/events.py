"""A child's file changed: the one place where the apps above the file's apps hear of it
at once (the early warning reads every new care record, absence, result and change of
the family, and must raise its alerts as the record is saved, not by a nightly job).

The apps that write (care, children, childplans) sit below the early warning and may
not import it; they call ``child_changed`` after a write, and the early warning
registers itself as the listener when Django starts (``carenet.alerts.apps``). A
listener runs in the writer's transaction, so a failed listener fails the write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChildChange:
    """What changed: ``cause`` names the write ("record", "file", "family", "absence",
    "score", "plan"), ``obj`` is the row written (a care record, say) or None."""

    child_id: int
    cause: str
    obj: Any = None


Listener = Callable[[ChildChange], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Register ``listener`` (once) for every change of a child's file."""
    if listener not in _listeners:
        _listeners.append(listener)


def child_changed(child_id: int, cause: str, obj: Any = None) -> None:
    """Tell the listeners that a child's file changed."""
    change = ChildChange(child_id, cause, obj)
    for listener in list(_listeners):
        listener(change)

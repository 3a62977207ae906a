"""The most common answers of the record card (常用答案), offered as chips on the form.

One place for them: the form (``RecordForm.kind_fieldsets``) and its template read this table;
``record-form.js`` only applies a chip to its field. A chip either adds its word to the
field's 、-separated list (``APPEND``; pressed again, it takes the word out) or sets
the field's value (``SET``). Without script the chips stay hidden and the fields are
plain fields. The guardian's capacity (监护能力) is a choice: its chips are radio buttons
(``GuardianCapacity``), not listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ChipMode(StrEnum):
    APPEND = "append"
    SET = "set"


@dataclass(frozen=True)
class Chips:
    values: tuple[str | Promise, ...]
    mode: ChipMode = ChipMode.APPEND


# Form field name → its chips.
COMMON_ANSWERS: dict[str, Chips] = {
    # 谈心
    "place": Chips((_("教室"), _("办公室"), _("宿舍"), _("操场"), _("家中")), ChipMode.SET),
    "topics": Chips((_("学习"), _("生活"), _("安全"), _("亲情"), _("心理"), _("交友"), _("健康"))),
    "mood": Chips((_("开心"), _("平稳"), _("低落"), _("焦虑"), _("孤独"), _("想念父母"))),
    # 家访
    "present": Chips(
        (_("爷爷"), _("奶奶"), _("外公"), _("外婆"), _("父亲"), _("母亲"), _("儿童本人"))
    ),
    # 通话
    "contact_with": Chips((_("父亲"), _("母亲"), _("爷爷"), _("奶奶"), _("外公"), _("外婆"))),
    "duration_minutes": Chips(("5", "10", "15", "30"), ChipMode.SET),
}

"""Warnings about a child's ID number that is valid but worth a second look.

``carenet.lib.idcard.parse_id_number`` rejects what cannot be an ID number (a province
code that does not exist, a wrong check digit, an impossible birth date). What it lets
through may still be a typing slip or someone else's number:

- a county code the division table does not know: the table is the current edition and
  the code of a county abolished or renumbered since (342827 望江县 before 1988 became
  340827) stays on its holder's card for life, so this is a warning, not a rejection;
- a birth year before 2000: no child of a register today was born then; it is most often
  a parent's or a guardian's number typed in the child's column.

Used by the child form (shown after the save) and by the register import (per row, on the
hot path of a 50,000-row file: two set lookups and a comparison, no query).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from carenet.lib.idcard import IdNumber
from carenet.orgs.divisions import county_code_known

# A child's ID number showing a birth before this year gets a warning.
CHILD_BORN_FROM = 2000
# Address codes outside the mainland's county table: Taiwan (71) and the residence permits
# of Hong Kong, Macao and Taiwan residents (810000, 820000, 830000).
_OUTSIDE_THE_TABLE = frozenset({"71", "81", "82", "83"})


def id_number_warnings(parsed: IdNumber) -> list[str]:
    """The warnings (Chinese sentences, none naming the number) for a child's ID number
    already accepted by ``parse_id_number``; an empty list for an unremarkable one."""
    warnings: list[str] = []
    code = parsed.value[:6]
    if code[:2] not in _OUTSIDE_THE_TABLE and not county_code_known(code):
        warnings.append(
            _("身份证号中的县级代码 %(code)s 不在现行区划代码表中（旧代码也可能有效，请核对）")
            % {"code": code}
        )
    if parsed.birth_date.year < CHILD_BORN_FROM:
        warnings.append(
            _("身份证号显示出生于 %(year)d 年（2000 年以前），请核对是否为儿童本人的身份证号")
            % {"year": parsed.birth_date.year}
        )
    return warnings

"""Left-behind status from what a register says, and what the preview counts.

A row may say where the parents are in four ways: a 外出时间 (a date), a work place
(务工地点, or only an employer 务工单位), a 留守类型 / 是否留守儿童 code, and the 2016
form's flags (父母双方同时外出, 父母一方外出、另一方无监护能力). ``LeftBehindReader`` reads
them together into the away periods to open without a date (``derived``: relation →
the rule that opened it), the rule that settles the status of a child with no parent
away (``stated``), and warnings where the cells disagree; the rules are in the package
docstring. ``counted_as`` then says what the child will count as after the commit (the
away periods as they will be, by the one rule of ``children.selectors``), and
``LeftBehindCounts`` adds the rows up for the preview.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carenet.children.models import LeftBehindType
from carenet.children.selectors import away_cutoff, left_behind_type_of, parent_away_on
from carenet.exchange.columns import GROUP_WORDS, normalise_header
from carenet.exchange.importer.cells import LEFT_BEHIND, cell_code, cell_text, recall
from carenet.exchange.importer.results import CellError

if TYPE_CHECKING:
    from carenet.exchange.importer.results import RowResult

PARENTS = ("father", "mother")

# ---------------------------------------------------------------------------- words

# A work place (or an employer) that says the parent is not away: at home, in the
# village, farming, none. Working within the county (本县, 县城) counts as home too (a
# decision: such a parent is not 外出). Compared after ``cell_code`` (half-width, no
# spaces, lower case).
HOME_WORDS = frozenset(
    cell_code(word)
    for word in (
        "在家",
        "家",
        "家中",
        "家里",
        "在家中",
        "在家里",
        "居家",
        "本地",
        "当地",
        "本村",
        "本组",
        "本乡",
        "本镇",
        "本乡镇",
        "本县",
        "县内",
        "县城",
        "无",
        "空",
        "没有",
        "否",
        "未外出",
        "没外出",
        "不外出",
        "无外出",
        "务农",
        "在家务农",
        "务农在家",
        "种地",
        "-",
        "—",
        "/",
    )
)
# ... and anything that starts so: 在家务工, 本地打工, 本县务工, 县城务工, 家中务农.
HOME_PREFIXES = ("在家", "家中", "本地", "当地", "本村", "本组", "本乡", "本镇", "本县", "县城")
# Not a work place, and not home either: the parent counts neither way, and the text is
# not stored as a work city.
NOT_A_PLACE = frozenset(
    cell_code(word)
    for word in ("不详", "未知", "不清楚", "不知道", "去世", "已故", "死亡", "病故", "服刑", "失联")
)

# The 2016 form's 是/否 flags (the 学籍 table's 1/0).
FLAGS = {
    **{
        cell_code(w): True
        for w in ("是", "有", "√", "✓", "✔", "1", "y", "yes", "true", "已委托", "委托")
    },
    **{
        cell_code(w): False
        for w in ("否", "无", "没有", "不是", "×", "✗", "0", "n", "no", "false", "未委托")
    },
}
# 无监护能力（父亲/母亲）: which parent cannot guard the child.
UNABLE = {
    **{cell_code(w): ("father",) for w in ("父亲", "父", "爸爸")},
    **{cell_code(w): ("mother",) for w in ("母亲", "母", "妈妈")},
    **{
        cell_code(w): PARENTS
        for w in ("父母", "父母双方", "双方", "父亲和母亲", "父亲、母亲", "父亲母亲", "均无")
    },
    **{cell_code(w): () for w in ("无", "否", "没有", "0")},
}
FLAG_KEYS = ("both_parents_away", "one_away_other_unable", "unable_parent", "guardian_entrusted")


def place_kind(text: str) -> str:
    """A work place or employer cell: 'away', 'home' (在家, 本村, 务农 …) or 'unknown'
    (不详, 去世 …; counts neither way)."""
    code = cell_code(text)
    if not code:
        return "unknown"
    if code in HOME_WORDS or code.startswith(HOME_PREFIXES):
        return "home"
    if code in NOT_A_PLACE:
        return "unknown"
    return "away"


# ---------------------------------------------------------------------------- rules

# How a child's status was decided, from the most direct to the least.
RULES: dict[str, Any] = {
    "away_since": gettext_lazy("按外出时间"),
    "work_place": gettext_lazy("按务工地点"),
    "code": gettext_lazy("按留守类型/是否留守儿童"),
    "flags": gettext_lazy("按2016登记表标志"),
    "on_file": gettext_lazy("按档案中已有的外出记录"),
    "none": gettext_lazy("无外出信息"),
}
_ORDER = {rule: n for n, rule in enumerate(RULES)}
TYPES = tuple(t.value for t in LeftBehindType)  # both_parents, one_parent, none


# A cell a warning names: (field key, the cell's value), put into words only for a warning.
_Cell = tuple[str, object]


class _Claim(NamedTuple):
    """A code or flag: between ``lo`` and ``hi`` parents are away."""

    rule: str  # "code" or "flags"
    cell: _Cell  # 留守类型 “双亲”
    lo: int
    hi: int


def display_label(header: str) -> str:
    """A column's header as a warning names it: 留守类型（单亲/双亲） → 留守类型, 父亲/务工地点 →
    父亲务工地点, 父母外出情况/父母双方同时外出 → 父母双方同时外出."""
    label = normalise_header(header)
    if "/" in label:
        upper, _slash, lower = label.partition("/")
        return upper + lower if upper in GROUP_WORDS else lower
    return label


_CODE_PARENTS = {"both": 2, "one": 1, "none": 0}


class LeftBehindReader:
    """Reads a row's left-behind cells together (see the package docstring). Built once
    per register from its columns; ``active`` is False when the register has no work
    place, employer, code or flag column (only dates, or nothing: nothing to read)."""

    def __init__(
        self,
        child_keys: Iterable[str],
        family_keys: list[str],
        column: Callable[[str], str],
        cutoff: dt.date,
        members: bool = False,
    ) -> None:
        at = {key: n for n, key in enumerate(family_keys)}
        self.column = column
        self.cutoff = cutoff  # a 外出时间 after it does not count yet (``away_cutoff``)

        def cells(name: str) -> list[tuple[str, str, int]]:
            return [(r, f"{r}.{name}", at[f"{r}.{name}"]) for r in PARENTS if f"{r}.{name}" in at]

        self.dates = cells("away_since")
        self.places = cells("work_place")
        self.employers = cells("employer")
        child_keys = set(child_keys)
        self.code = "left_behind_type" in child_keys
        self.flags = [key for key in FLAG_KEYS if key in child_keys]
        # The 学籍 table's 成员1… (``Validator._members``): a parent's 工作单位 is known only
        # once the row says whose it is, from the family's values.
        self.members = members
        self.active = bool(self.places or self.employers or self.code or self.flags or members)
        self._memo: dict[str, dict[object, Any]] = {}
        self._places: dict[object, str] = {}  # work places and employers, read

    def said(self, *cells: _Cell) -> str:
        """父亲务工地点为“广东省东莞市”、母亲务工地点为“在家”."""
        return "、".join(
            _("%(column)s为“%(value)s”")
            % {"column": display_label(self.column(key)), "value": cell_text(value)}
            for key, value in cells
        )

    def _read(self, name: str, value: object, compute: Callable[[Any], Any]) -> Any:
        return recall(self._memo.setdefault(name, {}), value, compute)

    def read(
        self,
        get: dict[str, object],
        cells: tuple,
        family: dict[str, dict[str, Any]],
        away: dict[str, dt.date],
        values: dict[str, Any],
        fail: Callable[[str, str], None],
    ) -> tuple[dict[str, str], str, list[str]]:
        """(relation → rule of each away period to open without a date, the rule that
        settles a child with no parent away, warnings). Sets the unable parents'
        ``can_guard`` in ``family`` and ``guardian_entrusted`` in ``values``."""
        warnings: list[str] = []
        # relation → (rule, the cell that says so): away by a 外出时间 or a work place.
        facts: dict[str, tuple[str, _Cell]] = {}
        home: dict[str, _Cell] = {}  # relation → the cell saying they are at home
        weak_away: set[str] = set()  # only an employer says so
        weak_home: set[str] = set()
        for relation, key, n in self.dates:
            if relation in away:
                facts[relation] = ("away_since", (key, cells[n]))
        placed: set[str] = set()
        memo = self._places
        for relation, key, n in self.places:
            value = cells[n]
            if value is None or value == "":
                continue
            kind = recall(memo, value, _place_kind)
            if kind == "unknown":
                continue
            placed.add(relation)
            if kind == "away":
                facts.setdefault(relation, ("work_place", (key, value)))
            elif relation in facts:  # a date, and a work place saying home: the date wins
                warnings.append(
                    _("%(a)s，但%(b)s（%(rule)s计）")
                    % {
                        "a": self.said(facts[relation][1]),
                        "b": self.said((key, value)),
                        "rule": RULES["away_since"],
                    }
                )
            else:
                home[relation] = (key, value)
        for relation, _key, n in self.employers:
            value = cells[n]
            if relation in placed or value is None or value == "":
                continue
            kind = recall(memo, value, _place_kind)
            if kind == "away" and relation not in facts:
                weak_away.add(relation)
            elif kind == "home":
                weak_home.add(relation)
        if self.members:
            for relation in PARENTS:
                held = family.get(relation)
                if not held or relation in placed or relation in facts:
                    continue
                text = held.get("work_city") or held.get("employer")
                if text and relation not in weak_away and relation not in weak_home:
                    kind = recall(memo, text, _place_kind)
                    if kind == "away":
                        weak_away.add(relation)
                    elif kind == "home":
                        weak_home.add(relation)
        claims: list[_Claim] = []
        unable: tuple[str, ...] = ()
        one_unable = False
        if self.code and "left_behind_type" in get:
            value = get["left_behind_type"]
            kind = self._read("code", value, _code)
            if kind is not None:
                n = _CODE_PARENTS[kind]
                claims.append(_Claim("code", ("left_behind_type", value), n, n))
        for key in self.flags:
            value = get.get(key)
            if value is None:
                continue
            if key == "unable_parent":
                relations = self._read(key, value, _unable)
                if relations is None:
                    fail(key, _("应填写“父亲”或“母亲”"))
                    continue
                unable = relations
                for relation in relations:
                    family.setdefault(relation, {})["can_guard"] = False
                continue
            flag = self._read("flag", value, _flag)
            if flag is None:
                fail(key, _("应填写“是”或“否”"))
            elif key == "guardian_entrusted":
                values["guardian_entrusted"] = flag
            elif key == "both_parents_away":
                claims.append(_Claim("flags", (key, value), *((2, 2) if flag else (0, 1))))
            elif flag:  # one_away_other_unable
                one_unable = True
                claims.append(_Claim("flags", (key, value), 1, 1))
        # Away by a work place, without a date: a period from the derived start.
        derived = {r: "work_place" for r, (rule, _cell) in facts.items() if rule == "work_place"}
        if not claims:
            if weak_away:
                derived.update(dict.fromkeys(weak_away, "work_place"))
            said_where = placed or weak_home or weak_away
            stated = "away_since" if away else "work_place" if said_where else "none"
            return derived, stated, warnings

        # Codes and flags: the one saying most parents are away leads.
        disagreements: list[tuple[str, str, str]] = []  # (claim, the cells against, rule)
        if len(claims) == 1:
            lead = claims[0]
        else:
            lead = max(claims, key=_lo)
            least = min(claims, key=_hi)
            if lead.lo > least.hi:
                disagreements.append((self.said(least.cell), self.said(lead.cell), lead.rule))
        # Parents gone less than three months by their 外出时间 do not count yet.
        cutoff = self.cutoff
        recent = [r for r, start in away.items() if start > cutoff]
        counting = {r: fact for r, fact in facts.items() if r not in recent} if recent else facts
        for claim in claims:
            if len(counting) > claim.hi:  # stated facts beat a code or flag
                rules = {rule for rule, _cell in counting.values()}
                disagreements.append(
                    (
                        self.said(claim.cell),
                        self.said(*(cell for _rule, cell in counting.values())),
                        "away_since" if rules == {"away_since"} else "work_place",
                    )
                )
        stated = lead.rule
        need = lead.lo - len(facts)
        if need > 0:
            candidates = [r for r in PARENTS if r not in facts and r not in home]
            if need < len(candidates) and unable:  # the parent who cannot guard stays
                candidates = [r for r in candidates if r not in unable] or candidates
            if need < len(candidates):
                for better in (
                    [r for r in candidates if r in weak_away],
                    [r for r in candidates if r not in weak_home],
                ):
                    if len(better) == need:
                        candidates = better
                        break
            if need < len(candidates):
                warnings.append(
                    _(
                        "%(claim)s，但未说明外出的是父亲还是母亲（无法据此计为留守，"
                        "请填写父母的务工地点或外出时间）"
                    )
                    % {"claim": self.said(lead.cell)}
                )
            else:
                derived.update(dict.fromkeys(candidates, lead.rule))
                if len(candidates) < need:  # a parent the code says is away is at home
                    disagreements.append(
                        (self.said(lead.cell), self.said(*home.values()), "work_place")
                    )
                    stated = "work_place"
        if one_unable and not unable:
            # 一方外出、另一方无监护能力 without saying which: the one not away.
            away_now = set(facts) | set(derived)
            if len(away_now) == 1:
                other = next(r for r in PARENTS if r not in away_now)
                family.setdefault(other, {})["can_guard"] = False
        if away:
            stated = "away_since"
        if not (recent or disagreements):
            return derived, stated, warnings
        status = set(counting) | set(derived)  # the parents who count as away
        if recent and len(status) < lead.lo <= len(status) + len(recent):
            disagreements.append(
                (
                    self.said(lead.cell),
                    self.said(*(facts[r][1] for r in PARENTS if r in recent))
                    + _("，外出不足三个月"),
                    "away_since",
                )
            )
        kind = left_behind_type_of(status)
        for claim, against, rule in disagreements:
            warnings.append(
                _("%(a)s，但%(b)s（%(rule)s计为%(type)s）")
                % {"a": claim, "b": against, "rule": RULES[rule], "type": kind.label}
            )
        return derived, stated, warnings


def _lo(claim: _Claim) -> int:
    return claim.lo


def _hi(claim: _Claim) -> int:
    return claim.hi


def _place_kind(value: object) -> str:
    return place_kind(cell_text(value))


def _code(value: object) -> str | None:
    return LEFT_BEHIND.get(cell_code(value))


def _unable(value: object) -> tuple[str, ...] | None:
    return UNABLE.get(cell_code(value))


def _flag(value: object) -> bool | None:
    return FLAGS.get(cell_code(value))


# ---------------------------------------------------------------------------- counts


def counted_as(
    periods: Iterable[tuple[str, dt.date, dt.date | None]],
    dated: Collection[str],
    rules: dict[str, str] | None,
    stated: str,
    as_of: dt.date,
    cutoff: dt.date | None = None,
) -> tuple[str, str]:
    """(type, rule) of a child whose away periods will be ``periods`` (relation, start,
    end): the type by the one rule (``children.selectors``), the rule by which the row
    made it — "away_since" for the parents whose 外出时间 the row gives (``dated``),
    ``rules`` for those it opens a period for without a date, else "on_file" (the
    periods on file); ``stated`` for a child with no parent away. ``cutoff``:
    ``away_cutoff(as_of)``, computed once for many children."""
    cutoff = cutoff or away_cutoff(as_of)
    away = {
        relation
        for relation, start, end in periods
        if parent_away_on(start, end, as_of, cutoff=cutoff)
    }
    kind = left_behind_type_of(away)
    if not away:
        return kind.value, stated
    # The least direct rule that made a parent count: a 双亲 child with the father's
    # 外出时间 and the mother away by the 留守类型 is 双亲 by the 留守类型.
    rule = max(
        ((rules and rules.get(r)) or ("away_since" if r in dated else "on_file") for r in away),
        key=_ORDER.__getitem__,
    )
    return kind.value, rule


@dataclass
class LeftBehindCounts:
    """How many children of the rows created or updated will count as 双亲留守 / 单亲留守
    / 非留守 after the commit, and by which rule (rule → type → n)."""

    both_parents: int = 0
    one_parent: int = 0
    none: int = 0
    by_rule: dict[str, dict[str, int]] = field(
        default_factory=lambda: {rule: dict.fromkeys(TYPES, 0) for rule in RULES}
    )

    @classmethod
    def of(cls, rows: Iterable[RowResult]) -> LeftBehindCounts:
        counts = cls()
        for row in rows:
            plan = row.plan
            if row.action in ("create", "update") and plan is not None and plan.counted:
                kind, rule = plan.counted
                setattr(counts, kind, getattr(counts, kind) + 1)
                counts.by_rule[rule][kind] += 1
        return counts

    def as_json(self) -> dict[str, Any]:
        return {
            "both_parents": self.both_parents,
            "one_parent": self.one_parent,
            "none": self.none,
            "by_rule": {rule: dict(n) for rule, n in self.by_rule.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LeftBehindCounts:
        counts = cls(data["both_parents"], data["one_parent"], data["none"])
        for rule, n in data.get("by_rule", {}).items():
            if rule in counts.by_rule:
                counts.by_rule[rule].update(n)
        return counts

    def table(self) -> list[tuple[str, int, int, int]]:
        """(rule label, 双亲, 单亲, 非留守) of each rule that counts a child, for a page."""
        return [
            (str(RULES[rule]), n["both_parents"], n["one_parent"], n["none"])
            for rule, n in self.by_rule.items()
            if any(n.values())
        ]


def warning(field_key: str, column: str, message: str) -> CellError:
    """A row's warning: the message names its cells (it is shown without the column)."""
    return CellError(field_key, column, message)

"""The demo county's care history: a term of record cards for its left-behind children.

Each left-behind child's records are written by their mentor (代理家长), or by their class
teacher when they have none, at the pace the care plan in force at their school asks
for. Mentors differ: most keep up, some are a week or two late, a few have stopped weeks
ago, and schools differ in how many of each they have. The demo teacher has both
overdue tasks and tasks due now; the demo principal has teachers behind schedule.

The term is the one the build day falls in (from its first day up to the build day), or
in a break the one before it: calls to parents and guardians go on in the break, school
duties (talks, visits, letters) end with the term.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User

from carenet.care import calendar
from carenet.care.models import (
    SCHEDULED_KINDS,
    SCHOOL_SIDE_KINDS,
    CareKind,
    CarePlan,
    CareRecord,
    Frequency,
    GuardianCapacity,
)
from carenet.care.selectors import next_due
from carenet.children.models import Child, FamilyMember, GuardianshipQuality, Relation, Schooling
from carenet.demo import data
from carenet.orgs.models import Org
from carenet.support.models import (
    Activity,
    ActivityKind,
    ActivityParticipation,
    LegalAidCase,
    ParentSchoolAttendance,
    ParentSchoolSession,
)
from carenet.support.selectors import school_year_start

GOOD, LATE, BEHIND = "good", "late", "behind"
NO_RECORDS_SHARE = 0.04  # left-behind children nobody has written about yet
FAMILY_CALL_SHARE = 0.6  # children whose parents call through the school's 亲情电话
COUNSELING_SHARE = 0.05
ASSISTANCE_SHARE = 0.12

# The first record of a kind falls this many days into the term at most (before its
# first deadline), and a record comes this many days before it is due at most.
EARLY_DAYS: dict[str, int] = {
    Frequency.WEEKLY: 2,
    Frequency.BIWEEKLY: 3,
    Frequency.MONTHLY: 6,
    Frequency.QUARTERLY: 14,
    Frequency.TERMLY: 0,
    Frequency.TERM_START_MIDDLE_END: 7,
}


@dataclass
class CareKid:
    """What the history needs to know about a left-behind child."""

    child: Child
    school_code: str
    author: User
    members: list[FamilyMember]
    away: set[str]  # relations away from home: "father", "mother"


def term_for_history(today: dt.date) -> tuple[dt.date, dt.date]:
    """The term the day falls in, or in a break the term before it."""
    current = calendar.term_of(today)
    if current is not None:
        return current
    year = calendar.school_year_of(today)
    ended = [t for t in calendar.terms(year - 1) + calendar.terms(year) if t[1] < today]
    return ended[-1]


class History:
    def __init__(self, rng: random.Random, today: dt.date, county_code: str) -> None:
        self.rng = rng
        self.today = today
        self.county_code = county_code
        self.term = term_for_history(today)
        self.records: list[CareRecord] = []

    # ------------------------------------------------------------------ who keeps up

    def profiles(
        self,
        school_authors: dict[str, list[User]],
        demo_school: str,
        spare: set[int] = frozenset(),  # type: ignore[assignment]
    ) -> dict[int, str]:
        """Each author's pace (by ``id``): schools differ in their share of each."""
        rng = self.rng
        found: dict[int, str] = {}
        for code, authors in school_authors.items():
            good = rng.choice((0.85, 0.75, 0.65, 0.55, 0.4))
            behind = (1 - good) * rng.choice((0.25, 0.4, 0.6))
            for user in authors:
                r = rng.random()
                found[id(user)] = GOOD if r < good else BEHIND if r < good + behind else LATE
            if code == demo_school and len(authors) >= 4:
                # The principal's first screen: a few teachers clearly behind, most not.
                others = [u for u in authors if id(u) not in spare]
                for user in others[1:3]:
                    found[id(user)] = BEHIND
                if [found[id(u)] for u in others].count(GOOD) < len(others) // 2:
                    for user in others[3 : 3 + len(others) // 2]:
                        found[id(user)] = GOOD
        return found

    def lag(self, pace: str) -> int:
        """Days since an author last wrote (for a child)."""
        rng = self.rng
        if pace == GOOD:
            return 0
        if pace == LATE:
            return rng.randint(6, 16)
        return rng.randint(18, 56)

    # ------------------------------------------------------------------ records

    def child_history(
        self,
        kid: CareKid,
        plan: CarePlan,
        pace: str,
        *,
        exact: bool = False,
        due_now: str | None = None,
    ) -> None:
        """A term of records for one child. ``due_now`` names a kind whose next task
        should be due on the next working day from the build day (today if it is one)."""
        rng = self.rng
        if not exact:
            if rng.random() < NO_RECORDS_SHARE:
                return
            if pace == GOOD and rng.random() < 0.08:
                pace = LATE  # a child even a good mentor has missed
            elif pace != GOOD and rng.random() < 0.15:
                pace = GOOD  # a child a slow mentor does look after
        lag = self.lag(pace)
        for kind in SCHEDULED_KINDS:
            frequency = plan.frequency(kind)
            if frequency == Frequency.NONE:
                continue
            stop = self.today - dt.timedelta(days=lag + (rng.randint(0, 4) if lag else 0))
            if exact and pace == BEHIND:
                # Three weeks without a talk, some forty days without anything else.
                stop = self.today - dt.timedelta(days=21 if kind == CareKind.TALK else 40)
            if kind == due_now:
                target = calendar.next_workday(self.today)
                last = self._last_for(kind, frequency, target)
                if last is not None:
                    self._series(kid, kind, frequency, last - dt.timedelta(days=12))
                    self._add(kid, kind, last)
                    continue
            self._series(kid, kind, frequency, stop)
        self._extras(kid)

    def _last_for(self, kind: str, frequency: str, target: dt.date) -> dt.date | None:
        """A day whose record makes the next task of the kind due on ``target``."""
        for back in range(1, 120):
            day = target - dt.timedelta(days=back)
            if day <= self.term[0]:
                break
            if day <= self.today and next_due(kind, frequency, day, self.today) == target:
                return day
        return None

    def _fit(self, day: dt.date, kind: str) -> dt.date | None:
        """The working day (in term, for school duties) a record is made on, or None
        when it would fall after the history's end."""
        start, end = self.term
        if kind in SCHOOL_SIDE_KINDS:
            day = calendar.next_workday(max(day, start))
            return day if calendar.term_of(day) == self.term and day <= self.today else None
        day = calendar.next_workday(max(day, start))
        return day if day <= self.today else None

    def _series(self, kid: CareKid, kind: str, frequency: str, stop: dt.date) -> None:
        rng = self.rng
        start, end = self.term
        first_due = next_due(kind, frequency, None, start) or end
        early = EARLY_DAYS.get(frequency, 3)
        if frequency == Frequency.TERMLY:
            day: dt.date | None = start + dt.timedelta(days=rng.randint(14, (end - start).days))
        else:
            span = max(0, (first_due - start).days - 1)
            day = start + dt.timedelta(days=rng.randint(min(span, span // 3), span))
        for _ in range(60):
            day = self._fit(day, kind) if day is not None else None
            if day is None or day > stop:
                return
            self._add(kid, kind, day)
            due = next_due(kind, frequency, day, day)
            if due is None or frequency == Frequency.TERMLY:
                return
            day = max(day + dt.timedelta(days=1), due - dt.timedelta(days=rng.randint(0, early)))

    def _extras(self, kid: CareKid) -> None:
        """Family calls, and now and then counseling and material help."""
        rng = self.rng
        start = self.term[0]
        if kid.away and rng.random() < FAMILY_CALL_SHARE:
            step = rng.choice((7, 7, 14, 21))
            day = start + dt.timedelta(days=rng.randint(3, step + 3))
            while day <= self.today:
                if rng.random() < 0.85:
                    self._add(kid, CareKind.FAMILY_CALL, calendar.next_workday(day))
                day += dt.timedelta(days=step + rng.randint(-2, 2))
        if rng.random() < COUNSELING_SHARE:
            for _ in range(rng.randint(1, 3)):
                self._add(kid, CareKind.COUNSELING, self._day_in_term())
        if rng.random() < ASSISTANCE_SHARE:
            self._add(kid, CareKind.ASSISTANCE, self._day_in_term())
        if kid.child.schooling == Schooling.DROPPED_OUT:
            # 劝返: a contact every week or so since a day of the term.
            day = self._day_in_term()
            while day <= self.today:
                self._add(kid, CareKind.PERSUADE_BACK, calendar.next_workday(day))
                day += dt.timedelta(days=rng.randint(6, 10))

    def _day_in_term(self) -> dt.date:
        start, end = self.term
        last = min(end, self.today)
        day = start + dt.timedelta(days=self.rng.randint(0, max(0, (last - start).days)))
        fitted = calendar.next_workday(day)
        return fitted if fitted <= last else day

    def _add(self, kid: CareKid, kind: str, day: dt.date) -> None:
        if day > self.today:
            return
        summary, details = WRITERS[kind](self, kid)
        self.records.append(
            CareRecord(
                child=kid.child,
                county_code=self.county_code,
                kind=kind,
                date=day,
                author=kid.author,
                summary=summary,
                details=details,
                confidential=kind == CareKind.COUNSELING,
            )
        )

    # ------------------------------------------------------------------ the cards

    def _pick(self, words: tuple[str, ...], k: int = 1) -> list[str]:
        return self.rng.sample(words, k)

    def _given(self, kid: CareKid) -> str:
        name = kid.child.name
        return name[1:] if len(name) > 2 else name

    def _parent(self, kid: CareKid) -> str:
        """An away parent the school calls (母亲 if both are away, mostly)."""
        if Relation.MOTHER in kid.away and (
            Relation.FATHER not in kid.away or self.rng.random() < 0.6
        ):
            return "母亲"
        return "父亲" if kid.away else "母亲"

    def _guardian(self, kid: CareKid) -> FamilyMember | None:
        return next((m for m in kid.members if m.relation == Relation.GUARDIAN), None)

    def _talk(self, kid: CareKid) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        place = rng.choice(data.TALK_PLACES)
        topics = self._pick(data.TALK_TOPICS, rng.randint(1, 3))
        mood = rng.choice(data.TALK_MOODS)
        problem = rng.choice(data.TALK_PROBLEMS)
        measure = rng.choice(data.TALK_MEASURES)
        follow_up = rng.choice(data.TALK_FOLLOW_UPS)
        summary = f"在{place}与{self._given(kid)}谈心，聊了{'、'.join(topics)}。孩子{mood}"
        summary += (
            f"，{problem}，已{measure}。" if problem != "未发现明显问题" else "，未发现明显问题。"
        )
        details = {
            "place": place,
            "topics": "、".join(topics),
            "mood": mood,
            "problems": problem,
            "measures": measure,
            "follow_up": follow_up,
        }
        return summary, details

    def _home_visit(self, kid: CareKid) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        guardian = self._guardian(kid)
        capacity = {
            GuardianshipQuality.GOOD: GuardianCapacity.GOOD,
            GuardianshipQuality.FAIR: GuardianCapacity.FAIR,
        }.get(guardian.guardianship_quality if guardian else "", GuardianCapacity.POOR)  # type: ignore[call-overload]  # str values of the choices
        if guardian is None:
            capacity = rng.choice((GuardianCapacity.GOOD, GuardianCapacity.FAIR))
        who = guardian.kinship if guardian is not None else "母亲"
        present = f"{who}、{self._given(kid)}"
        if rng.random() < 0.15:
            present += "、村儿童主任"
        living = rng.choice(data.LIVING_CONDITIONS[capacity])
        needs = rng.choice(data.VISIT_NEEDS)
        summary = (
            f"到{kid.child.residence_address or '孩子家中'}家访，{who}在家。{living}。"
            f"向{who}反馈了孩子在校表现，{rng.choice(data.VISIT_ADVICE)}。"
        )
        details = {
            "present": present,
            "living_conditions": living,
            "guardian_capacity": str(capacity),
            "needs": needs,
        }
        return summary, details

    def _parent_call(self, kid: CareKid) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        who = self._parent(kid)
        minutes = rng.randint(5, 30)
        summary = (
            f"与{self._given(kid)}的{who}电话联系{minutes}分钟，{rng.choice(data.CALL_TOLD)}；"
            f"{who}{rng.choice(data.CALL_REPLY)}。"
        )
        return summary, {"with": who, "duration_minutes": minutes}

    def _guardian_contact(self, kid: CareKid) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        guardian = self._guardian(kid)
        who = guardian.kinship if guardian is not None else "母亲"
        minutes = rng.randint(3, 20)
        how = rng.choice(("电话", "电话", "接送时面谈", "微信语音"))
        summary = f"通过{how}与{who}沟通孩子近况，{rng.choice(data.GUARDIAN_TOPICS)}。"
        return summary, {"with": who, "duration_minutes": minutes}

    def _family_call(self, kid: CareKid) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        who = self._parent(kid)
        minutes = rng.randint(5, 20)
        how = rng.choice(("亲情电话", "亲情电话", "视频通话"))
        note = rng.choice(data.FAMILY_CALL_NOTES)
        summary = f"{self._given(kid)}在学校用{how}与{who}通话{minutes}分钟，{note}。"
        return summary, {"with": who, "duration_minutes": minutes}

    def _letter(self, kid: CareKid) -> tuple[str, dict[str, Any]]:
        return (
            f"指导{self._given(kid)}给在外务工的{self._parent(kid)}写信，{self.rng.choice(data.LETTER_NOTES)}。",
            {},
        )

    def _counseling(self, kid: CareKid) -> tuple[str, dict[str, Any]]:
        return f"心理辅导：{self.rng.choice(data.COUNSELING_NOTES)}。", {}

    def _persuade_back(self, kid: CareKid) -> tuple[str, dict[str, Any]]:
        words = ("与监护人面谈，讲明义务教育的要求", "电话联系外出务工的父母", "请同学带去学习资料")
        return f"劝返{self._given(kid)}：{self.rng.choice(words)}。", {}

    def _assistance(self, kid: CareKid) -> tuple[str, dict[str, Any]]:
        return f"为{self._given(kid)}{self.rng.choice(data.ASSISTANCE_NOTES)}。", {}


WRITERS: dict[str, Callable[[History, CareKid], tuple[str, dict[str, Any]]]] = {
    CareKind.TALK: History._talk,
    CareKind.HOME_VISIT: History._home_visit,
    CareKind.PARENT_CALL: History._parent_call,
    CareKind.GUARDIAN_CONTACT: History._guardian_contact,
    CareKind.FAMILY_CALL: History._family_call,
    CareKind.LETTER: History._letter,
    CareKind.COUNSELING: History._counseling,
    CareKind.ASSISTANCE: History._assistance,
    CareKind.PERSUADE_BACK: History._persuade_back,
}


# ---------------------------------------------------------------------- support

# Days into the school year of each school's parent-school (家长学校) sessions.
PARENT_SCHOOL_DAYS = (24, 79, 150, 235)
PARENT_SCHOOL_TOPICS = (
    "如何与留守孩子沟通",
    "《家庭教育促进法》解读",
    "暑期安全与防溺水",
    "隔代教育的方法",
    "孩子青春期的心理变化",
    "预防校园欺凌",
)
PARENT_SCHOOL_SPEAKERS = ("校长", "德育主任", "县妇联讲师", "心理辅导教师", "派出所民警")
# Per school, the share of guardians who come to a session (schools differ).
GUARDIAN_TURNOUT = (0.45, 0.9)
LEGAL_AID_SHARE = 0.015
LEGAL_MATTERS = (
    "父母离异，抚养费未按时支付",
    "监护权确认",
    "交通事故人身损害赔偿",
    "校外伤害赔偿",
    "遭受侵害，需要法律援助",
)


def support_history(
    care: list[CareKid], orgs: dict[str, Org], *, today: dt.date, county_code: str
) -> None:
    """Parent-school sessions of each school this school year with the guardians who came,
    and a few legal-aid cases (most aided), for the two indicators that count them. Its
    own random stream, so the care history above does not change."""
    rng = random.Random(f"support:{county_code}:{today.isoformat()}")
    start = school_year_start(today)
    days = [d for d in (start + dt.timedelta(days=n) for n in PARENT_SCHOOL_DAYS) if d <= today]
    by_school: dict[str, list[CareKid]] = defaultdict(list)
    for kid in care:
        by_school[kid.school_code].append(kid)
    sessions: list[tuple[ParentSchoolSession, list[FamilyMember]]] = []
    for code, kids in sorted(by_school.items()):
        turnout = rng.uniform(*GUARDIAN_TURNOUT)
        guardians = [m for kid in kids for m in kid.members if m.relation == Relation.GUARDIAN]
        for day in days:
            session = ParentSchoolSession(
                org=orgs[code],
                county_code=county_code,
                held_on=day,
                topic=rng.choice(PARENT_SCHOOL_TOPICS),
                speaker=rng.choice(PARENT_SCHOOL_SPEAKERS),
                others_count=rng.randint(0, 15),
                recorded_by=kids[0].author,
            )
            sessions.append((session, [g for g in guardians if rng.random() < turnout]))
    ParentSchoolSession.objects.bulk_create([s for s, _ in sessions])
    ParentSchoolAttendance.objects.bulk_create(
        (
            ParentSchoolAttendance(session=session, member=member, county_code=county_code)
            for session, members in sessions
            for member in members
        ),
        batch_size=1000,
    )
    cases = []
    for kid in care:
        if rng.random() >= LEGAL_AID_SHARE:
            continue
        opened = today - dt.timedelta(days=rng.randint(5, 300))
        eligible = rng.random() < 0.9
        aided_on = opened + dt.timedelta(days=rng.randint(3, 30))
        aided = eligible and rng.random() < 0.85 and aided_on <= today
        closed_on = aided_on + dt.timedelta(days=rng.randint(10, 60)) if aided else None
        cases.append(
            LegalAidCase(
                child=kid.child,
                county_code=county_code,
                opened_on=opened,
                matter=rng.choice(LEGAL_MATTERS),
                eligible=eligible,
                aided=aided,
                aided_on=aided_on if aided else None,
                provider=rng.choice(("justice_office", "legal_aid_center")) if aided else "",
                closed_on=closed_on if closed_on and closed_on <= today else None,
                recorded_by=kid.author,
            )
        )
    LegalAidCase.objects.bulk_create(cases)


# Days into the term of each school's activities (关爱活动), and their titles.
SCHOOL_ACTIVITIES = (
    (8, ActivityKind.SAFETY, "开学安全第一课"),
    (30, ActivityKind.MENTAL_HEALTH, "心理健康讲座：学会表达情绪"),
    (55, ActivityKind.GROUP, "留守儿童趣味运动会"),
    (75, ActivityKind.SOCIAL_PRACTICE, "走进敬老院"),
)
CLASS_MEETING_DAY = 20
CLASS_MEETING_TITLES = ("感恩父母", "我的家乡", "我爱我家", "给远方的爸爸妈妈写封信")
# Per school, the share of its left-behind children who take part in an activity.
ACTIVITY_TURNOUT = (0.5, 0.95)


def activity_history(
    care: list[CareKid], orgs: dict[str, Org], *, today: dt.date, county_code: str
) -> None:
    """A few activities of each school this term (safety, mental health, festivals …)
    and a theme class meeting of each class, with the left-behind children who took
    part. Its own random stream, so the histories above do not change."""
    rng = random.Random(f"activities:{county_code}:{today.isoformat()}")
    start, end = term_for_history(today)
    end = min(end, today)
    festivals = [
        (day, name)
        for day, name in calendar.festivals(calendar.school_year_of(start))
        if start <= day <= end and name in ("中秋节", "重阳节", "端午节", "元宵节")
    ]
    by_school: dict[str, list[CareKid]] = defaultdict(list)
    for kid in care:
        by_school[kid.school_code].append(kid)
    held: list[tuple[Activity, list[CareKid]]] = []
    for code, kids in sorted(by_school.items()):
        school, author = orgs[code], kids[0].author
        turnout = rng.uniform(*ACTIVITY_TURNOUT)
        plan = [(start + dt.timedelta(days=n), kind, title) for n, kind, title in SCHOOL_ACTIVITIES]
        plan += [(day, ActivityKind.FESTIVAL, f"{name}关爱活动") for day, name in festivals]
        for day, kind, title in plan:
            if day > end:
                continue
            activity = Activity(
                org=school,
                county_code=county_code,
                held_on=day,
                kind=kind,
                title=title,
                others_count=rng.randint(0, 40),
                recorded_by=author,
            )
            held.append((activity, [k for k in kids if rng.random() < turnout]))
        meeting = start + dt.timedelta(days=CLASS_MEETING_DAY)
        if meeting > end:
            continue
        by_class: dict[int, list[CareKid]] = defaultdict(list)
        for kid in kids:
            by_class[kid.child.school_class_id].append(kid)  # type: ignore[index]  # demo: in a class
        for class_id, pupils in sorted(by_class.items()):
            activity = Activity(
                org_id=class_id,
                county_code=county_code,
                held_on=meeting,
                kind=ActivityKind.THEME_MEETING,
                title=rng.choice(CLASS_MEETING_TITLES),
                others_count=rng.randint(10, 30),
                recorded_by=pupils[0].author,
            )
            held.append((activity, pupils))
    Activity.objects.bulk_create([a for a, _ in held])
    ActivityParticipation.objects.bulk_create(
        (
            ActivityParticipation(activity=activity, child=kid.child, county_code=county_code)
            for activity, kids in held
            for kid in kids
        ),
        batch_size=1000,
    )

"""The demo county 望江县 (340827): org tree, staff, children, families and pairings.

Everything is written in bulk (a few queries per table), so 2,000 children take a few
seconds and 20,000 still work. The county is the same for a seed; its dates are
relative to the day it is built, so the left-behind mix is right on that day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.test.utils import override_settings
from django.utils import timezone

from carenet.alerts.evaluate import children_review
from carenet.care import calendar
from carenet.care.models import CarePlan, CareRecord
from carenet.care.presets import DEFAULT_PRESET, preset_plan
from carenet.childplans.models import IndividualPlan, PlanReview
from carenet.children.models import (
    AwayPeriod,
    Category,
    Child,
    Education,
    FamilyMember,
    Gender,
    GuardianshipQuality,
    Health,
    Immunization,
    LeftBehindType,
    Pairing,
    PairingKind,
    Relation,
    RiskLevel,
    Schooling,
)
from carenet.children.selectors import pairing_in_force, with_left_behind
from carenet.demo import data
from carenet.demo.data import TownshipSpec
from carenet.demo.history import GOOD, CareKid, History, activity_history, support_history
from carenet.lib.crypto import blind_index
from carenet.lib.idcard import make_id_number
from carenet.lib.names import name_pinyin
from carenet.orgs.models import Membership, Org, OrgKind, Role, SchoolStage

BATCH = 1000
CLASS_SIZE = 48  # a grade gets a new class for every 48 children
DEMO_SCHOOL_MIN = 24  # children the demo principal's school gets in a small county
DEMO_SCHOOL_MIN_LEFT_BEHIND = 8
MENTEES_TARGET = 6  # 5–7 per mentor (seeds: 每人具体帮扶5-7名留守儿童)
MENTEES_MAX = 7

DEMO_ACCOUNTS: list[tuple[str, str]] = [
    ("county_admin", "县教育局/民政局管理员 — 全县各乡镇、学校、村（社区）的儿童"),
    ("township_supervisor", "乡镇儿童督导员 — 长岭镇各校就读和各村居住的儿童"),
    ("village_director", "村儿童主任 — 居住在本村的儿童（不论在哪所学校就读）"),
    ("principal", "校长 — 长岭中学全校的儿童与教师"),
    ("teacher", "班主任兼代理家长 — 本班学生和自己结对帮扶的留守儿童"),
]
DEMO_USERNAMES = [username for username, _label in DEMO_ACCOUNTS]
DEMO_TOWNSHIP = "长岭镇"

# Left-behind situations of a child as the demo draws them; the status itself is always
# derived from the away periods by ``with_left_behind``.
BOTH, ONE, NONE = "both", "one", "none"


@dataclass(frozen=True)
class DemoSummary:
    created: bool
    county: str
    county_code: str
    townships: int
    villages: int
    schools: int
    classes: int
    users: int
    children: int
    both_parents: int
    one_parent: int
    mentored: int
    records: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        if self.created:
            head = f"已建成演示县 {self.county}（{self.county_code}）"
        else:
            head = (
                f"演示县 {self.county}（{self.county_code}）已存在，沿用现有数据"
                "（加 --reset 可删除后重建）"
            )
        return (
            f"{head}：{self.townships} 个乡镇、{self.villages} 个村（社区）、"
            f"{self.schools} 所学校、{self.classes} 个班级，工作人员 {self.users} 名；\n"
            f"儿童 {self.children} 名，其中双亲留守 {self.both_parents} 名、"
            f"单亲留守 {self.one_parent} 名，{self.mentored} 名已结对代理家长；"
            f"本学期关爱记录 {self.records} 条。"
            f"用时 {self.seconds:.1f} 秒。"
        )


def demo_build(
    *,
    children: int = 2000,
    seed: int = 1,
    password: str = "carenet-demo",
    reset: bool = False,
    history: bool = True,
    school_size: int | None = None,
) -> DemoSummary:
    """Create the demo county with ``children`` children, or reuse the one there is.

    Only the five demo accounts can log in (with ``password``); the other staff get
    unusable passwords. Reusing sets the demo accounts' password and creates nothing;
    ``reset`` deletes the demo county's children, families, pairings, users and orgs
    first and builds it anew. All or nothing. The county gets a term of care records
    (``history``), so every account's first screen shows work due and overdue.

    ``history=False`` leaves out the care plans and records, and ``school_size`` makes
    the demo principal's school that big (for the benchmark, ``bench/care_bench.py``).
    """
    started = time.perf_counter()
    hashed = make_password(password)  # once: Argon2 takes ~50 ms a hash
    with transaction.atomic():
        county = Org.objects.filter(code=data.COUNTY_CODE).first()
        if county is not None and reset:
            _county_delete(county)
            county = None
        created = county is None
        if county is None:
            county = _Builder(
                children=children,
                seed=seed,
                hashed=hashed,
                today=timezone.localdate(),
                history=history,
                school_size=school_size,
            ).build()
        else:
            _demo_users(county).filter(username__in=DEMO_USERNAMES).update(
                password=hashed, is_active=True
            )
        summary = _summarise(county, created=created)
    return dataclasses.replace(summary, seconds=time.perf_counter() - started)


def _demo_users(county: Org) -> QuerySet[User]:
    """Users working in the demo county, never an administrator."""
    in_county = Membership.objects.filter(org__path__startswith=county.path).values("user_id")
    return get_user_model().objects.filter(pk__in=in_county, is_superuser=False, is_staff=False)


def _county_delete(county: Org) -> None:
    """Delete the demo county: its children with their files, its staff and its orgs."""
    orgs = Org.objects.filter(path__startswith=county.path).values("pk")
    users = _demo_users(county).exclude(
        pk__in=Membership.objects.exclude(org__path__startswith=county.path).values("user_id")
    )
    user_ids = list(users.values_list("pk", flat=True))
    kids = Child.objects.filter(Q(school__in=orgs) | Q(school_class__in=orgs))
    # Children of other counties living in a demo village lose that village.
    Child.objects.filter(village__in=orgs).exclude(pk__in=kids.values("pk")).update(village=None)
    Pairing.objects.filter(Q(child__in=kids.values("pk")) | Q(mentor_id__in=user_ids)).delete()
    CareRecord.objects.filter(Q(child__in=kids.values("pk")) | Q(author_id__in=user_ids)).delete()
    # simple_history would write a "-" row per deleted row, one INSERT each (seconds for a
    # county); the demo's files and their history go as a whole instead.
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        kids.delete()
    Child.history.filter(county_code=county.county_code).delete()
    FamilyMember.history.filter(county_code=county.county_code).delete()
    get_user_model().objects.filter(pk__in=user_ids).delete()
    Org.objects.filter(path__startswith=county.path).delete()


def _summarise(county: Org, *, created: bool) -> DemoSummary:
    orgs = Org.objects.filter(path__startswith=county.path)
    kinds = Counter(orgs.values_list("kind", flat=True))
    kids = Child.objects.filter(school__in=orgs.filter(kind=OrgKind.SCHOOL).values("pk"))
    mix = with_left_behind(kids).aggregate(
        total=Count("pk"),
        both=Count("pk", filter=Q(left_behind_type=LeftBehindType.BOTH_PARENTS)),
        one=Count("pk", filter=Q(left_behind_type=LeftBehindType.ONE_PARENT)),
    )
    mentored = Pairing.objects.filter(
        pairing_in_force(), child__in=kids.values("pk"), kind=PairingKind.MENTOR
    ).count()
    records = CareRecord.objects.filter(county_code=county.county_code).count()
    return DemoSummary(
        created=created,
        county=county.name,
        county_code=county.code,
        townships=kinds[OrgKind.TOWNSHIP],
        villages=kinds[OrgKind.VILLAGE],
        schools=kinds[OrgKind.SCHOOL],
        classes=kinds[OrgKind.CLASS],
        users=_demo_users(county).count(),
        children=mix["total"],
        both_parents=mix["both"],
        one_parent=mix["one"],
        mentored=mentored,
        records=records,
    )


# --------------------------------------------------------------------------- building


@dataclass
class _SchoolPlan:
    code: str
    name: str
    stage: str
    township: TownshipSpec
    index: int  # among the township's primary schools (0 = the central one); -1 middle
    grades: dict[int, int] = field(default_factory=dict)  # grade → children
    coverage: float = 1.0  # share of its left-behind children with a mentor

    def class_count(self, grade: int) -> int:
        return max(1, math.ceil(self.grades[grade] / CLASS_SIZE))

    @property
    def size(self) -> int:
        return sum(self.grades.values())


@dataclass
class _Kid:
    child: Child
    plan: _SchoolPlan
    grade: int
    kind: str  # BOTH, ONE or NONE
    surname: str
    left_behind: bool = False
    members: list[FamilyMember] = field(default_factory=list)
    periods: list[AwayPeriod] = field(default_factory=list)

    @property
    def school_class(self) -> Org:
        """The child's class (every demo child has one)."""
        assert self.child.school_class is not None
        return self.child.school_class


@dataclass
class _Staff:
    """Who works at a school, in the order the demo hands out mentees."""

    class_teachers: dict[int, User] = field(default_factory=dict)  # class pk → user
    others: list[User] = field(default_factory=list)  # leaders, then subject teachers


def _largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Whole numbers in proportion to ``weights`` that add up to ``total``."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    counts = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


class _Builder:
    def __init__(
        self,
        *,
        children: int,
        seed: int,
        hashed: str,
        today: dt.date,
        history: bool = True,
        school_size: int | None = None,
    ) -> None:
        self.total = children
        self.history = history
        self.school_size = school_size
        self.rng = random.Random(seed)
        self.hashed = hashed
        self.unusable = make_password(None)  # for everyone but the demo accounts
        self.today = today
        self.now = timezone.now()
        self.year_start = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
        self.county_code = data.COUNTY_CODE
        self._surnames = [s for s, _w in data.SURNAMES]
        self._surname_weights = [w for _s, w in data.SURNAMES]
        self._used_ids: set[str] = set()
        self._used_phones: set[str] = set()
        self._pinyin_cache: dict[str, tuple[str, str]] = {}
        self._usernames = set(get_user_model().objects.values_list("username", flat=True))
        self._taken_demo_users = {
            u.username: u for u in get_user_model().objects.filter(username__in=DEMO_USERNAMES)
        }
        self.users: list[User] = []
        self.memberships: list[Membership] = []
        self.orgs: dict[str, Org] = {}
        self.groups: dict[int, int] = {}  # village pk → its number of 村民组

    # ------------------------------------------------------------------ the whole county

    def build(self) -> Org:
        plans = self._plan_schools()
        county = self._orgs_create(plans)
        kids = self._kids_draw(plans)
        demo_plan = next(p for p in plans if p.name == data.DEMO_SCHOOL)
        demo_class = self._demo_school_settle(demo_plan, kids)
        for kid in kids:
            self._kid_complete(kid)
        staff = self._staff_create(county, plans, kids, demo_plan, demo_class)

        User = get_user_model()
        User.objects.bulk_create(self.users, batch_size=BATCH)
        Membership.objects.bulk_create(self.memberships, batch_size=BATCH)
        # Without history rows: bulk_create_with_history would double the time.
        Child.objects.bulk_create([k.child for k in kids], batch_size=BATCH)
        FamilyMember.objects.bulk_create([m for k in kids for m in k.members], batch_size=BATCH)
        AwayPeriod.objects.bulk_create([p for k in kids for p in k.periods], batch_size=BATCH)
        pairings = self._pairings(plans, kids, staff, demo_class)
        Pairing.objects.bulk_create(pairings, batch_size=BATCH)
        if self.history:
            self._care_history(county, plans, kids, staff, pairings, demo_plan)
        return county

    # ------------------------------------------------------------------ small helpers

    def _date_between(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(0, max(0, (end - start).days)))

    def _pick(self, weighted: Sequence[tuple[Any, float]]) -> Any:
        values = [v for v, _w in weighted]
        weights = [w for _v, w in weighted]
        return self.rng.choices(values, weights=weights)[0]

    def _surname(self) -> str:
        return self.rng.choices(self._surnames, weights=self._surname_weights)[0]

    def _child_given_name(self, gender: str) -> str:
        names, singles = (
            (data.BOY_NAMES, data.BOY_SINGLE)
            if gender == Gender.MALE
            else (data.GIRL_NAMES, data.GIRL_SINGLE)
        )
        r = self.rng.random()
        if r < 0.12:
            return self.rng.choice(singles)
        if r < 0.8:
            return self.rng.choice(names)
        return self.rng.choice(names)[0] + self.rng.choice(names)[1]

    def _id_number(self, division: str, birth: dt.date, gender: str) -> str:
        parity = 1 if gender == Gender.MALE else 0
        while True:
            value = make_id_number(division, birth, self.rng.randrange(500) * 2 + parity, gender)
            if value not in self._used_ids:
                self._used_ids.add(value)
                return value

    def _phone(self) -> str:
        while True:
            value = self.rng.choice(data.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if value not in self._used_phones:
                self._used_phones.add(value)
                return value

    def _pinyin(self, name: str) -> tuple[str, str]:
        """``name_pinyin``, once per name: the county's names repeat a lot."""
        if name not in self._pinyin_cache:
            self._pinyin_cache[name] = name_pinyin(name)
        return self._pinyin_cache[name]

    def _username(self, name: str) -> str:
        base = self._pinyin(name)[0] or "user"
        candidate, number = base, 1
        while candidate in self._usernames:
            number += 1
            candidate = f"{base}{number}"
        self._usernames.add(candidate)
        return candidate

    def _gender(self, female: float) -> str:
        return Gender.FEMALE if self.rng.random() < female else Gender.MALE

    def _person(self, gender: str) -> str:
        names = data.MALE_TEACHER_NAMES if gender == Gender.MALE else data.FEMALE_TEACHER_NAMES
        return self._surname() + self.rng.choice(names)

    def _user(self, name: str, username: str | None = None) -> User:
        taken = self._taken_demo_users.get(username or "")
        if taken is not None:  # a demo account left over from elsewhere: take it over
            taken.first_name, taken.password, taken.is_active = name, self.hashed, True
            taken.save(update_fields=["first_name", "password", "is_active"])
            return taken
        username = username or self._username(name)
        self._usernames.add(username)
        user = get_user_model()(
            username=username,
            first_name=name,
            password=self.hashed if username in DEMO_USERNAMES else self.unusable,
            is_active=True,
            date_joined=self.now,
        )
        self.users.append(user)
        return user

    def _member(self, user: User, org: Org, role: str, title: str = "") -> None:
        self.memberships.append(Membership(user=user, org=org, role=role, title=title))

    # ------------------------------------------------------------------ schools and orgs

    def _plan_schools(self) -> list[_SchoolPlan]:
        plans: list[_SchoolPlan] = []
        for township in data.TOWNSHIPS:
            for index, name in enumerate(township.primaries):
                plans.append(_SchoolPlan("", name, SchoolStage.PRIMARY, township, index))
            plans.append(_SchoolPlan("", township.middle, SchoolStage.MIDDLE, township, -1))
        slots: list[tuple[_SchoolPlan, int]] = []
        weights: list[float] = []
        for number, plan in enumerate(plans, start=1):
            plan.code = f"21340827{number:02d}"  # 学校标识码: 10 digits
            township = plan.township
            if plan.stage == SchoolStage.MIDDLE:
                share, grades = 1.0, data.MIDDLE_GRADES
            else:
                share = 1.0 if len(township.primaries) == 1 else (0.6 if plan.index == 0 else 0.4)
                grades = data.PRIMARY_GRADES
            for grade in grades:
                slots.append((plan, grade))
                weights.append(township.weight * share * self.rng.uniform(0.85, 1.15))
            # Schools that have paired every left-behind child, and some still at it.
            plan.coverage = self.rng.choice((1.0, 1.0, 1.0, 0.95, 0.9, 0.8, 0.7, 0.5, 0.3))
        for (plan, grade), count in zip(
            slots, _largest_remainder(self.total, weights), strict=True
        ):
            plan.grades[grade] = count
        demo = next(p for p in plans if p.name == data.DEMO_SCHOOL)
        demo.coverage = 1.0
        # However few children, the demo principal's school gets enough for its accounts.
        wanted = min(
            self.total,
            max(DEMO_SCHOOL_MIN_LEFT_BEHIND, min(self.total // 2, DEMO_SCHOOL_MIN)),
        )
        if self.school_size:
            wanted = max(wanted, min(self.total, self.school_size))
        while demo.size < wanted:
            donor, grade = max(
                ((p, g) for p in plans if p is not demo for g in p.grades),
                key=lambda pg: pg[0].grades[pg[1]],
            )
            donor.grades[grade] -= 1
            smallest = min(demo.grades, key=lambda g: demo.grades[g])
            demo.grades[smallest] += 1
        return plans

    def _orgs_create(self, plans: list[_SchoolPlan]) -> Org:
        code = self.county_code

        def node(code: str, name: str, kind: str, children=(), stage: str = "", level=None) -> dict:
            values = dict(code=code, name=name, kind=kind, county_code=self.county_code)
            values["stage"] = stage
            values["level"] = level
            return {"data": values, "children": list(children)}

        townships = []
        for township in data.TOWNSHIPS:
            below = [
                node(f"{township.code}{i:03d}", name, OrgKind.VILLAGE)
                for i, name in enumerate(township.communities, start=1)
            ]
            below += [
                node(f"{township.code}{i:03d}", name, OrgKind.VILLAGE)
                for i, name in enumerate(township.villages, start=201)
            ]
            for plan in (p for p in plans if p.township is township):
                grades = [
                    node(
                        f"{plan.code}-G{grade}",
                        f"{data.NUMERALS[grade]}年级",
                        OrgKind.GRADE,
                        [
                            node(
                                f"{plan.code}-G{grade}-{k}",
                                f"{data.NUMERALS[grade]}({k})班",
                                OrgKind.CLASS,
                            )
                            for k in range(1, plan.class_count(grade) + 1)
                        ],
                        level=grade,
                    )
                    for grade in sorted(plan.grades)
                ]
                below.append(node(plan.code, plan.name, OrgKind.SCHOOL, grades, plan.stage))
            townships.append(node(township.code, township.name, OrgKind.TOWNSHIP, below))
        tree = [node(code, data.COUNTY_NAME, OrgKind.COUNTY, townships)]
        Org.objects.load_bulk(tree, bulk_create=True, batch_size=BATCH)
        county = Org.objects.get(code=code)
        self.orgs = {o.code: o for o in Org.objects.filter(path__startswith=county.path)}
        return county

    def _villages(self, township: TownshipSpec) -> list[Org]:
        codes = [f"{township.code}{i:03d}" for i in range(1, len(township.communities) + 1)]
        codes += [f"{township.code}{i:03d}" for i in range(201, 201 + len(township.villages))]
        return [self.orgs[c] for c in codes]

    # ------------------------------------------------------------------ children

    def _kids_draw(self, plans: list[_SchoolPlan]) -> list[_Kid]:
        """Each child's school, class, name, birth, ID number, village and situation."""
        all_villages = [v for t in data.TOWNSHIPS for v in self._villages(t)]
        for village in all_villages:
            self.groups[village.pk] = self.rng.randint(6, 12)
        kids: list[_Kid] = []
        for plan in plans:
            school = self.orgs[plan.code]
            near = self._villages(plan.township)
            weights = [self._village_weight(plan, v) for v in near]
            for grade in sorted(plan.grades):
                # Born between 1 Sept and 31 Aug: six by the September they start school.
                first = dt.date(self.year_start.year - grade - 6, 9, 1)
                last = dt.date(self.year_start.year - grade - 5, 8, 31)
                classes = plan.class_count(grade)
                sizes = _largest_remainder(plan.grades[grade], [1.0] * classes)
                for k, size in enumerate(sizes, start=1):
                    school_class = self.orgs[f"{plan.code}-G{grade}-{k}"]
                    for _ in range(size):
                        if self.rng.random() < 0.06:
                            village = self.rng.choice(all_villages)  # from another township
                        else:
                            village = self.rng.choices(near, weights=weights)[0]
                        kids.append(
                            self._kid_draw(plan, school, school_class, grade, first, last, village)
                        )
        return kids

    def _village_weight(self, plan: _SchoolPlan, village: Org) -> float:
        if plan.index == 1 and village.name[:2] == plan.name[:2]:
            return 6.0  # 花园小学 mostly teaches children from 花园村
        if village.name.endswith("社区"):
            return 4.0 if plan.name.startswith("望江县") else 1.6
        return 1.0

    def _kid_draw(
        self,
        plan: _SchoolPlan,
        school: Org,
        school_class: Org,
        grade: int,
        first: dt.date,
        last: dt.date,
        village: Org,
    ) -> _Kid:
        rng = self.rng
        gender = Gender.MALE if rng.random() < 0.53 else Gender.FEMALE
        surname = self._surname()
        birth = self._date_between(first, last)
        id_number = self._id_number(self.county_code, birth, gender)
        child = Child(
            county_code=self.county_code,
            name=surname + self._child_given_name(gender),
            gender=gender,
            birth_date=birth,
            id_number=id_number,
            id_number_hash=blind_index(id_number),
            student_number=f"G{id_number}",
            school=school,
            school_class=school_class,
            village=village,
        )
        kind = self._pick(((BOTH, 35), (ONE, 30), (NONE, 35)))
        return _Kid(child=child, plan=plan, grade=grade, kind=kind, surname=surname)

    def _demo_school_settle(self, plan: _SchoolPlan, kids: list[_Kid]) -> Org | None:
        """Make sure the demo teacher has mentees in and outside their class; pick the class."""
        mine = [k for k in kids if k.plan is plan]
        left_behind = [k for k in mine if k.kind != NONE]
        for kid in [k for k in mine if k.kind == NONE]:
            if len(left_behind) >= min(len(mine), DEMO_SCHOOL_MIN_LEFT_BEHIND):
                break
            kid.kind = BOTH
            left_behind.append(kid)
        if not mine:
            return None
        per_class = Counter(k.school_class.code for k in left_behind)
        class_codes = sorted({k.school_class.code for k in mine})
        demo_code = max(class_codes, key=lambda c: (per_class[c], -class_codes.index(c)))
        if per_class[demo_code] == len(left_behind):
            # Every left-behind child is in one class: one elsewhere becomes left-behind.
            elsewhere = [k for k in mine if k.school_class.code != demo_code]
            if elsewhere:
                elsewhere[0].kind = BOTH
        return self.orgs[demo_code]

    def _kid_complete(self, kid: _Kid) -> None:
        """Family, health, interests, categories and risk of a drawn child."""
        rng = self.rng
        child = kid.child
        sloppy = rng.random() < 0.10  # a file someone has not finished
        notes: list[str] = []
        categories: set[str] = set()

        village = child.village
        if sloppy and rng.random() < 0.2:
            village = child.village = None
        township = self._township_of(village) if village else kid.plan.township.name
        group = rng.choice(data.RESIDENCE_GROUPS[: self.groups[village.pk]]) if village else ""
        if sloppy and rng.random() < 0.5:
            group = ""
        place = f"{township}{village.name if village else ''}"
        child.registered_residence = f"{data.PROVINCE}{data.CITY}{data.COUNTY_NAME}{place}"
        child.residence_group = group
        child.residence_address = f"{place}{group}"
        in_town = bool(village and village.name.endswith("社区"))
        child.rural_hukou = rng.random() < (0.6 if in_town else 0.98)
        child.ethnicity = "回族" if rng.random() < 0.005 else "汉族"
        child.name_pinyin, child.name_initials = self._pinyin(child.name)

        guardian = self._family(kid, sloppy, notes, categories)
        kid.left_behind = kid.kind != NONE

        if kid.plan.stage == SchoolStage.MIDDLE:
            boarding = 0.75 if kid.plan.name == data.DEMO_SCHOOL else 0.5
        else:
            boarding = 0.12 if kid.grade >= 4 else 0.03
        child.boarding = rng.random() < boarding

        health = self._pick(
            (
                (Health.HEALTHY, 92),
                (Health.FAIR, 4),
                (Health.POOR, 1.5),
                (Health.CHRONIC, 1.5),
                (Health.DISABLED, 1),
            )
        )
        child.health = health
        if health == Health.CHRONIC:
            child.health_notes = rng.choice(data.CHRONIC_NOTES)
            if rng.random() < 0.2:
                categories.add(Category.SPECIAL)
        elif health == Health.DISABLED:
            child.disability = rng.choice(data.DISABILITIES)
            categories.add(Category.SPECIAL)
        elif rng.random() < 0.05:
            child.health_notes = rng.choice(data.HEALTH_REMARKS)
        child.immunization = self._pick(
            (
                (Immunization.COMPLETE, 96),
                (Immunization.INCOMPLETE, 2.5),
                (Immunization.UNKNOWN, 1.5),
            )
        )
        if sloppy and rng.random() < 0.15:
            child.immunization = Immunization.UNKNOWN
        if rng.random() < 0.003:
            child.schooling = Schooling.SUSPENDED
            notes.append("因病休学")
        elif kid.plan.stage == SchoolStage.MIDDLE and rng.random() < 0.004:
            child.schooling = Schooling.DROPPED_OUT
            notes.append("已辍学，劝返中")
        if not (sloppy and rng.random() < 0.6):
            child.interests = "、".join(rng.sample(data.INTERESTS, rng.randint(1, 3)))
        if not (sloppy and rng.random() < 0.6):
            child.personality = "、".join(rng.sample(data.PERSONALITY, rng.randint(1, 2)))

        unable = any(not m.can_guard for m in kid.members)
        if rng.random() < (0.15 if unable or Category.SINGLE_PARENT in categories else 0.045):
            categories.add(Category.POOR)
        if rng.random() < (0.11 if kid.kind == BOTH else 0.065):
            categories.add(Category.POTENTIAL)
        if rng.random() < 0.05:
            categories.add(Category.GIFTED)
        order = [c.value for c in Category]
        chosen = [c for c in order if c in categories]
        child.categories = f",{','.join(chosen)}," if chosen else ""

        score = (kid.kind == BOTH) + unable + (health != Health.HEALTHY)
        score += (Category.POOR in categories) + (Category.POTENTIAL in categories)
        if guardian is not None:
            score += {GuardianshipQuality.POOR: 2, GuardianshipQuality.NONE: 3}.get(  # type: ignore[call-overload]  # str values of the choices
                guardian.guardianship_quality, 0
            )
            score += guardian.health == "较差"
        score = min(score, 4)
        r = rng.random()
        high = (0.003, 0.01, 0.04, 0.12, 0.3)[score]
        medium = (0.04, 0.1, 0.22, 0.35, 0.45)[score]
        # The demo's assessment is a raise by hand (the floor): the risk level is derived
        # from the alerts (``alerts.services.risk_refresh``) and never goes below it.
        child.risk_level = (
            RiskLevel.HIGH if r < high else RiskLevel.MEDIUM if r < high + medium else RiskLevel.LOW
        )
        if child.risk_level != RiskLevel.LOW:
            child.risk_floor = child.risk_level
            child.risk_floor_reason = "建档时评估"
        child.notes = "；".join(notes)

    def _township_of(self, village: Org) -> str:
        for township in data.TOWNSHIPS:
            if village.code.startswith(township.code):
                return township.name
        return ""

    # ------------------------------------------------------------------ families

    def _parent_birth(self, child_birth: dt.date, youngest: int, oldest: int) -> dt.date:
        year = min(1995, max(1975, child_birth.year - self.rng.randint(youngest, oldest)))
        return self._date_between(dt.date(year, 1, 1), dt.date(year, 12, 31))

    def _work_away(self, member: FamilyMember, sloppy: bool) -> None:
        rng = self.rng
        province, city, _w, area, kinds = self._pick([(p, p[2]) for p in data.WORK_PLACES])
        member.work_province, member.work_city = province, city
        if rng.random() < 0.2:
            member.employer = rng.choice(data.SELF_EMPLOYED)
        else:
            short = city.removesuffix("市")
            member.employer = f"{short}{rng.choice(data.EMPLOYER_BRANDS)}{rng.choice(kinds)}"
            if rng.random() < (0.15 if sloppy else 0.35):
                member.employer_phone = f"{area}-{rng.randrange(10**7, 10**8)}"
        if sloppy and rng.random() < 0.3:
            member.employer = ""

    def _work_home(self, member: FamilyMember) -> None:
        member.work_province, member.work_city = data.PROVINCE, data.COUNTY_NAME
        member.employer = self.rng.choice(data.LOCAL_WORK)

    def _parent(
        self, kid: _Kid, relation: str, surname: str, birth: dt.date, sloppy: bool
    ) -> FamilyMember:
        rng = self.rng
        gender = Gender.MALE if relation == Relation.FATHER else Gender.FEMALE
        names = data.FATHER_NAMES if gender == Gender.MALE else data.MOTHER_NAMES
        division = self._pick(data.PARENT_DIVISIONS)
        if division == "342827" and birth.year >= 1988:
            division = self.county_code
        member = FamilyMember(
            child=kid.child,
            relation=relation,
            county_code=self.county_code,
            name=surname + rng.choice(names),
        )
        if not (sloppy and rng.random() < 0.4):
            member.id_number = self._id_number(division, birth, gender)
            member.id_number_hash = blind_index(member.id_number)
        if rng.random() < (0.6 if sloppy else 0.93):
            member.phone = self._phone()
        return member

    def _family(
        self, kid: _Kid, sloppy: bool, notes: list[str], categories: set[str]
    ) -> FamilyMember | None:
        """Parents, away periods and (when needed) the entrusted guardian of a child."""
        rng = self.rng
        child, today = kid.child, self.today
        father = self._parent(
            kid, Relation.FATHER, kid.surname, self._parent_birth(child.birth_date, 23, 35), sloppy
        )
        mother = self._parent(
            kid,
            Relation.MOTHER,
            self._surname(),
            self._parent_birth(child.birth_date, 21, 32),
            sloppy,
        )
        parents = {Relation.FATHER: father, Relation.MOTHER: mother}
        label = {Relation.FATHER: "父亲", Relation.MOTHER: "母亲"}
        earliest = child.birth_date + dt.timedelta(days=180)
        latest = today - dt.timedelta(days=100)  # away longer than three months
        away: list[tuple[str, dt.date, dt.date | None]] = []
        home = [Relation.FATHER, Relation.MOTHER]
        other_state = "home"

        if kid.kind == BOTH:
            start = self._date_between(earliest, latest)
            away.append((Relation.FATHER, start, None))
            start_m = start if rng.random() < 0.4 else self._date_between(earliest, latest)
            away.append((Relation.MOTHER, start_m, None))
            if rng.random() < 0.12 and (start_m - earliest).days > 400:
                # The mother came home for a while once: an older, closed period.
                s = self._date_between(earliest, start_m - dt.timedelta(days=300))
                e = self._date_between(s + dt.timedelta(days=90), start_m - dt.timedelta(days=30))
                away.append((Relation.MOTHER, s, e))
            home = []
        elif kid.kind == ONE:
            who = Relation.FATHER if rng.random() < 0.75 else Relation.MOTHER
            other = Relation.MOTHER if who == Relation.FATHER else Relation.FATHER
            away.append((who, self._date_between(earliest, latest), None))
            home = [other]
            r = rng.random()
            if r < 0.08:
                other_state = "unable"
            elif r < 0.15:
                other_state = "absent"
            elif r < 0.4:
                # The parent at home once worked away too.
                s = self._date_between(earliest, today - dt.timedelta(days=400))
                e = self._date_between(s + dt.timedelta(days=120), today - dt.timedelta(days=30))
                away.append((other, s, e))
        else:
            r = rng.random()
            if r < 0.1:
                # Left a few weeks ago: not left-behind yet (three months).
                who = Relation.FATHER if rng.random() < 0.7 else Relation.MOTHER
                away.append((who, today - dt.timedelta(days=rng.randint(7, 80)), None))
                home = [Relation.MOTHER if who == Relation.FATHER else Relation.FATHER]
            elif r < 0.32:
                # Came back: the history keeps the old away periods.
                came_back = (
                    [Relation.FATHER, Relation.MOTHER]
                    if rng.random() < 0.3
                    else [Relation.FATHER if rng.random() < 0.6 else Relation.MOTHER]
                )
                for who in came_back:
                    s = self._date_between(earliest, today - dt.timedelta(days=300))
                    e = self._date_between(s + dt.timedelta(days=120), today - dt.timedelta(days=7))
                    away.append((who, s, e))
            elif r < 0.4:
                # Parents divorced: the child lives with one of them.
                gone = Relation.MOTHER if rng.random() < 0.7 else Relation.FATHER
                home = [Relation.FATHER if gone == Relation.MOTHER else Relation.MOTHER]
                parents[gone].phone = ""
                notes.append(f"父母离异，随{label[home[0]]}生活")
                categories.add(Category.SINGLE_PARENT)

        open_away = {who for who, _s, end in away if end is None}
        for relation, member in parents.items():
            if relation in open_away:
                self._work_away(member, sloppy)
            elif relation in home:
                self._work_home(member)
        if other_state == "unable":
            member = parents[home[0]]
            reason = self._pick(data.UNABLE_REASONS)
            member.can_guard = False
            member.phone = member.employer = ""
            member.work_province = member.work_city = ""
            notes.append(f"{label[home[0]]}{reason}")
            if reason == "已去世":
                categories.add(Category.SINGLE_PARENT)
        elif other_state == "absent":
            member = parents[home[0]]
            member.phone = member.employer = ""
            member.work_province = member.work_city = ""
            notes.append(f"父母离异，{label[home[0]]}已多年未联系")
            categories.add(Category.SINGLE_PARENT)

        kid.members = [father, mother]
        kid.periods = [
            AwayPeriod(
                child=child, relation=who, county_code=self.county_code, start=start, end=end
            )
            for who, start, end in sorted(away, key=lambda a: (a[0], a[1]))
        ]
        if kid.kind == BOTH or other_state in ("unable", "absent"):
            guardian = self._guardian(kid, mother, sloppy)
            kid.members.append(guardian)
            return guardian
        return None

    def _guardian(self, kid: _Kid, mother: FamilyMember, sloppy: bool) -> FamilyMember:
        """The entrusted guardian: mostly a grandparent, sometimes an uncle or aunt."""
        rng = self.rng
        kinship = self._pick(
            (
                ("祖母", 38), ("祖父", 26), ("外祖母", 12), ("外祖父", 6), ("伯父", 3),
                ("叔叔", 3), ("姑姑", 4), ("舅舅", 3), ("姨妈", 3),
            )
        )  # fmt: skip
        elder = kinship.startswith(("祖", "外祖"))
        male = kinship in ("祖父", "外祖父", "伯父", "叔叔", "舅舅")
        if kinship in ("祖父", "伯父", "叔叔", "姑姑"):
            surname = kid.surname
        elif kinship in ("外祖父", "舅舅", "姨妈"):
            surname = mother.name[:1]
        else:
            surname = self._surname()
        if elder:
            names = data.OLD_MAN_NAMES if male else data.OLD_WOMAN_NAMES
            parent_age = self.today.year - kid.child.birth_date.year + rng.randint(22, 34)
            age = min(80, max(55, parent_age + rng.randint(22, 30)))
            education = self._pick(
                (
                    (Education.NONE, 35),
                    (Education.PRIMARY, 45),
                    (Education.JUNIOR, 17),
                    (Education.SENIOR, 3),
                )
            )
            health = self._pick((("良好", 45), ("一般", 40), ("较差", 15)))
            occupation = self._pick((("务农", 75), ("无", 12), ("打零工", 8), ("个体", 5)))
        else:
            names = data.FATHER_NAMES if male else data.MOTHER_NAMES
            age = rng.randint(30, 55)
            education = self._pick(
                ((Education.PRIMARY, 20), (Education.JUNIOR, 60), (Education.SENIOR, 20))
            )
            health = self._pick((("良好", 80), ("一般", 20)))
            occupation = self._pick((("务农", 50), ("个体", 25), ("打零工", 25)))
        if health == "较差":
            quality = self._pick(
                (
                    (GuardianshipQuality.GOOD, 15),
                    (GuardianshipQuality.FAIR, 45),
                    (GuardianshipQuality.POOR, 32),
                    (GuardianshipQuality.NONE, 8),
                )
            )
        else:
            quality = self._pick(
                (
                    (GuardianshipQuality.GOOD, 42),
                    (GuardianshipQuality.FAIR, 45),
                    (GuardianshipQuality.POOR, 12),
                    (GuardianshipQuality.NONE, 1),
                )
            )
        guardian = FamilyMember(
            child=kid.child,
            relation=Relation.GUARDIAN,
            county_code=self.county_code,
            name=surname + rng.choice(names),
            kinship=kinship,
            age=age,
            health=health,
            education=education,
            occupation=occupation,
            guardianship_quality=quality,
        )
        if not (sloppy and rng.random() < 0.5):
            birth_year = self.today.year - age
            birth = self._date_between(dt.date(birth_year, 1, 1), dt.date(birth_year, 12, 31))
            division = "342827" if birth.year < 1988 and rng.random() < 0.4 else self.county_code
            gender = Gender.MALE if male else Gender.FEMALE
            guardian.id_number = self._id_number(division, birth, gender)
            guardian.id_number_hash = blind_index(guardian.id_number)
        if rng.random() < (0.4 if sloppy else 0.85):
            guardian.phone = self._phone()
        if not (sloppy and rng.random() < 0.5):
            guardian.address = kid.child.residence_address or ""
        return guardian

    # ------------------------------------------------------------------ staff

    def _staff_create(
        self,
        county: Org,
        plans: list[_SchoolPlan],
        kids: list[_Kid],
        demo_plan: _SchoolPlan,
        demo_class: Org | None,
    ) -> dict[str, _Staff]:
        rng = self.rng
        admin = self._user(self._person(Gender.MALE), "county_admin")
        self._member(admin, county, Role.COUNTY_ADMIN, "县教育局关爱留守儿童工作办公室")
        civil = self._user(self._person(Gender.FEMALE))
        self._member(civil, county, Role.COUNTY_ADMIN, "县民政局儿童福利股")

        residents = Counter(k.child.village.pk for k in kids if k.child.village is not None)
        demo_township = next(t for t in data.TOWNSHIPS if t.name == DEMO_TOWNSHIP)
        demo_villages = self._villages(demo_township)
        demo_village = max(demo_villages, key=lambda v: (residents[v.pk], -demo_villages.index(v)))
        for township in data.TOWNSHIPS:
            org = self.orgs[township.code]
            username = "township_supervisor" if township is demo_township else None
            gender = rng.choice((Gender.MALE, Gender.FEMALE))
            user = self._user(self._person(gender), username)
            self._member(user, org, Role.TOWNSHIP_SUPERVISOR, "儿童督导员")
            for village in self._villages(township):
                username = "village_director" if village is demo_village else None
                user = self._user(self._person(rng.choice((Gender.MALE, Gender.FEMALE))), username)
                self._member(user, village, Role.VILLAGE_DIRECTOR, "儿童主任")

        left_behind = Counter(k.plan.code for k in kids if k.kind != NONE)
        staff: dict[str, _Staff] = {}
        for plan in plans:
            school = self.orgs[plan.code]
            is_demo = plan is demo_plan
            team = staff[plan.code] = _Staff()
            female = 0.75 if plan.stage == SchoolStage.PRIMARY else 0.5
            subjects = (
                data.PRIMARY_SUBJECTS if plan.stage == SchoolStage.PRIMARY else data.MIDDLE_SUBJECTS
            )

            principal = self._user(self._person(Gender.MALE), "principal" if is_demo else None)
            self._member(principal, school, Role.PRINCIPAL, "校长")
            leader = self._user(self._person(self._gender(female)))
            self._member(leader, school, Role.SCHOOL_ADMIN, "德育主任")
            team.others += [principal, leader]
            classes = []
            for grade in sorted(plan.grades):
                for k in range(1, plan.class_count(grade) + 1):
                    school_class = self.orgs[f"{plan.code}-G{grade}-{k}"]
                    classes.append(school_class)
                    username = "teacher" if school_class is demo_class else None
                    teacher = self._user(self._person(self._gender(female)), username)
                    self._member(teacher, school_class, Role.TEACHER, "班主任")
                    self._member(teacher, school, Role.TEACHER, f"{rng.choice(subjects)}教师")
                    team.class_teachers[school_class.pk] = teacher
            ratio = 16 if plan.stage == SchoolStage.PRIMARY else 12
            extra = max(2, math.ceil(plan.size / ratio) - len(classes))
            paired = math.ceil(left_behind[plan.code] * plan.coverage)
            extra = max(extra, math.ceil(paired / MENTEES_TARGET) - len(classes) - 2)
            for i in range(extra):
                teacher = self._user(self._person(self._gender(female)))
                self._member(teacher, school, Role.TEACHER, f"{subjects[i % len(subjects)]}教师")
                team.others.append(teacher)
        return staff

    # ------------------------------------------------------------------ care history

    def _care_history(
        self,
        county: Org,
        plans: list[_SchoolPlan],
        kids: list[_Kid],
        staff: dict[str, _Staff],
        pairings: list[Pairing],
        demo_plan: _SchoolPlan,
    ) -> None:
        """The county's care plan (weekly talks) with some schools on monthly talks, and
        a term of records (``history``) by each left-behind child's mentor."""
        school_year = calendar.school_year_of(self.today)
        county_plan = preset_plan(DEFAULT_PRESET, org=county, school_year=school_year)
        care_plans = {"": county_plan}
        for plan in plans:
            if plan is not demo_plan and self.rng.random() < 0.3:
                school = self.orgs[plan.code]
                care_plans[plan.code] = preset_plan(
                    "monthly_talks", org=school, school_year=school_year
                )
        CarePlan.objects.bulk_create(care_plans.values())

        mentors = {
            id(p.child): p.mentor
            for p in pairings
            if p.kind == PairingKind.MENTOR and p.ended_on is None
        }
        care: list[CareKid] = []
        authors: dict[str, dict[int, User]] = defaultdict(dict)
        for kid in kids:
            if not kid.left_behind:
                continue
            child = kid.child
            author = (
                mentors.get(id(child)) or staff[kid.plan.code].class_teachers[kid.school_class.pk]
            )
            authors[kid.plan.code].setdefault(id(author), author)
            away = {p.relation for p in kid.periods if p.end is None or p.end > self.today}
            care.append(CareKid(child, kid.plan.code, author, kid.members, away))

        history = History(self.rng, self.today, self.county_code)
        teacher = next((u for u in self.users if u.username == "teacher"), None)
        teacher = teacher or self._taken_demo_users.get("teacher")
        paces = history.profiles(
            {code: list(users.values()) for code, users in authors.items()},
            demo_plan.code,
            spare={id(teacher)},
        )
        paces[id(teacher)] = GOOD
        # The demo teacher's first mentee is weeks behind, the next one has a call due on
        # the next working day (today on a working day): both show on the working list.
        forced = [k for k in care if k.author is teacher][:2]
        for kid in care:
            plan = care_plans.get(kid.school_code, county_plan)
            if forced and kid is forced[0]:
                history.child_history(kid, plan, "behind", exact=True)
            elif len(forced) > 1 and kid is forced[1]:
                history.child_history(kid, plan, GOOD, exact=True, due_now="parent_call")
            else:
                history.child_history(kid, plan, paces[id(kid.author)])
        CareRecord.objects.bulk_create(history.records, batch_size=BATCH)
        support_history(care, self.orgs, today=self.today, county_code=self.county_code)
        activity_history(care, self.orgs, today=self.today, county_code=self.county_code)
        high_risk = [k for k in care if k.child.risk_level == RiskLevel.HIGH]
        self._individual_plans(high_risk, forced)
        self._alerts([*forced[:1], *high_risk])

    def _individual_plans(self, high_risk: list[CareKid], forced: list[CareKid]) -> None:
        """Open individual plans (个别教育管理方案) for the children at high risk and for the
        demo teacher's first mentee, each reviewed once after two weeks."""
        chosen = {id(kid): kid for kid in [*forced[:1], *high_risk]}
        plans = []
        for kid in chosen.values():
            reason, goals, measures, _progress = self.rng.choice(data.INDIVIDUAL_PLANS)
            plans.append(
                IndividualPlan(
                    child=kid.child,
                    county_code=self.county_code,
                    reason=reason,
                    goals=goals,
                    measures=measures,
                    responsible=kid.author,
                    opened_on=self.today - dt.timedelta(days=self.rng.randint(15, 60)),
                    created_by=kid.author,
                )
            )
        IndividualPlan.objects.bulk_create(plans, batch_size=BATCH)
        progress = {goals: text for _r, goals, _m, text in data.INDIVIDUAL_PLANS}
        PlanReview.objects.bulk_create(
            [
                PlanReview(
                    plan=plan,
                    date=plan.opened_on + dt.timedelta(days=14),
                    progress=progress[plan.goals],
                    next_steps="继续按方案执行，下月再回访",
                    author=plan.responsible,
                )
                for plan in plans
            ],
            batch_size=BATCH,
        )

    def _alerts(self, kids: list[CareKid]) -> None:
        """The early-warning rules run on the children at high risk and the demo
        teacher's first mentee (their guardians assessed 差 or 无人监护, parents out of
        touch, care overdue): the demo's accounts find alerts on the first day, and
        those children's derived risk (their individual plan: at least medium). The
        other children keep the level assessed at filing as their floor."""
        ids = {k.child.pk for k in kids}
        now = timezone.make_aware(dt.datetime.combine(self.today, dt.time(8)))
        children_review(Child.objects.filter(pk__in=ids), today=self.today, now=now)

    # ------------------------------------------------------------------ pairings

    def _pairings(
        self,
        plans: list[_SchoolPlan],
        kids: list[_Kid],
        staff: dict[str, _Staff],
        demo_class: Org | None,
    ) -> list[Pairing]:
        rng = self.rng
        by_school: dict[str, list[_Kid]] = defaultdict(list)
        for kid in kids:
            by_school[kid.plan.code].append(kid)
        pairings: list[Pairing] = []
        for plan in plans:
            mine = by_school[plan.code]
            left_behind = [k for k in mine if k.left_behind]
            if plan.coverage < 1.0:
                keep = sorted(
                    rng.sample(range(len(left_behind)), round(len(left_behind) * plan.coverage))
                )
                left_behind = [left_behind[i] for i in keep]
            team = staff[plan.code]
            for kid, mentor in self._mentors_assign(left_behind, team, demo_class):
                pairings.append(self._pairing(kid, mentor))
                if rng.random() < 0.05:
                    # An earlier mentor who handed the child over when pairings were rearranged.
                    before = rng.choice(team.others)
                    if before is not mentor:
                        pairings.append(
                            self._pairing(kid, before, ended_on=pairings[-1].started_on)
                        )
            pairings += self._buddies(
                mine, left_behind, 0.7 if plan.name == data.DEMO_SCHOOL else 0.35
            )
        return pairings

    def _pairing(self, kid: _Kid, mentor: User, ended_on: dt.date | None = None) -> Pairing:
        if ended_on is not None:
            started = ended_on.replace(year=ended_on.year - 1)
            return Pairing(
                child=kid.child,
                kind=PairingKind.MENTOR,
                county_code=self.county_code,
                mentor=mentor,
                started_on=started,
                ended_on=ended_on,
                end_reason="结对调整",
            )
        year_start = self.year_start
        if kid.grade not in (1, 7) and self.rng.random() < 0.4:
            year_start = year_start.replace(year=year_start.year - 1)  # paired last year
        started = min(self.today, year_start + dt.timedelta(days=self.rng.randint(0, 20)))
        return Pairing(
            child=kid.child,
            kind=PairingKind.MENTOR,
            county_code=self.county_code,
            mentor=mentor,
            started_on=started,
        )

    def _mentors_assign(
        self, left_behind: list[_Kid], team: _Staff, demo_class: Org | None
    ) -> list[tuple[_Kid, User]]:
        """Class teachers take their own class's children first (up to six), then top up to
        five from the rest; the school's leaders and subject teachers take the others."""
        load: dict[int, list[_Kid]] = defaultdict(list)  # id(user) → mentees
        users: dict[int, User] = {}
        by_class: dict[int, list[_Kid]] = defaultdict(list)
        for kid in left_behind:
            by_class[kid.school_class.pk].append(kid)
        taken: set[int] = set()

        def give(user: User, kid: _Kid) -> None:
            users[id(user)] = user
            load[id(user)].append(kid)
            taken.add(id(kid))

        if demo_class is not None and demo_class.pk in team.class_teachers:
            teacher = team.class_teachers[demo_class.pk]
            own = by_class[demo_class.pk][: MENTEES_TARGET - 1]
            others = sorted(
                (k for k in left_behind if k.school_class.pk != demo_class.pk),
                key=lambda k: -len(by_class[k.school_class.pk]),
            )
            for kid in own + others[: max(1, MENTEES_TARGET - len(own))]:
                give(teacher, kid)
        for class_pk, teacher in team.class_teachers.items():
            for kid in [k for k in by_class[class_pk] if id(k) not in taken]:
                if len(load[id(teacher)]) >= MENTEES_TARGET:
                    break
                give(teacher, kid)
        pool = [k for k in left_behind if id(k) not in taken]
        for teacher in team.class_teachers.values():
            while pool and len(load[id(teacher)]) < 5:
                give(teacher, pool.pop(0))
        if pool:
            wanted = math.ceil(len(pool) / MENTEES_TARGET)
            mentors = [(m, MENTEES_TARGET) for m in team.others[:wanted]]
            mentors += [
                (t, MENTEES_MAX - len(load[id(t)]))
                for t in team.class_teachers.values()
                if len(load[id(t)]) < MENTEES_MAX
            ][: wanted - len(mentors)]
            sizes = _largest_remainder(len(pool), [1.0] * len(mentors)) if mentors else []
            for size, (mentor, room) in zip(sizes, mentors, strict=True):
                for _ in range(min(size, room)):
                    give(mentor, pool.pop(0))
            # More children than places: the school's team takes them on regardless.
            everyone = list(team.others) + list(team.class_teachers.values())
            for i, kid in enumerate(list(pool)):
                give(everyone[i % len(everyone)], kid)
        return [(kid, users[uid]) for uid, mentees in load.items() for kid in mentees]

    def _buddies(self, mine: list[_Kid], paired: list[_Kid], share: float) -> list[Pairing]:
        """Some left-behind children get a classmate as buddy, not left-behind if possible."""
        rng = self.rng
        by_class: dict[int, list[_Kid]] = defaultdict(list)
        for kid in mine:
            by_class[kid.school_class.pk].append(kid)
        used: Counter[int] = Counter()
        pairings = []
        for kid in paired:
            if rng.random() >= share:
                continue
            mates = [k for k in by_class[kid.school_class.pk] if k is not kid and used[id(k)] < 2]
            helpers = [k for k in mates if not k.left_behind] or mates
            if not helpers:
                continue
            buddy = rng.choice(helpers)
            used[id(buddy)] += 1
            pairings.append(
                Pairing(
                    child=kid.child,
                    kind=PairingKind.BUDDY,
                    county_code=self.county_code,
                    buddy=buddy.child,
                    buddy_name=buddy.child.name,
                    started_on=min(
                        self.today, self.year_start + dt.timedelta(days=rng.randint(7, 30))
                    ),
                )
            )
        return pairings

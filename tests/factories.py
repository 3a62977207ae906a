"""Test data built in code: a small county and a cast of users by role and scope.

The cast (see ``World``):
- county_admin sees all of 望江县;
- township_supervisor sees 华阳镇 (school 华阳小学, village 红星村) but not 长岭镇;
- village_director sees children living in 红星村, whatever their school;
- principal sees 华阳小学 only;
- teacher is class teacher of 一(1)班 at 华阳小学 and mentor of one child in 二(1)班;
- stranger_teacher teaches at 长岭中学 in the other township.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from django.contrib.auth.models import User

from carenet.children.models import Child, Pairing
from carenet.children.services import child_save, pairing_start
from carenet.lib.idcard import make_id_number
from carenet.orgs.models import Membership, Org, OrgKind, Role

PASSWORD = "Test-pass-2026"
_sequence = itertools.count(1)


def org_add(parent: Org | None, *, code: str, name: str, kind: str, **extra) -> Org:
    values = dict(code=code, name=name, kind=kind, county_code=code[:6], **extra)
    if parent is None:
        return Org.objects.add_root(values)
    values["county_code"] = parent.county_code
    return Org.objects.add_child(parent, values)


def user_add(username: str, role: str | None = None, org: Org | None = None) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, first_name=username)
    if role and org:
        Membership.objects.create(user=user, org=org, role=role)
    return user


def child_add(
    school_class: Org,
    *,
    name: str = "王子涵",
    village: Org | None = None,
    gender: str = "M",
    birth: dt.date = dt.date(2015, 3, 4),
    father_away: dt.date | None = None,
    mother_away: dt.date | None = None,
    **data,
) -> Child:
    id_number = make_id_number("340827", birth, next(_sequence) * 2 + 1, gender)
    family = {}
    if father_away:
        family["father"] = {"name": "父亲", "phone": "13812345678", "away_since": father_away}
    if mother_away:
        family["mother"] = {"name": "母亲", "phone": "13912345678", "away_since": mother_away}
    return child_save(
        actor=None,
        data=dict(
            name=name,
            gender=gender,
            birth_date=birth,
            id_number=id_number,
            school_class=school_class,
            village=village,
            **data,
        ),
        family=family,
    )


@dataclass
class World:
    county: Org
    township: Org
    other_township: Org
    village: Org
    other_village: Org
    school: Org
    other_school: Org
    class_1: Org
    class_2: Org
    other_class: Org
    users: dict[str, User] = field(default_factory=dict)
    own_child: Child | None = None  # in the teacher's class, lives in 红星村
    mentee: Child | None = None  # in class_2, mentored by the teacher
    school_child: Child | None = None  # in class_2 of the principal's school, not mentored
    villager_elsewhere: Child | None = None  # lives in 红星村, goes to the other school
    outsider: Child | None = None  # other township, other village

    def user(self, name: str) -> User:
        return self.users[name]


def world_build() -> World:
    county = org_add(None, code="340827", name="望江县", kind=OrgKind.COUNTY)
    township = org_add(county, code="340827100", name="华阳镇", kind=OrgKind.TOWNSHIP)
    other_township = org_add(county, code="340827101", name="长岭镇", kind=OrgKind.TOWNSHIP)
    village = org_add(township, code="340827100201", name="红星村", kind=OrgKind.VILLAGE)
    other_village = org_add(
        other_township, code="340827101201", name="长岭村", kind=OrgKind.VILLAGE
    )
    school = org_add(
        township, code="3434000001", name="华阳小学", kind=OrgKind.SCHOOL, stage="primary"
    )
    grade_1 = org_add(school, code="3434000001-G1", name="一年级", kind=OrgKind.GRADE, level=1)
    grade_2 = org_add(school, code="3434000001-G2", name="二年级", kind=OrgKind.GRADE, level=2)
    class_1 = org_add(grade_1, code="3434000001-G1-1", name="一(1)班", kind=OrgKind.CLASS)
    class_2 = org_add(grade_2, code="3434000001-G2-1", name="二(1)班", kind=OrgKind.CLASS)
    other_school = org_add(
        other_township, code="3434000002", name="长岭中学", kind=OrgKind.SCHOOL, stage="middle"
    )
    other_grade = org_add(
        other_school, code="3434000002-G7", name="七年级", kind=OrgKind.GRADE, level=7
    )
    other_class = org_add(other_grade, code="3434000002-G7-1", name="七(1)班", kind=OrgKind.CLASS)
    world = World(
        county,
        township,
        other_township,
        village,
        other_village,
        school,
        other_school,
        class_1,
        class_2,
        other_class,
    )
    world.users = {
        "county_admin": user_add("county_admin", Role.COUNTY_ADMIN, county),
        "township_supervisor": user_add("township_supervisor", Role.TOWNSHIP_SUPERVISOR, township),
        "village_director": user_add("village_director", Role.VILLAGE_DIRECTOR, village),
        "principal": user_add("principal", Role.PRINCIPAL, school),
        "teacher": user_add("teacher", Role.TEACHER, class_1),
        "stranger_teacher": user_add("stranger_teacher", Role.TEACHER, other_class),
        "nobody": user_add("nobody"),
    }
    Membership.objects.create(user=world.users["teacher"], org=school, role=Role.TEACHER)
    away = dt.date(2025, 2, 1)
    world.own_child = child_add(
        class_1, name="王子涵", village=village, father_away=away, mother_away=away
    )
    world.mentee = child_add(class_2, name="曾小雨", gender="F", village=village, mother_away=away)
    world.school_child = child_add(class_2, name="李明", village=village)
    world.villager_elsewhere = child_add(
        other_class, name="张伟", village=village, father_away=away
    )
    world.outsider = child_add(other_class, name="赵强", village=other_village, father_away=away)
    pairing_start(child=world.mentee, mentor=world.users["teacher"], on=dt.date(2025, 9, 1))
    return world


__all__ = ["PASSWORD", "World", "world_build", "child_add", "user_add", "org_add", "Pairing"]


def old_task_message(user: User, child: Child, *, care_kind: str, title: str, due: dt.date):
    """A per-task message (已逾期) as reminders were before the daily digest: kept in the
    inboxes, one line each."""
    from carenet.notify.models import Notification, NotificationKind, NotificationLine

    old = Notification.objects.create(
        user=user,
        county_code="340827",
        kind=NotificationKind.TASK_OVERDUE,
        title=title,
        dedupe_key="old",
    )
    NotificationLine.objects.create(
        notification=old, child=child, care_kind=care_kind, due_date=due, overdue=True
    )
    return old


def school_staff_add(world: World) -> World:
    """The world with the school's 德育主任 (school_admin) and 心理辅导教师 (counselor)."""
    world.users["school_admin"] = user_add("school_admin", Role.SCHOOL_ADMIN, world.school)
    world.users["counselor"] = user_add("counselor", Role.COUNSELOR, world.school)
    return world

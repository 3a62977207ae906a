"""Who may do what, and over which children: the one access table, and everything read
from it.

``ROLE_PERMISSIONS`` has one row per kind of user. A row says what the user may do
(``Permission``, named by what it allows), where it reaches from the org they are placed
at (``Reach``: the subtree of a county or township, the pupils of a school, of a class,
the children living in a village, or the children one mentors), the kinds of org the
role sits at, and the roles it may give to others (people management). Every question
of access — which children a page lists (``children_scope``, ``visible_children``), who
sees contacts unmasked, edits a file, files a village child, moves a child along their
path, decides transfers, runs pairing, imports registers, writes documents, makes the
statistics table, audits, reads confidential notes, manages plans or people, must
protect their account with a second factor, sees a school whole on the dashboard — is
answered by a function of this module reading the table. No other module holds a set of
roles that decides access (tests/test_access_table.py checks the table against what the
pages and selectors allow; tests/test_architecture_scope.py keeps the children's tables
read through selectors).

Adding a new kind of user is one more row. A migrant parent (外出务工家长) who should see
their own child's file and the records of their calls, say:

1. add the role to ``carenet.orgs.models.Role`` if the user is placed at an org by a
   membership (a volunteer at a village: ``Role.VOLUNTEER``), or a key of its own here if
   they come to a child through a relation, like a mentor through a pairing (a parent
   through their ``FamilyMember`` row: ``PARENT = "parent"``);
2. add its row: ``PARENT: Row(Reach.OWN_CHILDREN, frozenset({Permission.VIEW_CHILDREN}))``
   (a volunteer: ``Row(Reach.VILLAGE, frozenset({Permission.VIEW_CHILDREN}),
   sits_at=(OrgKind.VILLAGE,))``), and, for a new relation, the reach it brings
   (``Reach.OWN_CHILDREN`` in ``_relation_ids``, as ``Reach.MENTEES`` is);
3. say who may give the role (``manages`` of the managing rows).

Nothing else changes: every page, export and report asks the functions below. (A new
``Role`` value changes the membership field's choices: one migration. ``_check_table``
refuses a role without a row; tests/test_access_table.py checks every row's permissions
against the pages once the role is in its cast.)

The command line and the queue's jobs are not users: they read children through an
explicit operator scope (``operator_scope("carenet export")``), whose names are listed in
``OPERATOR_SCOPES`` so that every place reading children as the operator can be found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from django.db.models import Q, QuerySet

from carenet.children.models import Child, ChildStatus, Pairing, PairingKind
from carenet.children.selectors import pairing_in_force
from carenet.orgs.models import Membership, Org, OrgKind, Role
from carenet.orgs.selectors import AnyUser, org_ids_under, school_of, user_memberships


class Permission(StrEnum):
    """What a row of the table allows, over the children (or orgs) it reaches."""

    VIEW_CHILDREN = "view"  # read the file (contacts masked unless SEE_CONTACTS)
    SEE_CONTACTS = "contacts"  # ID numbers and phones unmasked (on screen, in exports)
    EDIT_CHILDREN = "edit"  # change the file; create or move files into a class
    FILE_VILLAGE_CHILDREN = "file_village"  # file a child not at a school under a village
    WRITE_CHILD_PLANS = "child_plans"  # study-help and individual plans (帮扶方案)
    REQUEST_TRANSFER = "transfer"  # ask another school of the county to take a child (转学)
    RECORD_LEAVING = "leave"  # transferred out of the county, moved away, died
    RECORD_DROPOUT = "drop_out"  # record a dropout (辍学) and the return (复学)
    MOVE_CHILDREN = "move"  # move a child at once between two schools of the county
    DECIDE_TRANSFERS = "decide_transfers"  # accept or refuse the transfers of a school
    RUN_PAIRING = "pairing"  # pair mentors and buddies at a school (结对帮扶)
    IMPORT_REGISTERS = "import"  # import a school's (or village's) register
    EXPORT_REGISTERS = "export"  # export registers of the children one sees
    WRITE_DOCUMENTS = "documents"  # work plans and summaries (工作计划, 工作总结)
    MAKE_STATISTICS_TABLES = "statistics"  # the statistics table (统计表)
    AUDIT = "audit"  # search the access log, handle data requests (archived files too)
    READ_CONFIDENTIAL = "confidential"  # read confidential care records of others
    MANAGE_PLANS = "plans"  # configure the care plan (关爱工作计划) of an org
    LEAD_SCHOOL_CARE = "lead_care"  # the working list of a whole school, per teacher
    CARE_FOR_CHILDREN = "care_for"  # a working list (我的待办) of the children reached
    MENTOR_CHILDREN = "mentor_children"  # be paired as mentor (代理家长) at one's school
    RECORD_SESSIONS = "sessions"  # parent-school sessions and activities of a school/village
    SET_UP_CLASSES = "classes"  # set up the grades and classes of a school
    ADMINISTER_SCHOOLS = "schools"  # add, rename, move, merge and close a county's schools
    START_SCHOOL_YEAR = "school_year"  # start (and undo) a county's school year
    MANAGE_PEOPLE = "people"  # give roles to people (the row's ``manages``)
    SEE_BREAKDOWN = "breakdown"  # the home page's table per school, class or village
    TWO_FACTOR = "two_factor"  # may (and should) protect the account with a second factor
    HANDLE_ALERTS = "alerts"  # see and handle the alerts (预警) of the children reached
    RECEIVE_ESCALATIONS = "escalations"  # escalated alerts and overdue reports come to them
    MAKE_REPORTS = "mandatory_reports"  # make mandatory reports (强制报告), 应急处置
    SEE_REPORT_FIGURES = "report_figures"  # counts and times to report, without content
    RECORD_ATTENDANCE = "attendance"  # absences (缺勤) and exam results of the children


class Reach(StrEnum):
    """Where a row reaches from the org of the membership (or from the user)."""

    SUBTREE = "subtree"  # the schools and villages under the org (county, township)
    SCHOOL = "school"  # the schools under the org: their pupils
    CLASS = "class"  # the classes under a grade or class (a teacher placed at a school: none)
    VILLAGE = "village"  # the villages under the org: the children living there
    VILLAGE_UNSCHOOLED = "village_unschooled"  # …of them, those not at a school
    OWN_SCHOOL = "own_school"  # the school the org (a class, a grade) belongs to
    MENTEES = "mentees"  # the children one is the mentor (代理家长) of now: no membership


# A row whose reach is CLASS counts only at these kinds of org.
_CLASS_KINDS = (OrgKind.CLASS, OrgKind.GRADE)
# A row that sees every child of the schools it reaches: the dashboards count them whole.
_WHOLE_REACHES = frozenset({Reach.SUBTREE, Reach.SCHOOL})


@dataclass(frozen=True)
class Row:
    """A kind of user: where it reaches, what it may do there, where it sits, whom it
    may place. ``narrower``: a permission that reaches less far than the row."""

    reach: Reach
    permissions: frozenset[Permission]
    sits_at: tuple[str, ...] = ()
    manages: frozenset[str] = frozenset()
    narrower: Mapping[Permission, Reach] = field(default_factory=lambda: MappingProxyType({}))

    def reach_of(self, permission: Permission) -> Reach:
        return self.narrower.get(permission, self.reach)


P = Permission
# The mentor (代理家长): a teacher paired with a child, whatever their memberships.
MENTOR = "mentor"
_SCHOOL_LEADERSHIP = frozenset(
    {
        P.VIEW_CHILDREN,
        P.SEE_CONTACTS,
        P.EDIT_CHILDREN,
        P.WRITE_CHILD_PLANS,
        P.REQUEST_TRANSFER,
        P.RECORD_LEAVING,
        P.RECORD_DROPOUT,
        P.DECIDE_TRANSFERS,
        P.RUN_PAIRING,
        P.IMPORT_REGISTERS,
        P.EXPORT_REGISTERS,
        P.WRITE_DOCUMENTS,
        P.MAKE_STATISTICS_TABLES,
        P.AUDIT,
        P.READ_CONFIDENTIAL,
        P.MANAGE_PLANS,
        P.LEAD_SCHOOL_CARE,
        P.MENTOR_CHILDREN,
        P.RECORD_SESSIONS,
        P.SET_UP_CLASSES,
        P.MANAGE_PEOPLE,
        P.SEE_BREAKDOWN,
        P.TWO_FACTOR,
        P.HANDLE_ALERTS,
        P.RECEIVE_ESCALATIONS,
        P.MAKE_REPORTS,
        P.SEE_REPORT_FIGURES,
        P.RECORD_ATTENDANCE,
    }
)

ROLE_PERMISSIONS: Mapping[str, Row] = MappingProxyType(
    {
        # 县级管理员 (county education bureau, civil affairs): the whole county.
        Role.COUNTY_ADMIN: Row(
            Reach.SUBTREE,
            frozenset(
                {
                    P.VIEW_CHILDREN,
                    P.EDIT_CHILDREN,
                    P.FILE_VILLAGE_CHILDREN,
                    P.WRITE_CHILD_PLANS,
                    P.REQUEST_TRANSFER,
                    P.RECORD_LEAVING,
                    P.RECORD_DROPOUT,
                    P.MOVE_CHILDREN,
                    P.DECIDE_TRANSFERS,
                    P.RUN_PAIRING,
                    P.IMPORT_REGISTERS,
                    P.EXPORT_REGISTERS,
                    P.WRITE_DOCUMENTS,
                    P.MAKE_STATISTICS_TABLES,
                    P.AUDIT,
                    P.MANAGE_PLANS,
                    P.SET_UP_CLASSES,
                    P.ADMINISTER_SCHOOLS,
                    P.START_SCHOOL_YEAR,
                    P.MANAGE_PEOPLE,
                    P.SEE_BREAKDOWN,
                    P.TWO_FACTOR,
                    P.SEE_REPORT_FIGURES,
                }
            ),
            sits_at=(OrgKind.COUNTY,),
            manages=frozenset(Role.values),
        ),
        # 乡镇儿童督导员: reads the township, places the village directors.
        Role.TOWNSHIP_SUPERVISOR: Row(
            Reach.SUBTREE,
            frozenset(
                {
                    P.VIEW_CHILDREN,
                    P.EXPORT_REGISTERS,
                    P.WRITE_DOCUMENTS,
                    P.MAKE_STATISTICS_TABLES,
                    P.MANAGE_PEOPLE,
                    P.SEE_BREAKDOWN,
                    P.HANDLE_ALERTS,
                    P.RECEIVE_ESCALATIONS,
                    P.MAKE_REPORTS,
                    P.SEE_REPORT_FIGURES,
                }
            ),
            sits_at=(OrgKind.TOWNSHIP,),
            manages=frozenset({Role.VILLAGE_DIRECTOR}),
        ),
        # 村儿童主任: the children living in the village; keeps the files of those not at
        # a school (the school keeps its pupils' files).
        Role.VILLAGE_DIRECTOR: Row(
            Reach.VILLAGE,
            frozenset(
                {
                    P.VIEW_CHILDREN,
                    P.SEE_CONTACTS,
                    P.EDIT_CHILDREN,
                    P.FILE_VILLAGE_CHILDREN,
                    P.WRITE_CHILD_PLANS,
                    P.RECORD_DROPOUT,
                    P.IMPORT_REGISTERS,
                    P.EXPORT_REGISTERS,
                    P.WRITE_DOCUMENTS,
                    P.CARE_FOR_CHILDREN,
                    P.RECORD_SESSIONS,
                    P.SEE_BREAKDOWN,
                    P.HANDLE_ALERTS,
                    P.MAKE_REPORTS,
                }
            ),
            sits_at=(OrgKind.VILLAGE,),
            narrower=MappingProxyType(
                {
                    P.EDIT_CHILDREN: Reach.VILLAGE_UNSCHOOLED,
                    P.WRITE_CHILD_PLANS: Reach.VILLAGE_UNSCHOOLED,
                }
            ),
        ),
        # 校长: the school.
        Role.PRINCIPAL: Row(
            Reach.SCHOOL,
            _SCHOOL_LEADERSHIP,
            sits_at=(OrgKind.SCHOOL,),
            manages=frozenset({Role.SCHOOL_ADMIN, Role.TEACHER, Role.COUNSELOR}),
        ),
        # 德育主任 / 学校管理员: the school, as the principal (but places no school admin).
        Role.SCHOOL_ADMIN: Row(
            Reach.SCHOOL,
            _SCHOOL_LEADERSHIP,
            sits_at=(OrgKind.SCHOOL,),
            manages=frozenset({Role.TEACHER, Role.COUNSELOR}),
        ),
        # 心理辅导教师: reads the school's files and its confidential records.
        Role.COUNSELOR: Row(
            Reach.SCHOOL,
            frozenset(
                {
                    P.VIEW_CHILDREN,
                    P.EXPORT_REGISTERS,
                    P.READ_CONFIDENTIAL,
                    P.MENTOR_CHILDREN,
                    P.HANDLE_ALERTS,
                    P.MAKE_REPORTS,
                }
            ),
            sits_at=(OrgKind.SCHOOL,),
        ),
        # 班主任 (a teacher at a class or grade): the class. A subject teacher placed at
        # the school reaches no child by the membership (only their mentees), but records
        # the school's sessions and activities.
        Role.TEACHER: Row(
            Reach.CLASS,
            frozenset(
                {
                    P.VIEW_CHILDREN,
                    P.SEE_CONTACTS,
                    P.EDIT_CHILDREN,
                    P.WRITE_CHILD_PLANS,
                    P.REQUEST_TRANSFER,
                    P.RECORD_DROPOUT,
                    P.EXPORT_REGISTERS,
                    P.CARE_FOR_CHILDREN,
                    P.MENTOR_CHILDREN,
                    P.RECORD_SESSIONS,
                    P.HANDLE_ALERTS,
                    P.MAKE_REPORTS,
                    P.RECORD_ATTENDANCE,
                }
            ),
            sits_at=(OrgKind.SCHOOL, OrgKind.GRADE, OrgKind.CLASS),
            narrower=MappingProxyType(
                {P.RECORD_SESSIONS: Reach.OWN_SCHOOL, P.MENTOR_CHILDREN: Reach.OWN_SCHOOL}
            ),
        ),
        # 代理家长: a child's mentor, through the pairing in force.
        MENTOR: Row(
            Reach.MENTEES,
            frozenset(
                {
                    P.VIEW_CHILDREN,
                    P.SEE_CONTACTS,
                    P.WRITE_CHILD_PLANS,
                    P.CARE_FOR_CHILDREN,
                    P.HANDLE_ALERTS,
                    P.MAKE_REPORTS,
                }
            ),
        ),
    }
)

# People management, read from the table: the org kinds each role sits at, and the roles
# a managing role may give under its org (a role not listed manages nobody).
ROLE_ORG_KINDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {role: row.sits_at for role, row in ROLE_PERMISSIONS.items() if role in Role.values}
)
MANAGES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        role: row.manages
        for role, row in ROLE_PERMISSIONS.items()
        if P.MANAGE_PEOPLE in row.permissions
    }
)


def roles_with(permission: Permission) -> frozenset[str]:
    """The roles (memberships) whose row holds ``permission``."""
    return frozenset(
        role
        for role, row in ROLE_PERMISSIONS.items()
        if role in Role.values and permission in row.permissions
    )


def _check_table() -> None:
    for role in Role.values:
        if role not in ROLE_PERMISSIONS:
            raise AssertionError(f"role {role!r} has no row in ROLE_PERMISSIONS")
    for role, row in ROLE_PERMISSIONS.items():
        if (P.MANAGE_PEOPLE in row.permissions) != bool(row.manages):
            raise AssertionError(f"row {role!r}: MANAGE_PEOPLE and manages disagree")
        if role in Role.values and not row.sits_at:
            raise AssertionError(f"row {role!r}: a role sits at some kind of org")


_check_table()


# --------------------------------------------------------------------------- grants


def _active(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active)


def _superuser(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def _counts_at(reach: Reach, org: Org) -> bool:
    return reach != Reach.CLASS or org.kind in _CLASS_KINDS


def grants(user: AnyUser, permission: Permission) -> list[tuple[Membership, Reach]]:
    """The user's memberships whose row holds ``permission``, each with where it reaches
    (no query: memberships are cached on the user)."""
    if not _active(user):
        return []
    found = []
    for membership in user_memberships(user):
        row = ROLE_PERMISSIONS.get(membership.role)
        if row is None or permission not in row.permissions:
            continue
        reach = row.reach_of(permission)
        if _counts_at(reach, membership.org):
            found.append((membership, reach))
    return found


def holds(user: AnyUser, permission: Permission) -> bool:
    """Whether any membership of the user holds ``permission`` (a superuser holds all)."""
    return _superuser(user) or bool(grants(user, permission))


def membership_filter(permission: Permission) -> Q:
    """The filter on Membership of the memberships that hold ``permission``."""
    scope = Q(pk__in=[])
    for role in roles_with(permission):
        row = ROLE_PERMISSIONS[role]
        if row.reach_of(permission) == Reach.CLASS:
            scope |= Q(role=role, org__kind__in=_CLASS_KINDS)
        else:
            scope |= Q(role=role)
    return scope


def mentee_ids(user: AnyUser) -> list[int]:
    """The children a user is the active mentor of, fetched once per user object (an id
    list, so the children query can use the primary key index)."""
    cached: list[int] | None = getattr(user, "_carenet_mentee_ids", None)
    if cached is None:
        cached = list(
            Pairing.objects.filter(
                pairing_in_force(), mentor_id=user.pk, kind=PairingKind.MENTOR
            ).values_list("child_id", flat=True)
        )
        user._carenet_mentee_ids = cached  # type: ignore[union-attr]  # a per-user cache
    return cached


def _relation_ids(user: AnyUser, reach: Reach) -> list[int]:
    """The children a relation (not a membership) brings into reach."""
    if reach == Reach.MENTEES:
        return mentee_ids(user)
    raise ValueError(f"{reach} is not a relation")


# --------------------------------------------------------------------------- children


def _child_filter(reach: Reach, org: Org) -> Q:
    """The filter on Child of the children ``reach`` holds from ``org``."""
    if reach == Reach.SUBTREE:
        return Q(school__in=org_ids_under(org.path, OrgKind.SCHOOL)) | Q(
            village__in=org_ids_under(org.path, OrgKind.VILLAGE)
        )
    if reach == Reach.SCHOOL:
        return Q(school__in=org_ids_under(org.path, OrgKind.SCHOOL))
    if reach == Reach.CLASS:
        return Q(school_class__in=org_ids_under(org.path, OrgKind.CLASS))
    if reach == Reach.VILLAGE:
        return Q(village__in=org_ids_under(org.path, OrgKind.VILLAGE))
    if reach == Reach.VILLAGE_UNSCHOOLED:
        return Q(village__in=org_ids_under(org.path, OrgKind.VILLAGE), school__isnull=True)
    if reach == Reach.OWN_SCHOOL:
        school = school_of(org)
        return Q(school=school) if school is not None else Q(pk__in=[])
    raise ValueError(f"{reach} does not start from an org")


def children_scope(
    user: AnyUser, permission: Permission = P.VIEW_CHILDREN, *, include_archived: bool = False
) -> Q:
    """The filter on Child of the children the user may take ``permission`` for: the
    union of their rows' reaches. Archived files are in nobody's working scope; they stay
    in the audit's (``include_archived``)."""
    if not _active(user):
        return Q(pk__in=[])
    live = Q() if include_archived else ~Q(status=ChildStatus.ARCHIVED)
    if user.is_superuser:
        return live
    scope = Q(pk__in=[])
    for membership, reach in grants(user, permission):
        scope |= _child_filter(reach, membership.org)
    for key, row in ROLE_PERMISSIONS.items():
        if key not in Role.values and permission in row.permissions:
            scope |= Q(pk__in=_relation_ids(user, row.reach_of(permission)))
    return scope & live


def visible_children(user: AnyUser, permission: Permission = P.VIEW_CHILDREN) -> QuerySet[Child]:
    """The children a user may see (or, with ``permission``, change, see unmasked…)."""
    return Child.objects.filter(children_scope(user, permission))


def user_may(user: AnyUser, permission: Permission, child: Child) -> bool:
    return visible_children(user, permission).filter(pk=child.pk).exists()


def audited_children(user: AnyUser) -> QuerySet[Child]:
    """The children whose log entries and data requests a user may see: the audit scope,
    archived and anonymised files included."""
    return Child.objects.filter(children_scope(user, P.AUDIT, include_archived=True))


def audited_counties(user: AnyUser) -> list[str]:
    """The counties whose log entries without a child (exports) a user may see: those
    where they audit the whole county."""
    return [
        m.org.county_code for m, _reach in grants(user, P.AUDIT) if m.org.kind == OrgKind.COUNTY
    ]


class IdHolder(StrEnum):
    """Who holds an ID number, as far as a user may know."""

    NONE = "none"  # no child file has it
    VISIBLE = "visible"  # a child the user may see
    HIDDEN = "hidden"  # a child the user may not see (out of scope or archived)


def id_number_holder(
    *, user: AnyUser | None, id_hash: str, exclude_pk: int | None = None
) -> IdHolder:
    """Whether an ID number (its blind index) is on file, and if so whether the user may
    see that child. No user (the command-line operator) sees nothing: a holder is HIDDEN."""
    holders = Child.objects.filter(id_number_hash=id_hash)
    if exclude_pk is not None:
        holders = holders.exclude(pk=exclude_pk)
    if not holders.exists():
        return IdHolder.NONE
    if user is not None and visible_children(user).filter(pk__in=holders).exists():
        return IdHolder.VISIBLE
    return IdHolder.HIDDEN


@dataclass(frozen=True)
class Scope:
    """Which children a reader may read: ``name`` says who reads (a user and a
    permission, or an operator's job), ``filter`` is the filter on Child."""

    name: str
    filter: Q

    def children(self) -> QuerySet[Child]:
        return Child.objects.filter(self.filter)


def scope_of(
    user: AnyUser, permission: Permission = P.VIEW_CHILDREN, *, include_archived: bool = False
) -> Scope:
    """A user's scope for ``permission`` (``children_scope``)."""
    name = f"user {user.pk or 'anonymous'}: {permission}"
    return Scope(name, children_scope(user, permission, include_archived=include_archived))


# Every job that reads children as the operator (no user): the command line, the queue's
# jobs, the management commands. ``operator_scope`` refuses a name not listed here.
OPERATOR_SCOPES = frozenset(
    {
        "carenet export",  # cli: export a register
        "carenet report summary",  # cli: a work summary
        "kept counts",  # a unit's kept indicator counts (indicators.figures), read only by
        # those who see the unit whole (``indicators.selectors._sees_whole``)
        "dashboards keep",  # the day's dashboard counts (dashboards.tasks: ``keep_all``)
        "alerts sweep",  # the early warning's time rules (alerts.jobs: ``alerts_sweep``)
    }
)


def operator_scope(name: str) -> Scope:
    """Every child not archived, for the operator's job ``name`` (one of
    ``OPERATOR_SCOPES``, so that each place reading as the operator can be found)."""
    if name not in OPERATOR_SCOPES:
        raise ValueError(f"{name!r} is not an operator scope (OPERATOR_SCOPES)")
    return Scope(f"operator: {name}", ~Q(status=ChildStatus.ARCHIVED))


def _path(org: Org | None) -> str | None:
    return org.path if org is not None else None


def _reaches_child(reach: Reach, org: Org, child: Child) -> bool:
    """``_child_filter`` for one child in memory (its school, class and village loaded)."""
    school = _path(child.school) if child.school_id is not None else None
    village = _path(child.village) if child.village_id is not None else None
    if reach == Reach.SUBTREE:
        return any(p is not None and p.startswith(org.path) for p in (school, village))
    if reach == Reach.SCHOOL:
        return school is not None and school.startswith(org.path)
    if reach == Reach.CLASS:
        klass = _path(child.school_class) if child.school_class_id is not None else None
        return klass is not None and klass.startswith(org.path)
    if reach in (Reach.VILLAGE, Reach.VILLAGE_UNSCHOOLED):
        unschooled = reach == Reach.VILLAGE or school is None
        return village is not None and village.startswith(org.path) and unschooled
    if reach == Reach.OWN_SCHOOL:
        own = school_of(org)
        return own is not None and child.school_id == own.pk
    return False


def may_read_confidential(user: AnyUser, child: Child) -> bool:
    """Whether a user reads a child's confidential records besides their own: the
    school's leadership and counselor (``READ_CONFIDENTIAL``, by membership only)."""
    return any(
        _reaches_child(reach, m.org, child) for m, reach in grants(user, P.READ_CONFIDENTIAL)
    )


# The steps of a child's path (转学, 转出县外, 迁出, 辍学, 复学, 死亡, the county's move).
PATH_PERMISSIONS = (P.REQUEST_TRANSFER, P.RECORD_LEAVING, P.RECORD_DROPOUT, P.MOVE_CHILDREN)


def path_permissions(user: AnyUser, child: Child) -> set[Permission]:
    """The steps a user may take for a child on the roll (none for a child who left)."""
    if child.status != ChildStatus.ACTIVE:
        return set()
    return {p for p in PATH_PERMISSIONS if user_may(user, p, child)}


# --------------------------------------------------------------------------- orgs


def orgs_in_reach(
    user: AnyUser, permission: Permission, kinds: Iterable[str] | None = None
) -> QuerySet[Org]:
    """The orgs (of ``kinds``) a user may take ``permission`` for: those under the org
    of each membership holding it (the school of a class, for ``OWN_SCHOOL``)."""
    orgs = Org.objects.all() if kinds is None else Org.objects.filter(kind__in=list(kinds))
    if not _active(user):
        return orgs.none()
    if user.is_superuser:
        return orgs.order_by("path")
    scope = Q(pk__in=[])
    for membership, reach in grants(user, permission):
        if reach == Reach.OWN_SCHOOL:
            school = school_of(membership.org)
            if school is not None:
                scope |= Q(pk=school.pk)
        else:
            scope |= Q(path__startswith=membership.org.path)
    return orgs.filter(scope).order_by("path")


def editable_classes(user: AnyUser) -> QuerySet[Org]:
    """The classes in which a user may create or move child files: ``EDIT_CHILDREN`` read
    as classes (mentors edit nothing through their pairings)."""
    return orgs_in_reach(user, P.EDIT_CHILDREN, (OrgKind.CLASS,))


def filing_villages(user: AnyUser) -> QuerySet[Org]:
    """The villages under which a user may file (create, import) a child not at a
    school: the village director for their village, the county for its villages."""
    return orgs_in_reach(user, P.FILE_VILLAGE_CHILDREN, (OrgKind.VILLAGE,))


def import_orgs(user: AnyUser) -> QuerySet[Org]:
    """The schools whose register a user may import, and the villages under which they
    file children not at a school."""
    return orgs_in_reach(user, P.IMPORT_REGISTERS, (OrgKind.SCHOOL, OrgKind.VILLAGE))


def pairing_schools(user: AnyUser) -> QuerySet[Org]:
    """The schools whose pairing a user may run."""
    return orgs_in_reach(user, P.RUN_PAIRING, (OrgKind.SCHOOL,))


def transfer_schools(user: AnyUser) -> QuerySet[Org]:
    """The schools whose transfers a user decides (and whose asked transfers they see)."""
    return orgs_in_reach(user, P.DECIDE_TRANSFERS, (OrgKind.SCHOOL,))


def decides_county_transfers(user: AnyUser, county_code: str) -> bool:
    """Whether a user decides transfers for a whole county (its administrator)."""
    return any(
        m.org.kind == OrgKind.COUNTY and m.org.county_code == county_code
        for m, _reach in grants(user, P.DECIDE_TRANSFERS)
    )


def document_orgs(user: AnyUser) -> QuerySet[Org]:
    """The orgs a user may write documents for."""
    return orgs_in_reach(user, P.WRITE_DOCUMENTS)


def default_document_org(user: AnyUser) -> Org | None:
    """The widest org of the user's memberships that write documents."""
    orgs = sorted((m.org for m, _r in grants(user, P.WRITE_DOCUMENTS)), key=lambda o: len(o.path))
    return orgs[0] if orgs else None


def statistics_orgs(user: AnyUser, kinds: Iterable[str]) -> QuerySet[Org]:
    """The orgs (of ``kinds``) whose statistics table a user may make."""
    return orgs_in_reach(user, P.MAKE_STATISTICS_TABLES, kinds)


PLAN_KINDS = (OrgKind.COUNTY, OrgKind.TOWNSHIP, OrgKind.SCHOOL)


def plan_orgs(user: AnyUser) -> QuerySet[Org]:
    """The orgs whose care plan a user may configure (counties, townships, schools)."""
    return orgs_in_reach(user, P.MANAGE_PLANS, PLAN_KINDS)


def session_orgs(user: AnyUser, kinds: Iterable[str]) -> QuerySet[Org]:
    """The schools and villages whose parent-school sessions and activities a user
    records (a teacher of a class: the class's school)."""
    return orgs_in_reach(user, P.RECORD_SESSIONS, kinds)


def class_schools(user: AnyUser) -> QuerySet[Org]:
    """The schools (open or closed) whose grades and classes a user may set up."""
    return orgs_in_reach(user, P.SET_UP_CLASSES, (OrgKind.SCHOOL,))


def own_school(user: AnyUser) -> Org | None:
    """The school a user sets up the classes of by a membership at it (no query)."""
    for membership, _reach in grants(user, P.SET_UP_CLASSES):
        if membership.org.kind == OrgKind.SCHOOL:
            return membership.org
    return None


def administered_counties(user: AnyUser) -> QuerySet[Org]:
    """The counties whose schools a user may add, rename, move, merge and close."""
    return orgs_in_reach(user, P.ADMINISTER_SCHOOLS, (OrgKind.COUNTY,)).order_by("code")


def administered_schools(user: AnyUser) -> QuerySet[Org]:
    """Every school (open or closed) of the counties the user administers."""
    return orgs_in_reach(user, P.ADMINISTER_SCHOOLS, (OrgKind.SCHOOL,))


def may_administer_schools(user: AnyUser) -> bool:
    """Whether the user administers a county's schools (no query)."""
    return holds(user, P.ADMINISTER_SCHOOLS)


def school_year_counties(user: AnyUser) -> QuerySet[Org]:
    """The counties whose school year a user may start and undo."""
    return orgs_in_reach(user, P.START_SCHOOL_YEAR, (OrgKind.COUNTY,))


# --------------------------------------------------------------------------- care work


def class_teacher_scope(user: AnyUser) -> Q:
    """The filter on Child of the children of the classes a user cares for (班主任)."""
    scope = Q(pk__in=[])
    for membership, reach in grants(user, P.CARE_FOR_CHILDREN):
        if reach == Reach.CLASS:
            scope |= _child_filter(reach, membership.org)
    return scope


def cared_villages(user: AnyUser) -> list[int]:
    """The villages whose children a user cares for (村儿童主任)."""
    ids: list[int] = []
    for membership, reach in grants(user, P.CARE_FOR_CHILDREN):
        if reach == Reach.VILLAGE:
            ids += org_ids_under(membership.org.path, OrgKind.VILLAGE)
    return ids


def cares_for_villages(user: AnyUser) -> bool:
    return any(reach == Reach.VILLAGE for _m, reach in grants(user, P.CARE_FOR_CHILDREN))


def mentor_memberships(school: Org) -> Q:
    """The filter on Membership of the memberships that let their holder be a mentor
    (代理家长) of the children of ``school``: a role holding ``MENTOR_CHILDREN`` at the
    school or at one of its grades or classes."""
    return membership_filter(P.MENTOR_CHILDREN) & Q(org__path__startswith=school.path)


def working_list_memberships() -> Q:
    """The filter on Membership of the memberships that bring a working list."""
    return membership_filter(P.CARE_FOR_CHILDREN)


# --------------------------------------------------------------------------- dashboards


def sees_whole(user: AnyUser, org: Org) -> bool:
    """Whether ``visible_children(user)`` holds every child on the roll under ``org``, a
    county, township or school (children counted by school), from the memberships alone
    (tests/test_dashboards.py checks it against counting the children)."""
    if org.kind not in (OrgKind.COUNTY, OrgKind.TOWNSHIP, OrgKind.SCHOOL):
        return False
    if _superuser(user):
        return True
    return any(
        reach in _WHOLE_REACHES and org.path.startswith(m.org.path)
        for m, reach in grants(user, P.VIEW_CHILDREN)
    )


# A reach's breakdown on the home page: the org level and the Child field pointing at it.
_BREAKDOWNS: Mapping[Reach, tuple[str, str]] = MappingProxyType(
    {
        Reach.SUBTREE: (OrgKind.SCHOOL, "school"),
        Reach.SCHOOL: (OrgKind.CLASS, "school_class"),
        Reach.VILLAGE: (OrgKind.VILLAGE, "village"),
    }
)


def breakdown_of(membership: Membership) -> tuple[str, str] | None:
    """The org level a membership's home page breaks its children down by, and the Child
    field that points at an org of that level (None: no breakdown)."""
    row = ROLE_PERMISSIONS.get(membership.role)
    if row is None or P.SEE_BREAKDOWN not in row.permissions:
        return None
    return _BREAKDOWNS.get(row.reach)

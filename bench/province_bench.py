"""Province benchmark (issue 16, item 6): a province on one PostgreSQL, measured.

    python bench/province_bench.py --children 250000 \\
        --database-url postgres://postgres@127.0.0.1:5432/carenet_bench

Builds a province in the PostgreSQL database given (dropped and created anew, unless
``--reuse`` finds a province built there with the same parameters): counties of about
``--county-size`` children each (county codes of 安徽省 from the shipped division table),
each with townships, villages, two primary schools and a middle school per township,
grades and classes; a county administrator, township supervisors, village directors,
principals, school admins, a class teacher per class and more teachers, mentors of 5–7
left-behind children each (pairings); children with their father, mother and, for some,
an entrusted guardian (phones encrypted), the parents' away periods (about two children
in three left-behind), and ``--records-per-child`` care records per child over the past
year (encrypted summaries and details from a pool made with the app's key, written by the
child's mentor or class teacher; the newest record of a child lags 0–60 days).

The org tree, users and memberships are written with the ORM (``bulk_create``, paths of
the tree computed as treebeard computes them); the children and their rows are written
set-based (``COPY`` of a staging table, then ``INSERT … SELECT``, care records from
``generate_series``), with triggers and foreign-key checks off during the load
(``session_replication_role = replica``; the data is consistent by construction) and
the secondary indexes of the big tables created after it, then ``VACUUM ANALYZE``. It
prints the build time of each step and the database size.

Then it measures, with the project's own code paths and real user objects:

- a teacher's working list: ``care.selectors.my_tasks`` (what 我的待办 and
  ``/api/v1/care/tasks`` call), for ``--teachers`` class teachers across the province,
  the user loaded afresh for each call as a request does, and ``GET /care/tasks/`` for
  some of them (Django's test client, logged in);
- a county's KPIs as the API computes them: ``indicators_for(county,
  children=visible_children(county_admin))``, with the counts kept (warm), right after
  one new care record (one school counted again), and cold (every unit's version bumped
  first, as if every school had changed);
- the province's KPIs: every county's per-unit counts (``indicators.selectors.counts_for``,
  seen whole) summed — there is no province node in the org tree, so this is what a
  province report adds up — warm and cold;
- a cold recount of the whole province (``indicators.figures.count_all`` and
  ``dashboards.counts.keep_all``: the daily jobs, every unit's version bumped first) in
  one thread while another writes care records through ``care.services.record_create``
  on its own connection, one every ``--write-interval`` ms; each write's latency, and
  sessions seen waiting on a lock (``pg_stat_activity``, sampled every 10 ms); the same
  write stream alone first, as a baseline.

Not part of the test suite. ``--json FILE`` writes the figures; the markdown tables are
printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Care record kinds and their shares (of 100): the care benchmark's year of record cards.
from bench.care_bench import KINDS  # noqa: E402

COUNTIES_TSV = ROOT / "carenet" / "orgs" / "data" / "counties.tsv"
TARGETS_MS = {"teacher": 50, "county": 300, "province": 2000, "write": 100}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘汪"
GIVEN = (
    "子涵 欣怡 梓涵 晨曦 紫涵 诗涵 梦琪 嘉怡 子轩 浩宇 浩然 博文 宇轩 子墨 俊杰 "
    "思远 明轩 文博 雨泽 家豪 一诺 佳怡 雨欣 可馨 思琪 天佑 俊熙 志强 建国 秀英 "
    "桂兰 海燕 丽娟 红梅 伟 芳 娜 敏 静 磊 军 洋 勇 艳 杰 涛 明 超 霞"
).split()
WORK_PLACES = (
    ("广东省", "东莞市"),
    ("广东省", "深圳市"),
    ("浙江省", "宁波市"),
    ("浙江省", "杭州市"),
    ("江苏省", "苏州市"),
    ("上海市", "上海市"),
    ("福建省", "厦门市"),
    ("安徽省", "合肥市"),
)
CLASS_SIZE = 45
MENTEES = 6  # a mentor's children: 5–7


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.split("\n")[2:]),
    )
    parser.add_argument("--children", type=int, default=250000, help="children in the province")
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/carenet_bench",
        help="the PostgreSQL database to build in (its name must contain 'bench': it is "
        "dropped and created anew)",
    )
    parser.add_argument("--county-size", type=int, default=20000, help="children per county")
    parser.add_argument("--records-per-child", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="reuse a province built there")
    parser.add_argument("--build-only", action="store_true", help="build, measure nothing")
    parser.add_argument("--teachers", type=int, default=100, help="teachers measured")
    parser.add_argument("--rounds", type=int, default=3, help="calls per teacher / county")
    parser.add_argument("--pages", type=int, default=30, help="teachers measured by page")
    parser.add_argument("--cold-province", type=int, default=3, help="cold province counts")
    parser.add_argument("--write-interval", type=float, default=20.0, help="ms between writes")
    parser.add_argument("--baseline-seconds", type=float, default=20.0)
    parser.add_argument("--no-concurrent", action="store_true", help="skip the write test")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    return parser.parse_args()


# --------------------------------------------------------------------------- set-up


def configure(args: argparse.Namespace) -> str:
    """Environment for Django; the database created (anew unless reused). Returns its
    name."""
    parts = urlsplit(args.database_url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"{name}: the database's name must contain 'bench' (it is dropped)")
    home = Path(f"/tmp/carenet-province-{name}")
    home.mkdir(parents=True, exist_ok=True)
    os.environ["CARENET_HOME"] = str(home)  # its field key encrypts the data
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carenet.settings")
    import psycopg

    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if found and not (args.reuse and _built(args)):
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            found = None
        if not found:
            conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _key(args: argparse.Namespace) -> dict:
    return {
        "children": args.children,
        "county_size": args.county_size,
        "records_per_child": args.records_per_child,
        "seed": args.seed,
    }


def _built(args: argparse.Namespace) -> dict | None:
    """The build record of a province built in the database with these parameters."""
    import psycopg

    try:
        with psycopg.connect(args.database_url) as conn:
            row = conn.execute("SELECT info FROM bench_province_built").fetchone()
    except psycopg.Error:
        return None
    info = json.loads(row[0]) if row else None
    return info if info and info.get("key") == _key(args) else None


# --------------------------------------------------------------------------- the plan


def county_codes(count: int) -> list[tuple[str, str]]:
    """``count`` county-level codes of 安徽省 (县 and 市, no 区), with their names."""
    found = []
    for line in COUNTIES_TSV.read_text(encoding="utf-8").splitlines():
        code, _tab, name = line.partition("\t")
        if len(code) == 6 and code.startswith("34") and name.endswith(("县", "市")):
            if not code.endswith("00"):
                found.append((code, name))
    if count > len(found):
        sys.exit(f"at most {len(found)} counties")
    return found[:count]


class Province:
    """The province's org tree and staff, planned in Python (a few thousand orgs and
    tens of thousands of users), written with ``bulk_create``."""

    def __init__(self, args: argparse.Namespace, today: dt.date) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.today = today
        self.year_start = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
        counties = max(1, math.ceil(args.children / args.county_size))
        self.counties = county_codes(counties)
        base, extra = divmod(args.children, counties)
        self.county_children = [base + (i < extra) for i in range(counties)]

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def build_orgs(self) -> None:
        """Orgs with their treebeard paths; ``self.classes``: per class (school, its
        township's villages, grade level, children)."""
        from carenet.orgs.models import Org, OrgKind, SchoolStage

        rng = self.rng
        step = Org._get_path  # treebeard: path of the n-th child (1-based) of a path
        orgs: list[Org] = []
        self.plan: list[dict] = []  # per county: townships → schools → classes

        def add(path: str, code: str, name: str, kind: str, county: str, **more) -> Org:
            org = Org(
                path=path, depth=len(path) // Org.steplen, numchild=0, code=code, name=name,
                kind=kind, county_code=county, **more,
            )  # fmt: skip
            orgs.append(org)
            return org

        for c, ((code, name), size) in enumerate(
            zip(self.counties, self.county_children, strict=True), 1
        ):
            county = add(step(None, 1, c), code, name, OrgKind.COUNTY, code)
            townships = max(2, round(size / 1700))
            shares = [rng.uniform(0.6, 1.4) for _ in range(townships)]
            sizes = _split(size, shares)
            plan = {"county": county, "townships": []}
            for t, t_size in enumerate(sizes, 1):
                t_code = f"{code}{100 + t:03d}"
                township = add(step(county.path, 2, t), t_code, f"第{t}镇", OrgKind.TOWNSHIP, code)
                county.numchild += 1
                villages = []
                n_villages = rng.randint(9, 15)
                for v in range(1, n_villages + 1):
                    village = add(
                        step(township.path, 3, v), f"{t_code}{200 + v:03d}", f"第{v}村",
                        OrgKind.VILLAGE, code,
                    )  # fmt: skip
                    villages.append(village)
                    township.numchild += 1
                # Two primary schools (grades 1–6) share 2/3 of the children, a middle
                # school (7–9) the rest.
                primary = t_size * 2 // 3
                schools = [
                    ("primary", [1, 2, 3, 4, 5, 6], primary // 2),
                    ("primary", [1, 2, 3, 4, 5, 6], primary - primary // 2),
                    ("middle", [7, 8, 9], t_size - primary),
                ]
                t_plan = {"township": township, "villages": villages, "schools": []}
                for s, (stage, levels, s_size) in enumerate(schools, 1):
                    s_code = f"21{code}{t:02d}{s}"
                    school = add(
                        step(township.path, 3, n_villages + s), s_code,
                        f"第{t}镇{('中心小学', '小学', '中学')[s - 1]}",
                        OrgKind.SCHOOL, code,
                        stage=SchoolStage.PRIMARY if stage == "primary" else SchoolStage.MIDDLE,
                    )  # fmt: skip
                    township.numchild += 1
                    s_plan = {"school": school, "classes": []}
                    for g, (level, g_size) in enumerate(
                        zip(levels, _split(s_size, [1] * len(levels)), strict=True), 1
                    ):  # noqa: E501
                        grade = add(
                            step(school.path, 4, g), f"{s_code}-G{level}", f"{level}年级",
                            OrgKind.GRADE, code, level=level,
                        )  # fmt: skip
                        school.numchild += 1
                        n_classes = max(1, math.ceil(g_size / CLASS_SIZE))
                        for k, k_size in enumerate(_split(g_size, [1] * n_classes), 1):
                            klass = add(
                                step(grade.path, 5, k), f"{s_code}-G{level}-{k}",
                                f"{level}年级{k}班", OrgKind.CLASS, code,
                            )  # fmt: skip
                            grade.numchild += 1
                            s_plan["classes"].append((klass, level, k_size))
                    t_plan["schools"].append(s_plan)
                plan["townships"].append(t_plan)
            self.plan.append(plan)
        Org.objects.bulk_create(orgs, batch_size=2000)
        ids = dict(Org.objects.values_list("code", "pk"))
        for org in orgs:
            org.pk = org.id = ids[org.code]
        self.org_count = len(orgs)

    def build_staff(self) -> None:
        """Users, their Person rows and memberships; ``self.class_teacher`` (class id →
        user id) and ``self.mentors`` (school id → user ids)."""
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        from carenet.accounts.models import Person
        from carenet.orgs.models import Membership, Role

        User = get_user_model()
        unusable = make_password(None)
        now = dt.datetime.now(dt.UTC)
        users: list = []
        members: list[tuple[int, object, str, str]] = []  # (user index, org, role, title)

        def user(username: str, county: str) -> int:
            users.append(
                (User(username=username, first_name=self._name(), password=unusable,
                      is_active=True, date_joined=now), county)
            )  # fmt: skip
            return len(users) - 1

        self.admins: dict[int, int] = {}  # county org id → user index
        class_teacher: dict[int, int] = {}
        mentors: dict[int, list[int]] = {}
        for plan in self.plan:
            county = plan["county"]
            code = county.code
            admin = user(f"admin_{code}", code)
            members.append((admin, county, Role.COUNTY_ADMIN, "县教育局"))
            self.admins[county.pk] = admin
            for t_plan in plan["townships"]:
                township = t_plan["township"]
                u = user(f"sup_{township.code}", code)
                members.append((u, township, Role.TOWNSHIP_SUPERVISOR, "儿童督导员"))
                for village in t_plan["villages"]:
                    u = user(f"dir_{village.code}", code)
                    members.append((u, village, Role.VILLAGE_DIRECTOR, "儿童主任"))
                for s_plan in t_plan["schools"]:
                    school = s_plan["school"]
                    u = user(f"pri_{school.code}", code)
                    members.append((u, school, Role.PRINCIPAL, "校长"))
                    u = user(f"adm_{school.code}", code)
                    members.append((u, school, Role.SCHOOL_ADMIN, "德育主任"))
                    team = mentors[school.pk] = []
                    children = 0
                    for klass, _level, size in s_plan["classes"]:
                        u = user(f"t_{klass.code}", code)
                        members.append((u, klass, Role.TEACHER, "班主任"))
                        members.append((u, school, Role.TEACHER, "教师"))
                        class_teacher[klass.pk] = u
                        team.append(u)
                        children += size
                    # Mentors for about 2/3 of the children (left-behind, 90 % paired),
                    # 6 each: more teachers when the class teachers are too few.
                    needed = math.ceil(children * 0.7 * 0.9 / MENTEES)
                    for i in range(max(2, needed - len(team))):
                        u = user(f"m_{school.code}_{i}", code)
                        members.append((u, school, Role.TEACHER, "教师"))
                        team.append(u)
        User.objects.bulk_create([u for u, _c in users], batch_size=5000)
        ids = dict(User.objects.values_list("username", "pk"))
        pk = [ids[u.username] for u, _c in users]
        Person.objects.bulk_create(
            [
                Person(user_id=pk[i], name=u.first_name, county_code=c)
                for i, (u, c) in enumerate(users)
            ],  # noqa: E501
            batch_size=5000,
        )
        Membership.objects.bulk_create(
            [
                Membership(user_id=pk[i], org=org, role=role, title=title)
                for i, org, role, title in members
            ],  # noqa: E501
            batch_size=5000,
        )
        self.class_teacher = {klass: pk[i] for klass, i in class_teacher.items()}
        self.mentors = {school: [pk[i] for i in team] for school, team in mentors.items()}
        self.admins = {county: pk[i] for county, i in self.admins.items()}
        self.user_count = len(users)

    def kids(self):
        """One staging row per child (``STAGING`` columns)."""
        from carenet.lib.crypto import blind_indexer, encrypt_many
        from carenet.lib.idcard import make_id_number
        from carenet.lib.names import name_pinyin

        rng = self.rng
        index = blind_indexer()
        today = self.today
        pinyin: dict[str, tuple[str, str]] = {}
        sequence: dict[tuple, int] = {}  # (county, birth day, gender) → ID numbers given
        child_id = 0
        for plan in self.plan:
            code = plan["county"].code
            for t_plan in plan["townships"]:
                villages = [v.pk for v in t_plan["villages"]]
                for s_plan in t_plan["schools"]:
                    school = s_plan["school"].pk
                    team = self.mentors[school]
                    paired = 0
                    rows = []
                    for klass, level, size in s_plan["classes"]:
                        for _ in range(size):
                            child_id += 1
                            gender = rng.choice("MF")
                            age = level + 5
                            birth = dt.date(
                                today.year - age - (today.month < 9), 1, 1
                            ) + dt.timedelta(days=rng.randrange(365))  # noqa: E501
                            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                            if name not in pinyin:
                                pinyin[name] = name_pinyin(name)
                            key = (code, birth, gender)
                            sequence[key] = sequence.get(key, -1) + 1
                            id_number = make_id_number(code, birth, 2 * sequence[key], gender)
                            r = rng.random()
                            lb = 3 if r < 0.32 else 1 if r < 0.58 else 2 if r < 0.66 else 0
                            guardian = (
                                lb == 3
                                and rng.random() < 0.93
                                or lb in (1, 2)
                                and rng.random() < 0.15
                            )  # noqa: E501
                            mentor = None
                            if lb and rng.random() < 0.9:
                                mentor = team[paired // MENTEES % len(team)]
                                paired += 1
                            teacher = self.class_teacher[klass.pk]
                            place = rng.choice(WORK_PLACES)
                            rows.append([
                                child_id, code, school, klass.pk, rng.choice(villages), gender,
                                birth, name, *pinyin[name], id_number, index(id_number), lb,
                                today - dt.timedelta(days=rng.randint(100, 2000)),
                                today - dt.timedelta(days=rng.randint(100, 2000)),
                                guardian, rng.choice(("good", "fair", "fair", "poor")),
                                dt.date(today.year - rng.randint(45, 78), 6, 1),
                                rng.choice(("祖父", "祖母", "祖母", "外祖母", "叔叔")),
                                rng.random() < 0.9, rng.random() < 0.92, rng.random() < 0.92,
                                mentor, teacher, mentor or teacher,
                                rng.choice((0, 0, 0, 0, 3, 7, 14, 30, 60)),
                                rng.choice(SURNAMES) + rng.choice(GIVEN),
                                rng.choice(SURNAMES) + rng.choice(GIVEN),
                                rng.choice(SURNAMES) + rng.choice(GIVEN), *place,
                            ])  # fmt: skip
                    # The ID numbers encrypted as the app does, a school at a time.
                    for row, token in zip(rows, encrypt_many([r[10] for r in rows]), strict=True):
                        row[10] = token
                        yield row


STAGING = (
    ("child_id", "int"), ("county_code", "text"), ("school_id", "int"), ("class_id", "int"),
    ("village_id", "int"), ("gender", "text"), ("birth_date", "date"), ("name", "text"),
    ("name_pinyin", "text"), ("name_initials", "text"), ("id_cipher", "text"),
    ("id_hash", "text"), ("lb", "int"), ("father_start", "date"), ("mother_start", "date"),
    ("guardian", "bool"), ("guardian_quality", "text"), ("guardian_birth", "date"),
    ("guardian_kinship", "text"), ("immunized", "bool"), ("father_phone", "bool"),
    ("mother_phone", "bool"), ("mentor_id", "int"), ("teacher_id", "int"),
    ("author_id", "int"), ("lag", "int"), ("father_name", "text"), ("mother_name", "text"),
    ("guardian_name", "text"), ("work_province", "text"), ("work_city", "text"),
)  # fmt: skip


def _split(total: int, shares: list[float]) -> list[int]:
    """``total`` split in proportion to ``shares`` (integers summing to ``total``)."""
    whole = sum(shares)
    sizes = [int(total * s / whole) for s in shares]
    for i in range(total - sum(sizes)):
        sizes[i % len(sizes)] += 1
    return sizes


# --------------------------------------------------------------------------- bulk SQL


def insert_select(cursor, model, given: dict[str, str], source: str, params=()) -> int:
    """``INSERT INTO model's table (…) SELECT …`` with the expressions ``given`` (column →
    SQL over ``source``) and every other concrete column its model default, as a
    parameter (Django sets defaults, the database has none). Returns the row count."""
    from django.db import connection

    columns, values, args = [], [], []
    for field in model._meta.concrete_fields:
        column = field.column
        if column in given:
            columns.append(column)
            values.append(given[column])
        elif field.primary_key:
            continue
        else:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                default = dt.datetime.now(dt.UTC)
            else:
                default = field.get_default()  # "" for a text field without a default
            columns.append(column)
            values.append("%s")
            args.append(field.get_db_prep_save(default, connection))
    quoted = ", ".join(f'"{column}"' for column in columns)
    sql = f"INSERT INTO {model._meta.db_table} ({quoted}) SELECT {', '.join(values)} FROM {source}"
    cursor.execute(sql, [*args, *params])
    return cursor.rowcount


def text_pool(rng: random.Random) -> list[tuple[str, int, str, str]]:
    """(kind, n, summary, details) ciphertexts, 40 per kind (bench/care_bench.py's pool:
    the demo history's card writers, encrypted with the app's key)."""
    from bench import care_bench

    pool = care_bench._pool(rng)
    return [(kind, n, s, d) for kind, pairs in pool.items() for n, (s, d) in enumerate(pairs)]


BIG_TABLES = (
    "children_child",
    "children_familymember",
    "children_awayperiod",
    "children_pairing",
    "care_carerecord",
)


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """(name, definition) of the big tables' indexes that back no constraint."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [list(BIG_TABLES)],
    )
    return cursor.fetchall()


def build(args: argparse.Namespace) -> dict:
    from django.core.management import call_command
    from django.db import connection, transaction

    from carenet.care.models import CareRecord
    from carenet.children.models import AwayPeriod, Child, FamilyMember, Pairing

    steps: dict[str, float] = {}

    def step(name: str, started: float) -> None:
        steps[name] = round(time.perf_counter() - started, 1)
        print(f"  {name}: {steps[name]} s", flush=True)

    began = time.perf_counter()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    step("migrate", started)
    from django.utils import timezone

    today = timezone.localdate()
    province = Province(args, today)
    with transaction.atomic():
        started = time.perf_counter()
        province.build_orgs()
        step("orgs (ORM)", started)
        started = time.perf_counter()
        province.build_staff()
        step("users, people, memberships (ORM)", started)
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no triggers, no FK checks
        cur.execute("SET work_mem = '256MB'")
        cur.execute("SET maintenance_work_mem = '1GB'")
        indexes = _secondary_indexes(cur)
        for name, _sql in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        started = time.perf_counter()
        columns = ", ".join(f"{n} {t}" for n, t in STAGING)
        cur.execute(f"CREATE UNLOGGED TABLE bench_kid ({columns})")
        raw = connection.connection
        with raw.cursor() as copy_cursor:
            with copy_cursor.copy(
                f"COPY bench_kid ({', '.join(n for n, _t in STAGING)}) FROM STDIN"
            ) as copy:  # noqa: E501
                for row in province.kids():
                    copy.write_row(row)
        cur.execute("ALTER TABLE bench_kid ADD PRIMARY KEY (child_id)")
        step("children planned and staged (Python, COPY)", started)

        started = time.perf_counter()
        from carenet.lib.crypto import encrypt

        phones = [encrypt(f"139{n:08d}") for n in range(64)]
        cur.execute("CREATE TEMP TABLE bench_phone (n int PRIMARY KEY, phone text)")
        cur.executemany("INSERT INTO bench_phone VALUES (%s, %s)", list(enumerate(phones)))
        counts = {}
        counts["children"] = insert_select(cur, Child, {
            "id": "child_id", "county_code": "county_code", "name": "name",
            "name_pinyin": "name_pinyin", "name_initials": "name_initials", "gender": "gender",
            "birth_date": "birth_date", "id_number": "id_cipher", "id_number_hash": "id_hash",
            "school_id": "school_id", "school_class_id": "class_id", "village_id": "village_id",
            "residence_address": "'三组'", "schooling": "'enrolled'",
            "immunization": "CASE WHEN immunized THEN 'complete' ELSE 'incomplete' END",
            "guardian_entrusted": "CASE WHEN lb = 3 THEN guardian END",
            "status": "'active'",
        }, "bench_kid ORDER BY child_id")  # fmt: skip
        step("children (INSERT … SELECT)", started)
        started = time.perf_counter()
        member = {
            "child_id": "child_id", "county_code": "county_code", "relation": "relation",
            "name": "name", "phone": "COALESCE(p.phone, '')", "work_province": "province",
            "work_city": "city", "birth_date": "birth", "kinship": "kinship",
            "guardianship_quality": "quality",
        }  # fmt: skip
        counts["family members"] = insert_select(
            cur,
            FamilyMember,
            member,
            """(
            SELECT child_id, county_code, 'father' AS relation, father_name AS name,
                   CASE WHEN father_phone THEN child_id %% 64 END AS phone_n,
                   CASE WHEN lb IN (1, 3) THEN work_province ELSE '' END AS province,
                   CASE WHEN lb IN (1, 3) THEN work_city ELSE '' END AS city,
                   NULL::date AS birth, '' AS kinship, '' AS quality FROM bench_kid
            UNION ALL
            SELECT child_id, county_code, 'mother', mother_name,
                   CASE WHEN mother_phone THEN (child_id + 7) %% 64 END,
                   CASE WHEN lb IN (2, 3) THEN work_province ELSE '' END,
                   CASE WHEN lb IN (2, 3) THEN work_city ELSE '' END,
                   NULL::date, '', '' FROM bench_kid
            UNION ALL
            SELECT child_id, county_code, 'guardian', guardian_name,
                   CASE WHEN child_id %% 20 <> 0 THEN (child_id + 13) %% 64 END, '', '',
                   guardian_birth, guardian_kinship, guardian_quality
            FROM bench_kid WHERE guardian
        ) m LEFT JOIN bench_phone p ON p.n = m.phone_n ORDER BY child_id""",
        )
        step("family members", started)
        started = time.perf_counter()
        counts["away periods"] = insert_select(cur, AwayPeriod, {
            "child_id": "child_id", "relation": "relation", "county_code": "county_code",
            "start": "start", "end": "stop",
        }, """(
            SELECT child_id, county_code, 'father' AS relation, father_start AS start,
                   NULL::date AS stop FROM bench_kid WHERE lb IN (1, 3)
            UNION ALL
            SELECT child_id, county_code, 'mother', mother_start, NULL FROM bench_kid
            WHERE lb IN (2, 3)
            UNION ALL
            SELECT child_id, county_code, 'father', father_start - 400,
                   father_start - 200 FROM bench_kid WHERE child_id %% 5 = 0
        ) a ORDER BY child_id""")  # fmt: skip
        counts["pairings"] = insert_select(cur, Pairing, {
            "child_id": "child_id", "kind": "'mentor'", "county_code": "county_code",
            "mentor_id": "mentor_id", "started_on": f"'{province.year_start}'::date",
        }, "bench_kid WHERE mentor_id IS NOT NULL ORDER BY child_id")  # fmt: skip
        step("away periods, pairings", started)

        started = time.perf_counter()
        cur.execute(
            "CREATE TEMP TABLE bench_text (kind text, n int, summary text, details text, "
            "PRIMARY KEY (kind, n))"
        )
        cur.executemany(
            "INSERT INTO bench_text VALUES (%s, %s, %s, %s)", text_pool(random.Random(args.seed))
        )
        slots = [kind for kind, share in KINDS for _ in range(share)]
        cur.execute("CREATE TEMP TABLE bench_slot (slot int PRIMARY KEY, kind text)")
        cur.executemany("INSERT INTO bench_slot VALUES (%s, %s)", list(enumerate(slots)))
        cur.execute("SELECT setseed(%s)", [(args.seed % 1000) / 1000])
        # Narrow rows sorted by date (records arrive day by day, not child by child),
        # then joined to their kind and text in that order.
        counts["care records"] = insert_select(cur, CareRecord, {
            "child_id": "r.child_id", "county_code": "r.county_code", "kind": "s.kind",
            "date": "r.date", "author_id": "r.author_id", "summary": "t.summary",
            "details": "t.details", "confidential": "s.kind = 'counseling'",
        }, """(
            SELECT k.child_id, k.county_code, k.author_id,
                   %s::date - (k.lag + floor((365 - k.lag) * power(random(), 1.3)))::int
                       AS date,
                   floor(random() * 100)::int AS slot, (k.child_id + g.i) %% 40 AS n
            FROM bench_kid k CROSS JOIN generate_series(1, %s) AS g(i)
            ORDER BY 4
        ) r JOIN bench_slot s ON s.slot = r.slot
            JOIN bench_text t ON t.kind = s.kind AND t.n = r.n""",
            [today, args.records_per_child])  # fmt: skip
        step("care records (INSERT … SELECT generate_series)", started)

        started = time.perf_counter()
        for _name, sql in indexes:
            cur.execute(sql)
        for table in ("children_child", "children_familymember", "children_awayperiod",
                      "children_pairing", "care_carerecord"):  # fmt: skip
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        cur.execute("DROP TABLE bench_kid")
        cur.execute("SET session_replication_role = DEFAULT")
        step("secondary indexes, sequences", started)
    started = time.perf_counter()
    connection.close()
    from django.db import connections

    connections["default"].ensure_connection()
    with connections["default"].cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    step("VACUUM ANALYZE", started)
    seconds = round(time.perf_counter() - began, 1)
    info = {
        "key": _key(args),
        "built_on": today.isoformat(),
        "seconds": seconds,
        "steps": steps,
        "counties": len(province.counties),
        "orgs": province.org_count,
        "users": province.user_count,
        "rows": counts,
    }
    info |= sizes()
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE bench_province_built (info text)")
        cur.execute("INSERT INTO bench_province_built VALUES (%s)", [json.dumps(info)])
    return info


def sizes() -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_database_size(current_database())")
        total = cur.fetchone()[0]
        cur.execute(
            "SELECT relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' "
            "ORDER BY 2 DESC LIMIT 8"
        )
        tables = {name: {"total": t, "heap": h} for name, t, h in cur.fetchall()}
    return {"database_bytes": total, "tables": tables}


# --------------------------------------------------------------------------- measuring


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 1),
        "p95": round(at(0.95), 1),
        "p99": round(at(0.99), 1),
        "max": round(ordered[-1], 1),
    }


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def measure(args: argparse.Namespace) -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from carenet.care.selectors import my_tasks, week_end
    from carenet.children.access import visible_children
    from carenet.children.models import Child, Pairing
    from carenet.indicators.figures import count_units
    from carenet.indicators.selectors import (
        _fractions,
        _sum,
        counts_for,
        indicators_for,
        indicators_from,
    )
    from carenet.indicators.triggers import bump
    from carenet.orgs.models import Membership, Org, OrgKind, Role
    from carenet.server import freeze_startup_objects

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    User = get_user_model()
    rng = random.Random(args.seed)
    today = timezone.localdate()
    until = week_end(today)
    out: dict = {"load_before": os.getloadavg(), "as_of": today.isoformat()}
    freeze_startup_objects()

    # -- teachers' working lists
    teachers = sorted(
        Membership.objects.filter(role=Role.TEACHER, org__kind=OrgKind.CLASS).values_list(
            "user_id", flat=True
        )
    )
    sample = rng.sample(teachers, min(args.teachers, len(teachers)))
    sizes = []
    for pk in sample:  # warm-up, and the lists' sizes
        sizes.append(len(my_tasks(User.objects.get(pk=pk), as_of=today, until=until)))
    wall = []
    for _ in range(args.rounds):
        for pk in sample:
            wall.append(
                timed(lambda pk=pk: my_tasks(User.objects.get(pk=pk), as_of=today, until=until))
            )  # noqa: E501
    out["teacher_tasks"] = percentiles(wall) | {
        "teachers": len(sample),
        "tasks_median": statistics.median(sizes),
        "tasks_max": max(sizes),
    }
    print("teacher my_tasks", out["teacher_tasks"], flush=True)
    pages = []
    for pk in sample[: args.pages]:
        client = Client()
        client.force_login(User.objects.get(pk=pk))
        assert client.get("/care/tasks/").status_code == 200
        for _ in range(args.rounds):
            pages.append(timed(lambda c=client: c.get("/care/tasks/")))
    out["teacher_page"] = percentiles(pages)
    print("teacher page", out["teacher_page"], flush=True)

    # -- a county's KPIs, as the API computes them
    counties = list(Org.objects.filter(kind=OrgKind.COUNTY).order_by("path"))
    admins = {
        m.org_id: m.user_id
        for m in Membership.objects.filter(role=Role.COUNTY_ADMIN, org__in=counties)
    }

    def county_kpis(county: Org) -> None:
        admin = User.objects.get(pk=admins[county.pk])
        indicators_for(county, as_of=today, children=visible_children(admin))

    units = {county.pk: count_units(county) for county in counties}
    cold, warm, after = [], [], []
    child_of = {}
    for county in counties:
        child_of[county.pk] = (
            Pairing.objects.filter(county_code=county.code, ended_on__isnull=True)
            .values_list("child_id", "mentor_id")
            .first()
        )
    from carenet.care.services import record_create

    for _ in range(args.rounds):
        for county in counties:
            bump(connection, units[county.pk])
            cold.append(timed(lambda c=county: county_kpis(c)))
            for _ in range(3):
                warm.append(timed(lambda c=county: county_kpis(c)))
            child_id, mentor_id = child_of[county.pk]
            record_create(
                actor=User.objects.get(pk=mentor_id), child=Child.objects.get(pk=child_id),
                kind="talk", date=today, summary="bench: 谈心",
            )  # fmt: skip
            after.append(timed(lambda c=county: county_kpis(c)))
    out["county_cold"] = percentiles(cold)
    out["county_warm"] = percentiles(warm)
    out["county_after_write"] = percentiles(after)
    print("county", out["county_cold"], out["county_warm"], out["county_after_write"], flush=True)

    # -- the province's KPIs: every county's counts, summed
    def province() -> None:
        _sum(
            counts
            for county in counties
            for counts in counts_for(county, as_of=today, children=Child.objects.all()).values()
        )

    every = [unit for county in counties for unit in units[county.pk]]
    cold, warm = [], []
    for _ in range(args.cold_province):
        bump(connection, every)
        cold.append(timed(province))
        for _ in range(5):
            warm.append(timed(province))
    out["province_indicators"] = {
        i.key: [i.numerator, i.denominator]
        for i in indicators_from(
            _fractions(
                _sum(
                    c
                    for county in counties
                    for c in counts_for(county, as_of=today, children=Child.objects.all()).values()
                )
            ),
            {},
        )
    }
    out["province_cold"] = percentiles(cold)
    out["province_warm"] = percentiles(warm)
    print("province", out["province_cold"], out["province_warm"], flush=True)

    if not args.no_concurrent:
        out |= concurrent(args, counties, every)
    out["load_after"] = os.getloadavg()
    return out


def concurrent(args: argparse.Namespace, counties, every: list[int]) -> dict:
    """Writes of care records, alone and while the whole province is recounted."""
    from django.contrib.auth import get_user_model
    from django.db import connection, connections
    from django.utils import timezone

    from carenet.care.services import record_create
    from carenet.children.access import operator_scope
    from carenet.children.models import Child, Pairing
    from carenet.dashboards.counts import keep_all
    from carenet.indicators.figures import count_all
    from carenet.indicators.triggers import bump

    User = get_user_model()
    today = timezone.localdate()
    rng = random.Random(args.seed + 1)
    pairs = list(Pairing.objects.filter(ended_on__isnull=True).values_list("child_id", "mentor_id"))
    pairs = rng.sample(pairs, min(2000, len(pairs)))
    children = {c.pk: c for c in Child.objects.filter(pk__in=[c for c, _m in pairs])}
    users = {u.pk: u for u in User.objects.filter(pk__in={m for _c, m in pairs})}
    interval = args.write_interval / 1000

    def writer(stop: threading.Event, latencies: list[float], errors: list[str]) -> None:
        try:
            i = 0
            while not stop.is_set():
                child, mentor = pairs[i % len(pairs)]
                i += 1
                started = time.perf_counter()
                try:
                    record_create(
                        actor=users[mentor], child=children[child], kind="talk", date=today,
                        summary="bench: 谈心记录",
                    )  # fmt: skip
                except Exception as error:  # noqa: BLE001 — reported, not hidden
                    errors.append(repr(error))
                latencies.append((time.perf_counter() - started) * 1000)
                time.sleep(max(0.0, interval - (time.perf_counter() - started)))
        finally:
            connections.close_all()

    def watcher(stop: threading.Event, seen: list[int]) -> None:
        """Sessions of this database waiting on a lock, every 10 ms."""
        try:
            with connection.cursor() as cur:
                while not stop.is_set():
                    cur.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND wait_event_type = 'Lock'"
                    )
                    seen.append(cur.fetchone()[0])
                    time.sleep(0.01)
        finally:
            connections.close_all()

    def run(recount, prepare=lambda: None) -> dict:
        prepare()
        stop = threading.Event()
        latencies: list[float] = []
        errors: list[str] = []
        seen: list[int] = []
        threads = [
            threading.Thread(target=writer, args=(stop, latencies, errors)),
            threading.Thread(target=watcher, args=(stop, seen)),
        ]
        for thread in threads:
            thread.start()
        started = time.perf_counter()
        try:
            recount()
        finally:  # the writer and the watcher stop even if the recount fails
            seconds = time.perf_counter() - started
            stop.set()
            for thread in threads:
                thread.join()
        return percentiles(latencies) | {
            "seconds": round(seconds, 1),
            "errors": errors[:5],
            "error_count": len(errors),
            "lock_waiters_max": max(seen, default=0),
            "lock_samples_waiting": sum(1 for n in seen if n),
            "samples": len(seen),
            "over_100ms": sum(1 for x in latencies if x > 100),
        }

    out = {}
    out["writes_alone"] = run(lambda: time.sleep(args.baseline_seconds))
    print("writes alone", out["writes_alone"], flush=True)

    def recount() -> None:
        count_all(today)
        keep_all(today, children=operator_scope("dashboards keep").children())

    # Every unit's version bumped first: the whole province is counted again.
    out["writes_during_recount"] = run(recount, lambda: bump(connection, every))
    print("writes during recount", out["writes_during_recount"], flush=True)
    return out


# --------------------------------------------------------------------------- report


def report(built: dict, measured: dict | None) -> str:
    from bench import care_bench

    gib = built["database_bytes"] / 2**30
    rows = built["rows"]
    lines = [
        f"{care_bench.db_version()}, {care_bench.machine()}",
        f"Built on {built['built_on']}: {built['counties']} counties, {built['orgs']:,} orgs, "
        f"{built['users']:,} users, " + ", ".join(f"{n:,} {k}" for k, n in rows.items()),
        f"Build {built['seconds']} s; database {gib:.2f} GiB",
        "steps: " + "; ".join(f"{k} {v} s" for k, v in built["steps"].items()),
        "tables: " + "; ".join(
            f"{name} {t['total'] / 2**30:.2f} GiB" for name, t in built["tables"].items()
        ),
    ]  # fmt: skip
    if measured:
        lines += [
            "",
            "| measured | n | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---:|---:|---:|---:|---:|",
        ]  # noqa: E501
        for key, value in measured.items():
            if isinstance(value, dict) and "p50" in value:
                lines.append(
                    f"| {key} | {value['n']} | {value['p50']} | {value['p95']} | "
                    f"{value['p99']} | {value['max']} |"
                )
        lines.append(
            f"load average before {measured['load_before']}, after {measured['load_after']}"
        )  # noqa: E501
    return "\n".join(lines)


def main() -> None:
    args = parse()
    configure(args)
    import django

    django.setup()
    built = _built(args)
    if built is None:
        print(f"building {args.children:,} children…", flush=True)
        built = build(args)
    else:
        print("reusing the province built", flush=True)
    print(json.dumps(built, ensure_ascii=False))
    measured = None if args.build_only else measure(args)
    text = report(built, measured)
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"built": built, "measured": measured}, indent=1))


if __name__ == "__main__":
    main()

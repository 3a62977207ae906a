"""Every page of every role on a 390×844 phone, in Debian's Chromium.

The pages are DISCOVERED, not listed: every named route of CareNet's URL patterns
(``get_resolver()``, the ``admin`` and ``api`` namespaces left out) is tried for every role
with the objects of the test's world that fill its path (a child, a plan, a school, ...,
``PARAMETERS`` below). A route answering a role's GET with a full HTML page (200) is
visited in the browser as that role; a route answering 405 is POST-only, one answering a
file (xlsx, pdf, docx, an image: ``Content-Disposition`` or a non-HTML type) is a download,
one answering JSON an API, one answering another type (a service worker's script, a
manifest) an asset: those are not pages. A route that none of these describe for
any role (only redirects, 403s or 404s) fails the test unless ``SKIPPED`` names it with
the reason, so a new page is checked as soon as it exists. Besides the routes: a
page that does not exist (the 404 page), and each role's first screen with the menu (☰)
and each of its drop-downs open.

On each page, the rules (each failure names the page, the role and the elements):

- **sideways**: the page does not scroll sideways: ``scrollWidth <= innerWidth + 1``.
- **one-char-per-line**: no visible text of two or more CJK characters is wrapped to one
  character per line (its text spreads over two or more lines and the widest line is
  narrower than 1.9 × its font size).
- **tap-target**: every visible interactive element (``a[href]``, ``button``, ``input``
  but hidden ones, ``select``, ``textarea``, ``summary``, ``[role=button]``) that is not
  disabled is at least 40×40 px. A checkbox or radio counts with its ``<label>`` (a tap
  on the label ticks it). Exception (WCAG 2.5.8's inline exception): a link laid out
  inline in running text: inside a ``<p>``, ``<li>``, ``<dd>``, ``<label>`` or
  ``.form-text`` that holds two or more characters of text outside its links.
- **chart-labels**: on a page with ECharts charts, the axis labels of each chart (read
  from the chart instance, ``echarts.getInstanceByDom``: the zrender text elements of the
  axes, as laid out, rotation included) do not overlap one another and are not cut off
  at the chart's edge.
- **axe**: axe-core (npm, ``tests/axe/package.json``, installed by scripts/test with
  ``npm ci --prefix tests/axe``; injected into the page by the test only, never served by
  the app: a Playwright init script, which the pages' CSP does not govern) with the tags
  wcag2a, wcag2aa, wcag21a, wcag21aa and best-practice reports no violation of impact
  serious or critical.

All pages are visited and all failures collected; the test then fails once with a
report per page. Outside CI the test is skipped when Chromium or axe-core is missing;
under ``CI=true`` a missing axe-core fails it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.browser import BROWSER_MARKS, CHROMIUM, PHONE
from tests.factories import World, child_add, org_add, school_staff_add, user_add, world_build

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = [
    *BROWSER_MARKS,
    pytest.mark.skipif(
        not AXE.exists() and os.environ.get("CI") != "true",
        reason="axe-core is not installed (scripts/test runs npm ci --prefix tests/axe)",
    ),
]

# Roles whose pages are visited: each a user of the world (tests/factories.py) or added
# below; "anonymous" is a visitor who is not signed in.
ROLES = [
    "anonymous",
    "county_admin",
    "township_supervisor",
    "village_director",
    "principal",
    "school_admin",
    "counselor",
    "teacher",
    "operator",  # a superuser (the site's operator)
    # A county admin with a second factor, signed in with the password only: visits just
    # the routes no one else reached (the code page of two-factor sign-in).
    "two_factor",
]

# Routes that are truly not pages, with why. Everything else must be visited, or found
# POST-only, a download or JSON for every role that reaches it.
SKIPPED = {
    # The first-run set-up page answers 404 once anyone has a role (tests/test_setup_web.py).
    "setup": "only before the first county exists",
    # The health check for the process manager: plain text.
    "healthz": "plain text for monitoring",
    # Django's language switch: POST-only in use (the form in the menu); a GET redirects.
    "set_language": "POST-only form action",
    # Only redirects: to the county's school-year page (schoolyear_county), visited.
    "schoolyear_home": "redirects to the county's page",
    # The rejected rows of an import as .xlsx; until the batch is read it redirects.
    "exchange_batch_errors": "an .xlsx download",
}
# A route whose path ends in a file name (register.pdf, statistics.xlsx) is a download.
FILE_ROUTE = re.compile(r"\.(pdf|xlsx|xls|docx|csv|zip)$")

# The objects that fill a route's path parameters. Key: the route's text before the
# parameter (earlier parameters written "<>"); value: candidates, tried in order until the
# role gets a page. A parameter without a key is tried with 1: enough to find a POST-only
# route (405); anything else fails the test until a key is added here.
PARAMETERS: dict[str, Callable[[Cast], list]] = {
    "children/": lambda c: c.children,
    "children/<>/path/": lambda c: ["transfer", "move", "drop_out", "moved_away"],
    "care/children/": lambda c: c.children,
    "care/plans/": lambda c: c.care_plans,
    "care/photos/": lambda c: c.photos,
    "plans/children/": lambda c: c.children,
    "plans/study/": lambda c: c.study_plans,
    "plans/individual/": lambda c: c.individual_plans,
    "audit/children/": lambda c: c.children,
    "pairing/": lambda c: c.schools,
    "orgs/schools/": lambda c: c.schools,
    "school-year/": lambda c: [c.world.county.pk],
    "exchange/import/": lambda c: c.batches,
    "reports/classes/": lambda c: c.classes,
    "dashboard/indicators/": lambda c: c.indicator_keys,
    "support/children/": lambda c: c.children,
    "support/legal-aid/": lambda c: c.legal_aid,
    "support/parent-school/orgs/": lambda c: c.support_orgs,
    "support/parent-school/": lambda c: c.sessions,
    "support/activities/orgs/": lambda c: c.support_orgs,
    "support/activities/": lambda c: c.activities,
    "people/": lambda c: c.people,
    "transfers/": lambda c: c.transfers,
    "inbox/": lambda c: c.notifications,
    "safeguard/reports/": lambda c: c.reports,
    "safeguard/emergencies/": lambda c: c.emergencies,
    "alerts/": lambda c: c.alerts,
    "alerts/child/": lambda c: c.children,
    "alert-rules/plans/": lambda c: c.care_plans,
    "attendance/classes/": lambda c: c.classes,
    "attendance/children/": lambda c: c.children,
}

DOWNLOAD_TYPES = ("application/", "image/", "text/csv")

# 20 schools on the county's charts, with names as long as real ones.
MORE_SCHOOLS = [
    "华阳镇中心小学",
    "华阳镇第二小学",
    "华阳镇新桥小学",
    "华阳镇红星小学",
    "华阳镇初级中学",
    "长岭镇中心小学",
    "长岭镇长岭小学",
    "长岭镇新塘小学",
    "长岭镇初级中学",
    "长岭镇杨湾小学",
    "华阳镇麻塘小学",
    "华阳镇金河小学",
    "长岭镇太慈小学",
    "长岭镇漳湖小学",
    "华阳镇凉泉小学",
    "长岭镇高士小学",
    "华阳镇雷池小学",
    "长岭镇赛口小学",
]


@dataclass
class Cast:
    """The world and the objects its pages are about."""

    world: World
    users: dict[str, User]
    children: list[int] = field(default_factory=list)
    care_plans: list[int] = field(default_factory=list)
    photos: list[int] = field(default_factory=list)
    study_plans: list[int] = field(default_factory=list)
    individual_plans: list[int] = field(default_factory=list)
    schools: list[int] = field(default_factory=list)
    classes: list[int] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    indicator_keys: list[str] = field(default_factory=list)
    legal_aid: list[int] = field(default_factory=list)
    support_orgs: list[int] = field(default_factory=list)
    sessions: list[int] = field(default_factory=list)
    activities: list[int] = field(default_factory=list)
    people: list[int] = field(default_factory=list)
    transfers: list[int] = field(default_factory=list)
    notifications: list[int] = field(default_factory=list)
    reports: list[int] = field(default_factory=list)
    emergencies: list[int] = field(default_factory=list)
    alerts: list[int] = field(default_factory=list)


def _cast_build() -> Cast:
    """The world of tests/factories.py with a school admin, a counselor, an operator,
    20 schools, and one of each thing a page is about."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from carenet.care.models import CarePhoto
    from carenet.care.presets import preset_plan
    from carenet.care.services import record_create
    from carenet.childplans.services import individual_plan_open, study_plan_create
    from carenet.children.transfers import transfer_request
    from carenet.exchange.models import ImportBatch, ImportStatus
    from carenet.indicators.selectors import KEYS
    from carenet.notify.models import Notification
    from carenet.notify.services import notifications_create
    from carenet.orgs.models import OrgKind, Role
    from carenet.support.services import (
        activity_create,
        legal_aid_case_create,
        parent_session_create,
    )

    world = school_staff_add(world_build())
    users = dict(world.users)
    users["operator"] = User.objects.create_superuser(
        "operator", password="Test-pass-2026", first_name="运维"
    )
    users["two_factor"] = user_add("two_factor", Role.COUNTY_ADMIN, world.county)
    TOTPDevice.objects.create(user=users["two_factor"], name="totp", confirmed=True)
    county_admin = users["county_admin"]
    day = dt.date.today() - dt.timedelta(days=20)
    for n, name in enumerate(MORE_SCHOOLS):
        township = world.township if name.startswith("华阳") else world.other_township
        school = org_add(
            township, code=f"34340001{n + 10:02d}", name=name, kind=OrgKind.SCHOOL, stage="primary"
        )
        grade = org_add(
            school, code=f"{school.code}-G3", name="三年级", kind=OrgKind.GRADE, level=3
        )
        school_class = org_add(
            grade, code=f"{school.code}-G3-1", name="三(1)班", kind=OrgKind.CLASS
        )
        child_add(school_class, name=f"学生{n}", father_away=dt.date(2025, 3, 1))
    cast = Cast(world=world, users=users)
    children = [world.own_child, world.mentee, world.school_child]
    children += [world.villager_elsewhere, world.outsider]
    cast.children = [child.pk for child in children]
    for child in children:
        record = record_create(
            actor=county_admin, child=child, kind="home_visit", date=day, summary="家访：一切都好"
        )
        photo = CarePhoto(record=record, county_code=child.county_code)
        photo.image.save("p.png", ContentFile(b"\x89PNG fake"), save=True)
        cast.photos.append(photo.pk)
        cast.study_plans.append(
            study_plan_create(
                actor=county_admin,
                child=child,
                subjects=["math"],
                goals="提高数学成绩",
                measures="每周辅导两次",
                start_date=day,
            ).pk
        )
        cast.individual_plans.append(
            individual_plan_open(
                actor=county_admin,
                child=child,
                reason="behavior",
                goals="改善情绪",
                measures="每周谈心",
                responsible=county_admin,
                opened_on=day,
            ).pk
        )
        cast.legal_aid.append(
            legal_aid_case_create(
                actor=county_admin, child=child, opened_on=day, matter="抚养费纠纷"
            ).pk
        )
    for org in (world.county, world.township, world.school, world.other_school):
        plan = preset_plan("weekly_talks", org=org, school_year=2026)
        plan.save()
        cast.care_plans.append(plan.pk)
    cast.schools = [world.school.pk, world.other_school.pk]
    cast.classes = [world.class_1.pk, world.class_2.pk, world.other_class.pk]
    for school in (world.school, world.other_school, world.village):
        batch = ImportBatch(school=school, county_code=school.county_code, filename="r.csv")
        batch.status = ImportStatus.COMPLETE  # its status page (a pending one needs a file read)
        batch.file.save("r.csv", ContentFile("姓名,身份证号\n".encode()), save=True)
        cast.batches.append(batch.pk)
    cast.indicator_keys = list(KEYS)
    cast.support_orgs = [world.school.pk, world.village.pk, world.other_school.pk]
    for org in (world.school, world.village, world.other_school):
        cast.sessions.append(
            parent_session_create(actor=county_admin, org=org, held_on=day, topic="家庭教育").pk
        )
        cast.activities.append(
            activity_create(
                actor=county_admin, org=org, held_on=day, kind="group", title="读书会"
            ).pk
        )
    cast.people = [users[name].pk for name in ("teacher", "principal", "school_admin")]
    cast.people += [users[name].pk for name in ("village_director", "township_supervisor")]
    cast.transfers = [
        transfer_request(
            child=world.school_child, to_school=world.other_school, reason="随父母迁居", actor=None
        ).pk
    ]
    cast.alerts = _alerts_raise(children, users["teacher"])
    # The day's reminders (carenet remind): the inbox's messages of every user with work due.
    notifications_create(today=dt.date.today())
    cast.notifications = list(Notification.objects.values_list("pk", flat=True))
    _safeguard_cast(cast, county_admin)
    return cast


def _safeguard_cast(cast: Cast, actor: User) -> None:
    """A mandatory report made and followed up, one due, and an urgent case per child."""
    from django.utils import timezone

    from carenet.children.models import Child
    from carenet.safeguard import services

    for n, child in enumerate(Child.objects.filter(pk__in=cast.children).order_by("pk")):
        report = services.report_open(
            actor=actor, child=child, category="abuse", facts="手臂有淤青，说是被打的"
        )
        if n % 2 == 0:
            services.report_make(
                actor=actor,
                report=report,
                agency="police",
                agency_name="华阳镇派出所",
                reported_at=timezone.now(),
                facts="手臂有淤青，说是被打的",
                measures="已联系监护人",
            )
            services.report_receipt(
                actor=actor, report=report, receipt_number="HY-2026-001", receiver="刘警官"
            )
            services.follow_up_add(actor=actor, report=report, note="派出所已上门核实")
        cast.reports.append(report.pk)
        case = services.emergency_open(actor=actor, child=child, kind="missing")
        services.emergency_step_done(actor=actor, case=case, step=case.steps.first())
        cast.emergencies.append(case.pk)


def _alerts_raise(children: list, actor: User) -> list[int]:
    """An open alert with a phrase in its evidence on each child, and a resolved one."""
    from carenet.alerts.models import AlertRule, Severity
    from carenet.alerts.services import alert_raise, alert_resolve

    found = []
    for child in children:
        for key, severity in (("open", Severity.SEVERE), ("closed", Severity.SERIOUS)):
            alert = alert_raise(
                child=child,
                rule=AlertRule.TEXT_SIGNAL,
                category="bullying",
                key=key,
                severity=severity,
                evidence={
                    "record_kind": "talk",
                    "date": "2026-03-02",
                    "field": "summary",
                    "phrase": "被同学打了",
                    "sentence": "孩子说在学校被同学打了，不想上学。",
                },
            )
            assert alert is not None
            if key == "closed":
                alert_resolve(actor=actor, alert=alert, note="已与家长沟通，问题已解决")
            found.append(alert.pk)
    return found


# --------------------------------------------------------------------------- discovery


@dataclass
class Route:
    name: str
    template: str  # "children/<>/card/"
    params: list[str]  # the keys of PARAMETERS, one per parameter


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[Route]:
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        text = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin", "api"):
                continue
            yield from _routes(pattern, text)
        elif isinstance(pattern, URLPattern) and pattern.name:
            template = re.sub(r"<[^>]+>", "<>", text)
            keys = []
            for match in re.finditer("<>", template):
                keys.append(template[: match.start()])
            yield Route(pattern.name, template, keys)


def _fill(route: Route, cast: Cast) -> Iterator[str]:
    """The paths of a route, filled with the cast's objects (each combination)."""
    values = [PARAMETERS[key](cast) if key in PARAMETERS else [1] for key in route.params]

    def combine(template: str, rest: list[list]) -> Iterator[str]:
        if not rest:
            yield "/" + template
            return
        for value in rest[0]:
            yield from combine(template.replace("<>", str(value), 1), rest[1:])

    yield from combine(route.template, values)


def _kind(response) -> str:
    """What a GET answered: page, fragment, post-only, download, json, or the status."""
    kind = response.get("Content-Type", "")
    if response.status_code == 405:
        return "post-only"
    if response.status_code != 200:
        return str(response.status_code)
    if "attachment" in response.get("Content-Disposition", "") or kind.startswith(DOWNLOAD_TYPES):
        return "json" if "json" in kind else "download"
    if not kind.startswith("text/html"):
        return "not-html"  # a script, a style sheet, a web app manifest: not a page
    body = response.content.decode(errors="replace")
    return "page" if "<html" in body[:500] else "fragment"


@dataclass
class Plan:
    visits: dict[str, list[tuple[str, str]]]  # role → [(route name, path)]
    unaccounted: list[str]


def _plan(cast: Cast) -> Plan:
    # Refused and missing pages are expected here; Django's log of each (with its
    # traceback) would only slow the probe down.
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return _probe(cast)
    finally:
        logger.setLevel(level)


def _probe(cast: Cast) -> Plan:
    visits: dict[str, list[tuple[str, str]]] = {role: [] for role in ROLES}
    outcomes: dict[str, set[str]] = {}
    accounted: set[str] = set()
    for role in ROLES:
        if role == "two_factor":
            found = {"page", "post-only", "download", "json", "fragment", "not-html"}
            accounted = {name for name, seen in outcomes.items() if seen & found}
        client = Client()
        if role != "anonymous":
            client.force_login(cast.users[role])
        for route in _routes():
            if route.name in SKIPPED or FILE_ROUTE.search(route.template):
                continue
            if role == "two_factor" and route.name in accounted:
                continue
            seen = outcomes.setdefault(route.name, set())
            unfilled = [key for key in route.params if key not in PARAMETERS]
            for path in _fill(route, cast):
                kind = _kind(client.get(path))
                seen.add(kind if not unfilled or kind == "post-only" else "unfilled")
                if kind == "page":
                    visits[role].append((route.name, path))
                if kind in ("page", "post-only", "download", "json", "fragment", "not-html"):
                    break
    unaccounted = []
    for name, seen in sorted(outcomes.items()):
        if not seen & {"page", "post-only", "download", "json", "fragment", "not-html"}:
            unaccounted.append(f"{name}: answered only {sorted(seen)}")
    return Plan(visits, unaccounted)


# --------------------------------------------------------------------------- checks

# The rules as JavaScript functions run in the page (tests/phone_checks.js: sideways,
# one-char-per-line, tap-target, chart-labels; tests/phone_axe.js: axe-core).
CHECKS = (Path(__file__).parent / "phone_checks.js").read_text(encoding="utf-8")
AXE_RUN = (Path(__file__).parent / "phone_axe.js").read_text(encoding="utf-8")


# Charts are drawn by a deferred script: wait until every chart container has its chart.
CHARTS_DRAWN = """() => Array.from(document.querySelectorAll('[data-chart]'))
  .every((el) => window.echarts && echarts.getInstanceByDom(el))"""


def _check(page, axe: bool = True) -> list[str]:
    problems = page.evaluate(f"({CHECKS})()")
    if axe:
        problems += page.evaluate(f"({AXE_RUN})()")
    found: dict[str, list[str]] = {}
    for problem in problems:
        found.setdefault(problem["rule"], []).append(problem["detail"])
    lines = []
    for rule, details in found.items():
        more = f" (+{len(details) - 6} more)" if len(details) > 6 else ""
        lines.append(f"  {rule}: " + " | ".join(details[:6]) + more)
    return lines


def _open_menus(page) -> Iterator[str]:
    """Open the collapsed menu (☰), then each of its drop-downs in turn."""
    toggler = page.locator(".navbar-toggler")
    if not toggler.count() or not toggler.first.is_visible():
        return
    toggler.first.click()
    page.wait_for_selector(".navbar-collapse.show:not(.collapsing)", state="visible")
    yield "menu"
    toggles = page.locator(".navbar-collapse [data-bs-toggle=dropdown]")
    for n in range(toggles.count()):
        toggles.nth(n).click()
        page.wait_for_selector(".navbar-collapse .dropdown-menu.show", state="visible")
        yield "menu " + (toggles.nth(n).inner_text().strip() or str(n))
        page.keyboard.press("Escape")
        page.wait_for_selector(".navbar-collapse .dropdown-menu.show", state="detached")


@pytest.fixture
def cast(transactional_db) -> Cast:
    return _cast_build()


def test_every_page_of_every_role_passes_on_a_phone(live_server, cast):
    assert AXE.exists(), "axe-core is missing: npm ci --prefix tests/axe"
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    plan = _plan(cast)
    print(f"discovery: {time.monotonic() - started:.1f} s")
    failures: list[str] = [f"route not checked: {line}" for line in plan.unaccounted]
    visited = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for role in ROLES:
            # Pages as the server sends them: the offline service worker (which may answer
            # from its cache) is tested in tests/test_browser_offline.py.
            context = browser.new_context(
                viewport=PHONE, locale="zh-CN", is_mobile=True, service_workers="block"
            )
            # axe-core comes in as an init script: the pages' CSP (script-src 'self') refuses
            # an injected <script> tag, and the app never serves the file.
            context.add_init_script(path=str(AXE))
            if role != "anonymous":
                client = Client()
                client.force_login(cast.users[role])
                cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
                context.add_cookies(
                    [
                        {
                            "name": settings.SESSION_COOKIE_NAME,
                            "value": cookie,
                            "url": live_server.url,
                        }
                    ]
                )
            page = context.new_page()
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            for name, path in [*plan.visits[role], ("(404 page)", "/no-such-page/")]:
                errors.clear()
                page.goto(live_server.url + path, wait_until="load")
                try:
                    page.wait_for_function(CHARTS_DRAWN, timeout=10_000)
                except PlaywrightError:
                    errors.append("the charts were not drawn within 10 s")
                lines = _check(page) + [f"  script error: {error}" for error in errors]
                visited += 1
                if lines:
                    failures.append(f"{role} {name} {path}\n" + "\n".join(lines))
                if name == "home":
                    for menu in _open_menus(page):
                        lines = _check(page)
                        visited += 1
                        if lines:
                            failures.append(f"{role} {name} {path} [{menu}]\n" + "\n".join(lines))
            context.close()
        browser.close()
    print(f"pages: {visited} in {time.monotonic() - started:.1f} s")
    report = json.dumps({role: len(plan.visits[role]) for role in ROLES})
    assert not failures, (
        f"{len(failures)} of {visited} pages fail at 390 px (pages per role: {report}):\n"
        + "\n".join(failures)
    )

"""In Chromium: the principal's dashboard draws its charts (ECharts, served locally)
under the Content-Security-Policy, and a chart's bar leads to the list behind it.

Set ``CARENET_SCREENSHOTS=DIR`` to keep screenshots of the page (desktop and phone)."""

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from carenet.care.services import record_create
from carenet.children.models import FamilyMember, Relation
from carenet.children.services import family_member_save
from tests.browser import log_in
from tests.factories import child_add, world_build

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true",
        reason="Debian's chromium is not installed (scripts/test installs it)",
    ),
]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Runs before any page script (and outside the page's CSP): records every violation.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__csp.push(event.violatedDirective + ' ' + event.blockedURI + ' ' + event.sourceFile);
});
"""


def _browser_page(playwright, width: int, height: int):
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    context = browser.new_context(  # no service worker: see tests/browser.py, phone_page
        viewport={"width": width, "height": height}, locale="zh-CN", service_workers="block"
    )
    context.add_init_script(RECORD_VIOLATIONS)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.console_errors = []
    tab.on(
        "console",
        lambda message: message.type == "error" and tab.console_errors.append(message.text),
    )
    tab.on("pageerror", lambda error: tab.console_errors.append(str(error)))
    return browser, tab


@pytest.fixture
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


def _school_with_work():
    """The world, with guardians, parents' work places and a few months of care work in
    the principal's school (华阳小学)."""
    world = world_build()
    today = dt.date.today()
    more = [
        child_add(
            world.class_1, name=f"孩子{n}", village=world.village, father_away=dt.date(2025, 1, 1)
        )
        for n in range(3)
    ]
    for n, child in enumerate([world.own_child, world.mentee, *more]):
        family_member_save(
            actor=None,
            child=child,
            relation=Relation.GUARDIAN,
            data={"name": "奶奶", "phone": "13700000000", "age": 48 + 9 * n},
        )
        FamilyMember.objects.filter(child=child, relation__in=["father", "mother"]).update(
            work_province=["广东省", "浙江省", "江苏省"][n % 3]
        )
        for months_ago in range(n + 1):
            record_create(
                actor=world.user("teacher"),
                child=child,
                kind=["talk", "parent_call", "home_visit"][months_ago % 3],
                date=today - dt.timedelta(days=30 * months_ago + 1),
                summary="记录",
            )
    return world


def _violations(page) -> list[str]:
    found = page.evaluate("window.__csp || []")
    return found + [text for text in page.console_errors]


def _charts(page) -> dict[str, dict]:
    """Each chart container: its size and whether ECharts drew a canvas in it."""
    return page.evaluate(
        """() => Object.fromEntries(
          Array.from(document.querySelectorAll('[data-chart]')).map(el => {
            const canvas = el.querySelector('canvas, svg');
            const box = canvas ? canvas.getBoundingClientRect() : {width: 0, height: 0};
            return [el.dataset.chart, {width: box.width, height: box.height,
                                       drawn: !!echarts.getInstanceByDom(el)}];
        }))"""
    )


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("CARENET_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def _bar_position(page, chart: str, index: int) -> tuple[float, float]:
    """The page coordinates of the middle of bar ``index`` of a vertical bar chart."""
    point = page.evaluate(
        """([name, index]) => {
            const el = document.querySelector(`[data-chart="${name}"]`);
            const chart = echarts.getInstanceByDom(el);
            const value = chart.getOption().series[0].data[index];
            const [x, y] = chart.convertToPixel({seriesIndex: 0}, [index, value / 2]);
            const box = el.getBoundingClientRect();
            return [box.left + x, box.top + y];
        }""",
        [chart, index],
    )
    return point[0], point[1]


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_the_principals_dashboard_draws_every_chart(
    live_server, transactional_db, playwright, width, height
):
    _school_with_work()
    browser, page = _browser_page(playwright, width, height)
    try:
        log_in(page, live_server.url, "principal")
        page.click("#home-dashboard")
        page.wait_for_url("**/dashboard/")
        page.wait_for_selector(".cn-chart-drawn")
        page.wait_for_load_state("networkidle")
        charts = _charts(page)
        assert set(charts) == {
            "targets",
            "trend",
            "teachers",
            "left_behind",
            "guardian_ages",
            "guardian_capacity",
            "provinces",
        }
        for name, chart in charts.items():
            assert chart["drawn"] and chart["width"] > 200 and chart["height"] > 150, name
        # Hovering a bar shows the tooltip (drawn in the canvas: no inline style).
        x, y = _bar_position(page, "guardian_ages", 0)
        page.mouse.move(x, y)
        page.wait_for_timeout(300)
        # Another indicator in the targets chart.
        page.select_option("#targets-key", "talk_completion")
        assert _violations(page) == []
        _screenshot(page, f"principal-dashboard-{width}.png")
        # No page wider than the phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    finally:
        browser.close()


def test_clicking_a_bar_opens_the_list_behind_it(live_server, transactional_db, playwright):
    world = _school_with_work()
    browser, page = _browser_page(playwright, 1280, 900)
    try:
        log_in(page, live_server.url, "principal")
        page.goto(live_server.url + "/dashboard/")
        page.wait_for_selector(".cn-chart-drawn")
        page.locator("#chart-guardian_ages").scroll_into_view_if_needed()
        x, y = _bar_position(page, "guardian_ages", 0)  # under 50: one guardian (48)
        page.mouse.click(x, y)
        page.wait_for_url("**/children/?*guardian_age=lt50*")
        assert page.locator("#result-count").inner_text() == "共 1 名儿童"
        assert "王子涵" in page.locator("#child-results").inner_text()
        # A bar of the targets chart opens the list of the children not counted there.
        page.go_back()
        page.wait_for_selector(".cn-chart-drawn")
        page.locator("#chart-targets").scroll_into_view_if_needed()
        x, y = _bar_position(page, "targets", 0)
        page.mouse.click(x, y)
        page.wait_for_url("**/dashboard/indicators/filing_rate/?*counted=0*")
        assert page.locator("h1").inner_text() == f"{world.class_1.name} · 建档率"
        # The link of a table row leads to the same kind of list.
        page.goto(live_server.url + "/dashboard/")
        page.locator("#table-provinces a", has_text="广东省").click()
        page.wait_for_url("**/children/?*work_province=*")
        listed = page.locator("#child-results").inner_text()
        assert "王子涵" in listed and "孩子1" in listed and "孩子0" not in listed
        assert _violations(page) == []
    finally:
        browser.close()

"""Each role's first screen on a 390×844 phone (issue 17): no sideways scrolling, the tab
bar at the bottom with the unread badge once a notification exists, and the 记录 tap
opening the record form for that child and kind."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine

from carenet.notify.models import Notification
from tests.browser import BROWSER_MARKS, PHONE, log_in, phone_page
from tests.test_home_roles import day_build

pytestmark = BROWSER_MARKS

ROLES = (
    "teacher",
    "principal",
    "school_admin",
    "village_director",
    "township_supervisor",
    "county_admin",
)
# Each role's first section of the day's work.
FIRST_SECTION = {
    "teacher": "#home-my-work",
    "principal": "#home-school-work",
    "school_admin": "#home-school-work",
    "village_director": "#home-my-work",
    "township_supervisor": "#home-overdue-by-school",
    "county_admin": "#home-targets",
}


@pytest.fixture
def page():
    with phone_page() as tab:
        yield tab


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth") == PHONE["width"]


def test_every_roles_first_screen_fits_a_phone_with_the_tab_bar(
    live_server, page, transactional_db
):
    with time_machine.travel(
        dt.datetime(2026, 12, 2, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")), tick=True
    ):
        day = day_build()
        for role in ROLES:
            Notification.objects.create(
                user=day.world.user(role),
                county_code="340827",
                kind="task_due",
                title="待办提醒",
                dedupe_key=f"browser-home-{role}",
            )
        for role in ROLES:
            page.context.clear_cookies()
            log_in(page, live_server.url, role)
            assert page.locator(FIRST_SECTION[role]).is_visible(), role
            _fits(page)
            tabbar = page.locator("#tabbar")
            assert tabbar.is_visible(), role
            box = tabbar.bounding_box()
            assert box["y"] + box["height"] == pytest.approx(PHONE["height"], abs=1)
            # The unread count is on the tab and on the menu button, the menu closed.
            assert page.locator("#tab-unread").is_visible(), role
            assert page.locator("#toggler-unread").is_visible(), role
            assert not page.locator("#main-nav").is_visible()
            for tab in tabbar.locator("a").all():
                tab_box = tab.bounding_box()
                assert tab_box["height"] >= 40 and tab_box["width"] >= 40, role
            # The page's last line is not hidden behind the tab bar.
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            footer = page.locator("footer").bounding_box()
            assert footer["y"] + footer["height"] <= tabbar.bounding_box()["y"] + 1, role


def test_a_teacher_taps_record_on_the_first_screen_and_lands_on_the_form(
    live_server, page, transactional_db
):
    with time_machine.travel(
        dt.datetime(2026, 12, 2, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")), tick=True
    ):
        day = day_build()
        child = day.world.own_child
        log_in(page, live_server.url, "teacher")
        button = page.locator(f"[data-record='{child.pk}-talk']")
        box = button.bounding_box()
        assert box["height"] >= 40 and box["width"] >= 40
        button.click()
        page.wait_for_url(re.compile(rf"/care/children/{child.pk}/records/new/\?kind=talk"))
        assert child.name in page.locator("body").inner_text()
        assert page.locator("select[name=kind], input[name=kind]:checked").first.input_value() == (
            "talk"
        )
        _fits(page)
        # The 记录 tab lists the teacher's children, each with 记录.
        page.locator("#tabbar [data-tab='record']").click()
        page.wait_for_url(f"{live_server.url}/record/")
        assert page.locator(f"[data-record-child='{child.pk}']").is_visible()
        assert page.locator("#tabbar [data-tab='record']").get_attribute("aria-current") == "page"
        _fits(page)

"""End to end in Debian's Chromium, driven by Playwright, on a phone-sized screen."""

import pytest

from tests.browser import BROWSER_MARKS, PHONE, phone_page
from tests.factories import PASSWORD, world_build

pytestmark = BROWSER_MARKS


@pytest.fixture
def page():
    with phone_page() as tab:
        yield tab


def _log_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(base_url + "/")


def test_a_teacher_on_a_phone_logs_in_and_opens_a_childs_file(live_server, page, transactional_db):
    world = world_build()
    _log_in(page, live_server.url, "teacher")
    assert "首页" in page.title() or page.locator("nav").count() == 1
    page.goto(live_server.url + "/children/")
    page.get_by_role("link", name="王子涵").first.click()
    page.wait_for_url(f"{live_server.url}/children/{world.own_child.pk}/")
    body = page.locator("body").inner_text()
    assert "王子涵" in body
    assert "双亲留守" in body
    # The page fits the phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_teacher_cannot_open_a_file_outside_their_scope(live_server, page, transactional_db):
    world = world_build()
    _log_in(page, live_server.url, "teacher")
    response = page.goto(f"{live_server.url}/children/{world.outsider.pk}/")
    assert response.status == 404
    assert "赵强" not in page.locator("body").inner_text()


def test_a_teacher_on_a_phone_logs_an_overdue_talk_and_it_leaves_the_list(
    live_server, page, transactional_db
):
    import datetime as dt
    import zoneinfo

    import time_machine

    with time_machine.travel(
        dt.datetime(2026, 11, 18, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")), tick=True
    ):
        world = world_build()
        _log_in(page, live_server.url, "teacher")
        page.goto(live_server.url + "/care/tasks/")
        task = page.locator(f"[data-task='{world.own_child.pk}-talk']")
        assert task.count() == 1
        assert "已逾期" in task.inner_text()
        task.get_by_role("link", name="记录").click()
        page.fill("textarea[name=summary]", "谈心：最近想妈妈，鼓励他给妈妈打电话")
        page.get_by_role("button", name="保存").click()
        page.wait_for_url(live_server.url + "/care/tasks/")
        assert page.locator(f"[data-task='{world.own_child.pk}-talk']").count() == 0
        assert "已保存" in page.locator("body").inner_text()
        # The form also fits the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

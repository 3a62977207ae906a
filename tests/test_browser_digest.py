"""In Chromium on a 390×844 phone: after ``carenet remind`` the inbox holds one digest of
the day; tapping 记录 on a line opens the record form for that child and kind."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from carenet.notify.models import Notification
from carenet.notify.services import reminders_run
from tests.browser import BROWSER_MARKS, PHONE, log_in, phone_page
from tests.factories import world_build

pytestmark = BROWSER_MARKS

MONDAY = dt.datetime(2026, 10, 12, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))

# The value of the form's kind field, whether a select, radio buttons or a hidden input.
KIND_VALUE = """() => {
  const checked = document.querySelector('[name=kind]:checked');
  if (checked) return checked.value;
  const field = document.querySelector('select[name=kind], input[name=kind]');
  return field ? field.value : null;
}"""


@pytest.fixture
def page():
    with phone_page() as tab:
        yield tab


def test_the_digest_on_a_phone_opens_the_record_form_of_a_line(live_server, page, transactional_db):
    with time_machine.travel(MONDAY, tick=True):
        world = world_build()
        reminders_run(today=MONDAY.date())
        reminders_run(today=MONDAY.date())  # twice the same day: still one digest
        teacher = world.user("teacher")
        [digest] = Notification.objects.filter(user=teacher)
        lines = list(digest.lines.all())
        assert len(lines) > 1

        log_in(page, live_server.url, "teacher")
        page.goto(live_server.url + "/inbox/")
        assert page.locator("[data-notification]").count() == 1
        assert page.locator("[data-line]").count() == len(lines)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        line = lines[-1]
        row = page.locator(f"[data-line='{line.child_id}-{line.care_kind}']")
        assert line.child.name in row.inner_text()
        row.get_by_role("link", name="记录").click()
        page.wait_for_url(lambda url: f"/children/{line.child_id}/records/new/" in url)
        assert page.evaluate(KIND_VALUE) == line.care_kind
        assert line.child.name in page.locator("body").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.fill("textarea[name=summary]", "按消息提醒完成")
        page.get_by_role("button", name="保存").click()
        page.wait_for_url(live_server.url + "/inbox/")
        row = page.locator(f"[data-line='{line.child_id}-{line.care_kind}']")
        assert row.locator("[data-action=recorded]").count() == 1
        assert row.get_by_role("link", name="记录").count() == 0

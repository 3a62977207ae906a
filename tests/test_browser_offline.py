"""Home visits without signal, in Chromium on a 390 px phone: the pages opened online work
offline, a record written offline waits on the phone (待发送 1) and is filed exactly once
when the signal returns; a record the server refuses (the child moved out of the user's
scope meanwhile) stays on the phone as 未能发送, with the reason."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from carenet.care.models import CareRecord
from carenet.children.transfers import transfer_move
from tests.browser import BROWSER_MARKS, PHONE, phone_page
from tests.factories import PASSWORD, world_build

pytestmark = BROWSER_MARKS
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
SUMMARY = "家访：奶奶在家，孩子作业按时完成"


# Runs before any page script: records what the Content-Security-Policy blocks.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__csp.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""


@pytest.fixture
def page():
    with phone_page(service_workers="allow") as tab:
        tab.context.add_init_script(RECORD_VIOLATIONS)
        yield tab


@pytest.fixture
def world(transactional_db):
    with time_machine.travel(dt.datetime(2026, 11, 18, 10, 0, tzinfo=TZ), tick=True):
        yield world_build()


def _log_in(page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.fill("input[name=username]", "teacher")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(base_url + "/")


def _prepare_offline(page, base_url: str, child) -> str:
    """Online: the first screen and the to-do list (each keeps the listed children's files
    and record forms for offline use, one page after the other), then the record form
    and the file, opened while the service worker controls the page."""
    page.wait_for_selector("html[data-offline-ready]", state="attached")
    page.goto(base_url + "/care/tasks/")
    page.wait_for_selector("html[data-offline-ready]", state="attached")
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    form_url = f"{base_url}/care/children/{child.pk}/records/new/?kind=home_visit"
    page.goto(form_url)
    page.goto(f"{base_url}/children/{child.pk}/")
    page.wait_for_function("() => caches.match('/offline/').then(Boolean)")
    return form_url


def _record_offline(page, form_url: str, child_name: str, date: str | None = None) -> None:
    page.context.set_offline(True)
    page.goto(form_url)  # from the phone, not the network
    assert child_name in page.locator("main h1").inner_text()
    page.select_option("select[name=kind]", "home_visit")
    page.fill("textarea[name=summary]", SUMMARY)
    if date is not None:
        page.fill("input[name=date]", date)
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("#offline-saved")
    assert "已保存在手机上，有信号时自动发送" in page.locator("#offline-saved").inner_text()


def _pending(page) -> str:
    return page.locator("#offline-pending-count").inner_text()


def test_a_visit_recorded_offline_is_filed_exactly_once_when_the_signal_returns(
    live_server, page, world
):
    base = live_server.url
    child = world.own_child
    _log_in(page, base)
    form_url = _prepare_offline(page, base, child)

    _record_offline(page, form_url, child.name)
    assert page.locator("#offline-pending").is_visible()
    assert _pending(page) == "1"
    assert not CareRecord.objects.exists()
    # The child's file, opened online, is there offline too; the bar says what waits.
    page.goto(f"{base}/children/{child.pk}/")
    assert child.name in page.locator("body").inner_text()
    assert _pending(page) == "1"
    # A page never opened online: the phone's outbox page says so (served by the worker).
    page.goto(f"{base}/care/plans/")
    assert page.locator("#offline-page-hint").is_visible()
    assert page.locator(".outbox-item[data-status=pending]").count() == 1
    key = page.evaluate(
        """() => new Promise((resolve) => {
          indexedDB.open("carenet-offline").onsuccess = (event) => {
            const outbox = event.target.result.transaction("outbox").objectStore("outbox");
            const request = outbox.getAll();
            request.onsuccess = () => resolve(request.result.map((item) => item.key));
          };
        })"""
    )
    assert len(key) == 1

    page.context.set_offline(False)
    page.wait_for_selector("#offline-pending", state="hidden")
    record = CareRecord.objects.get()
    assert record.child == child and record.kind == "home_visit"
    assert record.summary == SUMMARY and str(record.client_key) == key[0]
    assert record.author.username == "teacher"

    # Reloaded and sent again (an answer lost on the way): still exactly one record.
    page.reload()
    page.wait_for_load_state("networkidle")
    status = page.evaluate(
        """async ([url, key, summary, date]) => {
          const session = await (await fetch("/offline/session.json")).json();
          const answer = await fetch(url, {
            method: "POST",
            headers: {"Content-Type": "application/json", "X-CSRFToken": session.csrf,
                      "Idempotency-Key": key},
            body: JSON.stringify({kind: "home_visit", date, summary, confidential: false}),
          });
          return answer.status;
        }""",
        [f"/api/v1/children/{child.pk}/records", key[0], SUMMARY, record.date.isoformat()],
    )
    assert status == 200
    assert CareRecord.objects.count() == 1
    assert not page.locator("#offline-status").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate("window.__csp") == []


def test_a_record_for_a_child_moved_out_of_scope_stays_listed_as_not_sent(live_server, page, world):
    base = live_server.url
    child = world.own_child
    _log_in(page, base)
    form_url = _prepare_offline(page, base, child)
    _record_offline(page, form_url, child.name)
    assert _pending(page) == "1"

    # Meanwhile the county moves the child to another school's class.
    transfer_move(child=child, to_class=world.other_class, actor=None)
    page.context.set_offline(False)
    page.wait_for_selector("#offline-failed", state="visible")
    assert not page.locator("#offline-pending").is_visible()
    assert page.locator("#offline-failed-count").inner_text() == "1"
    assert not CareRecord.objects.exists()

    page.locator("#offline-status a").click()
    page.wait_for_url(base + "/offline/")
    item = page.locator(".outbox-item")
    item.wait_for()
    assert item.get_attribute("data-status") == "failed"
    assert "不在您的管理范围" in item.locator(".outbox-reason").inner_text()
    assert SUMMARY in item.inner_text()
    # Retrying sends it again and it fails again, for the same reason: still kept.
    page.wait_for_selector("html[data-offline-flushed]", state="attached")
    flushed = page.evaluate("document.documentElement.dataset.offlineFlushed")
    item.get_by_role("button", name="重试").click()
    page.wait_for_function(
        "(before) => document.documentElement.dataset.offlineFlushed !== before", arg=flushed
    )
    assert page.locator(".outbox-item[data-status=failed]").count() == 1
    assert not CareRecord.objects.exists()
    # Deleting asks first; dismissed, the record stays; accepted, it goes.
    answers = ["dismiss", "accept"]
    page.on("dialog", lambda dialog: getattr(dialog, answers.pop(0))())
    page.locator(".outbox-item").get_by_role("button", name="删除").click()
    for _ in range(100):  # the question comes once the phone's store has answered
        if len(answers) == 1:
            break
        page.wait_for_timeout(50)
    assert answers == ["accept"]
    assert page.locator(".outbox-item").count() == 1
    page.locator(".outbox-item").get_by_role("button", name="删除").click()
    page.wait_for_selector(".outbox-item", state="detached")
    assert page.locator("#outbox-empty").is_visible()
    assert not page.locator("#offline-status").is_visible()
    assert not CareRecord.objects.exists()


def test_a_record_the_server_finds_wrong_stays_with_the_field_and_message(live_server, page, world):
    base = live_server.url
    _log_in(page, base)
    form_url = _prepare_offline(page, base, world.mentee)
    _record_offline(page, form_url, world.mentee.name, date="2026-12-30")  # after today
    page.context.set_offline(False)
    page.wait_for_selector("#offline-failed", state="visible")
    assert not CareRecord.objects.exists()
    page.goto(base + "/offline/")
    reason = page.locator(".outbox-item[data-status=failed] .outbox-reason")
    assert "内容有误" in reason.inner_text()
    assert "日期：日期不能晚于今天" in reason.inner_text()

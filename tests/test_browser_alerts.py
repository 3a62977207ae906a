"""The early warning on a 390 px phone, in Chromium: a talk record that says the child
does not want to live raises a severe alert at once; the teacher finds it in 预警 with the
phrase marked in its sentence, acknowledges it, and the child's file shows the high risk
with its reason."""

import pytest

from carenet.alerts.models import Alert, AlertStatus
from tests.browser import BROWSER_MARKS, PHONE, log_in, phone_page
from tests.factories import world_build

pytestmark = BROWSER_MARKS


@pytest.fixture
def page():
    with phone_page() as tab:
        yield tab


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_talk_that_speaks_of_dying_is_a_severe_alert_handled_on_the_phone(
    live_server, page, transactional_db
):
    world = world_build()
    child = world.own_child
    log_in(page, live_server.url, "teacher")
    page.goto(f"{live_server.url}/care/children/{child.pk}/records/new/?kind=talk")
    page.fill("textarea[name=summary]", "谈心时他说不想活了，晚上一个人躲在被子里哭。")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(lambda url: "/records/new/" not in url)

    # Raised as the record was saved: no job ran.
    alert = Alert.objects.get(child=child, rule="text_signal")
    assert (alert.category, alert.severity, alert.report_due) == ("self_harm", "severe", True)

    page.goto(live_server.url + "/alerts/")
    row = page.locator(f"[data-alert='{alert.pk}']").first
    assert child.name in row.inner_text() and "严重" in row.inner_text()
    _no_sideways_scroll(page)

    page.goto(f"{live_server.url}/alerts/{alert.pk}/")
    assert page.locator("[data-evidence=phrase] mark").inner_text() == "不想活"
    assert "谈心时他说" in page.locator("[data-evidence=phrase]").inner_text()
    _no_sideways_scroll(page)
    page.locator("#action-acknowledge summary").click()
    page.locator("#action-acknowledge button[type=submit]").click()
    page.wait_for_load_state()
    assert "处理中" in page.locator("[data-field=status]").inner_text()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED

    page.goto(f"{live_server.url}/children/{child.pk}/")
    risk = page.locator("[data-field=risk_level]").inner_text()
    assert "高" in risk and "自伤自杀" in page.locator("#risk-reasons").inner_text()
    _no_sideways_scroll(page)

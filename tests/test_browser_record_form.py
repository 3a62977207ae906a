"""The record card on a 390 px phone, in Chromium: each kind shows its own fields only,
switching the kind switches them, chips fill their field, one save makes one record; the
child file's action buttons keep their labels whole."""

import pytest

from carenet.care.forms import KIND_FIELDS
from carenet.care.models import CareKind, CareRecord
from tests.browser import BROWSER_MARKS, PHONE, log_in, phone_page
from tests.factories import world_build

pytestmark = BROWSER_MARKS

# Runs before any page script: records what the Content-Security-Policy blocks.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__csp.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""
DETAIL_NAMES = sorted({name for names in KIND_FIELDS.values() for name in names})


@pytest.fixture
def page():
    with phone_page() as tab:
        yield tab


def _visible_details(page) -> set[str]:
    return {name for name in DETAIL_NAMES if page.locator(f"[name={name}]").first.is_visible()}


def _expected(kind: str) -> set[str]:
    return set(KIND_FIELDS.get(kind, ()))


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_each_kind_shows_its_own_fields_and_switching_switches_them(
    live_server, page, transactional_db
):
    world = world_build()
    log_in(page, live_server.url, "teacher")
    url = f"{live_server.url}/care/children/{world.own_child.pk}/records/new/"
    for kind in ("talk", "home_visit", "parent_call", "letter"):
        page.goto(f"{url}?kind={kind}")
        assert _visible_details(page) == _expected(kind), kind
        _no_sideways_scroll(page)
    # The summary has the first focus.
    assert page.evaluate("document.activeElement.name") == "summary"
    for kind in CareKind.values:
        page.select_option("select[name=kind]", kind)
        assert _visible_details(page) == _expected(kind), kind
        _no_sideways_scroll(page)


def test_chips_fill_their_field_and_a_call_is_saved_once(live_server, page, transactional_db):
    world = world_build()
    page.context.add_init_script(RECORD_VIOLATIONS)
    log_in(page, live_server.url, "teacher")
    page.goto(f"{live_server.url}/care/children/{world.own_child.pk}/records/new/?kind=talk")
    mood = page.locator("input[name=mood]")
    chips = page.locator("[data-chips-for=id_mood]")
    chips.get_by_role("button", name="低落").click()
    chips.get_by_role("button", name="想念父母").click()
    assert mood.input_value() == "低落、想念父母"
    assert chips.get_by_role("button", name="低落").get_attribute("aria-pressed") == "true"
    chips.get_by_role("button", name="低落").click()  # pressed again: taken out
    assert mood.input_value() == "想念父母"
    # Typed words stay; a chip adds to them.
    topics = page.locator("input[name=topics]")
    topics.fill("家里的事")
    page.locator("[data-chips-for=id_topics]").get_by_role("button", name="学习").click()
    assert topics.input_value() == "家里的事、学习"
    # Every chip is a thumb-sized target.
    for box in [c.bounding_box() for c in page.locator(".cn-chip:visible").all()]:
        assert box["width"] >= 40 and box["height"] >= 40, box
    _no_sideways_scroll(page)
    assert page.evaluate("window.__csp") == []  # the form's script and styles are files

    # Switch to a call: the talk's words are not sent.
    page.select_option("select[name=kind]", "parent_call")
    page.locator("[data-chips-for=id_contact_with]").get_by_role("button", name="母亲").click()
    page.locator("[data-chips-for=id_duration_minutes]").get_by_role("button", name="10").click()
    assert page.locator("input[name=duration_minutes]").input_value() == "10"
    page.fill("textarea[name=summary]", "与母亲通话，说孩子最近想家")
    before = CareRecord.objects.count()
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(live_server.url + "/care/tasks/")
    assert CareRecord.objects.count() == before + 1
    record = CareRecord.objects.latest("created_at")
    assert record.child == world.own_child and record.kind == "parent_call"
    assert record.summary == "与母亲通话，说孩子最近想家"
    assert record.details == {"with": "母亲", "duration_minutes": 10}


def test_a_visit_picks_the_guardians_capacity_from_its_chips(live_server, page, transactional_db):
    world = world_build()
    log_in(page, live_server.url, "teacher")
    page.goto(f"{live_server.url}/care/children/{world.own_child.pk}/records/new/?kind=home_visit")
    page.locator("[data-chips-for=id_present]").get_by_role("button", name="奶奶").click()
    page.locator("label[for=id_guardian_capacity_2]").click()  # 一般
    page.fill("textarea[name=summary]", "家访：奶奶身体尚可")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(live_server.url + "/care/tasks/")
    record = CareRecord.objects.get(child=world.own_child, kind="home_visit")
    assert record.details == {"present": "奶奶", "guardian_capacity": "fair"}


def test_without_script_the_kind_in_the_address_decides_and_chips_stay_hidden(
    live_server, page, transactional_db
):
    world = world_build()
    context = page.context.browser.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, java_script_enabled=False
    )
    plain = context.new_page()
    log_in(plain, live_server.url, "teacher")
    url = f"{live_server.url}/care/children/{world.own_child.pk}/records/new/"
    plain.goto(f"{url}?kind=home_visit")
    assert _visible_details(plain) == _expected("home_visit")
    assert plain.locator("[data-chips-for]:visible").count() == 0
    assert plain.locator("label[for=id_guardian_capacity_1]").is_visible()  # radios need no script
    plain.get_by_role("link", name="联系家长", exact=True).click()
    assert _visible_details(plain) == _expected("parent_call")
    plain.fill("input[name=contact_with]", "父亲")
    plain.fill("textarea[name=summary]", "电话")
    plain.get_by_role("button", name="保存").click()
    plain.wait_for_url(live_server.url + "/care/tasks/")
    assert CareRecord.objects.get(child=world.own_child).details == {"with": "父亲"}
    context.close()


def test_the_child_files_buttons_keep_their_labels_whole(live_server, page, transactional_db):
    world = world_build()
    log_in(page, live_server.url, "principal")
    page.goto(f"{live_server.url}/children/{world.own_child.pk}/")
    buttons = page.locator("#child-actions > .btn, #child-actions .dropdown > .btn")
    assert buttons.count() >= 5
    for button in buttons.all():
        box = button.bounding_box()
        line = float(button.evaluate("b => parseFloat(getComputedStyle(b).lineHeight)"))
        # One line of text plus padding and border: never two lines (a label cut in pieces).
        assert box["height"] < 2 * line + 10, (button.inner_text(), box)
        assert box["width"] >= 40 and box["height"] >= 40, (button.inner_text(), box)
    _no_sideways_scroll(page)

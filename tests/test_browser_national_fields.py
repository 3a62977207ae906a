"""The child form and file with the national registers' fields, on a phone screen."""

import pytest

from carenet.children.services import family_member_save
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


def test_a_teacher_adds_a_grandmother_from_the_folded_section_on_a_phone(
    live_server, page, transactional_db
):
    world = world_build()
    child = world.own_child
    _log_in(page, live_server.url, "teacher")
    page.goto(f"{live_server.url}/children/{child.pk}/edit/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not page.locator("input[name='grandmother-name']").is_visible()
    page.get_by_text("祖辈（祖父母、外祖父母）").click()
    page.fill("input[name='grandmother-name']", "王奶奶")
    page.fill("input[name='grandmother-birth_date']", "1956-02-03")
    page.get_by_label("打工收入").check()
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{live_server.url}/children/{child.pk}/")
    body = page.locator("body").inner_text()
    assert "王奶奶" in body and "1956-02-03" in body and "打工收入" in body
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_grandparents_section_is_open_when_one_is_on_file(live_server, page, transactional_db):
    world = world_build()
    family_member_save(
        actor=None, child=world.own_child, relation="m_grandfather", data={"name": "林外公"}
    )
    _log_in(page, live_server.url, "teacher")
    page.goto(f"{live_server.url}/children/{world.own_child.pk}/edit/")
    assert page.locator("input[name='m_grandfather-name']").input_value() == "林外公"
    assert page.locator("input[name='m_grandfather-name']").is_visible()

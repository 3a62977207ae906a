"""In Chromium: the Content-Security-Policy blocks nothing the pages themselves use."""

import os
import shutil

import pytest

from tests.factories import PASSWORD, world_build

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


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        # No service worker (see tests/browser.py: phone_page); test_browser_offline.py
        # runs it under the same policy.
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="zh-CN", service_workers="block"
        )
        context.add_init_script(RECORD_VIOLATIONS)
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        tab.console_errors = []
        tab.on(
            "console",
            lambda message: message.type == "error" and tab.console_errors.append(message.text),
        )
        yield tab
        context.close()
        browser.close()


def _violations(page) -> list[str]:
    found = page.evaluate("window.__csp || []")
    return found + [text for text in page.console_errors if "Content Security Policy" in text]


def _log_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(base_url + "/")


def test_a_teachers_pages_raise_no_csp_violation(live_server, page, transactional_db):
    world = world_build()
    _log_in(page, live_server.url, "teacher")
    page.wait_for_load_state("networkidle")
    assert _violations(page) == []
    # The user menu (Bootstrap's script) opens.
    page.locator("#user-menu .dropdown-toggle").click()
    page.get_by_role("link", name="修改密码").wait_for(state="visible")
    page.goto(live_server.url + "/children/")
    # The search (htmx) swaps the results in.
    page.fill("input[name=q]", "王")
    page.wait_for_load_state("networkidle")
    assert _violations(page) == []
    page.goto(f"{live_server.url}/children/{world.own_child.pk}/")
    page.wait_for_load_state("networkidle")
    assert "王子涵" in page.locator("body").inner_text()
    assert _violations(page) == []


def test_the_two_factor_qr_code_shows_under_the_csp(live_server, page, transactional_db):
    world_build()
    _log_in(page, live_server.url, "principal")
    page.goto(live_server.url + "/account/two-factor/")
    page.wait_for_load_state("networkidle")
    box = page.locator("#otp-qr svg").bounding_box()
    assert box and box["width"] > 100
    assert _violations(page) == []

"""What the browser tests share: Debian's Chromium driven by Playwright on a phone screen,
and the skip when Chromium is missing outside CI (scripts/test installs it)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true",
        reason="Debian's chromium is not installed (scripts/test installs it)",
    ),
]
# Playwright's sync API runs an event loop in this thread; the ORM calls made by the
# fixtures of browser tests are plain synchronous test set-up.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"width": 390, "height": 844}


@contextlib.contextmanager
def phone_page(service_workers: str = "block") -> Iterator:
    """A tab of a headless Chromium with a phone's screen, locale zh-CN.

    The service worker is blocked unless asked for (tests/test_browser_offline.py): its
    background fetches (installing, keeping pages for offline use) would run beside the
    test's own requests, which the live server's in-memory SQLite cannot take at once."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(
            viewport=PHONE, locale="zh-CN", is_mobile=True, service_workers=service_workers
        )
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        yield tab
        context.close()
        browser.close()


def log_in(page, base_url: str, username: str) -> None:
    """Sign in by the login form as one of the world's users (their password is
    ``tests.factories.PASSWORD``) and wait for the first screen."""
    from tests.factories import PASSWORD

    page.goto(base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(base_url + "/")

"""Playwright in the system Chromium against Django's live server.

Without Chromium the browser tests are skipped with the reason printed; under ``CI=true`` a
missing Chromium fails them instead. Screenshots land in ``var/screenshots/``.
"""

import os
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "var" / "screenshots"

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself
# are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true requires the browser tests to run")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="hu-HU", viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on(
        "response", lambda r: r.status >= 400 and page.console_errors.append(f"{r.status} {r.url}")
    )
    yield page
    context.close()


@pytest.fixture
def demo(db):
    """The demo data of ``make run``."""
    from django.core.management import call_command

    call_command("load_demo")


SIZES = (("desktop", (1280, 900)), ("phone", (390, 844)))


def sized_page(browser, live_server, size: tuple[int, int]):
    """A page in Hungarian of the given viewport; answers of 400 and more go to
    ``page.errors``."""
    context = browser.new_context(
        base_url=live_server.url, locale="hu-HU", viewport={"width": size[0], "height": size[1]}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.errors = []
    page.on("response", lambda r: r.status >= 400 and page.errors.append(f"{r.status} {r.url}"))
    return page


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")


def open_menu(page, label: str) -> None:
    """Clicks the top bar's entry ``label``: in the bar when it fits, else in "Továbbiak" (More),
    which holds hidden copies of every entry (role locators skip hidden elements)."""
    bar = page.get_by_test_id("app-menu")
    link = bar.get_by_role("link", name=label, exact=True)
    if link.count() == 0:
        bar.get_by_test_id("more-menu").locator(".dropdown-toggle").click()
    link.first.click()

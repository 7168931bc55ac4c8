"""The calendar in the browser, in both languages, on a desktop and on a phone: titles,
weekday heads, holiday names that fit, the menu entry marked, and dates out of range."""

import os
from pathlib import Path

import pytest

from crm.demo import DEMO_PASSWORD

from .conftest import log_in, screenshot

# Where the screenshots of every view also go, to look at by hand (CALENDAR_SHOTS=/tmp/cal).
EXTRA_SHOTS = os.environ.get("CALENDAR_SHOTS")


def _shoot(page, name: str) -> None:
    path = screenshot(page, name)
    if EXTRA_SHOTS:
        Path(EXTRA_SHOTS).mkdir(parents=True, exist_ok=True)
        (Path(EXTRA_SHOTS) / path.name).write_bytes(path.read_bytes())


@pytest.mark.parametrize(
    ("language", "title", "heads"),
    [
        ("hu", "2026. december", ["H", "K", "Sze", "Cs", "P", "Szo", "V"]),
        ("en", "December 2026", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
    ],
)
def test_calendar_month_and_week_on_a_desktop_and_a_phone(
    page, live_server, demo, language, title, heads
):
    page.context.add_cookies([{"name": "crm_language", "value": language, "url": live_server.url}])
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/activities/calendar/?view=month&date=2026-12-15")
        assert page.get_by_test_id("calendar-title").inner_text().strip() == title
        assert page.locator(".crm-cal-head").all_inner_texts() == heads
        active = page.get_by_test_id("app-menu").locator(".nav-link.active")
        assert active.count() == 1 and active.get_attribute("href") == "/activities/calendar/"
        page_width = page.evaluate("document.documentElement.scrollWidth")
        assert page_width <= width, f"{width}: the page is {page_width} px wide"
        # every holiday's name is shown whole somewhere: in its cell, or under the month
        christmas = "Karácsony" if language == "hu" else "Christmas"
        names = [
            el
            for el in page.locator(".crm-cal-holiday, [data-testid=calendar-holidays] li").all()
            if el.is_visible()
        ]
        shown = [
            el.inner_text()
            for el in names
            if el.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
            and el.evaluate("e => getComputedStyle(e).fontSize") != "0px"
        ]
        assert any("Szenteste" in text or "Christmas Eve" in text for text in shown), shown
        assert any(christmas in text for text in shown), shown
        _shoot(page, f"calendar-month-{language}-{width}")
        page.goto("/activities/calendar/?view=week&date=2026-12-22")
        assert page.get_by_test_id("calendar-title").is_visible()
        page_width = page.evaluate("document.documentElement.scrollWidth")
        assert page_width <= width, f"{width}: the week is {page_width} px wide"
        _shoot(page, f"calendar-week-{language}-{width}")
    page.goto("/activities/calendar/?view=week&date=9999-12-31")
    page.get_by_test_id("calendar-out-of-range").wait_for()
    _shoot(page, f"calendar-out-of-range-{language}")
    assert not page.console_errors

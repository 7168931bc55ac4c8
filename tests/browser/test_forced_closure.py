"""Forced closure in the browser (issue 22, item 2), with the demo data: molnar.david's meeting
of a week ago is still open, so the blocked user's only way out is closing it. Also the home
page's "no next event" panel with its take-away days, at desktop and phone size."""

import datetime

from django.utils import timezone
from django.utils.formats import date_format

from activities.discipline import take_away_day
from activities.models import Activity, Outcome
from crm.demo import DEMO_PASSWORD

from .conftest import log_in, screenshot

LOCKED = "molnar.david"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _try_elsewhere(page) -> None:
    """Another page, typed in or from the menu, leads back to the closing page."""
    for url in ("/partners/", "/activities/calendar/", "/activities/", "/"):
        page.goto(url)
        page.wait_for_url("**/activities/overdue/")
    assert page.get_by_test_id("shell-reminders").count() == 0


def test_the_blocked_user_can_do_nothing_else_but_close_the_meeting_successfully(page, demo):
    page.set_viewport_size(DESKTOP)
    log_in(page, LOCKED, DEMO_PASSWORD)
    page.wait_for_url("**/activities/overdue/")
    card = page.get_by_test_id("overdue-meetings").locator(".card").first
    screenshot(page, "forced-closure-desktop")
    _try_elsewhere(page)
    card.get_by_label("Sikeres").check()
    card.locator("textarea").fill("Megrendelést ígértek a jövő hétre.")
    card.locator("button[type=submit]").click()
    page.get_by_test_id("nothing-overdue").wait_for()
    closed = Activity.objects.get(owner__username=LOCKED, subject__startswith="Tárgyalás – ered")
    assert closed.outcome == Outcome.SUCCESSFUL
    # its follow-up, offered on the closing page
    offer = page.get_by_test_id("closed-follow-up")
    screenshot(page, "forced-closure-closed-desktop")
    offer.get_by_text("Hívás").click()
    page.wait_for_url("**/follow-up/**")
    start = timezone.localtime() + datetime.timedelta(days=2)
    form = page.get_by_test_id("activity-form")
    form.locator("[name=starts_at]").fill(start.strftime("%Y-%m-%dT%H:00"))
    form.locator("[data-testid=save]").click()
    page.wait_for_url("**/activities/*/")
    assert Activity.objects.filter(follows=closed).count() == 1
    # free again
    page.goto("/partners/")
    page.wait_for_url("**/partners/")
    assert not page.console_errors


def test_the_blocked_user_closes_the_meeting_unsuccessfully_on_a_phone_and_is_free(page, demo):
    page.set_viewport_size(PHONE)
    log_in(page, LOCKED, DEMO_PASSWORD)
    page.wait_for_url("**/activities/overdue/")
    screenshot(page, "forced-closure-phone")
    _try_elsewhere(page)
    card = page.get_by_test_id("overdue-meetings").locator(".card").first
    card.locator("button[type=submit]").click()  # no outcome: the browser refuses
    assert Activity.objects.filter(owner__username=LOCKED, kind="meeting", closed_at=None).exists()
    card.get_by_label("Sikertelen").check()
    card.locator("button[type=submit]").click()
    page.get_by_test_id("nothing-overdue").wait_for()
    closed = Activity.objects.get(owner__username=LOCKED, subject__startswith="Tárgyalás – ered")
    assert closed.outcome == Outcome.UNSUCCESSFUL
    page.goto("/partners/")
    page.wait_for_url("**/partners/")
    page.goto("/activities/calendar/")
    page.wait_for_url("**/activities/calendar/")
    # the meeting's partner has no next event now: listed on the home page with the day it is
    # taken away (a calendar month after today: the demo gave it to him today)
    page.goto("/")
    panel = page.locator("[data-panel=activities-no-next-event]")
    panel.wait_for()
    shown = date_format(take_away_day(timezone.localdate()), "SHORT_DATE_FORMAT")
    row = panel.locator("li", has_text=closed.partner.name)
    assert shown in row.get_by_test_id("take-away").inner_text()
    panel.scroll_into_view_if_needed()
    screenshot(page, "home-no-next-event-phone")
    page.set_viewport_size(DESKTOP)
    page.reload()
    panel.wait_for()
    screenshot(page, "home-no-next-event-desktop")
    assert not page.console_errors

"""The activity screens in the browser (issue 31, items 18, 19 and 22), with the demo data: a
manager lands on the team's activities; a rep records a meeting after the fact with its result
and is not locked out; the form shows the fields of the chosen type without a reload; the
closing page links the overdue meeting to its page. Screenshots at desktop and phone size."""

import datetime

from django.urls import reverse
from django.utils import timezone

from activities.discipline import must_close_first
from activities.models import Activity, ActivityType, Outcome
from crm.demo import DEMO_PASSWORD
from partners.models import Partner

from .conftest import log_in, screenshot

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MANAGER, REP, LOCKED = "nagy.peter", "kovacs.anna", "molnar.david"


def test_a_manager_lands_on_the_activities_of_the_team(page, demo):
    log_in(page, MANAGER, DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto("/activities/")
    table = page.get_by_test_id("activity-list")
    table.wait_for()
    assert page.locator("#f-handler").input_value() == "team"
    handlers = set(table.locator("tbody tr td:nth-child(6)").all_inner_texts())
    assert len(handlers) > 1 and "Kovács Anna" in handlers  # the team's, not only his own
    screenshot(page, "activities-list-manager-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "activities-list-manager-phone")
    # one of the team, then the whole team again, through the filter
    page.select_option("#f-handler", label="Kovács Anna")
    page.click("[data-testid=activity-filters] button[type=submit]")
    page.wait_for_url("**handler=*")
    shown = set(table.locator("tbody tr td:nth-child(6)").all_inner_texts())
    assert shown == {"Kovács Anna"}
    assert not page.console_errors


def _visible(page, name: str) -> bool:
    return page.locator(f"[data-activity-form] [name={name}]").first.is_visible()


def test_a_back_dated_meeting_is_recorded_closed_and_the_form_fits_each_type(page, demo):
    partner = Partner.objects.filter(owners__user__username=REP).order_by("name").first()
    types = {t.code: t for t in ActivityType.objects.filter(code__in=["meeting", "task", "letter"])}
    log_in(page, REP, DEMO_PASSWORD)
    page.wait_for_url("**/")
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(reverse("activities:create", args=[partner.pk]))
        form = page.get_by_test_id("activity-form")
        for code in ("task", "letter", "meeting"):  # switched in place, no reload
            form.locator("[name=type]").select_option(str(types[code].pk))
            screenshot(page, f"activity-form-{code}-{size}")
            if code == "meeting":
                assert _visible(page, "place") and _visible(page, "ends_at")
                assert not _visible(page, "task_name") and not _visible(page, "deadline")
            if code == "task":
                assert _visible(page, "task_name") and _visible(page, "deadline")
                assert not _visible(page, "place")
            if code == "letter":
                for name in ("place", "ends_at", "task_name", "deadline", "participants"):
                    assert not _visible(page, name), name
    # the participants' filter
    page.set_viewport_size(DESKTOP)
    box = page.get_by_test_id("participants")
    box.locator("input[type=search]").fill("nagy")
    assert box.get_by_label("Nagy Péter").is_visible()
    assert not box.get_by_label("Tóth Balázs").is_visible()
    box.get_by_label("Nagy Péter").check()
    # a meeting of last week, recorded now: the result part appears
    form = page.get_by_test_id("activity-form")
    result = page.get_by_test_id("result-part")
    assert not result.is_visible()
    held = timezone.localtime() - datetime.timedelta(days=6)
    form.locator("[name=subject]").fill("Bemutató a múlt héten")
    form.locator("[name=starts_at]").fill(held.strftime("%Y-%m-%dT10:00"))
    assert result.is_visible()
    screenshot(page, "activity-form-meeting-past-desktop")
    form.get_by_test_id("save").click()  # without the result: refused, said clearly
    page.get_by_test_id("outcome-error").wait_for()
    assert "eredmény" in page.get_by_test_id("outcome-error").inner_text()
    assert not Activity.objects.filter(subject="Bemutató a múlt héten").exists()
    screenshot(page, "activity-form-meeting-past-refused-desktop")
    result.get_by_label("Sikeres").check()
    result.locator("textarea").fill("Ajánlatot kérnek.")
    page.get_by_test_id("activity-form").get_by_test_id("save").click()
    page.get_by_test_id("activity-outcome").wait_for()
    meeting = Activity.objects.get(subject="Bemutató a múlt héten")
    assert meeting.outcome == Outcome.SUCCESSFUL and meeting.closed_at is not None
    assert not must_close_first(meeting.owner)
    page.goto("/partners/")  # not locked out
    page.wait_for_url("**/partners/")
    assert not page.console_errors


def test_the_closing_page_links_the_meeting_to_its_page(page, demo):
    log_in(page, LOCKED, DEMO_PASSWORD)
    page.wait_for_url("**/activities/overdue/")
    screenshot(page, "overdue-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "overdue-phone")
    page.set_viewport_size(DESKTOP)
    link = page.get_by_test_id("overdue-meeting-link").first
    subject = link.inner_text()
    link.click()
    page.wait_for_url("**/activities/*/")
    assert page.get_by_test_id("activity-subject").inner_text().strip() == subject
    page.get_by_test_id("result").get_by_label("Sikeres").check()
    page.get_by_test_id("result").get_by_test_id("close").click()
    page.get_by_test_id("nothing-overdue").wait_for()  # back on the closing page, free
    assert Activity.objects.get(subject=subject, owner__username=LOCKED).is_closed
    assert not page.console_errors

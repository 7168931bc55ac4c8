"""Tasks in the browser: a manager gives a task to a subordinate, who finds it in their list
and the mail about it in their outbox; a user writes an internal task (no partner), is told
when the title is missing, and finds it in their list and calendar. Desktop and phone."""

import datetime

from django.utils import timezone

from activities.models import Activity, ActivityType
from crm.demo import DEMO_PASSWORD
from crm.messaging.models import Message
from crm.models import User
from partners.models import PartnerOwner

from .conftest import log_in, screenshot

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _start(days: int = 2) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))


def _fits(page, width: int) -> None:
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= width, f"{width}: the page is {page_width} px wide"


def test_a_manager_gives_a_task_to_a_subordinate_who_sees_it_and_gets_the_mail(page, demo):
    anna = User.objects.get(username="kovacs.anna")
    partner = PartnerOwner.objects.filter(user=anna).select_related("partner").first().partner
    task_type = ActivityType.objects.get(code="task")
    log_in(page, "nagy.peter", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/activities/new/{partner.pk}/?type={task_type.pk}")
    handler = page.locator("select[name=owner]")
    offered = handler.locator("option").all_inner_texts()
    assert "Kovács Anna" in offered and "Nagy Péter" in offered
    assert "Farkas Judit" not in offered  # the other company's manager
    handler.select_option(label="Kovács Anna")
    page.fill("input[name=subject]", "Árajánlat összeállítása")
    page.fill("input[name=starts_at]", _start().strftime("%Y-%m-%dT%H:%M"))
    for size, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        _fits(page, size["width"])
        screenshot(page, f"task-handler-form-{name}")
    page.set_viewport_size(DESKTOP)
    page.get_by_test_id("save").click()
    page.get_by_test_id("given-by").wait_for()
    assert "Kovács Anna" in page.locator("main").inner_text()
    task = Activity.objects.get(subject="Árajánlat összeállítása")
    assert task.owner == anna and task.created_by.username == "nagy.peter"
    # the manager finds it among the tasks given to others
    page.goto("/activities/?given=1")
    assert "Árajánlat összeállítása" in page.get_by_test_id("activity-list").inner_text()
    screenshot(page, "task-given-list-desktop")

    page.context.clear_cookies()
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto("/activities/?kind=task")
    assert "Árajánlat összeállítása" in page.get_by_test_id("activity-list").inner_text()
    assert Message.objects.filter(recipient=anna.email, subject__contains="Árajánlat").exists()
    page.goto("/messages/")
    outbox = page.get_by_test_id("outbox").inner_text()
    assert "Új feladat: Árajánlat összeállítása" in outbox
    screenshot(page, "task-assigned-outbox")
    assert page.console_errors == []


def test_a_user_writes_an_internal_task_and_finds_it_in_the_list_and_calendar(page, demo):
    log_in(page, "toth.balazs", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto("/activities/")
    page.get_by_test_id("new-internal-task").click()
    page.wait_for_url("**/activities/new/task/")
    assert page.get_by_test_id("internal-task").is_visible()
    assert page.locator("select[name=contact]").count() == 0
    start = _start(3)
    page.fill("input[name=starts_at]", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("textarea[name=description]", "A negyedéves számok, táblázatban")
    page.get_by_test_id("save").click()  # no title
    error = page.locator(".invalid-feedback, .alert-danger").all_inner_texts()
    assert any("Adjon címet a belső feladatnak" in text for text in error), error
    assert page.input_value("textarea[name=description]") == "A negyedéves számok, táblázatban"
    for size, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        _fits(page, size["width"])
        screenshot(page, f"internal-task-form-error-{name}")
    page.set_viewport_size(DESKTOP)
    page.fill("input[name=subject]", "Negyedéves riport megírása")
    page.get_by_test_id("save").click()
    page.get_by_test_id("activity-subject").wait_for()
    assert "Belső feladat" in page.locator("main").inner_text()
    screenshot(page, "internal-task-detail")
    page.goto("/activities/?kind=task")
    for size, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        listed = page.get_by_test_id("activity-list").inner_text()
        assert "Negyedéves riport megírása" in listed and "Belső" in listed
        _fits(page, size["width"])
        screenshot(page, f"internal-task-list-{name}")
    page.set_viewport_size(DESKTOP)
    page.goto(f"/activities/calendar/?view=week&date={start.date().isoformat()}")
    page.get_by_role("link", name="Negyedéves riport megírása").first.wait_for()
    screenshot(page, "internal-task-calendar-week")
    page.set_viewport_size(PHONE)
    page.goto(f"/activities/calendar/?view=day&date={start.date().isoformat()}")
    assert "Negyedéves riport megírása" in page.locator("main").inner_text()
    screenshot(page, "internal-task-calendar-day-phone")
    assert page.console_errors == []

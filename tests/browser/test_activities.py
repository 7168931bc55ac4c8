"""Activities in the browser, with the demo data: forced closure of an old meeting, "my day",
planning a meeting from a partner's timeline, a follow-up, and the phone layout."""

import datetime

from django.utils import timezone

from activities.models import Activity, Outcome
from crm.demo import DEMO_PASSWORD
from partners.models import Partner

from .conftest import log_in, open_menu, screenshot


def test_an_unclosed_meeting_must_be_closed_first(page, demo):
    log_in(page, "molnar.david", DEMO_PASSWORD)
    page.wait_for_url("**/activities/overdue/")
    meetings = page.get_by_test_id("overdue-meetings")
    assert meetings.locator(".card").count() == 1
    screenshot(page, "activities-overdue")
    # The menu leads back here until the meeting is closed.
    open_menu(page, "Partnerek")
    page.wait_for_url("**/activities/overdue/")
    card = meetings.locator(".card").first
    card.locator("button[type=submit]").click()  # no outcome: the browser refuses
    assert Activity.objects.filter(owner__username="molnar.david", closed_at=None).count() >= 1
    card.get_by_label("Sikertelen").check()
    card.locator("textarea").fill("Nem jött el a beszerző.")
    card.locator("button[type=submit]").click()
    page.get_by_test_id("nothing-overdue").wait_for()
    closed = Activity.objects.get(subject__startswith="Tárgyalás – eredmény")
    assert closed.outcome == Outcome.UNSUCCESSFUL
    page.goto("/")
    page.get_by_test_id("panels").wait_for()
    assert page.locator("[data-panel=activities-no-next-event]").count() == 1
    screenshot(page, "my-day")
    assert not page.console_errors


def test_a_rep_plans_a_meeting_and_a_follow_up_from_the_timeline(page, demo):
    partner = Partner.objects.filter(owners__user__username="kovacs.anna").first()
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/partners/{partner.pk}/")
    page.locator("[data-tab=timeline]").click()
    page.get_by_test_id("tab-timeline").wait_for()
    page.get_by_test_id("plan-activity").click()
    page.wait_for_url("**/activities/new/**")
    form = page.get_by_test_id("activity-form")
    form.locator("[name=type]").select_option(label="Találkozó")
    form.locator("[name=subject]").fill("Bemutató <b>új</b> termékekről")
    start = (timezone.localtime() + datetime.timedelta(days=3)).replace(hour=10, minute=0)
    form.locator("[name=starts_at]").fill(start.strftime("%Y-%m-%dT%H:%M"))
    form.locator("[name=place]").fill(partner.address)
    screenshot(page, "activity-form")
    form.locator("[data-testid=save]").click()
    page.wait_for_url("**/activities/*/")
    assert page.get_by_test_id("activity-subject").inner_text().strip() == (
        "Bemutató <b>új</b> termékekről"
    )
    meeting = Activity.objects.get(subject__startswith="Bemutató")
    assert meeting.ends_at == meeting.starts_at + datetime.timedelta(hours=1)
    screenshot(page, "activity-detail")
    page.get_by_test_id("follow-ups").get_by_text("Hívás").click()
    page.wait_for_url("**/follow-up/**")
    assert page.locator("[name=subject]").input_value() == meeting.subject
    page.get_by_test_id("activity-form").locator("[data-testid=save]").click()
    page.wait_for_url("**/activities/*/")
    assert Activity.objects.filter(follows=meeting).count() == 1
    page.goto(f"/partners/{partner.pk}/?tab=timeline")
    assert page.get_by_test_id("timeline").get_by_text(meeting.subject).count() == 2
    screenshot(page, "partner-timeline")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    screenshot(page, "partner-timeline-phone")
    assert not page.console_errors


def test_calendar_drag_to_move_and_a_reminder_pops_up(page, demo):
    from activities.models import ActivityType
    from activities.services import activity_create
    from crm.models import User

    anna = User.objects.get(username="kovacs.anna")
    partner = Partner.objects.filter(owners__user=anna).first()
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(days=7)
    at = timezone.make_aware(datetime.datetime.combine(monday, datetime.time(9, 30)))
    meeting = activity_create(
        user=anna,
        activity=Activity(
            type=ActivityType.objects.get(code="meeting"),
            partner=partner,
            subject="Áthelyezendő találkozó",
            starts_at=at,
        ),
    )
    activity_create(
        user=anna,
        activity=Activity(
            type=ActivityType.objects.get(code="call"),
            partner=partner,
            subject="Sürgős visszahívás",
            starts_at=timezone.now() + datetime.timedelta(minutes=5),
        ),
    )
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    reminder = page.get_by_test_id("reminders")
    reminder.get_by_text("Sürgős visszahívás").wait_for()
    screenshot(page, "reminder-popup")
    reminder.get_by_test_id("dismiss").click()
    reminder.wait_for(state="detached")
    open_menu(page, "Naptár")
    page.wait_for_url("**/activities/calendar/")
    screenshot(page, "calendar-month")
    page.goto(f"/activities/calendar/?view=week&date={monday.isoformat()}")
    item = page.locator(f"[data-move-url='/activities/{meeting.pk}/move/']")
    wednesday = (monday + datetime.timedelta(days=2)).isoformat()
    item.drag_to(page.locator(f"[data-drop='{wednesday}']"))
    page.wait_for_load_state("load")
    page.locator(f"[data-drop='{wednesday}']").get_by_text("Áthelyezendő").wait_for()
    meeting.refresh_from_db()
    assert timezone.localtime(meeting.starts_at).date().isoformat() == wednesday
    assert timezone.localtime(meeting.starts_at).time() == datetime.time(9, 30)
    screenshot(page, "calendar-week")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    screenshot(page, "calendar-week-phone")
    assert not page.console_errors


def test_a_reminder_due_three_days_ago_pops_up_at_the_next_login_until_dismissed(page, demo):
    from activities.models import ActivityType
    from activities.services import activity_create
    from crm.models import User

    anna = User.objects.get(username="kovacs.anna")
    partner = Partner.objects.filter(owners__user=anna).first()
    now = timezone.now()
    calls = [("Elmaradt visszahívás", 3), ("Régebbi visszahívás", 10)]
    calls += [(f"Tegnapi hívás {n}", 1) for n in range(1, 6)]  # more than the five shown
    for subject, days in calls:
        activity_create(  # the call type reminds 10 minutes before: due `days` days ago
            user=anna,
            activity=Activity(
                type=ActivityType.objects.get(code="call"),
                partner=partner,
                subject=subject,
                starts_at=now - datetime.timedelta(days=days, minutes=-10),
            ),
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "kovacs.anna", DEMO_PASSWORD)
    page.wait_for_url("**/")
    reminders = page.get_by_test_id("reminders")
    three_days = reminders.locator("[data-reminder]", has_text="Elmaradt visszahívás")
    three_days.wait_for()
    assert reminders.get_by_text("Régebbi visszahívás").count() == 1
    assert reminders.locator("[data-reminder]").count() == 5  # the oldest five
    assert "Még 2 emlékeztető" in reminders.get_by_test_id("reminders-more").inner_text()
    started = timezone.localtime(now - datetime.timedelta(days=3, minutes=-10))
    assert started.strftime("%Y. %m. %d. %H:%M") in three_days.inner_text()
    screenshot(page, "reminder-old-popup")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    three_days.wait_for()
    screenshot(page, "reminder-old-popup-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    three_days.get_by_test_id("dismiss").click()
    three_days.wait_for(state="detached")
    # log out and in again: the dismissed one stays away, the other still waits
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Kijelentkezés").click()
    page.wait_for_url("**/accounts/login/**")
    with page.expect_response(lambda r: "/activities/reminders/" in r.url):
        log_in(page, "kovacs.anna", DEMO_PASSWORD)
    reminders.get_by_text("Régebbi visszahívás").wait_for()
    assert reminders.get_by_text("Elmaradt visszahívás").count() == 0
    assert not page.console_errors

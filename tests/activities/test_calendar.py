"""The calendar (month, week, day; moving by drag), the ICS feed and reminders."""

import datetime
import re

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import Activity, ActivityType, CalendarFeed
from activities.reminders import reminders_email
from crm.messaging.models import Message
from tests.partners.conftest import make_partner

from .test_activities import close, local, plan

pytestmark = pytest.mark.django_db

# A December ahead: a meeting already past would be overdue, and forced closure
# (activities/middleware.py) would send its handler to close it before anything else.
YEAR = timezone.localdate().year + 1


def test_month_week_and_day_views_show_the_activity_on_its_day(client, org):
    partner = make_partner(org.owner)
    day = datetime.date(YEAR, 12, 1)
    activity = plan(org.owner, partner, "meeting", subject="Évzáró", starts_at=local(day, 10))
    client.force_login(org.owner)
    url = reverse("activities:calendar")
    for view in ("month", "week", "day"):
        page = client.get(url, {"view": view, "date": f"{YEAR}-12-01"}).content.decode()
        assert "Évzáró" in page, view
    month = client.get(url, {"view": "month", "date": f"{YEAR}-12-15"}).content.decode()
    cell = month.split(f'data-date="{YEAR}-12-01"', 1)[1].split(f'data-date="{YEAR}-12-02"', 1)[0]
    assert reverse("activities:detail", args=[activity.pk]) in cell
    assert "Szenteste" in month  # 24 December, a public holiday, in Hungarian
    august = client.get(url, {"view": "month", "date": "2026-08-01"}).content.decode()
    saturday = august.split('data-date="2026-08-08"', 1)[1].split('data-date="2026-08-09"', 1)[0]
    assert "munkanap" in saturday  # the moved working Saturday
    # a bad date or view is no 500: this month's calendar
    assert client.get(url, {"view": "year", "date": "2026-13-45"}).status_code == 200


def test_a_manager_sees_a_subordinates_calendar_and_a_peer_does_not(client, org):
    partner = make_partner(org.owner)
    plan(
        org.owner,
        partner,
        "call",
        subject="Csak a csapatnak",
        starts_at=local(timezone.localdate(), 23),
    )
    url = reverse("activities:calendar") + f"?view=week&handler={org.owner.pk}"
    client.force_login(org.supervisor)
    assert "Csak a csapatnak" in client.get(url).content.decode()
    client.force_login(org.peer)
    assert "Csak a csapatnak" not in client.get(url).content.decode()
    client.force_login(org.outsider)
    assert client.get(url).status_code == 403


def test_moving_keeps_the_time_and_length_and_refuses_bad_moves(client, org):
    partner = make_partner(org.owner)
    meeting = plan(org.owner, partner, "meeting", starts_at=local(datetime.date(YEAR, 12, 1), 10))
    meeting.refresh_from_db()
    client.force_login(org.owner)
    move = reverse("activities:move", args=[meeting.pk])
    response = client.post(move, {"to": f"{YEAR}-12-03", "version": meeting.version})
    assert response.status_code == 204
    meeting.refresh_from_db()
    assert meeting.starts_at == local(datetime.date(YEAR, 12, 3), 10)
    assert meeting.ends_at == local(datetime.date(YEAR, 12, 3), 11)
    assert meeting.remind_at == meeting.starts_at - datetime.timedelta(minutes=30)
    response = client.post(move, {"to": f"{YEAR}-12-04T14:00", "version": meeting.version})
    meeting.refresh_from_db()
    assert meeting.starts_at == local(datetime.date(YEAR, 12, 4), 14)
    stale = client.post(move, {"to": f"{YEAR}-12-05", "version": meeting.version - 1})
    assert stale.status_code == 400 and stale.content
    assert client.post(move, {"to": "tegnap", "version": meeting.version}).status_code == 400
    client.force_login(org.peer)
    assert client.post(move, {"to": f"{YEAR}-12-05", "version": meeting.version}).status_code == 404
    close(meeting)
    client.force_login(org.owner)
    closed = client.post(move, {"to": f"{YEAR}-12-07", "version": meeting.version})
    assert closed.status_code == 400


def test_ics_feed_with_alarm_location_and_waze_and_a_wrong_token_is_404(client, org):
    partner = make_partner(org.owner, city="Szeged", postcode="6720", street="Kárász u. 1.")
    meeting = plan(org.owner, partner, "meeting", subject="Bemutató")
    plan(org.peer, make_partner(org.peer), "call", subject="Más hívása")
    client.force_login(org.owner)
    assert client.get(reverse("activities:feed")).status_code == 200
    token = CalendarFeed.objects.get(user=org.owner).token
    client.logout()  # a calendar app has no session
    response = client.get(reverse("activities:ics", args=[token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == [f"Bemutató – {partner.name}"]
    event = events[0]
    assert "Szeged" in str(event["location"])
    assert "waze.com/ul?q=" in str(event["description"])
    assert event["dtstart"].dt == meeting.starts_at.replace(microsecond=0)
    alarm = event.walk("VALARM")[0]
    assert alarm["trigger"].dt == datetime.timedelta(minutes=-30)
    assert client.get(reverse("activities:ics", args=["nem-jo"])).status_code == 404
    client.force_login(org.owner)
    client.post(reverse("activities:feed"))  # a new address: the old one stops working
    client.logout()
    assert client.get(reverse("activities:ics", args=[token])).status_code == 404


def test_due_reminder_pops_up_until_dismissed_or_snoozed(client, org):
    partner = make_partner(org.owner)
    soon = plan(
        org.owner,
        partner,
        "call",
        subject="Visszahívás",
        starts_at=timezone.now() + datetime.timedelta(minutes=5),
    )  # the call type reminds 10 minutes before: due now
    later = plan(org.owner, partner, "call", subject="Holnapi hívás")
    client.force_login(org.owner)
    home = client.get(reverse("home")).content.decode()
    assert reverse("activities:reminders") in home  # every page polls it
    panel = client.get(reverse("activities:reminders")).content.decode()
    assert "Visszahívás" in panel and later.subject not in panel
    snoozed = client.post(reverse("activities:reminder-snooze", args=[soon.pk]), {"minutes": 10})
    assert "Visszahívás" not in snoozed.content.decode()
    Activity.objects.filter(pk=soon.pk).update(
        reminder_snoozed_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert "Visszahívás" in client.get(reverse("activities:reminders")).content.decode()
    client.post(reverse("activities:reminder-dismiss", args=[soon.pk]))
    assert "Visszahívás" not in client.get(reverse("activities:reminders")).content.decode()
    # nobody else can dismiss one's reminder
    client.force_login(org.supervisor)
    assert client.post(reverse("activities:reminder-dismiss", args=[later.pk])).status_code == 404


def log_in(client, user) -> None:
    """A real login through the login form, as after a weekend away."""
    client.logout()
    response = client.post(
        reverse("login"), {"username": user.username, "password": "jelszo-Teszt-2026"}
    )
    assert response.status_code == 302, response.content.decode()[:500]


def test_a_reminder_that_fell_due_while_the_user_was_away_pops_up_at_their_next_login_however_old_until_dismissed(  # noqa: E501
    client, org
):
    partner = make_partner(org.owner)
    now = timezone.now()

    def call(subject, days_ago):  # the call type reminds 10 minutes before the start
        return plan(
            org.owner,
            partner,
            "call",
            subject=subject,
            starts_at=now - datetime.timedelta(days=days_ago) + datetime.timedelta(minutes=10),
        )

    three_days = call("Háromnapos visszahívás", 3)
    forty_days = call("Régi visszahívás", 40)
    closed = call("Lezárt hívás", 2)
    close(closed)  # closing it was dealing with it: no pop-up
    tomorrow = plan(org.owner, partner, "call", subject="Holnapi hívás")
    assert three_days.remind_at < now - datetime.timedelta(days=2)
    log_in(client, org.owner)
    home = client.get(reverse("home")).content.decode()
    assert reverse("activities:reminders") in home  # the page after login loads the pop-ups
    panel = client.get(reverse("activities:reminders"), HTTP_HX_REQUEST="true").content.decode()
    assert "Háromnapos visszahívás" in panel and "Régi visszahívás" in panel
    assert closed.subject not in panel and tomorrow.subject not in panel
    # an old one shows its date, not only its time
    when = timezone.localtime(three_days.starts_at).strftime("%Y. %m. %d. %H:%M")
    assert when in panel
    # dismissed: gone, also at the next login; the other waits until it is dismissed too
    client.post(reverse("activities:reminder-dismiss", args=[three_days.pk]))
    log_in(client, org.owner)
    panel = client.get(reverse("activities:reminders")).content.decode()
    assert "Háromnapos visszahívás" not in panel and "Régi visszahívás" in panel
    client.post(reverse("activities:reminder-dismiss", args=[forty_days.pk]))
    assert (
        'data-testid="reminders"'
        not in client.get(reverse("activities:reminders")).content.decode()
    )


def test_the_reminder_pop_ups_cost_the_same_queries_for_one_or_many_reminders(client, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    partner = make_partner(org.owner)
    client.force_login(org.owner)

    def due_call(days_ago):
        return plan(
            org.owner,
            partner,
            "call",
            subject=f"Hívás {days_ago}",
            starts_at=timezone.now() - datetime.timedelta(days=days_ago, minutes=-5),
        )

    due_call(1)
    client.get(reverse("activities:reminders"))  # warm the per-user caches
    with CaptureQueriesContext(connection) as one:
        panel = client.get(reverse("activities:reminders")).content.decode()
    assert panel.count("data-reminder=") == 1
    for days_ago in range(2, 32):
        due_call(days_ago)
    client.get(reverse("activities:reminders"))  # a write forgot the forced-closure answer
    with CaptureQueriesContext(connection) as many:
        panel = client.get(reverse("activities:reminders")).content.decode()
    assert panel.count("data-reminder=") == 5  # the oldest five, and how many more wait
    assert "Hívás 31" in panel and "Hívás 1<" not in panel
    assert re.search(r'data-testid="reminders-more">[^<]*\b26\b', panel)
    assert len(many) == len(one), [q["sql"][:150] for q in many.captured_queries]


def test_the_reminder_pop_up_renders_for_an_internal_task_without_a_partner():
    """Internal tasks (issue 22, item 5) have no partner: the pop-up shows them all the same."""
    from django.template.loader import render_to_string

    task = Activity(
        pk=4242,
        type=ActivityType(code="task", name_hu="Feladat", name_en="Task", kind="task"),
        subject="Negyedéves jelentés",
        starts_at=timezone.now() - datetime.timedelta(days=3),
    )
    html = render_to_string(
        "activities/partials/reminders.html",
        {"reminders": [task], "more": 0, "today": "", "snooze": (10,)},
    )
    assert "Negyedéves jelentés" in html and 'data-reminder="4242"' in html
    assert " · " not in html  # no empty partner after the subject


def test_reminder_email_goes_once_and_again_after_a_move(org):
    partner = make_partner(org.owner, city="Pécs", postcode="7621", street="Király u. 5.")
    call = plan(
        org.owner,
        partner,
        "call",
        subject="Ajánlat megbeszélése",
        starts_at=timezone.now() + datetime.timedelta(minutes=5),
    )
    assert reminders_email() == 1
    assert reminders_email() == 0
    message = Message.objects.get()
    assert message.recipient == "owner@example.hu"
    assert "Ajánlat megbeszélése" in message.subject
    assert "waze.com/ul?q=" in message.body_text and partner.name in message.body_text
    call.refresh_from_db()
    services.activity_move(
        user=org.owner,
        activity=call,
        starts_at=timezone.now() + datetime.timedelta(minutes=8),
        expected_version=call.version,
    )
    assert reminders_email() == 1
    assert Message.objects.count() == 2


def test_participants_see_the_activity_on_their_calendar_and_feed_but_cannot_move_it(client, org):
    partner = make_partner(org.owner)
    day = timezone.localdate() + datetime.timedelta(days=2)
    meeting = Activity(
        type=ActivityType.objects.get(code="meeting"),
        partner=partner,
        subject="Közös tárgyalás",
        starts_at=local(day, 10),
    )
    services.activity_create(user=org.owner, activity=meeting, participants=[org.peer])
    client.force_login(org.peer)
    assert client.get(reverse("activities:detail", args=[meeting.pk])).status_code == 200
    week = client.get(reverse("activities:calendar"), {"view": "week", "date": day.isoformat()})
    page = week.content.decode()
    assert "Közös tárgyalás" in page
    assert reverse("activities:move", args=[meeting.pk]) not in page  # not draggable
    move = client.post(
        reverse("activities:move", args=[meeting.pk]), {"to": day.isoformat(), "version": 1}
    )
    assert move.status_code == 404
    client.get(reverse("activities:feed"))
    feed = CalendarFeed.objects.get(user=org.peer)
    client.logout()
    assert (
        "Közös tárgyalás"
        in client.get(reverse("activities:ics", args=[feed.token])).content.decode()
    )
    # taken off the participants: the peer no longer sees it
    meeting.refresh_from_db()
    services.activity_update(
        user=org.owner, activity=meeting, expected_version=meeting.version, participants=[]
    )
    client.force_login(org.peer)
    assert client.get(reverse("activities:detail", args=[meeting.pk])).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"date": "0001-01-01"},
        {"date": "9999-12-31"},
        {"view": "week", "date": "9999-12-31"},
        {"view": "day", "date": "9999-12-31"},
        {"view": "week", "date": "0001-01-01"},
        {"view": "day", "date": "0001-01-01"},
        {"view": "month", "date": "1900-01-01"},
        {"view": "month", "date": "2999-12-31"},
        {"view": "week", "date": "2999-12-31"},
        {"view": "day", "date": "2999-12-31"},
        {"view": ["week", "day"], "date": ["x", "9999-12-31"]},
    ],
)
def test_any_date_gives_a_page_and_the_links_at_the_edges_stay_in_range(client, org, params):
    client.force_login(org.owner)
    response = client.get(reverse("activities:calendar"), params)
    assert response.status_code == 200
    page = response.content.decode()
    # every link the page offers opens too (previous, next, views, the days' own links)
    links = {
        href.replace("&amp;", "&")
        for href in re.findall(r'href="(\?[^"]*)"', page)
        if "date=" in href or "view=" in href
    }
    assert links
    for href in links:
        assert client.get(reverse("activities:calendar") + href).status_code == 200, href
    if params["date"] in ("0001-01-01", "9999-12-31"):
        assert "1900" in page and "2999" in page  # says why another date is shown


def test_previous_and_next_stop_at_the_first_and_last_shown_year(client, org):
    client.force_login(org.owner)
    url = reverse("activities:calendar")

    def steps(view: str, date: str) -> tuple[str | None, str | None]:
        page = client.get(url, {"view": view, "date": date}).content.decode()
        found = []
        for testid in ("calendar-previous", "calendar-next"):
            tag = page.split(f'data-testid="{testid}"', 1)[0].rsplit("<", 1)[1]
            link = re.search(r"date=([0-9-]+)", tag)
            found.append(link and link[1])
        return found[0], found[1]

    assert steps("month", "1900-01-15") == (None, "1900-02-01")
    assert steps("month", "2999-12-15") == ("2999-11-01", None)
    assert steps("day", "2999-12-31") == ("2999-12-30", None)
    assert steps("day", "1900-01-01") == (None, "1900-01-02")
    # the last week reaches past the year's end: it is shown, from its last day in range
    assert steps("week", "2999-12-24") == ("2999-12-17", "2999-12-31")
    assert steps("week", "2999-12-31")[1] is None


def test_the_month_title_and_day_numbers_follow_the_language(client, org):
    client.force_login(org.owner)
    url = reverse("activities:calendar")
    params = {"view": "month", "date": "2026-12-15"}
    hungarian = client.get(url, params, HTTP_ACCEPT_LANGUAGE="hu").content.decode()
    assert _title(hungarian) == "2026. december"
    assert _day_number(hungarian, "2026-12-24") == "24."
    client.cookies["crm_language"] = "en"
    english = client.get(url, params).content.decode()
    assert _title(english) == "December 2026"
    assert _day_number(english, "2026-12-24") == "24"


def test_the_weekday_header_uses_one_kind_of_abbreviation(client, org):
    client.force_login(org.owner)
    url = reverse("activities:calendar")
    for view in ("month", "week"):
        params = {"view": view, "date": "2026-12-15"}
        hungarian = client.get(url, params).content.decode()
        assert _heads(hungarian) == ["H", "K", "Sze", "Cs", "P", "Szo", "V"], view
    client.cookies["crm_language"] = "en"
    english = client.get(url, {"date": "2026-12-15"}).content.decode()
    assert _heads(english) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def test_the_top_bar_marks_only_the_current_pages_entry(client, org):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("menu.admin", "menu@example.hu", "x")
    client.force_login(admin)
    for path, expected in [
        (reverse("activities:calendar"), ["Naptár"]),
        (reverse("activities:mine"), ["Tevékenységek"]),
        (reverse("partners:import-upload"), ["Partnerek"]),
        (reverse("partners:contacts"), ["Kapcsolattartók"]),
        (reverse("partners:list"), ["Partnerek"]),
    ]:
        page = client.get(path).content.decode()
        menu = page.split('data-testid="app-menu"', 1)[1].split("</ul>", 1)[0]
        active = re.findall(r'class="nav-link active"[^>]*>\s*<i[^>]*></i>\s*([^<]+?)\s*</a>', menu)
        assert active == expected, path


def _title(page: str) -> str:
    return page.split('data-testid="calendar-title">', 1)[1].split("</h1>", 1)[0].strip()


def _day_number(page: str, iso: str) -> str:
    cell = page.split(f'data-date="{iso}"', 1)[1]
    return cell.split('class="crm-cal-date"><a', 1)[1].split(">", 1)[1].split("</a>", 1)[0]


def _heads(page: str) -> list[str]:
    return re.findall(r'<div class="crm-cal-head">([^<]*)</div>', page)

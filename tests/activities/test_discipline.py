"""Forced closure of meetings (issue 22, item 2) on Hungarian working days (2026 and 2027).
The next-event rule (item 3) is in test_next_event.py."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities.discipline import (
    block_moment,
    has_overdue_meetings,
    overdue_limit,
    overdue_meetings,
)
from activities.models import Activity, Outcome
from tests.partners.conftest import make_partner

from .test_activities import close, kind, plan

D = datetime.date
# The message of a close request for a meeting not (or not yet) to be closed (tests run in
# Hungarian).
NOT_OURS = "nem késésben lévő, vagy nem az Öné"


def at(day: D, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.mark.parametrize(
    ("ended", "blocks", "why"),
    [
        # the customer's example: Monday 10:00 -> Wednesday 10:00
        (at(D(2026, 11, 23), 10), at(D(2026, 11, 25), 10), "plain week"),
        # Thursday 31 December 2026 15:00: 1 January is a holiday, then the weekend
        (at(D(2026, 12, 31), 15), at(D(2027, 1, 5), 15), "new year"),
        # Saturday 8 August 2026 is a moved working day
        (at(D(2026, 8, 6), 14), at(D(2026, 8, 8), 14), "moved Saturday workday"),
        # 20 August (holiday) and Friday 21 August 2026 (moved day off)
        (at(D(2026, 8, 18), 11), at(D(2026, 8, 24), 11), "holiday and moved day off"),
        # Friday 2 January 2026 is a day off, Saturday 10 January a working day
        (at(D(2026, 1, 8), 9, 30), at(D(2026, 1, 10), 9, 30), "moved Saturday in January"),
        # Easter 2027: Good Friday 26 March and Easter Monday 29 March
        (at(D(2027, 3, 25), 16), at(D(2027, 3, 31), 16), "Easter 2027"),
        # a meeting on a day off counts from the start of the next working day
        (at(D(2026, 11, 21), 15), at(D(2026, 11, 25), 0), "Saturday meeting"),
    ],
)
def test_block_starts_two_working_days_after_the_meeting_at_the_same_time_of_day(
    ended, blocks, why
):
    assert block_moment(ended, 2) == blocks, why
    # the meetings that block at a moment are exactly those ended by its limit
    assert overdue_limit(blocks, 2) >= ended, why
    assert overdue_limit(blocks - datetime.timedelta(seconds=1), 2) < ended, why


def test_overdue_limit_is_the_inverse_of_the_block_moment_over_holidays_and_weekends():
    """Every hour of Christmas 2026 to mid-January 2027 against meetings ending every 5 hours
    (with a minute on top): a meeting blocks at a moment exactly when it ended by the limit."""
    start = at(D(2026, 12, 17), 0)
    ends = [start + datetime.timedelta(hours=5 * i, minutes=i % 2) for i in range(120)]
    for hour in range(0, 24 * 30, 1):
        now = start + datetime.timedelta(days=4, hours=hour)
        limit = overdue_limit(now, 2)
        for ended in ends:
            assert (block_moment(ended, 2) <= now) == (ended <= limit), (ended, now)


def _meeting(user, partner, ends_at: datetime.datetime, **fields) -> Activity:
    return plan(
        user,
        partner,
        "meeting",
        starts_at=ends_at - datetime.timedelta(hours=1),
        ends_at=ends_at,
        **fields,
    )


@pytest.mark.django_db
def test_a_meeting_ending_monday_10_blocks_from_wednesday_10_not_from_thursday(org):
    partner = make_partner(org.owner)
    monday = _meeting(org.owner, partner, at(D(2026, 11, 23), 10))
    _meeting(org.owner, partner, at(D(2026, 11, 23), 10, 30))
    assert list(overdue_meetings(org.owner, now=at(D(2026, 11, 25), 9, 59))) == []
    assert list(overdue_meetings(org.owner, now=at(D(2026, 11, 25), 10))) == [monday]
    assert has_overdue_meetings(org.owner, now=at(D(2026, 11, 25), 10))
    # Thursday 31 December 15:00 blocks on Tuesday 5 January 15:00
    new_year = _meeting(org.owner, partner, at(D(2026, 12, 31), 15))
    overdue = overdue_meetings(org.owner, now=at(D(2027, 1, 5), 14, 59))
    assert new_year not in overdue
    assert new_year in overdue_meetings(org.owner, now=at(D(2027, 1, 5), 15))


@pytest.mark.django_db
def test_cached_no_turns_into_yes_when_the_next_meeting_blocks_without_asking_again(org):
    partner = make_partner(org.owner)
    ends = at(D(2026, 11, 23), 10)
    _meeting(org.owner, partner, ends)
    before, blocks = ends + datetime.timedelta(days=1), at(D(2026, 11, 25), 10)
    assert not has_overdue_meetings(org.owner, now=before)  # asks, and keeps the moment
    with CaptureQueriesContext(connection) as queries:
        assert not has_overdue_meetings(org.owner, now=blocks - datetime.timedelta(seconds=1))
        assert has_overdue_meetings(org.owner, now=blocks)
    assert len(queries) == 0


def _ended(user, partner, days_more: int = 0, **fields) -> Activity:
    """A meeting that has just blocked its handler (a minute ago), or ``days_more`` calendar
    days earlier: any day of the year the tests run."""
    ends = overdue_limit(timezone.now()) - datetime.timedelta(minutes=1, days=days_more)
    return _meeting(user, partner, ends, **fields)


def _to_closing_page(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("activities:overdue")


@pytest.mark.django_db
def test_blocked_user_can_do_nothing_else_but_close_the_overdue_meeting(client, org):
    partner = make_partner(org.owner)
    late = _ended(org.owner, partner)
    ahead = plan(org.owner, partner, "call")
    client.force_login(org.owner)
    pages = [
        reverse("home"),
        reverse("partners:list"),
        reverse("activities:mine"),
        reverse("activities:calendar"),
        reverse("activities:detail", args=[ahead.pk]),  # its own page opens (issue 31)
        reverse("activities:edit", args=[late.pk]),
        reverse("activities:create", args=[partner.pk]),
        reverse("password_change"),
        "/media/anything.pdf",
        "/no-such-page/",
    ]
    for url in pages:
        assert _to_closing_page(client.get(url)), url
    assert _to_closing_page(client.post(reverse("switch_company"), {"company": 1}))
    # HTMX requests (the search box, the reminders every page polls) are sent there too
    for url in (reverse("activities:reminders"), reverse("search") + "?q=Kft"):
        htmx = client.get(url, HTTP_HX_REQUEST="true")
        assert htmx["HX-Redirect"] == reverse("activities:overdue"), url
    # what closing needs stays open: the closing page (without the polls), the language,
    # static files; and signing out
    page = client.get(reverse("activities:overdue"))
    assert page.status_code == 200
    html = page.content.decode()
    assert late.subject in html and "shell-reminders" not in html
    assert reverse("activities:close", args=[ahead.pk]) not in html
    assert "working days ago" in html or "munkanapja" in html
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    assert client.get("/static/js/htmx.min.js").status_code != 302
    # closing without an outcome is refused; the block stays
    client.post(
        reverse("activities:close", args=[late.pk]), {"version": late.version, "next": "overdue"}
    )
    assert _to_closing_page(client.get(reverse("partners:list")))
    response = client.post(
        reverse("activities:close", args=[late.pk]),
        {"outcome": Outcome.SUCCESSFUL, "version": late.version, "next": "overdue"},
    )
    assert response["Location"] == reverse("activities:overdue") + f"?closed={late.pk}"
    assert client.get(reverse("partners:list")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302


@pytest.mark.django_db
def test_forced_closure_request_for_another_meeting_gets_a_clear_message(client, org):
    partner = make_partner(org.owner)
    late = _ended(org.owner, partner, 1)
    not_yet = plan(org.owner, partner, "meeting")
    peers = _ended(org.peer, make_partner(org.peer, name="Társ Kft."), 5)
    client.force_login(org.owner)
    for other in (not_yet, peers):
        response = client.post(
            reverse("activities:close", args=[other.pk]),
            {"outcome": Outcome.SUCCESSFUL, "version": other.version, "next": "overdue"},
        )
        assert _to_closing_page(response), other
        assert NOT_OURS in client.get(response["Location"]).content.decode()
        other.refresh_from_db()
        assert other.closed_at is None
    # a follow-up of another activity neither
    call = kind("call")
    response = client.get(reverse("activities:follow-up", args=[not_yet.pk, call.pk]))
    assert _to_closing_page(response)
    # the peer's meeting, closed late by the peer: neither its follow-up nor its summary
    close(Activity.objects.get(pk=peers.pk), Outcome.SUCCESSFUL)
    response = client.get(reverse("activities:follow-up", args=[peers.pk, call.pk]))
    assert _to_closing_page(response)
    page = client.get(reverse("activities:overdue") + f"?closed={peers.pk}").content.decode()
    assert 'data-testid="closed-follow-up"' not in page and "Társ Kft." not in page
    assert client.get(reverse("activities:overdue") + "?closed=x").status_code == 200
    late.refresh_from_db()
    assert late.closed_at is None
    # not blocked (the supervisor has no such function): the same request is told the same
    client.force_login(org.supervisor)
    response = client.post(
        reverse("activities:close", args=[not_yet.pk]),
        {"outcome": Outcome.SUCCESSFUL, "version": not_yet.version, "next": "overdue"},
    )
    assert _to_closing_page(response)
    not_yet.refresh_from_db()
    assert not_yet.closed_at is None


@pytest.mark.django_db
def test_closing_unsuccessfully_offers_the_follow_up_while_another_meeting_still_blocks(
    client, org
):
    partner = make_partner(org.owner)
    first = _ended(org.owner, partner, 2, subject="Első tárgyalás")
    second = _ended(org.owner, partner, 1, subject="Második tárgyalás")
    client.force_login(org.owner)
    response = client.post(
        reverse("activities:close", args=[first.pk]),
        {"outcome": Outcome.UNSUCCESSFUL, "version": first.version, "next": "overdue"},
    )
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="closed-follow-up"' in page and "Második tárgyalás" in page
    call = kind("call")
    follow_up = reverse("activities:follow-up", args=[first.pk, call.pk])
    assert follow_up in page
    assert client.get(follow_up).status_code == 200  # its form, while the second still blocks
    start = timezone.localtime() + datetime.timedelta(days=2)
    response = client.post(
        follow_up,
        {
            "type": call.pk,
            "subject": "Új időpont egyeztetése",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "reminder_minutes": 15,
        },
    )
    assert _to_closing_page(response)
    assert Activity.objects.filter(follows=first, subject="Új időpont egyeztetése").exists()
    assert _to_closing_page(client.get(reverse("home")))
    close(Activity.objects.get(pk=second.pk), Outcome.CANCELLED)
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_close_meetings_within_is_configurable(client, org, settings):
    partner = make_partner(org.owner)
    ends = overdue_limit(timezone.now(), 1) - datetime.timedelta(minutes=1)
    _meeting(org.owner, partner, ends)
    client.force_login(org.owner)
    assert client.get(reverse("partners:list")).status_code == 200
    settings.ACTIVITIES_CLOSE_MEETINGS_WITHIN = 1
    assert _to_closing_page(client.get(reverse("partners:list")))


@pytest.mark.django_db
def test_a_user_without_the_function_is_never_stopped(client, org):
    _ended(org.supervisor, make_partner(org.supervisor), 10)
    client.force_login(org.supervisor)
    assert client.get(reverse("partners:list")).status_code == 200

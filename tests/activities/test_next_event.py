"""Next steps (issue 22, item 3): a partner is on its owner's "no next event" list from the
day it loses its last future event; that day is recorded; a calendar month later, still
without a next event, it goes to the owner's supervisor (or the pool), and both are told."""

import datetime

import pgtrigger
import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from activities import services
from activities.discipline import take_away_day
from activities.lapses import lapses_reconcile
from activities.models import Activity, NextEventLapse, Outcome
from crm.messaging.models import Message
from partners.models import PartnerOwner
from tests.partners.conftest import make_partner

from .test_activities import close, plan

pytestmark = pytest.mark.django_db
D = datetime.date


def at(day: D, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def owned_since(partner, day: D) -> None:
    """The owner got the partner on ``day`` (owner rows are never updated otherwise)."""
    with pgtrigger.ignore("partners.PartnerOwner:owner_rows_are_replaced"):
        PartnerOwner.objects.filter(partner=partner).update(created_at=at(day, 8))


def planned(user, partner, code="call", *, created, starts_at, **fields) -> Activity:
    """An activity planned on ``created`` (backdated) for ``starts_at``."""
    activity = plan(user, partner, code, starts_at=starts_at, **fields)
    Activity.objects.filter(pk=activity.pk).update(created_at=created)
    activity.refresh_from_db()
    return activity


def owners(partner) -> set[str]:
    return set(
        PartnerOwner.objects.filter(partner=partner).values_list("user__username", flat=True)
    )


def lapse(partner):
    return NextEventLapse.objects.filter(partner=partner).values_list("since", flat=True).first()


def _history_reason(partner):
    event = (
        apps.get_model("partners", "PartnerOwnerEvent")
        .objects.filter(partner_id=partner.pk, pgh_label="delete")
        .select_related("pgh_context")
        .get()
    )
    return event.pgh_context.metadata["reason"]


@pytest.mark.parametrize(
    ("listed", "taken"),
    [
        (D(2026, 12, 7), D(2027, 1, 7)),
        (D(2027, 1, 31), D(2027, 2, 28)),  # a calendar month, not 30 days
        (D(2028, 1, 30), D(2028, 2, 29)),
        (D(2027, 3, 31), D(2027, 4, 30)),
    ],
)
def test_take_away_day_is_one_calendar_month_after_the_partner_was_listed(listed, taken):
    assert take_away_day(listed) == taken


def test_partner_goes_to_the_supervisor_a_calendar_month_after_it_lost_its_last_future_event(
    client, org
):
    idle = make_partner(org.owner, name="Csendes Kft.")
    busy = make_partner(org.owner, name="Élénk Kft.")
    for partner in (idle, busy):
        owned_since(partner, D(2026, 1, 5))
    # its last future event: a call planned on 1 October for 15 October, never closed
    planned(org.owner, idle, created=at(D(2026, 10, 1), 9), starts_at=at(D(2026, 10, 15), 10))
    planned(org.owner, busy, created=at(D(2026, 10, 1), 9), starts_at=at(D(2026, 12, 20), 10))
    # 14 November, late evening: still the owner's (30 days would have taken it)
    assert services.idle_partners_release(now=at(D(2026, 11, 14), 23)) == 0
    assert lapse(idle) == D(2026, 10, 15) and lapse(busy) is None
    assert owners(idle) == {"owner"}
    # 15 November: a calendar month after 15 October
    assert services.idle_partners_release(now=at(D(2026, 11, 15), 0, 30)) == 1
    # the direct supervisors who belong to the company; the deactivated one is not
    assert owners(idle) == {"supervisor", "second_supervisor"}
    assert owners(busy) == {"owner"}
    reason = _history_reason(idle)
    assert "2026. 10. 15." in reason
    client.force_login(org.supervisor)
    history = client.get(reverse("partners:detail", args=[idle.pk]) + "?tab=history")
    assert reason in history.content.decode()
    told = set(Message.objects.values_list("recipient", flat=True))
    assert told == {"owner@example.hu", "supervisor@example.hu", "second_supervisor@example.hu"}
    assert "Csendes Kft." in Message.objects.first().subject
    # a second run does nothing more
    assert services.idle_partners_release(now=at(D(2026, 11, 15), 1)) == 0
    assert Message.objects.count() == 3


def test_an_activity_logged_after_the_fact_does_not_count_as_a_next_event(org):
    idle = make_partner(org.owner, name="Csendes Kft.")
    owned_since(idle, D(2026, 1, 5))
    planned(org.owner, idle, created=at(D(2026, 10, 1), 9), starts_at=at(D(2026, 10, 15), 10))
    # a call of 10 November logged on the 12th, and a meeting for December recorded closed
    logged = planned(
        org.owner, idle, created=at(D(2026, 11, 12), 9), starts_at=at(D(2026, 11, 10), 10)
    )
    closed = planned(
        org.owner, idle, "meeting", created=at(D(2026, 11, 12), 9), starts_at=at(D(2026, 12, 1), 9)
    )
    Activity.objects.filter(pk__in=[logged.pk, closed.pk]).update(
        closed_at=at(D(2026, 11, 12), 9), outcome=Outcome.SUCCESSFUL
    )
    assert services.idle_partners_release(now=at(D(2026, 11, 15), 0, 30)) == 1
    assert lapse(idle) == D(2026, 10, 15)
    assert owners(idle) == {"supervisor", "second_supervisor"}


def test_a_past_due_open_task_does_not_count_as_a_next_event(org):
    idle = make_partner(org.owner, name="Csendes Kft.")
    owned_since(idle, D(2026, 1, 5))
    # a task planned on 1 October, due 20 October, still open: a next event until then
    planned(
        org.owner,
        idle,
        "task",
        created=at(D(2026, 10, 1), 9),
        starts_at=at(D(2026, 10, 5), 9),
        deadline=D(2026, 10, 20),
    )
    assert services.idle_partners_release(now=at(D(2026, 11, 20), 12)) == 0
    assert lapse(idle) == D(2026, 10, 21)
    assert services.idle_partners_release(now=at(D(2026, 11, 21), 0, 30)) == 1
    assert owners(idle) == {"supervisor", "second_supervisor"}


def test_idle_partner_goes_to_the_pool_when_so_configured(org, settings):
    settings.ACTIVITIES_IDLE_PARTNER_TO = "pool"
    idle = make_partner(org.owner, name="Csendes Kft.")
    # the supervisor is no sales rep: partners they own are never taken
    kept = make_partner(org.supervisor, name="Vezetőé Kft.")
    for partner in (idle, kept):
        owned_since(partner, D(2026, 1, 5))
    # never had a next event: listed from the day the owner got it
    assert services.idle_partners_release(now=at(D(2026, 2, 4), 12)) == 0
    assert services.idle_partners_release(now=at(D(2026, 2, 5), 0, 30)) == 1
    assert not PartnerOwner.objects.filter(partner=idle).exists()
    assert PartnerOwner.objects.filter(partner=kept).exists()


def _panel(client) -> str:
    page = client.get(reverse("home")).content.decode()
    return page.split('data-testid="no-next-event"', 1)[1].split("</ul>", 1)[0]


def _shown(day: D) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def test_partner_is_listed_the_day_it_loses_its_last_future_event_with_its_take_away_date(
    client, org
):
    today = timezone.localdate()
    closing = make_partner(org.owner, name="Lezárt Kft.")
    deleting = make_partner(org.owner, name="Törölt Kft.")
    late_task = make_partner(org.owner, name="Határidős Kft.")
    planned_ahead = make_partner(org.owner, name="Tervezett Kft.")
    for partner in (closing, deleting, late_task, planned_ahead):
        owned_since(partner, D(2026, 1, 5))
    long_ago = timezone.now() - datetime.timedelta(days=90)
    # each had a call long ago, and a next event until today
    for partner in (closing, deleting):
        planned(org.owner, partner, created=long_ago, starts_at=long_ago)
    next_call = plan(org.owner, closing, "call")
    next_meeting = plan(org.owner, deleting, "meeting")
    due = today - datetime.timedelta(days=3)
    planned(
        org.owner,
        late_task,
        "task",
        created=long_ago,
        starts_at=at(due, 9) - datetime.timedelta(days=2),
        deadline=due,
    )
    plan(org.owner, planned_ahead, "call")
    client.force_login(org.owner)
    panel = _panel(client)
    assert "Határidős Kft." in panel and _shown(take_away_day(due + datetime.timedelta(1))) in panel
    assert "Lezárt" not in panel and "Törölt" not in panel
    # closing and deleting the last future event: listed today, taken a month later
    close(next_call, Outcome.SUCCESSFUL)
    services.activity_delete(user=org.owner, activity=next_meeting)
    assert lapse(closing) == today and lapse(deleting) == today
    panel = _panel(client)
    for name in ("Lezárt Kft.", "Törölt Kft."):
        row = panel.split(name, 1)[1].split("</li>", 1)[0]
        assert _shown(take_away_day(today)) in row, name
    assert "Tervezett" not in panel
    # planning a next event again takes it off the list and clears the recorded day
    plan(org.owner, closing, "meeting")
    assert lapse(closing) is None
    assert "Lezárt" not in _panel(client)
    # the nightly pass keeps the recorded days and finds nothing more to do the second time
    lapses_reconcile()
    assert lapse(deleting) == today and lapse(late_task) == due + datetime.timedelta(1)
    assert lapses_reconcile() == (0, 0)


def test_a_partner_given_to_the_owner_today_is_taken_a_month_after_today(client, org):
    make_partner(org.owner, name="Új Kft.")
    client.force_login(org.owner)
    panel = _panel(client)
    assert "Új Kft." in panel and _shown(take_away_day(timezone.localdate())) in panel


def test_no_next_event_panel_queries_do_not_grow_with_its_rows(client, org):
    make_partner(org.owner, name="Egy Kft.")
    client.force_login(org.owner)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("home"))
    long_ago = timezone.now() - datetime.timedelta(days=90)
    for index in range(12):
        partner = make_partner(org.owner, name=f"Tétlen {index:02d} Kft.")
        planned(org.owner, partner, created=long_ago, starts_at=long_ago)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as many:
        panel = client.get(reverse("home")).content.decode()
    assert panel.count('data-testid="take-away"') == 10
    assert len(many) == len(one), [q["sql"][:80] for q in many]


def test_more_than_ten_partners_without_a_next_event_link_to_the_whole_list(client, org):
    """The home panel's 'More than 10 …' leads to every such partner, with their days."""
    for index in range(12):
        make_partner(org.owner, name=f"Tétlen {index:02d} Kft.")
    outsider_partner = make_partner(org.peer, name="Másé Kft.")
    client.force_login(org.owner)
    home = client.get(reverse("home")).content.decode()
    url = reverse("activities:no-next-event")
    assert f'href="{url}"' in home and 'data-testid="no-next-event-all"' in home
    client.get(url)
    with CaptureQueriesContext(connection) as twelve:
        page = client.get(url).content.decode()
    assert page.count("Tétlen ") == 12 and outsider_partner.name not in page
    client.force_login(org.peer)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert outsider_partner.name in client.get(url).content.decode()
    assert len(twelve) == len(one)

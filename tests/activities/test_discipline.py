"""Forced closure of meetings and next steps, on Hungarian working days (2026 and 2027)."""

import datetime

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.discipline import last_overdue_end_day, overdue_meetings
from activities.models import Outcome
from crm.messaging.models import Message
from crm.workdays import add_working_days
from partners.models import PartnerOwner
from tests.partners.conftest import make_partner

from .test_activities import close, local, plan

D = datetime.date


@pytest.mark.parametrize(
    ("today", "last_overdue", "why"),
    [
        # an ordinary week: on Wednesday, Sunday's meeting is overdue (Monday and Tuesday were
        # its two working days), Monday's not yet
        (D(2026, 11, 25), D(2026, 11, 22), "plain week"),
        # Saturday 8 August 2026 is a moved working day: Thursday's meeting is overdue on Monday
        (D(2026, 8, 10), D(2026, 8, 6), "moved Saturday workday"),
        # 20 August (holiday) and Friday 21 August 2026 (moved day off): on Monday 24,
        # Tuesday 18's meeting still has Wednesday 19 and Monday 24
        (D(2026, 8, 24), D(2026, 8, 17), "holiday and moved day off"),
        # Friday 2 January 2026 is a day off, Saturday 10 January a working day
        (D(2026, 1, 5), D(2025, 12, 29), "new year"),
        (D(2026, 1, 12), D(2026, 1, 8), "moved Saturday in January"),
        # Easter 2027: Good Friday 26 March and Easter Monday 29 March
        (D(2027, 3, 31), D(2027, 3, 24), "Easter 2027"),
        # Pentecost Monday 17 May 2027
        (D(2027, 5, 19), D(2027, 5, 13), "Pentecost 2027"),
        # Christmas 2027: Friday 24 December is a day off, so on Tuesday 28 the meeting of
        # Thursday 23 still has Monday 27 and Tuesday 28
        (D(2027, 12, 28), D(2027, 12, 22), "Christmas 2027"),
    ],
)
def test_last_overdue_end_day_counts_hungarian_working_days(today, last_overdue, why):
    assert last_overdue_end_day(today, 2) == last_overdue, why
    # the next day is not overdue yet: exactly two working days have passed, or fewer
    assert add_working_days(last_overdue + datetime.timedelta(days=1), 2) >= today, why
    assert add_working_days(last_overdue, 2) < today, why


def _meeting_ended(user, partner, working_days_ago: int):
    day = add_working_days(timezone.localdate(), -working_days_ago)
    return plan(user, partner, "meeting", starts_at=local(day, 9))


@pytest.mark.django_db
def test_overdue_meeting_locks_the_crm_until_it_is_closed(client, org):
    partner = make_partner(org.owner)
    late = _meeting_ended(org.owner, partner, 3)
    recent = _meeting_ended(org.owner, partner, 2)
    assert list(overdue_meetings(org.owner)) == [late]
    client.force_login(org.owner)
    for url in (reverse("partners:list"), reverse("home"), reverse("activities:mine")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse(
            "activities:overdue"
        ), url
    htmx = client.get(reverse("partners:list"), HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == reverse("activities:overdue")
    # the reminders every page polls still answer: a redirect would reload the page for ever
    poll = client.get(reverse("activities:reminders"), HTTP_HX_REQUEST="true")
    assert poll.status_code == 200 and "HX-Redirect" not in poll
    page = client.get(reverse("activities:overdue")).content.decode()
    assert late.subject in page
    assert reverse("activities:close", args=[recent.pk]) not in page
    # the reason is told on the page the user is sent to
    assert "working days ago" in page or "munkanapja" in page
    # closing without an outcome is refused; the lock stays
    client.post(
        reverse("activities:close", args=[late.pk]),
        {"version": late.version, "next": "overdue"},
    )
    assert client.get(reverse("partners:list")).status_code == 302
    response = client.post(
        reverse("activities:close", args=[late.pk]),
        {"outcome": Outcome.CANCELLED, "version": late.version, "next": "overdue"},
    )
    assert response["Location"] == reverse("activities:overdue")
    assert client.get(reverse("partners:list")).status_code == 200
    # a user without the function (the supervisor) is never stopped
    _meeting_ended(org.supervisor, partner, 10)
    client.force_login(org.supervisor)
    assert client.get(reverse("partners:list")).status_code == 200


@pytest.mark.django_db
def test_close_meetings_within_is_configurable(client, org, settings):
    partner = make_partner(org.owner)
    _meeting_ended(org.owner, partner, 2)
    client.force_login(org.owner)
    assert client.get(reverse("partners:list")).status_code == 200
    settings.ACTIVITIES_CLOSE_MEETINGS_WITHIN = 1
    assert client.get(reverse("partners:list")).status_code == 302


def _history_reason(partner):
    event = (
        apps.get_model("partners", "PartnerOwnerEvent")
        .objects.filter(partner_id=partner.pk, pgh_label="delete")
        .select_related("pgh_context")
        .get()
    )
    return event.pgh_context.metadata["reason"]


@pytest.mark.django_db
def test_idle_partner_goes_to_the_supervisor_and_both_are_told(client, org):
    idle = make_partner(org.owner, name="Csendes Kft.")
    busy = make_partner(org.owner, name="Élénk Kft.")
    recent = make_partner(org.owner, name="Friss Kft.")
    plan(org.owner, idle, "call", starts_at=timezone.now() - datetime.timedelta(days=3))
    ahead = timezone.now() + datetime.timedelta(days=40)
    close(plan(org.owner, busy, "meeting", starts_at=ahead), Outcome.CANCELLED)
    plan(org.owner, busy, "call", starts_at=timezone.now() + datetime.timedelta(days=35))
    later = timezone.now() + datetime.timedelta(days=31)
    # recent: an event 31 days from now - 20 days, inside the idle period
    plan(org.owner, recent, "call", starts_at=timezone.now() + datetime.timedelta(days=11))
    assert services.idle_partners_release(now=later) == 1
    owners = set(PartnerOwner.objects.filter(partner=idle).values_list("user__username", flat=True))
    # the direct supervisors who belong to the company; the deactivated one is not
    assert owners == {"supervisor", "second_supervisor"}
    assert PartnerOwner.objects.filter(partner=busy, user=org.owner).exists()
    assert PartnerOwner.objects.filter(partner=recent, user=org.owner).exists()
    reason = _history_reason(idle)
    assert "30" in reason
    # the partner's history tab tells who lost it and why
    client.force_login(org.supervisor)
    history = client.get(reverse("partners:detail", args=[idle.pk]) + "?tab=history")
    assert reason in history.content.decode()
    told = set(Message.objects.values_list("recipient", flat=True))
    assert told == {"owner@example.hu", "supervisor@example.hu", "second_supervisor@example.hu"}
    assert "Csendes Kft." in Message.objects.first().subject
    # a second run does nothing more
    assert services.idle_partners_release(now=later) == 0
    assert Message.objects.count() == 3


@pytest.mark.django_db
def test_idle_partner_goes_to_the_pool_when_so_configured(org, settings):
    settings.ACTIVITIES_IDLE_PARTNER_TO = "pool"
    idle = make_partner(org.owner, name="Csendes Kft.")
    # the supervisor is no sales rep: partners they own are never taken
    kept = make_partner(org.supervisor, name="Vezetőé Kft.")
    later = timezone.now() + datetime.timedelta(days=31)
    assert services.idle_partners_release(now=later) == 1
    assert not PartnerOwner.objects.filter(partner=idle).exists()
    assert PartnerOwner.objects.filter(partner=kept).exists()

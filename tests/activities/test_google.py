"""Google Calendar: the consent flow and the sync, with Google's own client libraries talking
to a local server that checks what they send (tests/activities/google_fake.py)."""

import datetime
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from activities import services
from activities.models import Activity, GoogleAccount, GoogleState, Outcome
from tests.partners.conftest import make_partner

from .google_fake import FakeGoogle
from .test_activities import close, plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def google(settings, monkeypatch):
    fake = FakeGoogle()
    base = fake.start()
    settings.GOOGLE_OAUTH_CLIENT_ID = "client-1.apps.example"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "secret-1"
    settings.GOOGLE_OAUTH_AUTH_URI = f"{base}/auth"
    settings.GOOGLE_OAUTH_TOKEN_URI = f"{base}/token"
    settings.GOOGLE_CALENDAR_API_ENDPOINT = f"{base}/calendar/v3/"
    settings.SITE_URL = "http://crm.example"
    # The fake's token endpoint is plain HTTP on loopback; oauthlib refuses that unless told.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    yield fake
    fake.stop()


def connect(user, *, expired: bool = False) -> GoogleAccount:
    expiry = "2020-01-01T00:00:00Z" if expired else "2099-01-01T00:00:00Z"
    credentials = {
        "token": "access-1",
        "refresh_token": "refresh-1",
        "client_id": "client-1.apps.example",
        "client_secret": "secret-1",
        "expiry": expiry,
        "scopes": ["https://www.googleapis.com/auth/calendar.events"],
    }
    return GoogleAccount.objects.create(user=user, credentials=json.dumps(credentials))


def test_connecting_goes_through_googles_consent_and_keeps_the_tokens(client, org, google):
    client.force_login(org.owner)
    response = client.post(reverse("activities:google-connect"))
    assert response.status_code == 302
    consent = urlsplit(response["Location"])
    query = parse_qs(consent.query)
    assert consent.path == "/auth"
    assert query["client_id"] == ["client-1.apps.example"]
    assert query["redirect_uri"] == ["http://crm.example/activities/google/callback/"]
    assert query["access_type"] == ["offline"]
    assert "calendar.events" in query["scope"][0]
    state = query["state"][0]
    # a forged answer (wrong state) is refused and saves nothing
    bad = client.get(reverse("activities:google-callback"), {"state": "x", "code": "good-code"})
    assert bad.status_code == 302 and not GoogleAccount.objects.exists()
    again = urlsplit(client.post(reverse("activities:google-connect"))["Location"])
    state = parse_qs(again.query)["state"][0]
    done = client.get(reverse("activities:google-callback"), {"state": state, "code": "good-code"})
    assert done.status_code == 302
    account = GoogleAccount.objects.get(user=org.owner)
    assert account.state == GoogleState.ACTIVE
    assert json.loads(account.credentials)["refresh_token"] == "refresh-1"
    exchange = [r for r in google.requests if r.path == "/token"][-1]
    assert exchange.body["code"] == "good-code"
    assert exchange.body["redirect_uri"] == "http://crm.example/activities/google/callback/"
    # the user said no at Google: told, nothing changes
    client.post(reverse("activities:google-connect"))
    denied = client.get(
        reverse("activities:google-callback"), {"error": "access_denied"}, follow=True
    )
    assert GoogleAccount.objects.get(user=org.owner).credentials == account.credentials
    assert denied.status_code == 200


def test_activities_are_created_moved_and_deleted_in_google_calendar(
    org, google, eager, django_capture_on_commit_callbacks
):
    connect(org.owner)
    partner = make_partner(org.owner, city="Győr", postcode="9021", street="Baross út 3.")
    with django_capture_on_commit_callbacks(execute=True):
        meeting = plan(org.owner, partner, "meeting", subject="Bemutató")
    (insert,) = google.calls("POST")
    assert insert.path == "/calendar/v3/calendars/primary/events"
    assert insert.headers["authorization"] == "Bearer access-1"
    body = insert.body
    assert body["summary"] == f"Bemutató – {partner.name}"
    assert body["location"] == partner.address and "Győr" in body["location"]
    assert body["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "popup", "minutes": 30}],
    }
    assert "waze.com/ul?q=" in body["description"]
    assert f"http://crm.example/activities/{meeting.pk}/" in body["description"]
    assert body["start"]["timeZone"] == "Europe/Budapest"
    meeting.refresh_from_db()
    assert meeting.google_event_id == "evt1"
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_move(
            user=org.owner,
            activity=meeting,
            starts_at=meeting.starts_at + datetime.timedelta(days=1),
            expected_version=meeting.version,
        )
    assert google.calls("PUT") == []  # never a whole-event update
    (update,) = google.calls("PATCH")
    assert update.path == "/calendar/v3/calendars/primary/events/evt1"
    moved = datetime.datetime.fromisoformat(update.body["start"]["dateTime"])
    assert moved == meeting.starts_at
    with django_capture_on_commit_callbacks(execute=True):
        close(meeting, Outcome.CANCELLED)
    (delete,) = google.calls("DELETE")
    assert delete.path == "/calendar/v3/calendars/primary/events/evt1"
    assert google.events == {}
    # a user without a connection: nothing is sent
    with django_capture_on_commit_callbacks(execute=True):
        plan(org.peer, make_partner(org.peer), "call")
    assert len(google.calls("POST")) == 1


def test_a_revoked_grant_stops_the_sync_and_the_user_is_told(
    client, org, google, eager, django_capture_on_commit_callbacks
):
    account = connect(org.owner, expired=True)
    google.revoked = True
    partner = make_partner(org.owner)
    with django_capture_on_commit_callbacks(execute=True):
        plan(org.owner, partner, "call", subject="Hívás")
    account.refresh_from_db()
    assert account.state == GoogleState.REVOKED
    assert "invalid_grant" in account.last_error
    assert google.calls("POST") == []  # the refresh was refused, no event call was made
    assert Activity.objects.get(subject="Hívás").google_event_id == ""
    refreshes = len(google.requests)
    with django_capture_on_commit_callbacks(execute=True):
        plan(org.owner, partner, "call", subject="Még egy hívás")
    assert len(google.requests) == refreshes  # the sync has stopped
    client.force_login(org.owner)
    banner = client.get(reverse("activities:reminders")).content.decode()
    assert 'data-testid="google-revoked"' in banner
    page = client.get(reverse("activities:google")).content.decode()
    assert 'data-testid="google-connect"' in page
    # an expired token is refreshed (not revoked): the new token is kept and used
    account.delete()
    connect(org.owner, expired=True)
    google.revoked = False
    with django_capture_on_commit_callbacks(execute=True):
        plan(org.owner, partner, "call", subject="Frissített token")
    (insert,) = google.calls("POST")
    stored = json.loads(GoogleAccount.objects.get(user=org.owner).credentials)["token"]
    assert insert.headers["authorization"] == f"Bearer {stored}" != "Bearer access-1"


def test_an_alarm_set_separately_in_google_survives_the_next_sync(
    org, google, eager, django_capture_on_commit_callbacks
):
    """The customer: "an alarm in Google that the user can set there". The CRM's reminder
    minutes are the alarm of a new event only; later syncs PATCH the CRM's own fields."""
    connect(org.owner)
    partner = make_partner(org.owner, city="Győr", postcode="9021", street="Baross út 3.")
    with django_capture_on_commit_callbacks(execute=True):
        meeting = plan(org.owner, partner, "meeting", subject="Bemutató", reminder_minutes=30)
    (insert,) = google.calls("POST")
    assert insert.body["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "popup", "minutes": 30}],
    }
    # the user sets their own alarm in Google Calendar
    theirs = {
        "useDefault": False,
        "overrides": [{"method": "email", "minutes": 1440}, {"method": "popup", "minutes": 5}],
    }
    google.set_reminders("evt1", theirs)
    # ... and then edits the activity in the CRM, its reminder minutes too
    meeting.refresh_from_db()
    meeting.subject = "Bemutató és ajánlat"
    meeting.place = "Szeged, Kárász u. 1."
    meeting.reminder_minutes = 60
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_update(user=org.owner, activity=meeting, expected_version=meeting.version)
    assert [r.method for r in google.requests if r.path != "/token"] == ["POST", "PATCH"]
    (patch,) = google.calls("PATCH")
    assert patch.path == "/calendar/v3/calendars/primary/events/evt1"
    assert "reminders" not in patch.body
    assert set(patch.body) == {
        "summary",
        "description",
        "start",
        "end",
        "location",
        "source",
        "extendedProperties",
    }
    assert patch.body["summary"] == f"Bemutató és ajánlat – {partner.name}"
    assert patch.body["location"] == "Szeged, Kárász u. 1."
    event = google.events["evt1"]
    assert event["reminders"] == theirs  # the alarm set in Google is unchanged
    assert event["summary"] == f"Bemutató és ajánlat – {partner.name}"
    assert event["location"] == "Szeged, Kárász u. 1."
    # a place removed in the CRM is removed in Google (null clears it in a patch)
    meeting.refresh_from_db()
    meeting.place = ""
    partner.street = partner.city = partner.postcode = ""
    partner.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_update(user=org.owner, activity=meeting, expected_version=meeting.version)
    assert google.calls("PATCH")[-1].body["location"] is None
    assert "location" not in google.events["evt1"]
    assert google.events["evt1"]["reminders"] == theirs
    # deleted in the CRM: deleted in Google, as before
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_delete(user=org.owner, activity=meeting)
    (delete,) = google.calls("DELETE")
    assert delete.path == "/calendar/v3/calendars/primary/events/evt1"
    assert google.events == {}


def test_an_event_deleted_in_google_is_created_again_with_the_crm_reminder(
    org, google, eager, django_capture_on_commit_callbacks
):
    connect(org.owner)
    partner = make_partner(org.owner)
    with django_capture_on_commit_callbacks(execute=True):
        call = plan(org.owner, partner, "call", subject="Visszahívás")
    google.events.clear()  # the user deleted it in Google
    call.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_move(
            user=org.owner,
            activity=call,
            starts_at=call.starts_at + datetime.timedelta(hours=2),
            expected_version=call.version,
        )
    assert [r.method for r in google.requests if r.path != "/token"] == ["POST", "PATCH", "POST"]
    again = google.calls("POST")[-1].body
    assert again["reminders"]["overrides"] == [
        {"method": "popup", "minutes": call.reminder_minutes}
    ]
    call.refresh_from_db()
    assert call.google_event_id == "evt2"


def test_an_internal_task_without_a_partner_goes_to_google_under_its_subject(settings):
    """Internal tasks (issue 22, item 5) have no partner: the event is built all the same."""
    from django.utils import timezone

    from activities.google import event_body
    from activities.models import ActivityType

    settings.SITE_URL = "http://crm.example"
    task = Activity(
        pk=77,
        type=ActivityType(code="task", name_hu="Feladat", name_en="Task", kind="task"),
        subject="Negyedéves jelentés",
        starts_at=timezone.now(),
        reminder_minutes=15,
    )
    body = event_body(task)
    assert body["summary"] == "Negyedéves jelentés"
    assert "location" not in body
    assert body["description"].endswith("http://crm.example/activities/77/")
    assert body["reminders"]["overrides"] == [{"method": "popup", "minutes": 15}]

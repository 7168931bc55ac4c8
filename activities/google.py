"""Google Calendar: a user connects their Google account (OAuth 2, web flow), and their
activities are created, updated and deleted in their Google calendar, with the partner's
address as the place, and a Waze link and the CRM page in the description.

The alarm is the user's to set in Google: a new event gets the activity's reminder minutes as
its alarm, and later syncs send only the fields the CRM owns (``event_fields``) with
``events.patch``, so an alarm changed in Google survives them.

The client is Google's own (google-api-python-client with its bundled discovery document,
google-auth-oauthlib for the consent flow). Where Google is reached is set by
``GOOGLE_OAUTH_AUTH_URI``, ``GOOGLE_OAUTH_TOKEN_URI`` and ``GOOGLE_CALENDAR_API_ENDPOINT``
(the API's base URL with its ``/calendar/v3/`` path), so tests and the demo point the real
client at a local server that speaks the same HTTP.

A revoked or expired grant (``invalid_grant``) ends the connection cleanly: the account is
marked revoked with the reason, no further calls are made, and the user is told on the next
page (``activities.reminders``) until they reconnect or disconnect.
"""

import json
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .calendar import waze_url
from .models import Activity, GoogleAccount, GoogleState, Outcome

logger = logging.getLogger(__name__)

SCOPES = ["https://www.googleapis.com/auth/calendar.events"]
TIME_ZONE = "Europe/Budapest"


def enabled() -> bool:
    return bool(settings.GOOGLE_OAUTH_CLIENT_ID and settings.GOOGLE_OAUTH_CLIENT_SECRET)


def redirect_uri() -> str:
    return settings.SITE_URL + reverse("activities:google-callback")


def flow(state: str | None = None):
    from google_auth_oauthlib.flow import Flow

    config = {
        "web": {
            "client_id": settings.GOOGLE_OAUTH_CLIENT_ID,
            "client_secret": settings.GOOGLE_OAUTH_CLIENT_SECRET,
            "auth_uri": settings.GOOGLE_OAUTH_AUTH_URI,
            "token_uri": settings.GOOGLE_OAUTH_TOKEN_URI,
            "redirect_uris": [redirect_uri()],
        }
    }
    return Flow.from_client_config(
        config,
        scopes=SCOPES,
        state=state,
        redirect_uri=redirect_uri(),
        autogenerate_code_verifier=False,
    )


def _credentials(account: GoogleAccount):
    """The stored tokens (as ``Credentials.to_json`` wrote them) against the configured token
    URI: ``from_authorized_user_info`` would always put Google's own there."""
    import datetime

    from google.oauth2.credentials import Credentials

    info = json.loads(account.credentials)
    expiry = None
    if info.get("expiry"):
        expiry = datetime.datetime.strptime(  # noqa: DTZ007 - google-auth keeps naive UTC
            info["expiry"].rstrip("Z").split(".")[0], "%Y-%m-%dT%H:%M:%S"
        )
    return Credentials(
        token=info.get("token"),
        refresh_token=info.get("refresh_token"),
        token_uri=settings.GOOGLE_OAUTH_TOKEN_URI,
        client_id=info.get("client_id") or settings.GOOGLE_OAUTH_CLIENT_ID,
        client_secret=info.get("client_secret") or settings.GOOGLE_OAUTH_CLIENT_SECRET,
        scopes=info.get("scopes") or SCOPES,
        expiry=expiry,
    )


def _service(credentials):
    from googleapiclient.discovery import build

    options = {}
    if settings.GOOGLE_CALENDAR_API_ENDPOINT:
        options["client_options"] = {"api_endpoint": settings.GOOGLE_CALENDAR_API_ENDPOINT}
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        **options,
    )


def event_fields(activity: Activity) -> dict:
    """The fields of the Google event that the CRM owns, sent on every sync: what, when, where,
    and the way back to the CRM. Not the alarm (``reminders``): the user may set that in
    Google, and a later sync must not take it away."""
    partner = activity.partner if activity.partner_id else None  # an internal task has none
    place = activity.where
    page = settings.SITE_URL + reverse("activities:detail", args=[activity.pk])
    lines = [f"{activity.type.name}: {partner.name}" if partner else activity.type.name]
    if activity.contact:
        lines.append(activity.contact.full_name)
    if activity.description:
        lines.append(activity.description)
    if place:
        lines.append(f"Waze: {waze_url(place)}")
    lines.append(page)
    end = activity.ends_at or activity.starts_at + timezone.timedelta(minutes=30)
    return {
        "summary": f"{activity.subject} – {partner.name}" if partner else activity.subject,
        "description": "\n".join(lines),
        "start": {"dateTime": activity.starts_at.isoformat(), "timeZone": TIME_ZONE},
        "end": {"dateTime": end.isoformat(), "timeZone": TIME_ZONE},
        # null clears a place removed in the CRM (patch semantics)
        "location": place or None,
        "source": {"title": "CRM", "url": page},
        "extendedProperties": {"private": {"crm_activity": str(activity.pk)}},
    }


def event_body(activity: Activity) -> dict:
    """A new event: the CRM's fields, and the activity's reminder minutes as its alarm (only
    here, as the default of a new event; from then on the alarm is the user's, in Google)."""
    body = {k: v for k, v in event_fields(activity).items() if v is not None}
    body["reminders"] = {"useDefault": False, "overrides": []}
    if activity.reminder_minutes is not None:
        body["reminders"]["overrides"] = [{"method": "popup", "minutes": activity.reminder_minutes}]
    return body


class Revoked(Exception):
    """The user's grant is gone: the connection was ended."""


def _revoke(account: GoogleAccount, reason: str) -> None:
    account.state = GoogleState.REVOKED
    account.last_error = reason[:500]
    account.save(update_fields=["state", "last_error", "updated_at"])
    logger.info("Google Calendar of user %s disconnected: %s", account.user_id, reason)


def _call(account: GoogleAccount, request_of):
    """Runs one API call with the account's credentials; saves refreshed tokens; turns a
    refused refresh into ``Revoked`` (after marking the account)."""
    from google.auth.exceptions import RefreshError

    credentials = _credentials(account)
    try:
        result = request_of(_service(credentials)).execute()
    except RefreshError as error:
        _revoke(account, str(error))
        raise Revoked(str(error)) from error
    if credentials.token and json.loads(account.credentials).get("token") != credentials.token:
        account.credentials = credentials.to_json()
        account.save(update_fields=["credentials", "updated_at"])
    return result


def sync(activity_id: int, *, user_id: int, event_id: str = "") -> str:
    """Brings the user's Google calendar in line with the activity: creates its event, patches
    the CRM's fields of it, or (when the activity was deleted or cancelled) deletes it.
    Returns what it did."""
    from googleapiclient.errors import HttpError

    account = GoogleAccount.objects.filter(user_id=user_id, state=GoogleState.ACTIVE).first()
    if account is None:
        return "not connected"
    activity = Activity.objects.filter(pk=activity_id, owner_id=user_id).with_related().first()
    calendar_id = account.calendar_id or "primary"
    event_id = activity.google_event_id if activity is not None else event_id
    try:
        if activity is None or activity.outcome == Outcome.CANCELLED:
            if not event_id:
                return "nothing"
            try:
                _call(
                    account, lambda s: s.events().delete(calendarId=calendar_id, eventId=event_id)
                )
            except HttpError as error:
                if error.resp.status not in (404, 410):
                    raise
            if activity is not None:
                Activity.objects.filter(pk=activity.pk).update(google_event_id="")
            return "deleted"
        if event_id:
            # PATCH with the CRM's fields only: whatever else the event has in Google (the
            # alarm the user set there, say) stays as it is.
            fields = event_fields(activity)
            try:
                _call(
                    account,
                    lambda s: s.events().patch(
                        calendarId=calendar_id, eventId=event_id, body=fields
                    ),
                )
                return "updated"
            except HttpError as error:
                if error.resp.status not in (404, 410):
                    raise
        body = event_body(activity)  # new, or deleted in Google: created again
        created = _call(account, lambda s: s.events().insert(calendarId=calendar_id, body=body))
        Activity.objects.filter(pk=activity.pk).update(google_event_id=created["id"])
        return "created"
    except Revoked:
        return "revoked"


def schedule_sync(activity: Activity, *, event_id: str = "") -> None:
    """After commit, a Celery task syncs the activity if its handler uses Google Calendar."""
    if not enabled():
        return
    if not GoogleAccount.objects.filter(
        user_id=activity.owner_id, state=GoogleState.ACTIVE
    ).exists():
        return
    from .tasks import google_sync

    pk, user_id = activity.pk, activity.owner_id
    transaction.on_commit(lambda: google_sync.delay(pk, user_id, event_id))

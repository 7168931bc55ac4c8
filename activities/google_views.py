"""The user's Google Calendar connection: connect (Google's consent page), the way back,
disconnect. Errors of the consent flow are told on the page; nothing is half-saved."""

import logging
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import google
from .models import GoogleAccount, GoogleState

logger = logging.getLogger(__name__)
SESSION_KEY = "activities_google_state"


@login_required
def page(request):
    account = GoogleAccount.objects.filter(user=request.user).first()
    return render(
        request,
        "activities/google.html",
        {"account": account, "enabled": google.enabled(), "states": GoogleState},
    )


@login_required
@require_POST
def connect(request):
    if not google.enabled():
        messages.error(request, _("Google Calendar is not set up on this server."))
        return redirect("activities:google")
    state = secrets.token_urlsafe(24)
    request.session[SESSION_KEY] = state
    url, _state = google.flow(state=state).authorization_url(
        access_type="offline", prompt="consent", include_granted_scopes="true"
    )
    return redirect(url)


@login_required
def callback(request):
    expected = request.session.pop(SESSION_KEY, None)
    if request.GET.get("error"):
        messages.warning(request, _("Google Calendar was not connected: you did not allow it."))
        return redirect("activities:google")
    if not expected or request.GET.get("state") != expected or not request.GET.get("code"):
        messages.error(request, _("The answer from Google was not valid; try connecting again."))
        return redirect("activities:google")
    flow = google.flow(state=expected)
    try:
        flow.fetch_token(code=request.GET["code"])
    except Exception as error:  # noqa: BLE001 - any failure of the token exchange is told
        logger.warning("Google token exchange failed for user %s: %s", request.user.pk, error)
        messages.error(
            request, _("Google did not confirm the connection; try again in a few minutes.")
        )
        return redirect("activities:google")
    GoogleAccount.objects.update_or_create(
        user=request.user,
        defaults={
            "credentials": flow.credentials.to_json(),
            "state": GoogleState.ACTIVE,
            "last_error": "",
        },
    )
    messages.success(
        request, _("Google Calendar connected: your activities from now on appear there.")
    )
    return redirect("activities:google")


@login_required
@require_POST
def disconnect(request):
    GoogleAccount.objects.filter(user=request.user).delete()
    messages.success(request, _("Google Calendar disconnected."))
    return redirect("activities:google")

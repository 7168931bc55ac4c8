"""Forced closure (issue 6, item 8; issue 22, item 2): "2 working days after the meeting, if
it is not yet closed, the system lets the user do nothing else but close this meeting".

A blocked user (``activities.discipline.must_close_first``) reaches only what closing the
overdue meetings needs: the closing page, the page of each of those meetings (linked from
the closing page; issue 31, item 19), the close action of those meetings (successfully,
unsuccessfully or cancelled), the follow-up form of a meeting closed there, signing out, the
language switch and static files. Everything else sends them to the closing page; a close
request for another meeting is refused there with a message. The public links that act for
nobody (health check, the tracking and unsubscribe links of mails) answer as for anybody.
"""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from .discipline import closed_under_block, must_close_first, overdue_meetings
from .models import Activity, Kind

ALLOWED_PREFIXES = (
    "/static/",
    "/i18n/",
    "/accounts/logout/",
    "/healthz",
    "/messages/o/",
    "/messages/u/",
    "/messages/sms/",
)


class ForcedClosureMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is None
            or request.path_info.startswith(ALLOWED_PREFIXES)
            or not must_close_first(user)
        ):
            return self.get_response(request)
        # The shell's polls (reminders) would only send the page to itself again.
        request.shell_polls_off = True
        verdict = self._verdict(request)
        if verdict is True:
            return self.get_response(request)
        if verdict:
            messages.error(request, verdict)
            return redirect("activities:overdue")
        return self._to_closing_page(request)

    @staticmethod
    def _verdict(request):
        """True for what closing needs, a message for a refused close or follow-up of another
        meeting, None for any other page."""
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        name, pk = match.view_name, match.kwargs.get("pk")
        if name == "activities:overdue":
            return True
        if name == "activities:detail":  # the page of a meeting to close, linked from there
            return overdue_meetings(request.user).filter(pk=pk).exists() or None
        if name == "activities:close":
            if overdue_meetings(request.user).filter(pk=pk).exists():
                return True
            return _(
                "Only the meetings listed here can be closed now; that one is not overdue or"
                " not yours."
            )
        if name == "activities:follow-up":
            meeting = Activity.objects.filter(pk=pk, owner=request.user, kind=Kind.MEETING).first()
            if meeting is not None and (
                closed_under_block(meeting) or overdue_meetings(request.user).filter(pk=pk).exists()
            ):
                return True
            return _("Close the meetings listed here first; then plan other follow-ups.")
        return None

    @staticmethod
    def _to_closing_page(request):
        url = reverse("activities:overdue")
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        messages.warning(
            request,
            _(
                "You have meetings that ended %(days)d working days ago or more and are not"
                " closed. Close them first; the rest of the CRM opens again after that."
            )
            % {"days": settings.ACTIVITIES_CLOSE_MEETINGS_WITHIN},
        )
        return redirect(url)

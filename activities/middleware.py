"""Forced closure (issue 6, item 8): a user who must close overdue meetings first is sent to
the closing page from every other page, until all are closed (``activities.discipline``)."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .discipline import must_close_first

# Pages that stay open: the closing page and the close action, signing out, the language,
# the health check, static files and the public links of mails.
ALLOWED_PREFIXES = (
    "/static/",
    "/media/",
    "/healthz",
    "/i18n/",
    "/accounts/logout/",
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
            user is not None
            and not request.path.startswith(ALLOWED_PREFIXES)
            and must_close_first(user)
            and not self._allowed(request)
        ):
            return self._to_closing_page(request)
        return self.get_response(request)

    @staticmethod
    def _allowed(request) -> bool:
        """The closing page itself, the close action of an activity, and the reminders that
        every page polls (redirecting those would reload the closing page for ever)."""
        base = reverse("activities:mine")
        path = request.path
        if path == reverse("activities:overdue"):
            return True
        if path.startswith(reverse("activities:reminders")):
            return True
        rest = path.removeprefix(base)
        return rest != path and rest.endswith("/close/") and rest[: -len("/close/")].isdigit()

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
                "You have meetings that ended more than %(days)d working days ago and are not"
                " closed. Close them first; the rest of the CRM opens again after that."
            )
            % {"days": settings.ACTIVITIES_CLOSE_MEETINGS_WITHIN},
        )
        return redirect(url)

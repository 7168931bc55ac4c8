"""The activities' panels of the home page ("my day"): today's activities, overdue tasks,
open activities ahead, and the partners without a future event. One or two queries each."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.panels import Panel, panels
from crm.scoping import current_company_id

from . import listing
from .discipline import partners_without_next_event
from .models import Activity, Kind

LIMIT = 10


def _listed(rows: list, empty) -> dict:
    return {"rows": rows[:LIMIT], "more": len(rows) > LIMIT, "empty": empty}


def _mine(request):
    return Activity.objects.visible_to(request.user).filter(owner=request.user).listed(people=False)


def _own_panel(request, panel: int) -> list | None:
    """A panel's rows from the one statement that reads all three (``listing.own_panels``),
    run once per request; None when the ORM queries must answer (records shared one by one)."""
    if not hasattr(request, "_own_activity_panels"):
        request._own_activity_panels = listing.own_panels(request.user, limit=LIMIT + 1)
    panels = request._own_activity_panels
    return None if panels is None else panels[panel]


def today_context(request) -> dict:
    rows = _own_panel(request, 1)
    if rows is None:
        start = timezone.make_aware(
            datetime.datetime.combine(timezone.localdate(), datetime.time.min)
        )
        rows = list(
            _mine(request)
            .filter(starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=1))
            .order_by("starts_at", "pk")[: LIMIT + 1]
        )
    return _listed(rows, _("Nothing planned for today."))


def overdue_tasks_context(request) -> dict:
    rows = _own_panel(request, 2)
    if rows is None:
        rows = list(
            _mine(request)
            .filter(kind=Kind.TASK, closed_at__isnull=True, deadline__lt=timezone.localdate())
            .order_by("deadline", "pk")[: LIMIT + 1]
        )
    return _listed(rows, _("No overdue task."))


def open_context(request) -> dict:
    rows = _own_panel(request, 3)
    if rows is None:
        rows = list(
            _mine(request)
            .open()
            .filter(starts_at__gte=timezone.now())
            .order_by("starts_at", "pk")[: LIMIT + 1]
        )
    return _listed(rows, _("No open activity ahead."))


def no_next_event_context(request) -> dict:
    company_id = current_company_id(request.user)
    if company_id is None:
        return {"partners": [], "count": 0, "limit": LIMIT}
    partners, count = partners_without_next_event(request.user, company_id, limit=LIMIT)
    return {"partners": partners, "count": count, "limit": LIMIT}


PANELS = [
    ("activities-today", _("Today's activities"), "activities.html", today_context),
    ("activities-overdue-tasks", _("Overdue tasks"), "activities.html", overdue_tasks_context),
    ("activities-open", _("Open activities ahead"), "activities.html", open_context),
    (
        "activities-no-next-event",
        _("Partners without a next event"),
        "no_next_event.html",
        no_next_event_context,
    ),
]


def register() -> None:
    for order, (key, title, template, context) in enumerate(PANELS, start=1):
        panels.register(
            Panel(
                key=key,
                title=title,
                template=f"activities/panels/{template}",
                context=context,
                order=order * 10,
                permission="activities.view_activity",
            )
        )

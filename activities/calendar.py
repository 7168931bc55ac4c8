"""The calendar: a month, week and day view of one's activities (a manager's: of a chosen
subordinate's too), with Hungarian holidays and moved working days; planned activities are
moved by dragging them to another day or hour; and the personal ICS feed a phone subscribes to.
"""

import datetime
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from crm import workdays
from crm.scoping import scope_for
from crm.versioning import Conflict

from . import services
from .models import Activity, CalendarFeed, Outcome
from .people import handler_choice

VIEWS = ("month", "week", "day")
DAY_HOURS = range(7, 20)  # the day view's hour rows; earlier and later ones join the edges
MAX_ITEMS = 600  # a month of a very busy person; beyond it the view says so
# The dates the calendar moves between: whole months, so that a month's grid and a week's
# seven days never step outside what ``datetime.date`` holds (years 1 to 9999).
FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)
# The grid's column heads, Monday first: one kind of abbreviation in each language (Django's
# own "D" format gives "hét, kedd, sze, csüt" in Hungarian, "hét" being "week" too).
WEEKDAY_HEADS = (
    pgettext_lazy("calendar column head", "Mon"),
    pgettext_lazy("calendar column head", "Tue"),
    pgettext_lazy("calendar column head", "Wed"),
    pgettext_lazy("calendar column head", "Thu"),
    pgettext_lazy("calendar column head", "Fri"),
    pgettext_lazy("calendar column head", "Sat"),
    pgettext_lazy("calendar column head", "Sun"),
)


def handled_or_attended(user_id: int) -> Q:
    """The activities a person handles or takes part in (their calendar)."""
    takes_part = Activity.participants.through.objects.filter(
        activity_id=OuterRef("pk"), user_id=user_id
    )
    return Q(owner_id=user_id) | Q(Exists(takes_part))


def waze_url(address: str) -> str:
    """A Waze navigation link to an address (Waze tells when to leave)."""
    return f"https://waze.com/ul?q={quote(address)}&navigate=yes"


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _span(view: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """[first, last) of the days shown: whole Monday-to-Sunday weeks for a month."""
    if view == "day":
        return day, day + datetime.timedelta(days=1)
    if view == "week":
        monday = day - datetime.timedelta(days=day.weekday())
        return monday, monday + datetime.timedelta(days=7)
    first = day.replace(day=1)
    start = first - datetime.timedelta(days=first.weekday())
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    end = following + datetime.timedelta(days=(7 - following.weekday()) % 7)
    return start, end


def _step(view: str, day: datetime.date, direction: int) -> datetime.date | None:
    """The day the previous or next page shows: None when none of its days is between
    FIRST_DAY and LAST_DAY; a week that straddles them opens at the edge."""
    if view == "day":
        target = first = last = day + datetime.timedelta(days=direction)
    elif view == "week":
        target = day + datetime.timedelta(days=7 * direction)
        first = target - datetime.timedelta(days=target.weekday())
        last = first + datetime.timedelta(days=6)
    else:
        month = day.year * 12 + day.month - 1 + direction
        target = first = datetime.date(month // 12, month % 12 + 1, 1)
        last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    if last < FIRST_DAY or first > LAST_DAY:
        return None
    return min(max(target, FIRST_DAY), LAST_DAY)


def _asked_day(raw: str) -> tuple[datetime.date, bool]:
    """The day the page is asked for, within FIRST_DAY and LAST_DAY; and whether it was moved
    there (the page says so). Not a date at all: today."""
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        return timezone.localdate(), False
    if FIRST_DAY <= day <= LAST_DAY:
        return day, False
    return min(max(day, FIRST_DAY), LAST_DAY), True


@login_required
def calendar(request):
    user = request.user
    if not user.has_perm("activities.view_activity"):
        raise PermissionDenied
    view = request.GET.get("view", "month")
    view = view if view in VIEWS else "month"
    day, out_of_range = _asked_day(request.GET.get("date", ""))
    handler_id, handlers = handler_choice(request)
    first, last = _span(view, day)
    rows = list(
        Activity.objects.visible_to(user)
        .filter(handled_or_attended(handler_id))
        .filter(starts_at__gte=_aware(first), starts_at__lt=_aware(last))
        .with_related()
        .order_by("starts_at", "pk")[: MAX_ITEMS + 1]
    )
    # Draggable: what the user may change (their own and their team's, not what they only
    # take part in); the move itself checks editable_by again.
    change = scope_for(user, Activity, "change")
    may_move = user.has_perm("activities.change_activity")
    by_day: dict[datetime.date, list] = {}
    for activity in rows[:MAX_ITEMS]:
        activity.movable = (
            may_move
            and not activity.is_closed
            and (
                change.everything
                or change.owner_ids is None
                or activity.owner_id in change.owner_ids
            )
        )
        by_day.setdefault(timezone.localdate(activity.starts_at), []).append(activity)
    today = timezone.localdate()
    days = []
    current = first
    while current < last:
        days.append(
            {
                "date": current,
                "iso": current.isoformat(),
                "in_range": FIRST_DAY <= current <= LAST_DAY,
                "working": workdays.is_working_day(current),
                "holiday": workdays.holiday_name(current),
                "other_month": view == "month" and current.month != day.month,
                "today": current == today,
                "items": by_day.get(current, []),
            }
        )
        current += datetime.timedelta(days=1)
    query = request.GET.copy()

    def link(**changes) -> str:
        params = query.copy()
        for key, value in changes.items():
            params[key] = value
        return "?" + params.urlencode()

    def step_link(direction: int) -> str | None:
        target = _step(view, day, direction)
        return None if target is None else link(date=target.isoformat())

    context = {
        "view": view,
        "day": day,
        "days": days,
        "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
        "too_many": len(rows) > MAX_ITEMS,
        "handlers": handlers,
        "handler_id": handler_id,
        "out_of_range": out_of_range,
        "first_day": FIRST_DAY,
        "last_day": LAST_DAY,
        "previous_url": step_link(-1),
        "next_url": step_link(1),
        "today_url": link(date=today.isoformat()),
        "view_urls": [(v, link(view=v, date=day.isoformat())) for v in VIEWS],
        "weekday_heads": WEEKDAY_HEADS,
    }
    if view == "day":
        context["hours"] = _hours(day, days[0]["items"])
    return render(request, "activities/calendar.html", context)


def _hours(day: datetime.date, items: list) -> list[dict]:
    slots = {hour: [] for hour in DAY_HOURS}
    for activity in items:
        hour = timezone.localtime(activity.starts_at).hour
        hour = min(max(hour, DAY_HOURS.start), DAY_HOURS.stop - 1)
        slots[hour].append(activity)
    return [
        {"hour": hour, "drop": f"{day.isoformat()}T{hour:02d}:00", "items": slots[hour]}
        for hour in DAY_HOURS
    ]


@login_required
@require_POST
def move(request, pk: int):
    """Moves a planned activity to another day (same time of day) or hour, keeping its length.
    Answers 204, or 400 with the reason in the user's language."""
    activity = get_object_or_404(Activity.objects.editable_by(request.user).with_related(), pk=pk)
    if not request.user.has_perm("activities.change_activity"):
        raise PermissionDenied
    target = request.POST.get("to", "")
    try:
        if "T" in target:
            starts_at = timezone.make_aware(datetime.datetime.fromisoformat(target))
        else:
            local = timezone.localtime(activity.starts_at)
            starts_at = timezone.make_aware(
                datetime.datetime.combine(datetime.date.fromisoformat(target), local.time())
            )
        version = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponseBadRequest(_("The new time is not valid."))
    try:
        services.activity_move(
            user=request.user, activity=activity, starts_at=starts_at, expected_version=version
        )
    except Conflict:
        return HttpResponseBadRequest(
            _("Somebody changed this activity meanwhile; the calendar shows it as it is now.")
        )
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    return HttpResponse(status=204)


# ------------------------------------------------------------------------------ ICS feed


@login_required
def feed_settings(request):
    """The personal feed's link (created on first visit) and a way to replace it."""
    feed, _created = CalendarFeed.objects.get_or_create(user=request.user)
    if request.method == "POST":
        feed.renew()
        return redirect("activities:feed")
    url = settings.SITE_URL + reverse("activities:ics", args=[feed.token])
    return render(
        request,
        "activities/feed.html",
        {"url": url, "webcal": "webcal://" + url.split("://", 1)[-1]},
    )


FEED_PAST_DAYS = 60
FEED_FUTURE_DAYS = 400


def ics(request, token: str):
    """The user's activities as an iCalendar feed, from two months back to a year ahead, with
    their reminders as alarms. A wrong token is a 404, like any page that does not exist."""
    from icalendar import Alarm, Calendar, Event

    feed = CalendarFeed.objects.filter(token=token).select_related("user").first()
    if feed is None or not feed.user.is_active:
        raise Http404
    now = timezone.now()
    rows = (
        Activity.objects.filter(handled_or_attended(feed.user.pk))
        .filter(
            starts_at__gte=now - datetime.timedelta(days=FEED_PAST_DAYS),
            starts_at__lt=now + datetime.timedelta(days=FEED_FUTURE_DAYS),
        )
        .exclude(outcome=Outcome.CANCELLED)
        .with_related()
        .order_by("starts_at", "pk")[:5000]
    )
    cal = Calendar()
    cal.add("prodid", "-//CRM//activities//HU")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"CRM – {feed.user}")
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "crm"
    for activity in rows:
        event = Event()
        event.add("uid", f"activity-{activity.pk}@{host}")
        event.add("dtstamp", activity.updated_at)
        event.add("dtstart", activity.starts_at)
        event.add("dtend", activity.ends_at or activity.starts_at + datetime.timedelta(minutes=30))
        partner = activity.partner  # None: an internal task
        event.add(
            "summary", f"{activity.subject} – {partner.name}" if partner else activity.subject
        )
        place = activity.where
        lines = [f"{activity.type.name}: {partner.name}" if partner else activity.type.name]
        if activity.contact:
            lines.append(activity.contact.full_name)
        if activity.description:
            lines.append(activity.description)
        page = settings.SITE_URL + reverse("activities:detail", args=[activity.pk])
        lines.append(page)
        if place:
            event.add("location", place)
            lines.append("Waze: " + waze_url(place))
        event.add("description", "\n".join(lines))
        event.add("url", page)
        event.add("status", "CONFIRMED")
        if activity.reminder_minutes is not None and not activity.is_closed:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", activity.subject)
            alarm.add("trigger", datetime.timedelta(minutes=-activity.reminder_minutes))
            event.add_component(alarm)
        cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="crm.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response

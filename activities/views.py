"""Activity screens: plan (from a partner or a contact, or as a follow-up; an internal task
without a partner), view, edit, close;
one's own activities and tasks (and the subordinates'); the closing page of forced closure;
the timeline tab of the partner page and section of the contact page."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import keyset
from crm.edits import add_errors, save_edit
from crm.scoping import current_company_id, get_visible_or_404
from crm.sections import activity_sections
from crm.versioning import Conflict
from partners.models import Contact, Partner

from . import listing, services
from .calendar import waze_url
from .discipline import closed_under_block, must_close_first, overdue_meetings
from .forms import ActivityForm, CloseForm, TimelineFilterForm
from .models import Activity, ActivityType, Kind, State
from .observations import ObservationForm
from .people import TEAM, list_handler_choice

PAGE_SIZE = 50
TIMELINE_SIZE = 30


def _plan(
    request, *, partner: Partner | None, types, initial: dict, follows: Activity | None = None
):
    form = ActivityForm(
        request.POST or None,
        initial=initial,
        user=request.user,
        partner=partner,
        types=types,
        company_id=current_company_id(request.user),
    )
    if request.method == "POST" and form.is_valid():
        activity = form.save(commit=False)
        plan = {
            "user": request.user,
            "activity": activity,
            "participants": form.cleaned_data["participants"],
            "follows": follows,
        }
        outcome = form.cleaned_data.get("outcome")
        try:
            if outcome:  # already over: recorded with its result, closed in the same step
                activity = services.activity_record(
                    **plan, outcome=outcome, result_notes=form.cleaned_data["result_notes"]
                )
            else:
                activity = services.activity_create(**plan)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, _("Activity recorded and closed.") if outcome else _("Activity saved.")
            )
            if follows is not None and must_close_first(request.user):
                return redirect("activities:overdue")  # forced closure: back to the rest
            return redirect("activities:detail", pk=activity.pk)
    return render(
        request,
        "activities/activity_form.html",
        {"form": form, "partner": partner, "follows": follows},
    )


@login_required
def activity_create(request, partner_pk: int):
    """A new activity with a partner the user sees; ``?contact=`` starts it from a contact."""
    if not request.user.has_perm("activities.add_activity"):
        raise PermissionDenied
    partner = get_visible_or_404(Partner, request.user, pk=partner_pk)
    types = ActivityType.objects.usable_by(request.user)
    initial = {"starts_at": _next_hour()}
    contact_id = request.GET.get("contact", "")
    if contact_id.isdigit() and partner.contacts.filter(pk=contact_id).exists():
        initial["contact"] = int(contact_id)
    type_id = request.GET.get("type", "")
    chosen = next((t for t in types if str(t.pk) == type_id), None)
    if chosen is not None:
        initial["type"] = chosen.pk
        initial["reminder_minutes"] = chosen.default_reminder_minutes
    return _plan(request, partner=partner, types=types, initial=initial)


@login_required
def internal_task_create(request):
    """A new internal task, with no partner: a task for the team, a report to write. Only
    the task types the user may use are offered; the handler may be somebody else."""
    if not request.user.has_perm("activities.add_activity"):
        raise PermissionDenied
    types = [t for t in ActivityType.objects.usable_by(request.user) if t.kind == Kind.TASK]
    if not types:
        raise PermissionDenied
    initial = {"starts_at": _next_hour(), "type": types[0].pk}
    return _plan(request, partner=None, types=types, initial=initial)


@login_required
def contact_activity_create(request, contact_pk: int):
    """Starts an activity from a contact: the partner is the contact's."""
    contact = get_visible_or_404(
        Contact.objects.select_related("partner"), request.user, pk=contact_pk
    )
    url = reverse("activities:create", args=[contact.partner_id]) + f"?contact={contact.pk}"
    return redirect(url)


@login_required
def activity_follow_up(request, pk: int, type_pk: int):
    """A follow-up: only the types allowed after this one, pre-filled from it."""
    if not request.user.has_perm("activities.add_activity"):
        raise PermissionDenied
    previous = get_visible_or_404(Activity.objects.with_related(), request.user, pk=pk)
    types = services.follow_up_types(user=request.user, activity=previous)
    chosen = next((t for t in types if t.pk == type_pk), None)
    if chosen is None:
        messages.error(
            request,
            _("That type cannot follow a %(type)s.") % {"type": previous.type.name},
        )
        return redirect("activities:detail", pk=pk)
    initial = services.follow_up_initial(activity=previous, activity_type=chosen)
    return _plan(request, partner=previous.partner, types=types, initial=initial, follows=previous)


def _next_hour():
    now = timezone.localtime()
    return now.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)


@login_required
def activity_detail(request, pk: int):
    user = request.user
    activity = get_visible_or_404(
        Activity.objects.with_related().select_related("task_name", "closed_by", "follows"),
        user,
        pk=pk,
    )
    may_edit = services.may_change(user, activity)
    place = activity.where  # none for an e-mail, a letter or a call
    return render(
        request,
        "activities/activity_detail.html",
        {
            "activity": activity,
            "participants": list(activity.participants.order_by("last_name", "first_name")),
            "followed_by": list(
                Activity.objects.visible_to(user)
                .filter(follows=activity)
                .select_related("type")
                .order_by("starts_at")[:20]
            ),
            "may_edit": may_edit,
            "observations": list(activity.observations.all())
            if activity.kind == Kind.MEETING
            else [],
            "observation_form": ObservationForm()
            if may_edit and activity.kind == Kind.MEETING
            else None,
            "place": place,
            "waze": waze_url(place) if place else "",
            "close_form": CloseForm(initial={"version": activity.version})
            if may_edit and not activity.is_closed
            else None,
            # a blocked handler closes it as on the closing page, and goes back there
            "close_next": "overdue" if must_close_first(user) else "",
            "follow_up_types": services.follow_up_types(user=user, activity=activity)
            if user.has_perm("activities.add_activity")
            else [],
            # what other apps show on the page (crm.sections.activity_sections)
            "sections": activity_sections.drawn(request, activity, "activity"),
        },
    )


def _editable(request, pk: int) -> Activity:
    activity = get_visible_or_404(Activity.objects.with_related(), request.user, pk=pk)
    if not services.may_change(request.user, activity):
        raise PermissionDenied
    return activity


@login_required
def activity_edit(request, pk: int):
    activity = _editable(request, pk)
    types = ActivityType.objects.usable_by(request.user)
    if activity.type not in types:
        types.append(activity.type)
    if activity.partner_id is None:  # an internal task stays a task
        types = [t for t in types if t.kind == Kind.TASK]
    form = ActivityForm(
        request.POST or None,
        instance=activity,
        user=request.user,
        partner=activity.partner,
        types=types,
        company_id=activity.company_id,
    )
    version = int(request.POST.get("version") or activity.version)
    if request.method == "POST" and form.is_valid():
        instance = form.save(commit=False)
        done, _conflict = save_edit(
            request,
            form,
            lambda: services.activity_update(
                user=request.user,
                activity=instance,
                expected_version=version,
                participants=form.cleaned_data["participants"],
            ),
            gone_url="activities:mine",
        )
        if done:
            return redirect("activities:detail", pk=pk) if done is True else done
    return render(
        request,
        "activities/activity_form.html",
        {"form": form, "partner": activity.partner, "activity": activity, "version": version},
    )


@login_required
@require_POST
def activity_close(request, pk: int):
    """Closes with an outcome; from the activity page or the closing page (``next``). From
    the closing page only the user's overdue meetings (in any of their companies); another
    one is refused with a message."""
    back = request.POST.get("next") == "overdue"
    if back:
        activity = (
            overdue_meetings(request.user).select_related("type").filter(pk=pk).first()
            if request.user.has_perm("activities.change_activity")
            else None
        )
        if activity is None:
            messages.error(
                request,
                _(
                    "Only the meetings listed here can be closed now; that one is not overdue"
                    " or not yours."
                ),
            )
            return redirect("activities:overdue")
    else:
        activity = _editable(request, pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.activity_close(
                user=request.user,
                activity=activity,
                outcome=form.cleaned_data["outcome"],
                result_notes=form.cleaned_data["result_notes"],
                expected_version=form.cleaned_data["version"],
            )
        except Conflict:
            messages.error(
                request,
                _("Somebody changed this activity meanwhile; check it and close it again."),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Activity closed."))
            if back:
                return redirect(reverse("activities:overdue") + f"?closed={pk}")
            return redirect("activities:detail", pk=pk)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("activities:overdue" if back else reverse("activities:detail", args=[pk]))


@login_required
def overdue(request):
    """The closing page: the user's meetings that must be closed before anything else, and,
    after one was closed here (``?closed=``), the follow-ups it may have."""
    meetings = list(overdue_meetings(request.user).select_related("partner", "contact", "type"))
    forms = [(m, CloseForm(initial={"version": m.version}, prefix=f"m{m.pk}")) for m in meetings]
    closed, closed_pk = None, request.GET.get("closed", "")
    if closed_pk.isdigit():
        closed = (
            Activity.objects.filter(pk=closed_pk, owner=request.user, kind=Kind.MEETING)
            .select_related("type", "partner")
            .first()
        )
        if closed is not None and not closed_under_block(closed):
            closed = None
    follow_ups = (
        services.follow_up_types(user=request.user, activity=closed)
        if closed is not None and request.user.has_perm("activities.add_activity")
        else []
    )
    return render(
        request,
        "activities/overdue.html",
        {
            "meetings": forms,
            "closed": closed,
            "follow_ups": follow_ups,
            "close_within": settings.ACTIVITIES_CLOSE_MEETINGS_WITHIN,
        },
    )


@login_required
def my_activities(request):
    """The activities the user sees, by handler ("me and my team": all of them; the default
    of managers and "see all" users), state and kind, newest planned first, in keyset pages."""
    user = request.user
    if not user.has_perm("activities.view_activity"):
        raise PermissionDenied
    handler_id, handlers = list_handler_choice(request)
    state = request.GET.get("state", "")
    kind = request.GET.get("kind", "")
    # "given": the tasks the user gave to others (and still sees), instead of a handler's.
    given = request.GET.get("given") == "1"
    queryset = Activity.objects.visible_to(user)
    if given:
        queryset = queryset.filter(created_by=user, kind=Kind.TASK).exclude(owner=user)
    elif handler_id != TEAM:
        queryset = queryset.filter(owner_id=handler_id)
    elif user.is_superuser and current_company_id(user) is not None:
        # everything, but of one company at a time like everybody else's list (and in the
        # order of the company's index by start)
        queryset = queryset.filter(company_id=current_company_id(user))
    if state in State.values:
        queryset = queryset.in_state(state)
    if kind in Kind.values:
        queryset = queryset.filter(kind=kind)
    rows, next_url = _page(request, queryset, PAGE_SIZE)
    return render(
        request,
        "activities/activity_list.html",
        {
            "rows": rows,
            "next_url": next_url,
            "handlers": handlers,
            "handler_id": handler_id,
            "given": given,
            "can_plan_task": user.has_perm("activities.add_activity"),
            "state": state,
            "kind": kind,
            "states": State.choices,
            "kinds": Kind.choices,
        },
    )


def _page(request, queryset, size: int) -> tuple[list, str]:
    """One keyset page of activities, newest planned first, and the link to the next one."""
    rows, cursor = keyset.page(
        queryset,
        order=["-starts_at", "-id"],
        after=request.GET.get("after", ""),
        size=size,
        rows=Activity.objects.listed(),
    )
    return rows, _next_url(request, cursor)


def _next_url(request, cursor: str | None) -> str:
    if not cursor:
        return ""
    query = request.GET.copy()
    query.pop("after", None)
    return f"?{query.urlencode()}&after={cursor}"


# ----------------------------------------------------------------- timeline on other pages


def timeline_context(request, record) -> dict:
    """The activities of a partner (or of a contact), newest first, with the filters of the
    request: one page of ``TIMELINE_SIZE`` and a link to the next."""
    user = request.user
    on_contact = isinstance(record, Contact)
    partner = record.partner if on_contact else record
    form = TimelineFilterForm(request.GET or None, user=user)
    filters = form.cleaned_data if form.is_valid() else {}
    # Unfiltered (the tab as it opens, and its older pages): one prepared statement.
    page = None
    if not (filters.get("type") or filters.get("state")):
        page = listing.timeline_page(
            user,
            partner_id=partner.pk,
            contact_id=record.pk if on_contact else None,
            after=request.GET.get("after", ""),
            size=TIMELINE_SIZE,
        )
    if page is None:  # filtered, or records shared one by one: the ORM's query
        queryset = Activity.objects.visible_to(user).filter(
            **({"contact": record} if on_contact else {"partner": record})
        )
        if filters.get("type"):
            queryset = queryset.filter(type=filters["type"])
        if filters.get("state"):
            queryset = queryset.in_state(filters["state"])
        rows, next_url = _page(request, queryset, TIMELINE_SIZE)
    else:
        rows, next_url = page[0], _next_url(request, page[1])
    return {
        "activities": rows,
        "timeline_form": form,
        "timeline_next": next_url,
        "can_plan": user.has_perm("activities.add_activity"),
        "plan_url": reverse("activities:create", args=[partner.pk])
        + (f"?contact={record.pk}" if on_contact else ""),
    }

"""Write operations on activities: plan, change, close, follow up."""

import datetime

import pghistory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from crm.hierarchy import managers_of
from crm.messaging.services import message_queue
from crm.models import Company, Membership
from crm.scoping import reaches_as_for_viewing
from crm.versioning import save_versioned
from partners.models import Partner, PartnerOwner
from partners.services import acting_company

from . import assignment, google
from .discipline import forget_overdue, idle_owner_rows
from .lapses import is_future_event, lapse_follow, lapses_reconcile
from .models import KIND_FIELDS, Activity, ActivityType, Kind, Outcome

PLAN_FIELDS = [
    "type",
    "owner",
    "kind",
    "contact",
    "subject",
    "task_name",
    "starts_at",
    "ends_at",
    "deadline",
    "place",
    "description",
    "reminder_minutes",
]
RESULT_FIELDS = ["outcome", "result_notes"]


def _check_type(*, user, activity: Activity, follows: Activity | None) -> None:
    activity_type = activity.type
    if not activity_type.active or not activity_type.usable_by(user):
        raise ValidationError({"type": _("You cannot use this activity type.")})
    if follows is not None and not follows.type.follow_ups.filter(pk=activity_type.pk).exists():
        raise ValidationError(
            {
                "type": _("A %(type)s cannot follow a %(previous)s.")
                % {"type": activity_type.name, "previous": follows.type.name}
            }
        )


def _prepare_plan(activity: Activity) -> None:
    """Type-dependent defaults: a meeting lasts an hour unless told, a task is due on its
    start day unless told, and the reminder is the type's default."""
    activity.kind = activity.type.kind
    if activity.kind == Kind.MEETING and activity.ends_at is None and activity.starts_at:
        activity.ends_at = activity.starts_at + datetime.timedelta(hours=1)
    if activity.kind == Kind.TASK and activity.deadline is None and activity.starts_at:
        activity.deadline = timezone.localdate(activity.starts_at)
    if (
        activity.reminder_minutes is None
        and activity.pk is None
        and "reminder_minutes" in KIND_FIELDS[activity.kind]  # not a letter or an e-mail
    ):
        activity.reminder_minutes = activity.type.default_reminder_minutes


def _set_participants(activity: Activity, participants) -> None:
    """The participants, and their right to see the activity: an object grant (the fourth
    part of the scoping, DESIGN.md section 4), so it shows on their calendar and feed too."""
    wanted = {user.pk: user for user in participants}
    before = set(activity.participants.values_list("pk", flat=True))
    activity.participants.set(wanted.values())
    for user in wanted.values():
        if user.pk not in before:
            assign_perm("activities.view_activity", user, activity)
    gone = get_user_model().objects.filter(pk__in=before - set(wanted))
    for user in gone:
        remove_perm("activities.view_activity", user, activity)


def _changed(activity: Activity, *, was_future: bool = False) -> None:
    """After a write: the handler's Google calendar follows (after commit), the cached
    answer of forced closure is asked again (updates through ``save_versioned`` send no
    signals), and the partner's "no next event" day follows (``activities.lapses``:
    ``was_future`` says the activity was a next event before the write)."""
    google.schedule_sync(activity)
    lapse_follow(
        partner_id=activity.partner_id, company_id=activity.company_id, was_future=was_future
    )
    forget_overdue(activity.owner_id)
    transaction.on_commit(lambda: forget_overdue(activity.owner_id))


def activity_create(
    *, user, activity: Activity, participants=(), follows: Activity | None = None
) -> Activity:
    """Plans an activity of ``user`` in the user's current company: with a partner the user
    sees, or (a task only) internal, without one. The handler is the user unless
    ``activity.owner`` names another one they may give a task to (``activities.assignment``);
    that handler is told by e-mail."""
    if activity.partner_id is not None and (
        not Partner.objects.visible_to(user).filter(pk=activity.partner_id).exists()
    ):
        raise PermissionDenied
    _check_type(user=user, activity=activity, follows=follows)
    activity.company = acting_company(user)
    if activity.owner_id is None:
        activity.owner = user
    activity.created_by = user
    activity.follows = follows
    _prepare_plan(activity)
    assignment.check_handler(
        user=user,
        handler=activity.owner,
        company_id=activity.company.pk,
        previous_id=None,
    )
    activity.full_clean()
    with transaction.atomic():
        activity.save()
        if participants:
            _set_participants(activity, participants)
        assignment.handed_over(user=user, activity=activity, previous_id=None)
        _changed(activity)
    return activity


def activity_record(
    *,
    user,
    activity: Activity,
    outcome: str,
    result_notes: str = "",
    participants=(),
    follows: Activity | None = None,
) -> Activity:
    """Records an activity that has already taken place (a meeting logged after the fact):
    planned and closed with its result in one transaction, so it never waits open, and a
    back-dated meeting never blocks its handler (forced closure)."""
    with transaction.atomic():
        activity = activity_create(
            user=user, activity=activity, participants=participants, follows=follows
        )
        return activity_close(
            user=user,
            activity=activity,
            outcome=outcome,
            result_notes=result_notes,
            expected_version=activity.version,
        )


def may_change(user, activity: Activity) -> bool:
    """Whether ``user`` may change (and close) the activity: the change function, reach by
    the scoping (``editable_by``), and for a closed one "change closed activities"."""
    if not user.has_perm("activities.change_activity"):
        return False
    if activity.is_closed and not user.has_perm("activities.edit_closed_activity"):
        return False
    return (
        reaches_as_for_viewing(user, Activity, "change")
        or Activity.objects.editable_by(user).filter(pk=activity.pk).exists()
    )


def _check_open(*, user, activity: Activity) -> None:
    if activity.is_closed and not user.has_perm("activities.edit_closed_activity"):
        raise ValidationError(_("The activity is closed; it cannot be changed any more."))


def activity_update(
    *, user, activity: Activity, expected_version: int, participants=None
) -> Activity:
    """Saves the plan (and, on a closed activity, the result) if nobody saved in between
    (else ``crm.versioning.Conflict``). Closed activities only for those allowed."""
    _check_open(user=user, activity=activity)
    stored = Activity.objects.filter(pk=activity.pk).first()
    was_future = stored is not None and is_future_event(stored)
    if not activity.type.usable_by(user):
        raise ValidationError({"type": _("You cannot use this activity type.")})
    _prepare_plan(activity)
    previous = (
        {"owner_id": stored.owner_id, "google_event_id": stored.google_event_id}
        if stored is not None
        else {"owner_id": activity.owner_id, "google_event_id": ""}
    )
    previous_id = previous["owner_id"]
    assignment.check_handler(
        user=user,
        handler=activity.owner,
        company_id=activity.company_id,
        previous_id=previous_id,
    )
    activity.full_clean()
    fields = PLAN_FIELDS + (RESULT_FIELDS if activity.is_closed else [])
    fields += activity.set_reminder()
    if activity.owner_id != previous_id:
        # The new handler's calendar gets a new event; the previous handler's loses theirs.
        activity.google_event_id = ""
        fields.append("google_event_id")
    with transaction.atomic():
        save_versioned(activity, expected_version=expected_version, fields=fields)
        if participants is not None:
            _set_participants(activity, participants)
        if activity.owner_id != previous_id:
            assignment.handed_over(user=user, activity=activity, previous_id=previous_id)
            _left_hands(activity.pk, previous_id, previous["google_event_id"])
        _changed(activity, was_future=was_future)
    return activity


def _left_hands(activity_id: int, previous_id: int, event_id: str) -> None:
    """A task that changed hands leaves its previous handler's Google calendar and their
    forced-closure answer is asked again."""
    forget_overdue(previous_id)
    if event_id and google.enabled():
        from .tasks import google_sync

        transaction.on_commit(lambda: google_sync.delay(activity_id, previous_id, event_id))


def activity_move(
    *, user, activity: Activity, starts_at: datetime.datetime, expected_version: int
) -> Activity:
    """Moves a planned activity (dragged in the calendar) keeping its length; a task's
    deadline moves by as many days."""
    _check_open(user=user, activity=activity)
    if activity.is_closed:
        raise ValidationError(_("A closed activity cannot be moved."))
    was_future = is_future_event(activity)
    shift = starts_at - activity.starts_at
    activity.starts_at = starts_at
    if activity.ends_at:
        activity.ends_at += shift
    if activity.deadline:
        days = (timezone.localdate(starts_at) - timezone.localdate(starts_at - shift)).days
        activity.deadline += datetime.timedelta(days=days)
    activity.full_clean()
    save_versioned(
        activity,
        expected_version=expected_version,
        fields=["starts_at", "ends_at", "deadline", *activity.set_reminder()],
    )
    _changed(activity, was_future=was_future)
    return activity


def activity_close(
    *, user, activity: Activity, outcome: str, result_notes: str, expected_version: int
) -> Activity:
    """Records the result and closes the activity: successfully, unsuccessfully or
    cancelled. An outcome is required."""
    if activity.is_closed:
        raise ValidationError(_("The activity is already closed."))
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome to close the activity.")})
    was_future = is_future_event(activity)
    activity.outcome = outcome
    activity.result_notes = result_notes.strip()
    activity.closed_at = timezone.now()
    activity.closed_by = user
    save_versioned(
        activity,
        expected_version=expected_version,
        fields=["outcome", "result_notes", "closed_at", "closed_by"],
    )
    _changed(activity, was_future=was_future)  # a cancelled one leaves the Google calendar
    return activity


def activity_delete(*, user, activity: Activity) -> None:
    """Deletes an activity (and its event in the handler's Google calendar)."""
    with transaction.atomic():
        google.schedule_sync(activity, event_id=activity.google_event_id)
        was_future = is_future_event(activity)
        partner_id, company_id = activity.partner_id, activity.company_id
        activity.delete()
        lapse_follow(partner_id=partner_id, company_id=company_id, was_future=was_future)


def follow_up_types(*, user, activity: Activity) -> list[ActivityType]:
    """The types that may follow ``activity``, of those the user may use (after an internal
    task: tasks only, as there is no partner)."""
    return [
        t
        for t in activity.type.follow_ups.filter(active=True).select_related(
            "function__content_type"
        )
        if t.usable_by(user) and (activity.partner_id is not None or t.kind == Kind.TASK)
    ]


def follow_up_initial(*, activity: Activity, activity_type: ActivityType) -> dict:
    """The form's initial values of a follow-up: the same partner, contact, place and
    subject, starting the next hour."""
    start = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    start += datetime.timedelta(hours=1)
    return {
        "type": activity_type.pk,
        "contact": activity.contact_id,
        "subject": activity.subject,
        "place": activity.place,
        "starts_at": start,
        "reminder_minutes": activity_type.default_reminder_minutes,
    }


RELEASED_TEMPLATE = "activities-partner-released"


def idle_partners_release(*, now: datetime.datetime | None = None) -> int:
    """Takes from their owners the partners with no next event planned within a calendar
    month of the day they appeared on the owner's "no next event" list (first recorded by
    ``lapses_reconcile``): to the owner's direct supervisors (those who belong to the company)
    or, with ``ACTIVITIES_IDLE_PARTNER_TO=pool`` or no supervisor, to nobody. The owner and the
    new owners are told by e-mail; the partner's history records why. Safe to run twice: a
    released owner row no longer exists. Returns the rows released."""
    released = 0
    lapses_reconcile(now=now)
    today = timezone.localdate(now or timezone.now())
    for row_id, partner_id, company_id, _user, listed_on in idle_owner_rows(now=now):
        days = (today - listed_on).days
        with transaction.atomic():
            row = (
                PartnerOwner.objects.select_for_update(skip_locked=True)
                .filter(pk=row_id)
                .select_related("partner", "user")
                .first()
            )
            if row is None:
                continue
            owner = row.user
            heirs = []
            if settings.ACTIVITIES_IDLE_PARTNER_TO == "supervisor":
                members = set(
                    Membership.objects.filter(company_id=company_id).values_list(
                        "user_id", flat=True
                    )
                )
                heirs = [m for m in managers_of(owner) if m.pk in members]
            reason = _(
                "No next event planned within a month of %(day)s: taken from %(owner)s by the"
                " system."
            ) % {"day": date_format(listed_on, "SHORT_DATE_FORMAT"), "owner": owner}
            with pghistory.context(reason=reason):
                row.delete()
                present = set(
                    PartnerOwner.objects.filter(
                        partner_id=partner_id, company_id=company_id
                    ).values_list("user_id", flat=True)
                )
                PartnerOwner.objects.bulk_create(
                    [
                        PartnerOwner(
                            partner_id=partner_id,
                            company_id=company_id,
                            user=heir,
                            reason=reason[:200],
                        )
                        for heir in heirs
                        if heir.pk not in present
                    ]
                )
            company = Company.objects.get(pk=company_id)
            _tell_released(row=row, owner=owner, heirs=heirs, company=company, days=days)
            released += 1
    return released


def _tell_released(*, row, owner, heirs, company, days: int) -> None:
    """One e-mail to the owner and one to each new owner, through the outbox (sent after
    commit; a user without an address is skipped)."""
    url = settings.SITE_URL + reverse("partners:detail", args=[row.partner_id])
    for recipient in [owner, *heirs]:
        if not recipient.email:
            continue
        try:
            message_queue(
                channel="email",
                recipient=recipient.email,
                company=company,
                owner=recipient,
                template=RELEASED_TEMPLATE,
                context={
                    "partner": row.partner,
                    "previous_owner": owner,
                    "new_owners": heirs,
                    "recipient": recipient,
                    "days": days,
                    "url": url,
                },
                about=row.partner,
                idempotency_key=f"activities-released:{row.pk}:{recipient.pk}",
            )
        except ValidationError:
            continue  # a suppressed address: the history still tells

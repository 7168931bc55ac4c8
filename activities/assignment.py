"""Who a task may be given to, and what giving it does.

A task's handler (``Activity.owner``) is whoever its creator may assign to in the company the
task belongs to: themselves, a subordinate at any depth (``crm.hierarchy``), or, with the
function "assign tasks to any colleague" (``activities.assign_to_colleagues``), any active
member of the company. The handler is told by e-mail through the outbox when somebody else
gives them the task, and again when it is given to them later. A creator who gives a task to
someone outside their team keeps seeing it: an object grant (the scoping's fourth part,
DESIGN.md section 4), as participants get one.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import assign_perm

from crm.hierarchy import scope_owner_ids
from crm.messaging.services import message_queue

ASSIGN_TO_COLLEAGUES = "activities.assign_to_colleagues"
ASSIGNED_TEMPLATE = "activities-task-assigned"
NOT_ALLOWED = _("You may not assign tasks to this user.")
ONLY_TASKS = _("Only a task can be given to another handler.")


def assignable_users(user, company_id: int | None):
    """The users ``user`` may give a task to in the company ``company_id``, by name: active
    members of it who are the user, one of their subordinates, or (with the function) anyone."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, memberships__company_id=company_id)
        .order_by("last_name", "first_name", "username")
    )
    if company_id is None:
        return users.none()
    if not user.has_perm(ASSIGN_TO_COLLEAGUES):
        users = users.filter(pk__in=sorted(scope_owner_ids(user)))
    return users


def check_handler(*, user, handler, company_id: int, previous_id: int | None) -> None:
    """Raises a ``ValidationError`` on ``owner`` when ``user`` may not make ``handler`` the
    handler: only those ``assignable_users`` names. Keeping the handler an activity already
    has is always allowed. (The forms offer another handler for tasks only.)"""
    if handler.pk == previous_id or (previous_id is None and handler.pk == user.pk):
        return
    if not assignable_users(user, company_id).filter(pk=handler.pk).exists():
        raise ValidationError({"owner": NOT_ALLOWED})


def handed_over(*, user, activity, previous_id: int | None) -> None:
    """After an activity was given to a new handler by ``user`` (in the writing transaction):
    the user keeps seeing it if the handler is outside their team, and a task's handler is
    told."""
    if activity.owner_id == previous_id or activity.owner_id == user.pk:
        return
    from .models import Kind

    if activity.owner_id not in scope_owner_ids(user):
        assign_perm("activities.view_activity", user, activity)
    if activity.kind == Kind.TASK:
        _tell_handler(user=user, activity=activity)


def _tell_handler(*, user, activity) -> None:
    """One e-mail to the new handler through the outbox (sent after commit). A handler without
    an address, or with a suppressed one, is not told: the task is in their list anyway."""
    handler = activity.owner
    if not handler.email:
        return
    try:
        message_queue(
            channel="email",
            recipient=handler.email,
            company=activity.company,
            owner=handler,
            created_by=user,
            template=ASSIGNED_TEMPLATE,
            context={
                "activity": activity,
                "partner": activity.partner.name if activity.partner_id else "",
                "assigned_by": user,
                "recipient": handler,
                "start": timezone.localtime(activity.starts_at),
                "url": settings.SITE_URL + reverse("activities:detail", args=[activity.pk]),
            },
            about=activity,
            # once per hand-over: the version changes with every save
            idempotency_key=f"{ASSIGNED_TEMPLATE}:{activity.pk}:{handler.pk}:{activity.version}",
        )
    except ValidationError:
        return

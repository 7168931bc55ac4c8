"""The activity types, read on every page that lists or scopes activities: kept in the shared
cache (``crm.reference``), forgotten when an admin changes a type. (Which types may follow
which is read from the database when a follow-up is offered.)"""

from crm.reference import reference

from .models import ActivityType


@reference(ActivityType)
def activity_types() -> list[ActivityType]:
    """Every type, active or not, with its function's content type loaded (``usable_by``)."""
    return list(
        ActivityType.objects.select_related("function__content_type").order_by("order", "pk")
    )


def hidden_type_ids(user) -> list[int]:
    """The special types whose function ``user`` lacks: hidden from them everywhere
    (``ActivityQuerySet.visible_to``, ``listing.activity_reach``)."""
    if user.is_superuser:
        return []
    return [t.pk for t in activity_types() if t.function_id and not t.usable_by(user)]

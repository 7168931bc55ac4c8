"""Whose activities a page shows: the user's own, or (for a manager) a subordinate's."""

from django.contrib.auth import get_user_model

from crm.access import colleagues
from crm.hierarchy import scope_owner_ids


def handler_choice(request) -> tuple[int, list[tuple[int, str]]]:
    """The person whose calendar is shown (the user, or one of their subordinates) and the
    choice of people for a manager."""
    user = request.user
    people = sorted(scope_owner_ids(user))
    raw = request.GET.get("handler", "")
    handler_id = int(raw) if raw.isdigit() and int(raw) in people else user.pk
    if len(people) == 1:
        return handler_id, []
    names = dict(colleagues(user) or [])
    missing = [pk for pk in people if pk not in names]
    if missing:
        names |= {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=missing)}
    return handler_id, sorted(((pk, names.get(pk, "")) for pk in people), key=lambda p: p[1])

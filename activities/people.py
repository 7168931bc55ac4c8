"""Whose activities a page shows: the user's own, (for a manager) a subordinate's, or (the
list) everything the user may see."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from crm.access import colleagues
from crm.hierarchy import scope_owner_ids
from crm.scoping import scope_for


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


# The activity list's handler choice that shows everything the user may see.
TEAM = "team"


def sees_beyond_own(user) -> bool:
    """Whether ``user`` sees others' activities by their place: a manager (subordinates), a
    "see all in company" user (finance, marketing) or a superuser. A plain rep does not."""
    from .models import Activity

    scope = scope_for(user, Activity, "view")
    return scope.everything or scope.owner_ids is None or len(scope.owner_ids) > 1


def list_handler_choice(request) -> tuple[int | str, list[tuple[int | str, str]]]:
    """Whose activities the list shows: ``TEAM`` (everything the user sees: their scope,
    ``crm.scoping.scope_for``) or one person of the user's team, and the choices. Without a
    choice, a manager, a "see all" user and a superuser land on ``TEAM``, a plain rep on their
    own (``handler=<own id>`` picks one's own explicitly)."""
    user = request.user
    wide = sees_beyond_own(user)
    handler_id, people = handler_choice(request)
    raw = request.GET.get("handler", "")
    if raw == TEAM or (not raw.isdigit() and wide):
        chosen: int | str = TEAM
    else:
        chosen = handler_id
    if not wide:
        return chosen, people
    if not people:  # a "see all" user without subordinates: everybody, or themselves
        people = [(user.pk, str(user))]
    return chosen, [(TEAM, _("Me and my team")), *people]

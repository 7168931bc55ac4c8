"""The audience API for later apps (campaigns, newsletters): a saved query yields the partner
or contact ids a given user may see, as a queryset (a subquery), never a list in memory.

    from crm.querybuilder.audience import audience
    partners = Partner.objects.filter(pk__in=audience(saved_query, request.user))

The user must see the saved query itself (``SavedQuery.objects.visible_to``); the rows come
from the engine, scoped with the user's ``visible_to``: a query shared by a director and used
by a rep selects the rep's partners only.
"""

from django.core.exceptions import PermissionDenied

from .models import SavedQuery

KINDS = ("partner", "contact")


def audience(saved_query: SavedQuery | int, user, kind: str = "partner", *, params=None):
    """The ids of the partners (``kind="partner"``) or contacts the query selects for ``user``.

    Raises ``SavedQuery.DoesNotExist`` when the user does not see the query, ``ValueError`` for
    an unknown kind, and the engine's ``QueryError`` when the query no longer builds (a field
    removed, a function taken away): the caller shows ``str(err)`` and ``err.part``."""
    from .engine import build

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    pk = saved_query.pk if isinstance(saved_query, SavedQuery) else int(saved_query)
    query = SavedQuery.objects.visible_to(user).get(pk=pk)
    if not getattr(user, "is_active", False):
        raise PermissionDenied
    return build(query.spec, user, params=params).ids(kind)

"""The supervisor graph: who is whose manager, at any depth.

A user may have several supervisors, so the hierarchy is a graph, not a tree. Each question is
one recursive SQL query (``UNION`` stops at rows already seen, so even a damaged graph with a
cycle cannot loop). Answers are cached on the user object, which lives for one request.
"""

from django.db import connection

_DOWN = """
    WITH RECURSIVE below(id) AS (
        SELECT user_id FROM crm_supervisorlink WHERE supervisor_id = %s
        UNION
        SELECT l.user_id FROM crm_supervisorlink l JOIN below b ON l.supervisor_id = b.id
    )
    SELECT id FROM below
"""

_UP = """
    WITH RECURSIVE above(id, depth) AS (
        SELECT supervisor_id, 1 FROM crm_supervisorlink WHERE user_id = %s
        UNION
        SELECT l.supervisor_id, a.depth + 1
        FROM crm_supervisorlink l JOIN above a ON l.user_id = a.id
        WHERE a.depth < 50
    )
    SELECT id, min(depth) FROM above GROUP BY id
"""


def _query(sql: str, user_id: int) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        return cursor.fetchall()


def subordinate_ids(user) -> frozenset[int]:
    """Every subordinate of ``user`` at any depth (not the user), cached on the instance."""
    cached = getattr(user, "_crm_subordinate_ids", None)
    if cached is None:
        cached = frozenset(row[0] for row in _query(_DOWN, user.pk)) - {user.pk}
        user._crm_subordinate_ids = cached
    return cached


def scope_owner_ids(user) -> frozenset[int]:
    """Whose records ``user`` sees by hierarchy: their own and their subordinates'."""
    return subordinate_ids(user) | {user.pk}


def managers_of(user, *, direct_only: bool = True):
    """The supervisors of ``user``: direct ones, or (``direct_only=False``) all above, nearest
    first. Answers "who is my manager" for the workflow engine."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if direct_only:
        return User.objects.filter(subordinate_links__user=user, is_active=True).order_by(
            "last_name", "first_name"
        )
    depth = dict(_query(_UP, user.pk))
    managers = list(User.objects.filter(pk__in=depth, is_active=True))
    return sorted(managers, key=lambda m: (depth[m.pk], m.last_name, m.first_name))


def would_create_cycle(*, user_id: int, supervisor_id: int) -> bool:
    """True when ``supervisor_id`` is ``user_id`` or already below ``user_id``."""
    if user_id == supervisor_id:
        return True
    return any(row[0] == supervisor_id for row in _query(_DOWN, user_id))


def forget(user) -> None:
    """Drops the cached answers (after a change of the hierarchy within the same request)."""
    for attribute in ("_crm_subordinate_ids", "_crm_company_ids"):
        user.__dict__.pop(attribute, None)

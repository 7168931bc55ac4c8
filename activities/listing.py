"""The activities that the busiest pages list, read by constant, prepared statements
(``crm.prepared``): a partner's or a contact's timeline (unfiltered, page after page) and the
home page's three panels of one's own activities (in one statement).

Building and compiling these queries with the ORM cost more than running them: the timeline's
two queries took 2.7 ms of Python to run 0.3 ms of SQL, and planning took twice as long as the
run. Access is ``ActivityQuerySet.visible_to``'s, decided in one place (``activity_reach``) and
written into the statement as one of three constant conditions; records shared one by one and
the timeline's filters take the ORM queries, which the tests compare with these.
"""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from crm import keyset
from crm.prepared import fetch_models, loaded
from crm.scoping import scope_for

from .models import Activity, ActivityType, Kind
from .reference import activity_types, hidden_type_ids

# What a listed row reads (activities.rows): the activity's own columns, the partner's name
# (none for an internal task: a LEFT JOIN), the contact's and the handler's names.
_COLUMNS = """
    a.id, a.kind, a.subject, a.starts_at, a.ends_at, a.deadline, a.closed_at, a.outcome,
    a.type_id, a.partner_id, a.contact_id, a.owner_id, a.company_id,
    p.name AS partner_name,
    c.title AS contact_title, c.family_name AS contact_family_name,
    c.given_name AS contact_given_name,
    u.username AS owner_username, u.first_name AS owner_first_name,
    u.last_name AS owner_last_name
"""
_JOINS = """
    FROM activities_activity a
    LEFT JOIN partners_partner p ON p.id = a.partner_id
    LEFT JOIN partners_contact c ON c.id = a.contact_id
    JOIN crm_user u ON u.id = a.owner_id
"""
# The access condition by the way the user reaches activities (activity_reach).
_REACH = {
    "all": "",
    "company": "AND a.company_id = %(company)s",
    "owners": "AND a.company_id = %(company)s AND a.owner_id = ANY(%(owners)s)",
}

# A timeline page, newest first, after a (start, id) cursor: the index of the partner's (or
# contact's) activities by start answers it in order.
_TIMELINE = """
    SELECT {columns} {joins}
    WHERE a.{column} = %(record)s {reach}
      AND a.type_id <> ALL(%(hidden)s)
      AND a.starts_at <= %(at)s AND (a.starts_at < %(at)s OR a.id < %(id)s)
    ORDER BY a.starts_at DESC, a.id DESC
    LIMIT %(limit)s
"""

# The home page's panels of one's own activities, as (panel, row): today's, the overdue tasks,
# the open ones ahead; each by its own index (the calendar's, the open tasks').
_PANELS = """
    SELECT * FROM (
    (SELECT 1 AS panel, {columns} {joins}
     WHERE a.owner_id = %(user)s {reach} AND a.type_id <> ALL(%(hidden)s)
       AND a.starts_at >= %(day_start)s AND a.starts_at < %(day_end)s
     ORDER BY a.starts_at, a.id LIMIT %(limit)s)
    UNION ALL
    (SELECT 2 AS panel, {columns} {joins}
     WHERE a.owner_id = %(user)s {reach} AND a.type_id <> ALL(%(hidden)s)
       AND a.kind = %(task)s AND a.closed_at IS NULL AND a.deadline < %(today)s
     ORDER BY a.deadline, a.id LIMIT %(limit)s)
    UNION ALL
    (SELECT 3 AS panel, {columns} {joins}
     WHERE a.owner_id = %(user)s {reach} AND a.type_id <> ALL(%(hidden)s)
       AND a.closed_at IS NULL AND a.starts_at >= %(now)s
     ORDER BY a.starts_at, a.id LIMIT %(limit)s)
    ) panels
"""

TIMELINE_SQL = {
    (column, way): _TIMELINE.format(columns=_COLUMNS, joins=_JOINS, column=column, reach=reach)
    for column in ("partner_id", "contact_id")
    for way, reach in _REACH.items()
}
# (One's own rows: the owners' condition is decided before, see own_panels.)
PANELS_SQL = {
    way: _PANELS.format(columns=_COLUMNS, joins=_JOINS, reach=_REACH[way])
    for way in ("all", "company")
}

# The first page's cursor: before everything.
_END = (datetime.datetime.max.replace(tzinfo=datetime.UTC), 2**63 - 1)


def activity_reach(user, action: str = "view"):
    """How ``user`` reaches activities, as (way, params): ``"all"``, ``"company"`` (every
    owner's in the current company), ``"owners"`` (these owners' there), ``"none"``, or
    ``"rule"`` (records shared one by one as well: only ``visible_to`` asks that). ``params``
    hold the company, the owners and the special types hidden from the user, as
    ``ActivityQuerySet.visible_to`` decides them."""
    scope = scope_for(user, Activity, action)
    params = {"company": scope.company_id, "owners": [], "hidden": hidden_type_ids(user)}
    if scope.everything:
        return "all", params
    if scope.nothing:
        return "none", params
    if scope.owner_ids is None:
        return "company", params
    if scope.granted is not None:
        return "rule", params
    if not scope.owner_ids:
        return "none", params
    return "owners", params | {"owners": sorted(scope.owner_ids)}


def _with_related(rows: list) -> list:
    """The type (from the reference list), the partner, contact and handler (from the row's
    columns) set on each activity, as ``select_related`` leaves them."""
    from partners.models import Contact, Partner

    types = {t.pk: t for t in activity_types()}
    missing = {a.type_id for a in rows} - types.keys()
    if missing:  # a type written since this worker's list (by another process, say)
        types |= ActivityType.objects.in_bulk(missing)
    user_model = get_user_model()
    fields = Activity._meta
    type_field, partner_field = fields.get_field("type"), fields.get_field("partner")
    contact_field, owner_field = fields.get_field("contact"), fields.get_field("owner")
    for a in rows:
        type_field.set_cached_value(a, types[a.type_id])
        partner = None  # an internal task has none
        if a.partner_id is not None:
            partner = loaded(Partner, ["id", "name"], [a.partner_id, a.partner_name])
        partner_field.set_cached_value(a, partner)
        contact = None
        if a.contact_id is not None:
            contact = loaded(
                Contact,
                ["id", "title", "family_name", "given_name"],
                [a.contact_id, a.contact_title, a.contact_family_name, a.contact_given_name],
            )
        contact_field.set_cached_value(a, contact)
        owner_field.set_cached_value(
            a,
            loaded(
                user_model,
                ["id", "username", "first_name", "last_name"],
                [a.owner_id, a.owner_username, a.owner_first_name, a.owner_last_name],
            ),
        )
    return rows


def timeline_page(user, *, partner_id=None, contact_id=None, after: str = "", size: int = 30):
    """(rows, next cursor or None): one page of a partner's (or a contact's) activities that
    ``user`` may see, newest first, after ``after`` (a ``crm.keyset`` cursor of start and id),
    as ``keyset.page`` over ``visible_to`` gives it; None when only that query can tell
    (records shared one by one)."""
    way, params = activity_reach(user)
    if way == "none":
        return [], None
    if way == "rule":
        return None
    column, record = (
        ("partner_id", partner_id) if contact_id is None else ("contact_id", contact_id)
    )
    at, last_id = _END
    values = keyset.decode(after)
    if values is not None and len(values) == 2:
        at, last_id = values
    params |= {"record": record, "at": at, "id": last_id, "limit": size + 1}
    rows = _with_related(fetch_models(Activity, TIMELINE_SQL[column, way], params))
    cursor = None
    if len(rows) > size:
        rows = rows[:size]
        cursor = keyset.encode([rows[-1].starts_at, rows[-1].pk])
    return rows, cursor


def own_panels(user, *, limit: int) -> dict[int, list] | None:
    """The home page's panels of ``user``'s own activities that they may see, ``limit`` rows
    each at most, by panel: 1 today's (by start), 2 the overdue tasks (by deadline), 3 the open
    ones ahead (by start); None when only ``visible_to`` can tell (records shared one by one)."""
    way, params = activity_reach(user)
    if way == "none":
        return {1: [], 2: [], 3: []}
    if way == "rule":
        return None
    if way == "owners":
        # Among the owners whose activities the user sees, their own are all or nothing; the
        # owners' condition beside "owner = user" would make the planner expect no row.
        if user.pk not in params["owners"]:
            return {1: [], 2: [], 3: []}
        way = "company"
    now = timezone.now()
    today = timezone.localdate(now)
    day_start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    params |= {
        "user": user.pk,
        "day_start": day_start,
        "day_end": day_start + datetime.timedelta(days=1),
        "today": today,
        "now": now,
        "task": Kind.TASK,
        "limit": limit,
    }
    found = {1: [], 2: [], 3: []}
    for row in _with_related(fetch_models(Activity, PANELS_SQL[way], params)):
        found[row.panel].append(row)
    return found

"""The shipped saved queries: the reports a sales manager expects on day one. They belong to
no company and no owner, everyone with the function sees them (each with their own rows),
and anyone who may save queries copies one to change it.

``ensure_builtins`` creates the missing ones (the data migration and the demo loader); one an
admin changed or deleted stays as they left it, unless ``refresh`` asks to put them back.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Builtin:
    key: str
    name: object  # lazy: stored in the site's language, shown in the reader's
    description: object
    spec: dict


def _group(*by: dict, measures=None) -> dict:
    return {"by": list(by), "measures": measures or [{"fn": "count"}]}


BUILTINS = [
    Builtin(
        "partners-by-status-and-owner",
        _("Partners by status and owner"),
        _("How many partners each owner has, by status."),
        {
            "base": "partners",
            "columns": ["status", "owner"],
            "filter": {"any": False, "items": []},
            "sort": [{"field": "status", "desc": False}, {"field": "owner", "desc": False}],
            "group": _group({"field": "status"}, {"field": "owner"}),
        },
    ),
    Builtin(
        "activities-per-rep-per-week",
        _("Activities per rep per week (this quarter)"),
        _("The activities planned this quarter, counted per handler and week."),
        {
            "base": "activities",
            "columns": ["owner", "starts_at"],
            "filter": {
                "any": False,
                "items": [{"field": "starts_at", "op": "relative", "value": "this_quarter"}],
            },
            "sort": [{"field": "owner", "desc": False}, {"field": "starts_at", "desc": False}],
            "group": _group({"field": "owner"}, {"field": "starts_at", "trunc": "week"}),
        },
    ),
    Builtin(
        "partners-without-next-event",
        _("Partners without a next event"),
        _("Partners with no future call, meeting or task planned."),
        {
            "base": "partners",
            "columns": ["name", "city", "status", "owner", "last_event"],
            "filter": {
                "any": False,
                "items": [{"field": "next_event", "op": "empty", "value": None}],
            },
            "sort": [{"field": "name", "desc": False}],
        },
    ),
    Builtin(
        "open-tasks-by-assignee",
        _("Open tasks by assignee"),
        _("How many tasks each handler has still open."),
        {
            "base": "activities",
            "columns": ["owner"],
            "filter": {
                "any": False,
                "items": [
                    {"field": "kind", "op": "equals", "value": "task"},
                    {"field": "closed_at", "op": "empty", "value": None},
                ],
            },
            "sort": [{"field": "m0", "desc": True}],
            "group": _group({"field": "owner"}),
        },
    ),
    Builtin(
        "observations-by-product",
        _("Observations by product"),
        _("Market observations of meetings, counted per product."),
        {
            "base": "observations",
            "columns": ["product"],
            "filter": {"any": False, "items": []},
            "sort": [{"field": "m0", "desc": True}],
            "group": _group({"field": "product"}),
        },
    ),
]
BY_KEY = {b.key: b for b in BUILTINS}


def translated(query) -> None:
    """Shows a built-in query's name and description in the reader's language (in memory)."""
    builtin = BY_KEY.get(query.builtin) if query.builtin else None
    if builtin is not None:
        query.name, query.description = str(builtin.name), str(builtin.description)


def ensure_builtins(apps=None, *, refresh: bool = False) -> int:
    """Creates the missing built-in queries (``refresh``: puts back their shipped name,
    description and query too). Returns how many it created or refreshed."""
    if apps is None:
        from django.apps import apps
    SavedQuery = apps.get_model("querybuilder", "SavedQuery")
    changed = 0
    with translation.override(settings.LANGUAGE_CODE):
        for builtin in BUILTINS:
            values = {
                "name": str(builtin.name),
                "description": str(builtin.description),
                "spec": builtin.spec,
            }
            query = SavedQuery.objects.filter(builtin=builtin.key).first()
            if query is None:
                SavedQuery.objects.create(builtin=builtin.key, **values)
                changed += 1
            elif refresh and any(getattr(query, k) != v for k, v in values.items()):
                SavedQuery.objects.filter(pk=query.pk).update(**values)
                changed += 1
    return changed


DEMO_QUERY = {
    "base": "partners",
    "columns": ["name", "city", "status", "owner"],
    "filter": {
        "any": False,
        "items": [
            {"field": "status", "op": "equals", "value": "active"},
            {"field": "county", "op": "equals", "value": "PE"},
            {
                "relation": "activities",
                "has": True,
                "filter": {
                    "any": False,
                    "items": [
                        {"field": "kind", "op": "equals", "value": "meeting"},
                        {
                            "field": "starts_at",
                            "op": "relative",
                            "value": "this_quarter",
                            "ask": True,
                            "param": "idoszak",
                        },
                    ],
                },
            },
        ],
    },
    "sort": [{"field": "name", "desc": False}],
}


def load_demo() -> None:
    """The demo's saved queries: the built-in set, and a sales manager's query (the meetings'
    period asked) shared with the sales reps, sent to his reps every Monday with the last 30
    days as its period. Idempotent (found by name and owner)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from crm.demo import FIRST
    from crm.groups import DEFAULT_GROUPS
    from crm.models import Company

    from .models import Frequency, SavedQuery, ScheduledReport

    ensure_builtins()
    User = get_user_model()
    manager = User.objects.filter(username="nagy.peter").first()
    company = Company.objects.filter(name=FIRST).first()
    if manager is None or company is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        name = str(_("Active partners in Pest county with a meeting this quarter"))
        description = str(_("Shared with the sales reps: each sees their own partners."))
    query, created = SavedQuery.objects.get_or_create(
        name=name,
        owner=manager,
        company=company,
        defaults={"spec": DEMO_QUERY, "created_by": manager, "description": description},
    )
    if not created:
        return
    reps = Group.objects.filter(name=DEFAULT_GROUPS["sales_rep"]).first()
    if reps is not None:
        query.shared_with_groups.add(reps)
    report = ScheduledReport.objects.create(
        saved_query=query,
        company=company,
        frequency=Frequency.WEEKLY,
        weekday=0,
        created_by=manager,
        params={"idoszak": "last_30_days"},  # its own period, not the query's quarter
    )
    report.recipients.set(
        User.objects.filter(username__in=["kovacs.anna", "toth.balazs", "molnar.david"])
    )

"""Activities and market observations as the query builder offers them (registered in
``ActivitiesConfig.ready``)."""

from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.querybuilder.registry import Entity, Field, Relation, queryables

from .models import Activity, Kind, Observation, ObservationKind, Outcome, State
from .reference import activity_types


def _types():
    return [(t.pk, t.name) for t in activity_types()]


def _state(context, prefix):
    """Open, overdue or done, as ``ActivityQuerySet.in_state`` tells them apart."""
    now = timezone.now()
    p = prefix
    late = (
        Q(**{f"{p}deadline__lt": context.today})
        | Q(**{f"{p}deadline__isnull": True, f"{p}ends_at__lt": now})
        | Q(**{f"{p}deadline__isnull": True, f"{p}ends_at__isnull": True, f"{p}starts_at__lt": now})
    )
    return Case(
        When(Q(**{f"{p}closed_at__isnull": False}), then=Value(State.DONE.value)),
        When(late, then=Value(State.OVERDUE.value)),
        default=Value(State.OPEN.value),
    )


ACTIVITY_FIELDS = [
    Field("subject", _("Subject"), "text"),
    Field("kind", _("Behaves as"), "choice", choices=Kind.choices),
    Field("type", _("Type"), "choice", path="type_id", choices=_types),
    Field("owner", _("Handler"), "user", path="owner_id"),
    Field("starts_at", _("Planned start"), "datetime"),
    Field("ends_at", _("Planned end"), "datetime"),
    Field("deadline", _("Deadline"), "date"),
    Field("place", _("Place"), "text"),
    Field("state", _("State"), "choice", expression=_state, choices=State.choices),
    Field("outcome", _("Outcome"), "choice", choices=Outcome.choices),
    Field("closed_at", _("Closed at"), "datetime"),
    Field("result_notes", _("Result notes"), "text", sortable=False, groupable=False),
    Field("created_at", _("Created"), "datetime"),
]

OBSERVATION_FIELDS = [
    Field("kind", _("Kind"), "choice", choices=ObservationKind.choices),
    Field("product", _("Product"), "text"),
    Field("competitor", _("Competitor"), "text"),
    Field("price", _("Price (HUF)"), "money"),
    Field("quantity", _("Quantity"), "number"),
    Field("note", _("Note"), "text"),
    Field("created_at", _("Recorded"), "datetime"),
]


def register() -> None:
    queryables.register(
        Entity(
            key="activities",
            label=_("Activities"),
            model=Activity,
            base=True,
            order=30,
            fields=ACTIVITY_FIELDS,
            relations=[
                Relation("partner", _("Partner"), "partners", "partner"),
                Relation("contact", _("Contact"), "contacts", "contact"),
                Relation(
                    "observations",
                    _("Observations"),
                    "observations",
                    "observations",
                    many=True,
                    back="activity",
                ),
            ],
            default_columns=("starts_at", "kind", "subject", "partner.name", "owner", "state"),
            audience={"partner": "partner_id", "contact": "contact_id"},
        )
    )
    queryables.register(
        Entity(
            key="observations",
            label=_("Market observations"),
            model=Observation,
            base=True,
            order=35,
            fields=OBSERVATION_FIELDS,
            scope=lambda user: Observation.objects.filter(
                activity__in=Activity.objects.visible_to(user).values("pk")
            ),
            permission="activities.view_activity",
            relations=[Relation("activity", _("Meeting"), "activities", "activity")],
            default_columns=("created_at", "kind", "product", "competitor", "price", "quantity"),
            audience={"partner": "activity__partner_id"},
        )
    )

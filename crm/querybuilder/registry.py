"""What can be asked: the apps register their queryable models here from ``AppConfig.ready()``.

An ``Entity`` is a model as the query builder offers it: its ``Field`` s (label, type, the ORM
path or a computed expression, an optional function that a user needs to see the field) and its
``Relation`` s to other entities (to-one: followed in columns and filters, ``partner.city``;
to-many: "has / has no … where", an EXISTS over the related entity's own scoped rows). An entity
with ``base=True`` may be the start of a query. ``crm`` never imports a domain app::

    from crm.querybuilder.registry import Entity, Field, Relation, queryables

    queryables.register(Entity(key="partners", label=_("Partners"), model=Partner, base=True,
                               fields=[Field("name", _("Name"), "text"), …],
                               relations=[Relation("activities", _("Activities"), "activities",
                                                   path="activities", many=True, back="partner")]))
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crm.registry import Registry

TYPES = ("text", "number", "money", "date", "datetime", "boolean", "choice", "user")


@dataclass(frozen=True)
class Context:
    """What a computed value may depend on: who asks, in which company, on which day."""

    user: Any
    company_id: int | None
    today: Any


@dataclass(frozen=True)
class Field:
    key: str
    label: Any
    type: str
    # The ORM path from the entity's model (default: ``key``), or ``expression(context, prefix)``
    # giving a Django expression for rows reached through ``prefix`` ("" or "partner__").
    path: str = ""
    expression: Callable | None = None
    # (value, label) pairs of a choice field, or a callable giving them (read when needed).
    choices: Any = None
    # A Django permission ("app.codename") the user needs to be offered the field at all.
    permission: str | None = None
    sortable: bool = True
    groupable: bool = True
    filterable: bool = True
    # Several values per row (tags, contact types): ``many_path`` is the ORM path of one value
    # from the entity's model, filters test "any of them", the column lists them all.
    many: bool = False

    def orm_path(self) -> str:
        return self.path or self.key

    def choice_pairs(self) -> list[tuple]:
        pairs = self.choices() if callable(self.choices) else (self.choices or [])
        return [(value, str(label)) for value, label in pairs]


@dataclass(frozen=True)
class Relation:
    key: str
    label: Any
    target: str  # the key of the related entity
    path: str  # the ORM path from this model: "partner" (to-one), "activities" (to-many)
    many: bool = False
    # To-many: the field of the target's model that points back here ("partner").
    back: str = ""
    # To-many: more conditions on the related rows (an owner row of the current company):
    # ``where(context) -> Q``.
    where: Callable | None = None
    permission: str | None = None


@dataclass(frozen=True)
class Entity:
    key: str
    label: Any
    model: Any
    fields: list[Field] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    base: bool = False
    order: int = 100
    # The rows a user may see: ``scope(user) -> QuerySet`` (default ``visible_to(user)``).
    scope: Callable | None = None
    # The field paths a new query of this base shows.
    default_columns: tuple[str, ...] = ()
    # What an audience takes from a row: {"partner": "id"} for partners,
    # {"partner": "partner_id"} for activities, {"contact": "id"} for contacts.
    audience: dict = field(default_factory=dict)
    # Needed to start a query from this base (besides the model's own view permission).
    permission: str | None = None
    # Fields known only at run time (user-defined attributes): ``extra_fields() -> [Field]``,
    # read from a cached reference list.
    extra_fields: Callable | None = None

    def __hash__(self) -> int:
        return hash(self.key)

    def all_fields(self) -> list[Field]:
        return [*self.fields, *(self.extra_fields() if self.extra_fields else [])]

    def field(self, key: str) -> Field | None:
        found = next((f for f in self.fields if f.key == key), None)
        if found is None and self.extra_fields is not None:
            found = next((f for f in self.extra_fields() if f.key == key), None)
        return found

    def relation(self, key: str) -> Relation | None:
        return next((r for r in self.relations if r.key == key), None)

    def rows_for(self, user):
        if self.scope is not None:
            return self.scope(user)
        return self.model.objects.visible_to(user)

    def may_use(self, user) -> bool:
        opts = self.model._meta
        if self.permission:
            return user.has_perm(self.permission)
        return user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


class EntityRegistry(Registry[Entity]):
    kind = "Queryable model"

    def get(self, key: str) -> Entity | None:
        return self._entries.get(key)


def allowed(user, item) -> bool:
    """Whether ``user`` may be offered a field or relation (its function, if it needs one)."""
    return not item.permission or user.has_perm(item.permission)


queryables = EntityRegistry()

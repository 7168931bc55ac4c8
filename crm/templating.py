"""The variables a document template may use: a registry that the apps fill from their
``AppConfig.ready()`` (DESIGN.md, section 2), so that ``documents`` knows no app below it.

- A ``Provider`` gives one top-level name of the templates (``partner``, ``owner``,
  ``company``, ``user``, ``today`` …): its variables for the template authors' list (name,
  label, example) and its value for one generation, read from a ``Source``.
- A ``Relation`` says which record another one leads to (an activity to its partner and
  contact), so a template about a partner works when it is generated from a contact too.

A ``Source`` is what one document is generated from: the record, the user and their current
company. The records it leads to are fetched through their model's ``visible_to(user)``: a
template never shows a record its user could not open.

Values are text as a Hungarian document writes it (``2026. 11. 22.``, ``1 234 567``); a
missing value is the empty text, never an error.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.registry import Registry

HUNGARIAN_MONTHS = [
    "január",
    "február",
    "március",
    "április",
    "május",
    "június",
    "július",
    "augusztus",
    "szeptember",
    "október",
    "november",
    "december",
]


def hungarian_date(day: datetime.date | None) -> str:
    """``2026. 11. 22.``, the way Hungarian business documents write a date."""
    return f"{day:%Y. %m. %d.}" if day else ""


def hungarian_long_date(day: datetime.date | None) -> str:
    """``2026. november 22.``"""
    return f"{day.year}. {HUNGARIAN_MONTHS[day.month - 1]} {day.day}." if day else ""


def hungarian_number(value, places: int | None = None) -> str:
    """``1 234 567,5`` with non-breaking spaces between the thousands; ``places`` fixes the
    number of decimals (0 for forints)."""
    if value is None or value == "":
        return ""
    from decimal import Decimal

    number = Decimal(str(value))
    if places is not None:
        number = round(number, places)
    sign = "-" if number < 0 else ""
    text = format(abs(number), "f")
    whole, _dot, fraction = text.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = sign + "\xa0".join(groups)
    return f"{out},{fraction}" if fraction else out


@dataclass(frozen=True)
class Variable:
    """``name`` as written in a template (``partner.name``; ``contacts[].name`` is a field of
    each item of a list, used inside ``{% for c in contacts %}…{{ c.name }}``)."""

    name: str
    label: str
    example: str = ""


@dataclass(frozen=True)
class Provider:
    key: str  # the top-level name in templates
    label: str
    # the variables, or a function that lists them (when they come from the database)
    variables: tuple[Variable, ...] | Callable[[], list[Variable]]
    value: Callable[["Source"], Any]
    order: int = 100

    def listed(self) -> list[Variable]:
        return list(self.variables() if callable(self.variables) else self.variables)


@dataclass(frozen=True)
class Relation:
    """A record of kind ``source`` leads to the record of kind ``target`` (a key of
    ``documents.linkables``) whose primary key is its attribute ``attribute``."""

    source: str
    target: str
    model_label: str
    attribute: str

    @property
    def key(self) -> str:
        return f"{self.source}>{self.target}"

    order = 100


class ProviderRegistry(Registry[Provider]):
    kind = "Template variable"


class RelationRegistry(Registry[Relation]):
    kind = "Template relation"


providers = ProviderRegistry()
relations = RelationRegistry()


class Source:
    """What one document is generated from: ``records`` by kind (the starting record and
    those it leads to that ``user`` sees), the user and their company."""

    def __init__(self, *, user, company, kind: str, record, extra: dict | None = None):
        self.user = user
        self.company = company
        self.kind = kind
        self.record = record
        self.records = {kind: record}
        self.extra = extra or {}
        self.today = timezone.localdate()
        for relation in relations.ordered():
            if relation.source != kind or relation.target in self.records:
                continue
            pk = getattr(record, relation.attribute, None)
            if pk is None:
                continue
            model = apps.get_model(relation.model_label)
            self.records[relation.target] = model.objects.visible_to(user).filter(pk=pk).first()

    def get(self, kind: str):
        return self.records.get(kind)


def context(source: Source) -> dict:
    """The values of every provider for ``source``: the context a template is drawn with."""
    values = {provider.key: provider.value(source) for provider in providers.ordered()}
    values.update(source.extra)
    return values


def listed_variables() -> list[tuple[Provider, list[Variable]]]:
    return [(provider, provider.listed()) for provider in providers.ordered()]


def _put(target: dict, parts: list[str], example: str) -> None:
    head, rest = parts[0], parts[1:]
    if head.endswith("[]"):
        items = target.setdefault(head[:-2], [{}])
        if rest:
            _put(items[0], rest, example)
        return
    if not rest:
        target.setdefault(head, example)
        return
    child = target.get(head)
    if not isinstance(child, dict):
        child = target[head] = {}
    _put(child, rest, example)


def example_context(extra: list[Variable] = ()) -> dict:
    """A context of the listed examples (``partner.name`` → ``{"partner": {"name": …}}``),
    for checking a template before it is used."""
    values: dict = {}
    for _provider, variables in listed_variables():
        for variable in variables:
            _put(values, variable.name.split("."), str(variable.example or "…"))
    for variable in extra:
        _put(values, variable.name.split("."), str(variable.example or "…"))
    return values


# ----------------------------------------------------------------------------- the platform's own


def _company(source: Source) -> dict:
    company = source.company
    if company is None:
        return {"name": "", "tax_number": "", "registration_number": ""}
    return {
        "name": company.name,
        "tax_number": company.tax_number,
        "registration_number": company.registration_number,
    }


def person(user) -> dict:
    """A user as templates show them: family name first."""
    if user is None:
        return {"name": "", "email": "", "username": ""}
    return {
        "name": user.get_full_name() or user.get_username(),
        "email": user.email,
        "username": user.get_username(),
    }


def _today(source: Source) -> dict:
    return {"date": hungarian_date(source.today), "long": hungarian_long_date(source.today)}


PLATFORM = [
    Provider(
        key="company",
        label=_("Own company"),
        variables=(
            Variable("company.name", _("name"), "Példa Kereskedelmi Kft."),
            Variable("company.tax_number", _("tax number"), "10773381-2-44"),
            Variable("company.registration_number", _("registration number"), "01-09-123456"),
        ),
        value=_company,
        order=80,
    ),
    Provider(
        key="user",
        label=_("The user who generates the document"),
        variables=(
            Variable("user.name", _("name"), "Kovács Anna"),
            Variable("user.email", _("e-mail"), "kovacs.anna@pelda.hu"),
        ),
        value=lambda source: person(source.user),
        order=85,
    ),
    Provider(
        key="today",
        label=_("Today"),
        variables=(
            Variable("today.date", _("date"), "2026. 11. 22."),
            Variable("today.long", _("date with the month's name"), "2026. november 22."),
        ),
        value=_today,
        order=90,
    ),
]


def register_platform() -> None:
    for provider in PLATFORM:
        providers.register(provider)

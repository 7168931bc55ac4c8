"""Partners, contacts and partner owners as the query builder offers them (registered in
``PartnersConfig.ready``): their fields, the user-defined attributes, the computed values the
partner pages show (status, turnover, first owner, last and next event), and the relations."""

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.querybuilder.expressions import json_value
from crm.querybuilder.registry import Entity, Field, Relation, queryables

from . import attributes
from .models import (
    AttributeKind,
    Contact,
    County,
    Language,
    Partner,
    PartnerFinancials,
    PartnerOwner,
    PartnerStatus,
    Status,
)
from .reference import contact_types, industries, tags

FINANCIALS = "partners.view_partnerfinancials"
_KINDS = {
    AttributeKind.TEXT: "text",
    AttributeKind.NUMBER: "number",
    AttributeKind.DATE: "date",
    AttributeKind.BOOLEAN: "boolean",
    AttributeKind.CHOICE: "choice",
    AttributeKind.MULTIPLE: "text",
}


def _attribute_fields(target: str):
    def fields():
        found = []
        for definition in attributes.definitions(target):
            kind = _KINDS[definition.kind]

            def expression(context, prefix, key=definition.key, kind=kind):
                return json_value(prefix + "attributes", key, kind)

            found.append(
                Field(
                    f"attr_{definition.key}",
                    definition.label,
                    kind,
                    expression=expression,
                    choices=definition.choice_list if kind == "choice" else None,
                )
            )
        return found

    return fields


def _status(context, prefix):
    rows = PartnerStatus.objects.filter(
        partner_id=OuterRef(prefix + "pk"), company_id=context.company_id
    )
    return Coalesce(Subquery(rows.values("status")[:1]), Value(Status.POTENTIAL.value))


def _status_value(column: str):
    def expression(context, prefix):
        rows = PartnerStatus.objects.filter(
            partner_id=OuterRef(prefix + "pk"), company_id=context.company_id
        )
        return Subquery(rows.values(column)[:1])

    return expression


def _first_owner(context, prefix):
    rows = PartnerOwner.objects.filter(
        partner_id=OuterRef(prefix + "pk"), company_id=context.company_id
    ).order_by("pk")
    return Subquery(rows.values("user_id")[:1])


def _event(*, last: bool):
    def expression(context, prefix):
        from activities.models import Activity

        rows = Activity.objects.filter(
            partner_id=OuterRef(prefix + "pk"), company_id=context.company_id
        )
        now = timezone.now()
        if last:
            rows = rows.filter(closed_at__isnull=False, starts_at__lte=now).order_by("-starts_at")
        else:
            rows = rows.filter(closed_at__isnull=True, starts_at__gte=now).order_by("starts_at")
        return Subquery(rows.values("starts_at")[:1])

    return expression


def _financial(column: str):
    def expression(context, prefix):
        rows = PartnerFinancials.objects.filter(partner_id=OuterRef(prefix + "pk")).order_by(
            "-year"
        )
        return Subquery(rows.values(column)[:1])

    return expression


def _choices(rows, label=str):
    return lambda: [(row.pk, label(row)) for row in rows()]


def _users():
    User = get_user_model()
    return [(u.pk, str(u)) for u in User.objects.filter(is_active=True).order_by("last_name")]


PARTNER_FIELDS = [
    Field("name", _("Name"), "text"),
    Field("short_name", _("Short name"), "text"),
    Field("tax_number", _("Tax number"), "text"),
    Field("registration_number", _("Company registration number"), "text"),
    Field("postcode", _("Postcode"), "text"),
    Field("city", _("City"), "text"),
    Field("street", _("Street address"), "text"),
    Field("county", _("County"), "choice", choices=County.choices),
    Field("country", _("Country"), "text"),
    Field("website", _("Website"), "text"),
    Field("industry", _("Industry"), "choice", path="industry_id", choices=_choices(industries)),
    Field("headcount", _("Headcount"), "number"),
    Field("tags", _("Tags"), "choice", path="tags", many=True, choices=_choices(tags)),
    Field("phone", _("Phone"), "text", path="phones__0"),
    Field("email", _("E-mail"), "text", path="emails__0"),
    Field("created_at", _("Created"), "datetime"),
    Field("status", _("Status"), "choice", expression=_status, choices=Status.choices),
    Field("owner", _("Owner"), "user", expression=_first_owner, choices=None),
    Field(
        "turnover",
        _("Turnover in the status period (HUF)"),
        "money",
        expression=_status_value("period_turnover"),
        permission=FINANCIALS,
    ),
    Field(
        "last_business_event",
        _("Last order, contract or turnover"),
        "date",
        expression=_status_value("last_event_on"),
    ),
    Field("last_event", _("Last event"), "datetime", expression=_event(last=True)),
    Field("next_event", _("Next event"), "datetime", expression=_event(last=False)),
    Field(
        "revenue",
        _("Revenue, last balance sheet (HUF)"),
        "money",
        expression=_financial("revenue"),
        permission=FINANCIALS,
    ),
    Field(
        "profit",
        _("Profit, last balance sheet (HUF)"),
        "money",
        expression=_financial("profit"),
        permission=FINANCIALS,
    ),
]

CONTACT_FIELDS = [
    Field("family_name", _("Family name"), "text"),
    Field("given_name", _("Given name"), "text"),
    Field("title", _("Title"), "text"),
    Field("position", _("Position"), "text"),
    Field("email", _("E-mail"), "text", path="emails__0"),
    Field("phone", _("Phone"), "text", path="phones__0"),
    Field("language", _("Preferred language"), "choice", choices=Language.choices),
    Field("types", _("Types"), "choice", path="types", many=True, choices=_choices(contact_types)),
    Field("responsible", _("Responsible user"), "user", path="responsible_id"),
    Field("created_at", _("Created"), "datetime"),
]

OWNER_FIELDS = [
    Field("user", _("Owner"), "user", path="user_id"),
    Field("created_at", _("Since"), "datetime"),
]


def _in_company(context):
    return Q(company_id=context.company_id)


def register() -> None:
    queryables.register(
        Entity(
            key="partners",
            label=_("Partners"),
            model=Partner,
            base=True,
            order=10,
            fields=PARTNER_FIELDS,
            extra_fields=_attribute_fields("partner"),
            relations=[
                Relation(
                    "contacts", _("Contacts"), "contacts", "contacts", many=True, back="partner"
                ),
                Relation(
                    "owners",
                    _("Owners"),
                    "owners",
                    "owners",
                    many=True,
                    back="partner",
                    where=_in_company,
                ),
                Relation(
                    "activities",
                    _("Activities"),
                    "activities",
                    "activities",
                    many=True,
                    back="partner",
                ),
            ],
            default_columns=("name", "city", "status", "owner"),
            audience={"partner": "id"},
        )
    )
    queryables.register(
        Entity(
            key="contacts",
            label=_("Contacts"),
            model=Contact,
            base=True,
            order=20,
            fields=CONTACT_FIELDS,
            extra_fields=_attribute_fields("contact"),
            scope=lambda user: Contact.objects.visible_to(user).filter(erased_at__isnull=True),
            relations=[
                Relation("partner", _("Partner"), "partners", "partner"),
                Relation(
                    "activities",
                    _("Activities"),
                    "activities",
                    "activities",
                    many=True,
                    back="contact",
                ),
            ],
            default_columns=("family_name", "given_name", "partner.name", "email", "phone"),
            audience={"contact": "id", "partner": "partner_id"},
        )
    )
    queryables.register(
        Entity(
            key="owners",
            label=_("Owners"),
            model=PartnerOwner,
            fields=OWNER_FIELDS,
            scope=lambda user: PartnerOwner.objects.all(),
            order=90,
        )
    )

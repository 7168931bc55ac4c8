"""What document templates may say about a partner: its data, its contacts (all, and one of
each contact type), its owner in the current company, and the contact a document was
generated from (crm/templating.py). Registered from ``PartnersConfig.ready()``."""

from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from crm.templating import Provider, Relation, Source, Variable, person, providers, relations

PARTNER_FIELDS = [
    ("name", _("name"), "Minta Gépgyártó Kft."),
    ("short_name", _("short name"), "Minta Gépgyártó"),
    ("tax_number", _("tax number"), "12345676-2-41"),
    ("eu_vat_number", _("EU VAT number"), "HU12345676"),
    ("registration_number", _("company registration number"), "01-09-123456"),
    ("address", _("seat (postcode, city, street)"), "1117 Budapest, Október huszonharmadika u. 8."),
    ("postcode", _("postcode"), "1117"),
    ("city", _("city"), "Budapest"),
    ("street", _("street address"), "Október huszonharmadika u. 8."),
    ("phone", _("phone"), "+36 1 234 5678"),
    ("email", _("e-mail"), "info@minta.hu"),
    ("website", _("website"), "https://minta.hu"),
]

CONTACT_FIELDS = [
    ("name", _("name (family name first)"), "dr. Szőke Győző"),
    ("position", _("position"), "ügyvezető"),
    ("email", _("e-mail"), "szoke.gyozo@minta.hu"),
    ("phone", _("phone"), "+36 30 123 4567"),
    ("types", _("types"), "Döntéshozó, Ügyvezető"),
]


def type_key(contact_type) -> str:
    """A contact type's name in templates: ``Pénzügyi`` → ``penzugyi``."""
    return slugify(contact_type.name_hu).replace("-", "_") or f"type_{contact_type.pk}"


def _partner_value(partner) -> dict:
    if partner is None:
        return {name: "" for name, _label, _example in PARTNER_FIELDS}
    return {
        "name": partner.name,
        "short_name": partner.short_name or partner.name,
        "tax_number": partner.tax_number or "",
        "eu_vat_number": partner.eu_vat_number,
        "registration_number": partner.registration_number,
        "address": partner.address,
        "postcode": partner.postcode,
        "city": partner.city,
        "street": partner.street,
        "phone": partner.phones[0] if partner.phones else "",
        "email": partner.emails[0] if partner.emails else "",
        "website": partner.website,
    }


def _contact_value(contact, types=()) -> dict:
    if contact is None:
        return {name: "" for name, _label, _example in CONTACT_FIELDS}
    return {
        "name": contact.full_name,
        "position": contact.position,
        "email": contact.email,
        "phone": contact.phones[0] if contact.phones else "",
        "types": ", ".join(t.name_hu for t in types),
    }


def _contacts(source: Source) -> list[tuple]:
    """The partner's contacts the user sees, each with its types, by name (two queries),
    kept on the source for the two providers that need them."""
    if "contacts" in source.__dict__:
        return source.contacts
    from .models import Contact, ContactRole

    partner = source.get("partner")
    found = []
    if partner is not None:
        contacts = list(
            Contact.objects.visible_to(source.user)
            .filter(partner_id=partner.pk, erased_at__isnull=True)
            .order_by("family_name", "given_name", "pk")
        )
        roles: dict[int, list] = {}
        for role in (
            ContactRole.objects.filter(contact__in=[c.pk for c in contacts])
            .select_related("type")
            .order_by("type__order", "type_id")
        ):
            roles.setdefault(role.contact_id, []).append(role.type)
        found = [(c, roles.get(c.pk, [])) for c in contacts]
    source.contacts = found
    return found


def _contact(source: Source) -> dict:
    contact = source.get("contact")
    pk = getattr(contact, "pk", None)
    types = next((t for c, t in _contacts(source) if c.pk == pk), ())
    return _contact_value(contact, types)


def _contact_types() -> list:
    from .models import ContactType

    return list(ContactType.objects.order_by("order", "pk"))


def _by_type(source: Source) -> dict:
    values = {type_key(t): _contact_value(None) for t in _contact_types()}
    for contact, types in _contacts(source):
        for contact_type in types:
            key = type_key(contact_type)
            if not values.get(key, {}).get("name"):
                values[key] = _contact_value(contact, types)
    return values


def _by_type_variables() -> list[Variable]:
    variables, seen = [], set()
    for contact_type in _contact_types():
        key = type_key(contact_type)
        if key in seen:  # two types of the same name: the first one is meant
            continue
        seen.add(key)
        variables += [
            Variable(f"contact_of_type.{key}.{name}", f"{contact_type}: {label}", example)
            for name, label, example in CONTACT_FIELDS[:4]
        ]
    return variables


def _owner(source: Source) -> dict:
    from .models import PartnerOwner

    partner = source.get("partner")
    owner = None
    if partner is not None and source.company is not None:
        row = (
            PartnerOwner.objects.filter(partner_id=partner.pk, company_id=source.company.pk)
            .select_related("user")
            .order_by("created_at", "pk")
            .first()
        )
        owner = row.user if row else None
    return person(owner)


PROVIDERS = [
    Provider(
        key="partner",
        label=_("Partner"),
        variables=tuple(Variable(f"partner.{n}", label, ex) for n, label, ex in PARTNER_FIELDS),
        value=lambda source: _partner_value(source.get("partner")),
        order=10,
    ),
    Provider(
        key="contact",
        label=_("The contact the document is generated for"),
        variables=tuple(Variable(f"contact.{n}", label, ex) for n, label, ex in CONTACT_FIELDS),
        value=_contact,
        order=20,
    ),
    Provider(
        key="contacts",
        label=_("All contacts of the partner (a list)"),
        variables=tuple(Variable(f"contacts[].{n}", label, ex) for n, label, ex in CONTACT_FIELDS),
        value=lambda source: [_contact_value(c, t) for c, t in _contacts(source)],
        order=21,
    ),
    Provider(
        key="contact_of_type",
        label=_("The partner's contact of a type"),
        variables=_by_type_variables,
        value=_by_type,
        order=22,
    ),
    Provider(
        key="owner",
        label=_("The partner's owner in the current company"),
        variables=(
            Variable("owner.name", _("name"), "Nagy Péter"),
            Variable("owner.email", _("e-mail"), "nagy.peter@pelda.hu"),
        ),
        value=_owner,
        order=30,
    ),
]


def register() -> None:
    for provider in PROVIDERS:
        providers.register(provider)
    relations.register(Relation("contact", "partner", "partners.Partner", "partner_id"))

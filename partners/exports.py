"""The partner and contact lists as XLSX or CSV: the rows of the list's filters among those the
user may see (``partners.views.filtered_partners`` / ``filtered_contacts``), in the list's
order, with the user's chosen columns. Values are plain (numbers stay numbers, dates dates);
``crm.spreadsheets`` neutralises text a spreadsheet would run as a formula."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from crm.choices import choice_label

from . import attributes
from .models import AttributeKind, County, Language, Status

# Rows read per round trip (the keys, then the rows by key).
CHUNK = 1000


def _created(row):
    return timezone.localtime(row.created_at).date() if row.created_at else None


def _joined(values) -> str:
    return ", ".join(str(v) for v in values)


# Every built-in column's plain value, by key (partners.tables.COLUMNS).
PARTNER_VALUES = {
    "status": lambda p: str(Status(p.company_status or Status.POTENTIAL).label),
    "tax_number": lambda p: p.tax_number or "",
    "city": lambda p: p.city,
    "county": lambda p: str(choice_label(County, p.county)),
    "owners": lambda p: _joined(p.owner_names),
    "industry": lambda p: str(p.industry or ""),
    "phones": lambda p: _joined(p.phones),
    "emails": lambda p: _joined(p.emails),
    "tags": lambda p: _joined(t["name"] for t in p.tag_list),
    "headcount": lambda p: p.headcount,
    "created": _created,
}

# partners.tables.CONTACT_COLUMNS
CONTACT_VALUES = {
    "partner": lambda c: c.partner.name,
    "position": lambda c: c.position,
    "types": lambda c: _joined(r.type for r in c.role_list),
    "email": lambda c: c.email,
    "phone": lambda c: c.phones[0] if c.phones else "",
    "emails": lambda c: _joined(c.emails),
    "phones": lambda c: _joined(c.phones),
    "language": lambda c: str(choice_label(Language, c.language)),
    "city": lambda c: c.partner.city,
    "responsible": lambda c: str(c.responsible) if c.responsible_id else "",
    "created": _created,
}


def _attribute_value(definition, value):
    """A user-defined attribute's value: a number or a date as such, else as the list shows it."""
    if value is None or value == "" or value == []:
        return None
    if definition.kind == AttributeKind.NUMBER and isinstance(value, int | float):
        return value
    if definition.kind == AttributeKind.DATE:
        try:
            return datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            pass
    return attributes.display(definition, value)


def value_functions(columns, builtin: dict, target: str) -> list:
    """One function of a row per chosen column, in the chosen order."""
    definitions = {f"attr:{d.key}": d for d in attributes.definitions(target)}
    functions = []
    for column in columns:
        if column.key in builtin:
            functions.append(builtin[column.key])
        else:
            definition = definitions[column.key]
            functions.append(
                lambda r, d=definition: _attribute_value(d, (r.attributes or {}).get(d.key))
            )
    return functions


def header(columns) -> list[str]:
    return [_("Name"), *(str(c.label) for c in columns)]
